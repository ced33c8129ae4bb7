//! The `bills` table: each bill's last snapshot and the day it was observed, what decides whether
//! a check fetches it, and recording a bill — its snapshot, the alerts it causes and its health,
//! in one transaction.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};
use serde::Serialize;

use super::columns::{Day, Json, to_json};
use super::{Alert, Store, StoreError, checks, outbox};
use crate::bill::{BillId, Snapshot};
use crate::changes::{Announcement, Event};
use crate::decide::{self, Decision, FirstSight, FoundVotes, SnapshotSource};
use crate::division::{Division, DivisionId, Vote};
use crate::filter::AlertFilter;
use crate::house::House;
use crate::votes::RecordedVotes;

/// How a bill's `lastUpdate` is kept, to the nanosecond.
const LAST_UPDATE_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.f";

/// The circumstances of recording one bill's snapshot.
#[derive(Debug, Clone)]
pub struct Recording {
    /// The calendar day in the configured zone.
    pub today: NaiveDate,
    pub now: DateTime<Utc>,
    /// Where the snapshot came from.
    pub source: SnapshotSource,
    pub first: FirstSight,
    /// The bill's stages page, for the alerts.
    pub url: String,
    /// Where the alerts go: a Telegram chat, or `None` for the console.
    pub chat: Option<String>,
    /// Which events become alerts; the others are only recorded in the snapshot.
    pub filter: AlertFilter,
    /// Which events the bill's readers get (the `[alerts]` defaults).
    pub readers_filter: AlertFilter,
    /// The bill is back after a time out of the config: record it like a first sight, without
    /// the changes it missed meanwhile.
    pub catch_up: bool,
    /// The divisions this check's searches found (of any bill; empty when none was asked).
    pub divisions: Vec<Division>,
    /// How old a sitting day's newest division must be before its votes are told together.
    pub group_votes_after: std::time::Duration,
}

impl Recording {
    /// What recording `current` writes, given the stored `previous` snapshot and its day, and
    /// what was `announced` for the bill before.
    pub fn decide(
        &self,
        previous: Option<(&Snapshot, NaiveDate)>,
        current: &Snapshot,
        announced: &HashSet<Announcement>,
        recorded: &RecordedVotes,
    ) -> Decision {
        let previous = previous.filter(|_| !self.catch_up);
        let mut decision = decide::decide(
            previous,
            current,
            self.source,
            &self.filter,
            self.today,
            self.first,
            announced,
        );
        let found = FoundVotes {
            divisions: &self.divisions,
            recorded,
            former_title: previous.map(|(p, _)| p.bill.title.as_str()),
            now: self.now,
            group_after: chrono::Duration::from_std(self.group_votes_after)
                .unwrap_or(chrono::Duration::MAX),
        };
        decide::with_votes(&mut decision, &found, &self.filter, previous.is_none());
        decision
    }
}

/// What recording one bill's check did.
#[derive(Debug, Clone, Default)]
pub struct Recorded {
    /// The bill had never been recorded before.
    pub first_seen: bool,
    /// The alerts written to the outbox.
    pub alerts: Vec<Alert>,
    /// Messages queued for the bill's readers (one per alert and reader).
    pub to_readers: usize,
    /// Stored stages gone from Parliament's data, as a phrase each ("2nd reading in the
    /// House of Commons"): for the operator, not the subscribers.
    pub vanished: Vec<String>,
}

/// One tracked bill's state, for `status`.
#[derive(Debug, Clone, Serialize)]
pub struct BillState {
    pub bill_id: BillId,
    pub snapshot: Option<Snapshot>,
    pub seen_on: Option<NaiveDate>,
    pub source: Option<String>,
    pub last_attempt: Option<String>,
    pub last_success: Option<String>,
    pub consecutive_failures: u32,
    pub last_error: Option<String>,
    /// Why the stored snapshot cannot be read back, when it cannot (`snapshot` is then
    /// `None`): one damaged row is shown as such, and the other bills still are.
    pub damaged: Option<String>,
}

impl BillState {
    /// Every bill the database knows, from either table.
    const SELECT: &str = "SELECT ids.bill_id, b.snapshot, b.seen_on, b.source, h.last_attempt,
                h.last_success, COALESCE(h.consecutive_failures, 0), h.last_error
         FROM (SELECT bill_id FROM bills UNION SELECT bill_id FROM bill_health) ids
         LEFT JOIN bills b ON b.bill_id = ids.bill_id
         LEFT JOIN bill_health h ON h.bill_id = ids.bill_id
         ORDER BY ids.bill_id";

    fn from_row(r: &Row<'_>) -> rusqlite::Result<BillState> {
        let stored = (|| {
            let snapshot = r.get::<_, Option<Json<Snapshot>>>(1)?;
            Ok((snapshot, r.get::<_, Option<Day>>(2)?))
        })();
        let (stored, damaged) = match stored {
            Ok(stored) => (stored, None),
            Err(e @ rusqlite::Error::FromSqlConversionFailure(..)) => {
                ((None, None), Some(e.to_string()))
            }
            Err(e) => return Err(e),
        };
        // Both or neither: a bill with health but no snapshot was never fetched successfully.
        let (snapshot, seen_on) = match stored {
            (Some(Json(s)), Some(Day(d))) => (Some(s), Some(d)),
            _ => (None, None),
        };
        Ok(BillState {
            bill_id: r.get(0)?,
            snapshot,
            seen_on,
            source: r.get(3)?,
            last_attempt: r.get(4)?,
            last_success: r.get(5)?,
            consecutive_failures: r.get(6)?,
            last_error: r.get(7)?,
            damaged,
        })
    }
}

/// What a check needs to know about a stored bill to decide whether to fetch it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchState {
    pub bill_id: BillId,
    /// Parliament's `lastUpdate` when the bill was last fetched.
    pub last_update: Option<NaiveDateTime>,
    /// The day the stored snapshot has a stage due to start.
    pub next_due: Option<NaiveDate>,
    pub has_snapshot: bool,
    pub last_full_fetch: Option<DateTime<Utc>>,
    pub consecutive_failures: u32,
    /// When a check last looked at the bill (fetched it, or found it unchanged, or failed).
    pub last_attempt: Option<DateTime<Utc>>,
}

impl FetchState {
    const SELECT: &str = "SELECT ids.bill_id, b.last_update, b.next_due, b.bill_id IS NOT NULL,
                h.last_full_fetch, COALESCE(h.consecutive_failures, 0), h.last_attempt
         FROM (SELECT bill_id FROM bills UNION SELECT bill_id FROM bill_health) ids
         LEFT JOIN bills b ON b.bill_id = ids.bill_id
         LEFT JOIN bill_health h ON h.bill_id = ids.bill_id";

    fn from_row(r: &Row<'_>) -> rusqlite::Result<FetchState> {
        // An unreadable value only means "fetch it": never an error.
        let text = |i| r.get::<_, Option<String>>(i);
        Ok(FetchState {
            bill_id: r.get(0)?,
            last_update: text(1)?
                .and_then(|t| NaiveDateTime::parse_from_str(&t, LAST_UPDATE_FORMAT).ok()),
            next_due: text(2)?.and_then(|d| d.parse().ok()),
            has_snapshot: r.get(3)?,
            last_full_fetch: text(4)?.and_then(|t| {
                DateTime::parse_from_rfc3339(&t)
                    .ok()
                    .map(|t| t.with_timezone(&Utc))
            }),
            consecutive_failures: r.get(5)?,
            last_attempt: text(6)?.and_then(|t| {
                DateTime::parse_from_rfc3339(&t)
                    .ok()
                    .map(|t| t.with_timezone(&Utc))
            }),
        })
    }
}

impl Store {
    /// The stored snapshot of a bill and the day it was observed.
    pub fn snapshot(&self, id: BillId) -> Result<Option<(Snapshot, NaiveDate)>, StoreError> {
        load_snapshot(&self.conn, id).map_err(|e| self.err(e))
    }

    /// The stored snapshots of those of `ids` with a sitting day from `from` to `to`: one
    /// query, which takes from the index of each bill's latest sitting day (`last_sitting`)
    /// only the bills whose latest day is `from` or later (those that sat lately, or have days
    /// to come), and reads their days from the stored JSON; only the ones that sat are decoded.
    /// A quiet check with 1,000 bills reads no snapshot (reading every snapshot's JSON cost
    /// a quiet check nearly as much CPU as the rest of it). A damaged row is left out (its bill
    /// fails at its own check).
    pub fn sat_between(
        &self,
        ids: &[BillId],
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(BillId, Snapshot)>, StoreError> {
        let read = || {
            let mut stmt = self.conn.prepare(
                "SELECT bill_id, snapshot FROM bills b WHERE last_sitting >= ?1 AND EXISTS (
                     SELECT 1 FROM json_each(b.snapshot, '$.stages') s,
                                   json_each(s.value, '$.sittings') d
                     WHERE d.value BETWEEN ?1 AND ?2)
                 ORDER BY bill_id",
            )?;
            let rows = stmt.query_map(params![from.to_string(), to.to_string()], |r| {
                Ok((r.get::<_, BillId>(0)?, r.get::<_, String>(1)?))
            })?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        };
        let rows = read().map_err(|e| self.err(e))?;
        Ok(rows
            .into_iter()
            .filter(|(id, _)| ids.contains(id))
            .filter_map(|(id, json)| serde_json::from_str(&json).ok().map(|s| (id, s)))
            .collect())
    }

    /// The divisions recorded for bill `id` (told, or recorded silently at first sight), in
    /// the order they were held: by date, then time, then id. One whose stored JSON cannot be
    /// read is left out.
    pub fn votes_of(&self, id: BillId) -> Result<Vec<Vote>, StoreError> {
        let read = || {
            let mut stmt = self
                .conn
                .prepare("SELECT vote FROM divisions WHERE bill_id = ?1")?;
            let rows = stmt.query_map(params![id], |r| r.get::<_, String>(0))?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        };
        let rows = read().map_err(|e| self.err(e))?;
        let mut votes: Vec<Vote> = rows
            .iter()
            .filter_map(|json| serde_json::from_str(json).ok())
            .collect();
        votes.sort_by_key(|v: &Vote| (v.division.date, v.division.time, v.division.id));
        Ok(votes)
    }

    /// Bill `id`'s latest recorded division (see [`Store::votes_of`]).
    pub fn latest_vote(&self, id: BillId) -> Result<Option<Vote>, StoreError> {
        Ok(self.votes_of(id)?.pop())
    }

    /// What recording `current` would write, without writing anything (`check --dry-run`).
    pub fn preview(&self, current: &Snapshot, how: &Recording) -> Result<Decision, StoreError> {
        let previous = self.snapshot(current.bill.id)?;
        let announced =
            announced(&self.conn, Told::Channel, current.bill.id).map_err(|e| self.err(e))?;
        let recorded = recorded_votes(&self.conn, current.bill.id).map_err(|e| self.err(e))?;
        let previous = previous.as_ref().map(|(s, d)| (s, *d));
        Ok(how.decide(previous, current, &announced, &recorded))
    }

    /// Records a successful fetch of one bill: decides what changed against the stored
    /// snapshot, then writes the alerts to the outbox, the new snapshot and the bill's health,
    /// in one transaction. The write lock is taken before the stored snapshot is read, so two
    /// processes recording the same change cannot both alert.
    pub fn record(&mut self, current: &Snapshot, how: &Recording) -> Result<Recorded, StoreError> {
        self.in_transaction(TransactionBehavior::Immediate, |tx| {
            let previous = load_snapshot(tx, current.bill.id)?;
            let announced = announced(tx, Told::Channel, current.bill.id)?;
            let recorded = recorded_votes(tx, current.bill.id)?;
            let previous = previous.as_ref().map(|(s, d)| (s, *d));
            let decision = how.decide(previous, current, &announced, &recorded);
            log_muted(&decision);
            let alerts = outbox::insert(tx, &decision.alerts, how)?;
            record_votes(tx, current.bill.id, &decision.votes, how.now)?;
            let to_readers = super::readers::fan_out(tx, how, previous, current, &recorded)?;
            write_snapshot(tx, &decision, how)?;
            checks::note_success(tx, current.bill.id, how.now, how.source.fetched())?;
            Ok(Recorded {
                first_seen: decision.first_seen,
                alerts,
                to_readers,
                vanished: decision.vanished_phrases(),
            })
        })
    }

    /// For every bill the database knows: what decides whether a check must fetch it.
    pub fn fetch_states(&self) -> Result<Vec<FetchState>, StoreError> {
        self.rows(FetchState::SELECT, FetchState::from_row)
    }

    /// State of every bill the database knows, tracked now or not.
    pub fn bills(&self) -> Result<Vec<BillState>, StoreError> {
        self.rows(BillState::SELECT, BillState::from_row)
    }

    /// Every row `sql` selects, each read by `from_row`.
    pub(super) fn rows<T>(
        &self,
        sql: &str,
        from_row: fn(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, StoreError> {
        let read = || {
            let mut stmt = self.conn.prepare(sql)?;
            let rows = stmt.query_map([], from_row)?;
            rows.collect::<rusqlite::Result<Vec<T>>>()
        };
        read().map_err(|e| self.err(e))
    }
}

/// What was announced for bill `id` so far: every alert ever written for it, whatever became of
/// it (an alert whose event cannot be read back counts for nothing).
pub(super) fn announced(
    conn: &Connection,
    table: Told,
    id: BillId,
) -> rusqlite::Result<HashSet<Announcement>> {
    let sql = match table {
        Told::Channel => "SELECT event FROM alerts WHERE bill_id = ?1",
        Told::Readers => "SELECT event FROM reader_alerts WHERE bill_id = ?1",
    };
    let mut stmt = conn.prepare(sql)?;
    let events = stmt.query_map(params![id], |r| r.get::<_, String>(0))?;
    let mut out = HashSet::new();
    for event in events {
        if let Ok(event) = serde_json::from_str::<Event>(&event?) {
            out.insert(event.announcement());
        }
    }
    Ok(out)
}

/// Which alerts were told before: the channel's, or the readers'.
#[derive(Debug, Clone, Copy)]
pub(super) enum Told {
    Channel,
    Readers,
}

/// The divisions recorded for bill `id`, by House and id.
fn recorded_votes(conn: &Connection, id: BillId) -> rusqlite::Result<RecordedVotes> {
    let mut stmt = conn.prepare("SELECT house, division_id FROM divisions WHERE bill_id = ?1")?;
    let rows = stmt.query_map(params![id], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, DivisionId>(1)?))
    })?;
    let mut out = RecordedVotes::new();
    for row in rows {
        let (house, division) = row?;
        // A House this version cannot read counts for nothing, as an unreadable alert does.
        if let Ok(house) = house.parse::<House>() {
            out.insert((house, division));
        }
    }
    Ok(out)
}

/// Records `votes` as bill `id`'s: told (or recorded silently) now, never again.
fn record_votes(
    conn: &Connection,
    id: BillId,
    votes: &[Vote],
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    for vote in votes {
        conn.execute(
            "INSERT OR IGNORE INTO divisions (bill_id, house, division_id, stage_id, sitting,
                                              vote, recorded_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                id,
                vote.division.house.to_string(),
                vote.division.id,
                vote.stage,
                vote.sitting.to_string(),
                to_json(vote)?,
                now.to_rfc3339(),
            ],
        )?;
    }
    Ok(())
}

fn load_snapshot(conn: &Connection, id: BillId) -> rusqlite::Result<Option<(Snapshot, NaiveDate)>> {
    conn.query_row(
        "SELECT snapshot, seen_on FROM bills WHERE bill_id = ?1",
        params![id],
        |r| Ok((r.get::<_, Json<Snapshot>>(0)?.0, r.get::<_, Day>(1)?.0)),
    )
    .optional()
}

fn write_snapshot(conn: &Connection, decision: &Decision, how: &Recording) -> rusqlite::Result<()> {
    let snapshot = &decision.snapshot;
    conn.execute(
        "INSERT INTO bills (bill_id, snapshot, seen_on, first_seen, updated_at, source,
                            last_update, next_due, last_sitting)
         VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (bill_id) DO UPDATE SET
            snapshot = excluded.snapshot, seen_on = excluded.seen_on,
            updated_at = excluded.updated_at, source = excluded.source,
            last_update = excluded.last_update, next_due = excluded.next_due,
            last_sitting = excluded.last_sitting",
        params![
            snapshot.bill.id,
            to_json(snapshot)?,
            how.today.to_string(),
            how.now.to_rfc3339(),
            how.source.as_str(),
            snapshot
                .bill
                .last_update
                .map(|t| t.format(LAST_UPDATE_FORMAT).to_string()),
            decision.next_due.map(|d| d.to_string()),
            snapshot
                .stages
                .iter()
                .flat_map(|s| s.sittings.iter())
                .max()
                .map(ToString::to_string),
        ],
    )?;
    Ok(())
}

/// What a decision records without posting: muted events, repeats of news already given, and
/// stages that vanished, in the log.
fn log_muted(decision: &Decision) {
    for e in &decision.muted {
        tracing::debug!(bill = e.bill_id, kind = e.kind.as_str(), stage = ?e.stage.as_ref().map(|s| &s.name), "recorded, not posted (alerts filter)");
    }
    for e in &decision.repeats {
        tracing::info!(bill = e.bill_id, kind = e.kind.as_str(), stage = ?e.stage.as_ref().map(|s| &s.name), date = ?e.date, "already announced once: not again (Parliament's data flapped)");
    }
    for stage in decision.vanished_phrases() {
        tracing::warn!(
            bill = decision.snapshot.bill.id,
            stage,
            "a stage is gone from Parliament's data; if it comes back it is not announced again"
        );
    }
}
