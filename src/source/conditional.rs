//! Conditional requests: a GET that sends the validators (`ETag`, `Last-Modified`) of the
//! stored copy of a page and reuses the copy when the site answers 304 Not Modified.
//!
//! The copies are the store's ([`PageCache`]). A copy that cannot be read or stored is told as
//! a warning and done without: the page is then fetched in full, and a broken cache never
//! fails a bill.

use super::http::{FetchError, Fetched, Http, Validators};
use crate::store::{CachedPage, PageCache};

/// The body of `url`: fetched, or the stored copy when the site says it has not changed.
pub async fn get(
    http: &Http,
    cache: Option<&PageCache>,
    url: &str,
    accept: &str,
) -> Result<Vec<u8>, FetchError> {
    let cached = match cache {
        Some(c) => stored_copy(c, url).await,
        None => None,
    };
    let validators = cached.as_ref().map(|c| Validators {
        etag: c.etag.clone(),
        last_modified: c.last_modified.clone(),
    });
    let fetched = http.get(url, accept, validators.as_ref()).await?;
    Ok(if fetched.not_modified() {
        tracing::debug!(url, "not modified: using the stored copy");
        cached.map(|c| c.body).unwrap_or_default()
    } else {
        match cache {
            Some(cache) => keep_copy(cache, url, fetched).await,
            None => fetched.body,
        }
    })
}

/// The stored copy of `url`, if there is one and it can be read.
async fn stored_copy(cache: &PageCache, url: &str) -> Option<CachedPage> {
    match cache.load(url).await {
        Ok(page) => page,
        Err(e) => {
            tracing::warn!(
                url,
                "the stored copy of the page cannot be read, fetching it in full: {e}"
            );
            None
        }
    }
}

/// Keeps a copy of a page that came with validators; returns its body.
async fn keep_copy(cache: &PageCache, url: &str, fetched: Fetched) -> Vec<u8> {
    if fetched.etag.is_none() && fetched.last_modified.is_none() {
        return fetched.body;
    }
    let page = CachedPage {
        etag: fetched.etag,
        last_modified: fetched.last_modified,
        body: fetched.body,
    };
    let body = page.body.clone();
    if let Err(e) = cache.keep(url, page).await {
        tracing::warn!(
            url,
            "cannot store the page copy, carrying on without it: {e}"
        );
    }
    body
}
