//! `billwatch status`: tracked bills, their last known stage, the last check, and the outbox.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde_json::json;

use super::{ExitCode, Outcome};
use crate::changes::StageRef;
use crate::clock::Clock;
use crate::config::Config;
use crate::readers::Following;
use crate::store::{Alert, BillState, CheckRecord, FollowState, ReaderCounts, Store};
use crate::{console, message};

/// Everything `status` shows, read once from the database.
struct Status {
    /// The database file; `None` when there is none yet.
    database: Option<String>,
    last: Option<CheckRecord>,
    counts: (u64, u64, u64),
    states: Vec<BillState>,
    blocked: Vec<Alert>,
    /// Groups Telegram moved to supergroups: (the id the config names, the new one).
    moves: Vec<(String, String)>,
    /// The follow rules' state and the bills they brought in.
    follow: FollowState,
    /// Readers following bills in a private chat: how many, and their messages.
    readers: ReaderCounts,
    /// Each bill readers follow, with how many.
    followings: Vec<Following>,
}

impl Status {
    /// The follow rule of the config that tracks bill `id`, named (not one over `max_bills`).
    fn rule_of(&self, config: &Config, id: u32) -> Option<String> {
        self.follow.rule_of(&config.follow, id).map(|r| r.label())
    }

    /// Whether bill `id` is tracked: listed in the config, brought in by one of its rules, or
    /// (with `telegram.follow_any`) followed by a reader.
    fn tracked(&self, config: &Config, id: u32) -> bool {
        config.bill(id).is_some()
            || self.rule_of(config, id).is_some()
            || self.for_readers(config, id)
    }

    /// Whether bill `id` is tracked only because readers follow it.
    fn for_readers(&self, config: &Config, id: u32) -> bool {
        let any = config.telegram.as_ref().is_some_and(|t| t.readers.any);
        any && self.readers_of(id) > 0
    }

    /// How many readers follow bill `id`.
    fn readers_of(&self, id: u32) -> u32 {
        self.followings
            .iter()
            .find(|f| f.bill_id == id)
            .map_or(0, |f| f.readers)
    }

    /// Each rule of the config: its label, the bills it tracks, and its error, if it matched
    /// more than `parliament.max_bills` at its last search.
    fn rules(&self, config: &Config) -> Vec<(String, usize, Option<String>)> {
        config
            .follow
            .iter()
            .map(|rule| {
                let tracked = self
                    .follow
                    .followed
                    .iter()
                    .filter(|f| {
                        config.bill(f.bill_id).is_none()
                            && self
                                .follow
                                .rule_of(&config.follow, f.bill_id)
                                .is_some_and(|r| r.key == rule.key)
                    })
                    .count();
                let error = self.follow.over(rule).map(|over| {
                    format!(
                        "it matches {over} bills, more than parliament.max_bills ({}): its bills \
                         are not tracked until it is narrowed (or max_bills raised)",
                        config.parliament.max_bills
                    )
                });
                (rule.label(), tracked, error)
            })
            .collect()
    }
}

/// `status`: as text, or one JSON object.
pub(super) fn status(config: &Config, clock: Clock, json: bool) -> Outcome {
    let store = Store::open_read_only(&config.storage.path)?;
    let today = clock.today(&config.timezone);
    let Some(store) = store else {
        if json {
            // The same shape as with a database: nothing checked, nothing sent.
            let status = Status {
                database: None,
                last: None,
                counts: (0, 0, 0),
                states: Vec::new(),
                blocked: Vec::new(),
                moves: Vec::new(),
                follow: FollowState::default(),
                readers: ReaderCounts::default(),
                followings: Vec::new(),
            };
            console::line(as_json(&status, config, today));
        } else {
            console::line(format_args!(
                "no database yet at {}: run `billwatch check` first",
                config.storage.path.display()
            ));
        }
        return Ok(ExitCode::Ok);
    };
    let status = Status {
        database: Some(store.path().display().to_string()),
        last: store.last_check()?,
        counts: store.alert_counts()?,
        states: store.bills()?,
        blocked: store.blocked()?,
        moves: store.chat_moves()?,
        follow: store.follow_state()?,
        readers: store.reader_counts()?,
        followings: store.followings()?,
    };
    let text = if json {
        as_json(&status, config, today).to_string()
    } else {
        as_text(&status, config, today)
    };
    console::line(text.trim_end());
    Ok(ExitCode::Ok)
}

/// An instant as the text form shows every one: `2026-11-27 14:31:14 UTC`.
fn text_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// An instant as the JSON form gives every one: RFC 3339 in UTC, to the second
/// (`2026-11-27T14:31:14Z`).
fn json_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A stored RFC 3339 instant, read back; kept as it is in the unlikely case it does not read.
fn stored_time(text: &str, form: fn(DateTime<Utc>) -> String) -> String {
    DateTime::parse_from_rfc3339(text)
        .map(|t| form(t.with_timezone(&Utc)))
        .unwrap_or_else(|_| text.to_owned())
}

fn as_json(status: &Status, config: &Config, today: NaiveDate) -> serde_json::Value {
    let bills: Vec<_> = status
        .states
        .iter()
        .map(|s| {
            let snap = s.snapshot.as_ref();
            let latest = snap.and_then(|sn| sn.latest_reached(today));
            let next = snap.and_then(|sn| sn.next_scheduled(today));
            json!({
                "bill_id": s.bill_id,
                "tracked": status.tracked(config, s.bill_id),
                "rule": status.rule_of(config, s.bill_id),
                "readers": status.readers_of(s.bill_id),
                "title": snap.map(|sn| sn.bill.title.clone()),
                "stage": latest.map(|st| st.name.clone()),
                "house": latest.map(|st| st.house.to_string()),
                "stage_date": latest.and_then(|st| st.first_sitting()).map(|d| d.to_string()),
                "next_stage": next.map(|(st, _)| st.name.clone()),
                "next_date": next.map(|(_, d)| d.to_string()),
                "source": s.source,
                "last_success": s.last_success.as_deref().map(|t| stored_time(t, json_time)),
                "last_attempt": s.last_attempt.as_deref().map(|t| stored_time(t, json_time)),
                "consecutive_failures": s.consecutive_failures,
                "last_error": s.last_error,
                "damaged": s.damaged,
            })
        })
        .collect();
    let (pending, sent, blocked) = status.counts;
    json!({
        "database": status.database,
        "last_check": status.last.as_ref().map(|c| json!({
            "started_at": json_time(c.started_at),
            "finished_at": c.finished_at.map(json_time),
            "bills_ok": c.bills_ok,
            "bills_failed": c.bills_failed,
            "alerts": c.alerts,
            "requests": c.requests,
        })),
        "alerts": {"pending": pending, "sent": sent, "blocked": blocked},
        "readers": status.readers,
        "blocked": status.blocked.iter().map(|a| json!({"id": a.id, "bill_id": a.event.bill_id, "kind": a.event.kind.as_str(), "reason": a.last_error})).collect::<Vec<_>>(),
        "chat_moves": status.moves.iter().map(|(from, to)| json!({"from": from, "to": to})).collect::<Vec<_>>(),
        "bills": bills,
        "rules": status.rules(config).into_iter().map(|(rule, bills, error)| json!({"rule": rule, "bills": bills, "error": error})).collect::<Vec<_>>(),
        "never_checked": config.bills.iter().filter(|b| !status.states.iter().any(|s| s.bill_id == b.id)).map(|b| b.id).collect::<Vec<_>>(),
    })
}

fn as_text(status: &Status, config: &Config, today: NaiveDate) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "database: {}",
        status.database.as_deref().unwrap_or("none yet")
    );
    match &status.last {
        Some(c) => {
            let _ = writeln!(
                out,
                "last check: {} ({} ok, {} failed, {} new alert(s), {} request(s))",
                text_time(c.finished_at.unwrap_or(c.started_at)),
                c.bills_ok,
                c.bills_failed,
                c.alerts,
                c.requests
            );
        }
        None => {
            let _ = writeln!(out, "last check: none finished yet");
        }
    }
    let (pending, sent, blocked) = status.counts;
    let _ = writeln!(
        out,
        "alerts: {pending} pending, {sent} sent, {blocked} blocked"
    );
    out.push_str(&readers_text(status));
    for (from, to) in &status.moves {
        let _ = writeln!(
            out,
            "chat {from}: Telegram made it a supergroup, {to}; billwatch posts there. Set \"{to}\" \
             in the config."
        );
    }
    for a in &status.blocked {
        let _ = writeln!(
            out,
            "  blocked #{} (bill {}, {}): {}",
            a.id,
            a.event.bill_id,
            a.event.kind.as_str(),
            a.last_error.as_deref().unwrap_or("no reason recorded")
        );
    }
    for (rule, bills, error) in status.rules(config) {
        let _ = match error {
            Some(error) => writeln!(out, "follow rule {rule}: FAILING: {error}"),
            None => writeln!(out, "follow rule {rule}: {bills} bill(s)"),
        };
    }
    out.push_str(&bills_text(status, config, today));
    out
}

/// The readers' line: how many follow bills in private chats, their messages, those gone.
fn readers_text(status: &Status) -> String {
    let r = &status.readers;
    if r.readers == 0 && r.gone == 0 && r.pending == 0 {
        return String::new();
    }
    format!(
        "readers: {} reader(s) following {} bill(s) in private chats; messages: {} pending, {} \
         sent, {} refused; {} reader(s) gone (blocked the bot or deleted their account)\n",
        r.readers,
        status.followings.len(),
        r.pending,
        r.sent,
        r.refused,
        r.gone
    )
}

/// Every bill's lines: those not checked yet, then each the database knows.
fn bills_text(status: &Status, config: &Config, today: NaiveDate) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for b in &config.bills {
        if !status.states.iter().any(|s| s.bill_id == b.id) {
            let _ = writeln!(out, "bill {}: not checked yet", b.id);
        }
    }
    for s in &status.states {
        let held = || status.follow.took_on(&config.follow, s.bill_id);
        let note = match (config.bill(s.bill_id), status.rule_of(config, s.bill_id)) {
            (Some(_), _) => String::new(),
            (None, Some(rule)) => format!(" [followed: {rule}]"),
            (None, None) if status.for_readers(config, s.bill_id) => {
                " [tracked for its readers]".to_owned()
            }
            (None, None) => match held() {
                Some(rule) => format!(
                    " [not tracked: its rule {} matches more than parliament.max_bills]",
                    rule.label()
                ),
                None => " [no longer tracked]".to_owned(),
            },
        };
        out.push_str(&bill_text(s, &note, today));
        match status.readers_of(s.bill_id) {
            0 => {}
            n => {
                let _ = writeln!(out, "  readers: {n}");
            }
        }
    }
    out
}

/// One bill's lines of the text form; `note` follows its title (which rule brought it in, or
/// that it is no longer tracked).
fn bill_text(s: &BillState, note: &str, today: NaiveDate) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let title = s
        .snapshot
        .as_ref()
        .map(|sn| sn.bill.title.as_str())
        .unwrap_or(if s.damaged.is_some() {
            "(its stored state is damaged)"
        } else {
            "(never fetched successfully)"
        });
    let _ = writeln!(out, "bill {}: {title}{note}", s.bill_id);
    if let Some(sn) = &s.snapshot {
        match sn.latest_reached(today) {
            Some(st) => {
                let _ = writeln!(
                    out,
                    "  stage: {} ({})",
                    message::stage_phrase(&StageRef::of(sn, st)),
                    st.first_sitting()
                        .map(message::long_date)
                        .unwrap_or_default()
                );
            }
            None => {
                let _ = writeln!(out, "  stage: none reached yet");
            }
        }
        if let Some((st, d)) = sn.next_scheduled(today) {
            let _ = writeln!(
                out,
                "  next: {} on {} (provisional)",
                st.name,
                message::long_date(d)
            );
        }
    }
    if let Some(t) = &s.last_success {
        let _ = writeln!(
            out,
            "  last success: {} via {}",
            stored_time(t, text_time),
            s.source.as_deref().unwrap_or("?")
        );
    }
    if let Some(why) = &s.damaged {
        let _ = writeln!(out, "  DAMAGED: its stored state cannot be read: {why}");
    }
    if s.consecutive_failures > 0 {
        let _ = writeln!(
            out,
            "  FAILING: {} check(s) in a row; last error: {}",
            s.consecutive_failures,
            s.last_error.as_deref().unwrap_or("?")
        );
    }
    out
}
