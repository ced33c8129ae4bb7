//! The journey data: the Border Security bill as Parliament showed it on any day, from the
//! saved API answers, and the project's fixtures.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde_json::{Value, json};

pub const BILL: u32 = 3929;

/// The project's own fixtures.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub fn read_json(name: &str) -> Value {
    let text = std::fs::read_to_string(fixture(name)).expect("fixture");
    serde_json::from_str(&text).expect("fixture JSON")
}

pub fn date(s: &str) -> NaiveDate {
    s.parse().expect("date")
}

/// The Border Security bill as Parliament would have shown it on `day`: stages appear once
/// announced (`notice` days before their first sitting), sittings once within `notice` days,
/// and the bill becomes an Act on its Royal Assent day.
pub fn border_security_on(day: NaiveDate, notice: i64) -> (Value, Value) {
    let full_bill = read_json("api/bill-3929.json");
    let full = read_json("api/bill-3929-stages.json");
    let horizon = day + chrono::Duration::days(notice);
    let mut items = Vec::new();
    for item in full["items"].as_array().expect("items") {
        let sittings: Vec<Value> = item["stageSittings"]
            .as_array()
            .expect("sittings")
            .iter()
            .filter(|s| sitting_date(s) <= horizon)
            .cloned()
            .collect();
        if sittings.is_empty() {
            continue;
        }
        let mut item = item.clone();
        item["stageSittings"] = Value::Array(sittings);
        items.push(item);
    }
    let mut bill = full_bill.clone();
    let assented = items.iter().any(|i| {
        i["stageId"] == 11
            && i["stageSittings"]
                .as_array()
                .is_some_and(|s| s.iter().any(|s| sitting_date(s) <= day))
    });
    if !assented {
        bill["isAct"] = json!(false);
        bill["shortTitle"] = json!("Border Security, Asylum and Immigration Bill");
        bill["formerShortTitle"] = Value::Null;
        // Royal Assent is listed only once given.
        items.retain(|i| i["stageId"] != 11);
    }
    let current = items
        .iter()
        .rfind(|i| {
            i["stageSittings"]
                .as_array()
                .is_some_and(|s| s.iter().any(|s| sitting_date(s) <= day))
        })
        .cloned();
    bill["currentStage"] = current.unwrap_or(Value::Null);
    // Parliament stamps every change; a new day of the journey is a new stamp.
    bill["lastUpdate"] = json!(format!("{day}T18:00:00.1234567"));
    bill["currentHouse"] = bill["currentStage"]["house"].clone();
    let total = items.len();
    (
        bill,
        json!({"items": items, "totalResults": total, "itemsPerPage": 20}),
    )
}

pub fn sitting_date(s: &Value) -> NaiveDate {
    let d = s["date"].as_str().expect("date");
    NaiveDate::parse_from_str(&d[..10], "%Y-%m-%d").expect("date")
}

/// `Skip` and `Take` of a request, `Take` at most `max` (the API's own page limit).
pub fn skip_take(url: &url::Url, max: usize) -> (usize, usize) {
    let (mut skip, mut take) = (0, 20);
    for (k, v) in url.query_pairs() {
        match k.to_ascii_lowercase().as_str() {
            "skip" => skip = v.parse().unwrap_or(0),
            "take" => take = v.parse::<usize>().unwrap_or(20).min(max),
            _ => {}
        }
    }
    (skip, take)
}

/// One page of a bill's stages as `GET /api/v1/Bills/{id}/Stages` answers it: at most 20 items
/// whatever `Take` asks, as the real paged list does.
pub fn stages_page(all: &Value, url: &url::Url) -> Value {
    let (skip, take) = skip_take(url, 20);
    let items = all["items"].as_array().cloned().unwrap_or_default();
    let page: Vec<Value> = items.iter().skip(skip).take(take).cloned().collect();
    json!({"items": page, "totalResults": items.len(), "itemsPerPage": 20})
}

/// One page of `GET /api/v1/Bills` by last update, newest first, at most 50 a page.
pub fn listing_page(bills: &std::collections::BTreeMap<u32, String>, url: &url::Url) -> Value {
    let (skip, take) = skip_take(url, 50);
    let mut items: Vec<(&u32, &String)> = bills.iter().collect();
    items.sort_by(|a, b| b.1.cmp(a.1));
    let page: Vec<Value> = items
        .iter()
        .skip(skip)
        .take(take)
        .map(|(id, updated)| {
            json!({"billId": id, "shortTitle": format!("Bill {id}"), "lastUpdate": updated,
                   "isAct": false, "isDefeated": false, "billWithdrawn": null})
        })
        .collect();
    json!({"items": page, "totalResults": items.len(), "itemsPerPage": 20})
}
