//! Delivery to Telegram in paused time: the real `Sender` on an in-process fake Bot API, a real
//! store, and tokio's clock, so every wait (flood control, retries, per-chat limits, the daily
//! digest's hour) is checked to the millisecond without being waited.

mod common;
mod sender_bench;

use std::time::Duration;

use billwatch::check::{BillOutcome, CheckReport};
use billwatch::decide::FirstSight;
use billwatch::shutdown::Shutdown;
use billwatch::telegram::{Delivery, ONE_SHOT_BUDGET};
use common::fake_bot::Answer;
use common::fake_bot::*;
use common::*;
use sender_bench::*;
use tokio::time::Instant;

/// 429 with `retry_after`: waited exactly, then the same message goes once.
/// (Was telegram_e2e `flood_control_wait_is_honoured`.)
#[tokio::test(start_paused = true)]
async fn flood_control_wait_is_honoured() {
    let mut b = Bench::new("", "", &[BILL], "2025-02-01T09:00:00Z");
    b.announce(BILL).await;
    b.bot.script(Method::Send, [Answer::RetryAfter(secs(2))]);
    let started = Instant::now();
    let done = b.deliver().await;
    assert_eq!((done.sent, done.messages, done.pending), (1, 1, 0));
    let sends = b.bot.sends();
    assert_eq!(sends.len(), 2, "the refused try and the accepted one");
    assert_eq!(sends[0].text, sends[1].text, "the same message, sent again");
    assert_eq!(sends[0].at, started);
    assert_eq!(gaps(&sends), [secs(2)], "exactly the wait asked for");
    assert_eq!(b.counts().await, (0, 1, 0));
    let again = b.deliver().await;
    assert_eq!(again, Delivery::default());
    assert_eq!(b.bot.sends().len(), 2, "nothing more");
}

/// A wait longer than billwatch honours ends the round at once; the alert stays pending.
#[tokio::test(start_paused = true)]
async fn a_flood_wait_too_long_ends_the_round() {
    let mut b = Bench::new("", "", &[BILL], "2025-02-01T09:00:00Z");
    b.announce(BILL).await;
    b.bot.script(Method::Send, [Answer::RetryAfter(secs(301))]);
    let started = Instant::now();
    let done = b.deliver().await;
    assert_eq!(started.elapsed(), Duration::ZERO);
    assert_eq!((done.sent, done.pending), (0, 1));
    assert_eq!(
        done.last_error.as_deref(),
        Some("Telegram asked to wait 301s")
    );
    assert_eq!(b.counts().await, (1, 0, 0));
}

/// A 5xx (or a network error), then success: delivered once, after the first backoff.
/// (Was telegram_e2e `server_error_then_success_delivers_once`.)
#[tokio::test(start_paused = true)]
async fn server_error_then_success_delivers_once() {
    for failure in [
        "Telegram answered: Internal Server Error",
        "cannot reach Telegram: connection refused",
    ] {
        let mut b = Bench::new("", "", &[BILL], "2025-02-01T09:00:00Z");
        b.announce(BILL).await;
        b.bot
            .script(Method::Send, [Answer::Transient(failure.to_owned())]);
        let done = b.deliver().await;
        assert_eq!((done.sent, done.messages, done.pending), (1, 1, 0));
        let sends = b.bot.sends();
        assert_eq!(sends.len(), 2);
        assert_eq!(gaps(&sends), [secs(1)]);
        assert_eq!(b.counts().await, (0, 1, 0), "sent once");
    }
}

/// Five transient failures in a row: the round gives up after waiting 1, 2, 4 and 8 s, and the
/// alert stays pending for the next round, which delivers it once.
#[tokio::test(start_paused = true)]
async fn five_transient_failures_give_up_with_the_alert_pending() {
    let mut b = Bench::new("", "", &[BILL], "2025-02-01T09:00:00Z");
    b.announce(BILL).await;
    let error = "cannot reach Telegram: error sending request for url (http://127.0.0.1:9/...)";
    b.bot.script(
        Method::Send,
        std::iter::repeat_n(Answer::Transient(error.to_owned()), 5),
    );
    let done = b.deliver().await;
    assert_eq!((done.sent, done.messages, done.pending), (0, 0, 1));
    let said = format!("{error} (answered after 0s)");
    assert_eq!(done.last_error, Some(said));
    let sends = b.bot.sends();
    assert_eq!(gaps(&sends), [secs(1), secs(2), secs(4), secs(8)]);
    assert_eq!(b.counts().await, (1, 0, 0), "kept, not dropped");

    let done = b.deliver().await;
    assert_eq!((done.sent, done.pending), (1, 0));
    assert_eq!(b.bot.sends().len(), 6);
    assert_eq!(b.counts().await, (0, 1, 0));
}

/// Telegram answering 5xx slowly (its client waits 10 s before reading a 5xx): the error
/// kept and logged says how long each answer took, not only the backoff that followed.
#[tokio::test(start_paused = true)]
async fn slow_failures_say_how_long_telegram_took() {
    let mut b = Bench::new("", "", &[BILL], "2025-02-01T09:00:00Z");
    b.announce(BILL).await;
    let error = "Telegram answered: Internal Server Error";
    b.bot.script(
        Method::Send,
        std::iter::repeat_n(Answer::TransientAfter(secs(10), error.to_owned()), 5),
    );
    let started = Instant::now();
    let done = b.deliver().await;
    assert_eq!(started.elapsed(), secs(5 * 10 + 1 + 2 + 4 + 8));
    let said = format!("{error} (answered after 10s)");
    assert_eq!(done.last_error, Some(said));
    assert_eq!(b.counts().await, (1, 0, 0));
}

/// Thirty pending alerts for one chat, as the many-bills e2e run made them.
fn thirty_bills() -> Vec<u32> {
    (1..=30).map(|i| 5000 + i).collect()
}

/// Many pending alerts for one chat: as few messages as fit, each under 4096 characters, every
/// alert in exactly one, a second apart at least.
/// (Was telegram_e2e `many_pending_alerts_go_as_digests_under_the_limit`.)
#[tokio::test(start_paused = true)]
async fn many_pending_alerts_go_as_digests_under_the_limit() {
    let ids = thirty_bills();
    let mut b = Bench::new("", "", &ids, "2025-03-01T09:00:00Z");
    for id in &ids {
        b.record_as(*id, "2025-03-01", 0, "2025-03-01", FirstSight::Announce)
            .await;
    }
    let done = b.deliver().await;
    let sends = b.bot.sends();
    let all: Vec<&str> = sends.iter().map(|c| c.text.as_str()).collect();
    assert!(all.len() >= 2 && all.len() <= 3, "{} messages", all.len());
    assert_eq!((done.sent, done.messages), (30, all.len()));
    for t in &all {
        let n = t.encode_utf16().count();
        assert!(n <= 4096, "{n} chars");
    }
    for id in &ids {
        let needle = format!("<b>Test Bill No. {id} &amp; &lt;Others&gt;</b>");
        let times: usize = all.iter().map(|t| t.matches(&needle).count()).sum();
        assert_eq!(times, 1, "bill {id}");
    }
    assert!(
        gaps(&sends).iter().all(|g| *g == secs(1)),
        "{:?}",
        gaps(&sends)
    );
}

/// Chat not found: every alert for that chat is blocked with the reason after one try, the
/// operator is told once, other chats go on; after the fix, `retry` (requeue) delivers each
/// alert once.
/// (With telegram_e2e `permanent_failure_blocks_then_retry_delivers_once`, which keeps the
/// binary's side.)
#[tokio::test(start_paused = true)]
async fn permanent_failure_blocks_the_chat_then_retry_delivers_once() {
    let ids = thirty_bills();
    let mut b = Bench::new(
        "",
        &format!("admin_chat = \"{ADMIN}\""),
        &ids,
        "2025-03-01T09:00:00Z",
    );
    for id in &ids {
        b.record_as(*id, "2025-03-01", 0, "2025-03-01", FirstSight::Announce)
            .await;
    }
    let reason = "chat @bill_alerts not found: check the chat name or id";
    b.bot
        .script(Method::Send, [Answer::Permanent(reason.to_owned())]);
    let done = b.deliver().await;
    assert_eq!((done.sent, done.blocked, done.pending), (0, 30, 0));
    assert_eq!(
        b.bot.texts_to(CHAT).len(),
        1,
        "one try, then the rest blocked"
    );
    let notices = b.bot.texts_to(ADMIN);
    assert_eq!(
        notices,
        [format!(
            "⚠️ billwatch cannot post to @bill_alerts: {reason}. 30 alert(s) are kept; run `billwatch retry` once it is fixed."
        )]
    );
    assert_eq!(b.counts().await, (0, 0, 30));
    assert_eq!(
        b.deliver().await,
        Delivery::default(),
        "blocked stays blocked"
    );
    assert_eq!(b.bot.sends().len(), 2);

    assert_eq!(
        b.db.call(|s| s.requeue_blocked()).await.expect("requeue"),
        30
    );
    let done = b.deliver().await;
    assert_eq!((done.sent, done.blocked), (30, 0));
    assert_eq!(b.counts().await, (0, 30, 0));
    let texts = b.bot.texts_to(CHAT);
    assert_eq!(texts[1], texts[0], "the refused message, now delivered");
    assert_eq!(b.deliver().await, Delivery::default());
    assert_eq!(b.bot.texts_to(CHAT).len(), texts.len(), "once");
}

/// Every message to one chat keeps a second after the last one, and at most 20 go in a
/// minute; other chats are not held up.
#[tokio::test(start_paused = true)]
async fn one_chat_hears_at_most_once_a_second_and_twenty_times_a_minute() {
    let b = Bench::new("", "", &[BILL], "2025-03-01T09:00:00Z");
    let throttled = b.sender.throttled().clone();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for n in 0..25 {
        let throttled = throttled.clone();
        tasks.push(tokio::spawn(async move {
            let mut never = Shutdown::never();
            throttled
                .send_html(CHAT, &format!("message {n}"), &mut never)
                .await
        }));
    }
    let mut never = Shutdown::never();
    throttled
        .send_html("@elsewhere", "not held up", &mut never)
        .await
        .expect("sent");
    assert_eq!(b.bot.texts_to("@elsewhere").len(), 1);
    assert!(started.elapsed() < secs(1), "other chats go on");
    for t in tasks {
        t.await.expect("task").expect("sent");
    }
    let times: Vec<Duration> = b
        .bot
        .sends()
        .iter()
        .filter(|c| c.chat == CHAT)
        .map(|c| c.at - started)
        .collect();
    assert_eq!(times.len(), 25);
    // The first waits only for the overall pace (the other chat's message took the slot).
    // (tokio's timers count whole milliseconds.)
    let pace = billwatch::telegram::OVERALL_GAP + Duration::from_millis(1);
    assert!(times[0] <= pace, "{:?}", times[0]);
    // Then a second apart; the 21st only a minute after the first, and so on.
    let after_first: Vec<Duration> = times.iter().map(|t| *t - times[0]).collect();
    let expected: Vec<Duration> = (0..20).chain(60..65).map(secs).collect();
    assert_eq!(after_first, expected);
}

/// Daily mode: alerts wait for `alerts.daily_at`, go as one digest, once a day.
/// (The paused-time companion of subscribers_e2e `daily_digest_is_sent_once_a_day`.)
#[tokio::test(start_paused = true)]
async fn daily_digest_waits_for_its_time_and_goes_once_a_day() {
    let daily = "[alerts]\nmode = \"daily\"\ndaily_at = \"18:30\"\n";
    // 10:00 in London (BST).
    let mut b = Bench::new(daily, "", &[BILL], "2025-05-15T09:00:00Z");
    b.record("2025-02-01").await;
    b.record("2025-05-15").await;
    let done = b.deliver().await;
    assert_eq!((done.deferred, done.sent), (5, 0), "not before 18:30");
    assert!(b.bot.sends().is_empty());

    tokio::time::advance(Duration::from_secs(8 * 3600 + 29 * 60 + 59)).await;
    assert_eq!(b.deliver().await.deferred, 5, "18:29:59 is still before");
    tokio::time::advance(secs(1)).await;
    let done = b.deliver().await;
    assert_eq!((done.sent, done.messages), (5, 1));
    let sent = b.bot.texts_to(CHAT);
    assert!(
        sent[0].starts_with("<b>Today in Parliament, 15 May 2025</b>: 5 update(s)"),
        "{}",
        sent[0]
    );

    // More news the same day waits for tomorrow's digest, even after the hour.
    b.record_as(BILL, "2025-05-30", 7, "2025-05-15", FirstSight::Silent)
        .await;
    assert_eq!(b.deliver().await.deferred, 1);
    tokio::time::advance(Duration::from_secs(15 * 3600)).await; // 16 May, 09:30 BST
    assert_eq!(b.deliver().await.deferred, 1, "tomorrow, but before 18:30");
    tokio::time::advance(Duration::from_secs(9 * 3600)).await; // 18:30 BST
    let done = b.deliver().await;
    assert_eq!((done.sent, done.messages), (1, 1));
    let sent = b.bot.texts_to(CHAT);
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
    assert_eq!(b.deliver().await, Delivery::default());
    assert_eq!(b.bot.sends().len(), 2, "once a day");
}

/// The card is posted (and pinned) once, left alone when the bill did not move, edited in
/// place when it did, and posted anew (and edited from then on) when it was deleted.
/// (Was subscribers_e2e `status_card_is_edited_in_place_and_replaced_when_deleted`.)
#[tokio::test(start_paused = true)]
async fn status_card_is_edited_in_place_and_replaced_when_deleted() {
    let cards = "status_card = true\npin_cards = true\n";
    let mut b = Bench::new("", cards, &[BILL], "2025-02-11T09:00:00Z");
    let sync = async |b: &mut Bench, day: &str| -> usize {
        b.record_as(BILL, day, 7, day, FirstSight::Silent).await;
        let mut never = Shutdown::never();
        b.sender
            .sync_cards(&b.db, &b.config, date(day), &mut never)
            .await
            .expect("store")
    };
    assert_eq!(sync(&mut b, "2025-02-11").await, 1);
    assert_eq!(
        b.bot.texts_to(CHAT),
        ["<b>Border Security, Asylum and Immigration Bill</b>\n\
         <b>Commons</b>: ✅ 1st reading · ▶️ 2nd reading · ▫️ committee · ▫️ report · ▫️ 3rd reading\n\
         <b>Lords</b>: ▫️ 1st reading · ▫️ 2nd reading · ▫️ committee · ▫️ report · ▫️ 3rd reading\n\
         <b>Royal Assent</b>: ▫️\n\
         Now: 2nd reading in the House of Commons (since 10 February 2025)\n\
         Next: Committee stage in the House of Commons (no date yet)\n\
         <a href=\"https://bills.example.test/bills/3929/stages\">Stages of this bill</a>"]
    );
    let pins = b.bot.calls_of(Method::Pin);
    assert_eq!(pins.len(), 1);
    assert_eq!(pins[0].message_id, Some(FIRST_MESSAGE_ID));

    assert_eq!(sync(&mut b, "2025-02-11").await, 0, "nothing moved");
    assert!(b.bot.calls_of(Method::Edit).is_empty());

    assert_eq!(sync(&mut b, "2025-02-26").await, 1);
    let edits = b.bot.calls_of(Method::Edit);
    assert_eq!(edits.len(), 1);
    assert_eq!(edits[0].chat, CHAT);
    assert_eq!(
        edits[0].message_id,
        Some(FIRST_MESSAGE_ID),
        "the card's message"
    );
    assert!(
        edits[0].text.contains("✅ 2nd reading · ▶️ committee"),
        "{}",
        edits[0].text
    );
    assert_eq!(b.bot.sends().len(), 1, "not re-posted");

    // Someone deleted the card: a new one is posted, and edited from then on.
    b.bot.script(Method::Edit, [Answer::Gone]);
    assert_eq!(sync(&mut b, "2025-05-12").await, 1);
    let sends = b.bot.sends();
    assert_eq!(sends.len(), 2, "a new card");
    assert!(
        sends[1].text.contains("▶️ 3rd reading"),
        "{}",
        sends[1].text
    );
    assert_eq!(b.bot.calls_of(Method::Pin).len(), 2, "pinned too");
    assert_eq!(sync(&mut b, "2025-05-15").await, 1);
    let edits = b.bot.calls_of(Method::Edit);
    assert_eq!(
        edits.last().expect("edit").message_id,
        Some(FIRST_MESSAGE_ID + 1),
        "the new card is the one edited"
    );
    assert_eq!(b.bot.sends().len(), 2);
}

/// A bill failing check after check: the operator hears once when it reaches the threshold,
/// and once when it recovers; never once per failure.
/// (The paused-time companion of telegram_e2e `failing_bill_is_reported_once_and_its_recovery_once`.)
#[tokio::test(start_paused = true)]
async fn operator_hears_once_per_failing_bill_and_once_on_recovery() {
    let admin = format!("admin_chat = \"{ADMIN}\"");
    let mut b = Bench::new("", &admin, &[BILL], "2025-02-02T09:00:00Z");
    b.record("2025-02-01").await;
    let mut never = Shutdown::never();
    let mut notices = Vec::new();
    for _ in 1..=5 {
        let now = b.clock.now();
        let failures =
            b.db.call(move |s| s.record_failure(BILL, now, "HTTP 500"))
                .await
                .expect("store");
        let report = CheckReport {
            bills: vec![outcome(Some("HTTP 500"), failures)],
            ..CheckReport::default()
        };
        b.sender
            .report_health(&b.db, &report, 3, &mut never)
            .await
            .expect("store");
        notices.push(b.bot.texts_to(ADMIN).len());
    }
    assert_eq!(notices, [0, 0, 1, 1, 1]);
    assert_eq!(
        b.bot.texts_to(ADMIN)[0],
        "⚠️ bill 3929 (Border Security, Asylum and Immigration Bill) has failed 3 checks in a row; \
         its alerts wait until it recovers. Last error: HTTP 500"
    );
    let recovered = CheckReport {
        bills: vec![outcome(None, 0)],
        ..CheckReport::default()
    };
    for _ in 0..2 {
        b.sender
            .report_health(&b.db, &recovered, 3, &mut never)
            .await
            .expect("store");
    }
    let sent = b.bot.texts_to(ADMIN);
    assert_eq!(sent.len(), 2);
    assert_eq!(
        sent[1],
        "⚠️ bill 3929 (Border Security, Asylum and Immigration Bill) is being checked again: recovered"
    );
}

fn outcome(error: Option<&str>, consecutive_failures: u32) -> BillOutcome {
    BillOutcome {
        bill_id: BILL,
        title: Some("Border Security, Asylum and Immigration Bill".to_owned()),
        source: None,
        first_seen: false,
        alerts: 0,
        error: error.map(str::to_owned),
        consecutive_failures,
        vanished: Vec::new(),
    }
}

/// A stored stage gone from Parliament's data is told to the operator, with the bill and the
/// stage, once per check that found it gone (the stored snapshot then lacks it too).
#[tokio::test(start_paused = true)]
async fn a_vanished_stage_is_told_to_the_operator() {
    let admin = format!("admin_chat = \"{ADMIN}\"");
    let mut b = Bench::new("", &admin, &[BILL], "2025-02-12T09:00:00Z");
    let mut gone = outcome(None, 0);
    gone.vanished = vec!["2nd reading in the House of Commons (stage 22586)".to_owned()];
    let report = CheckReport {
        bills: vec![gone],
        ..CheckReport::default()
    };
    let mut never = Shutdown::never();
    b.sender
        .report_health(&b.db, &report, 3, &mut never)
        .await
        .expect("store");
    assert_eq!(
        b.bot.texts_to(ADMIN),
        [
            "⚠️ bill 3929 (Border Security, Asylum and Immigration Bill): gone from Parliament's \
          data: 2nd reading in the House of Commons (stage 22586). Nothing was posted; if it \
          comes back it is not announced again."
        ]
    );
    assert!(b.bot.texts_to(CHAT).is_empty(), "subscribers hear nothing");
}

/// A slow answer holds the chat's turn: the next message goes a second after Telegram
/// answered, not after the request went out.
#[tokio::test(start_paused = true)]
async fn the_gap_counts_from_telegram_s_answer() {
    let b = Bench::new(
        "",
        &format!("admin_chat = \"{ADMIN}\""),
        &[BILL],
        "2025-03-01T09:00:00Z",
    );
    b.bot.script(Method::Send, [Answer::OkAfter(secs(3))]);
    let started = Instant::now();
    let (mut one, mut two) = (Shutdown::never(), Shutdown::never());
    tokio::join!(
        b.sender.notify("first", None, &mut one),
        b.sender.notify("second", None, &mut two),
    );
    let at: Vec<Duration> = b.bot.sends().iter().map(|c| c.at - started).collect();
    assert_eq!(at, [secs(0), secs(4)]);
    assert_eq!(b.bot.texts_to(ADMIN), ["⚠️ first", "⚠️ second"]);
}

/// Telegram refusing one message for its content (its markup, its length) holds that message
/// alone: the chat's other messages still go, and the operator hears of the one held.
#[tokio::test(start_paused = true)]
async fn a_refused_message_is_held_alone_and_the_others_go() {
    let ids = thirty_bills();
    let mut b = Bench::new(
        "",
        &format!("admin_chat = \"{ADMIN}\""),
        &ids,
        "2025-03-01T09:00:00Z",
    );
    for id in &ids {
        b.record_as(*id, "2025-03-01", 0, "2025-03-01", FirstSight::Announce)
            .await;
    }
    let reason = "Telegram rejected the message: Bad Request: can't parse entities";
    b.bot
        .script(Method::Send, [Answer::Refused(reason.to_owned())]);
    let done = b.deliver().await;
    let messages = b.bot.texts_to(CHAT).len();
    assert!(messages >= 2, "30 alerts need several messages");
    assert!(done.blocked > 0 && done.blocked < 30, "{done:?}");
    assert_eq!(done.sent + done.blocked, 30, "{done:?}");
    assert_eq!(
        done.messages,
        messages - 1,
        "every message after the refused one went"
    );
    let notices = b.bot.texts_to(ADMIN);
    assert_eq!(notices.len(), 1, "{notices:#?}");
    assert!(notices[0].contains("refused one message"), "{}", notices[0]);
    assert_eq!(b.counts().await, (0, done.sent as u64, done.blocked as u64));
}

/// Whatever Telegram does, a one-shot command's Telegram step (the operator's notices, the
/// alerts, the status cards) ends within a minute: 55 s, and 5 s for a request in flight. Slow
/// 5xx answers that would take minutes leave the alert pending. (Before, only the alerts were
/// bounded, at 65 s, and each notice and card could add its own wait.)
#[tokio::test(start_paused = true)]
async fn a_one_shot_telegram_step_ends_within_a_minute() {
    let admin = format!("admin_chat = \"{ADMIN}\"\nstatus_card = true");
    let mut b = Bench::new("", &admin, &[BILL], "2025-03-01T09:00:00Z");
    b.record_as(BILL, "2025-03-01", 0, "2025-03-01", FirstSight::Announce)
        .await;
    let failing = CheckReport {
        bills: vec![outcome(Some("HTTP 500"), 3)],
        ..CheckReport::default()
    };
    let slow = |s: u64| Answer::TransientAfter(secs(s), "HTTP 502 Bad Gateway".to_owned());
    b.bot
        .script(Method::Send, std::iter::repeat_n(slow(20), 20));
    b.bot
        .script(Method::Edit, std::iter::repeat_n(slow(20), 20));
    let day = "2025-03-01".parse().expect("day");
    let config = b.config.clone();
    let started = Instant::now();
    let done = b
        .sender
        .one_shot(&b.db, &config, day, Some(&failing), ONE_SHOT_BUDGET)
        .await
        .expect("delivered")
        .expect("the lock");
    assert!(started.elapsed() <= secs(60), "{:?}", started.elapsed());
    assert_eq!((done.sent, done.pending), (0, 1), "{done:?}");
    assert_eq!(
        b.counts().await,
        (1, 0, 0),
        "still pending, for the next run"
    );

    // A request that hangs past the budget is abandoned at 55 + 5 s.
    b.bot.script(Method::Send, [Answer::OkAfter(secs(600))]);
    let started = Instant::now();
    let done = b
        .sender
        .one_shot(&b.db, &config, day, None, ONE_SHOT_BUDGET)
        .await
        .expect("delivered")
        .expect("the lock");
    assert_eq!(started.elapsed(), secs(60));
    assert_eq!(done.pending, 1, "{done:?}");
}

/// Status cards go under the same single-sender lock as alerts: while another process holds it,
/// this one posts no card (two workers on one database posted every card twice).
#[tokio::test(start_paused = true)]
async fn status_cards_wait_for_the_sender_lock() {
    let mut b = Bench::new("", "status_card = true", &[BILL], "2025-03-01T09:00:00Z");
    b.record_as(BILL, "2025-03-01", 0, "2025-03-01", FirstSight::Silent)
        .await;
    let mut lock = b.config.storage.path.as_os_str().to_owned();
    lock.push(".sender.lock");
    let other = std::fs::File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(std::path::PathBuf::from(lock))
        .expect("lock file");
    other.try_lock().expect("held by the other process");
    let config = b.config.clone();
    let day = "2025-03-01".parse().expect("day");
    let cards = b
        .sender
        .sync_cards(&b.db, &config, day, &mut Shutdown::never())
        .await
        .expect("cards");
    assert_eq!(cards, 0);
    assert!(
        b.bot.sends().is_empty(),
        "left to the process with the lock"
    );
    drop(other);
    let cards = b
        .sender
        .sync_cards(&b.db, &config, day, &mut Shutdown::never())
        .await
        .expect("cards");
    assert_eq!(cards, 1);
    assert_eq!(b.bot.sends().len(), 1);
}

/// A full disk after Telegram accepted a message (here the database refusing to record "sent",
/// as SQLite does when the disk is full): that message is never sent again by this process,
/// nothing else is sent until it is recorded, and once it can be, the operator hears it once.
#[tokio::test(start_paused = true)]
async fn an_accepted_message_that_cannot_be_recorded_is_never_sent_again() {
    let mut b = Bench::new(
        "",
        &format!("admin_chat = \"{ADMIN}\""),
        &[BILL, 5001],
        "2025-02-01T09:00:00Z",
    );
    b.announce(BILL).await;
    let path = b.config.storage.path.clone();
    let refuse_sent = |on: bool| refuse_sent(&path, "alerts", on);
    refuse_sent(true);
    let today = b.clock.today(&b.config.timezone);
    for round in 0..3 {
        let done = b
            .sender
            .deliver(&b.db, &b.config, today, &mut Shutdown::never())
            .await;
        let e = done.expect_err("the round stops on what it cannot record");
        assert!(e.to_string().contains("disk is full"), "round {round}: {e}");
        assert_eq!(
            b.bot.texts_to(CHAT).len(),
            1,
            "round {round}: sent once only"
        );
        // A new alert meanwhile waits too.
        if round == 0 {
            b.announce(5001).await;
        }
    }
    assert_eq!(b.counts().await, (2, 0, 0));
    assert!(b.bot.texts_to(ADMIN).is_empty(), "told once sending works");

    refuse_sent(false);
    let done = b.deliver().await;
    assert_eq!((done.sent, done.messages, done.pending), (1, 1, 0));
    let sent = b.bot.texts_to(CHAT);
    assert_eq!(sent.len(), 2, "the first once, then the new one: {sent:#?}");
    assert!(sent[0].contains("Border Security") && !sent[1].contains("Border Security"));
    assert_eq!(b.counts().await, (0, 2, 0));
    let notices = b.bot.texts_to(ADMIN);
    assert_eq!(notices.len(), 1, "{notices:#?}");
    assert!(
        notices[0].contains("nothing was sent twice"),
        "{}",
        notices[0]
    );
    assert_eq!(b.deliver().await, Delivery::default());
    assert_eq!(b.bot.texts_to(ADMIN).len() + b.bot.texts_to(CHAT).len(), 3);
}

/// The fakes refuse what Telegram refuses: unknown or unclosed tags, bare `<` and `&`, and
/// more than 4,096 UTF-16 units of text once parsed.
#[test]
fn the_fakes_check_html_as_telegram_does() {
    assert_eq!(
        telegram_html::parse("<b>Bill</b> &amp; &lt;x&gt; <a href=\"u\">l</a>"),
        Ok("Bill & <x> l".to_owned())
    );
    for bad in [
        "<b>open",
        "a < b",
        "<p>x</p>",
        "<b><i>x</b></i>",
        "R&D",
        "x &nbsp; y",
    ] {
        assert!(telegram_html::parse(bad).is_err(), "{bad}");
    }
    assert!(telegram_html::parse(&format!("<b>{}</b>", "x".repeat(4096))).is_ok());
    assert_eq!(
        telegram_html::parse(&"🗓".repeat(2049)),
        Err("Bad Request: message is too long".to_owned())
    );
}

/// A group Telegram upgrades to a supergroup answers with its new id: the alert goes there at
/// once, every later one too, and the operator hears it once, with the id to put in the config
/// (before: every alert for the chat was blocked until the config was edited).
#[tokio::test(start_paused = true)]
async fn a_group_made_a_supergroup_is_followed_and_told_once() {
    const NEW: &str = "-1009876543210";
    let admin = format!("admin_chat = \"{ADMIN}\"");
    let mut b = Bench::new("", &admin, &[BILL, 5001], "2025-02-01T09:00:00Z");
    b.announce(BILL).await;
    b.bot
        .script(Method::Send, [Answer::Migrated(NEW.to_owned())]);
    let done = b.deliver().await;
    assert_eq!(
        (done.sent, done.blocked, done.pending),
        (1, 0, 0),
        "{done:?}"
    );
    b.announce(5001).await;
    let done = b.deliver().await;
    assert_eq!((done.sent, done.blocked), (1, 0), "{done:?}");
    let to = |chat: &str| b.bot.texts_to(chat).len();
    assert_eq!(
        (to(CHAT), to(NEW)),
        (1, 2),
        "one refused try, then both alerts there"
    );
    let notices = b.bot.texts_to(ADMIN);
    assert_eq!(notices.len(), 1, "{notices:#?}");
    let said = format!("set &quot;{NEW}&quot; where the config names {CHAT}");
    assert!(notices[0].contains(&said), "{}", notices[0]);
    let moves = b.db.call(|s| s.chat_moves()).await.expect("moves");
    assert_eq!(moves, [(CHAT.to_owned(), NEW.to_owned())]);
    assert_eq!(b.counts().await, (0, 2, 0));
}
