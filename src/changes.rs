//! Change detection: what happened to a bill between two snapshots. Pure: no I/O, no clock.
//!
//! Stages are matched on their bill-stage id, never on their names. A stage counts as *reached*
//! once its first sitting is on or before the day it was observed, so a stage that was scheduled
//! for a future day turns into [`EventKind::StageReached`] on that day even when Parliament's
//! data has not changed at all.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::bill::{BillId, BillStageId, House, Snapshot, Sponsor, Stage};
use crate::division::Vote;
use crate::document::{Document, new_documents};
use crate::stage::StageKind;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// `check --announce` on a bill seen for the first time: where it stands now.
    TrackingStarted,
    /// A stage got a date in the future (Parliament's future dates are provisional).
    StageScheduled,
    /// The future date of a stage that has not started moved, or was withdrawn.
    StageRescheduled,
    /// A stage's first sitting is today or in the past.
    StageReached,
    /// Another day of a stage that had already started.
    SittingAdded,
    /// The bill became an Act.
    RoyalAssent,
    Withdrawn,
    Defeated,
    /// The bill's short title changed (other than at Royal Assent).
    Renamed,
    /// Parliament published a document of the bill (a new print of its text, ...).
    DocumentPublished,
    /// The House voted on the bill: a reading's division, or a day's votes on amendments.
    Division,
    /// A bill new to this deployment that matches a follow rule: where and when it was
    /// introduced, with its long title.
    BillIntroduced,
}

impl EventKind {
    pub const ALL: [EventKind; 12] = [
        EventKind::TrackingStarted,
        EventKind::StageScheduled,
        EventKind::StageRescheduled,
        EventKind::StageReached,
        EventKind::SittingAdded,
        EventKind::RoyalAssent,
        EventKind::Withdrawn,
        EventKind::Defeated,
        EventKind::Renamed,
        EventKind::DocumentPublished,
        EventKind::Division,
        EventKind::BillIntroduced,
    ];

    /// The snake_case name used in JSON output and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::TrackingStarted => "tracking_started",
            EventKind::StageScheduled => "stage_scheduled",
            EventKind::StageRescheduled => "stage_rescheduled",
            EventKind::StageReached => "stage_reached",
            EventKind::SittingAdded => "sitting_added",
            EventKind::RoyalAssent => "royal_assent",
            EventKind::Withdrawn => "withdrawn",
            EventKind::Defeated => "defeated",
            EventKind::Renamed => "renamed",
            EventKind::DocumentPublished => "document_published",
            EventKind::Division => "division",
            EventKind::BillIntroduced => "bill_introduced",
        }
    }
}

/// The stage an event is about, copied out of the snapshot so the event stands on its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageRef {
    pub id: BillStageId,
    pub stage_type: Option<u32>,
    pub name: String,
    pub house: House,
    /// For ping-pong stages: which round this is (1, 2, ...).
    pub round: Option<u32>,
}

impl StageRef {
    /// The stage as an event carries it, with its round of ping-pong counted in `snapshot`.
    pub fn of(snapshot: &Snapshot, stage: &Stage) -> Self {
        StageRef {
            id: stage.id,
            stage_type: stage.stage_type,
            name: stage.name.clone(),
            house: stage.house,
            round: snapshot.ping_pong_round(stage),
        }
    }

    /// What kind of stage it is: decided by [`StageKind::of`], the one table.
    pub fn kind(&self) -> StageKind {
        StageKind::of(self.stage_type, &self.name, self.house)
    }
}

/// One thing that happened to a bill: what an alert tells.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub bill_id: BillId,
    pub kind: EventKind,
    /// The bill's short title at the time of the event.
    pub title: String,
    pub stage: Option<StageRef>,
    pub date: Option<NaiveDate>,
    /// For `stage_rescheduled`: the date it had before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_date: Option<NaiveDate>,
    /// For `renamed` and `royal_assent`: the title it had before, when it changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_title: Option<String>,
    /// What comes next in the bill's journey, for a stage that started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<NextStep>,
    /// This kind of stage appears for the bill for the first time: worth a line of explanation.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub first_of_its_kind: bool,
    /// For `document_published`: the document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<Document>,
    /// For `division`: the votes told (one, or a sitting day's votes on amendments); for
    /// `stage_reached`: the stage's vote, when it was found in the same check.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub votes: Vec<Vote>,
    /// For `bill_introduced`: what the bill is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub long_title: Option<String>,
    /// For `bill_introduced`: who brought it in, when the data says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sponsor: Option<Sponsor>,
}

/// What comes next after a stage: the next scheduled stage if Parliament has announced one,
/// else the next step of the usual journey.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NextStep {
    /// "Committee stage", or at the end of the journey "consideration of amendments, or Royal Assent".
    pub name: String,
    pub house: Option<House>,
    /// Set when Parliament has scheduled it.
    pub date: Option<NaiveDate>,
}

/// What makes two alerts the same news, so that nothing is announced twice when Parliament's
/// data flaps (a stage that vanishes and comes back, `isAct` true, false, true, a source that
/// lacks a stage): the same kind, for the same bill-stage, on the same day. Royal Assent,
/// withdrawn, defeated and "now tracking" come at most once per bill; a rename once per title.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Announcement {
    kind: EventKind,
    stage: Option<BillStageId>,
    detail: String,
}

impl Event {
    /// What this alert announces, to tell it from news already given.
    pub fn announcement(&self) -> Announcement {
        let detail = match self.kind {
            EventKind::RoyalAssent
            | EventKind::Withdrawn
            | EventKind::Defeated
            | EventKind::TrackingStarted
            | EventKind::BillIntroduced => String::new(),
            EventKind::Renamed => self.title.clone(),
            EventKind::DocumentPublished => {
                format!("{:?}", self.document.as_ref().map(|d| d.id))
            }
            EventKind::Division => self
                .votes
                .iter()
                .map(|v| format!("{} {}", v.division.house, v.division.id))
                .collect::<Vec<_>>()
                .join(", "),
            EventKind::StageRescheduled => format!("{:?} from {:?}", self.date, self.previous_date),
            EventKind::StageScheduled | EventKind::StageReached | EventKind::SittingAdded => {
                format!("{:?}", self.date)
            }
        };
        let stage = match self.kind {
            EventKind::RoyalAssent
            | EventKind::Withdrawn
            | EventKind::Defeated
            | EventKind::BillIntroduced => None,
            _ => self.stage.as_ref().map(|s| s.id),
        };
        Announcement {
            kind: self.kind,
            stage,
            detail,
        }
    }

    fn bill(snapshot: &Snapshot, kind: EventKind) -> Self {
        Event {
            bill_id: snapshot.bill.id,
            kind,
            title: snapshot.bill.title.clone(),
            stage: None,
            date: None,
            previous_date: None,
            previous_title: None,
            next: None,
            first_of_its_kind: false,
            document: None,
            votes: Vec::new(),
            long_title: None,
            sponsor: None,
        }
    }

    /// A `division` event about `stage` of `snapshot`, on its sitting day `date`.
    pub fn division(snapshot: &Snapshot, stage: &Stage, date: NaiveDate, votes: Vec<Vote>) -> Self {
        Event {
            votes,
            ..Event::stage(snapshot, stage, EventKind::Division, Some(date))
        }
    }

    fn stage(snapshot: &Snapshot, stage: &Stage, kind: EventKind, date: Option<NaiveDate>) -> Self {
        Event {
            stage: Some(StageRef::of(snapshot, stage)),
            date,
            ..Event::bill(snapshot, kind)
        }
    }
}

/// What comes after `stage`: the soonest later stage Parliament has scheduled, else the usual
/// next step of the journey.
pub fn next_step(snapshot: &Snapshot, stage: &Stage, today: NaiveDate) -> Option<NextStep> {
    let kind = stage.kind();
    if kind == StageKind::RoyalAssent || kind.is_procedural() {
        return None;
    }
    let scheduled = snapshot
        .stages
        .iter()
        .filter(|s| {
            s.id != stage.id && !s.kind().is_procedural() && s.sort_order > stage.sort_order
        })
        .filter_map(|s| s.first_sitting().filter(|d| *d > today).map(|d| (s, d)))
        .min_by_key(|(s, d)| (*d, s.sort_order));
    if let Some((s, d)) = scheduled {
        return Some(NextStep {
            name: s.name.clone(),
            house: matches!(s.house, House::Commons | House::Lords).then_some(s.house),
            date: Some(d),
        });
    }
    let house = stage.house;
    let step = |name: &str, house: Option<House>| {
        Some(NextStep {
            name: name.to_owned(),
            house,
            date: None,
        })
    };
    match kind {
        StageKind::FirstReading => step("2nd reading", Some(house)),
        StageKind::SecondReading => step("Committee stage", Some(house)),
        StageKind::Committee => step("Report stage", Some(house)),
        StageKind::Report => step("3rd reading", Some(house)),
        StageKind::ThirdReading if Some(house) == snapshot.origin() => {
            step("1st reading", Some(house.other()?))
        }
        StageKind::ThirdReading => step("consideration of amendments, or Royal Assent", None),
        StageKind::PingPong => step(
            "the other House's reply, or Royal Assent once both agree",
            None,
        ),
        _ => None,
    }
}

/// Whether two stages are of the same kind, for "the first of its kind": all committees alike,
/// all rounds of ping-pong alike, a reading in either House alike; other stages by name.
fn same_kind(a: &StageRef, b: &Stage) -> bool {
    let kind = a.kind();
    kind == b.kind() && (!kind.groups_by_name() || a.name.eq_ignore_ascii_case(&b.name))
}

/// What happened to one stage between `before` (as observed on `previous_on`) and `stage` (as
/// observed `today`).
fn stage_events(
    current: &Snapshot,
    before: &Stage,
    previous_on: NaiveDate,
    stage: &Stage,
    today: NaiveDate,
    events: &mut Vec<Event>,
) {
    let first_now = stage.first_sitting();
    let was_reached = before.reached_by(previous_on);
    let newly_reached = !was_reached && stage.reached_by(today);
    if was_reached || newly_reached {
        if newly_reached && !stage.is_royal_assent() {
            let mut event = Event::stage(current, stage, EventKind::StageReached, first_now);
            event.next = next_step(current, stage, today);
            events.push(event);
        }
        // New days of a stage under way are news of their own; for a stage that starts in
        // this check, its first day is told by `stage_reached`.
        let new_days = stage
            .sittings
            .iter()
            .skip(usize::from(newly_reached))
            .filter(|d| !before.sittings.contains(d));
        for day in new_days {
            events.push(Event::stage(
                current,
                stage,
                EventKind::SittingAdded,
                Some(*day),
            ));
        }
        return;
    }
    match (before.first_sitting(), first_now) {
        (None, Some(d)) => events.push(Event::stage(
            current,
            stage,
            EventKind::StageScheduled,
            Some(d),
        )),
        (Some(was), now) if Some(was) != now => {
            let mut event = Event::stage(current, stage, EventKind::StageRescheduled, now);
            event.previous_date = Some(was);
            events.push(event);
        }
        _ => {}
    }
}

/// Everything that happened between `previous` (as observed on `previous_on`) and `current`
/// (as observed `today`), in journey order, bill-level events last.
///
/// Unchanged input, reordered stages and fields the model ignores produce nothing.
pub fn detect(
    previous: &Snapshot,
    previous_on: NaiveDate,
    current: &Snapshot,
    today: NaiveDate,
) -> Vec<Event> {
    let mut events = Vec::new();

    for stage in &current.stages {
        // A stage seen for the first time is treated as one that was listed without a date.
        let unseen;
        let before = match previous.stage(stage.id) {
            Some(before) => before,
            None => {
                unseen = Stage {
                    sittings: Vec::new(),
                    ..stage.clone()
                };
                &unseen
            }
        };
        stage_events(current, before, previous_on, stage, today, &mut events);
    }

    for event in &mut events {
        if let Some(stage) = &event.stage {
            event.first_of_its_kind = !previous.stages.iter().any(|s| same_kind(stage, s));
        }
    }

    let title_changed = previous.bill.title.trim() != current.bill.title.trim();
    let previous_title = title_changed.then(|| previous.bill.title.clone());

    if current.has_royal_assent(today) && !previous.has_royal_assent(previous_on) {
        let mut event = Event::bill(current, EventKind::RoyalAssent);
        if let Some(stage) = current.stages.iter().find(|s| s.is_royal_assent()) {
            event.stage = Some(StageRef::of(current, stage));
            event.date = stage.first_sitting();
        }
        // Stages taken before Royal Assent were taken by the bill: they are titled as it was
        // called then, not as the Act it has just become.
        if let Some(was) = &previous_title {
            let before_assent = |e: &Event| match (e.date, event.date) {
                (Some(day), Some(assent)) => day < assent,
                _ => true,
            };
            for e in events.iter_mut().filter(|e| before_assent(e)) {
                e.title.clone_from(was);
            }
        }
        event.previous_title = previous_title;
        events.push(event);
    } else if title_changed {
        let mut event = Event::bill(current, EventKind::Renamed);
        event.previous_title = previous_title;
        events.push(event);
    }

    for document in new_documents(previous.documents.as_deref(), current.documents.as_deref()) {
        let mut event = Event::bill(current, EventKind::DocumentPublished);
        event.date = document.date;
        event.document = Some(document.clone());
        events.push(event);
    }

    if previous.bill.withdrawn.is_none() && current.bill.withdrawn.is_some() {
        let mut event = Event::bill(current, EventKind::Withdrawn);
        event.date = current.bill.withdrawn;
        events.push(event);
    }
    if !previous.bill.defeated && current.bill.defeated {
        events.push(Event::bill(current, EventKind::Defeated));
    }
    events
}

/// The `tracking_started` event for a bill seen for the first time: where it stands `today`.
/// A bill new to this deployment that a follow rule brought in: its first stage (the 1st
/// reading, where and when it was introduced) and its long title.
pub fn bill_introduced(current: &Snapshot) -> Event {
    let mut event = Event::bill(current, EventKind::BillIntroduced);
    event.long_title = current.bill.long_title.clone();
    event.sponsor = current.bill.sponsor.clone();
    let first = current
        .stages
        .iter()
        .filter(|s| s.first_sitting().is_some())
        .min_by_key(|s| s.first_sitting())
        .or_else(|| current.stages.first());
    if let Some(stage) = first {
        event.stage = Some(StageRef::of(current, stage));
        event.date = stage.first_sitting();
    }
    event
}

pub fn tracking_started(current: &Snapshot, today: NaiveDate) -> Event {
    let mut event = Event::bill(current, EventKind::TrackingStarted);
    // The stage people follow (a 2nd reading, not the money resolution passed the same day),
    // as the status card names it; a procedural one only when there is nothing else.
    let latest = current
        .latest_major(today)
        .or_else(|| current.latest_reached(today));
    if let Some(stage) = latest {
        event.stage = Some(StageRef::of(current, stage));
        event.date = stage.first_sitting();
        event.next = next_step(current, stage, today);
    } else if let Some(cs) = &current.bill.current_stage {
        event.stage = current
            .stage(cs.id)
            .map(|s| StageRef::of(current, s))
            .or_else(|| {
                Some(StageRef {
                    id: cs.id,
                    stage_type: None,
                    name: cs.name.clone(),
                    house: cs.house,
                    round: None,
                })
            });
    }
    event
}
