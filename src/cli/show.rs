//! `billwatch show`: one bill as a source sees it, as a table or JSON.

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::{ExitCode, Failure, Outcome, SourceArg};
use crate::bill::{BillId, Snapshot};
use crate::config::Config;
use crate::division::Vote;
use crate::source::{SourceKind, Sources};
use crate::store::Store;
use crate::{console, message};

/// `show`: one bill fetched and printed, with the follow rule that brought it in when the
/// database says so; no state written.
pub(super) async fn show(
    config: &Config,
    bill: &str,
    source: Option<SourceArg>,
    json: bool,
) -> Outcome {
    let id = super::bill_arg(bill, config)?;
    let sources = Sources::new(config)?;
    let fetched = match source {
        None => sources.fetch(id).await,
        Some(SourceArg::Api) => sources.fetch_from(id, SourceKind::Api).await,
        Some(SourceArg::Pages) => sources.fetch_from(id, SourceKind::Pages).await,
    };
    let (snapshot, source) = fetched.map_err(Failure::failed)?;
    let rule = followed_by(config, id);
    let votes = recorded_votes(config, id);
    let mut out = String::new();
    if json {
        let value = show_json(&snapshot, &votes, &source.to_string(), rule.as_deref());
        let _ = writeln!(out, "{value}");
    } else {
        let _ = write!(
            out,
            "{}",
            describe(&snapshot, &votes, &config.stages_url(id))
        );
        if let Some(rule) = &rule {
            let _ = writeln!(out, "(followed by the rule {rule})");
        }
        let _ = writeln!(out, "(source: {source})");
    }
    console::print(&out);
    Ok(ExitCode::Ok)
}

/// The config's follow rule that brings bill `id` in, named, when the database (if any) says
/// one does (a rule over `parliament.max_bills` brings none in).
fn followed_by(config: &Config, id: BillId) -> Option<String> {
    let store = Store::open_read_only(&config.storage.path).ok().flatten()?;
    let state = store.follow_state().ok()?;
    state.rule_of(&config.follow, id).map(|r| r.label())
}

/// The divisions the database (if any) recorded for bill `id`, oldest first: `show` asks no
/// Votes API, it says what the checks found.
fn recorded_votes(config: &Config, id: BillId) -> Vec<Vote> {
    let Ok(Some(store)) = Store::open_read_only(&config.storage.path) else {
        return Vec::new();
    };
    store.votes_of(id).unwrap_or_else(|e| {
        tracing::warn!(bill = id, "cannot read the bill's recorded divisions: {e}");
        Vec::new()
    })
}

/// `show --json`: `{"source", "bill", "stages", "documents", "rule"}`, each stage with the
/// `divisions` recorded at it (see `vote_json`).
pub fn show_json(snapshot: &Snapshot, votes: &[Vote], source: &str, rule: Option<&str>) -> Value {
    let stages: Vec<Value> = snapshot
        .stages
        .iter()
        .map(|st| {
            let mut value = json!(st);
            let divisions: Vec<Value> = votes
                .iter()
                .filter(|v| v.stage == st.id)
                .map(vote_json)
                .collect();
            value["divisions"] = json!(divisions);
            value
        })
        .collect();
    json!({"source": source, "bill": snapshot.bill, "stages": stages,
           "documents": snapshot.documents, "rule": rule})
}

/// One division in `show --json`: `{"house", "id", "date", "question", "summary", "ayes",
/// "noes", "deferred", "url"}`.
fn vote_json(vote: &Vote) -> Value {
    let d = &vote.division;
    json!({"house": d.house.to_string(), "id": d.id, "date": d.date.to_string(),
           "title": d.title, "question": vote.question, "summary": message::vote_summary(vote),
           "ayes": d.counts.ayes, "noes": d.counts.noes, "deferred": d.deferred,
           "url": d.url()})
}

/// A bill and its stages as a table a person reads, each stage with the `votes` recorded at it.
pub fn describe(snapshot: &Snapshot, votes: &[Vote], url: &str) -> String {
    let b = &snapshot.bill;
    let mut s = String::new();
    let _ = writeln!(s, "Bill {}: {}", b.id, b.title);
    if let Some(long) = &b.long_title {
        let _ = writeln!(s, "  {long}");
    }
    let mut flags = Vec::new();
    if b.is_act {
        flags.push("Act of Parliament".to_owned());
    }
    if let Some(d) = b.withdrawn {
        flags.push(format!("withdrawn {}", message::long_date(d)));
    }
    if b.defeated {
        flags.push("defeated".to_owned());
    }
    if let Some(cs) = &b.current_stage {
        flags.push(format!("current stage: {} ({})", cs.name, cs.house));
    }
    if let Some(lu) = b.last_update {
        flags.push(format!("updated {}", lu.format("%-d %B %Y %H:%M")));
    }
    if !flags.is_empty() {
        let _ = writeln!(s, "  {}", flags.join("; "));
    }
    let _ = writeln!(s, "  {url}");
    let width = snapshot
        .stages
        .iter()
        .map(|st| st.name.chars().count())
        .max()
        .unwrap_or(0);
    for st in &snapshot.stages {
        let dates = match st.sittings.as_slice() {
            [] => "date to be announced".to_owned(),
            [d] => message::long_date(*d),
            [first, .., last] => format!(
                "{} to {} ({} sittings)",
                message::long_date(*first),
                message::long_date(*last),
                st.sittings.len()
            ),
        };
        let _ = writeln!(
            s,
            "  {:>6}  {:<width$}  {:<10}  {dates}",
            st.id,
            st.name,
            st.house.to_string(),
        );
        for v in votes.iter().filter(|v| v.stage == st.id) {
            let _ = writeln!(
                s,
                "          division {}, {}: {}\n          {}",
                v.division.id,
                message::long_date(v.division.date),
                message::vote_summary(v),
                v.division.url()
            );
        }
    }
    match &snapshot.documents {
        None => {}
        Some(docs) if docs.is_empty() => {
            let _ = writeln!(s, "  documents: none published");
        }
        Some(docs) => {
            let _ = writeln!(s, "  documents ({}), newest first:", docs.len());
            for d in docs {
                let date = d.date.map(message::long_date).unwrap_or_default();
                let _ = writeln!(s, "  {:>6}  {} ({}) {date}", d.id, d.title, d.kind);
                if let Some(url) = &d.url {
                    let _ = writeln!(s, "          {url}");
                }
            }
        }
    }
    s
}
