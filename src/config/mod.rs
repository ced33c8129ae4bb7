//! The config file: strict TOML, validated once, every mistake named by file, line and key.
//!
//! The file is read into `raw` types that mirror the TOML exactly (`deny_unknown_fields`), then
//! checked and turned into [`Config`], which the rest of the program uses.
//!
//! - `raw`: the serde mirror of the file; a wrong key or type is named by its path in the document.
//! - `validate`: one check per section (`[parliament]`, `[telegram]`, `[[bills]]`, ...), with the
//!   defaults.
//! - `follow`: the `[[follow]]` rules.
//! - `values`: checks of single values the sections share (URLs, chats, kinds, stages, ranges).
//! - `context`: how a mistake is placed: file, line and key path.

mod context;
mod follow;
mod raw;
mod validate;
mod values;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono_tz::Tz;
use serde::Deserialize;
use url::Url;

use crate::bill::BillId;
use crate::filter::AlertFilter;
use crate::schedule::Schedule;
use context::Context;
pub use follow::FollowRule;

/// The environment variable that names the config file when `--config` does not.
pub const CONFIG_ENV: &str = "BILLWATCH_CONFIG";
/// Where the config is looked for when neither `--config` nor `BILLWATCH_CONFIG` says.
pub const DEFAULT_PATH: &str = "config/billwatch.toml";
pub const DEFAULT_API_URL: &str = "https://bills-api.parliament.uk";
pub const DEFAULT_SITE_URL: &str = crate::bill::PARLIAMENT_SITE;
pub const DEFAULT_COMMONS_VOTES_URL: &str = "https://commonsvotes-api.parliament.uk";
pub const DEFAULT_LORDS_VOTES_URL: &str = "https://lordsvotes-api.parliament.uk";
pub const DEFAULT_TELEGRAM_API_URL: &str = "https://api.telegram.org";
pub const DEFAULT_USER_AGENT: &str = concat!(
    "billwatch/",
    env!("CARGO_PKG_VERSION"),
    " (self-hosted UK Parliament bill tracker)"
);
/// The shipped config, which documents every key.
pub const EXAMPLE: &str = include_str!("../../config/billwatch.toml");

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
    /// `[[follow]]`: rules that choose bills.
    pub follow: Vec<FollowRule>,
}

/// What is posted, and when.
#[derive(Debug, Clone)]
pub struct Alerts {
    pub filter: AlertFilter,
    pub mode: AlertMode,
    /// A bill checked for the first time is announced (one `tracking_started` alert with where
    /// it stands) rather than recorded silently: by the worker and by every `check`.
    pub announce_new: bool,
    /// Votes on amendments are told together, a message per bill and sitting day, once the
    /// day's newest division is this old by its own time.
    pub group_votes_after: Duration,
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
    /// The Commons Votes API.
    pub commons_votes_url: Url,
    /// The Lords Votes API.
    pub lords_votes_url: Url,
    /// Ask the Votes APIs for the divisions of tracked bills (`division` alerts).
    pub votes: bool,
    /// The least time between two searches of one House's Votes API (but see
    /// [`crate::check`]: a bill reaching a new stage in that House asks at once).
    pub votes_gap: Duration,
    /// A follow rule matching more bills than this is an error, its bills not taken on.
    pub max_bills: usize,
}

#[derive(Debug, Clone)]
pub struct Storage {
    pub path: PathBuf,
    /// Deliveries to readers older than this are pruned.
    pub keep_sent: Duration,
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
    /// What readers may follow in a private chat (`follow_any`, `max_followed_bills`,
    /// `max_follows`).
    pub readers: crate::readers::Limits,
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
    ///
    /// The whole file is read first (so an unknown key or a wrong type is found wherever it is),
    /// then each section is checked in turn; the first mistake found is the one reported.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let cx = Context::new(text, path);
        let file = raw::File::read(&cx)?;
        let timezone = validate::timezone(&cx, file.timezone.as_ref())?;
        let parliament = validate::parliament(&cx, file.parliament)?;
        let storage = validate::storage(&cx, file.storage)?;
        let telegram = validate::telegram(&cx, file.telegram)?;
        let schedule = validate::schedule(&cx, &file.schedule)?;
        let alerts = validate::alerts(&cx, &file.alerts)?;
        let bills = validate::bills(
            &cx,
            &file.bills,
            &parliament.site_url,
            telegram.is_some(),
            &alerts.filter,
        )?;
        let follow = follow::rules(&cx, &file.follow, telegram.is_some(), &alerts.filter)?;
        validate::something_to_watch(&cx, &bills, &follow)?;
        Ok(Config {
            path: path.to_owned(),
            timezone,
            parliament,
            storage,
            telegram,
            schedule,
            alerts,
            bills,
            follow,
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
        "parliament.commons_votes_url",
        "parliament.lords_votes_url",
        "parliament.votes",
        "parliament.votes_gap",
        "parliament.max_bills",
        "storage.path",
        "schedule.cron",
        "schedule.check_at_start",
        "schedule.jitter",
        "schedule.health_max_age",
        "alerts.kinds",
        "alerts.stages",
        "alerts.documents",
        "alerts.mode",
        "alerts.daily_at",
        "alerts.announce_new",
        "alerts.group_votes_after",
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
        "follow.search",
        "follow.started_in",
        "follow.type",
        "follow.session",
        "follow.name",
        "follow.chat",
        "follow.alerts",
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

    /// A config that sets every key in [`EVERY_KEY`].
    const EVERY_KEY_TOML: &str = r#"
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
            commons_votes_url = "https://commonsvotes-api.parliament.uk"
            lords_votes_url = "https://lordsvotes-api.parliament.uk"
            votes = true
            votes_gap = "30m"
            max_bills = 200
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
            documents = ["Bill", "Explanatory Notes"]
            mode = "daily"
            daily_at = "18:30"
            announce_new = true
            group_votes_after = "1h"
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
            [[follow]]
            search = "immigration"
            started_in = "commons"
            type = "Government Bill"
            session = "current"
            name = "Immigration"
            chat = "@immigration_bills"
            alerts = { kinds = ["bill_introduced"] }
        "#;

    /// Every key in the list is one the config accepts (so the list above cannot rot).
    #[test]
    fn every_key_is_accepted() {
        let text = EVERY_KEY_TOML;
        let config = Config::parse(text, Path::new("every-key.toml")).expect("every key accepted");
        assert_eq!(
            config.alerts.mode,
            AlertMode::Daily(chrono::NaiveTime::from_hms_opt(18, 30, 0).expect("time"))
        );
        assert_eq!(config.mode_for(3929), Mode::Pages);
        assert_eq!(config.chat_for(3929), Some("@border_bill"));
        assert_eq!(config.chat_for(3766), Some("@bill_alerts"));
        assert_eq!(config.follow[0].chat.as_deref(), Some("@immigration_bills"));
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

    /// A config that watches nothing is a mistake, named with what to add.
    #[test]
    fn a_config_without_bills_is_refused() {
        for text in ["", "[[bills]]\nid = 3929\n"] {
            let result = Config::parse(text, Path::new("c.toml"));
            if text.is_empty() {
                let e = result.expect_err("no bills");
                assert_eq!(e.key.as_deref(), Some("bills"));
                assert!(e.to_string().contains("add at least one [[bills]]"), "{e}");
            } else {
                result.expect("one bill");
            }
        }
    }

    /// A bill's URL is on bills.parliament.uk or the configured site, nowhere else.
    #[test]
    fn a_bill_url_on_another_site_is_refused() {
        let text = "[[bills]]\nid = 1\n[[bills]]\nurl = \"https://example.com/bills/3929\"\n";
        let e = Config::parse(text, Path::new("c.toml")).expect_err("another site");
        assert_eq!((e.line, e.key.as_deref()), (Some(4), Some("bills[1].url")));
        assert!(
            e.to_string()
                .contains("is not a page of bills.parliament.uk"),
            "{e}"
        );
        let text = "[parliament]\nsite_url = \"http://127.0.0.1:8080\"\n\
                    [[bills]]\nurl = \"http://127.0.0.1:8080/bills/3929/stages\"\n";
        let config = Config::parse(text, Path::new("c.toml")).expect("the configured site");
        assert_eq!(config.bills[0].id, 3929);
    }

    #[test]
    fn config_is_located_by_flag_then_env_then_default() {
        let flag = Path::new("/etc/billwatch.toml");
        assert_eq!(locate(Some(flag), Some("/x.toml")), flag);
        assert_eq!(locate(None, Some("/x.toml")), PathBuf::from("/x.toml"));
        assert_eq!(locate(None, Some("  ")), PathBuf::from(DEFAULT_PATH));
        assert_eq!(locate(None, None), PathBuf::from(DEFAULT_PATH));
    }

    /// A storage path that keeps nothing is a config error naming the key, not a database
    /// that forgets every check.
    #[test]
    fn a_storage_path_that_keeps_nothing_is_refused() {
        for (path, says) in [
            ("", "must name the database file"),
            ("   ", "must name the database file"),
            (":memory:", "in-memory database keeps nothing"),
            (
                "file:data/billwatch.db?mode=memory",
                "SQLite URI is not accepted",
            ),
            ("data/", "names a folder"),
        ] {
            let text = format!("[storage]\npath = \"{path}\"\n[[bills]]\nid = 3929\n");
            let e = Config::parse(&text, Path::new("c.toml")).expect_err(path);
            let shown = e.to_string();
            assert!(
                shown.contains("line 2, key `storage.path`") && shown.contains(says),
                "{path:?}: {shown}"
            );
        }
        let text = "[storage]\npath = \"/data/billwatch.db\"\n[[bills]]\nid = 3929\n";
        let config = Config::parse(text, Path::new("c.toml")).expect("a plain file");
        assert_eq!(config.storage.path, PathBuf::from("/data/billwatch.db"));
    }

    /// Every duration has a sane range, checked by `validate`: a zero or an absurd one would
    /// stall the worker or overflow a timer.
    #[test]
    fn durations_out_of_range_are_refused() {
        for (section, key, value, says) in [
            (
                "parliament",
                "page_delay",
                "500000000000y",
                "out of range: use 0s to 1m",
            ),
            ("parliament", "timeout", "0s", "must be longer than zero"),
            ("parliament", "retry_backoff", "1y", "out of range"),
            (
                "parliament",
                "full_refresh",
                "0s",
                "must be longer than zero",
            ),
            ("schedule", "jitter", "2h", "out of range: use 0s to 1h"),
            ("schedule", "health_max_age", "10y", "out of range"),
        ] {
            let text = format!("[{section}]\n{key} = \"{value}\"\n[[bills]]\nid = 3929\n");
            let e = Config::parse(&text, Path::new("c.toml")).expect_err(key);
            let shown = e.to_string();
            assert!(
                shown.contains(&format!("key `{section}.{key}`")) && shown.contains(says),
                "{key} = {value}: {shown}"
            );
        }
        let text = "[telegram]\nchat = \"@bill_alerts\"\ntimeout = \"1h\"\n[[bills]]\nid = 1\n";
        let e = Config::parse(text, Path::new("c.toml")).expect_err("telegram.timeout");
        assert!(e.to_string().contains("key `telegram.timeout`"), "{e}");
    }
}
