//! Votes (divisions) through the in-process fakes: the Bills API and the Commons Votes API
//! answer from the same fake. Each test says which alerts go out, how many times, and what a
//! check costs in requests.

mod common;

use billwatch::check::CheckOptions;
use common::*;
use serde_json::{Value, json};

/// The listing spares unchanged bills (no full refresh within the test's days).
const VOTES_ON: &str = "mode = \"api\"\nvotes = true\nfull_refresh = \"365d\"\n";
const COMMONS_SEARCH: &str = "/data/divisions.json/search";

/// A Commons division as the search lists it; `at` is UK local time.
fn commons(id: u32, at: &str, title: &str, ayes: u32, noes: u32) -> Value {
    json!({"DivisionId": id, "Date": at, "Number": id % 100, "IsDeferred": false,
           "Title": format!("Border Security, Asylum and Immigration Bill{title}"),
           "AyeCount": ayes, "NoCount": noes, "EVELType": ""})
}

fn second_reading() -> Value {
    commons(1873, "2025-02-10T22:01:00", ": Second Reading", 336, 175)
}

fn reasoned_amendment() -> Value {
    commons(
        1872,
        "2025-02-10T21:45:00",
        ": Reasoned Amendment to Second Reading",
        173,
        335,
    )
}

fn programme_motion() -> Value {
    commons(1874, "2025-02-10T22:15:00", ": Programme motion", 330, 170)
}

fn serve_votes(parliament: &FakeParliament, divisions: &[Value]) {
    let route = Route::Path(COMMONS_SEARCH.to_owned());
    parliament.answer(route, Answer::json(&json!(divisions)), None);
}

/// The second line of each alert (what happened) and the lines after it, per alert.
fn texts(run: &Checked) -> Vec<String> {
    run.alerts
        .iter()
        .map(|a| {
            let text = a["text"].as_str().unwrap_or_default();
            text.lines().skip(1).collect::<Vec<_>>().join("\n")
        })
        .collect()
}

fn votes_requests(parliament: &FakeParliament) -> usize {
    parliament
        .paths()
        .iter()
        .filter(|p| p.starts_with("/data/"))
        .count()
}

async fn check_at(check: &InProcess, day: &str, time: &str) -> Checked {
    let run = check.check(at(day, time), CheckOptions::default()).await;
    run.assert_code(0);
    run
}

/// A 2nd reading and its divisions found in the same check: one message says the stage and
/// both votes (the reasoned amendment and the reading); the programme motion's vote is only
/// recorded (procedural, hidden by default). Reruns and a later search repeat nothing, and a
/// check with no recent sitting asks no Votes API: it is one request.
#[tokio::test]
async fn a_reading_and_its_vote_in_the_same_check_make_one_message() {
    let parliament = FakeParliament::new();
    let check = InProcess::new(&parliament, VOTES_ON, &[BILL], "");
    parliament.serve_day("2025-02-05", 0);
    let first = check_at(&check, "2025-02-05", "10:00:00").await;
    assert_eq!(first.report.requests, 3, "record, stages, documents");
    assert_eq!(
        votes_requests(&parliament),
        0,
        "nothing sat in the last 3 days"
    );

    parliament.serve_day("2025-02-11", 0);
    serve_votes(
        &parliament,
        &[reasoned_amendment(), second_reading(), programme_motion()],
    );
    let run = check_at(&check, "2025-02-11", "10:00:00").await;
    assert_eq!(
        texts(&run),
        [
            "2nd reading in the House of Commons took place on 10 February 2025.\n\
          What this means: the first debate on the bill's main ideas, usually ending in a vote.\n\
          Vote: reasoned amendment rejected, 173 to 335.\n\
          Vote: passed, Ayes 336, Noes 175.\n\
          Next: Committee stage in the House of Commons.\n\
          See the vote: https://votes.parliament.uk/Votes/Commons/Division/1873\n\
          Stages of this bill: https://bills.example.test/bills/3929/stages"
        ]
    );
    assert_eq!(
        run.report.requests, 5,
        "listing, record, stages, documents, one Commons search"
    );
    let searched = parliament.requests().last().expect("a request").url.clone();
    assert_eq!(
        searched.as_str(),
        "https://commonsvotes.fake.test/data/divisions.json/search?queryParameters.startDate=\
         2025-02-08&queryParameters.endDate=2025-02-11&queryParameters.skip=0&queryParameters.take=25"
    );

    // The same check again: the gap has not passed, nothing asked, nothing told.
    let again = check_at(&check, "2025-02-11", "10:05:00").await;
    assert!(again.alerts.is_empty(), "{:?}", texts(&again));
    assert_eq!(again.report.requests, 1, "the listing only");
    // After the gap, the search is made again and finds nothing new.
    let later = check_at(&check, "2025-02-11", "10:40:00").await;
    assert!(later.alerts.is_empty(), "{:?}", texts(&later));
    assert_eq!(
        later.report.requests, 2,
        "the listing and one Commons search"
    );
    // Days later, nobody sat recently: the quiet check is one request.
    let quiet = check_at(&check, "2025-02-20", "10:00:00").await;
    assert!(quiet.alerts.is_empty());
    assert_eq!(quiet.report.requests, 1, "the listing only");
    assert_eq!(votes_requests(&parliament), 2);
    show_lists_the_divisions_under_their_stage(&check);
}

/// `show` (text and JSON) lists each stage's divisions the checks recorded, the programme
/// motion's too (recorded, though not posted), oldest first, with their links.
fn show_lists_the_divisions_under_their_stage(check: &InProcess) {
    let store = billwatch::store::Store::open(&check.db_path()).expect("store");
    let (snapshot, _) = store.snapshot(BILL).expect("read").expect("stored");
    let votes = store.votes_of(BILL).expect("votes");
    let url = "https://bills.example.test/bills/3929/stages";
    let text = billwatch::cli::describe(&snapshot, &votes, url);
    let stage = "   19004  2nd reading                Commons     10 February 2025\n";
    let divisions = "          division 1872, 10 February 2025: Reasoned amendment to 2nd reading: \
                     rejected, Ayes 173, Noes 335\n          \
                     https://votes.parliament.uk/Votes/Commons/Division/1872\n          \
                     division 1873, 10 February 2025: 2nd reading: passed, Ayes 336, Noes 175\n          \
                     https://votes.parliament.uk/Votes/Commons/Division/1873\n          \
                     division 1874, 10 February 2025: Programme motion: agreed, Ayes 330, Noes 170\n          \
                     https://votes.parliament.uk/Votes/Commons/Division/1874\n";
    assert!(text.contains(&format!("{stage}{divisions}")), "{text}");
    assert_eq!(text.matches("division 18").count(), 3, "{text}");

    let json = billwatch::cli::show_json(&snapshot, &votes, "api", None);
    let stages = json["stages"].as_array().expect("stages");
    let second = stages
        .iter()
        .find(|s| s["id"] == 19004)
        .expect("2nd reading");
    assert_eq!(
        second["divisions"][1],
        json!({"house": "Commons", "id": 1873, "date": "2025-02-10",
               "title": "Border Security, Asylum and Immigration Bill: Second Reading",
               "question": "second_reading",
               "summary": "2nd reading: passed, Ayes 336, Noes 175",
               "ayes": 336, "noes": 175, "deferred": false,
               "url": "https://votes.parliament.uk/Votes/Commons/Division/1873"})
    );
    assert_eq!(second["divisions"].as_array().expect("list").len(), 3);
    let others: usize = stages
        .iter()
        .map(|s| s["divisions"].as_array().expect("list").len())
        .sum();
    assert_eq!(others, 3, "no division under another stage");
}

/// The division is published after the stage alert went: the stage is told alone, the vote
/// at the next search, on its own, once.
#[tokio::test]
async fn a_stage_reached_and_its_vote_a_check_later() {
    let parliament = FakeParliament::new();
    let check = InProcess::new(&parliament, VOTES_ON, &[BILL], "");
    parliament.serve_day("2025-02-05", 0);
    check_at(&check, "2025-02-05", "10:00:00").await;
    parliament.serve_day("2025-02-11", 0);
    serve_votes(&parliament, &[]);
    let run = check_at(&check, "2025-02-11", "10:00:00").await;
    assert_eq!(run.alert_lines().len(), 1);
    assert!(texts(&run)[0].starts_with("2nd reading in the House of Commons took place"));
    assert!(!texts(&run)[0].contains("Vote"));

    serve_votes(&parliament, &[second_reading()]);
    let run = check_at(&check, "2025-02-11", "10:45:00").await;
    assert_eq!(
        texts(&run),
        [
            "2nd reading in the House of Commons: passed on division, Ayes 336, Noes 175.\n\
          See the vote: https://votes.parliament.uk/Votes/Commons/Division/1873"
        ]
    );
    assert_eq!(run.alerts[0]["kind"], "division");
    for time in ["11:20:00", "12:00:00"] {
        let run = check_at(&check, "2025-02-11", time).await;
        assert!(run.alerts.is_empty(), "{time}: {:?}", texts(&run));
    }
}

/// The Commons Votes API fails: the stage alert goes in that check, the failure is logged, the
/// API is not asked again before the gap, and the vote comes after it, once.
#[tokio::test]
async fn a_failing_votes_api_holds_up_no_stage_alert() {
    let parliament = FakeParliament::new();
    let check = InProcess::new(&parliament, VOTES_ON, &[BILL], "");
    parliament.serve_day("2025-02-05", 0);
    check_at(&check, "2025-02-05", "10:00:00").await;
    parliament.serve_day("2025-02-11", 0);
    let route = Route::Path(COMMONS_SEARCH.to_owned());
    for (name, broken) in [
        ("500", Answer::status(500)),
        ("garbage", Answer::status(200).body("{\"not\": \"a list\"}")),
    ] {
        parliament.answer(route.clone(), broken, None);
        let (logs, guard) = capture_logs();
        let day = if name == "500" {
            "10:00:00"
        } else {
            "10:31:00"
        };
        let run = check_at(&check, "2025-02-11", day).await;
        drop(guard);
        let told = texts(&run);
        if name == "500" {
            assert_eq!(told.len(), 1, "the stage alert goes: {told:?}");
            assert!(told[0].starts_with("2nd reading in the House of Commons took place"));
        } else {
            assert!(told.is_empty(), "{told:?}");
        }
        assert!(
            logs.text().contains("the Commons Votes API"),
            "{name}: {}",
            logs.text()
        );
    }
    let asked = votes_requests(&parliament);
    assert_eq!(asked, 3, "500 and its one retry, then the garbage");
    serve_votes(&parliament, &[second_reading()]);
    let run = check_at(&check, "2025-02-11", "10:40:00").await;
    assert!(run.alerts.is_empty(), "the gap has not passed");
    assert_eq!(votes_requests(&parliament), asked);
    let run = check_at(&check, "2025-02-11", "11:05:00").await;
    assert_eq!(run.alerts.len(), 1);
    assert_eq!(run.alerts[0]["kind"], "division");
    let run = check_at(&check, "2025-02-12", "09:00:00").await;
    assert!(run.alerts.is_empty());
}

/// A report stage's votes on amendments wait until the day's newest is an hour old, then go
/// in one message, after the stages and the 3rd reading's vote (told with its stage); never
/// again.
#[tokio::test]
async fn an_amendment_day_is_grouped_into_one_message_after_an_hour() {
    let parliament = FakeParliament::new();
    let check = InProcess::new(&parliament, VOTES_ON, &[BILL], "");
    parliament.serve_day("2025-05-01", 0);
    check_at(&check, "2025-05-01", "10:00:00").await;
    parliament.serve_day("2025-05-12", 0);
    let report = " Report Stage: ";
    serve_votes(
        &parliament,
        &[
            commons(
                2001,
                "2025-05-12T17:00:00",
                &format!("{report}New Clause 7"),
                93,
                355,
            ),
            commons(
                2002,
                "2025-05-12T18:10:00",
                &format!("{report}Amendment 8"),
                180,
                330,
            ),
            commons(
                2003,
                "2025-05-12T20:30:00",
                &format!("{report}New Clause 20"),
                300,
                100,
            ),
            commons(2004, "2025-05-12T20:50:00", ": Third Reading", 320, 110),
        ],
    );
    // 21:00 in London: the newest amendment vote is 30 minutes old.
    let run = check_at(&check, "2025-05-12", "20:00:00").await;
    let told = texts(&run);
    assert_eq!(told.len(), 2, "{told:#?}");
    assert!(told[0].starts_with("Report stage in the House of Commons is taking place today"));
    assert!(!told[0].contains("Vote"), "{}", told[0]);
    assert!(told[1].starts_with("3rd reading in the House of Commons is taking place today"));
    assert!(
        told[1].contains("\nVote: passed, Ayes 320, Noes 110.\n"),
        "{}",
        told[1]
    );

    // 21:40 in London: an hour and ten minutes.
    let run = check_at(&check, "2025-05-12", "20:40:00").await;
    assert_eq!(
        texts(&run),
        [
            "Report stage in the House of Commons, 12 May 2025: 3 divisions on amendments: 1 \
          agreed, 2 rejected.\n\
          • New Clause 7: rejected, 93 to 355\n\
          • Amendment 8: rejected, 180 to 330\n\
          • New Clause 20: agreed, 300 to 100\n\
          Stages of this bill: https://bills.example.test/bills/3929/stages"
        ]
    );
    for (day, time) in [("2025-05-12", "21:20:00"), ("2025-05-13", "09:00:00")] {
        let run = check_at(&check, day, time).await;
        assert!(run.alerts.is_empty(), "{day} {time}: {:?}", texts(&run));
    }
}

/// A bill first seen with its divisions already published: they are recorded silently, and
/// never told later.
#[tokio::test]
async fn the_first_sight_of_a_bill_records_its_divisions_silently() {
    let parliament = FakeParliament::new();
    let check = InProcess::new(&parliament, VOTES_ON, &[BILL], "");
    parliament.serve_day("2025-02-11", 0);
    serve_votes(&parliament, &[second_reading(), reasoned_amendment()]);
    let run = check_at(&check, "2025-02-11", "10:00:00").await;
    assert!(run.alerts.is_empty());
    assert_eq!(
        votes_requests(&parliament),
        1,
        "asked at once: new sittings"
    );
    for time in ["11:00:00", "12:00:00"] {
        let run = check_at(&check, "2025-02-11", time).await;
        assert!(run.alerts.is_empty(), "{time}: {:?}", texts(&run));
    }
    assert_eq!(votes_requests(&parliament), 3);
}

/// `votes = false`: no Votes API is ever asked, whatever sat.
#[tokio::test]
async fn votes_off_asks_nothing() {
    let parliament = FakeParliament::new();
    let check = InProcess::new(&parliament, "mode = \"api\"\nvotes = false\n", &[BILL], "");
    parliament.serve_day("2025-02-05", 0);
    check_at(&check, "2025-02-05", "10:00:00").await;
    parliament.serve_day("2025-02-11", 0);
    serve_votes(&parliament, &[second_reading()]);
    let run = check_at(&check, "2025-02-11", "10:00:00").await;
    assert_eq!(run.alerts.len(), 1);
    assert_eq!(
        run.report.requests, 3,
        "record, stages, documents (a full fetch: a day on)"
    );
    assert_eq!(votes_requests(&parliament), 0);
}

/// A Votes API failing search after search is told to the operator once, when the failures
/// reach the threshold (3 without a `[telegram]` section), and once when it answers again;
/// not at every failure.
#[tokio::test]
async fn a_votes_api_failing_again_and_again_is_told_once_and_its_recovery_once() {
    let parliament = FakeParliament::new();
    let check = InProcess::new(&parliament, VOTES_ON, &[BILL], "");
    parliament.serve_day("2025-02-05", 0);
    check_at(&check, "2025-02-05", "10:00:00").await;
    parliament.serve_day("2025-02-11", 0);
    let route = Route::Path(COMMONS_SEARCH.to_owned());
    parliament.answer(route, Answer::status(500), None);
    let mut told = Vec::new();
    for time in ["10:00:00", "10:31:00", "11:02:00", "11:33:00"] {
        let run = check_at(&check, "2025-02-11", time).await;
        told.push(run.report.notices.clone());
    }
    serve_votes(&parliament, &[second_reading()]);
    for time in ["12:04:00", "12:35:00"] {
        let run = check_at(&check, "2025-02-11", time).await;
        told.push(run.report.notices.clone());
    }
    let counts: Vec<usize> = told.iter().map(Vec::len).collect();
    assert_eq!(counts, [0, 0, 1, 0, 1, 0], "{told:#?}");
    assert!(
        told[2][0].starts_with("the Commons Votes API has failed 3 searches in a row ("),
        "{}",
        told[2][0]
    );
    assert_eq!(
        told[4][0],
        "the Commons Votes API answers again: votes go on."
    );
}

/// A deferred division (voted on by ballot days after the debate, given without a time) is
/// found while its debate is within the votes window (`RECENT_SITTING_DAYS`), matched to the
/// debate's sitting, and said to be deferred, once. One held after the window is not asked
/// for: no recent sitting, no request.
#[tokio::test]
async fn a_deferred_division_within_the_window_is_told_as_deferred() {
    let parliament = FakeParliament::new();
    let all = "[alerts]\nstages = \"all\"\n";
    let check = InProcess::new(&parliament, VOTES_ON, &[BILL], all);
    parliament.serve_day("2025-02-05", 0);
    check_at(&check, "2025-02-05", "10:00:00").await;
    parliament.serve_day("2025-02-11", 0);
    serve_votes(&parliament, &[second_reading()]);
    check_at(&check, "2025-02-11", "10:00:00").await;

    let mut deferred = commons(1880, "2025-02-12T00:00:00", ": Programme motion", 330, 170);
    deferred["IsDeferred"] = true.into();
    serve_votes(&parliament, &[second_reading(), deferred]);
    let asked = votes_requests(&parliament);
    let run = check_at(&check, "2025-02-13", "10:00:00").await;
    assert_eq!(
        texts(&run),
        [
            "2nd reading in the House of Commons, 10 February 2025: 1 division on a motion: \
             1 agreed, 0 rejected.\n\
             • Programme motion: agreed, 330 to 170 (deferred, voted on 12 February 2025)\n\
             Stages of this bill: https://bills.example.test/bills/3929/stages"
        ]
    );
    assert_eq!(votes_requests(&parliament), asked + 1, "one Commons search");
    let again = check_at(&check, "2025-02-13", "11:00:00").await;
    assert!(again.alerts.is_empty(), "{:?}", texts(&again));

    // Eight days after the debate, past the votes window: nothing is asked.
    let mut late = commons(1881, "2025-02-18T00:00:00", ": Money resolution", 300, 200);
    late["IsDeferred"] = true.into();
    serve_votes(&parliament, &[late]);
    let asked = votes_requests(&parliament);
    let run = check_at(&check, "2025-02-18", "10:00:00").await;
    assert!(run.alerts.is_empty(), "{:?}", texts(&run));
    assert_eq!(
        votes_requests(&parliament),
        asked,
        "no sitting in the window"
    );
    assert_eq!(run.report.requests, 1, "the listing only");
}

/// `check --dry-run` asks the Votes API as a check would (it may fetch) and shows the vote it
/// would tell, but records nothing: no division, not the time of the search; the real check
/// after it tells the vote, once.
#[tokio::test]
async fn a_dry_run_searches_the_votes_and_records_nothing() {
    let parliament = FakeParliament::new();
    let check = InProcess::new(&parliament, VOTES_ON, &[BILL], "");
    parliament.serve_day("2025-02-05", 0);
    check_at(&check, "2025-02-05", "10:00:00").await;
    parliament.serve_day("2025-02-11", 0);
    serve_votes(&parliament, &[second_reading()]);

    let clock = at("2025-02-11", "10:00:00");
    let store = billwatch::store::Store::open_read_only(&check.db_path())
        .expect("opens")
        .expect("exists");
    let http = parliament.http(&check.config.parliament);
    let sources = billwatch::source::Sources::with_state_and_http(
        &check.config,
        store.page_cache(),
        clock,
        http,
    );
    let db = billwatch::store::Db::new(store);
    let report = billwatch::check::dry_run(
        &check.config,
        &sources,
        Some(&db),
        clock,
        CheckOptions::default(),
    )
    .await
    .expect("dry run");
    let previews: Vec<&str> = report
        .previews
        .iter()
        .map(|(e, _)| e.kind.as_str())
        .collect();
    assert_eq!(previews, ["stage_reached"]);
    assert_eq!(
        report.previews[0].0.votes.len(),
        1,
        "the vote, told with its stage"
    );
    assert_eq!(votes_requests(&parliament), 1, "the dry run searched");
    drop((sources, db));

    let store = billwatch::store::Store::open(&check.db_path()).expect("store");
    assert_eq!(store.votes_of(BILL).expect("votes"), []);
    assert_eq!(store.meta("votes_searched:Commons").expect("meta"), None);
    drop(store);
    let run = check_at(&check, "2025-02-11", "10:01:00").await;
    assert_eq!(run.alerts.len(), 1);
    assert!(texts(&run)[0].contains("Vote: passed, Ayes 336, Noes 175."));
    assert_eq!(votes_requests(&parliament), 2);
}
