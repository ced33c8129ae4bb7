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
