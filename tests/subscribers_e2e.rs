//! For subscribers: the bot's commands, the live status card, the daily digest — against a
//! fake Bot API, through the real binary.

mod common;

use common::*;
use serde_json::Value;
use wiremock::ResponseTemplate;

const READER: i64 = 555;
const OPERATOR: i64 = 777;

fn telegram(tg: &FakeTelegram, more: &str) -> String {
    format!(
        "[telegram]\nchat = \"@bill_alerts\"\napi_url = \"{}\"\noperators = [{OPERATOR}]\n{more}",
        tg.uri()
    )
}

/// Messages sent to one chat.
async fn to_chat(tg: &FakeTelegram, chat: Value) -> Vec<String> {
    tg.sends()
        .await
        .into_iter()
        .filter(|(_, b)| b["chat_id"] == chat)
        .map(|(_, b)| b["text"].as_str().unwrap_or("").to_owned())
        .collect()
}

/// Asks the bot `text` as `user` and returns its answer.
async fn ask(tg: &FakeTelegram, user: i64, text: &str) -> String {
    let before = to_chat(tg, user.into()).await.len();
    tg.say(user, text);
    wait_until(&format!("the answer to {text}"), async || {
        to_chat(tg, user.into()).await.len() > before
    })
    .await;
    to_chat(tg, user.into()).await[before..].join("\n")
}

/// Asks every question at once, each from its own user (so no reply waits for another's turn
/// in a chat), and returns the answers in order.
async fn ask_all(tg: &FakeTelegram, questions: &[(i64, &str)]) -> Vec<String> {
    for (user, text) in questions {
        assert!(to_chat(tg, (*user).into()).await.is_empty(), "a fresh user");
        tg.say(*user, text);
    }
    wait_until("every answer", async || {
        for (user, _) in questions {
            if to_chat(tg, (*user).into()).await.is_empty() {
                return false;
            }
        }
        true
    })
    .await;
    let mut answers = Vec::new();
    for (user, _) in questions {
        answers.push(to_chat(tg, (*user).into()).await.join("\n"));
    }
    answers
}

#[tokio::test]
async fn the_bot_answers_commands() {
    let api = FakeApi::start().await;
    let tg = FakeTelegram::start().await;
    let scratch = Scratch::new();
    // One check at start, then not before next year: /check must trigger the next.
    let extra = format!("[schedule]\ncron = \"0 0 1 1 *\"\n{}", telegram(&tg, ""));
    scratch.write_config(&api.uri(), &[BILL], &extra);
    api.serve_day("2025-11-20", 7).await;
    let mut child = scratch.spawn(&["--today", "2025-11-20", "run"], false);
    wait_until("the commands registered", async || {
        tg.calls("setMyCommands").await.len() >= 2
    })
    .await;
    assert_registered(&tg).await;
    wait_until("the first check", async || {
        scratch
            .run(&["status", "--json"])
            .await
            .stdout
            .contains("\"bills_ok\":1")
    })
    .await;

    readers_get_answers(&tg).await;

    // A reader follows the bill in their private chat; the running worker keeps it.
    let follower = READER + 50;
    let followed = ask(&tg, follower, "/follow 3929").await;
    assert!(
        followed.starts_with(
            "You now follow <b>Border Security, Asylum and Immigration Bill</b> (3929)."
        ),
        "{followed}"
    );
    let mine = ask(&tg, follower, "/mine").await;
    assert!(
        mine.contains("(1 of at most 30)") && mine.contains("/unfollow 3929"),
        "{mine}"
    );

    let status = ask(&tg, OPERATOR, "/status").await;
    assert!(
        status.contains("Last check:") && status.contains("(1 ok, 0 failed"),
        "{status}"
    );
    assert!(status.contains("Every source is answering."), "{status}");

    let requests_before = api.requests().await.len();
    let check = ask(&tg, OPERATOR, "/check").await;
    assert_eq!(
        check,
        "Checking now; any alerts will follow in the channel."
    );
    wait_until("the check asked for", async || {
        api.requests().await.len() > requests_before
    })
    .await;

    // Still alive after all that.
    assert!(
        child.try_wait().expect("status").is_none(),
        "the worker is still running"
    );
    child.kill().await.expect("kill");
}

/// The public commands for everyone's private chats, and the operators' for each operator.
async fn assert_registered(tg: &FakeTelegram) {
    let registered = tg.calls("setMyCommands").await;
    let names = |v: &Value| -> Vec<String> {
        v["commands"]
            .as_array()
            .map(|c| {
                c.iter()
                    .map(|c| c["command"].as_str().unwrap_or("").to_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(
        names(&registered[0]),
        [
            "bills", "bill", "next", "search", "follow", "unfollow", "mine", "forget", "whoami",
            "help"
        ]
    );
    assert_eq!(registered[0]["scope"]["type"], "all_private_chats");
    assert_eq!(
        names(&registered[1]),
        [
            "bills", "bill", "next", "search", "follow", "unfollow", "mine", "forget", "whoami",
            "help", "status", "check"
        ]
    );
    assert_eq!(registered[1]["scope"]["chat_id"], OPERATOR);
}

/// Readers are users 555, 556...: each asks one question, all at once.
async fn readers_get_answers(tg: &FakeTelegram) {
    let questions = [
        "/start",
        "/bills",
        "/bill border security",
        "/bill 3929",
        "/bill 9999",
        "/bill '; DROP TABLE bills; -- <b>",
        "/next",
        "/status",
        "hello?",
        "/frobnicate",
        "/whoami",
    ];
    let asked: Vec<(i64, &str)> = (READER..).zip(questions).collect();
    let answers = ask_all(tg, &asked).await;
    let answer = |q: &str| -> String {
        answers[questions.iter().position(|x| *x == q).expect("asked")].clone()
    };
    assert_about_bills(&answer);
    assert_about_the_rest(&answer);
}

/// The answers about the bills followed.
fn assert_about_bills(answer: &dyn Fn(&str) -> String) {
    let start = answer("/start");
    assert!(
        start.contains("I follow bills in the UK Parliament"),
        "{start}"
    );
    assert!(
        !start.contains("/status"),
        "operators' commands are not offered to others: {start}"
    );
    // The first reader asked /start: the id is the sender's, from Telegram's update.
    assert!(
        start.ends_with(&format!(
            "Your Telegram user id is <code>{READER}</code> (for <code>telegram.operators</code>)."
        )),
        "{start}"
    );

    let bills = answer("/bills");
    assert!(
        bills.contains("<b>Border Security, Asylum and Immigration Bill</b> (3929)"),
        "{bills}"
    );
    assert!(
        bills.contains("Now: 3rd reading in the House of Lords, 17 November 2025"),
        "{bills}"
    );
    assert!(
        bills.contains("<a href=\"https://bills.example.test/bills/3929/stages\">Stages</a>"),
        "{bills}"
    );

    let story = answer("/bill border security");
    assert!(
        story.contains("✅ 30 January 2025: 1st reading in the House of Commons"),
        "{story}"
    );
    assert!(
        story.contains("✅ 17 November 2025: 3rd reading in the House of Lords"),
        "{story}"
    );
    assert!(
        story.contains(
            "🗓 25 November 2025 (provisional): Lords amendments considered by the Commons, round 1"
        ),
        "{story}"
    );
    assert!(
        !story.contains("Programme motion"),
        "procedural stages are left out: {story}"
    );
    assert_eq!(answer("/bill 3929"), story);

    let unknown = answer("/bill 9999");
    assert_eq!(
        unknown,
        "I don't follow a bill matching “9999”. /bills lists the ones I do."
    );
    // What people type is only ever a lookup, and is escaped when echoed.
    let tricky = answer("/bill '; DROP TABLE bills; -- <b>");
    assert_eq!(
        tricky,
        "I don't follow a bill matching “'; DROP TABLE bills; -- &lt;b&gt;”. /bills lists the ones I do."
    );
}

/// The answers to the rest: what is next, and what readers may not or cannot ask.
fn assert_about_the_rest(answer: &dyn Fn(&str) -> String) {
    let next = answer("/next");
    assert!(
        next.contains("\n25 November 2025: Lords amendments considered by the Commons, round 1: Border Security, Asylum and Immigration Bill (3929)"),
        "{next}"
    );

    let refused = answer("/status");
    assert!(
        refused.starts_with("Sorry, that command is for the people who run this bot."),
        "{refused}"
    );
    let free = answer("hello?");
    assert!(free.starts_with("I answer commands only."), "{free}");
    let odd = answer("/frobnicate");
    assert!(odd.starts_with("I don't know that command."), "{odd}");
    // The eleventh reader asked /whoami.
    let whoami = answer("/whoami");
    assert!(
        whoami.starts_with(&format!(
            "Your Telegram user id is <code>{}</code>",
            READER + 10
        )),
        "{whoami}"
    );
}

/// The card is posted (and pinned) once by `check`, and left alone when the bill did not move.
/// Its edits in place and its replacement when deleted are telegram_paused
/// `status_card_is_edited_in_place_and_replaced_when_deleted`.
#[tokio::test]
async fn status_card_is_posted_once_and_left_alone() {
    let api = FakeApi::start().await;
    let tg = FakeTelegram::start().await;
    let scratch = Scratch::new();
    scratch.write_config(
        &api.uri(),
        &[BILL],
        &telegram(&tg, "status_card = true\npin_cards = true\n"),
    );
    let cards = async || -> Vec<String> {
        to_chat(&tg, "@bill_alerts".into())
            .await
            .into_iter()
            .filter(|t| t.contains("Royal Assent</b>"))
            .collect()
    };

    api.serve_day("2025-02-11", 7).await;
    scratch
        .run_tg(&["--today", "2025-02-11", "check"])
        .await
        .assert_code(0);
    let posted = cards().await;
    assert_eq!(posted.len(), 1, "{posted:#?}");
    assert_eq!(
        posted[0],
        "<b>Border Security, Asylum and Immigration Bill</b>\n\
         <b>Commons</b>: ✅ 1st reading · ▶️ 2nd reading · ▫️ committee · ▫️ report · ▫️ 3rd reading\n\
         <b>Lords</b>: ▫️ 1st reading · ▫️ 2nd reading · ▫️ committee · ▫️ report · ▫️ 3rd reading\n\
         <b>Royal Assent</b>: ▫️\n\
         Now: 2nd reading in the House of Commons (since 10 February 2025)\n\
         Next: Committee stage in the House of Commons (no date yet)\n\
         <a href=\"https://bills.example.test/bills/3929/stages\">Stages of this bill</a>"
    );
    assert_eq!(tg.calls("pinChatMessage").await.len(), 1);

    // Nothing moved: the card is left alone.
    scratch
        .run_tg(&["--today", "2025-02-11", "check"])
        .await
        .assert_code(0);
    assert!(tg.calls("editMessageText").await.is_empty());
}

/// Daily mode: one message per day summing up the day's alerts, after the set time; nothing
/// more that day; nothing at all on a day without news.
#[tokio::test]
async fn daily_digest_is_sent_once_a_day() {
    let api = FakeApi::start().await;
    let tg = FakeTelegram::start().await;
    let scratch = Scratch::new();
    let extra = format!(
        "[alerts]\nmode = \"daily\"\ndaily_at = \"00:00\"\n{}",
        telegram(&tg, "")
    );
    scratch.write_config(&api.uri(), &[BILL], &extra);
    api.serve_day("2025-02-01", 7).await;
    scratch
        .run_tg(&["--today", "2025-02-01", "check"])
        .await
        .assert_code(0);
    assert!(tg.sends().await.is_empty(), "nothing happened");

    api.serve_day("2025-05-15", 7).await;
    scratch
        .run_tg(&["--today", "2025-05-15", "check"])
        .await
        .assert_code(0);
    let sent = to_chat(&tg, "@bill_alerts".into()).await;
    assert_eq!(sent.len(), 1, "{sent:#?}");
    assert!(
        sent[0].starts_with("<b>Today in Parliament, 15 May 2025</b>: 5 update(s)"),
        "{}",
        sent[0]
    );
    assert_eq!(
        sent[0]
            .matches("<b>Border Security, Asylum and Immigration Bill</b>")
            .count(),
        5,
        "{}",
        sent[0]
    );

    // More news the same day waits for tomorrow's digest.
    api.serve_day("2025-05-30", 7).await;
    let run = scratch.run_tg(&["--today", "2025-05-15", "check"]).await;
    run.assert_code(0);
    assert_eq!(to_chat(&tg, "@bill_alerts".into()).await.len(), 1);
    let status = scratch.run_tg(&["status"]).await;
    assert!(
        status.stdout.contains("alerts: 1 pending"),
        "{}",
        status.stdout
    );

    scratch
        .run_tg(&["--today", "2025-05-16", "check"])
        .await
        .assert_code(0);
    let sent = to_chat(&tg, "@bill_alerts".into()).await;
    assert_eq!(sent.len(), 2);
    assert!(
        sent[1].starts_with("<b>Today in Parliament, 16 May 2025</b>: 1 update(s)"),
        "{}",
        sent[1]
    );
    assert!(
        sent[1].contains("Scheduled: 2nd reading in the House of Lords, 4 June 2025"),
        "{}",
        sent[1]
    );
    scratch
        .run_tg(&["--today", "2025-05-16", "check"])
        .await
        .assert_code(0);
    assert_eq!(to_chat(&tg, "@bill_alerts".into()).await.len(), 2);
}

/// Telegram not answering when the worker starts: the worker runs on (checks, health) while
/// the bot's commands wait. Telegram's 5xx makes teloxide itself wait 10 s, so the recovery
/// is telegram_shutdown `the_commands_wait_for_telegram_with_the_restart_backoff` in paused
/// time, and the dispatcher answering is `the_bot_answers_commands`.
#[tokio::test]
async fn commands_wait_for_telegram_and_never_stop_the_worker() {
    let api = FakeApi::start().await;
    let tg = FakeTelegram::start().await;
    tg.next_get_me(
        1000,
        ResponseTemplate::new(502).set_body_string("Bad Gateway"),
    )
    .await;
    let scratch = Scratch::new();
    let extra = format!("[schedule]\ncron = \"0 0 1 1 *\"\n{}", telegram(&tg, ""));
    scratch.write_config(&api.uri(), &[BILL], &extra);
    api.serve_day("2025-11-20", 7).await;
    let mut child = scratch.spawn(&["run"], false);
    wait_until("the first check", async || {
        scratch.run(&["health"]).await.code == 0
    })
    .await;
    wait_until("the commands to ask Telegram", async || {
        !tg.calls("getMe").await.is_empty()
    })
    .await;
    assert!(
        child.try_wait().expect("status").is_none(),
        "the worker runs on"
    );
    assert!(
        tg.calls("getUpdates").await.is_empty(),
        "no listener before Telegram answers"
    );
    child.kill().await.expect("kill");
}
