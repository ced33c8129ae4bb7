//! The Bot API calls billwatch makes, as a trait: the teloxide [`Client`](super::Client) in
//! production, an in-process fake in paused-time tests.
//!
//! The answers are already classified ([`SendError`], [`EditError`]), so the token's redaction
//! and the meaning of Telegram's errors stay in the one real implementation.

use std::fmt;

use futures::future::BoxFuture;

use super::client::{EditError, SendError};

/// What billwatch asks of Telegram, besides the dispatcher's long polling. Object-safe: the
/// sender holds an `Arc<dyn BotApi>`.
pub trait BotApi: fmt::Debug + Send + Sync {
    /// Sends one HTML message without a link preview; Telegram's message id on success.
    fn send_html<'a>(
        &'a self,
        chat: &'a str,
        text: &'a str,
    ) -> BoxFuture<'a, Result<i64, SendError>>;

    /// Replaces the text of a message the bot posted.
    fn edit_html<'a>(
        &'a self,
        chat: &'a str,
        message_id: i64,
        text: &'a str,
    ) -> BoxFuture<'a, Result<(), EditError>>;

    /// Pins a message without notifying anyone.
    fn pin<'a>(&'a self, chat: &'a str, message_id: i64) -> BoxFuture<'a, Result<(), SendError>>;

    /// The bot's own username, proving the token works.
    fn whoami(&self) -> BoxFuture<'_, Result<String, SendError>>;
}
