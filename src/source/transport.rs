//! The one seam between billwatch and the network, for Parliament: one raw GET.
//!
//! [`super::Http`] keeps every rule of billwatch's (retries, `Retry-After`, the bound on requests
//! in flight, the request count, what a status means, the size cap, the timeout) and hands one
//! attempt to a [`Transport`]. [`ReqwestTransport`] is the real one; tests put an in-process
//! fake behind the same trait, so that they can run in paused time.

use std::fmt;
use std::time::Duration;

use futures::future::BoxFuture;
use reqwest::header::{self, HeaderMap};

use super::http::Validators;
use crate::config::Parliament;

/// One GET, as billwatch asks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRequest {
    pub url: String,
    /// The `Accept` header.
    pub accept: String,
    /// Sent as `If-None-Match` and `If-Modified-Since`.
    pub validators: Option<Validators>,
    /// The most body bytes worth reading: a transport may stop reading beyond it and answer
    /// [`TransportError::TooLarge`].
    pub max_bytes: u64,
}

/// One answer, whatever its status.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawResponse {
    pub status: u16,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// The `Retry-After` header as sent.
    pub retry_after: Option<String>,
    /// The body of a successful (2xx) answer; empty for any other.
    pub body: Vec<u8>,
}

/// Why no answer came.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    #[error("no answer in time")]
    Timeout,
    /// The connection failed, or broke while the answer came: trying again may help.
    #[error("{0}")]
    Connect(String),
    /// The body is larger than [`RawRequest::max_bytes`].
    #[error("the body is too large")]
    TooLarge,
    /// Anything else: trying again cannot help.
    #[error("{0}")]
    Other(String),
}

/// Sends one GET. Object-safe, so that [`super::Http`] holds an `Arc<dyn Transport>`.
pub trait Transport: fmt::Debug + Send + Sync {
    fn get<'a>(
        &'a self,
        request: &'a RawRequest,
    ) -> BoxFuture<'a, Result<RawResponse, TransportError>>;
}

/// The real network, through reqwest.
#[derive(Debug, Clone)]
pub struct ReqwestTransport {
    client: reqwest::Client,
}

impl ReqwestTransport {
    /// A client with `parliament`'s user agent, timeout and connect timeout.
    pub fn new(parliament: &Parliament) -> Result<ReqwestTransport, reqwest::Error> {
        let client = reqwest::Client::builder()
            .user_agent(parliament.user_agent.clone())
            .timeout(parliament.timeout)
            .connect_timeout(parliament.timeout.min(Duration::from_secs(10)))
            .build()?;
        Ok(ReqwestTransport { client })
    }

    async fn send(&self, request: &RawRequest) -> Result<RawResponse, TransportError> {
        let mut builder = self
            .client
            .get(&request.url)
            .header(header::ACCEPT, &request.accept);
        if let Some(v) = &request.validators {
            if let Some(etag) = &v.etag {
                builder = builder.header(header::IF_NONE_MATCH, etag);
            }
            if let Some(lm) = &v.last_modified {
                builder = builder.header(header::IF_MODIFIED_SINCE, lm);
            }
        }
        let response = builder.send().await.map_err(classify)?;
        let headers = response.headers();
        let mut raw = RawResponse {
            status: response.status().as_u16(),
            etag: header_str(headers, header::ETAG),
            last_modified: header_str(headers, header::LAST_MODIFIED),
            retry_after: header_str(headers, header::RETRY_AFTER),
            body: Vec::new(),
        };
        if response.status().is_success() {
            raw.body = body(response, request.max_bytes).await?;
        }
        Ok(raw)
    }
}

impl Transport for ReqwestTransport {
    fn get<'a>(
        &'a self,
        request: &'a RawRequest,
    ) -> BoxFuture<'a, Result<RawResponse, TransportError>> {
        Box::pin(self.send(request))
    }
}

/// Reads a body in chunks, stopping as soon as it passes `max_bytes`.
async fn body(mut response: reqwest::Response, max_bytes: u64) -> Result<Vec<u8>, TransportError> {
    if response.content_length().is_some_and(|n| n > max_bytes) {
        return Err(TransportError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(classify)? {
        if body.len() as u64 + chunk.len() as u64 > max_bytes {
            return Err(TransportError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn classify(e: reqwest::Error) -> TransportError {
    if e.is_timeout() {
        TransportError::Timeout
    } else if e.is_connect() || e.is_request() || e.is_body() || e.is_decode() {
        TransportError::Connect(super::http::error_chain(&e.without_url()))
    } else {
        TransportError::Other(super::http::error_chain(&e.without_url()))
    }
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}
