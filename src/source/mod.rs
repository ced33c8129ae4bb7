//! Where bills come from. Each source maps what Parliament publishes into the same model
//! ([`crate::bill::Snapshot`]); they share one HTTP client.

pub mod api;
pub mod http;

use std::fmt;

use crate::bill::{BillId, Snapshot};
use crate::config::Config;

pub use api::ApiSource;
pub use http::{FetchError, Http};

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
    #[error(
        "bill {bill}: no such bill ({url} answered 404 Not Found); check the bill's id or URL in the config"
    )]
    NoSuchBill { bill: BillId, url: String },
    #[error("bill {bill}: {error}")]
    Fetch { bill: BillId, error: FetchError },
    #[error("bill {bill}: {url} answered something billwatch cannot read: {error}")]
    Parse {
        bill: BillId,
        url: String,
        error: ParseError,
    },
}

impl SourceError {
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
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SourceKind::Api => "api",
        })
    }
}

/// Every source, built once from the config.
#[derive(Debug, Clone)]
pub struct Sources {
    pub http: Http,
    pub api: ApiSource,
}

impl Sources {
    pub fn new(config: &Config) -> anyhow::Result<Sources> {
        let http = Http::new(&config.parliament)?;
        Ok(Sources {
            api: ApiSource::new(http.clone(), config.parliament.api_url.clone()),
            http,
        })
    }

    /// Fetches one bill.
    pub async fn fetch(&self, id: BillId) -> Result<(Snapshot, SourceKind), SourceError> {
        self.api.fetch(id).await.map(|s| (s, SourceKind::Api))
    }
}
