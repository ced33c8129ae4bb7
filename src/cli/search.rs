//! `billwatch search`: find bills by words of their title, to `add` them.

use std::fmt::Write as _;

use serde_json::json;

use super::{ExitCode, Failure, HouseArg, Outcome};
use crate::config::Config;
use crate::source::Sources;
use crate::source::search::{FoundBill, SearchQuery, bill_type_id};
use crate::{console, message};

/// What `search` was asked.
#[derive(Debug)]
pub(super) struct Asked {
    pub term: String,
    pub house: Option<HouseArg>,
    pub bill_type: Option<String>,
    pub all_sessions: bool,
    pub json: bool,
}

/// `search`: one request for the bills (two more to find the current session and read a type
/// by name), printed newest first.
pub(super) async fn search(config: &Config, asked: Asked) -> Outcome {
    if asked.term.trim().is_empty() {
        return Err(Failure::usage(anyhow::anyhow!(
            "search for what? Give words of a bill's title, e.g. `billwatch search border security`"
        )));
    }
    let api = Sources::new(config)?.api;
    let failed = |e| Failure::failed(anyhow::anyhow!("the search failed: {e}"));
    let bill_type = match &asked.bill_type {
        None => None,
        Some(name) => {
            let types = api.bill_types().await.map_err(failed)?;
            Some(bill_type_id(&types, name).map_err(|e| Failure::usage(anyhow::anyhow!(e)))?)
        }
    };
    let session = if asked.all_sessions {
        None
    } else {
        api.current_session().await.map_err(failed)?
    };
    let query = SearchQuery {
        term: asked.term.clone(),
        house: asked.house.map(HouseArg::house),
        bill_type,
        session,
    };
    let found = api.search(&query).await.map_err(failed)?;
    let url = |b: &FoundBill| {
        crate::config::join(&config.parliament.site_url, &format!("bills/{}", b.id))
    };
    let mut out = String::new();
    if asked.json {
        for b in &found.bills {
            let line = json!({
                "type": "bill", "id": b.id, "title": b.title, "stage": b.stage,
                "house": b.house.map(|h| h.to_string()),
                "updated": b.updated.map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string()),
                "url": url(b),
            });
            let _ = writeln!(out, "{line}");
        }
        console::print(&out);
        return Ok(ExitCode::Ok);
    }
    let scope = if session.is_some() {
        " in the current session"
    } else {
        ""
    };
    if found.bills.is_empty() {
        let _ = writeln!(out, "No bill matches {:?}{scope}.", asked.term.trim());
        if session.is_some() {
            let _ = writeln!(out, "Try --all-sessions for older bills.");
        }
        console::print(&out);
        return Ok(ExitCode::Ok);
    }
    for b in &found.bills {
        let _ = writeln!(out, "{}", line(b, &url(b)));
    }
    if found.total > found.bills.len() {
        let _ = writeln!(
            out,
            "... {} more match: use more words, --house or --type.",
            found.total - found.bills.len()
        );
    }
    let first = found.bills[0].id;
    let _ = writeln!(
        out,
        "Track one with `billwatch add ID` (e.g. `billwatch add {first}`), or add a [[bills]] entry with its id to the config."
    );
    console::print(&out);
    Ok(ExitCode::Ok)
}

/// One bill found, as a line: id, title, where it stands, when it last changed, its page.
fn line(b: &FoundBill, url: &str) -> String {
    let mut s = format!("{:>5}  {}", b.id, b.title);
    match (&b.stage, b.house) {
        (Some(stage), Some(house)) if !house.long_name().is_empty() => {
            let _ = write!(s, " | {stage}, {}", house.long_name());
        }
        (Some(stage), _) => {
            let _ = write!(s, " | {stage}");
        }
        _ => {}
    }
    if let Some(t) = b.updated {
        let _ = write!(s, " | updated {}", message::long_date(t.date()));
    }
    let _ = write!(s, " | {url}");
    s
}
