//! The matching rules as one table: a division's title, House and date, a bill's titles, and
//! the stage and question expected (or no match), against one bill's journey.

use chrono::NaiveDate;

use super::*;
use crate::bill::Stage;
use crate::division::{Counts, Division};
use crate::house::House;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

fn stage(id: u32, stage_type: u32, name: &str, house: House, sittings: &[NaiveDate]) -> Stage {
    Stage {
        id,
        stage_type: Some(stage_type),
        name: name.to_owned(),
        house,
        sittings: sittings.to_vec(),
        sort_order: i32::try_from(id).expect("small"),
    }
}

/// One bill's journey, both Houses and a round of ping-pong; ids tell the stage at a glance
/// (1xx Commons, 2xx Lords, 3xx ping-pong).
fn journey() -> Vec<Stage> {
    use House::{Commons, Lords};
    vec![
        stage(101, 6, "1st reading", Commons, &[day(2024, 10, 10)]),
        stage(102, 7, "2nd reading", Commons, &[day(2024, 10, 21)]),
        stage(103, 14, "Programme motion", Commons, &[day(2024, 10, 21)]),
        stage(104, 15, "Money resolution", Commons, &[day(2024, 10, 21)]),
        stage(105, 8, "Committee stage", Commons, &[day(2024, 11, 26)]),
        stage(
            106,
            9,
            "Report stage",
            Commons,
            &[day(2025, 3, 11), day(2025, 3, 12)],
        ),
        stage(107, 10, "3rd reading", Commons, &[day(2025, 3, 12)]),
        stage(201, 1, "1st reading", Lords, &[day(2025, 3, 13)]),
        stage(202, 2, "2nd reading", Lords, &[day(2025, 3, 25)]),
        stage(
            203,
            3,
            "Committee stage",
            Lords,
            &[day(2025, 4, 22), day(2025, 4, 24)],
        ),
        stage(204, 4, "Report stage", Lords, &[day(2025, 7, 14)]),
        stage(205, 5, "3rd reading", Lords, &[day(2025, 7, 21)]),
        stage(
            301,
            12,
            "Consideration of Lords amendments",
            Commons,
            &[day(2025, 9, 1)],
        ),
        stage(
            302,
            13,
            "Consideration of Commons amendments",
            Lords,
            &[day(2025, 9, 8)],
        ),
    ]
}

struct Row {
    title: &'static str,
    house: House,
    date: NaiveDate,
    deferred: bool,
    notes: Option<&'static str>,
    bill: &'static [&'static str],
    want: Option<(u32, NaiveDate, Question)>,
}

const ERB: &[&str] = &["Employment Rights Bill"];
/// A renamed bill's titles, as `votes::bill_titles` gives them: the short title, then the
/// former one.
const RENAMED: &[&str] = &["Employment Rights Bill", "Workers (Rights) Bill"];

/// A Commons division, not deferred, of no bill until `.to(...)` says which stage.
fn row(title: &'static str, date: NaiveDate, bill: &'static [&'static str]) -> Row {
    Row {
        title,
        house: House::Commons,
        date,
        deferred: false,
        notes: None,
        bill,
        want: None,
    }
}

impl Row {
    fn lords(self, notes: Option<&'static str>) -> Row {
        Row {
            house: House::Lords,
            notes,
            ..self
        }
    }
    fn deferred(self) -> Row {
        Row {
            deferred: true,
            ..self
        }
    }
    fn to(self, stage: u32, sitting: NaiveDate, question: Question) -> Row {
        Row {
            want: Some((stage, sitting, question)),
            ..self
        }
    }
}

fn amendment(label: &str) -> Question {
    Question::Amendment {
        label: label.to_owned(),
    }
}

#[expect(clippy::too_many_lines, reason = "a table: one row per rule")]
fn rows() -> Vec<Row> {
    use Question::*;
    let second = day(2024, 10, 21);
    let report = day(2025, 3, 12);
    let ping = day(2025, 9, 1);
    vec![
        // Readings, on the day and after midnight; not two days later.
        row("Employment Rights Bill: Second Reading", second, ERB).to(102, second, SecondReading),
        row(
            "Employment Rights Bill: Second Reading",
            day(2024, 10, 22),
            ERB,
        )
        .to(102, second, SecondReading),
        row(
            "Employment Rights Bill: Second Reading",
            day(2024, 10, 23),
            ERB,
        ),
        row(
            "Employment Rights Bill: Reasoned Amendment to Second Reading",
            second,
            ERB,
        )
        .to(
            102,
            second,
            ReasonedAmendment {
                reading: StageKind::SecondReading,
            },
        ),
        row("Employment Rights Bill: Third Reading", report, ERB).to(107, report, ThirdReading),
        // A procedural vote belongs to the day's major stage, not to the motion's own stage.
        row("Employment Rights Bill: Programme Motion", second, ERB).to(
            102,
            second,
            Procedural("Programme Motion".into()),
        ),
        row("Employment Rights Bill: Money Resolution", second, ERB).to(
            102,
            second,
            Procedural("Money Resolution".into()),
        ),
        // The stage the title names wins over another that sat the same day.
        row(
            "Employment Rights Bill Committee: New Clause 20",
            day(2024, 11, 26),
            ERB,
        )
        .to(105, day(2024, 11, 26), amendment("New Clause 20")),
        row(
            "Employment Rights Bill Committee of the whole House: Amendment 3",
            day(2024, 11, 26),
            ERB,
        )
        .to(105, day(2024, 11, 26), amendment("Amendment 3")),
        row(
            "Employment Rights Bill Report Stage: Amendment 8",
            report,
            ERB,
        )
        .to(106, report, amendment("Amendment 8")),
        row("Employment Rights Bill: New Clause 1", report, ERB).to(
            106,
            report,
            amendment("New Clause 1"),
        ),
        row(
            "Employment Rights Bill Report Stage: Amendment 8",
            day(2025, 3, 11),
            ERB,
        )
        .to(106, day(2025, 3, 11), amendment("Amendment 8")),
        row("Employment Rights Bill: Clause 1 stand part", report, ERB).to(
            106,
            report,
            Other("Clause 1 stand part".into()),
        ),
        // Ping-pong.
        row(
            "Employment Rights Bill: motion to disagree with Lords Amendment 2",
            ping,
            ERB,
        )
        .to(
            301,
            ping,
            MotionToDisagree {
                label: "Lords Amendment 2".into(),
            },
        ),
        row("Employment Rights Bill: Lords Amendment 5", ping, ERB).to(
            301,
            ping,
            amendment("Lords Amendment 5"),
        ),
        // Case, spacing, apostrophes, dashes.
        row("employment rights bill: SECOND READING", second, ERB).to(102, second, SecondReading),
        row("Employment  Rights Bill :  Second Reading ", second, ERB).to(
            102,
            second,
            SecondReading,
        ),
        row("Employment Rights Bill - Second Reading", second, ERB).to(102, second, SecondReading),
        row(
            "Renters’ Rights Bill: Second Reading",
            second,
            &["Renters' Rights Bill"],
        )
        .to(102, second, SecondReading),
        row(
            "Renters' Rights Bill: Second Reading",
            second,
            &["Renters’ Rights Bill"],
        )
        .to(102, second, SecondReading),
        // A renamed bill, by its former title; an Act, by its name as a bill.
        row(
            "Employment Rights Bill: Second Reading",
            second,
            &["Workers Bill", "Employment Rights Bill"],
        )
        .to(102, second, SecondReading),
        // Renamed: the short title now, then the former one (formerShortTitle) — each
        // names the bill, in either House; a title like the former one does not.
        row(
            "Workers (Rights) Bill Report Stage: Amendment 8",
            report,
            RENAMED,
        )
        .to(106, report, amendment("Amendment 8")),
        row("Employment Rights Bill: Third Reading", report, RENAMED).to(107, report, ThirdReading),
        row("Workers (Rights) Bill [HL]", day(2025, 4, 24), RENAMED)
            .lords(None)
            .to(203, day(2025, 4, 24), Unstated),
        row("Workers Bill: Second Reading", second, RENAMED),
        row(
            "Workers (Rights) (No. 2) Bill: Second Reading",
            second,
            RENAMED,
        ),
        // One title a prefix of another: each is tried in full.
        row(
            "Employment Rights Bill (Amendment) Bill: Second Reading",
            second,
            &[
                "Employment Rights Bill",
                "Employment Rights Bill (Amendment) Bill",
            ],
        )
        .to(102, second, SecondReading),
        row(
            "Employment Rights Bill: Third Reading",
            report,
            &["Employment Rights Act 2025"],
        )
        .to(107, report, ThirdReading),
        // The Lords: the bill's name, maybe with [HL]; the note says which amendment.
        row("Employment Rights Bill", day(2025, 7, 14), ERB)
            .lords(Some(
                "Lord Sharpe moved amendment 51A, to leave out clause 10. The House divided:",
            ))
            .to(204, day(2025, 7, 14), amendment("Amendment 51A")),
        row("Employment Rights Bill [HL]", day(2025, 4, 24), ERB)
            .lords(None)
            .to(203, day(2025, 4, 24), Unstated),
        row(
            "Employment Rights Bill",
            day(2025, 4, 22),
            &["Employment Rights Bill [HL]"],
        )
        .lords(Some("Baroness X moved Motion A. The House divided:"))
        .to(203, day(2025, 4, 22), Unstated),
        row(
            "Employment Rights Bill [hl]: Amendment 12",
            day(2025, 9, 8),
            &["Employment Rights Bill [HL]"],
        )
        .lords(None)
        .to(302, day(2025, 9, 8), amendment("Amendment 12")),
        // The House must be the stage's.
        row("Employment Rights Bill", second, ERB).lords(None),
        row(
            "Employment Rights Bill: Second Reading",
            day(2025, 3, 25),
            ERB,
        ),
        // Deferred: within the window, said to be deferred; past it, no match.
        row(
            "Employment Rights Bill: Programme (No. 2) Motion",
            day(2024, 10, 23),
            ERB,
        )
        .deferred()
        .to(102, second, Procedural("Programme (No. 2) Motion".into())),
        row(
            "Employment Rights Bill: Programme (No. 2) Motion",
            day(2024, 10, 29),
            ERB,
        )
        .deferred()
        .to(102, second, Procedural("Programme (No. 2) Motion".into())),
        row(
            "Employment Rights Bill: Programme (No. 2) Motion",
            day(2024, 10, 30),
            ERB,
        )
        .deferred(),
        // Never another bill's, nor a bill's whose words it merely contains.
        row(
            "Employment Rights Bill (Amendment) Bill: Second Reading",
            second,
            ERB,
        ),
        row(
            "Employment Rights (No. 2) Bill: Second Reading",
            second,
            ERB,
        ),
        row(
            "Employment Rights Bill: Second Reading",
            second,
            &["Employment Rights Bill (Amendment) Bill"],
        ),
        row(
            "Employment Rights Bill: Second Reading",
            second,
            &["Employment Rights (No. 2) Bill"],
        ),
        row(
            "Employment Rights Bill: Second Reading",
            second,
            &["Rights Bill"],
        ),
        row("Employment Rights Billing: Second Reading", second, ERB),
        row("Employment Rights Bill Second Reading", second, ERB),
        row(
            "Employment Rights Bill Report Stage Amendment 8",
            report,
            ERB,
        ),
        row(
            "Motion on the Employment Rights Bill: Second Reading",
            second,
            ERB,
        ),
        row(
            "Budget Resolution No. 44: Rates of alcohol duty",
            second,
            &["Finance Bill"],
        ),
        row("Draft Employment Rights Regulations 2024", second, ERB),
        row("Employment Rights Bill: Second Reading", second, &[]),
        row("Employment Rights Bill: Second Reading", second, &[""]),
    ]
}

fn division(row: &Row) -> Division {
    Division {
        id: 1,
        house: row.house,
        date: row.date,
        time: None,
        title: row.title.to_owned(),
        number: None,
        deferred: row.deferred,
        counts: Counts { ayes: 1, noes: 2 },
        government_won: None,
        notes: row.notes.map(str::to_owned),
    }
}

#[test]
fn the_matching_table() {
    let stages = journey();
    let rows = rows();
    let mut wrong = Vec::new();
    for row in &rows {
        let division = division(row);
        let got = match_division(&division, row.bill, &stages)
            .map(|m| (m.stage, m.sitting, m.question, m.deferred));
        let want = row
            .want
            .clone()
            .map(|(stage, sitting, q)| (stage, sitting, q, row.deferred));
        if got != want {
            wrong.push(format!(
                "{division} with bill titles {:?}:\n  got  {got:?}\n  want {want:?}",
                row.bill
            ));
        }
        // The question alone, without the date, agrees wherever a stage matched.
        if let Some((_, _, q)) = &row.want
            && question_for(&division, row.bill).as_ref() != Some(q)
        {
            wrong.push(format!("{division}: question_for disagrees"));
        }
    }
    assert!(rows.len() >= 40, "the table has {} rows", rows.len());
    assert!(
        wrong.is_empty(),
        "{} row(s) wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// A title that names the bill is a question on it even when no stage sat that day: the
/// caller can tell "not this bill" from "this bill, but the Bills API has no sitting yet".
#[test]
fn question_for_looks_at_the_title_only() {
    let mut d = division(&row(
        "Employment Rights Bill: Second Reading",
        day(2030, 1, 1),
        ERB,
    ));
    assert_eq!(question_for(&d, ERB), Some(Question::SecondReading));
    assert_eq!(match_division(&d, ERB, &journey()), None);
    d.title = "Employment Rights (No. 2) Bill: Second Reading".to_owned();
    assert_eq!(question_for(&d, ERB), None);
}
