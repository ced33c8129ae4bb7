//! The Bot API client: send, edit and pin HTML messages, `getMe`; and the classification of
//! what Telegram answers into "wait as asked", "try again later" and "the operator must act".

use std::fmt;
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use teloxide::RequestError;
use teloxide::payloads::{EditMessageTextSetters, PinChatMessageSetters, SendMessageSetters};
use teloxide::prelude::Requester;
use teloxide::types::{ChatId, LinkPreviewOptions, ParseMode, Recipient};
use teloxide::{ApiError, Bot};

use super::bot_api::BotApi;
use super::token::Token;
use crate::config::Telegram;

/// How a send ended, when it did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// Flood control: wait exactly this long, then try again.
    RetryAfter(Duration),
    /// Worth another try later: 5xx, network, timeout, an unreadable answer.
    Transient(String),
    /// Trying again will not help until the operator fixes something about the chat.
    Permanent(String),
    /// The chat cannot be reached at all: not found, or the person behind a private chat
    /// blocked the bot or deleted their account. For a channel, as [`SendError::Permanent`];
    /// for a reader's private chat, the reader is gone.
    Unreachable(String),
    /// Telegram refused this message itself (its markup, its length): other messages to the
    /// same chat may still go.
    Refused(String),
    /// The group became a supergroup with this id: post there instead.
    Migrated(String),
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::RetryAfter(d) => {
                write!(f, "Telegram asked to wait {}s (flood control)", d.as_secs())
            }
            SendError::Migrated(to) => {
                write!(f, "the group became a supergroup with id {to}")
            }
            SendError::Transient(s)
            | SendError::Permanent(s)
            | SendError::Unreachable(s)
            | SendError::Refused(s) => f.write_str(s),
        }
    }
}

/// The Bot API client. Its `Debug` leaves the token out (teloxide's `Bot` prints it).
#[derive(Clone)]
pub struct Client {
    bot: Bot,
    token: Token,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

impl Client {
    pub fn new(config: &Telegram, token: Token) -> Result<Client, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .build()?;
        let bot = Bot::with_client(token.expose(), http).set_api_url(config.api_url.clone());
        Ok(Client { bot, token })
    }

    /// A client whose requests could only fail, for tests that make none.
    #[cfg(test)]
    pub(super) fn fake() -> Client {
        let token = Token::fake();
        let bot = Bot::new(token.expose());
        Client { bot, token }
    }

    /// Sends one HTML message without a link preview; Telegram's message id on success.
    pub async fn send_html(&self, chat: &str, text: &str) -> Result<i64, SendError> {
        let result = self
            .bot
            .send_message(recipient(chat), text)
            .parse_mode(ParseMode::Html)
            .link_preview_options(no_preview())
            .await;
        match result {
            Ok(message) => Ok(i64::from(message.id.0)),
            Err(e) => Err(self.classify(chat, e)),
        }
    }

    /// Replaces the text of a message the bot posted.
    pub async fn edit_html(
        &self,
        chat: &str,
        message_id: i64,
        text: &str,
    ) -> Result<(), EditError> {
        let id = teloxide::types::MessageId(i32::try_from(message_id).unwrap_or(i32::MAX));
        let result = self
            .bot
            .edit_message_text(recipient(chat), id, text)
            .parse_mode(ParseMode::Html)
            .link_preview_options(no_preview())
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(RequestError::Api(ApiError::MessageNotModified)) => Ok(()),
            Err(RequestError::Api(
                ApiError::MessageToEditNotFound
                | ApiError::MessageIdInvalid
                | ApiError::MessageCantBeEdited,
            )) => Err(EditError::Gone),
            Err(e) => Err(EditError::Failed(self.classify(chat, e))),
        }
    }

    /// Pins a message without notifying anyone.
    pub async fn pin(&self, chat: &str, message_id: i64) -> Result<(), SendError> {
        let id = teloxide::types::MessageId(i32::try_from(message_id).unwrap_or(i32::MAX));
        self.bot
            .pin_chat_message(recipient(chat), id)
            .disable_notification(true)
            .await
            .map(|_| ())
            .map_err(|e| self.classify(chat, e))
    }

    /// The bot itself, for the dispatcher.
    pub fn bot(&self) -> &Bot {
        &self.bot
    }

    /// The bot's own username, proving the token works.
    pub async fn whoami(&self) -> Result<String, SendError> {
        match self.bot.get_me().await {
            Ok(me) => Ok(me.username().to_owned()),
            Err(e) => Err(self.classify("(getMe)", e)),
        }
    }

    fn classify(&self, chat: &str, e: RequestError) -> SendError {
        let redact = |s: String| self.token.redact(&s);
        match e {
            RequestError::RetryAfter(secs) => SendError::RetryAfter(secs.duration()),
            RequestError::MigrateToChatId(to) => SendError::Migrated(to.to_string()),
            // teloxide already masks the token in the URL; `redact` makes sure.
            RequestError::Network(e) => SendError::Transient(redact(format!(
                "cannot reach Telegram: {}",
                crate::source::http::error_chain(e.as_ref())
            ))),
            RequestError::InvalidJson { .. } => SendError::Transient(
                "Telegram answered with something that is not the Bot API's JSON (a proxy error page?)"
                    .to_owned(),
            ),
            RequestError::Io(e) => SendError::Transient(redact(format!("I/O error: {e}"))),
            RequestError::Api(api) => classify_api(chat, api, &redact),
        }
    }
}

impl BotApi for Client {
    fn send_html<'a>(
        &'a self,
        chat: &'a str,
        text: &'a str,
    ) -> BoxFuture<'a, Result<i64, SendError>> {
        Client::send_html(self, chat, text).boxed()
    }

    fn edit_html<'a>(
        &'a self,
        chat: &'a str,
        message_id: i64,
        text: &'a str,
    ) -> BoxFuture<'a, Result<(), EditError>> {
        Client::edit_html(self, chat, message_id, text).boxed()
    }

    fn pin<'a>(&'a self, chat: &'a str, message_id: i64) -> BoxFuture<'a, Result<(), SendError>> {
        Client::pin(self, chat, message_id).boxed()
    }

    fn whoami(&self) -> BoxFuture<'_, Result<String, SendError>> {
        Client::whoami(self).boxed()
    }
}

fn classify_api(chat: &str, api: ApiError, redact: &dyn Fn(String) -> String) -> SendError {
    use SendError::Permanent;
    match api {
        ApiError::InvalidToken => Permanent(
            "Telegram refused the bot token (Unauthorized): check TELEGRAM_BOT_TOKEN or \
             telegram.token_file against @BotFather"
                .to_owned(),
        ),
        ApiError::ChatNotFound => SendError::Unreachable(format!(
            "chat {chat} not found: check the chat name or id, and that the bot was added to it"
        )),
        ApiError::NotEnoughRightsToPostMessages => Permanent(format!(
            "the bot is not an administrator of {chat} with the right to post messages: make it one"
        )),
        ApiError::BotKicked
        | ApiError::BotKickedFromChannel
        | ApiError::BotKickedFromSupergroup => Permanent(format!(
            "the bot was removed from {chat}: add it back as an administrator"
        )),
        ApiError::BotBlocked | ApiError::UserDeactivated | ApiError::CantInitiateConversation => {
            SendError::Unreachable(format!(
                "{chat} does not accept messages from the bot ({api})"
            ))
        }
        ApiError::MessageIsTooLong
        | ApiError::MessageTextIsEmpty
        | ApiError::CantParseEntities(_) => {
            SendError::Refused(redact(format!("Telegram rejected the message: {api}")))
        }
        ApiError::Unknown(description) => {
            let d = description.to_ascii_lowercase();
            let permanent = ["bad request", "forbidden", "unauthorized", "not found"]
                .iter()
                .any(|p| d.starts_with(p));
            let text = redact(format!("Telegram answered: {description}"));
            if permanent {
                Permanent(text)
            } else {
                SendError::Transient(text)
            }
        }
        other => Permanent(redact(format!("Telegram refused the message: {other}"))),
    }
}

fn no_preview() -> LinkPreviewOptions {
    LinkPreviewOptions {
        is_disabled: true,
        url: None,
        prefer_small_media: false,
        prefer_large_media: false,
        show_above_text: false,
    }
}

/// Why a message could not be edited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditError {
    /// The message is gone (deleted) or can no longer be edited: post a new one.
    Gone,
    Failed(SendError),
}

/// `@channelname` or a numeric chat id.
fn recipient(chat: &str) -> Recipient {
    match chat.parse::<i64>() {
        Ok(id) => Recipient::Id(ChatId(id)),
        Err(_) => Recipient::ChannelUsername(chat.to_owned()),
    }
}
