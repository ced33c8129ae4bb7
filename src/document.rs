//! A bill's documents: what Parliament publishes for it (each print of the bill's text,
//! amendment papers, explanatory notes, briefings...), and which of them subscribers hear of.
//! Pure.

use chrono::NaiveDate;
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
    /// New prints of the bill ([`DEFAULT_KINDS`]).
    #[default]
    Default,
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
            Documents::All => true,
            Documents::List(kinds) => kinds.iter().any(|n| is(n)),
        }
    }
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
}
