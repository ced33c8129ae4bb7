//! Readers' own follows (`reader_follows`): who follows which bill in a private chat with the
//! bot. Of a reader only the chat id is kept.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, TransactionBehavior, params};

use super::columns::to_json;
use super::snapshots::{Told, announced};
use super::{Recording, Store, StoreError};
use crate::bill::{BillId, Snapshot};
use crate::decide::FirstSight;
use crate::readers::{Followed, Following, Limits, Standing, may_follow};
use crate::votes::RecordedVotes;

impl Store {
    /// Follows `bill` for the reader in `chat`, within `limits`; `tracked` are the bills the
    /// deployment tracks anyway (listed, or a follow rule's). Limits are counted and the follow
    /// written in one transaction, so two readers at once never pass a limit together.
    pub fn follow(
        &mut self,
        chat: &str,
        bill: BillId,
        tracked: &HashSet<BillId>,
        limits: Limits,
        now: DateTime<Utc>,
    ) -> Result<Followed, StoreError> {
        self.in_transaction(TransactionBehavior::Immediate, |tx| {
            let mine = follows_of(tx, chat)?;
            if mine.contains(&bill) {
                return Ok(Followed::Already);
            }
            let followed = followed_bills(tx)?;
            let standing = Standing {
                tracked: tracked.contains(&bill),
                followed: followed.contains(&bill),
                mine: mine.len() as u32,
                readers_bills: followed.iter().filter(|b| !tracked.contains(b)).count() as u32,
            };
            if let Err(refusal) = may_follow(limits, standing) {
                return Ok(Followed::Refused(refusal));
            }
            tx.execute(
                "INSERT INTO reader_follows (chat, bill_id, since) VALUES (?1, ?2, ?3)",
                params![chat, bill, now.to_rfc3339()],
            )?;
            Ok(Followed::Now)
        })
    }

    /// Stops the reader in `chat` following `bill`; whether they did. Messages about it still
    /// waiting for them are dropped.
    pub fn unfollow(&mut self, chat: &str, bill: BillId) -> Result<bool, StoreError> {
        self.in_transaction(TransactionBehavior::Immediate, |tx| {
            let n = tx.execute(
                "DELETE FROM reader_follows WHERE chat = ?1 AND bill_id = ?2",
                params![chat, bill],
            )?;
            tx.execute(
                "DELETE FROM deliveries WHERE chat = ?1 AND status = 'pending'
                   AND alert_id IN (SELECT id FROM reader_alerts WHERE bill_id = ?2)",
                params![chat, bill],
            )?;
            Ok(n > 0)
        })
    }

    /// The bills the reader in `chat` follows, in the order they followed them.
    pub fn follows_of(&self, chat: &str) -> Result<Vec<BillId>, StoreError> {
        follows_of(&self.conn, chat).map_err(|e| self.err(e))
    }

    /// Deletes everything kept about the reader in `chat`: their follows and their messages,
    /// sent or waiting. How many follows they had.
    pub fn forget(&mut self, chat: &str) -> Result<usize, StoreError> {
        self.in_transaction(TransactionBehavior::Immediate, |tx| forget(tx, chat))
    }

    /// Every bill readers follow, with how many readers, by bill id.
    pub fn followings(&self) -> Result<Vec<Following>, StoreError> {
        let read = || {
            let mut stmt = self.conn.prepare(
                "SELECT bill_id, count(*) FROM reader_follows GROUP BY bill_id ORDER BY bill_id",
            )?;
            stmt.query_map([], |r| {
                Ok(Following {
                    bill_id: r.get(0)?,
                    readers: r.get(1)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()
        };
        read().map_err(|e| self.err(e))
    }

    /// Every reader's chat, by bill (for `billwatch followers --ids`).
    pub fn readers_of(&self, bill: BillId) -> Result<Vec<String>, StoreError> {
        let read = || {
            let mut stmt = self
                .conn
                .prepare("SELECT chat FROM reader_follows WHERE bill_id = ?1 ORDER BY chat")?;
            stmt.query_map(params![bill], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()
        };
        read().map_err(|e| self.err(e))
    }
}

fn follows_of(conn: &Connection, chat: &str) -> rusqlite::Result<Vec<BillId>> {
    let mut stmt =
        conn.prepare("SELECT bill_id FROM reader_follows WHERE chat = ?1 ORDER BY since, bill_id")?;
    stmt.query_map(params![chat], |r| r.get(0))?.collect()
}

fn followed_bills(conn: &Connection) -> rusqlite::Result<HashSet<BillId>> {
    let mut stmt = conn.prepare("SELECT DISTINCT bill_id FROM reader_follows")?;
    stmt.query_map([], |r| r.get(0))?.collect()
}

/// Deletes the reader in `chat`'s follows and messages; how many follows they had.
pub(super) fn forget(conn: &Connection, chat: &str) -> rusqlite::Result<usize> {
    let n = conn.execute("DELETE FROM reader_follows WHERE chat = ?1", params![chat])?;
    conn.execute("DELETE FROM deliveries WHERE chat = ?1", params![chat])?;
    Ok(n)
}

/// In the transaction recording a bill's snapshot: the events the bill's readers get (the
/// `[alerts]` defaults; nothing at first sight; each once), kept once in `reader_alerts` and
/// queued for each reader in `deliveries`. How many messages were queued.
pub(super) fn fan_out(
    tx: &Connection,
    how: &Recording,
    previous: Option<(&Snapshot, NaiveDate)>,
    current: &Snapshot,
    recorded: &RecordedVotes,
) -> rusqlite::Result<usize> {
    let bill = current.bill.id;
    let readers: i64 = tx.query_row(
        "SELECT count(*) FROM reader_follows WHERE bill_id = ?1",
        params![bill],
        |r| r.get(0),
    )?;
    if readers == 0 {
        return Ok(0);
    }
    let told = announced(tx, Told::Readers, bill)?;
    let for_readers = Recording {
        filter: how.readers_filter.clone(),
        first: FirstSight::Silent,
        ..how.clone()
    };
    let events = for_readers
        .decide(previous, current, &told, recorded)
        .alerts;
    let now = how.now.to_rfc3339();
    for event in &events {
        tx.execute(
            "INSERT INTO reader_alerts (bill_id, event, url, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![bill, to_json(event)?, how.url, now],
        )?;
        tx.execute(
            "INSERT INTO deliveries (chat, alert_id)
             SELECT chat, ?1 FROM reader_follows WHERE bill_id = ?2",
            params![tx.last_insert_rowid(), bill],
        )?;
    }
    Ok(events.len() * readers as usize)
}
