//! `billwatch run` (the worker, stopped by a signal) and `billwatch health`.

use super::{ExitCode, Outcome};
use crate::clock::Clock;
use crate::config::Config;
use crate::console;
use crate::shutdown::Shutdown;
use crate::worker;

/// `run`: the worker, until SIGTERM or SIGINT.
pub(super) async fn run(config: Config, clock: Clock) -> Outcome {
    let sender = super::sender(&config, clock)?;
    let (trigger, shutdown) = Shutdown::new();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("stop signal received: finishing up");
        trigger.fire();
    });
    let path = config.path.clone();
    worker::run(
        path,
        config,
        sender,
        clock,
        shutdown,
        worker::Services::real(),
    )
    .await?;
    Ok(ExitCode::Ok)
}

/// `health`: whether the last check finished recently enough.
pub(super) fn health(config: &Config, clock: Clock) -> ExitCode {
    let free = crate::store::free_space_for(&config.storage.path);
    let (healthy, message) = match worker::health(config, clock.now(), free) {
        Ok(message) => (true, message),
        Err(message) => (false, message),
    };
    console::line(message);
    ExitCode::failed_if(!healthy)
}

/// SIGTERM (what `docker stop` sends) or SIGINT (Ctrl-C).
async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(e) => {
                tracing::warn!("cannot listen for SIGTERM ({e}); only Ctrl-C stops billwatch");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
