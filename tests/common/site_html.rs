//! The site's HTML, rendered from API-shaped JSON: the stages list page and a stage's page.

use chrono::NaiveDate;
use serde_json::Value;

use super::journey::sitting_date;

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn long_date(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

fn badge(name: &str) -> &'static str {
    match name {
        "1st reading" => "1",
        "2nd reading" => "2",
        "Committee stage" => "C",
        "Report stage" => "R",
        "3rd reading" => "3",
        "Royal Assent" => "RA",
        _ => "",
    }
}

/// The stages list page `/bills/{id}/stages` in the site's card layout (newest first, a session
/// heading with a count, badges, "From ..." for several sittings), rendered from API-shaped JSON.
pub fn stages_page_html(bill: &Value, stages: &Value) -> String {
    let id = bill["billId"].as_u64().expect("billId");
    let title = html_escape(bill["shortTitle"].as_str().expect("title"));
    let items = stages["items"].as_array().expect("items");
    let cards: String = items.iter().rev().map(|item| card(id, item)).collect();
    format!(
        "\u{feff}<!DOCTYPE html>
<html lang=\"en\">
<head>
    <meta charset=\"utf-8\" />
    <title>{title} - Parliamentary Bills - UK Parliament</title>
    <meta content=\"https://bills.parliament.uk/bills/{id}/stages\" property=\"og:url\">
</head>
<body>
    <nav>
        <div class=\"breadcrumb breadcrumb-adaptive\"><ul>
            <li><a title=\"Parliamentary Bills\" href=\"/\">Parliamentary Bills</a></li>
            <li><a title=\"{title}\" href=\"/bills/{id}\">{title}</a></li>
            <li title=\"Stages\">Stages</li>
        </ul></div>
    </nav>
    <div class=\"hero-banner hero-banner-brand\"><div class=\"container\">
        <h1>{title}</h1>
        <p>Government Bill</p>
        <p>Originated in the House of Commons, Sessions 2024-25</p>
    </div></div>
    <div class=\"container\"><article><div class=\"block block-page\">
        <div class=\"tabs\"><ul class=\"nav nav-tabs\">
            <li><a href=\"/bills/{id}\">Overview</a></li>
            <li><a href=\"/bills/{id}/stages\" class=\"active\">Stages</a></li>
            <li><a href=\"/bills/{id}/publications\">Publications</a></li>
        </ul></div>
        <div class=\"highlight highlight-info\"><p>Future dates (especially those more than a week in advance) may be provisional.</p></div>
        <h2 class=\"heading-level-3\">Session 2024-25 ({count})</h2>
        <div class=\"card-list card-list-1-col\">{cards}
        </div>
    </div></article></div>
</body>
</html>
",
        count = items.len(),
    )
}

/// One stage's card on the list page.
fn card(id: u64, item: &Value) -> String {
    let name = item["description"].as_str().expect("name");
    let house = match item["house"].as_str().expect("house") {
        "Unassigned" => "Not before either House",
        h => h,
    };
    let dates: Vec<NaiveDate> = item["stageSittings"]
        .as_array()
        .expect("sittings")
        .iter()
        .map(sitting_date)
        .collect();
    let date = match dates.as_slice() {
        [] => "Date to be announced".to_owned(),
        [d] => long_date(*d),
        [d, ..] => format!("From {}", long_date(*d)),
    };
    format!(
        r#"
                <div class="card card-clickable">
                    <div class="card-inner">
                        <div class="content">
                            <a class="overlay-link" href="/bills/{id}/stages/{sid}" aria-label="{name}"></a>
                            <div class="badge-container"><span class="badge">{badge}</span></div>
                            <div class="primary-info">
                                {name}
                            </div>
                        </div>
                        <div class="info">
                            <div class="info-inner">
                                <div class="indicators-left">
                                    <div class="indicator indicator-label">
                                        {date}
                                    </div>
                                </div>
                                <div class="indicators-right">
                                    <div class="indicator indicator-label">
                                        {house}
                                    </div>
                                </div>
                                <div class="clearfix"></div>
                            </div>
                        </div>
                    </div>
                </div>"#,
        sid = item["id"],
        name = html_escape(name),
        badge = badge(name),
    )
}

/// A stage's detail page `/bills/{id}/stages/{n}`, shaped like the real one in
/// ../shared/fixtures (one "Sitting  <date> - Debate" heading per sitting).
pub fn stage_detail_html(bill: &Value, stage: &Value) -> String {
    let id = bill["billId"].as_u64().expect("billId");
    let title = html_escape(bill["shortTitle"].as_str().expect("title"));
    let name = html_escape(stage["description"].as_str().expect("name"));
    let mut sittings = String::new();
    for (i, s) in stage["stageSittings"]
        .as_array()
        .expect("sittings")
        .iter()
        .enumerate()
    {
        let d = long_date(sitting_date(s));
        sittings.push_str(&format!(
            r##"
            <h3 class="collapse-heading heading-level-4">
                <a data-toggle="collapse" href="#collapse-stage-sitting-publication-{n}-debate" role="button" class="collapsed">
                    Sitting  {d} - Debate
                    <span class="count">(1)</span>
                </a>
            </h3>
            <div id="collapse-stage-sitting-publication-{n}-debate" class="collapse collapse-item show">
                <div class="card-list card-list-2-col"><div class="card card-button"><div class="card-inner">
                    <div class="content"><div class="primary-info">{name} (Hansard)</div></div>
                    <div class="info"><div class="info-inner"><div class="indicators-left">
                        <div class="indicator indicator-label">{d}</div>
                    </div></div></div>
                </div></div></div>
            </div>"##,
            n = i + 1
        ));
    }
    format!(
        "\u{feff}<!DOCTYPE html>
<html lang=\"en\">
<head><title>{title} - Parliamentary Bills - UK Parliament</title></head>
<body>
    <nav><ul class=\"actions\">
        <li class=\"action-item\"><a href=\"/bills/{id}/stages/{prev}\">Previous</a></li>
        <li class=\"action-item action-item-right\"><a href=\"/bills/{id}/stages/{next}\">Next</a></li>
    </ul></nav>
    <div class=\"hero-banner hero-banner-brand\"><div class=\"container\">
        <h1>{title}</h1>
        <h2 class=\"heading-level-3 bootstrap_overide\">{name}</h2>
        <div class=\"reading-width\"><p>Session 2024-25</p></div>
    </div></div>
    <div class=\"container\"><article>
        <div class=\"tabs\"><ul><li><a id=\"detailsTab\" href=\"/bills/{id}/stages/{sid}\" class=\"active\">Records</a></li></ul></div>
        <div class=\"card-list card-list-1-col\">{sittings}
        </div>
    </article></div>
</body>
</html>
",
        sid = stage["id"],
        prev = stage["id"].as_u64().unwrap_or(2) - 1,
        next = stage["id"].as_u64().unwrap_or(0) + 1,
    )
}
