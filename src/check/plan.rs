//! Which bills a check fetches. Pure: no I/O, no clock.
//!
//! A bill is fetched when it has never been fetched, failed last time, was last fetched in full
//! longer ago than `parliament.full_refresh`, is read from the pages, or when the listing is
//! switched off. Every other tracked bill is a candidate the listing may spare: it is fetched only
//! if the listing shows it changed since its stored `lastUpdate`. A spared bill with a stage due
//! to start by today is still looked at again, from its stored snapshot, so its `stage_reached`
//! comes on the day. The listing request itself is made by [`crate::check`].
//!
//! What the database knows of each bill comes as the store's [`FetchState`]s.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use crate::bill::BillId;
use crate::config::Mode;
pub use crate::store::FetchState;

/// A check's bills before the listing is asked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Candidates {
    /// Fetched whatever the listing says.
    pub fetch: Vec<BillId>,
    /// Fetched only if the listing shows them changed.
    pub spare: Vec<FetchState>,
    /// Bills whose last full fetch is stored as later than now (the clock was ahead then): the
    /// time cannot be trusted, so they are fetched in full. For the log.
    pub from_the_future: Vec<BillId>,
    /// Bills back in the config after a time out of it (the last finished check did not look at
    /// them): fetched in full and recorded silently, like a first sight, not with every change
    /// they missed.
    pub returning: Vec<BillId>,
    /// Every tracked bill, in the config's order: the order fetches go in.
    order: Vec<BillId>,
}

/// Which bills a check fetches, and which it takes as unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// In the config's order.
    pub fetch: Vec<BillId>,
    /// Shown unchanged by the listing: not fetched.
    pub unchanged: Vec<BillId>,
    /// Of the unchanged bills, those with a stage due to start by today.
    pub due: Vec<BillId>,
    /// How many candidates the listing showed changed.
    pub changed: usize,
    /// Bills back after a time out of the config: recorded silently (see [`Candidates`]).
    pub returning: Vec<BillId>,
}

/// Sorts `tracked` bills (each with its mode, in the config's order) into those fetched whatever
/// happens and those the listing may spare, from what the database knows of them (`states`) and
/// when the last finished check started (`since`).
pub fn candidates(
    tracked: &[(BillId, Mode)],
    states: &[FetchState],
    now: DateTime<Utc>,
    full_refresh: chrono::Duration,
    listing: bool,
    since: Option<DateTime<Utc>>,
) -> Candidates {
    let mut out = Candidates {
        order: tracked.iter().map(|(id, _)| *id).collect(),
        ..Candidates::default()
    };
    for (id, mode) in tracked {
        let state = states.iter().find(|s| s.bill_id == *id);
        if state.is_some_and(|s| s.last_full_fetch.is_some_and(|t| t > now)) {
            out.from_the_future.push(*id);
        }
        let returning = state.is_some_and(|s| {
            s.has_snapshot && since.is_some_and(|t| s.last_attempt.is_none_or(|a| a < t))
        });
        if returning {
            out.returning.push(*id);
            out.fetch.push(*id);
            continue;
        }
        let spare = state.filter(|s| {
            listing
                && *mode != Mode::Pages
                && s.has_snapshot
                && s.last_update.is_some()
                && s.consecutive_failures == 0
                && s.last_full_fetch
                    .is_some_and(|t| t <= now && now - t < full_refresh)
        });
        match spare {
            Some(state) => out.spare.push(state.clone()),
            None => out.fetch.push(*id),
        }
    }
    out
}

/// Every candidate fetched: the listing was not asked, or it failed.
pub fn fetch_all(candidates: Candidates) -> Plan {
    let Candidates {
        mut fetch,
        spare,
        order,
        returning,
        ..
    } = candidates;
    fetch.extend(spare.iter().map(|s| s.bill_id));
    sort_by(&mut fetch, &order);
    Plan {
        fetch,
        returning,
        ..Plan::default()
    }
}

/// Applies the listing's answer (`listed`: every bill changed since the last check, with its
/// `lastUpdate`): a candidate whose `lastUpdate` moved is fetched, the others are unchanged, and
/// due if a stored stage starts by `today`.
pub fn apply_listing(
    candidates: Candidates,
    listed: &HashMap<BillId, NaiveDateTime>,
    today: NaiveDate,
) -> Plan {
    let Candidates {
        mut fetch,
        spare,
        order,
        returning,
        ..
    } = candidates;
    let mut plan = Plan {
        returning,
        ..Plan::default()
    };
    for state in spare {
        match listed.get(&state.bill_id) {
            Some(updated) if Some(*updated) != state.last_update => {
                plan.changed += 1;
                fetch.push(state.bill_id);
            }
            _ => {
                if state.next_due.is_some_and(|d| d <= today) {
                    plan.due.push(state.bill_id);
                }
                plan.unchanged.push(state.bill_id);
            }
        }
    }
    sort_by(&mut fetch, &order);
    plan.fetch = fetch;
    plan
}

fn sort_by(ids: &mut [BillId], order: &[BillId]) {
    ids.sort_by_key(|id| order.iter().position(|o| o == id));
}

#[cfg(test)]
mod tests {
    use super::*;

    const REFRESH: chrono::Duration = chrono::Duration::days(1);

    fn now() -> DateTime<Utc> {
        "2025-02-10T09:00:00Z".parse().expect("time")
    }

    fn updated(s: &str) -> NaiveDateTime {
        s.parse().expect("date-time")
    }

    /// A bill fetched well an hour ago, updated by Parliament at 8:00.
    fn fetched_fine(id: BillId) -> FetchState {
        FetchState {
            bill_id: id,
            last_update: Some(updated("2025-02-10T08:00:00")),
            next_due: None,
            has_snapshot: true,
            last_full_fetch: Some(now() - chrono::Duration::hours(1)),
            consecutive_failures: 0,
            last_attempt: Some(now() - chrono::Duration::hours(1)),
        }
    }

    fn spare_ids(c: &Candidates) -> Vec<BillId> {
        c.spare.iter().map(|s| s.bill_id).collect()
    }

    #[test]
    fn a_bill_fetched_fine_recently_may_be_spared() {
        let c = candidates(
            &[(1, Mode::Api)],
            &[fetched_fine(1)],
            now(),
            REFRESH,
            true,
            None,
        );
        assert!(c.fetch.is_empty());
        assert_eq!(c.spare, [fetched_fine(1)]);
        let auto = candidates(
            &[(1, Mode::Auto)],
            &[fetched_fine(1)],
            now(),
            REFRESH,
            true,
            None,
        );
        assert_eq!(spare_ids(&auto), [1]);
    }

    /// A bill the last finished check did not look at was out of the config: it is fetched in
    /// full and named as returning (recorded silently); one looked at is not.
    #[test]
    fn a_bill_back_in_the_config_is_returning() {
        let since = Some(now() - chrono::Duration::hours(2));
        let away = FetchState {
            last_attempt: Some(now() - chrono::Duration::days(20)),
            ..fetched_fine(1)
        };
        let tracked = [(1, Mode::Api), (2, Mode::Api)];
        let c = candidates(
            &tracked,
            &[away, fetched_fine(2)],
            now(),
            REFRESH,
            true,
            since,
        );
        assert_eq!(c.returning, [1]);
        assert_eq!(c.fetch, [1]);
        assert_eq!(spare_ids(&c), [2]);
        assert_eq!(fetch_all(c).returning, [1]);
    }

    /// A full fetch stored as later than now (the clock was ahead, say in 2030) is stale, not
    /// fresh for years: the bill is fetched in full, and named for the log.
    #[test]
    fn a_full_fetch_stored_in_the_future_is_stale() {
        let ahead = FetchState {
            last_full_fetch: Some(now() + chrono::Duration::days(5 * 365)),
            ..fetched_fine(1)
        };
        let c = candidates(&[(1, Mode::Api)], &[ahead], now(), REFRESH, true, None);
        assert_eq!(c.fetch, [1]);
        assert!(c.spare.is_empty());
        assert_eq!(c.from_the_future, [1]);
    }

    #[test]
    fn bills_that_must_be_fetched() {
        let never_fetched = FetchState {
            has_snapshot: false,
            last_update: None,
            last_full_fetch: None,
            ..fetched_fine(2)
        };
        let failed = FetchState {
            consecutive_failures: 1,
            ..fetched_fine(3)
        };
        let refresh_due = FetchState {
            last_full_fetch: Some(now() - REFRESH),
            ..fetched_fine(4)
        };
        let no_last_update = FetchState {
            last_update: None,
            ..fetched_fine(5)
        };
        let tracked = [
            (1, Mode::Api), // nothing stored at all
            (2, Mode::Api),
            (3, Mode::Api),
            (4, Mode::Api),
            (5, Mode::Api),
            (6, Mode::Pages),
        ];
        let states = [
            never_fetched,
            failed,
            refresh_due,
            no_last_update,
            fetched_fine(6),
            fetched_fine(7), // no longer tracked
        ];
        let c = candidates(&tracked, &states, now(), REFRESH, true, None);
        assert_eq!(c.fetch, [1, 2, 3, 4, 5, 6]);
        assert!(c.spare.is_empty());
    }

    #[test]
    fn with_the_listing_off_every_bill_is_fetched() {
        let c = candidates(
            &[(1, Mode::Api)],
            &[fetched_fine(1)],
            now(),
            REFRESH,
            false,
            None,
        );
        assert_eq!(c.fetch, [1]);
        assert!(c.spare.is_empty());
    }

    #[test]
    fn without_the_listing_every_candidate_is_fetched_in_config_order() {
        let tracked = [(3, Mode::Api), (1, Mode::Pages), (2, Mode::Api)];
        let states = [fetched_fine(1), fetched_fine(2), fetched_fine(3)];
        let c = candidates(&tracked, &states, now(), REFRESH, true, None);
        assert_eq!(c.fetch, [1]);
        assert_eq!(spare_ids(&c), [3, 2]);
        let plan = fetch_all(c);
        assert_eq!(plan.fetch, [3, 1, 2]);
        assert!(plan.unchanged.is_empty() && plan.due.is_empty());
        assert_eq!(plan.changed, 0);
    }

    #[test]
    fn the_listing_decides_which_candidates_are_fetched() {
        let tracked = [
            (1, Mode::Api),
            (2, Mode::Api),
            (3, Mode::Api),
            (4, Mode::Pages),
        ];
        let states = [fetched_fine(1), fetched_fine(2), fetched_fine(3)];
        let c = candidates(&tracked, &states, now(), REFRESH, true, None);
        let listed = HashMap::from([
            // Changed since it was fetched.
            (2, updated("2025-02-10T08:30:00")),
            // Listed, but as it was when fetched.
            (3, updated("2025-02-10T08:00:00")),
            // Not tracked.
            (9, updated("2025-02-10T08:30:00")),
        ]);
        let plan = apply_listing(
            c,
            &listed,
            NaiveDate::from_ymd_opt(2025, 2, 10).expect("day"),
        );
        assert_eq!(plan.fetch, [2, 4]);
        assert_eq!(plan.unchanged, [1, 3]);
        assert!(plan.due.is_empty());
        assert_eq!(plan.changed, 1);
    }

    #[test]
    fn an_unchanged_bill_with_a_stage_due_today_is_looked_at_again() {
        let day = |d| NaiveDate::from_ymd_opt(2025, 2, d).expect("day");
        let due_today = FetchState {
            next_due: Some(day(10)),
            ..fetched_fine(1)
        };
        let due_before = FetchState {
            next_due: Some(day(8)),
            ..fetched_fine(2)
        };
        let due_tomorrow = FetchState {
            next_due: Some(day(11)),
            ..fetched_fine(3)
        };
        let tracked = [(1, Mode::Api), (2, Mode::Api), (3, Mode::Api)];
        let c = candidates(
            &tracked,
            &[due_today, due_before, due_tomorrow],
            now(),
            REFRESH,
            true,
            None,
        );
        let plan = apply_listing(c, &HashMap::new(), day(10));
        assert!(plan.fetch.is_empty());
        assert_eq!(plan.unchanged, [1, 2, 3]);
        assert_eq!(plan.due, [1, 2]);
    }
}
