//! The write shards of the status and creation indexes (docs/data-model.md,
//! docs/scaling.md): order ids must spread evenly over the 16 shards, or one
//! shard key of a GSI takes more than its share of the writes and throttles
//! first. 100,000 ids, each shard within ±5 % of its share (6,250; the
//! binomial standard deviation is ~77, so 5 % is about 4 σ).

use chrono::{Duration, TimeZone, Utc};
use orders_core::model::{new_order_id, shard_of, STATUS_SHARDS};
use uuid::Uuid;

const IDS: usize = 100_000;
const TOLERANCE: f64 = 0.05;

fn spread(ids: impl Iterator<Item = Uuid>) -> Vec<usize> {
    let mut counts = vec![0usize; STATUS_SHARDS as usize];
    for id in ids {
        counts[shard_of(id) as usize] += 1;
    }
    counts
}

fn assert_even(what: &str, counts: &[usize]) {
    let total: usize = counts.iter().sum();
    let share = total as f64 / counts.len() as f64;
    for (shard, &n) in counts.iter().enumerate() {
        let off = (n as f64 - share) / share;
        assert!(
            off.abs() <= TOLERANCE,
            "{what}: shard {shard:02} has {n} of {total} ids ({:+.1} % of its share {share:.0}); all: {counts:?}",
            off * 100.0
        );
    }
}

#[test]
fn ids_of_one_process_at_10000_orders_per_second_spread_evenly() {
    // One create-order instance at 10,000 orders/s: 10 ids in every millisecond
    // (within a millisecond an id is the previous one plus one when the random
    // one would not sort after it).
    let start = Utc.timestamp_millis_opt(1_795_000_000_000).unwrap();
    let ids = (0..IDS).map(|i| new_order_id(start + Duration::milliseconds((i / 10) as i64)).0);
    assert_even("10 per millisecond", &spread(ids));
}

#[test]
fn ids_of_many_instances_spread_evenly() {
    // Many instances, each making its own random ids.
    assert_even("random v7", &spread((0..IDS).map(|_| Uuid::now_v7())));
}

#[test]
fn a_burst_in_one_millisecond_spreads_over_every_shard() {
    // 1,600 ids in the same millisecond: each is the previous one plus one, or
    // a fresh random id above it, so the shards are visited nearly in turn
    // (each gets 100, give or take a few).
    let now = Utc.timestamp_millis_opt(1_795_000_123_000).unwrap();
    let counts = spread((0..1_600).map(|_| new_order_id(now).0));
    assert!(
        counts.iter().all(|&n| (95..=105).contains(&n)),
        "{counts:?}"
    );
}

#[test]
fn the_check_fails_for_a_skewed_shard_function() {
    // The assertion can fail: ids whose last byte is even land on 8 shards only.
    let skewed: Vec<usize> = spread((0..IDS).map(|_| {
        let mut b = *Uuid::now_v7().as_bytes();
        b[15] &= 0xFE;
        Uuid::from_bytes(b)
    }));
    let result = std::panic::catch_unwind(|| assert_even("skewed", &skewed));
    assert!(result.is_err(), "a skewed spread passed: {skewed:?}");
}
