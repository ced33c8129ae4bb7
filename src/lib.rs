//! billwatch watches UK Parliament bills and posts an alert when one reaches a new stage.
//!
//! # Layout
//!
//! Layers, bottom up. A module uses modules of its own layer or below, never above, and no two
//! modules use each other (`tests/architecture.rs` checks it).
//!
//! 1. The pure core (no I/O; the time is a parameter):
//!    - [`clock`]: the one clock — now, and today in the configured zone; fixed, or following
//!      tokio's paused time, in tests. Nothing else reads the wall-clock time.
//!    - [`house`], [`bill`]: the model — a bill, its stages, their sittings; bill references.
//!    - [`stage`]: what kind of stage a stage is, decided once from one table (`StageKind`).
//!    - [`document`]: a bill's documents (publications), which are new, which are announced;
//!      which publication types are the other House's amendments at ping-pong.
//!    - [`division`]: a vote of either House (`Division`), and which tracked bill, stage and
//!      question it is about (`division::match_division`), from its title and date.
//!    - [`votes`]: which divisions found for a bill are told, alone (a reading) or a sitting
//!      day's together (amendments), and when.
//!    - [`changes`]: change detection, `detect(previous, current, today) -> Vec<Event>`.
//!    - [`decide`]: what recording a bill's snapshot writes — the snapshot, the alerts, the
//!      events only recorded — from the previous snapshot, the filter and first-sight policy.
//!    - [`follow`]: follow rules — whether a bill matches a `[[follow]]` rule.
//!    - [`readers`]: readers who follow bills in a private chat — what they may follow, within
//!      which limits.
//!    - [`filter`]: which events become alerts (signal over noise).
//!    - [`message`]: an event in plain words, as console text or Telegram HTML; status cards.
//!    - [`telegram_text`]: text that fits Telegram — lengths, digests, long replies split.
//!    - [`schedule`]: cron schedule maths in the configured time zone.
//!    - [`backoff`]: how long to wait before trying again, for every retry loop.
//!    - [`shutdown`]: the signal that long waits listen to.
//! 2. [`config`]: the strict TOML config, validated once.
//! 3. The edges that fetch and keep:
//!    - [`source`]: where bills come from — the Bills API and the stage pages, over one polite
//!      HTTP client on a `Transport` (reqwest, or a fake in tests), parsed off the async
//!      workers; `auto` and `verify`; the Votes APIs' divisions (`source::votes`).
//!    - [`store`]: SQLite, every SQL statement — snapshots, the outbox, check history and bill
//!      health, status cards, page copies; `store::Db` runs each call off the async workers.
//! 4. What is done with them:
//!    - [`check`]: one check: plan which bills to fetch (`check::plan`, pure), fetch, decide,
//!      persist (`--dry-run`: nothing); Parliament's publication types read when a new document
//!      needs them (`check/doc_types.rs`).
//!    - [`telegram`]: delivery over a `BotApi` (teloxide, or a fake in tests) — digests, limits,
//!      retries, blocked alerts, status cards, operator notices, readers' private chats.
//!    - [`bot`]: the bot's commands in private chats (teloxide dispatcher, long polling); the
//!      replies themselves are pure (`bot::respond`), `/search` asks the Bills API (kept a few
//!      minutes), `/follow`, `/unfollow`, `/mine` and `/forget` keep a reader's follows.
//!    - [`console`]: delivery to stdout, as text or JSON lines.
//! 5. [`worker`]: `billwatch run` — the checker, the sender and the bot as tasks; clock,
//!    shutdown and services are parameters, so tests run it in-process in paused time.
//! 6. [`cli`]: the commands (one file each) and their exit codes (`cli::ExitCode`).
//!
//! `main.rs` sets up logging and the runtime, then hands over to [`cli`].

pub mod backoff;
pub mod bill;
pub mod bot;
pub mod changes;
pub mod check;
pub mod cli;
pub mod clock;
pub mod config;
pub mod console;
pub mod decide;
pub mod division;
pub mod document;
pub mod filter;
pub mod follow;
pub mod house;
pub mod message;
pub mod readers;
pub mod schedule;
pub mod shutdown;
pub mod source;
pub mod stage;
pub mod store;
pub mod telegram;
pub mod telegram_text;
pub mod votes;
pub mod worker;
