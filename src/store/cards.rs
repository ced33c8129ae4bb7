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
