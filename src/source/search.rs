//! Finding bills: `GET /api/v1/Bills` with a search term and filters, and the bill types
//! (`GET /api/v1/BillTypes`) a filter may name. The query is built and the answers read here;
//! [`super::ApiSource`] sends them.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use super::ParseError;
use super::api::{clean_text, parse_datetime, strip_bom};
use crate::bill::BillId;
use crate::house::House;

/// How many bills one search shows.
pub const SEARCH_TAKE: usize = 20;

/// What to look for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchQuery {
    /// Words of the bill's title.
    pub term: String,
    /// Where the bill is now.
    pub house: Option<House>,
    /// A bill type, by id ([`bill_type_id`] reads a name).
    pub bill_type: Option<u32>,
    /// Only bills of this session (`None`: every session).
    pub session: Option<u32>,
}

impl SearchQuery {
    /// The path and query of `GET /api/v1/Bills` for it, newest first.
    pub fn path(&self, take: usize) -> String {
        self.page_path(0, take)
    }

    /// The path of the page that starts `skip` bills in.
    pub fn page_path(&self, skip: usize, take: usize) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair("SearchTerm", self.term.trim());
        if let Some(house) = self.house {
            q.append_pair("CurrentHouse", &house.to_string());
        }
        if let Some(t) = self.bill_type {
            q.append_pair("BillType", &t.to_string());
        }
        if let Some(s) = self.session {
            q.append_pair("Session", &s.to_string());
        }
        q.append_pair("SortOrder", "DateUpdatedDescending");
        q.append_pair("Skip", &skip.to_string());
        q.append_pair("Take", &take.to_string());
        format!("api/v1/Bills?{}", q.finish())
    }
}

/// One bill as a search lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FoundBill {
    pub id: BillId,
    pub title: String,
    /// Its current stage, by name, and where.
    pub stage: Option<String>,
    pub house: Option<House>,
    pub updated: Option<NaiveDateTime>,
    pub bill_type: Option<u32>,
    /// The sessions it belongs to (introduced in, or carried over into).
    pub sessions: Vec<u32>,
    /// Where it was introduced.
    #[serde(skip)]
    pub started_in: Option<House>,
}

/// One page of a search: the bills on it and how many match in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub bills: Vec<FoundBill>,
    pub total: usize,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApiList {
    items: Option<Vec<ApiItem>>,
    total_results: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApiItem {
    bill_id: Option<i64>,
    short_title: Option<String>,
    current_house: Option<String>,
    originating_house: Option<String>,
    last_update: Option<String>,
    bill_type_id: Option<i64>,
    introduced_session_id: Option<i64>,
    #[serde(default)]
    included_session_ids: Vec<i64>,
    current_stage: Option<ApiStage>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApiStage {
    description: Option<String>,
    house: Option<String>,
}

/// Reads one page of `GET /api/v1/Bills`, each bill with its title, stage and sessions.
pub fn parse_found(body: &[u8]) -> Result<Found, ParseError> {
    let body = strip_bom(body);
    let raw: ApiList = serde_json::from_slice(body)
        .map_err(|e| ParseError::new(format!("not a list of bills: {e}")))?;
    let items = raw
        .items
        .ok_or_else(|| ParseError::new("the list of bills has no `items`"))?;
    let mut bills = Vec::with_capacity(items.len());
    for item in items {
        let id = item
            .bill_id
            .and_then(|n| BillId::try_from(n).ok())
            .ok_or_else(|| ParseError::new("a bill in the list has no valid `billId`"))?;
        let title = item
            .short_title
            .as_deref()
            .map(clean_text)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ParseError::new(format!("bill {id} in the list has no `shortTitle`")))?;
        let house_of = |h: Option<&str>| h.and_then(|h| h.parse::<House>().ok());
        let (stage, stage_house) = match &item.current_stage {
            Some(s) => (
                s.description.as_deref().map(clean_text),
                house_of(s.house.as_deref()),
            ),
            None => (None, None),
        };
        let mut sessions: Vec<u32> = item
            .included_session_ids
            .iter()
            .chain(item.introduced_session_id.as_ref())
            .filter_map(|s| u32::try_from(*s).ok())
            .collect();
        sessions.sort_unstable();
        sessions.dedup();
        bills.push(FoundBill {
            id,
            title,
            stage,
            house: stage_house.or_else(|| house_of(item.current_house.as_deref())),
            updated: item
                .last_update
                .as_deref()
                .map(parse_datetime)
                .transpose()?,
            bill_type: item.bill_type_id.and_then(|t| u32::try_from(t).ok()),
            sessions,
            started_in: house_of(item.originating_house.as_deref()),
        });
    }
    let total = raw
        .total_results
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(bills.len());
    Ok(Found { bills, total })
}

/// The newest session any of `bills` belongs to: "the current session" as Parliament's data
/// shows it.
pub fn newest_session(bills: &[FoundBill]) -> Option<u32> {
    bills.iter().flat_map(|b| b.sessions.iter().copied()).max()
}

#[derive(Deserialize)]
struct ApiTypes {
    items: Option<Vec<ApiType>>,
}

#[derive(Deserialize)]
struct ApiType {
    id: Option<i64>,
    name: Option<String>,
}

/// Reads `GET /api/v1/BillTypes`: each type's id and name.
pub fn parse_bill_types(body: &[u8]) -> Result<Vec<(u32, String)>, ParseError> {
    let body = strip_bom(body);
    let raw: ApiTypes = serde_json::from_slice(body)
        .map_err(|e| ParseError::new(format!("not a list of bill types: {e}")))?;
    let items = raw
        .items
        .ok_or_else(|| ParseError::new("the list of bill types has no `items`"))?;
    items
        .into_iter()
        .map(
            |t| match (t.id.and_then(|n| u32::try_from(n).ok()), t.name) {
                (Some(id), Some(name)) if !name.trim().is_empty() => Ok((id, clean_text(&name))),
                _ => Err(ParseError::new("a bill type has no id or no name")),
            },
        )
        .collect()
}

/// The id of the bill type `wanted` names: its id, or its name in any case ("Private Members'
/// Bill (Ballot)", "government bill" also matches "Government Bill"). `Err` lists the names.
pub fn bill_type_id(types: &[(u32, String)], wanted: &str) -> Result<u32, String> {
    let wanted = wanted.trim();
    if let Ok(id) = wanted.parse::<u32>()
        && types.iter().any(|(t, _)| *t == id)
    {
        return Ok(id);
    }
    let norm = |s: &str| s.to_lowercase().replace(['\'', '’'], "");
    let found: Vec<u32> = types
        .iter()
        .filter(|(_, name)| {
            norm(name) == norm(wanted) || norm(name) == norm(&format!("{wanted} bill"))
        })
        .map(|(id, _)| *id)
        .collect();
    match found.as_slice() {
        [one] => Ok(*one),
        _ => Err(format!(
            "{wanted:?} is not a bill type; Parliament's are: {}",
            types
                .iter()
                .map(|(id, n)| format!("{n} ({id})"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_asks_for_what_was_given_newest_first() {
        let q = SearchQuery {
            term: " border security ".into(),
            house: Some(House::Lords),
            bill_type: Some(1),
            session: Some(40),
        };
        assert_eq!(
            q.path(20),
            "api/v1/Bills?SearchTerm=border+security&CurrentHouse=Lords&BillType=1&Session=40\
             &SortOrder=DateUpdatedDescending&Skip=0&Take=20"
        );
    }

    #[test]
    fn bill_types_by_id_or_name() {
        let types = vec![
            (1, "Government Bill".to_owned()),
            (7, "Private Members' Bill (Ballot)".to_owned()),
        ];
        assert_eq!(bill_type_id(&types, "government bill"), Ok(1));
        assert_eq!(bill_type_id(&types, "Government"), Ok(1));
        assert_eq!(
            bill_type_id(&types, "Private Members’ Bill (Ballot)"),
            Ok(7)
        );
        assert_eq!(bill_type_id(&types, "7"), Ok(7));
        let e = bill_type_id(&types, "Hybrid").expect_err("unknown");
        assert!(e.contains("Government Bill (1)"), "{e}");
    }
}
