//! Snapshot tests of the text people read, for every event kind, in both forms (console text
//! and Telegram HTML). Review a changed snapshot as you would a changed message.

use billwatch::bill::House;
use billwatch::changes::{Event, EventKind, NextStep, StageRef};
use billwatch::message::{digests, escape_html, render_html, render_text, telegram_len};
use chrono::NaiveDate;

const URL: &str = "https://bills.parliament.uk/bills/3929/stages";

fn d(s: &str) -> NaiveDate {
    s.parse().expect("date")
}

fn today() -> NaiveDate {
    d("2025-11-20")
}

fn event(kind: EventKind, stage: Option<(&str, House, Option<u32>)>, date: Option<&str>) -> Event {
    Event {
        bill_id: 3929,
        kind,
        title: "Border Security, Asylum and Immigration Bill".to_owned(),
        stage: stage.map(|(name, house, round)| StageRef {
            id: 19040,
            stage_type: None,
            name: name.to_owned(),
            house,
            round,
        }),
        date: date.map(d),
        previous_date: None,
        previous_title: None,
        next: None,
        first_of_its_kind: false,
        document: None,
        votes: Vec::new(),
        long_title: None,
        sponsor: None,
    }
}

fn both(e: &Event) -> String {
    format!(
        "--- text\n{}\n--- html\n{}\n",
        render_text(e, URL, today()),
        render_html(e, URL, today())
    )
}

#[test]
fn tracking_started() {
    let e = event(
        EventKind::TrackingStarted,
        Some(("3rd reading", House::Lords, None)),
        Some("2025-11-17"),
    );
    insta::assert_snapshot!(both(&e));
}

#[test]
fn stage_scheduled_is_provisional() {
    let e = event(
        EventKind::StageScheduled,
        Some(("Consideration of Lords amendments", House::Commons, Some(1))),
        Some("2025-11-25"),
    );
    insta::assert_snapshot!(both(&e));
}

#[test]
fn stage_rescheduled() {
    let mut e = event(
        EventKind::StageRescheduled,
        Some(("3rd reading", House::Lords, None)),
        Some("2025-11-24"),
    );
    e.previous_date = Some(d("2025-11-21"));
    let mut withdrawn = e.clone();
    withdrawn.date = None;
    insta::assert_snapshot!(format!("{}{}", both(&e), both(&withdrawn)));
}

#[test]
fn stage_reached_past_and_today() {
    let mut past = event(
        EventKind::StageReached,
        Some(("2nd reading", House::Lords, None)),
        Some("2025-06-04"),
    );
    past.next = Some(NextStep {
        name: "Committee stage".into(),
        house: Some(House::Lords),
        date: None,
    });
    let today = event(
        EventKind::StageReached,
        Some(("3rd reading", House::Lords, None)),
        Some("2025-11-20"),
    );
    insta::assert_snapshot!(format!("{}{}", both(&past), both(&today)));
}

#[test]
fn ping_pong_round() {
    let mut e = event(
        EventKind::StageReached,
        Some(("Consideration of Lords amendments", House::Commons, Some(2))),
        Some("2025-11-19"),
    );
    e.next = Some(NextStep {
        name: "the other House's reply, or Royal Assent once both agree".into(),
        house: None,
        date: None,
    });
    insta::assert_snapshot!(both(&e));
}

/// The first committee stage of a bill: what it means, and what comes next (scheduled); the
/// first round of ping-pong; a 3rd reading sending the bill to the other House.
#[test]
fn first_of_its_kind_with_what_comes_next() {
    let mut e = event(
        EventKind::StageReached,
        Some(("Committee stage", House::Lords, None)),
        Some("2025-06-16"),
    );
    e.first_of_its_kind = true;
    e.next = Some(NextStep {
        name: "Report stage".into(),
        house: Some(House::Lords),
        date: Some(d("2025-11-24")),
    });
    let mut ping_pong = event(
        EventKind::StageScheduled,
        Some(("Consideration of Lords amendments", House::Commons, Some(1))),
        Some("2025-11-25"),
    );
    ping_pong.first_of_its_kind = true;
    let mut third = event(
        EventKind::StageReached,
        Some(("3rd reading", House::Commons, None)),
        Some("2025-05-12"),
    );
    third.first_of_its_kind = true;
    third.next = Some(NextStep {
        name: "1st reading".into(),
        house: Some(House::Lords),
        date: None,
    });
    insta::assert_snapshot!(format!("{}{}{}", both(&e), both(&ping_pong), both(&third)));
}

#[test]
fn sitting_added() {
    let e = event(
        EventKind::SittingAdded,
        Some(("Report stage", House::Lords, None)),
        Some("2025-11-27"),
    );
    insta::assert_snapshot!(both(&e));
}

#[test]
fn royal_assent_with_the_acts_name() {
    let mut e = event(
        EventKind::RoyalAssent,
        Some(("Royal Assent", House::Unassigned, None)),
        Some("2025-12-02"),
    );
    e.title = "Border Security, Asylum and Immigration Act 2025".to_owned();
    e.previous_title = Some("Border Security, Asylum and Immigration Bill".to_owned());
    insta::assert_snapshot!(both(&e));
}

#[test]
fn withdrawn_defeated_renamed() {
    let w = event(EventKind::Withdrawn, None, Some("2025-03-01"));
    let f = event(EventKind::Defeated, None, None);
    let mut r = event(EventKind::Renamed, None, None);
    r.previous_title = Some("Immigration Bill".to_owned());
    insta::assert_snapshot!(format!("{}{}{}", both(&w), both(&f), both(&r)));
}

#[test]
fn scraped_text_is_escaped_in_html() {
    let mut e = event(
        EventKind::StageReached,
        Some(("Report <stage> & \"more\"", House::Commons, None)),
        Some("2025-11-19"),
    );
    e.title = "Children’s Wellbeing & Schools <Bill> \"2025\"".to_owned();
    let html = render_html(&e, "https://bills.parliament.uk/bills/1?a=1&b=2", today());
    assert!(
        html.contains("<b>Children’s Wellbeing &amp; Schools &lt;Bill&gt; &quot;2025&quot;</b>"),
        "{html}"
    );
    assert!(
        html.contains("Report &lt;stage&gt; &amp; &quot;more&quot;"),
        "{html}"
    );
    assert!(
        html.contains("href=\"https://bills.parliament.uk/bills/1?a=1&amp;b=2\""),
        "{html}"
    );
    assert_eq!(escape_html("a<b>&\"c\"’"), "a&lt;b&gt;&amp;&quot;c&quot;’");
}

#[test]
fn digests_split_at_message_boundaries_under_the_limit() {
    let e = event(
        EventKind::SittingAdded,
        Some(("Committee stage", House::Lords, None)),
        Some("2025-06-25"),
    );
    let one = render_html(&e, URL, today());
    let messages: Vec<String> = (0..200).map(|_| one.clone()).collect();
    let parts = digests(&messages, 4096);
    assert!(parts.len() > 1);
    let mut covered = 0;
    for (text, range) in &parts {
        assert!(telegram_len(text) <= 4096, "{} chars", telegram_len(text));
        assert_eq!(range.start, covered, "contiguous");
        covered = range.end;
        // Every message in the range is whole in the digest.
        assert_eq!(text.matches(one.as_str()).count(), range.len());
    }
    assert_eq!(covered, 200);
}

/// The live status card of the Border Security bill at two points of its journey.
#[test]
fn status_cards() {
    let bill = |day: &str| {
        let api: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/api/bill-3929-stages.json"
            ))
            .expect("fixture"),
        )
        .expect("json");
        let record = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/api/bill-3929.json"
        ))
        .expect("fixture");
        let mut b = billwatch::source::api::parse_bill(&record).expect("bill");
        let stages = billwatch::source::api::parse_stages(api.to_string().as_bytes())
            .expect("stages")
            .stages;
        let day = d(day);
        let visible: Vec<_> = stages
            .into_iter()
            .filter(|s| {
                s.first_sitting()
                    .is_some_and(|f| f <= day + chrono::Duration::days(7))
            })
            .collect();
        if day < d("2025-12-02") {
            b.is_act = false;
            b.title = "Border Security, Asylum and Immigration Bill".into();
        }
        (billwatch::bill::Snapshot::new(b, visible), day)
    };
    let (ping_pong, day) = bill("2025-11-26");
    let (act, act_day) = bill("2025-12-03");
    // Alerts and the card count rounds alike: the Commons considering Lords amendments and the
    // Lords' answer are round 1, the Commons again round 2 (the card once said 3).
    let phrases: Vec<String> = act
        .stages
        .iter()
        .filter(|s| s.is_ping_pong())
        .map(|s| billwatch::message::stage_phrase(&billwatch::changes::StageRef::of(&act, s)))
        .collect();
    assert_eq!(
        phrases,
        [
            "Lords amendments considered by the Commons, round 1",
            "Commons amendments considered by the Lords, round 1",
            "Lords amendments considered by the Commons, round 2",
        ]
    );
    assert_eq!(act.ping_pong_rounds(act_day), 2);
    insta::assert_snapshot!(format!(
        "{}\n\n{}",
        billwatch::message::card_html(&ping_pong, None, URL, day),
        billwatch::message::card_html(&act, Some(&ping_pong_vote()), URL, act_day)
    ));
}

/// `bill_introduced` says who brought the bill in, as the bill record's first sponsor names
/// them: a member and their party, a department, or both; nothing when it names no one.
#[test]
fn bill_introduced_names_its_sponsor() {
    use billwatch::bill::Sponsor;
    let mut e = event(
        EventKind::BillIntroduced,
        Some(("1st reading", House::Commons, None)),
        Some("2025-11-19"),
    );
    e.title = "Armed Forces Bill".to_owned();
    e.long_title = Some("A Bill to continue the Armed Forces Act 2006.".to_owned());
    let sponsor = |member: Option<&str>, party: Option<&str>, organisation: Option<&str>| Sponsor {
        member: member.map(str::to_owned),
        party: party.map(str::to_owned),
        organisation: organisation.map(str::to_owned),
    };
    let head = "Armed Forces Bill\nNew bill: introduced in the House of Commons (1st reading) \
                on 19 November 2025.\nA Bill to continue the Armed Forces Act 2006.\n";
    let link = format!("Stages of this bill: {URL}");
    for (given, said) in [
        (
            Some(sponsor(
                Some("John Healey"),
                Some("Labour"),
                Some("Ministry of Defence"),
            )),
            "Sponsor: John Healey (Labour), Ministry of Defence.\n",
        ),
        (
            Some(sponsor(
                Some("Kevin Hollinrake"),
                Some("Conservative"),
                None,
            )),
            "Sponsor: Kevin Hollinrake (Conservative).\n",
        ),
        (
            Some(sponsor(None, None, Some("Ministry of Defence"))),
            "Sponsor: Ministry of Defence.\n",
        ),
        (Some(sponsor(None, Some("Labour"), None)), ""),
        (None, ""),
    ] {
        e.sponsor = given;
        assert_eq!(render_text(&e, URL, today()), format!("{head}{said}{link}"));
    }
    e.sponsor = Some(sponsor(Some("Lord O'Neill & <Co>"), None, None));
    assert!(
        render_html(&e, URL, today()).contains("Sponsor: Lord O'Neill &amp; &lt;Co&gt;."),
        "{}",
        render_html(&e, URL, today())
    );
}

/// The Commons insisting on its position at the second round of ping-pong: the card's latest
/// vote.
fn ping_pong_vote() -> billwatch::division::Vote {
    use billwatch::division::{Counts, Division, Question, Vote};
    Vote {
        division: Division {
            id: 2150,
            house: House::Commons,
            date: d("2025-12-01"),
            time: chrono::NaiveTime::from_hms_opt(19, 5, 0),
            title: "Border Security, Asylum and Immigration Bill: motion to disagree with Lords \
                    Amendment 2"
                .into(),
            number: Some(402),
            deferred: false,
            counts: Counts {
                ayes: 320,
                noes: 180,
            },
            government_won: None,
            notes: None,
        },
        stage: 19046,
        sitting: d("2025-12-01"),
        question: Question::MotionToDisagree {
            label: "Lords Amendment 2".into(),
        },
    }
}
