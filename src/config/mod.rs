//! The config file: strict TOML, validated once, every mistake named by file, line and key.
//!
//! The file is read into `raw` types that mirror the TOML exactly (`deny_unknown_fields`), then
//! checked and turned into [`Config`], which the rest of the program uses.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono_tz::Tz;
use serde::Deserialize;
use toml::Spanned;
use url::Url;

use crate::bill::{BillId, BillRef};
use crate::changes::EventKind;
use crate::filter::{AlertFilter, KNOWN_STAGES, Kinds, Stages};
use crate::schedule::Schedule;

/// Where the config is looked for when neither `--config` nor `BILLWATCH_CONFIG` says.
pub const DEFAULT_PATH: &str = "config/billwatch.toml";
pub const DEFAULT_API_URL: &str = "https://bills-api.parliament.uk";
pub const DEFAULT_SITE_URL: &str = "https://bills.parliament.uk";
pub const DEFAULT_TELEGRAM_API_URL: &str = "https://api.telegram.org";
pub const DEFAULT_USER_AGENT: &str = concat!(
    "billwatch/",
    env!("CARGO_PKG_VERSION"),
    " (self-hosted UK Parliament bill tracker)"
);
/// The shipped config, which documents every key.
pub const EXAMPLE: &str = include_str!("../config/billwatch.toml");

/// A config that could not be read or is wrong. Its message names the file, and where it can,
/// the line and the key.
#[derive(Debug, thiserror::Error)]
pub struct ConfigError {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub key: Option<String>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "config {}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ", line {line}")?;
        }
        if let Some(key) = &self.key {
            write!(f, ", key `{key}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Where bills are fetched from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// The Bills API only.
    Api,
    /// The bills.parliament.uk stage pages only.
    Pages,
    /// The API first; the pages when the API fails or answers with something unreadable.
    #[default]
    Auto,
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::Api => "api",
            Mode::Pages => "pages",
            Mode::Auto => "auto",
        })
    }
}

/// The validated config.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it came from.
    pub path: PathBuf,
    pub timezone: Tz,
    pub parliament: Parliament,
    pub storage: Storage,
    pub telegram: Option<Telegram>,
    pub schedule: ScheduleConfig,
    pub alerts: Alerts,
    pub bills: Vec<TrackedBill>,
}

/// What is posted, and when.
#[derive(Debug, Clone)]
pub struct Alerts {
    pub filter: AlertFilter,
    pub mode: AlertMode,
}

/// When alerts go out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertMode {
    /// As soon as they are found.
    Instant,
    /// Once a day at this local time: one message per chat summing up the day.
    Daily(chrono::NaiveTime),
}

#[derive(Debug, Clone)]
pub struct Parliament {
    pub api_url: Url,
    pub site_url: Url,
    pub mode: Mode,
    pub timeout: Duration,
    pub max_concurrent: usize,
    pub user_agent: String,
    pub retries: u32,
    pub retry_backoff: Duration,
    pub max_response_bytes: u64,
    /// Pause between two page requests.
    pub page_delay: Duration,
    /// Ask the API which bills changed, and fetch only those.
    pub listing: bool,
    /// Every bill is fetched in full at least this often, whatever the listing says.
    pub full_refresh: Duration,
}

#[derive(Debug, Clone)]
pub struct Storage {
    pub path: PathBuf,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Telegram {
    pub chat: String,
    pub admin_chat: Option<String>,
    pub api_url: Url,
    pub token_file: Option<PathBuf>,
    /// After this many failed checks in a row a bill's failure is reported to `admin_chat`.
    pub failure_threshold: u32,
    pub timeout: Duration,
    /// Telegram user ids allowed `/status` and `/check`.
    pub operators: Vec<i64>,
    /// Answer commands in private chats (long polling inside `billwatch run`).
    pub commands: bool,
    /// Keep one message per bill in its chat, edited whenever the bill moves.
    pub status_card: bool,
    /// Pin those cards.
    pub pin_cards: bool,
}

#[derive(Debug, Clone)]
pub struct ScheduleConfig {
    pub cron: Schedule,
    pub check_at_start: bool,
    pub jitter: Duration,
    /// `health` fails when the last finished check is older than this.
    pub health_max_age: Option<Duration>,
}

/// One bill to watch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackedBill {
    pub id: BillId,
    pub name: Option<String>,
    /// Overrides `telegram.chat` for this bill's alerts.
    pub chat: Option<String>,
    /// Overrides `parliament.mode` for this bill.
    pub mode: Option<Mode>,
    /// Overrides `[alerts]`'s filter for this bill.
    pub filter: Option<AlertFilter>,
}

mod raw {
    use super::*;

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct File {
        pub timezone: Option<Spanned<String>>,
        #[serde(default)]
        pub parliament: Parliament,
        #[serde(default)]
        pub storage: Storage,
        pub telegram: Option<Spanned<Telegram>>,
        #[serde(default)]
        pub schedule: Schedule,
        #[serde(default)]
        pub alerts: Alerts,
        #[serde(default)]
        pub bills: Vec<Spanned<Bill>>,
    }

    #[derive(Deserialize, Default)]
    #[serde(deny_unknown_fields)]
    pub struct Alerts {
        pub kinds: Option<Spanned<toml::Value>>,
        pub stages: Option<Spanned<toml::Value>>,
        pub mode: Option<Spanned<String>>,
        pub daily_at: Option<Spanned<String>>,
    }

    #[derive(Deserialize, Default)]
    #[serde(deny_unknown_fields)]
    pub struct BillAlerts {
        pub kinds: Option<Spanned<toml::Value>>,
        pub stages: Option<Spanned<toml::Value>>,
    }

    #[derive(Deserialize, Default)]
    #[serde(deny_unknown_fields)]
    pub struct Parliament {
        pub api_url: Option<Spanned<String>>,
        pub site_url: Option<Spanned<String>>,
        pub mode: Option<super::Mode>,
        #[serde(default, with = "humantime_serde")]
        pub timeout: Option<Duration>,
        pub max_concurrent: Option<Spanned<usize>>,
        pub user_agent: Option<Spanned<String>>,
        pub retries: Option<Spanned<u32>>,
        #[serde(default, with = "humantime_serde")]
        pub retry_backoff: Option<Duration>,
        pub max_response_bytes: Option<Spanned<u64>>,
        #[serde(default, with = "humantime_serde")]
        pub page_delay: Option<Duration>,
        pub listing: Option<bool>,
        #[serde(default, with = "humantime_serde")]
        pub full_refresh: Option<Duration>,
    }

    #[derive(Deserialize, Default)]
    #[serde(deny_unknown_fields)]
    pub struct Storage {
        pub path: Option<PathBuf>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Telegram {
        pub chat: Spanned<String>,
        pub admin_chat: Option<Spanned<String>>,
        pub api_url: Option<Spanned<String>>,
        pub token_file: Option<PathBuf>,
        /// Only here to reject it with a useful message.
        pub token: Option<Spanned<toml::Value>>,
        pub failure_threshold: Option<Spanned<u32>>,
        #[serde(default, with = "humantime_serde")]
        pub timeout: Option<Duration>,
        #[serde(default)]
        pub operators: Vec<i64>,
        pub commands: Option<bool>,
        pub status_card: Option<bool>,
        pub pin_cards: Option<bool>,
    }

    #[derive(Deserialize, Default)]
    #[serde(deny_unknown_fields)]
    pub struct Schedule {
        pub cron: Option<Spanned<String>>,
        pub check_at_start: Option<bool>,
        #[serde(default, with = "humantime_serde")]
        pub jitter: Option<Duration>,
        #[serde(default, with = "humantime_serde")]
        pub health_max_age: Option<Duration>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Bill {
        pub url: Option<Spanned<String>>,
        pub id: Option<Spanned<i64>>,
        pub name: Option<String>,
        pub chat: Option<Spanned<String>>,
        pub mode: Option<super::Mode>,
        pub alerts: Option<BillAlerts>,
    }
}

/// Which config file to read: `--config`, else `BILLWATCH_CONFIG`, else [`DEFAULT_PATH`].
pub fn locate(flag: Option<&Path>, env: Option<&str>) -> PathBuf {
    match (flag, env) {
        (Some(path), _) => path.to_owned(),
        (None, Some(env)) if !env.trim().is_empty() => PathBuf::from(env),
        _ => PathBuf::from(DEFAULT_PATH),
    }
}

impl Config {
    /// Reads and validates the config file at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            let hint = if e.kind() == std::io::ErrorKind::NotFound {
                format!(
                    "the file does not exist ({e}). Pass --config PATH or set BILLWATCH_CONFIG; \
                     the shipped example is {DEFAULT_PATH}"
                )
            } else {
                format!("cannot read the file: {e}")
            };
            ConfigError {
                path: path.to_owned(),
                line: None,
                key: None,
                message: hint,
            }
        })?;
        Config::parse(&text, path)
    }

    /// Parses and validates config text; `path` is only used in messages and as [`Config::path`].
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let cx = Context { text, path };
        let file: raw::File = toml::from_str(text).map_err(|e| cx.toml_error(&e))?;

        let timezone = match &file.timezone {
            None => chrono_tz::Europe::London,
            Some(tz) => tz.get_ref().parse::<Tz>().map_err(|_| {
                cx.error(
                    tz.span(),
                    "timezone",
                    format!(
                        "{:?} is not a known time zone; use an IANA name such as \"Europe/London\"",
                        tz.get_ref()
                    ),
                )
            })?,
        };

        let p = file.parliament;
        let parliament = Parliament {
            api_url: cx.base_url(p.api_url.as_ref(), "parliament.api_url", DEFAULT_API_URL)?,
            site_url: cx.base_url(p.site_url.as_ref(), "parliament.site_url", DEFAULT_SITE_URL)?,
            mode: p.mode.unwrap_or_default(),
            timeout: cx.positive(p.timeout, "parliament.timeout", Duration::from_secs(30))?,
            max_concurrent: cx.in_range(
                p.max_concurrent,
                "parliament.max_concurrent",
                4,
                1..=32,
            )?,
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
            retry_backoff: p.retry_backoff.unwrap_or(Duration::from_secs(2)),
            max_response_bytes: cx.in_range(
                p.max_response_bytes,
                "parliament.max_response_bytes",
                10 * 1024 * 1024,
                1024..=1024 * 1024 * 1024,
            )?,
            page_delay: p.page_delay.unwrap_or(Duration::from_secs(1)),
            listing: p.listing.unwrap_or(true),
            full_refresh: p.full_refresh.unwrap_or(Duration::from_secs(24 * 3600)),
        };

        let storage = Storage {
            path: file
                .storage
                .path
                .unwrap_or_else(|| PathBuf::from("data/billwatch.db")),
        };

        let telegram = match file.telegram {
            None => None,
            Some(t) => {
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
                Some(Telegram {
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
                    timeout: cx.positive(t.timeout, "telegram.timeout", Duration::from_secs(20))?,
                    operators: t.operators.clone(),
                    commands: t.commands.unwrap_or(true),
                    status_card: t.status_card.unwrap_or(false),
                    pin_cards: t.pin_cards.unwrap_or(false),
                })
            }
        };

        let schedule = ScheduleConfig {
            cron: match &file.schedule.cron {
                None => Schedule::parse("*/15 * * * *").map_err(|e| {
                    cx.error(
                        0..0,
                        "schedule.cron",
                        format!("the default is invalid: {e}"),
                    )
                })?,
                Some(expr) => Schedule::parse(expr.get_ref())
                    .map_err(|e| cx.error(expr.span(), "schedule.cron", e.to_string()))?,
            },
            check_at_start: file.schedule.check_at_start.unwrap_or(true),
            jitter: file.schedule.jitter.unwrap_or(Duration::ZERO),
            health_max_age: file.schedule.health_max_age,
        };

        let global = AlertFilter {
            kinds: cx
                .kinds(file.alerts.kinds.as_ref(), "alerts.kinds")?
                .unwrap_or(Kinds::Default),
            stages: cx
                .stages(file.alerts.stages.as_ref(), "alerts.stages")?
                .unwrap_or(Stages::Major),
        };
        let mode = match file.alerts.mode.as_ref().map(|m| (m, m.get_ref().as_str())) {
            None | Some((_, "instant")) => {
                if let Some(at) = &file.alerts.daily_at {
                    return Err(cx.error(
                        at.span(),
                        "alerts.daily_at",
                        "only used with mode = \"daily\"",
                    ));
                }
                AlertMode::Instant
            }
            Some((_, "daily")) => {
                let at = match &file.alerts.daily_at {
                    None => chrono::NaiveTime::from_hms_opt(18, 0, 0).unwrap_or_default(),
                    Some(at) => {
                        chrono::NaiveTime::parse_from_str(at.get_ref(), "%H:%M").map_err(|_| {
                            cx.error(
                                at.span(),
                                "alerts.daily_at",
                                format!("{:?} is not a time like \"18:00\"", at.get_ref()),
                            )
                        })?
                    }
                };
                AlertMode::Daily(at)
            }
            Some((m, other)) => {
                return Err(cx.error(
                    m.span(),
                    "alerts.mode",
                    format!("{other:?} is not a mode: use \"instant\" or \"daily\""),
                ));
            }
        };
        let alerts = Alerts {
            filter: global.clone(),
            mode,
        };

        let mut bills = Vec::with_capacity(file.bills.len());
        let mut seen: BTreeMap<BillId, usize> = BTreeMap::new();
        for (index, entry) in file.bills.iter().enumerate() {
            let key = format!("bills[{index}]");
            let b = entry.get_ref();
            let (id, span) = match (&b.url, &b.id) {
                (Some(_), Some(id)) => {
                    return Err(cx.error(id.span(), &key, "give either `url` or `id`, not both"));
                }
                (None, None) => {
                    return Err(cx.error(
                        entry.span(),
                        &key,
                        "a bill needs `url` (https://bills.parliament.uk/bills/3929) or `id` (3929)",
                    ));
                }
                (Some(url), None) => {
                    let BillRef(id) = url
                        .get_ref()
                        .parse::<BillRef>()
                        .map_err(|e| cx.error(url.span(), &format!("{key}.url"), e.to_string()))?;
                    (id, url.span())
                }
                (None, Some(id)) => match BillId::try_from(*id.get_ref()) {
                    Ok(n) if n > 0 => (n, id.span()),
                    _ => {
                        return Err(cx.error(
                            id.span(),
                            &format!("{key}.id"),
                            format!("{} is not a bill id (a positive number)", id.get_ref()),
                        ));
                    }
                },
            };
            if let Some(first) = seen.insert(id, index) {
                return Err(cx.error(
                    span,
                    &key,
                    format!("bill {id} is listed twice (also bills[{first}]); keep one entry"),
                ));
            }
            let chat = match &b.chat {
                Some(c) => {
                    if telegram.is_none() {
                        return Err(cx.error(
                            c.span(),
                            &format!("{key}.chat"),
                            "a bill's own chat needs a [telegram] section",
                        ));
                    }
                    Some(cx.chat(c, &format!("{key}.chat"))?)
                }
                None => None,
            };
            let name = b
                .name
                .as_ref()
                .map(|n| n.trim().to_owned())
                .filter(|n| !n.is_empty());
            let filter = match &b.alerts {
                None => None,
                Some(a) => Some(AlertFilter {
                    kinds: cx
                        .kinds(a.kinds.as_ref(), &format!("{key}.alerts.kinds"))?
                        .unwrap_or_else(|| global.kinds.clone()),
                    stages: cx
                        .stages(a.stages.as_ref(), &format!("{key}.alerts.stages"))?
                        .unwrap_or_else(|| global.stages.clone()),
                }),
            };
            bills.push(TrackedBill {
                id,
                name,
                chat,
                mode: b.mode,
                filter,
            });
        }

        Ok(Config {
            path: path.to_owned(),
            timezone,
            parliament,
            storage,
            telegram,
            schedule,
            alerts,
            bills,
        })
    }

    /// The bill's entry in the config, if it is tracked.
    pub fn bill(&self, id: BillId) -> Option<&TrackedBill> {
        self.bills.iter().find(|b| b.id == id)
    }

    /// What is posted for one bill: its own filter, else `[alerts]`'s.
    pub fn filter_for(&self, id: BillId) -> &AlertFilter {
        self.bill(id)
            .and_then(|b| b.filter.as_ref())
            .unwrap_or(&self.alerts.filter)
    }

    /// The source mode that applies to one bill.
    pub fn mode_for(&self, id: BillId) -> Mode {
        self.bill(id)
            .and_then(|b| b.mode)
            .unwrap_or(self.parliament.mode)
    }

    /// The chat a bill's alerts go to: its own, else the channel, else none (the console).
    pub fn chat_for(&self, id: BillId) -> Option<&str> {
        let telegram = self.telegram.as_ref()?;
        Some(
            self.bill(id)
                .and_then(|b| b.chat.as_deref())
                .unwrap_or(&telegram.chat),
        )
    }

    /// The bill's stages page on the site, for links in alerts.
    pub fn stages_url(&self, id: BillId) -> String {
        join(&self.parliament.site_url, &format!("bills/{id}/stages"))
    }
}

/// Appends `path` to a base URL whatever its trailing slash.
pub fn join(base: &Url, path: &str) -> String {
    format!("{}/{}", base.as_str().trim_end_matches('/'), path)
}

struct Context<'a> {
    text: &'a str,
    path: &'a Path,
}

impl Context<'_> {
    fn line_of(&self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        self.text[..offset].bytes().filter(|b| *b == b'\n').count() + 1
    }

    fn error(&self, span: Range<usize>, key: &str, message: impl Into<String>) -> ConfigError {
        ConfigError {
            path: self.path.to_owned(),
            line: (span != (0..0)).then(|| self.line_of(span.start)),
            key: Some(key.to_owned()),
            message: message.into(),
        }
    }

    fn toml_error(&self, e: &toml::de::Error) -> ConfigError {
        // The message of a toml error is its last paragraph; the span gives the line.
        let mut message = e.message().trim().to_owned();
        if message.contains("expected a duration") {
            message.push_str(": write it as a string such as \"30s\", \"2m\" or \"1h 30m\"");
        }
        let span = e.span();
        ConfigError {
            path: self.path.to_owned(),
            line: span.as_ref().map(|s| self.line_of(s.start)),
            key: span.and_then(|s| self.key_at(s.start)),
            message,
        }
    }

    /// The dotted key written on the line holding `offset` (`parliament.timeout`), from the
    /// text itself: the table header above it and the name before `=`.
    fn key_at(&self, offset: usize) -> Option<String> {
        let offset = offset.min(self.text.len());
        let line_start = self.text[..offset].rfind('\n').map_or(0, |i| i + 1);
        let line_end = self.text[offset..]
            .find('\n')
            .map_or(self.text.len(), |i| offset + i);
        let line = self.text[line_start..line_end].trim();
        let name = line
            .split_once('=')
            .map(|(k, _)| k.trim().trim_matches('"'));
        let table = self.text[..line_start]
            .lines()
            .rev()
            .map(str::trim)
            .find(|l| l.starts_with('['))
            .map(|h| h.trim_matches(|c| c == '[' || c == ']').trim().to_owned());
        match (table, name) {
            (Some(t), Some(n)) => Some(format!("{t}.{n}")),
            (None, Some(n)) => Some(n.to_owned()),
            (Some(t), None) if line.starts_with('[') => Some(t),
            _ => None,
        }
    }

    fn base_url(
        &self,
        value: Option<&Spanned<String>>,
        key: &str,
        default: &str,
    ) -> Result<Url, ConfigError> {
        let Some(value) = value else {
            return Url::parse(default).map_err(|e| self.error(0..0, key, e.to_string()));
        };
        match Url::parse(value.get_ref().trim()) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(url),
            _ => Err(self.error(
                value.span(),
                key,
                format!(
                    "{:?} is not an http(s) URL; expected something like {default:?}",
                    value.get_ref()
                ),
            )),
        }
    }

    fn chat(&self, value: &Spanned<String>, key: &str) -> Result<String, ConfigError> {
        let chat = value.get_ref().trim();
        let valid_name = chat.len() > 5
            && chat.starts_with('@')
            && chat[1..]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
        let valid_id = chat.parse::<i64>().is_ok_and(|n| n != 0);
        if valid_name || valid_id {
            Ok(chat.to_owned())
        } else {
            Err(self.error(
                value.span(),
                key,
                format!(
                    "{chat:?} is not a Telegram chat: use \"@channelname\" or a numeric id such as \
                     \"-1001234567890\""
                ),
            ))
        }
    }

    /// `"default"`, `"all"` or a list of alert kinds.
    fn kinds(
        &self,
        value: Option<&Spanned<toml::Value>>,
        key: &str,
    ) -> Result<Option<Kinds>, ConfigError> {
        let Some(value) = value else { return Ok(None) };
        let names = EventKind::ALL.map(|k| k.as_str()).join(", ");
        match value.get_ref() {
            toml::Value::String(s) if s == "default" => Ok(Some(Kinds::Default)),
            toml::Value::String(s) if s == "all" => Ok(Some(Kinds::All)),
            toml::Value::Array(items) => {
                let mut kinds = Vec::new();
                for item in items {
                    let name = item.as_str().unwrap_or_default();
                    let kind = EventKind::ALL
                        .into_iter()
                        .find(|k| k.as_str() == name)
                        .ok_or_else(|| {
                            self.error(
                                value.span(),
                                key,
                                format!("{item} is not an alert kind; the kinds are: {names}"),
                            )
                        })?;
                    kinds.push(kind);
                }
                Ok(Some(Kinds::List(kinds)))
            }
            other => Err(self.error(
                value.span(),
                key,
                format!("{other} is not \"default\", \"all\" or a list of kinds ({names})"),
            )),
        }
    }

    /// `"major"`, `"all"` or a list of stage names.
    fn stages(
        &self,
        value: Option<&Spanned<toml::Value>>,
        key: &str,
    ) -> Result<Option<Stages>, ConfigError> {
        let Some(value) = value else { return Ok(None) };
        match value.get_ref() {
            toml::Value::String(s) if s == "major" => Ok(Some(Stages::Major)),
            toml::Value::String(s) if s == "all" => Ok(Some(Stages::All)),
            toml::Value::Array(items) => {
                let mut names = Vec::new();
                for item in items {
                    let name = item.as_str().unwrap_or_default();
                    if !KNOWN_STAGES.iter().any(|k| k.eq_ignore_ascii_case(name)) {
                        return Err(self.error(
                            value.span(),
                            key,
                            format!(
                                "{item} is not a stage Parliament uses; known stages: {}",
                                KNOWN_STAGES.join(", ")
                            ),
                        ));
                    }
                    names.push(name.to_ascii_lowercase());
                }
                Ok(Some(Stages::List(names)))
            }
            other => Err(self.error(
                value.span(),
                key,
                format!("{other} is not \"major\", \"all\" or a list of stage names"),
            )),
        }
    }

    fn positive(
        &self,
        value: Option<Duration>,
        key: &str,
        default: Duration,
    ) -> Result<Duration, ConfigError> {
        match value {
            None => Ok(default),
            Some(d) if d.is_zero() => Err(self.error(0..0, key, "must be longer than zero")),
            Some(d) => Ok(d),
        }
    }

    fn in_range<T>(
        &self,
        value: Option<Spanned<T>>,
        key: &str,
        default: T,
        range: std::ops::RangeInclusive<T>,
    ) -> Result<T, ConfigError>
    where
        T: PartialOrd + fmt::Display + Copy,
    {
        match value {
            None => Ok(default),
            Some(v) if range.contains(v.get_ref()) => Ok(*v.get_ref()),
            Some(v) => Err(self.error(
                v.span(),
                key,
                format!(
                    "{} is out of range: use {} to {}",
                    v.get_ref(),
                    range.start(),
                    range.end()
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_config_is_valid_and_tracks_the_border_security_bill() {
        let config = Config::parse(EXAMPLE, Path::new("config/billwatch.toml")).expect("valid");
        assert_eq!(config.bills.len(), 1);
        assert_eq!(config.bills[0].id, 3929);
        assert_eq!(config.timezone, chrono_tz::Europe::London);
        assert_eq!(
            config.parliament.api_url.as_str(),
            "https://bills-api.parliament.uk/"
        );
        assert_eq!(config.storage.path, PathBuf::from("data/billwatch.db"));
    }

    /// Every key the config accepts, as `table.key`.
    const EVERY_KEY: &[&str] = &[
        "timezone",
        "parliament.api_url",
        "parliament.site_url",
        "parliament.mode",
        "parliament.timeout",
        "parliament.max_concurrent",
        "parliament.retries",
        "parliament.retry_backoff",
        "parliament.max_response_bytes",
        "parliament.user_agent",
        "parliament.page_delay",
        "parliament.listing",
        "parliament.full_refresh",
        "storage.path",
        "schedule.cron",
        "schedule.check_at_start",
        "schedule.jitter",
        "schedule.health_max_age",
        "alerts.kinds",
        "alerts.stages",
        "alerts.mode",
        "alerts.daily_at",
        "telegram.chat",
        "telegram.admin_chat",
        "telegram.api_url",
        "telegram.token_file",
        "telegram.failure_threshold",
        "telegram.timeout",
        "telegram.operators",
        "telegram.commands",
        "telegram.status_card",
        "telegram.pin_cards",
        "bills.url",
        "bills.id",
        "bills.name",
        "bills.chat",
        "bills.mode",
        "bills.alerts",
    ];

    /// The shipped config documents every key (set or commented out).
    #[test]
    fn the_shipped_config_names_every_key() {
        for key in EVERY_KEY {
            let name = key.rsplit('.').next().unwrap_or(key);
            let named = EXAMPLE.lines().any(|l| {
                let l = l.trim_start_matches('#').trim();
                l.starts_with(&format!("{name} =")) || l.starts_with(&format!("{name}="))
            });
            assert!(named, "config/billwatch.toml does not document `{key}`");
        }
    }

    /// Every key in the list is one the config accepts (so the list above cannot rot).
    #[test]
    fn every_key_is_accepted() {
        let text = r#"
            timezone = "Europe/London"
            [parliament]
            api_url = "https://bills-api.parliament.uk"
            site_url = "https://bills.parliament.uk"
            mode = "auto"
            timeout = "30s"
            max_concurrent = 4
            retries = 3
            retry_backoff = "2s"
            max_response_bytes = 10485760
            user_agent = "billwatch test"
            page_delay = "1s"
            listing = true
            full_refresh = "24h"
            [storage]
            path = "data/billwatch.db"
            [schedule]
            cron = "*/15 * * * *"
            check_at_start = true
            jitter = "10s"
            health_max_age = "1h"
            [alerts]
            kinds = "default"
            stages = ["2nd reading", "Royal Assent"]
            mode = "daily"
            daily_at = "18:30"
            [telegram]
            chat = "@bill_alerts"
            admin_chat = "-1001234567890"
            api_url = "https://api.telegram.org"
            token_file = "/run/secrets/token"
            failure_threshold = 3
            timeout = "20s"
            operators = [123456789]
            commands = true
            status_card = true
            pin_cards = false
            [[bills]]
            url = "https://bills.parliament.uk/bills/3929"
            name = "Border Security, Asylum and Immigration Bill"
            chat = "@border_bill"
            mode = "pages"
            alerts = { kinds = "all", stages = "all" }
            [[bills]]
            id = 3766
        "#;
        let config = Config::parse(text, Path::new("every-key.toml")).expect("every key accepted");
        assert_eq!(
            config.alerts.mode,
            AlertMode::Daily(chrono::NaiveTime::from_hms_opt(18, 30, 0).expect("time"))
        );
        assert_eq!(config.mode_for(3929), Mode::Pages);
        assert_eq!(config.chat_for(3929), Some("@border_bill"));
        assert_eq!(config.chat_for(3766), Some("@bill_alerts"));
        let mut written = 0;
        for key in EVERY_KEY {
            let name = key.rsplit('.').next().unwrap_or(key);
            assert!(
                text.contains(&format!("{name} =")),
                "the test config lacks `{key}`"
            );
            written += 1;
        }
        assert_eq!(written, EVERY_KEY.len());
    }

    #[test]
    fn config_is_located_by_flag_then_env_then_default() {
        let flag = Path::new("/etc/billwatch.toml");
        assert_eq!(locate(Some(flag), Some("/x.toml")), flag);
        assert_eq!(locate(None, Some("/x.toml")), PathBuf::from("/x.toml"));
        assert_eq!(locate(None, Some("  ")), PathBuf::from(DEFAULT_PATH));
        assert_eq!(locate(None, None), PathBuf::from(DEFAULT_PATH));
    }
}
