//! Readers following bills in a private chat, in paused time through the in-process fake
//! Parliament: `/follow`, `/unfollow`, `/mine` and `/forget` as the bot answers them, the limits,
//! `follow_any` off and on, and a reader's bill tracked for them alone.

mod common;

use std::sync::Arc;
use std::time::Duration;

use billwatch::bot::{Answers, Searcher};
use billwatch::clock::Clock;
use billwatch::source::Sources;
use billwatch::store::Db;
use common::*;
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};

const READER: i64 = 4001;
const OTHER: i64 = 4002;
const TITLE: &str = "Border Security, Asylum and Immigration Bill";

/// A bill with one stage, its 1st reading in the Commons on `day`, updated at `day` 09:00.
fn bill(id: u32, title: &str, day: &str) -> (Value, Value) {
    let stage = json!({"id": id * 10, "stageId": 6, "description": "1st reading",
                       "house": "Commons", "sortOrder": 1,
                       "stageSittings": [{"date": format!("{day}T00:00:00")}]});
    let record = json!({"billId": id, "shortTitle": title,
        "longTitle": format!("A Bill to make provision about {}", title.to_lowercase()),
        "currentHouse": "Commons", "originatingHouse": "Commons", "billTypeId": 1,
        "introducedSessionId": 40, "includedSessionIds": [40], "isAct": false,
        "isDefeated": false, "billWithdrawn": null,
        "lastUpdate": format!("{day}T09:00:00"), "currentStage": stage.clone()});
    let stages = json!({"items": [stage], "totalResults": 1, "itemsPerPage": 20});
    (record, stages)
}

/// The Border Security bill as on 10 February 2025, and two bills no config lists.
fn parliament() -> FakeParliament {
    let parliament = FakeParliament::new();
    parliament.serve_day("2025-02-10", 0);
    for (id, title) in [
        (101, "Water (Special Measures) Bill"),
        (102, "Tobacco Bill"),
    ] {
        let (record, stages) = bill(id, title, "2025-02-01");
        parliament.serve_bill(id, record, stages);
    }
    parliament
}

fn deployment(parliament: &FakeParliament, telegram: &str) -> InProcess {
    InProcess::new(
        parliament,
        "",
        &[BILL],
        &format!("[telegram]\nchat = \"@bill_alerts\"\n{telegram}"),
    )
}

/// The bot's answers for `check`'s config and database, asking the fake Parliament.
async fn answers(check: &InProcess, clock: Clock) -> Answers {
    let config = Arc::new(check.config.clone());
    let (_config_tx, config_rx) = watch::channel(config.clone());
    let (check_now, _) = mpsc::unbounded_channel();
    let db = Db::open(&check.db_path()).await.expect("db");
    let http = check.parliament.http(&config.parliament);
    let sources = Sources::with_http(&config, http);
    let searcher = Searcher::new(sources.api, config.parliament.site_url.clone());
    Answers::new(config_rx, clock, check_now, db, Some(searcher))
}

/// What the bot answers `text` from `reader`; then 7 seconds pass, so that no reader comes
/// near the limit of ten commands a minute.
async fn ask(bot: &Answers, reader: i64, text: &str) -> String {
    let answer = bot.answer(reader, Some(reader), text).await;
    tokio::time::advance(Duration::from_secs(7)).await;
    answer.expect("an answer")
}

fn count(check: &InProcess, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(check.db_path()).expect("db");
    conn.query_row(sql, [], |r| r.get(0)).expect("count")
}

#[tokio::test(start_paused = true)]
async fn a_reader_follows_unfollows_and_is_forgotten() {
    let check = deployment(&parliament(), "");
    check.check_on("2025-02-11").await;
    let bot = answers(&check, at("2025-02-11", "10:00:00")).await;

    assert_eq!(
        ask(&bot, READER, "/mine").await,
        "You follow no bill yet. Send /follow with a bill's number, its bills.parliament.uk \
         address or words of its title, e.g. <code>/follow 3929</code>."
    );
    let followed = format!(
        "You now follow <b>{TITLE}</b> (3929). Its alerts will come here, each once.\n\
         /mine lists what you follow; /unfollow 3929 stops this one."
    );
    assert_eq!(ask(&bot, READER, "/follow 3929").await, followed);
    assert_eq!(
        ask(
            &bot,
            READER,
            "/follow https://bills.parliament.uk/bills/3929/stages"
        )
        .await,
        format!("You already follow <b>{TITLE}</b> (3929). /mine lists what you follow.")
    );
    // Words of the title find the bill among those tracked, whatever their case.
    assert_eq!(ask(&bot, OTHER, "/follow BORDER security").await, followed);
    assert_eq!(
        ask(&bot, READER, "/mine").await,
        format!(
            "<b>The bills you follow</b> (1 of at most 30)\n\n<b>{TITLE}</b> (3929)\n\
             Now: 2nd reading in the House of Commons, 10 February 2025\n/unfollow 3929\n"
        )
    );

    // Without follow_any, only the deployment's bills: nothing is asked of Parliament.
    let before = check.parliament.requests().len();
    assert_eq!(
        ask(&bot, READER, "/follow 101").await,
        "I follow only the bills this channel tracks, and bill 101 is not one of them. \
         /bills lists them."
    );
    assert_eq!(
        ask(&bot, READER, "/follow water").await,
        "No bill I track matches “water”. /bills lists them; /search finds others."
    );
    assert_eq!(check.parliament.requests().len(), before);

    assert_eq!(
        ask(&bot, READER, "/unfollow 3929").await,
        format!("You no longer follow <b>{TITLE}</b> (3929). /follow 3929 follows it again.")
    );
    assert_eq!(
        ask(&bot, READER, "/unfollow 3929").await,
        "You do not follow bill 3929. /mine lists the bills you follow."
    );
    assert_eq!(ask(&bot, READER, "/follow 3929").await, followed);

    assert_eq!(
        ask(&bot, READER, "/forget").await,
        "Done: I have deleted everything I kept about you: your chat id, the 1 bill(s) you \
         followed and any alerts waiting for you. /follow starts afresh."
    );
    let reader = format!("'{READER}'");
    assert_eq!(
        count(
            &check,
            &format!("SELECT count(*) FROM reader_follows WHERE chat = {reader}")
        ),
        0
    );
    assert_eq!(
        count(
            &check,
            &format!("SELECT count(*) FROM deliveries WHERE chat = {reader}")
        ),
        0
    );
    // The other reader is untouched.
    assert_eq!(count(&check, "SELECT count(*) FROM reader_follows"), 1);
}

#[tokio::test(start_paused = true)]
async fn with_follow_any_any_bill_within_the_limits() {
    let check = deployment(
        &parliament(),
        "follow_any = true\nmax_follows = 2\nmax_followed_bills = 1\n",
    );
    check.check_on("2025-02-11").await;
    let bot = answers(&check, at("2025-02-11", "10:00:00")).await;

    assert_eq!(
        ask(&bot, READER, "/follow 101").await,
        "You now follow <b>Water (Special Measures) Bill</b> (101). Its alerts will come here, \
         each once.\n/mine lists what you follow; /unfollow 101 stops this one."
    );
    // A second bill of readers' own is past max_followed_bills...
    assert_eq!(
        ask(&bot, OTHER, "/follow 102").await,
        "Readers here follow 1 bills of their own already, the most this bot takes on, so I \
         cannot take on <b>Tobacco Bill</b> (102). /bills lists the bills it tracks."
    );
    // ... but a bill someone follows already, or the deployment tracks, costs nothing more.
    assert!(
        ask(&bot, OTHER, "/follow 101")
            .await
            .starts_with("You now follow <b>Water (Special Measures) Bill</b> (101)."),
    );
    assert!(
        ask(&bot, READER, "/follow 3929")
            .await
            .starts_with("You now follow <b>Border Security")
    );
    assert_eq!(
        ask(&bot, READER, "/follow 102").await,
        "You follow 2 bills, the most one reader can here. /unfollow one first (/mine lists \
         them)."
    );
    assert_eq!(
        ask(&bot, OTHER, "/follow 99999").await,
        "There is no bill 99999 on bills.parliament.uk."
    );
    // Words no tracked bill has: Parliament's search, one match.
    assert!(
        ask(&bot, OTHER, "/follow tobacco")
            .await
            .starts_with("Readers here follow 1 bills of their own already")
    );

    // The next check tracks bill 101 for its readers, silently, and posts nothing to the
    // channel; its change a day later is queued once for each of its two readers.
    let first = check.check_on("2025-02-12").await;
    assert!(first.report.bills.iter().any(|b| b.bill_id == 101));
    assert_eq!(first.alerts.len(), 0);
    let (record, mut stages) = bill(101, "Water (Special Measures) Bill", "2025-02-01");
    let mut record = record;
    let second = json!({"id": 1011, "stageId": 7, "description": "2nd reading",
                        "house": "Commons", "sortOrder": 2,
                        "stageSittings": [{"date": "2025-02-12T00:00:00"}]});
    stages["items"].as_array_mut().expect("items").push(second);
    stages["totalResults"] = json!(2);
    record["lastUpdate"] = json!("2025-02-12T11:00:00");
    check.parliament.serve_bill(101, record, stages);
    let changed = check
        .check(at("2025-02-12", "12:00:00"), Default::default())
        .await;
    assert_eq!(changed.alerts.len(), 0, "nothing for the channel");
    assert_eq!(count(&check, "SELECT count(*) FROM reader_alerts"), 1);
    assert_eq!(
        count(
            &check,
            "SELECT count(*) FROM deliveries WHERE status = 'pending'"
        ),
        2
    );
    // Again: nothing more.
    check
        .check(at("2025-02-12", "13:00:00"), Default::default())
        .await;
    assert_eq!(count(&check, "SELECT count(*) FROM deliveries"), 2);

    // A reader forgotten: their message waiting is gone with them.
    ask(&bot, OTHER, "/forget").await;
    assert_eq!(count(&check, "SELECT count(*) FROM deliveries"), 1);
}

/// Bill 101 with its 2nd reading on `day` too.
fn bill_at_second_reading(day: &str) -> (Value, Value) {
    let (mut record, mut stages) = bill(101, "Water (Special Measures) Bill", "2025-02-01");
    let second = json!({"id": 1011, "stageId": 7, "description": "2nd reading",
                        "house": "Commons", "sortOrder": 2,
                        "stageSittings": [{"date": format!("{day}T00:00:00")}]});
    stages["items"].as_array_mut().expect("items").push(second);
    stages["totalResults"] = json!(2);
    record["lastUpdate"] = json!(format!("{day}T11:00:00"));
    (record, stages)
}

#[tokio::test(start_paused = true)]
async fn a_bill_followed_again_after_no_one_did_tells_nothing_of_the_time_between() {
    let check = deployment(&parliament(), "follow_any = true\n");
    check.check_on("2025-02-11").await;
    let bot = answers(&check, at("2025-02-11", "10:00:00")).await;

    // Bill 101 tracked for its one reader (first sight silent), who then leaves it.
    assert!(
        ask(&bot, READER, "/follow 101")
            .await
            .starts_with("You now follow")
    );
    check.check_on("2025-02-12").await;
    assert!(
        ask(&bot, READER, "/unfollow 101")
            .await
            .starts_with("You no longer follow")
    );

    // No one follows it: it is not checked while its 2nd reading comes and goes.
    let (record, stages) = bill_at_second_reading("2025-02-20");
    check.parliament.serve_bill(101, record, stages);
    let quiet = check.check_on("2025-02-21").await;
    assert!(!quiet.report.bills.iter().any(|b| b.bill_id == 101));

    // Someone follows it weeks later: the 2nd reading, before they followed, is old news.
    assert!(
        ask(&bot, OTHER, "/follow 101")
            .await
            .starts_with("You now follow")
    );
    check.check_on("2025-03-01").await;
    assert_eq!(
        count(&check, "SELECT count(*) FROM deliveries"),
        0,
        "a reader who followed on 1 March was sent the 2nd reading of 20 February, from the \
         weeks no one followed the bill"
    );
    // Its news from then on comes as always.
    let (record, mut stages) = bill_at_second_reading("2025-02-20");
    let committee = json!({"id": 1012, "stageId": 8, "description": "Committee stage",
                           "house": "Commons", "sortOrder": 3,
                           "stageSittings": [{"date": "2025-03-02T00:00:00"}]});
    stages["items"]
        .as_array_mut()
        .expect("items")
        .push(committee);
    stages["totalResults"] = json!(3);
    let mut record = record;
    record["lastUpdate"] = json!("2025-03-02T11:00:00");
    check.parliament.serve_bill(101, record, stages);
    check.check_on("2025-03-03").await;
    assert_eq!(count(&check, "SELECT count(*) FROM deliveries"), 1);
}

#[tokio::test(start_paused = true)]
async fn limits_of_zero_refuse_plainly_not_as_if_the_reader_had_used_them_up() {
    let check = deployment(&parliament(), "follow_any = true\nmax_follows = 0\n");
    check.check_on("2025-02-11").await;
    let bot = answers(&check, at("2025-02-11", "10:00:00")).await;
    let refused = ask(&bot, READER, "/follow 3929").await;
    assert_eq!(
        refused,
        "This bot takes no personal follows: its alerts go to its channel. /bills lists the \
         bills it tracks.",
        "a reader who follows nothing was told they had used up their follows"
    );

    let check = deployment(&parliament(), "follow_any = true\nmax_followed_bills = 0\n");
    check.check_on("2025-02-11").await;
    let bot = answers(&check, at("2025-02-11", "10:00:00")).await;
    assert_eq!(
        ask(&bot, READER, "/follow 101").await,
        "I follow only the bills this channel tracks, and bill 101 is not one of them. \
         /bills lists them.",
        "no bill of readers' own at all is not 'readers follow 0 bills already'"
    );
    assert!(
        ask(&bot, READER, "/follow 3929")
            .await
            .starts_with("You now follow")
    );
}

/// Whether the database's files (with its write-ahead log) hold `text` anywhere, in a live
/// row or in a page it was deleted from.
fn on_disk(check: &InProcess, text: &str) -> bool {
    let path = check.db_path();
    let mut files = vec![path.clone()];
    files.push(format!("{}-wal", path.display()).into());
    files
        .iter()
        .filter_map(|f| std::fs::read(f).ok())
        .any(|bytes| bytes.windows(text.len()).any(|w| w == text.as_bytes()))
}

#[tokio::test(start_paused = true)]
async fn forget_leaves_no_trace_of_the_reader_in_the_database_files() {
    const SECRET: i64 = 987_654_321_123;
    let check = deployment(&parliament(), "");
    check.check_on("2025-02-11").await;
    let bot = answers(&check, at("2025-02-11", "10:00:00")).await;
    assert!(
        ask(&bot, SECRET, "/follow 3929")
            .await
            .starts_with("You now follow")
    );
    assert!(on_disk(&check, &SECRET.to_string()));
    assert!(ask(&bot, SECRET, "/forget").await.starts_with("Done"));
    drop(bot);
    assert!(
        !on_disk(&check, &SECRET.to_string()),
        "/forget deleted the reader's rows, but their chat id is still in the database file, \
         in the pages the rows were deleted from"
    );
}

/// Hostile and odd words after each reader command: every answer is valid Telegram HTML,
/// refuses or lists plainly, and follows nothing it was not asked to.
#[tokio::test(start_paused = true)]
async fn odd_input_gets_valid_html_and_follows_nothing() {
    let check = deployment(&parliament(), "");
    check.check_on("2025-02-11").await;
    let bot = answers(&check, at("2025-02-11", "10:00:00")).await;
    let long = "border security ".repeat(700);
    let odd = [
        "   ",
        "0",
        "-5",
        "99999999999999999999",
        "4294967295",
        "https://example.com/bills/3929",
        "javascript:alert(1)",
        "<b>border</b> & <i>security",
        "🏴󠁧󠁢󠁥󠁮󠁧󠁿 bill 🚀",
        "قانون الحدود",
        "%_%",
        "'; DROP TABLE reader_follows; --",
        long.as_str(),
    ];
    for (i, words) in odd.iter().enumerate() {
        for command in ["/follow", "/unfollow", "/follow@otherbot"] {
            let reader = 5000 + i as i64;
            let answer = ask(&bot, reader, &format!("{command} {words}")).await;
            telegram_html::parse(&answer)
                .unwrap_or_else(|e| panic!("{command} {words:?}: {e}\n{answer}"));
            assert!(
                answer.chars().count() < 1000,
                "{command} {words:?}: {answer}"
            );
        }
    }
    // None of them names a bill: nothing was followed.
    assert_eq!(count(&check, "SELECT count(*) FROM reader_follows"), 0);
    for answer in [
        ask(&bot, READER, "/mine").await,
        ask(&bot, READER, "/forget").await,
    ] {
        telegram_html::parse(&answer).expect("valid HTML");
    }
}

/// With `follow_any` and no way to ask Parliament (its client could not be made), a bill
/// this deployment does not know is not followed unseen: it may not exist.
#[tokio::test(start_paused = true)]
async fn without_parliament_a_bill_not_known_here_is_not_followed_unseen() {
    let check = deployment(&parliament(), "follow_any = true\n");
    check.check_on("2025-02-11").await;
    let config = Arc::new(check.config.clone());
    let (_config_tx, config_rx) = watch::channel(config);
    let (check_now, _) = mpsc::unbounded_channel();
    let db = Db::open(&check.db_path()).await.expect("db");
    let clock = at("2025-02-11", "10:00:00");
    let bot = Answers::new(config_rx, clock, check_now, db, None);
    assert_eq!(
        ask(&bot, READER, "/follow 99999999").await,
        "Sorry, I cannot look bills up right now. Try again in a few minutes."
    );
    assert!(
        ask(&bot, READER, "/follow 3929")
            .await
            .starts_with("You now follow <b>Border Security"),
        "a bill tracked here needs no look-up"
    );
    assert_eq!(count(&check, "SELECT count(*) FROM reader_follows"), 1);
}
