//! The live status cards (`cards`: one message per bill and chat, edited as the bill moves) and
//! small stored facts (`meta`, such as the day of the last digest sent to each chat).

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError};
use crate::bill::BillId;

impl Store {
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

    /// Where posts to `chat` go now: the supergroup Telegram moved the group to, if it did.
    pub fn chat_moved_to(&self, chat: &str) -> Result<Option<String>, StoreError> {
        self.meta(&moved_key(chat))
    }

    /// Notes that Telegram moved group `from` to the supergroup `to`. `false` when it was known
    /// already.
    pub fn set_chat_moved(&mut self, from: &str, to: &str) -> Result<bool, StoreError> {
        let known = self.chat_moved_to(from)?;
        self.set_meta(&moved_key(from), to)?;
        Ok(known.as_deref() != Some(to))
    }

    /// Every group Telegram moved to a supergroup: (old id, new id).
    pub fn chat_moves(&self) -> Result<Vec<(String, String)>, StoreError> {
        let read = || {
            let mut stmt = self
                .conn
                .prepare("SELECT key, value FROM meta WHERE key LIKE 'moved:%' ORDER BY key")?;
            let rows =
                stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        };
        let rows = read().map_err(|e| self.err(e))?;
        Ok(rows
            .into_iter()
            .map(|(k, v)| (k.trim_start_matches("moved:").to_owned(), v))
            .collect())
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
}

/// The `meta` key of where a group Telegram moved went.
fn moved_key(chat: &str) -> String {
    format!("moved:{chat}")
}
