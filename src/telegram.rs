//! Delivery to Telegram: the outbox's pending alerts, sent through teloxide, exactly as far as
//! Telegram allows "exactly once" to go.
//!
//! The policy, in order:
//! - An alert is marked *sent* (with Telegram's `message_id`) only after Telegram confirmed it.
//! - Before each send the attempt is committed. If billwatch dies, or a request times out, after
//!   the request went out but before the answer was recorded, Telegram may or may not have posted
//!   it: billwatch sends it again (never lose an alert). A duplicate can only come from that
//!   window — the time between Telegram accepting a message and billwatch committing it, a few
//!   milliseconds, or a request whose answer was lost in transit.
//! - Transient failures (429 with `retry_after` honoured exactly, 5xx, network, timeouts) are
//!   retried; they never drop an alert. Permanent ones (chat not found, bot not an admin, bot
//!   kicked, bad token, message refused) mark the alert `blocked` with the reason, tell the
//!   operator, and keep it for `billwatch retry`.
//! - Limits are respected before they bite: at least a second between two messages to one chat,
//!   at most 20 a minute to one chat. Several pending alerts for one chat go as one digest,
//!   split at alert boundaries under Telegram's 4096-character limit.
//! - The bot token never reaches a log line, an error or `Debug` output.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use teloxide::RequestError;
use teloxide::payloads::{EditMessageTextSetters, PinChatMessageSetters, SendMessageSetters};
use teloxide::prelude::Requester;
use teloxide::types::{ChatId, LinkPreviewOptions, ParseMode, Recipient};
use teloxide::{ApiError, Bot};
use tokio::time::Instant;

use crate::alert::{self, TELEGRAM_LIMIT};
use crate::backoff::Backoff;
use crate::config::{AlertMode, Config, Telegram};
use crate::shutdown::Shutdown;
use crate::store::{Alert, Store, StoreError};

/// The environment variable that holds the bot token.
pub const TOKEN_ENV: &str = "TELEGRAM_BOT_TOKEN";
/// Messages to one chat within a minute, at most.
const PER_CHAT_PER_MINUTE: usize = 20;
/// The least time between two messages to one chat.
const PER_CHAT_GAP: Duration = Duration::from_secs(1);
/// Transient failures in a row before a delivery round gives up (the alerts stay pending).
const MAX_TRANSIENT: u32 = 5;
/// The longest `retry_after` billwatch waits inside one round; longer ones end the round.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);
/// Transient failures wait 1 s, 2 s, 4 s, then 8 s before the next try; Telegram's own
/// `retry_after` is honoured exactly and does not count as a try.
const RETRY: Backoff = Backoff::new(Duration::from_secs(1))
    .tries(MAX_TRANSIENT)
    .honouring(MAX_RETRY_AFTER);

/// The bot token. Its `Debug` and `Display` never show it.
#[derive(Clone)]
pub struct Token(String);

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// Why no token could be had.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error(
        "no Telegram bot token: set the {TOKEN_ENV} environment variable, or name a file holding \
         it with telegram.token_file (get a token from @BotFather)"
    )]
    Missing,
    #[error("cannot read the bot token file {path}: {source}")]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the bot token from {from} does not look like a Telegram bot token (digits, a colon, then \
         letters, digits, '-' or '_'); copy it again from @BotFather"
    )]
    Malformed { from: String },
}

impl Token {
    /// The token from `TELEGRAM_BOT_TOKEN`, else from `telegram.token_file`.
    pub fn load(config: &Telegram, env: Option<String>) -> Result<Token, TokenError> {
        let (raw, from) = match env.filter(|t| !t.trim().is_empty()) {
            Some(t) => (t, TOKEN_ENV.to_owned()),
            None => match &config.token_file {
                Some(path) => (
                    std::fs::read_to_string(path).map_err(|source| TokenError::File {
                        path: path.clone(),
                        source,
                    })?,
                    path.display().to_string(),
                ),
                None => return Err(TokenError::Missing),
            },
        };
        let token = raw.trim().to_owned();
        let valid = token.split_once(':').is_some_and(|(id, secret)| {
            !id.is_empty()
                && id.bytes().all(|b| b.is_ascii_digit())
                && !secret.is_empty()
                && secret
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
        if valid {
            Ok(Token(token))
        } else {
            Err(TokenError::Malformed { from })
        }
    }

    /// Removes the token, and its secret half alone, from a text.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.replace(&self.0, "<token>");
        if let Some((_, secret)) = self.0.split_once(':')
            && secret.len() >= 8
        {
            out = out.replace(secret, "<token>");
        }
        out
    }
}

/// How a send ended, when it did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// Flood control: wait exactly this long, then try again.
    RetryAfter(Duration),
    /// Worth another try later: 5xx, network, timeout, an unreadable answer.
    Transient(String),
    /// Trying again will not help until the operator fixes something.
    Permanent(String),
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::RetryAfter(d) => {
                write!(f, "Telegram asked to wait {}s (flood control)", d.as_secs())
            }
            SendError::Transient(s) | SendError::Permanent(s) => f.write_str(s),
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
        let bot = Bot::with_client(token.0.clone(), http).set_api_url(config.api_url.clone());
        Ok(Client { bot, token })
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
            RequestError::MigrateToChatId(to) => SendError::Permanent(format!(
                "chat {chat} became a supergroup with id {to}: set the chat to \"{to}\" in the config"
            )),
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

fn classify_api(chat: &str, api: ApiError, redact: &dyn Fn(String) -> String) -> SendError {
    use SendError::Permanent;
    match api {
        ApiError::InvalidToken => Permanent(
            "Telegram refused the bot token (Unauthorized): check TELEGRAM_BOT_TOKEN or \
             telegram.token_file against @BotFather"
                .to_owned(),
        ),
        ApiError::ChatNotFound => Permanent(format!(
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
            Permanent(format!(
                "{chat} does not accept messages from the bot ({api})"
            ))
        }
        ApiError::MessageIsTooLong
        | ApiError::MessageTextIsEmpty
        | ApiError::CantParseEntities(_) => {
            Permanent(redact(format!("Telegram rejected the message: {api}")))
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

/// Keeps sends to each chat within Telegram's limits.
#[derive(Debug, Default)]
pub struct RateLimiter {
    sent: HashMap<String, VecDeque<Instant>>,
}

impl RateLimiter {
    /// How long to wait before the next message to `chat` may go.
    pub fn wait_for(&self, chat: &str, now: Instant) -> Duration {
        let Some(times) = self.sent.get(chat) else {
            return Duration::ZERO;
        };
        let mut wait = Duration::ZERO;
        if let Some(last) = times.back() {
            wait = wait.max((*last + PER_CHAT_GAP).saturating_duration_since(now));
        }
        let recent: Vec<&Instant> = times
            .iter()
            .filter(|t| now.saturating_duration_since(**t) < Duration::from_secs(60))
            .collect();
        if recent.len() >= PER_CHAT_PER_MINUTE
            && let Some(oldest) = recent.first()
        {
            wait = wait.max((**oldest + Duration::from_secs(60)).saturating_duration_since(now));
        }
        wait
    }

    pub fn record(&mut self, chat: &str, at: Instant) {
        let times = self.sent.entry(chat.to_owned()).or_default();
        times.push_back(at);
        while times.len() > PER_CHAT_PER_MINUTE {
            times.pop_front();
        }
    }
}

/// What one delivery round did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delivery {
    /// Alerts confirmed by Telegram.
    pub sent: usize,
    /// Messages (single alerts or digests) that went out.
    pub messages: usize,
    pub blocked: usize,
    /// Alerts still pending after the round, and why.
    pub pending: usize,
    /// Alerts waiting for the daily digest (not a failure).
    pub deferred: usize,
    pub last_error: Option<String>,
}

/// Delivers the outbox's Telegram alerts.
#[derive(Debug)]
pub struct Sender {
    client: Client,
    admin_chat: Option<String>,
    limiter: RateLimiter,
    lock_path: PathBuf,
}

/// Why no sender could be built from the config.
#[derive(Debug, thiserror::Error)]
pub enum SenderError {
    /// A configuration problem: no usable token.
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error("cannot set up the HTTP client for Telegram: {0}")]
    Client(#[from] reqwest::Error),
}

impl Sender {
    /// The sender for a config's `[telegram]` section (none without one), with the token from
    /// `TELEGRAM_BOT_TOKEN` or `telegram.token_file`.
    pub fn from_config(config: &Config) -> Result<Option<Sender>, SenderError> {
        let Some(t) = &config.telegram else {
            return Ok(None);
        };
        let token = Token::load(t, std::env::var(TOKEN_ENV).ok())?;
        let client = Client::new(t, token)?;
        Ok(Some(Sender::new(client, t, &config.storage.path)))
    }

    pub fn new(client: Client, config: &Telegram, db: &Path) -> Sender {
        let mut lock = db.as_os_str().to_owned();
        lock.push(".sender.lock");
        Sender {
            client,
            admin_chat: config.admin_chat.clone(),
            limiter: RateLimiter::default(),
            lock_path: PathBuf::from(lock),
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Sends every pending Telegram alert, digesting several for one chat into few messages.
    /// Returns `None` when another billwatch process is delivering right now.
    pub async fn deliver(
        &mut self,
        store: &mut Store,
        config: &Config,
        today: NaiveDate,
        shutdown: &mut Shutdown,
    ) -> Result<Option<Delivery>, StoreError> {
        // Only one process sends at a time, or two could post the same alert.
        let _lock = match self.lock() {
            Ok(Some(lock)) => Some(lock),
            Ok(None) => {
                tracing::info!(
                    "another billwatch process is delivering alerts; leaving it to that one"
                );
                return Ok(None);
            }
            Err(e) => {
                tracing::warn!(
                    "cannot use the lock file {}: {e}; delivering without it",
                    self.lock_path.display()
                );
                None
            }
        };
        let pending = store.pending(true)?;
        let mut report = Delivery::default();
        let mut by_chat: Vec<(String, Vec<Alert>)> = Vec::new();
        for a in pending {
            let chat = a.chat.clone().unwrap_or_default();
            match by_chat.iter_mut().find(|(c, _)| *c == chat) {
                Some((_, list)) => list.push(a),
                None => by_chat.push((chat, vec![a])),
            }
        }
        for (chat, alerts) in by_chat {
            // In daily mode a chat's alerts wait for its digest time, once a day.
            let digest_key = format!("digest:{chat}");
            if let AlertMode::Daily(at) = config.alerts.mode {
                let local_now = Utc::now().with_timezone(&config.timezone).time();
                let last = store.meta(&digest_key)?;
                if last.as_deref() >= Some(today.to_string().as_str()) || local_now < at {
                    report.deferred += alerts.len();
                    continue;
                }
            }
            let mut texts: Vec<String> = alerts
                .iter()
                .map(|a| alert::render_html(&a.event, &a.url, today))
                .collect();
            if matches!(config.alerts.mode, AlertMode::Daily(_)) {
                let header = format!(
                    "<b>Today in Parliament, {}</b>: {} update(s) on the bills this channel follows",
                    alert::long_date(today),
                    alerts.len()
                );
                texts[0] = format!("{header}\n\n{}", texts[0]);
            }
            let before = report.sent;
            let mut blocked_reason: Option<String> = None;
            let mut gave_up = false;
            for (text, range) in alert::digests(&texts, TELEGRAM_LIMIT) {
                let ids: Vec<i64> = alerts[range.clone()].iter().map(|a| a.id).collect();
                if gave_up || shutdown.is_triggered() {
                    report.pending += ids.len();
                    continue;
                }
                if let Some(reason) = &blocked_reason {
                    store.mark_blocked(&ids, reason)?;
                    report.blocked += ids.len();
                    continue;
                }
                match self
                    .send_with_retries(store, &chat, &text, &ids, shutdown)
                    .await?
                {
                    Outcome::Sent => {
                        report.sent += ids.len();
                        report.messages += 1;
                    }
                    Outcome::Blocked(reason) => {
                        tracing::error!(
                            chat,
                            alerts = ids.len(),
                            "alert blocked: {reason}; fix it, then run `billwatch retry`"
                        );
                        store.mark_blocked(&ids, &reason)?;
                        report.blocked += ids.len();
                        self.notify(&format!(
                            "billwatch cannot post to {chat}: {reason}. {} alert(s) are kept; run `billwatch retry` once it is fixed.",
                            alerts.len() - range.start
                        ), Some(&chat)).await;
                        blocked_reason = Some(reason);
                    }
                    Outcome::GaveUp(reason) => {
                        report.pending += ids.len();
                        report.last_error = Some(reason);
                        gave_up = true;
                    }
                }
            }
            if matches!(config.alerts.mode, AlertMode::Daily(_)) && !gave_up && report.sent > before
            {
                store.set_meta(&digest_key, &today.to_string())?;
            }
        }
        Ok(Some(report))
    }

    async fn send_with_retries(
        &mut self,
        store: &mut Store,
        chat: &str,
        text: &str,
        ids: &[i64],
        shutdown: &mut Shutdown,
    ) -> Result<Outcome, StoreError> {
        let mut transient = 0;
        loop {
            let wait = self.limiter.wait_for(chat, Instant::now());
            if !wait.is_zero() && !shutdown.sleep(wait).await {
                return Ok(Outcome::GaveUp("shutting down".to_owned()));
            }
            store.mark_attempt(ids, Utc::now())?;
            let result = self.client.send_html(chat, text).await;
            self.limiter.record(chat, Instant::now());
            match result {
                Ok(message_id) => {
                    store.mark_sent(ids, Utc::now(), Some(message_id))?;
                    tracing::info!(chat, message_id, alerts = ids.len(), "delivered");
                    return Ok(Outcome::Sent);
                }
                Err(SendError::Permanent(reason)) => return Ok(Outcome::Blocked(reason)),
                Err(SendError::RetryAfter(d)) => {
                    store.mark_failed_attempt(
                        ids,
                        &format!("flood control: retry after {}s", d.as_secs()),
                    )?;
                    let Some(wait) = RETRY.asked(d) else {
                        return Ok(Outcome::GaveUp(format!(
                            "Telegram asked to wait {}s",
                            d.as_secs()
                        )));
                    };
                    tracing::warn!(
                        chat,
                        seconds = wait.as_secs(),
                        "Telegram flood control: waiting as asked"
                    );
                    if !shutdown.sleep(wait).await {
                        return Ok(Outcome::GaveUp("shutting down".to_owned()));
                    }
                }
                Err(SendError::Transient(reason)) => {
                    transient += 1;
                    store.mark_failed_attempt(ids, &reason)?;
                    let Some(backoff) = RETRY.after(transient) else {
                        tracing::warn!(
                            chat,
                            "giving up for now, the alerts stay pending: {reason}"
                        );
                        return Ok(Outcome::GaveUp(reason));
                    };
                    tracing::warn!(chat, ?backoff, "send failed, will retry: {reason}");
                    if !shutdown.sleep(backoff).await {
                        return Ok(Outcome::GaveUp("shutting down".to_owned()));
                    }
                }
            }
        }
    }

    /// Keeps each tracked bill's status card current: edited in place when the bill moved,
    /// posted anew (and remembered) when it was deleted. A card that would not change is not
    /// touched.
    pub async fn sync_cards(
        &mut self,
        store: &mut Store,
        config: &Config,
        today: NaiveDate,
    ) -> Result<usize, StoreError> {
        let Some(t) = config.telegram.as_ref().filter(|t| t.status_card) else {
            return Ok(0);
        };
        let mut changed = 0;
        for bill in &config.bills {
            let Some((snapshot, _)) = store.snapshot(bill.id)? else {
                continue;
            };
            let chat = config.chat_for(bill.id).unwrap_or(&t.chat).to_owned();
            let text = alert::card_html(&snapshot, &config.stages_url(bill.id), today);
            let stored = store.card(bill.id, &chat)?;
            if stored.as_ref().is_some_and(|(_, old)| *old == text) {
                continue;
            }
            let wait = self.limiter.wait_for(&chat, Instant::now());
            tokio::time::sleep(wait).await;
            let edited = match &stored {
                Some((message_id, _)) => {
                    let result = self.client.edit_html(&chat, *message_id, &text).await;
                    self.limiter.record(&chat, Instant::now());
                    match result {
                        Ok(()) => Some(*message_id),
                        Err(EditError::Gone) => {
                            tracing::info!(
                                bill = bill.id,
                                chat,
                                "the status card was deleted: posting a new one"
                            );
                            None
                        }
                        Err(EditError::Failed(e)) => {
                            tracing::warn!(
                                bill = bill.id,
                                chat,
                                "cannot update the status card: {e}"
                            );
                            continue;
                        }
                    }
                }
                None => None,
            };
            let message_id = match edited {
                Some(id) => id,
                None => {
                    let wait = self.limiter.wait_for(&chat, Instant::now());
                    tokio::time::sleep(wait).await;
                    let result = self.client.send_html(&chat, &text).await;
                    self.limiter.record(&chat, Instant::now());
                    match result {
                        Ok(id) => {
                            if t.pin_cards
                                && let Err(e) = self.client.pin(&chat, id).await
                            {
                                tracing::warn!(
                                    bill = bill.id,
                                    chat,
                                    "cannot pin the status card: {e}"
                                );
                            }
                            id
                        }
                        Err(e) => {
                            tracing::warn!(
                                bill = bill.id,
                                chat,
                                "cannot post the status card: {e}"
                            );
                            continue;
                        }
                    }
                }
            };
            store.set_card(bill.id, &chat, message_id, &text, Utc::now())?;
            changed += 1;
        }
        Ok(changed)
    }

    /// Tells the operator, once, about a bill whose checks have failed `threshold` times in a
    /// row, and once when it recovers; never once per failure.
    pub async fn report_health(
        &mut self,
        store: &mut Store,
        report: &crate::check::CheckReport,
        threshold: u32,
    ) -> Result<(), StoreError> {
        for bill in &report.bills {
            match &bill.error {
                Some(error) if bill.consecutive_failures >= threshold => {
                    if !store.set_failure_reported(bill.bill_id, true)? {
                        self.notify(
                            &format!(
                                "bill {} has failed {} checks in a row; its alerts wait until it recovers. Last error: {error}",
                                bill.bill_id, bill.consecutive_failures
                            ),
                            None,
                        )
                        .await;
                    }
                }
                Some(_) => {}
                None => {
                    if store.set_failure_reported(bill.bill_id, false)? {
                        let title = bill.title.as_deref().unwrap_or("");
                        self.notify(
                            &format!(
                                "bill {} ({title}) is being checked again: recovered",
                                bill.bill_id
                            ),
                            None,
                        )
                        .await;
                    }
                }
            }
        }
        Ok(())
    }

    /// Tells the operator: always in the log, and in `admin_chat` when one is set (unless that
    /// is the chat with the problem). Best effort: a notice that cannot be sent is only logged.
    pub async fn notify(&mut self, text: &str, about_chat: Option<&str>) {
        tracing::warn!("operator notice: {text}");
        let Some(admin) = self.admin_chat.clone() else {
            return;
        };
        if about_chat == Some(admin.as_str()) {
            return;
        }
        let wait = self.limiter.wait_for(&admin, Instant::now());
        tokio::time::sleep(wait).await;
        let html = format!("⚠️ {}", alert::escape_html(text));
        let result = self.client.send_html(&admin, &html).await;
        self.limiter.record(&admin, Instant::now());
        if let Err(e) = result {
            tracing::error!("cannot send the operator notice to {admin}: {e}");
        }
    }

    /// The delivery lock: `Ok(None)` when another process holds it.
    fn lock(&self) -> std::io::Result<Option<File>> {
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&self.lock_path)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(file)),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => Err(e),
        }
    }
}

enum Outcome {
    Sent,
    Blocked(String),
    GaveUp(String),
}
