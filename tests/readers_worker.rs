//! A large fan-out to readers under `billwatch run`'s worker, in paused time: the channel's
//! next alert is not starved behind it, and every reader still gets theirs once.

mod common;

use std::time::Duration;

use common::fake_bot::FakeBot;
use common::*;
use serde_json::{Value, json};

const CHANNEL: &str = "@bill_alerts";
const READERS: usize = 3000;
const OTHER: u32 = 5001;

/// Bill `OTHER`: its 1st reading on 1 February, and (`reached`) its 2nd reading on 10 February.
fn other_bill(reached: bool, updated: &str) -> (Value, Value) {
    let stage = |id: u32, stage_id: u32, name: &str, day: &str, order: u32| {
        json!({"id": id, "stageId": stage_id, "description": name, "house": "Commons",
               "sortOrder": order, "stageSittings": [{"date": format!("{day}T00:00:00")}]})
    };
    let mut items = vec![stage(50011, 6, "1st reading", "2025-02-01", 1)];
    if reached {
        items.push(stage(50012, 7, "2nd reading", "2025-02-10", 2));
    }
    let record = json!({"billId": OTHER, "shortTitle": "Water (Special Measures) Bill",
        "longTitle": "A Bill to make provision about water.", "currentHouse": "Commons",
        "originatingHouse": "Commons", "billTypeId": 1, "introducedSessionId": 40,
        "includedSessionIds": [40], "isAct": false, "isDefeated": false, "billWithdrawn": null,
        "lastUpdate": updated, "currentStage": items.last().cloned()});
    let total = items.len();
    (
        record,
        json!({"items": items, "totalResults": total, "itemsPerPage": 20}),
    )
}

/// 3,000 readers follow the Border Security bill; its 2nd reading shows at 10:00:45 and the
/// 10:01 check queues 3,000 messages, about 107 s of Telegram's pace. Another tracked bill moves
/// at 10:01:10: the 10:02 check finds it, and its channel alert goes within a batch of readers
/// (a few seconds), not after the fan-out ends.
#[tokio::test(start_paused = true)]
async fn a_channel_alert_is_not_starved_behind_a_large_fan_out() {
    let dir = scratch_dir();
    let db = dir.path().join("data/billwatch.db");
    let text = format!(
        "[parliament]\napi_url = \"https://api.fake.test\"\nsite_url = \"https://bills.example.test\"\n\
         retries = 1\nretry_backoff = \"10ms\"\nvotes = false\nfull_refresh = \"365d\"\n\n\
         [storage]\npath = \"{}\"\n\n[schedule]\ncron = \"* * * * *\"\n\n\
         [telegram]\nchat = \"{CHANNEL}\"\n\n[[bills]]\nid = {BILL}\n\n[[bills]]\nid = {OTHER}\n",
        db.display()
    );
    let path = dir.path().join("billwatch.toml");
    std::fs::write(&path, text).expect("config");
    let parliament = FakeParliament::new();
    parliament.serve_day("2025-02-09", 0);
    let (record, stages) = other_bill(false, "2025-02-01T09:00:00");
    parliament.serve_bill(OTHER, record, stages);
    let bot = FakeBot::new();
    let worker = start_with(&path, &parliament, &bot, "2025-02-10T10:00:30Z");

    worker.until("2025-02-10T10:00:40Z").await;
    {
        let mut conn = rusqlite::Connection::open(&db).expect("db");
        let tx = conn.transaction().expect("tx");
        for i in 0..READERS {
            tx.execute(
                "INSERT INTO reader_follows (chat, bill_id, since) VALUES (?1, ?2, ?3)",
                rusqlite::params![(600_000 + i).to_string(), BILL, "2025-02-10T10:00:40+00:00"],
            )
            .expect("follow");
        }
        tx.commit().expect("commit");
    }
    worker.until("2025-02-10T10:00:45Z").await;
    let (mut record, stages) = border_security_on(date("2025-02-10"), 0);
    record["lastUpdate"] = json!("2025-02-10T10:00:45");
    parliament.serve_bill(BILL, record, stages);

    worker.until("2025-02-10T10:01:10Z").await;
    let (record, stages) = other_bill(true, "2025-02-10T10:01:10");
    parliament.serve_bill(OTHER, record, stages);
    let second_check = tokio::time::Instant::now() + Duration::from_secs(50);

    worker.until("2025-02-10T10:05:00Z").await;
    let sends = bot.sends();
    let to_channel: Vec<_> = sends.iter().filter(|c| c.chat == CHANNEL).collect();
    assert_eq!(to_channel.len(), 2, "{to_channel:#?}");
    assert!(to_channel[1].text.contains("Water (Special Measures) Bill"));
    let readers: Vec<_> = sends.iter().filter(|c| c.chat != CHANNEL).collect();
    assert_eq!(readers.len(), READERS, "each reader once");
    let distinct: std::collections::HashSet<&str> =
        readers.iter().map(|c| c.chat.as_str()).collect();
    assert_eq!(distinct.len(), READERS);
    let channel_waited = to_channel[1].at - second_check;
    let fan_out_ended = readers.last().expect("readers").at;
    assert!(
        channel_waited < Duration::from_secs(5),
        "the channel's alert waited {channel_waited:?} after the check that found it"
    );
    assert!(
        fan_out_ended > to_channel[1].at + Duration::from_secs(30),
        "the fan-out was still going when it went"
    );
    worker.stop().await;
}
