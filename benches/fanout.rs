//! One alert fanned out to 10,000 readers, against a fake Telegram that enforces Telegram's
//! limits (at most 30 messages in any second overall, a second between two messages to one
//! chat; a message past either is answered 429, counted as a violation).
//!
//! `cargo bench --bench fanout`. It prints:
//! - the delivery's total time on tokio's paused clock, which moves only when billwatch waits
//!   (its pacing, the fake's 50 ms per request, Telegram's `retry_after`), so it is the time the
//!   pacing alone takes; the goal is within 10% of 10,000 / 30 s = 333 s;
//! - the real time and CPU the delivering process spent (the database's commits, two per
//!   message, and rendering);
//! - the delivering process's peak resident memory (VmHWM; goal at most 30 MB), measured in a
//!   process of its own that does nothing else;
//! - the database's size per follower and per delivered message.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use billwatch::bill::Snapshot;
use billwatch::clock::Clock;
use billwatch::config::Config;
use billwatch::decide::{FirstSight, SnapshotSource};
use billwatch::shutdown::Shutdown;
use billwatch::source::api::{parse_bill, parse_stages};
use billwatch::store::{Db, Recording, Store};
use billwatch::telegram::{BotApi, EditError, SendError, Sender};
use futures::FutureExt;
use futures::future::BoxFuture;
use serde_json::json;

const READERS: usize = 10_000;
const BILL: u32 = 3929;
const CHANNEL: &str = "@bill_alerts";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list") {
        return; // cargo bench asks benches to list themselves.
    }
    if args.get(1).map(String::as_str) == Some("--deliver") {
        return deliver(Path::new(&args[2]));
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let config_path = write_config(dir.path());
    let config = Config::load(&config_path).expect("config");
    let sizes = set_up(&config);
    let started = Instant::now();
    let out = std::process::Command::new(std::env::current_exe().expect("exe"))
        .args(["--deliver", config_path.to_str().expect("path")])
        .output()
        .expect("the delivering process ran");
    print!("{}", String::from_utf8_lossy(&out.stdout));
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    println!(
        "delivering process: {:.1} s real time (with its start)",
        started.elapsed().as_secs_f64()
    );
    let after = db_bytes(&config.storage.path);
    println!(
        "database: {:.0} bytes per follower ({} readers following: +{} KiB); {:.0} bytes per \
         message queued (+{} KiB), {:.0} bytes per message once delivered (+{} KiB in all, \
         pruned after storage.keep_sent)",
        (sizes.followed - sizes.empty) as f64 / READERS as f64,
        READERS,
        (sizes.followed - sizes.empty) / 1024,
        (sizes.queued - sizes.followed) as f64 / READERS as f64,
        (sizes.queued - sizes.followed) / 1024,
        (after - sizes.followed) as f64 / READERS as f64,
        (after - sizes.followed) / 1024,
    );
}

fn write_config(dir: &Path) -> PathBuf {
    let path = dir.join("billwatch.toml");
    let text = format!(
        "[parliament]\napi_url = \"http://127.0.0.1:9\"\n[storage]\npath = \"{}\"\n\
         [telegram]\nchat = \"{CHANNEL}\"\napi_url = \"http://127.0.0.1:9\"\n\
         [[bills]]\nid = {BILL}\n",
        dir.join("billwatch.db").display()
    );
    std::fs::write(&path, text).expect("config");
    path
}

/// The database's size at each step of the set-up, in bytes.
struct Sizes {
    empty: u64,
    followed: u64,
    queued: u64,
}

/// The bill recorded before its 2nd reading, 10,000 readers following it, then its 2nd
/// reading reached: one alert for the channel, one message queued for each reader.
fn set_up(config: &Config) -> Sizes {
    let mut store = Store::open(&config.storage.path).expect("store");
    store
        .record(&snapshot(false), &recording(config, FirstSight::Silent))
        .expect("recorded");
    let empty = db_bytes(&config.storage.path);
    {
        // One transaction for the set-up: 10,000 `/follow`s would each be one.
        let mut conn = rusqlite::Connection::open(&config.storage.path).expect("db");
        let tx = conn.transaction().expect("tx");
        for i in 0..READERS {
            tx.execute(
                "INSERT INTO reader_follows (chat, bill_id, since) VALUES (?1, ?2, ?3)",
                rusqlite::params![
                    (700_000_000 + i).to_string(),
                    BILL,
                    "2025-02-01T09:00:00+00:00"
                ],
            )
            .expect("follow");
        }
        tx.commit().expect("commit");
    }
    let followed = db_bytes(&config.storage.path);
    let recorded = store
        .record(&snapshot(true), &recording(config, FirstSight::Silent))
        .expect("recorded");
    assert_eq!(
        recorded.to_readers, READERS,
        "one message queued per reader"
    );
    Sizes {
        empty,
        followed,
        queued: db_bytes(&config.storage.path),
    }
}

/// The database file's size, its write-ahead log folded in.
fn db_bytes(path: &Path) -> u64 {
    let conn = rusqlite::Connection::open(path).expect("db");
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .expect("checkpoint");
    std::fs::metadata(path).expect("size").len()
}

/// The bill with its 1st reading, and (`reached`) its 2nd reading on 10 February 2025.
fn snapshot(reached: bool) -> Snapshot {
    let stage = |id: u32, stage_id: u32, name: &str, day: &str, order: u32| {
        json!({"id": id, "stageId": stage_id, "description": name, "house": "Commons",
               "sortOrder": order, "stageSittings": [{"date": format!("{day}T00:00:00")}]})
    };
    let mut items = vec![stage(1, 6, "1st reading", "2025-01-30", 1)];
    if reached {
        items.push(stage(2, 7, "2nd reading", "2025-02-10", 2));
    }
    let record = json!({"billId": BILL, "shortTitle": "Border Security, Asylum and Immigration Bill",
        "longTitle": "A Bill to make provision about border security.", "currentHouse": "Commons",
        "originatingHouse": "Commons", "billTypeId": 1, "introducedSessionId": 40,
        "includedSessionIds": [40], "isAct": false, "isDefeated": false, "billWithdrawn": null,
        "lastUpdate": "2025-02-10T18:00:00", "currentStage": items.last().cloned()});
    let total = items.len();
    let stages = json!({"items": items, "totalResults": total, "itemsPerPage": 20});
    let bill = parse_bill(record.to_string().as_bytes()).expect("bill");
    let stages = parse_stages(stages.to_string().as_bytes()).expect("stages");
    Snapshot::new(bill, stages.stages)
}

fn recording(config: &Config, first: FirstSight) -> Recording {
    Recording {
        today: "2025-02-10".parse().expect("day"),
        now: "2025-02-10T18:00:00Z".parse().expect("now"),
        source: SnapshotSource::Api,
        first,
        url: config.stages_url(BILL),
        chat: config.chat_for(BILL).map(str::to_owned),
        filter: config.filter_for(BILL).clone(),
        readers_filter: config.alerts.filter.clone(),
        catch_up: false,
        divisions: Vec::new(),
        group_votes_after: config.alerts.group_votes_after,
    }
}

/// The delivering process: the readers' rounds until none is waiting, on tokio's paused clock.
fn deliver(config_path: &Path) {
    let config = Config::load(config_path).expect("config");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("runtime");
    let cpu = cpu_seconds();
    let real = Instant::now();
    let (virtual_time, rounds, messages, telegram) = runtime.block_on(async {
        let telegram = Arc::new(LimitedTelegram::default());
        let clock = Clock::following_tokio("2025-02-10T18:00:00Z".parse().expect("now"));
        let t = config.telegram.as_ref().expect("telegram");
        let mut sender = Sender::new(telegram.clone(), t, &config.storage.path, clock);
        let db = Db::open(&config.storage.path).await.expect("db");
        let started = tokio::time::Instant::now();
        let (mut rounds, mut messages) = (0, 0);
        loop {
            let round = sender
                .deliver_to_readers(
                    &db,
                    "2025-02-10".parse().expect("day"),
                    100,
                    &mut Shutdown::never(),
                )
                .await
                .expect("store");
            rounds += 1;
            messages += round.messages;
            if round.waiting == 0 {
                break;
            }
        }
        (started.elapsed(), rounds, messages, telegram)
    });
    let ideal = READERS as f64 / 30.0;
    let took = virtual_time.as_secs_f64();
    println!(
        "fan-out to {READERS} readers: {messages} messages in {rounds} rounds, {took:.1} s on the \
         paused clock ({:+.1}% of {READERS} / 30 s = {ideal:.1} s); {} limit violations (429s); \
         at most {} messages in any second, least gap to one chat {}",
        (took / ideal - 1.0) * 100.0,
        telegram.violations(),
        telegram.busiest_second(),
        telegram
            .least_chat_gap()
            .map_or("none (one message each)".to_owned(), |g| format!("{g:?}")),
    );
    println!(
        "delivering process: {:.1} s real time, {:.1} s CPU, peak RSS {:.1} MB (VmHWM)",
        real.elapsed().as_secs_f64(),
        cpu_seconds() - cpu,
        vm_hwm_kb() as f64 / 1024.0
    );
}

fn cpu_seconds() -> f64 {
    let usage = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_SELF)
        .expect("getrusage");
    let s = |t: nix::sys::time::TimeVal| t.tv_sec() as f64 + t.tv_usec() as f64 / 1e6;
    s(usage.user_time()) + s(usage.system_time())
}

fn vm_hwm_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM")
}

/// Telegram as far as its limits go: 30 messages in any second overall, a second between two
/// messages to one chat; a message past either is answered 429 and counted. Each answer takes
/// 50 ms (tokio time).
#[derive(Debug, Default)]
struct LimitedTelegram {
    state: Mutex<Limits>,
}

#[derive(Debug, Default)]
struct Limits {
    /// The accepted messages of the last second.
    last_second: VecDeque<tokio::time::Instant>,
    /// Each chat's last accepted message (chats quiet for a second are dropped).
    chats: HashMap<String, tokio::time::Instant>,
    violations: u64,
    busiest: usize,
    least_gap: Option<Duration>,
    accepted: i64,
}

impl LimitedTelegram {
    fn violations(&self) -> u64 {
        self.state.lock().expect("state").violations
    }

    fn busiest_second(&self) -> usize {
        self.state.lock().expect("state").busiest
    }

    fn least_chat_gap(&self) -> Option<Duration> {
        self.state.lock().expect("state").least_gap
    }

    /// The answer to a message to `chat` now.
    fn take(&self, chat: &str) -> Result<i64, SendError> {
        let now = tokio::time::Instant::now();
        let mut s = self.state.lock().expect("state");
        while s
            .last_second
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
        {
            s.last_second.pop_front();
        }
        if s.chats.len() > 1000 {
            s.chats
                .retain(|_, t| now.duration_since(*t) < Duration::from_secs(1));
        }
        let chat_gap = s.chats.get(chat).map(|t| now.duration_since(*t));
        let too_soon = chat_gap.is_some_and(|g| g < Duration::from_secs(1));
        if s.last_second.len() >= 30 || too_soon {
            s.violations += 1;
            return Err(SendError::RetryAfter(Duration::from_secs(1)));
        }
        if let Some(gap) = chat_gap {
            s.least_gap = Some(s.least_gap.map_or(gap, |g| g.min(gap)));
        }
        s.last_second.push_back(now);
        s.busiest = s.busiest.max(s.last_second.len());
        s.chats.insert(chat.to_owned(), now);
        s.accepted += 1;
        Ok(s.accepted)
    }
}

impl BotApi for LimitedTelegram {
    fn send_html<'a>(
        &'a self,
        chat: &'a str,
        _text: &'a str,
    ) -> BoxFuture<'a, Result<i64, SendError>> {
        async move {
            let answer = self.take(chat);
            tokio::time::sleep(Duration::from_millis(50)).await;
            answer
        }
        .boxed()
    }

    fn edit_html<'a>(
        &'a self,
        _chat: &'a str,
        _message_id: i64,
        _text: &'a str,
    ) -> BoxFuture<'a, Result<(), EditError>> {
        async { Ok(()) }.boxed()
    }

    fn pin<'a>(&'a self, _chat: &'a str, _message_id: i64) -> BoxFuture<'a, Result<(), SendError>> {
        async { Ok(()) }.boxed()
    }

    fn whoami(&self) -> BoxFuture<'_, Result<String, SendError>> {
        async { Ok("billwatch_bench_bot".to_owned()) }.boxed()
    }
}
