//! Where bills come from. Each source maps what Parliament publishes into the same model
//! ([`crate::bill::Snapshot`]); they share one HTTP client. [`votes`] reads the Votes APIs'
//! divisions into [`crate::division::Division`].

pub mod api;
pub mod conditional;
pub mod failed_pages;
pub mod html;
pub mod http;
pub mod page_dates;
pub mod pages;
pub mod parsing;
pub mod publications;
pub mod search;
pub mod sittings;
pub mod transport;
pub mod votes;

use std::fmt;

use crate::bill::{BillId, Snapshot};
use crate::clock::Clock;
use crate::config::{Config, Mode};
use crate::store::PageCache;

pub use api::ApiSource;
use failed_pages::FailedPages;

/// The most stages billwatch reads for one bill, from either source: real bills have a few
/// dozen, and the API is read at most this far (past it the bill fails, never cut short).
pub const MAX_STAGES: usize = 5_000;
pub use http::{FetchError, Http};
pub use pages::PageSource;
pub use parsing::Parsing;
pub use sittings::Known;
pub use transport::{RawRequest, RawResponse, ReqwestTransport, Transport, TransportError};
pub use votes::{VotesError, VotesSource};

/// An answer that arrived but could not be read as what it should be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

impl ParseError {
    pub fn new(message: impl Into<String>) -> Self {
        ParseError(message.into())
    }
}

/// Why one bill could not be fetched this time. The bill's stored state stays as it was.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SourceError {
    /// Parliament says there is no such bill. Where the id came from the config, the check
    /// says so ([`SourceError::advice`]); `show` and `verify` were given it on the command line.
    #[error("bill {bill}: no such bill ({url} answered 404 Not Found)")]
    NoSuchBill { bill: BillId, url: String },
    #[error("bill {bill}: {error}")]
    Fetch { bill: BillId, error: FetchError },
    #[error("bill {bill}: {url} answered something billwatch cannot read: {error}")]
    Parse {
        bill: BillId,
        url: String,
        error: ParseError,
    },
    #[error(
        "bill {bill}: both sources failed. API: {}. Pages: {}",
        api.reason(),
        pages.reason()
    )]
    Both {
        bill: BillId,
        api: Box<SourceError>,
        pages: Box<SourceError>,
    },
}

impl SourceError {
    /// What failed, without the bill's number: inside [`SourceError::Both`], where the bill is
    /// named once, and a 404 from one source is no proof the bill does not exist.
    fn reason(&self) -> String {
        match self {
            SourceError::NoSuchBill { url, .. } => format!("{url} answered 404 Not Found"),
            SourceError::Fetch { error, .. } => error.to_string(),
            SourceError::Parse { url, error, .. } => {
                format!("{url} answered something billwatch cannot read: {error}")
            }
            SourceError::Both { .. } => self.to_string(),
        }
    }

    /// What the operator can do about it, when the config is the cause: a bill Parliament does
    /// not have is a wrong id or URL there.
    pub fn advice(&self) -> Option<&'static str> {
        match self {
            SourceError::NoSuchBill { .. } => Some("check the bill's id or URL in the config"),
            _ => None,
        }
    }

    pub fn parse(bill: BillId, url: &str, error: ParseError) -> Self {
        SourceError::Parse {
            bill,
            url: url.to_owned(),
            error,
        }
    }
}

/// Which source served a bill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    Api,
    Pages,
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SourceKind::Api => "api",
            SourceKind::Pages => "pages",
        })
    }
}

impl From<SourceKind> for crate::decide::SnapshotSource {
    fn from(kind: SourceKind) -> Self {
        match kind {
            SourceKind::Api => crate::decide::SnapshotSource::Api,
            SourceKind::Pages => crate::decide::SnapshotSource::Pages,
        }
    }
}

/// Every source, built once from the config; they share one HTTP client.
#[derive(Debug, Clone)]
pub struct Sources {
    pub http: Http,
    pub api: ApiSource,
    pub pages: PageSource,
    /// The Commons and Lords Votes APIs.
    pub votes: VotesSource,
    modes: Vec<(BillId, Mode)>,
    default_mode: Mode,
}

impl Sources {
    /// Sources without state: no stored page copies, failed pages not saved (`show`, `verify`,
    /// `--dry-run`).
    pub fn new(config: &Config) -> anyhow::Result<Sources> {
        Ok(Sources::with_http(config, Http::new(&config.parliament)?))
    }

    /// Sources for checks that keep state: page copies in the database (`cache`, from
    /// [`crate::store::Store::page_cache`]) for conditional requests, pages that fail to parse
    /// saved beside it (named by `clock`'s time).
    pub fn with_state(config: &Config, cache: PageCache, clock: Clock) -> anyhow::Result<Sources> {
        let http = Http::new(&config.parliament)?;
        Ok(Sources::with_state_and_http(config, cache, clock, http))
    }

    /// As [`Sources::new`], over a given client (one with a fake transport, in tests).
    pub fn with_http(config: &Config, http: Http) -> Sources {
        Sources::build(config, http, None, None)
    }

    /// As [`Sources::with_state`], over a given client.
    pub fn with_state_and_http(
        config: &Config,
        cache: PageCache,
        clock: Clock,
        http: Http,
    ) -> Sources {
        let dir = config
            .storage
            .path
            .parent()
            .map(|p| p.join("failed-pages"))
            .unwrap_or_else(|| "failed-pages".into());
        Sources::build(
            config,
            http,
            Some(cache),
            Some(FailedPages::new(dir, clock)),
        )
    }

    fn build(
        config: &Config,
        http: Http,
        cache: Option<PageCache>,
        failed: Option<FailedPages>,
    ) -> Sources {
        let parsing = Parsing::default();
        Sources {
            votes: VotesSource::new(
                http.clone(),
                config.parliament.commons_votes_url.clone(),
                config.parliament.lords_votes_url.clone(),
                parsing.clone(),
            ),
            api: ApiSource::new(
                http.clone(),
                config.parliament.api_url.clone(),
                parsing.clone(),
            ),
            pages: PageSource::new(
                http.clone(),
                config.parliament.site_url.clone(),
                config.parliament.page_delay,
                cache,
                failed,
                parsing,
            ),
            http,
            modes: config
                .bills
                .iter()
                .filter_map(|b| b.mode.map(|m| (b.id, m)))
                .collect(),
            default_mode: config.parliament.mode,
        }
    }

    /// These sources, parsing with `parsing` (a test seam: [`Parsing::with_hook`]).
    pub fn with_parsing(mut self, parsing: Parsing) -> Sources {
        self.api = self.api.with_parsing(parsing.clone());
        self.votes = self.votes.with_parsing(parsing.clone());
        self.pages = self.pages.with_parsing(parsing);
        self
    }

    /// The mode for one bill: its own, else the config's.
    pub fn mode_for(&self, id: BillId) -> Mode {
        self.modes
            .iter()
            .find(|(b, _)| *b == id)
            .map(|(_, m)| *m)
            .unwrap_or(self.default_mode)
    }

    /// Fetches one bill in its mode, knowing nothing of it (`show`, `verify`).
    pub async fn fetch(&self, id: BillId) -> Result<(Snapshot, SourceKind), SourceError> {
        self.fetch_knowing(id, async { Known::default() }).await
    }

    /// Fetches one bill in its mode. In `auto`, the pages serve when the API fails or answers
    /// with something unreadable (not when it says the bill does not exist). What is `known`
    /// of the bill is asked for only when the pages serve (the API does not need it).
    pub async fn fetch_knowing(
        &self,
        id: BillId,
        known: impl Future<Output = Known>,
    ) -> Result<(Snapshot, SourceKind), SourceError> {
        match self.mode_for(id) {
            Mode::Api => Ok((self.api.fetch(id).await?, SourceKind::Api)),
            Mode::Pages => Ok((self.pages.fetch(id, &known.await).await?, SourceKind::Pages)),
            Mode::Auto => match self.api.fetch(id).await {
                Ok(s) => Ok((s, SourceKind::Api)),
                Err(e @ SourceError::NoSuchBill { .. }) => Err(e),
                Err(api) => {
                    tracing::warn!(bill = id, "the API failed, trying the stage pages: {api}");
                    match self.pages.fetch(id, &known.await).await {
                        Ok(s) => {
                            tracing::info!(
                                bill = id,
                                source = "pages",
                                "served by the stage pages"
                            );
                            Ok((s, SourceKind::Pages))
                        }
                        Err(pages) => Err(SourceError::Both {
                            bill: id,
                            api: Box::new(api),
                            pages: Box::new(pages),
                        }),
                    }
                }
            },
        }
    }

    /// Fetches one bill from one named source, knowing nothing of it.
    pub async fn fetch_from(
        &self,
        id: BillId,
        kind: SourceKind,
    ) -> Result<(Snapshot, SourceKind), SourceError> {
        let snapshot = match kind {
            SourceKind::Api => self.api.fetch(id).await?,
            SourceKind::Pages => self.pages.fetch(id, &Known::default()).await?,
        };
        Ok((snapshot, kind))
    }
}

/// Every way the two sources disagree about one bill, in words; empty when they agree.
/// Sort order and stage type ids are not compared (the pages do not show them).
pub fn disagreements(api: &Snapshot, pages: &Snapshot) -> Vec<String> {
    let mut out = Vec::new();
    if api.bill.title != pages.bill.title {
        out.push(format!(
            "title: API {:?}, pages {:?}",
            api.bill.title, pages.bill.title
        ));
    }
    let days = |d: &[chrono::NaiveDate]| {
        if d.is_empty() {
            "no date".to_owned()
        } else {
            d.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    for a in &api.stages {
        match pages.stage(a.id) {
            None => out.push(format!(
                "stage {} ({}, {}) is in the API but not on the pages",
                a.id, a.name, a.house
            )),
            Some(p) => {
                if !a.name.eq_ignore_ascii_case(&p.name) {
                    out.push(format!(
                        "stage {}: name: API {:?}, pages {:?}",
                        a.id, a.name, p.name
                    ));
                }
                if a.house != p.house {
                    out.push(format!(
                        "stage {} ({}): House: API {}, pages {}",
                        a.id, a.name, a.house, p.house
                    ));
                }
                if a.sittings != p.sittings {
                    out.push(format!(
                        "stage {} ({}): dates: API {}, pages {}",
                        a.id,
                        a.name,
                        days(&a.sittings),
                        days(&p.sittings)
                    ));
                }
            }
        }
    }
    for p in &pages.stages {
        if api.stage(p.id).is_none() {
            out.push(format!(
                "stage {} ({}, {}) is on the pages but not in the API",
                p.id, p.name, p.house
            ));
        }
    }
    out
}
