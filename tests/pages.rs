//! The stage-page parsers, over the project's own fixtures (several list layouts, ping-pong, a
//! bill starting in the Lords, Royal Assent, a changed layout). The real pages from ../shared are read in `tests/real_fixtures.rs`.

mod common;

use billwatch::bill::House;
use billwatch::source::pages::{ListedDate, parse_stage_detail, parse_stage_list};
use chrono::NaiveDate;
use common::{fixture, read_json};

fn d(s: &str) -> NaiveDate {
    s.parse().expect("date")
}

fn page(name: &str) -> String {
    std::fs::read_to_string(fixture(&format!("pages/{name}"))).expect("fixture")
}

/// The card layout of the Border Security bill's whole journey: the same stages, Houses and
/// first dates as the API fixture.
#[test]
fn card_layout_matches_the_api() {
    let list = parse_stage_list(&page("bill-3929-stages-cards.html"), 3929).expect("parses");
    assert_eq!(
        list.title.as_deref(),
        Some("Border Security, Asylum and Immigration Act 2025")
    );
    let api = read_json("api/bill-3929-stages.json");
    let items = api["items"].as_array().expect("items");
    assert_eq!(list.stages.len(), items.len());
    // Newest first on the page.
    for (listed, item) in list.stages.iter().zip(items.iter().rev()) {
        assert_eq!(u64::from(listed.id), item["id"].as_u64().expect("id"));
        assert_eq!(listed.name, item["description"].as_str().expect("name"));
        let house: House = item["house"]
            .as_str()
            .expect("house")
            .parse()
            .expect("house");
        assert_eq!(listed.house, house, "{}", listed.name);
        let dates: Vec<&str> = item["stageSittings"]
            .as_array()
            .expect("s")
            .iter()
            .map(|s| &s["date"].as_str().expect("d")[..10])
            .collect();
        let expected = match dates.as_slice() {
            [one] => ListedDate::On(d(one)),
            [first, ..] => ListedDate::From(d(first)),
            [] => ListedDate::ToBeAnnounced,
        };
        assert_eq!(listed.date, expected, "{}", listed.name);
    }
    // Royal Assent belongs to neither House; ping-pong rounds are stages of their own.
    assert_eq!(list.stages[0].name, "Royal Assent");
    assert_eq!(list.stages[0].house, House::Unassigned);
    let rounds = list
        .stages
        .iter()
        .filter(|s| s.name == "Consideration of Lords amendments")
        .count();
    assert_eq!(rounds, 2);
}

/// A table layout, for a bill that starts in the Lords, with a stage not yet scheduled.
#[test]
fn table_layout_of_a_bill_starting_in_the_lords() {
    let list = parse_stage_list(&page("bill-3766-stages-table.html"), 3766).expect("parses");
    assert_eq!(
        list.title.as_deref(),
        Some("Property (Digital Assets etc) Bill [HL]")
    );
    let got: Vec<(u32, &str, House, ListedDate)> = list
        .stages
        .iter()
        .map(|s| (s.id, s.name.as_str(), s.house, s.date))
        .collect();
    assert_eq!(
        got,
        [
            (
                18931,
                "2nd reading",
                House::Commons,
                ListedDate::ToBeAnnounced
            ),
            (
                18930,
                "1st reading",
                House::Commons,
                ListedDate::On(d("2025-01-30"))
            ),
            (
                18926,
                "3rd reading",
                House::Lords,
                ListedDate::On(d("2025-01-29"))
            ),
            (
                18922,
                "Report stage",
                House::Lords,
                ListedDate::On(d("2025-01-14"))
            ),
            (
                18914,
                "Lords Special Public Bill Committee",
                House::Lords,
                ListedDate::From(d("2024-11-20"))
            ),
            (
                18901,
                "2nd reading",
                House::Lords,
                ListedDate::On(d("2024-10-22"))
            ),
            (
                18900,
                "1st reading",
                House::Lords,
                ListedDate::On(d("2024-09-11"))
            ),
        ]
    );
}

/// A list layout over two sessions, with the "From" and the date in separate elements.
#[test]
fn list_layout_over_two_sessions() {
    let list = parse_stage_list(&page("bill-3001-stages-list.html"), 3001).expect("parses");
    let got: Vec<(u32, &str, ListedDate)> = list
        .stages
        .iter()
        .map(|s| (s.id, s.name.as_str(), s.date))
        .collect();
    assert_eq!(
        got,
        [
            (17001, "Committee stage", ListedDate::From(d("2022-06-06"))),
            (17000, "Carry-over motion", ListedDate::On(d("2022-05-09"))),
            (16990, "2nd reading", ListedDate::On(d("2022-05-23"))),
            (16989, "1st reading", ListedDate::On(d("2022-05-11"))),
        ]
    );
    assert!(list.stages.iter().all(|s| s.house == House::Lords));
}

/// A page restructured so that no stage can be read is an error, never "no stages".
#[test]
fn changed_layouts_are_errors() {
    let err =
        parse_stage_list(&page("bill-3929-stages-changed.html"), 3929).expect_err("layout change");
    assert!(err.to_string().contains("no stage found"), "{err}");
    let err =
        parse_stage_list(&page("bill-3929-stages-no-house.html"), 3929).expect_err("no house");
    assert!(
        err.to_string()
            .contains("stage 19004 (2nd reading) shows no House"),
        "{err}"
    );
    // Another bill's page is not this bill's.
    let err = parse_stage_list(&page("bill-3929-stages-cards.html"), 3766).expect_err("other bill");
    assert!(err.to_string().contains("no stage found"), "{err}");
}

#[test]
fn detail_page_with_several_sittings() {
    let detail = parse_stage_detail(&page("bill-3929-stage-19016.html")).expect("parses");
    assert_eq!(detail.name.as_deref(), Some("Committee stage"));
    assert_eq!(
        detail.sittings,
        [
            "2025-02-25",
            "2025-02-27",
            "2025-03-04",
            "2025-03-06",
            "2025-03-11",
            "2025-03-13"
        ]
        .map(d)
    );
}

/// A list page with more stages than any bill has (and than the API path reads) is refused,
/// not read for seconds; one at the bound is read whole.
#[test]
fn a_list_of_more_stages_than_any_bill_has_is_refused() {
    let list = |n: u32| {
        let items: String = (0..n)
            .map(|i| {
                format!(
                    "<li class=\"stage\"><a href=\"/bills/3001/stages/{}\">2nd reading</a>\
                     <span>House of Lords</span><span>23 May 2022</span></li>",
                    20_000 + i
                )
            })
            .collect();
        format!("<html><body><h1>A Bill [HL]</h1><ul>{items}</ul></body></html>")
    };
    let read = parse_stage_list(&list(5_000), 3001).expect("5,000 stages");
    assert_eq!(read.stages.len(), 5_000);
    let err = parse_stage_list(&list(5_001), 3001).expect_err("too many");
    assert!(
        err.to_string().contains("lists more than 5000 stages"),
        "{err}"
    );
}
