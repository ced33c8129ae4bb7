//! Change detection, table-driven: each case is a previous snapshot (and the day it was seen),
//! a current one, today, and exactly the events expected.

use billwatch::bill::{Bill, House, Snapshot, Stage};
use billwatch::changes::{self, EventKind};
use chrono::NaiveDate;

fn d(s: &str) -> NaiveDate {
    s.parse().expect("date")
}

fn bill(title: &str) -> Bill {
    Bill {
        id: 3929,
        title: title.to_owned(),
        long_title: None,
        former_title: None,
        current_house: Some(House::Commons),
        originating_house: Some(House::Commons),
        current_stage: None,
        is_act: false,
        withdrawn: None,
        defeated: false,
        last_update: None,
        sponsor: None,
    }
}

fn stage(id: u32, ty: u32, name: &str, house: House, order: i32, dates: &[&str]) -> Stage {
    Stage {
        id,
        stage_type: Some(ty),
        name: name.to_owned(),
        house,
        sittings: dates.iter().map(|s| d(s)).collect(),
        sort_order: order,
    }
}

use House::{Commons, Lords, Unassigned};

fn commons_1r() -> Stage {
    stage(1, 6, "1st reading", Commons, 1, &["2025-01-30"])
}
fn commons_2r(dates: &[&str]) -> Stage {
    stage(2, 7, "2nd reading", Commons, 2, dates)
}

/// `kind stage house date` per event.
fn describe(events: &[changes::Event]) -> Vec<String> {
    events
        .iter()
        .map(|e| {
            let stage = e.stage.as_ref();
            let mut s = format!(
                "{} {} | {} | {}",
                e.kind.as_str(),
                stage.map_or("-".to_owned(), |s| s.name.clone()),
                stage.map_or("-".to_owned(), |s| s.house.to_string()),
                e.date.map_or("-".to_owned(), |d| d.to_string()),
            );
            if let Some(r) = stage.and_then(|s| s.round) {
                s.push_str(&format!(" | round {r}"));
            }
            if let Some(p) = e.previous_date {
                s.push_str(&format!(" | was {p}"));
            }
            if let Some(t) = &e.previous_title {
                s.push_str(&format!(" | was {t:?} now {:?}", e.title));
            }
            s
        })
        .collect()
}

struct Case {
    name: &'static str,
    previous: Snapshot,
    seen_on: &'static str,
    current: Snapshot,
    today: &'static str,
    expect: &'static [&'static str],
}

fn snap(title: &str, stages: Vec<Stage>) -> Snapshot {
    Snapshot::new(bill(title), stages)
}

const BSB: &str = "Border Security, Asylum and Immigration Bill";

/// The end of a journey with `n` rounds of ping-pong.
fn ping_pong(n: usize) -> Vec<Stage> {
    let mut v = vec![
        stage(10, 10, "3rd reading", Commons, 10, &["2025-05-12"]),
        stage(15, 5, "3rd reading", Lords, 15, &["2025-11-17"]),
    ];
    let rounds = [
        (
            16,
            12,
            "Consideration of Lords amendments",
            Commons,
            "2025-11-25",
        ),
        (
            17,
            13,
            "Consideration of Commons amendments",
            Lords,
            "2025-11-27",
        ),
        (
            18,
            12,
            "Consideration of Lords amendments",
            Commons,
            "2025-12-01",
        ),
    ];
    for (id, ty, name, house, date) in rounds.into_iter().take(n) {
        v.push(stage(id, ty, name, house, id as i32, &[date]));
    }
    v
}

/// Every case: the groups below, in order.
fn cases() -> Vec<Case> {
    let mut all = Vec::new();
    all.extend(cases_1());
    all.extend(cases_2());
    all.extend(cases_3());
    all.extend(cases_4());
    all
}

fn cases_1() -> Vec<Case> {
    vec![
        Case {
            name: "unchanged input",
            previous: snap(BSB, vec![commons_1r(), commons_2r(&["2025-02-10"])]),
            seen_on: "2025-02-11",
            current: snap(BSB, vec![commons_1r(), commons_2r(&["2025-02-10"])]),
            today: "2025-02-12",
            expect: &[],
        },
        Case {
            name: "reordered stages and an ignored field",
            previous: snap(BSB, vec![commons_1r(), commons_2r(&["2025-02-10"])]),
            seen_on: "2025-02-11",
            current: {
                let mut s = snap(BSB, vec![commons_2r(&["2025-02-10"]), commons_1r()]);
                s.stages.reverse();
                s.bill.last_update = chrono::NaiveDateTime::parse_from_str(
                    "2025-02-11T10:00:00",
                    "%Y-%m-%dT%H:%M:%S",
                )
                .ok();
                s.bill.long_title = Some("A Bill to make provision about border security".into());
                s
            },
            today: "2025-02-12",
            expect: &[],
        },
        Case {
            name: "a stage renamed by Parliament keeps its id: no event",
            previous: snap(BSB, vec![commons_1r(), commons_2r(&["2025-02-10"])]),
            seen_on: "2025-02-11",
            current: snap(
                BSB,
                vec![
                    commons_1r(),
                    stage(2, 7, "Second reading", Commons, 2, &["2025-02-10"]),
                ],
            ),
            today: "2025-02-12",
            expect: &[],
        },
        Case {
            name: "a stage listed without a date is not news",
            previous: snap(BSB, vec![commons_1r()]),
            seen_on: "2025-01-31",
            current: snap(BSB, vec![commons_1r(), commons_2r(&[])]),
            today: "2025-02-01",
            expect: &[],
        },
        Case {
            name: "a future date: scheduled",
            previous: snap(BSB, vec![commons_1r(), commons_2r(&[])]),
            seen_on: "2025-02-01",
            current: snap(BSB, vec![commons_1r(), commons_2r(&["2025-02-10"])]),
            today: "2025-02-03",
            expect: &["stage_scheduled 2nd reading | Commons | 2025-02-10"],
        },
        Case {
            name: "the scheduled day comes with no change in the data: reached",
            previous: snap(BSB, vec![commons_1r(), commons_2r(&["2025-02-10"])]),
            seen_on: "2025-02-09",
            current: snap(BSB, vec![commons_1r(), commons_2r(&["2025-02-10"])]),
            today: "2025-02-10",
            expect: &["stage_reached 2nd reading | Commons | 2025-02-10"],
        },
    ]
}

fn cases_2() -> Vec<Case> {
    vec![
        Case {
            name: "a stage that appears already past: reached",
            previous: snap(BSB, vec![commons_1r()]),
            seen_on: "2025-02-01",
            current: snap(BSB, vec![commons_1r(), commons_2r(&["2025-02-10"])]),
            today: "2025-02-11",
            expect: &["stage_reached 2nd reading | Commons | 2025-02-10"],
        },
        Case {
            name: "a rescheduled date is its own event, not a new stage",
            previous: snap(BSB, vec![commons_1r(), commons_2r(&["2025-02-10"])]),
            seen_on: "2025-02-03",
            current: snap(BSB, vec![commons_1r(), commons_2r(&["2025-02-12"])]),
            today: "2025-02-04",
            expect: &["stage_rescheduled 2nd reading | Commons | 2025-02-12 | was 2025-02-10"],
        },
        Case {
            name: "a date withdrawn",
            previous: snap(BSB, vec![commons_1r(), commons_2r(&["2025-02-10"])]),
            seen_on: "2025-02-03",
            current: snap(BSB, vec![commons_1r(), commons_2r(&[])]),
            today: "2025-02-04",
            expect: &["stage_rescheduled 2nd reading | Commons | - | was 2025-02-10"],
        },
        Case {
            name: "moved earlier, to a day already past: reached",
            previous: snap(BSB, vec![commons_1r(), commons_2r(&["2025-02-12"])]),
            seen_on: "2025-02-03",
            current: snap(BSB, vec![commons_1r(), commons_2r(&["2025-02-10"])]),
            today: "2025-02-11",
            expect: &["stage_reached 2nd reading | Commons | 2025-02-10"],
        },
        Case {
            name: "another day of a stage that started",
            previous: snap(
                BSB,
                vec![stage(
                    3,
                    8,
                    "Committee stage",
                    Commons,
                    3,
                    &["2025-02-25", "2025-02-27"],
                )],
            ),
            seen_on: "2025-02-26",
            current: snap(
                BSB,
                vec![stage(
                    3,
                    8,
                    "Committee stage",
                    Commons,
                    3,
                    &["2025-02-25", "2025-02-27", "2025-03-04"],
                )],
            ),
            today: "2025-02-28",
            expect: &["sitting_added Committee stage | Commons | 2025-03-04"],
        },
    ]
}

fn cases_3() -> Vec<Case> {
    vec![
        Case {
            name: "ping-pong: each round is a stage of its own, numbered",
            previous: snap(BSB, ping_pong(1)),
            seen_on: "2025-11-26",
            current: snap(BSB, ping_pong(3)),
            today: "2025-12-02",
            expect: &[
                "stage_reached Consideration of Commons amendments | Lords | 2025-11-27 | round 1",
                "stage_reached Consideration of Lords amendments | Commons | 2025-12-01 | round 2",
            ],
        },
        Case {
            name: "an [HL] bill starts in the Lords",
            previous: snap(
                "Property (Digital Assets etc) Bill [HL]",
                vec![stage(50, 1, "1st reading", Lords, 1, &["2024-09-11"])],
            ),
            seen_on: "2024-09-12",
            current: snap(
                "Property (Digital Assets etc) Bill [HL]",
                vec![
                    stage(50, 1, "1st reading", Lords, 1, &["2024-09-11"]),
                    stage(51, 2, "2nd reading", Lords, 2, &["2024-10-08"]),
                    stage(52, 3, "Committee stage", Lords, 3, &["2024-10-30"]),
                ],
            ),
            today: "2024-10-09",
            expect: &[
                "stage_reached 2nd reading | Lords | 2024-10-08",
                "stage_scheduled Committee stage | Lords | 2024-10-30",
            ],
        },
        Case {
            name: "Royal Assent with the new title: one event, not a rename too",
            previous: snap(BSB, ping_pong(3)),
            seen_on: "2025-12-01",
            current: {
                let mut stages = ping_pong(3);
                stages.push(stage(
                    19,
                    11,
                    "Royal Assent",
                    Unassigned,
                    19,
                    &["2025-12-02"],
                ));
                let mut s = snap("Border Security, Asylum and Immigration Act 2025", stages);
                s.bill.is_act = true;
                s
            },
            today: "2025-12-02",
            expect: &[
                "royal_assent Royal Assent | Unassigned | 2025-12-02 | was \"Border Security, Asylum and Immigration Bill\" now \"Border Security, Asylum and Immigration Act 2025\"",
            ],
        },
    ]
}

fn cases_4() -> Vec<Case> {
    vec![
        Case {
            name: "Royal Assent stage listed before the bill record says Act: told once",
            previous: {
                let mut stages = ping_pong(3);
                stages.push(stage(
                    19,
                    11,
                    "Royal Assent",
                    Unassigned,
                    19,
                    &["2025-12-02"],
                ));
                snap(BSB, stages)
            },
            seen_on: "2025-12-02",
            current: {
                let mut stages = ping_pong(3);
                stages.push(stage(
                    19,
                    11,
                    "Royal Assent",
                    Unassigned,
                    19,
                    &["2025-12-02"],
                ));
                let mut s = snap("Border Security, Asylum and Immigration Act 2025", stages);
                s.bill.is_act = true;
                s
            },
            today: "2025-12-03",
            expect: &[
                "renamed - | - | - | was \"Border Security, Asylum and Immigration Bill\" now \"Border Security, Asylum and Immigration Act 2025\"",
            ],
        },
        Case {
            name: "renamed",
            previous: snap("Immigration Bill", vec![commons_1r()]),
            seen_on: "2025-02-01",
            current: snap(BSB, vec![commons_1r()]),
            today: "2025-02-02",
            expect: &[
                "renamed - | - | - | was \"Immigration Bill\" now \"Border Security, Asylum and Immigration Bill\"",
            ],
        },
        Case {
            name: "withdrawn and defeated",
            previous: snap(BSB, vec![commons_1r()]),
            seen_on: "2025-02-01",
            current: {
                let mut s = snap(BSB, vec![commons_1r()]);
                s.bill.withdrawn = Some(d("2025-02-05"));
                s.bill.defeated = true;
                s
            },
            today: "2025-02-06",
            expect: &["withdrawn - | - | 2025-02-05", "defeated - | - | -"],
        },
        Case {
            name: "a stage that disappears is not news",
            previous: snap(BSB, vec![commons_1r(), commons_2r(&["2025-02-10"])]),
            seen_on: "2025-02-03",
            current: snap(BSB, vec![commons_1r()]),
            today: "2025-02-04",
            expect: &[],
        },
    ]
}

#[test]
fn detect_table() {
    let mut failures = Vec::new();
    for case in cases() {
        let events = changes::detect(
            &case.previous,
            d(case.seen_on),
            &case.current,
            d(case.today),
        );
        let got = describe(&events);
        if got != case.expect {
            failures.push(format!(
                "{}:\n  expected {:?}\n  got      {:?}",
                case.name, case.expect, got
            ));
        }
        // Detection is idempotent: the same data seen again the same day says nothing.
        let again = changes::detect(&case.current, d(case.today), &case.current, d(case.today));
        if !again.is_empty() {
            failures.push(format!(
                "{}: not idempotent: {:?}",
                case.name,
                describe(&again)
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn tracking_started_names_the_latest_stage() {
    let s = snap(
        BSB,
        vec![
            commons_1r(),
            commons_2r(&["2025-02-10"]),
            stage(3, 8, "Committee stage", Commons, 3, &["2025-02-25"]),
        ],
    );
    let event = changes::tracking_started(&s, d("2025-02-12"));
    assert_eq!(event.kind, EventKind::TrackingStarted);
    assert_eq!(
        describe(&[event]),
        ["tracking_started 2nd reading | Commons | 2025-02-10"]
    );
}

/// Royal Assent found in the same check as the last rounds of ping-pong: the rounds were taken
/// by the bill and are titled as it was called then; only Royal Assent carries the Act's name
/// (before, every alert of the check was titled "... Act 2025").
#[test]
fn stages_before_royal_assent_keep_the_bill_s_title() {
    let previous = snap(BSB, ping_pong(1));
    let mut stages = ping_pong(3);
    stages.push(stage(
        19,
        11,
        "Royal Assent",
        Unassigned,
        19,
        &["2025-12-02"],
    ));
    let mut current = snap("Border Security, Asylum and Immigration Act 2025", stages);
    current.bill.is_act = true;
    let events = changes::detect(&previous, d("2025-11-26"), &current, d("2025-12-02"));
    let titled: Vec<(&str, &str)> = events
        .iter()
        .map(|e| (e.kind.as_str(), e.title.as_str()))
        .collect();
    assert_eq!(
        titled,
        [
            ("stage_reached", BSB),
            ("stage_reached", BSB),
            (
                "royal_assent",
                "Border Security, Asylum and Immigration Act 2025"
            ),
        ]
    );
}
