//! Pages that answered but could not be read, saved beside the database so the operator can see
//! what the site showed when its layout changed. Only the newest few are kept.

use std::path::PathBuf;

use crate::bill::BillId;
use crate::clock::Clock;

/// How many pages that failed to parse are kept for diagnosis, and how much of each.
const KEEP_FAILED_PAGES: usize = 5;
const FAILED_PAGE_CAP: usize = 2 * 1024 * 1024;

/// The folder failed pages go to, and the clock that stamps their names.
#[derive(Debug, Clone)]
pub struct FailedPages {
    dir: PathBuf,
    clock: Clock,
}

impl FailedPages {
    pub fn new(dir: PathBuf, clock: Clock) -> Self {
        FailedPages { dir, clock }
    }

    /// Saves `html` (its first 2 MiB) as `bill-{id}-{time}.html` and drops all but the newest
    /// few; returns where, or `None` when it could not be saved.
    pub fn save(&self, id: BillId, html: &str) -> Option<PathBuf> {
        let dir = &self.dir;
        std::fs::create_dir_all(dir).ok()?;
        let name = format!(
            "bill-{id}-{}.html",
            self.clock.now().format("%Y%m%dT%H%M%S%.3fZ")
        );
        let path = dir.join(name);
        let mut end = html.len().min(FAILED_PAGE_CAP);
        while !html.is_char_boundary(end) {
            end -= 1;
        }
        std::fs::write(&path, &html[..end]).ok()?;
        // Keep only the newest few.
        if let Ok(entries) = std::fs::read_dir(dir) {
            let mut files: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "html"))
                .collect();
            files.sort();
            let excess = files.len().saturating_sub(KEEP_FAILED_PAGES);
            for old in files.into_iter().take(excess) {
                let _ = std::fs::remove_file(old);
            }
        }
        Some(path)
    }
}
