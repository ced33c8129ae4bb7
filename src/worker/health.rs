//! `billwatch health`: whether the last check finished recently enough, and the disk has room
//! to record the next.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::store::{self, Store};

/// Whether the last check finished recently enough and the database's disk, with `free`
/// bytes left, is not full: `Ok(message)` when healthy.
pub fn health(config: &Config, now: DateTime<Utc>, free: Option<u64>) -> Result<String, String> {
    // A full disk stops billwatch recording checks and sends (sending waits): say so at once,
    // not only once the last check has grown old.
    if let Some(full) = free.and_then(store::full) {
        return Err(format!(
            "unhealthy: disk full: cannot write the database {}: {full}",
            config.storage.path.display()
        ));
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_is_unhealthy_and_said_so_whatever_the_last_check() {
        let text = "[storage]\npath = \"/nowhere/billwatch.db\"\n[[bills]]\nid = 3929\n";
        let config = Config::parse(text, std::path::Path::new("b.toml")).expect("config");
        let now = DateTime::parse_from_rfc3339("2026-11-27T12:00:00Z")
            .expect("time")
            .to_utc();
        let full = health(&config, now, Some(4096)).expect_err("unhealthy");
        assert!(
            full.starts_with(
                "unhealthy: disk full: cannot write the database /nowhere/billwatch.db: the disk \
                 is full (4 KiB free): free some space."
            ),
            "{full}"
        );
        let roomy = health(&config, now, Some(1 << 30)).expect_err("no database");
        assert!(roomy.starts_with("no database at /nowhere"), "{roomy}");
    }
}
