//! What recording one bill's snapshot writes. Pure: no I/O, no clock.
//!
//! The store opens its transaction, loads the previous snapshot, asks [`decide`] and writes the
//! answer; `check --dry-run` asks the same function and writes nothing. Here are the policies:
//! change detection against the previous snapshot, the fields the stage pages cannot see kept
//! from it, the first-sight policy, and the alert filter's split between events that are posted
//! and events that are only recorded.

use std::fmt;

use chrono::NaiveDate;

use std::collections::HashSet;

use crate::bill::Snapshot;
use crate::changes::{self, Announcement, Event, EventKind, StageRef};
use crate::division::{Division, Vote};
use crate::filter::AlertFilter;
use crate::votes;

/// Where the snapshot being recorded came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotSource {
    /// Fetched now from the Bills API.
    Api,
    /// Fetched now from the stage pages, which do not show every field the API does.
    Pages,
    /// The stored snapshot, looked at again without a fetch: the listing showed the bill
    /// unchanged and one of its stages is due to start.
    Listing,
}

impl SnapshotSource {
    /// The name kept in the database and shown by `status`.
    pub fn as_str(self) -> &'static str {
        match self {
            SnapshotSource::Api => "api",
            SnapshotSource::Pages => "pages",
            SnapshotSource::Listing => "listing",
        }
    }

    /// Whether the snapshot was fetched in full just now.
    pub fn fetched(self) -> bool {
        !matches!(self, SnapshotSource::Listing)
    }
}

impl fmt::Display for SnapshotSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What to do with a bill seen for the first time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirstSight {
    /// Record it without alerts (no flood of old stages).
    Silent,
    /// One `tracking_started` alert with its current stage.
    Announce,
    /// A new bill a follow rule brought in: one `bill_introduced` alert.
    Introduce,
}

/// What recording one snapshot writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The snapshot to store: the one served, with what the stage pages cannot see kept from
    /// the previous one.
    pub snapshot: Snapshot,
    /// The first day a stage of `snapshot` not started yet is due to start: the day a check must
    /// look at the bill again even if Parliament changes nothing.
    pub next_due: Option<NaiveDate>,
    /// The events that become alerts.
    pub alerts: Vec<Event>,
    /// The events the alert filter keeps out: only recorded, in the snapshot.
    pub muted: Vec<Event>,
    /// Events already announced for the bill before (flapping data): not announced again.
    pub repeats: Vec<Event>,
    /// Stages of the previous snapshot that are gone from this one: logged and told to the
    /// operator, not alerted.
    pub vanished: Vec<StageRef>,
    /// Nothing was stored for the bill before.
    pub first_seen: bool,
    /// The divisions to record as the bill's: told now, or (first sight) recorded silently.
    pub votes: Vec<Vote>,
}

impl Decision {
    /// The stages found gone, each as a phrase for the operator ("2nd reading in the House of
    /// Commons (stage 123)").
    pub fn vanished_phrases(&self) -> Vec<String> {
        self.vanished
            .iter()
            .map(|stage| {
                format!(
                    "{} (stage {})",
                    crate::message::stage_phrase(stage),
                    stage.id
                )
            })
            .collect()
    }
}

/// What to write for `current`, served by `source` and observed `today`, given the stored
/// `previous` snapshot and the day it was observed (none: the bill is seen for the first time)
/// and what was `announced` for the bill before.
pub fn decide(
    previous: Option<(&Snapshot, NaiveDate)>,
    current: &Snapshot,
    source: SnapshotSource,
    filter: &AlertFilter,
    today: NaiveDate,
    first: FirstSight,
    announced: &HashSet<Announcement>,
) -> Decision {
    // The pages do not show everything the API does: keep what they cannot see, so that
    // switching sources never looks like a change.
    let snapshot = match (previous, source) {
        (Some((prev, _)), SnapshotSource::Pages) => current.clone().with_unseen_from(prev),
        (Some((prev, _)), _) => current.clone().with_documents_from(prev),
        (None, _) => current.clone(),
    };
    let events = match (previous, first) {
        (Some((prev, seen_on)), _) => changes::detect(prev, seen_on, &snapshot, today),
        (None, FirstSight::Silent) => Vec::new(),
        (None, FirstSight::Announce) => vec![changes::tracking_started(&snapshot, today)],
        (None, FirstSight::Introduce) => vec![changes::bill_introduced(&snapshot)],
    };
    let (alerts, muted): (Vec<Event>, Vec<Event>) =
        events.into_iter().partition(|e| filter.allows(e));
    let (alerts, repeats) = alerts
        .into_iter()
        .partition(|e| !announced.contains(&e.announcement()));
    let vanished = previous
        .map(|(prev, _)| {
            prev.stages
                .iter()
                .filter(|s| snapshot.stage(s.id).is_none())
                .map(|s| StageRef::of(prev, s))
                .collect()
        })
        .unwrap_or_default();
    Decision {
        next_due: next_due(&snapshot, today),
        snapshot,
        alerts,
        muted,
        repeats,
        vanished,
        first_seen: previous.is_none(),
        votes: Vec::new(),
    }
}

/// What the bill's divisions add to `decision`: the new ones (`found` by this check, matched
/// to the bill, not `recorded` before) become `division` alerts, each part filtered, and a
/// reading's vote joins the `stage_reached` alert of its stage when both come now (one
/// message). Seen for the first time (`silent`), they are recorded without alerts.
pub fn with_votes(
    decision: &mut Decision,
    found: &FoundVotes<'_>,
    filter: &AlertFilter,
    silent: bool,
) {
    let fresh = votes::new_votes(
        &decision.snapshot,
        found.former_title,
        found.divisions,
        found.recorded,
    );
    if silent {
        decision.votes = fresh;
        return;
    }
    let (events, record) = votes::events(&decision.snapshot, fresh, found.now, found.group_after);
    decision.votes = record;
    for event in events {
        let Some(shown) = filter.shown(&event) else {
            decision.muted.push(event);
            continue;
        };
        let stage = shown.stage.as_ref().map(|s| s.id);
        let joined = decision
            .alerts
            .iter_mut()
            .find(|a| a.kind == EventKind::StageReached && a.stage.as_ref().map(|s| s.id) == stage);
        match (joined, shown.votes.as_slice()) {
            (Some(reached), [vote]) if vote.is_single() => reached.votes.push(vote.clone()),
            _ => decision.alerts.push(shown),
        }
    }
}

/// The divisions a check found, for [`with_votes`].
#[derive(Debug, Clone, Copy)]
pub struct FoundVotes<'a> {
    /// Every division the check's searches gave (of any bill).
    pub divisions: &'a [Division],
    /// Those recorded for the bill before.
    pub recorded: &'a votes::RecordedVotes,
    /// The bill's title before this check, when it was renamed.
    pub former_title: Option<&'a str>,
    pub now: chrono::DateTime<chrono::Utc>,
    /// How old a day's newest division must be before the day's votes are told.
    pub group_after: chrono::Duration,
}

/// The first day on which a stage of `snapshot` not yet started by `today` is due to start.
pub fn next_due(snapshot: &Snapshot, today: NaiveDate) -> Option<NaiveDate> {
    snapshot
        .stages
        .iter()
        .filter_map(|s| s.first_sitting())
        .filter(|d| *d > today)
        .min()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::bill::House;
    use crate::filter::{Kinds, Stages};

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    /// A Commons bill: 1st reading on 22 January, the 2nd reading and a programme motion on
    /// `second` (if scheduled). Built from JSON, as the store keeps it.
    fn snapshot(second: Option<&str>) -> Snapshot {
        let stage = |id: u32, name: &str, order: i32, day: Option<&str>| {
            json!({"id": id, "stage_type": null, "name": name, "house": "Commons",
                   "sittings": day.into_iter().collect::<Vec<_>>(), "sort_order": order})
        };
        serde_json::from_value(json!({
            "bill": {"id": 3929, "title": "Border Security Bill", "long_title": null,
                     "current_house": null, "originating_house": "Commons",
                     "current_stage": null, "is_act": false, "withdrawn": null,
                     "defeated": false, "last_update": null},
            "stages": [stage(1, "1st reading", 1, Some("2025-01-22")),
                       stage(2, "Programme motion", 2, second),
                       stage(3, "2nd reading", 3, second)],
        }))
        .expect("a snapshot")
    }

    fn kinds(events: &[Event]) -> Vec<(EventKind, Option<&str>)> {
        events
            .iter()
            .map(|e| (e.kind, e.stage.as_ref().map(|s| s.name.as_str())))
            .collect()
    }

    fn default_decide(
        previous: Option<(&Snapshot, NaiveDate)>,
        current: &Snapshot,
        today: &str,
        first: FirstSight,
    ) -> Decision {
        let filter = AlertFilter::default();
        decide(
            previous,
            current,
            SnapshotSource::Api,
            &filter,
            d(today),
            first,
            &HashSet::new(),
        )
    }

    #[test]
    fn a_bill_seen_first_is_recorded_silently() {
        let current = snapshot(Some("2025-02-10"));
        let decision = default_decide(None, &current, "2025-02-01", FirstSight::Silent);
        assert!(decision.first_seen);
        assert!(decision.alerts.is_empty());
        assert!(decision.muted.is_empty());
        assert_eq!(decision.snapshot, current);
        assert_eq!(decision.next_due, Some(d("2025-02-10")));
    }

    #[test]
    fn a_bill_seen_first_is_announced_when_asked() {
        let current = snapshot(Some("2025-02-10"));
        let decision = default_decide(None, &current, "2025-02-01", FirstSight::Announce);
        assert!(decision.first_seen);
        assert_eq!(
            kinds(&decision.alerts),
            [(EventKind::TrackingStarted, Some("1st reading"))]
        );
    }

    /// A new bill a follow rule brought in: one `bill_introduced`, its 1st reading, its long
    /// title; seen again, nothing more.
    #[test]
    fn a_new_bill_of_a_rule_is_introduced_once() {
        let mut current = snapshot(Some("2025-02-10"));
        current.bill.long_title = Some("A Bill to make provision about borders".into());
        let decision = default_decide(None, &current, "2025-02-01", FirstSight::Introduce);
        assert_eq!(
            kinds(&decision.alerts),
            [(EventKind::BillIntroduced, Some("1st reading"))]
        );
        let event = &decision.alerts[0];
        assert_eq!(event.date, Some(d("2025-01-22")));
        let text = crate::message::render_text(event, "https://x.test", d("2025-02-01"));
        assert!(
            text.contains(
                "New bill: introduced in the House of Commons (1st reading) on 22 \
                           January 2025."
            ) && text.contains("A Bill to make provision about borders"),
            "{text}"
        );
        let again = default_decide(
            Some((&current, d("2025-02-01"))),
            &current,
            "2025-02-01",
            FirstSight::Introduce,
        );
        assert!(again.alerts.is_empty());
    }

    #[test]
    fn unchanged_input_gives_nothing() {
        let previous = snapshot(Some("2025-02-10"));
        for first in [FirstSight::Silent, FirstSight::Announce] {
            let decision = default_decide(
                Some((&previous, d("2025-02-01"))),
                &previous,
                "2025-02-02",
                first,
            );
            assert!(!decision.first_seen);
            assert!(decision.alerts.is_empty(), "{:?}", decision.alerts);
            assert!(decision.muted.is_empty(), "{:?}", decision.muted);
            assert_eq!(decision.snapshot, previous);
        }
    }

    #[test]
    fn the_filter_splits_alerts_from_events_only_recorded() {
        let previous = snapshot(None);
        let current = snapshot(Some("2025-02-10"));
        let decision = default_decide(
            Some((&previous, d("2025-02-01"))),
            &current,
            "2025-02-01",
            FirstSight::Silent,
        );
        assert_eq!(
            kinds(&decision.alerts),
            [(EventKind::StageScheduled, Some("2nd reading"))]
        );
        assert_eq!(
            kinds(&decision.muted),
            [(EventKind::StageScheduled, Some("Programme motion"))]
        );
        // With every stage allowed, nothing is only recorded.
        let all = AlertFilter {
            kinds: Kinds::All,
            stages: Stages::All,
            documents: crate::document::Documents::All,
        };
        let previous_on = Some((&previous, d("2025-02-01")));
        let decision = decide(
            previous_on,
            &current,
            SnapshotSource::Api,
            &all,
            d("2025-02-01"),
            FirstSight::Silent,
            &HashSet::new(),
        );
        assert_eq!(decision.alerts.len(), 2);
        assert!(decision.muted.is_empty());
    }

    #[test]
    fn a_stage_is_reached_on_its_day_from_the_stored_snapshot() {
        let stored = snapshot(Some("2025-02-10"));
        let decision = decide(
            Some((&stored, d("2025-02-05"))),
            &stored,
            SnapshotSource::Listing,
            &AlertFilter::default(),
            d("2025-02-10"),
            FirstSight::Silent,
            &HashSet::new(),
        );
        assert_eq!(
            kinds(&decision.alerts),
            [(EventKind::StageReached, Some("2nd reading"))]
        );
        assert_eq!(decision.next_due, None);
    }

    #[test]
    fn the_pages_keep_what_they_cannot_see_from_the_previous_snapshot() {
        let mut previous = snapshot(Some("2025-02-10"));
        previous.bill.long_title = Some("A Bill to make provision about border security".into());
        previous.bill.current_house = Some(House::Commons);
        let current = snapshot(Some("2025-02-10"));
        let on = Some((&previous, d("2025-02-01")));
        let filter = AlertFilter::default();
        let pages = decide(
            on,
            &current,
            SnapshotSource::Pages,
            &filter,
            d("2025-02-02"),
            FirstSight::Silent,
            &HashSet::new(),
        );
        assert_eq!(pages.snapshot, previous);
        assert!(pages.alerts.is_empty() && pages.muted.is_empty());
        // The API sees every field: what it leaves out is gone.
        let api = decide(
            on,
            &current,
            SnapshotSource::Api,
            &filter,
            d("2025-02-02"),
            FirstSight::Silent,
            &HashSet::new(),
        );
        assert_eq!(api.snapshot, current);
        // A bill seen first from the pages has nothing to fill in from.
        let first = decide(
            None,
            &current,
            SnapshotSource::Pages,
            &filter,
            d("2025-02-02"),
            FirstSight::Silent,
            &HashSet::new(),
        );
        assert_eq!(first.snapshot, current);
    }

    #[test]
    fn source_names_are_those_the_database_keeps() {
        assert_eq!(SnapshotSource::Api.to_string(), "api");
        assert_eq!(SnapshotSource::Pages.to_string(), "pages");
        assert_eq!(SnapshotSource::Listing.to_string(), "listing");
        assert!(!SnapshotSource::Listing.fetched());
        assert!(SnapshotSource::Pages.fetched());
    }
}
