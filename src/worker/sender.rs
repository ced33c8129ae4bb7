//! The sender: pending alerts delivered as soon as a check wakes it, retried between checks;
//! status cards kept; operator notices passed on.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::ToSender;
use crate::clock::Clock;
use crate::config::Config;
use crate::console;
use crate::shutdown::Shutdown;
use crate::store::{Db, StoreError};
use crate::telegram::Sender;

/// How often the sender looks at the outbox when nothing wakes it.
const SENDER_IDLE: Duration = Duration::from_secs(60);
/// How soon the sender tries again while alerts are pending after a failure.
const SENDER_RETRY: Duration = Duration::from_secs(30);

/// Readers served in one round: a few seconds of messages, after which the channels' alerts
/// (and anything the checker sent) come first again.
const READERS_BATCH: usize = 100;
/// Where the day deliveries were last pruned is kept.
const PRUNED_ON: &str = "readers:pruned_on";

/// What a delivery round left waiting.
#[derive(Debug, Default)]
struct Pending {
    /// Channel alerts.
    channels: usize,
    /// Readers with alerts still waiting.
    readers: usize,
    /// The readers' round ended on a failure (try again later, not at once).
    readers_failed: bool,
}

/// The sender task's state.
struct State {
    config: Arc<Config>,
    sender: Option<Sender>,
    db: Db,
    clock: Clock,
    shutdown: Shutdown,
}

/// Delivers until `shutdown`, or until the checker is gone.
pub(super) async fn run(
    config: Arc<Config>,
    sender: Option<Sender>,
    db: Db,
    clock: Clock,
    shutdown: Shutdown,
    mut rx: mpsc::UnboundedReceiver<ToSender>,
) {
    let mut state = State {
        config,
        sender,
        db,
        clock,
        shutdown,
    };
    let mut wait = Duration::ZERO;
    loop {
        if !wait.is_zero() {
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                message = rx.recv() => match message {
                    None => return,
                    Some(m) => state.handle(m).await,
                },
                _ = state.shutdown.triggered() => return,
            }
        }
        // Take in everything else already queued.
        while let Ok(m) = rx.try_recv() {
            state.handle(m).await;
        }
        if state.shutdown.is_triggered() {
            return;
        }
        let pending = match state.deliver().await {
            Ok(pending) => pending,
            Err(e) => {
                tracing::error!("delivery failed: {e}");
                Pending {
                    channels: 1,
                    ..Pending::default()
                }
            }
        };
        wait = if pending.channels > 0 || pending.readers_failed {
            SENDER_RETRY
        } else if pending.readers > 0 {
            // The next batch of a fan-out, once the channels had their turn.
            Duration::ZERO
        } else {
            SENDER_IDLE
        };
    }
}

impl State {
    async fn handle(&mut self, message: ToSender) {
        match message {
            ToSender::Deliver => {}
            ToSender::Notice(text) => match &self.sender {
                Some(s) => s.notify(&text, None, &mut self.shutdown).await,
                None => tracing::warn!("operator notice: {text}"),
            },
            ToSender::Health(report) => {
                if let (Some(s), Some(t)) = (self.sender.as_mut(), self.config.telegram.as_ref())
                    && let Err(e) = s
                        .report_health(&self.db, &report, t.failure_threshold, &mut self.shutdown)
                        .await
                {
                    tracing::error!("cannot record a bill's health: {e}");
                }
            }
            ToSender::Config(new, sender) => {
                if let Some(sender) = sender {
                    self.sender = sender;
                }
                self.config = new;
            }
        }
    }

    /// One delivery round; what is still waiting.
    async fn deliver(&mut self) -> Result<Pending, StoreError> {
        let config = self.config.clone();
        let today = self.clock.today(&config.timezone);
        // Alerts for the console (made while no [telegram] section was set).
        if !self.db.call(|s| s.pending(false)).await?.is_empty() {
            console::deliver(&self.db, self.clock.now(), today, false).await?;
        }
        let Some(sender) = self.sender.as_mut() else {
            return Ok(Pending::default());
        };
        let mut pending = 0;
        if let Some(d) = sender
            .deliver(&self.db, &config, today, &mut self.shutdown)
            .await?
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
        sender
            .sync_cards(&self.db, &config, today, &mut self.shutdown)
            .await?;
        let round = sender
            .deliver_to_readers(&self.db, today, READERS_BATCH, &mut self.shutdown)
            .await?;
        if round.messages > 0 || round.gone > 0 {
            tracing::info!(
                messages = round.messages,
                alerts = round.alerts,
                gone = round.gone,
                "sent to readers"
            );
        }
        if let Some(e) = &round.last_error {
            tracing::warn!(readers = round.waiting, "readers' alerts wait: {e}");
        }
        self.prune(&config).await?;
        Ok(Pending {
            channels: pending,
            readers: round.waiting,
            // A failure holds the next batch back only when nothing went: a reader whose
            // messages keep failing is at the back of the queue, not in everyone's way.
            readers_failed: round.last_error.is_some() && round.messages == 0,
        })
    }

    /// Once a day, deliveries to readers older than `storage.keep_sent` are deleted.
    async fn prune(&mut self, config: &Config) -> Result<(), StoreError> {
        let now = self.clock.now();
        let today = self.clock.today(&config.timezone).to_string();
        let keep = chrono::Duration::from_std(config.storage.keep_sent)
            .unwrap_or(chrono::Duration::days(30));
        let pruned = self
            .db
            .call(move |s| {
                if s.meta(PRUNED_ON)?.as_deref() == Some(today.as_str()) {
                    return Ok(0);
                }
                let n = s.prune_deliveries(now - keep)?;
                s.set_meta(PRUNED_ON, &today)?;
                Ok(n)
            })
            .await?;
        if pruned > 0 {
            tracing::info!(
                deliveries = pruned,
                "pruned readers' deliveries past keep_sent"
            );
        }
        Ok(())
    }
}
