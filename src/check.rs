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
use crate::clock::Clock;
use crate::config::{Config, Mode};
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

impl BillOutcome {
    fn failed(bill_id: BillId, error: String, consecutive_failures: u32) -> Self {
        BillOutcome {
            bill_id,
            title: None,
            source: None,
            first_seen: false,
            alerts: 0,
            error: Some(error),
            consecutive_failures,
        }
    }
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
    pub listing: Listing,
}

impl CheckReport {
    pub fn failed(&self) -> usize {
        self.bills.iter().filter(|b| b.error.is_some()).count()
    }
    pub fn ok(&self) -> usize {
        self.bills.len() - self.failed()
    }
}

/// Runs one check and records it. A database error stops the check: state is then as the last
/// committed bill left it.
///
/// When the database knows every bill and a check finished before, one listing request asks the
/// API which bills changed since; only those are fetched. A bill is fetched anyway when it has
/// never been fetched, failed last time, was last fetched in full longer ago than
/// `parliament.full_refresh`, is read from the pages, or when the listing fails. A stored bill
/// with a stage due to start today is looked at again without a fetch, so its `stage_reached`
/// comes on the day.
pub async fn run(
    config: &Config,
    sources: &Sources,
    store: &mut Store,
    clock: Clock,
    options: CheckOptions,
) -> Result<CheckReport, StoreError> {
    let now = clock.now();
    let today = clock.today(&config.timezone);
    let requests_before = sources.http.requests();
    let since = store.last_check_started()?;
    let check_id = store.begin_check(now)?;
    let first = if options.announce {
        FirstSight::Announce
    } else {
        FirstSight::Silent
    };
    let plan = plan(config, sources, store, since, now).await?;
    let mut report = CheckReport {
        listing: plan.listing.clone(),
        ..CheckReport::default()
    };

    // Bills the listing shows unchanged: no fetch; a stage due today is still told on the day.
    store.touch_unchanged(&plan.unchanged, now)?;
    for id in &plan.unchanged {
        let due = plan.due.contains(id);
        let mut outcome = BillOutcome {
            bill_id: *id,
            title: None,
            source: Some("listing".to_owned()),
            first_seen: false,
            alerts: 0,
            error: None,
            consecutive_failures: 0,
        };
        if due && let Some((stored, _)) = store.snapshot(*id)? {
            let how = Recording {
                today,
                now,
                source: "listing",
                first,
                url: &config.stages_url(*id),
                chat: config.chat_for(*id),
                fetched: false,
                filter: config.filter_for(*id),
            };
            let recorded = store.record(&stored, &how)?;
            outcome.title = Some(stored.bill.title.clone());
            outcome.alerts = recorded.alerts.len();
            report.alerts.extend(recorded.alerts);
        }
        report.bills.push(outcome);
    }

    let mut fetches = fetch_all(config, sources, plan.fetch);
    while let Some((id, result)) = fetches.next().await {
        let outcome = match result {
            Ok((snapshot, source)) => {
                let how = Recording {
                    today,
                    now: clock.now(),
                    source: &source.to_string(),
                    first,
                    url: &config.stages_url(id),
                    chat: config.chat_for(id),
                    fetched: true,
                    filter: config.filter_for(id),
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
                let failures = store.record_failure(id, clock.now(), &message)?;
                tracing::warn!(bill = id, failures, "check failed, state kept: {message}");
                BillOutcome::failed(id, message, failures)
            }
        };
        report.bills.push(outcome);
    }
    report.bills.sort_by_key(|b| {
        config
            .bills
            .iter()
            .position(|t| t.id == b.bill_id)
            .unwrap_or(usize::MAX)
    });
    report.requests = sources.http.requests() - requests_before;
    store.finish_check(
        check_id,
        clock.now(),
        report.ok() as u32,
        report.failed() as u32,
        report.alerts.len() as u32,
        report.requests,
    )?;
    Ok(report)
}

/// Which bills a check fetches, and which it takes as unchanged.
#[derive(Debug, Default)]
struct Plan {
    fetch: Vec<BillId>,
    unchanged: Vec<BillId>,
    /// Unchanged bills with a stage due to start by today.
    due: Vec<BillId>,
    listing: Listing,
}

/// How the listing went, for the report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Listing {
    /// Not asked: no earlier check, no bill it could spare, or switched off.
    #[default]
    NotUsed,
    /// Asked: this many bills changed since the last check.
    Used { changed: usize },
    /// Asked, failed: every bill was fetched.
    Failed { error: String },
}

/// Margin for the difference between Parliament's clock and ours, and for updates that take a
/// moment to show.
const LISTING_MARGIN: chrono::Duration = chrono::Duration::minutes(15);

async fn plan(
    config: &Config,
    sources: &Sources,
    store: &Store,
    since: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<Plan, StoreError> {
    let states = store.fetch_states()?;
    let today = crate::clock::day_in(now, &config.timezone);
    let full_refresh = chrono::Duration::from_std(config.parliament.full_refresh)
        .unwrap_or(chrono::Duration::days(1));
    let mut plan = Plan::default();
    let mut candidates = Vec::new();
    for bill in &config.bills {
        let state = states.iter().find(|s| s.bill_id == bill.id);
        let spare = config.parliament.listing
            && sources.mode_for(bill.id) != Mode::Pages
            && state.is_some_and(|s| {
                s.has_snapshot
                    && s.last_update.is_some()
                    && s.consecutive_failures == 0
                    && s.last_full_fetch.is_some_and(|t| now - t < full_refresh)
            });
        if spare {
            candidates.push(state.cloned().expect("checked above"));
        } else {
            plan.fetch.push(bill.id);
        }
    }
    let Some(since) = since.filter(|_| !candidates.is_empty()) else {
        plan.fetch.extend(candidates.iter().map(|s| s.bill_id));
        plan.fetch
            .sort_by_key(|id| config.bills.iter().position(|b| b.id == *id));
        return Ok(plan);
    };
    let since_uk = (since - LISTING_MARGIN)
        .with_timezone(&chrono_tz::Europe::London)
        .naive_local();
    match sources.api.changed_since(since_uk).await {
        Ok(listed) => {
            let mut changed = 0;
            for state in candidates {
                match listed.get(&state.bill_id) {
                    Some(updated) if Some(*updated) != state.last_update => {
                        changed += 1;
                        plan.fetch.push(state.bill_id);
                    }
                    _ => {
                        if state.next_due.is_some_and(|d| d <= today) {
                            plan.due.push(state.bill_id);
                        }
                        plan.unchanged.push(state.bill_id);
                    }
                }
            }
            tracing::info!(
                changed,
                unchanged = plan.unchanged.len(),
                "listing: only changed bills are fetched"
            );
            plan.listing = Listing::Used { changed };
        }
        Err(e) => {
            tracing::warn!("the listing of changed bills failed, fetching every bill: {e}");
            plan.fetch.extend(candidates.iter().map(|s| s.bill_id));
            plan.listing = Listing::Failed {
                error: e.to_string(),
            };
        }
    }
    plan.fetch
        .sort_by_key(|id| config.bills.iter().position(|b| b.id == *id));
    Ok(plan)
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
    let ids = config.bills.iter().map(|b| b.id).collect();
    let mut fetches = fetch_all(config, sources, ids);
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
                let events: Vec<Event> = events
                    .into_iter()
                    .filter(|e| config.filter_for(id).allows(e))
                    .collect();
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
                BillOutcome::failed(id, message, 0)
            }
        };
        report.bills.push(outcome);
    }
    report.requests = sources.http.requests() - requests_before;
    Ok(report)
}

type FetchResult = (BillId, Result<(Snapshot, SourceKind), SourceError>);

/// The fetches of `ids`, a few at once, results in the order given.
fn fetch_all<'a>(
    config: &'a Config,
    sources: &'a Sources,
    ids: Vec<BillId>,
) -> impl futures::Stream<Item = FetchResult> + Unpin + 'a {
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
