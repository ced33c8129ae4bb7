//! One check: fetch every tracked bill, detect what changed, persist snapshot and alerts.
//!
//! Bills are fetched a few at a time; each is recorded as soon as it arrives, so an interrupted
//! check keeps what it finished. One failing bill never stops the others: it is reported, its
//! stored state stays as it was, and no alert comes from it. A bill that sat in the last few
//! days is recorded once the Votes APIs were asked (see `check/votes.rs`), so that its stage
//! and the stage's vote are told together.

mod doc_types;
mod follow;
pub mod plan;
mod readers;
mod record;
mod report;
mod rule_health;
mod votes;

use chrono::{DateTime, NaiveDate, Utc};
use futures::StreamExt;
use serde::Serialize;

use crate::bill::{BillId, Snapshot};
use crate::changes::Event;
use crate::clock::Clock;
use crate::config::{Config, Mode};
use crate::decide::{FirstSight, SnapshotSource};
use crate::source::search::FoundBill;
use crate::source::{Known, SourceError, SourceKind, Sources};
use crate::store::{Alert, Db, FetchState, Recording, StoreError};
use plan::Plan;
use record::{Noted, Run, damaged, recording};
pub use report::Listing;

/// How a check treats bills and state.
#[derive(Debug, Clone, Copy, Default)]
pub struct CheckOptions {
    /// Emit `tracking_started` for bills seen for the first time instead of recording them silently.
    pub announce: bool,
}

impl CheckOptions {
    fn first_sight(self) -> FirstSight {
        if self.announce {
            FirstSight::Announce
        } else {
            FirstSight::Silent
        }
    }
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
    /// Stored stages gone from Parliament's data (one phrase each), for the operator.
    #[serde(skip)]
    pub vanished: Vec<String>,
}

impl BillOutcome {
    fn fetched(bill_id: BillId, title: String, source: SourceKind, noted: Noted) -> Self {
        BillOutcome {
            bill_id,
            title: Some(title),
            source: Some(source.to_string()),
            first_seen: noted.first_seen,
            alerts: noted.alerts,
            error: None,
            consecutive_failures: 0,
            vanished: noted.vanished,
        }
    }

    /// Shown unchanged by the listing: not fetched.
    fn unchanged(bill_id: BillId) -> Self {
        BillOutcome {
            bill_id,
            title: None,
            source: Some(SnapshotSource::Listing.to_string()),
            first_seen: false,
            alerts: 0,
            error: None,
            consecutive_failures: 0,
            vanished: Vec::new(),
        }
    }

    /// `title` is the stored one, when the bill was ever fetched.
    fn failed(
        bill_id: BillId,
        title: Option<String>,
        error: String,
        consecutive_failures: u32,
    ) -> Self {
        BillOutcome {
            bill_id,
            title,
            source: None,
            first_seen: false,
            alerts: 0,
            error: Some(error),
            consecutive_failures,
            vanished: Vec::new(),
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
    /// What the operator should hear beyond the bills' own health (a Votes API failing check
    /// after check, a follow rule in error, and their recovery): each once.
    pub notices: Vec<String>,
    /// Follow rules that could not be used (too many bills, a search that failed), each
    /// named with why; the operator hears of them through [`CheckReport::notices`], once.
    pub rule_errors: Vec<String>,
}

impl CheckReport {
    /// Bills that failed (a rule in error is in [`CheckReport::rule_errors`]).
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
/// API which bills changed since; only those are fetched (see [`plan`] for the bills
/// fetched anyway). A stored bill with a stage due to start today is looked at again without a
/// fetch, so its `stage_reached` comes on the day.
pub async fn run(
    config: &Config,
    sources: &Sources,
    db: &Db,
    clock: Clock,
    options: CheckOptions,
) -> Result<CheckReport, StoreError> {
    let target = Target::Store(db.clone());
    check(config, sources, target, clock, options).await
}

/// Runs the same check as [`run`] without writing anything (`check --dry-run`): what would be
/// alerted is in [`CheckReport::previews`]. `db` is `None` when no database exists yet: every
/// bill is then seen for the first time.
pub async fn dry_run(
    config: &Config,
    sources: &Sources,
    db: Option<&Db>,
    clock: Clock,
    options: CheckOptions,
) -> Result<CheckReport, StoreError> {
    let target = Target::DryRun(db.cloned());
    check(config, sources, target, clock, options).await
}

/// Where a check's results go.
#[derive(Debug)]
enum Target {
    /// The database: snapshots, alerts, each bill's health and the check's record.
    Store(Db),
    /// Nowhere: the check reads what is stored (if there is a database) and reports what it
    /// would write.
    DryRun(Option<Db>),
}

impl Target {
    fn stored(&self) -> Option<&Db> {
        match self {
            Target::Store(db) => Some(db),
            Target::DryRun(db) => db.as_ref(),
        }
    }

    fn writable(&self) -> Option<&Db> {
        match self {
            Target::Store(db) => Some(db),
            Target::DryRun(_) => None,
        }
    }

    async fn last_check_started(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        match self.stored() {
            Some(db) => db.call(|s| s.last_check_started()).await,
            None => Ok(None),
        }
    }

    async fn fetch_states(&self) -> Result<Vec<FetchState>, StoreError> {
        match self.stored() {
            Some(db) => db.call(|s| s.fetch_states()).await,
            None => Ok(Vec::new()),
        }
    }

    /// The stored snapshots of those of `ids` that sat from `from` to `to`.
    async fn sat_between(
        &self,
        ids: Vec<BillId>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(BillId, Snapshot)>, StoreError> {
        match self.stored() {
            Some(db) => db.call(move |s| s.sat_between(&ids, from, to)).await,
            None => Ok(Vec::new()),
        }
    }

    async fn snapshot(&self, id: BillId) -> Result<Option<Snapshot>, StoreError> {
        let stored = match self.stored() {
            Some(db) => db.call(move |s| s.snapshot(id)).await?,
            None => None,
        };
        Ok(stored.map(|(snapshot, _)| snapshot))
    }

    /// Records `snapshot` (the alerts go in the report), or for a dry run decides what would be
    /// recorded, in the very same way, and writes nothing (the alerts go in the previews).
    async fn record(
        &self,
        snapshot: Snapshot,
        how: Recording,
        report: &mut CheckReport,
    ) -> Result<Noted, StoreError> {
        if let Some(db) = self.writable() {
            let recorded = db.call(move |s| s.record(&snapshot, &how)).await?;
            let noted = Noted {
                first_seen: recorded.first_seen,
                alerts: recorded.alerts.len(),
                vanished: recorded.vanished,
            };
            report.alerts.extend(recorded.alerts);
            return Ok(noted);
        }
        let url = how.url.clone();
        let decision = match self.stored() {
            Some(db) => db.call(move |s| s.preview(&snapshot, &how)).await?,
            None => how.decide(None, &snapshot, &Default::default(), &Default::default()),
        };
        let noted = Noted {
            first_seen: decision.first_seen,
            alerts: decision.alerts.len(),
            vanished: decision.vanished_phrases(),
        };
        let previews = decision.alerts.into_iter().map(|e| (e, url.clone()));
        report.previews.extend(previews);
        Ok(noted)
    }

    /// How many checks in a row have now failed for the bill (0 for a dry run).
    async fn record_failure(
        &self,
        id: BillId,
        now: DateTime<Utc>,
        error: String,
    ) -> Result<u32, StoreError> {
        match self.writable() {
            Some(db) => db.call(move |s| s.record_failure(id, now, &error)).await,
            None => Ok(0),
        }
    }
}

/// The check itself, for [`run`] and [`dry_run`] alike.
async fn check(
    config: &Config,
    sources: &Sources,
    target: Target,
    clock: Clock,
    options: CheckOptions,
) -> Result<CheckReport, StoreError> {
    let now = clock.now();
    let today = clock.today(&config.timezone);
    let requests_before = sources.http.requests();
    let since = target.last_check_started().await?;
    let check_id = match target.writable() {
        Some(db) => Some(db.call(move |s| s.begin_check(now)).await?),
        None => None,
    };
    let states = target.fetch_states().await?;
    let planned = plan_with_rules(config, sources, &target, &states, since, now, today).await?;
    let (config, plan, introduced) = (&planned.config, planned.plan, planned.introduced);
    let mut report = CheckReport {
        listing: planned.listing,
        rule_errors: planned.rule_errors,
        notices: planned.notices,
        ..CheckReport::default()
    };
    let first = options.first_sight();
    look_again_at_unchanged(config, &target, &plan, now, today, first, &mut report).await?;

    let returning = plan.returning.clone();
    if !returning.is_empty() {
        tracing::info!(
            bills = ?returning,
            "back in the config after a time out of it: recorded silently, without the changes \
             missed meanwhile"
        );
    }
    let run = Run {
        config,
        target: &target,
        clock,
        today,
        first,
        returning: &returning,
        introduced: &introduced,
        readers_only: &planned.readers,
        types: doc_types::PingPongTypes::new(&sources.api),
    };
    let mut fetches = fetch_all(config, sources, &target, plan.fetch, today);
    // A bill that sat recently waits for the votes, so that a stage and its vote found now
    // are told in one message; the others are recorded as they arrive.
    let mut waiting = Vec::new();
    while let Some((id, result)) = fetches.next().await {
        let outcome = match result {
            Ok((snapshot, source)) if votes::may_be_voting(config, &snapshot, today) => {
                waiting.push((id, snapshot, source));
                continue;
            }
            Ok((snapshot, source)) => {
                run.record_fetched(id, snapshot, source, Vec::new(), &mut report)
                    .await?
            }
            Err(error) => run.failed(id, &error).await?,
        };
        report.bills.push(outcome);
    }
    votes::settle(&run, sources, waiting, &mut report).await?;
    report.bills.sort_by_key(|b| {
        config
            .bills
            .iter()
            .position(|t| t.id == b.bill_id)
            .unwrap_or(usize::MAX)
    });
    report.requests = sources.http.requests() - requests_before;
    if let (Some(db), Some(id)) = (target.writable(), check_id) {
        let (now, ok, failed) = (clock.now(), report.ok() as u32, report.failed() as u32);
        let (alerts, requests) = (report.alerts.len() as u32, report.requests);
        db.call(move |s| s.finish_check(id, now, ok, failed, alerts, requests))
            .await?;
    }
    Ok(report)
}

/// A check's plan once the follow rules had their say.
struct Planned {
    /// The config with the rules' bills tracked as if listed.
    config: Config,
    plan: Plan,
    listing: Listing,
    /// The rules' new bills, each with the day since which it counts as new.
    introduced: Vec<(BillId, NaiveDate)>,
    /// Bills tracked only for readers who follow them: silent at first sight.
    readers: Vec<BillId>,
    rule_errors: Vec<String>,
    /// What the operator should hear of the rules.
    notices: Vec<String>,
}

/// The rules' searches that are due, then the plan for every tracked bill (listed, or brought
/// in by a rule), then the bills new in the listing that a rule takes on, fetched too.
async fn plan_with_rules(
    config: &Config,
    sources: &Sources,
    target: &Target,
    states: &[FetchState],
    since: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<Planned, StoreError> {
    let mut rules = follow::Follow::load(config, target).await?;
    rules
        .search_due(config, sources, target, states, now)
        .await?;
    let ruled = rules.config(config);
    let readers = readers::readers_bills(config, &ruled, target).await?;
    let tracked = readers::with_readers(ruled, &readers);
    let (mut plan, listing, listed) =
        choose_fetches(&tracked, sources, states, since, now, today).await;
    let taken = rules
        .take_listed(config, target, &listed, states, now)
        .await?;
    for id in taken {
        if !plan.fetch.contains(&id) && !plan.unchanged.contains(&id) {
            plan.fetch.push(id);
        }
    }
    let (rule_errors, notices) = rules.errors(config, target).await?;
    for e in &rule_errors {
        tracing::error!("follow rule: {e}");
    }
    Ok(Planned {
        config: readers::with_readers(rules.config(config), &readers),
        readers,
        plan,
        listing,
        introduced: rules.introduced(config),
        rule_errors,
        notices,
    })
}

/// Bills the listing shows unchanged: no fetch; a stage due today is still told on the day, from
/// the stored snapshot.
async fn look_again_at_unchanged(
    config: &Config,
    target: &Target,
    plan: &Plan,
    now: DateTime<Utc>,
    today: NaiveDate,
    first: FirstSight,
    report: &mut CheckReport,
) -> Result<(), StoreError> {
    if let Some(db) = target.writable() {
        let unchanged = plan.unchanged.clone();
        db.call(move |s| s.touch_unchanged(&unchanged, now)).await?;
    }
    for id in &plan.unchanged {
        let mut outcome = BillOutcome::unchanged(*id);
        let looked = if plan.due.contains(id) {
            target.snapshot(*id).await
        } else {
            Ok(None)
        };
        let recorded = match looked {
            Ok(Some(stored)) => {
                let how = recording(
                    config,
                    *id,
                    SnapshotSource::Listing,
                    first,
                    now,
                    today,
                    false,
                );
                outcome.title = Some(stored.bill.title.clone());
                target.record(stored, how, report).await.map(Some)
            }
            Ok(None) => Ok(None),
            Err(e) => Err(e),
        };
        match recorded {
            Ok(noted) => outcome.alerts = noted.map_or(0, |n| n.alerts),
            Err(e) if e.is_damaged_row() => outcome = damaged(target, *id, now, &e).await?,
            Err(e) => return Err(e),
        }
        report.bills.push(outcome);
    }
    Ok(())
}

/// Margin for the difference between Parliament's clock and ours, and for updates that take a
/// moment to show.
const LISTING_MARGIN: chrono::Duration = chrono::Duration::minutes(15);

/// Which bills to fetch: the candidates from what is stored, then the listing's answer, when it
/// is worth asking (a check finished before and some bill may be spared).
async fn choose_fetches(
    config: &Config,
    sources: &Sources,
    states: &[FetchState],
    since: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> (Plan, Listing, Vec<FoundBill>) {
    let full_refresh = chrono::Duration::from_std(config.parliament.full_refresh)
        .unwrap_or(chrono::Duration::days(1));
    let tracked: Vec<(BillId, Mode)> = config
        .bills
        .iter()
        .map(|b| (b.id, sources.mode_for(b.id)))
        .collect();
    let candidates = plan::candidates(
        &tracked,
        states,
        now,
        full_refresh,
        config.parliament.listing,
        since.filter(|t| *t <= now),
    );
    if !candidates.from_the_future.is_empty() {
        tracing::warn!(
            bills = ?candidates.from_the_future,
            "a stored time of the last full fetch is later than now (was the clock ahead?): \
             fetching those bills in full"
        );
    }
    // A last check stored as later than now cannot say what changed since: ask for nothing.
    if let Some(since) = since.filter(|t| *t > now) {
        tracing::warn!(
            %since,
            "the last check is stored as later than now (was the clock ahead?): fetching every \
             bill in full"
        );
        return (plan::fetch_all(candidates), Listing::NotUsed, Vec::new());
    }
    // The rules' new bills are found in the listing too.
    let worth_asking = !candidates.spare.is_empty() || !config.follow.is_empty();
    let Some(since) = since.filter(|_| worth_asking) else {
        return (plan::fetch_all(candidates), Listing::NotUsed, Vec::new());
    };
    let since_uk = (since - LISTING_MARGIN)
        .with_timezone(&chrono_tz::Europe::London)
        .naive_local();
    match sources.api.changed_since(since_uk).await {
        Ok(listed) => {
            let updated = listed
                .iter()
                .filter_map(|b| b.updated.map(|t| (b.id, t)))
                .collect();
            let plan = plan::apply_listing(candidates, &updated, today);
            tracing::info!(
                changed = plan.changed,
                unchanged = plan.unchanged.len(),
                "listing: only changed bills are fetched"
            );
            let listing = Listing::Used {
                changed: plan.changed,
            };
            (plan, listing, listed)
        }
        Err(e) => {
            tracing::warn!("the listing of changed bills failed, fetching every bill: {e}");
            let listing = Listing::Failed {
                error: e.to_string(),
            };
            (plan::fetch_all(candidates), listing, Vec::new())
        }
    }
}

type FetchResult = (BillId, Result<(Snapshot, SourceKind), SourceError>);

/// The fetches of `ids`, a few at once, results in the order given. A bill read from the pages
/// is read knowing its stored snapshot (which stages' own pages to read).
fn fetch_all<'a>(
    config: &'a Config,
    sources: &'a Sources,
    target: &'a Target,
    ids: Vec<BillId>,
    today: NaiveDate,
) -> impl futures::Stream<Item = FetchResult> + Unpin + 'a {
    Box::pin(
        futures::stream::iter(ids)
            .map(move |id| async move {
                let known = async move {
                    // A stored snapshot that cannot be read is reported when the bill is
                    // recorded; meanwhile the pages are read as for a bill not seen before.
                    let stored = target.snapshot(id).await.ok().flatten();
                    Known {
                        stored,
                        today: Some(today),
                    }
                };
                (id, sources.fetch_knowing(id, known).await)
            })
            .buffered(config.parliament.max_concurrent),
    )
}
