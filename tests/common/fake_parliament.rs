//! Parliament in process: the Bills API and the site behind billwatch's [`Transport`], so that
//! a test drives the library in its own runtime, in paused time.
//!
//! It serves what the wiremock fakes serve ([`super::FakeApi`], [`super::FakeSite`]): a bill's
//! record, its stages a page at a time (`Skip`/`Take`, at most 20), the listing of bills by last
//! update, the stage pages; and Parliament's publication types (`tests/fixtures/api/
//! publication-types.json`), 20 a page. A bill's documents are served by a rule
//! ([`FakeParliament::answer`]). It can be told to answer otherwise (a status, a `Retry-After`, a
//! broken connection, an answer that takes its time, for a number of requests or for good), and
//! it records every request with the (tokio) time it came.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use billwatch::config::Parliament;
use billwatch::source::Http;
use billwatch::source::http::Validators;
use billwatch::source::{RawRequest, RawResponse, Transport, TransportError};
use futures::future::BoxFuture;
use serde_json::{Value, json};

use super::journey::{BILL, border_security_on};
use super::site_html::{stage_detail_html, stages_page_html};

/// One answer the fake gives, built like wiremock's `ResponseTemplate`.
#[derive(Debug, Clone, Default)]
pub struct Answer {
    status: u16,
    body: Vec<u8>,
    etag: Option<String>,
    retry_after: Option<String>,
    delay: Duration,
    broken: bool,
}

impl Answer {
    pub fn status(status: u16) -> Answer {
        Answer {
            status,
            ..Answer::default()
        }
    }

    pub fn json(body: &Value) -> Answer {
        Answer::status(200).body(body.to_string())
    }

    /// The connection breaks: no answer at all.
    pub fn broken() -> Answer {
        Answer {
            broken: true,
            ..Answer::default()
        }
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Answer {
        self.body = body.into();
        self
    }

    pub fn etag(mut self, etag: &str) -> Answer {
        self.etag = Some(etag.to_owned());
        self
    }

    /// A `Retry-After` header of `secs` seconds.
    pub fn retry_after(mut self, secs: u64) -> Answer {
        self.retry_after = Some(secs.to_string());
        self
    }

    /// The answer comes only after `delay` (tokio time: instant in paused time).
    pub fn delay(mut self, delay: Duration) -> Answer {
        self.delay = delay;
        self
    }
}

/// Which requests a rule answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// This path exactly.
    Path(String),
    /// This path and every path below it.
    Under(String),
    /// Every request.
    Any,
}

impl Route {
    fn matches(&self, path: &str) -> bool {
        match self {
            Route::Path(p) => path == p,
            Route::Under(p) => path == p || path.starts_with(&format!("{p}/")),
            Route::Any => true,
        }
    }
}

/// A request the fake received.
#[derive(Debug, Clone)]
pub struct Seen {
    /// When it came, in tokio time.
    pub at: tokio::time::Instant,
    pub url: url::Url,
    pub accept: String,
    pub validators: Option<Validators>,
}

impl Seen {
    pub fn path(&self) -> &str {
        self.url.path()
    }
}

#[derive(Debug, Default)]
struct State {
    /// Each bill's record and full stage list, as the API gives them.
    bills: BTreeMap<u32, (Value, Value)>,
    /// The bills listed, with their `lastUpdate`.
    listing: BTreeMap<u32, String>,
    /// The site's pages by path: the HTML and its `ETag`.
    pages: BTreeMap<String, (String, Option<String>)>,
    /// Answers that take precedence, newest first; `Some(n)`: for the next `n` requests only.
    rules: Vec<(Route, Answer, Option<usize>)>,
    requests: Vec<Seen>,
}

/// The fake. Cheap to clone: clones share what they serve and what they saw.
#[derive(Debug, Clone, Default)]
pub struct FakeParliament {
    state: Arc<Mutex<State>>,
}

impl FakeParliament {
    pub fn new() -> FakeParliament {
        FakeParliament::default()
    }

    /// A client with `parliament`'s rules that asks this fake.
    pub fn http(&self, parliament: &Parliament) -> Http {
        Http::with_transport(parliament, Arc::new(self.clone()))
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("fake parliament")
    }

    /// Serves bill `id` from the API (record and stages); the listing shows its `lastUpdate`.
    pub fn serve_bill(&self, id: u32, bill: Value, stages: Value) {
        let mut state = self.state();
        if let Some(updated) = bill["lastUpdate"].as_str() {
            state.listing.insert(id, updated.to_owned());
        }
        state.bills.insert(id, (bill, stages));
    }

    /// Serves the Border Security bill as it was on `day` from the API (`notice` as in
    /// [`border_security_on`]).
    pub fn serve_day(&self, day: &str, notice: i64) {
        let (bill, stages) = border_security_on(super::date(day), notice);
        self.serve_bill(BILL, bill, stages);
    }

    /// Serves a bill's stage pages on the site: the list and every stage's page.
    pub fn serve_site(&self, bill: &Value, stages: &Value) {
        let id = bill["billId"].as_u64().expect("billId");
        self.serve_page(
            &format!("/bills/{id}/stages"),
            stages_page_html(bill, stages),
            None,
        );
        for stage in stages["items"].as_array().expect("items") {
            let path = format!("/bills/{id}/stages/{}", stage["id"]);
            self.serve_page(&path, stage_detail_html(bill, stage), None);
        }
    }

    /// Serves the Border Security bill's stage pages as they were on `day`.
    pub fn serve_site_day(&self, day: &str) {
        let (bill, stages) = border_security_on(super::date(day), 0);
        self.serve_site(&bill, &stages);
    }

    /// Serves one page; with `etag`, a request sending it back gets 304 Not Modified.
    pub fn serve_page(&self, path: &str, html: String, etag: Option<&str>) {
        let etag = etag.map(str::to_owned);
        self.state().pages.insert(path.to_owned(), (html, etag));
    }

    /// Requests on `route` get `answer`, for good or (`times`) for the next few.
    pub fn answer(&self, route: Route, answer: Answer, times: Option<usize>) {
        self.state().rules.insert(0, (route, answer, times));
    }

    /// Every API request for bill `id` gets `answer`. The listing says the bill changed, so
    /// that a check does try it.
    pub fn fail_bill(&self, id: u32, answer: Answer) {
        {
            let mut state = self.state();
            let bumped = format!("2099-01-01T00:00:{:02}", state.listing.len() % 60);
            let entry = state.listing.entry(id).or_default();
            *entry = if *entry >= bumped {
                format!("{entry}9")
            } else {
                bumped
            };
        }
        self.answer(Route::Under(format!("/api/v1/Bills/{id}")), answer, None);
    }

    /// The listing itself answers with `answer`.
    pub fn fail_listing(&self, answer: Answer) {
        self.answer(Route::Path("/api/v1/Bills".to_owned()), answer, None);
    }

    /// Forgets the bills, pages, rules and requests; keeps the listing (as [`super::FakeApi`]).
    pub fn reset(&self) {
        let mut state = self.state();
        state.bills.clear();
        state.pages.clear();
        state.rules.clear();
        state.requests.clear();
    }

    /// Requests received so far.
    pub fn requests(&self) -> Vec<Seen> {
        self.state().requests.clone()
    }

    /// The paths of the requests received so far.
    pub fn paths(&self) -> Vec<String> {
        self.requests()
            .iter()
            .map(|r| r.path().to_owned())
            .collect()
    }

    /// Records `request` and decides its answer.
    fn route(&self, request: &RawRequest) -> Answer {
        let url = url::Url::parse(&request.url).expect("an absolute URL");
        let mut state = self.state();
        state.requests.push(Seen {
            at: tokio::time::Instant::now(),
            url: url.clone(),
            accept: request.accept.clone(),
            validators: request.validators.clone(),
        });
        let path = url.path();
        if let Some(i) = state.rules.iter().position(|(r, _, _)| r.matches(path)) {
            let (_, answer, times) = &mut state.rules[i];
            let answer = answer.clone();
            if let Some(n) = times {
                *n -= 1;
                if *n == 0 {
                    state.rules.remove(i);
                }
            }
            return answer;
        }
        serve(&state, &url, request.validators.as_ref())
    }
}

/// What Parliament has to say about `url`.
fn serve(state: &State, url: &url::Url, validators: Option<&Validators>) -> Answer {
    let path = url.path();
    if path == "/api/v1/Bills" {
        return listing(state, url);
    }
    if path == "/api/v1/PublicationTypes" {
        return Answer::json(&super::stages_page(&publication_types(), url));
    }
    if let Some(rest) = path.strip_prefix("/api/v1/Bills/") {
        let (id, stages) = match rest.split_once('/') {
            Some((id, "Stages")) => (id, true),
            Some(_) => return Answer::status(404),
            None => (rest, false),
        };
        let Some((bill, all)) = id.parse().ok().and_then(|id: u32| state.bills.get(&id)) else {
            return Answer::status(404);
        };
        return if stages {
            paged_stages(all, url)
        } else {
            Answer::json(bill)
        };
    }
    match state.pages.get(path) {
        Some((_, Some(etag)))
            if validators.and_then(|v| v.etag.as_deref()) == Some(etag.as_str()) =>
        {
            Answer::status(304)
        }
        Some((html, etag)) => {
            let answer = Answer::status(200).body(html.clone());
            match etag {
                Some(e) => answer.etag(e),
                None => answer,
            }
        }
        None => Answer::status(404),
    }
}

/// Parliament's publication types: billwatch's own fixture.
pub fn publication_types() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/api/publication-types.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json")
}

/// One page of a bill's stages, at most 20 items whatever `Take` asks.
fn paged_stages(all: &Value, url: &url::Url) -> Answer {
    Answer::json(&super::stages_page(all, url))
}

/// The listing of bills, newest update first, at most 50 a page: a search (`SearchTerm`,
/// `BillType`, `Session`) lists only the bills it matches. Each item carries what the bill's
/// record says of its title, where it started, its type and sessions.
fn listing(state: &State, url: &url::Url) -> Answer {
    let query: BTreeMap<String, String> = url.query_pairs().into_owned().collect();
    let record = |id: &u32| state.bills.get(id).map(|(bill, _)| bill);
    let kept: BTreeMap<u32, String> = state
        .listing
        .iter()
        .filter(|(id, _)| searched(record(id), &query))
        .map(|(id, t)| (*id, t.clone()))
        .collect();
    let mut page = super::listing_page(&kept, url);
    for item in page["items"].as_array_mut().into_iter().flatten() {
        let id = item["billId"].as_u64().unwrap_or(0) as u32;
        if let Some(bill) = record(&id) {
            for key in [
                "shortTitle",
                "originatingHouse",
                "billTypeId",
                "introducedSessionId",
                "includedSessionIds",
            ] {
                if !bill[key].is_null() {
                    item[key] = bill[key].clone();
                }
            }
        }
    }
    Answer::json(&page)
}

/// Whether a bill's record matches a search's `SearchTerm` (words of the short or long title),
/// `BillType` and `Session`.
fn searched(bill: Option<&Value>, query: &BTreeMap<String, String>) -> bool {
    let empty = Value::Null;
    let bill = bill.unwrap_or(&empty);
    let text = |key: &str| bill[key].as_str().unwrap_or("").to_lowercase();
    let titles = format!("{} {}", text("shortTitle"), text("longTitle"));
    let words = query.get("SearchTerm").is_none_or(|term| {
        term.split_whitespace()
            .all(|w| titles.contains(&w.to_lowercase()))
    });
    let number = |v: &Value, wanted: &str| v.as_u64().is_some_and(|n| n.to_string() == wanted);
    let kind = query
        .get("BillType")
        .is_none_or(|t| number(&bill["billTypeId"], t));
    let session = query.get("Session").is_none_or(|s| {
        number(&bill["introducedSessionId"], s)
            || bill["includedSessionIds"]
                .as_array()
                .is_some_and(|ids| ids.iter().any(|i| number(i, s)))
    });
    words && kind && session
}

impl Transport for FakeParliament {
    fn get<'a>(
        &'a self,
        request: &'a RawRequest,
    ) -> BoxFuture<'a, Result<RawResponse, TransportError>> {
        Box::pin(async move {
            let answer = self.route(request);
            if !answer.delay.is_zero() {
                tokio::time::sleep(answer.delay).await;
            }
            if answer.broken {
                return Err(TransportError::Connect("connection refused".to_owned()));
            }
            let success = (200..300).contains(&answer.status);
            Ok(RawResponse {
                status: answer.status,
                etag: answer.etag,
                last_modified: None,
                retry_after: answer.retry_after,
                body: if success { answer.body } else { Vec::new() },
            })
        })
    }
}
