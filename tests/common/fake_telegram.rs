//! A fake Telegram Bot API over a real socket (wiremock).

use std::time::Duration;

use serde_json::{Value, json};
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// A fake Telegram Bot API.
pub struct FakeTelegram {
    pub server: MockServer,
    updates: Updates,
}

/// Updates waiting for the bot's next `getUpdates`; an empty poll waits a second, as a long
/// poll would.
#[derive(Clone, Default)]
pub struct Updates(std::sync::Arc<std::sync::Mutex<(i64, Vec<Value>)>>);

impl Respond for Updates {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let mut queue = self.0.lock().expect("updates");
        let batch: Vec<Value> = std::mem::take(&mut queue.1);
        let response =
            ResponseTemplate::new(200).set_body_json(json!({"ok": true, "result": batch}));
        if batch.is_empty() {
            response.set_delay(Duration::from_millis(500))
        } else {
            response
        }
    }
}

/// A `sendMessage` answer as Telegram gives it.
pub fn telegram_ok(message_id: i64) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "ok": true,
        "result": {
            "message_id": message_id,
            "date": 1_764_000_000,
            "chat": {"id": -1001234567890i64, "title": "Bill alerts", "type": "channel"},
            "text": "ok"
        }
    }))
}

pub fn telegram_error(
    status: u16,
    description: &str,
    retry_after: Option<u64>,
) -> ResponseTemplate {
    let mut body = json!({"ok": false, "error_code": status, "description": description});
    if let Some(s) = retry_after {
        body["parameters"] = json!({"retry_after": s});
    }
    ResponseTemplate::new(status).set_body_json(body)
}

impl FakeTelegram {
    /// A fake that accepts every message, numbering them from 1000.
    pub async fn start() -> FakeTelegram {
        let fake = FakeTelegram {
            server: MockServer::start().await,
            updates: Updates::default(),
        };
        fake.accept_all().await;
        fake
    }

    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// A private message from user `user` to the bot.
    pub fn say(&self, user: i64, text: &str) {
        let mut queue = self.updates.0.lock().expect("updates");
        queue.0 += 1;
        let id = queue.0;
        let command_len = text
            .split_whitespace()
            .next()
            .filter(|w| w.starts_with('/'))
            .map_or(0, str::len);
        let mut message = json!({
            "message_id": 5000 + id,
            "date": 1_764_000_000,
            "chat": {"id": user, "type": "private", "first_name": "Reader"},
            "from": {"id": user, "is_bot": false, "first_name": "Reader"},
            "text": text,
        });
        if command_len > 0 {
            message["entities"] =
                json!([{"type": "bot_command", "offset": 0, "length": command_len}]);
        }
        queue.1.push(json!({"update_id": id, "message": message}));
    }

    /// Calls of a Bot API method so far, as JSON bodies.
    pub async fn calls(&self, api_method: &str) -> Vec<Value> {
        let suffix = format!("/{}", api_method.to_ascii_lowercase());
        self.server
            .received_requests()
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|r| r.url.path().to_ascii_lowercase().ends_with(&suffix))
            .map(|r| serde_json::from_slice(&r.body).unwrap_or(Value::Null))
            .collect()
    }

    pub async fn accept_all(&self) {
        let ok_true =
            || ResponseTemplate::new(200).set_body_json(json!({"ok": true, "result": true}));
        for m in ["setmycommands", "deletewebhook", "pinchatmessage"] {
            Mock::given(method("POST"))
                .and(path_regex(format!(r"(?i)^/bot[^/]+/{m}$")))
                .respond_with(ok_true())
                .mount(&self.server)
                .await;
        }
        Mock::given(method("POST"))
            .and(path_regex(r"(?i)^/bot[^/]+/getwebhookinfo$"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "ok": true, "result": {"url": "", "has_custom_certificate": false, "pending_update_count": 0}
            })))
            .mount(&self.server)
            .await;
        Mock::given(method("POST"))
            .and(path_regex(r"(?i)^/bot[^/]+/getupdates$"))
            .respond_with(self.updates.clone())
            .mount(&self.server)
            .await;
        Mock::given(method("POST"))
            .and(path_regex(r"(?i)^/bot[^/]+/editmessagetext$"))
            .respond_with(Validated(telegram_ok(1)))
            .mount(&self.server)
            .await;
        Mock::given(method("POST"))
            .and(path_regex(r"(?i)^/bot[^/]+/sendmessage$"))
            .respond_with(Validated(Counter::default()))
            .mount(&self.server)
            .await;
        Mock::given(method("POST"))
            .and(path_regex(r"(?i)^/bot[^/]+/getme$"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "ok": true,
                "result": {"id": 123456789, "is_bot": true, "first_name": "billwatch", "username": "billwatch_test_bot",
                           "can_join_groups": true, "can_read_all_group_messages": false, "supports_inline_queries": false,
                           "can_connect_to_business": false, "has_main_web_app": false}
            })))
            .mount(&self.server)
            .await;
    }

    /// The next `n` calls of Bot API method `api_method` answer with `response`, then the
    /// default answer again.
    async fn next_calls(&self, api_method: &str, n: u64, response: ResponseTemplate) {
        Mock::given(method("POST"))
            .and(path_regex(format!(r"(?i)^/bot[^/]+/{api_method}$")))
            .respond_with(response)
            .up_to_n_times(n)
            .with_priority(1)
            .mount(&self.server)
            .await;
    }

    /// The next `n` getMe calls answer with `response` (Telegram unreachable at start, say).
    pub async fn next_get_me(&self, n: u64, response: ResponseTemplate) {
        self.next_calls("getme", n, response).await;
    }

    /// The next `n` editMessageText calls answer with `response`.
    pub async fn next_edits(&self, n: u64, response: ResponseTemplate) {
        self.next_calls("editmessagetext", n, response).await;
    }

    /// The next `n` sendMessage calls answer with `response`.
    pub async fn next_sends(&self, n: u64, response: ResponseTemplate) {
        self.next_calls("sendmessage", n, response).await;
    }

    /// Every sendMessage call so far, as (token in the path, JSON body).
    pub async fn sends(&self) -> Vec<(String, Value)> {
        self.server
            .received_requests()
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|r| r.url.path().to_ascii_lowercase().ends_with("/sendmessage"))
            .map(|r| {
                let token = r
                    .url
                    .path()
                    .trim_start_matches("/bot")
                    .split('/')
                    .next()
                    .unwrap_or("")
                    .to_owned();
                (token, serde_json::from_slice(&r.body).expect("JSON body"))
            })
            .collect()
    }
}

/// Answers sendMessage with increasing message ids.
#[derive(Default)]
struct Counter(std::sync::atomic::AtomicI64);

impl Respond for Counter {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        telegram_ok(1000 + self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst))
    }
}

/// Refuses a message Telegram would refuse (bad HTML, too long), with Telegram's 400 and
/// description; anything else goes to the inner responder.
struct Validated<R>(R);

impl<R: Respond> Respond for Validated<R> {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        if let Some(text) = body["text"].as_str() {
            let checked = if body["parse_mode"] == "HTML" {
                super::telegram_html::parse(text).map(drop)
            } else {
                super::telegram_html::check_text(text)
            };
            if let Err(why) = checked {
                return telegram_error(400, &why, None);
            }
        }
        self.0.respond(request)
    }
}
