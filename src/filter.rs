//! Signal over noise: which events become alerts. Pure.
//!
//! By default only the stages people follow are posted — readings, committee, report, each round
//! of ping-pong, Royal Assent — and only these kinds: a stage scheduled, moved or reached, Royal
//! Assent, withdrawn, defeated. Procedural stages (programme motions, money and ways and means
//! resolutions, carry-over motions, ...) and further sittings of a stage already announced are
//! recorded in the bill's snapshot but not posted.

use crate::changes::{Event, EventKind};
use crate::document::Documents;

/// Which kinds of event are posted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kinds {
    /// Everything but `sitting_added` and `renamed`.
    Default,
    All,
    List(Vec<EventKind>),
}

/// Which stages' events are posted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stages {
    /// Everything but procedural stages (motions, resolutions, stage types billwatch does not
    /// know).
    Major,
    All,
    /// Stage names, lower case.
    List(Vec<String>),
}

/// What is posted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertFilter {
    pub kinds: Kinds,
    pub stages: Stages,
    /// Which documents' publication is posted (when `document_published` is).
    pub documents: Documents,
}

impl Default for AlertFilter {
    fn default() -> Self {
        AlertFilter {
            kinds: Kinds::Default,
            stages: Stages::Major,
            documents: Documents::Default,
        }
    }
}

impl AlertFilter {
    /// Whether `event` becomes an alert. `tracking_started` (asked for with `--announce`) always does.
    pub fn allows(&self, event: &Event) -> bool {
        if event.kind == EventKind::TrackingStarted {
            return true;
        }
        let kind = match &self.kinds {
            Kinds::Default => !matches!(event.kind, EventKind::SittingAdded | EventKind::Renamed),
            Kinds::All => true,
            Kinds::List(kinds) => kinds.contains(&event.kind),
        };
        let stage = match (&event.stage, event.kind) {
            // Bill-level events, Royal Assent included, are not about one stage.
            (None, _) | (_, EventKind::RoyalAssent) => true,
            (Some(stage), _) => match &self.stages {
                Stages::Major => !stage.kind().is_procedural(),
                Stages::All => true,
                Stages::List(names) => names.contains(&stage.name.to_ascii_lowercase()),
            },
        };
        let document = event
            .document
            .as_ref()
            .is_none_or(|d| self.documents.allows(&d.kind));
        kind && stage && document
    }
}

impl AlertFilter {
    /// `event` as posted, when it is: a `division` event without the votes this filter hides
    /// (procedural questions, as procedural stages are hidden under `stages = "major"`), and
    /// nothing when every one of its votes is hidden or the event itself is.
    pub fn shown(&self, event: &Event) -> Option<Event> {
        let mut shown = event.clone();
        if matches!(self.stages, Stages::Major) {
            shown.votes.retain(|v| !v.is_procedural());
        }
        let emptied = event.kind == EventKind::Division && shown.votes.is_empty();
        (!emptied && self.allows(&shown)).then_some(shown)
    }
}

/// Stage names Parliament uses, for checking a config's list: every wording of
/// [`crate::stage::STAGE_TYPES`].
pub static KNOWN_STAGES: std::sync::LazyLock<Vec<&'static str>> =
    std::sync::LazyLock::new(crate::stage::known_names);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bill::House;
    use crate::changes::StageRef;

    fn event(kind: EventKind, stage: Option<&str>) -> Event {
        Event {
            bill_id: 1,
            kind,
            title: "A Bill".into(),
            stage: stage.map(|name| StageRef {
                id: 1,
                stage_type: None,
                name: name.into(),
                house: House::Commons,
                round: None,
            }),
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

    #[test]
    fn the_default_keeps_motions_and_extra_sittings_out() {
        let f = AlertFilter::default();
        for name in [
            "2nd reading",
            "Committee stage",
            "Report stage",
            "3rd reading",
            "Consideration of Lords amendments",
        ] {
            assert!(
                f.allows(&event(EventKind::StageReached, Some(name))),
                "{name}"
            );
            assert!(
                f.allows(&event(EventKind::StageScheduled, Some(name))),
                "{name}"
            );
        }
        for name in [
            "Programme motion",
            "Money resolution",
            "Ways and Means resolution",
            "Carry-over motion",
            "Allocation of time motion",
        ] {
            assert!(
                !f.allows(&event(EventKind::StageReached, Some(name))),
                "{name}"
            );
        }
        assert!(!f.allows(&event(EventKind::SittingAdded, Some("Committee stage"))));
        assert!(f.allows(&event(EventKind::RoyalAssent, Some("Royal Assent"))));
        assert!(f.allows(&event(EventKind::Withdrawn, None)));
        assert!(f.allows(&event(EventKind::Defeated, None)));
        assert!(!f.allows(&event(EventKind::Renamed, None)));
    }

    #[test]
    fn explicit_lists() {
        let f = AlertFilter {
            kinds: Kinds::List(vec![EventKind::StageReached]),
            stages: Stages::List(vec!["2nd reading".into()]),
            documents: Documents::Default,
        };
        assert!(f.allows(&event(EventKind::StageReached, Some("2nd Reading"))));
        assert!(!f.allows(&event(EventKind::StageReached, Some("Committee stage"))));
        assert!(!f.allows(&event(EventKind::StageScheduled, Some("2nd reading"))));
        let all = AlertFilter {
            kinds: Kinds::All,
            stages: Stages::All,
            documents: Documents::All,
        };
        assert!(all.allows(&event(EventKind::SittingAdded, Some("Money resolution"))));
    }
}
