//! The listing path: one request tells which bills changed; only those are fetched. (The full
//! refresh catching a change the listing missed is played in process in check_in_process.rs.)

mod common;

use common::*;
use wiremock::ResponseTemplate;

/// Serves bill `id` as the Border Security bill was on `day` (ids and title made its own).
async fn serve(api: &FakeApi, id: u32, day: &str) {
    let (mut bill, mut stages) = border_security_on(date(day), 7);
    bill["billId"] = id.into();
    bill["shortTitle"] = format!("Bill number {id}").into();
    for item in stages["items"].as_array_mut().expect("items") {
        item["id"] = (item["id"].as_u64().expect("id") + u64::from(id) * 100).into();
    }
    api.serve_bill(id, bill, stages).await;
}

fn fetches(requests: &[wiremock::Request]) -> Vec<String> {
    requests
        .iter()
        .map(|r| r.url.path().to_owned())
        .filter(|p| p != "/api/v1/Bills")
        .collect()
}

const BILLS: [u32; 5] = [101, 102, 103, 104, 105];
/// The day of the first check: the 2nd reading (10 February) is already announced.
const START: &str = "2025-02-04";

/// `--today` moves the whole clock, so weeks pass between these checks: a full refresh that
/// comes only yearly keeps each check on the listing.
async fn setup() -> (FakeApi, Scratch) {
    setup_on("full_refresh = \"365d\"\n", START).await
}

/// The first check, on `day`, of the five bills as they were on [`START`].
async fn setup_on(extra_parliament: &str, day: &str) -> (FakeApi, Scratch) {
    let api = FakeApi::start().await;
    let scratch = Scratch::new();
    scratch.write_config_site(
        &api.uri(),
        "https://bills.example.test",
        extra_parliament,
        &BILLS,
        "",
    );
    for id in BILLS {
        serve(&api, id, START).await;
    }
    let first = scratch.run(&["--today", day, "check", "--json"]).await;
    first.assert_code(0);
    assert_eq!(
        first.summary()["requests"],
        15,
        "the first check fetches everything (record, stages, documents)"
    );
    (api, scratch)
}

/// Nothing changed: one request. Two bills changed: the listing and those two.
#[tokio::test]
async fn only_changed_bills_are_fetched() {
    let (api, scratch) = setup().await;
    api.reset().await;
    for id in BILLS {
        serve(&api, id, START).await;
    }
    let run = scratch.run(&["--today", START, "check", "--json"]).await;
    run.assert_code(0);
    assert_eq!(run.summary()["requests"], 1);
    assert_eq!(
        run.summary()["listing"],
        serde_json::json!({"state": "used", "changed": 0, "error": null})
    );
    assert!(fetches(&api.requests().await).is_empty());

    // Bills 102 and 104 move on.
    api.reset().await;
    serve(&api, 102, "2025-02-11").await;
    serve(&api, 104, "2025-02-11").await;
    let run = scratch
        .run(&["--today", "2025-02-11", "check", "--json"])
        .await;
    run.assert_code(0);
    assert_eq!(
        run.summary()["requests"],
        7,
        "listing + 2 bills x (record + stages + documents)"
    );
    let mut fetched = fetches(&api.requests().await);
    fetched.sort();
    assert_eq!(
        fetched,
        [
            "/api/v1/Bills/102",
            "/api/v1/Bills/102/Publications",
            "/api/v1/Bills/102/Stages",
            "/api/v1/Bills/104",
            "/api/v1/Bills/104/Publications",
            "/api/v1/Bills/104/Stages"
        ]
    );
    // Every bill's 2nd reading (10 February) is told: for 102 and 104 from the fetch, for the
    // others from the stored snapshot, without a fetch.
    let reached: Vec<u64> = run
        .alerts()
        .iter()
        .filter(|a| a["kind"] == "stage_reached" && a["stage"] == "2nd reading")
        .map(|a| a["bill_id"].as_u64().expect("id"))
        .collect();
    let mut reached = reached;
    reached.sort();
    assert_eq!(
        reached,
        [101, 102, 103, 104, 105],
        "{:#?}",
        run.alert_lines()
    );
    let status = scratch.run(&["status"]).await;
    assert!(status.stdout.contains("7 request(s)"), "{}", status.stdout);
}

/// A scheduled stage turns into `stage_reached` on its day with no fetch at all.
#[tokio::test]
async fn scheduled_stage_is_reached_on_its_day_without_a_fetch() {
    let (api, scratch) = setup().await;
    let run = scratch
        .run(&["--today", "2025-02-05", "check", "--json"])
        .await;
    run.assert_code(0);
    assert_eq!(run.summary()["requests"], 1);
    assert!(run.alerts().is_empty());

    let before = api.requests().await.len();
    let run = scratch
        .run(&["--today", "2025-02-10", "check", "--json"])
        .await;
    run.assert_code(0);
    assert_eq!(run.summary()["requests"], 1, "the listing only");
    assert_eq!(
        fetches(&api.requests().await[before..]),
        Vec::<String>::new()
    );
    // The data of 4 February already showed the 2nd reading (and its motions) set for 10 February.
    let lines = run.alert_lines();
    assert_eq!(lines.len(), 5, "{lines:#?}");
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.starts_with("stage_reached 2nd reading | Commons | 2025-02-10"))
            .count(),
        5
    );
    // Once only.
    let again = scratch
        .run(&["--today", "2025-02-10", "check", "--json"])
        .await;
    assert!(again.alerts().is_empty());
}

/// The listing failing falls back to fetching every bill.
#[tokio::test]
async fn a_failed_listing_falls_back_to_per_bill_fetches() {
    let (api, scratch) = setup().await;
    api.reset().await;
    for id in BILLS {
        serve(&api, id, "2025-02-11").await;
    }
    api.fail_listing(ResponseTemplate::new(503)).await;
    let run = scratch
        .run(&["--today", "2025-02-11", "check", "--json"])
        .await;
    run.assert_code(0);
    // One shape whatever happened: the state, and the error in its own field.
    let listing = &run.summary()["listing"];
    assert_eq!(
        (&listing["state"], &listing["changed"]),
        (&serde_json::json!("failed"), &serde_json::Value::Null),
        "{listing}"
    );
    assert!(
        listing["error"].as_str().is_some_and(|e| e.contains("503")),
        "{listing}"
    );
    assert_eq!(
        run.summary()["requests"],
        2 + 15,
        "the listing and its retry, then every bill"
    );
    assert_eq!(
        run.alerts()
            .iter()
            .filter(|a| a["kind"] == "stage_reached")
            .count(),
        5
    );
    assert!(
        run.stderr
            .contains("the listing of changed bills failed, fetching every bill"),
        "{}",
        run.stderr
    );
}

/// `--dry-run` plans like a check (the listing, no fetch of unchanged bills), decides like one
/// (a stage due today is told from the stored snapshot) and writes nothing: the real check that
/// follows tells the same alerts.
#[tokio::test]
async fn a_dry_run_takes_the_same_path_and_writes_nothing() {
    let (api, scratch) = setup().await;
    let before = api.requests().await.len();
    let dry = scratch
        .run(&["--today", "2025-02-10", "check", "--dry-run", "--json"])
        .await;
    dry.assert_code(0);
    assert_eq!(dry.summary()["requests"], 1, "the listing only");
    assert_eq!(
        fetches(&api.requests().await[before..]),
        Vec::<String>::new()
    );
    assert!(dry.alerts().iter().all(|a| a["status"] == "dry_run"));
    let run = scratch
        .run(&["--today", "2025-02-10", "check", "--json"])
        .await;
    run.assert_code(0);
    assert_eq!(run.alert_lines().len(), 5, "{:#?}", run.alert_lines());
    assert_eq!(dry.alert_lines(), run.alert_lines());
}
