//! A `Sender` on the in-process fake Telegram, with a real store and config, at a time that
//! moves with tokio's clock: for paused-time tests of delivery.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use billwatch::clock::Clock;
use billwatch::config::Config;
use billwatch::decide::{FirstSight, SnapshotSource};
use billwatch::shutdown::Shutdown;
use billwatch::source::api::{parse_bill, parse_stages};
use billwatch::store::{Db, Recording, Store};
use billwatch::telegram::{Delivery, Sender};
use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::common::fake_bot::{Call, FakeBot};
use crate::common::{BILL, border_security_on, date};

pub const CHAT: &str = "@bill_alerts";
pub const ADMIN: &str = "-1009999";

pub fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

pub fn utc(s: &str) -> DateTime<Utc> {
    s.parse().expect("instant")
}

/// A sender on the fake, with its store and config, at a time that moves with tokio's clock.
pub struct Bench {
    _dir: tempfile::TempDir,
    pub db: Db,
    pub config: Config,
    pub bot: Arc<FakeBot>,
    pub sender: Sender,
    pub clock: Clock,
}

impl Bench {
    /// `more` is TOML before `[telegram]`, `telegram` keys inside it; `bills` are tracked.
    pub fn new(more: &str, telegram: &str, bills: &[u32], start: &str) -> Bench {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut text = format!(
            "[parliament]\napi_url = \"http://127.0.0.1:9\"\nsite_url = \"https://bills.example.test\"\n\
             [storage]\npath = \"{}\"\n{more}\n\
             [telegram]\nchat = \"{CHAT}\"\napi_url = \"http://127.0.0.1:9\"\n{telegram}\n",
            dir.path().join("billwatch.db").display()
        );
        for id in bills {
            text.push_str(&format!("[[bills]]\nid = {id}\n"));
        }
        let path = dir.path().join("billwatch.toml");
        let config = Config::parse(&text, &path).expect("config");
        let db = Db::new(Store::open(&config.storage.path).expect("store"));
        let bot = FakeBot::new();
        let clock = Clock::following_tokio(utc(start));
        let t = config.telegram.as_ref().expect("telegram");
        let sender = Sender::new(bot.clone(), t, &config.storage.path, clock);
        Bench {
            _dir: dir,
            db,
            config,
            bot,
            sender,
            clock,
        }
    }

    /// Records bill `id` as the Border Security bill stood on `day` (stages announced `notice`
    /// days ahead), as a check on `today` would.
    pub async fn record_as(
        &mut self,
        id: u32,
        day: &str,
        notice: i64,
        today: &str,
        first: FirstSight,
    ) {
        let (mut bill, mut stages) = border_security_on(date(day), notice);
        if id != BILL {
            renumber(&mut bill, &mut stages, id);
        }
        let bill = parse_bill(&serde_json::to_vec(&bill).expect("json")).expect("bill");
        let stages = parse_stages(&serde_json::to_vec(&stages).expect("json")).expect("stages");
        let snapshot = billwatch::bill::Snapshot::new(bill, stages.stages);
        let how = Recording {
            today: date(today),
            now: self.clock.now(),
            source: SnapshotSource::Api,
            first,
            url: self.config.stages_url(id),
            chat: self.config.chat_for(id).map(str::to_owned),
            filter: self.config.filter_for(id).clone(),
            readers_filter: self.config.alerts.filter.clone(),
            catch_up: false,
            divisions: Vec::new(),
            group_votes_after: self.config.alerts.group_votes_after,
        };
        let recorded = self.db.call(move |s| s.record(&snapshot, &how)).await;
        recorded.expect("recorded");
    }

    /// Records the Border Security bill as it stood on `day`, checked that day.
    pub async fn record(&mut self, day: &str) {
        self.record_as(BILL, day, 0, day, FirstSight::Silent).await;
    }

    /// One pending alert: the bill announced.
    pub async fn announce(&mut self, id: u32) {
        self.record_as(id, "2025-02-01", 0, "2025-02-01", FirstSight::Announce)
            .await;
    }

    pub async fn deliver_until(&mut self, shutdown: &mut Shutdown) -> Delivery {
        let today = self.clock.today(&self.config.timezone);
        self.sender
            .deliver(&self.db, &self.config, today, shutdown)
            .await
            .expect("store")
            .expect("not locked")
    }

    pub async fn deliver(&mut self) -> Delivery {
        self.deliver_until(&mut Shutdown::never()).await
    }

    /// (pending, sent, blocked) in the outbox.
    pub async fn counts(&self) -> (u64, u64, u64) {
        let counts = self.db.call(|s| s.alert_counts()).await;
        counts.expect("counts")
    }
}

/// Bill `id`: the Border Security bill under another number and title, with its own stage ids.
pub fn renumber(bill: &mut Value, stages: &mut Value, id: u32) {
    bill["billId"] = id.into();
    bill["shortTitle"] = format!("Test Bill No. {id} & <Others>").into();
    for item in stages["items"].as_array_mut().expect("items") {
        item["id"] = (item["id"].as_u64().expect("id") + u64::from(id) * 100).into();
    }
}

/// Time between consecutive calls.
pub fn gaps(calls: &[Call]) -> Vec<Duration> {
    calls.windows(2).map(|w| w[1].at - w[0].at).collect()
}

/// Makes recording "sent" in `table` (`alerts` or `deliveries`) of the database at `db` fail
/// as a full disk does (`on`), or work again.
pub fn refuse_sent(db: &std::path::Path, table: &str, on: bool) {
    let conn = rusqlite::Connection::open(db).expect("second connection");
    let sql = if on {
        format!(
            "CREATE TRIGGER disk_full BEFORE UPDATE OF status ON {table}
             WHEN NEW.status = 'sent' BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;"
        )
    } else {
        "DROP TRIGGER disk_full;".to_owned()
    };
    conn.execute_batch(&sql).expect("trigger");
}
