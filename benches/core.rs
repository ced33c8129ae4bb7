//! Benchmarks of the pure core on realistic inputs: a 100-stage bill.
//!
//! `cargo bench --bench core`. Targets: parsing a 100-stage bill's stages (API JSON) and a stage
//! page (HTML) under 1 ms each.

use billwatch::bill::Snapshot;
use billwatch::changes;
use billwatch::message;
use billwatch::source::api::{parse_bill, parse_stages};
use billwatch::source::pages::{parse_stage_detail, parse_stage_list};
use chrono::NaiveDate;
use divan::{Bencher, black_box};

fn main() {
    divan::main();
}

const STAGES: usize = 100;

fn day(n: usize) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 1, 1).expect("date") + chrono::Duration::days(n as i64)
}

/// `GET /api/v1/Bills/{id}/Stages` for a bill with 100 stages, three sittings each.
fn stages_json() -> String {
    let names = [
        "1st reading",
        "2nd reading",
        "Committee stage",
        "Report stage",
        "3rd reading",
    ];
    let items: Vec<serde_json::Value> = (0..STAGES)
        .map(|i| {
            let sittings: Vec<serde_json::Value> = (0..3)
                .map(|k| serde_json::json!({"id": 50000 + i * 3 + k, "stageId": 8, "billStageId": 20000 + i,
                                             "billId": 3929, "date": format!("{}T00:00:00", day(i * 3 + k))}))
                .collect();
            serde_json::json!({"id": 20000 + i, "stageId": 6 + i % 5, "sessionId": 40,
                               "description": names[i % 5], "abbreviation": null,
                               "house": if i % 2 == 0 { "Commons" } else { "Lords" },
                               "stageSittings": sittings, "sortOrder": i + 1})
        })
        .collect();
    serde_json::json!({"items": items, "totalResults": STAGES, "itemsPerPage": STAGES}).to_string()
}

fn bill_json() -> String {
    serde_json::json!({"billId": 3929, "shortTitle": "Border Security, Asylum and Immigration Bill",
        "longTitle": "A Bill to make provision about border security; and for connected purposes.",
        "currentHouse": "Lords", "originatingHouse": "Commons", "lastUpdate": "2025-11-17T16:31:12.4512309",
        "billWithdrawn": null, "isDefeated": false, "isAct": false, "sponsors": [], "currentStage": null})
    .to_string()
}

/// The stages list page with 100 stages in the site's card layout.
fn list_html() -> String {
    let mut cards = String::new();
    for i in (0..STAGES).rev() {
        cards.push_str(&format!(
            r#"<div class="card card-clickable"><div class="card-inner"><div class="content">
                <a class="overlay-link" href="/bills/3929/stages/{id}"></a>
                <div class="badge-container"><span class="badge">C</span></div>
                <div class="primary-info">Committee stage</div></div>
                <div class="info"><div class="info-inner">
                <div class="indicators-left"><div class="indicator indicator-label">From {date}</div></div>
                <div class="indicators-right"><div class="indicator indicator-label">{house}</div></div>
                </div></div></div></div>"#,
            id = 20000 + i,
            date = day(i * 3).format("%-d %B %Y"),
            house = if i % 2 == 0 { "Commons" } else { "Lords" },
        ));
    }
    format!(
        "<!DOCTYPE html><html><head><title>Bill</title></head><body><h1>Border Security, Asylum and Immigration Bill</h1>\
         <p>Future dates (especially those more than a week in advance) may be provisional.</p>\
         <h2>Session 2024-25 ({STAGES})</h2><div class=\"card-list\">{cards}</div></body></html>"
    )
}

fn detail_html() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/pages/bill-3929-stage-19016.html"
    ))
    .expect("fixture")
}

fn snapshot() -> Snapshot {
    let bill = parse_bill(bill_json().as_bytes()).expect("bill");
    let stages = parse_stages(stages_json().as_bytes())
        .expect("stages")
        .stages;
    Snapshot::new(bill, stages)
}

#[divan::bench]
fn parse_api_stages_100(bencher: Bencher) {
    let json = stages_json();
    bencher.bench(|| parse_stages(black_box(json.as_bytes())).expect("parses"));
}

#[divan::bench]
fn parse_api_bill(bencher: Bencher) {
    let json = bill_json();
    bencher.bench(|| parse_bill(black_box(json.as_bytes())).expect("parses"));
}

#[divan::bench]
fn parse_stage_list_page_100(bencher: Bencher) {
    let html = list_html();
    bencher.bench(|| parse_stage_list(black_box(&html), 3929).expect("parses"));
}

#[divan::bench]
fn parse_stage_detail_page(bencher: Bencher) {
    let html = detail_html();
    bencher.bench(|| parse_stage_detail(black_box(&html)).expect("parses"));
}

/// Detection between two 100-stage snapshots: a new stage, a moved date, a new sitting.
#[divan::bench]
fn detect_changes_100(bencher: Bencher) {
    let previous = snapshot();
    let mut current = previous.clone();
    current.stages[50].sittings.push(day(400));
    current.stages[99].sittings = vec![day(500)];
    current.stages.pop();
    let today = day(300);
    bencher.bench(|| changes::detect(black_box(&previous), today, black_box(&current), today));
}

#[divan::bench]
fn detect_unchanged_100(bencher: Bencher) {
    let s = snapshot();
    bencher.bench(|| changes::detect(black_box(&s), day(300), black_box(&s), day(300)));
}

#[divan::bench]
fn render_alert_html(bencher: Bencher) {
    let s = snapshot();
    let event = changes::tracking_started(&s, day(300));
    bencher.bench(|| {
        message::render_html(
            black_box(&event),
            "https://bills.parliament.uk/bills/3929/stages",
            day(300),
        )
    });
}

/// A digest of 100 alerts split under Telegram's limit.
#[divan::bench]
fn render_digest_100(bencher: Bencher) {
    let s = snapshot();
    let empty = Snapshot::new(s.bill.clone(), Vec::new());
    let events = changes::detect(&empty, day(0), &s, day(1000));
    let url = "https://bills.parliament.uk/bills/3929/stages";
    bencher.bench(|| {
        let texts: Vec<String> = events
            .iter()
            .map(|e| message::render_html(e, url, day(1000)))
            .collect();
        message::digests(&texts, message::TELEGRAM_LIMIT)
    });
}

/// The HTML parser alone, for scale: what `parse_stage_list_page_100` spends before reading.
#[divan::bench]
fn html5ever_parse_list_page_100(bencher: Bencher) {
    let html = list_html();
    bencher.bench(|| scraper::Html::parse_document(black_box(&html)));
}
