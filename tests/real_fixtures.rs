//! Parsing what Parliament really sent, from ../shared/fixtures/uk-parliament/ (or
//! `$BILLWATCH_SHARED/fixtures/uk-parliament`). A clone of billwatch alone does not have that
//! folder: there these tests show as ignored, with the reason, not as passed. They run when the
//! folder is there, and always when `CI` is set, where a missing folder fails them (`build.rs`
//! decides, and sets the cfg `shared_fixtures`).

use std::path::Path;

use billwatch::bill::House;
use billwatch::source::api::{parse_bill, parse_stages};
use billwatch::source::pages::{parse_stage_detail, parse_stage_list};
use chrono::NaiveDate;

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
    use billwatch::stage::StageKind;
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
