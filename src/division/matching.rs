//! Which tracked bill, stage and question a division is about, from its title and date. Pure.
//!
//! **The bill.** A Commons title is the bill's short title, then the question: "Employment
//! Rights Bill: Second Reading", "... Bill Report Stage: Amendment 8", "... Bill Committee: New
//! Clause 20". A Lords title is the bill's name alone, maybe with " \[HL\]". So a division is
//! a bill's when, once both are tidied (curly apostrophes made straight, "\[HL\]" dropped, white
//! space collapsed, case ignored), its title *is* one of the bill's titles, or starts with one
//! followed by ":", " - ", or a stage's name and ":" (" Report Stage:", " Committee:", ...).
//! Anything else after the bill's title means another bill or no bill: "Employment Rights Bill
//! (Amendment) Bill: Second Reading" is not the Employment Rights Bill's, and a title that only
//! contains a bill's words ("Budget Resolution No. 44: ...") is no bill's. A bill's titles are
//! its short title and any former one; an Act ("... Act 2025") is also looked for under its
//! name as a bill ("... Bill"), which its divisions carry.
//!
//! **The stage.** A stage in the division's House whose sitting days hold the division's date,
//! or the day before (a Commons vote after midnight carries the next day's date). A deferred
//! division is held days after its debate: it may belong to a sitting up to
//! [`DEFERRED_WINDOW_DAYS`] before it. Among the stages that sat, the one the question names
//! wins (a second reading, the report stage, a committee, ping-pong for a Lords amendment),
//! else the major stage that sat, else any; then the nearest sitting, then the earliest stage
//! in the journey. No stage sat: no match (the Bills API may not show the sitting yet).

use chrono::{Days, NaiveDate};

use super::Division;
use crate::bill::{BillStageId, Stage};
use crate::stage::StageKind;

/// How many days after its debate a deferred Commons division may be held. Deferred divisions
/// are held on the next Wednesday, so a question deferred on a Tuesday or Wednesday is voted
/// on 8 or 7 days later; a week's recess in between would take longer, and such a division is
/// not matched.
pub const DEFERRED_WINDOW_DAYS: u64 = 8;

/// What a division asked.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Question {
    /// That the bill be now read a second time.
    SecondReading,
    /// That the bill be now read the third time.
    ThirdReading,
    /// An amendment declining to give the bill a reading (`reading` is
    /// [`StageKind::SecondReading`] or [`StageKind::ThirdReading`]).
    ReasonedAmendment { reading: StageKind },
    /// An amendment, a new clause or schedule, a Lords amendment: `label` as published
    /// ("Amendment 8", "New Clause 20", "Lords Amendment 2").
    Amendment { label: String },
    /// That the Commons disagree with the Lords in `label` ("Lords Amendment 2").
    MotionToDisagree { label: String },
    /// A programme motion, a money resolution and the like, as published.
    Procedural(String),
    /// Any other question, as published.
    Other(String),
    /// The title names only the bill (the Lords), and no note says what was moved.
    Unstated,
}

/// A division that belongs to a tracked bill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// The bill-stage the division was held at.
    pub stage: BillStageId,
    /// The stage's sitting day it belongs to (the day before its date after midnight, days
    /// before it when deferred).
    pub sitting: NaiveDate,
    pub question: Question,
    /// A deferred division: held days after the debate.
    pub deferred: bool,
}

/// Stage names that may come between a bill's title and the question, and the stage kind
/// each names. Longest first: "Committee of the whole House" before "Committee".
const STAGE_SUFFIXES: &[(&str, Option<StageKind>)] = &[
    (
        "consideration of lords amendments",
        Some(StageKind::PingPong),
    ),
    ("committee of the whole house", Some(StageKind::Committee)),
    ("lords amendments", Some(StageKind::PingPong)),
    ("remaining stages", None),
    ("report stage", Some(StageKind::Report)),
    ("committee", Some(StageKind::Committee)),
];

/// How a question that amends a bill begins.
const AMENDMENT_WORDS: &[&str] = &[
    "amendment",
    "new clause",
    "new schedule",
    "lords amendment",
    "commons amendment",
    "government amendment",
    "manuscript amendment",
];

/// How a procedural question begins.
const PROCEDURAL_WORDS: &[&str] = &[
    "programme",
    "money resolution",
    "ways and means",
    "carry-over",
    "carry over",
    "allocation of time",
    "instruction",
    "business of the house",
    "closure",
];

/// Which stage of the bill `division` was held at, and on what question, when it is a vote on
/// the bill with these `titles` (short title first, then former ones) and `stages`.
pub fn match_division(division: &Division, titles: &[&str], stages: &[Stage]) -> Option<Match> {
    let (named_stage, question) = read_title(division, titles)?;
    let wanted = named_stage
        .as_ref()
        .map_or_else(|| preferred_stages(&question), std::slice::from_ref);
    let (stage, sitting) = stages
        .iter()
        .filter(|s| s.house == division.house)
        .filter_map(|s| sitting_for(s, division).map(|day| (s, day)))
        .max_by_key(|(s, day)| {
            let kind = s.kind();
            (
                wanted.contains(&kind),
                !kind.is_procedural(),
                *day,
                std::cmp::Reverse((s.sort_order, s.id)),
            )
        })?;
    Some(Match {
        stage: stage.id,
        sitting,
        question,
        deferred: division.deferred,
    })
}

/// The question `division` asked, when its title names the bill with these `titles`; `None`
/// when it is another bill's or no bill's. The date is not looked at: see [`match_division`].
pub fn question_for(division: &Division, titles: &[&str]) -> Option<Question> {
    read_title(division, titles).map(|(_, question)| question)
}

/// The stage kind the title names, if any, and the question, when the title is the bill's
/// (under any of its titles).
fn read_title(division: &Division, titles: &[&str]) -> Option<(Option<StageKind>, Question)> {
    let title = tidy(&division.title);
    bill_titles(titles).find_map(|t| {
        let rest = strip_prefix_ignore_case(&title, &t)?;
        after_bill_title(rest, division.notes.as_deref())
    })
}

/// What follows the bill's title in a division's title: nothing (the Lords), or the question,
/// maybe after the stage's name. Anything else is another bill's title.
fn after_bill_title(rest: &str, notes: Option<&str>) -> Option<(Option<StageKind>, Question)> {
    if rest.is_empty() {
        return Some((None, lords_question(notes)));
    }
    if let Some(q) = rest.strip_prefix(':').or_else(|| rest.strip_prefix(" - ")) {
        return Some((None, question(q.trim())));
    }
    let rest = rest.strip_prefix(' ')?;
    STAGE_SUFFIXES.iter().find_map(|(name, kind)| {
        let q = strip_prefix_ignore_case(rest, name)?.strip_prefix(':')?;
        Some((*kind, question(q.trim())))
    })
}

/// The question of a Commons title, after the bill's title.
fn question(q: &str) -> Question {
    let lower = q.to_ascii_lowercase();
    if q.is_empty() {
        return Question::Unstated;
    }
    match lower.as_str() {
        "second reading" => return Question::SecondReading,
        "third reading" => return Question::ThirdReading,
        "reasoned amendment to second reading" => {
            return Question::ReasonedAmendment {
                reading: StageKind::SecondReading,
            };
        }
        "reasoned amendment to third reading" => {
            return Question::ReasonedAmendment {
                reading: StageKind::ThirdReading,
            };
        }
        _ => {}
    }
    if let Some(label) = strip_prefix_ignore_case(q, "motion to disagree with ") {
        return Question::MotionToDisagree {
            label: label.to_owned(),
        };
    }
    if AMENDMENT_WORDS.iter().any(|w| starts_with_word(&lower, w)) {
        return Question::Amendment {
            label: q.to_owned(),
        };
    }
    if PROCEDURAL_WORDS.iter().any(|w| starts_with_word(&lower, w)) {
        return Question::Procedural(q.to_owned());
    }
    Question::Other(q.to_owned())
}

/// A Lords division names only the bill; its note may say which amendment was moved ("Lord
/// Roborough moved amendment 51, to leave out clause 10").
fn lords_question(notes: Option<&str>) -> Question {
    let Some(notes) = notes else {
        return Question::Unstated;
    };
    let lower = notes.to_ascii_lowercase();
    let Some(at) = lower.find("moved amendment ") else {
        return Question::Unstated;
    };
    let number: String = notes[at + "moved amendment ".len()..]
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect();
    if number.is_empty() {
        return Question::Unstated;
    }
    Question::Amendment {
        label: format!("Amendment {number}"),
    }
}

/// The stage kinds a question belongs to, when its title names no stage.
fn preferred_stages(question: &Question) -> &'static [StageKind] {
    match question {
        Question::SecondReading
        | Question::ReasonedAmendment {
            reading: StageKind::SecondReading,
        } => &[StageKind::SecondReading],
        Question::ThirdReading | Question::ReasonedAmendment { .. } => &[StageKind::ThirdReading],
        Question::MotionToDisagree { .. } => &[StageKind::PingPong],
        Question::Amendment { label } if starts_with_word(&label.to_ascii_lowercase(), "lords") => {
            &[StageKind::PingPong]
        }
        Question::Amendment { .. } => {
            &[StageKind::Committee, StageKind::Report, StageKind::PingPong]
        }
        Question::Procedural(_) | Question::Other(_) | Question::Unstated => &[],
    }
}

/// The sitting of `stage` that `division` belongs to: its own date, else the day before, else
/// (deferred) the latest sitting within [`DEFERRED_WINDOW_DAYS`] before it.
fn sitting_for(stage: &Stage, division: &Division) -> Option<NaiveDate> {
    let date = division.date;
    let earliest = if division.deferred {
        date.checked_sub_days(Days::new(DEFERRED_WINDOW_DAYS))
    } else {
        date.pred_opt()
    }?;
    stage
        .sittings
        .iter()
        .copied()
        .filter(|day| (earliest..=date).contains(day))
        .max()
}

/// A bill's titles, tidied, and each Act's title also as the bill it was ("X Act 2025" -> "X
/// Bill").
fn bill_titles<'a>(titles: &'a [&str]) -> impl Iterator<Item = String> + 'a {
    titles.iter().flat_map(|t| {
        let t = tidy(t);
        let as_bill = t.rsplit_once(' ').and_then(|(head, year)| {
            let name = strip_suffix_ignore_case(head, " act")?;
            let is_year = year.len() == 4 && year.bytes().all(|b| b.is_ascii_digit());
            is_year.then(|| format!("{name} Bill"))
        });
        std::iter::once(t).chain(as_bill).filter(|t| !t.is_empty())
    })
}

/// A title as compared: straight apostrophes and quotes, hyphens for dashes, no "\[HL\]", white
/// space collapsed to single spaces, none before a colon. The case is kept (labels are taken
/// from it); comparisons ignore it.
fn tidy(s: &str) -> String {
    let lower = s.to_ascii_lowercase();
    let mut out = String::with_capacity(s.len());
    let mut rest = 0;
    while let Some(at) = lower[rest..].find("[hl]") {
        out.push_str(&s[rest..rest + at]);
        out.push(' ');
        rest += at + "[hl]".len();
    }
    out.push_str(&s[rest..]);
    let out: String = out
        .chars()
        .map(|c| match c {
            '\u{2018}' | '\u{2019}' | '\u{02bc}' | '`' => '\'',
            '\u{201c}' | '\u{201d}' => '"',
            '\u{2013}' | '\u{2014}' => '-',
            c => c,
        })
        .collect();
    out.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace(" :", ":")
}

/// `s` after `prefix`, compared ignoring ASCII case.
fn strip_prefix_ignore_case<'s>(s: &'s str, prefix: &str) -> Option<&'s str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// `s` before `suffix`, compared ignoring ASCII case.
fn strip_suffix_ignore_case<'s>(s: &'s str, suffix: &str) -> Option<&'s str> {
    let at = s.len().checked_sub(suffix.len())?;
    let tail = s.get(at..)?;
    tail.eq_ignore_ascii_case(suffix).then(|| &s[..at])
}

/// Whether lower-case `s` begins with the word(s) `word`, not merely with its letters
/// ("amendment 8", not "amendments to ...").
fn starts_with_word(s: &str, word: &str) -> bool {
    s.strip_prefix(word)
        .is_some_and(|rest| rest.is_empty() || !rest.starts_with(|c: char| c.is_alphanumeric()))
}

#[cfg(test)]
mod tests;
