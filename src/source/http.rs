//! The one HTTP client both sources share: timeouts, a size cap on bodies, retries with backoff on
//! 5xx, 429 and connection errors, conditional requests, a bound on requests in flight, and a
//! count of the requests made (for `check` and `status`). Each attempt goes through a
//! [`Transport`]: the network ([`ReqwestTransport`]), or a fake in tests.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::StatusCode;
use tokio::sync::Semaphore;

use super::transport::{RawRequest, ReqwestTransport, Transport, TransportError};

use crate::backoff::Backoff;
use crate::config::Parliament;

/// The longest `Retry-After` honoured before a request is given up for this check.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);
/// The longest wait between two tries.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// A request that failed for good (after its retries).
#[derive(Debug, Clone, thiserror::Error)]
pub enum FetchError {
    #[error("GET {url}: 404 Not Found")]
    NotFound { url: String },
    #[error("GET {url}: the server answered {status} (after {attempts} attempt(s))")]
    Status {
        url: String,
        status: u16,
        attempts: u32,
    },
    #[error("GET {url}: no answer within {timeout:?} (after {attempts} attempt(s))")]
    Timeout {
        url: String,
        timeout: Duration,
        attempts: u32,
    },
    #[error("GET {url}: cannot connect: {detail} (after {attempts} attempt(s))")]
    Connect {
        url: String,
        detail: String,
        attempts: u32,
    },
    #[error(
        "GET {url}: the response is larger than the {limit}-byte cap (parliament.max_response_bytes)"
    )]
    TooLarge { url: String, limit: u64 },
    #[error("GET {url}: {detail}")]
    Other { url: String, detail: String },
}

/// A successful answer.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// 200, or 304 when the validators sent still hold (the body is then empty).
    pub status: u16,
    pub body: Vec<u8>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

impl Fetched {
    pub fn not_modified(&self) -> bool {
        self.status == StatusCode::NOT_MODIFIED.as_u16()
    }
}

/// What a conditional request sends back to the server.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// The shared client. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Http {
    transport: Arc<dyn Transport>,
    timeout: Duration,
    /// `parliament.retry_backoff`, doubling (at most six times) up to a minute, for
    /// `parliament.retries` retries; a `Retry-After` of up to two minutes is honoured instead.
    retry: Backoff,
    max_bytes: u64,
    in_flight: Arc<Semaphore>,
    requests: Arc<AtomicU64>,
}

impl Http {
    /// The client over the real network ([`ReqwestTransport`]).
    pub fn new(config: &Parliament) -> Result<Http, reqwest::Error> {
        let transport = ReqwestTransport::new(config)?;
        Ok(Http::with_transport(config, Arc::new(transport)))
    }

    /// The client with `config`'s rules, sending each attempt through `transport`.
    pub fn with_transport(config: &Parliament, transport: Arc<dyn Transport>) -> Http {
        Http {
            transport,
            timeout: config.timeout,
            retry: Backoff::new(config.retry_backoff)
                .capped(MAX_BACKOFF)
                .doublings(6)
                .tries(config.retries.saturating_add(1))
                .honouring(MAX_RETRY_AFTER),
            max_bytes: config.max_response_bytes,
            in_flight: Arc::new(Semaphore::new(config.max_concurrent)),
            requests: Arc::new(AtomicU64::new(0)),
        }
    }

    /// How many HTTP requests this client has sent (retries included).
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// GETs `url`, retrying transient failures. With `validators`, a 304 is a success.
    pub async fn get(
        &self,
        url: &str,
        accept: &str,
        validators: Option<&Validators>,
    ) -> Result<Fetched, FetchError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let (error, retry) = match self.get_once(url, accept, validators, attempt).await {
                Ok(fetched) => return Ok(fetched),
                Err(failed) => failed,
            };
            let wait = match retry {
                Retry::No => None,
                Retry::Backoff => self.retry.after(attempt),
                Retry::Asked(asked) => self.retry.after(attempt).and(self.retry.asked(asked)),
            };
            let Some(wait) = wait else {
                return Err(error);
            };
            tracing::debug!(%error, ?wait, "retrying");
            tokio::time::sleep(wait).await;
        }
    }

    /// One attempt. The error says whether trying again can help.
    async fn get_once(
        &self,
        url: &str,
        accept: &str,
        validators: Option<&Validators>,
        attempt: u32,
    ) -> Result<Fetched, (FetchError, Retry)> {
        let _permit = self.in_flight.acquire().await.map_err(|_| {
            let detail = "the client is shutting down".to_owned();
            (
                FetchError::Other {
                    url: url.to_owned(),
                    detail,
                },
                Retry::No,
            )
        })?;
        let request = RawRequest {
            url: url.to_owned(),
            accept: accept.to_owned(),
            validators: validators.cloned(),
            max_bytes: self.max_bytes,
        };
        self.requests.fetch_add(1, Ordering::Relaxed);
        let response = tokio::time::timeout(self.timeout, self.transport.get(&request))
            .await
            .unwrap_or(Err(TransportError::Timeout))
            .map_err(|e| self.failed(url, e, attempt))?;
        let status = StatusCode::from_u16(response.status).unwrap_or(StatusCode::BAD_GATEWAY);
        if status == StatusCode::NOT_FOUND {
            return Err((
                FetchError::NotFound {
                    url: url.to_owned(),
                },
                Retry::No,
            ));
        }
        if status == StatusCode::NOT_MODIFIED && validators.is_some() {
            return Ok(Fetched {
                status: status.as_u16(),
                body: Vec::new(),
                etag: response.etag,
                last_modified: response.last_modified,
            });
        }
        if !status.is_success() {
            let transient = status.is_server_error()
                || status == StatusCode::TOO_MANY_REQUESTS
                || status == StatusCode::REQUEST_TIMEOUT;
            let retry = match retry_after(response.retry_after.as_deref()) {
                _ if !transient => Retry::No,
                Some(asked) => Retry::Asked(asked),
                None => Retry::Backoff,
            };
            let error = FetchError::Status {
                url: url.to_owned(),
                status: status.as_u16(),
                attempts: attempt,
            };
            return Err((error, retry));
        }
        if response.body.len() as u64 > self.max_bytes {
            return Err(self.failed(url, TransportError::TooLarge, attempt));
        }
        Ok(Fetched {
            status: status.as_u16(),
            body: response.body,
            etag: response.etag,
            last_modified: response.last_modified,
        })
    }

    /// What a transport's failure means for billwatch.
    fn failed(&self, url: &str, e: TransportError, attempt: u32) -> (FetchError, Retry) {
        let url = url.to_owned();
        match e {
            TransportError::Timeout => (
                FetchError::Timeout {
                    url,
                    timeout: self.timeout,
                    attempts: attempt,
                },
                Retry::Backoff,
            ),
            TransportError::Connect(detail) => (
                FetchError::Connect {
                    url,
                    detail,
                    attempts: attempt,
                },
                Retry::Backoff,
            ),
            TransportError::TooLarge => {
                let limit = self.max_bytes;
                (FetchError::TooLarge { url, limit }, Retry::No)
            }
            TransportError::Other(detail) => (FetchError::Other { url, detail }, Retry::No),
        }
    }
}

/// Whether a failed attempt is worth another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Retry {
    /// Trying again cannot help.
    No,
    /// Again, after the backoff.
    Backoff,
    /// Again, after the wait the server asked for (`Retry-After`), if it is not too long.
    Asked(Duration),
}

fn retry_after(value: Option<&str>) -> Option<Duration> {
    let secs: u64 = value?.trim().parse().ok()?;
    Some(Duration::from_secs(secs))
}

/// An error and its causes on one line.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    out
}
