//! The history of checks (`checks`) and each bill's health (`bill_health`): when it was last
//! attempted and fetched, how many checks in a row have failed for it, and whether the operator
//! was told.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};
use serde::Serialize;

use super::columns::Rfc3339;
use super::{Store, StoreError};
use crate::bill::BillId;

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

impl CheckRecord {
    const SELECT: &str =
        "SELECT started_at, finished_at, bills_ok, bills_failed, alerts, requests FROM checks";

    fn from_row(r: &Row<'_>) -> rusqlite::Result<CheckRecord> {
        Ok(CheckRecord {
            started_at: r.get::<_, Rfc3339>(0)?.0,
            finished_at: r.get::<_, Option<Rfc3339>>(1)?.map(|t| t.0),
            bills_ok: r.get(2)?,
            bills_failed: r.get(3)?,
            alerts: r.get(4)?,
            requests: r.get::<_, i64>(5)?.max(0) as u64,
        })
    }
}

impl Store {
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
        let finish = || {
            self.conn.execute(
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
            )?;
            // Keep a few weeks of history at a 15-minute schedule, not for ever.
            self.conn.execute(
                "DELETE FROM checks WHERE id <= (SELECT max(id) FROM checks) - 5000",
                [],
            )
        };
        finish().map(|_| ()).map_err(|e| self.err(e))
    }

    /// The most recent finished check.
    pub fn last_check(&self) -> Result<Option<CheckRecord>, StoreError> {
        let sql = format!(
            "{} WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT 1",
            CheckRecord::SELECT
        );
        self.conn
            .query_row(&sql, [], CheckRecord::from_row)
            .optional()
            .map_err(|e| self.err(e))
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

    /// Notes that the listing showed these bills unchanged: checked, successfully, without a fetch.
    pub fn touch_unchanged(
        &mut self,
        ids: &[BillId],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.in_transaction(TransactionBehavior::Deferred, |tx| {
            let mut stmt = tx.prepare(
                "UPDATE bill_health SET last_attempt = ?2, last_success = ?2 WHERE bill_id = ?1",
            )?;
            let now = now.to_rfc3339();
            for id in ids {
                stmt.execute(params![id, now])?;
            }
            Ok(())
        })
    }

    /// Whether a bill's run of failures has been reported to the operator; sets the flag.
    pub fn set_failure_reported(&mut self, id: BillId, reported: bool) -> Result<bool, StoreError> {
        let swap = || {
            let before: Option<bool> = self
                .conn
                .query_row(
                    "SELECT failure_reported FROM bill_health WHERE bill_id = ?1",
                    params![id],
                    |r| r.get(0),
                )
                .optional()?;
            self.conn.execute(
                "UPDATE bill_health SET failure_reported = ?2 WHERE bill_id = ?1",
                params![id, reported],
            )?;
            Ok(before.unwrap_or(false))
        };
        swap().map_err(|e| self.err(e))
    }
}

/// Notes a successful check of a bill (inside the transaction that records its snapshot);
/// `fetched`: it was fetched in full, not only looked at again from the stored snapshot.
pub(super) fn note_success(
    conn: &Connection,
    id: BillId,
    now: DateTime<Utc>,
    fetched: bool,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO bill_health (bill_id, last_attempt, last_success, consecutive_failures,
                                  last_full_fetch)
         VALUES (?1, ?2, ?2, 0, CASE WHEN ?3 THEN ?2 END)
         ON CONFLICT (bill_id) DO UPDATE SET last_attempt = excluded.last_attempt,
            last_success = excluded.last_success, consecutive_failures = 0, last_error = NULL,
            last_full_fetch = COALESCE(excluded.last_full_fetch, last_full_fetch)",
        params![id, now.to_rfc3339(), fetched],
    )?;
    Ok(())
}
