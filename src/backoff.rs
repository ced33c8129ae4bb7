//! How long to wait before trying again: exponential backoff with a cap, a limit on tries, and
//! how long a server may ask billwatch to wait. Pure; the callers do the waiting.
//!
//! One type for every retry loop: Parliament's HTTP requests, Telegram's transient failures, and
//! restarting the bot's command listener.

use std::time::Duration;

/// A retry policy: wait `first` after the first failure, twice as long after each further one
/// (at most `doublings` times, and never longer than `max`), until `tries` attempts were made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    first: Duration,
    max: Duration,
    doublings: u32,
    tries: u32,
    max_asked: Duration,
}

impl Backoff {
    /// Waits `first`, then doubles the wait after every failure, for ever, honouring any wait a
    /// server asks for.
    pub const fn new(first: Duration) -> Backoff {
        Backoff {
            first,
            max: Duration::MAX,
            doublings: u32::MAX,
            tries: u32::MAX,
            max_asked: Duration::MAX,
        }
    }

    /// No wait is longer than `max`.
    pub const fn capped(self, max: Duration) -> Backoff {
        Backoff { max, ..self }
    }

    /// The wait doubles at most `doublings` times, then stays.
    pub const fn doublings(self, doublings: u32) -> Backoff {
        Backoff { doublings, ..self }
    }

    /// At most `tries` attempts in all: the failure of the last one ends the retries.
    pub const fn tries(self, tries: u32) -> Backoff {
        Backoff { tries, ..self }
    }

    /// A server may ask for a wait of up to `max_asked` (HTTP `Retry-After`, Telegram's
    /// `retry_after`); a longer one ends the retries.
    pub const fn honouring(self, max_asked: Duration) -> Backoff {
        Backoff { max_asked, ..self }
    }

    /// The wait after the `failures`-th failure in a row (1 for the first), or `None` when that
    /// failure used the last try.
    pub fn after(&self, failures: u32) -> Option<Duration> {
        if failures >= self.tries {
            return None;
        }
        let doublings = failures.saturating_sub(1).min(self.doublings);
        let factor = 1u32.checked_shl(doublings).unwrap_or(u32::MAX);
        Some(self.first.saturating_mul(factor).min(self.max))
    }

    /// The wait a server asked for, exactly, or `None` when it is longer than billwatch waits.
    pub fn asked(&self, wait: Duration) -> Option<Duration> {
        (wait <= self.max_asked).then_some(wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn doubles_from_the_first_wait_up_to_the_cap() {
        let b = Backoff::new(secs(5)).capped(secs(300));
        let waits: Vec<u64> = (1..=9)
            .map(|n| b.after(n).expect("retries for ever").as_secs())
            .collect();
        assert_eq!(waits, [5, 10, 20, 40, 80, 160, 300, 300, 300]);
        assert_eq!(
            b.after(10_000),
            Some(secs(300)),
            "never overflows, never gives up"
        );
    }

    #[test]
    fn the_last_try_ends_the_retries() {
        let b = Backoff::new(secs(1)).tries(5);
        let waits: Vec<Option<Duration>> = (1..=6).map(|n| b.after(n)).collect();
        assert_eq!(
            waits,
            [
                Some(secs(1)),
                Some(secs(2)),
                Some(secs(4)),
                Some(secs(8)),
                None,
                None
            ]
        );
    }

    #[test]
    fn doublings_stop_before_the_cap_for_short_waits() {
        let b = Backoff::new(Duration::from_millis(100))
            .capped(secs(60))
            .doublings(6);
        assert_eq!(b.after(7), Some(Duration::from_millis(6400)));
        assert_eq!(b.after(11), Some(Duration::from_millis(6400)));
        let long = Backoff::new(secs(2)).capped(secs(60)).doublings(6);
        assert_eq!(long.after(5), Some(secs(32)));
        assert_eq!(long.after(6), Some(secs(60)));
    }

    #[test]
    fn asked_waits_are_honoured_exactly_up_to_the_limit() {
        let b = Backoff::new(secs(1)).honouring(secs(120));
        assert_eq!(b.asked(secs(7)), Some(secs(7)));
        assert_eq!(b.asked(secs(120)), Some(secs(120)));
        assert_eq!(b.asked(secs(121)), None);
        assert_eq!(b.asked(Duration::ZERO), Some(Duration::ZERO));
    }

    #[test]
    fn no_tries_allowed_means_no_retry() {
        assert_eq!(Backoff::new(secs(2)).tries(1).after(1), None);
        assert_eq!(Backoff::new(secs(2)).tries(0).after(1), None);
    }
}
