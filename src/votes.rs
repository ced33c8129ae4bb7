//! Which divisions found for a bill are told, and how. Pure: the time is a parameter.
//!
//! A division found by a search is the bill's when [`match_division`] says so from its title
//! and the bill's stages; one not matched is not kept, so it can match later (the Bills API
//! may show the sitting after the Votes API shows the vote). A matched division is told once:
//! the store records its id (per House) in the transaction that writes its alert.
//!
//! A reading's division, or a reasoned amendment to one, is told on its own. The other votes of
//! a sitting day (on amendments, motions, procedural questions) are told together, one message
//! per bill and day, once the day's newest division is `group_after` old by its own time: the
//! time the Votes API gives (UK local time), or for a division given without one, the end of
//! its day (23:59:59), so that a group is never sent before its last vote could have happened.
//! Until then none of the day's votes is recorded, and the next search finds them again.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Duration, NaiveDateTime, NaiveTime, Utc};

use crate::bill::Snapshot;
use crate::changes::Event;
use crate::division::{Division, DivisionId, Vote, match_division};
use crate::house::House;

/// The divisions already recorded for a bill, by House and id (the Houses number apart).
pub type RecordedVotes = HashSet<(House, DivisionId)>;

/// The divisions of `found` that are `snapshot`'s bill's and not `recorded`: matched by the
/// bill's title, the former title its source gives (`formerShortTitle`), or the title it had
/// before this check (`former`, when it was renamed since).
pub fn new_votes(
    snapshot: &Snapshot,
    former: Option<&str>,
    found: &[Division],
    recorded: &RecordedVotes,
) -> Vec<Vote> {
    let titles = bill_titles(snapshot, former);
    found
        .iter()
        .filter(|d| !recorded.contains(&(d.house, d.id)))
        .filter_map(|d| {
            let m = match_division(d, &titles, &snapshot.stages)?;
            Some(Vote {
                division: d.clone(),
                stage: m.stage,
                sitting: m.sitting,
                question: m.question,
            })
        })
        .collect()
}

/// The titles `snapshot`'s bill's divisions may carry: its short title, then its former
/// titles (the source's, then `former`), each once.
pub fn bill_titles<'a>(snapshot: &'a Snapshot, former: Option<&'a str>) -> Vec<&'a str> {
    let mut titles = vec![snapshot.bill.title.as_str()];
    for t in [snapshot.bill.former_title.as_deref(), former]
        .into_iter()
        .flatten()
    {
        if !titles.contains(&t) {
            titles.push(t);
        }
    }
    titles
}

/// When `division` counts as held (UK local time): its own time, else the end of its day.
pub fn held_at(division: &Division) -> NaiveDateTime {
    let end_of_day = NaiveTime::from_hms_opt(23, 59, 59).unwrap_or(NaiveTime::MIN);
    division.date.and_time(division.time.unwrap_or(end_of_day))
}

/// The events `votes` make at `now`, and the votes to record with them: each single vote, and
/// each sitting day's group whose newest division is `group_after` old. A group not old enough
/// gives nothing and records nothing.
pub fn events(
    snapshot: &Snapshot,
    votes: Vec<Vote>,
    now: DateTime<Utc>,
    group_after: Duration,
) -> (Vec<Event>, Vec<Vote>) {
    let now_uk = now.with_timezone(&chrono_tz::Europe::London).naive_local();
    let mut events = Vec::new();
    let mut recorded = Vec::new();
    let mut days: BTreeMap<(chrono::NaiveDate, House), Vec<Vote>> = BTreeMap::new();
    for vote in votes {
        if vote.is_single() {
            if let Some(stage) = snapshot.stage(vote.stage) {
                events.push(Event::division(
                    snapshot,
                    stage,
                    vote.sitting,
                    vec![vote.clone()],
                ));
                recorded.push(vote);
            }
        } else {
            let key = (vote.sitting, vote.division.house);
            days.entry(key).or_default().push(vote);
        }
    }
    for ((day, _), mut group) in days {
        let newest = group.iter().map(|v| held_at(&v.division)).max();
        if newest.is_none_or(|t| now_uk < t + group_after) {
            continue;
        }
        group.sort_by_key(|v| (held_at(&v.division), v.division.number, v.division.id));
        // The day's stage: the one most of its votes were held at.
        let stage = group
            .iter()
            .filter_map(|v| snapshot.stage(v.stage))
            .max_by_key(|s| group.iter().filter(|v| v.stage == s.id).count());
        if let Some(stage) = stage {
            recorded.extend(group.iter().cloned());
            events.push(Event::division(snapshot, stage, day, group));
        }
    }
    (events, recorded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::division::Counts;

    /// A bill the Bills API says was renamed (`formerShortTitle`), sitting for its 2nd reading
    /// on 10 February 2025.
    fn renamed() -> Snapshot {
        serde_json::from_value(serde_json::json!({
            "bill": {"id": 4100, "title": "Employment Rights Bill",
                     "former_title": "Workers (Rights) Bill", "long_title": null,
                     "current_house": "Commons", "current_stage": null, "is_act": false,
                     "withdrawn": null, "defeated": false, "last_update": null},
            "stages": [{"id": 7, "stage_type": 7, "name": "2nd reading", "house": "Commons",
                        "sittings": ["2025-02-10"], "sort_order": 1}]}))
        .expect("snapshot")
    }

    fn division(id: DivisionId, title: &str) -> Division {
        Division {
            id,
            house: House::Commons,
            date: "2025-02-10".parse().expect("date"),
            time: None,
            title: title.to_owned(),
            number: None,
            deferred: false,
            counts: Counts {
                ayes: 336,
                noes: 175,
            },
            government_won: None,
            notes: None,
        }
    }

    /// The former title reaches the matcher from the stored bill itself, not only from a
    /// rename seen in this check; each title is tried once.
    #[test]
    fn a_renamed_bills_divisions_match_under_its_former_title_too() {
        let snapshot = renamed();
        assert_eq!(
            bill_titles(&snapshot, Some("Workers (Rights) Bill")),
            ["Employment Rights Bill", "Workers (Rights) Bill"]
        );
        assert_eq!(
            bill_titles(&snapshot, Some("Older Bill")),
            [
                "Employment Rights Bill",
                "Workers (Rights) Bill",
                "Older Bill"
            ]
        );
        let found = [
            division(1, "Workers (Rights) Bill: Second Reading"),
            division(
                2,
                "Employment Rights Bill: Reasoned Amendment to Second Reading",
            ),
            division(3, "Workers Bill: Second Reading"),
        ];
        let ids: Vec<DivisionId> = new_votes(&snapshot, None, &found, &RecordedVotes::new())
            .iter()
            .map(|v| v.division.id)
            .collect();
        assert_eq!(ids, [1, 2]);
    }
}
