//! `billwatch validate`: checks the config file and says what it will do.

use std::io::Write;

use super::{ExitCode, Outcome};
use crate::clock::Clock;
use crate::config::Config;
use crate::telegram::{TOKEN_ENV, Token};
use crate::worker;

/// `validate`: the config, read back in words.
pub(super) fn validate(config: &Config, clock: Clock) -> Outcome {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "config {} is valid", config.path.display());
    let _ = writeln!(out, "  bills tracked: {}", config.bills.len());
    for bill in &config.bills {
        let name = bill.name.as_deref().unwrap_or("(name from Parliament)");
        let _ = writeln!(out, "    {} {name}", bill.id);
    }
    let _ = writeln!(out, "  bills API: {}", config.parliament.api_url);
    let _ = writeln!(out, "  database: {}", config.storage.path.display());
    match &config.telegram {
        None => {
            let _ = writeln!(out, "  alerts go to: the console (no [telegram] section)");
        }
        Some(t) => {
            let _ = writeln!(
                out,
                "  alerts go to: Telegram chat {} via {}",
                t.chat, t.api_url
            );
            for b in config.bills.iter().filter(|b| b.chat.is_some()) {
                let _ = writeln!(
                    out,
                    "    bill {} goes to {}",
                    b.id,
                    b.chat.as_deref().unwrap_or("")
                );
            }
            if let Some(admin) = &t.admin_chat {
                let _ = writeln!(out, "  operator notices go to: {admin}");
            }
            let token = match Token::load(t, std::env::var(TOKEN_ENV).ok()) {
                Ok(_) => "present".to_owned(),
                Err(e) => format!("NOT usable: {e}"),
            };
            let _ = writeln!(out, "  bot token: {token}");
        }
    }
    let _ = writeln!(out, "  time zone: {}", config.timezone);
    let now = clock.now();
    let next = config
        .schedule
        .cron
        .next_after(now, &config.timezone)
        .map(|t| {
            t.with_timezone(&config.timezone)
                .format("%Y-%m-%d %H:%M %Z")
                .to_string()
        })
        .unwrap_or_else(|| "never".to_owned());
    let _ = writeln!(
        out,
        "  schedule (for `run`): {} (next: {next}); health allows {}",
        config.schedule.cron,
        humantime::format_duration(worker::max_age(config, now))
    );
    Ok(ExitCode::Ok)
}
