//! Why the database cannot be written: a full disk, a read-only mount, a folder this user may
//! not write. SQLite says "unable to open database file" or "attempt to write a readonly
//! database" for all of these; the operator needs to know which, and what to do.

use std::path::{Path, PathBuf};

use nix::sys::statvfs::{FsFlags, statvfs};
use nix::unistd::{AccessFlags, Uid, access};
use rusqlite::ErrorCode;

/// Below this much free space the disk counts as full: SQLite needs room for the write-ahead
/// log and a checkpoint, several pages at a time, not one byte.
const FULL_BELOW: u64 = 1024 * 1024;

/// What stops billwatch writing its database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Obstacle {
    /// The disk is full (or nearly: `free` bytes left).
    DiskFull { free: Option<u64> },
    /// The file system is mounted read-only.
    ReadOnlyMount,
    /// This user may not write `place` (the folder or the file): who owns it, and who we are.
    NotWritable {
        place: PathBuf,
        owner: Option<u32>,
        uid: u32,
    },
}

impl std::fmt::Display for Obstacle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Obstacle::DiskFull { free } => {
                write!(f, "the disk is full")?;
                if let Some(free) = free {
                    write!(f, " ({} KiB free)", free / 1024)?;
                }
                write!(
                    f,
                    ": free some space. Until then nothing new is recorded; nothing is lost \
                     (what was not recorded is fetched again), and an alert Telegram accepted \
                     is not sent again while billwatch runs"
                )
            }
            Obstacle::ReadOnlyMount => write!(
                f,
                "the folder is on a read-only file system: mount it read-write (`status` and \
                 `health` can read a read-only copy; `check` and `run` must write)"
            ),
            Obstacle::NotWritable { place, owner, uid } => {
                let place = place.display();
                write!(f, "billwatch runs as uid {uid} and may not write {place}")?;
                if let Some(owner) = owner {
                    write!(f, " (it belongs to uid {owner})")?;
                }
                write!(
                    f,
                    ": give it to that user (`chown -R {uid} {place}`; for Docker, on the host \
                     folder bind-mounted there), or use a named Docker volume as the README shows"
                )
            }
        }
    }
}

/// What stops writing the database at `path`, when a SQLite failure (`code`) or a file error
/// says something might; `None` when the disk, the mount and the permissions are all fine
/// (the failure is something else).
pub fn obstacle(path: &Path, code: Option<ErrorCode>) -> Option<Obstacle> {
    let folder = existing(folder(path));
    if code == Some(ErrorCode::DiskFull) {
        return Some(Obstacle::DiskFull {
            free: free_space(folder),
        });
    }
    if let Ok(fs) = statvfs(folder)
        && fs.flags().contains(FsFlags::ST_RDONLY)
    {
        return Some(Obstacle::ReadOnlyMount);
    }
    let uid = Uid::effective().as_raw();
    // The folder must be writable (SQLite makes its -wal and -shm files there), and the file
    // too when it exists.
    for place in [folder, path] {
        if !place.exists() {
            continue;
        }
        if access(place, AccessFlags::W_OK).is_err() {
            let owner = std::fs::metadata(place).ok().map(|m| {
                use std::os::unix::fs::MetadataExt;
                m.uid()
            });
            return Some(Obstacle::NotWritable {
                place: place.to_owned(),
                owner,
                uid,
            });
        }
    }
    free_space(folder).and_then(full)
}

/// Bytes free for this user on the disk holding the database at `path` (or where it will be).
pub fn free_space_for(path: &Path) -> Option<u64> {
    free_space(existing(folder(path)))
}

/// The obstacle `free` bytes on the database's disk make: a full disk below 1 MiB.
pub fn full(free: u64) -> Option<Obstacle> {
    (free < FULL_BELOW).then_some(Obstacle::DiskFull { free: Some(free) })
}

/// Bytes free for this user on the disk holding `folder`.
fn free_space(folder: &Path) -> Option<u64> {
    let fs = statvfs(folder).ok()?;
    Some(fs.blocks_available().saturating_mul(fs.fragment_size()))
}

/// Whether a SQLite failure could be the disk, the mount or the permissions (and not the
/// file's content).
pub fn may_be_access(code: Option<ErrorCode>) -> bool {
    matches!(
        code,
        Some(
            ErrorCode::DiskFull
                | ErrorCode::ReadOnly
                | ErrorCode::CannotOpen
                | ErrorCode::PermissionDenied
                | ErrorCode::SystemIoFailure
        )
    )
}

/// `dir`, or its nearest ancestor that exists (a folder not made yet is made there).
fn existing(dir: &Path) -> &Path {
    dir.ancestors()
        .find(|d| d.exists())
        .unwrap_or_else(|| Path::new("/"))
}

/// The folder holding the database (`.` for a bare file name).
pub fn folder(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_says_so_and_what_is_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let at = dir.path().join("billwatch.db");
        let found = obstacle(&at, Some(ErrorCode::DiskFull)).expect("an obstacle");
        assert!(matches!(found, Obstacle::DiskFull { free: Some(_) }));
        let text = found.to_string();
        assert!(text.starts_with("the disk is full ("), "{text}");
        assert!(text.contains("free some space"), "{text}");
    }

    #[test]
    fn a_writable_folder_with_room_is_no_obstacle() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(obstacle(&dir.path().join("b.db"), None), None);
    }

    #[test]
    fn someone_elses_folder_names_both_users_and_the_fix() {
        let text = Obstacle::NotWritable {
            place: PathBuf::from("/data"),
            owner: Some(0),
            uid: 10001,
        }
        .to_string();
        assert!(
            text.contains("uid 10001") && text.contains("uid 0"),
            "{text}"
        );
        assert!(text.contains("may not write /data"), "{text}");
        assert!(text.contains("chown -R 10001 /data") && text.contains("named Docker volume"));
    }
}
