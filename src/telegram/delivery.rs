//! Delivery: the outbox's pending Telegram alerts, grouped per chat and sent as digests, once a
//! day in daily mode; transient failures retried, permanent ones parked as blocked.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};

use super::bot_api::BotApi;
use super::client::{Client, SendError};
use super::throttled::Throttled;
use super::token::{TOKEN_ENV, Token, TokenError};
use super::unrecorded::Unrecorded;
use crate::backoff::Backoff;
use crate::check::CheckReport;
use crate::clock::Clock;
use crate::config::{AlertMode, Config, Telegram};
use crate::message;
use crate::shutdown::Shutdown;
use crate::store::{Alert, Db, StoreError};
use crate::telegram_text::{TELEGRAM_LIMIT, digests};

/// Transient failures in a row before a delivery round gives up (the alerts stay pending).
const MAX_TRANSIENT: u32 = 5;
/// The longest `retry_after` billwatch waits inside one round; longer ones end the round.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);
/// Transient failures wait 1 s, 2 s, 4 s, then 8 s before the next try; Telegram's own
/// `retry_after` is honoured exactly and does not count as a try.
pub(super) const RETRY: Backoff = Backoff::new(Duration::from_secs(1))
    .tries(MAX_TRANSIENT)
    .honouring(MAX_RETRY_AFTER);

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

impl Delivery {
    /// Adds what a later part of the round did; its error, if any, is the last one.
    fn add(&mut self, later: Delivery) {
        self.sent += later.sent;
        self.messages += later.messages;
        self.blocked += later.blocked;
        self.pending += later.pending;
        self.deferred += later.deferred;
        if later.last_error.is_some() {
            self.last_error = later.last_error;
        }
    }
}

/// How long `check` and `retry` may spend on Telegram, notices, alerts and status cards
/// together, before a request in flight is given 5 s more: a minute in all,
/// whatever Telegram does (answering 5xx slowly once made a `check` take minutes).
pub const ONE_SHOT_BUDGET: Duration = Duration::from_secs(55);
/// How long a request in flight when the budget runs out may still take.
const IN_FLIGHT_GRACE: Duration = Duration::from_secs(5);

/// Delivers the outbox's Telegram alerts, keeps the status cards, and tells the operator.
#[derive(Debug)]
pub struct Sender {
    pub(super) throttled: Throttled,
    pub(super) admin_chat: Option<String>,
    /// The time of attempts, deliveries and cards, and of the daily digest.
    pub(super) clock: Clock,
    lock_path: PathBuf,
    /// The teloxide client behind the API, for the command dispatcher's long polling; `None`
    /// when the sender was built on another [`BotApi`] (a test's fake). A `Client`, not a
    /// `teloxide::Bot`, whose `Debug` would print the token.
    client: Option<Client>,
    /// Messages Telegram accepted that the database could not record yet, oldest first.
    pub(super) unrecorded: Vec<Unrecorded>,
    /// Why the first of them could not be recorded, for the operator's notice.
    pub(super) unrecorded_since: Option<String>,
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

/// How one message's delivery ended.
enum Outcome {
    Sent,
    /// The chat cannot be posted to: this message and the chat's others wait for `retry`.
    Blocked(String),
    /// Telegram refused this message alone: it waits for `retry`, the others still go.
    Refused(String),
    GaveUp(String),
}

impl Sender {
    /// The sender for a config's `[telegram]` section (none without one), with the token from
    /// `TELEGRAM_BOT_TOKEN` or `telegram.token_file`.
    pub fn from_config(config: &Config, clock: Clock) -> Result<Option<Sender>, SenderError> {
        let Some(t) = &config.telegram else {
            return Ok(None);
        };
        let token = Token::load(t, std::env::var(TOKEN_ENV).ok())?;
        let client = Client::new(t, token)?;
        let mut sender = Sender::new(Arc::new(client.clone()), t, &config.storage.path, clock);
        sender.client = Some(client);
        Ok(Some(sender))
    }

    /// A sender posting through `api`, for the `[telegram]` section `config`, with the
    /// delivery lock next to the database `db`.
    pub fn new(api: Arc<dyn BotApi>, config: &Telegram, db: &Path, clock: Clock) -> Sender {
        let mut lock = db.as_os_str().to_owned();
        lock.push(".sender.lock");
        Sender {
            throttled: Throttled::new(api),
            admin_chat: config.admin_chat.clone(),
            clock,
            lock_path: PathBuf::from(lock),
            client: None,
            unrecorded: Vec::new(),
            unrecorded_since: None,
        }
    }

    /// The Bot API without the per-chat limits (`test-telegram`).
    pub fn client(&self) -> &dyn BotApi {
        self.throttled.api()
    }

    /// The teloxide bot for the command dispatcher; `None` on a sender built with [`Sender::new`].
    pub fn bot(&self) -> Option<&teloxide::Bot> {
        self.client.as_ref().map(Client::bot)
    }

    /// The client behind the per-chat limits, to share them with the bot's replies.
    pub fn throttled(&self) -> &Throttled {
        &self.throttled
    }

    /// What a one-shot command (`check`, `retry`) does with Telegram, within `budget`: tell the
    /// operator what `report` calls for, deliver the pending alerts ([`Sender::deliver`]), keep
    /// the status cards, then deliver readers' alerts. Whatever Telegram does, it returns: when the budget runs out every
    /// wait ends, and a request still in flight 5 s later is abandoned. What was
    /// not sent stays pending for the next run (its attempt was recorded: at least once, as
    /// ever).
    pub async fn one_shot(
        &mut self,
        db: &Db,
        config: &Config,
        today: NaiveDate,
        report: Option<&CheckReport>,
        budget: Duration,
    ) -> Result<Option<Delivery>, StoreError> {
        let (trigger, mut shutdown) = Shutdown::new();
        let timer = async {
            tokio::time::sleep(budget).await;
            trigger.fire();
            std::future::pending::<()>().await
        };
        let hard = budget + IN_FLIGHT_GRACE;
        let work = async {
            if let (Some(report), Some(t)) = (report, config.telegram.as_ref()) {
                self.report_health(db, report, t.failure_threshold, &mut shutdown)
                    .await?;
            }
            let delivered = self.deliver(db, config, today, &mut shutdown).await?;
            self.sync_cards(db, config, today, &mut shutdown).await?;
            // Readers' alerts, as far as the budget goes; the rest at the next run.
            loop {
                let round = self
                    .deliver_to_readers(db, today, 100, &mut shutdown)
                    .await?;
                if round.waiting == 0 || round.last_error.is_some() || shutdown.is_triggered() {
                    break;
                }
            }
            Ok(delivered)
        };
        let delivered = tokio::select! {
            done = tokio::time::timeout(hard, work) => done,
            () = timer => unreachable!("the timer never ends"),
        };
        if let Ok(done) = delivered {
            return done;
        }
        let pending = db.call(|s| s.pending(true)).await?.len();
        let why = format!(
            "Telegram kept billwatch waiting past {}s: the alerts not sent stay pending",
            hard.as_secs()
        );
        tracing::warn!(alerts = pending, "{why}");
        Ok(Some(Delivery {
            pending,
            last_error: Some(why),
            ..Delivery::default()
        }))
    }

    /// Sends every pending Telegram alert, digesting several for one chat into few messages.
    /// Returns `None` when another billwatch process is delivering right now.
    pub async fn deliver(
        &mut self,
        db: &Db,
        config: &Config,
        today: NaiveDate,
        shutdown: &mut Shutdown,
    ) -> Result<Option<Delivery>, StoreError> {
        // Only one process sends at a time, or two could post the same alert.
        let Some(_lock) = self.lock_or_leave("alerts") else {
            return Ok(None);
        };
        // Nothing goes out while something already sent is not recorded.
        self.record_unrecorded(db, shutdown).await?;
        let mut report = Delivery::default();
        for (chat, alerts) in by_chat(db.call(|s| s.pending(true)).await?) {
            // In daily mode a chat's alerts wait for its digest time, once a day.
            if !digest_due(db, config, &chat, self.clock.now(), today).await? {
                report.deferred += alerts.len();
                continue;
            }
            let done = self
                .deliver_chat(db, config, today, &chat, &alerts, shutdown)
                .await?;
            report.add(done);
        }
        Ok(Some(report))
    }

    /// Sends one chat's pending alerts as digests. After a permanent failure the rest are
    /// blocked with the same reason; after giving up (or on shutdown) they stay pending.
    async fn deliver_chat(
        &mut self,
        db: &Db,
        config: &Config,
        today: NaiveDate,
        chat: &str,
        alerts: &[Alert],
        shutdown: &mut Shutdown,
    ) -> Result<Delivery, StoreError> {
        let texts = render(alerts, config, today);
        let mut report = Delivery::default();
        let mut blocked_reason: Option<String> = None;
        let mut gave_up = false;
        for (text, range) in digests(&texts, TELEGRAM_LIMIT) {
            let ids: Vec<i64> = alerts[range.clone()].iter().map(|a| a.id).collect();
            if gave_up || shutdown.is_triggered() {
                report.pending += ids.len();
                continue;
            }
            if let Some(reason) = &blocked_reason {
                mark_blocked(db, &ids, reason).await?;
                report.blocked += ids.len();
                continue;
            }
            match self
                .send_with_retries(db, chat, &text, &ids, shutdown)
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
                    mark_blocked(db, &ids, &reason).await?;
                    report.blocked += ids.len();
                    self.notify(&format!(
                        "billwatch cannot post to {chat}: {reason}. {} alert(s) are kept; run `billwatch retry` once it is fixed.",
                        alerts.len() - range.start
                    ), Some(chat), shutdown).await;
                    blocked_reason = Some(reason);
                }
                Outcome::Refused(reason) => {
                    tracing::error!(chat, alerts = ids.len(), "message refused: {reason}");
                    mark_blocked(db, &ids, &reason).await?;
                    report.blocked += ids.len();
                    let notice = format!(
                        "Telegram refused one message to {chat} ({} alert(s)): {reason}. The other \
                         alerts go on; these are kept for `billwatch retry`.",
                        ids.len()
                    );
                    self.notify(&notice, None, shutdown).await;
                }
                Outcome::GaveUp(reason) => {
                    report.pending += ids.len();
                    report.last_error = Some(reason);
                    gave_up = true;
                }
            }
        }
        if matches!(config.alerts.mode, AlertMode::Daily(_)) && !gave_up && report.sent > 0 {
            let (key, day) = (digest_key(chat), today.to_string());
            db.call(move |s| s.set_meta(&key, &day)).await?;
        }
        Ok(report)
    }

    /// Sends one message, retrying what is worth retrying. Each attempt is committed before
    /// the request goes out; the alerts are marked sent only once Telegram confirmed them.
    async fn send_with_retries(
        &mut self,
        db: &Db,
        chat: &str,
        text: &str,
        ids: &[i64],
        shutdown: &mut Shutdown,
    ) -> Result<Outcome, StoreError> {
        let shutting_down = || Ok(Outcome::GaveUp("shutting down".to_owned()));
        let mut transient = 0;
        let configured = chat;
        loop {
            let chat = &self.resolve(db, configured).await?;
            let Some(turn) = self.throttled.turn(chat, shutdown).await else {
                return shutting_down();
            };
            let (owned, now) = (ids.to_vec(), self.clock.now());
            db.call(move |s| s.mark_attempt(&owned, now)).await?;
            let asked = self.clock.now();
            let answer = turn.send_html(text).await;
            // What the request itself cost (Telegram's client waits 10 s on a 5xx before it
            // reads the answer): the log tells the real waits, not only the backoff.
            let took = whole_seconds(self.clock.now() - asked);
            let wait = match answer {
                Ok(message_id) => {
                    self.record_sent(db, ids, message_id).await?;
                    tracing::info!(chat, message_id, alerts = ids.len(), "delivered");
                    return Ok(Outcome::Sent);
                }
                Err(SendError::Permanent(reason) | SendError::Unreachable(reason)) => {
                    return Ok(Outcome::Blocked(reason));
                }
                Err(SendError::Migrated(to)) if to != *chat => {
                    tracing::warn!(chat, to, "the group became a supergroup: following it");
                    self.follow_move(db, configured, &to, shutdown).await?;
                    continue;
                }
                Err(e @ SendError::Migrated(_)) => {
                    return Ok(Outcome::Blocked(format!(
                        "{e}, but posting there fails too"
                    )));
                }
                Err(SendError::Refused(reason)) => return Ok(Outcome::Refused(reason)),
                Err(SendError::RetryAfter(d)) => {
                    let why = format!("flood control: retry after {}s", d.as_secs());
                    mark_failed_attempt(db, ids, why).await?;
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
                    wait
                }
                Err(SendError::Transient(reason)) => {
                    transient += 1;
                    let reason = format!("{reason} (answered after {took})");
                    mark_failed_attempt(db, ids, reason.clone()).await?;
                    let Some(backoff) = RETRY.after(transient) else {
                        tracing::warn!(
                            chat,
                            tries = transient,
                            "giving up for now, the alerts stay pending: {reason}"
                        );
                        return Ok(Outcome::GaveUp(reason));
                    };
                    tracing::warn!(
                        chat,
                        retry_in = %humantime::format_duration(backoff),
                        "send failed, will retry: {reason}"
                    );
                    backoff
                }
            };
            if !shutdown.sleep(wait).await {
                return shutting_down();
            }
        }
    }

    /// Marks alerts Telegram accepted as sent; when that cannot be recorded, they are kept as
    /// unrecorded (never sent again by this process) and the round stops.
    async fn record_sent(
        &mut self,
        db: &Db,
        ids: &[i64],
        message_id: i64,
    ) -> Result<(), StoreError> {
        let (owned, now) = (ids.to_vec(), self.clock.now());
        let recorded = db.call(move |s| s.mark_sent(&owned, now, Some(message_id)));
        if let Err(e) = recorded.await {
            let sent = Unrecorded::Alerts {
                ids: ids.to_vec(),
                message_id,
                at: now,
            };
            return Err(self.unrecorded(sent, e));
        }
        Ok(())
    }

    /// The delivery lock, held while `what` is sent; `None` when another process holds it (it
    /// sends them, not this one). A lock file that cannot be used is told and done without.
    pub(super) fn lock_or_leave(&self, what: &str) -> Option<Option<File>> {
        match self.lock() {
            Ok(Some(lock)) => Some(Some(lock)),
            Ok(None) => {
                tracing::info!(
                    "another billwatch process is delivering {what}; leaving it to that one"
                );
                None
            }
            Err(e) => {
                tracing::warn!(
                    "cannot use the lock file {}: {e}; delivering {what} without it",
                    self.lock_path.display()
                );
                Some(None)
            }
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

/// Pending alerts per chat, chats in the order their first alert was queued.
fn by_chat(pending: Vec<Alert>) -> Vec<(String, Vec<Alert>)> {
    let mut by_chat: Vec<(String, Vec<Alert>)> = Vec::new();
    for a in pending {
        let chat = a.chat.clone().unwrap_or_default();
        match by_chat.iter_mut().find(|(c, _)| *c == chat) {
            Some((_, list)) => list.push(a),
            None => by_chat.push((chat, vec![a])),
        }
    }
    by_chat
}

/// The store key of the day a chat's daily digest last went out.
fn digest_key(chat: &str) -> String {
    format!("digest:{chat}")
}

/// Whether a chat's alerts may go now: always when each alert goes as it comes; in daily mode
/// once the digest time has come, if today's digest has not gone yet.
async fn digest_due(
    db: &Db,
    config: &Config,
    chat: &str,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<bool, StoreError> {
    let AlertMode::Daily(at) = config.alerts.mode else {
        return Ok(true);
    };
    let local_now = now.with_timezone(&config.timezone).time();
    let key = digest_key(chat);
    let last = db.call(move |s| s.meta(&key)).await?;
    Ok(!(last.as_deref() >= Some(today.to_string().as_str()) || local_now < at))
}

async fn mark_blocked(db: &Db, ids: &[i64], reason: &str) -> Result<(), StoreError> {
    let (ids, reason) = (ids.to_vec(), reason.to_owned());
    db.call(move |s| s.mark_blocked(&ids, &reason)).await
}

async fn mark_failed_attempt(db: &Db, ids: &[i64], reason: String) -> Result<(), StoreError> {
    let ids = ids.to_vec();
    db.call(move |s| s.mark_failed_attempt(&ids, &reason)).await
}

/// The alerts as Telegram HTML; in daily mode the first opens with the day's header.
fn render(alerts: &[Alert], config: &Config, today: NaiveDate) -> Vec<String> {
    let mut texts: Vec<String> = alerts
        .iter()
        .map(|a| message::render_html(&a.event, &a.url, today))
        .collect();
    if let (AlertMode::Daily(_), Some(first)) = (config.alerts.mode, alerts.first()) {
        let header = format!(
            "<b>Today in Parliament, {}</b>: {} update(s) on the bills this channel follows\n\n",
            message::long_date(today),
            alerts.len()
        );
        // The first alert makes room for the header: a message is never cut in its markup.
        let room = TELEGRAM_LIMIT.saturating_sub(crate::telegram_text::telegram_len(&header));
        let first = message::render_html_within(&first.event, &first.url, today, room);
        texts[0] = format!("{header}{first}");
    }
    texts
}

/// A time span as whole seconds, for the log ("10s").
fn whole_seconds(span: chrono::TimeDelta) -> humantime::FormattedDuration {
    humantime::format_duration(Duration::from_secs(
        span.to_std().map(|d| d.as_secs()).unwrap_or_default(),
    ))
}
