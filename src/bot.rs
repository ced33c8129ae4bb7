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
use crate::bill::Snapshot;
use crate::changes::StageRef;
use crate::clock::Clock;
use crate::config::Config;
use crate::message::{escape_html, long_date, stage_phrase};
use crate::shutdown::Shutdown;
use crate::store::{CheckRecord, Store};
use crate::telegram::{BotApi, CommandLimiter, CommandVerdict, Throttled, ThrottledError};
use crate::telegram_text::split_lines;

/// Waits before starting the command listener again: 5 s, doubling up to 5 minutes.
const RESTART: Backoff = Backoff::new(Duration::from_secs(5)).capped(Duration::from_secs(300));
/// The longest reply message, a little under Telegram's limit.
const REPLY_LIMIT: usize = 4000;

/// Everything a reply may show, read from the database for each command.
#[derive(Debug, Default)]
pub struct View {
    /// Tracked bills in config order, with their stored snapshot (if fetched yet).
    pub bills: Vec<(u32, Option<Snapshot>, String)>,
    pub last_check: Option<CheckRecord>,
    pub failing: Vec<(u32, u32, String)>,
    pub pending: u64,
    pub blocked: u64,
}

impl View {
    pub fn load(config: &Config) -> View {
        let mut view = View::default();
        let store = match Store::open_read_only(&config.storage.path) {
            Ok(Some(store)) => store,
            _ => {
                view.bills = config
                    .bills
                    .iter()
                    .map(|b| (b.id, None, config.stages_url(b.id)))
                    .collect();
                return view;
            }
        };
        let states = store.bills().unwrap_or_default();
        for b in &config.bills {
            let state = states.iter().find(|s| s.bill_id == b.id);
            view.bills.push((
                b.id,
                state.and_then(|s| s.snapshot.clone()),
                config.stages_url(b.id),
            ));
            if let Some(s) = state.filter(|s| s.consecutive_failures > 0) {
                view.failing.push((
                    b.id,
                    s.consecutive_failures,
                    s.last_error.clone().unwrap_or_default(),
                ));
            }
        }
        view.last_check = store.last_check().ok().flatten();
        if let Ok((pending, _, blocked)) = store.alert_counts() {
            view.pending = pending;
            view.blocked = blocked;
        }
        view
    }
}

/// A reply, and whether the operator asked for a check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub html: String,
    pub check_now: bool,
}

impl Reply {
    fn text(html: String) -> Reply {
        Reply {
            html,
            check_now: false,
        }
    }
}

/// Who asked: their Telegram user id (none for a message without a sender) and whether they
/// are an operator (listed in `telegram.operators`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Asker {
    pub user: Option<i64>,
    pub operator: bool,
}

/// The longest title a reply shows, in characters.
const TITLE_LIMIT: usize = 500;

const HELP: &str = "I follow bills in the UK Parliament and post to the channel when one moves.\n\n\
/bills — every bill I follow, where it stands\n\
/bill &lt;number or words of the title&gt; — one bill's story so far\n\
/next — what is scheduled, soonest first\n\
/whoami — your Telegram user id\n\
/help — this message";

const OPERATOR_HELP: &str =
    "\n\nFor operators:\n/status — last check, failing sources, alerts waiting\n/check — check now";

/// The answer to `text` from `asker`. Pure.
pub fn respond(text: &str, asker: Asker, view: &View, today: NaiveDate) -> Reply {
    let operator = asker.operator;
    let text = text.trim();
    let (command, argument) = match text.split_once(char::is_whitespace) {
        Some((c, a)) => (c, a.trim()),
        None => (text, ""),
    };
    // "/bill@billwatch_bot 3929" in groups carries the bot's name.
    let command = command.split('@').next().unwrap_or("").to_ascii_lowercase();
    let help = || {
        let mut h = HELP.to_owned();
        if operator {
            h.push_str(OPERATOR_HELP);
        }
        h
    };
    match command.as_str() {
        "/start" => Reply::text(format!("{}\n\n{}", help(), user_id(asker))),
        "/help" => Reply::text(help()),
        "/whoami" => Reply::text(whoami(asker)),
        "/bills" => Reply::text(bills(view, argument, today)),
        "/bill" if argument.is_empty() => Reply::text(
            "Which bill? Send /bill with its number or words of its title, e.g. <code>/bill 3929</code> or <code>/bill border security</code>.".to_owned(),
        ),
        "/bill" => Reply::text(bill(view, argument, today)),
        "/next" => Reply::text(next(view, argument, today)),
        "/status" | "/check" if !operator => Reply::text(
            "Sorry, that command is for the people who run this bot. Try /bills or /next.".to_owned(),
        ),
        "/status" => Reply::text(status(view)),
        "/check" => Reply {
            html: "Checking now; any alerts will follow in the channel.".to_owned(),
            check_now: true,
        },
        c if c.starts_with('/') => Reply::text(format!("I don't know that command.\n\n{}", help())),
        _ => Reply::text(format!("I answer commands only.\n\n{}", help())),
    }
}

/// The asker's user id, and what it is for.
fn user_id(asker: Asker) -> String {
    match asker.user {
        Some(id) => format!(
            "Your Telegram user id is <code>{id}</code> (for <code>telegram.operators</code>)."
        ),
        None => "Telegram did not say who sent this, so I cannot tell your user id.".to_owned(),
    }
}

/// `/whoami`: the asker's user id, and whether they are an operator.
fn whoami(asker: Asker) -> String {
    let role = if asker.operator {
        "You are an operator of this bot: /status and /check are yours."
    } else {
        "To make someone an operator (/status, /check), list their id in \
         <code>telegram.operators</code> in billwatch's config."
    };
    format!("{}\n{role}", user_id(asker))
}

/// A bill's title as replies show it: whole up to a length that keeps each line of a reply
/// well inside one Telegram message (replies are split between lines, never inside one).
fn title(snapshot: Option<&Snapshot>, id: u32) -> String {
    snapshot.map_or_else(
        || format!("Bill {id}"),
        |s| crate::telegram_text::fit(&s.bill.title, TITLE_LIMIT).into_owned(),
    )
}

fn phrase(snapshot: &Snapshot, stage: &crate::bill::Stage) -> String {
    stage_phrase(&StageRef::of(snapshot, stage))
}

/// Bills in one `/bills` answer: a page, not dozens of messages for a long list.
const BILLS_PER_PAGE: usize = 8;
/// Dates in one `/next` answer.
const NEXT_PER_PAGE: usize = 15;
/// Bills named when several match `/bill`'s words.
const MATCHES_SHOWN: usize = 10;

/// Page `asked` (from 1; anything else is the first, past the end the last) of `items`,
/// `per_page` a page, and the footer saying where it is and how to ask for the next with
/// `command` (empty when everything fits one page). One message, never dozens.
fn page<'a, T>(items: &'a [T], per_page: usize, asked: &str, command: &str) -> (&'a [T], String) {
    let pages = items.len().div_ceil(per_page).max(1);
    let page = asked.parse::<usize>().unwrap_or(1).clamp(1, pages);
    let start = (page - 1) * per_page;
    let shown = &items[start..items.len().min(start + per_page)];
    if pages == 1 {
        return (shown, String::new());
    }
    let mut footer = format!("\nPage {page} of {pages}.");
    if page < pages {
        footer.push_str(&format!(" Send {command} {} for more.", page + 1));
    }
    footer.push('\n');
    (shown, footer)
}

/// `/bills [page]`: one page of the bills followed, and how to ask for the next.
fn bills(view: &View, argument: &str, today: NaiveDate) -> String {
    if view.bills.is_empty() {
        return "I am not following any bill yet.".to_owned();
    }
    let (shown, footer) = page(&view.bills, BILLS_PER_PAGE, argument, "/bills");
    let mut out = String::from("<b>The bills I follow</b>\n");
    for (id, snapshot, url) in shown {
        out.push_str(&format!(
            "\n<b>{}</b> ({id})\n",
            escape_html(&title(snapshot.as_ref(), *id))
        ));
        match snapshot
            .as_ref()
            .and_then(|s| s.latest_major(today).map(|st| (s, st)))
        {
            Some((s, st)) => out.push_str(&format!(
                "Now: {}, {}\n",
                escape_html(&phrase(s, st)),
                st.first_sitting().map(long_date).unwrap_or_default()
            )),
            None if snapshot.is_some() => out.push_str("No stage reached yet\n"),
            None => out.push_str("Not checked yet\n"),
        }
        out.push_str(&format!("<a href=\"{}\">Stages</a>\n", escape_html(url)));
    }
    out.push_str(&footer);
    out
}

fn bill(view: &View, query: &str, today: NaiveDate) -> String {
    let q = query.trim_start_matches('#').to_lowercase();
    let found: Vec<&(u32, Option<Snapshot>, String)> = view
        .bills
        .iter()
        .filter(|(id, snapshot, _)| {
            q.parse::<u32>().is_ok_and(|n| n == *id)
                || (q.len() >= 3 && title(snapshot.as_ref(), *id).to_lowercase().contains(&q))
        })
        .collect();
    let (id, snapshot, url) = match found.as_slice() {
        [] => {
            return format!(
                "I don't follow a bill matching “{}”. /bills lists the ones I do.",
                escape_html(query)
            );
        }
        [one] => *one,
        many => {
            let names: Vec<String> = many
                .iter()
                .take(MATCHES_SHOWN)
                .map(|(id, s, _)| format!("{id}: {}", escape_html(&title(s.as_ref(), *id))))
                .collect();
            let mut out = format!("Several bills match; which one?\n{}", names.join("\n"));
            if many.len() > MATCHES_SHOWN {
                out.push_str(&format!(
                    "\n... and {} more: send more words of the title, or the bill's number.",
                    many.len() - MATCHES_SHOWN
                ));
            }
            return out;
        }
    };
    let Some(snapshot) = snapshot else {
        return format!("Bill {id} has not been checked yet.");
    };
    let mut out = format!("<b>{}</b>\n", escape_html(&title(Some(snapshot), 0)));
    let mut stages: Vec<&crate::bill::Stage> = snapshot
        .stages
        .iter()
        .filter(|s| !s.kind().is_procedural())
        .collect();
    stages.sort_by_key(|s| (s.first_sitting().is_none(), s.first_sitting(), s.sort_order));
    for s in &stages {
        let line = match s.first_sitting() {
            Some(d) if d <= today => format!("✅ {}: {}", long_date(d), phrase(snapshot, s)),
            Some(d) => format!("🗓 {} (provisional): {}", long_date(d), phrase(snapshot, s)),
            None => format!("▫️ date to be announced: {}", phrase(snapshot, s)),
        };
        out.push_str(&escape_html(&line));
        out.push('\n');
    }
    if stages.is_empty() {
        out.push_str("No stages yet.\n");
    }
    if snapshot.bill.is_act {
        out.push_str("It is now an Act of Parliament.\n");
    }
    out.push_str(&format!(
        "<a href=\"{}\">All stages on bills.parliament.uk</a>",
        escape_html(url)
    ));
    out
}

/// `/next [page]`: what is scheduled, soonest first, a page at a time.
fn next(view: &View, argument: &str, today: NaiveDate) -> String {
    let mut upcoming: Vec<(NaiveDate, String)> = Vec::new();
    for (id, snapshot, _) in &view.bills {
        let Some(snapshot) = snapshot else { continue };
        for s in snapshot.stages.iter().filter(|s| !s.kind().is_procedural()) {
            if let Some(d) = s.first_sitting().filter(|d| *d > today) {
                upcoming.push((
                    d,
                    format!(
                        "{}: {} ({id})",
                        phrase(snapshot, s),
                        title(Some(snapshot), *id)
                    ),
                ));
            }
        }
    }
    if upcoming.is_empty() {
        return "Nothing is scheduled for the bills I follow yet.".to_owned();
    }
    upcoming.sort();
    let (shown, footer) = page(&upcoming, NEXT_PER_PAGE, argument, "/next");
    let mut out = String::from("<b>Coming up</b> (future dates are provisional)\n");
    for (d, line) in shown {
        out.push_str(&format!("\n{}: {}", long_date(*d), escape_html(line)));
    }
    if !footer.is_empty() {
        out.push('\n');
        out.push_str(&footer);
    }
    out
}

fn status(view: &View) -> String {
    let mut out = String::from("<b>billwatch status</b>\n");
    match &view.last_check {
        Some(c) => out.push_str(&format!(
            "Last check: {} ({} ok, {} failed, {} new alert(s), {} request(s))\n",
            c.finished_at
                .unwrap_or(c.started_at)
                .format("%Y-%m-%d %H:%M UTC"),
            c.bills_ok,
            c.bills_failed,
            c.alerts,
            c.requests
        )),
        None => out.push_str("Last check: none finished yet\n"),
    }
    out.push_str(&format!(
        "Alerts waiting: {}; blocked: {}\n",
        view.pending, view.blocked
    ));
    if view.failing.is_empty() {
        out.push_str("Every source is answering.\n");
    }
    for (id, n, error) in &view.failing {
        out.push_str(&format!(
            "Bill {id}: {n} failed check(s) in a row: {}\n",
            escape_html(error)
        ));
    }
    out
}

/// What the dispatcher's handler needs.
struct Context {
    config: watch::Receiver<Arc<Config>>,
    clock: Clock,
    check_now: mpsc::UnboundedSender<()>,
    /// Replies wait their turn like every other message to a chat.
    throttled: Throttled,
    shutdown: Shutdown,
    /// Each user's commands per minute. A std `Mutex`: held only to count, never across an
    /// `.await`.
    commands: std::sync::Mutex<CommandLimiter>,
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
    mut shutdown: Shutdown,
) {
    let context = Arc::new(Context {
        config,
        clock,
        check_now,
        throttled: throttled.clone(),
        shutdown: shutdown.clone(),
        commands: std::sync::Mutex::new(CommandLimiter::default()),
    });
    let mut restarts = Restarts::default();
    loop {
        // Telegram must answer before the dispatcher may start.
        let Some(name) = wait_for_telegram(throttled.api(), &mut restarts, &mut shutdown).await
        else {
            return;
        };
        tracing::info!(bot = %name, "answering commands in private chats");
        let current = context.config.borrow().clone();
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
    let config = context.config.borrow().clone();
    let user = msg.from.as_ref().map(|u| u.id.0 as i64);
    let operator = user.is_some_and(|u| {
        config
            .telegram
            .as_ref()
            .is_some_and(|t| t.operators.contains(&u))
    });
    let verdict = context
        .commands
        .lock()
        .map(|mut limiter| limiter.check(user.unwrap_or(msg.chat.id.0), Instant::now()))
        .unwrap_or(CommandVerdict::Answer);
    let reply = match verdict {
        CommandVerdict::Answer => {
            let today = context.clock.today(&config.timezone);
            answer_of(text, Asker { user, operator }, &config, today).await
        }
        CommandVerdict::SlowDown => Reply::text(
            "That is a lot of questions: I answer ten a minute. Try again in a minute.".to_owned(),
        ),
        CommandVerdict::Ignore => return Ok(()),
    };
    if reply.check_now {
        let _ = context.check_now.send(());
    }
    // Long answers go as several messages, split between lines (each line is whole HTML).
    let chat = msg.chat.id.0.to_string();
    let mut shutdown = context.shutdown.clone();
    for chunk in split_lines(&reply.html, REPLY_LIMIT) {
        match context
            .throttled
            .send_html(&chat, &chunk, &mut shutdown)
            .await
        {
            Ok(_) => {}
            Err(ThrottledError::ShuttingDown) => break,
            Err(ThrottledError::Telegram(e)) => {
                tracing::warn!(chat, "cannot answer a command: {e}");
                break;
            }
        }
    }
    Ok(())
}
