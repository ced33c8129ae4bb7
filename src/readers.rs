//! Readers: people who follow bills in a private chat with the bot (`/follow`), and get those
//! bills' alerts there. Pure: what a reader may follow, within which limits.
//!
//! billwatch keeps a reader's chat id and the bills they follow, nothing else: no name, no
//! message text. `/forget` deletes both at once.

use crate::bill::BillId;

/// What readers may follow, from `[telegram]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Any UK bill (`follow_any`), tracked for as long as someone follows it; otherwise only
    /// the bills this deployment tracks (listed, or brought in by a follow rule).
    pub any: bool,
    /// Bills tracked only because a reader follows them, for the whole deployment
    /// (`max_followed_bills`).
    pub bills: u32,
    /// Bills one reader may follow (`max_follows`).
    pub per_reader: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            any: false,
            bills: 300,
            per_reader: 30,
        }
    }
}

/// Why a reader may not follow a bill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The deployment follows only its own bills, and this is not one.
    NotTracked,
    /// The reader follows `max_follows` bills already.
    TooManyFollows(u32),
    /// Readers' own bills are `max_followed_bills` already.
    TooManyBills(u32),
}

/// Where the deployment stands when a reader asks to follow a bill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    /// The deployment tracks the bill anyway (listed, or a follow rule's).
    pub tracked: bool,
    /// Someone follows the bill already.
    pub followed: bool,
    /// Bills this reader follows.
    pub mine: u32,
    /// Bills tracked only because a reader follows them.
    pub readers_bills: u32,
}

/// Whether a reader may follow one more bill. Pure.
pub fn may_follow(limits: Limits, standing: Standing) -> Result<(), Refusal> {
    if !standing.tracked && !limits.any {
        return Err(Refusal::NotTracked);
    }
    if standing.mine >= limits.per_reader {
        return Err(Refusal::TooManyFollows(limits.per_reader));
    }
    // A bill tracked anyway, or followed already, costs Parliament nothing more.
    let adds_a_bill = !standing.tracked && !standing.followed;
    if adds_a_bill && standing.readers_bills >= limits.bills {
        return Err(Refusal::TooManyBills(limits.bills));
    }
    Ok(())
}

/// How a `/follow` ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Followed {
    Now,
    Already,
    Refused(Refusal),
}

/// One bill readers follow, and how many of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Following {
    pub bill_id: BillId,
    pub readers: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANY: Limits = Limits {
        any: true,
        bills: 2,
        per_reader: 3,
    };

    fn standing(tracked: bool, followed: bool, mine: u32, readers_bills: u32) -> Standing {
        Standing {
            tracked,
            followed,
            mine,
            readers_bills,
        }
    }

    #[test]
    fn without_follow_any_only_the_deployments_bills() {
        let own = Limits { any: false, ..ANY };
        assert_eq!(may_follow(own, standing(true, false, 0, 0)), Ok(()));
        assert_eq!(
            may_follow(own, standing(false, true, 0, 0)),
            Err(Refusal::NotTracked)
        );
    }

    #[test]
    fn each_reader_has_a_limit() {
        assert_eq!(may_follow(ANY, standing(true, false, 2, 0)), Ok(()));
        assert_eq!(
            may_follow(ANY, standing(true, false, 3, 0)),
            Err(Refusal::TooManyFollows(3))
        );
    }

    #[test]
    fn only_a_bill_new_to_the_deployment_counts_against_its_limit() {
        assert_eq!(may_follow(ANY, standing(false, false, 0, 1)), Ok(()));
        assert_eq!(
            may_follow(ANY, standing(false, false, 0, 2)),
            Err(Refusal::TooManyBills(2))
        );
        // Followed by someone already, or tracked anyway: no new bill.
        assert_eq!(may_follow(ANY, standing(false, true, 0, 2)), Ok(()));
        assert_eq!(may_follow(ANY, standing(true, false, 0, 2)), Ok(()));
    }
}
