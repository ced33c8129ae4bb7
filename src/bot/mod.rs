//! The bot answers: commands in private chats, through teloxide's dispatcher (long polling),
//! inside `billwatch run`.
//!
//! Anyone: `/start`, `/help`, `/bills`, `/bill <id or part of the title>`, `/next`, `/whoami`
//! (the asker's Telegram user id, which `telegram.operators` lists; `/start` says it too).
//! Operators (Telegram user ids in `telegram.operators`): also `/status` and `/check`.
//! What people type is only ever compared with stored data in memory: it never reaches the
//! database as anything but a lookup, and no input can stop the worker.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use teloxide::dispatching::{Dispatcher, UpdateFilterExt};
use teloxide::payloads::SetMyCommandsSetters;
use teloxide::prelude::Requester;
use teloxide::types::{BotCommand, BotCommandScope, ChatId, Message, Recipient, Update};
use teloxide::{Bot, dptree};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::backoff::Backoff;
use crate::clock::Clock;
use crate::config::Config;
use crate::shutdown::Shutdown;
use crate::store::Db;
use crate::telegram::{BotApi, CommandLimiter, CommandVerdict, Throttled, ThrottledError};
use crate::telegram_text::split_lines;

/// Waits before starting the command listener again: 5 s, doubling up to 5 minutes.
const RESTART: Backoff = Backoff::new(Duration::from_secs(5)).capped(Duration::from_secs(300));
/// The longest reply message, a little under Telegram's limit.
const REPLY_LIMIT: usize = 4000;

mod follows;
mod replies;
mod search;

pub use follows::Ask;
use follows::Readers;
pub use replies::{Asker, Reply, View, respond};
pub use search::{SEARCH_CACHE_TTL, Searcher, found_html};

/// Everything answering a message needs but Telegram itself: what tests drive directly.
#[derive(Debug)]
pub struct Answers {
    config: watch::Receiver<Arc<Config>>,
    clock: Clock,
    check_now: mpsc::UnboundedSender<()>,
    /// `/search`, with its answers of the last few minutes; bill lookups for `/follow`.
    searcher: Option<Searcher>,
    /// Readers' follows.
    db: Db,
    /// Each user's commands per minute. A std `Mutex`: held only to count, never across an
    /// `.await`.
    commands: std::sync::Mutex<CommandLimiter>,
}

impl Answers {
    pub fn new(
        config: watch::Receiver<Arc<Config>>,
        clock: Clock,
        check_now: mpsc::UnboundedSender<()>,
        db: Db,
        searcher: Option<Searcher>,
    ) -> Answers {
        Answers {
            config,
            clock,
            check_now,
            searcher,
            db,
            commands: std::sync::Mutex::new(CommandLimiter::default()),
        }
    }

    /// The searcher for `config`'s Bills API; `None` (and said) when no client can be made.
    pub fn searcher_for(config: &Config) -> Option<Searcher> {
        match crate::source::Sources::new(config) {
            Ok(sources) => Some(Searcher::new(
                sources.api,
                config.parliament.site_url.clone(),
            )),
            Err(e) => {
                tracing::warn!("/search is off: cannot set up the Bills API client: {e}");
                None
            }
        }
    }

    /// The answer to `text`, sent by `user` in private chat `chat`, as Telegram HTML (maybe
    /// longer than one message); `None` when it is not answered (too many commands).
    pub async fn answer(&self, chat: i64, user: Option<i64>, text: &str) -> Option<String> {
        let config = self.config.borrow().clone();
        let operator = user.is_some_and(|u| {
            config
                .telegram
                .as_ref()
                .is_some_and(|t| t.operators.contains(&u))
        });
        let verdict = self
            .commands
            .lock()
            .map(|mut limiter| limiter.check(user.unwrap_or(chat), Instant::now()))
            .unwrap_or(CommandVerdict::Answer);
        let reply = match verdict {
            CommandVerdict::Answer => {
                let today = self.clock.today(&config.timezone);
                answer_of(text, Asker { user, operator }, &config, today).await
            }
            CommandVerdict::SlowDown => Reply::text(
                "That is a lot of questions: I answer ten a minute. Try again in a minute."
                    .to_owned(),
            ),
            CommandVerdict::Ignore => return None,
        };
        if reply.check_now {
            let _ = self.check_now.send(());
        }
        Some(match (&reply.search, &reply.ask, &self.searcher) {
            (Some(term), _, Some(searcher)) => searcher.answer(term).await,
            (Some(_), _, None) => "Sorry, search is not available right now.".to_owned(),
            (None, Some(ask), searcher) => {
                let readers = Readers {
                    config: &config,
                    db: &self.db,
                    searcher: searcher.as_ref(),
                    clock: self.clock,
                };
                readers.answer(ask, &chat.to_string()).await
            }
            (None, None, _) => reply.html,
        })
    }
}

/// What the dispatcher's handler needs.
struct Context {
    answers: Answers,
    /// Replies wait their turn like every other message to a chat.
    throttled: Throttled,
    shutdown: Shutdown,
}

/// Failures of the command listener so far (Telegram not answering, the dispatcher stopping).
/// Never reset, so a listener that keeps stopping is started ever less often.
#[derive(Debug, Default)]
pub struct Restarts(u32);

impl Restarts {
    /// One more failure: how long to wait before the next start.
    pub fn next_wait(&mut self) -> Duration {
        self.0 += 1;
        // RESTART sets no limit on tries: it always has a wait.
        RESTART.after(self.0).unwrap_or(Duration::MAX)
    }
}

/// Asks Telegram who the bot is until it answers, waiting after each failure as `restarts`
/// says. The bot's username; `None` when shutdown came first.
pub async fn wait_for_telegram(
    api: &dyn BotApi,
    restarts: &mut Restarts,
    shutdown: &mut Shutdown,
) -> Option<String> {
    loop {
        match api.whoami().await {
            Ok(name) => return Some(name),
            Err(e) => {
                let wait = restarts.next_wait();
                tracing::warn!(?wait, "the bot's commands wait for Telegram: {e}");
                if !shutdown.sleep(wait).await {
                    return None;
                }
            }
        }
    }
}

/// Registers the commands with Telegram and answers them until `shutdown`, long polling with
/// `bot`; replies go through `throttled`, which also answers `getMe`.
///
/// teloxide's dispatcher gives up (panics) when Telegram cannot be reached as it starts, so it
/// is started only once Telegram answers, in a task of its own, and started again if it stops:
/// the bot's commands can fail, the worker never does.
pub async fn serve(
    bot: Bot,
    throttled: Throttled,
    config: watch::Receiver<Arc<Config>>,
    clock: Clock,
    check_now: mpsc::UnboundedSender<()>,
    db: Db,
    mut shutdown: Shutdown,
) {
    let searcher = Answers::searcher_for(&config.borrow().clone());
    let context = Arc::new(Context {
        answers: Answers::new(config, clock, check_now, db, searcher),
        throttled: throttled.clone(),
        shutdown: shutdown.clone(),
    });
    let mut restarts = Restarts::default();
    loop {
        // Telegram must answer before the dispatcher may start.
        let Some(name) = wait_for_telegram(throttled.api(), &mut restarts, &mut shutdown).await
        else {
            return;
        };
        tracing::info!(bot = %name, "answering commands in private chats");
        let current = context.answers.config.borrow().clone();
        register(&bot, &current).await;
        let handler = Update::filter_message().endpoint(answer);
        let mut dispatcher = Dispatcher::builder(bot.clone(), handler)
            .dependencies(dptree::deps![context.clone()])
            .default_handler(|_| async {})
            .build();
        let token = dispatcher.shutdown_token();
        let mut run = tokio::spawn(async move { dispatcher.dispatch().await });
        tokio::select! {
            result = &mut run => {
                let why = match result {
                    Ok(()) => "it stopped".to_owned(),
                    Err(e) => format!("it failed: {e}"),
                };
                let wait = restarts.next_wait();
                tracing::warn!(?wait, "the bot's command listener will start again: {why}");
                if !shutdown.sleep(wait).await {
                    return;
                }
            }
            _ = shutdown.triggered() => {
                // A long poll may be waiting for up to its timeout: give it a moment, then stop it.
                if let Ok(done) = token.shutdown() {
                    let _ = tokio::time::timeout(Duration::from_secs(1), done).await;
                }
                run.abort();
                return;
            }
        }
    }
}

async fn register(bot: &Bot, config: &Config) {
    let public = vec![
        BotCommand::new("bills", "Every bill followed, where it stands"),
        BotCommand::new(
            "bill",
            "One bill's story: /bill 3929 or /bill words of the title",
        ),
        BotCommand::new("next", "What is scheduled, soonest first"),
        BotCommand::new("search", "Find a bill: /search words of its title"),
        BotCommand::new("follow", "Get a bill's alerts here: /follow 3929"),
        BotCommand::new("unfollow", "Stop a bill's alerts here: /unfollow 3929"),
        BotCommand::new("mine", "The bills you follow"),
        BotCommand::new("forget", "Delete everything kept about you"),
        BotCommand::new("whoami", "Your Telegram user id"),
        BotCommand::new("help", "What this bot does"),
    ];
    if let Err(e) = bot
        .set_my_commands(public.clone())
        .scope(BotCommandScope::AllPrivateChats)
        .await
    {
        tracing::warn!("cannot register the bot's commands with Telegram: {e}");
    }
    let operators = config
        .telegram
        .as_ref()
        .map(|t| t.operators.clone())
        .unwrap_or_default();
    for op in operators {
        let mut all = public.clone();
        all.push(BotCommand::new(
            "status",
            "Last check, failing sources, alerts waiting",
        ));
        all.push(BotCommand::new("check", "Check now"));
        let scope = BotCommandScope::Chat {
            chat_id: Recipient::Id(ChatId(op)),
        };
        if let Err(e) = bot.set_my_commands(all).scope(scope).await {
            tracing::warn!("cannot register the operator commands for {op}: {e}");
        }
    }
}

/// The reply to a command, computed off the async workers (it reads the database).
async fn answer_of(text: &str, asker: Asker, config: &Arc<Config>, today: NaiveDate) -> Reply {
    tokio::task::spawn_blocking({
        let text = text.to_owned();
        let config = config.clone();
        move || respond(&text, asker, &View::load(&config), today)
    })
    .await
    .unwrap_or_else(|_| Reply::text("Sorry, something went wrong.".to_owned()))
}

async fn answer(msg: Message, context: Arc<Context>) -> Result<(), Infallible> {
    // Private chats only: the channel is for alerts.
    if !msg.chat.is_private() {
        return Ok(());
    }
    let Some(text) = msg.text() else {
        return Ok(());
    };
    let user = msg.from.as_ref().map(|u| u.id.0 as i64);
    let Some(html) = context.answers.answer(msg.chat.id.0, user, text).await else {
        return Ok(());
    };
    // Long answers go as several messages, split between lines (each line is whole HTML).
    let chat = msg.chat.id.0.to_string();
    let mut shutdown = context.shutdown.clone();
    for chunk in split_lines(&html, REPLY_LIMIT) {
        match context
            .throttled
            .send_html(&chat, &chunk, &mut shutdown)
            .await
        {
            Ok(_) => {}
            Err(ThrottledError::ShuttingDown) => break,
            Err(ThrottledError::Telegram(e)) => {
                // The log names no one who writes to the bot (README, "Privacy").
                let e = e.to_string().replace(&chat, "(their chat)");
                tracing::warn!("cannot answer a command: {e}");
                break;
            }
        }
    }
    Ok(())
}
