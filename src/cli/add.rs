//! `billwatch add`: track one more bill by appending a `[[bills]]` entry to the config file.
//!
//! The entry is appended: every byte already in the file (comments, order, spacing) stays as
//! it was. The new file is validated before it is written, and written whole or not at all
//! (a new file beside it, then renamed into place).

use std::io::Write as _;
use std::path::Path;

use anyhow::{Context as _, anyhow};

use super::{ExitCode, Failure, Outcome};
use crate::bill::{BillId, BillRef};
use crate::config::Config;
use crate::console;
use crate::source::search::SearchQuery;
use crate::source::{SourceKind, Sources};

/// `add BILL [--name NAME]`: BILL is an id, a URL of the bill, or words of its title that
/// match exactly one bill of the current session.
pub(super) async fn add(config: &Config, path: &Path, bill: &str, name: Option<&str>) -> Outcome {
    let sources = Sources::new(config)?;
    let id = resolve(config, &sources, bill).await?;
    if let Some(at) = config.bills.iter().position(|b| b.id == id) {
        return Err(Failure::usage(anyhow!(
            "bill {id} is already tracked (bills[{at}] in {}): nothing to add",
            path.display()
        )));
    }
    // Parliament must know the bill: a wrong id is said now, not at the next check.
    let (snapshot, _) = sources
        .fetch_from(id, SourceKind::Api)
        .await
        .map_err(|e| Failure::failed(anyhow!("cannot add bill {id}: {e}")))?;
    let old = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the config {}", path.display()))?;
    let new = format!("{old}{}", entry(&old, id, &snapshot.bill.title, name));
    // The result must be a valid config before anything is written.
    Config::parse(&new, path).map_err(|e| {
        Failure::usage(anyhow!(
            "adding bill {id} would leave the config invalid, so nothing was written: {e}"
        ))
    })?;
    write_whole(path, &new).map_err(|e| Failure::failed(not_writable(path, id, e)))?;
    console::line(format_args!(
        "added bill {id} ({}) to {}. A running worker picks it up before its next check; \
         its first check records it {}.",
        snapshot.bill.title,
        path.display(),
        if config.alerts.announce_new {
            "and announces where it stands (alerts.announce_new)"
        } else {
            "silently (no flood of its old stages)"
        }
    ));
    Ok(ExitCode::Ok)
}

/// The bill `bill` names: an id or URL, else words of a title that match one bill.
async fn resolve(config: &Config, sources: &Sources, bill: &str) -> Result<BillId, Failure> {
    let looks_like_ref = bill.trim().parse::<u64>().is_ok() || bill.contains('/');
    match BillRef::on_site(bill, &config.parliament.site_url) {
        Ok(BillRef(id)) => return Ok(id),
        Err(e) if looks_like_ref => return Err(Failure::usage(e)),
        Err(_) => {}
    }
    let failed = |e| Failure::failed(anyhow!("the search failed: {e}"));
    let query = SearchQuery {
        term: bill.to_owned(),
        session: sources.api.current_session().await.map_err(failed)?,
        ..SearchQuery::default()
    };
    let found = sources.api.search(&query).await.map_err(failed)?;
    match found.bills.as_slice() {
        [one] => Ok(one.id),
        [] => Err(Failure::usage(anyhow!(
            "no bill of the current session matches {bill:?}: try `billwatch search --all-sessions \
             {bill}`, then add it by its id"
        ))),
        many => {
            let names: Vec<String> = many
                .iter()
                .take(10)
                .map(|b| format!("{} {}", b.id, b.title))
                .collect();
            Err(Failure::usage(anyhow!(
                "{} bills match {bill:?}; add one by its id: {}",
                found.total.max(many.len()),
                names.join("; ")
            )))
        }
    }
}

/// The text appended for bill `id`: a comment with its title, then its `[[bills]]` entry.
fn entry(old: &str, id: BillId, title: &str, name: Option<&str>) -> String {
    let mut text = String::new();
    if !old.is_empty() && !old.ends_with('\n') {
        text.push('\n');
    }
    let title: String = title.chars().filter(|c| !c.is_control()).collect();
    text.push_str(&format!(
        "\n# {title} (added by `billwatch add`)\n[[bills]]\nid = {id}\n"
    ));
    if let Some(name) = name {
        let quoted = toml::Value::String(name.trim().to_owned()).to_string();
        text.push_str(&format!("name = {quoted}\n"));
    }
    text
}

/// Writes `text` to `path` whole: a new file beside it, with the same permissions, renamed
/// into place.
fn write_whole(path: &Path, text: &str) -> std::io::Result<()> {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".add-{}", std::process::id()));
    let temp = std::path::PathBuf::from(name);
    let written = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        if let Ok(meta) = std::fs::metadata(path) {
            std::fs::set_permissions(&temp, meta.permissions())?;
        }
        std::fs::rename(&temp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

/// Why the config could not be written, and how to do it anyway.
fn not_writable(path: &Path, id: BillId, e: std::io::Error) -> anyhow::Error {
    anyhow!(
        "cannot write the config {}: {e}. Nothing was changed. In Docker, /config is mounted \
         read-only: run `billwatch add {id}` on the host's copy (config/billwatch.toml), or once \
         with it mounted writable: `docker compose run --rm -v \"$PWD/config:/config\" billwatch \
         add {id}`",
        path.display()
    )
}
