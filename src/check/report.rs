//! How a check's listing went, as its report and `check --json` say it.

use serde::Serialize;

/// How the listing went, for the report.
///
/// As JSON (`check --json`'s summary) it always has one shape, whatever happened:
/// `{"state": "not_used" | "used" | "failed", "changed": N or null, "error": text or null}`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Listing {
    /// Not asked: no earlier check, no bill it could spare, or switched off.
    #[default]
    NotUsed,
    /// Asked: this many bills changed since the last check.
    Used { changed: usize },
    /// Asked, failed: every bill was fetched.
    Failed { error: String },
}

impl Serialize for Listing {
    fn serialize<S>(&self, serializer: S) -> Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct as _;
        let (state, changed, error) = match self {
            Listing::NotUsed => ("not_used", None, None),
            Listing::Used { changed } => ("used", Some(*changed), None),
            Listing::Failed { error } => ("failed", None, Some(error.as_str())),
        };
        let mut json = serializer.serialize_struct("Listing", 3)?;
        json.serialize_field("state", state)?;
        json.serialize_field("changed", &changed)?;
        json.serialize_field("error", &error)?;
        json.end()
    }
}
