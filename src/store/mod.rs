//! State in SQLite, one file per thing kept:
//! - `snapshots.rs`: the `bills` table — each bill's last snapshot, what decides whether a check
//!   fetches it, and recording a bill;
//! - `outbox.rs`: the `alerts` table, the alerts waiting to go out and those sent or blocked;
//! - `checks.rs`: the history of checks (`checks`) and each bill's health (`bill_health`);
//! - `snapshots.rs` also keeps the `divisions` table: each division recorded for a bill;
//! - `cards.rs`: the live status cards (`cards`) and small stored facts (`meta`);
//! - `follow.rs`: follow rules' state (`follow_rules`) and the bills they brought in (`followed`);
//! - `readers.rs`: readers' own follows (`reader_follows`), the alerts told to them
//!   (`reader_alerts`) and each one's delivery to each reader (`deliveries`);
//! - `page_cache.rs`: stored copies of pages for conditional requests (`http_cache`);
//! - `backup.rs`: a copy of the whole database, safe while another process writes it.
//!
//! Every SQL statement billwatch runs is in these files. A bill's new snapshot and the alerts it
//! causes are written in one `IMMEDIATE` transaction, and what to write is decided inside it
//! ([`crate::decide`]) against the stored snapshot, so a crash at any point, or two processes
//! checking at once, still produce each alert exactly once.

mod access;
mod backup;
mod cards;
mod checks;
mod columns;
mod db;
mod follow;
mod outbox;
mod page_cache;
mod readers;
mod snapshots;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

pub use access::{Obstacle, free_space_for, full};
pub use backup::{BackupCopy, BackupError, backup};
pub use checks::CheckRecord;
pub use db::Db;
pub use follow::{FollowState, Followed, RuleState};
pub use outbox::{Alert, AlertStatus};
pub use page_cache::{CachedPage, PageCache};
pub use readers::{ReaderAlert, ReaderCounts};
pub use snapshots::{BillState, FetchState, Recorded, Recording};

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
    // 5: each division told (or recorded silently) for a bill, so that it is told once.
    r#"
    CREATE TABLE divisions (
        bill_id     INTEGER NOT NULL,
        house       TEXT NOT NULL,           -- 'Commons' or 'Lords': each numbers its own
        division_id INTEGER NOT NULL,
        stage_id    INTEGER NOT NULL,
        sitting     TEXT NOT NULL,           -- the stage's sitting day it belongs to
        vote        TEXT NOT NULL,           -- JSON of division::Vote
        recorded_at TEXT NOT NULL,
        PRIMARY KEY (bill_id, house, division_id)
    );
    "#,
    // 6: follow rules: each rule's searches, and the bills each brought in.
    r#"
    CREATE TABLE follow_rules (
        rule        TEXT PRIMARY KEY,        -- the rule's criteria (follow::Criteria::signature)
        resolved_at TEXT NOT NULL,           -- its first search
        searched_at TEXT NOT NULL,           -- its last search
        type_id     INTEGER,
        over        INTEGER                  -- bills matched, when more than max_bills
    );
    CREATE TABLE followed (
        rule       TEXT NOT NULL,
        bill_id    INTEGER NOT NULL,
        introduced INTEGER NOT NULL,         -- new after the rule's first search: bill_introduced
        since      TEXT NOT NULL,
        PRIMARY KEY (rule, bill_id)
    );
    "#,
    // 7: readers' own follows (in a private chat with the bot), and their alerts' deliveries.
    // Of a reader only the chat id is kept: no name, no message text.
    r#"
    CREATE TABLE reader_follows (
        chat    TEXT NOT NULL,               -- the reader's private chat
        bill_id INTEGER NOT NULL,
        since   TEXT NOT NULL,
        PRIMARY KEY (chat, bill_id)
    ) WITHOUT ROWID;
    CREATE INDEX reader_follows_by_bill ON reader_follows (bill_id, chat);
    CREATE TABLE reader_alerts (             -- an event told to the bill's readers, kept once
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        bill_id    INTEGER NOT NULL,
        event      TEXT NOT NULL,            -- JSON of changes::Event
        url        TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX reader_alerts_by_bill ON reader_alerts (bill_id);
    CREATE TABLE deliveries (                -- one reader_alert to one reader
        chat     TEXT NOT NULL,
        alert_id INTEGER NOT NULL,
        status   TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'refused')),
        attempts INTEGER NOT NULL DEFAULT 0,
        sent_at  INTEGER,                    -- Unix seconds
        PRIMARY KEY (chat, alert_id)
    ) WITHOUT ROWID;
    CREATE INDEX deliveries_pending ON deliveries (alert_id, chat) WHERE status = 'pending';
    "#,
    // 8: each bill's latest sitting day (any stage, past or to come), kept beside its snapshot
    // and indexed, so that finding the bills that sat in the last days (`sat_between`, at
    // every check with votes on) reads only the few that may have, not every snapshot's JSON.
    r#"
    ALTER TABLE bills ADD COLUMN last_sitting TEXT;     -- YYYY-MM-DD, NULL: no sitting
    UPDATE bills SET last_sitting = (
        SELECT max(d.value) FROM json_each(bills.snapshot, '$.stages') s,
                                 json_each(s.value, '$.sittings') d
    ) WHERE json_valid(snapshot);
    CREATE INDEX bills_by_last_sitting ON bills (last_sitting, bill_id);
    "#,
];

/// What went wrong with the database. The file is never reset or overwritten because of it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The disk, the mount or the permissions stop billwatch writing: said plainly, with what
    /// to do (SQLite's own words for these are "unable to open database file").
    #[error("cannot write the database {path}: {obstacle}")]
    Access { path: PathBuf, obstacle: Obstacle },
    #[error("cannot create the folder for the database {path}: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot create the database {path}: {source}")]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path} is not a billwatch database, or it is damaged ({detail}). It was left untouched: \
         restore a backup (one `billwatch backup` made), or move it aside to start afresh \
         (every bill is then recorded again silently), or point storage.path elsewhere"
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
    #[error("database {path}: a database task did not finish: {detail}")]
    Interrupted { path: PathBuf, detail: String },
}

/// Makes a new database: complete under a name of this process's own, then linked into place.
/// So a file at `path` is never a half-made database (an empty one is damage, refused like any
/// other), and two processes starting together on a fresh database both get the same, complete
/// one: the second link fails, and that process opens the first one's.
fn create(path: &Path) -> Result<(), StoreError> {
    static MADE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = MADE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".new-{}-{n}", std::process::id()));
    let fresh = PathBuf::from(name);
    let created = (|| {
        let conn = Connection::open(&fresh).map_err(|e| sqlite(path, e))?;
        let mut store = Store {
            conn,
            path: fresh.clone(),
        };
        store.prepare(true)?;
        // Closing the only connection folds the write-ahead log into the file.
        drop(store);
        match std::fs::hard_link(&fresh, path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
            Err(source) => Err(io_error(path, source, |path, source| StoreError::Create {
                path,
                source,
            })),
        }
    })();
    for leftover in ["", "-wal", "-shm"] {
        let mut name = fresh.as_os_str().to_owned();
        name.push(leftover);
        let _ = std::fs::remove_file(PathBuf::from(name));
    }
    created
}

/// An empty file where the database should be is damage (a new database is never empty): it
/// is refused, not taken as a new database, which would record every pending change silently.
fn refuse_empty(path: &Path) -> Result<(), StoreError> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.len() == 0 => Err(StoreError::Corrupt {
            path: path.to_owned(),
            detail: "the file is empty (0 bytes)".to_owned(),
        }),
        _ => Ok(()),
    }
}

impl StoreError {
    /// Whether this is one stored row that cannot be read back (a damaged snapshot, alert or
    /// time), as opposed to the database failing: the caller skips that row and goes on.
    pub fn is_damaged_row(&self) -> bool {
        match self {
            StoreError::Decode { .. } => true,
            StoreError::Sqlite { source, .. } => matches!(
                source,
                rusqlite::Error::FromSqlConversionFailure(..)
                    | rusqlite::Error::InvalidColumnType(..)
                    | rusqlite::Error::IntegralValueOutOfRange(..)
            ),
            _ => false,
        }
    }
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
            std::fs::create_dir_all(dir).map_err(|source| {
                io_error(path, source, |path, source| StoreError::CreateDir {
                    path,
                    source,
                })
            })?;
        }
        if !path.exists() {
            create(path)?;
        }
        refuse_empty(path)?;
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
        refuse_empty(path)?;
        match Store::read_only(path, path) {
            // A database in write-ahead-log mode needs its `-shm` file, which a reader in a
            // folder it may not write (a read-only mount, another user's volume) cannot make.
            // No writer is at work there (it would have made the file), so the file is read
            // as it is on disk.
            Err(StoreError::Access { .. }) => Store::read_only(path, &immutable_uri(path)?),
            opened => opened,
        }
        .map(Some)
    }

    /// Opens `path` read-only, by name or by the URI `name`.
    fn read_only(path: &Path, name: &Path) -> Result<Store, StoreError> {
        let conn = Connection::open_with_flags(
            name,
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )
        .map_err(|e| sqlite(path, e))?;
        let mut store = Store {
            conn,
            path: path.to_owned(),
        };
        store.prepare(false)?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Checks the file is a sound billwatch database this version can read, then (when
    /// `writable`) brings its schema up to date.
    fn prepare(&mut self, writable: bool) -> Result<(), StoreError> {
        self.conn
            .busy_timeout(std::time::Duration::from_secs(15))
            .map_err(|e| self.err(e))?;
        let version = self.schema_version()?;
        let known = MIGRATIONS.len() as i64;
        if !writable {
            if version < known {
                return Err(StoreError::Decode {
                    path: self.path.clone(),
                    detail: format!(
                        "schema version {version} is older than this billwatch's {known}; run \
                         `billwatch check` once to upgrade it"
                    ),
                });
            }
            return Ok(());
        }
        self.migrate(version)
    }

    /// The schema version of a sound file that billwatch created (or an empty one: 0).
    fn schema_version(&self) -> Result<i64, StoreError> {
        // A file that cannot be read for want of space or rights is not damaged: say which.
        let corrupt = |e: rusqlite::Error| match access_error(&self.path, &e) {
            Some(access) => access,
            None => StoreError::Corrupt {
                path: self.path.clone(),
                detail: e.to_string(),
            },
        };
        // The first read of the header: a file that is not SQLite fails here.
        let version: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(corrupt)?;
        // A check reads each row about once, and the operating system caches the file: a small
        // page cache (256 KiB, not SQLite's 2 MiB) keeps the process small, even while the
        // check below reads every page.
        self.conn
            .pragma_update(None, "cache_size", -256)
            .map_err(corrupt)?;
        let check: String = self
            .conn
            .query_row("PRAGMA quick_check", [], |r| r.get(0))
            .map_err(corrupt)?;
        if check != "ok" {
            return Err(StoreError::Corrupt {
                path: self.path.clone(),
                detail: check,
            });
        }
        let known = MIGRATIONS.len() as i64;
        if version > known {
            return Err(StoreError::TooNew {
                path: self.path.clone(),
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
                    path: self.path.clone(),
                    detail: "it holds tables that billwatch did not create".to_owned(),
                });
            }
        }
        Ok(version)
    }

    /// Applies the migrations after `version`, each in its own transaction.
    fn migrate(&mut self, version: i64) -> Result<(), StoreError> {
        // secure_delete: a deleted row (a reader `/forget`) is overwritten, not left in its page.
        self.conn
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA secure_delete = ON;",
            )
            .map_err(|e| self.err(e))?;
        for (index, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            self.in_transaction(TransactionBehavior::Exclusive, |tx| {
                tx.execute_batch(sql)?;
                tx.pragma_update(None, "user_version", index as i64 + 1)
            })?;
        }
        Ok(())
    }

    /// Runs `work` in one transaction and commits it; nothing of it is kept if any step fails.
    fn in_transaction<T>(
        &mut self,
        behavior: TransactionBehavior,
        work: impl FnOnce(&Transaction<'_>) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        let result = (|| {
            let tx = self.conn.transaction_with_behavior(behavior)?;
            let out = work(&tx)?;
            tx.commit()?;
            Ok(out)
        })();
        result.map_err(|e| sqlite(&self.path, e))
    }

    fn err(&self, e: rusqlite::Error) -> StoreError {
        sqlite(&self.path, e)
    }
}

/// A database error, with the file it happened to. A stored value that does not read back
/// (or a value that cannot be written as text) is a [`StoreError::Decode`].
fn sqlite(path: &Path, source: rusqlite::Error) -> StoreError {
    if let Some(access) = access_error(path, &source) {
        return access;
    }
    match source {
        rusqlite::Error::FromSqlConversionFailure(_, _, detail)
        | rusqlite::Error::ToSqlConversionFailure(detail) => StoreError::Decode {
            path: path.to_owned(),
            detail: detail.to_string(),
        },
        source => StoreError::Sqlite {
            path: path.to_owned(),
            source,
        },
    }
}

/// The URI that opens the database at `path` as an immutable file: read as it is, no locks,
/// no `-shm` file.
fn immutable_uri(path: &Path) -> Result<PathBuf, StoreError> {
    let absolute = std::path::absolute(path).map_err(|e| StoreError::Decode {
        path: path.to_owned(),
        detail: e.to_string(),
    })?;
    let mut uri = url::Url::from_file_path(&absolute).map_err(|()| StoreError::Decode {
        path: path.to_owned(),
        detail: "the path cannot be written as a file: URI".to_owned(),
    })?;
    uri.set_query(Some("immutable=1"));
    Ok(PathBuf::from(uri.as_str()))
}

/// The [`StoreError::Access`] a SQLite failure comes from, if the disk, the mount or the
/// permissions are at fault.
fn access_error(path: &Path, e: &rusqlite::Error) -> Option<StoreError> {
    let code = e.sqlite_error_code();
    if !access::may_be_access(code) {
        return None;
    }
    let obstacle = access::obstacle(path, code)?;
    Some(StoreError::Access {
        path: path.to_owned(),
        obstacle,
    })
}

/// A file system error while making the database: an [`StoreError::Access`] when the disk, the
/// mount or the permissions are at fault, else `other`.
fn io_error(
    path: &Path,
    source: std::io::Error,
    other: impl FnOnce(PathBuf, std::io::Error) -> StoreError,
) -> StoreError {
    use std::io::ErrorKind::{PermissionDenied, QuotaExceeded, ReadOnlyFilesystem, StorageFull};
    let code = match source.kind() {
        StorageFull | QuotaExceeded => Some(rusqlite::ErrorCode::DiskFull),
        PermissionDenied | ReadOnlyFilesystem => Some(rusqlite::ErrorCode::CannotOpen),
        _ => None,
    };
    match code.and_then(|code| access::obstacle(path, Some(code))) {
        Some(obstacle) => StoreError::Access {
            path: path.to_owned(),
            obstacle,
        },
        None => other(path.to_owned(), source),
    }
}
