//! Where a stage takes place: the Commons, the Lords, or neither (Royal Assent). Pure.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Where a stage takes place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum House {
    Commons,
    Lords,
    /// Royal Assent and a few other stages belong to neither House.
    Unassigned,
    /// Both Houses (seen on some bill-level fields).
    All,
}

impl House {
    /// The name a person reads: "House of Commons", "House of Lords", or "" for neither.
    pub fn long_name(self) -> &'static str {
        match self {
            House::Commons => "House of Commons",
            House::Lords => "House of Lords",
            House::Unassigned | House::All => "",
        }
    }

    /// The other House, for "Lords amendments considered by the Commons" and the like.
    pub fn other(self) -> Option<House> {
        match self {
            House::Commons => Some(House::Lords),
            House::Lords => Some(House::Commons),
            House::Unassigned | House::All => None,
        }
    }
}

impl fmt::Display for House {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            House::Commons => "Commons",
            House::Lords => "Lords",
            House::Unassigned => "Unassigned",
            House::All => "All",
        })
    }
}

/// An unrecognised House name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown House {0:?} (expected Commons, Lords, Unassigned or All)")]
pub struct UnknownHouse(pub String);

impl FromStr for House {
    type Err = UnknownHouse;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "Commons" | "House of Commons" => Ok(House::Commons),
            "Lords" | "House of Lords" => Ok(House::Lords),
            "Unassigned" | "Not before either House" => Ok(House::Unassigned),
            "All" => Ok(House::All),
            other => Err(UnknownHouse(other.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn houses_parse_from_api_and_page_names() {
        assert_eq!("Commons".parse(), Ok(House::Commons));
        assert_eq!("House of Lords".parse(), Ok(House::Lords));
        assert_eq!("Not before either House".parse(), Ok(House::Unassigned));
        assert!("Senate".parse::<House>().is_err());
    }
}
