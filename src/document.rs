//! A bill's documents: what Parliament publishes for it (each print of the bill's text,
//! amendment papers, explanatory notes, briefings...), and which of them subscribers hear of.
//! Pure.
//!
//! # The default documents
//!
//! By default subscribers hear of each new print of the bill's text (type "Bill") and, at
//! ping-pong, of the other House's amendments and reasons. Which publication types those are
//! is read from Parliament's own list (`GET /api/v1/PublicationTypes`), not guessed: a type
//! counts when [`is_other_house_amendments`] says so of its name. Until that list is read
//! (`check` reads it only when a new document other than a print of the bill shows up, at most
//! once per `parliament.full_refresh`), or when it cannot be read, the default is "Bill" alone.
//!
//! "At ping-pong" needs no test of the bill's stages: those types are only ever published when
//! one House sends its amendments or reasons to the other, which is what ping-pong is. So they
//! are announced whenever published; asking for a ping-pong stage first would only hold back
//! the first round's amendments, published before the stage that considers them is listed.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::house::House;

/// One publication of a bill, as the Bills API lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    /// Parliament's publication id: what makes it the same document from check to check.
    pub id: u32,
    pub title: String,
    /// Its publication type, by name ("Bill", "Amendment Paper", "Explanatory Notes", ...).
    pub kind: String,
    pub house: Option<House>,
    pub date: Option<NaiveDate>,
    /// Where to read it (the first link Parliament gives, HTML preferred).
    pub url: Option<String>,
}

/// The publication types announced unless the config says otherwise: each new print of the
/// bill's text.
pub const DEFAULT_KINDS: &[&str] = &["Bill"];

/// Which documents are announced (`[alerts] documents`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Documents {
    /// New prints of the bill ([`DEFAULT_KINDS`]): the default as far as it is known without
    /// Parliament's list of publication types.
    #[default]
    Default,
    /// The default once that list was read: new prints of the bill, and these publication
    /// types, the other House's amendments and reasons ([`ping_pong_kinds`]). Never written in
    /// a config: a check makes it from [`Documents::Default`] ([`Documents::with_ping_pong`]).
    DefaultAnd(Vec<String>),
    All,
    /// These publication types, by name (any case).
    List(Vec<String>),
}

impl Documents {
    /// Whether a document of publication type `kind` is announced.
    pub fn allows(&self, kind: &str) -> bool {
        let is = |name: &str| name.trim().eq_ignore_ascii_case(kind.trim());
        match self {
            Documents::Default => DEFAULT_KINDS.iter().any(|n| is(n)),
            Documents::DefaultAnd(kinds) => {
                DEFAULT_KINDS.iter().any(|n| is(n)) || kinds.iter().any(|n| is(n))
            }
            Documents::All => true,
            Documents::List(kinds) => kinds.iter().any(|n| is(n)),
        }
    }

    /// This choice with the default completed by `kinds` (the other House's amendments and
    /// reasons, from [`ping_pong_kinds`]); any other choice as it is.
    pub fn with_ping_pong(&self, kinds: &[String]) -> Documents {
        match self {
            Documents::Default => Documents::DefaultAnd(kinds.to_vec()),
            other => other.clone(),
        }
    }

    /// Whether Parliament's list of publication types could change what this choice allows of
    /// a document of type `kind`: only the default's, and not for a print of the bill.
    pub fn may_allow(&self, kind: &str) -> bool {
        matches!(self, Documents::Default) && !self.allows(kind)
    }
}

/// One of Parliament's publication types (`GET /api/v1/PublicationTypes`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicationType {
    pub id: u32,
    pub name: String,
}

/// Parliament's list of publication types as read at `read_at`: what is kept between checks
/// (in the store's `meta`, as JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownTypes {
    pub read_at: DateTime<Utc>,
    pub types: Vec<PublicationType>,
}

impl KnownTypes {
    /// Whether the list is recent enough at `now` to be used without asking again: read less
    /// than `max_age` ago (`parliament.full_refresh`), and not in the future (a clock that was
    /// ahead).
    pub fn is_fresh(&self, now: DateTime<Utc>, max_age: chrono::Duration) -> bool {
        self.read_at <= now && now - self.read_at < max_age
    }
}

/// The words that name a House in a publication type's name.
const HOUSES: &[&str] = &["lords", "commons"];
/// What one House sends the other at ping-pong.
const SENT: &[&str] = &["amendments", "amendment", "reasons", "reason"];

/// Whether a publication type, by its `name`, is one House's amendments or reasons sent to the
/// other: a House named just before them ("Lords amendments", "Commons Reasons and Amendments
/// in Lieu") or after them with "of"/"from" ("Amendments from the House of Lords"). Papers of
/// amendments tabled in one House are not: no House ("Amendment Paper"), or a House only
/// labelling where they were tabled ("Selection of amendments: Commons", "Grouping of
/// amendments: Lords").
pub fn is_other_house_amendments(name: &str) -> bool {
    let lower = name.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let is_house = |w: Option<&&str>| w.is_some_and(|w| HOUSES.contains(w));
    words.iter().enumerate().any(|(i, word)| {
        if !SENT.contains(word) {
            return false;
        }
        let before = i.checked_sub(1).and_then(|j| words.get(j));
        // "of the House of Lords", "from the Lords", "from Commons".
        let mut after = words[i + 1..].iter();
        let by_house = matches!(after.next(), Some(&("of" | "from")))
            && is_house(after.find(|w| !matches!(**w, "the" | "house" | "of")));
        is_house(before) || by_house
    })
}

/// The names of the publication types that are the other House's amendments and reasons at
/// ping-pong ([`is_other_house_amendments`]), in the list's order.
pub fn ping_pong_kinds(types: &[PublicationType]) -> Vec<String> {
    types
        .iter()
        .filter(|t| is_other_house_amendments(&t.name))
        .map(|t| t.name.clone())
        .collect()
}

/// The documents of `current` that `previous` did not have, in `current`'s order. Nothing when
/// either was not read (a source that does not show documents, or a failed read): documents
/// seen for the first time are recorded silently.
pub fn new_documents<'a>(
    previous: Option<&[Document]>,
    current: Option<&'a [Document]>,
) -> Vec<&'a Document> {
    let (Some(previous), Some(current)) = (previous, current) else {
        return Vec::new();
    };
    current
        .iter()
        .filter(|d| previous.iter().all(|p| p.id != d.id))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(id: u32, kind: &str) -> Document {
        Document {
            id,
            title: format!("Document {id}"),
            kind: kind.to_owned(),
            house: Some(House::Commons),
            date: None,
            url: None,
        }
    }

    #[test]
    fn only_documents_not_seen_before_are_new_and_only_when_both_were_read() {
        let before = [doc(1, "Bill"), doc(2, "Amendment Paper")];
        let after = [doc(3, "Bill"), doc(1, "Bill"), doc(2, "Amendment Paper")];
        let ids = |v: Vec<&Document>| v.iter().map(|d| d.id).collect::<Vec<_>>();
        assert_eq!(ids(new_documents(Some(&before), Some(&after))), [3]);
        assert_eq!(ids(new_documents(None, Some(&after))), Vec::<u32>::new());
        assert_eq!(ids(new_documents(Some(&before), None)), Vec::<u32>::new());
    }

    #[test]
    fn the_default_is_new_prints_of_the_bill() {
        assert!(Documents::Default.allows("Bill"));
        assert!(!Documents::Default.allows("Amendment Paper"));
        assert!(Documents::All.allows("Briefing papers"));
        let chosen = Documents::List(vec!["explanatory notes".to_owned()]);
        assert!(chosen.allows("Explanatory Notes") && !chosen.allows("Bill"));
    }

    #[test]
    fn a_types_list_is_used_for_full_refresh_then_read_again() {
        let at = |h: u32| {
            chrono::NaiveDate::from_ymd_opt(2025, 11, 20)
                .and_then(|d| d.and_hms_opt(h, 0, 0))
                .expect("time")
                .and_utc()
        };
        let known = KnownTypes {
            read_at: at(10),
            types: Vec::new(),
        };
        let day = chrono::Duration::hours(10);
        assert!(known.is_fresh(at(10), day));
        assert!(known.is_fresh(at(19), day));
        assert!(
            !known.is_fresh(at(20), day),
            "read full_refresh ago: asked again"
        );
        assert!(
            !known.is_fresh(at(9), day),
            "read in the future: asked again"
        );
    }

    #[test]
    fn which_publication_types_are_the_other_houses_amendments() {
        let table = [
            ("Lords amendments", true),
            ("Commons amendments", true),
            ("Lords Reasons", true),
            ("Commons Reasons", true),
            ("Commons Reasons and Amendments in Lieu", true),
            ("Lords Amendment", true),
            ("Amendments from the House of Lords", true),
            ("Reasons of the Commons", true),
            ("Amendment Paper", false),
            ("Selection of amendments: Commons", false),
            ("Grouping of amendments: Lords", false),
            ("Bill proceedings: Commons", false),
            ("Tracked changes versions of Bills: Commons", false),
            ("Lords Marshalled List", false),
            ("Bill", false),
            ("Explanatory Notes", false),
            ("Briefing papers", false),
            ("Written evidence", false),
            ("Amendments tabled in the Commons", false),
            ("", false),
        ];
        for (name, expected) in table {
            assert_eq!(is_other_house_amendments(name), expected, "{name:?}");
        }
    }

    #[test]
    fn the_default_completed_by_the_types_list() {
        let types = [
            PublicationType {
                id: 5,
                name: "Bill".into(),
            },
            PublicationType {
                id: 7,
                name: "Amendment Paper".into(),
            },
            PublicationType {
                id: 24,
                name: "Lords amendments".into(),
            },
            PublicationType {
                id: 27,
                name: "Commons Reasons".into(),
            },
        ];
        let kinds = ping_pong_kinds(&types);
        assert_eq!(kinds, ["Lords amendments", "Commons Reasons"]);
        let default = Documents::Default.with_ping_pong(&kinds);
        assert_eq!(
            default,
            Documents::DefaultAnd(vec!["Lords amendments".into(), "Commons Reasons".into()])
        );
        assert!(default.allows("Bill") && default.allows("lords AMENDMENTS"));
        assert!(!default.allows("Amendment Paper"));
        assert_eq!(Documents::All.with_ping_pong(&kinds), Documents::All);
        // Only the default, and only for something other than a print of the bill, waits on
        // the list.
        assert!(Documents::Default.may_allow("Lords amendments"));
        assert!(Documents::Default.may_allow("Amendment Paper"));
        assert!(!Documents::Default.may_allow("Bill"));
        assert!(!Documents::All.may_allow("Lords amendments"));
        assert!(!default.may_allow("Lords amendments"));
    }
}
