//! Readers' own bills in a check: with `telegram.follow_any`, a bill a reader follows that the
//! deployment does not track is tracked as long as someone follows it — recorded silently at
//! first sight, its alerts for its readers only (none to the channel).

use super::Target;
use crate::bill::BillId;
use crate::config::{Config, TrackedBill};
use crate::filter::{AlertFilter, Kinds};
use crate::store::StoreError;

/// The bills readers follow that `tracked` does not track, when `follow_any` lets readers
/// follow any bill (without it, a reader's follow of a bill no longer tracked rests).
pub(super) async fn readers_bills(
    config: &Config,
    tracked: &Config,
    target: &Target,
) -> Result<Vec<BillId>, StoreError> {
    let any = config.telegram.as_ref().is_some_and(|t| t.readers.any);
    let Some(db) = target.stored().filter(|_| any) else {
        return Ok(Vec::new());
    };
    let followed = db.call(|s| s.followings()).await?;
    Ok(followed
        .into_iter()
        .map(|f| f.bill_id)
        .filter(|id| tracked.bill(*id).is_none())
        .collect())
}

/// `config` with `bills` tracked for their readers alone: no alert of theirs goes to a channel.
pub(super) fn with_readers(mut config: Config, bills: &[BillId]) -> Config {
    for id in bills {
        config.bills.push(TrackedBill {
            id: *id,
            name: None,
            chat: None,
            mode: None,
            filter: Some(AlertFilter {
                kinds: Kinds::List(Vec::new()),
                ..AlertFilter::default()
            }),
        });
    }
    config
}
