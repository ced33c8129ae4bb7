//! Parsing what Parliament really sent, from ../shared/fixtures/uk-parliament/. Required in CI
//! (`CI` set); skipped with a printed reason only where the folder is absent.

use std::path::PathBuf;

use billwatch::bill::House;
use billwatch::source::api::{parse_bill, parse_stages};
use chrono::NaiveDate;

fn shared(name: &str) -> Option<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/uk-parliament");
    if !dir.is_dir() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but {} is missing: the real fixtures are required in CI",
            dir.display()
        );
        eprintln!(
            "skipped: {} is absent (these tests need ../shared beside the project)",
            dir.display()
        );
        return None;
    }
    Some(std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}")))
}

#[test]
fn real_bill_record_parses_and_ignores_unknown_keys() {
    let Some(body) = shared("api-bill-2818.json") else {
        return;
    };
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
    let expected = NaiveDate::from_ymd_opt(2021, 5, 4)
        .and_then(|d| d.and_hms_nano_opt(10, 42, 8, 57_985_100))
        .expect("time");
    assert_eq!(
        bill.last_update,
        Some(expected),
        "all 7 fractional digits kept"
    );
}

#[test]
fn real_stage_list_parses_with_an_unscheduled_stage() {
    let Some(body) = shared("api-bill-2818-stages.json") else {
        return;
    };
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
fn real_bill_summary_list_has_the_fields_the_listing_needs() {
    let Some(body) = shared("api-bills-list.json") else {
        return;
    };
    let v: serde_json::Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(v["itemsPerPage"], 20);
    let first = &v["items"][0];
    // A summary carries the same bill fields as the detail record.
    let bill = parse_bill(first.to_string().as_bytes()).expect("summary parses as a bill");
    assert_eq!(bill.id, 2818);
}
