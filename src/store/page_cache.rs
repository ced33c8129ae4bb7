//! Stored copies of pages (`http_cache`), for conditional requests: a page the site answers
//! with 304 Not Modified is read from its copy.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use super::{Store, StoreError, sqlite};

/// The largest page kept as a copy: a larger one is fetched in full each time.
const MAX_KEPT_PAGE: usize = 1024 * 1024;
/// The most bytes of pages kept in all: beyond it, the oldest copies go.
const PAGE_COPIES_BUDGET: usize = 16 * 1024 * 1024;

/// A stored copy of a page, with the validators it came with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedPage {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub body: Vec<u8>,
}

/// The stored page copies, for the page source. Cheap to clone.
///
/// It has a connection of its own, opened on first use (most checks read no page): pages are
/// fetched while a check holds the [`Store`] for recording. The mutex is a std one, not tokio's,
/// because it is held for one short statement and never across an `.await`.
#[derive(Debug, Clone)]
pub struct PageCache {
    conn: Arc<Mutex<Option<Connection>>>,
    path: PathBuf,
}

impl PageCache {
    /// The page copies of the billwatch database at `path` (created and migrated already). No
    /// file is touched until the first copy is read or kept.
    pub fn of_database(path: &Path) -> PageCache {
        PageCache {
            conn: Arc::new(Mutex::new(None)),
            path: path.to_owned(),
        }
    }
}

impl Store {
    /// A handle on this database's stored page copies.
    pub fn page_cache(&self) -> PageCache {
        PageCache::of_database(&self.path)
    }
}

impl PageCache {
    /// The stored copy of `url`, if there is one.
    pub fn get(&self, url: &str) -> Result<Option<CachedPage>, StoreError> {
        let mut conn = self.connection();
        self.open(&mut conn)?
            .query_row(
                "SELECT etag, last_modified, body FROM http_cache WHERE url = ?1",
                params![url],
                |r| {
                    Ok(CachedPage {
                        etag: r.get(0)?,
                        last_modified: r.get(1)?,
                        body: r.get(2)?,
                    })
                },
            )
            .optional()
            .map_err(|e| sqlite(&self.path, e))
    }

    /// Keeps `page` as the copy of `url`, replacing any older one, then drops the oldest copies
    /// beyond `PAGE_COPIES_BUDGET`. A page over `MAX_KEPT_PAGE` is not kept (nor its older
    /// copy, stale now).
    pub fn put(&self, url: &str, page: &CachedPage) -> Result<(), StoreError> {
        let mut conn = self.connection();
        let conn = self.open(&mut conn)?;
        let run = |sql: &str, values: &[&dyn rusqlite::ToSql]| {
            conn.execute(sql, values)
                .map(|_| ())
                .map_err(|e| sqlite(&self.path, e))
        };
        if page.body.len() > MAX_KEPT_PAGE {
            return run("DELETE FROM http_cache WHERE url = ?1", params![url]);
        }
        run(
            "INSERT INTO http_cache (url, etag, last_modified, body, stored_at)
             VALUES (?1, ?2, ?3, ?4, datetime('now'))
             ON CONFLICT (url) DO UPDATE SET etag = excluded.etag,
                last_modified = excluded.last_modified, body = excluded.body,
                stored_at = excluded.stored_at",
            params![url, page.etag, page.last_modified, page.body],
        )?;
        // Newest first (this page before all), the running total of their sizes.
        run(
            "DELETE FROM http_cache WHERE url IN (
                SELECT url FROM (
                    SELECT url, sum(length(body)) OVER (
                        ORDER BY url = ?1 DESC, stored_at DESC, rowid DESC
                    ) AS total FROM http_cache
                ) WHERE total > ?2
             )",
            params![url, PAGE_COPIES_BUDGET as i64],
        )
    }

    /// [`PageCache::get`] in tokio's blocking pool, off the async workers (see [`super::Db`]).
    pub async fn load(&self, url: &str) -> Result<Option<CachedPage>, StoreError> {
        let (cache, url) = (self.clone(), url.to_owned());
        tokio::task::spawn_blocking(move || cache.get(&url))
            .await
            .map_err(|e| self.interrupted(&e))?
    }

    /// [`PageCache::put`] in tokio's blocking pool, off the async workers.
    pub async fn keep(&self, url: &str, page: CachedPage) -> Result<(), StoreError> {
        let (cache, url) = (self.clone(), url.to_owned());
        tokio::task::spawn_blocking(move || cache.put(&url, &page))
            .await
            .map_err(|e| self.interrupted(&e))?
    }

    fn interrupted(&self, e: &tokio::task::JoinError) -> StoreError {
        StoreError::Interrupted {
            path: self.path.clone(),
            detail: e.to_string(),
        }
    }

    /// The connection, opened now if it was not yet.
    fn open<'a>(&self, conn: &'a mut Option<Connection>) -> Result<&'a Connection, StoreError> {
        match conn {
            Some(open) => Ok(open),
            None => {
                // The database exists and is migrated: never create a file here.
                let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
                    | OpenFlags::SQLITE_OPEN_URI
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX;
                let opened = Connection::open_with_flags(&self.path, flags)
                    .map_err(|e| sqlite(&self.path, e))?;
                opened
                    .busy_timeout(Duration::from_secs(15))
                    .map_err(|e| sqlite(&self.path, e))?;
                Ok(conn.insert(opened))
            }
        }
    }

    fn connection(&self) -> std::sync::MutexGuard<'_, Option<Connection>> {
        // A panic elsewhere while the lock was held cannot leave the connection half-used: each
        // use is one statement, run to its end.
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
