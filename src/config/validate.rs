//! One check per section of the file: each turns its `raw` section into the validated type, or
//! names the first thing wrong with it. Defaults are filled in here.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::PathBuf;
use std::time::Duration;

use chrono::NaiveTime;
use chrono_tz::Tz;
use toml::Spanned;
use url::Url;

use super::context::Context;
use super::{
    AlertMode, Alerts, ConfigError, DEFAULT_API_URL, DEFAULT_COMMONS_VOTES_URL,
    DEFAULT_LORDS_VOTES_URL, DEFAULT_SITE_URL, DEFAULT_TELEGRAM_API_URL, DEFAULT_USER_AGENT,
    FollowRule, Parliament, ScheduleConfig, Storage, Telegram, TrackedBill, raw,
};
use crate::bill::{BillId, BillRef};
use crate::filter::{AlertFilter, Kinds, Stages};
use crate::schedule::Schedule;

/// `timezone`: an IANA name; Europe/London when left out.
pub(super) fn timezone(cx: &Context<'_>, tz: Option<&Spanned<String>>) -> Result<Tz, ConfigError> {
    let Some(tz) = tz else {
        return Ok(chrono_tz::Europe::London);
    };
    tz.get_ref().parse::<Tz>().map_err(|_| {
        cx.error(
            tz.span(),
            "timezone",
            format!(
                "{:?} is not a known time zone; use an IANA name such as \"Europe/London\"",
                tz.get_ref()
            ),
        )
    })
}

/// `[parliament]`: where bills come from and how politely they are fetched.
pub(super) fn parliament(cx: &Context<'_>, p: raw::Parliament) -> Result<Parliament, ConfigError> {
    Ok(Parliament {
        api_url: cx.base_url(p.api_url.as_ref(), "parliament.api_url", DEFAULT_API_URL)?,
        site_url: cx.base_url(p.site_url.as_ref(), "parliament.site_url", DEFAULT_SITE_URL)?,
        mode: p.mode.unwrap_or_default(),
        timeout: cx.duration(
            p.timeout,
            "parliament.timeout",
            secs(30),
            secs(1)..=minutes(10),
        )?,
        max_concurrent: cx.in_range(p.max_concurrent, "parliament.max_concurrent", 4, 1..=32)?,
        user_agent: match p.user_agent {
            Some(ua) if ua.get_ref().trim().is_empty() => {
                return Err(cx.error(
                    ua.span(),
                    "parliament.user_agent",
                    "must not be empty; leave the key out for the default",
                ));
            }
            Some(ua) => ua.into_inner(),
            None => DEFAULT_USER_AGENT.to_owned(),
        },
        retries: cx.in_range(p.retries, "parliament.retries", 3, 0..=10)?,
        retry_backoff: cx.duration(
            p.retry_backoff,
            "parliament.retry_backoff",
            secs(2),
            Duration::ZERO..=minutes(10),
        )?,
        max_response_bytes: cx.in_range(
            p.max_response_bytes,
            "parliament.max_response_bytes",
            10 * 1024 * 1024,
            1024..=1024 * 1024 * 1024,
        )?,
        page_delay: cx.duration(
            p.page_delay,
            "parliament.page_delay",
            secs(1),
            Duration::ZERO..=minutes(1),
        )?,
        listing: p.listing.unwrap_or(true),
        full_refresh: cx.duration(
            p.full_refresh,
            "parliament.full_refresh",
            days(1),
            secs(1)..=days(366),
        )?,
        commons_votes_url: cx.base_url(
            p.commons_votes_url.as_ref(),
            "parliament.commons_votes_url",
            DEFAULT_COMMONS_VOTES_URL,
        )?,
        lords_votes_url: cx.base_url(
            p.lords_votes_url.as_ref(),
            "parliament.lords_votes_url",
            DEFAULT_LORDS_VOTES_URL,
        )?,
        votes: p.votes.unwrap_or(true),
        votes_gap: cx.duration(
            p.votes_gap,
            "parliament.votes_gap",
            minutes(30),
            minutes(1)..=days(1),
        )?,
        max_bills: cx.in_range(p.max_bills, "parliament.max_bills", 200, 1..=5000)?,
    })
}

/// `[storage]`: the database file. It must be a file that keeps what it is given: an empty
/// path, SQLite's `:memory:` or a `file:` URI would make every check a silent first check.
pub(super) fn storage(cx: &Context<'_>, s: raw::Storage) -> Result<Storage, ConfigError> {
    let keep_sent = cx.duration(
        s.keep_sent,
        "storage.keep_sent",
        days(30),
        days(1)..=days(3650),
    )?;
    let Some(path) = s.path else {
        return Ok(Storage {
            path: PathBuf::from("data/billwatch.db"),
            keep_sent,
        });
    };
    let text = path.get_ref().trim();
    let refused = if text.is_empty() {
        Some("must name the database file, e.g. \"data/billwatch.db\"")
    } else if text.eq_ignore_ascii_case(":memory:") || text.starts_with(':') {
        Some(
            "an in-memory database keeps nothing between checks (every check would be a silent \
             first check): name a file, e.g. \"data/billwatch.db\"",
        )
    } else if text
        .get(..5)
        .is_some_and(|p| p.eq_ignore_ascii_case("file:"))
    {
        Some("a SQLite URI is not accepted here: name a plain file, e.g. \"data/billwatch.db\"")
    } else if text.ends_with('/') || text.ends_with(std::path::MAIN_SEPARATOR) {
        Some("names a folder: name the database file in it, e.g. \"data/billwatch.db\"")
    } else {
        None
    };
    match refused {
        Some(message) => Err(cx.error(path.span(), "storage.path", message)),
        None => Ok(Storage {
            path: PathBuf::from(path.get_ref()),
            keep_sent,
        }),
    }
}

/// `[telegram]`: where alerts go; no section means the console. The token is never allowed here.
pub(super) fn telegram(
    cx: &Context<'_>,
    t: Option<Spanned<raw::Telegram>>,
) -> Result<Option<Telegram>, ConfigError> {
    let Some(t) = t else { return Ok(None) };
    let t = t.into_inner();
    if let Some(token) = &t.token {
        return Err(cx.error(
            token.span(),
            "telegram.token",
            "the bot token must not be written in the config file. Set the \
             TELEGRAM_BOT_TOKEN environment variable, or put the token alone in a file \
             (a Docker secret) and name it with `telegram.token_file`",
        ));
    }
    let chat = cx.chat(&t.chat, "telegram.chat")?;
    let admin_chat = match &t.admin_chat {
        Some(c) => Some(cx.chat(c, "telegram.admin_chat")?),
        None => None,
    };
    Ok(Some(Telegram {
        chat,
        admin_chat,
        api_url: cx.base_url(
            t.api_url.as_ref(),
            "telegram.api_url",
            DEFAULT_TELEGRAM_API_URL,
        )?,
        token_file: t.token_file,
        failure_threshold: cx.in_range(
            t.failure_threshold,
            "telegram.failure_threshold",
            3,
            1..=1000,
        )?,
        timeout: cx.duration(
            t.timeout,
            "telegram.timeout",
            secs(20),
            secs(1)..=minutes(10),
        )?,
        operators: t.operators,
        commands: t.commands.unwrap_or(true),
        status_card: t.status_card.unwrap_or(false),
        pin_cards: t.pin_cards.unwrap_or(false),
        readers: crate::readers::Limits {
            any: t.follow_any.unwrap_or(false),
            bills: cx.in_range(
                t.max_followed_bills,
                "telegram.max_followed_bills",
                300,
                0..=10_000,
            )?,
            per_reader: cx.in_range(t.max_follows, "telegram.max_follows", 30, 0..=1000)?,
        },
    }))
}

/// `[schedule]`: when `run` checks; every 5 minutes when left out (a quiet check is one request).
pub(super) fn schedule(cx: &Context<'_>, s: &raw::Schedule) -> Result<ScheduleConfig, ConfigError> {
    let cron = match &s.cron {
        None => Schedule::parse("*/5 * * * *").map_err(|e| {
            cx.error(
                0..0,
                "schedule.cron",
                format!("the default is invalid: {e}"),
            )
        })?,
        Some(expr) => Schedule::parse(expr.get_ref())
            .map_err(|e| cx.error(expr.span(), "schedule.cron", e.to_string()))?,
    };
    Ok(ScheduleConfig {
        cron,
        check_at_start: s.check_at_start.unwrap_or(true),
        jitter: cx.duration(
            s.jitter,
            "schedule.jitter",
            Duration::ZERO,
            Duration::ZERO..=hours(1),
        )?,
        health_max_age: match s.health_max_age {
            None => None,
            Some(d) => {
                Some(cx.duration(Some(d), "schedule.health_max_age", d, secs(1)..=days(366))?)
            }
        },
    })
}

/// `[alerts]`: what is posted (the filter every bill starts from) and when.
pub(super) fn alerts(cx: &Context<'_>, a: &raw::Alerts) -> Result<Alerts, ConfigError> {
    let filter = AlertFilter {
        kinds: cx
            .kinds(a.kinds.as_ref(), "alerts.kinds")?
            .unwrap_or(Kinds::Default),
        stages: cx
            .stages(a.stages.as_ref(), "alerts.stages")?
            .unwrap_or(Stages::Major),
        documents: cx
            .documents(a.documents.as_ref(), "alerts.documents")?
            .unwrap_or_default(),
    };
    Ok(Alerts {
        filter,
        mode: alert_mode(cx, a)?,
        announce_new: a.announce_new.unwrap_or(false),
        group_votes_after: cx.duration(
            a.group_votes_after,
            "alerts.group_votes_after",
            hours(1),
            minutes(1)..=days(2),
        )?,
    })
}

/// `alerts.mode` and the `alerts.daily_at` that only `daily` uses.
fn alert_mode(cx: &Context<'_>, a: &raw::Alerts) -> Result<AlertMode, ConfigError> {
    match a.mode.as_ref().map(|m| (m, m.get_ref().as_str())) {
        None | Some((_, "instant")) => match &a.daily_at {
            Some(at) => Err(cx.error(
                at.span(),
                "alerts.daily_at",
                "only used with mode = \"daily\"",
            )),
            None => Ok(AlertMode::Instant),
        },
        Some((_, "daily")) => {
            let Some(at) = &a.daily_at else {
                return Ok(AlertMode::Daily(
                    NaiveTime::from_hms_opt(18, 0, 0).unwrap_or_default(),
                ));
            };
            NaiveTime::parse_from_str(at.get_ref(), "%H:%M")
                .map(AlertMode::Daily)
                .map_err(|_| {
                    cx.error(
                        at.span(),
                        "alerts.daily_at",
                        format!("{:?} is not a time like \"18:00\"", at.get_ref()),
                    )
                })
        }
        Some((m, other)) => Err(cx.error(
            m.span(),
            "alerts.mode",
            format!("{other:?} is not a mode: use \"instant\" or \"daily\""),
        )),
    }
}

/// `[[bills]]`: every entry checked in order, and no bill listed twice.
///
/// A bill's `url` is on bills.parliament.uk or `site` (`parliament.site_url`); its own `chat`
/// needs the `[telegram]` section (`has_telegram`); its own `alerts` start from `[alerts]`'s
/// filter (`global`).
pub(super) fn bills(
    cx: &Context<'_>,
    entries: &[Spanned<raw::Bill>],
    site: &Url,
    has_telegram: bool,
    global: &AlertFilter,
) -> Result<Vec<TrackedBill>, ConfigError> {
    let mut bills = Vec::with_capacity(entries.len());
    let mut seen: BTreeMap<BillId, usize> = BTreeMap::new();
    for (index, entry) in entries.iter().enumerate() {
        let key = format!("bills[{index}]");
        let (id, span) = bill_id(cx, &key, entry, site)?;
        // Before the rest of the entry: a bill listed twice is the mistake worth naming.
        if let Some(first) = seen.insert(id, index) {
            return Err(cx.error(
                span,
                &key,
                format!("bill {id} is listed twice (also bills[{first}]); keep one entry"),
            ));
        }
        bills.push(bill(cx, &key, id, entry.get_ref(), has_telegram, global)?);
    }
    Ok(bills)
}

/// The config must watch something: a config that watches nothing would run, check nothing and
/// say all is well. This is the one place that says what there is to watch: bills listed, and
/// bills chosen by follow rules.
pub(super) fn something_to_watch(
    cx: &Context<'_>,
    bills: &[TrackedBill],
    rules: &[FollowRule],
) -> Result<(), ConfigError> {
    if bills.is_empty() && rules.is_empty() {
        return Err(cx.error(
            0..0,
            "bills",
            "nothing to watch: add at least one [[bills]] entry, e.g.\n\n[[bills]]\n\
             url = \"https://bills.parliament.uk/bills/3929\"\n\n(find a bill on \
             https://bills.parliament.uk and copy its address, or give its `id`), or a \
             [[follow]] rule such as `search = \"immigration\"`",
        ));
    }
    Ok(())
}

/// An entry's own `chat`, which needs the `[telegram]` section.
pub(super) fn own_chat(
    cx: &Context<'_>,
    key: &str,
    chat: Option<&Spanned<String>>,
    has_telegram: bool,
) -> Result<Option<String>, ConfigError> {
    match chat {
        Some(c) if !has_telegram => Err(cx.error(
            c.span(),
            &format!("{key}.chat"),
            "an entry's own chat needs a [telegram] section",
        )),
        Some(c) => Ok(Some(cx.chat(c, &format!("{key}.chat"))?)),
        None => Ok(None),
    }
}

/// One `[[bills]]` entry, named `key` in messages, whose bill `id` is already known.
fn bill(
    cx: &Context<'_>,
    key: &str,
    id: BillId,
    b: &raw::Bill,
    has_telegram: bool,
    global: &AlertFilter,
) -> Result<TrackedBill, ConfigError> {
    let chat = own_chat(cx, key, b.chat.as_ref(), has_telegram)?;
    let name = b
        .name
        .as_ref()
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    let filter = own_filter(cx, key, b.alerts.as_ref(), global)?;
    Ok(TrackedBill {
        id,
        name,
        chat,
        mode: b.mode,
        filter,
    })
}

/// An entry's own `alerts`, each key left out taken from `[alerts]`'s filter (`global`).
pub(super) fn own_filter(
    cx: &Context<'_>,
    key: &str,
    alerts: Option<&raw::BillAlerts>,
    global: &AlertFilter,
) -> Result<Option<AlertFilter>, ConfigError> {
    let Some(a) = alerts else { return Ok(None) };
    Ok(Some(AlertFilter {
        kinds: cx
            .kinds(a.kinds.as_ref(), &format!("{key}.alerts.kinds"))?
            .unwrap_or_else(|| global.kinds.clone()),
        stages: cx
            .stages(a.stages.as_ref(), &format!("{key}.alerts.stages"))?
            .unwrap_or_else(|| global.stages.clone()),
        documents: cx
            .documents(a.documents.as_ref(), &format!("{key}.alerts.documents"))?
            .unwrap_or_else(|| global.documents.clone()),
    }))
}

/// The bill an entry means, from exactly one of `url` and `id`, with where it was written.
fn bill_id(
    cx: &Context<'_>,
    key: &str,
    entry: &Spanned<raw::Bill>,
    site: &Url,
) -> Result<(BillId, Range<usize>), ConfigError> {
    let b = entry.get_ref();
    match (&b.url, &b.id) {
        (Some(_), Some(id)) => Err(cx.error(id.span(), key, "give either `url` or `id`, not both")),
        (None, None) => Err(cx.error(
            entry.span(),
            key,
            "a bill needs `url` (https://bills.parliament.uk/bills/3929) or `id` (3929)",
        )),
        (Some(url), None) => {
            let BillRef(id) = BillRef::on_site(url.get_ref(), site)
                .map_err(|e| cx.error(url.span(), &format!("{key}.url"), e.to_string()))?;
            Ok((id, url.span()))
        }
        (None, Some(id)) => match BillId::try_from(*id.get_ref()) {
            Ok(n) if n > 0 => Ok((n, id.span())),
            _ => Err(cx.error(
                id.span(),
                &format!("{key}.id"),
                format!("{} is not a bill id (a positive number)", id.get_ref()),
            )),
        },
    }
}

const fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

const fn minutes(n: u64) -> Duration {
    Duration::from_secs(60 * n)
}

const fn hours(n: u64) -> Duration {
    Duration::from_secs(3600 * n)
}

const fn days(n: u64) -> Duration {
    Duration::from_secs(24 * 3600 * n)
}
