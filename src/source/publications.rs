//! A bill's documents from the Bills API: `GET /api/v1/Bills/{id}/Publications`; and
//! Parliament's publication types: `GET /api/v1/PublicationTypes`.

use chrono::NaiveDate;
use serde::Deserialize;

use super::ParseError;
use super::api::{clean_text, strip_bom};
use crate::document::{Document, PublicationType};
use crate::house::House;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApiPublications {
    publications: Option<Vec<ApiPublication>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApiPublication {
    id: Option<i64>,
    house: Option<String>,
    title: Option<String>,
    display_date: Option<String>,
    publication_type: Option<ApiType>,
    #[serde(default)]
    links: Vec<ApiLink>,
}

#[derive(Deserialize)]
struct ApiType {
    id: Option<i64>,
    name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApiTypes {
    items: Option<Vec<ApiType>>,
    total_results: Option<i64>,
}

/// One page of `/api/v1/PublicationTypes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypesPage {
    pub types: Vec<PublicationType>,
    /// How many types there are in all (`totalResults`).
    pub total: usize,
}

/// Parses one page of `/api/v1/PublicationTypes` (`PublicationTypeSearchResult`). A type
/// without an id or a name is an error, never guessed at.
pub fn parse_publication_types(body: &[u8]) -> Result<TypesPage, ParseError> {
    let raw: ApiTypes = serde_json::from_slice(strip_bom(body))
        .map_err(|e| ParseError::new(format!("not a list of publication types: {e}")))?;
    let Some(items) = raw.items else {
        return Err(ParseError::new("the answer has no `items`"));
    };
    let types = items
        .into_iter()
        .map(|t| {
            let id =
                t.id.and_then(|n| u32::try_from(n).ok())
                    .ok_or_else(|| ParseError::new("a publication type has no valid `id`"))?;
            let name = t
                .name
                .as_deref()
                .map(clean_text)
                .filter(|n| !n.is_empty())
                .ok_or_else(|| ParseError::new(format!("publication type {id} has no name")))?;
            Ok(PublicationType { id, name })
        })
        .collect::<Result<Vec<_>, ParseError>>()?;
    let total = match raw.total_results {
        None => types.len(),
        Some(n) => usize::try_from(n).map_err(|_| {
            ParseError::new(format!("the answer says there are {n} publication types"))
        })?,
    };
    Ok(TypesPage { types, total })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApiLink {
    url: Option<String>,
    content_type: Option<String>,
}

/// Parses `/api/v1/Bills/{id}/Publications`: every document, as listed. A publication without
/// an id, a title or a type is an error, never guessed at.
pub fn parse_publications(body: &[u8]) -> Result<Vec<Document>, ParseError> {
    let body = strip_bom(body);
    let raw: ApiPublications = serde_json::from_slice(body)
        .map_err(|e| ParseError::new(format!("not a list of publications: {e}")))?;
    let Some(publications) = raw.publications else {
        return Err(ParseError::new("the answer has no `publications`"));
    };
    publications.into_iter().map(document).collect()
}

fn document(p: ApiPublication) -> Result<Document, ParseError> {
    let id =
        p.id.and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| ParseError::new("a publication has no valid `id`"))?;
    let text = |s: Option<String>, what: &str| {
        s.as_deref()
            .map(clean_text)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ParseError::new(format!("publication {id} has no {what}")))
    };
    let title = text(p.title, "title")?;
    let kind = text(p.publication_type.and_then(|t| t.name), "publication type")?;
    let date = match p.display_date.as_deref() {
        None => None,
        Some(d) => Some(
            d.get(..10)
                .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                .ok_or_else(|| {
                    ParseError::new(format!(
                        "publication {id} has a date billwatch cannot read: {d:?}"
                    ))
                })?,
        ),
    };
    let house = p.house.as_deref().and_then(|h| h.parse::<House>().ok());
    // Where to read it: a web page when there is one, else the first link.
    let url = p
        .links
        .iter()
        .find(|l| l.content_type.as_deref() == Some("text/html"))
        .or_else(|| p.links.first())
        .and_then(|l| l.url.clone())
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"));
    Ok(Document {
        id,
        title,
        kind,
        house,
        date,
        url,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::ping_pong_kinds;

    /// billwatch's own fixture: made in the API's shape, not captured (see its README).
    const TYPES: &[u8] = include_bytes!("../../tests/fixtures/api/publication-types.json");

    #[test]
    fn the_publication_types_as_the_api_lists_them() {
        let page = parse_publication_types(TYPES).expect("parses");
        assert_eq!(page.total, 26);
        assert_eq!(page.types.len(), 26);
        assert_eq!(
            page.types[4],
            PublicationType {
                id: 5,
                name: "Bill".into()
            }
        );
        assert_eq!(
            ping_pong_kinds(&page.types),
            [
                "Lords amendments",
                "Commons amendments",
                "Lords Reasons",
                "Commons Reasons",
                "Commons Reasons and Amendments in Lieu"
            ]
        );
    }

    #[test]
    fn a_type_without_a_name_or_a_list_without_items_is_an_error() {
        let error = |body: &str| {
            parse_publication_types(body.as_bytes())
                .expect_err("an error")
                .0
        };
        assert_eq!(
            error(r#"{"items": [{"id": 3, "name": " "}], "totalResults": 1}"#),
            "publication type 3 has no name"
        );
        assert_eq!(
            error(r#"{"items": [{"name": "Bill"}]}"#),
            "a publication type has no valid `id`"
        );
        assert_eq!(error(r#"{"totalResults": 0}"#), "the answer has no `items`");
        let page = parse_publication_types(br#"{"items": [{"id": 5, "name": "Bill"}]}"#)
            .expect("no totalResults: the items are all");
        assert_eq!(page.total, 1);
    }
}
