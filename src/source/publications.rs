//! A bill's documents from the Bills API: `GET /api/v1/Bills/{id}/Publications`.

use chrono::NaiveDate;
use serde::Deserialize;

use super::ParseError;
use super::api::{clean_text, strip_bom};
use crate::document::Document;
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
    name: Option<String>,
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
