//! Follow rules' state (`follow_rules`: when each rule was first resolved and last searched, its
//! bill type id, whether it matched too many bills) and the bills they brought in (`followed`).
//! A rule is stored by its criteria ([`crate::follow::Criteria::signature`]).

use chrono::{DateTime, Utc};
use rusqlite::{TransactionBehavior, params};

use super::columns::Rfc3339;
use super::{Store, StoreError};
use crate::bill::BillId;
use crate::config::FollowRule;

/// What is stored of one rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleState {
    pub rule: String,
    /// The first search of the rule: bills matching then are recorded silently, bills first
    /// seen after it are introduced.
    pub resolved_at: DateTime<Utc>,
    /// The last search (one per full refresh).
    pub searched_at: DateTime<Utc>,
    /// The rule's bill type, resolved by name.
    pub type_id: Option<u32>,
    /// How many bills it matched when that was more than `parliament.max_bills`.
    pub over: Option<usize>,
}

/// A bill a rule brought in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Followed {
    pub rule: String,
    pub bill_id: BillId,
    /// It first appeared after the rule was first resolved: told with `bill_introduced` when
    /// first recorded.
    pub introduced: bool,
}

/// What the store knows of the follow rules: each rule's state, and every bill a rule brought
/// in. `status`, `show` and the bot's `/bills` read which rule tracks a bill here.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FollowState {
    pub rules: Vec<RuleState>,
    pub followed: Vec<Followed>,
}

impl FollowState {
    /// How many bills `rule` matched at its last search, when that was more than
    /// `parliament.max_bills`: the rule then takes no bill on until it is fixed.
    pub fn over(&self, rule: &FollowRule) -> Option<usize> {
        let signature = rule.criteria.signature();
        self.rules.iter().find(|r| r.rule == signature)?.over
    }

    /// The first of `rules` (the config's) that took bill `id` on, whether or not it is over
    /// `max_bills`.
    pub fn took_on<'a>(&self, rules: &'a [FollowRule], id: BillId) -> Option<&'a FollowRule> {
        rules.iter().find(|r| {
            let signature = r.criteria.signature();
            self.followed
                .iter()
                .any(|f| f.bill_id == id && f.rule == signature)
        })
    }

    /// The first of `rules` that tracks bill `id`: one that took it on and is not over
    /// `max_bills`.
    pub fn rule_of<'a>(&self, rules: &'a [FollowRule], id: BillId) -> Option<&'a FollowRule> {
        rules.iter().filter(|r| self.over(r).is_none()).find(|r| {
            let signature = r.criteria.signature();
            self.followed
                .iter()
                .any(|f| f.bill_id == id && f.rule == signature)
        })
    }
}

impl Store {
    /// Every rule's state, and every bill a rule brought in.
    pub fn follow_state(&self) -> Result<FollowState, StoreError> {
        let read = || {
            let mut stmt = self.conn.prepare(
                "SELECT rule, resolved_at, searched_at, type_id, over FROM follow_rules",
            )?;
            let rules = stmt
                .query_map([], |r| {
                    Ok(RuleState {
                        rule: r.get(0)?,
                        resolved_at: r.get::<_, Rfc3339>(1)?.0,
                        searched_at: r.get::<_, Rfc3339>(2)?.0,
                        type_id: r.get(3)?,
                        over: r.get::<_, Option<i64>>(4)?.map(|n| n as usize),
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let mut stmt = self
                .conn
                .prepare("SELECT rule, bill_id, introduced FROM followed ORDER BY rowid")?;
            let followed = stmt
                .query_map([], |r| {
                    Ok(Followed {
                        rule: r.get(0)?,
                        bill_id: r.get(1)?,
                        introduced: r.get(2)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(FollowState { rules, followed })
        };
        read().map_err(|e| self.err(e))
    }

    /// Records a rule's search (`state`) and the bills it takes on, in one transaction; a bill
    /// already followed by the rule keeps what it had.
    pub fn rule_searched(
        &mut self,
        state: &RuleState,
        bills: &[Followed],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.in_transaction(TransactionBehavior::Immediate, |tx| {
            tx.execute(
                "INSERT INTO follow_rules (rule, resolved_at, searched_at, type_id, over)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (rule) DO UPDATE SET resolved_at = excluded.resolved_at,
                     searched_at = excluded.searched_at,
                     type_id = excluded.type_id, over = excluded.over",
                params![
                    state.rule,
                    state.resolved_at.to_rfc3339(),
                    state.searched_at.to_rfc3339(),
                    state.type_id,
                    state.over.map(|n| n as i64),
                ],
            )?;
            insert_followed(tx, bills, now)
        })
    }

    /// Records bills rules took on from the listing.
    pub fn follow_bills(
        &mut self,
        bills: &[Followed],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.in_transaction(TransactionBehavior::Immediate, |tx| {
            insert_followed(tx, bills, now)
        })
    }
}

fn insert_followed(
    tx: &rusqlite::Transaction<'_>,
    bills: &[Followed],
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    let mut stmt = tx.prepare(
        "INSERT INTO followed (rule, bill_id, introduced, since) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (rule, bill_id) DO NOTHING",
    )?;
    for b in bills {
        stmt.execute(params![b.rule, b.bill_id, b.introduced, now.to_rfc3339()])?;
    }
    Ok(())
}
