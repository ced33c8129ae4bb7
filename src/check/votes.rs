//! The votes part of a check: which Houses' Votes APIs are asked, and the divisions they give
//! recorded with the bills they belong to.
//!
//! A House's Votes API is asked only while a tracked bill has a sitting day in that House within
//! the last [`RECENT_SITTING_DAYS`] days (its divisions may still be coming: they are published
//! within hours), and then at most once every `parliament.votes_gap` (the time of the last
//! search is kept in the store's `meta`), except in a check that finds a tracked bill sitting
//! on a day it did not have before in that House: that check asks at once. A check in which no
//! tracked bill sat recently asks neither API.
//!
//! A Votes API that fails is logged and holds nothing up: the bills are recorded without
//! divisions, their stage alerts go, and the votes come at a later check.

use std::collections::BTreeSet;

use chrono::{DateTime, Days, NaiveDate, Utc};

use super::{CheckReport, Run, SnapshotSource, recording};
use crate::bill::{BillId, House, Snapshot};
use crate::config::Config;
use crate::division::Division;
use crate::source::{SourceKind, Sources};
use crate::store::StoreError;

/// How many days after a sitting its House's Votes API is still asked: divisions are published
/// within hours, so three days cover a weekend's delay. A deferred Commons division voted on
/// later than that (they are held on Wednesdays) is not seen.
pub const RECENT_SITTING_DAYS: u64 = 3;

/// A fetched bill waiting for the votes.
pub(super) type Waiting = (BillId, Snapshot, SourceKind);

/// Whether a fetched bill may have divisions to come: votes are on, and it sat recently.
pub(super) fn may_be_voting(config: &Config, snapshot: &Snapshot, today: NaiveDate) -> bool {
    config.parliament.votes && !recent_houses(snapshot, today).is_empty()
}

/// The Houses in which `snapshot`'s bill sat in the last [`RECENT_SITTING_DAYS`] days.
fn recent_houses(snapshot: &Snapshot, today: NaiveDate) -> BTreeSet<House> {
    let start = window_start(today);
    snapshot
        .stages
        .iter()
        .filter(|s| matches!(s.house, House::Commons | House::Lords))
        .filter(|s| s.sittings.iter().any(|d| (start..=today).contains(d)))
        .map(|s| s.house)
        .collect()
}

/// The Houses in which `snapshot`'s bill has a recent sitting day that `before` did not have.
fn new_sitting_houses(
    before: Option<&Snapshot>,
    snapshot: &Snapshot,
    today: NaiveDate,
) -> BTreeSet<House> {
    let start = window_start(today);
    snapshot
        .stages
        .iter()
        .filter(|s| matches!(s.house, House::Commons | House::Lords))
        .filter(|s| {
            let had = before.and_then(|b| b.stage(s.id));
            s.sittings
                .iter()
                .any(|d| (start..=today).contains(d) && had.is_none_or(|h| !h.sittings.contains(d)))
        })
        .map(|s| s.house)
        .collect()
}

fn window_start(today: NaiveDate) -> NaiveDate {
    today
        .checked_sub_days(Days::new(RECENT_SITTING_DAYS))
        .unwrap_or(today)
}

/// Asks the Votes APIs the bills need, then records the `waiting` bills with the divisions
/// found, and the other tracked bills that sat recently (from their stored snapshots) when
/// divisions were found.
pub(super) async fn settle(
    run: &Run<'_>,
    sources: &Sources,
    waiting: Vec<Waiting>,
    report: &mut CheckReport,
) -> Result<(), StoreError> {
    let (mut wanted, mut at_once) = (BTreeSet::new(), BTreeSet::new());
    for (id, snapshot, _) in &waiting {
        let before = run.target.snapshot(*id).await.ok().flatten();
        wanted.extend(recent_houses(snapshot, run.today));
        at_once.extend(new_sitting_houses(before.as_ref(), snapshot, run.today));
    }
    let stored = if run.config.parliament.votes {
        sat_recently(run, &waiting, report).await
    } else {
        Vec::new()
    };
    for (_, snapshot) in &stored {
        wanted.extend(recent_houses(snapshot, run.today));
    }
    let divisions = search(run, sources, &wanted, &at_once, &mut report.notices).await?;
    for (id, snapshot, source) in waiting {
        let outcome = run
            .record_fetched(id, snapshot, source, divisions.clone(), report)
            .await?;
        report.bills.push(outcome);
    }
    if divisions.is_empty() {
        return Ok(());
    }
    for (id, snapshot) in stored {
        let mut how = recording(
            run.config,
            id,
            SnapshotSource::Listing,
            run.first,
            run.clock.now(),
            run.today,
            false,
        );
        how.divisions = divisions.clone();
        match run.target.record(snapshot, how, report).await {
            Ok(noted) => {
                if let Some(b) = report.bills.iter_mut().find(|b| b.bill_id == id) {
                    b.alerts += noted.alerts;
                }
            }
            Err(e) if e.is_damaged_row() => {
                tracing::warn!(bill = id, "its divisions cannot be recorded now: {e}");
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The stored snapshots of the tracked bills not fetched now (nor failed) that sat recently.
async fn sat_recently(
    run: &Run<'_>,
    waiting: &[Waiting],
    report: &CheckReport,
) -> Vec<(BillId, Snapshot)> {
    let ids: Vec<BillId> = run
        .config
        .bills
        .iter()
        .map(|b| b.id)
        .filter(|id| {
            let fetched_or_failed = waiting.iter().any(|(w, _, _)| w == id)
                || report.bills.iter().any(|b| {
                    b.bill_id == *id
                        && (b.error.is_some() || b.source.as_deref() != Some("listing"))
                });
            !fetched_or_failed
        })
        .collect();
    let sat = run
        .target
        .sat_between(ids, window_start(run.today), run.today)
        .await;
    match sat {
        Ok(sat) => sat
            .into_iter()
            .filter(|(_, snapshot)| !recent_houses(snapshot, run.today).is_empty())
            .collect(),
        Err(e) => {
            tracing::warn!("cannot read which bills sat recently: {e}");
            Vec::new()
        }
    }
}

/// The divisions of the `wanted` Houses from the last [`RECENT_SITTING_DAYS`] days, each House
/// asked when its gap has passed or it is in `at_once`. A failed search is logged and gives
/// nothing.
async fn search(
    run: &Run<'_>,
    sources: &Sources,
    wanted: &BTreeSet<House>,
    at_once: &BTreeSet<House>,
    notices: &mut Vec<String>,
) -> Result<Vec<Division>, StoreError> {
    let now = run.clock.now();
    let gap = chrono::Duration::from_std(run.config.parliament.votes_gap)
        .unwrap_or(chrono::Duration::MAX);
    let mut out = Vec::new();
    for house in wanted {
        let key = format!("votes_searched:{house}");
        let last = match run.target.stored() {
            Some(db) => {
                let key = key.clone();
                db.call(move |s| s.meta(&key)).await?
            }
            None => None,
        };
        let last = last.and_then(|t| DateTime::parse_from_rfc3339(&t).ok());
        let due = at_once.contains(house)
            || last.is_none_or(|t| {
                let t = t.with_timezone(&Utc);
                t > now || now - t >= gap
            });
        if !due {
            tracing::debug!(%house, "votes: asked less than `votes_gap` ago, not now");
            continue;
        }
        if let Some(db) = run.target.writable() {
            let at = now.to_rfc3339();
            db.call(move |s| s.set_meta(&key, &at)).await?;
        }
        let start = window_start(run.today);
        let searched = sources.votes.search(*house, start, run.today).await;
        let failed = searched.as_ref().err().map(ToString::to_string);
        match searched {
            Ok(found) => {
                tracing::info!(%house, divisions = found.len(), "votes: divisions since {start}");
                out.extend(found);
            }
            Err(e) => tracing::warn!(
                "{e}; the stage alerts go on without the votes, which are asked again at a \
                 later check"
            ),
        }
        if let Some(notice) = note_health(run, *house, failed).await? {
            notices.push(notice);
        }
    }
    Ok(out)
}

/// Counts a House's failed searches in a row (`meta`); what the operator should hear: once
/// when they reach `telegram.failure_threshold` (3 without Telegram), once on recovery.
async fn note_health(
    run: &Run<'_>,
    house: House,
    failed: Option<String>,
) -> Result<Option<String>, StoreError> {
    let Some(db) = run.target.writable() else {
        return Ok(None);
    };
    let key = format!("votes_failures:{house}");
    let read = key.clone();
    let before: u32 = db
        .call(move |s| s.meta(&read))
        .await?
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let threshold = run
        .config
        .telegram
        .as_ref()
        .map_or(3, |t| t.failure_threshold)
        .max(1);
    let (after, notice) = match failed {
        Some(e) => {
            let after = before.saturating_add(1);
            let notice = (after == threshold).then(|| {
                format!(
                    "the {house} Votes API has failed {after} searches in a row ({e}). Stage \
                     alerts go on; votes wait until it answers again."
                )
            });
            (after, notice)
        }
        None => {
            let notice = (before >= threshold)
                .then(|| format!("the {house} Votes API answers again: votes go on."));
            (0, notice)
        }
    };
    if after != before {
        let value = after.to_string();
        db.call(move |s| s.set_meta(&key, &value)).await?;
    }
    Ok(notice)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(sittings: &[(&str, House)]) -> Snapshot {
        let stages = sittings
            .iter()
            .enumerate()
            .map(|(i, (day, house))| crate::bill::Stage {
                id: i as u32 + 1,
                stage_type: None,
                name: "2nd reading".into(),
                house: *house,
                sittings: vec![day.parse().expect("date")],
                sort_order: i as i32,
            })
            .collect();
        let bill: crate::bill::Bill = serde_json::from_value(serde_json::json!({
            "id": 1, "title": "A Bill", "long_title": null, "current_house": null,
            "originating_house": "Commons", "current_stage": null, "is_act": false,
            "withdrawn": null, "defeated": false, "last_update": null}))
        .expect("bill");
        Snapshot::new(bill, stages)
    }

    #[test]
    fn only_houses_that_sat_in_the_last_three_days_are_asked() {
        let today: NaiveDate = "2025-02-13".parse().expect("date");
        let s = snapshot(&[("2025-02-10", House::Commons), ("2025-02-09", House::Lords)]);
        assert_eq!(recent_houses(&s, today), BTreeSet::from([House::Commons]));
        let later: NaiveDate = "2025-02-14".parse().expect("date");
        assert!(recent_houses(&s, later).is_empty());
        let before = snapshot(&[("2025-02-09", House::Commons)]);
        assert!(new_sitting_houses(Some(&s), &s, today).is_empty());
        assert_eq!(
            new_sitting_houses(Some(&before), &s, today),
            BTreeSet::from([House::Commons])
        );
        assert_eq!(
            new_sitting_houses(None, &s, today),
            BTreeSet::from([House::Commons])
        );
    }
}
