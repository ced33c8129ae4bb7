//! Parliament's side in paused time, against the in-process fake: retries and their backoff,
//! `Retry-After`, timeouts, page requests spaced out, `auto` falling back to the pages. Every
//! wait is virtual: the assertions are on the exact requests and on how far tokio's clock moved.

mod common;

use std::time::Duration;

use billwatch::check::CheckOptions;
use billwatch::clock::Clock;
use common::*;
use tokio::time::Instant;

const ALL_ALERTS: &str = "[alerts]\nkinds = \"all\"\nstages = \"all\"\n";

/// A clock that starts on the morning of `day` and moves with paused time.
fn following(day: &str) -> Clock {
    Clock::following_tokio(utc(day, "10:00:00"))
}

/// The gaps between the requests received, in order.
fn gaps(requests: &[Seen]) -> Vec<Duration> {
    requests.windows(2).map(|w| w[1].at - w[0].at).collect()
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// A 5xx is retried after the backoff, doubling: 1 s, then 2 s, then the answer.
#[tokio::test(start_paused = true)]
async fn server_errors_are_retried_after_the_backoff() {
    let parliament = FakeParliament::new();
    let lines = "retries = 3\nretry_backoff = \"1s\"\nmode = \"api\"\n";
    let check = InProcess::new(&parliament, lines, &[BILL], "");
    parliament.serve_day("2025-02-11", 0);
    let record = "/api/v1/Bills/3929";
    parliament.answer(Route::Path(record.into()), Answer::status(503), Some(2));
    let started = Instant::now();
    let run = check
        .check(following("2025-02-11"), CheckOptions::default())
        .await;
    run.assert_code(0);
    assert_eq!(
        run.report.requests, 5,
        "503, 503, the record, the stages, the documents"
    );
    let requests = parliament.requests();
    assert_eq!(
        parliament.paths(),
        [
            record,
            record,
            record,
            "/api/v1/Bills/3929/Stages",
            "/api/v1/Bills/3929/Publications"
        ]
    );
    assert_eq!(gaps(&requests)[..2], [secs(1), secs(2)]);
    assert_eq!(started.elapsed(), secs(3));
}

/// No answer within `parliament.timeout`: each try times out, the backoff comes between, and
/// after the last try the bill fails with a timeout.
#[tokio::test(start_paused = true)]
async fn timeouts_are_retried_then_fail_the_bill() {
    let parliament = FakeParliament::new();
    let lines = "retries = 2\nretry_backoff = \"1s\"\ntimeout = \"2s\"\nmode = \"api\"\n";
    let check = InProcess::new(&parliament, lines, &[BILL], "");
    parliament.fail_bill(BILL, Answer::json(&serde_json::json!({})).delay(secs(30)));
    let started = Instant::now();
    let run = check
        .check(following("2025-02-11"), CheckOptions::default())
        .await;
    run.assert_code(1);
    assert_eq!(run.report.requests, 3);
    // Each try waits 2 s; then 1 s, then 2 s of backoff.
    assert_eq!(gaps(&parliament.requests()), [secs(3), secs(4)]);
    assert_eq!(started.elapsed(), secs(2 + 1 + 2 + 2 + 2));
    let errors = run.errors();
    assert!(
        errors[0].contains("no answer within 2s (after 3 attempt(s))"),
        "{errors:?}"
    );
}

/// A broken connection is retried after the backoff like a 5xx.
#[tokio::test(start_paused = true)]
async fn broken_connections_are_retried() {
    let parliament = FakeParliament::new();
    let check = InProcess::new(&parliament, "mode = \"api\"\n", &[BILL], "");
    parliament.serve_day("2025-02-11", 0);
    let record = Route::Path("/api/v1/Bills/3929".into());
    parliament.answer(record, Answer::broken(), Some(1));
    let run = check
        .check(following("2025-02-11"), CheckOptions::default())
        .await;
    run.assert_code(0);
    assert_eq!(
        run.report.requests, 4,
        "broken, the record, the stages, the documents"
    );
    assert_eq!(gaps(&parliament.requests())[0], Duration::from_millis(10));
}

/// A 429 with `Retry-After` waits exactly what the server asked, not the backoff; a wait longer
/// than billwatch is willing to give (two minutes) ends the retries at once.
#[tokio::test(start_paused = true)]
async fn retry_after_is_honoured() {
    let parliament = FakeParliament::new();
    let check = InProcess::new(&parliament, "mode = \"api\"\n", &[BILL], "");
    parliament.serve_day("2025-02-11", 0);
    let record = Route::Path("/api/v1/Bills/3929".into());
    parliament.answer(record.clone(), Answer::status(429).retry_after(7), Some(1));
    let started = Instant::now();
    let run = check
        .check(following("2025-02-11"), CheckOptions::default())
        .await;
    run.assert_code(0);
    assert_eq!(
        run.report.requests, 4,
        "429, the record, the stages, the documents"
    );
    assert_eq!(gaps(&parliament.requests())[0], secs(7));
    assert_eq!(started.elapsed(), secs(7));

    parliament.reset();
    parliament.fail_bill(BILL, Answer::status(503).retry_after(3600));
    let started = Instant::now();
    let run = check
        .check(following("2025-02-12"), CheckOptions::default())
        .await;
    run.assert_code(1);
    assert_eq!(parliament.paths(), ["/api/v1/Bills", "/api/v1/Bills/3929"]);
    assert_eq!(started.elapsed(), Duration::ZERO);
    assert!(run.errors()[0].contains("503"), "{:?}", run.errors());
}

/// Page requests to the site are spaced by `page_delay`, whichever bill they are for.
#[tokio::test(start_paused = true)]
async fn page_requests_are_spaced_out() {
    let parliament = FakeParliament::new();
    // Two bills read from the pages, fetched concurrently; 4 pages in all.
    let lines = "mode = \"pages\"\npage_delay = \"400ms\"\n";
    let check = InProcess::new(&parliament, lines, &[BILL, 3930], "");
    let (bill, stages) = border_security_on(date("2025-03-05"), 0);
    parliament.serve_site(&bill, &stages);
    let mut other = bill.clone();
    other["billId"] = 3930.into();
    let mut other_stages = stages.clone();
    for item in other_stages["items"].as_array_mut().expect("items") {
        item["id"] = (item["id"].as_u64().expect("id") + 50_000).into();
    }
    parliament.serve_site(&other, &other_stages);
    let started = Instant::now();
    check
        .check(following("2025-03-05"), CheckOptions::default())
        .await
        .assert_code(0);
    let took = started.elapsed();
    let requests = parliament.requests();
    assert_eq!(requests.len(), 4, "two lists, two committee pages");
    assert!(
        took >= Duration::from_millis(3 * 400),
        "4 requests need 3 gaps of 400 ms: {took:?}"
    );
    for gap in gaps(&requests) {
        assert!(gap >= Duration::from_millis(400), "{gap:?}");
    }
}

/// With the API down in each way it can be, the pages serve: the same alerts as the API gives,
/// exactly once, and switching back to the API adds nothing.
#[tokio::test(start_paused = true)]
async fn auto_mode_falls_back_to_the_pages_with_the_same_alerts() {
    // What the API alone says happened between 1 February and 5 March.
    let reference_api = FakeParliament::new();
    // Every event, so that the two sources are compared on all of them.
    let reference = InProcess::new(&reference_api, "", &[BILL], ALL_ALERTS);
    reference_api.serve_day("2025-02-01", 0);
    reference.check_on("2025-02-01").await.assert_code(0);
    reference_api.reset();
    reference_api.serve_day("2025-03-05", 0);
    let expected = reference.check_on("2025-03-05").await;
    expected.assert_code(0);
    assert_eq!(expected.alerts.len(), 7, "{:#?}", expected.alert_lines());

    let faults = [
        ("500", Answer::status(500)),
        ("timeout", Answer::status(200).delay(secs(5))),
        ("broken connection", Answer::broken()),
        ("garbage", Answer::status(200).body("{\"items\": 42}")),
    ];
    for (name, fault) in faults {
        let parliament = FakeParliament::new();
        let check = InProcess::new(&parliament, "", &[BILL], ALL_ALERTS);
        parliament.serve_day("2025-02-01", 0);
        parliament.serve_site_day("2025-02-01");
        check.check_on("2025-02-01").await.assert_code(0);

        parliament.reset();
        parliament.fail_bill(BILL, fault);
        parliament.serve_site_day("2025-03-05");
        let (logs, guard) = capture_logs();
        let run = check.check_on("2025-03-05").await;
        drop(guard);
        run.assert_code(0);
        assert_eq!(run.alert_lines(), expected.alert_lines(), "{name}");
        assert_eq!(run.report.bills[0].source.as_deref(), Some("pages"));
        let logs = logs.text();
        assert!(
            logs.contains("the API failed, trying the stage pages"),
            "{name}: {logs}"
        );
        assert!(logs.contains("served by the stage pages"), "{name}: {logs}");

        // The API is back: nothing new, nothing repeated.
        parliament.reset();
        parliament.serve_day("2025-03-05", 0);
        let run = check.check_on("2025-03-05").await;
        run.assert_code(0);
        assert!(run.alerts.is_empty(), "{name}: {:#?}", run.alert_lines());
    }
}

/// A bill whose stages run past the pages billwatch reads is an error for that bill, never a
/// silent cut: a stage past the cut would never alert.
#[tokio::test(start_paused = true)]
async fn stages_past_the_last_page_fail_the_bill_rather_than_being_cut() {
    let parliament = FakeParliament::new();
    let check = InProcess::new(&parliament, "mode = \"api\"\n", &[BILL], "");
    let (bill, stages) = border_security_on(date("2025-02-11"), 0);
    let template = stages["items"][0].clone();
    // The fake sends at most 20 a page; billwatch reads at most 50 pages: 1,000 stages.
    let items: Vec<serde_json::Value> = (0..1001u64)
        .map(|i| {
            let mut item = template.clone();
            item["id"] = (100_000 + i).into();
            item["sortOrder"] = i.into();
            item
        })
        .collect();
    let total = items.len();
    let stages = serde_json::json!({"items": items, "totalResults": total, "itemsPerPage": 20});
    parliament.serve_bill(BILL, bill, stages);
    let run = check
        .check(following("2025-02-11"), CheckOptions::default())
        .await;
    run.assert_code(1);
    let errors = run.errors().join("\n");
    assert!(
        errors.contains("run past 50 pages (1000 of 1001 read)"),
        "{errors}"
    );
}

/// A bill whose list page shows 60 stages "From ..." (each sat two days): a check reads at most
/// ten of their own pages (it read them all, 61 requests, a minute at the default delay; 200
/// such stages took 200 s). The others keep the list's first day and are read at the following
/// checks, each once; each second day is told once, none lost; then only the stage still under
/// way is read again.
#[tokio::test(start_paused = true)]
async fn stage_pages_are_read_only_when_needed_and_ten_a_check() {
    const STAGES: u64 = 60;
    let parliament = FakeParliament::new();
    let check = InProcess::new(&parliament, "mode = \"pages\"\n", &[BILL], ALL_ALERTS);
    let (bill, stages) = border_security_on(date("2025-02-11"), 0);
    let mut committee = stages["items"][0].clone();
    committee["description"] = "Committee stage".into();
    committee["stageId"] = 8.into();
    committee["house"] = "Commons".into();
    // Stage i sits on days 3i and 3i + 1 of 2020: each is over when the next begins.
    let items: Vec<serde_json::Value> = (0..STAGES)
        .map(|i| {
            let day = date("2020-01-01") + chrono::Days::new(3 * i);
            let mut item = committee.clone();
            item["id"] = (100_000 + i).into();
            item["sortOrder"] = i.into();
            item["stageSittings"] = serde_json::json!([
                {"date": format!("{day}T00:00:00")},
                {"date": format!("{}T00:00:00", day + chrono::Days::new(1))},
            ]);
            item
        })
        .collect();
    let stages = serde_json::json!({"items": items, "totalResults": STAGES});
    parliament.serve_site(&bill, &stages);

    let mut told = Vec::new();
    for n in 0..7 {
        let day = (date("2025-03-01") + chrono::Days::new(n)).to_string();
        let run = check.check_on(&day).await;
        run.assert_code(0);
        let expected = if n < 6 { 11 } else { 2 };
        assert_eq!(
            run.report.requests, expected,
            "check {n}: the list and at most ten stage pages (then the one under way)"
        );
        told.extend(run.alert_lines());
    }
    // Each stage's page read once; the newest, under way, once more at the end.
    let paths = parliament.paths();
    for i in 0..STAGES {
        let page = format!("/bills/{BILL}/stages/{}", 100_000 + i);
        let reads = paths.iter().filter(|p| **p == page).count();
        assert_eq!(reads, if i == STAGES - 1 { 2 } else { 1 }, "{page}");
    }
    // The first check records silently; every second day learnt later is told, once.
    assert_eq!(told.len(), 50, "{told:#?}");
    assert!(
        told.iter().all(|l| l.starts_with("sitting_added")),
        "{told:#?}"
    );
    told.sort();
    told.dedup();
    assert_eq!(told.len(), 50, "no day told twice");
}

/// The stored page copies stay within their budget: 21 pages of 900 KB (18.9 MB) keep only the
/// newest that fit in 16 MiB, and a page over 1 MiB is not kept at all (21 pages of 2 MB put
/// 42 MB in the database).
#[test]
fn page_copies_stay_within_their_budget() {
    use billwatch::store::{CachedPage, Store};
    let dir = scratch_dir();
    let path = dir.path().join("billwatch.db");
    let cache = Store::open(&path).expect("store").page_cache();
    let page = |n: u8, len: usize| CachedPage {
        etag: Some(format!("\"v{n}\"")),
        last_modified: None,
        body: vec![b'a' + n % 26; len],
    };
    let url = |n: u8| format!("https://bills.example.test/bills/{n}/stages");
    for n in 0..21 {
        cache.put(&url(n), &page(n, 900_000)).expect("kept");
    }
    let conn = rusqlite::Connection::open(&path).expect("db");
    let stored = || -> (i64, i64) {
        conn.query_row(
            "SELECT count(*), coalesce(sum(length(body)), 0) FROM http_cache",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("sizes")
    };
    let (count, bytes) = stored();
    assert!(
        bytes <= 16 * 1024 * 1024,
        "{count} copies, {bytes} bytes kept"
    );
    assert_eq!(count, 18, "the newest that fit");
    assert_eq!(cache.get(&url(20)).expect("read"), Some(page(20, 900_000)));
    assert_eq!(cache.get(&url(0)).expect("read"), None, "the oldest went");

    cache
        .put(&url(20), &page(20, 2_000_000))
        .expect("refused quietly");
    assert_eq!(
        cache.get(&url(20)).expect("read"),
        None,
        "a page over 1 MiB is not kept, nor its older copy"
    );
    assert_eq!(stored().0, 17);
}

/// A stage page that is missing (404) or broken does not fail the bill (before: "no such bill
/// ... check the bill's id or URL in the config"): the stage is told from the list's first day,
/// and its further days once its page can be read, each once.
#[tokio::test]
async fn a_missing_stage_page_degrades_to_the_list_s_first_day() {
    let parliament = FakeParliament::new();
    let check = InProcess::new(&parliament, "mode = \"pages\"\n", &[BILL], ALL_ALERTS);
    let (bill, stages) = border_security_on(date("2025-02-11"), 0);
    parliament.serve_site(&bill, &stages);
    check.check_on("2025-02-20").await.assert_code(0);

    let mut with_committee = stages.clone();
    let mut committee = stages["items"][0].clone();
    committee["id"] = 200_000.into();
    committee["description"] = "Committee stage".into();
    committee["stageId"] = 8.into();
    committee["house"] = "Commons".into();
    committee["sortOrder"] = 99.into();
    committee["stageSittings"] = serde_json::json!([
        {"date": "2025-02-25T00:00:00"},
        {"date": "2025-02-27T00:00:00"},
    ]);
    let items = with_committee["items"].as_array_mut().expect("items");
    items.push(committee);
    with_committee["totalResults"] = items.len().into();
    parliament.serve_site(&bill, &with_committee);
    let page = format!("/bills/{BILL}/stages/200000");
    for broken in [
        Answer::status(404),
        Answer::status(200).body("<html>nothing</html>"),
    ] {
        parliament.answer(Route::Path(page.clone()), broken, Some(1));
    }
    let mut told = Vec::new();
    for day in ["2025-02-26", "2025-02-28", "2025-03-01", "2025-03-02"] {
        let run = check.check_on(day).await;
        run.assert_code(0);
        assert_eq!(run.report.failed(), 0, "{day}: {:?}", run.report.bills);
        told.extend(run.alert_lines().into_iter().map(|l| format!("{day}: {l}")));
    }
    assert_eq!(
        told,
        [
            "2025-02-26: stage_reached Committee stage | Commons | 2025-02-25",
            "2025-03-01: sitting_added Committee stage | Commons | 2025-02-27",
        ]
    );
}

/// A bill's documents: those it had when first seen are recorded silently; a new print of the
/// bill is announced once, with a link to read it; an amendment paper is not (the default);
/// documents that cannot be read hold up no stage alert and are not taken as withdrawn, so
/// nothing is told again when they come back.
#[tokio::test]
async fn a_new_print_of_the_bill_is_announced_once() {
    let parliament = FakeParliament::new();
    let check = InProcess::new(&parliament, "mode = \"api\"\n", &[BILL], "");
    let all: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/api/bill-3929-publications.json"
        ))
        .expect("fixture"),
    )
    .expect("json");
    let only = |ids: &[u64]| {
        let mut v = all.clone();
        v["publications"]
            .as_array_mut()
            .expect("list")
            .retain(|p| ids.contains(&p["id"].as_u64().unwrap_or_default()));
        v
    };
    let documents = Route::Path(format!("/api/v1/Bills/{BILL}/Publications"));
    let mut told = Vec::new();
    let mut links = Vec::new();
    for (day, answer) in [
        ("2025-02-05", Answer::json(&only(&[57012]))),
        ("2025-03-13", Answer::status(500)),
        ("2025-03-14", Answer::json(&only(&[57012, 58290]))),
        ("2025-03-15", Answer::json(&all)),
        ("2025-03-16", Answer::json(&all)),
    ] {
        parliament.serve_day(day, 0);
        parliament.answer(documents.clone(), answer, None);
        let run = check.check_on(day).await;
        run.assert_code(0);
        for alert in &run.alerts {
            let text = alert["text"].as_str().unwrap_or_default();
            let line = text.lines().nth(1).unwrap_or_default();
            told.push(format!("{day}: {line}"));
            links.push(text.lines().last().unwrap_or_default().to_owned());
        }
    }
    assert_eq!(
        told,
        [
            "2025-03-13: 2nd reading in the House of Commons took place on 10 February 2025.",
            "2025-03-13: Committee stage in the House of Commons took place on 25 February 2025.",
            "2025-03-15: New document (Bill): “Bill 173 2024-25 (as amended in Public Bill \
             Committee)”, published 14 March 2025 by the House of Commons.",
        ],
        "stage alerts go on while the documents fail; the amendment paper is not posted"
    );
    assert!(
        links[2].ends_with("https://bills.parliament.uk/publications/58321/documents/6155"),
        "{links:#?}"
    );
}

/// The bot's `/search`: the current session's bills as one short answer with ids and links;
/// the same words asked again within five minutes cost Parliament nothing (strangers cannot
/// make billwatch hammer it); after that they are asked again.
#[tokio::test(start_paused = true)]
async fn bot_search_answers_are_kept_a_few_minutes() {
    use billwatch::bot::{SEARCH_CACHE_TTL, Searcher};
    let parliament = FakeParliament::new();
    let check = InProcess::new(&parliament, "mode = \"api\"\n", &[BILL], "");
    let listed = serde_json::json!({"items": [{
        "billId": 3929, "shortTitle": "Border Security, Asylum and Immigration Bill",
        "currentHouse": "Lords", "lastUpdate": "2025-11-17T16:05:12", "billTypeId": 1,
        "introducedSessionId": 40, "includedSessionIds": [40], "isAct": false,
        "currentStage": {"id": 19037, "stageId": 10, "sessionId": 40, "description": "3rd reading",
                         "house": "Lords", "stageSittings": [], "sortOrder": 15}
    }], "totalResults": 1, "itemsPerPage": 20});
    parliament.answer(
        Route::Path("/api/v1/Bills".into()),
        Answer::json(&listed),
        None,
    );
    let cache = billwatch::store::Store::open(&check.db_path())
        .expect("store")
        .page_cache();
    let http = parliament.http(&check.config.parliament);
    let clock = Clock::following_tokio(utc("2025-11-20", "10:00:00"));
    let api =
        billwatch::source::Sources::with_state_and_http(&check.config, cache, clock, http).api;
    let searcher = Searcher::new(api, check.config.parliament.site_url.clone());
    let asked = || {
        parliament
            .paths()
            .iter()
            .filter(|p| *p == "/api/v1/Bills")
            .count()
    };

    let html = searcher.answer("Border  SECURITY").await;
    assert_eq!(
        html,
        "<b>Bills matching “border security”</b>\n\n\
         <b>Border Security, Asylum and Immigration Bill</b> (3929)\n\
         Now: 3rd reading, House of Lords\n\
         <a href=\"https://bills.example.test/bills/3929\">On bills.parliament.uk</a>\n"
    );
    assert_eq!(asked(), 2, "the current session, then the search");
    assert_eq!(searcher.answer("border security").await, html);
    assert_eq!(asked(), 2, "kept");
    tokio::time::advance(SEARCH_CACHE_TTL).await;
    searcher.answer("border security").await;
    assert_eq!(asked(), 4, "asked again after five minutes");
}
