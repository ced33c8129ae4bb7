//! Status cards: one live message per tracked bill, edited in place as the bill moves.

use chrono::NaiveDate;

use super::client::EditError;
use super::delivery::Sender;
use super::throttled::ThrottledError;
use super::unrecorded::Unrecorded;
use crate::config::Config;
use crate::message;
use crate::shutdown::Shutdown;
use crate::store::{Db, StoreError};

impl Sender {
    /// Keeps each tracked bill's status card current: edited in place when the bill moved,
    /// posted anew (and remembered) when it was deleted. A card that would not change is not
    /// touched. Stops between two cards on shutdown.
    pub async fn sync_cards(
        &mut self,
        db: &Db,
        config: &Config,
        today: NaiveDate,
        shutdown: &mut Shutdown,
    ) -> Result<usize, StoreError> {
        let Some(t) = config.telegram.as_ref().filter(|t| t.status_card) else {
            return Ok(0);
        };
        // Under the same lock as alerts: two workers on one database would post each card twice.
        let Some(_lock) = self.lock_or_leave("status cards") else {
            return Ok(0);
        };
        let mut changed = 0;
        for bill in &config.bills {
            if shutdown.is_triggered() {
                break;
            }
            let id = bill.id;
            let Some((snapshot, _)) = db.call(move |s| s.snapshot(id)).await? else {
                continue;
            };
            let chat = config.chat_for(bill.id).unwrap_or(&t.chat).to_owned();
            let latest = db.call(move |s| s.latest_vote(id)).await?;
            let url = config.stages_url(bill.id);
            let text = message::card_html(&snapshot, latest.as_ref(), &url, today);
            let key = chat.clone();
            let stored = db.call(move |s| s.card(id, &key)).await?;
            if stored.as_ref().is_some_and(|(_, old)| *old == text) {
                continue;
            }
            let stored = stored.map(|(message_id, _)| message_id);
            // A group Telegram moved: the card goes where the alerts go.
            let target = self.resolve(db, &chat).await?;
            let put = self.put_card(bill.id, &target, &text, stored, t.pin_cards, shutdown);
            let Some(message_id) = put.await else {
                continue;
            };
            let now = self.clock.now();
            let posted = Unrecorded::Card {
                bill: id,
                chat: chat.clone(),
                message_id,
                text: text.clone(),
                at: now,
            };
            if let Err(e) = db
                .call(move |s| s.set_card(id, &chat, message_id, &text, now))
                .await
            {
                return Err(self.unrecorded(posted, e));
            }
            changed += 1;
        }
        Ok(changed)
    }

    /// Edits the card's message in place, or posts (and pins) a new one when there is none or
    /// it was deleted. The id of the message that shows the card; `None` when it could not be
    /// done (logged) or on shutdown.
    async fn put_card(
        &self,
        bill: u32,
        chat: &str,
        text: &str,
        stored: Option<i64>,
        pin: bool,
        shutdown: &mut Shutdown,
    ) -> Option<i64> {
        if let Some(message_id) = stored {
            match self
                .throttled
                .edit_html(chat, message_id, text, shutdown)
                .await
            {
                Ok(()) => return Some(message_id),
                Err(ThrottledError::Telegram(EditError::Gone)) => {
                    tracing::info!(bill, chat, "the status card was deleted: posting a new one")
                }
                Err(ThrottledError::Telegram(EditError::Failed(e))) => {
                    tracing::warn!(bill, chat, "cannot update the status card: {e}");
                    return None;
                }
                Err(ThrottledError::ShuttingDown) => return None,
            }
        }
        match self.throttled.send_html(chat, text, shutdown).await {
            Ok(id) => {
                if pin && let Err(e) = self.throttled.api().pin(chat, id).await {
                    tracing::warn!(bill, chat, "cannot pin the status card: {e}");
                }
                Some(id)
            }
            Err(ThrottledError::Telegram(e)) => {
                tracing::warn!(bill, chat, "cannot post the status card: {e}");
                None
            }
            Err(ThrottledError::ShuttingDown) => None,
        }
    }
}
