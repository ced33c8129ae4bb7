//! Checks of the library in process, against the in-process fake Parliament: the Border
//! Security bill's whole journey, and failures, as the binary's `check --json` would see them
//! (see check_e2e.rs for the same through the binary, on fewer days).

mod common;

use common::*;

const ALL_ALERTS: &str = "[alerts]\nkinds = \"all\"\nstages = \"all\"\n";

/// Plays the Border Security bill's journey, a check every few days from its 1st reading to
/// Royal Assent, each check with fresh sources (as a new process), each check run twice. Every
/// alert must come exactly once, in order, with the right stage, House and date.
#[tokio::test]
async fn border_security_journey_alerts_once_each_in_order() {
    let parliament = FakeParliament::new();
    // Every event, procedural stages and extra sittings included: detection end to end.
    let check = InProcess::new(&parliament, "", &[BILL], ALL_ALERTS);

    let mut day = date("2025-01-30");
    let end = date("2025-12-05");
    let mut all = Vec::new();
    while day <= end {
        parliament.reset();
        parliament.serve_day(&day.to_string(), 7);
        let today = day.to_string();
        let first = check
            .check(at(&today, "10:00:00"), Default::default())
            .await;
        first.assert_code(0);
        for line in first.alert_lines() {
            all.push(format!("{today}: {line}"));
        }
        // The same data again, straight away: nothing new.
        let again = check
            .check(at(&today, "10:00:01"), Default::default())
            .await;
        again.assert_code(0);
        assert_eq!(again.alerts.len(), 0, "repeat on {today}: {again:#?}");
        day += chrono::Duration::days(3);
    }

    let expected = [
        // 30 January: first sight, recorded silently. Then a check every three days:
        "2025-02-05: stage_scheduled 2nd reading | Commons | 2025-02-10",
        "2025-02-05: stage_scheduled Programme motion | Commons | 2025-02-10",
        "2025-02-05: stage_scheduled Money resolution | Commons | 2025-02-10",
        "2025-02-05: stage_scheduled Ways and Means resolution | Commons | 2025-02-10",
        "2025-02-11: stage_reached 2nd reading | Commons | 2025-02-10",
        "2025-02-11: stage_reached Programme motion | Commons | 2025-02-10",
        "2025-02-11: stage_reached Money resolution | Commons | 2025-02-10",
        "2025-02-11: stage_reached Ways and Means resolution | Commons | 2025-02-10",
        "2025-02-20: stage_scheduled Committee stage | Commons | 2025-02-25",
        "2025-02-26: stage_reached Committee stage | Commons | 2025-02-25",
        "2025-02-26: sitting_added Committee stage | Commons | 2025-03-04",
        "2025-03-01: sitting_added Committee stage | Commons | 2025-03-06",
        "2025-03-04: sitting_added Committee stage | Commons | 2025-03-11",
        "2025-03-07: sitting_added Committee stage | Commons | 2025-03-13",
        "2025-05-06: stage_scheduled Report stage | Commons | 2025-05-12",
        "2025-05-06: stage_scheduled 3rd reading | Commons | 2025-05-12",
        "2025-05-06: stage_scheduled 1st reading | Lords | 2025-05-13",
        "2025-05-12: stage_reached Report stage | Commons | 2025-05-12",
        "2025-05-12: stage_reached 3rd reading | Commons | 2025-05-12",
        "2025-05-15: stage_reached 1st reading | Lords | 2025-05-13",
        "2025-05-30: stage_scheduled 2nd reading | Lords | 2025-06-04",
        "2025-06-05: stage_reached 2nd reading | Lords | 2025-06-04",
        "2025-06-11: stage_scheduled Committee stage | Lords | 2025-06-16",
        "2025-06-17: stage_reached Committee stage | Lords | 2025-06-16",
        "2025-06-17: sitting_added Committee stage | Lords | 2025-06-23",
        "2025-06-20: sitting_added Committee stage | Lords | 2025-06-25",
        "2025-06-26: sitting_added Committee stage | Lords | 2025-07-01",
        "2025-08-28: sitting_added Committee stage | Lords | 2025-09-03",
        "2025-10-21: stage_scheduled Report stage | Lords | 2025-10-27",
        "2025-10-27: stage_reached Report stage | Lords | 2025-10-27",
        "2025-10-27: sitting_added Report stage | Lords | 2025-11-03",
        "2025-10-30: sitting_added Report stage | Lords | 2025-11-05",
        "2025-11-05: sitting_added Report stage | Lords | 2025-11-11",
        "2025-11-11: stage_scheduled 3rd reading | Lords | 2025-11-17",
        "2025-11-17: stage_reached 3rd reading | Lords | 2025-11-17",
        "2025-11-20: stage_scheduled Consideration of Lords amendments | Commons | 2025-11-25 | round 1",
        "2025-11-20: stage_scheduled Consideration of Commons amendments | Lords | 2025-11-27 | round 1",
        "2025-11-26: stage_reached Consideration of Lords amendments | Commons | 2025-11-25 | round 1",
        "2025-11-26: stage_scheduled Consideration of Lords amendments | Commons | 2025-12-01 | round 2",
        "2025-11-29: stage_reached Consideration of Commons amendments | Lords | 2025-11-27 | round 1",
        "2025-12-02: stage_reached Consideration of Lords amendments | Commons | 2025-12-01 | round 2",
        "2025-12-02: royal_assent Royal Assent | Unassigned | 2025-12-02",
    ];
    let got: Vec<&str> = all.iter().map(String::as_str).collect();
    assert_eq!(got, expected, "\nall alerts:\n{}", all.join("\n"));
}

/// The same journey with the default alert filter: what subscribers see. Procedural stages
/// (programme motion, money and ways and means resolutions) and further committee days are
/// recorded but not posted; every stage people follow is, once.
#[tokio::test]
async fn border_security_journey_as_subscribers_see_it() {
    let parliament = FakeParliament::new();
    let check = InProcess::new(&parliament, "", &[BILL], "");
    let mut day = date("2025-01-30");
    let mut all = Vec::new();
    while day <= date("2025-12-05") {
        parliament.reset();
        parliament.serve_day(&day.to_string(), 7);
        let today = day.to_string();
        let run = check.check_on(&today).await;
        run.assert_code(0);
        all.extend(
            run.alert_lines()
                .into_iter()
                .map(|l| format!("{today}: {l}")),
        );
        day += chrono::Duration::days(3);
    }
    let expected = [
        "2025-02-05: stage_scheduled 2nd reading | Commons | 2025-02-10",
        "2025-02-11: stage_reached 2nd reading | Commons | 2025-02-10",
        "2025-02-20: stage_scheduled Committee stage | Commons | 2025-02-25",
        "2025-02-26: stage_reached Committee stage | Commons | 2025-02-25",
        "2025-05-06: stage_scheduled Report stage | Commons | 2025-05-12",
        "2025-05-06: stage_scheduled 3rd reading | Commons | 2025-05-12",
        "2025-05-06: stage_scheduled 1st reading | Lords | 2025-05-13",
        "2025-05-12: stage_reached Report stage | Commons | 2025-05-12",
        "2025-05-12: stage_reached 3rd reading | Commons | 2025-05-12",
        "2025-05-15: stage_reached 1st reading | Lords | 2025-05-13",
        "2025-05-30: stage_scheduled 2nd reading | Lords | 2025-06-04",
        "2025-06-05: stage_reached 2nd reading | Lords | 2025-06-04",
        "2025-06-11: stage_scheduled Committee stage | Lords | 2025-06-16",
        "2025-06-17: stage_reached Committee stage | Lords | 2025-06-16",
        "2025-10-21: stage_scheduled Report stage | Lords | 2025-10-27",
        "2025-10-27: stage_reached Report stage | Lords | 2025-10-27",
        "2025-11-11: stage_scheduled 3rd reading | Lords | 2025-11-17",
        "2025-11-17: stage_reached 3rd reading | Lords | 2025-11-17",
        "2025-11-20: stage_scheduled Consideration of Lords amendments | Commons | 2025-11-25 | round 1",
        "2025-11-20: stage_scheduled Consideration of Commons amendments | Lords | 2025-11-27 | round 1",
        "2025-11-26: stage_reached Consideration of Lords amendments | Commons | 2025-11-25 | round 1",
        "2025-11-26: stage_scheduled Consideration of Lords amendments | Commons | 2025-12-01 | round 2",
        "2025-11-29: stage_reached Consideration of Commons amendments | Lords | 2025-11-27 | round 1",
        "2025-12-02: stage_reached Consideration of Lords amendments | Commons | 2025-12-01 | round 2",
        "2025-12-02: royal_assent Royal Assent | Unassigned | 2025-12-02",
    ];
    let got: Vec<&str> = all.iter().map(String::as_str).collect();
    assert_eq!(got, expected, "\nall alerts:\n{}", all.join("\n"));
}

/// A 500, a timeout, a broken connection and garbage JSON each fail the check (exit 1), give no
/// alert, and leave the stored state as it was; the next good answer then brings each alert
/// exactly once. In paused time: the timeout costs no real time.
#[tokio::test(start_paused = true)]
async fn failures_leave_state_untouched_and_lose_nothing() {
    let parliament = FakeParliament::new();
    let check = InProcess::new(&parliament, "", &[BILL], "");

    parliament.serve_day("2025-02-01", 0);
    check.check_on("2025-02-01").await.assert_code(0);
    let before = stored_snapshot(&check.db_path(), BILL).expect("recorded");

    let faults = [
        ("500", Answer::status(500).body("Internal Server Error")),
        (
            "timeout",
            Answer::status(200)
                .body("{}")
                .delay(std::time::Duration::from_secs(5)),
        ),
        ("broken connection", Answer::broken()),
        (
            "garbage",
            Answer::status(200).body("<html>maintenance</html>"),
        ),
        (
            "wrong shape",
            Answer::json(&serde_json::json!({"billId": 3929})),
        ),
    ];
    for (name, answer) in faults {
        parliament.reset();
        parliament.fail_bill(BILL, answer);
        let run = check.check_on("2025-02-12").await;
        run.assert_code(1);
        assert!(run.alerts.is_empty(), "{name}: {run:#?}");
        assert_eq!(run.report.failed(), 1, "{name}");
        assert_eq!(
            stored_snapshot(&check.db_path(), BILL).as_deref(),
            Some(before.as_str()),
            "{name}: state changed"
        );
        assert_eq!(alert_count(&check.db_path()), 0, "{name}");
        let errors = run.errors();
        assert_eq!(errors.len(), 1, "{name}: {errors:?}");
        assert!(errors[0].contains("bill 3929"), "{name}: {errors:?}");
    }

    // Parliament answers again: what happened meanwhile arrives, once.
    parliament.reset();
    parliament.serve_day("2025-02-12", 0);
    let run = check.check_on("2025-02-12").await;
    run.assert_code(0);
    // The motions passed that day are recorded, not posted.
    assert_eq!(
        run.alert_lines(),
        ["stage_reached 2nd reading | Commons | 2025-02-10"]
    );
    // What `status` shows: the bill healthy again, one alert sent.
    let store = billwatch::store::Store::open(&check.db_path()).expect("store");
    assert_eq!(store.bills().expect("bills")[0].consecutive_failures, 0);
    assert_eq!(check.alert_counts().1, 1);
}

/// Serves bill `id` as the Border Security bill was on `day` (ids and title made its own), as
/// listing_e2e.rs does.
fn serve_numbered(parliament: &FakeParliament, id: u32, day: &str) {
    let (mut bill, mut stages) = border_security_on(date(day), 7);
    bill["billId"] = id.into();
    bill["shortTitle"] = format!("Bill number {id}").into();
    for item in stages["items"].as_array_mut().expect("items") {
        item["id"] = (item["id"].as_u64().expect("id") + u64::from(id) * 100).into();
    }
    parliament.serve_bill(id, bill, stages);
}

/// A bill whose change the listing missed is caught by the periodic full refresh.
#[tokio::test]
async fn a_change_missing_from_the_listing_is_caught_by_the_full_refresh() {
    const BILLS: [u32; 5] = [101, 102, 103, 104, 105];
    const START: &str = "2025-02-04";
    let parliament = FakeParliament::new();
    let check = InProcess::new(&parliament, "full_refresh = \"3s\"\n", &BILLS, "");
    for id in BILLS {
        serve_numbered(&parliament, id, START);
    }
    // The first check is on the same day as the next ones: only the seconds between them count
    // towards the full refresh.
    let first = check
        .check(at("2025-02-26", "10:00:00"), Default::default())
        .await;
    first.assert_code(0);
    assert_eq!(
        first.report.requests, 15,
        "the first check fetches everything (record, stages, documents)"
    );
    // Bill 103 changes, but its lastUpdate (so the listing) does not.
    parliament.reset();
    for id in BILLS.into_iter().filter(|id| *id != 103) {
        serve_numbered(&parliament, id, START);
    }
    let (mut bill, mut stages) = border_security_on(date("2025-02-26"), 7);
    bill["billId"] = 103.into();
    bill["shortTitle"] = "Bill number 103".into();
    bill["lastUpdate"] = border_security_on(date(START), 7).0["lastUpdate"].clone();
    for item in stages["items"].as_array_mut().expect("items") {
        item["id"] = (item["id"].as_u64().expect("id") + 10300).into();
    }
    parliament.serve_bill(103, bill, stages);

    let committee = |run: &Checked| -> Vec<u64> {
        run.alerts
            .iter()
            .filter(|a| a["kind"] == "stage_reached" && a["stage"] == "Committee stage")
            .map(|a| a["bill_id"].as_u64().expect("id"))
            .collect()
    };
    let run = check
        .check(at("2025-02-26", "10:00:01"), Default::default())
        .await;
    assert!(
        committee(&run).is_empty(),
        "not fetched yet: {:#?}",
        run.alert_lines()
    );

    // 3.2 s after the second check.
    let run = check
        .check(at("2025-02-26", "10:00:04.200"), Default::default())
        .await;
    run.assert_code(0);
    assert_eq!(
        run.report.requests, 15,
        "every bill in full (no listing: none could be spared)"
    );
    assert_eq!(committee(&run), [103], "{:#?}", run.alert_lines());
}

/// A check made while the clock was years ahead leaves its times in the future. They are stale,
/// not fresh for years: the next checks fetch every bill in full, so a change the listing does
/// not show is still caught (before, 4 checks gave 0 alerts).
#[tokio::test]
async fn times_stored_by_a_clock_that_was_ahead_do_not_switch_off_the_full_refresh() {
    const START: &str = "2025-02-04";
    let parliament = FakeParliament::new();
    let check = InProcess::new(&parliament, "", &[101, 102], "");
    for id in [101, 102] {
        serve_numbered(&parliament, id, START);
    }
    check
        .check(at("2030-01-01", "10:00:00"), Default::default())
        .await
        .assert_code(0);
    // Bill 102 changes, but its lastUpdate (so the listing) does not.
    let (mut bill, mut stages) = border_security_on(date("2025-02-26"), 7);
    bill["billId"] = 102.into();
    bill["shortTitle"] = "Bill number 102".into();
    bill["lastUpdate"] = border_security_on(date(START), 7).0["lastUpdate"].clone();
    for item in stages["items"].as_array_mut().expect("items") {
        item["id"] = (item["id"].as_u64().expect("id") + 10200).into();
    }
    parliament.serve_bill(102, bill, stages);
    let (logs, _guard) = capture_logs();
    let run = check.check_on("2025-02-26").await;
    run.assert_code(0);
    assert_eq!(run.report.requests, 6, "both bills in full, no listing");
    let reached: Vec<String> = run
        .alerts
        .iter()
        .filter(|a| a["kind"] == "stage_reached" && a["stage"] == "Committee stage")
        .map(|a| a["bill_id"].to_string())
        .collect();
    assert_eq!(reached, ["102"], "{:#?}", run.alert_lines());
    assert!(
        logs.text()
            .contains("later than now (was the clock ahead?)"),
        "{}",
        logs.text()
    );
}

/// One bill whose stored snapshot is damaged fails alone, reported; the other bills are checked
/// and alert as ever (before, the whole check stopped at the damaged row).
#[tokio::test]
async fn a_damaged_stored_snapshot_fails_that_bill_alone() {
    let parliament = FakeParliament::new();
    let check = InProcess::new(&parliament, "full_refresh = \"1s\"\n", &[101, 102], "");
    for id in [101, 102] {
        serve_numbered(&parliament, id, "2025-02-04");
    }
    check.check_on("2025-02-04").await.assert_code(0);
    let conn = rusqlite::Connection::open(check.db_path()).expect("db");
    conn.execute(
        "UPDATE bills SET snapshot = '{\"bill\": 1}' WHERE bill_id = 101",
        [],
    )
    .expect("damaged");
    drop(conn);
    for id in [101, 102] {
        serve_numbered(&parliament, id, "2025-02-11");
    }
    let run = check.check_on("2025-02-11").await;
    run.assert_code(1);
    let errors = run.errors().join("\n");
    assert!(
        errors.contains("bill 101: its stored state cannot be read"),
        "{errors}"
    );
    let alerted: Vec<u64> = run
        .alerts
        .iter()
        .map(|a| a["bill_id"].as_u64().expect("id"))
        .collect();
    assert!(
        !alerted.is_empty() && alerted.iter().all(|id| *id == 102),
        "{alerted:?}"
    );
}

/// Parliament's data flaps (a stage gone and back; Royal Assent and withdrawn set, cleared, set
/// again): each thing is announced once, never twice.
#[tokio::test]
async fn flapping_data_never_repeats_an_alert() {
    let parliament = FakeParliament::new();
    let check = InProcess::new(
        &parliament,
        "mode = \"api\"\nfull_refresh = \"1s\"\n",
        &[BILL],
        "",
    );
    parliament.serve_day("2025-02-05", 0);
    check.check_on("2025-02-05").await.assert_code(0);
    let (bill, stages) = border_security_on(date("2025-02-11"), 0);
    let without_2r = {
        let mut s = stages.clone();
        let items = s["items"].as_array_mut().expect("items");
        items.retain(|i| i["description"] != "2nd reading");
        s["totalResults"] = items.len().into();
        s
    };
    let mut lines = Vec::new();
    let serve = |bill: &serde_json::Value, stages: &serde_json::Value| {
        parliament.serve_bill(BILL, bill.clone(), stages.clone());
    };
    let mut withdrawn = bill.clone();
    withdrawn["billWithdrawn"] = "2025-02-11T00:00:00".into();
    let mut act = bill.clone();
    act["isAct"] = true.into();
    for (day, b, s) in [
        ("2025-02-11", &bill, &stages),      // the 2nd reading: once
        ("2025-02-12", &bill, &without_2r),  // gone...
        ("2025-02-13", &bill, &stages),      // ...and back: not again
        ("2025-02-14", &withdrawn, &stages), // withdrawn: once
        ("2025-02-15", &bill, &stages),      // cleared...
        ("2025-02-16", &withdrawn, &stages), // ...set again: not again
        ("2025-02-17", &act, &stages),       // an Act: once
        ("2025-02-18", &bill, &stages),      // not an Act...
        ("2025-02-19", &act, &stages),       // ...an Act again: not again
    ] {
        serve(b, s);
        let run = check.check_on(day).await;
        run.assert_code(0);
        let vanished = &run.report.bills[0].vanished;
        if day == "2025-02-12" {
            assert_eq!(vanished.len(), 1, "{vanished:?}");
            assert!(
                vanished[0].starts_with("2nd reading in the House of Commons (stage "),
                "{vanished:?}"
            );
        } else {
            assert!(vanished.is_empty(), "{day}: {vanished:?}");
        }
        lines.extend(run.alert_lines().into_iter().map(|l| format!("{day}: {l}")));
    }
    let kinds = |kind: &str| lines.iter().filter(|l| l.contains(kind)).count();
    assert_eq!(kinds("stage_reached 2nd reading"), 1, "{lines:#?}");
    assert_eq!(kinds("withdrawn"), 1, "{lines:#?}");
    assert_eq!(kinds("royal_assent"), 1, "{lines:#?}");
}

/// A bill taken out of the config and put back weeks later catches up silently, like a first
/// sight: not with every change it missed meanwhile (before: a burst of stale alerts). A bill
/// that stayed tracked meanwhile alerts as ever.
#[tokio::test]
async fn a_bill_put_back_in_the_config_catches_up_silently() {
    let parliament = FakeParliament::new();
    let mut check = InProcess::new(&parliament, "mode = \"api\"\n", &[101, 102], "");
    for id in [101, 102] {
        serve_numbered(&parliament, id, "2025-01-30");
    }
    check.check_on("2025-01-30").await.assert_code(0);
    // Bill 101 leaves the config; the checks go on without it for a month.
    let both = check.config.bills.clone();
    check.config.bills.retain(|b| b.id == 102);
    for day in ["2025-02-05", "2025-02-11", "2025-02-26"] {
        for id in [101, 102] {
            serve_numbered(&parliament, id, day);
        }
        check.check_on(day).await.assert_code(0);
    }
    check.config.bills = both;
    serve_numbered(&parliament, 102, "2025-02-27");
    let run = check.check_on("2025-02-27").await;
    run.assert_code(0);
    let back: Vec<String> = run
        .alerts
        .iter()
        .filter(|a| a["bill_id"] == 101)
        .map(|a| a["kind"].to_string())
        .collect();
    assert!(back.is_empty(), "stale alerts: {back:#?}");
    // From now on it is tracked as ever: its next change alerts.
    serve_numbered(&parliament, 101, "2025-06-17");
    let run = check.check_on("2025-06-17").await;
    assert!(
        run.alerts.iter().any(|a| a["bill_id"] == 101),
        "{:#?}",
        run.alert_lines()
    );
}
