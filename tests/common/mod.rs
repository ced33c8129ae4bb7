//! Shared by the end-to-end tests: a fake Bills API that plays a bill's journey, a scratch
//! folder with a config, and the real `billwatch` binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use chrono::NaiveDate;
use serde_json::{Value, json};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub mod fake_bot;

pub const BILL: u32 = 3929;

/// The project's own fixtures.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub fn read_json(name: &str) -> Value {
    let text = std::fs::read_to_string(fixture(name)).expect("fixture");
    serde_json::from_str(&text).expect("fixture JSON")
}

pub fn date(s: &str) -> NaiveDate {
    s.parse().expect("date")
}

/// The Border Security bill as Parliament would have shown it on `day`: stages appear once
/// announced (`notice` days before their first sitting), sittings once within `notice` days,
/// and the bill becomes an Act on its Royal Assent day.
pub fn border_security_on(day: NaiveDate, notice: i64) -> (Value, Value) {
    let full_bill = read_json("api/bill-3929.json");
    let full = read_json("api/bill-3929-stages.json");
    let horizon = day + chrono::Duration::days(notice);
    let mut items = Vec::new();
    for item in full["items"].as_array().expect("items") {
        let sittings: Vec<Value> = item["stageSittings"]
            .as_array()
            .expect("sittings")
            .iter()
            .filter(|s| sitting_date(s) <= horizon)
            .cloned()
            .collect();
        if sittings.is_empty() {
            continue;
        }
        let mut item = item.clone();
        item["stageSittings"] = Value::Array(sittings);
        items.push(item);
    }
    let mut bill = full_bill.clone();
    let assented = items.iter().any(|i| {
        i["stageId"] == 11
            && i["stageSittings"]
                .as_array()
                .is_some_and(|s| s.iter().any(|s| sitting_date(s) <= day))
    });
    if !assented {
        bill["isAct"] = json!(false);
        bill["shortTitle"] = json!("Border Security, Asylum and Immigration Bill");
        bill["formerShortTitle"] = Value::Null;
        // Royal Assent is listed only once given.
        items.retain(|i| i["stageId"] != 11);
    }
    let current = items
        .iter()
        .rfind(|i| {
            i["stageSittings"]
                .as_array()
                .is_some_and(|s| s.iter().any(|s| sitting_date(s) <= day))
        })
        .cloned();
    bill["currentStage"] = current.unwrap_or(Value::Null);
    // Parliament stamps every change; a new day of the journey is a new stamp.
    bill["lastUpdate"] = json!(format!("{day}T18:00:00.1234567"));
    bill["currentHouse"] = bill["currentStage"]["house"].clone();
    let total = items.len();
    (
        bill,
        json!({"items": items, "totalResults": total, "itemsPerPage": 20}),
    )
}

fn sitting_date(s: &Value) -> NaiveDate {
    let d = s["date"].as_str().expect("date");
    NaiveDate::parse_from_str(&d[..10], "%Y-%m-%d").expect("date")
}

/// Serves `GET /api/v1/Bills/{id}/Stages` one page at a time, at most 20 items, whatever `Take`
/// asks, as a real paged list would.
struct PagedStages(Value);

impl Respond for PagedStages {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut skip = 0usize;
        let mut take = 20usize;
        for (k, v) in request.url.query_pairs() {
            match k.to_ascii_lowercase().as_str() {
                "skip" => skip = v.parse().unwrap_or(0),
                "take" => take = v.parse::<usize>().unwrap_or(20).min(20),
                _ => {}
            }
        }
        let items = self.0["items"].as_array().cloned().unwrap_or_default();
        let page: Vec<Value> = items.iter().skip(skip).take(take).cloned().collect();
        ResponseTemplate::new(200).set_body_json(json!({
            "items": page,
            "totalResults": items.len(),
            "itemsPerPage": 20,
        }))
    }
}

/// A fake Bills API. Besides each bill it serves the listing of bills by last update
/// (`GET /api/v1/Bills?SortOrder=DateUpdatedDescending`), built from what it serves.
pub struct FakeApi {
    pub server: MockServer,
    listing: Listing,
}

/// The bills the fake lists, with their `lastUpdate`.
#[derive(Clone, Default)]
pub struct Listing(std::sync::Arc<std::sync::Mutex<std::collections::BTreeMap<u32, String>>>);

impl Respond for Listing {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut skip = 0usize;
        let mut take = 20usize;
        for (k, v) in request.url.query_pairs() {
            match k.to_ascii_lowercase().as_str() {
                "skip" => skip = v.parse().unwrap_or(0),
                "take" => take = v.parse::<usize>().unwrap_or(20).min(50),
                _ => {}
            }
        }
        let bills = self.0.lock().expect("listing").clone();
        let mut items: Vec<(u32, String)> = bills.into_iter().collect();
        items.sort_by(|a, b| b.1.cmp(&a.1));
        let page: Vec<Value> = items
            .iter()
            .skip(skip)
            .take(take)
            .map(|(id, updated)| {
                json!({"billId": id, "shortTitle": format!("Bill {id}"), "lastUpdate": updated,
                                        "isAct": false, "isDefeated": false, "billWithdrawn": null})
            })
            .collect();
        ResponseTemplate::new(200)
            .set_body_json(json!({"items": page, "totalResults": items.len(), "itemsPerPage": 20}))
    }
}

impl FakeApi {
    pub async fn start() -> FakeApi {
        let api = FakeApi {
            server: MockServer::start().await,
            listing: Listing::default(),
        };
        api.mount_listing().await;
        api
    }

    async fn mount_listing(&self) {
        Mock::given(method("GET"))
            .and(path("/api/v1/Bills"))
            .respond_with(self.listing.clone())
            .mount(&self.server)
            .await;
    }

    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// Replaces whatever the fake serves for bill `id`; the listing shows its `lastUpdate`.
    pub async fn serve_bill(&self, id: u32, bill: Value, stages: Value) {
        self.serve_bill_slowly(id, bill, stages, Duration::ZERO)
            .await;
    }

    /// The same, the bill record answering only after `delay`.
    pub async fn serve_bill_slowly(&self, id: u32, bill: Value, stages: Value, delay: Duration) {
        if let Some(updated) = bill["lastUpdate"].as_str() {
            self.listing
                .0
                .lock()
                .expect("listing")
                .insert(id, updated.to_owned());
        }
        Mock::given(method("GET"))
            .and(path(format!("/api/v1/Bills/{id}")))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(bill)
                    .set_delay(delay),
            )
            .mount(&self.server)
            .await;
        Mock::given(method("GET"))
            .and(path(format!("/api/v1/Bills/{id}/Stages")))
            .respond_with(PagedStages(stages))
            .mount(&self.server)
            .await;
    }

    /// Every request for bill `id` answers with `response`. The listing says the bill changed,
    /// so that a check does try it.
    pub async fn fail_bill(&self, id: u32, response: ResponseTemplate) {
        {
            let mut listing = self.listing.0.lock().expect("listing");
            let bumped = format!("2099-01-01T00:00:{:02}", listing.len() % 60);
            let entry = listing.entry(id).or_default();
            *entry = if *entry >= bumped {
                format!("{entry}9")
            } else {
                bumped
            };
        }
        Mock::given(method("GET"))
            .and(path_regex(format!("^/api/v1/Bills/{id}(/.*)?$")))
            .respond_with(response)
            .mount(&self.server)
            .await;
    }

    /// Makes the listing itself answer with `response`.
    pub async fn fail_listing(&self, response: ResponseTemplate) {
        Mock::given(method("GET"))
            .and(path("/api/v1/Bills"))
            .respond_with(response)
            .with_priority(1)
            .mount(&self.server)
            .await;
    }

    /// Forgets every mock but keeps the listing.
    pub async fn reset(&self) {
        self.server.reset().await;
        self.mount_listing().await;
    }

    /// Requests received so far.
    pub async fn requests(&self) -> Vec<Request> {
        self.server.received_requests().await.unwrap_or_default()
    }
}

/// A scratch folder holding a config and a database.
pub struct Scratch {
    pub dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new() -> Scratch {
        Scratch {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn config_path(&self) -> PathBuf {
        self.path("billwatch.toml")
    }

    pub fn db_path(&self) -> PathBuf {
        self.path("data/billwatch.db")
    }

    /// Writes a config pointing at `api` that tracks `bills`, plus `extra` TOML appended.
    pub fn write_config(&self, api: &str, bills: &[u32], extra: &str) {
        self.write_config_site(api, "https://bills.example.test", "", bills, extra);
    }

    /// The same, with the site's URL and more `[parliament]` keys.
    pub fn write_config_site(
        &self,
        api: &str,
        site: &str,
        parliament: &str,
        bills: &[u32],
        extra: &str,
    ) {
        let mut text = format!(
            "[parliament]\napi_url = \"{api}\"\nsite_url = \"{site}\"\n\
             timeout = \"2s\"\nretries = 1\nretry_backoff = \"10ms\"\npage_delay = \"10ms\"\n{parliament}\n\
             [storage]\npath = \"{}\"\n\n{extra}\n",
            self.db_path().display()
        );
        for id in bills {
            text.push_str(&format!("[[bills]]\nid = {id}\n\n"));
        }
        std::fs::write(self.config_path(), text).expect("write config");
    }

    /// Runs the real binary with this folder's config.
    pub async fn run(&self, args: &[&str]) -> Run {
        self.run_env(args, &[]).await
    }

    /// Starts the real binary in the background with the test bot token: output captured
    /// (`capture`) or dropped; killed when the handle is dropped.
    pub fn spawn(&self, args: &[&str], capture: bool) -> tokio::process::Child {
        let out = || {
            if capture {
                std::process::Stdio::piped()
            } else {
                std::process::Stdio::null()
            }
        };
        tokio::process::Command::new(env!("CARGO_BIN_EXE_billwatch"))
            .arg("--config")
            .arg(self.config_path())
            .args(args)
            .current_dir(self.dir.path())
            .env_remove("BILLWATCH_CONFIG")
            .env("TELEGRAM_BOT_TOKEN", TOKEN)
            .env("RUST_LOG", "billwatch=debug")
            .stdout(out())
            .stderr(out())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn billwatch")
    }

    pub async fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_billwatch"));
        cmd.arg("--config")
            .arg(self.config_path())
            .args(args)
            .current_dir(self.dir.path())
            .env_remove("BILLWATCH_CONFIG")
            .env_remove("TELEGRAM_BOT_TOKEN")
            .env("RUST_LOG", "billwatch=debug,warn");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let output = tokio::time::timeout(Duration::from_secs(60), cmd.output())
            .await
            .expect("billwatch finished within 60 s")
            .expect("billwatch ran");
        Run::from(output)
    }
}

/// What one run of the binary did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Run {
    /// The JSON lines printed on stdout.
    pub fn json_lines(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .filter(|l| l.starts_with('{'))
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
            .collect()
    }

    /// The alerts printed (`--json`).
    pub fn alerts(&self) -> Vec<Value> {
        self.json_lines()
            .into_iter()
            .filter(|v| v["type"] == "alert")
            .collect()
    }

    pub fn summary(&self) -> Value {
        self.json_lines()
            .into_iter()
            .find(|v| v["type"] == "summary")
            .unwrap_or_else(|| panic!("no summary in {self:#?}"))
    }

    /// `kind stage house date` for each alert, compactly, for exact assertions.
    pub fn alert_lines(&self) -> Vec<String> {
        self.alerts().iter().map(alert_line).collect()
    }

    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "exit code; output:\n{self:#?}");
        self
    }
}

pub fn alert_line(a: &Value) -> String {
    let s = |v: &Value| {
        v.as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| "-".to_owned())
    };
    let mut line = format!(
        "{} {} | {} | {}",
        s(&a["kind"]),
        s(&a["stage"]),
        s(&a["house"]),
        s(&a["date"])
    );
    if let Some(r) = a["round"].as_u64() {
        line.push_str(&format!(" | round {r}"));
    }
    line
}

/// The bot token the tests use. It must never appear in anything billwatch prints.
pub const TOKEN: &str = "123456789:AAtestSECRETtokenVALUE_0123456789ab";

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
            .respond_with(telegram_ok(1))
            .mount(&self.server)
            .await;
        Mock::given(method("POST"))
            .and(path_regex(r"(?i)^/bot[^/]+/sendmessage$"))
            .respond_with(Counter::default())
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

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn long_date(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

fn badge(name: &str) -> &'static str {
    match name {
        "1st reading" => "1",
        "2nd reading" => "2",
        "Committee stage" => "C",
        "Report stage" => "R",
        "3rd reading" => "3",
        "Royal Assent" => "RA",
        _ => "",
    }
}

/// The stages list page `/bills/{id}/stages` in the site's card layout (newest first, a session
/// heading with a count, badges, "From ..." for several sittings), rendered from API-shaped JSON.
pub fn stages_page_html(bill: &Value, stages: &Value) -> String {
    let id = bill["billId"].as_u64().expect("billId");
    let title = html_escape(bill["shortTitle"].as_str().expect("title"));
    let items = stages["items"].as_array().expect("items");
    let mut cards = String::new();
    for item in items.iter().rev() {
        let name = item["description"].as_str().expect("name");
        let house = match item["house"].as_str().expect("house") {
            "Unassigned" => "Not before either House",
            h => h,
        };
        let dates: Vec<NaiveDate> = item["stageSittings"]
            .as_array()
            .expect("sittings")
            .iter()
            .map(sitting_date)
            .collect();
        let date = match dates.as_slice() {
            [] => "Date to be announced".to_owned(),
            [d] => long_date(*d),
            [d, ..] => format!("From {}", long_date(*d)),
        };
        cards.push_str(&format!(
            r#"
                <div class="card card-clickable">
                    <div class="card-inner">
                        <div class="content">
                            <a class="overlay-link" href="/bills/{id}/stages/{sid}" aria-label="{name}"></a>
                            <div class="badge-container"><span class="badge">{badge}</span></div>
                            <div class="primary-info">
                                {name}
                            </div>
                        </div>
                        <div class="info">
                            <div class="info-inner">
                                <div class="indicators-left">
                                    <div class="indicator indicator-label">
                                        {date}
                                    </div>
                                </div>
                                <div class="indicators-right">
                                    <div class="indicator indicator-label">
                                        {house}
                                    </div>
                                </div>
                                <div class="clearfix"></div>
                            </div>
                        </div>
                    </div>
                </div>"#,
            sid = item["id"],
            name = html_escape(name),
            badge = badge(name),
        ));
    }
    format!(
        "\u{feff}<!DOCTYPE html>
<html lang=\"en\">
<head>
    <meta charset=\"utf-8\" />
    <title>{title} - Parliamentary Bills - UK Parliament</title>
    <meta content=\"https://bills.parliament.uk/bills/{id}/stages\" property=\"og:url\">
</head>
<body>
    <nav>
        <div class=\"breadcrumb breadcrumb-adaptive\"><ul>
            <li><a title=\"Parliamentary Bills\" href=\"/\">Parliamentary Bills</a></li>
            <li><a title=\"{title}\" href=\"/bills/{id}\">{title}</a></li>
            <li title=\"Stages\">Stages</li>
        </ul></div>
    </nav>
    <div class=\"hero-banner hero-banner-brand\"><div class=\"container\">
        <h1>{title}</h1>
        <p>Government Bill</p>
        <p>Originated in the House of Commons, Sessions 2024-25</p>
    </div></div>
    <div class=\"container\"><article><div class=\"block block-page\">
        <div class=\"tabs\"><ul class=\"nav nav-tabs\">
            <li><a href=\"/bills/{id}\">Overview</a></li>
            <li><a href=\"/bills/{id}/stages\" class=\"active\">Stages</a></li>
            <li><a href=\"/bills/{id}/publications\">Publications</a></li>
        </ul></div>
        <div class=\"highlight highlight-info\"><p>Future dates (especially those more than a week in advance) may be provisional.</p></div>
        <h2 class=\"heading-level-3\">Session 2024-25 ({count})</h2>
        <div class=\"card-list card-list-1-col\">{cards}
        </div>
    </div></article></div>
</body>
</html>
",
        count = items.len(),
    )
}

/// A stage's detail page `/bills/{id}/stages/{n}`, shaped like the real one in
/// ../shared/fixtures (one "Sitting  <date> - Debate" heading per sitting).
pub fn stage_detail_html(bill: &Value, stage: &Value) -> String {
    let id = bill["billId"].as_u64().expect("billId");
    let title = html_escape(bill["shortTitle"].as_str().expect("title"));
    let name = html_escape(stage["description"].as_str().expect("name"));
    let mut sittings = String::new();
    for (i, s) in stage["stageSittings"]
        .as_array()
        .expect("sittings")
        .iter()
        .enumerate()
    {
        let d = long_date(sitting_date(s));
        sittings.push_str(&format!(
            r##"
            <h3 class="collapse-heading heading-level-4">
                <a data-toggle="collapse" href="#collapse-stage-sitting-publication-{n}-debate" role="button" class="collapsed">
                    Sitting  {d} - Debate
                    <span class="count">(1)</span>
                </a>
            </h3>
            <div id="collapse-stage-sitting-publication-{n}-debate" class="collapse collapse-item show">
                <div class="card-list card-list-2-col"><div class="card card-button"><div class="card-inner">
                    <div class="content"><div class="primary-info">{name} (Hansard)</div></div>
                    <div class="info"><div class="info-inner"><div class="indicators-left">
                        <div class="indicator indicator-label">{d}</div>
                    </div></div></div>
                </div></div></div>
            </div>"##,
            n = i + 1
        ));
    }
    format!(
        "\u{feff}<!DOCTYPE html>
<html lang=\"en\">
<head><title>{title} - Parliamentary Bills - UK Parliament</title></head>
<body>
    <nav><ul class=\"actions\">
        <li class=\"action-item\"><a href=\"/bills/{id}/stages/{prev}\">Previous</a></li>
        <li class=\"action-item action-item-right\"><a href=\"/bills/{id}/stages/{next}\">Next</a></li>
    </ul></nav>
    <div class=\"hero-banner hero-banner-brand\"><div class=\"container\">
        <h1>{title}</h1>
        <h2 class=\"heading-level-3 bootstrap_overide\">{name}</h2>
        <div class=\"reading-width\"><p>Session 2024-25</p></div>
    </div></div>
    <div class=\"container\"><article>
        <div class=\"tabs\"><ul><li><a id=\"detailsTab\" href=\"/bills/{id}/stages/{sid}\" class=\"active\">Records</a></li></ul></div>
        <div class=\"card-list card-list-1-col\">{sittings}
        </div>
    </article></div>
</body>
</html>
",
        sid = stage["id"],
        prev = stage["id"].as_u64().unwrap_or(2) - 1,
        next = stage["id"].as_u64().unwrap_or(0) + 1,
    )
}

/// A fake bills.parliament.uk serving a bill's stage pages.
pub struct FakeSite {
    pub server: MockServer,
}

impl FakeSite {
    pub async fn start() -> FakeSite {
        FakeSite {
            server: MockServer::start().await,
        }
    }

    pub fn uri(&self) -> String {
        self.server.uri()
    }

    pub async fn reset(&self) {
        self.server.reset().await;
    }

    /// Serves the list page and every stage's detail page, rendered from API-shaped JSON.
    pub async fn serve_bill(&self, bill: &Value, stages: &Value) {
        let id = bill["billId"].as_u64().expect("billId");
        Mock::given(method("GET"))
            .and(path(format!("/bills/{id}/stages")))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_raw(stages_page_html(bill, stages), "text/html; charset=utf-8"),
            )
            .mount(&self.server)
            .await;
        for stage in stages["items"].as_array().expect("items") {
            Mock::given(method("GET"))
                .and(path(format!("/bills/{id}/stages/{}", stage["id"])))
                .respond_with(
                    ResponseTemplate::new(200)
                        .set_body_raw(stage_detail_html(bill, stage), "text/html; charset=utf-8"),
                )
                .mount(&self.server)
                .await;
        }
    }

    pub async fn requests(&self) -> Vec<Request> {
        self.server.received_requests().await.unwrap_or_default()
    }
}

/// Waits (30 s at most) until `cond` holds; panics naming `what` otherwise.
pub async fn wait_until(what: &str, mut cond: impl AsyncFnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while std::time::Instant::now() < deadline {
        if cond().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for: {what}");
}
