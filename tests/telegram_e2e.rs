//! Telegram delivery end to end: the real binary, a fake Bills API and a fake Bot API.

mod common;

use std::time::Duration;

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

    api.serve_day("2025-02-01", 0).await;
    scratch
        .run_tg(&["--today", "2025-02-01", "check"])
        .await
        .assert_code(0);
    assert!(tg.sends().await.is_empty(), "first sight is silent");

    // Three months on: five stages reached meanwhile.
    api.serve_day("2025-05-15", 0).await;
    let run = scratch.run_tg(&["--today", "2025-05-15", "check"]).await;
    run.assert_code(0);
    assert_no_token(&run);
    let run = scratch.run_tg(&["--today", "2025-05-15", "check"]).await;
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
    api.serve_day("2025-06-05", 0).await;
    scratch
        .run_tg(&["--today", "2025-06-05", "check"])
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
    let status = scratch.run_tg(&["status", "--json"]).await;
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
    api.serve_day("2025-02-01", 0).await;
    scratch
        .run_tg(&["--today", "2025-02-01", "check", "--announce"])
        .await
        .assert_code(0);
    let sends = tg.sends().await;
    assert_eq!(sends.len(), 1);
    assert_eq!(sends[0].1["chat_id"], -1005550001i64);
}

/// Chat not found: the alert is blocked, the operator told (once), the alert kept; after the
/// fix, `retry` delivers it once.
#[tokio::test]
async fn permanent_failure_blocks_then_retry_delivers_once() {
    let api = FakeApi::start().await;
    let tg = FakeTelegram::start().await;
    let scratch = Scratch::new();
    scratch.write_config(&api.uri(), &[BILL], &telegram_section(&tg, true));
    api.serve_day("2025-02-01", 0).await;
    tg.next_sends(1, telegram_error(400, "Bad Request: chat not found", None))
        .await;
    let run = scratch
        .run_tg(&["--today", "2025-02-01", "check", "--announce"])
        .await;
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

    let status = scratch.run_tg(&["status"]).await;
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
    scratch
        .run_tg(&["--today", "2025-02-01", "check"])
        .await
        .assert_code(0);
    assert_eq!(tg.sends().await.len(), 2);

    // Fixed: `retry` sends it once.
    let run = scratch.run_tg(&["--today", "2025-02-01", "retry"]).await;
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
    scratch
        .run_tg(&["--today", "2025-02-01", "retry"])
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
    api.serve_day("2025-02-01", 0).await;
    tg.next_sends(1, telegram_ok(77).set_delay(Duration::from_secs(30)))
        .await;
    let mut child = spawn_check(&scratch).await;
    wait_for_sends(&tg, 1).await;
    child.kill().await.expect("kill");

    let run = scratch.run_tg(&["--today", "2025-02-01", "check"]).await;
    run.assert_code(0);
    let sends = tg.sends().await;
    assert_eq!(sends.len(), 2, "sent again after the restart");
    assert_eq!(sends[0].1, sends[1].1);
    scratch
        .run_tg(&["--today", "2025-02-01", "check"])
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
    api.serve_day("2025-02-01", 0).await;
    tg.next_sends(
        1,
        telegram_error(429, "Too Many Requests: retry after 60", Some(60)),
    )
    .await;
    let mut child = spawn_check(&scratch).await;
    wait_for_sends(&tg, 1).await;
    child.kill().await.expect("kill");

    scratch
        .run_tg(&["--today", "2025-02-01", "check"])
        .await
        .assert_code(0);
    let sends = tg.sends().await;
    assert_eq!(sends.len(), 2, "the refused one, then one delivery");
    scratch
        .run_tg(&["--today", "2025-02-01", "check"])
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

/// Telegram unreachable: the token appears nowhere in what the binary prints, even with every
/// log on. The binary is stopped after its first failed try: the retries and giving up are
/// telegram_paused `five_transient_failures_give_up_with_the_alert_pending`, the exit code of
/// a round given up is `a_delivery_given_up_keeps_the_alert_and_fails_the_check`.
#[tokio::test]
async fn network_failure_never_prints_the_token() {
    let api = FakeApi::start().await;
    let scratch = Scratch::new();
    let dead =
        "[telegram]\nchat = \"@bill_alerts\"\napi_url = \"http://127.0.0.1:9\"\ntimeout = \"1s\"\n";
    scratch.write_config(&api.uri(), &[BILL], dead);
    api.serve_day("2025-02-01", 0).await;
    let run = until_printed(
        &scratch,
        &["--today", "2025-02-01", "check", "--announce"],
        "cannot reach Telegram",
    )
    .await;
    assert_no_token(&run);
    let status = scratch.run_tg(&["status"]).await;
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
    assert!(
        test.stdout.contains("cannot reach Telegram")
            || test.stderr.contains("cannot reach Telegram"),
        "{test:#?}"
    );
    assert_no_token(&test);
}

/// Runs the binary with every log on until its log shows `needle`, then kills it: what it
/// printed by then (the exit code is that of the kill).
async fn until_printed(scratch: &Scratch, args: &[&str], needle: &str) -> Run {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_billwatch"))
        .arg("--config")
        .arg(scratch.config_path())
        .args(args)
        .current_dir(scratch.dir.path())
        .env_remove("BILLWATCH_CONFIG")
        .env("TELEGRAM_BOT_TOKEN", TOKEN)
        .env("RUST_LOG", "trace")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn billwatch");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr"));
    let mut stderr = String::new();
    let seen = tokio::time::timeout(Duration::from_secs(30), async {
        while lines.read_line(&mut stderr).await.expect("read") > 0 {
            if stderr.contains(needle) {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(seen, Ok(true), "no {needle:?} in:\n{stderr}");
    child.kill().await.expect("kill");
    lines
        .read_to_string(&mut stderr)
        .await
        .expect("rest of stderr");
    let mut stdout = String::new();
    let mut out = child.stdout.take().expect("stdout");
    out.read_to_string(&mut stdout).await.expect("stdout");
    Run {
        code: -1,
        stdout,
        stderr,
    }
}

/// A delivery round given up (here: Telegram asks for a wait longer than billwatch honours)
/// keeps the alert pending and fails the check, without printing the token.
#[tokio::test]
async fn a_delivery_given_up_keeps_the_alert_and_fails_the_check() {
    let api = FakeApi::start().await;
    let tg = FakeTelegram::start().await;
    let scratch = Scratch::new();
    scratch.write_config(&api.uri(), &[BILL], &telegram_section(&tg, false));
    api.serve_day("2025-02-01", 0).await;
    tg.next_sends(
        1,
        telegram_error(429, "Too Many Requests: retry after 600", Some(600)),
    )
    .await;
    let run = scratch
        .run_tg(&["--today", "2025-02-01", "check", "--announce"])
        .await;
    run.assert_code(1);
    assert!(
        run.stderr
            .contains("kept for the next try: Telegram asked to wait 600s"),
        "{}",
        run.stderr
    );
    assert_no_token(&run);
    let status = scratch.run_tg(&["status"]).await;
    assert!(
        status.stdout.contains("alerts: 1 pending"),
        "{}",
        status.stdout
    );
    assert_eq!(tg.sends().await.len(), 1, "tried once");
}

/// `test-telegram` proves the setup, and says clearly what is wrong.
#[tokio::test]
async fn test_telegram_reports_each_chat() {
    let api = FakeApi::start().await;
    let tg = FakeTelegram::start().await;
    let scratch = Scratch::new();
    scratch.write_config(&api.uri(), &[BILL], &telegram_section(&tg, true));
    let run = scratch.run_tg(&["test-telegram"]).await;
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
    let run = scratch.run_tg(&["test-telegram"]).await;
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
    api.serve_day("2025-02-01", 0).await;
    scratch
        .run_tg(&["--today", "2025-02-01", "check"])
        .await
        .assert_code(0);

    api.reset().await;
    api.fail_bill(BILL, wiremock::ResponseTemplate::new(500))
        .await;
    let mut notices = Vec::new();
    for n in 1..=5 {
        scratch
            .run_tg(&["--today", "2025-02-02", "check"])
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
        texts(&sends)[0].contains(
            "bill 3929 (Border Security, Asylum and Immigration Bill) has failed 3 checks in a row"
        ),
        "{:?}",
        texts(&sends)
    );

    api.serve_day("2025-02-02", 0).await;
    scratch
        .run_tg(&["--today", "2025-02-02", "check"])
        .await
        .assert_code(0);
    scratch
        .run_tg(&["--today", "2025-02-02", "check"])
        .await
        .assert_code(0);
    let sends = tg.sends().await;
    assert_eq!(sends.len(), 2);
    assert!(texts(&sends)[1].contains(
        "bill 3929 (Border Security, Asylum and Immigration Bill) is being checked again"
    ));
}

/// `validate` asks no server; a `[telegram]` section that cannot work — no token, a malformed
/// one, an unreadable token file, no chat — is a config error (exit 2) saying what to fix, each
/// cause said once.
#[tokio::test]
async fn validate_refuses_a_telegram_section_that_cannot_work() {
    let api = FakeApi::start().await;
    let tg = FakeTelegram::start().await;
    let scratch = Scratch::new();
    let section = telegram_section(&tg, true);
    scratch.write_config(&api.uri(), &[BILL], &section);
    let run = scratch.run_tg(&["validate"]).await;
    run.assert_code(0);
    assert!(run.stdout.contains("bot token: present"), "{}", run.stdout);

    let run = scratch.run(&["validate"]).await;
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("[telegram] section cannot work: no Telegram bot token")
            && run.stderr.contains("TELEGRAM_BOT_TOKEN"),
        "{}",
        run.stderr
    );
    assert!(!run.stdout.contains("is valid"), "{}", run.stdout);

    let malformed = [("TELEGRAM_BOT_TOKEN", "not-a-token")];
    let run = scratch.run_env(&["validate"], &malformed).await;
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("does not look like a Telegram bot token"),
        "{}",
        run.stderr
    );

    let missing = scratch.path("no-such-token");
    let with_file = format!("{section}token_file = \"{}\"\n", missing.display());
    scratch.write_config(&api.uri(), &[BILL], &with_file);
    for cmd in ["validate", "check"] {
        let run = scratch.run(&[cmd]).await;
        run.assert_code(2);
        assert!(
            run.stderr.contains("cannot read the bot token file"),
            "{cmd}: {}",
            run.stderr
        );
        assert_eq!(
            run.stderr.matches("No such file or directory").count(),
            1,
            "{cmd}: the cause said once: {}",
            run.stderr
        );
    }

    let no_chat = format!("[telegram]\napi_url = \"{}\"\n", tg.uri());
    scratch.write_config(&api.uri(), &[BILL], &no_chat);
    let run = scratch.run_tg(&["validate"]).await;
    run.assert_code(2);
    assert!(
        run.stderr.contains("missing field `chat`"),
        "{}",
        run.stderr
    );

    assert!(
        tg.calls("getMe").await.is_empty(),
        "validate asked Telegram"
    );
    assert!(tg.sends().await.is_empty(), "validate sent a message");
}

/// No command panics when its reader has gone (`billwatch test-telegram | head -1`): what
/// it would print is dropped quietly and the command still does its work.
#[tokio::test]
async fn no_command_panics_on_a_closed_stdout() {
    let api = FakeApi::start().await;
    let tg = FakeTelegram::start().await;
    let scratch = Scratch::new();
    // The site is the fake API too: `verify` asks it for pages, and gets 404s.
    scratch.write_config_site(
        &api.uri(),
        &api.uri(),
        "",
        &[BILL],
        &telegram_section(&tg, true),
    );
    api.serve_day("2025-02-01", 0).await;
    let commands: &[&[&str]] = &[
        &["test-telegram"],
        &["validate"],
        &["status"],
        &["check", "--json"],
        &["check", "--dry-run"],
        &["status"],
        &["status", "--json"],
        &["show", "3929", "--source", "api"],
        &["verify", "3929"],
        &["retry"],
        &["health"],
    ];
    for args in commands {
        let run = scratch.run_stdout_closed(args).await;
        assert!(
            !run.stderr.contains("panicked") && run.code != 101,
            "{args:?} panicked on a closed stdout: {run:#?}"
        );
    }
    // test-telegram still sent its messages, each chat's.
    assert_eq!(tg.sends().await.len(), 2);
}

/// A console alert that could not be printed (stdout closed) is not marked sent unseen: the
/// next delivery prints it.
#[tokio::test]
async fn a_console_alert_not_printed_stays_pending() {
    let api = FakeApi::start().await;
    let scratch = Scratch::new();
    scratch.write_config(&api.uri(), &[BILL], "");
    api.serve_day("2025-02-01", 0).await;
    let run = scratch
        .run_stdout_closed(&["--today", "2025-02-01", "check", "--announce"])
        .await;
    assert!(!run.stderr.contains("panicked"), "{run:#?}");
    let run = scratch.run(&["--today", "2025-02-01", "check"]).await;
    run.assert_code(0);
    assert!(run.stdout.contains("[tracking_started]"), "{run:#?}");
    let run = scratch.run(&["--today", "2025-02-01", "check"]).await;
    assert!(!run.stdout.contains("[tracking_started]"), "printed once");
}
