use super::*;

#[test]
fn lifecycle_moves() {
    use OrderStatus::*;
    assert!(Pending.can_move_to(Processing));
    assert!(Pending.can_move_to(Cancelled));
    assert!(Processing.can_move_to(Completed));
    assert!(Processing.can_move_to(Failed));
    assert!(!Processing.can_move_to(Pending));
    assert!(!Processing.can_move_to(Cancelled));
    for s in [Completed, Failed, Cancelled] {
        assert!(s.is_final());
        for n in OrderStatus::ALL {
            assert!(!s.can_move_to(n));
        }
    }
}

#[test]
fn status_text_round_trips() {
    for s in OrderStatus::ALL {
        assert_eq!(s.as_str().parse::<OrderStatus>(), Ok(s));
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            format!("\"{}\"", s.as_str())
        );
    }
    assert!("pending".parse::<OrderStatus>().is_err());
    assert!("CONFIRMED".parse::<OrderStatus>().is_err());
}

#[test]
fn ids_are_time_ordered_and_timestamps_fixed_width() {
    let t = parse_timestamp("2026-11-22T02:01:33.123456Z").unwrap();
    let (a, ta) = new_order_id(t);
    let (b, tb) = new_order_id(t + chrono::Duration::milliseconds(2));
    assert_eq!(a.get_version_num(), 7);
    assert_eq!(format_timestamp(ta), "2026-11-22T02:01:33.123Z");
    assert_eq!(
        a.get_timestamp().unwrap().to_unix(),
        (ta.timestamp() as u64, 123_000_000)
    );
    assert!(a.to_string() < b.to_string());
    assert!(sort_key(ta, a) < sort_key(tb, b));
    assert_eq!(format_timestamp(ta).len(), 24);
    assert!(shard_of(a) < STATUS_SHARDS);
}

#[test]
fn ids_of_one_millisecond_increase() {
    let now = Utc::now();
    let ids: Vec<Uuid> = (0..50).map(|_| new_order_id(now).0).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    // Interleaved with another millisecond, still increasing.
    let other = now + chrono::Duration::milliseconds(7);
    let a = new_order_id(now).0;
    new_order_id(other);
    assert!(new_order_id(now).0 > a);
    // Any instant, past ones included, is encoded as given.
    let past = parse_timestamp("2020-01-02T03:04:05.006Z").unwrap();
    let (id, created) = new_order_id(past);
    assert_eq!(created, past);
    let (s, n) = id.get_timestamp().unwrap().to_unix();
    assert_eq!((s as i64, n), (past.timestamp(), 6_000_000));
}

#[test]
fn order_ids() {
    assert!(parse_order_id("not-a-uuid").is_err());
    assert!(parse_order_id("019a1b2c-3d4e-7f00-8123-456789abcdef").is_ok());
}
