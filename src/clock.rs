//! The one clock: what time it is, and what day it is in the configured zone.
//!
//! Nothing else in billwatch reads the wall-clock time. Commands and the worker take a [`Clock`]
//! as a parameter, so a test can say "it is 11 December 2025, 09:00" and the code has no other
//! way to ask. Timers use tokio's `Instant`, which paused-time tests control.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};

/// Where the time comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock(Source);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// The system clock, moved by a whole number of days (the hidden `--today` flag).
    System { shift: chrono::Duration },
    /// Always this instant.
    Fixed(DateTime<Utc>),
    /// This instant at `origin`, then moving with tokio's clock: in paused-time tests it moves
    /// exactly as far as the test advances time.
    Tokio {
        start: DateTime<Utc>,
        origin: tokio::time::Instant,
    },
}

impl Clock {
    /// The real time.
    pub fn system() -> Clock {
        Clock(Source::System {
            shift: chrono::Duration::zero(),
        })
    }

    /// The real time moved to `day` (same time of day, real seconds passing): `--today`.
    /// Everything moves with it: dates in alerts, what counts as reached, and check planning.
    pub fn on_day<Z: TimeZone>(day: NaiveDate, zone: &Z) -> Clock {
        let real_today = Utc::now().with_timezone(zone).date_naive();
        Clock(Source::System {
            shift: day.signed_duration_since(real_today),
        })
    }

    /// A clock that never moves.
    pub fn fixed(at: DateTime<Utc>) -> Clock {
        Clock(Source::Fixed(at))
    }

    /// A clock that starts at `start` and moves with tokio's time (paused in tests).
    pub fn following_tokio(start: DateTime<Utc>) -> Clock {
        Clock(Source::Tokio {
            start,
            origin: tokio::time::Instant::now(),
        })
    }

    /// The current instant.
    pub fn now(&self) -> DateTime<Utc> {
        match self.0 {
            Source::System { shift } => Utc::now() + shift,
            Source::Fixed(at) => at,
            Source::Tokio { start, origin } => {
                let passed = tokio::time::Instant::now().saturating_duration_since(origin);
                start + chrono::Duration::from_std(passed).unwrap_or(chrono::Duration::zero())
            }
        }
    }

    /// The calendar day it is now in `zone`.
    pub fn today<Z: TimeZone>(&self, zone: &Z) -> NaiveDate {
        day_in(self.now(), zone)
    }
}

/// The calendar day `at` falls on in `zone`.
pub fn day_in<Z: TimeZone>(at: DateTime<Utc>, zone: &Z) -> NaiveDate {
    at.with_timezone(zone).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::London;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("test time")
            .with_timezone(&Utc)
    }

    #[test]
    fn a_fixed_clock_gives_the_day_in_the_zone() {
        // 23:30 UTC in June is already the next day in London (BST).
        let clock = Clock::fixed(utc("2025-06-10T23:30:00Z"));
        assert_eq!(clock.today(&London).to_string(), "2025-06-11");
        assert_eq!(clock.today(&Utc).to_string(), "2025-06-10");
        assert_eq!(clock.now(), utc("2025-06-10T23:30:00Z"));
    }

    #[test]
    fn a_shifted_clock_is_on_the_day_asked() {
        let day: NaiveDate = "2025-02-01".parse().expect("date");
        let clock = Clock::on_day(day, &London);
        assert_eq!(clock.today(&London), day);
        assert!(clock.now() < utc("2025-02-03T00:00:00Z"));
    }

    #[tokio::test(start_paused = true)]
    async fn a_tokio_clock_moves_with_paused_time() {
        let clock = Clock::following_tokio(utc("2025-02-01T09:00:00Z"));
        tokio::time::advance(std::time::Duration::from_secs(3600)).await;
        assert_eq!(clock.now(), utc("2025-02-01T10:00:00Z"));
    }
}
