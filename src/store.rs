//! State in SQLite: the last snapshot of every bill, the outbox of alerts, check history.
//!
//! A bill's new snapshot and the alerts it causes are written in one `IMMEDIATE` transaction, and
//! change detection runs inside it against the stored snapshot, so a crash at any point, or two
//! processes checking at once, still produce each alert exactly once.

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};
use serde::Serialize;

use crate::bill::{BillId, Snapshot};
use crate::changes::Event;
use crate::decide::{self, Decision, FirstSight, SnapshotSource};
use crate::filter::AlertFilter;
use crate::plan::FetchState;

/// Each entry moves the schema up one version (`PRAGMA user_version`). Never edit an entry that
/// has shipped; add a new one.
const MIGRATIONS: &[&str] = &[
    // 1: snapshots, per-bill health, the outbox, check history.
    r#"
    CREATE TABLE bills (
        bill_id      INTEGER PRIMARY KEY,
        snapshot     TEXT NOT NULL,          -- JSON of bill::Snapshot
        seen_on      TEXT NOT NULL,          -- the calendar day (configured zone) it was observed
        first_seen   TEXT NOT NULL,          -- RFC 3339, UTC
        updated_at   TEXT NOT NULL,
        source       TEXT NOT NULL
    );
    CREATE TABLE bill_health (
        bill_id              INTEGER PRIMARY KEY,
        last_attempt         TEXT NOT NULL,
        last_success         TEXT,
        consecutive_failures INTEGER NOT NULL DEFAULT 0,
        last_error           TEXT,
        failure_reported     INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE alerts (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        bill_id         INTEGER NOT NULL,
        kind            TEXT NOT NULL,
        event           TEXT NOT NULL,       -- JSON of changes::Event
        url             TEXT NOT NULL,
        chat            TEXT,                -- NULL: the console
        created_at      TEXT NOT NULL,
        status          TEXT NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'sent', 'blocked')),
        attempts        INTEGER NOT NULL DEFAULT 0,
        last_attempt_at TEXT,
        last_error      TEXT,
        sent_at         TEXT,
        message_id      INTEGER
    );
    CREATE INDEX alerts_by_status ON alerts (status, id);
    CREATE TABLE checks (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        started_at   TEXT NOT NULL,
        finished_at  TEXT,
        bills_ok     INTEGER NOT NULL DEFAULT 0,
        bills_failed INTEGER NOT NULL DEFAULT 0,
        alerts       INTEGER NOT NULL DEFAULT 0,
        requests     INTEGER NOT NULL DEFAULT 0
    );
    "#,
    // 3 (below) adds what a check needs to skip unchanged bills.
    // 2: stored copies of pages, for conditional requests.
    r#"
    CREATE TABLE http_cache (
        url           TEXT PRIMARY KEY,
        etag          TEXT,
        last_modified TEXT,
        body          BLOB NOT NULL,
        stored_at     TEXT NOT NULL
    );
    "#,
    // 3: what lets a check skip bills the listing shows unchanged.
    r#"
    ALTER TABLE bills ADD COLUMN last_update TEXT;      -- the bill's lastUpdate as Parliament gave it
    ALTER TABLE bills ADD COLUMN next_due TEXT;         -- the first day a stored stage is due to start
    ALTER TABLE bill_health ADD COLUMN last_full_fetch TEXT;
    "#,
    // 4: small facts (the last daily digest per chat) and the live status cards.
    r#"
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE cards (
        bill_id    INTEGER NOT NULL,
        chat       TEXT NOT NULL,
        message_id INTEGER NOT NULL,
        text       TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (bill_id, chat)
    );
    "#,
];

/// How a bill's `lastUpdate` is kept, to the nanosecond.
const LAST_UPDATE_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.f";

/// What went wrong with the database. The file is never reset or overwritten because of it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the folder for the database {path}: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path} is not a billwatch database, or it is damaged ({detail}). It was left untouched: \
         restore a backup, or move it aside to start afresh (every bill is then recorded again \
         silently), or point storage.path elsewhere"
    )]
    Corrupt { path: PathBuf, detail: String },
    #[error(
        "the database {path} was written by a newer billwatch (schema version {found}; this \
         version knows up to {known}). It was left untouched: run the newer billwatch"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("database {path}: {source}")]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("database {path}: a stored record cannot be read: {detail}")]
    Decode { path: PathBuf, detail: String },
}

/// Where an alert stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertStatus {
    Pending,
    Sent,
    Blocked,
}

/// An alert in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alert {
    pub id: i64,
    pub event: Event,
    /// The bill's stages page.
    pub url: String,
    /// The Telegram chat it goes to; `None` for the console.
    pub chat: Option<String>,
    pub created_at: DateTime<Utc>,
    pub status: AlertStatus,
    pub attempts: u32,
    pub last_error: Option<String>,
}

/// What recording one bill's check did.
#[derive(Debug, Clone, Default)]
pub struct Recorded {
    /// The bill had never been recorded before.
    pub first_seen: bool,
    /// The alerts written to the outbox.
    pub alerts: Vec<Alert>,
}

/// The circumstances of recording one bill's snapshot.
#[derive(Debug, Clone, Copy)]
pub struct Recording<'a> {
    /// The calendar day in the configured zone.
    pub today: NaiveDate,
    pub now: DateTime<Utc>,
    /// Where the snapshot came from.
    pub source: SnapshotSource,
    pub first: FirstSight,
    /// The bill's stages page, for the alerts.
    pub url: &'a str,
    /// Where the alerts go: a Telegram chat, or `None` for the console.
    pub chat: Option<&'a str>,
    /// Which events become alerts; the others are only recorded in the snapshot.
    pub filter: &'a AlertFilter,
}

impl Recording<'_> {
    /// What recording `current` writes, given the stored `previous` snapshot and its day.
    pub fn decide(&self, previous: Option<(&Snapshot, NaiveDate)>, current: &Snapshot) -> Decision {
        decide::decide(
            previous,
            current,
            self.source,
            self.filter,
            self.today,
            self.first,
        )
    }
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
}

/// A finished or running check, for `status` and `health`.
#[derive(Debug, Clone, Serialize)]
pub struct CheckRecord {
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub bills_ok: u32,
    pub bills_failed: u32,
    pub alerts: u32,
    pub requests: u64,
}

/// The database.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens the database, creating it and its folder if missing, and migrates it.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                path: path.to_owned(),
                source,
            })?;
        }
        let conn = Connection::open(path).map_err(|e| sqlite(path, e))?;
        let mut store = Store {
            conn,
            path: path.to_owned(),
        };
        store.prepare(true)?;
        Ok(store)
    }

    /// Opens an existing database without writing to it; `None` when there is none yet.
    pub fn open_read_only(path: &Path) -> Result<Option<Store>, StoreError> {
        if !path.exists() {
            return Ok(None);
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| sqlite(path, e))?;
        let mut store = Store {
            conn,
            path: path.to_owned(),
        };
        store.prepare(false)?;
        Ok(Some(store))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn prepare(&mut self, writable: bool) -> Result<(), StoreError> {
        let path = self.path.clone();
        let corrupt = |e: rusqlite::Error| StoreError::Corrupt {
            path: path.clone(),
            detail: e.to_string(),
        };
        self.conn
            .busy_timeout(std::time::Duration::from_secs(15))
            .map_err(|e| sqlite(&path, e))?;
        // The first read of the header: a file that is not SQLite fails here.
        let version: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(corrupt)?;
        let check: String = self
            .conn
            .query_row("PRAGMA quick_check", [], |r| r.get(0))
            .map_err(corrupt)?;
        if check != "ok" {
            return Err(StoreError::Corrupt {
                path,
                detail: check,
            });
        }
        let known = MIGRATIONS.len() as i64;
        if version > known {
            return Err(StoreError::TooNew {
                path,
                found: version,
                known,
            });
        }
        if version == 0 {
            let foreign: i64 = self
                .conn
                .query_row(
                    "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'",
                    [],
                    |r| r.get(0),
                )
                .map_err(corrupt)?;
            if foreign > 0 {
                return Err(StoreError::Corrupt {
                    path,
                    detail: "it holds tables that billwatch did not create".to_owned(),
                });
            }
        }
        if !writable {
            if version < known {
                return Err(StoreError::Decode {
                    path,
                    detail: format!(
                        "schema version {version} is older than this billwatch's {known}; run \
                         `billwatch check` once to upgrade it"
                    ),
                });
            }
            return Ok(());
        }
        self.conn
            .execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;")
            .map_err(|e| sqlite(&path, e))?;
        for (index, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Exclusive)
                .map_err(|e| sqlite(&path, e))?;
            tx.execute_batch(sql).map_err(|e| sqlite(&path, e))?;
            tx.pragma_update(None, "user_version", index as i64 + 1)
                .map_err(|e| sqlite(&path, e))?;
            tx.commit().map_err(|e| sqlite(&path, e))?;
        }
        Ok(())
    }

    fn err(&self, e: rusqlite::Error) -> StoreError {
        sqlite(&self.path, e)
    }

    fn decode(&self, detail: impl ToString) -> StoreError {
        StoreError::Decode {
            path: self.path.clone(),
            detail: detail.to_string(),
        }
    }

    /// The stored snapshot of a bill and the day it was observed.
    pub fn snapshot(&self, id: BillId) -> Result<Option<(Snapshot, NaiveDate)>, StoreError> {
        load_snapshot(&self.conn, id)
            .map_err(|e| self.err(e))?
            .map(|(json, day)| decode_snapshot(&json, &day).map_err(|d| self.decode(d)))
            .transpose()
    }

    /// What recording `current` would write, without writing anything (`check --dry-run`).
    pub fn preview(&self, current: &Snapshot, how: &Recording<'_>) -> Result<Decision, StoreError> {
        let previous = self.snapshot(current.bill.id)?;
        Ok(how.decide(previous.as_ref().map(|(s, d)| (s, *d)), current))
    }

    /// Records a successful fetch of one bill: decides what changed against the stored
    /// snapshot, writes the alerts to the outbox and the new snapshot, in one transaction.
    pub fn record(
        &mut self,
        current: &Snapshot,
        how: &Recording<'_>,
    ) -> Result<Recorded, StoreError> {
        let Recording {
            today,
            now,
            source,
            url,
            chat,
            ..
        } = *how;
        let path = self.path.clone();
        let e = |e| sqlite(&path, e);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(e)?;
        let previous = match load_snapshot(&tx, current.bill.id).map_err(e)? {
            Some((json, day)) => {
                Some(
                    decode_snapshot(&json, &day).map_err(|d| StoreError::Decode {
                        path: path.clone(),
                        detail: d,
                    })?,
                )
            }
            None => None,
        };
        let decision = how.decide(previous.as_ref().map(|(s, d)| (s, *d)), current);
        for e in &decision.muted {
            tracing::debug!(bill = e.bill_id, kind = e.kind.as_str(), stage = ?e.stage.as_ref().map(|s| &s.name), "recorded, not posted (alerts filter)");
        }
        let now_s = now.to_rfc3339();
        let mut alerts = Vec::with_capacity(decision.alerts.len());
        for event in decision.alerts {
            let json = serde_json::to_string(&event).map_err(|d| StoreError::Decode {
                path: path.clone(),
                detail: d.to_string(),
            })?;
            tx.execute(
                "INSERT INTO alerts (bill_id, kind, event, url, chat, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![event.bill_id, event.kind.as_str(), json, url, chat, now_s],
            )
            .map_err(e)?;
            alerts.push(Alert {
                id: tx.last_insert_rowid(),
                event,
                url: url.to_owned(),
                chat: chat.map(str::to_owned),
                created_at: now,
                status: AlertStatus::Pending,
                attempts: 0,
                last_error: None,
            });
        }
        let json = serde_json::to_string(&decision.snapshot).map_err(|d| StoreError::Decode {
            path: path.clone(),
            detail: d.to_string(),
        })?;
        tx.execute(
            "INSERT INTO bills (bill_id, snapshot, seen_on, first_seen, updated_at, source,
                                last_update, next_due)
             VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6, ?7)
             ON CONFLICT (bill_id) DO UPDATE SET
                snapshot = excluded.snapshot, seen_on = excluded.seen_on,
                updated_at = excluded.updated_at, source = excluded.source,
                last_update = excluded.last_update, next_due = excluded.next_due",
            params![
                current.bill.id,
                json,
                today.to_string(),
                now_s,
                source.as_str(),
                decision
                    .snapshot
                    .bill
                    .last_update
                    .map(|t| t.format(LAST_UPDATE_FORMAT).to_string()),
                decision.next_due.map(|d| d.to_string()),
            ],
        )
        .map_err(e)?;
        tx.execute(
            "INSERT INTO bill_health (bill_id, last_attempt, last_success, consecutive_failures,
                                      last_full_fetch)
             VALUES (?1, ?2, ?2, 0, CASE WHEN ?3 THEN ?2 END)
             ON CONFLICT (bill_id) DO UPDATE SET last_attempt = excluded.last_attempt,
                last_success = excluded.last_success, consecutive_failures = 0, last_error = NULL,
                last_full_fetch = COALESCE(excluded.last_full_fetch, last_full_fetch)",
            params![current.bill.id, now_s, source.fetched()],
        )
        .map_err(e)?;
        tx.commit().map_err(e)?;
        Ok(Recorded {
            first_seen: decision.first_seen,
            alerts,
        })
    }

    /// For every bill the database knows: what decides whether a check must fetch it.
    pub fn fetch_states(&self) -> Result<Vec<FetchState>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT ids.bill_id, b.last_update, b.next_due, b.bill_id IS NOT NULL,
                        h.last_full_fetch, COALESCE(h.consecutive_failures, 0)
                 FROM (SELECT bill_id FROM bills UNION SELECT bill_id FROM bill_health) ids
                 LEFT JOIN bills b ON b.bill_id = ids.bill_id
                 LEFT JOIN bill_health h ON h.bill_id = ids.bill_id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, BillId>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, bool>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, u32>(5)?,
                ))
            })
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (bill_id, last_update, next_due, has_snapshot, full, failures) =
                row.map_err(|e| self.err(e))?;
            out.push(FetchState {
                bill_id,
                // An unreadable value only means "fetch it": never an error.
                last_update: last_update.and_then(|t| {
                    chrono::NaiveDateTime::parse_from_str(&t, LAST_UPDATE_FORMAT).ok()
                }),
                next_due: next_due.and_then(|d| d.parse().ok()),
                has_snapshot,
                last_full_fetch: full.and_then(|t| parse_ts(&t).ok()),
                consecutive_failures: failures,
            });
        }
        Ok(out)
    }

    /// Notes that the listing showed these bills unchanged: checked, successfully, without a fetch.
    pub fn touch_unchanged(
        &mut self,
        ids: &[BillId],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|e| sqlite(&path, e))?;
        {
            let mut stmt = tx
                .prepare(
                    "UPDATE bill_health SET last_attempt = ?2, last_success = ?2 WHERE bill_id = ?1",
                )
                .map_err(|e| sqlite(&path, e))?;
            let now = now.to_rfc3339();
            for id in ids {
                stmt.execute(params![id, now])
                    .map_err(|e| sqlite(&path, e))?;
            }
        }
        tx.commit().map_err(|e| sqlite(&path, e))
    }

    /// When the last finished check started.
    pub fn last_check_started(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(self.last_check()?.map(|c| c.started_at))
    }

    /// Records a failed fetch; returns how many checks in a row have now failed for the bill.
    pub fn record_failure(
        &mut self,
        id: BillId,
        now: DateTime<Utc>,
        error: &str,
    ) -> Result<u32, StoreError> {
        self.conn
            .query_row(
                "INSERT INTO bill_health (bill_id, last_attempt, consecutive_failures, last_error)
                 VALUES (?1, ?2, 1, ?3)
                 ON CONFLICT (bill_id) DO UPDATE SET last_attempt = excluded.last_attempt,
                    consecutive_failures = consecutive_failures + 1, last_error = excluded.last_error
                 RETURNING consecutive_failures",
                params![id, now.to_rfc3339(), error],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))
    }

    /// Starts a check record; returns its id.
    pub fn begin_check(&mut self, now: DateTime<Utc>) -> Result<i64, StoreError> {
        self.conn
            .execute(
                "INSERT INTO checks (started_at) VALUES (?1)",
                params![now.to_rfc3339()],
            )
            .map_err(|e| self.err(e))?;
        Ok(self.conn.last_insert_rowid())
    }

    pub fn finish_check(
        &mut self,
        id: i64,
        now: DateTime<Utc>,
        bills_ok: u32,
        bills_failed: u32,
        alerts: u32,
        requests: u64,
    ) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE checks SET finished_at = ?2, bills_ok = ?3, bills_failed = ?4, alerts = ?5,
                    requests = ?6 WHERE id = ?1",
                params![
                    id,
                    now.to_rfc3339(),
                    bills_ok,
                    bills_failed,
                    alerts,
                    requests as i64
                ],
            )
            .map_err(|e| self.err(e))?;
        // Keep a few weeks of history at a 15-minute schedule, not for ever.
        self.conn
            .execute(
                "DELETE FROM checks WHERE id <= (SELECT max(id) FROM checks) - 5000",
                [],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// The most recent finished check.
    pub fn last_check(&self) -> Result<Option<CheckRecord>, StoreError> {
        self.conn
            .query_row(
                "SELECT started_at, finished_at, bills_ok, bills_failed, alerts, requests
                 FROM checks WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT 1",
                [],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, Option<String>>(1)?,
                        r.get::<_, u32>(2)?,
                        r.get::<_, u32>(3)?,
                        r.get::<_, u32>(4)?,
                        r.get::<_, i64>(5)?,
                    ))
                },
            )
            .optional()
            .map_err(|e| self.err(e))?
            .map(|(s, f, ok, failed, alerts, requests)| {
                Ok(CheckRecord {
                    started_at: parse_ts(&s).map_err(|d| self.decode(d))?,
                    finished_at: f
                        .as_deref()
                        .map(parse_ts)
                        .transpose()
                        .map_err(|d| self.decode(d))?,
                    bills_ok: ok,
                    bills_failed: failed,
                    alerts,
                    requests: requests.max(0) as u64,
                })
            })
            .transpose()
    }

    /// State of every bill the database knows, tracked now or not.
    pub fn bills(&self) -> Result<Vec<BillState>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT ids.bill_id, b.snapshot, b.seen_on, b.source, h.last_attempt,
                        h.last_success, COALESCE(h.consecutive_failures, 0), h.last_error
                 FROM (SELECT bill_id FROM bills UNION SELECT bill_id FROM bill_health) ids
                 LEFT JOIN bills b ON b.bill_id = ids.bill_id
                 LEFT JOIN bill_health h ON h.bill_id = ids.bill_id
                 ORDER BY ids.bill_id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, BillId>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, u32>(6)?,
                    r.get::<_, Option<String>>(7)?,
                ))
            })
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, snap, seen, source, attempt, success, failures, error) =
                row.map_err(|e| self.err(e))?;
            let (snapshot, seen_on) = match (snap, seen) {
                (Some(s), Some(d)) => {
                    let (s, d) = decode_snapshot(&s, &d).map_err(|d| self.decode(d))?;
                    (Some(s), Some(d))
                }
                _ => (None, None),
            };
            out.push(BillState {
                bill_id: id,
                snapshot,
                seen_on,
                source,
                last_attempt: attempt,
                last_success: success,
                consecutive_failures: failures,
                last_error: error,
            });
        }
        Ok(out)
    }

    /// Alerts waiting to go out, oldest first: those for the console (`chat` None) or for
    /// Telegram (`Some(())`).
    pub fn pending(&self, telegram: bool) -> Result<Vec<Alert>, StoreError> {
        let sql = if telegram {
            "SELECT id, event, url, chat, created_at, status, attempts, last_error FROM alerts
             WHERE status = 'pending' AND chat IS NOT NULL ORDER BY id"
        } else {
            "SELECT id, event, url, chat, created_at, status, attempts, last_error FROM alerts
             WHERE status = 'pending' AND chat IS NULL ORDER BY id"
        };
        self.alerts(sql)
    }

    /// Alerts blocked by a permanent Telegram failure.
    pub fn blocked(&self) -> Result<Vec<Alert>, StoreError> {
        self.alerts(
            "SELECT id, event, url, chat, created_at, status, attempts, last_error FROM alerts
             WHERE status = 'blocked' ORDER BY id",
        )
    }

    /// Counts of alerts by status: (pending, sent, blocked).
    pub fn alert_counts(&self) -> Result<(u64, u64, u64), StoreError> {
        self.conn
            .query_row(
                "SELECT count(*) FILTER (WHERE status = 'pending'),
                        count(*) FILTER (WHERE status = 'sent'),
                        count(*) FILTER (WHERE status = 'blocked') FROM alerts",
                [],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)? as u64,
                        r.get::<_, i64>(1)? as u64,
                        r.get::<_, i64>(2)? as u64,
                    ))
                },
            )
            .map_err(|e| self.err(e))
    }

    fn alerts(&self, sql: &str) -> Result<Vec<Alert>, StoreError> {
        let mut stmt = self.conn.prepare(sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, u32>(6)?,
                    r.get::<_, Option<String>>(7)?,
                ))
            })
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, event, url, chat, created, status, attempts, last_error) =
                row.map_err(|e| self.err(e))?;
            out.push(Alert {
                id,
                event: serde_json::from_str(&event).map_err(|d| self.decode(d))?,
                url,
                chat,
                created_at: parse_ts(&created).map_err(|d| self.decode(d))?,
                status: match status.as_str() {
                    "sent" => AlertStatus::Sent,
                    "blocked" => AlertStatus::Blocked,
                    _ => AlertStatus::Pending,
                },
                attempts,
                last_error,
            });
        }
        Ok(out)
    }

    /// Notes that a send of these alerts is about to start. Committed before the request goes
    /// out, so a restart can tell an alert that may have been posted from one that was not.
    pub fn mark_attempt(&mut self, ids: &[i64], now: DateTime<Utc>) -> Result<(), StoreError> {
        self.update_many(
            ids,
            "UPDATE alerts SET attempts = attempts + 1, last_attempt_at = ?2 WHERE id = ?1",
            &now.to_rfc3339(),
        )
    }

    /// Marks alerts delivered; only called once the destination confirmed them.
    pub fn mark_sent(
        &mut self,
        ids: &[i64],
        now: DateTime<Utc>,
        message_id: Option<i64>,
    ) -> Result<(), StoreError> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|e| sqlite(&path, e))?;
        for id in ids {
            tx.execute(
                "UPDATE alerts SET status = 'sent', sent_at = ?2, message_id = ?3, last_error = NULL
                 WHERE id = ?1 AND status = 'pending'",
                params![id, now.to_rfc3339(), message_id],
            )
            .map_err(|e| sqlite(&path, e))?;
        }
        tx.commit().map_err(|e| sqlite(&path, e))
    }

    /// Notes a transient failure; the alerts stay pending.
    pub fn mark_failed_attempt(&mut self, ids: &[i64], error: &str) -> Result<(), StoreError> {
        self.update_many(
            ids,
            "UPDATE alerts SET last_error = ?2 WHERE id = ?1",
            error,
        )
    }

    /// Parks alerts after a permanent failure; `retry` re-queues them.
    pub fn mark_blocked(&mut self, ids: &[i64], reason: &str) -> Result<(), StoreError> {
        self.update_many(
            ids,
            "UPDATE alerts SET status = 'blocked', last_error = ?2 WHERE id = ?1 AND status = 'pending'",
            reason,
        )
    }

    /// Puts every blocked alert back in the queue; returns how many.
    pub fn requeue_blocked(&mut self) -> Result<usize, StoreError> {
        self.conn
            .execute(
                "UPDATE alerts SET status = 'pending', attempts = 0 WHERE status = 'blocked'",
                [],
            )
            .map_err(|e| self.err(e))
    }

    fn update_many(&mut self, ids: &[i64], sql: &str, value: &str) -> Result<(), StoreError> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|e| sqlite(&path, e))?;
        for id in ids {
            tx.execute(sql, params![id, value])
                .map_err(|e| sqlite(&path, e))?;
        }
        tx.commit().map_err(|e| sqlite(&path, e))
    }

    /// A small stored fact.
    pub fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", params![key], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| self.err(e))
    }

    pub fn set_meta(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// A bill's status card in a chat: its message id and the text it shows.
    pub fn card(&self, bill: BillId, chat: &str) -> Result<Option<(i64, String)>, StoreError> {
        self.conn
            .query_row(
                "SELECT message_id, text FROM cards WHERE bill_id = ?1 AND chat = ?2",
                params![bill, chat],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    pub fn set_card(
        &mut self,
        bill: BillId,
        chat: &str,
        message_id: i64,
        text: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO cards (bill_id, chat, message_id, text, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (bill_id, chat) DO UPDATE SET message_id = excluded.message_id,
                    text = excluded.text, updated_at = excluded.updated_at",
                params![bill, chat, message_id, text, now.to_rfc3339()],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Whether a bill's run of failures has been reported to the operator; sets the flag.
    pub fn set_failure_reported(&mut self, id: BillId, reported: bool) -> Result<bool, StoreError> {
        let before: Option<bool> = self
            .conn
            .query_row(
                "SELECT failure_reported FROM bill_health WHERE bill_id = ?1",
                params![id],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        self.conn
            .execute(
                "UPDATE bill_health SET failure_reported = ?2 WHERE bill_id = ?1",
                params![id, reported],
            )
            .map_err(|e| self.err(e))?;
        Ok(before.unwrap_or(false))
    }
}

fn load_snapshot(conn: &Connection, id: BillId) -> rusqlite::Result<Option<(String, String)>> {
    conn.query_row(
        "SELECT snapshot, seen_on FROM bills WHERE bill_id = ?1",
        params![id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .optional()
}

fn decode_snapshot(json: &str, day: &str) -> Result<(Snapshot, NaiveDate), String> {
    let snapshot = serde_json::from_str(json).map_err(|e| format!("snapshot: {e}"))?;
    let day = day
        .parse::<NaiveDate>()
        .map_err(|e| format!("seen_on {day:?}: {e}"))?;
    Ok((snapshot, day))
}

fn parse_ts(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("timestamp {s:?}: {e}"))
}

fn sqlite(path: &Path, source: rusqlite::Error) -> StoreError {
    StoreError::Sqlite {
        path: path.to_owned(),
        source,
    }
}
