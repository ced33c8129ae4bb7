//! `billwatch validate`: checks the config file and says what it will do.
//!
//! It asks no server anything: whether Telegram accepts the token and the chats is
//! `test-telegram`'s question. But a `[telegram]` section that cannot work here (no token, a
//! malformed one, an unreadable token file) is a config error, exit 2, as it would be for `run`.

use std::fmt::Write as _;

use anyhow::Context as _;

use super::{ExitCode, Failure, Outcome};
use crate::clock::Clock;
use crate::config::Config;
use crate::console;
use crate::telegram::{TOKEN_ENV, Token};
use crate::worker;

/// `validate`: the config, read back in words.
pub(super) fn validate(config: &Config, clock: Clock) -> Outcome {
    if let Some(t) = &config.telegram {
        Token::load(t, std::env::var(TOKEN_ENV).ok())
            .with_context(|| {
                format!(
                    "config {}: the [telegram] section cannot work",
                    config.path.display()
                )
            })
            .map_err(Failure::usage)?;
    }
    let mut out = String::new();
    let _ = writeln!(out, "config {} is valid", config.path.display());
    let _ = writeln!(out, "  bills tracked: {}", config.bills.len());
    for bill in &config.bills {
        let name = bill.name.as_deref().unwrap_or("(name from Parliament)");
        let _ = writeln!(out, "    {} {name}", bill.id);
    }
    follow_lines(&mut out, config);
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
            let _ = writeln!(
                out,
                "  bot token: present and well-formed (`billwatch test-telegram` asks Telegram)"
            );
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
    console::print(&out);
    Ok(ExitCode::Ok)
}

/// The follow rules, each with what it asks.
fn follow_lines(out: &mut String, config: &Config) {
    if config.follow.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "  follow rules: {} (each bill that matches is tracked; at most {} bills a rule)",
        config.follow.len(),
        config.parliament.max_bills
    );
    for rule in &config.follow {
        let _ = writeln!(out, "    {}: {}", rule.label(), rule.criteria);
    }
}
