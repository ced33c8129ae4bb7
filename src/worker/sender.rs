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

    /// One delivery round; returns how many alerts are still pending.
    async fn deliver(&mut self) -> Result<usize, StoreError> {
        let config = self.config.clone();
        let today = self.clock.today(&config.timezone);
        // Alerts for the console (made while no [telegram] section was set).
        if !self.db.call(|s| s.pending(false)).await?.is_empty() {
            console::deliver(&self.db, self.clock.now(), today, false).await?;
        }
        let Some(sender) = self.sender.as_mut() else {
            return Ok(0);
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
        Ok(pending)
    }
}
