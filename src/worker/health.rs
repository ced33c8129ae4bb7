//! `billwatch health`: whether the last check finished recently enough.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::store::Store;

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
