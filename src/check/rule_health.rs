//! What the operator hears of follow rules in error: once when a rule breaks, once when it
//! works again; never once per check.
//!
//! A mistake in the rule itself (it matches more than `parliament.max_bills`, it names a bill
//! type Parliament does not have) is told at the first check that finds it. A failure that may
//! pass (its search, or a list it needs, could not be read) is told once it has lasted
//! `telegram.failure_threshold` checks in a row, as a failing bill is. What was told is kept in
//! the store (`meta`), by the rule's criteria, so a rule is told again only after it was fixed
//! and broke again; a rule edited or taken out of the config starts afresh.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Where what was told is kept between checks.
pub(super) const KEY: &str = "follow:health";

/// A rule that could not be used this check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct RuleError {
    /// The rule's criteria ([`crate::follow::Criteria::signature`]).
    pub rule: String,
    /// How messages name it (`follow[0] (Immigration)`).
    pub label: String,
    pub cause: String,
    /// A mistake in the rule, told at once; else a failure that may pass, told once it lasted.
    pub lasting: bool,
}

impl std::fmt::Display for RuleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.label, self.cause)
    }
}

/// One rule's health as kept between checks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Health {
    /// Checks in a row it was in error.
    pub failures: u32,
    /// The operator was told it is in error.
    pub told: bool,
}

/// The health of every rule of the config after this check, and what the operator should hear.
/// `rules` are the config's rules (criteria, label); `before` what was kept (rules no longer
/// in the config are dropped).
pub(super) fn assess(
    before: &BTreeMap<String, Health>,
    rules: &[(String, String)],
    errors: &[RuleError],
    threshold: u32,
) -> (BTreeMap<String, Health>, Vec<String>) {
    let threshold = threshold.max(1);
    let mut after = BTreeMap::new();
    let mut notices = Vec::new();
    for (rule, label) in rules {
        let was = before.get(rule).copied().unwrap_or_default();
        match errors.iter().find(|e| &e.rule == rule) {
            Some(error) => {
                let failures = was.failures.saturating_add(1);
                let due = error.lasting || failures >= threshold;
                if due && !was.told {
                    notices.push(if error.lasting {
                        format!("{error}")
                    } else {
                        format!(
                            "{label} has failed {failures} checks in a row; its new bills are \
                             not taken on until it works again. Last error: {}",
                            error.cause
                        )
                    });
                }
                let told = was.told || due;
                after.insert(rule.clone(), Health { failures, told });
            }
            None if was.told => {
                notices.push(format!("{label} works again: its bills are taken on."));
            }
            None => {}
        }
    }
    (after, notices)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(lasting: bool) -> RuleError {
        RuleError {
            rule: "r".to_owned(),
            label: "follow[0] (Immigration)".to_owned(),
            cause: if lasting { "too many" } else { "HTTP 500" }.to_owned(),
            lasting,
        }
    }

    /// Runs `checks` (each: the rule's error, if any) from nothing; what was told at each.
    fn told(checks: &[Option<RuleError>], threshold: u32) -> Vec<Vec<String>> {
        let rules = [("r".to_owned(), "follow[0] (Immigration)".to_owned())];
        let mut health = BTreeMap::new();
        checks
            .iter()
            .map(|e| {
                let errors: Vec<RuleError> = e.iter().cloned().collect();
                let (after, notices) = assess(&health, &rules, &errors, threshold);
                health = after;
                notices
            })
            .collect()
    }

    #[test]
    fn a_mistake_is_told_at_once_and_once_and_its_fix_once() {
        let (bad, fine) = (Some(error(true)), None);
        let got = told(
            &[
                bad.clone(),
                bad.clone(),
                fine.clone(),
                fine,
                bad.clone(),
                bad,
            ],
            3,
        );
        let broke = vec!["follow[0] (Immigration): too many".to_owned()];
        let fixed = vec!["follow[0] (Immigration) works again: its bills are taken on.".to_owned()];
        assert_eq!(got, [broke.clone(), vec![], fixed, vec![], broke, vec![]]);
    }

    #[test]
    fn a_failure_is_told_once_it_lasted_the_threshold() {
        let failing = Some(error(false));
        let got = told(
            &[
                failing.clone(),
                failing.clone(),
                failing.clone(),
                failing.clone(),
                None,
            ],
            3,
        );
        assert_eq!(got[..2], [Vec::<String>::new(), vec![]]);
        assert_eq!(
            got[2],
            [
                "follow[0] (Immigration) has failed 3 checks in a row; its new bills are not taken on \
              until it works again. Last error: HTTP 500"
            ]
        );
        assert!(got[3].is_empty());
        assert_eq!(
            got[4],
            ["follow[0] (Immigration) works again: its bills are taken on."]
        );
        // A failure that passes before the threshold is never told, nor its end.
        assert!(
            told(&[failing.clone(), None, failing, None], 3)
                .iter()
                .all(Vec::is_empty)
        );
    }

    #[test]
    fn a_rule_out_of_the_config_is_forgotten() {
        let before = BTreeMap::from([(
            "gone".to_owned(),
            Health {
                failures: 4,
                told: true,
            },
        )]);
        let (after, notices) = assess(&before, &[], &[], 3);
        assert!(after.is_empty() && notices.is_empty());
    }
}
