//! Checks of single values that several sections share: base URLs, chats, alert kinds and
//! stages, durations and numeric ranges. Each names the key it was given when it fails.

use std::fmt;
use std::ops::RangeInclusive;
use std::time::Duration;

use toml::Spanned;
use url::Url;

use super::ConfigError;
use super::context::Context;
use crate::changes::EventKind;
use crate::document::Documents;
use crate::filter::{KNOWN_STAGES, Kinds, Stages};

impl Context<'_> {
    pub fn base_url(
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

    pub fn chat(&self, value: &Spanned<String>, key: &str) -> Result<String, ConfigError> {
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
    pub fn kinds(
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

    /// `"default"`, `"all"` or a list of publication type names ("Bill", "Amendment Paper",
    /// "Explanatory Notes", ...: as Parliament names them; any case).
    pub fn documents(
        &self,
        value: Option<&Spanned<toml::Value>>,
        key: &str,
    ) -> Result<Option<Documents>, ConfigError> {
        let Some(value) = value else { return Ok(None) };
        let refuse = |what: String| {
            Err(self.error(
                value.span(),
                key,
                format!(
                    "{what} is not \"default\", \"all\" or a list of publication types such \
                     as [\"Bill\", \"Explanatory Notes\"]"
                ),
            ))
        };
        match value.get_ref() {
            toml::Value::String(s) if s == "default" => Ok(Some(Documents::Default)),
            toml::Value::String(s) if s == "all" => Ok(Some(Documents::All)),
            toml::Value::Array(items) => {
                let mut kinds = Vec::new();
                for item in items {
                    match item.as_str().map(str::trim) {
                        Some(name) if !name.is_empty() => kinds.push(name.to_owned()),
                        _ => return refuse(item.to_string()),
                    }
                }
                Ok(Some(Documents::List(kinds)))
            }
            other => refuse(other.to_string()),
        }
    }

    /// `"major"`, `"all"` or a list of stage names.
    pub fn stages(
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

    /// A duration within `range` (a zero or an absurdly long one would stall or break the
    /// worker), else the default when the key is left out.
    pub fn duration(
        &self,
        value: Option<Duration>,
        key: &str,
        default: Duration,
        range: std::ops::RangeInclusive<Duration>,
    ) -> Result<Duration, ConfigError> {
        match value {
            None => Ok(default),
            Some(d) if range.contains(&d) => Ok(d),
            Some(d) if d.is_zero() => Err(self.error(
                0..0,
                key,
                format!(
                    "must be longer than zero: use {} to {}",
                    humantime::format_duration(*range.start()),
                    humantime::format_duration(*range.end())
                ),
            )),
            Some(d) => Err(self.error(
                0..0,
                key,
                format!(
                    "{} is out of range: use {} to {}",
                    humantime::format_duration(d),
                    humantime::format_duration(*range.start()),
                    humantime::format_duration(*range.end())
                ),
            )),
        }
    }

    pub fn in_range<T>(
        &self,
        value: Option<Spanned<T>>,
        key: &str,
        default: T,
        range: RangeInclusive<T>,
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
