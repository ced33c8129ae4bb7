//! One way to post within Telegram's limits: every message billwatch sends (alerts, status
//! cards, operator notices, the bot's replies) waits its turn for its chat here, and the wait
//! ends at once on shutdown.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::OwnedMutexGuard;
use tokio::time::Instant;

use super::bot_api::BotApi;
use super::client::{EditError, SendError};
use super::limits::{OVERALL_GAP, Pace, READERS_GAP, RateLimiter};
use crate::shutdown::Shutdown;

/// The Bot API client behind the per-chat limits. Cheap to clone: clones share the limits, so
/// the sender and the bot's replies never crowd one chat between them.
#[derive(Debug, Clone)]
pub struct Throttled {
    api: Arc<dyn BotApi>,
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    /// When each chat last heard from the bot. A std `Mutex`, not tokio's: it is held only to
    /// read or note a time, never across an `.await`.
    limiter: Mutex<RateLimiter>,
    /// One turn per chat, held from the wait until Telegram answered, so that the gap counts
    /// from the answer to the last message and two tasks cannot both find the chat free.
    turns: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Every message's slot overall (about 30 a second).
    overall: Mutex<Pace>,
    /// Readers' messages' slots (28 a second): room is always left for the rest.
    readers: Mutex<Pace>,
}

impl Default for Shared {
    fn default() -> Self {
        Shared {
            limiter: Mutex::default(),
            turns: Mutex::default(),
            overall: Mutex::new(Pace::new(OVERALL_GAP)),
            readers: Mutex::new(Pace::new(READERS_GAP)),
        }
    }
}

/// Why a throttled call did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ThrottledError<E> {
    /// Shutdown came while the message waited its turn: it was not sent.
    ShuttingDown,
    /// Telegram's answer.
    Telegram(E),
}

impl<E: fmt::Display> fmt::Display for ThrottledError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ThrottledError::ShuttingDown => f.write_str("not sent: shutting down"),
            ThrottledError::Telegram(e) => e.fmt(f),
        }
    }
}

/// A chat's turn: the one message it allows goes now.
#[derive(Debug)]
pub struct Turn<'a> {
    throttled: &'a Throttled,
    chat: String,
    _turn: OwnedMutexGuard<()>,
}

impl Throttled {
    pub fn new(api: Arc<dyn BotApi>) -> Throttled {
        Throttled {
            api,
            shared: Arc::default(),
        }
    }

    /// The Bot API itself, for calls that are not messages (`getMe`, pins).
    pub fn api(&self) -> &dyn BotApi {
        &*self.api
    }

    /// Waits until a message to `chat` may go; `None` if shutdown came first.
    pub async fn turn(&self, chat: &str, shutdown: &mut Shutdown) -> Option<Turn<'_>> {
        self.turn_paced(chat, false, shutdown).await
    }

    /// Waits until a message to a reader's private chat may go: as [`Throttled::turn`], and
    /// within the readers' own pace, so that a fan-out never takes every slot.
    pub async fn reader_turn(&self, chat: &str, shutdown: &mut Shutdown) -> Option<Turn<'_>> {
        self.turn_paced(chat, true, shutdown).await
    }

    async fn turn_paced(
        &self,
        chat: &str,
        reader: bool,
        shutdown: &mut Shutdown,
    ) -> Option<Turn<'_>> {
        let turn = self.shared.turn_of(chat);
        let turn = tokio::select! {
            biased;
            turn = turn.lock_owned() => turn,
            () = shutdown.triggered() => return None,
        };
        let wait = self.shared.limiter().wait_for(chat, Instant::now());
        if !wait.is_zero() && !shutdown.sleep(wait).await {
            return None;
        }
        if reader {
            let slot = lock(&self.shared.readers).slot(Instant::now());
            if !sleep_until(slot, shutdown).await {
                return None;
            }
        }
        let slot = lock(&self.shared.overall).slot(Instant::now());
        if !sleep_until(slot, shutdown).await {
            return None;
        }
        Some(Turn {
            throttled: self,
            chat: chat.to_owned(),
            _turn: turn,
        })
    }

    /// Sends one HTML message when `chat`'s turn comes; Telegram's message id on success.
    pub async fn send_html(
        &self,
        chat: &str,
        text: &str,
        shutdown: &mut Shutdown,
    ) -> Result<i64, ThrottledError<SendError>> {
        let turn = self
            .turn(chat, shutdown)
            .await
            .ok_or(ThrottledError::ShuttingDown)?;
        turn.send_html(text).await.map_err(ThrottledError::Telegram)
    }

    /// Replaces the text of a message the bot posted, when `chat`'s turn comes.
    pub async fn edit_html(
        &self,
        chat: &str,
        message_id: i64,
        text: &str,
        shutdown: &mut Shutdown,
    ) -> Result<(), ThrottledError<EditError>> {
        let turn = self
            .turn(chat, shutdown)
            .await
            .ok_or(ThrottledError::ShuttingDown)?;
        turn.edit_html(message_id, text)
            .await
            .map_err(ThrottledError::Telegram)
    }
}

impl Turn<'_> {
    /// Sends one HTML message without a link preview; Telegram's message id on success.
    pub async fn send_html(self, text: &str) -> Result<i64, SendError> {
        let result = self.throttled.api.send_html(&self.chat, text).await;
        self.answered();
        result
    }

    /// Replaces the text of a message the bot posted.
    pub async fn edit_html(self, message_id: i64, text: &str) -> Result<(), EditError> {
        let result = self
            .throttled
            .api
            .edit_html(&self.chat, message_id, text)
            .await;
        self.answered();
        result
    }

    /// Telegram answered (whatever it said): the chat's next message counts from now.
    fn answered(&self) {
        self.throttled
            .shared
            .limiter()
            .record(&self.chat, Instant::now());
    }
}

impl Shared {
    fn limiter(&self) -> MutexGuard<'_, RateLimiter> {
        // A panic elsewhere cannot leave the times half-written: use them as they are.
        self.limiter.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The turn of `chat`. Turns nobody holds or waits for are dropped now and then, so that
    /// a fan-out to thousands of readers does not keep one for each.
    fn turn_of(&self, chat: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut turns = lock(&self.turns);
        if turns.len() >= FORGET_TURNS_PAST {
            turns.retain(|_, turn| Arc::strong_count(turn) > 1);
        }
        turns.entry(chat.to_owned()).or_default().clone()
    }
}

/// Past this many chats' turns kept, the idle ones are dropped.
const FORGET_TURNS_PAST: usize = 1000;

/// A std mutex's value; a panic elsewhere cannot leave a time half-written.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Sleeps until `at` (no time when it is past); false when shutdown came first.
async fn sleep_until(at: Instant, shutdown: &mut Shutdown) -> bool {
    let wait = at.saturating_duration_since(Instant::now());
    wait.is_zero() || shutdown.sleep(wait).await
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::telegram::Client;

    /// Long enough for a task that is not held up to finish many times over.
    const MOMENT: Duration = Duration::from_millis(50);

    impl Throttled {
        /// As if Telegram had just answered a message to `chat`.
        fn answered_now(&self, chat: &str) {
            self.shared.limiter().record(chat, Instant::now());
        }
    }

    #[tokio::test]
    async fn a_chat_waits_for_the_turn_before_and_others_do_not() {
        let throttled = Throttled::new(Arc::new(Client::fake()));
        let mut shutdown = Shutdown::never();
        let held = throttled.turn("@news", &mut shutdown).await.expect("free");
        let mut other = Shutdown::never();
        let waiting = tokio::time::timeout(MOMENT, throttled.turn("@news", &mut other)).await;
        assert!(waiting.is_err(), "one message to a chat at a time");
        let elsewhere = tokio::time::timeout(MOMENT, throttled.turn("@other", &mut other)).await;
        assert!(matches!(elsewhere, Ok(Some(_))), "other chats go on");
        drop(held);
        let next = tokio::time::timeout(MOMENT, throttled.turn("@news", &mut other)).await;
        assert!(matches!(next, Ok(Some(_))), "the turn passes on");
    }

    #[tokio::test]
    async fn waiting_for_the_limits_ends_on_shutdown() {
        let throttled = Throttled::new(Arc::new(Client::fake()));
        throttled.answered_now("@news");
        let (trigger, mut shutdown) = Shutdown::new();
        let started = Instant::now();
        let wait = throttled.turn("@news", &mut shutdown);
        let fire = async {
            tokio::time::sleep(MOMENT).await;
            trigger.fire();
        };
        let (turn, ()) = tokio::join!(wait, fire);
        assert!(turn.is_none(), "no turn once shutdown came");
        assert!(
            started.elapsed() < Duration::from_millis(900),
            "the second's gap was cut short"
        );
        let sent = throttled.send_html("@news", "x", &mut shutdown).await;
        assert_eq!(sent, Err(ThrottledError::ShuttingDown), "nothing is sent");
    }

    #[tokio::test]
    async fn waiting_for_the_turn_ends_on_shutdown() {
        let throttled = Throttled::new(Arc::new(Client::fake()));
        let mut never = Shutdown::never();
        let _held = throttled.turn("@news", &mut never).await.expect("free");
        let (trigger, mut shutdown) = Shutdown::new();
        let wait = throttled.turn("@news", &mut shutdown);
        let fire = async {
            tokio::time::sleep(MOMENT).await;
            trigger.fire();
        };
        let (turn, ()) = tokio::join!(wait, fire);
        assert!(turn.is_none());
    }
}
