//! `billwatch run` end to end: the real worker on a schedule of a few seconds, against fake
//! Parliament and Telegram servers; SIGTERM, restarts, config reload (a follow rule taken out),
//! health.

mod common;

use std::time::{Duration, Instant};

use common::*;
use tokio::io::AsyncReadExt;
use tokio::process::Child;

const EVERY_SECOND: &str = "[schedule]\ncron = \"* * * * * *\"\n";

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

/// The real binary's `run`: SIGTERM in the middle of a check exits 0 promptly, and a restart
/// neither loses nor repeats the alerts. (The schedule, each change once over many checks, and
/// config reload are tested in-process, in paused time, in `worker.rs`.)
#[tokio::test]
async fn sigterm_mid_check_exits_cleanly_and_a_restart_delivers_once() {
    let api = FakeApi::start().await;
    let tg = FakeTelegram::start().await;
    let scratch = Scratch::new();
    scratch.write_config(
        &api.uri(),
        &[BILL],
        &format!("{EVERY_SECOND}{}", telegram_section(&tg)),
    );
    serve_day(&api, "2025-02-01", None).await;

    let child = start(&scratch);
    wait_until("the first check", async || finished_checks(&scratch) >= 1).await;
    assert!(tg.sends().await.is_empty(), "first sight is silent");

    // Parliament becomes slow: SIGTERM lands while a check waits for it.
    serve_day(&api, "2025-02-26", Some(Duration::from_secs(15))).await;
    let before = bill_requests(&api).await;
    wait_until("a check in progress", async || {
        bill_requests(&api).await > before
    })
    .await;
    let (code, took, stderr) = terminate(child).await;
    assert_eq!(code, Some(0), "{stderr}");
    // Not a timing goal (the paused-time worker test shows shutdown during a check, and the
    // README gives the measured figure, about 1 s): only that it did not wait for the answer
    // Parliament holds back for 15 s. A tight bound here failed once on a loaded machine.
    assert!(took < Duration::from_secs(12), "took {took:?}");
    assert!(
        stderr.contains("check in progress was abandoned"),
        "{stderr}"
    );
    assert!(tg.sends().await.is_empty(), "nothing half-done was sent");

    // Restart with Parliament answering again: what happened meanwhile comes once.
    serve_day(&api, "2025-02-26", None).await;
    let child = start(&scratch);
    wait_until("the alerts", async || !tg.sends().await.is_empty()).await;
    let checks = finished_checks(&scratch);
    wait_until("one more check", async || {
        finished_checks(&scratch) > checks
    })
    .await;
    let (code, _, stderr) = terminate(child).await;
    assert_eq!(code, Some(0), "{stderr}");
    let sends = tg.sends().await;
    assert_eq!(sends.len(), 1, "one digest, once: {sends:#?}");
    let text = sends[0].1["text"].as_str().expect("text");
    for line in [
        "2nd reading in the House of Commons took place on 10 February 2025",
        "Committee stage in the House of Commons took place on 25 February 2025",
    ] {
        assert!(text.contains(line), "{text}");
    }
    assert!(!stderr.contains(TOKEN));
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

/// Serves bill 4000, "Other Bill", shaped as the Border Security bill on `day`.
async fn serve_other(api: &FakeApi, day: &str) {
    let (mut other, stages) = border_security_on(date(day), 0);
    other["billId"] = 4000.into();
    other["shortTitle"] = "Other Bill".into();
    api.serve_bill(4000, other, stages).await;
}

/// A `[[follow]]` rule taken out of the config file while the real binary's `run` runs: the
/// worker re-reads the file before its next check, and the bill the rule brought in is no
/// longer fetched when Parliament changes it; `status` says it is no longer tracked and its
/// history is kept.
#[tokio::test]
async fn a_rule_removed_while_run_runs_stops_tracking_its_bills() {
    let api = FakeApi::start().await;
    let scratch = Scratch::new();
    let rule = "[[follow]]\nname = \"Other\"\nsearch = \"other\"\nsession = \"all\"\n";
    scratch.write_config(&api.uri(), &[BILL], &format!("{EVERY_SECOND}{rule}"));
    serve_day(&api, "2025-02-01", None).await;
    serve_other(&api, "2025-02-01").await;
    let fetched = async || {
        api.requests()
            .await
            .iter()
            .filter(|r| r.url.path() == "/api/v1/Bills/4000")
            .count()
    };

    let child = start(&scratch);
    wait_until("the rule's bill recorded", async || {
        stored_snapshot(&scratch.db_path(), 4000).is_some()
    })
    .await;
    scratch.write_config(&api.uri(), &[BILL], EVERY_SECOND);
    // A check begun before the edit may still use the rule: wait for one begun after it.
    let checks = finished_checks(&scratch);
    wait_until("two more checks", async || {
        finished_checks(&scratch) > checks + 1
    })
    .await;
    serve_other(&api, "2025-02-11").await;
    let before = fetched().await;
    let checks = finished_checks(&scratch);
    wait_until("two more checks", async || {
        finished_checks(&scratch) > checks + 1
    })
    .await;
    let (code, _, stderr) = terminate(child).await;
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(fetched().await, before, "no longer fetched");

    let status = scratch.run(&["status", "--json"]).await;
    status.assert_code(0);
    let json: serde_json::Value = serde_json::from_str(status.stdout.trim()).expect("JSON");
    let other = json["bills"]
        .as_array()
        .expect("bills")
        .iter()
        .find(|b| b["bill_id"] == 4000)
        .expect("bill 4000 kept")
        .clone();
    assert_eq!(
        (&other["tracked"], &other["rule"], &other["title"]),
        (
            &serde_json::json!(false),
            &serde_json::Value::Null,
            &serde_json::json!("Other Bill")
        )
    );
    assert_eq!(json["rules"], serde_json::json!([]));
}
