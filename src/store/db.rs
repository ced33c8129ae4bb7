//! The database for async code: [`Db`] runs every [`Store`] call off the async workers.
//!
//! SQLite calls are synchronous, and billwatch's fsync (`synchronous = FULL`): on one of the
//! runtime's two worker threads a commit would stall every other task for its duration (the
//! bot's replies, the sender's waits, the next page request). So each call goes to tokio's
//! blocking pool with `spawn_blocking`.
//!
//! Why `spawn_blocking` and not a database thread of our own: tokio counts a blocking task as
//! work in progress and does not move a paused clock past it, so paused-time tests see the
//! database take no time at all. A thread of our own would be invisible to tokio: a paused test
//! waiting on it would see its clock leap to the next timer, and timeouts fire at once.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use super::{Store, StoreError};

/// A cheap-to-clone handle on one open [`Store`].
///
/// The mutex is a std one, not tokio's: it is only ever locked inside a blocking task, for one
/// call, and never held across an `.await`.
#[derive(Debug, Clone)]
pub struct Db {
    store: Arc<Mutex<Store>>,
    path: PathBuf,
}

impl Db {
    pub fn new(store: Store) -> Db {
        Db {
            path: store.path().to_owned(),
            store: Arc::new(Mutex::new(store)),
        }
    }

    /// Opens (creating and migrating if need be) the database at `path`.
    pub async fn open(path: &Path) -> Result<Db, StoreError> {
        let owned = path.to_owned();
        let store = tokio::task::spawn_blocking(move || Store::open(&owned))
            .await
            .map_err(|e| interrupted(path, &e))??;
        Ok(Db::new(store))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The database's stored page copies (a handle; nothing is read yet).
    pub fn page_cache(&self) -> super::PageCache {
        super::PageCache::of_database(&self.path)
    }

    /// Runs `f` on the store in tokio's blocking pool and returns its result.
    pub async fn call<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || {
            // A call that panicked left no transaction open (rusqlite rolls back on drop), so
            // the store is still sound: carry on with it.
            let mut store = store.lock().unwrap_or_else(PoisonError::into_inner);
            f(&mut store)
        })
        .await
        .map_err(|e| interrupted(&self.path, &e))?
    }
}

fn interrupted(path: &Path, e: &tokio::task::JoinError) -> StoreError {
    StoreError::Interrupted {
        path: path.to_owned(),
        detail: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn calls_run_off_the_runtime_and_paused_time_does_not_leap() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = Db::open(&dir.path().join("billwatch.db"))
            .await
            .expect("open");
        let before = tokio::time::Instant::now();
        let version = db
            .call(|store| store.meta("nothing here"))
            .await
            .expect("call");
        assert_eq!(version, None);
        // The blocking task was work in progress: the paused clock did not move.
        assert_eq!(tokio::time::Instant::now(), before);
    }

    #[tokio::test]
    async fn a_panicking_call_is_an_error_and_the_store_goes_on() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = Db::open(&dir.path().join("billwatch.db"))
            .await
            .expect("open");
        let failed = db
            .call(|_| -> Result<(), StoreError> { panic!("boom") })
            .await;
        assert!(matches!(failed, Err(StoreError::Interrupted { .. })));
        db.call(|store| store.set_meta("k", "v"))
            .await
            .expect("set");
        assert_eq!(
            db.call(|store| store.meta("k")).await.expect("get"),
            Some("v".to_owned())
        );
    }
}
