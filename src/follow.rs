//! Follow rules: which bills a `[[follow]]` rule takes on. Pure: the current session and the
//! rule's bill type id are parameters, resolved by the check.
//!
//! A rule has any of: words of the short title, the House the bill started in, a bill type, and
//! the sessions it looks at (the current one, or all). A bill matches when it meets every
//! criterion the rule has. The Bills API's search matches words in short and long titles, so a
//! bill the search found is taken on its word without looking at its title again
//! ([`Candidate::title`] `None`); a bill seen only in the listing of recent updates is matched on
//! its short title.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::house::House;

/// Which sessions a rule looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Sessions {
    /// The newest session Parliament's data shows (a bill carried over into it belongs to it).
    #[default]
    Current,
    All,
}

/// What a rule asks of a bill, as the config gives it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Criteria {
    /// Words that must all be in the title (any case).
    pub words: Option<String>,
    /// The House the bill was introduced in.
    pub started_in: Option<House>,
    /// A bill type as written: its name or its id (resolved at check time).
    pub bill_type: Option<String>,
    pub sessions: Sessions,
}

impl Criteria {
    /// A rule with no criterion would take on every bill.
    pub fn is_empty(&self) -> bool {
        self.words.is_none() && self.started_in.is_none() && self.bill_type.is_none()
    }

    /// What identifies the rule in the database: its criteria, so that a changed rule is a new
    /// rule (whose bills already there are recorded silently).
    pub fn signature(&self) -> String {
        format!(
            "words={:?};started_in={:?};type={:?};sessions={:?}",
            self.words.as_deref().map(str::to_lowercase),
            self.started_in,
            self.bill_type,
            self.sessions
        )
    }

    /// Whether `bill` matches, given the rule's bill type id (`type_id`, when the rule names a
    /// type) and the current session (`current`, when the rule wants it; unknown: any session).
    pub fn matches(&self, type_id: Option<u32>, current: Option<u32>, bill: &Candidate) -> bool {
        let words = match (&self.words, bill.title) {
            (Some(words), Some(title)) => has_words(title, words),
            _ => true,
        };
        let house = self
            .started_in
            .is_none_or(|h| bill.started_in.is_none_or(|b| b == h));
        let kind = self.bill_type.is_none() || (type_id.is_some() && bill.bill_type == type_id);
        let session = match (self.sessions, current) {
            (Sessions::Current, Some(current)) => bill.sessions.contains(&current),
            _ => true,
        };
        words && house && kind && session
    }
}

/// What a rule asks, in words: `search "immigration", started in the House of Commons, bills of
/// the current session`.
impl std::fmt::Display for Criteria {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        if let Some(words) = &self.words {
            parts.push(format!("search {words:?}"));
        }
        if let Some(house) = self.started_in {
            parts.push(format!("started in the {}", house.long_name()));
        }
        if let Some(kind) = &self.bill_type {
            parts.push(format!("type {kind:?}"));
        }
        parts.push(
            match self.sessions {
                Sessions::Current => "bills of the current session",
                Sessions::All => "bills of every session",
            }
            .to_owned(),
        );
        f.write_str(&parts.join(", "))
    }
}

/// A bill as a rule sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate<'a> {
    /// Its short title; `None` when the server's search already matched the words.
    pub title: Option<&'a str>,
    /// Where it was introduced, when known (unknown never keeps a bill out).
    pub started_in: Option<House>,
    pub bill_type: Option<u32>,
    /// The sessions it belongs to.
    pub sessions: &'a [u32],
}

/// Whether a bill first seen after its rule's first search (on `since`) is news: introduced
/// (its first stage's first day, `introduced_on`) that day or later. A bill the first search
/// missed, introduced before it, is not; one whose introduction date is unknown is.
pub fn is_new(introduced_on: Option<NaiveDate>, since: NaiveDate) -> bool {
    introduced_on.is_none_or(|day| day >= since)
}

/// Every word of `words` is in `title`, whatever the case.
fn has_words(title: &str, words: &str) -> bool {
    let title = title.to_lowercase();
    words
        .split_whitespace()
        .all(|w| title.contains(&w.to_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(words: Option<&str>, house: Option<House>, kind: Option<&str>) -> Criteria {
        Criteria {
            words: words.map(str::to_owned),
            started_in: house,
            bill_type: kind.map(str::to_owned),
            sessions: Sessions::Current,
        }
    }

    #[test]
    fn a_bill_matches_every_criterion_of_its_rule() {
        let bill = |title, house, kind, sessions: &'static [u32]| Candidate {
            title: Some(title),
            started_in: Some(house),
            bill_type: Some(kind),
            sessions,
        };
        let border = bill("Border Security Bill", House::Commons, 1, &[39, 40]);
        let lords = bill("Border Control Bill [HL]", House::Lords, 2, &[40]);
        let old = bill("Border Security Bill", House::Commons, 1, &[38]);
        let commons = Some(House::Commons);
        for (criteria, type_id, expected) in [
            (
                rule(Some("border security"), None, None),
                None,
                [true, false, false],
            ),
            (rule(Some("BORDER"), None, None), None, [true, true, false]),
            (rule(None, commons, None), None, [true, false, false]),
            (
                rule(None, Some(House::Lords), None),
                None,
                [false, true, false],
            ),
            (
                rule(None, None, Some("Government Bill")),
                Some(1),
                [true, false, false],
            ),
            (
                rule(None, None, Some("Hybrid")),
                None,
                [false, false, false],
            ),
            (
                rule(Some("border"), commons, Some("1")),
                Some(1),
                [true, false, false],
            ),
        ] {
            let got = [&border, &lords, &old].map(|b| criteria.matches(type_id, Some(40), b));
            assert_eq!(got, expected, "{criteria:?}");
        }
        let all = Criteria {
            sessions: Sessions::All,
            ..rule(Some("border security"), None, None)
        };
        assert!(all.matches(None, Some(40), &old));
        // The search matched the words already (perhaps in the long title).
        let searched = Candidate {
            title: None,
            ..lords
        };
        assert!(rule(Some("asylum"), None, None).matches(None, Some(40), &searched));
    }

    #[test]
    fn a_bill_is_new_when_introduced_on_or_after_its_rules_first_search() {
        let day = |d: u32| NaiveDate::from_ymd_opt(2025, 3, d);
        let since = day(2).expect("date");
        assert!(!is_new(day(1), since));
        assert!(is_new(day(2), since));
        assert!(is_new(day(3), since));
        assert!(is_new(None, since));
    }

    #[test]
    fn an_empty_rule_is_empty_and_rules_differ_by_criteria() {
        assert!(Criteria::default().is_empty());
        let a = rule(Some("Border"), None, None);
        assert!(!a.is_empty());
        assert_eq!(a.signature(), rule(Some("border"), None, None).signature());
        assert_ne!(
            a.signature(),
            rule(Some("border"), Some(House::Lords), None).signature()
        );
    }
}
