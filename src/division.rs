//! A division — a recorded vote of the Commons or the Lords — and which tracked bill and stage
//! it belongs to. Pure.
//!
//! The votes parsers (`source::votes`) map what the Commons and Lords Votes APIs send
//! into [`Division`]; [`matching`] decides, from the division's title and date alone, whether it
//! is a vote on a tracked bill, at which of its stages, and on what question.

pub mod matching;

use std::fmt;

use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};

use crate::bill::BillStageId;
use crate::house::House;

pub use matching::{DEFERRED_WINDOW_DAYS, Match, Question, match_division, question_for};

/// A division's id in its House's Votes API. The Commons and the Lords number theirs apart,
/// so an id is a division's only together with its [`House`].
pub type DivisionId = u32;

/// The longest amendment note kept, in characters (UTF-16 units, as Telegram counts them):
/// a note says who moved what ("Lord Roborough moved amendment 51, to leave out clause 10"),
/// a few dozen words; anything longer is cut with an ellipsis.
pub const MAX_NOTES_CHARS: usize = 500;

/// Where a division is published for people to read.
const VOTES_SITE: &str = "https://votes.parliament.uk/Votes";

/// One division, as either Votes API publishes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Division {
    pub id: DivisionId,
    /// [`House::Commons`] or [`House::Lords`].
    pub house: House,
    /// The day it carries (UK calendar date): a Commons vote after midnight carries the next
    /// day's date, a deferred division the day it was held, not the debate's.
    pub date: NaiveDate,
    /// The time of the vote (UK local time), when the source gives one: the Lords API and
    /// deferred Commons divisions give midnight, which is read as no time.
    pub time: Option<NaiveTime>,
    /// As published: "{short title}: {question}" in the Commons, the bill's name in the Lords.
    pub title: String,
    /// The division's number in that House's session, when given.
    pub number: Option<u32>,
    /// A Commons deferred division: a question put after the day's business, voted on by
    /// ballot days later (on a Wednesday). Never true in the Lords.
    pub deferred: bool,
    pub counts: Counts,
    /// Whether the government won, where the data says (the Lords' `isGovernmentWin`; the
    /// Commons API does not say).
    pub government_won: Option<bool>,
    /// The Lords' `amendmentMotionNotes` as plain text ("Lord Roborough moved amendment 51, to
    /// leave out clause 10. The House divided:"), at most [`MAX_NOTES_CHARS`].
    pub notes: Option<String>,
}

/// A division matched to a tracked bill: what an alert tells, and what the store keeps so that
/// it is told once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vote {
    pub division: Division,
    /// The bill-stage it was held at.
    pub stage: BillStageId,
    /// The stage's sitting day it belongs to.
    pub sitting: NaiveDate,
    pub question: Question,
}

impl Vote {
    /// Whether the vote decides a reading or is a final question on it (a second or third
    /// reading, a reasoned amendment to one): told on its own. The others (amendments,
    /// motions, procedural questions) are told together, a message per sitting day.
    pub fn is_single(&self) -> bool {
        matches!(
            self.question,
            Question::SecondReading | Question::ThirdReading | Question::ReasonedAmendment { .. }
        )
    }

    /// Whether it is a vote on a procedural question (a programme motion, ...): hidden where
    /// procedural stages are.
    pub fn is_procedural(&self) -> bool {
        matches!(self.question, Question::Procedural(_))
    }
}

/// The official counts of a division, tellers included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Ayes (Commons `AyeCount`) or Contents (Lords `authoritativeContentCount`).
    pub ayes: u32,
    /// Noes (Commons `NoCount`) or Not-contents (Lords `authoritativeNotContentCount`).
    pub noes: u32,
}

impl Division {
    /// The division's page: `https://votes.parliament.uk/Votes/Commons/Division/{id}` or
    /// `.../Votes/Lords/Division/{id}`.
    pub fn url(&self) -> String {
        format!("{VOTES_SITE}/{}/Division/{}", self.house, self.id)
    }

    /// What the two lobbies are called in the division's House: ("Ayes", "Noes") in the
    /// Commons, ("Contents", "Not-contents") in the Lords.
    pub fn lobbies(&self) -> (&'static str, &'static str) {
        match self.house {
            House::Lords => ("Contents", "Not-contents"),
            _ => ("Ayes", "Noes"),
        }
    }

    /// Whether the question was agreed: more ayes (contents) than noes. `None` on a tie, which
    /// each House settles by its own rule (the Speaker's casting vote; in the Lords, mostly the
    /// not-contents), not by the counts.
    pub fn carried(&self) -> Option<bool> {
        let Counts { ayes, noes } = self.counts;
        (ayes != noes).then_some(ayes > noes)
    }
}

impl fmt::Display for Division {
    /// "Commons division 1849 (2024-10-21): Employment Rights Bill: Second Reading", for logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} division {} ({}): {}",
            self.house, self.id, self.date, self.title
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn division(house: House, ayes: u32, noes: u32) -> Division {
        Division {
            id: 1849,
            house,
            date: NaiveDate::from_ymd_opt(2024, 10, 21).expect("date"),
            time: NaiveTime::from_hms_opt(22, 16, 0),
            title: "Employment Rights Bill: Second Reading".to_owned(),
            number: Some(23),
            deferred: false,
            counts: Counts { ayes, noes },
            government_won: None,
            notes: None,
        }
    }

    #[test]
    fn links_lobbies_and_outcome_follow_the_house() {
        let commons = division(House::Commons, 386, 105);
        assert_eq!(
            commons.url(),
            "https://votes.parliament.uk/Votes/Commons/Division/1849"
        );
        assert_eq!(commons.lobbies(), ("Ayes", "Noes"));
        assert_eq!(commons.carried(), Some(true));
        assert_eq!(
            commons.to_string(),
            "Commons division 1849 (2024-10-21): Employment Rights Bill: Second Reading"
        );

        let lords = division(House::Lords, 36, 89);
        assert_eq!(
            lords.url(),
            "https://votes.parliament.uk/Votes/Lords/Division/1849"
        );
        assert_eq!(lords.lobbies(), ("Contents", "Not-contents"));
        assert_eq!(lords.carried(), Some(false));
        assert_eq!(division(House::Lords, 50, 50).carried(), None);
    }
}
