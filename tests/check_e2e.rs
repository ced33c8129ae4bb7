//! End to end: the real binary against a fake Bills API, across separate processes sharing one
//! database.

mod common;

use common::*;
use wiremock::ResponseTemplate;

/// The start of the Border Security bill's journey through the binary, each check a separate
/// process sharing one database, each run twice: every alert once, in order (the whole journey
/// is played in process in check_in_process.rs). The `--json` summary has its full shape.
#[tokio::test]
async fn a_short_journey_alerts_once_each_in_order() {
    let api = FakeApi::start().await;
    let scratch = Scratch::new();
    scratch.write_config(
        &api.uri(),
        &[BILL],
        "[alerts]\nkinds = \"all\"\nstages = \"all\"\n",
    );
    let mut all = Vec::new();
    for today in ["2025-01-30", "2025-02-05", "2025-02-11"] {
        let (bill, stages) = border_security_on(date(today), 7);
        api.reset().await;
        api.serve_bill(BILL, bill, stages).await;
        let first = scratch.run(&["--today", today, "check", "--json"]).await;
        first.assert_code(0);
        for line in first.alert_lines() {
            all.push(format!("{today}: {line}"));
        }
        if today == "2025-01-30" {
            assert_eq!(
                first.summary(),
                serde_json::json!({
                    "type": "summary", "bills": 1, "bills_ok": 1, "bills_failed": 0,
                    "first_seen": 1, "new_alerts": 0, "delivered": 0, "requests": 3,
                    "fetched": 1,
                    "listing": {"state": "not_used", "changed": null, "error": null},
                })
            );
        }
        let again = scratch.run(&["--today", today, "check", "--json"]).await;
        again.assert_code(0);
        assert_eq!(again.alerts().len(), 0, "repeat on {today}: {again:#?}");
    }
    let expected = [
        "2025-02-05: stage_scheduled 2nd reading | Commons | 2025-02-10",
        "2025-02-05: stage_scheduled Programme motion | Commons | 2025-02-10",
        "2025-02-05: stage_scheduled Money resolution | Commons | 2025-02-10",
        "2025-02-05: stage_scheduled Ways and Means resolution | Commons | 2025-02-10",
        "2025-02-11: stage_reached 2nd reading | Commons | 2025-02-10",
        "2025-02-11: stage_reached Programme motion | Commons | 2025-02-10",
        "2025-02-11: stage_reached Money resolution | Commons | 2025-02-10",
        "2025-02-11: stage_reached Ways and Means resolution | Commons | 2025-02-10",
    ];
    let got: Vec<&str> = all.iter().map(String::as_str).collect();
    assert_eq!(got, expected, "\nall alerts:\n{}", all.join("\n"));
}

/// A failure through the binary: exit 1, no alert, an error line naming the bill, the stored
/// state as it was; the next good answer brings the alert once and `status` shows the bill
/// healthy. (Every kind of failure is played in process in check_in_process.rs.)
#[tokio::test]
async fn a_failure_leaves_state_untouched_and_loses_nothing() {
    let api = FakeApi::start().await;
    let scratch = Scratch::new();
    scratch.write_config(&api.uri(), &[BILL], "");

    let (bill, stages) = border_security_on(date("2025-02-01"), 0);
    api.serve_bill(BILL, bill, stages).await;
    scratch
        .run(&["--today", "2025-02-01", "check", "--json"])
        .await
        .assert_code(0);
    let before = stored_snapshot(&scratch.db_path(), BILL).expect("recorded");

    api.reset().await;
    api.fail_bill(
        BILL,
        ResponseTemplate::new(500).set_body_string("Internal Server Error"),
    )
    .await;
    let run = scratch
        .run(&["--today", "2025-02-12", "check", "--json"])
        .await;
    run.assert_code(1);
    assert!(run.alerts().is_empty(), "{run:#?}");
    assert_eq!(run.summary()["bills_failed"], 1);
    assert_eq!(
        stored_snapshot(&scratch.db_path(), BILL).as_deref(),
        Some(before.as_str()),
        "state changed"
    );
    assert_eq!(alert_count(&scratch.db_path()), 0);
    let error = run
        .json_lines()
        .into_iter()
        .find(|v| v["type"] == "error")
        .expect("error line");
    assert!(
        error["error"].as_str().expect("text").contains("bill 3929"),
        "{error}"
    );

    // Parliament answers again: what happened meanwhile arrives, once.
    api.reset().await;
    let (bill, stages) = border_security_on(date("2025-02-12"), 0);
    api.serve_bill(BILL, bill, stages).await;
    let run = scratch
        .run(&["--today", "2025-02-12", "check", "--json"])
        .await;
    run.assert_code(0);
    assert_eq!(
        run.alert_lines(),
        ["stage_reached 2nd reading | Commons | 2025-02-10"]
    );
    let status = scratch.run(&["status", "--json"]).await;
    status.assert_code(0);
    let status: serde_json::Value =
        serde_json::from_str(status.stdout.trim()).expect("status JSON");
    assert_eq!(status["bills"][0]["consecutive_failures"], 0);
    assert_eq!(status["alerts"]["sent"], 1);
}

/// A 404 says "no such bill"; one failing bill never stops the others.
#[tokio::test]
async fn one_failing_bill_does_not_stop_the_others() {
    let api = FakeApi::start().await;
    let scratch = Scratch::new();
    scratch.write_config(&api.uri(), &[4040, BILL], "");
    let (bill, stages) = border_security_on(date("2025-02-01"), 0);
    api.serve_bill(BILL, bill, stages).await;
    api.fail_bill(4040, ResponseTemplate::new(404)).await;

    let run = scratch.run(&["--today", "2025-02-01", "check"]).await;
    run.assert_code(1);
    assert!(run.stdout.contains("bill 4040: no such bill"), "{run:#?}");
    assert!(
        run.stdout
            .contains("Not Found); check the bill's id or URL in the config"),
        "the config named it: {run:#?}"
    );
    assert!(
        run.stdout.contains("checked 2 bill(s): 1 ok, 1 failed"),
        "{run:#?}"
    );
    assert!(stored_snapshot(&scratch.db_path(), BILL).is_some());
    assert!(stored_snapshot(&scratch.db_path(), 4040).is_none());
    // A 404 is not retried: it cannot get better by asking again.
    let asked_4040 = api
        .requests()
        .await
        .iter()
        .filter(|r| r.url.path().contains("/4040"))
        .count();
    assert_eq!(asked_4040, 1);
}

/// A 5xx is retried (parliament.retries) before the bill counts as failed.
#[tokio::test]
async fn server_errors_are_retried() {
    let api = FakeApi::start().await;
    let scratch = Scratch::new();
    scratch.write_config(&api.uri(), &[BILL], "");
    // One 503, then the real answer.
    wiremock::Mock::given(wiremock::matchers::path("/api/v1/Bills/3929"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&api.server)
        .await;
    let (bill, stages) = border_security_on(date("2025-02-11"), 0);
    api.serve_bill(BILL, bill, stages).await;
    let run = scratch
        .run(&["--today", "2025-02-11", "check", "--json"])
        .await;
    run.assert_code(0);
    assert_eq!(
        run.summary()["requests"],
        4,
        "503, retry, stages, documents"
    );
}

/// A bill with more stages than one page holds: every page is fetched.
#[tokio::test]
async fn all_pages_of_stages_are_fetched() {
    let api = FakeApi::start().await;
    let scratch = Scratch::new();
    scratch.write_config(&api.uri(), &[777], "");
    let items: Vec<serde_json::Value> = (1..=45)
        .map(|i| {
            serde_json::json!({
                "id": 5000 + i, "stageId": 14, "sessionId": 40, "description": "Programme motion",
                "abbreviation": null, "house": "Commons", "sortOrder": i,
                "stageSittings": [{"id": 9000 + i, "stageId": 14, "billStageId": 5000 + i, "billId": 777,
                                    "date": "2025-03-01T00:00:00"}]
            })
        })
        .collect();
    let bill = serde_json::json!({"billId": 777, "shortTitle": "Long Bill", "isAct": false, "isDefeated": false,
                                  "currentHouse": "Commons", "lastUpdate": "2025-03-01T10:00:00.1234567"});
    api.serve_bill(777, bill, serde_json::json!({"items": items}))
        .await;
    let run = scratch.run(&["show", "777", "--json"]).await;
    run.assert_code(0);
    let shown: serde_json::Value = serde_json::from_str(run.stdout.trim()).expect("json");
    assert_eq!(shown["stages"].as_array().expect("stages").len(), 45);
    let pages = api
        .requests()
        .await
        .iter()
        .filter(|r| r.url.path().ends_with("/Stages"))
        .count();
    assert_eq!(pages, 3);
    // `show` keeps no state.
    assert!(!scratch.db_path().exists());
}

/// `--announce` tells subscribers where a newly tracked bill stands; without it, silence.
#[tokio::test]
async fn announce_on_first_sight() {
    let api = FakeApi::start().await;
    let scratch = Scratch::new();
    scratch.write_config(&api.uri(), &[BILL], "");
    let (bill, stages) = border_security_on(date("2025-03-05"), 0);
    api.serve_bill(BILL, bill, stages).await;
    let run = scratch
        .run(&["--today", "2025-03-05", "check", "--announce", "--json"])
        .await;
    run.assert_code(0);
    assert_eq!(
        run.alert_lines(),
        ["tracking_started Committee stage | Commons | 2025-02-25"]
    );
    let text = run.alerts()[0]["text"].as_str().expect("text").to_owned();
    assert_eq!(
        text,
        "Border Security, Asylum and Immigration Bill\n\
         Now tracking this bill. Latest stage: Committee stage in the House of Commons, 25 February 2025.\n\
         What this means: the bill is examined line by line and changes (amendments) are voted on.\n\
         Next: Report stage in the House of Commons.\n\
         Stages of this bill: https://bills.example.test/bills/3929/stages"
    );
    // Announcing again changes nothing: the bill is no longer new.
    let again = scratch
        .run(&["--today", "2025-03-05", "check", "--announce", "--json"])
        .await;
    assert!(again.alerts().is_empty());
}

/// `--dry-run` prints what would be sent and writes nothing, not even a database.
#[tokio::test]
async fn dry_run_touches_no_state() {
    let api = FakeApi::start().await;
    let scratch = Scratch::new();
    scratch.write_config(&api.uri(), &[BILL], "");
    let (bill, stages) = border_security_on(date("2025-02-01"), 0);
    api.serve_bill(BILL, bill, stages).await;
    let run = scratch
        .run(&["--today", "2025-02-01", "check", "--dry-run", "--announce"])
        .await;
    run.assert_code(0);
    assert!(
        run.stdout.contains("[would send: tracking_started]"),
        "{run:#?}"
    );
    assert!(!scratch.db_path().exists());

    scratch
        .run(&["--today", "2025-02-01", "check"])
        .await
        .assert_code(0);
    let before = stored_snapshot(&scratch.db_path(), BILL);
    api.reset().await;
    let (bill, stages) = border_security_on(date("2025-02-11"), 0);
    api.serve_bill(BILL, bill, stages).await;
    let run = scratch
        .run(&["--today", "2025-02-11", "check", "--dry-run", "--json"])
        .await;
    assert_eq!(run.alerts().len(), 1);
    assert_eq!(stored_snapshot(&scratch.db_path(), BILL), before);
    assert_eq!(alert_count(&scratch.db_path()), 0);
}

/// Bad configs: the text, where the message places the mistake, and what it says.
const BAD_CONFIGS: &[(&str, &str, &str)] = &[
    (
        "[[bills]]\nid = 3929\ncolour = \"red\"\n",
        "line 3",
        "unknown field `colour`",
    ),
    (
        "[[bills]]\nurl = \"https://bills.parliament.uk/acts/3929\"\n",
        "line 2",
        "not a bill page",
    ),
    (
        "[[bills]]\nid = 3929\n[[bills]]\nurl = \"https://bills.parliament.uk/bills/3929/stages\"\n",
        "line 4",
        "listed twice",
    ),
    (
        "[parliament]\ntimeout = 30\n[[bills]]\nid = 1\n",
        "line 2",
        "timeout",
    ),
    (
        "timezone = \"Mars/Olympus\"\n[[bills]]\nid = 1\n",
        "key `timezone`",
        "not a known time zone",
    ),
    (
        "[telegram]\nchat = \"@billwatch_test\"\ntoken = \"123:abc\"\n[[bills]]\nid = 1\n",
        "key `telegram.token`",
        "TELEGRAM_BOT_TOKEN",
    ),
    (
        "[parliament]\nmax_concurrent = 0\n[[bills]]\nid = 1\n",
        "line 2",
        "out of range",
    ),
    (
        "[alerts]\nstages = [\"2nd reading\", \"Third reading\"]\n[[bills]]\nid = 1\n",
        "key `alerts.stages`",
        "\"Third reading\" is not a stage Parliament uses",
    ),
    (
        "[alerts]\nkinds = [\"stage_reached\", \"stage_started\"]\n[[bills]]\nid = 1\n",
        "key `alerts.kinds`",
        "\"stage_started\" is not an alert kind",
    ),
    (
        "[[bills]]\nid = 1\nalerts = { stages = \"some\" }\n",
        "key `bills[0].alerts.stages`",
        "is not \"major\", \"all\"",
    ),
    (
        "[alerts]\nmode = \"weekly\"\n[[bills]]\nid = 1\n",
        "line 2",
        "use \"instant\" or \"daily\"",
    ),
    // A bill's URL is on bills.parliament.uk (or the configured site), nowhere else.
    (
        "[[bills]]\nurl = \"https://example.com/bills/3929\"\n",
        "line 2, key `bills[0].url`",
        "is not a page of bills.parliament.uk",
    ),
    // A config that watches nothing says what to add.
    (
        "[parliament]\nretries = 1\n",
        "key `bills`",
        "nothing to watch: add at least one [[bills]] entry",
    ),
];

/// A bad config gives exit 2 and a message naming file, line and key; nothing is touched.
#[tokio::test]
async fn bad_configs_exit_2_with_file_line_and_key() {
    let scratch = Scratch::new();
    for &(text, place, message) in BAD_CONFIGS {
        std::fs::write(scratch.config_path(), text).expect("write");
        for cmd in [&["validate"][..], &["check"][..]] {
            let run = scratch.run(cmd).await;
            run.assert_code(2);
            let path = scratch.config_path().display().to_string();
            assert!(run.stderr.contains(&path), "{text:?}: {}", run.stderr);
            assert!(run.stderr.contains(place), "{text:?}: {}", run.stderr);
            assert!(run.stderr.contains(message), "{text:?}: {}", run.stderr);
            // The token must not be echoed back.
            assert!(!run.stderr.contains("123:abc"), "{}", run.stderr);
        }
        assert!(!scratch.db_path().exists(), "{text:?} touched the database");
    }
    // A missing file says so and how to fix it.
    let run = tokio::process::Command::new(env!("CARGO_BIN_EXE_billwatch"))
        .args(["--config", "/nonexistent/billwatch.toml", "validate"])
        .output()
        .await
        .expect("ran");
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("does not exist"));
}

/// A bill named on the command line by a URL on another site is refused like one in the
/// config.
#[tokio::test]
async fn a_bill_url_on_another_site_is_refused_on_the_command_line() {
    let scratch = Scratch::new();
    std::fs::write(scratch.config_path(), "[[bills]]\nid = 1\n").expect("write");
    let run = scratch
        .run(&["show", "https://example.com/bills/3929"])
        .await;
    run.assert_code(2);
    assert!(
        run.stderr.contains("is not a page of bills.parliament.uk"),
        "{}",
        run.stderr
    );
}

/// A database that is not a billwatch database, or from a newer version, is refused and left
/// exactly as it was.
#[tokio::test]
async fn corrupt_or_newer_database_is_never_overwritten() {
    let api = FakeApi::start().await;
    let scratch = Scratch::new();
    scratch.write_config(&api.uri(), &[BILL], "");
    let (bill, stages) = border_security_on(date("2025-02-01"), 0);
    api.serve_bill(BILL, bill, stages).await;
    std::fs::create_dir_all(scratch.path("data")).expect("mkdir");

    std::fs::write(
        scratch.db_path(),
        b"this is not a database, but someone's notes",
    )
    .expect("write");
    let run = scratch.run(&["check"]).await;
    run.assert_code(1);
    assert!(
        run.stderr
            .contains("is not a billwatch database, or it is damaged"),
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read(scratch.db_path()).expect("read"),
        b"this is not a database, but someone's notes"
    );

    std::fs::remove_file(scratch.db_path()).expect("rm");
    scratch.run(&["check"]).await.assert_code(0);
    {
        let conn = rusqlite::Connection::open(scratch.db_path()).expect("db");
        conn.pragma_update(None, "user_version", 99).expect("bump");
    }
    let run = scratch.run(&["check"]).await;
    run.assert_code(1);
    assert!(
        run.stderr.contains("written by a newer billwatch"),
        "{}",
        run.stderr
    );
}

/// A data folder billwatch may not write (a host folder owned by root bind-mounted as /data, a
/// read-only mount): `check` names the folder, the user and the fix, not "damaged" or "unable
/// to open database file"; `status` and `health` still read the healthy database in it; and a
/// database that cannot even be made says the same.
#[tokio::test]
async fn a_folder_billwatch_may_not_write_is_named_with_the_fix() {
    let api = FakeApi::start().await;
    let scratch = Scratch::new();
    scratch.write_config(&api.uri(), &[BILL], "");
    let (bill, stages) = border_security_on(date("2025-02-01"), 0);
    api.serve_bill(BILL, bill, stages).await;
    scratch.run(&["check"]).await.assert_code(0);
    let data = scratch.path("data");
    let before = std::fs::read(scratch.db_path()).expect("read");

    let check = scratch.run_locked_out(&data, &["check"]).await;
    check.assert_code(1);
    let said = format!("may not write {}", data.display());
    assert!(check.stderr.contains(&said), "{}", check.stderr);
    assert!(check.stderr.contains("chown -R "), "{}", check.stderr);
    assert!(!check.stderr.contains("damaged"), "{}", check.stderr);
    assert_eq!(std::fs::read(scratch.db_path()).expect("read"), before);

    let status = scratch.run_locked_out(&data, &["status"]).await;
    status.assert_code(0);
    assert!(status.stdout.contains("(1 ok, 0 failed"), "{status:#?}");
    let health = scratch.run_locked_out(&data, &["health"]).await;
    health.assert_code(0);
    assert!(health.stdout.starts_with("healthy"), "{health:#?}");

    std::fs::remove_dir_all(&data).expect("rm");
    let fresh = scratch.run_locked_out(scratch.dir.path(), &["check"]).await;
    fresh.assert_code(1);
    let said = format!("may not write {}", scratch.dir.path().display());
    assert!(fresh.stderr.contains(&said), "{}", fresh.stderr);
    assert!(!fresh.stderr.contains("unable to open"), "{}", fresh.stderr);
}

/// A process killed in the middle of a check (here while Parliament is slow to answer) leaves
/// the database as it was; the next check produces each alert exactly once.
#[tokio::test]
async fn killed_mid_check_then_rerun_alerts_exactly_once() {
    let api = FakeApi::start().await;
    let scratch = Scratch::new();
    scratch.write_config(&api.uri(), &[BILL], "");
    let (bill, stages) = border_security_on(date("2025-02-01"), 0);
    api.serve_bill(BILL, bill, stages).await;
    scratch
        .run(&["--today", "2025-02-01", "check"])
        .await
        .assert_code(0);

    // The stages answer takes ages; the process is killed while it waits.
    api.reset().await;
    let (bill, stages) = border_security_on(date("2025-02-11"), 0);
    wiremock::Mock::given(wiremock::matchers::path("/api/v1/Bills/3929/Stages"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(stages.clone())
                .set_delay(std::time::Duration::from_secs(30)),
        )
        .mount(&api.server)
        .await;
    wiremock::Mock::given(wiremock::matchers::path("/api/v1/Bills/3929"))
        .respond_with(ResponseTemplate::new(200).set_body_json(bill.clone()))
        .mount(&api.server)
        .await;
    let mut child = scratch.spawn(&["--today", "2025-02-11", "check"], false);
    for _ in 0..100 {
        if api
            .requests()
            .await
            .iter()
            .any(|r| r.url.path().ends_with("/Stages"))
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    child.kill().await.expect("kill");
    assert_eq!(alert_count(&scratch.db_path()), 0);

    api.reset().await;
    api.serve_bill(BILL, bill, stages).await;
    let run = scratch
        .run(&["--today", "2025-02-11", "check", "--json"])
        .await;
    run.assert_code(0);
    assert_eq!(run.alerts().len(), 1);
    let again = scratch
        .run(&["--today", "2025-02-11", "check", "--json"])
        .await;
    assert_eq!(again.alerts().len(), 0);
    assert_eq!(alert_count(&scratch.db_path()), 1);
}

/// A stage list that says it is longer than what it gives (its server ignoring `Skip`, say) is
/// an error after one repeated page, not a loop and not a silently shortened bill.
#[tokio::test]
async fn a_stage_list_shorter_than_it_says_is_an_error() {
    let api = FakeApi::start().await;
    let scratch = Scratch::new();
    scratch.write_config_site(
        &api.uri(),
        "https://bills.example.test",
        "mode = \"api\"\n",
        &[BILL],
        "",
    );
    let (bill, mut stages) = border_security_on(date("2025-02-11"), 0);
    stages["totalResults"] = 40.into();
    wiremock::Mock::given(wiremock::matchers::path("/api/v1/Bills/3929/Stages"))
        .respond_with(ResponseTemplate::new(200).set_body_json(stages))
        .mount(&api.server)
        .await;
    wiremock::Mock::given(wiremock::matchers::path("/api/v1/Bills/3929"))
        .respond_with(ResponseTemplate::new(200).set_body_json(bill))
        .mount(&api.server)
        .await;
    let run = scratch
        .run(&["--today", "2025-02-11", "check", "--json"])
        .await;
    run.assert_code(1);
    assert!(
        run.stdout
            .contains("the API says the bill has 40 stages but gave only 5"),
        "{}",
        run.stdout
    );
    assert_eq!(run.summary()["requests"], 3);
    assert!(stored_snapshot(&scratch.db_path(), BILL).is_none());
}

/// A hostile title's control characters (ESC, BEL) never reach the terminal: not in a console
/// alert, not in `status`, not in `show`.
#[tokio::test]
async fn control_characters_in_parliaments_text_never_reach_the_terminal() {
    let api = FakeApi::start().await;
    let scratch = Scratch::new();
    scratch.write_config(&api.uri(), &[BILL], "");
    let (mut bill, stages) = border_security_on(date("2025-02-11"), 0);
    bill["shortTitle"] = "Border\u{1b}[2J\u{1b}]0;pwned\u{7} Bill".into();
    api.reset().await;
    api.serve_bill(BILL, bill, stages).await;
    let outputs = [
        scratch
            .run(&["--today", "2025-02-11", "check", "--announce"])
            .await,
        scratch.run(&["--today", "2025-02-11", "status"]).await,
        scratch.run(&["show", "3929"]).await,
    ];
    for run in outputs {
        assert_eq!(run.code, 0, "{run:#?}");
        assert!(run.stdout.contains("Border"), "{run:#?}");
        for text in [&run.stdout, &run.stderr] {
            assert!(
                !text.contains('\u{1b}') && !text.contains('\u{7}'),
                "{text:?}"
            );
        }
    }
}

/// `status` says every time one way: `2025-02-01 12:00:00 UTC` as text, RFC 3339 in UTC to
/// the second in JSON; its JSON has one shape with or without a database, and names the
/// tracked bills not checked yet `never_checked`.
#[tokio::test]
async fn status_gives_every_time_in_one_form() {
    let api = FakeApi::start().await;
    let scratch = Scratch::new();
    scratch.write_config(&api.uri(), &[BILL], "");
    let before = scratch.run(&["status", "--json"]).await;
    before.assert_code(0);
    let before = &before.json_lines()[0];
    assert_eq!(before["database"], serde_json::Value::Null, "{before}");
    assert_eq!(
        before["never_checked"],
        serde_json::json!([BILL]),
        "{before}"
    );
    assert_eq!(before["bills"], serde_json::json!([]), "{before}");
    assert_eq!(before["alerts"]["pending"], 0, "{before}");

    api.serve_day("2025-02-01", 0).await;
    scratch
        .run(&["--today", "2025-02-01", "check"])
        .await
        .assert_code(0);
    scratch.write_config(&api.uri(), &[BILL, 4000], "");

    let text = scratch.run(&["status"]).await;
    text.assert_code(0);
    let mut times = 0;
    for line in text.stdout.lines() {
        for label in ["last check: ", "last success: "] {
            let Some((_, rest)) = line.split_once(label) else {
                continue;
            };
            let time = rest.get(..23).unwrap_or(rest);
            assert!(
                chrono::NaiveDateTime::parse_from_str(time, "%Y-%m-%d %H:%M:%S UTC").is_ok(),
                "{line:?} in\n{}",
                text.stdout
            );
            times += 1;
        }
    }
    assert_eq!(times, 2, "{}", text.stdout);
    assert!(!text.stdout.contains("+00:00"), "{}", text.stdout);

    let json = scratch.run(&["status", "--json"]).await;
    json.assert_code(0);
    let status = &json.json_lines()[0];
    let bill = &status["bills"][0];
    for time in [
        &status["last_check"]["started_at"],
        &status["last_check"]["finished_at"],
        &bill["last_success"],
        &bill["last_attempt"],
    ] {
        let time = time.as_str().unwrap_or_else(|| panic!("a time: {status}"));
        assert!(
            chrono::DateTime::parse_from_rfc3339(time).is_ok()
                && time.ends_with('Z')
                && !time.contains('.'),
            "{time:?} in {status}"
        );
    }
    assert_eq!(
        status["never_checked"],
        serde_json::json!([4000]),
        "{status}"
    );
    assert!(status.get("untracked_never_checked").is_none(), "{status}");
}

/// `--help` ends with the exit statuses and the environment variables billwatch reads.
#[tokio::test]
async fn help_names_exit_codes_and_environment() {
    let run = tokio::process::Command::new(env!("CARGO_BIN_EXE_billwatch"))
        .arg("--help")
        .output()
        .await
        .expect("ran");
    assert_eq!(run.status.code(), Some(0));
    let help = String::from_utf8_lossy(&run.stdout);
    for needle in [
        "Exit status:",
        "  2  a config or usage error",
        "BILLWATCH_CONFIG",
        "TELEGRAM_BOT_TOKEN",
        "RUST_LOG",
    ] {
        assert!(help.contains(needle), "--help lacks {needle:?}:\n{help}");
    }
}
