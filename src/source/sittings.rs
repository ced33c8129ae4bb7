//! Which stages' own pages a check reads, for the days of a stage that sat several times.
//!
//! The list page shows such a stage as "From 6 April 2022": its first day only. Its other days
//! are on its own page, one request each, `parliament.page_delay` apart. A bill showing 200 of
//! them cost 201 requests (200 s at the default delay) on every check, so a page is fetched only
//! when it can tell something new, and at most [`STAGE_PAGES_PER_CHECK`] a bill a check:
//!
//! - a stage the stored snapshot does not know with the same first day (new, or moved) needs
//!   its page, and so does one known by its first day alone;
//! - a stage known with its days needs it again while it may still gain days: until a later
//!   major stage (not a motion) has begun after its last known day, when it is over;
//! - the rest keep their stored days.
//!
//! Past the bound, the stages that have waited longest come first (those known by the fewest
//! days, then the newest); one left for a later check keeps its stored days or, when none are
//! known, the list's first day. That alone decides whether it was reached, scheduled or moved, so
//! no alert is lost: its further days are told (`sitting_added`) at the check that reads its
//! page.

use chrono::NaiveDate;

use super::pages::{ListedDate, ListedStage};
use crate::bill::Snapshot;
use crate::stage::StageKind;

/// The most stage pages read for one bill in one check.
pub const STAGE_PAGES_PER_CHECK: usize = 10;

/// What a check knows of a bill before reading its pages.
#[derive(Debug, Clone, Default)]
pub struct Known {
    /// The bill as last recorded.
    pub stored: Option<Snapshot>,
    /// Today, in the configured zone (unknown: no stage counts as over).
    pub today: Option<NaiveDate>,
}

/// Where a listed stage's days come from in this check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Days {
    /// The list says it all: one day, or "to be announced".
    Listed,
    /// Its own page, fetched now.
    Page,
    /// The days stored for it (its page has nothing new to say, or waits for a later check).
    Stored(Vec<NaiveDate>),
    /// Its page waits for a later check and no more than its first day is known: the list's.
    FirstOnly(NaiveDate),
}

/// The days stored for `stage` when the stored snapshot knows it with the same first day.
fn stored_days(stage: &ListedStage, first: NaiveDate, known: &Known) -> Option<Vec<NaiveDate>> {
    known
        .stored
        .as_ref()
        .and_then(|s| s.stage(stage.id))
        .filter(|s| s.first_sitting() == Some(first))
        .map(|s| s.sittings.clone())
}

/// The days `stage` (listed as sitting from `first`) keeps when its own page cannot be read
/// now (missing, broken, Parliament failing): as if its page waited for a later check, its
/// stored days or the list's first day. Its page is wanted again at the next check.
pub fn without_page(stage: &ListedStage, first: NaiveDate, known: &Known) -> Vec<NaiveDate> {
    stored_days(stage, first, known).unwrap_or_else(|| vec![first])
}

/// Where each of `listed` (newest first, as on the list page) gets its days.
pub fn plan(listed: &[ListedStage], known: &Known) -> Vec<Days> {
    let mut days: Vec<Days> = Vec::with_capacity(listed.len());
    // (days already known, position): the pages to read, most wanted first.
    let mut wanted: Vec<(usize, usize)> = Vec::new();
    for (at, stage) in listed.iter().enumerate() {
        let ListedDate::From(first) = stage.date else {
            days.push(Days::Listed);
            continue;
        };
        match stored_days(stage, first, known) {
            Some(stored) if stored.len() > 1 && is_over(&stored, listed, known.today) => {
                days.push(Days::Stored(stored));
            }
            Some(stored) => {
                wanted.push((stored.len(), at));
                days.push(Days::Stored(stored));
            }
            None => {
                wanted.push((0, at));
                days.push(Days::FirstOnly(first));
            }
        }
    }
    wanted.sort();
    for (_, at) in wanted.into_iter().take(STAGE_PAGES_PER_CHECK) {
        days[at] = Days::Page;
    }
    days
}

/// Whether a stage whose last known day is `days`' last is over: a later major stage began
/// after it (on or before `today`).
fn is_over(days: &[NaiveDate], listed: &[ListedStage], today: Option<NaiveDate>) -> bool {
    let (Some(last), Some(today)) = (days.last(), today) else {
        return false;
    };
    listed.iter().any(|other| {
        let began = match other.date {
            ListedDate::On(d) | ListedDate::From(d) => d,
            ListedDate::ToBeAnnounced => return false,
        };
        began > *last
            && began <= today
            && !StageKind::of(None, &other.name, other.house).is_procedural()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bill::{Bill, House, Stage};

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    fn listed(id: u32, name: &str, date: ListedDate) -> ListedStage {
        ListedStage {
            id,
            name: name.to_owned(),
            house: House::Commons,
            date,
        }
    }

    fn stored(stages: &[(u32, &str, &[&str])]) -> Snapshot {
        let bill = Bill {
            id: 1,
            title: "A Bill".to_owned(),
            long_title: None,
            former_title: None,
            current_house: None,
            originating_house: None,
            current_stage: None,
            is_act: false,
            withdrawn: None,
            defeated: false,
            last_update: None,
            sponsor: None,
        };
        let stages = stages
            .iter()
            .map(|(id, name, days)| Stage {
                id: *id,
                stage_type: None,
                name: (*name).to_owned(),
                house: House::Commons,
                sittings: days.iter().map(|s| d(s)).collect(),
                sort_order: 0,
            })
            .collect();
        Snapshot::new(bill, stages)
    }

    /// A committee over, one under way, one moved, one new, one known by its first day only:
    /// only the over one keeps its stored days without its page.
    #[test]
    fn pages_are_read_only_when_they_can_tell_something_new() {
        let list = [
            listed(6, "Report stage", ListedDate::On(d("2025-03-20"))),
            listed(5, "Committee stage", ListedDate::From(d("2025-03-01"))),
            listed(4, "Committee stage", ListedDate::From(d("2025-02-10"))),
            listed(3, "Programme motion", ListedDate::From(d("2025-02-05"))),
            listed(2, "Committee stage", ListedDate::From(d("2025-01-06"))),
            listed(1, "2nd reading", ListedDate::From(d("2025-01-02"))),
        ];
        let known = Known {
            stored: Some(stored(&[
                (5, "Committee stage", &["2025-03-01", "2025-03-04"]),
                (4, "Committee stage", &["2025-02-11", "2025-02-12"]),
                (2, "Committee stage", &["2025-01-06"]),
                (1, "2nd reading", &["2025-01-02", "2025-01-03"]),
            ])),
            today: Some(d("2025-03-10")),
        };
        let plan = plan(&list, &known);
        assert_eq!(
            plan,
            [
                Days::Listed,
                Days::Page, // under way: nothing major began after 4 March
                Days::Page, // moved: its first day changed
                Days::Page, // new
                Days::Page, // known by its first day only
                Days::Stored(vec![d("2025-01-02"), d("2025-01-03")]), // over
            ]
        );
        // Without today, nothing counts as over.
        let unknown_day = Known {
            today: None,
            ..known
        };
        assert_eq!(super::plan(&list, &unknown_day)[5], Days::Page);
    }

    /// Past the bound, the stages least known come first; the others wait with their stored
    /// days or the list's first day.
    #[test]
    fn at_most_the_bound_a_check_least_known_first() {
        let first = d("2025-01-01");
        let list: Vec<ListedStage> = (0..30)
            .map(|i| listed(100 - i, "Committee stage", ListedDate::From(first)))
            .collect();
        let known_days: Vec<(u32, &str, &[&str])> = (0..30)
            .filter(|i| i % 2 == 0)
            .map(|i| {
                let days: &[&str] = &["2025-01-01", "2025-01-02"];
                (100 - i, "Committee stage", days)
            })
            .collect();
        let known = Known {
            stored: Some(stored(&known_days)),
            today: Some(d("2025-01-03")),
        };
        let plan = plan(&list, &known);
        let pages: Vec<usize> = (0..30).filter(|i| plan[*i] == Days::Page).collect();
        assert_eq!(
            pages,
            [1, 3, 5, 7, 9, 11, 13, 15, 17, 19],
            "unknown ones, newest first"
        );
        assert_eq!(plan[21], Days::FirstOnly(first));
        assert_eq!(
            plan[0],
            Days::Stored(vec![first, d("2025-01-02")]),
            "waits, with its stored days"
        );
    }
}
