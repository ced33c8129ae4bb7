//! Every wait on Telegram ends at once on shutdown, and the bot's commands wait for Telegram
//! with the restart backoff: in paused time, on the in-process fake.

mod common;
mod sender_bench;

use std::time::Duration;

use billwatch::bot::{Restarts, wait_for_telegram};
use billwatch::shutdown::Shutdown;
use billwatch::telegram::{BotApi, ThrottledError};
use common::fake_bot::Answer;
use common::fake_bot::*;
use common::*;
use sender_bench::*;
use tokio::time::Instant;

/// Runs `wait` with a shutdown that fires `after` (tokio time); what it gave and how long it
/// took.
async fn shut_down_after<T>(
    after: Duration,
    wait: impl AsyncFnOnce(&mut Shutdown) -> T,
) -> (T, Duration) {
    let (trigger, mut shutdown) = Shutdown::new();
    let started = Instant::now();
    let fire = async {
        tokio::time::sleep(after).await;
        trigger.fire();
    };
    let (result, ()) = tokio::join!(wait(&mut shutdown), fire);
    (result, started.elapsed())
}

/// Waiting out Telegram's flood control ends on shutdown; the alert stays pending.
#[tokio::test(start_paused = true)]
async fn the_flood_control_wait_ends_on_shutdown() {
    let mut b = Bench::new("", "", &[BILL], "2025-02-01T09:00:00Z");
    b.announce(BILL).await;
    b.bot.script(Method::Send, [Answer::RetryAfter(secs(60))]);
    let (done, took) = shut_down_after(secs(3), async |s| b.deliver_until(s).await).await;
    assert_eq!(took, secs(3));
    assert_eq!((done.sent, done.pending), (0, 1));
    assert_eq!(done.last_error.as_deref(), Some("shutting down"));
    assert_eq!(b.bot.sends().len(), 1, "not tried again");
    assert_eq!(b.counts().await, (1, 0, 0));
}

/// The backoff after a transient failure ends on shutdown; the alert stays pending.
#[tokio::test(start_paused = true)]
async fn the_retry_backoff_ends_on_shutdown() {
    let mut b = Bench::new("", "", &[BILL], "2025-02-01T09:00:00Z");
    b.announce(BILL).await;
    let failures = std::iter::repeat_n(Answer::Transient("HTTP 502".to_owned()), 5);
    b.bot.script(Method::Send, failures);
    let (done, took) = shut_down_after(Duration::from_millis(2500), async |s| {
        b.deliver_until(s).await
    })
    .await;
    assert_eq!(
        took,
        Duration::from_millis(2500),
        "in the 2 s wait after the 2nd try"
    );
    assert_eq!((done.sent, done.pending), (0, 1));
    assert_eq!(b.bot.sends().len(), 2);
    assert_eq!(b.counts().await, (1, 0, 0));
}

/// The wait for a chat's turn (the second's gap) ends on shutdown, for alerts, operator
/// notices and cards alike: nothing more is sent.
#[tokio::test(start_paused = true)]
async fn the_wait_for_a_chat_s_turn_ends_on_shutdown() {
    let admin = format!("admin_chat = \"{ADMIN}\"\nstatus_card = true\n");
    let mut b = Bench::new("", &admin, &[BILL], "2025-02-01T09:00:00Z");
    b.announce(BILL).await;
    let mut never = Shutdown::never();
    let throttled = b.sender.throttled().clone();
    for chat in [CHAT, ADMIN] {
        throttled
            .send_html(chat, "just now", &mut never)
            .await
            .expect("sent");
    }
    let before = b.bot.sends().len();
    // Four waits of 0.2 s, all inside the second's gap that began at 0.

    let (done, took) = shut_down_after(Duration::from_millis(200), async |s| {
        b.deliver_until(s).await
    })
    .await;
    assert_eq!(took, Duration::from_millis(200));
    assert_eq!((done.sent, done.pending), (0, 1));

    let ((), took) = shut_down_after(Duration::from_millis(200), async |s| {
        b.sender.notify("a notice", None, s).await
    })
    .await;
    assert_eq!(took, Duration::from_millis(200));
    let (replied, took) = shut_down_after(Duration::from_millis(200), async |s| {
        throttled.send_html(ADMIN, "a reply", s).await
    })
    .await;
    assert_eq!(took, Duration::from_millis(200));
    assert_eq!(replied, Err(ThrottledError::ShuttingDown));

    let today = date("2025-02-01");
    let (cards, took) = shut_down_after(Duration::from_millis(200), async |s| {
        b.sender.sync_cards(&b.db, &b.config, today, s).await
    })
    .await;
    assert_eq!(took, Duration::from_millis(200));
    assert_eq!(cards.expect("store"), 0);
    assert_eq!(b.bot.sends().len(), before, "nothing sent after shutdown");
}

/// Telegram not answering: the bot's commands ask again after 5 s, 10 s, 20 s... and start once
/// it answers. (The waiting half of subscribers_e2e
/// `commands_wait_for_telegram_and_never_stop_the_worker`.)
#[tokio::test(start_paused = true)]
async fn the_commands_wait_for_telegram_with_the_restart_backoff() {
    let bot = FakeBot::new();
    let down = || Answer::Transient("Telegram answered: Bad Gateway".to_owned());
    bot.script(Method::WhoAmI, [down(), down(), down()]);
    let started = Instant::now();
    let mut restarts = Restarts::default();
    let api: &dyn BotApi = &*bot;
    let name = wait_for_telegram(api, &mut restarts, &mut Shutdown::never()).await;
    assert_eq!(name.as_deref(), Some(FAKE_BOT_NAME));
    let asked: Vec<Duration> = bot
        .calls_of(Method::WhoAmI)
        .iter()
        .map(|c| c.at - started)
        .collect();
    assert_eq!(asked, [secs(0), secs(5), secs(15), secs(35)]);
    assert_eq!(
        restarts.next_wait(),
        secs(40),
        "failures are never forgotten"
    );
}

/// The wait for Telegram ends on shutdown.
#[tokio::test(start_paused = true)]
async fn the_commands_wait_for_telegram_ends_on_shutdown() {
    let bot = FakeBot::new();
    bot.script(
        Method::WhoAmI,
        std::iter::repeat_n(Answer::Transient("down".to_owned()), 100),
    );
    let mut restarts = Restarts::default();
    let (name, took) = shut_down_after(secs(7), async |s| {
        wait_for_telegram(&*bot, &mut restarts, s).await
    })
    .await;
    assert_eq!(name, None);
    assert_eq!(took, secs(7));
    assert_eq!(bot.calls_of(Method::WhoAmI).len(), 2);
}
