//! `billwatch check`: one check now, its alerts delivered (or, with `--dry-run`, only shown).

use std::fmt::Write as _;

use chrono::NaiveDate;
use serde_json::json;

use super::{ExitCode, Failure, Outcome};
use crate::check::{self, CheckOptions, CheckReport};
use crate::clock::Clock;
use crate::config::Config;
use crate::source::Sources;
use crate::store::{Db, Store};
use crate::telegram::{Delivery, ONE_SHOT_BUDGET, Sender};
use crate::{console, message};

/// `check`: one check, then delivery.
pub(super) async fn once(
    config: &Config,
    clock: Clock,
    options: CheckOptions,
    json: bool,
) -> Outcome {
    let mut sender = super::sender(config, clock)?;
    let db = Db::open(&config.storage.path).await?;
    let cache = db.page_cache();
    let sources = Sources::with_state(config, cache, clock)?;
    let today = clock.today(&config.timezone);
    let report = check::run(config, &sources, &db, clock, options).await?;
    let mut delivered = console::deliver(&db, clock.now(), today, json).await?;
    let mut undelivered = false;
    if let Some(sender) = sender.as_mut() {
        let delivery = deliver_telegram(sender, &db, config, today, Some(&report)).await?;
        delivered += delivery.sent;
        undelivered = delivery.pending > 0 || delivery.blocked > 0;
    }
    print_summary(&report, delivered, json);
    Ok(ExitCode::failed_if(
        report.failed() > 0 || !report.rule_errors.is_empty() || undelivered,
    ))
}

/// Tells the operator what `report` calls for, delivers the pending Telegram alerts and updates
/// the status cards, all within a minute whatever Telegram does; logs how it went.
pub(super) async fn deliver_telegram(
    sender: &mut Sender,
    db: &Db,
    config: &Config,
    today: NaiveDate,
    report: Option<&CheckReport>,
) -> Result<Delivery, Failure> {
    let delivery = sender
        .one_shot(db, config, today, report, ONE_SHOT_BUDGET)
        .await?
        .unwrap_or_default();
    if delivery.sent > 0 {
        tracing::info!(
            alerts = delivery.sent,
            messages = delivery.messages,
            "sent to Telegram"
        );
    }
    if delivery.pending > 0 {
        tracing::warn!(
            alerts = delivery.pending,
            "not delivered yet, kept for the next try: {}",
            delivery.last_error.as_deref().unwrap_or("")
        );
    }
    if delivery.blocked > 0 {
        tracing::error!(
            alerts = delivery.blocked,
            "blocked by Telegram; see `billwatch status`, fix, then `billwatch retry`"
        );
    }
    Ok(delivery)
}

/// `check --dry-run`: what a check would send; no state changes.
pub(super) async fn dry_run(
    config: &Config,
    clock: Clock,
    options: CheckOptions,
    json: bool,
) -> Outcome {
    let sources = Sources::new(config)?;
    let db = Store::open_read_only(&config.storage.path)?.map(Db::new);
    let today = clock.today(&config.timezone);
    let report = check::dry_run(config, &sources, db.as_ref(), clock, options).await?;
    let mut out = String::new();
    for (event, url) in &report.previews {
        let text = message::render_text(event, url, today);
        if json {
            let _ = writeln!(
                out,
                "{}",
                console::alert_json(None, event, url, &text, "dry_run")
            );
        } else {
            let _ = writeln!(out, "[would send: {}]\n{text}\n", event.kind.as_str());
        }
    }
    console::print(&out);
    print_summary(&report, 0, json);
    Ok(ExitCode::failed_if(
        report.failed() > 0 || !report.rule_errors.is_empty(),
    ))
}

fn print_summary(report: &CheckReport, delivered: usize, json: bool) {
    console::print(&summary(report, delivered, json));
}

/// The summary `check` ends with: the failed bills and one line, or JSON lines.
fn summary(report: &CheckReport, delivered: usize, json: bool) -> String {
    let mut out = String::new();
    if json {
        for b in report.bills.iter().filter(|b| b.error.is_some()) {
            let _ = writeln!(
                out,
                "{}",
                json!({"type": "error", "bill_id": b.bill_id, "error": b.error,
                       "consecutive_failures": b.consecutive_failures})
            );
        }
        for e in &report.rule_errors {
            let _ = writeln!(
                out,
                "{}",
                json!({"type": "error", "rule": true, "error": e})
            );
        }
        let _ = writeln!(
            out,
            "{}",
            json!({
                "type": "summary",
                "bills": report.bills.len(),
                "bills_ok": report.ok(),
                "bills_failed": report.failed(),
                "first_seen": report.bills.iter().filter(|b| b.first_seen).count(),
                "new_alerts": report.alerts.len() + report.previews.len(),
                "delivered": delivered,
                "requests": report.requests,
                "fetched": report.bills.iter().filter(|b| b.source.as_deref().is_some_and(|s| s != "listing") || b.error.is_some()).count(),
                "listing": report.listing,
            })
        );
        return out;
    }
    for b in report.bills.iter().filter(|b| b.error.is_some()) {
        let _ = writeln!(
            out,
            "FAILED {}",
            b.error.as_deref().unwrap_or("unknown error")
        );
    }
    for e in &report.rule_errors {
        let _ = writeln!(out, "FAILED follow rule {e}");
    }
    let first = report.bills.iter().filter(|b| b.first_seen).count();
    let new = report.alerts.len() + report.previews.len();
    let listing = match &report.listing {
        check::Listing::NotUsed => String::new(),
        check::Listing::Used { changed } => format!(" (listing: {changed} changed)"),
        check::Listing::Failed { .. } => " (listing failed: every bill fetched)".to_owned(),
    };
    let _ = writeln!(
        out,
        "checked {} bill(s): {} ok, {} failed; {} first seen; {} new alert(s); {} delivered; {} request(s){listing}",
        report.bills.len(),
        report.ok(),
        report.failed(),
        first,
        new,
        delivered,
        report.requests
    );
    out
}
