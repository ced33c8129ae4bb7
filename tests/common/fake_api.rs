//! A fake Bills API over a real socket (wiremock), for end-to-end runs of the binary.

use std::time::Duration;

use serde_json::{Value, json};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// Serves `GET /api/v1/Bills/{id}/Stages` one page at a time, at most 20 items, whatever `Take`
/// asks, as a real paged list would.
struct PagedStages(Value);

impl Respond for PagedStages {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        ResponseTemplate::new(200).set_body_json(super::stages_page(&self.0, &request.url))
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
        let bills = self.0.lock().expect("listing").clone();
        ResponseTemplate::new(200).set_body_json(super::listing_page(&bills, &request.url))
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

    /// Serves only the Border Security bill, as it was on `day` (stages announced `notice` days
    /// ahead, as in [`super::border_security_on`]).
    pub async fn serve_day(&self, day: &str, notice: i64) {
        self.reset().await;
        let (bill, stages) = super::border_security_on(super::date(day), notice);
        self.serve_bill(super::BILL, bill, stages).await;
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
