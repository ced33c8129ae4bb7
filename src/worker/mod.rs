//! `billwatch run`: the long-running worker.
//!
//! Three tasks, each with its own database connection:
//! - the checker (`checker.rs`) sleeps until the next scheduled time (never an `interval`: a
//!   check that overruns skips the missed times instead of bunching them), re-reads the config
//!   file if it changed, runs one check, and wakes the sender;
//! - the sender (`sender.rs`) delivers pending alerts and keeps doing so between checks
//!   (retries, waits on 429), keeps the status cards, and passes operator notices on;
//! - the bot ([`crate::bot`]) answers commands in private chats, when Telegram is set up
//!   for them.
//!
//! The clock, the shutdown signal and what the worker talks to ([`Services`]) are parameters,
//! so tests run the worker in-process, in paused time, against fakes. On shutdown a running
//! check is abandoned between two bills (each bill is its own transaction, so the database
//! stays consistent), the sender stops between two messages, and `run` returns.

mod checker;
mod health;
mod sender;

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::{mpsc, watch};

use crate::check::CheckReport;
use crate::clock::Clock;
use crate::config::Config;
use crate::shutdown::Shutdown;
use crate::source::Sources;
use crate::store::{Db, PageCache};
use crate::telegram::{Sender, SenderError};

pub use health::{health, max_age};

/// Builds the sources for a config (again after each reload), sharing the database's page
/// copies.
pub type SourcesFactory =
    dyn Fn(&Config, PageCache, Clock) -> anyhow::Result<Sources> + Send + Sync;
/// Builds the Telegram sender for a config; `None` without a `[telegram]` section.
pub type SenderFactory =
    dyn Fn(&Config, Clock) -> Result<Option<Sender>, SenderError> + Send + Sync;

/// What the worker talks to: Parliament and Telegram. [`Services::real`] builds them from the
/// config; tests pass factories that build them on in-process fakes.
pub struct Services {
    pub sources: Box<SourcesFactory>,
    pub sender: Box<SenderFactory>,
    /// Answer the bot's commands (long polling; needs the real Bot API) when the config asks.
    pub commands: bool,
}

impl std::fmt::Debug for Services {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Services")
            .field("commands", &self.commands)
            .finish_non_exhaustive()
    }
}

impl Services {
    /// The real Bills API, stage pages and Bot API, as the config names them.
    pub fn real() -> Services {
        Services {
            sources: Box::new(Sources::with_state),
            sender: Box::new(Sender::from_config),
            commands: true,
        }
    }
}

/// What the checker tells the sender.
#[derive(Debug)]
enum ToSender {
    /// New alerts may be waiting.
    Deliver,
    /// A check finished: report bills failing (or recovering) to the operator.
    Health(CheckReport),
    /// Something the operator must hear about.
    Notice(String),
    /// The config was reloaded; with a new sender when its `[telegram]` section changed.
    Config(Arc<Config>, Option<Option<Sender>>),
}

/// Runs until `shutdown` fires. `config` was loaded from `path` and is known to be valid;
/// `sender` was built from it (so a bad token was reported before the worker started).
pub async fn run(
    path: PathBuf,
    config: Config,
    sender: Option<Sender>,
    clock: Clock,
    shutdown: Shutdown,
    services: Services,
) -> anyhow::Result<()> {
    let config = Arc::new(config);
    let checker_db = Db::open(&config.storage.path).await?;
    let sender_db = Db::open(&config.storage.path).await?;
    let (tx, rx) = mpsc::unbounded_channel();
    let (check_now_tx, check_now_rx) = mpsc::unbounded_channel();
    let (config_tx, config_rx) = watch::channel(config.clone());
    let commands = match (&sender, config.telegram.as_ref()) {
        (Some(s), Some(t)) if t.commands && services.commands => s.bot().map(|bot| {
            tokio::spawn(crate::bot::serve(
                bot.clone(),
                s.throttled().clone(),
                config_rx,
                clock,
                check_now_tx,
                sender_db.clone(),
                shutdown.clone(),
            ))
        }),
        _ => None,
    };
    let sender_task = tokio::spawn(sender::run(
        config.clone(),
        sender,
        sender_db,
        clock,
        shutdown.clone(),
        rx,
    ));
    let checker = checker::Checker {
        path,
        services,
        db: checker_db,
        clock,
        to_sender: tx,
        config_tx,
    };
    let result = checker.run(config, shutdown, check_now_rx).await;
    if let Some(commands) = commands
        && let Err(e) = commands.await
    {
        tracing::error!("the command task failed: {e}");
    }
    // The sender finishes the message in flight (bounded by telegram.timeout) and stops.
    if let Err(e) = sender_task.await {
        tracing::error!("the sender task failed: {e}");
    }
    tracing::info!("stopped");
    result
}
