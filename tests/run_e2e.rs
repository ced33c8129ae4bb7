//! `billwatch run` end to end: the real worker on a schedule of a few seconds, against fake
//! Parliament and Telegram servers; SIGTERM, restarts, config reload, health.

mod common;

use std::time::{Duration, Instant};

use common::*;
use tokio::io::AsyncReadExt;
use tokio::process::Child;

const EVERY_2S: &str = "[schedule]\ncron = \"*/2 * * * * *\"\n";

fn telegram_section(tg: &FakeTelegram) -> String {
    format!(
        "[telegram]\nchat = \"@bill_alerts\"\nadmin_chat = \"-1009999\"\napi_url = \"{}\"\n",
        tg.uri()
    )
}

async fn serve_day(api: &FakeApi, day: &str, delay: Option<Duration>) {
    api.reset().await;
    let (bill, stages) = border_security_on(date(day), 0);
    api.serve_bill_slowly(BILL, bill, stages, delay.unwrap_or_default())
        .await;
}

fn start(scratch: &Scratch) -> Child {
    scratch.spawn(&["run"], true)
}

/// Sends SIGTERM and waits; returns the exit code, how long it took, and stderr.
async fn terminate(mut child: Child) -> (Option<i32>, Duration, String) {
    let pid = child.id().expect("pid").to_string();
    let started = Instant::now();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(status.success());
    let exit = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("stopped within 20 s")
        .expect("wait");
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err).await;
    }
    (exit.code(), started.elapsed(), err)
}

/// Requests for the bill itself (not the listing).
async fn bill_requests(api: &FakeApi) -> usize {
    api.requests()
        .await
        .iter()
        .filter(|r| r.url.path() == "/api/v1/Bills/3929")
        .count()
}

fn finished_checks(scratch: &Scratch) -> i64 {
    let Ok(conn) = rusqlite::Connection::open(scratch.db_path()) else {
        return 0;
    };
    conn.query_row(
        "SELECT count(*) FROM checks WHERE finished_at IS NOT NULL",
        [],
        |r| r.get(0),
    )
    .unwrap_or(0)
}

/// Alerts arrive once per change; SIGTERM in the middle of a check exits 0 promptly; a restart
/// neither loses nor repeats an alert.
#[tokio::test]
async fn worker_delivers_each_change_once_and_stops_cleanly() {
    let api = FakeApi::start().await;
    let tg = FakeTelegram::start().await;
    let scratch = Scratch::new();
    scratch.write_config(
        &api.uri(),
        &[BILL],
        &format!("{EVERY_2S}{}", telegram_section(&tg)),
    );
    serve_day(&api, "2025-02-01", None).await;

    let child = start(&scratch);
    wait_until("the first check", async || finished_checks(&scratch) >= 1).await;
    assert!(tg.sends().await.is_empty(), "first sight is silent");

    serve_day(&api, "2025-02-11", None).await;
    wait_until("the alerts for 10 February", async || {
        !tg.sends().await.is_empty()
    })
    .await;
    let checks = finished_checks(&scratch);
    wait_until("two more checks", async || {
        finished_checks(&scratch) >= checks + 2
    })
    .await;
    assert_eq!(tg.sends().await.len(), 1, "one digest of four alerts, once");

    // Parliament becomes slow: SIGTERM lands while a check waits for it.
    serve_day(&api, "2025-02-26", Some(Duration::from_secs(15))).await;
    let before = bill_requests(&api).await;
    wait_until("a check in progress", async || {
        bill_requests(&api).await > before
    })
    .await;
    let (code, took, stderr) = terminate(child).await;
    assert_eq!(code, Some(0), "{stderr}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert!(
        stderr.contains("check in progress was abandoned"),
        "{stderr}"
    );

    // Restart with Parliament answering again: the Committee stage alert comes once.
    serve_day(&api, "2025-02-26", None).await;
    let child = start(&scratch);
    wait_until("the committee alert", async || tg.sends().await.len() >= 2).await;
    let checks = finished_checks(&scratch);
    wait_until("two more checks", async || {
        finished_checks(&scratch) >= checks + 2
    })
    .await;
    let (code, _, stderr) = terminate(child).await;
    assert_eq!(code, Some(0), "{stderr}");
    let sends = tg.sends().await;
    assert_eq!(sends.len(), 2, "{sends:#?}");
    let text = sends[1].1["text"].as_str().expect("text");
    assert!(
        text.contains("Committee stage in the House of Commons took place on 25 February 2025"),
        "{text}"
    );
    assert!(!stderr.contains(TOKEN));
}

/// A bill added to the file is picked up on the next check; a broken edit keeps the old config
/// running and is reported (log and admin chat), once.
#[tokio::test]
async fn config_reload_adds_bills_and_survives_broken_edits() {
    let api = FakeApi::start().await;
    let tg = FakeTelegram::start().await;
    let scratch = Scratch::new();
    let extra = format!("{EVERY_2S}{}", telegram_section(&tg));
    scratch.write_config(&api.uri(), &[BILL], &extra);
    serve_day(&api, "2025-02-01", None).await;
    let other = |day: &str| {
        let (mut bill, stages) = border_security_on(date(day), 0);
        bill["billId"] = 4000.into();
        bill["shortTitle"] = "Other Bill".into();
        (bill, stages)
    };
    let (bill, stages) = other("2025-02-01");
    api.serve_bill(4000, bill, stages).await;

    let child = start(&scratch);
    wait_until("the first check", async || finished_checks(&scratch) >= 1).await;

    scratch.write_config(&api.uri(), &[BILL, 4000], &extra);
    wait_until("bill 4000 fetched", async || {
        api.requests()
            .await
            .iter()
            .any(|r| r.url.path() == "/api/v1/Bills/4000")
    })
    .await;

    // A broken edit: the worker keeps checking both bills and says why, once.
    std::fs::write(scratch.config_path(), "[[bills]]\nid = \"not a number\"\n").expect("write");
    wait_until("the admin notice", async || !tg.sends().await.is_empty()).await;
    let checks = finished_checks(&scratch);
    wait_until("two more checks", async || {
        finished_checks(&scratch) >= checks + 2
    })
    .await;
    // Bill 4000, from the last good config, is still watched: its next change is fetched.
    let fetched_4000 = async || {
        api.requests()
            .await
            .iter()
            .filter(|r| r.url.path() == "/api/v1/Bills/4000")
            .count()
    };
    let before = fetched_4000().await;
    let (bill, stages) = other("2025-02-11");
    api.serve_bill(4000, bill, stages).await;
    wait_until("bill 4000 fetched again", async || {
        fetched_4000().await > before
    })
    .await;
    let sends = tg.sends().await;
    assert_eq!(sends.len(), 1, "reported once: {sends:#?}");
    assert_eq!(sends[0].1["chat_id"], -1009999i64);
    let notice = sends[0].1["text"].as_str().expect("text");
    assert!(
        notice.contains("the edited config was not loaded"),
        "{notice}"
    );
    assert!(notice.contains("line 2"), "{notice}");

    let (code, _, stderr) = terminate(child).await;
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("config reloaded"), "{stderr}");
    let status = scratch.run(&["status", "--json"]).await;
    assert_eq!(
        status.code, 2,
        "the file on disk is still broken: {status:#?}"
    );
}

/// `health` fails before any check and when the last one is too old; passes after one.
#[tokio::test]
async fn health_follows_the_last_check() {
    let api = FakeApi::start().await;
    let scratch = Scratch::new();
    scratch.write_config(&api.uri(), &[BILL], "[schedule]\nhealth_max_age = \"2s\"\n");
    serve_day(&api, "2025-02-01", None).await;

    let run = scratch.run(&["health"]).await;
    run.assert_code(1);
    assert!(run.stdout.contains("no check has run yet"), "{run:#?}");

    scratch
        .run(&["--today", "2025-02-01", "check"])
        .await
        .assert_code(0);
    let run = scratch.run(&["--today", "2025-02-01", "health"]).await;
    run.assert_code(0);
    assert!(run.stdout.starts_with("healthy"), "{run:#?}");

    // `--today` moves the whole clock: a day later the last check is far too old.
    let run = scratch.run(&["--today", "2025-02-02", "health"]).await;
    run.assert_code(1);
    assert!(
        run.stdout.starts_with("unhealthy: last check finished"),
        "{run:#?}"
    );
}
