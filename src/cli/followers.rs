//! `billwatch followers`: how many readers follow each bill in a private chat with the bot.
//! Counts only; each reader's chat id only with `--ids`.

use serde_json::json;

use super::{ExitCode, Outcome};
use crate::config::Config;
use crate::console;
use crate::store::Store;

/// One bill readers follow: its id, title (once checked), readers and their chats.
struct Followed {
    bill_id: u32,
    title: Option<String>,
    readers: u32,
    chats: Vec<String>,
}

/// `followers`: as text, or one JSON object.
pub(super) fn followers(config: &Config, ids: bool, as_json: bool) -> Outcome {
    let Some(store) = Store::open_read_only(&config.storage.path)? else {
        console::line(format_args!(
            "no database yet at {}: no one follows anything",
            config.storage.path.display()
        ));
        return Ok(ExitCode::Ok);
    };
    let counts = store.reader_counts()?;
    let mut bills = Vec::new();
    for f in store.followings()? {
        let title = store
            .snapshot(f.bill_id)
            .ok()
            .flatten()
            .map(|(s, _)| s.bill.title);
        let chats = if ids {
            store.readers_of(f.bill_id)?
        } else {
            Vec::new()
        };
        bills.push(Followed {
            bill_id: f.bill_id,
            title,
            readers: f.readers,
            chats,
        });
    }
    if as_json {
        let bills: Vec<_> = bills
            .iter()
            .map(|b| {
                let mut bill =
                    json!({"bill_id": b.bill_id, "title": b.title, "readers": b.readers});
                if ids {
                    bill["chats"] = json!(b.chats);
                }
                bill
            })
            .collect();
        console::line(json!({
            "readers": counts.readers,
            "follows": counts.follows,
            "gone": counts.gone,
            "bills": bills,
        }));
        return Ok(ExitCode::Ok);
    }
    console::line(format_args!(
        "{} reader(s) follow {} bill(s) in private chats ({} follow(s)); {} reader(s) gone \
         (blocked the bot or deleted their account)",
        counts.readers,
        bills.len(),
        counts.follows,
        counts.gone
    ));
    for b in &bills {
        console::line(format_args!(
            "bill {}: {}: {} reader(s)",
            b.bill_id,
            b.title.as_deref().unwrap_or("(not checked yet)"),
            b.readers
        ));
        for chat in &b.chats {
            console::line(format_args!("  {chat}"));
        }
    }
    Ok(ExitCode::Ok)
}
