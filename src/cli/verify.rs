//! `billwatch verify`: the Bills API and the stage pages compared, to notice a site change.

use super::{ExitCode, Outcome};
use crate::config::Config;
use crate::console;
use crate::source::{SourceKind, Sources};

/// `verify`: the API and the pages compared, bill by bill.
pub(super) async fn verify(config: &Config, bill: Option<&str>) -> Outcome {
    let ids: Vec<u32> = match bill {
        Some(b) => vec![super::bill_arg(b, config)?],
        None => config.bills.iter().map(|b| b.id).collect(),
    };
    let sources = Sources::new(config)?;
    let mut bad = 0;
    for id in ids {
        let (api, pages) = tokio::join!(
            sources.fetch_from(id, SourceKind::Api),
            sources.fetch_from(id, SourceKind::Pages)
        );
        match (api, pages) {
            (Ok((api, _)), Ok((pages, _))) => {
                let diffs = crate::source::disagreements(&api, &pages);
                if diffs.is_empty() {
                    console::line(format_args!(
                        "bill {id}: the API and the pages agree ({} stages)",
                        api.stages.len()
                    ));
                } else {
                    bad += 1;
                    console::line(format_args!(
                        "bill {id}: {} disagreement(s) between the API and the pages:",
                        diffs.len()
                    ));
                    for d in diffs {
                        console::line(format_args!("  {d}"));
                    }
                }
            }
            (api, pages) => {
                bad += 1;
                if let Err(e) = api {
                    console::line(format_args!("bill {id}: the API failed: {e}"));
                }
                if let Err(e) = pages {
                    console::line(format_args!("bill {id}: the pages failed: {e}"));
                }
            }
        }
    }
    Ok(ExitCode::failed_if(bad > 0))
}
