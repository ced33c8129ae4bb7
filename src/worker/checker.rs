//! The checker: a check at each scheduled time, with the config file re-read before it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, watch};

use super::{Services, ToSender};
use crate::check::{self, CheckOptions};
use crate::clock::Clock;
use crate::config::{Config, ConfigError};
use crate::shutdown::Shutdown;
use crate::source::Sources;
use crate::store::Db;
use crate::telegram::Sender;

/// The checker task's parts.
pub(super) struct Checker {
    pub path: PathBuf,
    pub services: Services,
    pub db: Db,
    pub clock: Clock,
    pub to_sender: mpsc::UnboundedSender<ToSender>,
    pub config_tx: watch::Sender<Arc<Config>>,
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

/// The config in force, and what is known of the file it came from.
struct Current {
    config: Arc<Config>,
    sources: Sources,
    seen: Option<Fingerprint>,
    rejected: Option<Fingerprint>,
}

impl Checker {
    /// Checks at every scheduled time until `shutdown`.
    pub async fn run(
        self,
        config: Arc<Config>,
        mut shutdown: Shutdown,
        mut check_now: mpsc::UnboundedReceiver<()>,
    ) -> anyhow::Result<()> {
        let cache = self.db.page_cache();
        let mut current = Current {
            sources: (self.services.sources)(&config, cache, self.clock)?,
            config,
            seen: fingerprint(&self.path),
            rejected: None,
        };
        tracing::info!(
            bills = current.config.bills.len(),
            schedule = %current.config.schedule.cron,
            timezone = %current.config.timezone,
            "billwatch started"
        );
        let mut first = current.config.schedule.check_at_start;
        loop {
            if !first
                && !self
                    .wait(&current.config, &mut shutdown, &mut check_now)
                    .await?
            {
                return Ok(());
            }
            first = false;
            self.pick_up_edits(&mut current).await?;
            if !self.check(&current, &mut shutdown).await {
                return Ok(());
            }
        }
    }

    /// Sleeps until the next scheduled check (or a `/check`); false on shutdown.
    async fn wait(
        &self,
        config: &Config,
        shutdown: &mut Shutdown,
        check_now: &mut mpsc::UnboundedReceiver<()>,
    ) -> anyhow::Result<bool> {
        let now = self.clock.now();
        let Some(next) = next_check(config, now) else {
            anyhow::bail!("the schedule {} never fires again", config.schedule.cron);
        };
        tracing::info!(next = %next.with_timezone(&config.timezone).format("%Y-%m-%d %H:%M:%S %Z"), "waiting for the next check");
        let wait = (next - now).to_std().unwrap_or_default();
        tokio::select! {
            woke = shutdown.sleep(wait) => Ok(woke),
            Some(()) = check_now.recv() => {
                tracing::info!("a check was asked for (/check)");
                Ok(true)
            }
        }
    }

    /// Loads the config file again if it changed since it was last read; a broken edit is
    /// reported and the last good config stays.
    async fn pick_up_edits(&self, current: &mut Current) -> anyhow::Result<()> {
        let now_seen = fingerprint(&self.path);
        if now_seen == current.seen || now_seen == current.rejected {
            return Ok(());
        }
        match self.reload(&current.config) {
            Ok((new, sender)) => {
                let new = Arc::new(new);
                describe_reload(&current.config, &new);
                let cache = self.db.page_cache();
                current.sources = (self.services.sources)(&new, cache, self.clock)?;
                current.config = new.clone();
                let _ = self.to_sender.send(ToSender::Config(new.clone(), sender));
                let _ = self.config_tx.send(new);
                current.seen = now_seen;
                current.rejected = None;
            }
            Err(e) => {
                let message = format!(
                    "the edited config was not loaded, still running on the last good one: {e}"
                );
                tracing::error!("{message}");
                let _ = self.to_sender.send(ToSender::Notice(message));
                current.rejected = now_seen;
            }
        }
        Ok(())
    }

    /// Reads the edited config; refuses changes that need a restart, and a `[telegram]`
    /// section that cannot work. The new sender, when that section changed.
    fn reload(&self, current: &Config) -> Result<(Config, Option<Option<Sender>>), ReloadError> {
        let new = Config::load(&self.path)?;
        if new.storage.path != current.storage.path {
            return Err(ReloadError::Refused(format!(
                "storage.path changed from {} to {}: restart billwatch to use another database",
                current.storage.path.display(),
                new.storage.path.display()
            )));
        }
        // Built even when unchanged, to prove the token still works (a token file can go).
        let sender = (self.services.sender)(&new, self.clock)
            .map_err(|e| ReloadError::Refused(e.to_string()))?;
        let changed = new.telegram != current.telegram;
        Ok((new, changed.then_some(sender)))
    }

    /// One check, then word to the sender; false when shutdown came during it.
    async fn check(&self, current: &Current, shutdown: &mut Shutdown) -> bool {
        let config = &current.config;
        let options = CheckOptions {
            announce: config.alerts.announce_new,
        };
        let check = check::run(config, &current.sources, &self.db, self.clock, options);
        let report = tokio::select! {
            report = check => report,
            _ = shutdown.triggered() => {
                tracing::info!("shutting down: the check in progress was abandoned; finished bills are saved");
                return false;
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
                let _ = self.to_sender.send(ToSender::Health(report));
                let _ = self.to_sender.send(ToSender::Deliver);
            }
            Err(e) => {
                // The database failed mid-check: what was committed stays; try again next time.
                tracing::error!("check failed: {e}");
                let _ = self
                    .to_sender
                    .send(ToSender::Notice(format!("a check failed: {e}")));
            }
        }
        true
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
