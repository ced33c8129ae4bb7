//! An in-process fake Telegram behind [`BotApi`], for paused-time tests: it records every call
//! with the (tokio) time it was made, answers as scripted, and waits with tokio's clock.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use billwatch::telegram::{BotApi, EditError, SendError};
use futures::FutureExt;
use futures::future::BoxFuture;
use tokio::time::Instant;

/// The bot's username, as `getMe` gives it.
pub const FAKE_BOT_NAME: &str = "billwatch_test_bot";
/// The id of the first message the fake accepts; each accepted message gets the next one.
pub const FIRST_MESSAGE_ID: i64 = 1000;

/// A Bot API method the fake answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    Send,
    Edit,
    Pin,
    WhoAmI,
}

/// One scripted answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Success (a new message id for a send).
    Ok,
    /// Success, after this long (tokio time: paused tests skip it).
    OkAfter(Duration),
    /// Flood control: wait this long.
    RetryAfter(Duration),
    /// 5xx, network, timeout.
    Transient(String),
    /// A transient failure that takes this long to come (tokio time).
    TransientAfter(Duration, String),
    /// Not an admin, bad token...
    Permanent(String),
    /// Chat not found; a reader blocked the bot or deleted their account.
    Unreachable(String),
    /// This message refused (can't parse entities, too long).
    Refused(String),
    /// For edits: the message was deleted.
    Gone,
    /// The group became a supergroup with this id.
    Migrated(String),
}

/// One call the fake received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub method: Method,
    /// Empty for `getMe`.
    pub chat: String,
    /// Empty for pins and `getMe`.
    pub text: String,
    /// The message edited or pinned.
    pub message_id: Option<i64>,
    /// When the call was made.
    pub at: Instant,
}

#[derive(Debug, Default)]
struct State {
    calls: Vec<Call>,
    scripts: HashMap<Method, VecDeque<Answer>>,
    accepted: i64,
    /// Private chats whose reader blocked the bot.
    blocked: std::collections::HashSet<String>,
    /// Chats every message to which fails as a 5xx does.
    failing: std::collections::HashSet<String>,
}

/// The fake Telegram. Unscripted calls succeed at once.
#[derive(Debug, Default)]
pub struct FakeBot {
    state: Mutex<State>,
}

impl FakeBot {
    pub fn new() -> Arc<FakeBot> {
        Arc::new(FakeBot::default())
    }

    /// The next calls of `method` get these answers, in order; then success again.
    pub fn script(&self, method: Method, answers: impl IntoIterator<Item = Answer>) {
        self.state()
            .scripts
            .entry(method)
            .or_default()
            .extend(answers);
    }

    /// From now on, messages to `chat` are refused as Telegram refuses them when its reader
    /// blocked the bot.
    pub fn blocked_by(&self, chat: &str) {
        self.state().blocked.insert(chat.to_owned());
    }

    /// From now on, every message to `chat` fails as Telegram's 5xx does.
    pub fn failing_for(&self, chat: &str) {
        self.state().failing.insert(chat.to_owned());
    }

    /// Every call so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.state().calls.clone()
    }

    /// The calls of one method so far.
    pub fn calls_of(&self, method: Method) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| c.method == method)
            .collect()
    }

    /// Every message sent (accepted or not), in order.
    pub fn sends(&self) -> Vec<Call> {
        self.calls_of(Method::Send)
    }

    /// The texts sent to `chat`, in order.
    pub fn texts_to(&self, chat: &str) -> Vec<String> {
        self.sends()
            .into_iter()
            .filter(|c| c.chat == chat)
            .map(|c| c.text)
            .collect()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records the call and takes its answer: a message Telegram would refuse (bad HTML, too
    /// long) is refused as Telegram refuses it, whatever the script says.
    fn call(&self, method: Method, chat: &str, text: &str, message_id: Option<i64>) -> Answer {
        let refused = matches!(method, Method::Send | Method::Edit)
            .then(|| super::telegram_html::parse(text).err())
            .flatten();
        let mut state = self.state();
        state.calls.push(Call {
            method,
            chat: chat.to_owned(),
            text: text.to_owned(),
            message_id,
            at: Instant::now(),
        });
        if let Some(why) = refused {
            return Answer::Refused(why);
        }
        if method == Method::Send && state.failing.contains(chat) {
            return Answer::Transient("Internal Server Error".to_owned());
        }
        if method == Method::Send && state.blocked.contains(chat) {
            return Answer::Unreachable("Forbidden: bot was blocked by the user".to_owned());
        }
        state
            .scripts
            .get_mut(&method)
            .and_then(VecDeque::pop_front)
            .unwrap_or(Answer::Ok)
    }

    /// What `answer` means for a call whose success is `ok`.
    async fn answer<T>(
        &self,
        answer: Answer,
        ok: impl FnOnce(&FakeBot) -> T,
    ) -> Result<T, EditError> {
        match answer {
            Answer::Ok => Ok(ok(self)),
            Answer::OkAfter(d) => {
                tokio::time::sleep(d).await;
                Ok(ok(self))
            }
            Answer::RetryAfter(d) => Err(EditError::Failed(SendError::RetryAfter(d))),
            Answer::Transient(s) => Err(EditError::Failed(SendError::Transient(s))),
            Answer::TransientAfter(d, s) => {
                tokio::time::sleep(d).await;
                Err(EditError::Failed(SendError::Transient(s)))
            }
            Answer::Permanent(s) => Err(EditError::Failed(SendError::Permanent(s))),
            Answer::Unreachable(s) => Err(EditError::Failed(SendError::Unreachable(s))),
            Answer::Refused(s) => Err(EditError::Failed(SendError::Refused(s))),
            Answer::Gone => Err(EditError::Gone),
            Answer::Migrated(to) => Err(EditError::Failed(SendError::Migrated(to))),
        }
    }

    fn next_message_id(&self) -> i64 {
        let mut state = self.state();
        state.accepted += 1;
        FIRST_MESSAGE_ID + state.accepted - 1
    }
}

/// A send's or pin's error from an edit's: a message that is gone cannot be sent to.
fn not_an_edit(e: EditError) -> SendError {
    match e {
        EditError::Failed(e) => e,
        EditError::Gone => SendError::Permanent("Bad Request: message not found".to_owned()),
    }
}

impl BotApi for FakeBot {
    fn send_html<'a>(
        &'a self,
        chat: &'a str,
        text: &'a str,
    ) -> BoxFuture<'a, Result<i64, SendError>> {
        async move {
            let answer = self.call(Method::Send, chat, text, None);
            self.answer(answer, FakeBot::next_message_id)
                .await
                .map_err(not_an_edit)
        }
        .boxed()
    }

    fn edit_html<'a>(
        &'a self,
        chat: &'a str,
        message_id: i64,
        text: &'a str,
    ) -> BoxFuture<'a, Result<(), EditError>> {
        async move {
            let answer = self.call(Method::Edit, chat, text, Some(message_id));
            self.answer(answer, |_| ()).await
        }
        .boxed()
    }

    fn pin<'a>(&'a self, chat: &'a str, message_id: i64) -> BoxFuture<'a, Result<(), SendError>> {
        async move {
            let answer = self.call(Method::Pin, chat, "", Some(message_id));
            self.answer(answer, |_| ()).await.map_err(not_an_edit)
        }
        .boxed()
    }

    fn whoami(&self) -> BoxFuture<'_, Result<String, SendError>> {
        async move {
            let answer = self.call(Method::WhoAmI, "", "", None);
            self.answer(answer, |_| FAKE_BOT_NAME.to_owned())
                .await
                .map_err(not_an_edit)
        }
        .boxed()
    }
}
