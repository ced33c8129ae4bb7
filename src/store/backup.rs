//! `billwatch backup`: a copy of the database, made with SQLite's online backup API.
//!
//! The copy is read in one read transaction, so it is the database as it was at one moment,
//! even while `billwatch run` commits: in write-ahead-log mode a reader waits for no writer and
//! stops none. It is written to a file of its own beside the target, checked (SQLite's
//! integrity check, and that it is a billwatch database this version can read), then linked or
//! renamed into place: the target is never a half-written file.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};

use super::{Store, StoreError, immutable_uri, refuse_empty, sqlite};

/// How long a backup waits, in all, for a database that another connection has locked.
const LOCKED_FOR: Duration = Duration::from_secs(30);
/// The pause between two tries on a locked database.
const LOCKED_PAUSE: Duration = Duration::from_millis(100);

/// What a backup wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupCopy {
    /// The backup file.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// Bills and alerts in it, to recognise it by.
    pub bills: u64,
    pub alerts: u64,
}

/// Why no backup was made. Nothing was written at the target: a partial copy is removed.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "there is no database at {0} yet, so there is nothing to back up (the first check makes it)"
    )]
    NoDatabase(PathBuf),
    #[error("{0} already exists: choose another name, or add --force to replace it")]
    Exists(PathBuf),
    #[error("{} is a folder: give the backup a file name, e.g. {}", .0.display(), .0.join("billwatch-backup.db").display())]
    IsFolder(PathBuf),
    #[error("the folder {0} does not exist: create it, or choose another place for the backup")]
    NoFolder(PathBuf),
    #[error("{0} is the database itself: a backup goes to a file of its own")]
    SameFile(PathBuf),
    #[error(
        "cannot write a file in {dir} (choose a folder this user may write; in the Docker \
         container, /data): {source}"
    )]
    Write {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write the backup {path}: {source}")]
    Copy {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("the database {0} stayed locked by another connection for {LOCKED_FOR:?}: try again")]
    Locked(PathBuf),
    #[error(
        "the copy of {from} failed SQLite's integrity check and was not kept ({detail}): the \
         database itself may be damaged"
    )]
    Unsound { from: PathBuf, detail: String },
    /// The database cannot be read: damaged, too new, or out of reach.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Copies the database at `from` to `to`; an existing `to` is replaced only when `replace`.
pub fn backup(from: &Path, to: &Path, replace: bool) -> Result<BackupCopy, BackupError> {
    let dir = target_folder(from, to, replace)?;
    let source = open_source(from)?;
    let partial = Partial::create(&dir, to)?;
    let copy_err = |source| BackupError::Copy {
        path: to.to_owned(),
        source,
    };
    let mut dest = Connection::open(&partial.0).map_err(copy_err)?;
    copy(&source.conn, &mut dest, from).map_err(|e| match e {
        Copied::Locked => BackupError::Locked(from.to_owned()),
        Copied::Failed(e) => copy_err(e),
    })?;
    drop(source);
    // The source's write-ahead-log mode came with its pages: the backup is one plain file.
    dest.query_row("PRAGMA journal_mode = DELETE", [], |r| {
        r.get::<_, String>(0)
    })
    .map_err(copy_err)?;
    let (bills, alerts) = verify(dest, &partial.0, from)?;
    let written = std::fs::File::open(&partial.0).and_then(|f| f.sync_all());
    written.map_err(|source| BackupError::Write {
        dir: dir.clone(),
        source,
    })?;
    partial.put_in_place(&dir, to, replace)?;
    let bytes = std::fs::metadata(to).map(|m| m.len()).unwrap_or(0);
    Ok(BackupCopy {
        path: to.to_owned(),
        bytes,
        bills,
        alerts,
    })
}

/// The folder the backup goes in, once `to` is known to be a new file (or one to replace)
/// in a folder that exists, and not the database itself.
fn target_folder(from: &Path, to: &Path, replace: bool) -> Result<PathBuf, BackupError> {
    if to.is_dir() {
        return Err(BackupError::IsFolder(to.to_owned()));
    }
    let dir = match to.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => dir.to_owned(),
        None => PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Err(BackupError::NoFolder(dir));
    }
    let same = |a: &Path, b: &Path| {
        std::fs::canonicalize(a)
            .ok()
            .zip(std::fs::canonicalize(b).ok())
            .is_some_and(|(a, b)| a == b)
    };
    let beside = |suffix: &str| {
        let mut name = from.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    if ["", "-wal", "-shm"]
        .iter()
        .any(|suffix| same(&beside(suffix), to))
    {
        return Err(BackupError::SameFile(to.to_owned()));
    }
    if !replace && to.symlink_metadata().is_ok() {
        return Err(BackupError::Exists(to.to_owned()));
    }
    Ok(dir)
}

/// The database to copy, opened read-only and checked: sound, billwatch's, not too new.
fn open_source(from: &Path) -> Result<Store, BackupError> {
    if !from.exists() {
        return Err(BackupError::NoDatabase(from.to_owned()));
    }
    refuse_empty(from)?;
    let open = |name: &Path| -> Result<Store, StoreError> {
        let conn = Connection::open_with_flags(
            name,
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )
        .map_err(|e| sqlite(from, e))?;
        let store = Store {
            conn,
            path: from.to_owned(),
        };
        store
            .conn
            .busy_timeout(Duration::from_secs(15))
            .map_err(|e| store.err(e))?;
        // Any schema version up to this billwatch's: a backup is often taken before upgrading.
        store.schema_version()?;
        Ok(store)
    };
    // As in `Store::open_read_only`: a folder this user may not write (a read-only mount) has
    // no writer at work, and the file is read as it is on disk.
    Ok(match open(from) {
        Err(StoreError::Access { .. }) => open(&immutable_uri(from)?)?,
        opened => opened?,
    })
}

/// How copying the pages ended, when not well.
enum Copied {
    Locked,
    Failed(rusqlite::Error),
}

/// Copies every page of `source` into `dest` in one step: one read transaction, one moment.
fn copy(source: &Connection, dest: &mut Connection, from: &Path) -> Result<(), Copied> {
    let backup = Backup::new(source, dest).map_err(Copied::Failed)?;
    let mut waited = Duration::ZERO;
    loop {
        match backup.step(-1).map_err(Copied::Failed)? {
            StepResult::Done => return Ok(()),
            StepResult::More => {}
            StepResult::Busy | StepResult::Locked if waited < LOCKED_FOR => {
                tracing::debug!(database = %from.display(), "locked; the backup waits");
                std::thread::sleep(LOCKED_PAUSE);
                waited += LOCKED_PAUSE;
            }
            _ => return Err(Copied::Locked),
        }
    }
}

/// Checks the copy as billwatch would open it, and fully (`integrity_check`); its bills and
/// alerts.
fn verify(dest: Connection, path: &Path, from: &Path) -> Result<(u64, u64), BackupError> {
    let unsound = |detail: String| BackupError::Unsound {
        from: from.to_owned(),
        detail,
    };
    let copy = Store {
        conn: dest,
        path: path.to_owned(),
    };
    copy.schema_version().map_err(|e| unsound(e.to_string()))?;
    let read = || -> rusqlite::Result<(String, u64, u64)> {
        let check = copy
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        let count = |table: &str| {
            copy.conn
                .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        };
        Ok((check, count("bills")?, count("alerts")?))
    };
    let (check, bills, alerts) = read().map_err(|e| unsound(e.to_string()))?;
    if check != "ok" {
        return Err(unsound(check));
    }
    Ok((bills, alerts))
}

/// The copy being written, under a name of this process's own beside the target; removed
/// unless it was put in place.
struct Partial(PathBuf);

impl Partial {
    fn create(dir: &Path, to: &Path) -> Result<Partial, BackupError> {
        let mut name = to.as_os_str().to_owned();
        name.push(format!(".partial-{}", std::process::id()));
        let path = PathBuf::from(name);
        // Made here, not by SQLite, so that a folder this user may not write is said as such
        // ("unable to open database file" is all SQLite would say).
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|source| BackupError::Write {
                dir: dir.to_owned(),
                source,
            })?;
        Ok(Partial(path))
    }

    /// Moves the copy to `to`: renamed over it when `replace`, else linked, which fails rather
    /// than replace a file that appeared meanwhile.
    fn put_in_place(self, dir: &Path, to: &Path, replace: bool) -> Result<(), BackupError> {
        let placed = if replace {
            std::fs::rename(&self.0, to)
        } else {
            std::fs::hard_link(&self.0, to)
        };
        match placed {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(BackupError::Exists(to.to_owned()));
            }
            Err(source) => {
                return Err(BackupError::Write {
                    dir: dir.to_owned(),
                    source,
                });
            }
        }
        // The new name is kept once the folder is written out.
        if let Ok(folder) = std::fs::File::open(dir) {
            let _ = folder.sync_all();
        }
        Ok(())
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        for suffix in ["", "-journal"] {
            let mut name = self.0.as_os_str().to_owned();
            name.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(name));
        }
    }
}
