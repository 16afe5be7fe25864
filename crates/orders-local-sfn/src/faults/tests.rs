use super::*;

fn fault(task: &str, point: FaultPoint, error: &str, probability: f64) -> TaskFault {
    TaskFault {
        task: task.into(),
        point,
        error: error.into(),
        probability,
    }
}

#[test]
fn the_hash_is_fnv1a_and_splitmix64() {
    // Published test vectors: FNV-1a 64 of "" and "a"; splitmix64's
    // first output from state 0.
    assert_eq!(fnv1a(FNV_OFFSET, b""), 0xcbf2_9ce4_8422_2325);
    assert_eq!(fnv1a(FNV_OFFSET, b"a"), 0xaf63_dc4c_8601_ec8c);
    assert_eq!(splitmix64(0), 0xe220_a839_7b1d_cdaf);
}

#[test]
fn draws_are_pinned_so_a_seed_means_the_same_faults_everywhere() {
    // Changing these values changes what every recorded seed replays.
    let pinned = [
        (draw(0, kinds::REDELIVERY, &[b"event-1"]), PINNED[0]),
        (draw(7, kinds::DUPLICATE_START, &[b"order-1"]), PINNED[1]),
        (draw(u64::MAX, kinds::TASK_FAULT, &[b"x", b""]), PINNED[2]),
    ];
    for (got, want) in pinned {
        assert_eq!(got.to_bits(), want.to_bits(), "{got} != {want}");
    }
}
/// Computed once by an independent implementation (Python) of the same
/// FNV-1a + splitmix64 scheme.
const PINNED: [f64; 3] = [0.8748987222829807, 0.42672865880452704, 0.21556192261453888];

#[test]
fn draws_are_deterministic_and_depend_on_every_input() {
    let a = draw(7, "k", &[b"exec", b"state", &1u32.to_le_bytes()]);
    assert_eq!(a, draw(7, "k", &[b"exec", b"state", &1u32.to_le_bytes()]));
    assert!((0.0..1.0).contains(&a));
    for other in [
        draw(8, "k", &[b"exec", b"state", &1u32.to_le_bytes()]),
        draw(7, "j", &[b"exec", b"state", &1u32.to_le_bytes()]),
        draw(7, "k", &[b"exec2", b"state", &1u32.to_le_bytes()]),
        draw(7, "k", &[b"exec", b"state", &2u32.to_le_bytes()]),
        // Moving bytes between parts is a different key.
        draw(7, "k", &[b"exe", b"cstate", &1u32.to_le_bytes()]),
    ] {
        assert_ne!(a, other);
    }
}

#[test]
fn zero_never_fires_and_one_always_does() {
    for i in 0u64..2_000 {
        let key = i.to_le_bytes();
        assert!(!fires(0.0, 3, "k", &[&key]));
        assert!(!fires(f64::NAN, 3, "k", &[&key]));
        assert!(fires(1.0, 3, "k", &[&key]));
    }
}

#[test]
fn about_p_of_many_keys_fire() {
    for (seed, p) in [(0, 0.3), (7, 0.3), (42, 0.05), (42, 0.9)] {
        let n = 10_000;
        let hits = (0..n)
            .filter(|i: &u64| fires(p, seed, kinds::REDELIVERY, &[&i.to_le_bytes()]))
            .count();
        let expected = p * n as f64;
        // Five standard deviations: a real failure, not bad luck (and
        // deterministic anyway).
        let slack = 5.0 * (n as f64 * p * (1.0 - p)).sqrt();
        assert!(
            (hits as f64 - expected).abs() < slack,
            "seed {seed}, p {p}: {hits} of {n}"
        );
    }
}

#[test]
fn good_specs_parse_and_print_back() {
    let spec: TaskFaults = "payments:after-commit:Sandbox.Timedout:0.2, inventory:before-commit:Lambda.Unknown:1,*:after-commit:Lambda.ServiceException:0"
            .parse()
            .unwrap();
    assert_eq!(
        spec.entries,
        [
            fault("payments", FaultPoint::AfterCommit, "Sandbox.Timedout", 0.2),
            fault("inventory", FaultPoint::BeforeCommit, "Lambda.Unknown", 1.0),
            fault("*", FaultPoint::AfterCommit, "Lambda.ServiceException", 0.0),
        ]
    );
    assert_eq!(
            spec.to_string(),
            "payments:after-commit:Sandbox.Timedout:0.2,inventory:before-commit:Lambda.Unknown:1,*:after-commit:Lambda.ServiceException:0"
        );
    assert_eq!(spec.to_string().parse::<TaskFaults>().unwrap(), spec);
    let one: TaskFaults = "settle-order:before-commit:States.Timeout:.5"
        .parse()
        .unwrap();
    assert_eq!(one.entries[0].probability, 0.5);
}

#[test]
fn every_kind_of_bad_entry_is_named() {
    let cases: [(&str, &str, SpecProblem); 14] = [
        ("", "", SpecProblem::Empty),
        ("payments:after-commit:E:0.1,", "", SpecProblem::Empty),
        (
            "payments:after-commit:E:0.1,,inventory:after-commit:E:1",
            "",
            SpecProblem::Empty,
        ),
        (
            "payments:after-commit:E",
            "payments:after-commit:E",
            SpecProblem::Fields(3),
        ),
        (
            "payments:after-commit:E:0.1:x",
            "payments:after-commit:E:0.1:x",
            SpecProblem::Fields(5),
        ),
        ("payments", "payments", SpecProblem::Fields(1)),
        (
            ":after-commit:E:0.1",
            ":after-commit:E:0.1",
            SpecProblem::NoTask,
        ),
        (
            "payments:during:E:0.1",
            "payments:during:E:0.1",
            SpecProblem::Point("during".into()),
        ),
        (
            "payments:After-Commit:E:0.1",
            "payments:After-Commit:E:0.1",
            SpecProblem::Point("After-Commit".into()),
        ),
        (
            "payments:after-commit::0.1",
            "payments:after-commit::0.1",
            SpecProblem::NoError,
        ),
        (
            "pay ments:after-commit:E:0.1",
            "pay ments:after-commit:E:0.1",
            SpecProblem::Whitespace("pay ments".into()),
        ),
        (
            "payments:after-commit:E:often",
            "payments:after-commit:E:often",
            ProbabilityError::NotANumber("often".into()).into(),
        ),
        (
            "ok:after-commit:E:1,payments:after-commit:E:1.5",
            "payments:after-commit:E:1.5",
            ProbabilityError::OutOfRange("1.5".into()).into(),
        ),
        (
            "payments:before-commit:E:NaN",
            "payments:before-commit:E:NaN",
            ProbabilityError::OutOfRange("NaN".into()).into(),
        ),
    ];
    for (spec, entry, problem) in cases {
        let err = spec.parse::<TaskFaults>().unwrap_err();
        assert_eq!(
            err,
            FaultSpecError {
                entry: entry.into(),
                problem
            },
            "{spec:?}"
        );
        assert!(err.to_string().contains(&format!("\"{entry}\"")), "{err}");
    }
    assert_eq!(
        parse_probability("-0.1"),
        Err(ProbabilityError::OutOfRange("-0.1".into()))
    );
    assert_eq!(parse_probability(" 0.25 "), Ok(0.25));
}

#[test]
fn the_first_entry_that_fires_wins_and_points_and_tasks_are_kept_apart() {
    let spec: TaskFaults = "inventory:after-commit:Wrong:1,*:before-commit:Never:0,payments:before-commit:First:1,*:before-commit:Second:1"
            .parse()
            .unwrap();
    let context = TaskContext {
        execution: "e",
        state: "Charge",
        retries: 0,
    };
    let before = spec.firing(1, FaultPoint::BeforeCommit, &context, "payments");
    assert_eq!(before.map(|f| f.error.as_str()), Some("First"));
    let other = spec.firing(1, FaultPoint::BeforeCommit, &context, "settle-order");
    assert_eq!(other.map(|f| f.error.as_str()), Some("Second"));
    assert_eq!(
        spec.firing(1, FaultPoint::AfterCommit, &context, "payments"),
        None
    );
    let after = spec.firing(1, FaultPoint::AfterCommit, &context, "inventory");
    assert_eq!(after.map(|f| f.error.as_str()), Some("Wrong"));
}

#[test]
fn a_task_fault_decision_depends_on_the_attempt() {
    let spec: TaskFaults = "*:after-commit:E:0.5".parse().unwrap();
    let draw = || -> Vec<bool> {
        (0..64)
            .map(|retries| {
                let context = TaskContext {
                    execution: "order-1",
                    state: "Charge",
                    retries,
                };
                spec.firing(9, FaultPoint::AfterCommit, &context, "payments")
                    .is_some()
            })
            .collect()
    };
    // Repeatable, and neither all nor none.
    let (decisions, again) = (draw(), draw());
    assert_eq!(decisions, again);
    assert!(decisions.contains(&true) && decisions.contains(&false));
}
