//! What the worst pages that fit `parliament.max_response_bytes` (10 MB by default) cost to
//! read: each is parsed whole or refused by the bounds of `source::html` and `source::pages`.
//!
//! `cargo bench --bench hostile`. Target: every one under 1 s (issue "Keep the promise",
//! item 10). Each is timed a few times only: they are slow on purpose.

use billwatch::source::api::parse_stages;
use billwatch::source::pages::{parse_stage_detail, parse_stage_list};
use divan::{Bencher, black_box};

fn main() {
    divan::main();
}

/// The default `max_response_bytes`.
const CAP: usize = 10 * 1024 * 1024;

/// `unit` repeated to fill the cap, in a page.
fn filled(unit: &str) -> String {
    let body = unit.repeat((CAP - 100) / unit.len());
    format!("<html><body><h1>A Bill</h1>{body}</body></html>")
}

/// Blocks nested 990 deep, just under the depth bound, as many as fit the cap: refused on
/// their total nesting.
#[divan::bench(sample_count = 3, sample_size = 1)]
fn deep_blocks_to_the_cap(bencher: Bencher) {
    let block = format!("{}x{}", "<div>".repeat(990), "</div>".repeat(990));
    let page = filled(&block);
    bencher.bench(|| parse_stage_detail(black_box(&page)).is_err());
}

/// Blocks nested 990 deep, as many as the nesting bound lets through: parsed.
#[divan::bench(sample_count = 3, sample_size = 1)]
fn deep_blocks_within_the_bound(bencher: Bencher) {
    let block = format!("{}x{}", "<div>".repeat(990), "</div>".repeat(990));
    let page = format!("<html><body>{}</body></html>", block.repeat(20));
    bencher.bench(|| parse_stage_detail(black_box(&page)).is_err());
}

/// Siblings to the cap: wide, not deep.
#[divan::bench(sample_count = 3, sample_size = 1)]
fn siblings_to_the_cap(bencher: Bencher) {
    let page = filled("<div><span><b>t</b></span></div>");
    bencher.bench(|| parse_stage_detail(black_box(&page)).is_err());
}

/// Misnested formatting elements to the cap.
#[divan::bench(sample_count = 3, sample_size = 1)]
fn misnested_formatting_to_the_cap(bencher: Bencher) {
    let page = filled("<b><i>x</b></i>");
    bencher.bench(|| parse_stage_detail(black_box(&page)).is_err());
}

/// A stages list of 5,000 stages, the most a list may hold: read.
#[divan::bench(sample_count = 3, sample_size = 1)]
fn list_of_5000_stages(bencher: Bencher) {
    let items: String = (0..5_000)
        .map(|i| {
            format!(
                "<li class=\"stage\"><a href=\"/bills/3001/stages/{}\">2nd reading</a>\
                 <span>House of Lords</span><span>23 May 2022</span></li>",
                20_000 + i
            )
        })
        .collect();
    let page = format!("<html><body><h1>A Bill</h1><ul>{items}</ul></body></html>");
    bencher.bench(|| parse_stage_list(black_box(&page), 3001).is_ok());
}

/// Stage items to the cap: refused past 5,000.
#[divan::bench(sample_count = 3, sample_size = 1)]
fn list_items_to_the_cap(bencher: Bencher) {
    let page = filled(
        "<li class=\"stage\"><a href=\"/bills/3001/stages/20001\">2nd reading</a>\
         <span>House of Lords</span><span>23 May 2022</span></li>",
    );
    bencher.bench(|| parse_stage_list(black_box(&page), 3001).is_err());
}

/// A stages answer of the API to the cap (one page of many stages).
#[divan::bench(sample_count = 3, sample_size = 1)]
fn api_stages_to_the_cap(bencher: Bencher) {
    let item = r#"{"id":1,"stageId":7,"sessionId":40,"description":"2nd reading","abbreviation":null,"house":"Commons","stageSittings":[{"id":1,"stageId":7,"billStageId":1,"billId":3929,"date":"2025-02-10T00:00:00"}],"sortOrder":2},"#;
    let items = item.repeat((CAP - 100) / item.len());
    let page = format!(
        "{{\"items\":[{}],\"totalResults\":1,\"itemsPerPage\":1}}",
        items.trim_end_matches(',')
    );
    bencher.bench(|| parse_stages(black_box(page.as_bytes())).is_ok());
}
