//! Parsing what Parliament really sent, from ../shared/fixtures/uk-parliament/ (or
//! `$BILLWATCH_SHARED/fixtures/uk-parliament`). A clone of billwatch alone does not have that
//! folder: there these tests show as ignored, with the reason, not as passed. They run when the
//! folder is there, and always when `CI` is set, where a missing folder fails them (`build.rs`
//! decides, and sets the cfg `shared_fixtures`).

use std::path::Path;

use billwatch::bill::Sponsor;
use billwatch::bill::{Bill, House, Snapshot, Stage};
use billwatch::division::{Division, Match, Question, match_division, question_for};
use billwatch::source::api::{parse_bill, parse_stages};
use billwatch::source::pages::{parse_stage_detail, parse_stage_list};
use billwatch::source::votes::{
    parse_commons_division, parse_commons_search, parse_lords_division, parse_lords_search,
};
use billwatch::stage::StageKind;
use chrono::{NaiveDate, NaiveTime};

/// The real response `name`; a missing folder or file fails the test, saying what to do.
fn shared(name: &str) -> Vec<u8> {
    let dir = Path::new(env!("BILLWATCH_SHARED_FIXTURES"));
    let path = dir.join(name);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}. These tests need the real Parliament responses in {} (CI has \
             them, and requires them when CI is set): put the shared folder beside the project \
             or set BILLWATCH_SHARED to it",
            path.display(),
            dir.display()
        )
    })
}

#[test]
#[cfg_attr(
    not(shared_fixtures),
    ignore = "needs ../shared/fixtures/uk-parliament (CI has them)"
)]
fn real_bill_record_parses_and_ignores_unknown_keys() {
    let body = shared("api-bill-2818.json");
    let bill = parse_bill(&body).expect("bill 2818 parses");
    assert_eq!(bill.id, 2818);
    assert_eq!(bill.title, "Abolition of Business Rates Bill");
    assert_eq!(
        bill.long_title.as_deref(),
        Some("A Bill to abolish business rates; and for connected purposes.")
    );
    assert_eq!(bill.current_house, Some(House::Commons));
    let current = bill.current_stage.expect("current stage");
    assert_eq!(
        (current.id, current.name.as_str(), current.house),
        (12655, "2nd reading", House::Commons)
    );
    assert!(!bill.is_act && !bill.defeated && bill.withdrawn.is_none());
    assert_eq!(bill.former_title, None, "formerShortTitle is null");
    let expected = NaiveDate::from_ymd_opt(2021, 5, 4)
        .and_then(|d| d.and_hms_nano_opt(10, 42, 8, 57_985_100))
        .expect("time");
    assert_eq!(
        bill.last_update,
        Some(expected),
        "all 7 fractional digits kept"
    );
    let sponsor = |member: &str, party: &str, organisation: Option<&str>| Sponsor {
        member: Some(member.to_owned()),
        party: Some(party.to_owned()),
        organisation: organisation.map(str::to_owned),
    };
    // A private member's bill: a member, no department.
    assert_eq!(
        bill.sponsor,
        Some(sponsor("Kevin Hollinrake", "Conservative", None))
    );
    // A government bill with two sponsors: the first, with the department.
    let armed_forces = parse_bill(&shared("api-bill-4065.json")).expect("bill 4065 parses");
    assert_eq!(
        armed_forces.sponsor,
        Some(sponsor(
            "John Healey",
            "Labour",
            Some("Ministry of Defence")
        ))
    );
}

#[test]
#[cfg_attr(
    not(shared_fixtures),
    ignore = "needs ../shared/fixtures/uk-parliament (CI has them)"
)]
fn real_stage_list_parses_with_an_unscheduled_stage() {
    let body = shared("api-bill-2818-stages.json");
    let page = parse_stages(&body).expect("stages parse");
    assert_eq!(page.total, 2);
    let [first, second] = page.stages.as_slice() else {
        panic!("two stages: {page:?}")
    };
    assert_eq!(
        (first.id, first.stage_type, first.name.as_str(), first.house),
        (12654, Some(6), "1st reading", House::Commons)
    );
    assert_eq!(
        first.sittings,
        [NaiveDate::from_ymd_opt(2021, 1, 12).expect("date")]
    );
    assert_eq!(first.sort_order, 1);
    assert_eq!((second.id, second.name.as_str()), (12655, "2nd reading"));
    assert!(
        second.sittings.is_empty(),
        "2nd reading is listed but not yet scheduled"
    );
}

#[test]
#[cfg_attr(
    not(shared_fixtures),
    ignore = "needs ../shared/fixtures/uk-parliament (CI has them)"
)]
fn real_bill_summary_list_has_the_fields_the_listing_needs() {
    let body = shared("api-bills-list.json");
    let v: serde_json::Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(v["itemsPerPage"], 20);
    let first = &v["items"][0];
    // A summary carries the same bill fields as the detail record.
    let bill = parse_bill(first.to_string().as_bytes()).expect("summary parses as a bill");
    assert_eq!(bill.id, 2818);
}

/// Every stage on the six real stages-list pages (their text: per stage an optional badge, the
/// name, the date, the House) is a kind billwatch knows, and the tricky wordings get the kind a
/// subscriber expects.
#[test]
#[cfg_attr(
    not(shared_fixtures),
    ignore = "needs ../shared/fixtures/uk-parliament (CI has them)"
)]
fn every_stage_on_the_real_list_pages_is_a_known_kind() {
    let mut seen = Vec::new();
    for bill in [2835, 2872, 3020, 3193, 3268, 3533] {
        let text = shared(&format!("list-page-text/bill-{bill}-stages.txt"));
        let text = String::from_utf8(text).expect("text");
        let lines: Vec<&str> = text.lines().map(str::trim).collect();
        for w in lines.windows(3) {
            let (Some(_), Ok(house)) = (
                billwatch::source::pages::parse_page_date(w[1]),
                w[2].parse::<House>(),
            ) else {
                continue;
            };
            let kind = StageKind::of(None, w[0], house);
            assert_ne!(
                kind,
                StageKind::Unknown,
                "bill {bill}: {:?} ({house})",
                w[0]
            );
            seen.push((w[0].to_owned(), house, kind));
        }
    }
    let kind_of = |name: &str| {
        seen.iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, h, k)| (*h, *k))
            .unwrap_or_else(|| panic!("{name} is on no real page"))
    };
    assert_eq!(
        kind_of("Royal Assent"),
        (House::Unassigned, StageKind::RoyalAssent)
    );
    assert_eq!(
        kind_of("Committee of the whole House").1,
        StageKind::Committee
    );
    assert_eq!(kind_of("Committee negatived").1, StageKind::Procedural);
    assert_eq!(
        kind_of("Order of Commitment discharged").1,
        StageKind::Procedural
    );
    assert_eq!(kind_of("Instruction").1, StageKind::Procedural);
    assert_eq!(kind_of("Programme motion").1, StageKind::Procedural);
    assert_eq!(
        kind_of("Consideration of Lords amendments"),
        (House::Commons, StageKind::PingPong)
    );
    assert_eq!(
        kind_of("Consideration of Commons amendments"),
        (House::Lords, StageKind::PingPong)
    );
    assert!(seen.len() >= 40, "only {} stages read", seen.len());
}

/// The table of stage types agrees with Parliament's own list (`GET /api/v1/Stages`, page 1):
/// every id there is in the table, under the same name and House.
#[test]
#[cfg_attr(
    not(shared_fixtures),
    ignore = "needs ../shared/fixtures/uk-parliament (CI has them)"
)]
fn the_stage_type_table_matches_parliaments_list() {
    let body = shared("api-stages-page1.json");
    let list: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
    let items = list["items"].as_array().expect("items");
    assert_eq!(items.len(), 20);
    for item in items {
        let id = item["id"].as_u64().expect("id") as u32;
        let name = item["name"].as_str().expect("name");
        let house: House = item["house"]
            .as_str()
            .expect("house")
            .parse()
            .expect("house");
        let row = billwatch::stage::stage_type(Some(id), name, house).expect("known");
        assert_eq!(row.id, Some(id), "{name}");
        assert_eq!(row.wording.text(), name, "type {id}");
        assert_eq!(row.house, Some(house), "type {id}");
    }
}

/// The real stage-detail page (Agriculture Bill, Royal Assent), byte order mark and all.
#[test]
#[cfg_attr(
    not(shared_fixtures),
    ignore = "needs ../shared/fixtures/uk-parliament (CI has them)"
)]
fn real_stage_detail_page_parses() {
    let bytes = shared("page-bill-2551-stage-12546-royal-assent.html");
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBF"),
        "the real page starts with a BOM"
    );
    let html = String::from_utf8(bytes).expect("utf-8");
    let detail = parse_stage_detail(&html).expect("parses");
    assert_eq!(detail.title.as_deref(), Some("Agriculture Bill"));
    assert_eq!(detail.name.as_deref(), Some("Royal Assent"));
    assert_eq!(
        detail.sittings,
        [NaiveDate::from_ymd_opt(2020, 11, 11).expect("date")]
    );
    // It is a detail page, not a list: read as a list, it is refused, not "no stages".
    let err = parse_stage_list(&html, 2551).expect_err("not a list page");
    assert!(err.to_string().contains("shows no House"), "{err}");
}

/// The real Commons search (25 divisions, October-November 2024) parses, with exact values.
#[test]
#[cfg_attr(
    not(shared_fixtures),
    ignore = "needs ../shared/fixtures/uk-parliament (CI has them)"
)]
fn real_commons_divisions_parse() {
    let list =
        parse_commons_search(&shared("votes-commons-divisions-search.json")).expect("parses");
    let ids: Vec<u32> = list.iter().map(|d| d.id).collect();
    assert_eq!(ids, (1849..=1873).rev().collect::<Vec<_>>());
    assert!(
        list.iter()
            .all(|d| d.house == House::Commons && d.government_won.is_none() && d.notes.is_none())
    );
    let by_id = |id| list.iter().find(|d| d.id == id).expect("listed");

    let second = by_id(1873);
    assert_eq!(
        second.title,
        "Non-Domestic Rating (Multipliers and Private Schools) Bill: Second Reading"
    );
    assert_eq!(
        (second.date, second.time, second.number, second.deferred),
        (
            day(2024, 11, 25),
            NaiveTime::from_hms_opt(21, 50, 0),
            Some(47),
            false
        )
    );
    assert_eq!((second.counts.ayes, second.counts.noes), (336, 175));
    assert_eq!(second.carried(), Some(true));
    assert_eq!(
        second.url(),
        "https://votes.parliament.uk/Votes/Commons/Division/1873"
    );

    let reasoned = by_id(1872);
    assert_eq!((reasoned.counts.ayes, reasoned.counts.noes), (173, 335));
    assert_eq!(reasoned.carried(), Some(false));

    let deferred = by_id(1869);
    assert!(deferred.deferred, "IsDeferred");
    assert_eq!((deferred.date, deferred.time), (day(2024, 11, 13), None));
    assert_eq!((deferred.counts.ayes, deferred.counts.noes), (412, 16));

    let erb = by_id(1849);
    assert_eq!(erb.title, "Employment Rights Bill: Second Reading");
    assert_eq!(
        (
            erb.date,
            erb.time,
            erb.number,
            erb.counts.ayes,
            erb.counts.noes
        ),
        (
            day(2024, 10, 21),
            NaiveTime::from_hms_opt(22, 16, 0),
            Some(23),
            386,
            105
        )
    );
    // Parliament's double space and trailing space are gone.
    assert_eq!(
        by_id(1863).title,
        "Budget Resolution No. 44: Rates of alcohol duty"
    );
    assert!(!by_id(1861).title.ends_with(' '));
}

/// One division in full (every member's vote) reads as the same division the search listed.
#[test]
#[cfg_attr(
    not(shared_fixtures),
    ignore = "needs ../shared/fixtures/uk-parliament (CI has them)"
)]
fn real_commons_division_parses_as_the_search_lists_it() {
    let one = parse_commons_division(&shared("votes-commons-division-1873.json")).expect("parses");
    let list =
        parse_commons_search(&shared("votes-commons-divisions-search.json")).expect("parses");
    assert_eq!(one.id, 1873);
    assert_eq!(Some(&one), list.iter().find(|d| d.id == 1873));
}

/// The real Lords search: camelCase, the authoritative counts, the HTML note as plain text.
#[test]
#[cfg_attr(
    not(shared_fixtures),
    ignore = "needs ../shared/fixtures/uk-parliament (CI has them)"
)]
fn real_lords_divisions_parse_with_plain_notes() {
    let body = shared("votes-lords-divisions-search.json");
    let list = parse_lords_search(&body).expect("parses");
    let [d] = list.as_slice() else {
        panic!("one division: {list:?}")
    };
    assert_eq!(
        (d.id, d.house, d.date, d.time, d.number, d.deferred),
        (3172, House::Lords, day(2024, 11, 20), None, Some(5), false)
    );
    assert_eq!(d.title, "Water (Special Measures) Bill [HL]");
    assert_eq!((d.counts.ayes, d.counts.noes), (36, 89));
    assert_eq!(d.lobbies(), ("Contents", "Not-contents"));
    assert_eq!(d.government_won, None, "isGovernmentWin is null here");
    assert_eq!(
        d.notes.as_deref(),
        Some("Lord Roborough moved amendment 51, to leave out clause 10. The House divided:")
    );
    assert_eq!(
        d.url(),
        "https://votes.parliament.uk/Votes/Lords/Division/3172"
    );
    // `GET /data/Divisions/{id}` sends one division in the same shape.
    let v: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
    let one = parse_lords_division(v[0].to_string().as_bytes()).expect("one parses");
    assert_eq!(&one, d);
    // The bill's name, "[HL]" and all, is the Water (Special Measures) Bill's; the note says
    // which amendment.
    let bill = tracked(
        "Water (Special Measures) Bill",
        &[(40, 4, "Report stage", House::Lords, day(2024, 11, 20))],
    );
    let m = belongs(d, &bill).expect("the bill's");
    assert_eq!(
        (m.stage, m.question),
        (
            40,
            Question::Amendment {
                label: "Amendment 51".into()
            }
        )
    );
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

/// A tracked bill titled `title` whose stages (bill-stage id, stage type, name, House, one
/// sitting day) are as given. The sitting days are the real ones; the ids are made up (the
/// Votes APIs do not carry them).
fn tracked(title: &str, stages: &[(u32, u32, &str, House, NaiveDate)]) -> Snapshot {
    let bill = Bill {
        id: stages.first().map_or(1, |s| s.0),
        title: title.to_owned(),
        long_title: None,
        former_title: None,
        current_house: None,
        originating_house: None,
        current_stage: None,
        is_act: false,
        withdrawn: None,
        defeated: false,
        last_update: None,
        sponsor: None,
    };
    let stages = stages
        .iter()
        .map(|&(id, stage_type, name, house, sitting)| Stage {
            id,
            stage_type: Some(stage_type),
            name: name.to_owned(),
            house,
            sittings: vec![sitting],
            sort_order: i32::try_from(id).expect("small"),
        })
        .collect();
    Snapshot::new(bill, stages)
}

/// The bill (by title), bill-stage and question a division is attached to.
type Attached<'a> = (&'a str, u32, Question);

fn belongs(division: &Division, bill: &Snapshot) -> Option<Match> {
    match_division(division, &[bill.bill.title.as_str()], &bill.stages)
}

/// The bills of the real Commons list, as tracked bills with their real sitting days, and
/// decoys: bills whose titles contain "Employment Rights Bill"'s words, and a Finance Bill
/// sitting on Budget day and before the deferred division.
fn bills_of_the_real_list() -> Vec<Snapshot> {
    use House::Commons;
    vec![
        tracked(
            "Employment Rights Bill",
            &[
                (10, 7, "2nd reading", Commons, day(2024, 10, 21)),
                (11, 14, "Programme motion", Commons, day(2024, 10, 21)),
            ],
        ),
        tracked(
            "Employment Rights Bill (Amendment) Bill",
            &[(20, 7, "2nd reading", Commons, day(2024, 10, 21))],
        ),
        tracked(
            "Employment Rights (No. 2) Bill",
            &[(30, 7, "2nd reading", Commons, day(2024, 10, 21))],
        ),
        tracked(
            "Great British Energy Bill",
            &[
                (40, 9, "Report stage", Commons, day(2024, 10, 29)),
                (41, 10, "3rd reading", Commons, day(2024, 10, 29)),
            ],
        ),
        tracked(
            "Finance Bill",
            &[
                (
                    50,
                    36,
                    "Ways and Means resolution",
                    Commons,
                    day(2024, 11, 6),
                ),
                (51, 7, "2nd reading", Commons, day(2024, 11, 6)),
                (52, 8, "Committee stage", Commons, day(2024, 11, 12)),
            ],
        ),
        tracked(
            "House of Lords (Hereditary Peers) Bill",
            &[
                (
                    60,
                    49,
                    "Committee of the whole House",
                    Commons,
                    day(2024, 11, 12),
                ),
                (61, 10, "3rd reading", Commons, day(2024, 11, 12)),
            ],
        ),
        tracked(
            "Passenger Railway Services (Public Ownership) Bill",
            &[(
                70,
                12,
                "Consideration of Lords amendments",
                Commons,
                day(2024, 11, 19),
            )],
        ),
        tracked(
            "Non-Domestic Rating (Multipliers and Private Schools) Bill",
            &[
                (80, 7, "2nd reading", Commons, day(2024, 11, 25)),
                (81, 14, "Programme motion", Commons, day(2024, 11, 25)),
            ],
        ),
    ]
}

/// Every division of the real Commons list goes to the right bill, stage and question, or to
/// none: the Windsor Framework regulations (deferred) and the Budget resolutions belong to no
/// bill, and "Employment Rights Bill: Second Reading" only to the Employment Rights Bill, not
/// to the bills whose titles contain its words.
#[test]
#[cfg_attr(
    not(shared_fixtures),
    ignore = "needs ../shared/fixtures/uk-parliament (CI has them)"
)]
fn real_commons_divisions_attach_to_their_bill_and_no_other() {
    use Question::*;
    let amendment = |label: &str| Amendment {
        label: label.to_owned(),
    };
    let list =
        parse_commons_search(&shared("votes-commons-divisions-search.json")).expect("parses");
    let bills = bills_of_the_real_list();
    let ndr = "Non-Domestic Rating (Multipliers and Private Schools) Bill";
    let railways = "Passenger Railway Services (Public Ownership) Bill";
    let peers = "House of Lords (Hereditary Peers) Bill";
    let energy = "Great British Energy Bill";
    let disagree = |label: &str| MotionToDisagree {
        label: label.to_owned(),
    };
    let expected: Vec<(u32, Option<Attached>)> = vec![
        (1873, Some((ndr, 80, SecondReading))),
        (
            1872,
            Some((
                ndr,
                80,
                ReasonedAmendment {
                    reading: StageKind::SecondReading,
                },
            )),
        ),
        (1871, Some((railways, 70, disagree("Lords Amendment 2")))),
        (1870, Some((railways, 70, disagree("Lords Amendment 1")))),
        (1869, None),
        (1868, Some((peers, 61, ThirdReading))),
        (1867, Some((peers, 60, amendment("New Clause 20")))),
        (1866, Some((peers, 60, amendment("New Clause 7")))),
        (1865, Some((peers, 60, amendment("New Clause 1")))),
        (1864, Some((peers, 60, amendment("Amendment 25")))),
        (1853, Some((energy, 41, ThirdReading))),
        (1852, Some((energy, 40, amendment("Amendment 8")))),
        (1851, Some((energy, 40, amendment("Amendment 6")))),
        (1850, Some((energy, 40, amendment("Amendment 4")))),
        (1849, Some(("Employment Rights Bill", 10, SecondReading))),
    ];
    for division in &list {
        let got: Vec<Attached> = bills
            .iter()
            .filter_map(|b| {
                belongs(division, b).map(|m| (b.bill.title.as_str(), m.stage, m.question))
            })
            .collect();
        // 1854-1863 are Budget resolutions: no bill's.
        let want = expected
            .iter()
            .find(|(id, _)| *id == division.id)
            .and_then(|(_, w)| w.clone());
        assert_eq!(got, want.into_iter().collect::<Vec<_>>(), "{division}");
    }
    let windsor = list.iter().find(|d| d.id == 1869).expect("1869");
    assert!(windsor.title.starts_with("Draft Windsor Framework") && windsor.deferred);
    let budget = list.iter().find(|d| d.id == 1863).expect("1863");
    assert!(
        bills
            .iter()
            .all(|b| question_for(budget, &[b.bill.title.as_str()]).is_none())
    );
}

/// "Employment Rights Bill: Second Reading" (division 1849, 21 October 2024 at 22:16) names the
/// Employment Rights Bill whose 2nd reading sat that day, and only it.
#[test]
#[cfg_attr(
    not(shared_fixtures),
    ignore = "needs ../shared/fixtures/uk-parliament (CI has them)"
)]
fn real_employment_rights_second_reading_names_only_its_bill() {
    let list =
        parse_commons_search(&shared("votes-commons-divisions-search.json")).expect("parses");
    let erb = list.iter().find(|d| d.id == 1849).expect("1849");
    let bills = bills_of_the_real_list();
    let m = belongs(erb, &bills[0]).expect("the Employment Rights Bill's");
    assert_eq!(
        m,
        Match {
            stage: 10,
            sitting: day(2024, 10, 21),
            question: Question::SecondReading,
            deferred: false
        }
    );
    for decoy in [
        "Employment Rights Bill (Amendment) Bill",
        "Employment Rights (No. 2) Bill",
    ] {
        let bill = bills.iter().find(|b| b.bill.title == decoy).expect("decoy");
        assert_eq!(belongs(erb, bill), None, "{decoy}");
        assert_eq!(question_for(erb, &[decoy]), None, "{decoy}");
    }
    // The same day a week later is no sitting of it.
    let mut later = erb.clone();
    later.date = day(2024, 10, 28);
    assert_eq!(belongs(&later, &bills[0]), None);
}

/// The real publications of bill 512 (Constitutional Reform and Governance Act 2010): all 41
/// read, with their types, dates and a link to read each.
#[test]
#[cfg_attr(
    not(shared_fixtures),
    ignore = "needs ../shared/fixtures/uk-parliament (CI has them)"
)]
fn real_publications_parse() {
    let docs = billwatch::source::publications::parse_publications(&shared(
        "api-bill-512-publications.json",
    ))
    .expect("parses");
    assert_eq!(docs.len(), 41);
    let act = &docs[0];
    assert_eq!(act.id, 2756);
    assert_eq!(act.kind, "Act of Parliament");
    assert_eq!(
        act.title,
        "Constitutional Reform and Governance Act 2010 c.25"
    );
    assert_eq!(act.date, NaiveDate::from_ymd_opt(2010, 4, 12));
    assert_eq!(
        act.url.as_deref(),
        Some("http://www.opsi.gov.uk/acts/acts2010/ukpga_20100025_en_1"),
        "the web page, not the PDF"
    );
    let prints = docs.iter().filter(|d| d.kind == "Bill").count();
    assert_eq!(prints, 5, "the bill's prints, announced by default");
    let default = billwatch::document::Documents::Default;
    assert_eq!(docs.iter().filter(|d| default.allows(&d.kind)).count(), 5);
}
