//! Delivery to Telegram: the outbox's pending alerts, sent through teloxide, exactly as far as
//! Telegram allows "exactly once" to go.
//!
//! The policy, in order:
//! - An alert is marked *sent* (with Telegram's `message_id`) only after Telegram confirmed it.
//! - Before each send the attempt is committed. If billwatch dies, or a request times out, after
//!   the request went out but before the answer was recorded, Telegram may or may not have posted
//!   it: billwatch sends it again (never lose an alert). A duplicate can only come from that
//!   window — the time between Telegram accepting a message and billwatch committing it, a few
//!   milliseconds, or a request whose answer was lost in transit.
//! - Transient failures (429 with `retry_after` honoured exactly, 5xx, network, timeouts) are
//!   retried; they never drop an alert. Permanent ones (chat not found, bot not an admin, bot
//!   kicked, bad token, message refused) mark the alert `blocked` with the reason, tell the
//!   operator, and keep it for `billwatch retry`.
//! - Limits are respected before they bite, by every message the bot posts (alerts, cards,
//!   notices, replies to commands): at least a second between two messages to one chat, at most
//!   20 a minute to one chat, about 30 a second overall (readers' alerts 28, leaving room).
//!   Several pending alerts for one chat go as one digest, split at alert boundaries under
//!   Telegram's 4096-character limit.
//! - The bot token never reaches a log line, an error or `Debug` output.
//!
//! # Layout
//!
//! - `token`: the bot token ([`Token`]), loaded and checked once, redacted everywhere.
//! - `bot_api`: the Bot API calls billwatch makes, as a trait ([`BotApi`]), so tests can put an
//!   in-process fake in Telegram's place.
//! - `client`: those calls through teloxide ([`Client`]) and what Telegram's answers mean
//!   ([`SendError`]).
//! - `limits`: the per-chat limits as plain arithmetic ([`RateLimiter`]).
//! - `throttled`: the one way to post: each message waits its chat's turn, and the wait ends
//!   at once on shutdown ([`Throttled`]).
//! - `delivery`: the outbox to Telegram ([`Sender::deliver`]): digests per chat, the daily
//!   digest's time, retries, blocked alerts.
//! - `cards`: the live status card of each bill ([`Sender::sync_cards`]).
//! - `moves`: groups Telegram upgraded to supergroups, followed and told once.
//! - `unrecorded`: what Telegram accepted and a full disk kept billwatch from recording: never
//!   sent again, and nothing else sent until it is recorded.
//! - `readers`: readers' alerts to their private chats ([`Sender::deliver_to_readers`]): a
//!   batch at a time, paced under Telegram's overall limit, readers who left unfollowed.
//! - `notices`: telling the operator ([`Sender::notify`], [`Sender::report_health`]).

mod bot_api;
mod cards;
mod client;
mod delivery;
mod limits;
mod moves;
mod notices;
mod readers;
mod throttled;
mod token;
mod unrecorded;

pub use bot_api::BotApi;
pub use client::{Client, EditError, SendError};
pub use delivery::{Delivery, ONE_SHOT_BUDGET, Sender, SenderError};
pub use limits::{CommandLimiter, CommandVerdict, OVERALL_GAP, READERS_GAP, RateLimiter};
pub use readers::ReadersRound;
pub use throttled::{Throttled, ThrottledError, Turn};
pub use token::{TOKEN_ENV, Token, TokenError};
