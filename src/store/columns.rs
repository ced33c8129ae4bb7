//! Values the database keeps as text, read back into their types. A value that does not read
//! fails as a conversion, which the store reports as [`super::StoreError::Decode`].

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ValueRef};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A value kept as JSON (a snapshot, an event).
#[derive(Debug)]
pub(super) struct Json<T>(pub T);

impl<T: DeserializeOwned> FromSql for Json<T> {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        serde_json::from_str(value.as_str()?)
            .map(Json)
            .map_err(|e| undecodable(format!("{}: {e}", short_type_name::<T>())))
    }
}

/// `value` as the JSON the database keeps.
pub(super) fn to_json<T: Serialize>(value: &T) -> rusqlite::Result<String> {
    serde_json::to_string(value).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

/// An instant kept in RFC 3339.
#[derive(Debug)]
pub(super) struct Rfc3339(pub DateTime<Utc>);

impl FromSql for Rfc3339 {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let text = value.as_str()?;
        DateTime::parse_from_rfc3339(text)
            .map(|t| Rfc3339(t.with_timezone(&Utc)))
            .map_err(|e| undecodable(format!("timestamp {text:?}: {e}")))
    }
}

/// A calendar day kept as `2025-02-10`.
#[derive(Debug)]
pub(super) struct Day(pub NaiveDate);

impl FromSql for Day {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let text = value.as_str()?;
        text.parse()
            .map(Day)
            .map_err(|e| undecodable(format!("day {text:?}: {e}")))
    }
}

/// A stored value that is not what billwatch writes.
pub(super) fn undecodable(detail: String) -> FromSqlError {
    FromSqlError::Other(detail.into())
}

/// `Snapshot` rather than `billwatch::bill::Snapshot`, for messages.
fn short_type_name<T>() -> &'static str {
    let name = std::any::type_name::<T>();
    name.rsplit("::").next().unwrap_or(name)
}
