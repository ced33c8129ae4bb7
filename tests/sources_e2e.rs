//! The two sources end to end: both down, `verify`, `show`, a changed layout, conditional
//! requests. (`auto` falling back to the pages and the spacing of page requests are played in
//! process, in paused time, in parliament.rs.)

mod common;

use common::*;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, ResponseTemplate};

async fn serve_api(api: &FakeApi, day: &str) {
    api.reset().await;
    let (bill, stages) = border_security_on(date(day), 0);
    api.serve_bill(BILL, bill, stages).await;
}

async fn serve_site(site: &FakeSite, day: &str) {
    site.reset().await;
    let (bill, stages) = border_security_on(date(day), 0);
    site.serve_bill(&bill, &stages).await;
}

/// Both sources down: no alert, state untouched, exit 1 with both reasons.
#[tokio::test]
async fn both_sources_down_changes_nothing() {
    let api = FakeApi::start().await;
    let site = FakeSite::start().await;
    let scratch = Scratch::new();
    scratch.write_config_site(&api.uri(), &site.uri(), "", &[BILL], "");
    serve_api(&api, "2025-02-01").await;
    scratch
        .run(&["--today", "2025-02-01", "check"])
        .await
        .assert_code(0);
    let before = stored_snapshot(&scratch.db_path(), BILL);

    api.reset().await;
    api.fail_bill(BILL, ResponseTemplate::new(503)).await;
    site.reset().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(502))
        .mount(&site.server)
        .await;
    let run = scratch
        .run(&["--today", "2025-03-05", "check", "--json"])
        .await;
    run.assert_code(1);
    assert!(run.alerts().is_empty());
    let error = run
        .json_lines()
        .into_iter()
        .find(|v| v["type"] == "error")
        .expect("error");
    let text = error["error"].as_str().expect("text");
    assert!(
        text.contains("both sources failed") && text.contains("503") && text.contains("502"),
        "{text}"
    );
    assert_eq!(stored_snapshot(&scratch.db_path(), BILL), before);

    // The API failing and the pages answering 404 is Parliament failing, not a wrong id: said
    // as it is, with no pointer at the config (it once said "no such bill ... check the
    // config", to the admin chat too).
    site.reset().await;
    let run = scratch
        .run(&["--today", "2025-03-05", "check", "--json"])
        .await;
    run.assert_code(1);
    let error = run
        .json_lines()
        .into_iter()
        .find(|v| v["type"] == "error")
        .expect("error");
    let text = error["error"].as_str().expect("text");
    assert!(
        text.contains("both sources failed") && text.contains("503"),
        "{text}"
    );
    assert!(text.contains("answered 404 Not Found"), "{text}");
    assert!(
        !text.contains("no such bill") && !text.contains("config"),
        "{text}"
    );

    // A bill asked for on the command line that Parliament does not have: no config involved.
    api.fail_bill(99999, ResponseTemplate::new(404)).await;
    let show = scratch.run(&["show", "99999", "--source", "api"]).await;
    assert_ne!(show.code, 0);
    assert!(
        show.stderr.contains("bill 99999: no such bill"),
        "{show:#?}"
    );
    assert!(!show.stderr.contains("config"), "{show:#?}");
}

/// `verify` passes when the two agree and prints each injected disagreement.
#[tokio::test]
async fn verify_finds_disagreements() {
    let api = FakeApi::start().await;
    let site = FakeSite::start().await;
    let scratch = Scratch::new();
    scratch.write_config_site(&api.uri(), &site.uri(), "", &[BILL], "");
    serve_api(&api, "2025-03-05").await;
    serve_site(&site, "2025-03-05").await;
    let run = scratch.run(&["verify"]).await;
    run.assert_code(0);
    assert!(
        run.stdout
            .contains("bill 3929: the API and the pages agree (6 stages)"),
        "{}",
        run.stdout
    );

    // The site moves the 2nd reading to the Lords and a day later, and drops the money resolution.
    let (bill, mut stages) = border_security_on(date("2025-03-05"), 0);
    for item in stages["items"].as_array_mut().expect("items") {
        if item["description"] == "2nd reading" {
            item["house"] = "Lords".into();
            item["stageSittings"][0]["date"] = "2025-02-11T00:00:00".into();
        }
    }
    stages["items"]
        .as_array_mut()
        .expect("items")
        .retain(|i| i["description"] != "Money resolution");
    site.reset().await;
    site.serve_bill(&bill, &stages).await;
    let run = scratch
        .run(&["verify", "https://bills.parliament.uk/bills/3929/stages"])
        .await;
    run.assert_code(1);
    let out = &run.stdout;
    assert!(out.contains("bill 3929: 3 disagreement(s)"), "{out}");
    assert!(
        out.contains("stage 19004 (2nd reading): House: API Commons, pages Lords"),
        "{out}"
    );
    assert!(
        out.contains("stage 19004 (2nd reading): dates: API 2025-02-10, pages 2025-02-11"),
        "{out}"
    );
    assert!(
        out.contains("stage 19010 (Money resolution, Commons) is in the API but not on the pages"),
        "{out}"
    );
    assert!(!scratch.db_path().exists(), "verify keeps no state");
}

/// `show --source` prints what one source sees.
#[tokio::test]
async fn show_from_each_source() {
    let api = FakeApi::start().await;
    let site = FakeSite::start().await;
    let scratch = Scratch::new();
    scratch.write_config_site(&api.uri(), &site.uri(), "", &[BILL], "");
    serve_api(&api, "2025-03-05").await;
    serve_site(&site, "2025-03-05").await;
    for source in ["api", "pages"] {
        let run = scratch.run(&["show", "3929", "--source", source]).await;
        run.assert_code(0);
        assert!(
            run.stdout
                .contains("Bill 3929: Border Security, Asylum and Immigration Bill"),
            "{}",
            run.stdout
        );
        assert!(
            run.stdout
                .contains("25 February 2025 to 4 March 2025 (3 sittings)"),
            "{source}: {}",
            run.stdout
        );
        assert!(
            run.stdout.contains(&format!("(source: {source})")),
            "{}",
            run.stdout
        );
    }
}

/// A list page from which no stage can be read: a parse error naming the bill and URL, the page
/// saved for diagnosis, no alert, state untouched.
#[tokio::test]
async fn changed_layout_is_an_error_with_the_page_saved() {
    let api = FakeApi::start().await;
    let site = FakeSite::start().await;
    let scratch = Scratch::new();
    scratch.write_config_site(&api.uri(), &site.uri(), "mode = \"pages\"\n", &[BILL], "");
    serve_site(&site, "2025-02-01").await;
    scratch
        .run(&["--today", "2025-02-01", "check"])
        .await
        .assert_code(0);
    let before = stored_snapshot(&scratch.db_path(), BILL);
    assert!(before.is_some());

    let changed =
        std::fs::read_to_string(fixture("pages/bill-3929-stages-changed.html")).expect("fixture");
    site.reset().await;
    Mock::given(method("GET"))
        .and(path("/bills/3929/stages"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(changed.clone(), "text/html"))
        .mount(&site.server)
        .await;
    let run = scratch
        .run(&["--today", "2025-03-05", "check", "--json"])
        .await;
    run.assert_code(1);
    assert!(run.alerts().is_empty());
    let error = run
        .json_lines()
        .into_iter()
        .find(|v| v["type"] == "error")
        .expect("error");
    let text = error["error"].as_str().expect("text");
    assert!(
        text.contains("bill 3929")
            && text.contains("/bills/3929/stages")
            && text.contains("no stage found"),
        "{text}"
    );
    assert!(text.contains("the page was saved to"), "{text}");
    assert_eq!(stored_snapshot(&scratch.db_path(), BILL), before);
    let saved: Vec<_> = std::fs::read_dir(scratch.path("data/failed-pages"))
        .expect("dir")
        .collect();
    assert_eq!(saved.len(), 1);
    let saved = std::fs::read_to_string(saved[0].as_ref().expect("entry").path()).expect("read");
    assert_eq!(saved, changed);

    // Only the newest few are kept.
    for _ in 0..7 {
        scratch
            .run(&["--today", "2025-03-05", "check"])
            .await
            .assert_code(1);
    }
    assert_eq!(
        std::fs::read_dir(scratch.path("data/failed-pages"))
            .expect("dir")
            .count(),
        5
    );
}

/// The pages are fetched with the validators they came with; a 304 reuses the stored copy.
#[tokio::test]
async fn conditional_requests_reuse_the_stored_page() {
    let api = FakeApi::start().await;
    let site = FakeSite::start().await;
    let scratch = Scratch::new();
    scratch.write_config_site(&api.uri(), &site.uri(), "mode = \"pages\"\n", &[BILL], "");
    let (bill, stages) = border_security_on(date("2025-02-11"), 0);
    let html = stages_page_html(&bill, &stages);
    Mock::given(method("GET"))
        .and(path("/bills/3929/stages"))
        .and(header("if-none-match", "\"v1\""))
        .respond_with(ResponseTemplate::new(304))
        .with_priority(1)
        .mount(&site.server)
        .await;
    Mock::given(method("GET"))
        .and(path("/bills/3929/stages"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("etag", "\"v1\"")
                .set_body_raw(html, "text/html"),
        )
        .mount(&site.server)
        .await;
    scratch
        .run(&["--today", "2025-02-11", "check", "--announce"])
        .await
        .assert_code(0);
    let run = scratch
        .run(&["--today", "2025-02-12", "check", "--json"])
        .await;
    run.assert_code(0);
    assert!(run.alerts().is_empty(), "{:#?}", run.alert_lines());
    let requests = site.requests().await;
    assert_eq!(requests.len(), 2);
    assert!(requests[0].headers.get("if-none-match").is_none());
    assert_eq!(
        requests[1]
            .headers
            .get("if-none-match")
            .map(|v| v.to_str().unwrap_or("")),
        Some("\"v1\"")
    );
}

/// A page cache that cannot be read or written is told about and done without: the bill is
/// fetched in full and checked as usual.
#[tokio::test]
async fn a_broken_page_cache_does_not_fail_the_bill() {
    let api = FakeApi::start().await;
    let site = FakeSite::start().await;
    let scratch = Scratch::new();
    scratch.write_config_site(&api.uri(), &site.uri(), "mode = \"pages\"\n", &[BILL], "");
    let (bill, stages) = border_security_on(date("2025-02-11"), 0);
    let html = stages_page_html(&bill, &stages);
    Mock::given(method("GET"))
        .and(path("/bills/3929/stages"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("etag", "\"v1\"")
                .set_body_raw(html, "text/html"),
        )
        .mount(&site.server)
        .await;
    scratch
        .run(&["--today", "2025-02-11", "check"])
        .await
        .assert_code(0);
    let conn = rusqlite::Connection::open(scratch.db_path()).expect("db");
    conn.execute_batch("DROP TABLE http_cache")
        .expect("cache dropped");
    drop(conn);
    let run = scratch.run(&["--today", "2025-02-12", "check"]).await;
    run.assert_code(0);
    assert!(
        run.stderr
            .contains("the stored copy of the page cannot be read, fetching it in full"),
        "{run:#?}"
    );
    assert!(
        run.stderr.contains("cannot store the page copy"),
        "{run:#?}"
    );
    let requests = site.requests().await;
    assert_eq!(requests.len(), 2);
    assert!(requests[1].headers.get("if-none-match").is_none());
}
