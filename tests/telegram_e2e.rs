//! Telegram delivery end to end: the real binary, a fake Bills API and a fake Bot API.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

fn telegram_section(tg: &FakeTelegram, admin: bool) -> String {
    let mut s = format!(
        "[telegram]\nchat = \"@bill_alerts\"\napi_url = \"{}\"\n",
        tg.uri()
    );
    if admin {
        s.push_str("admin_chat = \"-1009999\"\n");
    }
    s
}

async fn run_tg(scratch: &Scratch, args: &[&str]) -> Run {
    scratch
        .run_env(args, &[("TELEGRAM_BOT_TOKEN", TOKEN)])
        .await
}

/// Serves the Border Security bill as it was on `day`.
async fn serve_day(api: &FakeApi, day: &str) {
    api.reset().await;
    let (bill, stages) = border_security_on(date(day), 0);
    api.serve_bill(BILL, bill, stages).await;
}

fn texts(sends: &[(String, Value)]) -> Vec<String> {
    sends
        .iter()
        .map(|(_, b)| b["text"].as_str().unwrap_or("").to_owned())
        .collect()
}

fn assert_no_token(run: &Run) {
    for (name, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        assert!(
            !text.contains(TOKEN),
            "the token leaked into {name}:\n{text}"
        );
        assert!(
            !text.contains("AAtestSECRETtokenVALUE"),
            "the token's secret leaked into {name}:\n{text}"
        );
    }
}

/// One sendMessage per event across two separate runs, to the right chat, in HTML, escaped,
/// without a link preview.
#[tokio::test]
async fn each_alert_is_posted_once_across_runs() {
    let api = FakeApi::start().await;
    let tg = FakeTelegram::start().await;
    let scratch = Scratch::new();
    scratch.write_config(&api.uri(), &[BILL], &telegram_section(&tg, false));

    serve_day(&api, "2025-02-01").await;
    run_tg(&scratch, &["--today", "2025-02-01", "check"])
        .await
        .assert_code(0);
    assert!(tg.sends().await.is_empty(), "first sight is silent");

    // Three months on: five stages reached meanwhile.
    serve_day(&api, "2025-05-15").await;
    let run = run_tg(&scratch, &["--today", "2025-05-15", "check"]).await;
    run.assert_code(0);
    assert_no_token(&run);
    let run = run_tg(&scratch, &["--today", "2025-05-15", "check"]).await;
    run.assert_code(0);

    let sends = tg.sends().await;
    // Five alerts pending at once for one chat: one digest message.
    assert_eq!(sends.len(), 1, "{sends:#?}");
    let (token, body) = &sends[0];
    assert_eq!(token, TOKEN);
    assert_eq!(body["chat_id"], "@bill_alerts");
    assert_eq!(body["parse_mode"], "HTML");
    assert_eq!(body["link_preview_options"]["is_disabled"], true);
    let text = body["text"].as_str().expect("text");
    assert_eq!(
        text.matches("<b>Border Security, Asylum and Immigration Bill</b>")
            .count(),
        5
    );
    assert!(
        text.contains("2nd reading in the House of Commons took place on 10 February 2025."),
        "{text}"
    );
    assert!(
        text.contains("<a href=\"https://bills.example.test/bills/3929/stages\">"),
        "{text}"
    );

    // The next change is a single alert: a message of its own.
    serve_day(&api, "2025-06-05").await;
    run_tg(&scratch, &["--today", "2025-06-05", "check"])
        .await
        .assert_code(0);
    let sends = tg.sends().await;
    assert_eq!(sends.len(), 2);
    assert_eq!(
        texts(&sends)[1],
        "<b>Border Security, Asylum and Immigration Bill</b>\n\
         2nd reading in the House of Lords took place on 4 June 2025.\n\
         Next: Committee stage in the House of Lords.\n\
         <a href=\"https://bills.example.test/bills/3929/stages\">Stages of this bill</a>"
    );
    let status = run_tg(&scratch, &["status", "--json"]).await;
    let status: Value = serde_json::from_str(status.stdout.trim()).expect("json");
    assert_eq!(
        status["alerts"],
        serde_json::json!({"pending": 0, "sent": 6, "blocked": 0})
    );
}

/// A per-bill chat overrides the channel.
#[tokio::test]
async fn a_bill_can_have_its_own_chat() {
    let api = FakeApi::start().await;
    let tg = FakeTelegram::start().await;
    let scratch = Scratch::new();
    let extra = format!(
        "{}\n[[bills]]\nid = 3929\nchat = \"-1005550001\"\n",
        telegram_section(&tg, false)
    );
    scratch.write_config(&api.uri(), &[], &extra);
    serve_day(&api, "2025-02-01").await;
    run_tg(&scratch, &["--today", "2025-02-01", "check", "--announce"])
        .await
        .assert_code(0);
    let sends = tg.sends().await;
    assert_eq!(sends.len(), 1);
    assert_eq!(sends[0].1["chat_id"], -1005550001i64);
}

/// 429 with retry_after: the wait is honoured, then the alert goes once.
#[tokio::test]
async fn flood_control_wait_is_honoured() {
    let api = FakeApi::start().await;
    let tg = FakeTelegram::start().await;
    let scratch = Scratch::new();
    scratch.write_config(&api.uri(), &[BILL], &telegram_section(&tg, false));
    serve_day(&api, "2025-02-01").await;
    tg.next_sends(
        1,
        telegram_error(429, "Too Many Requests: retry after 2", Some(2)),
    )
    .await;
    let started = Instant::now();
    let run = run_tg(&scratch, &["--today", "2025-02-01", "check", "--announce"]).await;
    run.assert_code(0);
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "waited {:?}",
        started.elapsed()
    );
    let sends = tg.sends().await;
    assert_eq!(sends.len(), 2, "the refused try and the accepted one");
    assert_eq!(sends[0].1, sends[1].1, "the same message, sent again");
    let again = run_tg(&scratch, &["--today", "2025-02-01", "check"]).await;
    again.assert_code(0);
    assert_eq!(tg.sends().await.len(), 2, "nothing more");
}

/// A 500 from Telegram, then success: delivered once.
#[tokio::test]
async fn server_error_then_success_delivers_once() {
    let api = FakeApi::start().await;
    let tg = FakeTelegram::start().await;
    let scratch = Scratch::new();
    scratch.write_config(&api.uri(), &[BILL], &telegram_section(&tg, false));
    serve_day(&api, "2025-02-01").await;
    tg.next_sends(1, telegram_error(500, "Internal Server Error", None))
        .await;
    let run = run_tg(&scratch, &["--today", "2025-02-01", "check", "--announce"]).await;
    run.assert_code(0);
    assert_eq!(tg.sends().await.len(), 2);
    let status = run_tg(&scratch, &["status", "--json"]).await;
    let status: Value = serde_json::from_str(status.stdout.trim()).expect("json");
    assert_eq!(status["alerts"]["sent"], 1);
}

/// Chat not found: the alert is blocked, the operator told (once), the alert kept; after the
/// fix, `retry` delivers it once.
#[tokio::test]
async fn permanent_failure_blocks_then_retry_delivers_once() {
    let api = FakeApi::start().await;
    let tg = FakeTelegram::start().await;
    let scratch = Scratch::new();
    scratch.write_config(&api.uri(), &[BILL], &telegram_section(&tg, true));
    serve_day(&api, "2025-02-01").await;
    tg.next_sends(1, telegram_error(400, "Bad Request: chat not found", None))
        .await;
    let run = run_tg(&scratch, &["--today", "2025-02-01", "check", "--announce"]).await;
    run.assert_code(1);
    assert!(
        run.stderr.contains("chat @bill_alerts not found"),
        "{}",
        run.stderr
    );
    let sends = tg.sends().await;
    assert_eq!(
        sends.len(),
        2,
        "the refused alert, then the notice to the admin chat"
    );
    assert_eq!(sends[1].1["chat_id"], -1009999i64);
    assert!(
        texts(&sends)[1]
            .contains("billwatch cannot post to @bill_alerts: chat @bill_alerts not found")
    );

    let status = run_tg(&scratch, &["status"]).await;
    assert!(
        status
            .stdout
            .contains("alerts: 0 pending, 0 sent, 1 blocked"),
        "{}",
        status.stdout
    );
    assert!(
        status.stdout.contains("chat @bill_alerts not found"),
        "{}",
        status.stdout
    );

    // A later check does not try the blocked alert again on its own.
    run_tg(&scratch, &["--today", "2025-02-01", "check"])
        .await
        .assert_code(0);
    assert_eq!(tg.sends().await.len(), 2);

    // Fixed: `retry` sends it once.
    let run = run_tg(&scratch, &["--today", "2025-02-01", "retry"]).await;
    run.assert_code(0);
    assert!(
        run.stdout.contains("1 blocked alert(s) queued again"),
        "{}",
        run.stdout
    );
    let sends = tg.sends().await;
    assert_eq!(sends.len(), 3);
    assert_eq!(sends[2].1["chat_id"], "@bill_alerts");
    assert_eq!(sends[2].1["text"], sends[0].1["text"]);
    run_tg(&scratch, &["--today", "2025-02-01", "retry"])
        .await
        .assert_code(0);
    assert_eq!(tg.sends().await.len(), 3);
}

/// Killed while Telegram holds the request (it may have posted it): the restart sends it again.
/// This is the documented at-least-once window: one duplicate, never a loss.
#[tokio::test]
async fn killed_after_telegram_accepted_resends_on_restart() {
    let api = FakeApi::start().await;
    let tg = FakeTelegram::start().await;
    let scratch = Scratch::new();
    scratch.write_config(&api.uri(), &[BILL], &telegram_section(&tg, false));
    serve_day(&api, "2025-02-01").await;
    tg.next_sends(1, telegram_ok(77).set_delay(Duration::from_secs(30)))
        .await;
    let mut child = spawn_check(&scratch).await;
    wait_for_sends(&tg, 1).await;
    child.kill().await.expect("kill");

    let run = run_tg(&scratch, &["--today", "2025-02-01", "check"]).await;
    run.assert_code(0);
    let sends = tg.sends().await;
    assert_eq!(sends.len(), 2, "sent again after the restart");
    assert_eq!(sends[0].1, sends[1].1);
    run_tg(&scratch, &["--today", "2025-02-01", "check"])
        .await
        .assert_code(0);
    assert_eq!(tg.sends().await.len(), 2, "and then never again");
}

/// Killed before the alert went out (waiting on flood control): delivered once on restart.
#[tokio::test]
async fn killed_before_sending_delivers_once_on_restart() {
    let api = FakeApi::start().await;
    let tg = FakeTelegram::start().await;
    let scratch = Scratch::new();
    scratch.write_config(&api.uri(), &[BILL], &telegram_section(&tg, false));
    serve_day(&api, "2025-02-01").await;
    tg.next_sends(
        1,
        telegram_error(429, "Too Many Requests: retry after 60", Some(60)),
    )
    .await;
    let mut child = spawn_check(&scratch).await;
    wait_for_sends(&tg, 1).await;
    child.kill().await.expect("kill");

    run_tg(&scratch, &["--today", "2025-02-01", "check"])
        .await
        .assert_code(0);
    let sends = tg.sends().await;
    assert_eq!(sends.len(), 2, "the refused one, then one delivery");
    run_tg(&scratch, &["--today", "2025-02-01", "check"])
        .await
        .assert_code(0);
    assert_eq!(tg.sends().await.len(), 2);
}

async fn spawn_check(scratch: &Scratch) -> tokio::process::Child {
    scratch.spawn(&["--today", "2025-02-01", "check", "--announce"], false)
}

async fn wait_for_sends(tg: &FakeTelegram, n: usize) {
    wait_until(&format!("Telegram to get {n} message(s)"), async || {
        tg.sends().await.len() >= n
    })
    .await;
}

/// Telegram unreachable: the token appears nowhere in the output, even with every log on.
#[tokio::test]
async fn network_failure_never_prints_the_token() {
    let api = FakeApi::start().await;
    let scratch = Scratch::new();
    let dead =
        "[telegram]\nchat = \"@bill_alerts\"\napi_url = \"http://127.0.0.1:9\"\ntimeout = \"1s\"\n";
    scratch.write_config(&api.uri(), &[BILL], dead);
    serve_day(&api, "2025-02-01").await;
    let run = scratch
        .run_env(
            &["--today", "2025-02-01", "check", "--announce"],
            &[("TELEGRAM_BOT_TOKEN", TOKEN), ("RUST_LOG", "trace")],
        )
        .await;
    run.assert_code(1);
    assert!(
        run.stderr.contains("cannot reach Telegram"),
        "{}",
        run.stderr
    );
    assert_no_token(&run);
    let status = run_tg(&scratch, &["status"]).await;
    assert!(
        status.stdout.contains("alerts: 1 pending"),
        "{}",
        status.stdout
    );

    let test = scratch
        .run_env(
            &["test-telegram"],
            &[("TELEGRAM_BOT_TOKEN", TOKEN), ("RUST_LOG", "trace")],
        )
        .await;
    test.assert_code(1);
    assert_no_token(&test);
}

/// Many pending alerts for one chat: as few messages as fit, each under 4096 characters, every
/// alert in exactly one.
#[tokio::test]
async fn many_pending_alerts_go_as_digests_under_the_limit() {
    let api = FakeApi::start().await;
    let tg = FakeTelegram::start().await;
    let scratch = Scratch::new();
    let ids: Vec<u32> = (1..=30).map(|i| 5000 + i).collect();
    scratch.write_config(&api.uri(), &ids, &telegram_section(&tg, false));
    for id in &ids {
        let (mut bill, mut stages) = border_security_on(date("2025-03-01"), 0);
        bill["billId"] = (*id).into();
        bill["shortTitle"] = format!("Test Bill No. {id} & <Others>").into();
        for item in stages["items"].as_array_mut().expect("items") {
            item["id"] = (item["id"].as_u64().expect("id") + u64::from(*id) * 100).into();
        }
        api.serve_bill(*id, bill, stages).await;
    }
    let run = run_tg(&scratch, &["--today", "2025-03-01", "check", "--announce"]).await;
    run.assert_code(0);
    let sends = tg.sends().await;
    let all = texts(&sends);
    assert!(all.len() >= 2 && all.len() <= 3, "{} messages", all.len());
    for t in &all {
        assert!(
            t.encode_utf16().count() <= 4096,
            "{} chars",
            t.encode_utf16().count()
        );
    }
    for id in &ids {
        let needle = format!("<b>Test Bill No. {id} &amp; &lt;Others&gt;</b>");
        assert_eq!(
            all.iter()
                .map(|t| t.matches(&needle).count())
                .sum::<usize>(),
            1,
            "bill {id}"
        );
    }
}

/// `test-telegram` proves the setup, and says clearly what is wrong.
#[tokio::test]
async fn test_telegram_reports_each_chat() {
    let api = FakeApi::start().await;
    let tg = FakeTelegram::start().await;
    let scratch = Scratch::new();
    scratch.write_config(&api.uri(), &[BILL], &telegram_section(&tg, true));
    let run = run_tg(&scratch, &["test-telegram"]).await;
    run.assert_code(0);
    assert!(
        run.stdout.contains("the bot is @billwatch_test_bot"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("@bill_alerts: OK"), "{}", run.stdout);
    assert!(run.stdout.contains("-1009999: OK"), "{}", run.stdout);

    tg.next_sends(
        1,
        telegram_error(
            400,
            "Bad Request: need administrator rights in the channel chat",
            None,
        ),
    )
    .await;
    let run = run_tg(&scratch, &["test-telegram"]).await;
    run.assert_code(1);
    assert!(
        run.stdout.contains("is not an administrator"),
        "{}",
        run.stdout
    );

    // No token at all: a config error naming the variable.
    let run = scratch.run(&["check"]).await;
    run.assert_code(2);
    assert!(run.stderr.contains("TELEGRAM_BOT_TOKEN"), "{}", run.stderr);
}

/// A bill failing check after check is reported to the admin chat once, when it reaches the
/// threshold, and its recovery once; never once per failure.
#[tokio::test]
async fn failing_bill_is_reported_once_and_its_recovery_once() {
    let api = FakeApi::start().await;
    let tg = FakeTelegram::start().await;
    let scratch = Scratch::new();
    let extra = format!("{}failure_threshold = 3\n", telegram_section(&tg, true));
    scratch.write_config(&api.uri(), &[BILL], &extra);
    serve_day(&api, "2025-02-01").await;
    run_tg(&scratch, &["--today", "2025-02-01", "check"])
        .await
        .assert_code(0);

    api.reset().await;
    api.fail_bill(BILL, wiremock::ResponseTemplate::new(500))
        .await;
    let mut notices = Vec::new();
    for n in 1..=5 {
        run_tg(&scratch, &["--today", "2025-02-02", "check"])
            .await
            .assert_code(1);
        notices.push(tg.sends().await.len());
        if n < 3 {
            assert!(
                tg.sends().await.is_empty(),
                "no notice before the threshold (check {n})"
            );
        }
    }
    assert_eq!(notices, [0, 0, 1, 1, 1]);
    let sends = tg.sends().await;
    assert_eq!(sends[0].1["chat_id"], -1009999i64);
    assert!(
        texts(&sends)[0].contains("bill 3929 has failed 3 checks in a row"),
        "{:?}",
        texts(&sends)
    );

    serve_day(&api, "2025-02-02").await;
    run_tg(&scratch, &["--today", "2025-02-02", "check"])
        .await
        .assert_code(0);
    run_tg(&scratch, &["--today", "2025-02-02", "check"])
        .await
        .assert_code(0);
    let sends = tg.sends().await;
    assert_eq!(sends.len(), 2);
    assert!(texts(&sends)[1].contains(
        "bill 3929 (Border Security, Asylum and Immigration Bill) is being checked again"
    ));
}
