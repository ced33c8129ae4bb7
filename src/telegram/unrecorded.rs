//! Messages Telegram accepted that could not be recorded (a full disk, a database gone
//! read-only): this process never sends them again, and sends nothing else until they are
//! recorded.
//!
//! Without this, an alert whose "sent" failed to commit stays *pending* and goes again at the
//! next round: a full disk once repeated 30 alerts of 46. The kill window remains (a process
//! that dies before recording cannot remember), but a process that lives never repeats.

use chrono::{DateTime, Utc};

use super::delivery::Sender;
use crate::shutdown::Shutdown;
use crate::store::{Db, StoreError};

/// What Telegram accepted and the database has not recorded yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Unrecorded {
    /// Alerts posted as one message.
    Alerts {
        ids: Vec<i64>,
        message_id: i64,
        at: DateTime<Utc>,
    },
    /// Readers' alerts posted to a reader's private chat as one message.
    Readers {
        chat: String,
        ids: Vec<i64>,
        at: DateTime<Utc>,
    },
    /// A status card posted or edited.
    Card {
        bill: u32,
        chat: String,
        message_id: i64,
        text: String,
        at: DateTime<Utc>,
    },
}

impl Unrecorded {
    /// How many alerts (a card counts as none).
    fn alerts(&self) -> usize {
        match self {
            Unrecorded::Alerts { ids, .. } | Unrecorded::Readers { ids, .. } => ids.len(),
            Unrecorded::Card { .. } => 0,
        }
    }

    /// Records it: the alerts as sent, or the card's message.
    async fn record(&self, db: &Db) -> Result<(), StoreError> {
        match self.clone() {
            Unrecorded::Alerts {
                ids,
                message_id,
                at,
            } => {
                db.call(move |s| s.mark_sent(&ids, at, Some(message_id)))
                    .await
            }
            Unrecorded::Readers { chat, ids, at } => {
                db.call(move |s| s.reader_sent(&chat, &ids, at)).await
            }
            Unrecorded::Card {
                bill,
                chat,
                message_id,
                text,
                at,
            } => {
                db.call(move |s| s.set_card(bill, &chat, message_id, &text, at))
                    .await
            }
        }
    }
}

impl Sender {
    /// Remembers a message Telegram accepted whose recording failed with `error`; returns the
    /// error, for the round to stop on.
    pub(super) fn unrecorded(&mut self, message: Unrecorded, error: StoreError) -> StoreError {
        tracing::error!(
            alerts = message.alerts(),
            "Telegram accepted a message but billwatch cannot record it: {error}. It will not \
             be sent again; sending waits until it is recorded"
        );
        if self.unrecorded.is_empty() {
            self.unrecorded_since = Some(error.to_string());
        }
        self.unrecorded.push(message);
        error
    }

    /// Records what Telegram accepted earlier and the database could not take. `Err` while it
    /// still cannot (nothing more may be sent); once it can, the operator is told, once.
    pub(super) async fn record_unrecorded(
        &mut self,
        db: &Db,
        shutdown: &mut Shutdown,
    ) -> Result<(), StoreError> {
        if self.unrecorded.is_empty() {
            return Ok(());
        }
        while let Some(first) = self.unrecorded.first() {
            if let Err(e) = first.record(db).await {
                let alerts: usize = self.unrecorded.iter().map(Unrecorded::alerts).sum();
                tracing::error!(
                    alerts,
                    "sending paused: {alerts} alert(s) Telegram accepted are not recorded yet: {e}"
                );
                return Err(e);
            }
            self.unrecorded.remove(0);
        }
        let why = self.unrecorded_since.take().unwrap_or_default();
        self.notify(
            &format!(
                "billwatch could not record what it had sent ({why}). It is recorded now, \
                 nothing was sent twice, and sending has resumed."
            ),
            None,
            shutdown,
        )
        .await;
        Ok(())
    }
}
