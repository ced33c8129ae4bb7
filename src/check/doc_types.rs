//! The default documents' publication types at ping-pong (see [`crate::document`]):
//! Parliament's list of publication types, asked for only when a fetched bill brings a new
//! document the default may allow, at most once per `parliament.full_refresh` (the list read is
//! kept in the store's `meta`), and at most once in a check. A list that cannot be read never
//! holds up a bill: the default is then "Bill" alone for this check (or the last list read,
//! when there is one), and the list is asked for again at the next check that needs it.

use tokio::sync::OnceCell;

use super::Target;
use crate::bill::Snapshot;
use crate::clock::Clock;
use crate::config::Config;
use crate::document::{KnownTypes, new_documents, ping_pong_kinds};
use crate::source::ApiSource;
use crate::store::Recording;

/// The `meta` key of the list read last: [`KnownTypes`] as JSON.
const KEY: &str = "publication_types";

/// The other House's amendments and reasons, by publication type name, once asked for in a
/// check.
#[derive(Debug)]
pub(super) struct PingPongTypes<'a> {
    api: &'a ApiSource,
    kinds: OnceCell<Vec<String>>,
}

impl<'a> PingPongTypes<'a> {
    pub fn new(api: &'a ApiSource) -> Self {
        PingPongTypes {
            api,
            kinds: OnceCell::new(),
        }
    }

    /// Completes `how`'s default documents with the ping-pong types when `snapshot` brings a
    /// document new since the stored snapshot that they may allow; otherwise leaves it as it is
    /// (and asks nothing).
    pub async fn complete(
        &self,
        (config, target, clock): (&Config, &Target, Clock),
        snapshot: &Snapshot,
        how: &mut Recording,
    ) {
        let may_allow = |kind: &str| {
            how.filter.documents.may_allow(kind) || how.readers_filter.documents.may_allow(kind)
        };
        let current = snapshot.documents.as_deref().unwrap_or_default();
        if !current.iter().any(|d| may_allow(&d.kind)) {
            return;
        }
        // A stored snapshot that cannot be read is reported when the bill is recorded; and a
        // bill seen for the first time has no new documents.
        let Ok(Some(stored)) = target.snapshot(snapshot.bill.id).await else {
            return;
        };
        let new = new_documents(stored.documents.as_deref(), snapshot.documents.as_deref());
        if !new.iter().any(|d| may_allow(&d.kind)) {
            return;
        }
        let kinds = self
            .kinds
            .get_or_init(|| self.read(config, target, clock))
            .await;
        how.filter.documents = how.filter.documents.with_ping_pong(kinds);
        how.readers_filter.documents = how.readers_filter.documents.with_ping_pong(kinds);
    }

    /// The ping-pong types: from the list kept, while fresh; else from Parliament (kept for
    /// the next checks); else, that failing, from the list kept however old, or none.
    async fn read(&self, config: &Config, target: &Target, clock: Clock) -> Vec<String> {
        let now = clock.now();
        let max_age = chrono::Duration::from_std(config.parliament.full_refresh)
            .unwrap_or(chrono::Duration::days(1));
        let kept = match target.stored() {
            Some(db) => match db.call(|s| s.meta(KEY)).await {
                Ok(json) => json.and_then(|j| serde_json::from_str::<KnownTypes>(&j).ok()),
                Err(e) => {
                    tracing::warn!("the publication types kept cannot be read: {e}");
                    None
                }
            },
            None => None,
        };
        if let Some(kept) = kept.as_ref().filter(|k| k.is_fresh(now, max_age)) {
            return ping_pong_kinds(&kept.types);
        }
        match self.api.publication_types().await {
            Ok(types) => {
                let read = KnownTypes {
                    read_at: now,
                    types,
                };
                let kinds = ping_pong_kinds(&read.types);
                tracing::info!(
                    ?kinds,
                    "publication types read: the other House's amendments"
                );
                if let (Some(db), Ok(json)) = (target.writable(), serde_json::to_string(&read))
                    && let Err(e) = db.call(move |s| s.set_meta(KEY, &json)).await
                {
                    tracing::warn!("the publication types read cannot be kept: {e}");
                }
                kinds
            }
            Err(e) => {
                let kinds = kept.map(|k| ping_pong_kinds(&k.types)).unwrap_or_default();
                tracing::warn!(
                    fallback = ?kinds,
                    "the publication types cannot be read now ({e}): the default documents are \
                     prints of the bill and these types from the last list read, if any; asked \
                     again at the next check"
                );
                kinds
            }
        }
    }
}
