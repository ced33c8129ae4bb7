//! The Commons and Lords Votes APIs (`commonsvotes-api.parliament.uk`,
//! `lordsvotes-api.parliament.uk`): JSON in, [`Division`]s out.
//!
//! The Commons writes its keys in PascalCase (`DivisionId`, `AyeCount`), the Lords in camelCase
//! (`divisionId`, `authoritativeContentCount`). As for the Bills API, keys Parliament adds are
//! ignored, and the values an alert relies on (id, date, title, counts) must be there and make
//! sense: a division without them is an error, never a guess. The rest (number, deferred, who
//! won, notes) may be absent.
//!
//! [`VotesSource::search`] asks either House's search for the divisions held between two days,
//! a page at a time, and keeps only those the answer dates within them: what the server
//! filters is never taken on trust.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use url::Url;

use super::ParseError;
use super::api::{clean_text, parse_date, parse_datetime, strip_bom};
use super::html::plain_text;
use super::http::{FetchError, Http};
use super::parsing::Parsing;
use crate::config::join;
use crate::division::{Counts, Division, DivisionId, MAX_NOTES_CHARS};
use crate::house::House;
use crate::telegram_text::fit;

/// Divisions asked for per page of a search (the Commons API's default and largest page).
pub const VOTES_PAGE: usize = 25;
/// A search of more pages than this (500 divisions in a few days) is not believed: it stops
/// with an error rather than loop.
pub const MAX_VOTES_PAGES: usize = 20;

/// Why a House's divisions could not be read this time. Stage alerts never wait for them.
#[derive(Debug, Clone, thiserror::Error)]
pub enum VotesError {
    #[error("the {house} Votes API: {error}")]
    Fetch { house: House, error: FetchError },
    #[error("the {house} Votes API: {url} answered something billwatch cannot read: {error}")]
    Parse {
        house: House,
        url: String,
        error: ParseError,
    },
    #[error("the {house} Votes API: more than {pages} pages of divisions from {start} to {end}")]
    TooLong {
        house: House,
        pages: usize,
        start: NaiveDate,
        end: NaiveDate,
    },
}

/// The Commons and Lords Votes APIs, over the shared polite client.
#[derive(Debug, Clone)]
pub struct VotesSource {
    http: Http,
    commons: Url,
    lords: Url,
    /// Answers are decoded off the async workers.
    parsing: Parsing,
}

impl VotesSource {
    pub fn new(http: Http, commons: Url, lords: Url, parsing: Parsing) -> Self {
        VotesSource {
            http,
            commons,
            lords,
            parsing,
        }
    }

    pub(super) fn with_parsing(self, parsing: Parsing) -> Self {
        VotesSource { parsing, ..self }
    }

    /// One page of `house`'s search for the divisions from `start` to `end` (the Commons:
    /// `GET /data/divisions.json/search?queryParameters.startDate=...`, the Lords:
    /// `GET /data/Divisions/search?StartDate=...`).
    pub fn search_url(
        &self,
        house: House,
        start: NaiveDate,
        end: NaiveDate,
        skip: usize,
    ) -> String {
        match house {
            House::Lords => join(
                &self.lords,
                &format!(
                    "data/Divisions/search?StartDate={start}&EndDate={end}&skip={skip}&take={VOTES_PAGE}"
                ),
            ),
            _ => join(
                &self.commons,
                &format!(
                    "data/divisions.json/search?queryParameters.startDate={start}\
                     &queryParameters.endDate={end}&queryParameters.skip={skip}\
                     &queryParameters.take={VOTES_PAGE}"
                ),
            ),
        }
    }

    /// Every division of `house` dated from `start` to `end`, paged as needed: a page shorter
    /// than asked is the last. Divisions dated outside the days asked are dropped, and one
    /// listed twice (a list that shifts while it is paged) is kept once.
    pub async fn search(
        &self,
        house: House,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<Vec<Division>, VotesError> {
        let mut out: Vec<Division> = Vec::new();
        let mut skip = 0;
        for _ in 0..MAX_VOTES_PAGES {
            let url = self.search_url(house, start, end, skip);
            let fetched = self
                .http
                .get(&url, "application/json", None)
                .await
                .map_err(|error| VotesError::Fetch { house, error })?;
            let parse = match house {
                House::Lords => parse_lords_search,
                _ => parse_commons_search,
            };
            let (_, page) = self
                .parsing
                .run(&url, fetched.body, move |b| parse(b))
                .await;
            let page = page.map_err(|error| VotesError::Parse { house, url, error })?;
            let got = page.len();
            skip += got;
            for d in page {
                let wanted = d.house == house && (start..=end).contains(&d.date);
                if wanted && out.iter().all(|o| o.id != d.id) {
                    out.push(d);
                }
            }
            if got < VOTES_PAGE {
                return Ok(out);
            }
        }
        Err(VotesError::TooLong {
            house,
            pages: MAX_VOTES_PAGES,
            start,
            end,
        })
    }
}

/// One division as `GET /data/divisions.json/search` lists it and `GET /data/division/{id}.json`
/// sends it (that one adds every member's vote, which billwatch does not read).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CommonsDivision {
    division_id: Option<i64>,
    date: Option<String>,
    number: Option<i64>,
    is_deferred: Option<bool>,
    title: Option<String>,
    aye_count: Option<i64>,
    no_count: Option<i64>,
}

/// One division as `GET /data/Divisions/search` lists it and `GET /data/Divisions/{id}` sends it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LordsDivision {
    division_id: Option<i64>,
    date: Option<String>,
    number: Option<i64>,
    title: Option<String>,
    authoritative_content_count: Option<i64>,
    authoritative_not_content_count: Option<i64>,
    is_government_win: Option<bool>,
    amendment_motion_notes: Option<String>,
}

/// Parses the Commons search (`GET /data/divisions.json/search`): a JSON array of divisions.
pub fn parse_commons_search(body: &[u8]) -> Result<Vec<Division>, ParseError> {
    let raw: Vec<CommonsDivision> = from_json(body, "a list of Commons divisions")?;
    raw.into_iter().map(commons_division).collect()
}

/// Parses one Commons division (`GET /data/division/{id}.json`).
pub fn parse_commons_division(body: &[u8]) -> Result<Division, ParseError> {
    commons_division(from_json(body, "a Commons division")?)
}

/// Parses the Lords search (`GET /data/Divisions/search`): a JSON array of divisions.
pub fn parse_lords_search(body: &[u8]) -> Result<Vec<Division>, ParseError> {
    let raw: Vec<LordsDivision> = from_json(body, "a list of Lords divisions")?;
    raw.into_iter().map(lords_division).collect()
}

/// Parses one Lords division (`GET /data/Divisions/{id}`).
pub fn parse_lords_division(body: &[u8]) -> Result<Division, ParseError> {
    lords_division(from_json(body, "a Lords division")?)
}

fn from_json<T: DeserializeOwned>(body: &[u8], what: &str) -> Result<T, ParseError> {
    serde_json::from_slice(strip_bom(body)).map_err(|e| ParseError::new(format!("not {what}: {e}")))
}

fn commons_division(raw: CommonsDivision) -> Result<Division, ParseError> {
    let house = House::Commons;
    let id = division_id(house, raw.division_id, "DivisionId")?;
    let (date, time) = when(house, id, raw.date.as_deref(), "Date")?;
    Ok(Division {
        id,
        house,
        date,
        time,
        title: title(house, id, raw.title.as_deref(), "Title")?,
        number: number(house, id, raw.number, "Number")?,
        deferred: raw.is_deferred.unwrap_or(false),
        counts: Counts {
            ayes: count(house, id, raw.aye_count, "AyeCount")?,
            noes: count(house, id, raw.no_count, "NoCount")?,
        },
        government_won: None,
        notes: None,
    })
}

fn lords_division(raw: LordsDivision) -> Result<Division, ParseError> {
    let house = House::Lords;
    let id = division_id(house, raw.division_id, "divisionId")?;
    let (date, time) = when(house, id, raw.date.as_deref(), "date")?;
    let notes = match raw.amendment_motion_notes.as_deref() {
        None => None,
        Some(html) => Some(plain_text(html).map_err(|e| {
            ParseError::new(format!(
                "Lords division {id}: `amendmentMotionNotes` cannot be read: {e}"
            ))
        })?),
    };
    Ok(Division {
        id,
        house,
        date,
        time,
        title: title(house, id, raw.title.as_deref(), "title")?,
        number: number(house, id, raw.number, "number")?,
        deferred: false,
        counts: Counts {
            ayes: count(
                house,
                id,
                raw.authoritative_content_count,
                "authoritativeContentCount",
            )?,
            noes: count(
                house,
                id,
                raw.authoritative_not_content_count,
                "authoritativeNotContentCount",
            )?,
        },
        government_won: raw.is_government_win,
        notes: notes
            .filter(|n| !n.is_empty())
            .map(|n| fit(&n, MAX_NOTES_CHARS).into_owned()),
    })
}

fn division_id(house: House, id: Option<i64>, key: &str) -> Result<DivisionId, ParseError> {
    id.and_then(|n| DivisionId::try_from(n).ok())
        .filter(|n| *n > 0)
        .ok_or_else(|| ParseError::new(format!("a {house} division has no valid `{key}`")))
}

/// The date and, unless it is midnight (no time given), the time.
fn when(
    house: House,
    id: DivisionId,
    value: Option<&str>,
    key: &str,
) -> Result<(chrono::NaiveDate, Option<NaiveTime>), ParseError> {
    let value =
        value.ok_or_else(|| ParseError::new(format!("{house} division {id} has no `{key}`")))?;
    let at: NaiveDateTime = parse_datetime(value)
        .or_else(|_| parse_date(value).map(|d| d.and_time(NaiveTime::MIN)))
        .map_err(|e| ParseError::new(format!("{house} division {id}: `{key}` {e}")))?;
    Ok((at.date(), Some(at.time()).filter(|t| *t != NaiveTime::MIN)))
}

fn title(
    house: House,
    id: DivisionId,
    value: Option<&str>,
    key: &str,
) -> Result<String, ParseError> {
    value
        .map(clean_text)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ParseError::new(format!("{house} division {id} has no `{key}`")))
}

fn number(
    house: House,
    id: DivisionId,
    value: Option<i64>,
    key: &str,
) -> Result<Option<u32>, ParseError> {
    value
        .map(|n| {
            u32::try_from(n).map_err(|_| {
                ParseError::new(format!(
                    "{house} division {id}: `{key}` is {n}, not a number"
                ))
            })
        })
        .transpose()
}

fn count(house: House, id: DivisionId, value: Option<i64>, key: &str) -> Result<u32, ParseError> {
    let n =
        value.ok_or_else(|| ParseError::new(format!("{house} division {id} has no `{key}`")))?;
    u32::try_from(n).map_err(|_| {
        ParseError::new(format!(
            "{house} division {id}: `{key}` is {n}, not a count"
        ))
    })
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    const COMMONS: &str = r#"[{"DivisionId":1849,"Date":"2024-10-21T22:16:00","Number":23,
        "IsDeferred":false,"Title":"Employment Rights Bill:  Second Reading ","AyeCount":386,
        "NoCount":105,"EVELType":"","Ayes":[]}]"#;

    #[test]
    fn commons_divisions_in_their_shape() {
        let [d] = parse_commons_search(COMMONS.as_bytes())
            .expect("parses")
            .try_into()
            .expect("one");
        assert_eq!(
            (d.id, d.house, d.date, d.time, d.number),
            (
                1849,
                House::Commons,
                NaiveDate::from_ymd_opt(2024, 10, 21).expect("date"),
                NaiveTime::from_hms_opt(22, 16, 0),
                Some(23)
            )
        );
        assert_eq!(d.title, "Employment Rights Bill: Second Reading");
        assert_eq!((d.counts.ayes, d.counts.noes), (386, 105));
        assert!(!d.deferred && d.government_won.is_none() && d.notes.is_none());
        let one = parse_commons_division(
            br#"{"DivisionId":7,"Date":"2024-11-13T00:00:00","Title":"Draft Regulations 2024","AyeCount":1,"NoCount":0}"#,
        )
        .expect("absent optional fields are fine");
        assert_eq!((one.time, one.number, one.deferred), (None, None, false));
    }

    #[test]
    fn lords_divisions_in_their_shape() {
        let body = br#"[{"divisionId":3172,"date":"2024-11-20T00:00:00","number":5,
            "title":"Water (Special Measures) Bill [HL]","authoritativeContentCount":36,
            "authoritativeNotContentCount":89,"isGovernmentWin":false,
            "amendmentMotionNotes":"<p>Lord R moved amendment 51.&nbsp;The House divided:</p>"}]"#;
        let [d] = parse_lords_search(body)
            .expect("parses")
            .try_into()
            .expect("one");
        assert_eq!((d.id, d.house, d.time), (3172, House::Lords, None));
        assert_eq!((d.counts.ayes, d.counts.noes), (36, 89));
        assert_eq!(d.government_won, Some(false));
        assert_eq!(
            d.notes.as_deref(),
            Some("Lord R moved amendment 51. The House divided:")
        );
        let long = format!(
            r#"{{"divisionId":1,"date":"2024-11-20","title":"A Bill","authoritativeContentCount":1,
            "authoritativeNotContentCount":2,"amendmentMotionNotes":"<p>{}</p>"}}"#,
            "word ".repeat(1000)
        );
        let d = parse_lords_division(long.as_bytes()).expect("parses");
        let notes = d.notes.expect("notes");
        assert!(notes.ends_with('…') && notes.chars().count() == MAX_NOTES_CHARS);
        assert_eq!(d.government_won, None, "absent: the data does not say");
    }

    /// What cannot be read is refused, saying which division and which key.
    #[test]
    fn malformed_divisions_are_refused_with_the_reason() {
        let cases: &[(&[u8], &str)] = &[
            (b"{}", "not a list of Commons divisions"),
            (b"<html>", "not a list of Commons divisions"),
            (br#"[{"Date":"2024-10-21T22:16:00"}]"#, "a Commons division has no valid `DivisionId`"),
            (br#"[{"DivisionId":-3}]"#, "no valid `DivisionId`"),
            (br#"[{"DivisionId":9,"Title":"T","AyeCount":1,"NoCount":1}]"#, "Commons division 9 has no `Date`"),
            (br#"[{"DivisionId":9,"Date":"21/10/2024","Title":"T","AyeCount":1,"NoCount":1}]"#, "Commons division 9: `Date` \"21/10/2024\" is not a date"),
            (br#"[{"DivisionId":9,"Date":"2024-10-21","Title":"  ","AyeCount":1,"NoCount":1}]"#, "Commons division 9 has no `Title`"),
            (br#"[{"DivisionId":9,"Date":"2024-10-21","Title":"T","NoCount":1}]"#, "Commons division 9 has no `AyeCount`"),
            (br#"[{"DivisionId":9,"Date":"2024-10-21","Title":"T","AyeCount":-1,"NoCount":1}]"#, "`AyeCount` is -1, not a count"),
            (br#"[{"DivisionId":9,"Date":"2024-10-21","Title":"T","AyeCount":"many","NoCount":1}]"#, "invalid type"),
        ];
        for (body, want) in cases {
            let e = parse_commons_search(body).expect_err("refused");
            assert!(e.to_string().contains(want), "{e} (want {want:?})");
        }
        let e = parse_lords_search(br#"[{"divisionId":4,"date":"2024-11-20T00:00:00","title":"B","authoritativeContentCount":3}]"#)
            .expect_err("refused");
        assert_eq!(
            e.to_string(),
            "Lords division 4 has no `authoritativeNotContentCount`"
        );
        let e = parse_lords_search(br#"{"divisionId":4}"#).expect_err("an object is not a list");
        assert!(
            e.to_string().starts_with("not a list of Lords divisions"),
            "{e}"
        );
    }
}
