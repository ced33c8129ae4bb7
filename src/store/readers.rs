//! Readers' own follows (`reader_follows`): who follows which bill in a private chat with the
//! bot, and what is told to them: each event once (`reader_alerts`), and its delivery to each
//! reader (`deliveries`). Of a reader only the chat id is kept.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, TransactionBehavior, params};
use serde::Serialize;

use super::columns::to_json;
use super::snapshots::{Told, announced};
use super::{Recording, Store, StoreError};
use crate::bill::{BillId, Snapshot};
use crate::changes::Event;
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
    /// The rows are overwritten where they were (`secure_delete`), and the write-ahead log,
    /// which still holds the pages as they were, is folded into the file and emptied.
    pub fn forget(&mut self, chat: &str) -> Result<usize, StoreError> {
        let n = self.in_transaction(TransactionBehavior::Immediate, |tx| forget(tx, chat))?;
        // Best effort: a reader of the database at this moment keeps the log from being emptied
        // now; the pages in it are then overwritten as the log is reused.
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(|e| self.err(e))?;
        Ok(n)
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

/// An alert waiting for a reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReaderAlert {
    /// Its `reader_alerts` id.
    pub id: i64,
    pub event: Event,
    pub url: String,
}

/// What the readers' deliveries came to, for `status`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ReaderCounts {
    /// Readers, and follows in all.
    pub readers: u64,
    pub follows: u64,
    /// Messages waiting, sent (and not pruned yet), refused by Telegram.
    pub pending: u64,
    pub sent: u64,
    pub refused: u64,
    /// Readers unfollowed from everything since the database was made, because they blocked
    /// the bot or deleted their account.
    pub gone: u64,
}

/// Where the count of readers gone is kept.
const GONE: &str = "readers:gone";

impl Store {
    /// The alerts waiting for at most `chats` readers, each reader's oldest first; readers in
    /// the order their oldest alert was queued, those never tried before those tried already
    /// (a reader whose messages keep failing goes to the back, not ahead of every batch). An alert that cannot be read back is refused
    /// (logged), so that the others still go.
    pub fn reader_batch(
        &mut self,
        chats: usize,
    ) -> Result<Vec<(String, Vec<ReaderAlert>)>, StoreError> {
        let rows = self.reader_rows(chats).map_err(|e| self.err(e))?;
        let mut events: HashMap<i64, Option<Event>> = HashMap::new();
        let mut out: Vec<(String, Vec<ReaderAlert>)> = Vec::new();
        let mut damaged = Vec::new();
        for (chat, id, json, url) in rows {
            let event = events.entry(id).or_insert_with(|| {
                serde_json::from_str(&json)
                    .inspect_err(|e| tracing::error!(alert = id, "a reader alert is damaged: {e}"))
                    .ok()
            });
            let Some(event) = event.clone() else {
                damaged.push((chat, id));
                continue;
            };
            let alert = ReaderAlert { id, event, url };
            match out.last_mut() {
                Some((c, alerts)) if *c == chat => alerts.push(alert),
                _ => out.push((chat, vec![alert])),
            }
        }
        for (chat, id) in damaged {
            self.reader_done(&chat, &[id], "refused", 0)?;
        }
        Ok(out)
    }

    fn reader_rows(&self, chats: usize) -> rusqlite::Result<Vec<(String, i64, String, String)>> {
        let mut stmt = self.conn.prepare(
            "WITH next AS (SELECT chat, min(alert_id) AS first, max(attempts) AS tried
                           FROM deliveries WHERE status = 'pending'
                           GROUP BY chat ORDER BY tried > 0, first LIMIT ?1)
             SELECT d.chat, a.id, a.event, a.url
             FROM next JOIN deliveries d ON d.chat = next.chat AND d.status = 'pending'
                       JOIN reader_alerts a ON a.id = d.alert_id
             ORDER BY next.first, d.chat, a.id",
        )?;
        stmt.query_map(params![chats as i64], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?
        .collect()
    }

    /// Notes that a send of these alerts to the reader in `chat` is about to start (committed
    /// before the request goes out, as for the channels).
    pub fn reader_attempt(&mut self, chat: &str, ids: &[i64]) -> Result<(), StoreError> {
        self.in_transaction(TransactionBehavior::Immediate, |tx| {
            for id in ids {
                tx.execute(
                    "UPDATE deliveries SET attempts = attempts + 1 WHERE chat = ?1 AND alert_id = ?2",
                    params![chat, id],
                )?;
            }
            Ok(())
        })
    }

    /// Marks these alerts to the reader in `chat` sent (Telegram confirmed them) at `now`.
    pub fn reader_sent(
        &mut self,
        chat: &str,
        ids: &[i64],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.reader_done(chat, ids, "sent", now.timestamp())
    }

    /// Marks these alerts to the reader in `chat` refused by Telegram (the message itself):
    /// not sent again.
    pub fn reader_refused(
        &mut self,
        chat: &str,
        ids: &[i64],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.reader_done(chat, ids, "refused", now.timestamp())
    }

    fn reader_done(
        &mut self,
        chat: &str,
        ids: &[i64],
        status: &str,
        at: i64,
    ) -> Result<(), StoreError> {
        self.in_transaction(TransactionBehavior::Immediate, |tx| {
            for id in ids {
                tx.execute(
                    "UPDATE deliveries SET status = ?3, sent_at = ?4
                     WHERE chat = ?1 AND alert_id = ?2 AND status = 'pending'",
                    params![chat, id, status, at],
                )?;
            }
            Ok(())
        })
    }

    /// The reader in `chat` blocked the bot or deleted their account: they are unfollowed
    /// from everything, their waiting messages dropped, and counted.
    pub fn reader_gone(&mut self, chat: &str) -> Result<(), StoreError> {
        self.in_transaction(TransactionBehavior::Immediate, |tx| {
            forget(tx, chat)?;
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, '1')
                 ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1",
                params![GONE],
            )?;
            Ok(())
        })
    }

    /// Deletes deliveries sent or refused before `before`; how many. The alerts themselves
    /// (one row per event, not per reader) stay: they are the record of what was told.
    pub fn prune_deliveries(&mut self, before: DateTime<Utc>) -> Result<usize, StoreError> {
        self.conn
            .execute(
                "DELETE FROM deliveries WHERE status != 'pending' AND sent_at < ?1",
                params![before.timestamp()],
            )
            .map_err(|e| self.err(e))
    }

    /// Readers, follows and deliveries, for `status`.
    pub fn reader_counts(&self) -> Result<ReaderCounts, StoreError> {
        let read = || {
            let (readers, follows) = self.conn.query_row(
                "SELECT count(DISTINCT chat), count(*) FROM reader_follows",
                [],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
            )?;
            let (pending, sent, refused) = self.conn.query_row(
                "SELECT count(*) FILTER (WHERE status = 'pending'),
                        count(*) FILTER (WHERE status = 'sent'),
                        count(*) FILTER (WHERE status = 'refused') FROM deliveries",
                [],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, i64>(2)?,
                    ))
                },
            )?;
            Ok(ReaderCounts {
                readers: readers as u64,
                follows: follows as u64,
                pending: pending as u64,
                sent: sent as u64,
                refused: refused as u64,
                gone: 0,
            })
        };
        let counts = read().map_err(|e: rusqlite::Error| self.err(e))?;
        let gone = self.meta(GONE)?.and_then(|g| g.parse().ok()).unwrap_or(0);
        Ok(ReaderCounts { gone, ..counts })
    }
}
