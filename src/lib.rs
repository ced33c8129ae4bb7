//! billwatch watches UK Parliament bills and posts an alert when one reaches a new stage.
//!
//! # Layout
//!
//! The pure core (no I/O; the time is a parameter):
//! - [`clock`]: the one clock — now, and today in the configured zone; fixed in tests.
//! - [`bill`]: the model — a bill, its stages, their sittings; bill references from the config.
//! - [`house`]: where a stage takes place (Commons, Lords, neither).
//! - [`stage`]: what kind of stage a stage is, decided once from one table (`StageKind`).
//! - [`changes`]: change detection, `detect(previous, current, today) -> Vec<Event>`.
//! - [`decide`]: what recording a bill's snapshot writes — the snapshot, the alerts, the events
//!   only recorded — from the previous snapshot, the alert filter and the first-sight policy.
//! - [`alert`]: an event in plain words, as console text or Telegram HTML; status cards.
//! - [`telegram_text`]: text that fits Telegram — lengths, digests of alerts, long replies split.
//! - [`filter`]: which events become alerts (signal over noise).
//! - [`schedule`]: cron schedule maths in the configured time zone.
//! - [`config`]: the strict TOML config, validated once.
//! - [`backoff`]: how long to wait before trying again, for every retry loop.
//!
//! The edges that do I/O:
//! - [`source`]: where bills come from — the Bills API and the stage pages, over one polite HTTP
//!   client; the `auto` fallback and `verify`'s comparison.
//! - [`store`]: SQLite, every SQL statement — snapshots, the alert outbox, check history and bill
//!   health, status cards, page copies; a bill's snapshot and alerts in one transaction.
//! - [`check`]: one check cycle: plan which bills to fetch (`check::plan`, pure), fetch, decide,
//!   persist (`--dry-run`: nothing).
//! - [`telegram`]: delivery — the outbox to the Bot API, digests, limits, retries, blocked alerts,
//!   status cards, operator notices.
//! - [`commands`]: the bot's commands in private chats (teloxide dispatcher, long polling).
//! - [`console`]: delivery to stdout, as text or JSON lines.
//! - [`worker`]: `billwatch run` — the schedule loop, config reload, the sender task, health.
//! - [`shutdown`]: the signal that long waits listen to.
//! - [`cli`]: the commands (one file each) and their exit codes (`cli::ExitCode`).

pub mod alert;
pub mod backoff;
pub mod bill;
pub mod changes;
pub mod check;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod config;
pub mod console;
pub mod decide;
pub mod filter;
pub mod house;
pub mod schedule;
pub mod shutdown;
pub mod source;
pub mod stage;
pub mod store;
pub mod telegram;
pub mod telegram_text;
pub mod worker;
