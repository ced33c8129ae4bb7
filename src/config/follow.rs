//! `[[follow]]`: rules that choose bills by what they are rather than by id. Each rule needs at
//! least one criterion: an empty rule would take on every bill Parliament has.

use toml::Spanned;

use super::context::Context;
use super::validate::{own_chat, own_filter};
use super::{ConfigError, TrackedBill, raw};
use crate::bill::BillId;
use crate::filter::AlertFilter;
use crate::follow::{Criteria, Sessions};
use crate::house::House;

/// One `[[follow]]` rule: every bill that matches it is tracked as if listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowRule {
    /// Where it is in the file: `follow[0]`.
    pub key: String,
    pub name: Option<String>,
    pub criteria: Criteria,
    /// Overrides `telegram.chat` for its bills' alerts.
    pub chat: Option<String>,
    /// Overrides `[alerts]`'s filter for its bills.
    pub filter: Option<AlertFilter>,
}

impl FollowRule {
    /// How messages name it: its name, else its place in the file.
    pub fn label(&self) -> String {
        match &self.name {
            Some(name) => format!("{} ({name})", self.key),
            None => self.key.clone(),
        }
    }

    /// The entry a bill it brought in is tracked with.
    pub fn tracked(&self, id: BillId) -> TrackedBill {
        TrackedBill {
            id,
            name: None,
            chat: self.chat.clone(),
            mode: None,
            filter: self.filter.clone(),
        }
    }
}

/// Every `[[follow]]` entry checked in order.
pub(super) fn rules(
    cx: &Context<'_>,
    entries: &[Spanned<raw::Follow>],
    has_telegram: bool,
    global: &AlertFilter,
) -> Result<Vec<FollowRule>, ConfigError> {
    entries
        .iter()
        .enumerate()
        .map(|(index, entry)| rule(cx, &format!("follow[{index}]"), entry, has_telegram, global))
        .collect()
}

fn rule(
    cx: &Context<'_>,
    key: &str,
    entry: &Spanned<raw::Follow>,
    has_telegram: bool,
    global: &AlertFilter,
) -> Result<FollowRule, ConfigError> {
    let f = entry.get_ref();
    let words = match &f.search {
        Some(s) if s.get_ref().trim().is_empty() => {
            let message = "must name some words of the title; leave the key out for none";
            return Err(cx.error(s.span(), &format!("{key}.search"), message));
        }
        Some(s) => Some(s.get_ref().trim().to_owned()),
        None => None,
    };
    let started_in = match &f.started_in {
        None => None,
        Some(h) => Some(match h.get_ref().trim().to_ascii_lowercase().as_str() {
            "commons" => House::Commons,
            "lords" => House::Lords,
            other => {
                let message = format!("{other:?} is not a House: use \"commons\" or \"lords\"");
                return Err(cx.error(h.span(), &format!("{key}.started_in"), message));
            }
        }),
    };
    let bill_type = match &f.bill_type {
        None => None,
        Some(t) => match t.get_ref() {
            toml::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            toml::Value::Integer(n) if *n > 0 => Some(n.to_string()),
            other => {
                let message = format!(
                    "{other} is not a bill type: give its name as Parliament writes it \
                     (\"Government Bill\") or its id"
                );
                return Err(cx.error(t.span(), &format!("{key}.type"), message));
            }
        },
    };
    let sessions = match f.session.as_ref().map(|s| (s, s.get_ref().trim())) {
        None | Some((_, "current")) => Sessions::Current,
        Some((_, "all")) => Sessions::All,
        Some((s, other)) => {
            let message = format!("{other:?} is not \"current\" or \"all\"");
            return Err(cx.error(s.span(), &format!("{key}.session"), message));
        }
    };
    let criteria = Criteria {
        words,
        started_in,
        bill_type,
        sessions,
    };
    if criteria.is_empty() {
        return Err(cx.error(
            entry.span(),
            key,
            "an empty rule would follow every bill: give it `search`, `started_in` or `type`",
        ));
    }
    Ok(FollowRule {
        key: key.to_owned(),
        name: f
            .name
            .as_ref()
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty()),
        criteria,
        chat: own_chat(cx, key, f.chat.as_ref(), has_telegram)?,
        filter: own_filter(cx, key, f.alerts.as_ref(), global)?,
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::Config;
    use crate::follow::Sessions;
    use crate::house::House;

    #[test]
    fn a_config_may_hold_rules_and_no_bills() {
        let text = "[[follow]]\nsearch = \"immigration\"\nstarted_in = \"Lords\"\n\
                    type = \"Government Bill\"\nsession = \"all\"\nname = \"Immigration\"\n";
        let config = Config::parse(text, Path::new("c.toml")).expect("rules only");
        assert!(config.bills.is_empty());
        let rule = &config.follow[0];
        assert_eq!(rule.criteria.words.as_deref(), Some("immigration"));
        assert_eq!(rule.criteria.started_in, Some(House::Lords));
        assert_eq!(rule.criteria.bill_type.as_deref(), Some("Government Bill"));
        assert_eq!(rule.criteria.sessions, Sessions::All);
        assert_eq!(rule.label(), "follow[0] (Immigration)");
        assert_eq!(config.parliament.max_bills, 200);
    }

    #[test]
    fn a_wrong_or_empty_rule_is_refused_naming_the_key() {
        for (text, key, says) in [
            ("[[follow]]\nname = \"x\"\n", "follow[0]", "an empty rule"),
            (
                "[[follow]]\nstarted_in = \"senate\"\n",
                "follow[0].started_in",
                "not a House",
            ),
            (
                "[[follow]]\ntype = 0\n",
                "follow[0].type",
                "not a bill type",
            ),
            (
                "[[follow]]\nsearch = \"x\"\nsession = \"old\"\n",
                "follow[0].session",
                "\"all\"",
            ),
            (
                "[[follow]]\nsearch = \" \"\n",
                "follow[0].search",
                "must name some words",
            ),
            (
                "[[follow]]\nsearch = \"x\"\nchat = \"@some_chat\"\n",
                "follow[0].chat",
                "[telegram]",
            ),
        ] {
            let e = Config::parse(text, Path::new("c.toml")).expect_err(text);
            assert_eq!(e.key.as_deref(), Some(key), "{e}");
            assert!(e.to_string().contains(says), "{e}");
        }
    }
}
