//! The bot's replies, as pure functions of what was asked, by whom, and what the database
//! holds ([`View`]). No I/O but [`View::load`].

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::bill::Snapshot;
use crate::changes::StageRef;
use crate::config::Config;
use crate::division::Vote;
use crate::message::{escape_html, latest_vote_line, long_date, stage_phrase};
use crate::store::{CheckRecord, Store};

use super::follows::Ask;

/// Everything a reply may show, read from the database for each command.
#[derive(Debug, Default)]
pub struct View {
    /// Tracked bills in config order, with their stored snapshot (if fetched yet).
    pub bills: Vec<(u32, Option<Snapshot>, String)>,
    pub last_check: Option<CheckRecord>,
    pub failing: Vec<(u32, u32, String)>,
    pub pending: u64,
    pub blocked: u64,
    /// Bills a follow rule brought in, with the rule's name.
    pub rules: Vec<(u32, String)>,
    /// Each bill's latest recorded division, for `/bill`.
    pub latest_votes: BTreeMap<u32, Vote>,
}

impl View {
    /// The bills this deployment tracks (listed, or brought in by a follow rule).
    pub fn tracked(&self) -> std::collections::HashSet<u32> {
        self.bills.iter().map(|(id, _, _)| *id).collect()
    }

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
        view.rules = followed_by_rules(config, &store);
        let mut ids: Vec<u32> = config.bills.iter().map(|b| b.id).collect();
        for (id, _) in &view.rules {
            if !ids.contains(id) {
                ids.push(*id);
            }
        }
        for id in ids {
            if let Ok(Some(vote)) = store.latest_vote(id) {
                view.latest_votes.insert(id, vote);
            }
            let state = states.iter().find(|s| s.bill_id == id);
            view.bills.push((
                id,
                state.and_then(|s| s.snapshot.clone()),
                config.stages_url(id),
            ));
            if let Some(s) = state.filter(|s| s.consecutive_failures > 0) {
                view.failing.push((
                    id,
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

/// The bills the config's follow rules bring in, each with its rule's name; not those of a rule
/// over `parliament.max_bills` (the check does not take them on).
fn followed_by_rules(config: &Config, store: &Store) -> Vec<(u32, String)> {
    let state = store.follow_state().unwrap_or_default();
    let mut out = Vec::new();
    for rule in config.follow.iter().filter(|r| state.over(r).is_none()) {
        let signature = rule.criteria.signature();
        for f in state.followed.iter().filter(|f| f.rule == signature) {
            if config.bill(f.bill_id).is_none() && !out.iter().any(|(id, _)| *id == f.bill_id) {
                out.push((
                    f.bill_id,
                    rule.name.clone().unwrap_or_else(|| rule.key.clone()),
                ));
            }
        }
    }
    out
}

/// A reply, whether the operator asked for a check, and what to search Parliament for (the
/// reply is then the search's answer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub html: String,
    pub check_now: bool,
    pub search: Option<String>,
    /// A reader's follows to change or show (the reply is then that answer).
    pub ask: Option<Ask>,
}

impl Reply {
    pub(super) fn text(html: String) -> Reply {
        Reply {
            html,
            check_now: false,
            search: None,
            ask: None,
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

/// The longest search term passed on to Parliament, in characters.
const SEARCH_TERM_LIMIT: usize = 100;

/// The longest title a reply shows, in characters.
const TITLE_LIMIT: usize = 500;

const HELP: &str = "I follow bills in the UK Parliament and post to the channel when one moves. \
You can also follow bills yourself: their alerts then come here, in this chat.\n\n\
/follow &lt;number, address or words of the title&gt; — get a bill's alerts here\n\
/unfollow &lt;number&gt; — stop them\n\
/mine — the bills you follow, where each stands\n\
/forget — delete everything I keep about you (your chat id and follows)\n\
/bills — every bill I follow, where it stands\n\
/bill &lt;number or words of the title&gt; — one bill's story so far\n\
/next — what is scheduled, soonest first\n\
/search &lt;words&gt; — find any bill of this session by words of its title\n\
/whoami — your Telegram user id\n\
/help — this message";

const OPERATOR_HELP: &str =
    "\n\nFor operators:\n/status — last check, failing sources, alerts waiting\n/check — check now";

/// A reply that is the answer to a reader's `ask`.
fn asking(ask: Ask) -> Reply {
    Reply {
        ask: Some(ask),
        ..Reply::text(String::new())
    }
}

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
        "/search" if argument.is_empty() => Reply::text(
            "Search for what? Send /search with words of a bill's title, e.g. <code>/search border security</code>.".to_owned(),
        ),
        "/search" => Reply {
            search: Some(argument.chars().take(SEARCH_TERM_LIMIT).collect()),
            ..Reply::text(String::new())
        },
        "/follow" if argument.is_empty() => Reply::text(
            "Which bill? Send /follow with its number, its bills.parliament.uk address or words of its title, e.g. <code>/follow 3929</code>.".to_owned(),
        ),
        "/follow" => asking(Ask::Follow(argument.chars().take(SEARCH_TERM_LIMIT).collect())),
        "/unfollow" if argument.is_empty() => Reply::text(
            "Which bill? Send /unfollow with its number; /mine lists the bills you follow.".to_owned(),
        ),
        "/unfollow" => asking(Ask::Unfollow(argument.chars().take(SEARCH_TERM_LIMIT).collect())),
        "/mine" => asking(Ask::Mine),
        "/forget" => asking(Ask::Forget),
        "/status" | "/check" if !operator => Reply::text(
            "Sorry, that command is for the people who run this bot. Try /bills or /next.".to_owned(),
        ),
        "/status" => Reply::text(status(view)),
        "/check" => Reply {
            check_now: true,
            ..Reply::text("Checking now; any alerts will follow in the channel.".to_owned())
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
pub(super) fn title(snapshot: Option<&Snapshot>, id: u32) -> String {
    snapshot.map_or_else(|| format!("Bill {id}"), |s| title_text(&s.bill.title))
}

/// A title as replies show it, cut to [`TITLE_LIMIT`] characters.
pub(super) fn title_text(title: &str) -> String {
    crate::telegram_text::fit(title, TITLE_LIMIT).into_owned()
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
        if let Some((_, rule)) = view.rules.iter().find(|(r, _)| r == id) {
            out.push_str(&format!("Followed by the rule “{}”\n", escape_html(rule)));
        }
        out.push_str(&now_line(snapshot.as_ref(), today));
        out.push_str(&format!("<a href=\"{}\">Stages</a>\n", escape_html(url)));
    }
    out.push_str(&footer);
    out
}

/// Where a bill stands, as one line of HTML: its latest stage reached and when, or that it has
/// none yet, or has not been checked yet.
pub(super) fn now_line(snapshot: Option<&Snapshot>, today: NaiveDate) -> String {
    match snapshot.and_then(|s| s.latest_major(today).map(|st| (s, st))) {
        Some((s, st)) => format!(
            "Now: {}, {}\n",
            escape_html(&phrase(s, st)),
            st.first_sitting().map(long_date).unwrap_or_default()
        ),
        None if snapshot.is_some() => "No stage reached yet\n".to_owned(),
        None => "Not checked yet\n".to_owned(),
    }
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
    if let Some(vote) = view.latest_votes.get(id) {
        let stage = snapshot.stage(vote.stage).map(|s| s.name.as_str());
        out.push_str(&format!(
            "{} (<a href=\"{}\">the vote</a>)\n",
            escape_html(&latest_vote_line(vote, stage)),
            escape_html(&vote.division.url())
        ));
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
