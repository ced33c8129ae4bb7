//! `billwatch run`: the long-running worker.
//!
//! Two tasks share the database through their own connections:
//! - the checker sleeps until the next scheduled time (never an `interval`: a check that
//!   overruns skips the missed times instead of bunching them), re-reads the config file if it
//!   changed, runs one check, and wakes the sender;
//! - the sender delivers pending alerts, and keeps doing so between checks (retries, waits on
//!   429), and passes operator notices on.
//!
//! Shutdown (SIGTERM, SIGINT) is a parameter: a running check is abandoned between two bills
//! (each bill is its own transaction, so the database stays consistent), the sender stops between
//! two messages, and `run` returns.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, watch};

use crate::check::{self, CheckOptions, CheckReport};
use crate::clock::Clock;
use crate::config::{Config, ConfigError};
use crate::console;
use crate::shutdown::Shutdown;
use crate::source::Sources;
use crate::store::{Store, StoreError};
use crate::telegram::{Sender, TOKEN_ENV, Token};

/// How often the sender looks at the outbox when nothing wakes it.
const SENDER_IDLE: Duration = Duration::from_secs(60);
/// How soon the sender tries again while alerts are pending after a failure.
const SENDER_RETRY: Duration = Duration::from_secs(30);

/// What the checker tells the sender.
#[derive(Debug)]
enum ToSender {
    /// New alerts may be waiting.
    Deliver,
    /// A check finished: report bills failing (or recovering) to the operator.
    Health(CheckReport),
    /// Something the operator must hear about.
    Notice(String),
    /// The config was reloaded.
    Config(Arc<Config>),
}

/// The config file as last seen, to notice edits.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Fingerprint {
    modified: Option<SystemTime>,
    len: u64,
    text: String,
}

fn fingerprint(path: &Path) -> Option<Fingerprint> {
    let meta = std::fs::metadata(path).ok()?;
    Some(Fingerprint {
        modified: meta.modified().ok(),
        len: meta.len(),
        text: std::fs::read_to_string(path).ok()?,
    })
}

/// Runs until `shutdown` fires. `config` was loaded from `path` and is known to be valid.
pub async fn run(
    path: PathBuf,
    config: Config,
    sender: Option<Sender>,
    clock: Clock,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    let config = Arc::new(config);
    let mut store = Store::open(&config.storage.path)?;
    let (tx, rx) = mpsc::unbounded_channel();
    let (check_now_tx, check_now_rx) = mpsc::unbounded_channel();
    let (config_tx, config_rx) = watch::channel(config.clone());
    // The bot's commands, when Telegram is set up for them.
    let commands = match (&sender, config.telegram.as_ref()) {
        (Some(s), Some(t)) if t.commands => s.bot().map(|bot| {
            tokio::spawn(crate::commands::serve(
                bot.clone(),
                s.throttled().clone(),
                config_rx,
                clock,
                check_now_tx,
                shutdown.clone(),
            ))
        }),
        _ => None,
    };
    let sender_task = tokio::spawn(sender_loop(
        config.clone(),
        sender,
        clock,
        shutdown.clone(),
        rx,
    ));
    let result = checker_loop(
        path,
        config,
        &mut store,
        clock,
        shutdown,
        &tx,
        &config_tx,
        check_now_rx,
    )
    .await;
    drop(tx);
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

#[allow(clippy::too_many_arguments)]
async fn checker_loop(
    path: PathBuf,
    mut config: Arc<Config>,
    store: &mut Store,
    clock: Clock,
    mut shutdown: Shutdown,
    tx: &mpsc::UnboundedSender<ToSender>,
    config_tx: &watch::Sender<Arc<Config>>,
    mut check_now: mpsc::UnboundedReceiver<()>,
) -> anyhow::Result<()> {
    let mut seen = fingerprint(&path);
    let mut rejected: Option<Fingerprint> = None;
    let mut sources = Sources::with_state(&config, store.page_cache()?, clock)?;
    tracing::info!(
        bills = config.bills.len(),
        schedule = %config.schedule.cron,
        timezone = %config.timezone,
        "billwatch started"
    );
    let mut first = config.schedule.check_at_start;
    loop {
        if !first {
            let now = clock.now();
            let Some(next) = next_check(&config, now) else {
                anyhow::bail!("the schedule {} never fires again", config.schedule.cron);
            };
            tracing::info!(next = %next.with_timezone(&config.timezone).format("%Y-%m-%d %H:%M:%S %Z"), "waiting for the next check");
            let wait = (next - now).to_std().unwrap_or_default();
            tokio::select! {
                woke = shutdown.sleep(wait) => if !woke {
                    return Ok(());
                },
                Some(()) = check_now.recv() => tracing::info!("a check was asked for (/check)"),
            }
        }
        first = false;

        // Pick up an edited config before the check.
        let now_seen = fingerprint(&path);
        if now_seen != seen && now_seen != rejected {
            match reload(&path, &config) {
                Ok(new) => {
                    let new = Arc::new(new);
                    describe_reload(&config, &new);
                    sources = Sources::with_state(&new, store.page_cache()?, clock)?;
                    config = new;
                    let _ = tx.send(ToSender::Config(config.clone()));
                    let _ = config_tx.send(config.clone());
                    seen = now_seen;
                    rejected = None;
                }
                Err(e) => {
                    let message = format!(
                        "the edited config was not loaded, still running on the last good one: {e}"
                    );
                    tracing::error!("{message}");
                    let _ = tx.send(ToSender::Notice(message));
                    rejected = now_seen;
                }
            }
        }

        let check = check::run(&config, &sources, store, clock, CheckOptions::default());
        let report = tokio::select! {
            report = check => report,
            _ = shutdown.triggered() => {
                tracing::info!("shutting down: the check in progress was abandoned; finished bills are saved");
                return Ok(());
            }
        };
        match report {
            Ok(report) => {
                tracing::info!(
                    ok = report.ok(),
                    failed = report.failed(),
                    alerts = report.alerts.len(),
                    requests = report.requests,
                    "check finished"
                );
                let _ = tx.send(ToSender::Health(report));
                let _ = tx.send(ToSender::Deliver);
            }
            Err(e) => {
                // The database failed mid-check: what was committed stays; try again next time.
                tracing::error!("check failed: {e}");
                let _ = tx.send(ToSender::Notice(format!("a check failed: {e}")));
            }
        }
    }
}

/// The next scheduled check after `now`, with the configured random jitter added.
fn next_check(config: &Config, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let next = config.schedule.cron.next_after(now, &config.timezone)?;
    let jitter = config.schedule.jitter;
    if jitter.is_zero() {
        return Some(next);
    }
    let extra = Duration::from_millis(fastrand::u64(0..=jitter.as_millis() as u64));
    Some(next + chrono::Duration::from_std(extra).unwrap_or_default())
}

#[derive(Debug, thiserror::Error)]
enum ReloadError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{0}")]
    Refused(String),
}

/// Reads the edited config; refuses changes that need a restart.
fn reload(path: &Path, current: &Config) -> Result<Config, ReloadError> {
    let new = Config::load(path)?;
    if new.storage.path != current.storage.path {
        return Err(ReloadError::Refused(format!(
            "storage.path changed from {} to {}: restart billwatch to use another database",
            current.storage.path.display(),
            new.storage.path.display()
        )));
    }
    if let Some(t) = &new.telegram {
        Token::load(t, std::env::var(TOKEN_ENV).ok())
            .map_err(|e| ReloadError::Refused(e.to_string()))?;
    }
    Ok(new)
}

fn describe_reload(old: &Config, new: &Config) {
    let added: Vec<u32> = new
        .bills
        .iter()
        .filter(|b| old.bill(b.id).is_none())
        .map(|b| b.id)
        .collect();
    let removed: Vec<u32> = old
        .bills
        .iter()
        .filter(|b| new.bill(b.id).is_none())
        .map(|b| b.id)
        .collect();
    tracing::info!(
        ?added,
        ?removed,
        bills = new.bills.len(),
        "config reloaded (new bills are recorded silently on their first check; removed bills keep their history)"
    );
}

async fn sender_loop(
    mut config: Arc<Config>,
    mut sender: Option<Sender>,
    clock: Clock,
    mut shutdown: Shutdown,
    mut rx: mpsc::UnboundedReceiver<ToSender>,
) {
    let mut store = match Store::open(&config.storage.path) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!("the sender cannot open the database: {e}");
            return;
        }
    };
    let mut wait = Duration::ZERO;
    loop {
        if !wait.is_zero() {
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                message = rx.recv() => match message {
                    None => return,
                    Some(m) => handle(m, &mut config, &mut sender, &mut store, &mut shutdown, clock).await,
                },
                _ = shutdown.triggered() => return,
            }
        }
        // Take in everything else already queued.
        while let Ok(m) = rx.try_recv() {
            handle(
                m,
                &mut config,
                &mut sender,
                &mut store,
                &mut shutdown,
                clock,
            )
            .await;
        }
        if shutdown.is_triggered() {
            return;
        }
        let pending = match deliver(&mut sender, &mut store, &config, clock, &mut shutdown).await {
            Ok(pending) => pending,
            Err(e) => {
                tracing::error!("delivery failed: {e}");
                1
            }
        };
        wait = if pending > 0 {
            SENDER_RETRY
        } else {
            SENDER_IDLE
        };
    }
}

async fn handle(
    message: ToSender,
    config: &mut Arc<Config>,
    sender: &mut Option<Sender>,
    store: &mut Store,
    shutdown: &mut Shutdown,
    clock: Clock,
) {
    match message {
        ToSender::Deliver => {}
        ToSender::Notice(text) => match sender {
            Some(s) => s.notify(&text, None, shutdown).await,
            None => tracing::warn!("operator notice: {text}"),
        },
        ToSender::Health(report) => {
            if let (Some(s), Some(t)) = (sender.as_mut(), config.telegram.as_ref())
                && let Err(e) = s
                    .report_health(store, &report, t.failure_threshold, shutdown)
                    .await
            {
                tracing::error!("cannot record a bill's health: {e}");
            }
        }
        ToSender::Config(new) => {
            if new.telegram != config.telegram {
                match Sender::from_config(&new, clock) {
                    Ok(s) => *sender = s,
                    Err(e) => tracing::error!("keeping the old Telegram settings: {e}"),
                }
            }
            *config = new;
        }
    }
}

/// One delivery round; returns how many alerts are still pending.
async fn deliver(
    sender: &mut Option<Sender>,
    store: &mut Store,
    config: &Config,
    clock: Clock,
    shutdown: &mut Shutdown,
) -> Result<usize, StoreError> {
    let mut pending = 0;
    let today = clock.today(&config.timezone);
    // Alerts for the console (made while no [telegram] section was set).
    if !store.pending(false)?.is_empty() {
        console::deliver(store, clock.now(), today, false)?;
    }
    if let Some(sender) = sender.as_mut()
        && let Some(d) = sender.deliver(store, config, today, shutdown).await?
    {
        pending = d.pending;
        if d.sent > 0 {
            tracing::info!(alerts = d.sent, messages = d.messages, "sent to Telegram");
        }
        if d.pending > 0 {
            tracing::warn!(
                alerts = d.pending,
                "not delivered yet, will try again: {}",
                d.last_error.as_deref().unwrap_or("")
            );
        }
    }
    if let Some(sender) = sender.as_mut() {
        sender.sync_cards(store, config, today, shutdown).await?;
    }
    Ok(pending)
}

/// Whether the last check finished recently enough: `Ok(message)` when healthy.
pub fn health(config: &Config, now: DateTime<Utc>) -> Result<String, String> {
    let store = match Store::open_read_only(&config.storage.path) {
        Ok(Some(store)) => store,
        Ok(None) => {
            return Err(format!(
                "no database at {}: no check has run yet",
                config.storage.path.display()
            ));
        }
        Err(e) => return Err(e.to_string()),
    };
    let limit = max_age(config, now);
    let last = store.last_check().map_err(|e| e.to_string())?;
    let Some(last) = last else {
        return Err("no check has finished yet".to_owned());
    };
    let finished = last.finished_at.unwrap_or(last.started_at);
    let age = (now - finished).to_std().unwrap_or_default();
    let summary = format!(
        "last check finished {} ago ({} ok, {} failed); allowed {}",
        humantime::format_duration(Duration::from_secs(age.as_secs())),
        last.bills_ok,
        last.bills_failed,
        humantime::format_duration(limit)
    );
    if age > limit {
        Err(format!("unhealthy: {summary}"))
    } else {
        Ok(format!("healthy: {summary}"))
    }
}

/// How old the last check may be: `schedule.health_max_age`, else twice the longest gap of the
/// schedule.
pub fn max_age(config: &Config, now: DateTime<Utc>) -> Duration {
    config.schedule.health_max_age.unwrap_or_else(|| {
        2 * config.schedule.cron.longest_gap(now, &config.timezone) + config.schedule.jitter
    })
}
