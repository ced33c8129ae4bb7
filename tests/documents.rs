//! The default documents at ping-pong, through the in-process fake Parliament: Parliament's
//! list of publication types is read only when a new document may need it, kept for
//! `full_refresh`, and a failure to read it never holds up a stage alert.

mod common;

use billwatch::check::CheckOptions;
use common::*;
use serde_json::{Value, json};

const DOCUMENTS: &str = "/api/v1/Bills/3929/Publications";
const TYPES: &str = "/api/v1/PublicationTypes";

/// One publication of the Border Security bill, in the API's shape.
fn publication(id: u32, kind: &str, house: &str, title: &str, date: &str) -> Value {
    json!({
        "house": house, "id": id, "title": title,
        "publicationType": {"id": 0, "name": kind, "description": null},
        "displayDate": format!("{date}T00:00:00"),
        "links": [{"id": id + 1000, "title": title, "contentType": "text/html",
                   "url": format!("https://bills.parliament.uk/publications/{id}/documents/1")}],
        "files": []
    })
}

fn publications(list: &[&Value]) -> Answer {
    Answer::json(&json!({"billId": BILL, "publications": list}))
}

fn print() -> Value {
    publication(
        57012,
        "Bill",
        "Commons",
        "Bill 173 2024-25 (as introduced)",
        "2025-01-30",
    )
}

fn lords_amendments() -> Value {
    publication(
        60101,
        "Lords amendments",
        "Lords",
        "Lords amendments to the Border Security, Asylum and Immigration Bill",
        "2025-11-19",
    )
}

fn amendment_paper() -> Value {
    publication(
        60100,
        "Amendment Paper",
        "Commons",
        "Consideration of Lords amendments: Amendment Paper as at 18 November 2025",
        "2025-11-18",
    )
}

/// Serves the bill as on `day`, its `lastUpdate` moved to `updated` when given (the listing
/// then shows it changed), and these documents.
fn serve(parliament: &FakeParliament, day: &str, updated: Option<&str>, docs: &[&Value]) {
    let (mut bill, stages) = border_security_on(date(day), 0);
    if let Some(updated) = updated {
        bill["lastUpdate"] = json!(updated);
    }
    parliament.serve_bill(BILL, bill, stages);
    let route = Route::Path(DOCUMENTS.into());
    parliament.answer(route, publications(docs), None);
}

/// The paths asked since the last call, with the query for the publication types.
fn asked(parliament: &FakeParliament, from: &mut usize) -> Vec<String> {
    let seen = parliament.requests();
    let out = seen[*from..]
        .iter()
        .map(|r| match r.url.query() {
            Some(q) if r.path() == TYPES => format!("{}?{q}", r.path()),
            _ => r.path().to_owned(),
        })
        .collect();
    *from = seen.len();
    out
}

/// The second line of each alert: what it says.
fn said(run: &Checked) -> Vec<String> {
    run.alerts
        .iter()
        .map(|a| {
            let text = a["text"].as_str().unwrap_or_default();
            format!(
                "{}: {}",
                a["kind"].as_str().unwrap_or_default(),
                text.lines().nth(1).unwrap_or_default()
            )
        })
        .collect()
}

/// The Lords send their amendments: one `document_published` alert, once; the amendment paper
/// for their consideration is no alert under the default filter. The types are read once, when
/// the first new document other than a print of the bill shows up, and kept: the next check
/// within `full_refresh` asks for them no more, and the unchanged check stays at 1 request.
#[tokio::test(start_paused = true)]
async fn the_other_houses_amendments_are_announced_once_and_an_amendment_paper_is_not() {
    let parliament = FakeParliament::new();
    let check = InProcess::new(&parliament, "mode = \"api\"\n", &[BILL], "");
    let mut from = 0;
    let (bill, stages) = ("/api/v1/Bills/3929", "/api/v1/Bills/3929/Stages");

    serve(&parliament, "2025-11-18", None, &[&print()]);
    let run = check.check_on("2025-11-18").await;
    run.assert_code(0);
    assert!(run.alerts.is_empty(), "first sight is silent");
    assert_eq!(asked(&parliament, &mut from), [bill, stages, DOCUMENTS]);

    // A day on (a full refresh, no listing needed): the amendment paper is new, so the types
    // are read, every page.
    serve(
        &parliament,
        "2025-11-19",
        None,
        &[&amendment_paper(), &print()],
    );
    let run = check.check_on("2025-11-19").await;
    run.assert_code(0);
    assert_eq!(
        said(&run),
        Vec::<String>::new(),
        "no alert for an amendment paper"
    );
    assert_eq!(
        asked(&parliament, &mut from),
        [
            bill,
            stages,
            DOCUMENTS,
            "/api/v1/PublicationTypes?Skip=0&Take=100",
            "/api/v1/PublicationTypes?Skip=20&Take=100",
        ]
    );

    // That afternoon the Lords amendments are published (before the Commons stage that
    // considers them is listed): told, the types taken from what was kept.
    let docs = [&lords_amendments(), &amendment_paper(), &print()];
    serve(
        &parliament,
        "2025-11-19",
        Some("2025-11-19T15:30:00"),
        &docs,
    );
    let run = check
        .check(at("2025-11-19", "16:00:00"), CheckOptions::default())
        .await;
    run.assert_code(0);
    assert_eq!(
        said(&run),
        [
            "document_published: New document (Lords amendments): “Lords amendments to the Border \
          Security, Asylum and Immigration Bill”, published 19 November 2025 by the House of \
          Lords."
        ]
    );
    assert_eq!(
        asked(&parliament, &mut from),
        ["/api/v1/Bills", bill, stages, DOCUMENTS]
    );

    // Run again: nothing changed, one request, nothing told.
    let run = check
        .check(at("2025-11-19", "17:00:00"), CheckOptions::default())
        .await;
    run.assert_code(0);
    assert!(run.alerts.is_empty());
    assert_eq!(run.report.requests, 1);
    assert_eq!(asked(&parliament, &mut from), ["/api/v1/Bills"]);

    // The next day's full refresh: the same documents, nothing new, the types not asked for
    // (though the list kept is now a day old).
    serve(
        &parliament,
        "2025-11-20",
        Some("2025-11-19T15:30:00"),
        &docs,
    );
    let run = check
        .check(at("2025-11-20", "17:00:00"), CheckOptions::default())
        .await;
    run.assert_code(0);
    assert!(run.alerts.is_empty(), "told once: {:?}", said(&run));
    assert_eq!(asked(&parliament, &mut from), [bill, stages, DOCUMENTS]);
    assert_eq!(check.alert_counts(), (0, 1, 0), "one alert in all");
}

/// The types cannot be read: the stage alert found in the same check goes out all the same,
/// and the default is prints of the bill alone for that check (logged); the next check that
/// needs the types asks again.
#[tokio::test(start_paused = true)]
async fn types_that_cannot_be_read_never_hold_up_a_stage_alert() {
    let parliament = FakeParliament::new();
    let check = InProcess::new(&parliament, "mode = \"api\"\n", &[BILL], "");
    let mut from = 0;
    serve(&parliament, "2025-11-16", None, &[&print()]);
    check.check_on("2025-11-16").await.assert_code(0);
    asked(&parliament, &mut from);

    parliament.answer(Route::Path(TYPES.into()), Answer::status(500), Some(2));
    serve(
        &parliament,
        "2025-11-17",
        None,
        &[&lords_amendments(), &print()],
    );
    let (logs, guard) = capture_logs();
    let run = check.check_on("2025-11-17").await;
    drop(guard);
    run.assert_code(0);
    assert_eq!(
        said(&run),
        [
            "stage_reached: 3rd reading in the House of Lords is taking place today, 17 November \
          2025."
        ]
    );
    assert_eq!(
        asked(&parliament, &mut from)[3..],
        [
            "/api/v1/PublicationTypes?Skip=0&Take=100",
            "/api/v1/PublicationTypes?Skip=0&Take=100"
        ],
        "one try and one retry"
    );
    assert!(
        logs.text()
            .contains("the publication types cannot be read now"),
        "{}",
        logs.text()
    );

    // The Commons consider the Lords amendments and send their reasons: the types are asked
    // for again (nothing was kept), and the reasons are told.
    let reasons = publication(
        60200,
        "Commons Reasons",
        "Commons",
        "Commons Reasons for disagreeing to Lords amendments",
        "2025-11-26",
    );
    serve(
        &parliament,
        "2025-11-26",
        None,
        &[&reasons, &lords_amendments(), &print()],
    );
    let run = check.check_on("2025-11-26").await;
    run.assert_code(0);
    assert_eq!(
        said(&run),
        [
            "stage_reached: Lords amendments considered by the Commons, round 1, on 25 November \
             2025.",
            "document_published: New document (Commons Reasons): “Commons Reasons for \
             disagreeing to Lords amendments”, published 26 November 2025 by the House of \
             Commons."
        ]
    );
    assert_eq!(
        asked(&parliament, &mut from)[3..],
        [
            "/api/v1/PublicationTypes?Skip=0&Take=100",
            "/api/v1/PublicationTypes?Skip=20&Take=100"
        ]
    );
}

/// `check --dry-run` asks for the types as a check would, and keeps nothing: the real check
/// after it asks again, and tells the Lords amendments once.
#[tokio::test(start_paused = true)]
async fn a_dry_run_reads_the_types_and_keeps_nothing() {
    let parliament = FakeParliament::new();
    let check = InProcess::new(&parliament, "mode = \"api\"\n", &[BILL], "");
    let mut from = 0;
    serve(&parliament, "2025-11-18", None, &[&print()]);
    check.check_on("2025-11-18").await.assert_code(0);
    asked(&parliament, &mut from);

    serve(
        &parliament,
        "2025-11-19",
        None,
        &[&lords_amendments(), &print()],
    );
    let clock = at("2025-11-19", "10:00:00");
    let store = billwatch::store::Store::open(&check.db_path()).expect("store");
    let http = parliament.http(&check.config.parliament);
    let sources = billwatch::source::Sources::with_state_and_http(
        &check.config,
        store.page_cache(),
        clock,
        http,
    );
    let db = billwatch::store::Db::open(&check.db_path())
        .await
        .expect("db");
    let report = billwatch::check::dry_run(
        &check.config,
        &sources,
        Some(&db),
        clock,
        Default::default(),
    )
    .await
    .expect("dry run");
    let previews: Vec<String> = report
        .previews
        .iter()
        .map(|(e, _)| {
            format!(
                "{}: {}",
                e.kind.as_str(),
                e.document.as_ref().map_or("", |d| d.kind.as_str())
            )
        })
        .collect();
    assert_eq!(previews, ["document_published: Lords amendments"]);
    let types = [
        "/api/v1/PublicationTypes?Skip=0&Take=100",
        "/api/v1/PublicationTypes?Skip=20&Take=100",
    ];
    assert_eq!(asked(&parliament, &mut from)[3..], types);
    assert_eq!(store.meta("publication_types").expect("meta"), None);

    let run = check.check_on("2025-11-19").await;
    run.assert_code(0);
    assert_eq!(
        said(&run),
        [
            "document_published: New document (Lords amendments): “Lords amendments to the Border \
          Security, Asylum and Immigration Bill”, published 19 November 2025 by the House of \
          Lords."
        ]
    );
    assert_eq!(asked(&parliament, &mut from)[3..], types);
    assert!(store.meta("publication_types").expect("meta").is_some());
}
