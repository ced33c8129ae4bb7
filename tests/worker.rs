//! `billwatch run`'s worker in-process, in paused time, against the in-process fake Parliament:
//! the schedule, each change alerted once across many checks, shutdown in the middle of a check,
//! config reload, a quiet day's requests on the default schedule, and the delay from a change in
//! Parliament's data to its alert leaving. (The binary's own `run`, with a real SIGTERM, is in `run_e2e.rs`.)

mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use billwatch::config::Config;
use billwatch::source::Parsing;
use common::fake_bot::FakeBot;
use common::*;

/// A config file tracking `bills`, checked at start and daily at 09:00 London time, alerts to
/// the console; the listing decides what is fetched (a full refresh only yearly).
fn write_config(dir: &Path, bills: &[u32], extra: &str) -> PathBuf {
    let keys = "full_refresh = \"365d\"\n";
    write_config_with(dir, bills, keys, "cron = \"0 9 * * *\"\n", extra)
}

/// [`write_config`] with these `[parliament]` and `[schedule]` keys besides the fake's address,
/// quick retries and votes off (`""`: the defaults).
fn write_config_with(
    dir: &Path,
    bills: &[u32],
    parliament: &str,
    schedule: &str,
    extra: &str,
) -> PathBuf {
    let mut text = format!(
        "[parliament]\napi_url = \"https://api.fake.test\"\nsite_url = \"https://bills.example.test\"\n\
         retries = 1\nretry_backoff = \"10ms\"\nvotes = false\n{parliament}\n[storage]\npath = \"{}\"\n\n\
         [schedule]\ncheck_at_start = true\n{schedule}\n{extra}\n",
        dir.join("data/billwatch.db").display()
    );
    for id in bills {
        text.push_str(&format!("[[bills]]\nid = {id}\n\n"));
    }
    let path = dir.join("billwatch.toml");
    std::fs::write(&path, text).expect("config");
    path
}

/// Every alert the database holds: "kind stage (House) date", oldest first, and its status.
fn alerts(db: &Path) -> Vec<(String, String)> {
    let conn = rusqlite::Connection::open(db).expect("db");
    let mut stmt = conn
        .prepare("SELECT event, status FROM alerts ORDER BY id")
        .expect("query");
    stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .expect("rows")
        .map(|row| {
            let (event, status) = row.expect("row");
            let e: serde_json::Value = serde_json::from_str(&event).expect("event");
            let line = format!(
                "{} {} ({}) {}",
                e["kind"].as_str().unwrap_or(""),
                e["stage"]["name"].as_str().unwrap_or("-"),
                e["stage"]["house"].as_str().unwrap_or("-"),
                e["date"].as_str().unwrap_or("-")
            );
            (line, status)
        })
        .collect()
}

fn checks(db: &Path) -> i64 {
    let conn = rusqlite::Connection::open(db).expect("db");
    conn.query_row(
        "SELECT count(*) FROM checks WHERE finished_at IS NOT NULL",
        [],
        |r| r.get(0),
    )
    .expect("count")
}

/// The Border Security bill around its 2nd reading and its committee stage, a check every
/// morning at 09:00 (and a restart in between): the first check is silent, then each stage is
/// alerted once, on its day, and delivered; the checks in between add nothing.
///
/// (Virtual time is kept to a week in all: the idle sender looks at the outbox every minute.)
#[tokio::test(start_paused = true)]
async fn daily_checks_alert_each_change_once_on_its_day() {
    let dir = scratch_dir();
    let path = write_config(dir.path(), &[BILL], "");
    let db = dir.path().join("data/billwatch.db");
    let parliament = FakeParliament::new();
    let lines = || -> Vec<String> { alerts(&db).into_iter().map(|(l, _)| l).collect() };

    parliament.serve_day("2025-02-08", 0);
    let worker = start(&path, &parliament, "2025-02-08T10:00:00Z");
    worker.until("2025-02-08T10:30:00Z").await;
    assert_eq!(checks(&db), 1, "checked at start");
    assert!(lines().is_empty(), "first sight is silent");
    for day in ["2025-02-09", "2025-02-10", "2025-02-11", "2025-02-12"] {
        parliament.serve_day(day, 0);
        worker.until(&format!("{day}T09:30:00Z")).await;
    }
    assert_eq!(checks(&db), 5, "one at start, then one each morning");
    // The motions of 10 February are recorded, not posted (the default filter).
    assert_eq!(lines(), ["stage_reached 2nd reading (Commons) 2025-02-10"]);
    worker.stop().await;

    let worker = start(&path, &parliament, "2025-02-24T08:00:00Z");
    for day in ["2025-02-24", "2025-02-25", "2025-02-26"] {
        parliament.serve_day(day, 0);
        worker.until(&format!("{day}T09:30:00Z")).await;
    }
    assert_eq!(checks(&db), 9, "one at start, then one each morning");
    assert_eq!(
        lines(),
        [
            "stage_reached 2nd reading (Commons) 2025-02-10",
            "stage_reached Committee stage (Commons) 2025-02-25",
        ]
    );
    assert!(
        alerts(&db).iter().all(|(_, status)| status == "sent"),
        "delivered (to the console)"
    );
    assert!(worker.stop().await < Duration::from_secs(1));
}

/// Shutdown while a check waits for a slow Parliament: the worker returns at once, the check is
/// abandoned (nothing half-written), and the next start records the change once.
#[tokio::test(start_paused = true)]
async fn shutdown_in_the_middle_of_a_check_returns_at_once_and_loses_nothing() {
    let dir = scratch_dir();
    let path = write_config(dir.path(), &[BILL], "");
    let db = dir.path().join("data/billwatch.db");
    let parliament = FakeParliament::new();
    parliament.serve_day("2025-02-01", 0);
    let worker = start(&path, &parliament, "2025-02-26T09:30:00Z");
    worker.until("2025-02-26T09:31:00Z").await;
    assert_eq!(checks(&db), 1);

    // The next morning Parliament answers, but takes ten minutes for each request.
    parliament.serve_day("2025-02-26", 0);
    parliament.answer(
        Route::Any,
        Answer::json(&serde_json::json!({})).delay(Duration::from_secs(600)),
        Some(1),
    );
    worker.until("2025-02-27T09:00:10Z").await;
    let paths = parliament.paths();
    assert_eq!(
        paths,
        [
            "/api/v1/Bills/3929",
            "/api/v1/Bills/3929/Stages",
            "/api/v1/Bills/3929/Publications",
            "/api/v1/Bills"
        ],
        "the second check is under way, waiting for the listing"
    );
    let took = worker.stop().await;
    assert!(
        took < Duration::from_secs(1),
        "took {took:?} of virtual time"
    );
    assert_eq!(checks(&db), 1, "the abandoned check did not finish");
    assert!(alerts(&db).is_empty());

    // Started again: the change is recorded once, at once.
    let worker = start(&path, &parliament, "2025-02-27T10:00:00Z");
    worker.until("2025-02-27T10:01:00Z").await;
    worker.until("2025-02-28T09:30:00Z").await;
    let lines: Vec<String> = alerts(&db).into_iter().map(|(l, _)| l).collect();
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.contains("Committee stage"))
            .count(),
        1,
        "{lines:#?}"
    );
    worker.stop().await;
}

/// Holds the next parse, once armed, where the sources run it: a stand-in for a hostile page
/// that takes its time, without spending real CPU time on one.
struct ParseGate {
    armed: AtomicBool,
    entered: tokio::sync::Notify,
    held: Mutex<Option<String>>,
    finished: AtomicBool,
    release: Mutex<mpsc::Sender<()>>,
    released: Mutex<mpsc::Receiver<()>>,
}

impl ParseGate {
    fn new() -> Arc<ParseGate> {
        let (release, released) = mpsc::channel();
        Arc::new(ParseGate {
            armed: AtomicBool::new(false),
            entered: tokio::sync::Notify::new(),
            held: Mutex::new(None),
            finished: AtomicBool::new(false),
            release: Mutex::new(release),
            released: Mutex::new(released),
        })
    }

    fn parsing(self: &Arc<Self>) -> Parsing {
        let gate = self.clone();
        Parsing::with_hook(Arc::new(move |url: &str| {
            if !gate.armed.swap(false, Ordering::SeqCst) {
                return;
            }
            *gate.held.lock().expect("held") = Some(url.to_owned());
            gate.entered.notify_one();
            // Held until the test releases it. The bound is a safety net in real time, for a
            // parse run on the test's own thread (what this test is about): the test could then
            // never release it, and would hang instead of failing.
            let released = gate.released.lock().expect("released");
            let _ = released.recv_timeout(Duration::from_secs(10));
            gate.finished.store(true, Ordering::SeqCst);
        }))
    }

    fn release(&self) {
        let _ = self.release.lock().expect("release").send(());
    }
}

/// SIGTERM while a check is parsing an answer (a hostile page can take a second of CPU): the
/// worker returns at once, without waiting for the parse, which runs off the async workers; the
/// check is abandoned, nothing half-written.
#[tokio::test(start_paused = true)]
async fn shutdown_during_a_parse_returns_without_waiting_for_it() {
    let dir = scratch_dir();
    let path = write_config(dir.path(), &[BILL], "");
    let db = dir.path().join("data/billwatch.db");
    let parliament = FakeParliament::new();
    parliament.serve_day("2025-02-01", 0);
    let gate = ParseGate::new();
    let bot = FakeBot::new();
    let worker = start_parsing(
        &path,
        &parliament,
        &bot,
        gate.parsing(),
        "2025-02-26T09:30:00Z",
    );
    worker.until("2025-02-26T09:31:00Z").await;
    assert_eq!(checks(&db), 1);

    // The next morning's check: its first parse (the listing's answer) is held.
    parliament.serve_day("2025-02-26", 0);
    gate.armed.store(true, Ordering::SeqCst);
    gate.entered.notified().await;
    let held = gate.held.lock().expect("held").clone().unwrap_or_default();
    assert!(held.contains("/api/v1/Bills?"), "held: {held}");
    let took = worker.stop().await;
    let finished = gate.finished.load(Ordering::SeqCst);
    gate.release();
    assert!(
        !finished,
        "the worker stopped only after the parse had ended: shutdown was not observed during it"
    );
    assert!(
        took < Duration::from_secs(1),
        "took {took:?} of virtual time"
    );
    assert_eq!(checks(&db), 1, "the abandoned check did not finish");
    assert!(alerts(&db).is_empty());
}

/// A bill added to the file is checked from the next scheduled check on; a broken edit keeps
/// the last good config running (both bills still checked) and is reported to the operator
/// once, with the line at fault.
#[tokio::test(start_paused = true)]
async fn an_edited_config_is_picked_up_and_a_broken_one_survived() {
    const TELEGRAM: &str = "[telegram]\nchat = \"@bill_alerts\"\nadmin_chat = \"-1009999\"\n";
    let dir = scratch_dir();
    let path = write_config(dir.path(), &[BILL], TELEGRAM);
    let parliament = FakeParliament::new();
    let bot = FakeBot::new();
    parliament.serve_day("2025-02-01", 0);
    let (mut other, stages) = border_security_on(date("2025-02-01"), 0);
    other["billId"] = 4000.into();
    other["shortTitle"] = "Other Bill".into();
    parliament.serve_bill(4000, other, stages);
    let fetched = |id: u32| {
        parliament
            .paths()
            .iter()
            .filter(|p| **p == format!("/api/v1/Bills/{id}"))
            .count()
    };
    let worker = start_with(&path, &parliament, &bot, "2025-02-01T08:00:00Z");
    worker.until("2025-02-01T08:30:00Z").await;
    assert_eq!(fetched(4000), 0);

    write_config(dir.path(), &[BILL, 4000], TELEGRAM);
    worker.until("2025-02-01T09:30:00Z").await;
    assert_eq!(fetched(4000), 1, "picked up at the next check");

    std::fs::write(&path, "[[bills]]\nid = \"not a number\"\n").expect("write");
    worker.until("2025-02-03T09:30:00Z").await;
    assert_eq!(fetched(4000), 1, "unchanged: not fetched again");
    // Both bills are still tracked: a change to 4000 is fetched.
    let (mut other, stages) = border_security_on(date("2025-02-11"), 0);
    other["billId"] = 4000.into();
    other["shortTitle"] = "Other Bill".into();
    parliament.serve_bill(4000, other, stages);
    worker.until("2025-02-04T09:30:00Z").await;
    assert_eq!(fetched(4000), 2, "the last good config still runs");
    let notices = bot.texts_to("-1009999");
    assert_eq!(notices.len(), 1, "reported once: {notices:#?}");
    assert!(
        notices[0].contains("the edited config was not loaded") && notices[0].contains("line 2"),
        "{}",
        notices[0]
    );
    worker.stop().await;
}

/// `alerts.announce_new`: the worker announces each bill the first time it checks it, at start
/// and when one is added to the file while it runs (the README's Docker steps rely on it).
#[tokio::test(start_paused = true)]
async fn the_worker_announces_new_bills_when_the_config_says_so() {
    const ANNOUNCE: &str = "[alerts]\nannounce_new = true\n";
    let dir = scratch_dir();
    let path = write_config(dir.path(), &[BILL], ANNOUNCE);
    let db = dir.path().join("data/billwatch.db");
    let parliament = FakeParliament::new();
    parliament.serve_day("2025-02-11", 0);
    let (mut other, stages) = border_security_on(date("2025-02-11"), 0);
    other["billId"] = 4000.into();
    other["shortTitle"] = "Other Bill".into();
    parliament.serve_bill(4000, other, stages);
    let worker = start(&path, &parliament, "2025-02-11T10:00:00Z");
    worker.until("2025-02-11T10:30:00Z").await;
    write_config(dir.path(), &[BILL, 4000], ANNOUNCE);
    worker.until("2025-02-12T09:30:00Z").await;
    let lines: Vec<String> = alerts(&db).into_iter().map(|(l, _)| l).collect();
    assert_eq!(
        lines,
        [
            "tracking_started 2nd reading (Commons) 2025-02-10",
            "tracking_started 2nd reading (Commons) 2025-02-10",
        ],
        "one for each bill, once"
    );
    worker.stop().await;
}

/// The default schedule is every 5 minutes, and the shipped config says the same.
#[test]
fn the_default_schedule_is_every_five_minutes() {
    let default = Config::parse("[[bills]]\nid = 3929\n", Path::new("c.toml")).expect("config");
    let shipped = Config::parse(billwatch::config::EXAMPLE, Path::new("b.toml")).expect("shipped");
    for config in [&default, &shipped] {
        assert_eq!(config.schedule.cron.to_string(), "*/5 * * * *");
        assert_eq!(config.schedule.jitter, Duration::ZERO);
        let now = "2026-03-28T12:00:00Z".parse().expect("time");
        let gap = config.schedule.cron.longest_gap(now, &config.timezone);
        assert_eq!(gap, Duration::from_secs(300), "across daylight saving too");
    }
}

/// A quiet day on the default schedule (every 5 minutes, a full refresh every 24 hours), two
/// bills tracked: the first check fetches both (3 requests each: record, stages, documents);
/// then 288 checks a day, each one listing request, except the one a day that refreshes both
/// bills in full (their 6 requests, and no listing: no bill is left for it to spare).
#[tokio::test(start_paused = true)]
async fn a_quiet_day_on_the_default_schedule_costs_one_request_a_check() {
    let dir = scratch_dir();
    let path = write_config_with(dir.path(), &[BILL, 4000], "", "", "");
    let db = dir.path().join("data/billwatch.db");
    let parliament = FakeParliament::new();
    parliament.serve_day("2025-02-09", 0);
    let (mut other, stages) = border_security_on(date("2025-02-09"), 0);
    other["billId"] = 4000.into();
    parliament.serve_bill(4000, other, stages);
    let worker = start(&path, &parliament, "2025-02-09T00:02:30Z");
    worker.until("2025-02-09T00:03:00Z").await;
    assert_eq!(parliament.paths().len(), 6, "both bills fetched at start");

    // The 24 hours after the first check: 288 scheduled checks (00:05 to 00:00), one request each.
    worker.until("2025-02-10T00:02:30Z").await;
    assert_eq!(checks(&db), 1 + 288);
    let paths = parliament.paths();
    assert_eq!(paths.len(), 6 + 288);
    assert!(
        paths[6..].iter().all(|p| p == "/api/v1/Bills"),
        "listing only"
    );

    // The next check is 24 hours after the last full fetch: both bills in full, no listing.
    worker.until("2025-02-10T00:07:30Z").await;
    let refresh = parliament.paths()[6 + 288..].to_vec();
    assert_eq!(refresh.len(), 6, "{refresh:#?}");
    assert!(refresh.iter().all(|p| p.starts_with("/api/v1/Bills/")));
    assert!(alerts(&db).is_empty());
    worker.stop().await;
}

/// How long after Parliament showed a change its alert left billwatch, in virtual time.
struct Delays {
    /// From the last request of the check before the change (the listing) to the change.
    after_check: Duration,
    channel: Duration,
    /// To a reader following the bill, in their private chat.
    reader: Duration,
    /// What the delay must keep under: the schedule's longest gap, plus its jitter, plus 10 s.
    bound: Duration,
}

impl Delays {
    /// The channel's and the reader's delays, the sooner first. Usually the channel's: the
    /// check wakes the sender, which sends the channels first. But on this schedule the idle
    /// sender's once-a-minute round falls on the check's very second, and when that round looks
    /// at the outbox after the channels' turn and before the readers', the reader's message goes
    /// first. Either way the second follows Telegram's overall gap later (33.3 ms, at tokio's
    /// millisecond).
    fn first_and_second(&self) -> (Duration, Duration) {
        (self.channel.min(self.reader), self.channel.max(self.reader))
    }
}

/// The worker on the default schedule (every 5 minutes, no jitter) with Telegram, the bill
/// recorded on 9 February and followed by a reader, then its 2nd reading showing at `change`
/// (UTC, 10 February: London time is UTC then): the delays of its alert. The check that records
/// it wakes the sender; without that wake-up (tried), the idle sender, which looks at the outbox
/// once a minute, sent the worst case's alert 329 s after the change, over the bound.
async fn delay_after_change(change: &str) -> Delays {
    const CHANNEL: &str = "@bill_alerts";
    const READER: &str = "5000";
    let dir = scratch_dir();
    let telegram = format!("[telegram]\nchat = \"{CHANNEL}\"\n");
    let path = write_config_with(dir.path(), &[BILL], "", "", &telegram);
    let config = Config::load(&path).expect("config");
    let db = dir.path().join("data/billwatch.db");
    let parliament = FakeParliament::new();
    let bot = FakeBot::new();
    parliament.serve_day("2025-02-09", 0);
    let worker = start_with(&path, &parliament, &bot, "2025-02-10T10:02:30Z");
    worker.until("2025-02-10T10:03:00Z").await;
    let store = billwatch::store::Db::open(&db).await.expect("db");
    let now = worker.clock.now();
    let followed = store.call(move |s| {
        let tracked = std::collections::HashSet::from([BILL]);
        s.follow(
            READER,
            BILL,
            &tracked,
            billwatch::readers::Limits::default(),
            now,
        )
    });
    followed.await.expect("followed");

    worker.until(change).await;
    let changed = tokio::time::Instant::now();
    assert_eq!(checks(&db), 2, "at start, and at 10:05");
    let asked = parliament.requests().last().expect("a request").at;
    let (mut bill, stages) = border_security_on(date("2025-02-10"), 0);
    bill["lastUpdate"] = change.trim_end_matches('Z').into();
    parliament.serve_bill(BILL, bill, stages);
    worker.until("2025-02-10T10:20:00Z").await;
    assert_eq!(alerts(&db).len(), 1, "one alert: {:#?}", alerts(&db));
    let sent_to = |chat: &str| {
        let sends: Vec<_> = bot.sends().into_iter().filter(|c| c.chat == chat).collect();
        assert_eq!(sends.len(), 1, "{chat}: {sends:#?}");
        assert!(sends[0].text.contains("2nd reading"), "{}", sends[0].text);
        sends[0].at - changed
    };
    let (channel, reader) = (sent_to(CHANNEL), sent_to(READER));
    worker.stop().await;

    let gap = config.schedule.cron.longest_gap(now, &config.timezone);
    Delays {
        after_check: changed - asked,
        channel,
        reader,
        bound: gap + config.schedule.jitter + Duration::from_secs(10),
    }
}

/// The worst case: the change shows 1 s after a check (at 10:05:00) asked the listing. The next
/// check, at 10:10:00, finds it, and the sender, woken by the check, sends it at once: 299 s,
/// for the channel; the reader's comes right after it, Telegram's overall gap later (33.3 ms, at
/// tokio's millisecond).
#[tokio::test(start_paused = true)]
async fn an_alert_leaves_at_most_one_interval_after_parliament_shows_the_change() {
    let d = delay_after_change("2025-02-10T10:05:01Z").await;
    assert_eq!(d.after_check, Duration::from_secs(1));
    assert_eq!(d.bound, Duration::from_secs(310));
    assert_eq!(
        d.first_and_second(),
        (Duration::from_secs(299), Duration::from_millis(299_034))
    );
    assert!(d.channel <= d.bound && d.reader <= d.bound);
}

/// The typical case: the change shows mid-interval (10:07:30), and leaves with the 10:10:00
/// check, 150 s later.
#[tokio::test(start_paused = true)]
async fn an_alert_leaves_half_an_interval_after_a_change_mid_interval() {
    let d = delay_after_change("2025-02-10T10:07:30Z").await;
    assert_eq!(d.after_check, Duration::from_secs(150));
    assert_eq!(
        d.first_and_second(),
        (Duration::from_secs(150), Duration::from_millis(150_034))
    );
    assert!(d.channel <= d.bound && d.reader <= d.bound);
}
