//! Votes in words: a reading's division ("2nd reading in the House of Commons: passed on
//! division, Ayes 336, Noes 175."), a sitting day's votes on amendments, and the line a stage
//! alert gains when its vote is found with it. Pure.

use crate::changes::Event;
use crate::division::{Question, Vote};
use crate::stage::StageKind;

use super::long_date;

/// The main line of a `division` alert. `stage` is the stage's phrase ("2nd reading in the
/// House of Commons").
pub(super) fn division_line(event: &Event, stage: &str) -> String {
    let stage = super::capitalise_first(stage);
    match event.votes.as_slice() {
        [] => format!("{stage}: a division."),
        [vote] if vote.is_single() => format!("{stage}: {}.", single(vote)),
        votes => {
            let day = event
                .date
                .map(|d| format!(", {}", long_date(d)))
                .unwrap_or_default();
            format!("{stage}{day}: {}.", day_summary(votes))
        }
    }
}

/// The lines after the main one: a deferred reading's day, or each vote of a day, briefly.
pub(super) fn more_lines(event: &Event) -> Vec<String> {
    match event.votes.as_slice() {
        [vote] if vote.is_single() => deferred(vote).into_iter().collect(),
        votes => votes.iter().map(brief).collect(),
    }
}

/// The link of a `division` alert: the division's own page for a single vote.
pub(super) fn single_url(event: &Event) -> Option<String> {
    match event.votes.as_slice() {
        [vote] if vote.is_single() => Some(vote.division.url()),
        _ => None,
    }
}

/// What a stage alert says of its vote, found in the same check: "Vote: passed, Ayes 336,
/// Noes 175."
pub(super) fn joined_line(vote: &Vote) -> String {
    let mut line = format!("Vote: {}.", single(vote).replace(" on division", ""));
    if let Some(d) = deferred(vote) {
        line.push(' ');
        line.push_str(&d);
    }
    line
}

/// Of the votes a stage alert says, the one to link: the reading's own, else the first.
pub(super) fn reading(votes: &[Vote]) -> Option<&Vote> {
    votes
        .iter()
        .find(|v| matches!(v.question, Question::SecondReading | Question::ThirdReading))
        .or(votes.first())
}

/// "passed on division, Ayes 336, Noes 175"; a reasoned amendment "rejected, 173 to 335".
fn single(vote: &Vote) -> String {
    let d = &vote.division;
    let (ayes, noes) = d.lobbies();
    let (a, n) = (d.counts.ayes, d.counts.noes);
    match vote.question {
        Question::ReasonedAmendment { .. } => {
            format!("reasoned amendment {}, {a} to {n}", outcome(vote))
        }
        _ => {
            let result = match d.carried() {
                Some(true) => "passed on division",
                Some(false) => "rejected on division",
                None => "tied on division",
            };
            format!("{result}, {ayes} {a}, {noes} {n}")
        }
    }
}

/// "Deferred division: voted on 12 February 2025, after the debate of 10 February 2025."
fn deferred(vote: &Vote) -> Option<String> {
    vote.division.deferred.then(|| {
        format!(
            "Deferred division: voted on {}, after the debate of {}.",
            long_date(vote.division.date),
            long_date(vote.sitting)
        )
    })
}

/// "agreed", "rejected" or "tied".
fn outcome(vote: &Vote) -> &'static str {
    match vote.division.carried() {
        Some(true) => "agreed",
        Some(false) => "rejected",
        None => "tied",
    }
}

/// "6 divisions on amendments; all 6 won by the government" where the data says who won
/// (the Lords), else "3 divisions on amendments: 1 agreed, 2 rejected"; a programme motion or
/// another procedural question is counted as a motion ("1 division on a motion: 1 agreed, 0
/// rejected").
fn day_summary(votes: &[Vote]) -> String {
    let n = votes.len();
    let motions = votes.iter().filter(|v| v.is_procedural()).count();
    let head = match (n, motions) {
        (1, 0) => "1 division on amendments".to_owned(),
        (1, _) => "1 division on a motion".to_owned(),
        (_, 0) => format!("{n} divisions on amendments"),
        (_, m) if m == n => format!("{n} divisions on motions"),
        (_, 1) => format!("{n} divisions ({} on amendments, 1 on a motion)", n - 1),
        (_, m) => format!("{n} divisions ({} on amendments, {m} on motions)", n - m),
    };
    let won: Option<Vec<bool>> = votes.iter().map(|v| v.division.government_won).collect();
    if let Some(won) = won {
        let lost = won.iter().filter(|w| !**w).count();
        return match (lost, n) {
            (0, 1) => format!("{head}; won by the government"),
            (0, _) => format!("{head}; all {n} won by the government"),
            (1, 1) => format!("{head}; the government lost it"),
            (lost, _) => format!("{head}; the government lost {lost} of {n}"),
        };
    }
    let count = |o: &str| votes.iter().filter(|v| outcome(v) == o).count();
    let mut parts = vec![format!("{} agreed", count("agreed"))];
    parts.push(format!("{} rejected", count("rejected")));
    let tied = count("tied");
    if tied > 0 {
        parts.push(format!("{tied} tied"));
    }
    format!("{head}: {}", parts.join(", "))
}

/// "• New Clause 7: rejected, 93 to 355"; "(government defeated)" where the data says so.
fn brief(vote: &Vote) -> String {
    let d = &vote.division;
    let mut line = format!(
        "• {}: {}, {} to {}",
        label(vote),
        outcome(vote),
        d.counts.ayes,
        d.counts.noes
    );
    if d.government_won == Some(false) {
        line.push_str(" (government defeated)");
    }
    if d.deferred {
        line.push_str(&format!(" (deferred, voted on {})", long_date(d.date)));
    }
    line
}

/// One vote in a few words, for `show`: "2nd reading: passed, Ayes 336, Noes 175"; "New
/// Clause 7: rejected, Ayes 93, Noes 355"; a deferred one adds "(deferred division)".
pub fn vote_summary(vote: &Vote) -> String {
    let d = &vote.division;
    let (ayes, noes) = d.lobbies();
    let result = match (&vote.question, d.carried()) {
        (Question::SecondReading | Question::ThirdReading, Some(true)) => "passed",
        _ => outcome(vote),
    };
    let mut line = format!(
        "{}: {result}, {ayes} {}, {noes} {}",
        label(vote),
        d.counts.ayes,
        d.counts.noes
    );
    if d.deferred {
        line.push_str(" (deferred division)");
    }
    line
}

/// The bill's latest vote in one line, for the status card and `/bill`: "Latest vote: 3rd
/// reading, Commons, 12 May 2025: passed, Ayes 312, Noes 158". A vote that is not a reading
/// names its stage (`stage`, the stage's name, when known): "Latest vote: New Clause 7 (Report
/// stage), Commons, ...".
pub fn latest_vote_line(vote: &Vote, stage: Option<&str>) -> String {
    let d = &vote.division;
    let summary = vote_summary(vote);
    let what = label(vote);
    let outcome = summary
        .strip_prefix(&format!("{what}: "))
        .unwrap_or(&summary);
    let what = match stage {
        Some(stage) if !vote.is_single() => format!("{what} ({stage})"),
        _ => what,
    };
    format!(
        "Latest vote: {what}, {}, {}: {outcome}",
        d.house,
        long_date(d.date)
    )
}

/// What was voted on, in a few words.
fn label(vote: &Vote) -> String {
    match &vote.question {
        Question::Amendment { label } => label.clone(),
        Question::MotionToDisagree { label } => format!("Motion to disagree with {label}"),
        Question::Procedural(q) | Question::Other(q) => q.clone(),
        Question::SecondReading => "2nd reading".to_owned(),
        Question::ThirdReading => "3rd reading".to_owned(),
        Question::ReasonedAmendment {
            reading: StageKind::ThirdReading,
        } => "Reasoned amendment to 3rd reading".to_owned(),
        Question::ReasonedAmendment { .. } => "Reasoned amendment to 2nd reading".to_owned(),
        Question::Unstated => match vote.division.number {
            Some(n) => format!("Division {n}"),
            None => "A division".to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, NaiveTime};

    use super::super::{render_html, render_text};
    use crate::changes::{Event, EventKind, StageRef};
    use crate::division::{Counts, Division, Question, Vote};
    use crate::house::House;

    fn day(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    fn vote(id: u32, house: House, question: Question, counts: (u32, u32)) -> Vote {
        Vote {
            division: Division {
                id,
                house,
                date: day("2025-11-05"),
                time: NaiveTime::from_hms_opt(17, 0, 0),
                title: "Border Security, Asylum and Immigration Bill".into(),
                number: Some(3),
                deferred: false,
                counts: Counts {
                    ayes: counts.0,
                    noes: counts.1,
                },
                government_won: (house == House::Lords).then_some(counts.0 < counts.1),
                notes: None,
            },
            stage: 19034,
            sitting: day("2025-11-05"),
            question,
        }
    }

    fn event(name: &str, house: House, votes: Vec<Vote>) -> Event {
        Event {
            bill_id: 3929,
            kind: EventKind::Division,
            title: "Border Security, Asylum & Immigration Bill".into(),
            stage: Some(StageRef {
                id: 19034,
                stage_type: None,
                name: name.into(),
                house,
                round: None,
            }),
            date: Some(day("2025-11-05")),
            previous_date: None,
            previous_title: None,
            next: None,
            first_of_its_kind: false,
            document: None,
            votes,
            long_title: None,
            sponsor: None,
        }
    }

    const URL: &str = "https://bills.parliament.uk/bills/3929/stages";

    #[test]
    fn a_lords_reading_is_told_in_contents_and_not_contents() {
        let e = event(
            "2nd reading",
            House::Lords,
            vec![vote(
                3172,
                House::Lords,
                Question::SecondReading,
                (200, 101),
            )],
        );
        assert_eq!(
            render_text(&e, URL, day("2025-11-06")),
            "Border Security, Asylum & Immigration Bill\n\
             2nd reading in the House of Lords: passed on division, Contents 200, \
             Not-contents 101.\n\
             See the vote: https://votes.parliament.uk/Votes/Lords/Division/3172"
        );
        assert_eq!(
            render_html(&e, URL, day("2025-11-06")),
            "<b>Border Security, Asylum &amp; Immigration Bill</b>\n\
             2nd reading in the House of Lords: passed on division, Contents 200, \
             Not-contents 101.\n\
             <a href=\"https://votes.parliament.uk/Votes/Lords/Division/3172\">See the vote</a>"
        );
    }

    #[test]
    fn a_lords_day_of_amendments_says_who_won() {
        let amendment = |id, n: &str, c| {
            let q = Question::Amendment {
                label: format!("Amendment {n}"),
            };
            vote(id, House::Lords, q, c)
        };
        let e = event(
            "Report stage",
            House::Lords,
            vec![
                amendment(3201, "51", (36, 89)),
                amendment(3202, "60", (210, 180)),
            ],
        );
        assert_eq!(
            render_text(&e, URL, day("2025-11-06")),
            "Border Security, Asylum & Immigration Bill\n\
             Report stage in the House of Lords, 5 November 2025: 2 divisions on amendments; \
             the government lost 1 of 2.\n\
             • Amendment 51: rejected, 36 to 89\n\
             • Amendment 60: agreed, 210 to 180 (government defeated)\n\
             Stages of this bill: https://bills.parliament.uk/bills/3929/stages"
        );
        let won = event(
            "Report stage",
            House::Lords,
            vec![
                amendment(3201, "51", (36, 89)),
                amendment(3203, "7", (50, 90)),
            ],
        );
        let text = render_text(&won, URL, day("2025-11-06"));
        assert!(
            text.contains("2 divisions on amendments; all 2 won by the government."),
            "{text}"
        );
    }

    #[test]
    fn a_vote_in_one_line_for_show_and_the_latest_vote() {
        let mut third = vote(1890, House::Commons, Question::ThirdReading, (312, 158));
        third.division.date = day("2025-05-12");
        assert_eq!(
            super::vote_summary(&third),
            "3rd reading: passed, Ayes 312, Noes 158"
        );
        assert_eq!(
            super::latest_vote_line(&third, Some("3rd reading")),
            "Latest vote: 3rd reading, Commons, 12 May 2025: passed, Ayes 312, Noes 158"
        );
        let reasoned = Question::ReasonedAmendment {
            reading: crate::stage::StageKind::SecondReading,
        };
        let mut reasoned = vote(1873, House::Commons, reasoned, (173, 335));
        reasoned.division.deferred = true;
        assert_eq!(
            super::vote_summary(&reasoned),
            "Reasoned amendment to 2nd reading: rejected, Ayes 173, Noes 335 (deferred division)"
        );
        let clause = vote(
            3201,
            House::Lords,
            Question::Amendment {
                label: "Amendment 51".into(),
            },
            (36, 89),
        );
        assert_eq!(
            super::vote_summary(&clause),
            "Amendment 51: rejected, Contents 36, Not-contents 89"
        );
        assert_eq!(
            super::latest_vote_line(&clause, Some("Report stage")),
            "Latest vote: Amendment 51 (Report stage), Lords, 5 November 2025: rejected, \
             Contents 36, Not-contents 89"
        );
    }

    /// A day's group counts a programme motion as a motion, not as an amendment.
    #[test]
    fn a_days_group_tells_motions_from_amendments() {
        let motion = || Question::Procedural("Programme motion".into());
        let amendment = || Question::Amendment {
            label: "Amendment 8".into(),
        };
        let commons = |questions: Vec<Question>| {
            let votes = questions
                .into_iter()
                .enumerate()
                .map(|(i, q)| vote(400 + i as u32, House::Commons, q, (300, 200)))
                .collect();
            let text = render_text(
                &event("Report stage", House::Commons, votes),
                URL,
                day("2025-11-06"),
            );
            text.lines().nth(1).unwrap_or_default().to_owned()
        };
        assert_eq!(
            commons(vec![motion()]),
            "Report stage in the House of Commons, 5 November 2025: 1 division on a motion: 1 \
             agreed, 0 rejected."
        );
        assert_eq!(
            commons(vec![motion(), motion()]),
            "Report stage in the House of Commons, 5 November 2025: 2 divisions on motions: 2 \
             agreed, 0 rejected."
        );
        assert_eq!(
            commons(vec![amendment(), motion(), amendment()]),
            "Report stage in the House of Commons, 5 November 2025: 3 divisions (2 on \
             amendments, 1 on a motion): 3 agreed, 0 rejected."
        );
    }
}
