//! Follow rules under `billwatch run`'s worker, in-process and in paused time, with Telegram on
//! the in-process fake Bot API: a rule in error is told to `admin_chat` once, its fix once, and
//! again only when it breaks again.

mod common;

use std::path::{Path, PathBuf};

use common::fake_bot::FakeBot;
use common::*;

const ADMIN: &str = "-1009999";
const CHAT: &str = "@bill_alerts";

/// A config checked every 15 minutes and at start, the rules' searches once an hour, alerts and
/// notices to Telegram; `max_bills` as given, the bill 104 listed, and `rules`.
fn write_config(dir: &Path, max_bills: u32, rules: &str) -> PathBuf {
    let text = format!(
        "[parliament]\napi_url = \"https://api.fake.test\"\nsite_url = \"https://bills.example.test\"\n\
         retries = 1\nretry_backoff = \"10ms\"\nfull_refresh = \"1h\"\nvotes = false\n\
         max_bills = {max_bills}\n\n[storage]\npath = \"{}\"\n\n\
         [schedule]\ncron = \"*/15 * * * *\"\n\n\
         [telegram]\nchat = \"{CHAT}\"\nadmin_chat = \"{ADMIN}\"\n\n\
         [[bills]]\nid = 104\n\n{rules}",
        dir.join("data/billwatch.db").display()
    );
    let path = dir.join("billwatch.toml");
    std::fs::write(&path, text).expect("config");
    path
}

/// A rule over `max_bills` (its search finds 3 bills, of which 2 started in the Commons) is told to the admin chat at the first check, not at the next ones;
/// `max_bills` raised, the rule searches at the next check, takes its bills on silently, and the
/// operator hears it works again, once; lowered again, the next search (a full refresh later)
/// finds it over again, and it is told again, once.
#[tokio::test(start_paused = true)]
async fn a_rule_in_error_is_told_to_the_operator_once_and_its_fix_once() {
    let dir = scratch_dir();
    let rule = format!("{RULE}name = \"Immigration\"\n");
    let path = write_config(dir.path(), 1, &rule);
    let parliament = four_bills();
    let bot = FakeBot::new();
    let over = "⚠️ follow[0] (Immigration): it matches 3 bills, more than parliament.max_bills \
                (1); narrow it (or raise max_bills): its bills are not taken on until then";
    let works = "⚠️ follow[0] (Immigration) works again: its bills are taken on.";

    let worker = start_with(&path, &parliament, &bot, "2025-03-02T10:00:00Z");
    worker.until("2025-03-02T10:40:00Z").await;
    assert_eq!(bot.texts_to(ADMIN), [over], "told once in three checks");

    write_config(dir.path(), 5, &rule);
    worker.until("2025-03-02T11:10:00Z").await;
    assert_eq!(bot.texts_to(ADMIN), [over, works]);

    write_config(dir.path(), 1, &rule);
    worker.until("2025-03-02T11:40:00Z").await;
    assert_eq!(
        bot.texts_to(ADMIN).len(),
        2,
        "no search before a full refresh"
    );
    worker.until("2025-03-02T12:40:00Z").await;
    assert_eq!(bot.texts_to(ADMIN), [over, works, over]);
    assert!(
        bot.texts_to(CHAT).is_empty(),
        "the rule's bills were taken on silently: {:#?}",
        bot.texts_to(CHAT)
    );
    worker.stop().await;
}
