//! Schedule maths: when the next check is due. Pure: the clock is a parameter.
//!
//! Accepts the usual 5-field crontab form (`*/15 * * * *`, numeric days 0-7 with 0 and 7 = Sunday)
//! and the `cron` crate's 6-field form with seconds first (`0 */15 * * * *`, numeric days 1-7 with
//! 1 = Sunday). Day names (`MON-FRI`) mean the same in both. Times are in the configured zone.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};

/// A parsed check schedule.
#[derive(Clone)]
pub struct Schedule {
    expression: String,
    inner: cron::Schedule,
}

impl fmt::Debug for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Schedule").field(&self.expression).finish()
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.expression)
    }
}

/// Why a schedule expression was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{expression:?} is not a valid schedule: {reason}")]
pub struct ScheduleError {
    pub expression: String,
    pub reason: String,
}

impl Schedule {
    pub fn parse(expression: &str) -> Result<Schedule, ScheduleError> {
        let fail = |reason: String| ScheduleError {
            expression: expression.to_owned(),
            reason,
        };
        let fields: Vec<&str> = expression.split_whitespace().collect();
        let six = match fields.len() {
            5 => {
                let dow = crontab_days(fields[4]).map_err(fail)?;
                format!(
                    "0 {} {} {} {} {dow}",
                    fields[0], fields[1], fields[2], fields[3]
                )
            }
            6 => fields.join(" "),
            n => {
                return Err(fail(format!(
                    "it has {n} fields; use 5 (minute hour day month weekday, as in crontab) or 6 \
                     (second first), e.g. \"*/15 * * * *\""
                )));
            }
        };
        let inner = cron::Schedule::from_str(&six).map_err(|e| fail(e.to_string()))?;
        // A schedule that never fires (30 February) would leave the worker asleep for ever.
        if inner.upcoming(Utc).next().is_none() {
            return Err(fail("it never fires".to_owned()));
        }
        Ok(Schedule {
            expression: expression.trim().to_owned(),
            inner,
        })
    }

    /// The first scheduled time strictly after `after`, computed in `zone` (so "9 o'clock" is
    /// 9 o'clock local time on both sides of a daylight-saving change).
    pub fn next_after<Z: TimeZone>(&self, after: DateTime<Utc>, zone: &Z) -> Option<DateTime<Utc>> {
        let local = after.with_timezone(zone);
        self.inner
            .after(&local)
            .next()
            .map(|t| t.with_timezone(&Utc))
    }

    /// The longest gap between two runs over the next few weeks: what "recently" means to `health`.
    pub fn longest_gap<Z: TimeZone>(&self, from: DateTime<Utc>, zone: &Z) -> Duration {
        let local = from.with_timezone(zone);
        let times: Vec<DateTime<Utc>> = self
            .inner
            .after(&local)
            .take(2000)
            .map(|t| t.with_timezone(&Utc))
            .take_while(|t| *t < from + chrono::Duration::days(35))
            .collect();
        times
            .windows(2)
            .map(|w| (w[1] - w[0]).to_std().unwrap_or_default())
            .max()
            .unwrap_or(Duration::from_secs(35 * 24 * 3600))
    }
}

impl FromStr for Schedule {
    type Err = ScheduleError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Schedule::parse(s)
    }
}

/// Translates a crontab day-of-week field (0-7, 0 and 7 = Sunday) into the cron crate's
/// numbering (1-7, 1 = Sunday). Names and `*` pass through.
fn crontab_days(field: &str) -> Result<String, String> {
    let map = |n: &str| -> Result<String, String> {
        match n.parse::<u8>() {
            Ok(d @ 0..=7) => Ok(((d % 7) + 1).to_string()),
            Ok(d) => Err(format!(
                "day of week {d} is out of range (0-7, 0 and 7 = Sunday)"
            )),
            Err(_) => Ok(n.to_owned()), // a name such as MON, or `*`
        }
    };
    field
        .split(',')
        .map(|part| {
            let (range, step) = match part.split_once('/') {
                Some((r, s)) => (r, Some(s)),
                None => (part, None),
            };
            let range = match range.split_once('-') {
                Some((a, b)) => {
                    let (a, b) = (map(a)?, map(b)?);
                    // 5-7 in crontab is Fri-Sun; wrapped it would be 6-1, which cron refuses.
                    if a.parse::<u8>().ok() > b.parse::<u8>().ok() && b == "1" {
                        format!("{a}-7,1")
                    } else {
                        format!("{a}-{b}")
                    }
                }
                None => map(range)?,
            };
            Ok(match step {
                Some(s) => format!("{range}/{s}"),
                None => range,
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(|parts| parts.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::Europe::London;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("test time")
            .with_timezone(&Utc)
    }

    fn next(expr: &str, after: &str) -> String {
        Schedule::parse(expr)
            .expect(expr)
            .next_after(utc(after), &London)
            .expect("fires")
            .to_rfc3339()
    }

    #[test]
    fn five_and_six_field_forms_agree() {
        assert_eq!(
            next("*/15 * * * *", "2026-01-05T10:07:30Z"),
            "2026-01-05T10:15:00+00:00"
        );
        assert_eq!(
            next("0 */15 * * * *", "2026-01-05T10:07:30Z"),
            "2026-01-05T10:15:00+00:00"
        );
        assert_eq!(
            next("*/10 * * * * *", "2026-01-05T10:07:31Z"),
            "2026-01-05T10:07:40+00:00"
        );
    }

    #[test]
    fn day_names_and_crontab_numbers() {
        // 2026-01-09 is a Friday; the next weekday 09:00 is Monday the 12th.
        assert_eq!(
            next("0 9 * * MON-FRI", "2026-01-09T10:00:00Z"),
            "2026-01-12T09:00:00+00:00"
        );
        assert_eq!(
            next("0 9 * * 1-5", "2026-01-09T10:00:00Z"),
            "2026-01-12T09:00:00+00:00"
        );
        // 0 and 7 are both Sunday in crontab.
        assert_eq!(
            next("0 9 * * 0", "2026-01-09T10:00:00Z"),
            "2026-01-11T09:00:00+00:00"
        );
        assert_eq!(
            next("0 9 * * 7", "2026-01-09T10:00:00Z"),
            "2026-01-11T09:00:00+00:00"
        );
        // Friday to Sunday, written the crontab way.
        assert_eq!(
            next("0 9 * * 5-7", "2026-01-10T10:00:00Z"),
            "2026-01-11T09:00:00+00:00"
        );
        // In the 6-field form numbers follow the cron crate: 2 = Monday.
        assert_eq!(
            next("0 0 9 * * 2", "2026-01-09T10:00:00Z"),
            "2026-01-12T09:00:00+00:00"
        );
    }

    #[test]
    fn times_are_local_across_daylight_saving() {
        // 09:00 London is 09:00 UTC in winter and 08:00 UTC in summer.
        assert_eq!(
            next("0 9 * * *", "2026-03-28T12:00:00Z"),
            "2026-03-29T08:00:00+00:00"
        );
        assert_eq!(
            next("0 9 * * *", "2026-10-24T12:00:00Z"),
            "2026-10-25T09:00:00+00:00"
        );
        // On the spring-forward night 01:30 local does not exist; the next real one is the day after.
        let s = Schedule::parse("30 1 * * *").expect("valid");
        let t = s
            .next_after(utc("2026-03-28T12:00:00Z"), &London)
            .expect("fires");
        assert_ne!(
            t,
            London
                .with_ymd_and_hms(2026, 3, 29, 1, 30, 0)
                .single()
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or(t + chrono::Duration::days(9))
        );
        assert!(t > utc("2026-03-29T00:00:00Z"));
    }

    #[test]
    fn invalid_expressions_are_refused() {
        for bad in [
            "",
            "* * * *",
            "61 * * * *",
            "0 9 * * 8",
            "0 9 * * FUNDAY",
            "0 0 30 2 *",
        ] {
            assert!(Schedule::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn longest_gap_of_a_quarter_hourly_schedule() {
        let s = Schedule::parse("*/15 * * * *").expect("valid");
        assert_eq!(
            s.longest_gap(utc("2026-01-05T10:00:00Z"), &London),
            Duration::from_secs(900)
        );
    }
}
