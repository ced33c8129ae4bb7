//! Telegram's limits, kept before they bite: at least a second between two messages to one
//! chat, at most 20 a minute to one chat, and about 30 a second overall ([`Pace`]). Pure: the
//! caller says what time it is.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use tokio::time::Instant;

/// Messages to one chat within a minute, at most.
const PER_CHAT_PER_MINUTE: usize = 20;
/// The least time between two messages to one chat.
const PER_CHAT_GAP: Duration = Duration::from_secs(1);
/// The window [`PER_CHAT_PER_MINUTE`] counts in.
const MINUTE: Duration = Duration::from_secs(60);
/// Past this many chats remembered, those quiet for a minute are forgotten.
const FORGET_AFTER_CHATS: usize = 1000;

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

    /// Notes that a message to `chat` was answered at `at`. Chats not heard from for a
    /// minute are forgotten now and then, so that a fan-out to thousands of readers does not
    /// keep a record of each.
    pub fn record(&mut self, chat: &str, at: Instant) {
        let times = self.sent.entry(chat.to_owned()).or_default();
        times.push_back(at);
        while times.len() > PER_CHAT_PER_MINUTE {
            times.pop_front();
        }
        if self.sent.len() >= FORGET_AFTER_CHATS {
            self.sent.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|last| at.saturating_duration_since(*last) < MINUTE)
            });
        }
    }
}

/// The least time between two messages overall: about 30 a second, Telegram's limit for a
/// bot's messages to different chats.
pub const OVERALL_GAP: Duration = Duration::from_micros(33_334);
/// The least time between two messages to readers: 28 a second, so that the channels, the
/// bot's replies and the operator's notices always find room beside a large fan-out.
pub const READERS_GAP: Duration = Duration::from_micros(35_715);

/// Messages spaced evenly, at least `gap` apart: each one asks for the next free slot.
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    gap: Duration,
    next: Option<Instant>,
}

impl Pace {
    pub const fn new(gap: Duration) -> Pace {
        Pace { gap, next: None }
    }

    /// The time the next message may go (`now` at the soonest), that slot then taken.
    pub fn slot(&mut self, now: Instant) -> Instant {
        let slot = self.next.map_or(now, |next| next.max(now));
        self.next = Some(slot + self.gap);
        slot
    }
}

/// Commands one user may send to the bot within a minute; more are not answered (a stranger
/// once made the bot send 1,170 messages with 30 commands).
const COMMANDS_PER_MINUTE: usize = 10;

/// What to do with a user's command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandVerdict {
    Answer,
    /// Over the limit for the first time in this minute: say so, once.
    SlowDown,
    /// Over the limit, already told: no answer at all.
    Ignore,
}

/// Keeps each user's commands within ten a minute. Pure: the caller says what time
/// it is.
#[derive(Debug, Default)]
pub struct CommandLimiter {
    /// Each user's answered commands in the last minute, oldest first, and whether they were
    /// told to slow down since.
    users: HashMap<i64, (VecDeque<Instant>, bool)>,
}

impl CommandLimiter {
    /// Whether `user`'s command at `now` is answered; an answered one is counted.
    pub fn check(&mut self, user: i64, now: Instant) -> CommandVerdict {
        // Forget users quiet for a minute, so the map stays small.
        self.users.retain(|_, (times, _)| {
            times
                .back()
                .is_some_and(|t| now.saturating_duration_since(*t) < MINUTE)
        });
        let (times, told) = self.users.entry(user).or_default();
        while times
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= MINUTE)
        {
            times.pop_front();
            *told = false;
        }
        if times.len() < COMMANDS_PER_MINUTE {
            times.push_back(now);
            return CommandVerdict::Answer;
        }
        if *told {
            return CommandVerdict::Ignore;
        }
        *told = true;
        CommandVerdict::SlowDown
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

    #[test]
    fn each_user_gets_ten_commands_a_minute_then_one_word_then_silence() {
        let start = Instant::now();
        let mut limiter = CommandLimiter::default();
        for _ in 0..10 {
            assert_eq!(limiter.check(1, start), CommandVerdict::Answer);
        }
        assert_eq!(limiter.check(1, start), CommandVerdict::SlowDown);
        for _ in 0..20 {
            assert_eq!(limiter.check(1, start), CommandVerdict::Ignore);
        }
        assert_eq!(
            limiter.check(2, start),
            CommandVerdict::Answer,
            "users are apart"
        );
        let later = start + Duration::from_secs(60);
        assert_eq!(limiter.check(1, later), CommandVerdict::Answer);
    }
}
