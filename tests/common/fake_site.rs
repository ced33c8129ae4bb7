//! A fake bills.parliament.uk over a real socket (wiremock).

use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use super::site_html::{stage_detail_html, stages_page_html};

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
