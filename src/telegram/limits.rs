//! Telegram's per-chat limits, kept before they bite: at least a second between two messages to
//! one chat, at most 20 a minute to one chat. Pure: the caller says what time it is.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use tokio::time::Instant;

/// Messages to one chat within a minute, at most.
const PER_CHAT_PER_MINUTE: usize = 20;
/// The least time between two messages to one chat.
const PER_CHAT_GAP: Duration = Duration::from_secs(1);
/// The window [`PER_CHAT_PER_MINUTE`] counts in.
const MINUTE: Duration = Duration::from_secs(60);

/// Keeps sends to each chat within Telegram's limits.
#[derive(Debug, Default)]
pub struct RateLimiter {
    /// The last sends to each chat, oldest first; never more than a minute's allowance.
    sent: HashMap<String, VecDeque<Instant>>,
}

impl RateLimiter {
    /// How long to wait before the next message to `chat` may go.
    pub fn wait_for(&self, chat: &str, now: Instant) -> Duration {
        let Some(times) = self.sent.get(chat) else {
            return Duration::ZERO;
        };
        let mut wait = Duration::ZERO;
        if let Some(last) = times.back() {
            wait = wait.max((*last + PER_CHAT_GAP).saturating_duration_since(now));
        }
        let recent: Vec<&Instant> = times
            .iter()
            .filter(|t| now.saturating_duration_since(**t) < MINUTE)
            .collect();
        if recent.len() >= PER_CHAT_PER_MINUTE
            && let Some(oldest) = recent.first()
        {
            wait = wait.max((**oldest + MINUTE).saturating_duration_since(now));
        }
        wait
    }

    /// Notes that a message to `chat` was answered at `at`.
    pub fn record(&mut self, chat: &str, at: Instant) {
        let times = self.sent.entry(chat.to_owned()).or_default();
        times.push_back(at);
        while times.len() > PER_CHAT_PER_MINUTE {
            times.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_chat_never_heard_from_needs_no_wait() {
        let limiter = RateLimiter::default();
        assert_eq!(limiter.wait_for("@news", Instant::now()), Duration::ZERO);
    }

    #[test]
    fn a_second_between_two_messages_to_one_chat() {
        let t0 = Instant::now();
        let mut limiter = RateLimiter::default();
        limiter.record("@news", t0);
        assert_eq!(limiter.wait_for("@news", t0), ms(1000));
        assert_eq!(limiter.wait_for("@news", t0 + ms(300)), ms(700));
        assert_eq!(limiter.wait_for("@news", t0 + ms(1000)), Duration::ZERO);
        assert_eq!(limiter.wait_for("@news", t0 + ms(5000)), Duration::ZERO);
    }

    #[test]
    fn at_most_twenty_a_minute_to_one_chat() {
        let t0 = Instant::now();
        let mut limiter = RateLimiter::default();
        // Twenty messages, two seconds apart: the gap alone would allow the 21st at 40 s.
        for i in 0..20 {
            let at = t0 + ms(2000 * i);
            assert_eq!(limiter.wait_for("@news", at), Duration::ZERO, "message {i}");
            limiter.record("@news", at);
        }
        let after_last = t0 + ms(38_000 + 1000);
        assert_eq!(
            limiter.wait_for("@news", after_last),
            ms(21_000),
            "the 21st waits until the first is a minute old"
        );
        assert_eq!(limiter.wait_for("@news", t0 + ms(60_000)), Duration::ZERO);
        // Once the 21st went, the window slides on to the second message.
        limiter.record("@news", t0 + ms(60_000));
        assert_eq!(limiter.wait_for("@news", t0 + ms(61_000)), ms(1000));
    }

    #[test]
    fn chats_are_limited_independently() {
        let t0 = Instant::now();
        let mut limiter = RateLimiter::default();
        for i in 0..20 {
            limiter.record("@news", t0 + ms(1000 * i));
        }
        let now = t0 + ms(19_000);
        assert_eq!(limiter.wait_for("@news", now), ms(41_000));
        assert_eq!(limiter.wait_for("@other", now), Duration::ZERO);
        assert_eq!(limiter.wait_for("-1001234", now), Duration::ZERO);
        limiter.record("@other", now);
        assert_eq!(limiter.wait_for("@other", now), ms(1000));
        assert_eq!(limiter.wait_for("@news", now), ms(41_000), "unchanged");
    }
}
