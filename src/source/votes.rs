//! The Commons and Lords Votes APIs (`commonsvotes-api.parliament.uk`,
//! `lordsvotes-api.parliament.uk`): JSON in, [`Division`]s out.
//!
//! The Commons writes its keys in PascalCase (`DivisionId`, `AyeCount`), the Lords in camelCase
//! (`divisionId`, `authoritativeContentCount`). As for the Bills API, keys Parliament adds are
//! ignored, and the values an alert relies on (id, date, title, counts) must be there and make
//! sense: a division without them is an error, never a guess. The rest (number, deferred, who
//! won, notes) may be absent.

use chrono::{NaiveDateTime, NaiveTime};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::ParseError;
use super::api::{clean_text, parse_date, parse_datetime, strip_bom};
use super::html::plain_text;
use crate::division::{Counts, Division, DivisionId, MAX_NOTES_CHARS};
use crate::house::House;
use crate::telegram_text::fit;

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
