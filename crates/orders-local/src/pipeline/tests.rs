use super::*;

#[test]
fn the_banner_line_is_there_only_when_faults_are_on() {
    assert_eq!(Faults::default().banner(), None);
    let off = Faults {
        seed: 7,
        ..Faults::default()
    };
    assert_eq!(off.banner(), None);
    let on = Faults {
        saga:
            "payments:after-commit:Sandbox.Timedout:0.2,inventory:before-commit:Lambda.Unknown:0.1"
                .parse()
                .unwrap(),
        duplicates: 0.5,
        redeliver: 0.3,
        seed: 7,
    };
    assert_eq!(
            on.banner().unwrap(),
            "Faults ON: saga faults payments:after-commit:Sandbox.Timedout:0.2,inventory:before-commit:Lambda.Unknown:0.1; duplicates 0.5; redeliver 0.3; seed 7"
        );
    let redeliver_only = Faults {
        redeliver: 1.0,
        ..Faults::default()
    };
    assert_eq!(
        redeliver_only.banner().unwrap(),
        "Faults ON: saga faults none; duplicates 0; redeliver 1; seed 0"
    );
}

#[test]
fn redelivery_is_decided_by_seed_and_event_id() {
    assert!(Faults::default().redelivery().is_none());
    let faults = |seed| Faults {
        redeliver: 0.5,
        seed,
        ..Faults::default()
    };
    let picks = |seed| {
        let r = faults(seed).redelivery().unwrap();
        (0..200)
            .map(|i| r.applies_to(&format!("event-{i}")))
            .collect::<Vec<_>>()
    };
    assert_eq!(picks(3), picks(3));
    assert_ne!(picks(3), picks(4));
    let all = Faults {
        redeliver: 1.0,
        ..Faults::default()
    };
    assert!(all.redelivery().unwrap().applies_to("any"));
}
