//! `/search` in the bot: bills of the current session by words of their title, asked of the
//! Bills API. Answers are kept for a few minutes, so that strangers asking again and again
//! cannot make billwatch hammer Parliament (each person is also held to ten commands a minute).

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::Instant;

use super::replies::title_text;
use crate::message::escape_html;
use crate::source::ApiSource;
use crate::source::search::{Found, SearchQuery};

/// How long an answer (and the current session) is kept.
pub const SEARCH_CACHE_TTL: Duration = Duration::from_secs(300);
/// The most answers kept at once; past it the oldest goes.
const CACHE_SIZE: usize = 200;
/// Bills one answer names.
const SHOWN: usize = 5;

/// Searches, with the answers of the last few minutes kept.
#[derive(Debug)]
pub struct Searcher {
    api: ApiSource,
    site: url::Url,
    /// Answers by normalised search term, with when they were made.
    answers: tokio::sync::Mutex<HashMap<String, (Instant, Found)>>,
    session: tokio::sync::Mutex<Option<(Instant, Option<u32>)>>,
}

impl Searcher {
    /// Searches through `api`, linking to bills on `site`.
    pub fn new(api: ApiSource, site: url::Url) -> Searcher {
        Searcher {
            api,
            site,
            answers: tokio::sync::Mutex::new(HashMap::new()),
            session: tokio::sync::Mutex::new(None),
        }
    }

    /// The answer to `/search term`, as Telegram HTML: from the last few minutes' answers, or
    /// asked of Parliament (two requests: the current session, then the search).
    pub async fn answer(&self, term: &str) -> String {
        match self.found(term).await {
            Ok(found) => found_html(&found, &normalise(term), &self.site),
            Err(e) => {
                tracing::warn!("a /search failed: {e}");
                "Sorry, Parliament's search is not answering right now. Try again in a few minutes."
                    .to_owned()
            }
        }
    }

    /// The current session's bills matching `term`: from the last few minutes' answers, or
    /// asked of Parliament. A failure is not kept: the next asker may find Parliament answering.
    pub async fn found(&self, term: &str) -> Result<Found, crate::source::api::ListingError> {
        let key = normalise(term);
        let now = Instant::now();
        if let Some((at, found)) = self.answers.lock().await.get(&key)
            && now.duration_since(*at) < SEARCH_CACHE_TTL
        {
            return Ok(found.clone());
        }
        let found = self.ask(&key).await?;
        let mut answers = self.answers.lock().await;
        answers.retain(|_, (at, _)| now.duration_since(*at) < SEARCH_CACHE_TTL);
        if answers.len() >= CACHE_SIZE
            && let Some(oldest) = answers
                .iter()
                .min_by_key(|(_, (at, _))| *at)
                .map(|(k, _)| k.clone())
        {
            answers.remove(&oldest);
        }
        answers.insert(key, (now, found.clone()));
        Ok(found)
    }

    /// The Bills API it asks.
    pub fn api(&self) -> &ApiSource {
        &self.api
    }

    async fn ask(&self, term: &str) -> Result<Found, crate::source::api::ListingError> {
        let session = self.session().await?;
        let query = SearchQuery {
            term: term.to_owned(),
            session,
            ..SearchQuery::default()
        };
        self.api.search(&query).await
    }

    /// The current session, asked at most once per [`SEARCH_CACHE_TTL`].
    async fn session(&self) -> Result<Option<u32>, crate::source::api::ListingError> {
        let mut kept = self.session.lock().await;
        let now = Instant::now();
        if let Some((at, session)) = *kept
            && now.duration_since(at) < SEARCH_CACHE_TTL
        {
            return Ok(session);
        }
        let session = self.api.current_session().await?;
        *kept = Some((now, session));
        Ok(session)
    }
}

/// A search term as kept: words single-spaced, lower case.
fn normalise(term: &str) -> String {
    term.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The answer to a search for `term`, as Telegram HTML: the top matches with their ids, where
/// they stand and links, or that nothing matched. Pure.
pub fn found_html(found: &Found, term: &str, site: &url::Url) -> String {
    if found.bills.is_empty() {
        return format!(
            "No bill of the current session matches “{}”.",
            escape_html(term)
        );
    }
    let mut out = format!("<b>Bills matching “{}”</b>\n", escape_html(term));
    for b in found.bills.iter().take(SHOWN) {
        let url = crate::config::join(site, &format!("bills/{}", b.id));
        out.push_str(&format!(
            "\n<b>{}</b> ({})\n",
            escape_html(&title_text(&b.title)),
            b.id
        ));
        if let Some(stage) = &b.stage {
            let house = b.house.map(|h| h.long_name()).filter(|h| !h.is_empty());
            let at = house.map(|h| format!(", {h}")).unwrap_or_default();
            out.push_str(&format!("Now: {}{}\n", escape_html(stage), at));
        }
        out.push_str(&format!(
            "<a href=\"{}\">On bills.parliament.uk</a>\n",
            escape_html(&url)
        ));
    }
    if found.total > SHOWN {
        out.push_str(&format!(
            "\n{} more match: add words to narrow it.\n",
            found.total - SHOWN
        ));
    }
    out
}
