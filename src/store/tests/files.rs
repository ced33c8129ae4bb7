//! The database file itself: made once and whole, refused when it is not billwatch's.

use super::*;

#[test]
fn a_missing_database_opened_read_only_is_none_and_not_created() {
    let scratch = Scratch::new();
    assert!(
        Store::open_read_only(&scratch.path())
            .expect("no error")
            .is_none()
    );
    assert!(!scratch.path().exists());
}

#[test]
fn a_new_database_is_complete_and_leaves_nothing_behind() {
    let scratch = Scratch::new();
    let store = scratch.open();
    let version: i64 = store
        .conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("version");
    assert_eq!(version, MIGRATIONS.len() as i64);
    drop(store);
    let folder: Vec<String> = std::fs::read_dir(scratch.path().parent().expect("folder"))
        .expect("folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".new-"))
        .collect();
    assert!(folder.is_empty(), "{folder:?}");
    // Complete, it opens read-only, and again read-write without change.
    let read = Store::open_read_only(&scratch.path()).expect("opens");
    assert!(read.expect("exists").bills().expect("bills").is_empty());
    drop(scratch.open());
}

/// Two processes (here: threads) starting together on a fresh database both get the same,
/// complete one; neither fails.
#[test]
fn a_fresh_database_opened_twice_at_once_is_made_once() {
    let scratch = Scratch::new();
    std::fs::create_dir_all(scratch.path().parent().expect("folder")).expect("folder");
    let path = scratch.path();
    let opened: Vec<_> = (0..4)
        .map(|_| {
            let path = path.clone();
            std::thread::spawn(move || Store::open(&path).map(drop))
        })
        .collect();
    for handle in opened {
        handle.join().expect("joined").expect("opened");
    }
}

/// An empty file is damage, not a new database: taken as new, it would record every pending
/// change silently. It is refused, both ways, and left as it was.
#[test]
fn an_empty_file_is_refused_and_left_alone() {
    let scratch = Scratch::new();
    std::fs::create_dir_all(scratch.path().parent().expect("folder")).expect("folder");
    std::fs::write(scratch.path(), b"").expect("empty file");
    let e = Store::open(&scratch.path()).expect_err("empty");
    assert!(matches!(e, StoreError::Corrupt { .. }), "{e}");
    assert!(e.to_string().contains("the file is empty (0 bytes)"), "{e}");
    let e = Store::open_read_only(&scratch.path()).expect_err("empty");
    assert!(matches!(e, StoreError::Corrupt { .. }), "{e}");
    assert_eq!(std::fs::metadata(scratch.path()).expect("file").len(), 0);
}

#[test]
fn files_billwatch_cannot_use_are_left_alone_with_a_reason() {
    let scratch = Scratch::new();
    std::fs::create_dir_all(scratch.path().parent().expect("folder")).expect("folder");
    let conn = Connection::open(scratch.path()).expect("sqlite");
    conn.execute_batch("CREATE TABLE notes (text TEXT)")
        .expect("foreign table");
    drop(conn);
    let e = Store::open(&scratch.path()).expect_err("not billwatch's");
    assert!(matches!(e, StoreError::Corrupt { .. }), "{e}");

    std::fs::remove_file(scratch.path()).expect("removed");
    drop(scratch.open());
    let conn = Connection::open(scratch.path()).expect("sqlite");
    conn.pragma_update(None, "user_version", MIGRATIONS.len() as i64 + 1)
        .expect("version");
    drop(conn);
    let e = Store::open(&scratch.path()).expect_err("too new");
    assert!(matches!(e, StoreError::TooNew { .. }), "{e}");
    let e = Store::open_read_only(&scratch.path()).expect_err("too new");
    assert!(matches!(e, StoreError::TooNew { .. }), "{e}");

    std::fs::write(
        scratch.path(),
        b"not a database, but long enough to look like one...",
    )
    .expect("garbage");
    let e = Store::open(&scratch.path()).expect_err("garbage");
    assert!(matches!(e, StoreError::Corrupt { .. }), "{e}");
}

#[test]
fn an_old_schema_is_not_read_before_it_is_upgraded() {
    let scratch = Scratch::new();
    std::fs::create_dir_all(scratch.path().parent().expect("folder")).expect("folder");
    let conn = Connection::open(scratch.path()).expect("sqlite");
    conn.execute_batch(MIGRATIONS[0]).expect("first migration");
    conn.pragma_update(None, "user_version", 1)
        .expect("version");
    drop(conn);
    let e = Store::open_read_only(&scratch.path()).expect_err("old");
    assert!(e.to_string().contains("run `billwatch check` once"), "{e}");
    // Opening it read-write applies the rest.
    let store = scratch.open();
    assert!(store.fetch_states().expect("states").is_empty());
}

/// Migration 8 fills each stored bill's latest sitting day from its snapshot, so the bills
/// that sat lately are found at once after the upgrade; a damaged snapshot is left NULL.
#[test]
fn the_upgrade_to_8_fills_each_bills_latest_sitting() {
    let scratch = Scratch::new();
    std::fs::create_dir_all(scratch.path().parent().expect("folder")).expect("folder");
    let conn = Connection::open(scratch.path()).expect("sqlite");
    for sql in &MIGRATIONS[..7] {
        conn.execute_batch(sql).expect("migration");
    }
    conn.pragma_update(None, "user_version", 7)
        .expect("version");
    let json = serde_json::to_string(&snapshot(Some("2025-02-10"))).expect("json");
    for (id, snapshot) in [(3929, json.as_str()), (3930, "{\"bill\": 1")] {
        conn.execute(
            "INSERT INTO bills (bill_id, snapshot, seen_on, first_seen, updated_at, source)
             VALUES (?1, ?2, '2025-02-11', 'x', 'x', 'api')",
            params![id, snapshot],
        )
        .expect("row");
    }
    drop(conn);
    let store = scratch.open();
    let latest = |id: u32| -> Option<String> {
        store
            .conn
            .query_row(
                "SELECT last_sitting FROM bills WHERE bill_id = ?1",
                params![id],
                |r| r.get(0),
            )
            .expect("column")
    };
    assert_eq!(latest(3929).as_deref(), Some("2025-02-10"));
    assert_eq!(latest(3930), None);
    let sat = store
        .sat_between(&[3929, 3930], day("2025-02-08"), day("2025-02-11"))
        .expect("read");
    assert_eq!(sat.iter().map(|(id, _)| *id).collect::<Vec<_>>(), [3929]);
}
