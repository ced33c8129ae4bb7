//! Groups Telegram upgraded to supergroups. Telegram answers a post to the old id with the new
//! one (`migrate_to_chat_id`): billwatch follows it, remembers it, and tells the operator once,
//! instead of blocking every alert for that chat until the config is edited.

use super::delivery::Sender;
use crate::shutdown::Shutdown;
use crate::store::{Db, StoreError};

impl Sender {
    /// Where posts for `chat` (as the config names it) go: the supergroup Telegram moved it to,
    /// if it did.
    pub(super) async fn resolve(&self, db: &Db, chat: &str) -> Result<String, StoreError> {
        let key = chat.to_owned();
        let moved = db.call(move |s| s.chat_moved_to(&key)).await?;
        Ok(moved.unwrap_or_else(|| chat.to_owned()))
    }

    /// Follows Telegram's move of the group `chat` to the supergroup `to`: recorded, so every
    /// later post goes there, and told to the operator once, to update the config.
    pub(super) async fn follow_move(
        &self,
        db: &Db,
        chat: &str,
        to: &str,
        shutdown: &mut Shutdown,
    ) -> Result<(), StoreError> {
        let (from, new) = (chat.to_owned(), to.to_owned());
        if db.call(move |s| s.set_chat_moved(&from, &new)).await? {
            self.notify(
                &format!(
                    "Telegram upgraded the group {chat} to a supergroup with id {to}. billwatch \
                     posts there now; set \"{to}\" where the config names {chat}."
                ),
                None,
                shutdown,
            )
            .await;
        }
        Ok(())
    }
}
