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
    let documents = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/api/bill-3929-publications.json"
    ))
    .expect("fixture");
    Mock::given(method("GET"))
        .and(path("/api/v1/Bills/3929/Publications"))
        .respond_with(ResponseTemplate::new(200).set_body_string(documents))
        .mount(&api.server)
        .await;
    for source in ["api", "pages"] {
        let run = scratch.run(&["show", "3929", "--source", source]).await;
        run.assert_code(0);
        // The bill's documents come with the API; the pages do not show them.
        let listed = "  documents (3), newest first:\n   58321  Bill 173 2024-25 (as amended in \
                      Public Bill Committee) (Bill) 14 March 2025\n          \
                      https://bills.parliament.uk/publications/58321/documents/6155\n";
        assert_eq!(
            run.stdout.contains(listed),
            source == "api",
            "{}",
            run.stdout
        );
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

/// One bill as `GET /api/v1/Bills` lists it.
fn listed(
    id: u32,
    title: &str,
    updated: &str,
    sessions: &[u32],
    stage: &str,
    house: &str,
) -> serde_json::Value {
    serde_json::json!({
        "billId": id, "shortTitle": title, "formerShortTitle": null, "currentHouse": house,
        "originatingHouse": "Commons", "lastUpdate": updated, "billWithdrawn": null,
        "isDefeated": false, "billTypeId": 1, "introducedSessionId": sessions[0],
        "includedSessionIds": sessions, "isAct": false,
        "currentStage": {"id": 19037, "stageId": 10, "sessionId": sessions[sessions.len() - 1],
                         "description": stage, "abbreviation": "3R", "house": house,
                         "stageSittings": [], "sortOrder": 15},
    })
}

fn bills_page(items: &[serde_json::Value]) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(
        serde_json::json!({"items": items, "totalResults": items.len(), "itemsPerPage": 20}),
    )
}

/// A fake Bills API for `search`: session 40 is the newest; "border" finds the Border
/// Security bill in it and an older bill in every session; "nothing like it" finds nothing;
/// "down" answers 503; two bill types.
async fn search_fake() -> (FakeApi, Scratch) {
    use wiremock::matchers::{query_param, query_param_is_missing};
    let api = FakeApi::start().await;
    let scratch = Scratch::new();
    scratch.write_config(&api.uri(), &[BILL], "");
    let border = listed(
        3929,
        "Border Security, Asylum and Immigration Bill",
        "2025-11-17T16:05:12",
        &[40],
        "3rd reading",
        "Lords",
    );
    let older = listed(
        3001,
        "Border Control (Old) Bill",
        "2023-03-02T10:00:00",
        &[38, 39],
        "2nd reading",
        "Commons",
    );
    // The newest bills say which session is current: 40.
    Mock::given(method("GET"))
        .and(path("/api/v1/Bills"))
        .and(query_param_is_missing("SearchTerm"))
        .respond_with(bills_page(&[border.clone(), older.clone()]))
        .with_priority(1)
        .mount(&api.server)
        .await;
    for (term, session, answer) in [
        (
            "border",
            Some("40"),
            bills_page(std::slice::from_ref(&border)),
        ),
        ("border", None, bills_page(&[border.clone(), older.clone()])),
        ("nothing like it", Some("40"), bills_page(&[])),
        ("down", Some("40"), ResponseTemplate::new(503)),
    ] {
        let mut mock = Mock::given(method("GET"))
            .and(path("/api/v1/Bills"))
            .and(query_param("SearchTerm", term));
        mock = match session {
            Some(s) => mock.and(query_param("Session", s)),
            None => mock.and(query_param_is_missing("Session")),
        };
        mock.respond_with(answer)
            .with_priority(1)
            .mount(&api.server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path("/api/v1/BillTypes"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"items": [
            {"id": 1, "category": "Public", "name": "Government Bill", "description": "..."},
            {"id": 6, "category": "Private", "name": "Private Bill", "description": "..."}
        ], "totalResults": 2, "itemsPerPage": 20})),
        )
        .mount(&api.server)
        .await;
    (api, scratch)
}

/// `search`: the current session's bills matching the words, newest first, as text (with a
/// hint to add one) and as JSON lines; a bill type by name; nothing found is no error; the API
/// failing is exit 1 with the reason.
#[tokio::test]
async fn search_finds_this_session_s_bills() {
    let (api, scratch) = search_fake().await;
    let run = scratch.run(&["search", "border"]).await;
    run.assert_code(0);
    let site = "https://bills.example.test";
    assert_eq!(
        run.stdout,
        format!(
            " 3929  Border Security, Asylum and Immigration Bill | 3rd reading, House of Lords | \
             updated 17 November 2025 | {site}/bills/3929\n\
             Track one with `billwatch add ID` (e.g. `billwatch add 3929`), or add a [[bills]] \
             entry with its id to the config.\n"
        )
    );
    let all = scratch
        .run(&["search", "border", "--all-sessions", "--json"])
        .await;
    all.assert_code(0);
    let lines = all.json_lines();
    assert_eq!(lines.len(), 2, "{all:#?}");
    assert_eq!(
        lines[1],
        serde_json::json!({"type": "bill", "id": 3001, "title": "Border Control (Old) Bill",
            "stage": "2nd reading", "house": "Commons", "updated": "2023-03-02T10:00:00",
            "url": format!("{site}/bills/3001")})
    );
    let typed = scratch
        .run(&["search", "border", "--type", "government bill"])
        .await;
    typed.assert_code(0);
    let asked = api.server.received_requests().await.unwrap_or_default();
    assert!(
        asked
            .iter()
            .any(|r| r.url.query().is_some_and(|q| q.contains("BillType=1"))),
        "the type's id was asked for"
    );
    let wrong = scratch.run(&["search", "border", "--type", "hybrid"]).await;
    wrong.assert_code(2);
    assert!(
        wrong
            .stderr
            .contains("Government Bill (1), Private Bill (6)"),
        "{wrong:#?}"
    );
    let none = scratch.run(&["search", "nothing", "like", "it"]).await;
    none.assert_code(0);
    assert!(
        none.stdout
            .starts_with("No bill matches \"nothing like it\" in the current session."),
        "{none:#?}"
    );
    let down = scratch.run(&["search", "down"]).await;
    down.assert_code(1);
    assert!(
        down.stderr.contains("the search failed") && down.stderr.contains("503"),
        "{down:#?}"
    );
}

/// The search fake, serving bill 3929 too, and "several" matching two bills; the config file
/// written with comments and tracking bill 101. Returns that text, and one whose bills are an
/// inline array at the top (after which no `[[bills]]` table is valid TOML).
async fn add_fake() -> (FakeApi, Scratch, String, String) {
    use wiremock::matchers::query_param;
    let (api, scratch) = search_fake().await;
    let (bill, stages) = border_security_on(date("2025-03-01"), 0);
    api.serve_bill(BILL, bill, stages).await;
    let two = [
        listed(
            3929,
            "Border Security, Asylum and Immigration Bill",
            "2025-11-17T16:05:12",
            &[40],
            "3rd reading",
            "Lords",
        ),
        listed(
            3990,
            "Border Tolls Bill",
            "2025-10-01T09:00:00",
            &[40],
            "1st reading",
            "Commons",
        ),
    ];
    Mock::given(method("GET"))
        .and(path("/api/v1/Bills"))
        .and(query_param("SearchTerm", "several"))
        .respond_with(bills_page(&two))
        .with_priority(1)
        .mount(&api.server)
        .await;
    let config = |bills: &str| {
        format!(
            "# My billwatch  (comments, odd spacing and order are kept)\n\n\
             [storage]\npath = \"{}\"\n\n[parliament]\napi_url = \"{}\"   # the fake\n\
             site_url = \"https://bills.example.test\"\ntimeout = \"2s\"\nretries = 1\n\
             retry_backoff = \"10ms\"\n\n# The bills\n{bills}",
            scratch.db_path().display(),
            api.uri()
        )
    };
    let before = config("[[bills]]\nid = 101 # a bill\n");
    std::fs::write(scratch.config_path(), &before).expect("write");
    let inline = format!("bills = [{{ id = 101 }}]\n{}", config(""));
    (api, scratch, before, inline)
}

/// `add`: one `[[bills]]` entry appended and every other byte of the file kept; a bill already
/// tracked, words matching several bills, and a result that is no valid config are refused
/// with the file untouched; a config it may not write says how to do it anyway.
#[tokio::test]
async fn add_appends_a_bill_and_keeps_the_rest_of_the_file() {
    let (_api, scratch, before, inline) = add_fake().await;
    let read = || std::fs::read_to_string(scratch.config_path()).expect("read");

    let run = scratch
        .run(&[
            "add",
            "https://bills.example.test/bills/3929/stages",
            "--name",
            "Border \"BSAI\" bill",
        ])
        .await;
    run.assert_code(0);
    assert!(
        run.stdout
            .starts_with("added bill 3929 (Border Security, Asylum and Immigration Bill)"),
        "{run:#?}"
    );
    assert_eq!(
        read(),
        format!(
            "{before}\n# Border Security, Asylum and Immigration Bill (added by `billwatch add`)\n\
             [[bills]]\nid = 3929\nname = 'Border \"BSAI\" bill'\n"
        )
    );
    scratch.run(&["validate"]).await.assert_code(0);
    let added = read();
    for (args, said) in [
        (
            &["add", "3929"][..],
            "bill 3929 is already tracked (bills[1]",
        ),
        (&["add", "border"][..], "bill 3929 is already tracked"),
        (
            &["add", "several"][..],
            "2 bills match \"several\"; add one by its id: 3929 Border",
        ),
    ] {
        let run = scratch.run(args).await;
        run.assert_code(2);
        assert!(run.stderr.contains(said), "{args:?}: {run:#?}");
        assert_eq!(read(), added, "{args:?}: untouched");
    }

    std::fs::write(scratch.config_path(), &inline).expect("write");
    let run = scratch.run(&["add", "3929"]).await;
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("would leave the config invalid, so nothing was written"),
        "{run:#?}"
    );
    assert_eq!(read(), inline);

    std::fs::write(scratch.config_path(), &before).expect("write");
    let run = scratch
        .run_locked_out(scratch.dir.path(), &["add", "3929"])
        .await;
    run.assert_code(1);
    assert!(run.stderr.contains("cannot write the config"), "{run:#?}");
    assert!(
        run.stderr
            .contains("run `billwatch add 3929` on the host's copy"),
        "{run:#?}"
    );
    assert_eq!(read(), before);
}
