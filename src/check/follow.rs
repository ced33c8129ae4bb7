//! Follow rules in a check: which bills the rules bring in, and which of them are new.
//!
//! Each rule's server-side search runs when the rule is new and then at most once per
//! `parliament.full_refresh` (its state is kept in the store); between searches, the bills new in
//! the listing the check reads anyway are matched against the rules ([`Follow::take_listed`]),
//! so an unchanged check costs no request more. A bill first seen after its rule's first search
//! is told with `bill_introduced`; the bills matching at the first search are recorded as any bill
//! seen for the first time. A rule matching more than `parliament.max_bills` is an error naming it
//! and the count, and its bills are not taken on; everything else carries on.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};

use super::Target;
use super::rule_health::{self, Health, RuleError};
use crate::bill::BillId;
use crate::config::{Config, FollowRule};
use crate::follow::{Candidate, Sessions};
use crate::source::Sources;
use crate::source::api::ListingError;
use crate::source::search::{FoundBill, SearchQuery, bill_type_id, newest_session};
use crate::store::{FetchState, Followed, RuleState, StoreError};

/// Where the current session is kept between checks.
const CURRENT_SESSION: &str = "follow:current_session";

/// The rules' state during one check.
#[derive(Debug, Default)]
pub(super) struct Follow {
    /// By rule signature.
    states: HashMap<String, RuleState>,
    followed: Vec<Followed>,
    current_session: Option<u32>,
    /// Parliament's bill types, read at most once a check.
    types: Option<Vec<(u32, String)>>,
    /// Rules that could not be used this check, each with why.
    errors: Vec<RuleError>,
}

/// Why a rule's search could not be used: a mistake in the rule (`lasting`), or a failure that
/// may pass.
struct Failure {
    cause: String,
    lasting: bool,
}

impl Failure {
    fn passing(cause: impl Into<String>) -> Failure {
        Failure {
            cause: cause.into(),
            lasting: false,
        }
    }
}

impl Follow {
    /// What the store knows of the rules (nothing, without a database).
    pub async fn load(config: &Config, target: &Target) -> Result<Follow, StoreError> {
        let Some(db) = target.stored().filter(|_| !config.follow.is_empty()) else {
            return Ok(Follow::default());
        };
        let (rules, followed, session) = db
            .call(|s| {
                let state = s.follow_state()?;
                Ok((state.rules, state.followed, s.meta(CURRENT_SESSION)?))
            })
            .await?;
        Ok(Follow {
            states: rules.into_iter().map(|r| (r.rule.clone(), r)).collect(),
            followed,
            current_session: session.and_then(|s| s.parse().ok()),
            ..Follow::default()
        })
    }

    /// The config with every bill the rules brought in tracked as if listed (its rule's chat
    /// and alerts), after the bills listed.
    pub fn config(&self, config: &Config) -> Config {
        let mut out = config.clone();
        for rule in &config.follow {
            let signature = rule.criteria.signature();
            for f in self.followed.iter().filter(|f| f.rule == signature) {
                if out.bill(f.bill_id).is_none() && self.usable(rule) {
                    out.bills.push(rule.tracked(f.bill_id));
                }
            }
        }
        out
    }

    /// Bills first seen after their rule's first search, each with the day since which a bill
    /// counts as new (the day of its rule's first search, in the configured zone; the earliest,
    /// when several rules took it on): told with `bill_introduced` when first recorded, if it
    /// was introduced that day or later ([`crate::follow::is_new`]).
    pub fn introduced(&self, config: &Config) -> Vec<(BillId, NaiveDate)> {
        let mut out: Vec<(BillId, NaiveDate)> = Vec::new();
        for f in self.followed.iter().filter(|f| f.introduced) {
            let Some(state) = self.states.get(&f.rule) else {
                continue;
            };
            let since = state
                .resolved_at
                .with_timezone(&config.timezone)
                .date_naive();
            match out.iter_mut().find(|(id, _)| *id == f.bill_id) {
                Some((_, day)) => *day = (*day).min(since),
                None => out.push((f.bill_id, since)),
            }
        }
        out
    }

    /// A rule whose last search matched too many bills brings none in.
    fn usable(&self, rule: &FollowRule) -> bool {
        self.states
            .get(&rule.criteria.signature())
            .is_some_and(|s| s.over.is_none())
    }

    /// Runs the searches due: a rule never searched, last searched a full refresh ago, or over
    /// a `max_bills` since raised.
    pub async fn search_due(
        &mut self,
        config: &Config,
        sources: &Sources,
        target: &Target,
        states: &[FetchState],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let refresh = chrono::Duration::from_std(config.parliament.full_refresh)
            .unwrap_or(chrono::Duration::days(1));
        // A rule over `max_bills` searches again as soon as `max_bills` was raised above it.
        let max = config.parliament.max_bills;
        let due: Vec<&FollowRule> = config
            .follow
            .iter()
            .filter(|r| {
                self.states.get(&r.criteria.signature()).is_none_or(|s| {
                    s.searched_at > now
                        || now - s.searched_at >= refresh
                        || s.over.is_some_and(|n| n <= max)
                })
            })
            .collect();
        if due.is_empty() {
            return Ok(());
        }
        if due.iter().any(|r| r.criteria.sessions == Sessions::Current) {
            self.read_current_session(sources, target).await?;
        }
        for rule in due {
            match self.search(config, rule, sources, states, now).await {
                Ok((state, bills)) => self.keep(target, state, bills, now).await?,
                Err(f) => self.errors.push(RuleError {
                    rule: rule.criteria.signature(),
                    label: rule.label(),
                    cause: f.cause,
                    lasting: f.lasting,
                }),
            }
        }
        Ok(())
    }

    /// The newest session Parliament's data shows, kept for the checks between searches.
    async fn read_current_session(
        &mut self,
        sources: &Sources,
        target: &Target,
    ) -> Result<(), StoreError> {
        match sources.api.current_session().await {
            Ok(Some(session)) => self.note_session(target, session).await,
            Ok(None) => Ok(()),
            Err(e) => {
                tracing::warn!("the current session cannot be read now: {e}");
                Ok(())
            }
        }
    }

    async fn note_session(&mut self, target: &Target, session: u32) -> Result<(), StoreError> {
        if self.current_session.is_some_and(|s| s >= session) {
            return Ok(());
        }
        self.current_session = Some(session);
        if let Some(db) = target.writable() {
            db.call(move |s| s.set_meta(CURRENT_SESSION, &session.to_string()))
                .await?;
        }
        Ok(())
    }

    /// One rule's search: its state after it, and the bills it takes on.
    async fn search(
        &mut self,
        config: &Config,
        rule: &FollowRule,
        sources: &Sources,
        states: &[FetchState],
        now: DateTime<Utc>,
    ) -> Result<(RuleState, Vec<Followed>), Failure> {
        let signature = rule.criteria.signature();
        let type_id = self.type_id(rule, sources).await?;
        // Without the current session, a search would take on bills of every session.
        let session = match rule.criteria.sessions {
            Sessions::Current => Some(self.current_session.ok_or_else(|| {
                Failure::passing(
                    "the current session cannot be read now, the rule's search waits for the \
                     next check",
                )
            })?),
            Sessions::All => None,
        };
        let query = SearchQuery {
            term: rule.criteria.words.clone().unwrap_or_default(),
            house: None,
            bill_type: type_id,
            session,
        };
        let max = config.parliament.max_bills;
        let found = sources.api.search_all(&query, max).await.map_err(|e| {
            Failure::passing(format!("its search failed, tried again next check: {e}"))
        })?;
        let previous = self.states.get(&signature);
        // A rule that never took a bill on (its searches matched too many) is resolved now:
        // the bills matching then are recorded as at any rule's first search.
        let first_search = previous
            .is_none_or(|s| s.over.is_some() && !self.followed.iter().any(|f| f.rule == signature));
        let mut state = RuleState {
            rule: signature.clone(),
            resolved_at: match previous {
                Some(s) if !first_search => s.resolved_at,
                _ => now,
            },
            searched_at: now,
            type_id,
            over: None,
        };
        if found.total > max {
            state.over = Some(found.total);
            return Ok((state, Vec::new()));
        }
        let bills = found
            .bills
            .iter()
            .filter(|b| {
                let candidate = Candidate {
                    title: None,
                    started_in: b.started_in,
                    bill_type: b.bill_type,
                    sessions: &b.sessions,
                };
                rule.criteria.matches(type_id, session, &candidate)
            })
            .map(|b| Followed {
                rule: signature.clone(),
                bill_id: b.id,
                introduced: !first_search && self.never_seen(config, states, b.id),
            })
            .collect();
        Ok((state, bills))
    }

    /// The rule's bill type id: kept from its last search, else read from Parliament's list.
    async fn type_id(
        &mut self,
        rule: &FollowRule,
        sources: &Sources,
    ) -> Result<Option<u32>, Failure> {
        let Some(wanted) = &rule.criteria.bill_type else {
            return Ok(None);
        };
        if let Some(id) = self
            .states
            .get(&rule.criteria.signature())
            .and_then(|s| s.type_id)
        {
            return Ok(Some(id));
        }
        if self.types.is_none() {
            let types = sources.api.bill_types().await.map_err(|e: ListingError| {
                Failure::passing(format!(
                    "the bill types cannot be read now, tried again next check: {e}"
                ))
            })?;
            self.types = Some(types);
        }
        bill_type_id(self.types.as_deref().unwrap_or_default(), wanted)
            .map(Some)
            .map_err(|e| Failure {
                cause: format!("`type`: {e}"),
                lasting: true,
            })
    }

    /// Keeps a rule's search: in memory for this check, and in the store.
    async fn keep(
        &mut self,
        target: &Target,
        state: RuleState,
        bills: Vec<Followed>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if let Some(db) = target.writable() {
            let (s2, b2) = (state.clone(), bills.clone());
            db.call(move |s| s.rule_searched(&s2, &b2, now)).await?;
        }
        let known: HashSet<(String, BillId)> = self
            .followed
            .iter()
            .map(|f| (f.rule.clone(), f.bill_id))
            .collect();
        self.followed.extend(
            bills
                .into_iter()
                .filter(|b| !known.contains(&(b.rule.clone(), b.bill_id))),
        );
        self.states.insert(state.rule.clone(), state);
        Ok(())
    }

    /// A bill this deployment never recorded and no rule brought in.
    fn never_seen(&self, config: &Config, states: &[FetchState], id: BillId) -> bool {
        config.bill(id).is_none()
            && !states.iter().any(|s| s.bill_id == id && s.has_snapshot)
            && !self.followed.iter().any(|f| f.bill_id == id)
    }

    /// Matches the bills of the listing the check read against the rules searched before: the
    /// bills they take on, to fetch now (a bill new to this deployment is introduced).
    pub async fn take_listed(
        &mut self,
        config: &Config,
        target: &Target,
        listed: &[FoundBill],
        states: &[FetchState],
        now: DateTime<Utc>,
    ) -> Result<Vec<BillId>, StoreError> {
        if config.follow.is_empty() {
            return Ok(Vec::new());
        }
        if let Some(newest) = newest_session(listed) {
            self.note_session(target, newest).await?;
        }
        let mut taken = Vec::new();
        for rule in config.follow.iter().filter(|r| self.usable(r)) {
            let signature = rule.criteria.signature();
            let type_id = self.states.get(&signature).and_then(|s| s.type_id);
            let session = match rule.criteria.sessions {
                Sessions::Current => self.current_session,
                Sessions::All => None,
            };
            for bill in listed {
                let candidate = Candidate {
                    title: Some(&bill.title),
                    started_in: bill.started_in,
                    bill_type: bill.bill_type,
                    sessions: &bill.sessions,
                };
                let followed = self
                    .followed
                    .iter()
                    .any(|f| f.rule == signature && f.bill_id == bill.id);
                if followed || !rule.criteria.matches(type_id, session, &candidate) {
                    continue;
                }
                taken.push(Followed {
                    rule: signature.clone(),
                    bill_id: bill.id,
                    introduced: self.never_seen(config, states, bill.id),
                });
            }
        }
        if let (Some(db), false) = (target.writable(), taken.is_empty()) {
            let bills = taken.clone();
            db.call(move |s| s.follow_bills(&bills, now)).await?;
        }
        let ids = taken.iter().map(|f| f.bill_id).collect();
        self.followed.extend(taken);
        Ok(ids)
    }

    /// The rules in error this check, each said as the report and the log say it (a rule
    /// whose last search matched too many bills is said at every check until fixed), and what
    /// the operator should hear of them (see [`rule_health`]; nothing for a dry run).
    pub async fn errors(
        &mut self,
        config: &Config,
        target: &Target,
    ) -> Result<(Vec<String>, Vec<String>), StoreError> {
        let max = config.parliament.max_bills;
        for rule in &config.follow {
            let Some(over) = self
                .states
                .get(&rule.criteria.signature())
                .and_then(|s| s.over)
            else {
                continue;
            };
            self.errors.push(RuleError {
                rule: rule.criteria.signature(),
                label: rule.label(),
                cause: format!(
                    "it matches {over} bills, more than parliament.max_bills ({max}); narrow it \
                     (or raise max_bills): its bills are not taken on until then"
                ),
                lasting: true,
            });
        }
        let said = self.errors.iter().map(ToString::to_string).collect();
        let Some(db) = target.writable() else {
            return Ok((said, Vec::new()));
        };
        let before: BTreeMap<String, Health> = db
            .call(|s| s.meta(rule_health::KEY))
            .await?
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default();
        if before.is_empty() && self.errors.is_empty() {
            return Ok((said, Vec::new()));
        }
        let rules: Vec<(String, String)> = config
            .follow
            .iter()
            .map(|r| (r.criteria.signature(), r.label()))
            .collect();
        let threshold = config.telegram.as_ref().map_or(3, |t| t.failure_threshold);
        let (after, notices) = rule_health::assess(&before, &rules, &self.errors, threshold);
        if after != before {
            let text = serde_json::to_string(&after).unwrap_or_default();
            db.call(move |s| s.set_meta(rule_health::KEY, &text))
                .await?;
        }
        Ok((said, notices))
    }
}
