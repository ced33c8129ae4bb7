//! `billwatch test-telegram`: proves the bot token and that the bot can post to each chat.

use std::io::Write;

use super::{ExitCode, Failure, Outcome};
use crate::clock::Clock;
use crate::config::Config;
use crate::{console, message};

/// `test-telegram`: one message to each configured chat.
pub(super) async fn test_telegram(config: &Config, clock: Clock) -> Outcome {
    let Some(t) = &config.telegram else {
        return Err(Failure::usage(anyhow::anyhow!(
            "config {} has no [telegram] section: add one with `chat = \"@yourchannel\"`",
            config.path.display()
        )));
    };
    let Some(sender) = super::sender(config, clock)? else {
        return Ok(ExitCode::Usage);
    };
    let client = sender.client();
    let bot = match client.whoami().await {
        Ok(name) => name,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "FAILED: {e}");
            return Ok(ExitCode::Failed);
        }
    };
    console::line(format_args!("bot token works: the bot is @{bot}"));
    let mut chats: Vec<&str> = vec![t.chat.as_str()];
    chats.extend(config.bills.iter().filter_map(|b| b.chat.as_deref()));
    chats.extend(t.admin_chat.as_deref());
    chats.sort_unstable();
    chats.dedup();
    let mut failed = 0;
    for chat in chats {
        let text = format!(
            "✅ billwatch test message: @{} can post to {}. Tracking {} bill(s).",
            message::escape_html(&bot),
            message::escape_html(chat),
            config.bills.len()
        );
        match client.send_html(chat, &text).await {
            Ok(id) => {
                console::line(format_args!("{chat}: OK (message {id})"));
            }
            Err(e) => {
                failed += 1;
                console::line(format_args!("{chat}: FAILED: {e}"));
            }
        }
    }
    Ok(ExitCode::failed_if(failed > 0))
}
