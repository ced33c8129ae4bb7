//! Readers' alerts delivered to their private chats, in paused time on the in-process fake
//! Telegram: each reader gets each alert once, across rounds and a restart in the middle of a
//! fan-out; a reader who blocked the bot is let go (unfollowed, counted) without holding up the
//! others; a fan-out keeps under Telegram's overall limit and leaves room for other messages;
//! old deliveries are pruned.

mod common;
mod sender_bench;

use std::collections::HashSet;
use std::time::Duration;

use billwatch::readers::Limits;
use billwatch::shutdown::Shutdown;
use billwatch::telegram::ReadersRound;
use common::fake_bot::Method;
use common::*;
use sender_bench::*;
use tokio::time::Instant;

/// Readers `chats` follow the Border Security bill.
async fn follow(b: &Bench, chats: &[String]) {
    let (chats, now) = (chats.to_vec(), b.clock.now());
    b.db.call(move |s| {
        let tracked = HashSet::from([BILL]);
        for chat in &chats {
            let limits = Limits::default();
            s.follow(chat, BILL, &tracked, limits, now)?;
        }
        Ok(())
    })
    .await
    .expect("follow");
}

fn readers(n: usize) -> Vec<String> {
    (0..n).map(|i| (5000 + i).to_string()).collect()
}

/// The bill recorded on 9 February, `chats` following it, then its 2nd reading reached on
/// 10 February: one alert for the channel and one for each reader.
async fn fan_out_to(chats: &[String]) -> Bench {
    let mut b = Bench::new("", "", &[BILL], "2025-02-10T18:00:00Z");
    b.record("2025-02-09").await;
    follow(&b, chats).await;
    b.record("2025-02-10").await;
    b
}

async fn round(b: &mut Bench, batch: usize) -> ReadersRound {
    let today = date("2025-02-10");
    b.sender
        .deliver_to_readers(&b.db, today, batch, &mut Shutdown::never())
        .await
        .expect("store")
}

async fn count(b: &Bench, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(&b.config.storage.path).expect("db");
    conn.query_row(sql, [], |r| r.get(0)).expect("count")
}

#[tokio::test(start_paused = true)]
async fn each_reader_gets_the_alert_once_and_a_blocked_reader_is_let_go() {
    let chats = readers(3);
    let mut b = fan_out_to(&chats).await;
    b.bot.blocked_by(&chats[1]);

    let done = round(&mut b, 100).await;
    assert_eq!(
        done,
        ReadersRound {
            messages: 2,
            alerts: 2,
            gone: 1,
            ..ReadersRound::default()
        }
    );
    let channel = b.deliver().await;
    assert_eq!((channel.sent, channel.messages), (1, 1));
    let channel_text = b.bot.texts_to(CHAT);
    assert_eq!(channel_text.len(), 1);
    assert!(
        channel_text[0].contains("2nd reading"),
        "{}",
        channel_text[0]
    );
    // The reader gets the alert as the channel does.
    assert_eq!(b.bot.texts_to(&chats[0]), channel_text);
    assert_eq!(b.bot.texts_to(&chats[2]), channel_text);
    assert_eq!(b.bot.texts_to(&chats[1]).len(), 1, "tried once");

    // The blocked reader follows nothing now, and is counted; the others are untouched.
    let counts = b.db.call(|s| s.reader_counts()).await.expect("counts");
    assert_eq!((counts.readers, counts.follows), (2, 2));
    assert_eq!((counts.pending, counts.sent, counts.gone), (0, 2, 1));

    // Another round sends nothing more.
    let sends = b.bot.sends().len();
    assert_eq!(round(&mut b, 100).await, ReadersRound::default());
    assert_eq!(b.bot.sends().len(), sends);

    // Pruned past keep_sent: the deliveries go, the alert itself stays (it is the record of
    // what was told, that keeps it from being told twice).
    let later = b.clock.now() + chrono::Duration::days(31);
    let pruned = b.db.call(move |s| s.prune_deliveries(later)).await;
    assert_eq!(pruned.expect("prune"), 2);
    assert_eq!(count(&b, "SELECT count(*) FROM deliveries").await, 0);
    assert_eq!(count(&b, "SELECT count(*) FROM reader_alerts").await, 1);
    // The same day recorded again tells no one anything.
    b.record("2025-02-10").await;
    assert_eq!(count(&b, "SELECT count(*) FROM deliveries").await, 0);
}

#[tokio::test(start_paused = true)]
async fn a_restart_in_the_middle_of_a_fan_out_sends_each_reader_the_alert_once() {
    let chats = readers(25);
    let mut b = fan_out_to(&chats).await;
    let first = round(&mut b, 10).await;
    assert_eq!((first.messages, first.waiting), (10, 1));
    // A new process: a new sender on the same database.
    let db_path = b.config.storage.path.clone();
    let t = b.config.telegram.clone().expect("telegram");
    let mut restarted = billwatch::telegram::Sender::new(b.bot.clone(), &t, &db_path, b.clock);
    let db = billwatch::store::Db::open(&db_path).await.expect("db");
    let rest = restarted
        .deliver_to_readers(&db, date("2025-02-10"), 100, &mut Shutdown::never())
        .await
        .expect("store");
    assert_eq!((rest.messages, rest.waiting), (15, 0));
    for chat in &chats {
        assert_eq!(b.bot.texts_to(chat).len(), 1, "reader {chat}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_fan_out_keeps_under_the_overall_limit_and_leaves_room_for_replies() {
    let chats = readers(300);
    let mut b = fan_out_to(&chats).await;
    let throttled = b.sender.throttled().clone();
    let started = Instant::now();
    let reply_took = async {
        tokio::time::sleep(Duration::from_secs(3)).await;
        let asked = Instant::now();
        throttled
            .send_html("777", "an answer", &mut Shutdown::never())
            .await
            .expect("sent");
        asked.elapsed()
    };
    let (done, reply_took) = tokio::join!(round(&mut b, 1000), reply_took);
    assert_eq!(done.messages, 300);
    // 300 messages at 28 a second.
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(10_600) && took <= Duration::from_millis(10_800),
        "{took:?}"
    );
    assert!(reply_took <= Duration::from_millis(100), "{reply_took:?}");
    // Never more than 30 in any second, counting every message.
    let sends = b.bot.calls_of(Method::Send);
    for (i, s) in sends.iter().enumerate() {
        let in_a_second = sends[i..]
            .iter()
            .take_while(|later| later.at - s.at < Duration::from_secs(1))
            .count();
        assert!(in_a_second <= 30, "{in_a_second} messages within a second");
    }
}

/// A full disk: Telegram accepted the readers' messages, "sent" cannot be recorded. They are
/// never sent again by this process, nothing else goes meanwhile, and once the disk takes
/// writes again they are recorded, sent once in all.
#[tokio::test(start_paused = true)]
async fn a_readers_message_that_cannot_be_recorded_is_never_sent_again() {
    let chats = readers(2);
    let mut b = fan_out_to(&chats).await;
    let path = b.config.storage.path.clone();
    let refuse_sent = |on: bool| refuse_sent(&path, "deliveries", on);
    refuse_sent(true);
    let today = date("2025-02-10");
    for attempt in 0..3 {
        let done = b
            .sender
            .deliver_to_readers(&b.db, today, 100, &mut Shutdown::never())
            .await;
        let e = done.expect_err("the round stops on what it cannot record");
        assert!(
            e.to_string().contains("disk is full"),
            "round {attempt}: {e}"
        );
        for chat in &chats {
            assert_eq!(b.bot.texts_to(chat).len(), 1, "round {attempt}: sent once");
        }
    }
    refuse_sent(false);
    let done = round(&mut b, 100).await;
    assert_eq!(done, ReadersRound::default(), "nothing left to send");
    for chat in &chats {
        assert_eq!(b.bot.texts_to(chat).len(), 1, "sent once in all");
    }
    let counts = b.db.call(|s| s.reader_counts()).await.expect("counts");
    assert_eq!((counts.pending, counts.sent), (0, 2));
}

/// The README promises a reader that billwatch keeps their chat id in its database only, and
/// `/forget` deletes it: its log, kept by whatever keeps the operator's logs, names no reader,
/// even when their message fails or they blocked the bot.
#[tokio::test(start_paused = true)]
async fn the_log_names_no_reader() {
    let chats = readers(3);
    let mut b = fan_out_to(&chats).await;
    b.bot.blocked_by(&chats[0]);
    // Telegram's own words for a refusal may name the chat, as the client's do.
    b.bot.script(
        Method::Send,
        [common::fake_bot::Answer::Refused(format!(
            "Bad Request: message is too long (chat {})",
            chats[1]
        ))],
    );
    let (logs, _guard) = capture_logs();
    let done = round(&mut b, 100).await;
    assert_eq!((done.gone, done.refused), (1, 1), "{done:?}");
    let logs = logs.text();
    assert!(logs.contains("a reader is gone"), "{logs}");
    assert!(logs.contains("message is too long"), "{logs}");
    for chat in &chats[..2] {
        assert!(
            !logs.contains(chat.as_str()),
            "the log names reader {chat}:\n{logs}"
        );
    }
}

/// A reader whose messages keep failing (Telegram answering 5xx for that chat alone) goes to
/// the back of the queue: the next readers are not held behind their retries.
#[tokio::test(start_paused = true)]
async fn a_reader_whose_messages_keep_failing_does_not_hold_up_the_others() {
    let chats = readers(4);
    let mut b = fan_out_to(&chats).await;
    b.bot.failing_for(&chats[0]);
    let first = round(&mut b, 2).await;
    assert_eq!((first.messages, first.waiting), (1, 1));
    let started = Instant::now();
    let second = round(&mut b, 2).await;
    assert_eq!(second.messages, 2, "the two readers after them");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    for chat in &chats[1..] {
        assert_eq!(b.bot.texts_to(chat).len(), 1, "reader {chat}");
    }
    // Then theirs is tried again (and again waits), alone.
    let third = round(&mut b, 2).await;
    assert_eq!((third.messages, third.waiting), (0, 1));
}
