//! The real teloxide client, once per answer, against the wiremock Bot API (or nothing at
//! all): what Telegram's answers mean, and that the token never shows in an error or `Debug`.
//! No retries, no waits: the paused-time tests take it from there with the in-process fake.

mod common;

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use billwatch::config::Config;
use billwatch::telegram::{BotApi, Client, EditError, SendError, Token};
use common::*;

/// The secret half of [`TOKEN`].
const SECRET: &str = "AAtestSECRETtokenVALUE";

fn client(api_url: &str) -> Client {
    client_with(api_url, "1s")
}

fn client_with(api_url: &str, timeout: &str) -> Client {
    let text = format!(
        "[parliament]\napi_url = \"http://127.0.0.1:9\"\n[storage]\npath = \"/nonexistent/b.db\"\n\
         [telegram]\nchat = \"@bill_alerts\"\napi_url = \"{api_url}\"\ntimeout = \"{timeout}\"\n\
         [[bills]]\nid = 3929\n"
    );
    let config = Config::parse(&text, "billwatch.toml".as_ref()).expect("config");
    let t = config.telegram.expect("telegram");
    let token = Token::load(&t, Some(TOKEN.to_owned())).expect("token");
    Client::new(&t, token).expect("client")
}

#[track_caller]
fn assert_no_token(text: &str) {
    assert!(
        !text.contains(TOKEN) && !text.contains(SECRET),
        "token in {text}"
    );
}

/// Telegram unreachable: a transient "cannot reach Telegram", without the token (nor in the
/// client's `Debug`). (The fast half of telegram_e2e `network_failure_never_prints_the_token`.)
#[tokio::test]
async fn unreachable_telegram_is_transient_and_never_shows_the_token() {
    let client = client("http://127.0.0.1:9");
    assert_no_token(&format!("{client:?}"));
    let api: &dyn BotApi = &client;
    let sent = api.send_html("@bill_alerts", "x").await;
    let Err(SendError::Transient(text)) = &sent else {
        panic!("{sent:?}");
    };
    assert!(text.starts_with("cannot reach Telegram"), "{text}");
    assert_no_token(text);
    assert_no_token(&format!("{sent:?}"));
    let me = api.whoami().await;
    let Err(e @ SendError::Transient(_)) = &me else {
        panic!("{me:?}");
    };
    assert_no_token(&format!("{me:?} {e}"));
    let edit = api.edit_html("@bill_alerts", 1, "x").await;
    assert!(
        matches!(&edit, Err(EditError::Failed(SendError::Transient(_)))),
        "{edit:?}"
    );
    assert_no_token(&format!("{edit:?}"));
}

/// Flood control, server errors and refusals, as Telegram sends them.
#[tokio::test]
async fn telegram_s_answers_are_classified() {
    let tg = FakeTelegram::start().await;
    let api = client(&tg.uri());
    tg.next_sends(
        1,
        telegram_error(429, "Too Many Requests: retry after 2", Some(2)),
    )
    .await;
    assert_eq!(
        api.send_html("@bill_alerts", "x").await,
        Err(SendError::RetryAfter(Duration::from_secs(2)))
    );
    tg.next_sends(1, telegram_error(400, "Bad Request: chat not found", None))
        .await;
    let sent = api.send_html("@bill_alerts", "x").await;
    let Err(SendError::Unreachable(reason)) = &sent else {
        panic!("{sent:?}");
    };
    assert!(
        reason.starts_with("chat @bill_alerts not found"),
        "{reason}"
    );
    assert_eq!(api.send_html("@bill_alerts", "x").await, Ok(1000));
    assert_eq!(
        tg.sends().await.len(),
        3,
        "one request per call: no retries inside"
    );
}

/// Editing a deleted card says so; an unchanged text is no failure; pins go without a sound.
#[tokio::test]
async fn edits_and_pins_are_classified() {
    let tg = FakeTelegram::start().await;
    let api = client(&tg.uri());
    tg.next_edits(
        1,
        telegram_error(400, "Bad Request: message to edit not found", None),
    )
    .await;
    assert_eq!(
        api.edit_html("@bill_alerts", 1000, "x").await,
        Err(EditError::Gone)
    );
    tg.next_edits(
        1,
        telegram_error(400, "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message", None),
    )
    .await;
    assert_eq!(api.edit_html("@bill_alerts", 1000, "x").await, Ok(()));
    assert_eq!(api.edit_html("@bill_alerts", 1000, "x").await, Ok(()));
    let edits = tg.calls("editMessageText").await;
    assert_eq!(edits[2]["message_id"], 1000);
    assert_eq!(edits[2]["parse_mode"], "HTML");
    assert_eq!(api.pin("@bill_alerts", 1000).await, Ok(()));
    let pins = tg.calls("pinChatMessage").await;
    assert_eq!(pins[0]["message_id"], 1000);
    assert_eq!(pins[0]["disable_notification"], true);
    assert_eq!(api.whoami().await.as_deref(), Ok("billwatch_test_bot"));
}

/// A 5xx from Telegram is worth another try. teloxide waits 10 s before it reads a 5xx
/// answer, so this one runs in paused time, against a server in the test's own runtime.
#[tokio::test(start_paused = true)]
async fn a_server_error_is_transient() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let server = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.expect("accept");
        let mut request = Vec::new();
        let mut buf = [0u8; 4096];
        // Headers and the small JSON body arrive together; read until the body's end.
        while !request.ends_with(b"}") {
            let n = socket.read(&mut buf).await.expect("read");
            assert!(n > 0, "the request ended early");
            request.extend_from_slice(&buf[..n]);
        }
        let body = r#"{"ok":false,"error_code":500,"description":"Internal Server Error"}"#;
        let answer = format!(
            "HTTP/1.1 500 Internal Server Error\r\ncontent-type: application/json\r\n\
             content-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        socket.write_all(answer.as_bytes()).await.expect("write");
        String::from_utf8_lossy(&request).into_owned()
    });
    // Longer than teloxide's 10 s, which counts against the request's timeout.
    let sent = client_with(&url, "30s")
        .send_html("@bill_alerts", "x")
        .await;
    let Err(SendError::Transient(text)) = &sent else {
        panic!("{sent:?}");
    };
    assert_eq!(text, "Telegram answered: Internal Server Error");
    let request = server.await.expect("server");
    assert!(
        request.to_ascii_lowercase().contains("/sendmessage"),
        "{request}"
    );
}

/// Telegram refusing a message's markup or length is about that message, not the chat.
#[tokio::test]
async fn a_message_telegram_cannot_parse_is_refused_not_the_chat() {
    let tg = FakeTelegram::start().await;
    let api = client(&tg.uri());
    tg.next_sends(
        1,
        telegram_error(
            400,
            "Bad Request: can't parse entities: Unclosed start tag at byte offset 4090",
            None,
        ),
    )
    .await;
    let sent = api.send_html("@bill_alerts", "<b>x").await;
    assert!(matches!(sent, Err(SendError::Refused(_))), "{sent:?}");
}

/// Telegram's answer for a group made a supergroup (400 with `migrate_to_chat_id`) reads as the
/// new id to follow, not as a chat that cannot be posted to.
#[tokio::test]
async fn a_group_made_a_supergroup_answers_with_its_new_id() {
    let tg = FakeTelegram::start().await;
    let api = client(&tg.uri());
    let body = serde_json::json!({
        "ok": false, "error_code": 400,
        "description": "Bad Request: group chat was upgraded to a supergroup chat",
        "parameters": {"migrate_to_chat_id": -1009876543210i64},
    });
    tg.next_sends(1, wiremock::ResponseTemplate::new(400).set_body_json(body))
        .await;
    let sent = api.send_html("-4012345678", "<b>x</b>").await;
    assert_eq!(sent, Err(SendError::Migrated("-1009876543210".to_owned())));
}
