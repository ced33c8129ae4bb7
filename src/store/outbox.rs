//! The `alerts` table: the outbox. An alert is written with the snapshot that caused it, goes
//! out from here, and is marked sent only once its destination confirmed it.

use chrono::{DateTime, Utc};
use rusqlite::types::{FromSql, FromSqlResult, ValueRef};
use rusqlite::{Connection, Row, params};
use serde::Serialize;

use super::columns::{Json, Rfc3339, to_json, undecodable};
use super::{Recording, Store, StoreError};
use crate::changes::Event;

/// Where an alert stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertStatus {
    Pending,
    Sent,
    Blocked,
}

impl FromSql for AlertStatus {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        match value.as_str()? {
            "pending" => Ok(AlertStatus::Pending),
            "sent" => Ok(AlertStatus::Sent),
            "blocked" => Ok(AlertStatus::Blocked),
            other => Err(undecodable(format!("unknown alert status {other:?}"))),
        }
    }
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

impl Alert {
    pub(super) const SELECT: &str =
        "SELECT id, event, url, chat, created_at, status, attempts, last_error FROM alerts";

    pub(super) fn from_row(r: &Row<'_>) -> rusqlite::Result<Alert> {
        Ok(Alert {
            id: r.get(0)?,
            event: r.get::<_, Json<Event>>(1)?.0,
            url: r.get(2)?,
            chat: r.get(3)?,
            created_at: r.get::<_, Rfc3339>(4)?.0,
            status: r.get(5)?,
            attempts: r.get(6)?,
            last_error: r.get(7)?,
        })
    }
}

/// A stored alert that cannot be read back: its id, and why.
type Damaged = (i64, String);

impl Store {
    /// Alerts waiting to go out, oldest first: those for the console (`chat` None) or for
    /// Telegram (`telegram`).
    pub fn pending(&self, telegram: bool) -> Result<Vec<Alert>, StoreError> {
        let filter = if telegram {
            "WHERE status = 'pending' AND chat IS NOT NULL ORDER BY id"
        } else {
            "WHERE status = 'pending' AND chat IS NULL ORDER BY id"
        };
        let (alerts, damaged) = self.alert_rows(&format!("{} {filter}", Alert::SELECT))?;
        // A damaged alert cannot be sent: it is held, with why, so the others still go and
        // `status` counts it among the blocked.
        for (id, detail) in damaged {
            self.conn
                .execute(
                    "UPDATE alerts SET status = 'blocked', last_error = ?2
                     WHERE id = ?1 AND status = 'pending'",
                    params![
                        id,
                        format!("this stored alert is damaged and cannot be sent: {detail}")
                    ],
                )
                .map_err(|e| self.err(e))?;
        }
        Ok(alerts)
    }

    /// Alerts blocked by a permanent Telegram failure (damaged ones are only logged).
    pub fn blocked(&self) -> Result<Vec<Alert>, StoreError> {
        let sql = format!("{} WHERE status = 'blocked' ORDER BY id", Alert::SELECT);
        Ok(self.alert_rows(&sql)?.0)
    }

    /// The alerts `sql` selects that can be read, and the ids of those that cannot (each one
    /// logged): one damaged row never stops the others.
    fn alert_rows(&self, sql: &str) -> Result<(Vec<Alert>, Vec<Damaged>), StoreError> {
        let read = || {
            let mut stmt = self.conn.prepare(sql)?;
            let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, Alert::from_row(r))))?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        };
        let mut alerts = Vec::new();
        let mut damaged = Vec::new();
        for (id, alert) in read().map_err(|e| self.err(e))? {
            match alert {
                Ok(alert) => alerts.push(alert),
                Err(e) => {
                    tracing::error!(alert = id, "a stored alert is damaged, skipped: {e}");
                    damaged.push((id, e.to_string()));
                }
            }
        }
        Ok((alerts, damaged))
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
        self.in_transaction(rusqlite::TransactionBehavior::Deferred, |tx| {
            for id in ids {
                tx.execute(
                    "UPDATE alerts SET status = 'sent', sent_at = ?2, message_id = ?3,
                        last_error = NULL
                     WHERE id = ?1 AND status = 'pending'",
                    params![id, now.to_rfc3339(), message_id],
                )?;
            }
            Ok(())
        })
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
        self.in_transaction(rusqlite::TransactionBehavior::Deferred, |tx| {
            for id in ids {
                tx.execute(sql, params![id, value])?;
            }
            Ok(())
        })
    }
}

/// Writes `events` to the outbox as pending alerts for `how.chat` (inside the transaction that
/// records the snapshot they came from).
pub(super) fn insert(
    conn: &Connection,
    events: &[Event],
    how: &Recording,
) -> rusqlite::Result<Vec<Alert>> {
    let now = how.now.to_rfc3339();
    let mut alerts = Vec::with_capacity(events.len());
    for event in events {
        conn.execute(
            "INSERT INTO alerts (bill_id, kind, event, url, chat, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                event.bill_id,
                event.kind.as_str(),
                to_json(event)?,
                how.url,
                how.chat,
                now
            ],
        )?;
        alerts.push(Alert {
            id: conn.last_insert_rowid(),
            event: event.clone(),
            url: how.url.clone(),
            chat: how.chat.clone(),
            created_at: how.now,
            status: AlertStatus::Pending,
            attempts: 0,
            last_error: None,
        });
    }
    Ok(alerts)
}
