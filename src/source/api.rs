//! The Bills API (`bills-api.parliament.uk`): JSON in, the model out.
//!
//! Parsing is lenient about keys Parliament adds and strict about the values billwatch relies
//! on: a stage without an id or a House it does not know is an error, not a guess.

use chrono::{NaiveDate, NaiveDateTime};
use serde::Deserialize;
use url::Url;

use super::http::{FetchError, Http};
use super::parsing::Parsing;
use super::publications::{parse_publication_types, parse_publications};
use super::search::{
    Found, FoundBill, SEARCH_TAKE, SearchQuery, newest_session, parse_bill_types, parse_found,
};
use super::{ParseError, SourceError};
use crate::bill::{Bill, BillId, CurrentStage, House, Snapshot, Sponsor, Stage};
use crate::config::join;
use crate::document::{Document, PublicationType};

/// Stages asked for per page (the API's default is 20).
const PAGE_SIZE: usize = 100;
/// A bill with more pages than this is not a bill: stop rather than loop.
const MAX_PAGES: usize = super::MAX_STAGES / PAGE_SIZE;
/// Bills asked for per page of the listing.
const LISTING_PAGE: usize = 50;
/// More changed bills than this many pages since the last check: fetch every bill instead.
const MAX_LISTING_PAGES: usize = 20;
/// Publication types asked for per page, and the most pages read (there are a few dozen).
const TYPES_PAGE: usize = 100;
const MAX_TYPES_PAGES: usize = 10;

/// Why the listing of recently updated bills could not be used.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ListingError {
    #[error("{0}")]
    Fetch(FetchError),
    #[error("{url} answered something billwatch cannot read: {error}")]
    Parse { url: String, error: ParseError },
    #[error("more than {pages} pages of bills changed since the last check")]
    TooLong { pages: usize },
}

/// The Bills API for one base URL.
#[derive(Debug, Clone)]
pub struct ApiSource {
    http: Http,
    base: Url,
    /// Answers are decoded off the async workers.
    parsing: Parsing,
}

impl ApiSource {
    pub fn new(http: Http, base: Url, parsing: Parsing) -> Self {
        ApiSource {
            http,
            base,
            parsing,
        }
    }

    pub(super) fn with_parsing(self, parsing: Parsing) -> Self {
        ApiSource { parsing, ..self }
    }

    pub fn bill_url(&self, id: BillId) -> String {
        join(&self.base, &format!("api/v1/Bills/{id}"))
    }

    /// The bill's own record, without its stages: one request.
    pub async fn bill(&self, id: BillId) -> Result<Bill, SourceError> {
        let url = self.bill_url(id);
        let body = self.get(id, &url).await?;
        let (_, bill) = self.parsing.run(&url, body, |b| parse_bill(b)).await;
        let bill = bill.map_err(|e| SourceError::parse(id, &url, e))?;
        if bill.id != id {
            return Err(SourceError::parse(
                id,
                &url,
                ParseError::new(format!(
                    "asked for bill {id}, the answer is bill {}",
                    bill.id
                )),
            ));
        }
        Ok(bill)
    }

    /// The bill and all its stages, every page of them.
    pub async fn fetch(&self, id: BillId) -> Result<Snapshot, SourceError> {
        let bill = self.bill(id).await?;
        let mut stages: Vec<Stage> = Vec::new();
        let mut skip = 0;
        let mut total = 0;
        for _ in 0..MAX_PAGES {
            // The server may send fewer than asked (its own page size): skip what arrived.
            let url = format!("{}/Stages?Skip={skip}&Take={PAGE_SIZE}", self.bill_url(id));
            let body = self.get(id, &url).await?;
            let (_, parsed) = self.parsing.run(&url, body, |b| parse_stages(b)).await;
            let parsed = parsed.map_err(|e| SourceError::parse(id, &url, e))?;
            let got = parsed.stages.len();
            total = parsed.total;
            skip += got;
            let before = stages.len();
            for stage in parsed.stages {
                // A list that shifts while it is paged may repeat an item.
                if !stages.iter().any(|s| s.id == stage.id) {
                    stages.push(stage);
                }
            }
            if stages.len() >= parsed.total {
                let mut snapshot = Snapshot::new(bill, stages);
                snapshot.documents = self.documents(id).await;
                return Ok(snapshot);
            }
            if got == 0 || stages.len() == before {
                // Asking on would not help: the list is shorter than it says.
                return Err(SourceError::parse(
                    id,
                    &url,
                    ParseError::new(format!(
                        "the API says the bill has {} stages but gave only {}",
                        parsed.total,
                        stages.len()
                    )),
                ));
            }
        }
        // Never a silent truncation: a stage past the cut would never alert.
        Err(SourceError::parse(
            id,
            &format!("{}/Stages", self.bill_url(id)),
            ParseError::new(format!(
                "the bill's stages run past {MAX_PAGES} pages ({} of {total} read): refusing to \
                 cut them short",
                stages.len()
            )),
        ))
    }

    /// Every bill updated at or after `since` (UK local time, as Parliament writes `lastUpdate`),
    /// newest first: one request when little changed, paging only as far back as `since`.
    pub async fn changed_since(
        &self,
        since: NaiveDateTime,
    ) -> Result<Vec<FoundBill>, ListingError> {
        let mut out = Vec::new();
        let mut skip = 0;
        for _ in 0..MAX_LISTING_PAGES {
            let url = join(
                &self.base,
                &format!(
                    "api/v1/Bills?SortOrder=DateUpdatedDescending&Skip={skip}&Take={LISTING_PAGE}"
                ),
            );
            let page = self.read(&url, parse_found).await?;
            let got = page.bills.len();
            skip += got;
            let oldest = page.bills.iter().filter_map(|b| b.updated).min();
            out.extend(page.bills);
            if got == 0 || skip >= page.total || oldest.is_none_or(|t| t < since) {
                return Ok(out);
            }
        }
        Err(ListingError::TooLong {
            pages: MAX_LISTING_PAGES,
        })
    }

    /// The first page of bills matching `query`, newest first.
    pub async fn search(&self, query: &SearchQuery) -> Result<Found, ListingError> {
        let url = join(&self.base, &query.path(SEARCH_TAKE));
        self.read(&url, parse_found).await
    }

    /// Every bill matching `query`, newest first, a page of 50 at a time, as long as there are
    /// no more than `max`: past that, only the count (`total`) and the first page.
    pub async fn search_all(&self, query: &SearchQuery, max: usize) -> Result<Found, ListingError> {
        let mut found = Found {
            bills: Vec::new(),
            total: 0,
        };
        loop {
            let url = join(
                &self.base,
                &query.page_path(found.bills.len(), LISTING_PAGE),
            );
            let page = self.read(&url, parse_found).await?;
            let got = page.bills.len();
            found.total = page.total;
            found.bills.extend(page.bills);
            if got == 0 || found.bills.len() >= found.total || found.total > max {
                return Ok(found);
            }
        }
    }

    /// The session Parliament's data shows as the newest: the newest session of the bills
    /// updated most recently.
    pub async fn current_session(&self) -> Result<Option<u32>, ListingError> {
        let url = join(
            &self.base,
            &format!("api/v1/Bills?SortOrder=DateUpdatedDescending&Skip=0&Take={LISTING_PAGE}"),
        );
        let found = self.read(&url, parse_found).await?;
        Ok(newest_session(&found.bills))
    }

    /// Parliament's bill types: (id, name).
    pub async fn bill_types(&self) -> Result<Vec<(u32, String)>, ListingError> {
        let url = join(&self.base, "api/v1/BillTypes");
        self.read(&url, parse_bill_types).await
    }

    /// Parliament's publication types, every page of them.
    pub async fn publication_types(&self) -> Result<Vec<PublicationType>, ListingError> {
        let mut types: Vec<PublicationType> = Vec::new();
        let mut url = String::new();
        for _ in 0..MAX_TYPES_PAGES {
            // The server may send fewer than asked (its own page size): skip what arrived.
            let path = format!(
                "api/v1/PublicationTypes?Skip={}&Take={TYPES_PAGE}",
                types.len()
            );
            url = join(&self.base, &path);
            let page = self.read(&url, parse_publication_types).await?;
            let before = types.len();
            for t in page.types {
                if !types.iter().any(|k| k.id == t.id) {
                    types.push(t);
                }
            }
            if types.len() >= page.total {
                return Ok(types);
            }
            if types.len() == before {
                break;
            }
        }
        // Never a part of the list taken for the whole: a type past the cut would be missed.
        Err(ListingError::Parse {
            url,
            error: ParseError::new(format!(
                "the publication types could not all be read ({} of those said to exist)",
                types.len()
            )),
        })
    }

    /// GETs `url` and reads the answer with `parse`, off the async workers.
    async fn read<T: Send + 'static>(
        &self,
        url: &str,
        parse: fn(&[u8]) -> Result<T, ParseError>,
    ) -> Result<T, ListingError> {
        let fetched = self
            .http
            .get(url, "application/json", None)
            .await
            .map_err(ListingError::Fetch)?;
        let (_, read) = self.parsing.run(url, fetched.body, move |b| parse(b)).await;
        read.map_err(|error| ListingError::Parse {
            url: url.to_owned(),
            error,
        })
    }

    /// The bill's documents; `None` when they cannot be read now (logged): a failure here never
    /// holds up the bill's stages, and the documents are read again at its next fetch.
    async fn documents(&self, id: BillId) -> Option<Vec<Document>> {
        let url = format!("{}/Publications", self.bill_url(id));
        // A 404 here is about the documents, not "no such bill": read as any list is.
        self.read(&url, parse_publications)
            .await
            .inspect_err(|e| {
                tracing::warn!(bill = id, "the bill's documents cannot be read now: {e}");
            })
            .ok()
    }

    async fn get(&self, id: BillId, url: &str) -> Result<Vec<u8>, SourceError> {
        match self.http.get(url, "application/json", None).await {
            Ok(f) => Ok(f.body),
            Err(FetchError::NotFound { url }) => Err(SourceError::NoSuchBill { bill: id, url }),
            Err(e) => Err(SourceError::Fetch { bill: id, error: e }),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApiBill {
    bill_id: Option<i64>,
    short_title: Option<String>,
    former_short_title: Option<String>,
    long_title: Option<String>,
    current_house: Option<String>,
    originating_house: Option<String>,
    current_stage: Option<ApiStage>,
    #[serde(default)]
    is_act: bool,
    bill_withdrawn: Option<String>,
    #[serde(default)]
    is_defeated: bool,
    last_update: Option<String>,
    sponsors: Option<Vec<ApiSponsor>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApiSponsor {
    member: Option<ApiMember>,
    organisation: Option<ApiName>,
    sort_order: Option<i64>,
}

#[derive(Deserialize)]
struct ApiMember {
    name: Option<String>,
    party: Option<String>,
}

#[derive(Deserialize)]
struct ApiName {
    name: Option<String>,
}

/// The first sponsor (by `sortOrder`) that names someone or something.
fn first_sponsor(sponsors: Option<Vec<ApiSponsor>>) -> Option<Sponsor> {
    let named = |t: Option<String>| t.as_deref().map(clean_text).filter(|t| !t.is_empty());
    let mut sponsors = sponsors.unwrap_or_default();
    sponsors.sort_by_key(|s| s.sort_order.unwrap_or(i64::MAX));
    sponsors.into_iter().find_map(|s| {
        let (member, party) = match s.member {
            Some(m) => (named(m.name), named(m.party)),
            None => (None, None),
        };
        let organisation = named(s.organisation.and_then(|o| o.name));
        (member.is_some() || organisation.is_some()).then(|| Sponsor {
            party: party.filter(|_| member.is_some()),
            member,
            organisation,
        })
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApiStage {
    id: Option<i64>,
    stage_id: Option<i64>,
    description: Option<String>,
    house: Option<String>,
    stage_sittings: Option<Vec<ApiSitting>>,
    sort_order: Option<i32>,
}

#[derive(Deserialize)]
struct ApiSitting {
    date: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApiStagePage {
    items: Option<Vec<ApiStage>>,
    total_results: Option<i64>,
}

/// One page of a bill's stages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagesPage {
    pub stages: Vec<Stage>,
    /// How many stages the bill has in all.
    pub total: usize,
}

/// Parses `GET /api/v1/Bills/{id}`.
pub fn parse_bill(body: &[u8]) -> Result<Bill, ParseError> {
    let raw: ApiBill = serde_json::from_slice(strip_bom(body))
        .map_err(|e| ParseError::new(format!("not a bill record: {e}")))?;
    let id = raw
        .bill_id
        .and_then(|n| BillId::try_from(n).ok())
        .ok_or_else(|| ParseError::new("the bill record has no valid `billId`"))?;
    let title = raw
        .short_title
        .as_deref()
        .map(clean_text)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ParseError::new("the bill record has no `shortTitle`"))?;
    let former_title = raw
        .former_short_title
        .as_deref()
        .map(clean_text)
        .filter(|t| !t.is_empty() && *t != title);
    let current_house = raw.current_house.as_deref().map(parse_house).transpose()?;
    let originating_house = raw
        .originating_house
        .as_deref()
        .map(parse_house)
        .transpose()?;
    let current_stage = match raw.current_stage {
        None => None,
        Some(s) => {
            let stage = stage_from_api(s)?;
            Some(CurrentStage {
                id: stage.id,
                name: stage.name,
                house: stage.house,
            })
        }
    };
    Ok(Bill {
        id,
        title,
        long_title: raw
            .long_title
            .as_deref()
            .map(clean_text)
            .filter(|t| !t.is_empty()),
        former_title,
        current_house,
        originating_house,
        current_stage,
        is_act: raw.is_act,
        withdrawn: raw.bill_withdrawn.as_deref().map(parse_date).transpose()?,
        defeated: raw.is_defeated,
        last_update: raw.last_update.as_deref().map(parse_datetime).transpose()?,
        sponsor: first_sponsor(raw.sponsors),
    })
}

/// Parses one page of `GET /api/v1/Bills/{id}/Stages`.
pub fn parse_stages(body: &[u8]) -> Result<StagesPage, ParseError> {
    let raw: ApiStagePage = serde_json::from_slice(strip_bom(body))
        .map_err(|e| ParseError::new(format!("not a list of stages: {e}")))?;
    let items = raw
        .items
        .ok_or_else(|| ParseError::new("the list of stages has no `items`"))?;
    let stages = items
        .into_iter()
        .map(stage_from_api)
        .collect::<Result<Vec<_>, _>>()?;
    let total = raw
        .total_results
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(stages.len());
    Ok(StagesPage { stages, total })
}

fn stage_from_api(s: ApiStage) -> Result<Stage, ParseError> {
    let id =
        s.id.and_then(|n| u32::try_from(n).ok())
            .filter(|n| *n > 0)
            .ok_or_else(|| ParseError::new("a stage has no valid `id`"))?;
    let name = s
        .description
        .as_deref()
        .map(clean_text)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ParseError::new(format!("stage {id} has no `description`")))?;
    let house = parse_house(
        s.house
            .as_deref()
            .ok_or_else(|| ParseError::new(format!("stage {id} has no `house`")))?,
    )?;
    let mut sittings = Vec::new();
    for sitting in s.stage_sittings.unwrap_or_default() {
        if let Some(date) = sitting.date {
            sittings.push(parse_date(&date)?);
        }
    }
    let stage_type = s.stage_id.and_then(|n| u32::try_from(n).ok());
    crate::stage::note_if_unknown(stage_type, &name, house);
    Ok(Stage {
        id,
        stage_type,
        name,
        house,
        sittings,
        sort_order: s.sort_order.unwrap_or(0),
    })
}

fn parse_house(s: &str) -> Result<House, ParseError> {
    s.parse::<House>()
        .map_err(|e| ParseError::new(e.to_string()))
}

/// `"2021-01-12T00:00:00"` (a UK calendar date with a zero time) or `"2021-01-12"`.
pub fn parse_date(s: &str) -> Result<NaiveDate, ParseError> {
    let day = s.trim().get(..10).unwrap_or(s);
    NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .map_err(|_| ParseError::new(format!("{s:?} is not a date")))
}

/// `"2021-05-04T10:42:08.0579851"` (UK local time, up to 7 fractional digits).
pub fn parse_datetime(s: &str) -> Result<NaiveDateTime, ParseError> {
    let s = s.trim().trim_end_matches('Z');
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
        .map_err(|_| ParseError::new(format!("{s:?} is not a date and time")))
}

/// The body without a UTF-8 byte order mark, which serde_json would refuse.
pub(super) fn strip_bom(body: &[u8]) -> &[u8] {
    body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body)
}

/// Collapses runs of white space, as titles sometimes carry line breaks and double spaces, and
/// replaces control characters (ESC, BEL, ...) with U+FFFD: text from Parliament is printed on
/// terminals (`status`, `show`, console alerts), where they would act as commands.
pub fn clean_text(s: &str) -> String {
    s.split_whitespace()
        .map(|word| {
            word.chars()
                .map(|c| if c.is_control() { '\u{fffd}' } else { c })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_as_the_api_sends_them() {
        assert_eq!(
            parse_date("2021-01-12T00:00:00"),
            Ok(NaiveDate::from_ymd_opt(2021, 1, 12).expect("date"))
        );
        assert!(parse_datetime("2021-05-04T10:42:08.0579851").is_ok());
        assert!(parse_datetime("2021-05-04T10:42:08").is_ok());
        assert!(parse_date("12/01/2021").is_err());
    }

    #[test]
    fn unknown_house_is_an_error() {
        let body = br#"{"items":[{"id":1,"stageId":6,"description":"1st reading","house":"Senate","stageSittings":[],"sortOrder":1}],"totalResults":1}"#;
        let err = parse_stages(body).expect_err("unknown house");
        assert!(err.to_string().contains("Senate"), "{err}");
    }

    #[test]
    fn control_characters_never_reach_a_terminal() {
        assert_eq!(
            clean_text("Border\u{1b}[2J Bill\u{7}\n  2025"),
            "Border\u{fffd}[2J Bill\u{fffd} 2025"
        );
    }

    /// `formerShortTitle` is the bill's former name; absent, null, empty or the same as the
    /// short title, there is none.
    #[test]
    fn the_former_short_title_is_kept() {
        let record = |former: &str| {
            format!(
                r#"{{"billId": 3929, "shortTitle": "Border Security, Asylum and Immigration Act 2025",
                    "formerShortTitle": {former}, "isAct": true}}"#
            )
        };
        let former = |json: &str| parse_bill(json.as_bytes()).expect("bill").former_title;
        assert_eq!(
            former(&record(r#""Border Security, Asylum and Immigration Bill""#)).as_deref(),
            Some("Border Security, Asylum and Immigration Bill")
        );
        assert_eq!(former(&record("null")), None);
        assert_eq!(former(&record(r#""  ""#)), None);
        assert_eq!(
            former(&record(
                r#""Border Security, Asylum and Immigration Act 2025""#
            )),
            None
        );
    }
}
