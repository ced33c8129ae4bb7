//! The config file exactly as written: a serde mirror of the TOML, nothing checked but shape.
//!
//! Every table denies unknown fields, so a misspelt key is an error rather than a silent default.
//! Values that are checked later keep their [`Spanned`] position, so the check can name the line.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::context::Context;
use super::{ConfigError, Mode};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct File {
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
    #[serde(default)]
    pub follow: Vec<Spanned<Follow>>,
}

impl File {
    /// Reads the text as TOML of the config's shape.
    ///
    /// The deserializer is wrapped by `serde_path_to_error` so that a wrong key or value is named
    /// by where serde was in the document (`bills[1].alerts.bogus`), not guessed from the text.
    pub(super) fn read(cx: &Context<'_>) -> Result<File, ConfigError> {
        let document = toml::Deserializer::parse(cx.text).map_err(|e| cx.syntax_error(&e))?;
        serde_path_to_error::deserialize(document).map_err(|e| cx.shape_error(e.inner(), e.path()))
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct Alerts {
    pub kinds: Option<Spanned<toml::Value>>,
    pub stages: Option<Spanned<toml::Value>>,
    pub documents: Option<Spanned<toml::Value>>,
    pub mode: Option<Spanned<String>>,
    pub daily_at: Option<Spanned<String>>,
    pub announce_new: Option<bool>,
    #[serde(default, with = "humantime_serde")]
    pub group_votes_after: Option<Duration>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct BillAlerts {
    pub kinds: Option<Spanned<toml::Value>>,
    pub stages: Option<Spanned<toml::Value>>,
    pub documents: Option<Spanned<toml::Value>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct Parliament {
    pub api_url: Option<Spanned<String>>,
    pub site_url: Option<Spanned<String>>,
    pub mode: Option<Mode>,
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
    pub commons_votes_url: Option<Spanned<String>>,
    pub lords_votes_url: Option<Spanned<String>>,
    pub votes: Option<bool>,
    #[serde(default, with = "humantime_serde")]
    pub votes_gap: Option<Duration>,
    pub max_bills: Option<Spanned<usize>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct Storage {
    pub path: Option<Spanned<String>>,
    #[serde(default, with = "humantime_serde")]
    pub keep_sent: Option<Duration>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Telegram {
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
    pub follow_any: Option<bool>,
    pub max_followed_bills: Option<Spanned<u32>>,
    pub max_follows: Option<Spanned<u32>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct Schedule {
    pub cron: Option<Spanned<String>>,
    pub check_at_start: Option<bool>,
    #[serde(default, with = "humantime_serde")]
    pub jitter: Option<Duration>,
    #[serde(default, with = "humantime_serde")]
    pub health_max_age: Option<Duration>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Bill {
    pub url: Option<Spanned<String>>,
    pub id: Option<Spanned<i64>>,
    pub name: Option<String>,
    pub chat: Option<Spanned<String>>,
    pub mode: Option<Mode>,
    pub alerts: Option<BillAlerts>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Follow {
    pub search: Option<Spanned<String>>,
    pub started_in: Option<Spanned<String>>,
    #[serde(rename = "type")]
    pub bill_type: Option<Spanned<toml::Value>>,
    pub session: Option<Spanned<String>>,
    pub name: Option<String>,
    pub chat: Option<Spanned<String>>,
    pub alerts: Option<BillAlerts>,
}
