//! `billwatch backup PATH`: a copy of the database, safe while `billwatch run` runs.

use std::path::Path;

use super::{ExitCode, Failure, Outcome};
use crate::config::Config;
use crate::console;
use crate::store::{self, BackupError};

/// `backup`: copies the configured database to `to` (replacing a file there only when
/// `replace`) and says what it wrote.
pub(super) fn backup(config: &Config, to: &Path, replace: bool) -> Outcome {
    let from = &config.storage.path;
    let copy = store::backup(from, to, replace).map_err(|e| match e {
        e @ (BackupError::Exists(_)
        | BackupError::IsFolder(_)
        | BackupError::NoFolder(_)
        | BackupError::SameFile(_)) => Failure::usage(e),
        e => Failure::failed(e),
    })?;
    console::print(&format!(
        "backed up {} to {} ({}; {} bill(s), {} alert(s)); checked: it opens as a billwatch \
         database\n",
        from.display(),
        copy.path.display(),
        size(copy.bytes),
        copy.bills,
        copy.alerts,
    ));
    Ok(ExitCode::Ok)
}

/// A size as people read it: "48 KiB", "3.2 MiB".
fn size(bytes: u64) -> String {
    const KIB: u64 = 1024;
    if bytes < KIB * KIB {
        format!("{} KiB", bytes.div_ceil(KIB))
    } else {
        format!("{:.1} MiB", bytes as f64 / (KIB * KIB) as f64)
    }
}
