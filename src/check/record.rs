//! Recording one bill's result in a check: fetched (with the divisions the check found),
//! failed, or unreadable in the store.

use chrono::{DateTime, NaiveDate, Utc};

use super::doc_types::PingPongTypes;
use super::{BillOutcome, CheckReport, Target};
use crate::bill::{BillId, Snapshot};
use crate::clock::Clock;
use crate::config::Config;
use crate::decide::{FirstSight, SnapshotSource};
use crate::division::Division;
use crate::follow;
use crate::source::{SourceError, SourceKind};
use crate::store::{Recording, StoreError};

/// What every bill of one check shares.
pub(super) struct Run<'a> {
    pub config: &'a Config,
    pub target: &'a Target,
    pub clock: Clock,
    pub today: NaiveDate,
    pub first: FirstSight,
    /// Bills back after a time out of the config.
    pub returning: &'a [BillId],
    /// New bills a follow rule brought in, each with the day of its rule's first search:
    /// `bill_introduced` when first recorded, if introduced that day or later.
    pub introduced: &'a [(BillId, NaiveDate)],
    /// Bills tracked only for their readers: always silent at first sight.
    pub readers_only: &'a [BillId],
    /// The default documents' types at ping-pong, asked for once in the check if needed.
    pub types: PingPongTypes<'a>,
}

/// What recording one bill gave.
#[derive(Debug, Clone)]
pub(super) struct Noted {
    pub first_seen: bool,
    /// Alerts written, or for a dry run, alerts that would be.
    pub alerts: usize,
    pub vanished: Vec<String>,
}

impl Run<'_> {
    /// Records a fetched bill with the `divisions` the check's searches found.
    pub async fn record_fetched(
        &self,
        id: BillId,
        snapshot: Snapshot,
        source: SourceKind,
        divisions: Vec<Division>,
        report: &mut CheckReport,
    ) -> Result<BillOutcome, StoreError> {
        let back = self.returning.contains(&id);
        let now = self.clock.now();
        // A bill the rule's first search missed (a truncated or lagging search) is no news.
        let first = match self.introduced.iter().find(|(b, _)| *b == id) {
            Some((_, since)) if follow::is_new(snapshot.introduced_on(), *since) => {
                FirstSight::Introduce
            }
            _ if self.readers_only.contains(&id) => FirstSight::Silent,
            _ => self.first,
        };
        let mut how = recording(self.config, id, source.into(), first, now, self.today, back);
        how.divisions = divisions;
        let run = (self.config, self.target, self.clock);
        self.types.complete(run, &snapshot, &mut how).await;
        let (title, stages) = (snapshot.bill.title.clone(), snapshot.stages.len());
        match self.target.record(snapshot, how, report).await {
            Ok(noted) => {
                log_success(id, stages, source, noted.first_seen, noted.alerts);
                Ok(BillOutcome::fetched(id, title, source, noted))
            }
            Err(e) if e.is_damaged_row() => damaged(self.target, id, self.clock.now(), &e).await,
            Err(e) => Err(e),
        }
    }

    /// A bill that could not be fetched: its failure counted, its state kept.
    pub async fn failed(&self, id: BillId, error: &SourceError) -> Result<BillOutcome, StoreError> {
        let message = match error.advice() {
            Some(advice) => format!("{error}; {advice}"),
            None => error.to_string(),
        };
        let failures = self
            .target
            .record_failure(id, self.clock.now(), message.clone())
            .await?;
        tracing::warn!(bill = id, failures, "check failed, state kept: {message}");
        // The title it had, so that the operator hears which bill this is.
        let title = match self.target.snapshot(id).await {
            Ok(stored) => stored.map(|s| s.bill.title),
            Err(_) => None,
        };
        Ok(BillOutcome::failed(id, title, message, failures))
    }
}

/// How one bill's snapshot is recorded: what the config says of it, and when.
pub(super) fn recording(
    config: &Config,
    id: BillId,
    source: SnapshotSource,
    first: FirstSight,
    now: DateTime<Utc>,
    today: NaiveDate,
    catch_up: bool,
) -> Recording {
    Recording {
        today,
        now,
        source,
        first,
        url: config.stages_url(id),
        chat: config.chat_for(id).map(str::to_owned),
        filter: config.filter_for(id).clone(),
        readers_filter: config.alerts.filter.clone(),
        catch_up,
        divisions: Vec::new(),
        group_votes_after: config.alerts.group_votes_after,
    }
}

/// A bill whose stored state cannot be read back (a damaged row): it fails alone, reported
/// like any failing bill (and to the operator after `failure_threshold` checks); the other bills
/// go on.
pub(super) async fn damaged(
    target: &Target,
    id: BillId,
    now: DateTime<Utc>,
    e: &StoreError,
) -> Result<BillOutcome, StoreError> {
    let message = format!(
        "bill {id}: its stored state cannot be read, so it cannot be compared ({e}); the other \
         bills go on"
    );
    let failures = target.record_failure(id, now, message.clone()).await?;
    tracing::error!(bill = id, failures, "{message}");
    Ok(BillOutcome::failed(id, None, message, failures))
}

fn log_success(bill: BillId, stages: usize, source: SourceKind, first_seen: bool, alerts: usize) {
    if first_seen {
        tracing::info!(bill, %source, stages, alerts, "first check of this bill: recorded");
    } else {
        tracing::info!(bill, %source, stages, alerts, "checked");
    }
}
