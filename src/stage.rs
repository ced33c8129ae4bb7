//! What kind of stage a stage is: the one place that knows. Pure.
//!
//! Every question about a stage's kind (is it procedural, which step of the journey, what it
//! means, what comes next, is it a round of ping-pong or Royal Assent) asks [`StageKind`], which
//! is decided by [`StageKind::of`] from one table, [`STAGE_TYPES`]: by Parliament's stage type id
//! where the source gives one (the Bills API), by the stage's name where it does not (the pages).
//! Adding a wording means adding a row to that table.
//!
//! A stage type that is in no row keeps its own name, counts as procedural for the default
//! alert filter (so it is posted under `stages = "all"` only), and is logged once by the source
//! that met it, so the table can grow.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};

use crate::house::House;

use House::{Commons, Lords, Unassigned};
use StageKind::*;
use Wording::{Is, StartsWith};

/// The kind of a stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StageKind {
    FirstReading,
    SecondReading,
    /// Any committee stage: Public Bill Committee, Committee of the whole House, Grand Committee.
    Committee,
    Report,
    ThirdReading,
    /// One House considering the other's amendments ("ping-pong"). The considering House is the
    /// stage's own; the round is counted over the bill's journey (`Snapshot::ping_pong_round`).
    PingPong,
    RoyalAssent,
    /// A motion or resolution that moves the bill along (programme motion, money resolution,
    /// an instruction, an order of commitment discharged, ...).
    Procedural,
    /// A carry-over motion: the bill continues into the next session.
    CarryOver,
    /// A real stage that is none of the steps above (Second reading committee, Legislative
    /// Grand Committee, ...): posted by default, but no step of the usual journey.
    Other,
    /// A stage type no row of [`STAGE_TYPES`] knows.
    Unknown,
}

/// How a row of the table recognises a stage's name on the pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wording {
    /// The whole name, in any case.
    Is(&'static str),
    /// The name begins with this, in any case ("Consideration of Lords amendments in lieu").
    StartsWith(&'static str),
}

/// One known stage type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageType {
    /// Parliament's stage type id, where known.
    pub id: Option<u32>,
    /// The House the type belongs to; `None` for a wording used in both Houses with no id.
    pub house: Option<House>,
    pub wording: Wording,
    pub kind: StageKind,
}

const fn row(id: u32, house: House, name: &'static str, kind: StageKind) -> StageType {
    StageType {
        id: Some(id),
        house: Some(house),
        wording: Wording::Is(name),
        kind,
    }
}

const fn named(house: Option<House>, wording: Wording, kind: StageKind) -> StageType {
    StageType {
        id: None,
        house,
        wording,
        kind,
    }
}

/// Every stage type billwatch knows. Ids from the Bills API's `/api/v1/Stages`; wordings from the
/// stages pages of bills.parliament.uk (see `../shared/fixtures/uk-parliament/list-page-text/`).
pub const STAGE_TYPES: &[StageType] = &[
    row(1, Lords, "1st reading", FirstReading),
    row(2, Lords, "2nd reading", SecondReading),
    row(3, Lords, "Committee stage", Committee),
    row(4, Lords, "Report stage", Report),
    row(5, Lords, "3rd reading", ThirdReading),
    row(6, Commons, "1st reading", FirstReading),
    row(7, Commons, "2nd reading", SecondReading),
    row(8, Commons, "Committee stage", Committee),
    row(9, Commons, "Report stage", Report),
    row(10, Commons, "3rd reading", ThirdReading),
    row(11, Unassigned, "Royal Assent", RoyalAssent),
    row(12, Commons, "Consideration of Lords amendments", PingPong),
    row(13, Lords, "Consideration of Commons amendments", PingPong),
    row(14, Commons, "Programme motion", Procedural),
    row(15, Commons, "Money resolution", Procedural),
    row(25, Commons, "Second reading committee", Other),
    row(26, Commons, "Order of Commitment discharged", Procedural),
    row(28, Commons, "Guillotine motion", Procedural),
    row(29, Commons, "Allocation of time motion", Procedural),
    row(36, Commons, "Ways and Means resolution", Procedural),
    row(38, Commons, "Legislative Grand Committee", Other),
    row(39, Commons, "Reconsideration", Other),
    row(40, Commons, "Consequential consideration", Other),
    row(43, Commons, "Select Committee stage", Committee),
    row(44, Commons, "Second House Examination", Other),
    row(
        48,
        Commons,
        "Committee stage (re-committed clauses and schedules)",
        Committee,
    ),
    row(49, Commons, "Committee of the whole House", Committee),
    // Wordings seen on the pages (or used in both Houses) whose type id billwatch does not know.
    named(None, Is("Committee of the whole House"), Committee),
    named(Some(Lords), Is("Grand Committee"), Committee),
    named(
        Some(Lords),
        Is("Lords Special Public Bill Committee"),
        Committee,
    ),
    named(None, Is("Order of Commitment discharged"), Procedural),
    named(None, Is("Committee negatived"), Procedural),
    named(None, Is("Instruction"), Procedural),
    named(None, Is("Carry-over motion"), CarryOver),
    named(
        None,
        StartsWith("Consideration of Lords amendments"),
        PingPong,
    ),
    named(
        None,
        StartsWith("Consideration of Commons amendments"),
        PingPong,
    ),
    named(None, Is("Royal Assent"), RoyalAssent),
];

impl Wording {
    fn matches(self, name: &str) -> bool {
        match self {
            Is(w) => name.eq_ignore_ascii_case(w),
            StartsWith(w) => name
                .get(..w.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(w)),
        }
    }

    /// The wording as written in the table.
    pub fn text(self) -> &'static str {
        match self {
            Is(w) | StartsWith(w) => w,
        }
    }
}

impl StageType {
    fn fits(&self, name: &str, house: House) -> bool {
        self.wording.matches(name) && self.house.is_none_or(|h| h == house)
    }
}

/// The row for a stage: by type id where there is one that the table knows, else by its name
/// (and House).
pub fn stage_type(type_id: Option<u32>, name: &str, house: House) -> Option<&'static StageType> {
    let name = name.trim();
    if let Some(id) = type_id
        && let Some(known) = STAGE_TYPES.iter().find(|t| t.id == Some(id))
    {
        return Some(known);
    }
    STAGE_TYPES.iter().find(|t| t.fits(name, house))
}

impl StageKind {
    /// The kind of a stage with this type id (if the source gives one), name and House.
    pub fn of(type_id: Option<u32>, name: &str, house: House) -> StageKind {
        stage_type(type_id, name, house).map_or(Unknown, |t| t.kind)
    }

    /// Recorded, but posted only under `stages = "all"`: motions, resolutions, carry-over, and
    /// stage types billwatch does not know.
    pub fn is_procedural(self) -> bool {
        matches!(self, Procedural | CarryOver | Unknown)
    }

    /// The step of a House's usual journey: 0 = 1st reading ... 4 = 3rd reading.
    pub fn step(self) -> Option<usize> {
        STEPS.iter().position(|(kind, _)| *kind == self)
    }

    /// Whether two stages count as the same kind, for "the first stage of its kind" (every
    /// committee alike, every round of ping-pong alike; other kinds by name).
    pub fn groups_by_name(self) -> bool {
        matches!(self, Procedural | CarryOver | Other | Unknown)
    }
}

/// The steps of a House's part of the journey, with the short label the status card shows.
pub const STEPS: [(StageKind, &str); 5] = [
    (FirstReading, "1st reading"),
    (SecondReading, "2nd reading"),
    (Committee, "committee"),
    (Report, "report"),
    (ThirdReading, "3rd reading"),
];

/// Every stage name the table knows, for checking a config's list of stages.
pub fn known_names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Vec::new();
    for t in STAGE_TYPES {
        let w = t.wording.text();
        if !names.iter().any(|n| n.eq_ignore_ascii_case(w)) {
            names.push(w);
        }
    }
    names
}

/// Logs, once per process, a stage that no row of the table knows, so the table can grow.
/// Returns whether this call logged it.
pub fn note_if_unknown(type_id: Option<u32>, name: &str, house: House) -> bool {
    let found = stage_type(type_id, name, house);
    let id_known = type_id.is_none() || found.is_some_and(|t| t.id == type_id);
    if found.is_some() && id_known {
        return false;
    }
    /// (type id, lower-case name) of every stage already logged.
    type Seen = Mutex<HashSet<(Option<u32>, String)>>;
    static SEEN: OnceLock<Seen> = OnceLock::new();
    let first = SEEN
        .get_or_init(Default::default)
        .lock()
        .map(|mut seen| seen.insert((type_id, name.to_ascii_lowercase())))
        .unwrap_or(false);
    if !first {
        return false;
    }
    match found {
        Some(t) => tracing::info!(
            stage_type = type_id,
            name,
            %house,
            kind = ?t.kind,
            "a stage type id billwatch does not know; its name is known, so it counts as that \
             kind (add the id to stage::STAGE_TYPES)"
        ),
        None => tracing::warn!(
            stage_type = type_id,
            name,
            %house,
            "a stage billwatch does not know: kept under its own name and posted only with \
             alerts.stages = \"all\" (add it to stage::STAGE_TYPES)"
        ),
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_decides_by_type_id() {
        assert_eq!(
            StageKind::of(Some(7), "2nd reading", Commons),
            SecondReading
        );
        assert_eq!(StageKind::of(Some(3), "Committee stage", Lords), Committee);
        assert_eq!(StageKind::of(Some(49), "anything", Commons), Committee);
        assert_eq!(
            StageKind::of(Some(11), "Royal Assent", Unassigned),
            RoyalAssent
        );
        assert_eq!(
            StageKind::of(Some(14), "Programme motion", Commons),
            Procedural
        );
        // The id wins over a misleading name.
        assert_eq!(
            StageKind::of(Some(25), "Second reading committee", Commons),
            Other
        );
    }

    #[test]
    fn the_pages_decide_by_name() {
        for (name, house, kind) in [
            ("1st reading", Lords, FirstReading),
            ("2nd Reading", Commons, SecondReading),
            ("Committee of the whole House", Commons, Committee),
            ("Committee of the whole House", Lords, Committee),
            ("Grand Committee", Lords, Committee),
            ("Committee negatived", Lords, Procedural),
            ("Order of Commitment discharged", Lords, Procedural),
            ("Instruction", Commons, Procedural),
            ("Consideration of Lords amendments", Commons, PingPong),
            ("Consideration of Commons amendments", Lords, PingPong),
            (
                "Consideration of Lords amendments in lieu",
                Commons,
                PingPong,
            ),
            ("Royal Assent", Unassigned, RoyalAssent),
            ("Carry-over motion", Commons, CarryOver),
            ("Money resolution", Commons, Procedural),
            ("Ways and Means resolution", Commons, Procedural),
            ("A brand new stage", Commons, Unknown),
        ] {
            assert_eq!(StageKind::of(None, name, house), kind, "{name} ({house})");
        }
    }

    #[test]
    fn an_unknown_type_id_with_a_known_name_keeps_the_name_kind() {
        assert_eq!(
            StageKind::of(Some(977), "Grand Committee", Lords),
            Committee
        );
        assert_eq!(StageKind::of(Some(977), "Something new", Lords), Unknown);
    }

    #[test]
    fn pages_get_the_type_id_of_their_house() {
        let id = |name, house| stage_type(None, name, house).and_then(|t| t.id);
        assert_eq!(id("2nd reading", Commons), Some(7));
        assert_eq!(id("2nd reading", Lords), Some(2));
        assert_eq!(id("Royal Assent", Unassigned), Some(11));
        assert_eq!(id("Grand Committee", Lords), None);
    }

    #[test]
    fn unknown_and_procedural_kinds_are_procedural() {
        for kind in [Procedural, CarryOver, Unknown] {
            assert!(kind.is_procedural(), "{kind:?}");
        }
        for kind in [FirstReading, Committee, PingPong, RoyalAssent, Other] {
            assert!(!kind.is_procedural(), "{kind:?}");
        }
        assert_eq!(Committee.step(), Some(2));
        assert_eq!(PingPong.step(), None);
    }

    #[test]
    fn unknown_stages_are_noted_once() {
        assert!(note_if_unknown(Some(9001), "Quite new stage", Commons));
        assert!(!note_if_unknown(Some(9001), "Quite new stage", Commons));
        assert!(!note_if_unknown(Some(7), "2nd reading", Commons));
        assert!(!note_if_unknown(None, "2nd reading", Commons));
        assert!(known_names().contains(&"Grand Committee"));
    }
}
