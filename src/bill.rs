//! The model: a bill, its stages and their sittings, as every source produces them.
//!
//! Nothing here does I/O. Sources (the Bills API, the stage pages) map what Parliament sends into
//! these types; change detection compares two [`Snapshot`]s; the store keeps them as JSON.

use std::str::FromStr;

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::document::Document;
pub use crate::house::{House, UnknownHouse};
use crate::stage::StageKind;

/// A bill's id on bills.parliament.uk (`/bills/{id}`).
pub type BillId = u32;

/// A bill-stage id: unique per bill and stage (`/bills/{id}/stages/{bill_stage_id}`).
pub type BillStageId = u32;

/// One bill as a source saw it, without its stages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bill {
    pub id: BillId,
    /// The short title ("Border Security, Asylum and Immigration Bill"; "... Act 2025" after Royal Assent).
    pub title: String,
    pub long_title: Option<String>,
    /// The short title the bill had before it was renamed (the Bills API's `formerShortTitle`:
    /// an Act's title as a bill, or a bill's earlier name), when the source says. Its
    /// divisions may carry it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub former_title: Option<String>,
    pub current_house: Option<House>,
    /// The House the bill started in (the Lords for "\[HL\]" bills).
    #[serde(default)]
    pub originating_house: Option<House>,
    /// The bill-stage the bill is at now, by the source's own account.
    pub current_stage: Option<CurrentStage>,
    pub is_act: bool,
    /// The date the bill was withdrawn, if it was.
    pub withdrawn: Option<NaiveDate>,
    pub defeated: bool,
    /// When Parliament last changed anything about the bill (UK local time).
    pub last_update: Option<NaiveDateTime>,
    /// Who brought it in, when the source says (the Bills API does; the pages do not).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sponsor: Option<Sponsor>,
}

/// A bill's first sponsor as the Bills API names it: the member in charge of it and, for a
/// government bill, the department behind it; either may be missing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sponsor {
    /// "John Healey".
    pub member: Option<String>,
    /// "Labour".
    pub party: Option<String>,
    /// "Ministry of Defence".
    pub organisation: Option<String>,
}

/// The bill's current stage as the bill record names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentStage {
    pub id: BillStageId,
    pub name: String,
    pub house: House,
}

/// One stage of a bill's journey: a reading, committee, report, a round of ping-pong, Royal Assent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stage {
    /// The bill-stage id: the key change detection uses, never the name.
    pub id: BillStageId,
    /// The stage type (7 = Commons 2nd reading, 11 = Royal Assent, ...), when the source knows it.
    pub stage_type: Option<u32>,
    pub name: String,
    pub house: House,
    /// The days the stage sits, sorted and without repeats. Empty: not yet scheduled.
    pub sittings: Vec<NaiveDate>,
    /// Position in the bill's journey.
    pub sort_order: i32,
}

impl Stage {
    /// The first day the stage sits, if it is scheduled.
    pub fn first_sitting(&self) -> Option<NaiveDate> {
        self.sittings.first().copied()
    }

    /// What kind of stage this is: decided by [`StageKind::of`], the one table.
    pub fn kind(&self) -> StageKind {
        StageKind::of(self.stage_type, &self.name, self.house)
    }

    /// Whether this is the Royal Assent stage.
    pub fn is_royal_assent(&self) -> bool {
        self.kind() == StageKind::RoyalAssent
    }

    /// Whether this stage is a round of ping-pong (one House considering the other's amendments).
    pub fn is_ping_pong(&self) -> bool {
        self.kind() == StageKind::PingPong
    }

    /// Whether the stage has started by `day`.
    pub fn reached_by(&self, day: NaiveDate) -> bool {
        self.first_sitting().is_some_and(|d| d <= day)
    }
}

/// Everything one source said about one bill at one check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub bill: Bill,
    /// Sorted by `sort_order`, then id.
    pub stages: Vec<Stage>,
    /// The bill's documents, newest first; `None` when they were not read (the stage pages
    /// do not show them; a snapshot stored before billwatch read them; a failed read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documents: Option<Vec<Document>>,
}

impl Snapshot {
    /// Builds a snapshot, putting stages in journey order and sittings in date order.
    pub fn new(bill: Bill, mut stages: Vec<Stage>) -> Self {
        for stage in &mut stages {
            stage.sittings.sort_unstable();
            stage.sittings.dedup();
        }
        stages.sort_by_key(|s| (s.sort_order, s.id));
        Snapshot {
            bill,
            stages,
            documents: None,
        }
    }

    /// Copies from `previous` the bill fields a partial source (the stage pages) cannot see, so
    /// that switching sources never looks like a change.
    pub fn with_unseen_from(mut self, previous: &Snapshot) -> Snapshot {
        let (b, p) = (&mut self.bill, &previous.bill);
        b.long_title = b.long_title.take().or_else(|| p.long_title.clone());
        b.former_title = b.former_title.take().or_else(|| p.former_title.clone());
        b.current_house = b.current_house.or(p.current_house);
        b.originating_house = b.originating_house.or(p.originating_house);
        b.current_stage = b.current_stage.take().or_else(|| p.current_stage.clone());
        b.withdrawn = b.withdrawn.or(p.withdrawn);
        b.defeated |= p.defeated;
        b.is_act |= p.is_act;
        b.last_update = b.last_update.or(p.last_update);
        b.sponsor = b.sponsor.take().or_else(|| p.sponsor.clone());
        self.with_documents_from(previous)
    }

    /// Keeps `previous`'s documents when this snapshot's were not read: a source or a read
    /// that does not show them never looks like documents withdrawn.
    pub fn with_documents_from(mut self, previous: &Snapshot) -> Snapshot {
        if self.documents.is_none() {
            self.documents.clone_from(&previous.documents);
        }
        self
    }

    pub fn stage(&self, id: BillStageId) -> Option<&Stage> {
        self.stages.iter().find(|s| s.id == id)
    }

    /// The 1-based round of a ping-pong stage: how many rounds in the same House come up to and
    /// including it in the journey. A round is one exchange, one House considering the other's
    /// amendments and the other's answer, so the Commons' first consideration and the Lords'
    /// answer to it are both round 1.
    pub fn ping_pong_round(&self, stage: &Stage) -> Option<u32> {
        if !stage.is_ping_pong() {
            return None;
        }
        let before = self
            .stages
            .iter()
            .filter(|s| s.house == stage.house && s.is_ping_pong())
            .take_while(|s| s.id != stage.id)
            .count();
        u32::try_from(before + 1).ok()
    }

    /// How many rounds of ping-pong had begun by `today`, counted as alerts count them
    /// ([`Snapshot::ping_pong_round`]): the Commons considering Lords amendments, the Lords'
    /// answer, and the Commons again make 2 rounds, not 3.
    pub fn ping_pong_rounds(&self, today: NaiveDate) -> u32 {
        self.stages
            .iter()
            .filter(|s| s.reached_by(today))
            .filter_map(|s| self.ping_pong_round(s))
            .max()
            .unwrap_or(0)
    }

    /// The latest stage people follow (not procedural) that had started by `today`.
    pub fn latest_major(&self, today: NaiveDate) -> Option<&Stage> {
        self.stages
            .iter()
            .filter(|s| !s.kind().is_procedural() && s.reached_by(today))
            .max_by_key(|s| (s.first_sitting(), s.sort_order, s.id))
    }

    /// Whether the bill is an Act, or its Royal Assent stage had come by `day`.
    pub fn has_royal_assent(&self, day: NaiveDate) -> bool {
        self.bill.is_act
            || self
                .stages
                .iter()
                .any(|s| s.is_royal_assent() && s.reached_by(day))
    }

    /// The House the bill started in: as the record says, else that of its first stage.
    pub fn origin(&self) -> Option<House> {
        self.bill
            .originating_house
            .or_else(|| self.stages.first().map(|s| s.house))
    }

    /// The day the bill was introduced: the first day of its earliest stage that sat or is
    /// scheduled; `None` when no stage has a date.
    pub fn introduced_on(&self) -> Option<NaiveDate> {
        self.stages.iter().filter_map(Stage::first_sitting).min()
    }

    /// The latest stage whose first sitting is on or before `today`.
    pub fn latest_reached(&self, today: NaiveDate) -> Option<&Stage> {
        self.stages
            .iter()
            .filter(|s| s.first_sitting().is_some_and(|d| d <= today))
            .max_by_key(|s| (s.first_sitting(), s.sort_order, s.id))
    }

    /// The soonest stage with a sitting after `today`.
    pub fn next_scheduled(&self, today: NaiveDate) -> Option<(&Stage, NaiveDate)> {
        self.stages
            .iter()
            .filter_map(|s| s.sittings.iter().find(|d| **d > today).map(|d| (s, *d)))
            .min_by_key(|(s, d)| (*d, s.sort_order))
    }
}

/// Parliament's bills website, where a bill's pages are.
pub const PARLIAMENT_SITE: &str = "https://bills.parliament.uk";

/// A bill as the config or the command line names it: by id, or by any URL under `/bills/{id}`
/// on bills.parliament.uk. [`BillRef::on_site`] also accepts URLs on the configured site (a
/// mirror, or a test fake); a URL on any other site is not a bill's.
///
/// ```
/// use billwatch::bill::BillRef;
///
/// let by_url: BillRef = "https://bills.parliament.uk/bills/3929/stages".parse().unwrap();
/// let by_id: BillRef = "3929".parse().unwrap();
/// assert_eq!(by_url, by_id);
/// assert!("https://bills.parliament.uk/acts/3929".parse::<BillRef>().is_err());
/// assert!("https://example.com/bills/3929".parse::<BillRef>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BillRef(pub BillId);

/// Why a string is not a bill reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BillRefError {
    #[error(
        "{0:?} is not a bill id or a bill page URL like https://bills.parliament.uk/bills/3929"
    )]
    NotABill(String),
    #[error("{0:?} is a URL but not a bill page: expected a path like /bills/3929")]
    NotABillPage(String),
    #[error(
        "{url:?} is not a page of {sites}: copy the bill's address from \
         https://bills.parliament.uk (like https://bills.parliament.uk/bills/3929), or give its id"
    )]
    OtherSite { url: String, sites: String },
}

impl FromStr for BillRef {
    type Err = BillRefError;

    /// Accepts `3929`, `https://bills.parliament.uk/bills/3929` and any sub-page such as
    /// `https://bills.parliament.uk/bills/3929/stages/19000`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        BillRef::parse(s, None)
    }
}

impl BillRef {
    /// Like [`str::parse`], where bill pages may also be on `site` (`parliament.site_url`).
    pub fn on_site(s: &str, site: &url::Url) -> Result<BillRef, BillRefError> {
        BillRef::parse(s, Some(site))
    }

    fn parse(s: &str, site: Option<&url::Url>) -> Result<BillRef, BillRefError> {
        let s = s.trim();
        if let Ok(id) = s.parse::<BillId>() {
            return if id == 0 {
                Err(BillRefError::NotABill(s.to_owned()))
            } else {
                Ok(BillRef(id))
            };
        }
        let url = url::Url::parse(s).map_err(|_| BillRefError::NotABill(s.to_owned()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(BillRefError::NotABill(s.to_owned()));
        }
        if !is_bills_site(&url, site) {
            let mut sites = PARLIAMENT_SITE.trim_start_matches("https://").to_owned();
            if let Some(site) = site.filter(|site| !is_bills_site(site, None)) {
                sites = format!("{sites} or {}", site.as_str().trim_end_matches('/'));
            }
            return Err(BillRefError::OtherSite {
                url: s.to_owned(),
                sites,
            });
        }
        let mut segments = url.path_segments().into_iter().flatten();
        match (segments.next(), segments.next()) {
            (Some(b), Some(id)) if b.eq_ignore_ascii_case("bills") => match id.parse::<BillId>() {
                Ok(id) if id > 0 => Ok(BillRef(id)),
                _ => Err(BillRefError::NotABillPage(s.to_owned())),
            },
            _ => Err(BillRefError::NotABillPage(s.to_owned())),
        }
    }
}

/// Whether `url` is on bills.parliament.uk (http or https), or on `site`'s host and port.
fn is_bills_site(url: &url::Url, site: Option<&url::Url>) -> bool {
    let official = url::Url::parse(PARLIAMENT_SITE)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned));
    if url.host_str().is_some() && url.host_str() == official.as_deref() {
        return true;
    }
    site.is_some_and(|site| {
        url.host_str() == site.host_str()
            && url.port_or_known_default() == site.port_or_known_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bill_refs_from_ids_and_urls() {
        for ok in [
            "3929",
            "https://bills.parliament.uk/bills/3929",
            "https://bills.parliament.uk/bills/3929/",
            "https://bills.parliament.uk/bills/3929/stages",
            "https://bills.parliament.uk/bills/3929/stages/19000?tab=x#top",
            "http://bills.parliament.uk/bills/3929/publications",
        ] {
            assert_eq!(ok.parse::<BillRef>(), Ok(BillRef(3929)), "{ok}");
        }
        for bad in [
            "",
            "0",
            "-4",
            "abc",
            "https://bills.parliament.uk/",
            "https://bills.parliament.uk/bills",
            "https://bills.parliament.uk/bills/abc",
            "https://bills.parliament.uk/acts/3929",
            "ftp://bills.parliament.uk/bills/3929",
            "https://example.com/bills/3929",
            "https://bills.parliament.uk.example.com/bills/3929",
            "http://localhost:8080/bills/3929",
        ] {
            assert!(bad.parse::<BillRef>().is_err(), "{bad}");
        }
    }

    /// A URL on the configured site (a mirror, a test fake) is a bill's too; on any other
    /// site it is not, and the message names both sites.
    #[test]
    fn bill_refs_on_the_configured_site() {
        let site = url::Url::parse("http://localhost:8080").expect("url");
        for ok in [
            "http://localhost:8080/bills/3929/publications",
            "https://bills.parliament.uk/bills/3929",
            "3929",
        ] {
            assert_eq!(BillRef::on_site(ok, &site), Ok(BillRef(3929)), "{ok}");
        }
        let e = BillRef::on_site("http://localhost:9090/bills/3929", &site).expect_err("port");
        assert_eq!(
            e.to_string(),
            "\"http://localhost:9090/bills/3929\" is not a page of bills.parliament.uk or \
             http://localhost:8080: copy the bill's address from https://bills.parliament.uk \
             (like https://bills.parliament.uk/bills/3929), or give its id"
        );
        let official = url::Url::parse(PARLIAMENT_SITE).expect("url");
        let e = BillRef::on_site("https://example.com/bills/3929", &official).expect_err("other");
        assert!(
            e.to_string()
                .contains("is not a page of bills.parliament.uk:"),
            "{e}"
        );
    }
}
