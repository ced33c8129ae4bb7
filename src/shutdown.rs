//! A shutdown signal that long waits listen to, so SIGTERM ends them at once.

use std::time::Duration;

use tokio::sync::watch;

/// Listens for shutdown. Cheap to clone; a listener made from [`Shutdown::never`] never fires.
#[derive(Debug, Clone)]
pub struct Shutdown {
    rx: watch::Receiver<bool>,
}

/// Fires the shutdown.
#[derive(Debug)]
pub struct Trigger {
    tx: watch::Sender<bool>,
}

impl Trigger {
    pub fn fire(&self) {
        let _ = self.tx.send(true);
    }
}

impl Shutdown {
    pub fn new() -> (Trigger, Shutdown) {
        let (tx, rx) = watch::channel(false);
        (Trigger { tx }, Shutdown { rx })
    }

    /// A listener for one-shot commands, which stop only when they are done.
    pub fn never() -> Shutdown {
        let (tx, rx) = watch::channel(false);
        // Keep the sender alive for ever, so `changed()` never errors out.
        std::mem::forget(tx);
        Shutdown { rx }
    }

    pub fn is_triggered(&self) -> bool {
        *self.rx.borrow()
    }

    /// Waits until shutdown is triggered.
    pub async fn triggered(&mut self) {
        while !*self.rx.borrow_and_update() {
            if self.rx.changed().await.is_err() {
                // The trigger is gone: nobody can ask for shutdown any more.
                std::future::pending::<()>().await;
            }
        }
    }

    /// Sleeps for `duration`, or less if shutdown comes first. Returns false on shutdown.
    pub async fn sleep(&mut self, duration: Duration) -> bool {
        if self.is_triggered() {
            return false;
        }
        tokio::select! {
            _ = tokio::time::sleep(duration) => true,
            _ = self.triggered() => false,
        }
    }
}
