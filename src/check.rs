//! One check: fetch every tracked bill, detect what changed, persist snapshot and alerts.
//!
//! Bills are fetched a few at a time; each is recorded as soon as it arrives, so an interrupted
//! check keeps what it finished. One failing bill never stops the others: it is reported, its
//! stored state stays as it was, and no alert comes from it.

use chrono::{DateTime, NaiveDate, Utc};
use futures::StreamExt;
use serde::Serialize;

use crate::bill::{BillId, Snapshot};
use crate::changes::Event;
use crate::config::Config;
use crate::source::{SourceError, SourceKind, Sources};
use crate::store::{Alert, FirstSight, Recording, Store, StoreError};

/// How a check treats bills and state.
#[derive(Debug, Clone, Copy, Default)]
pub struct CheckOptions {
    /// Emit `tracking_started` for bills seen for the first time instead of recording them silently.
    pub announce: bool,
}

/// What happened to one bill in a check.
#[derive(Debug, Clone, Serialize)]
pub struct BillOutcome {
    pub bill_id: BillId,
    pub title: Option<String>,
    pub source: Option<String>,
    pub first_seen: bool,
    pub alerts: usize,
    /// Why the bill could not be checked, when it could not.
    pub error: Option<String>,
    /// How many checks in a row have failed for this bill (0 after a success).
    pub consecutive_failures: u32,
}

/// The result of one check.
#[derive(Debug, Clone, Default)]
pub struct CheckReport {
    pub bills: Vec<BillOutcome>,
    /// The alerts this check wrote to the outbox.
    pub alerts: Vec<Alert>,
    /// For `--dry-run`: what would have been written, with the stages-page URL.
    pub previews: Vec<(Event, String)>,
    pub requests: u64,
}

impl CheckReport {
    pub fn failed(&self) -> usize {
        self.bills.iter().filter(|b| b.error.is_some()).count()
    }
    pub fn ok(&self) -> usize {
        self.bills.len() - self.failed()
    }
}

/// The calendar day it is at `now` in the configured zone.
pub fn today(config: &Config, now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&config.timezone).date_naive()
}

/// Runs one check and records it. A database error stops the check: state is then as the last
/// committed bill left it.
pub async fn run(
    config: &Config,
    sources: &Sources,
    store: &mut Store,
    now: DateTime<Utc>,
    today: NaiveDate,
    options: CheckOptions,
) -> Result<CheckReport, StoreError> {
    let requests_before = sources.http.requests();
    let check_id = store.begin_check(now)?;
    let first = if options.announce {
        FirstSight::Announce
    } else {
        FirstSight::Silent
    };
    let mut report = CheckReport::default();
    let mut fetches = fetch_all(config, sources);
    while let Some((id, result)) = fetches.next().await {
        let outcome = match result {
            Ok((snapshot, source)) => {
                let how = Recording {
                    today,
                    now: Utc::now().max(now),
                    source: &source.to_string(),
                    first,
                    url: &config.stages_url(id),
                    chat: config.chat_for(id),
                };
                let recorded = store.record(&snapshot, &how)?;
                log_success(
                    &snapshot,
                    source,
                    recorded.first_seen,
                    recorded.alerts.len(),
                );
                let outcome = BillOutcome {
                    bill_id: id,
                    title: Some(snapshot.bill.title.clone()),
                    source: Some(source.to_string()),
                    first_seen: recorded.first_seen,
                    alerts: recorded.alerts.len(),
                    error: None,
                    consecutive_failures: 0,
                };
                report.alerts.extend(recorded.alerts);
                outcome
            }
            Err(error) => {
                let message = error.to_string();
                let failures = store.record_failure(id, Utc::now().max(now), &message)?;
                tracing::warn!(bill = id, failures, "check failed, state kept: {message}");
                BillOutcome {
                    bill_id: id,
                    title: None,
                    source: None,
                    first_seen: false,
                    alerts: 0,
                    error: Some(message),
                    consecutive_failures: failures,
                }
            }
        };
        report.bills.push(outcome);
    }
    report.requests = sources.http.requests() - requests_before;
    store.finish_check(
        check_id,
        Utc::now().max(now),
        report.ok() as u32,
        report.failed() as u32,
        report.alerts.len() as u32,
        report.requests,
    )?;
    Ok(report)
}

/// Fetches and detects without writing anything (`check --dry-run`). `store` is `None` when no
/// database exists yet.
pub async fn dry_run(
    config: &Config,
    sources: &Sources,
    store: Option<&Store>,
    today: NaiveDate,
    options: CheckOptions,
) -> Result<CheckReport, StoreError> {
    let requests_before = sources.http.requests();
    let first = if options.announce {
        FirstSight::Announce
    } else {
        FirstSight::Silent
    };
    let mut report = CheckReport::default();
    let mut fetches = fetch_all(config, sources);
    while let Some((id, result)) = fetches.next().await {
        let outcome = match result {
            Ok((snapshot, source)) => {
                let (first_seen, events) = match store {
                    Some(store) => (
                        store.snapshot(id)?.is_none(),
                        store.preview(&snapshot, today, first)?,
                    ),
                    None => (
                        true,
                        crate::store::events_for(None, &snapshot, today, first),
                    ),
                };
                let url = config.stages_url(id);
                let n = events.len();
                report
                    .previews
                    .extend(events.into_iter().map(|e| (e, url.clone())));
                BillOutcome {
                    bill_id: id,
                    title: Some(snapshot.bill.title.clone()),
                    source: Some(source.to_string()),
                    first_seen,
                    alerts: n,
                    error: None,
                    consecutive_failures: 0,
                }
            }
            Err(error) => {
                let message = error.to_string();
                tracing::warn!(bill = id, "check failed: {message}");
                BillOutcome {
                    bill_id: id,
                    title: None,
                    source: None,
                    first_seen: false,
                    alerts: 0,
                    error: Some(message),
                    consecutive_failures: 0,
                }
            }
        };
        report.bills.push(outcome);
    }
    report.requests = sources.http.requests() - requests_before;
    Ok(report)
}

type FetchResult = (BillId, Result<(Snapshot, SourceKind), SourceError>);

/// Every tracked bill's fetch, a few at once, results in config order.
fn fetch_all<'a>(
    config: &'a Config,
    sources: &'a Sources,
) -> impl futures::Stream<Item = FetchResult> + Unpin + 'a {
    let ids: Vec<BillId> = config.bills.iter().map(|b| b.id).collect();
    Box::pin(
        futures::stream::iter(ids)
            .map(move |id| async move { (id, sources.fetch(id).await) })
            .buffered(config.parliament.max_concurrent),
    )
}

fn log_success(snapshot: &Snapshot, source: SourceKind, first_seen: bool, alerts: usize) {
    let bill = snapshot.bill.id;
    let stages = snapshot.stages.len();
    if first_seen {
        tracing::info!(bill, %source, stages, alerts, "first check of this bill: recorded");
    } else {
        tracing::info!(bill, %source, stages, alerts, "checked");
    }
}
