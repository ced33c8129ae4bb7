//! End to end: `billwatch backup PATH`, the real binary on a real database: a consistent copy
//! while other connections read and write, a copy that works as the database, no file
//! overwritten unless `--force`, and clear errors for a target it cannot write.

mod common;

use std::path::Path;

use common::*;
use rusqlite::Connection;

/// A database with the Border Security bill and four alerts, made by two checks.
async fn scratch_with_alerts() -> (FakeApi, Scratch) {
    let api = FakeApi::start().await;
    let scratch = Scratch::new();
    scratch.write_config(
        &api.uri(),
        &[BILL],
        "[alerts]\nkinds = \"all\"\nstages = \"all\"\n",
    );
    for today in ["2025-01-30", "2025-02-05"] {
        let (bill, stages) = border_security_on(date(today), 7);
        api.reset().await;
        api.serve_bill(BILL, bill, stages).await;
        scratch
            .run(&["--today", today, "check", "--json"])
            .await
            .assert_code(0);
    }
    (api, scratch)
}

/// Every bill and alert row, as text, to compare two databases by.
fn rows(db: &Path) -> (Vec<String>, Vec<String>) {
    let conn = Connection::open(db).expect("open");
    let all = |sql: &str| -> Vec<String> {
        let mut statement = conn.prepare(sql).expect("prepare");
        statement
            .query_map([], |r| r.get::<_, String>(0))
            .expect("query")
            .map(|r| r.expect("row"))
            .collect()
    };
    (
        all("SELECT bill_id || ' ' || snapshot FROM bills ORDER BY bill_id"),
        all("SELECT id || ' ' || kind || ' ' || status || ' ' || event FROM alerts ORDER BY id"),
    )
}

/// While one connection holds a read transaction and another a write transaction not yet
/// committed, the backup is made at once, holds what was committed and nothing else, and
/// serves as the database: with the copy in its place, `status` shows the same bill.
#[tokio::test]
async fn a_backup_is_the_committed_database_while_others_read_and_write() {
    let (_api, scratch) = scratch_with_alerts().await;
    let reader = Connection::open(scratch.db_path()).expect("reader");
    reader.execute_batch("BEGIN").expect("begin");
    let alerts: i64 = reader
        .query_row("SELECT count(*) FROM alerts", [], |r| r.get(0))
        .expect("count");
    assert_eq!(alerts, 4, "the journey's first alerts");
    let writer = Connection::open(scratch.db_path()).expect("writer");
    writer
        .execute_batch(
            "BEGIN IMMEDIATE; INSERT INTO meta (key, value) VALUES ('uncommitted', 'x');",
        )
        .expect("write");

    std::fs::create_dir(scratch.path("backups")).expect("mkdir");
    let target = scratch.path("backups/billwatch-backup.db");
    let run = scratch
        .run(&["backup", target.to_str().expect("utf-8")])
        .await;
    run.assert_code(0);
    assert!(
        run.stdout.starts_with(&format!(
            "backed up {} to {} (",
            scratch.db_path().display(),
            target.display()
        )),
        "{run:#?}"
    );
    assert!(
        run.stdout
            .contains("KiB; 1 bill(s), 4 alert(s)); checked: it opens as a billwatch database"),
        "{run:#?}"
    );
    writer.execute_batch("ROLLBACK").expect("rollback");
    reader.execute_batch("COMMIT").expect("end read");
    drop((reader, writer));

    assert_eq!(
        rows(&target),
        rows(&scratch.db_path()),
        "the same bills and alerts"
    );
    let copy = Connection::open(&target).expect("open copy");
    let uncommitted: i64 = copy
        .query_row(
            "SELECT count(*) FROM meta WHERE key = 'uncommitted'",
            [],
            |r| r.get(0),
        )
        .expect("meta");
    assert_eq!(uncommitted, 0, "only what was committed");
    let mode: String = copy
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .expect("mode");
    assert_eq!(mode, "delete", "one self-contained file");
    drop(copy);
    let left: Vec<_> = std::fs::read_dir(scratch.path("backups"))
        .expect("list")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(left, ["billwatch-backup.db"], "no partial file left");

    // Restoring is putting the copy in the database's place.
    let before = scratch.run(&["status", "--json"]).await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(scratch.path(&format!("data/billwatch.db{suffix}")));
    }
    std::fs::copy(&target, scratch.db_path()).expect("restore");
    let after = scratch.run(&["status", "--json"]).await;
    after.assert_code(0);
    let bills = |run: &Run| {
        serde_json::from_str::<serde_json::Value>(&run.stdout).expect("json")["bills"].clone()
    };
    assert_eq!(bills(&after), bills(&before));
}

/// An existing file is never replaced without `--force`, nor the database itself even with it.
#[tokio::test]
async fn a_backup_replaces_a_file_only_when_forced() {
    let (_api, scratch) = scratch_with_alerts().await;
    let target = scratch.path("precious.db");
    std::fs::write(&target, "not to be lost").expect("write");
    let path = target.to_str().expect("utf-8");

    let refused = scratch.run(&["backup", path]).await;
    refused.assert_code(2);
    assert!(
        refused.stderr.contains(&format!(
            "error: {path} already exists: choose another name, or add --force to replace it"
        )),
        "{refused:#?}"
    );
    assert_eq!(
        std::fs::read_to_string(&target).expect("read"),
        "not to be lost"
    );

    scratch
        .run(&["backup", "--force", path])
        .await
        .assert_code(0);
    assert_eq!(rows(&target), rows(&scratch.db_path()));

    let db = scratch.db_path();
    let itself = scratch
        .run(&["backup", "--force", db.to_str().expect("utf-8")])
        .await;
    itself.assert_code(2);
    assert!(
        itself.stderr.contains("is the database itself"),
        "{itself:#?}"
    );
    assert_eq!(rows(&db).1.len(), 4, "the database is as it was");
}

/// A folder it may not write, a folder that is not there, a folder named as the file, and no
/// database yet: each said plainly, and nothing left behind.
#[tokio::test]
async fn a_backup_it_cannot_make_says_why() {
    let (_api, scratch) = scratch_with_alerts().await;
    let locked = scratch.path("locked");
    std::fs::create_dir(&locked).expect("mkdir");
    let target = locked.join("billwatch-backup.db");
    let run = scratch
        .run_locked_out(&locked, &["backup", target.to_str().expect("utf-8")])
        .await;
    run.assert_code(1);
    assert!(
        run.stderr.contains(&format!(
            "error: cannot write a file in {} (choose a folder this user may write; in the \
             Docker container, /data): Permission denied (os error 13)",
            locked.display()
        )),
        "{run:#?}"
    );
    assert_eq!(std::fs::read_dir(&locked).expect("list").count(), 0);

    let missing = scratch.path("no-such-folder/copy.db");
    let run = scratch
        .run(&["backup", missing.to_str().expect("utf-8")])
        .await;
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("no-such-folder does not exist: create it"),
        "{run:#?}"
    );

    let run = scratch
        .run(&["backup", scratch.dir.path().to_str().expect("utf-8")])
        .await;
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("is a folder: give the backup a file name"),
        "{run:#?}"
    );

    let fresh = Scratch::new();
    fresh.write_config("http://127.0.0.1:9", &[BILL], "");
    let run = fresh
        .run(&["backup", fresh.path("copy.db").to_str().expect("utf-8")])
        .await;
    run.assert_code(1);
    assert!(
        run.stderr.contains("there is no database at") && run.stderr.contains("nothing to back up"),
        "{run:#?}"
    );
    assert!(!fresh.path("copy.db").exists());
}
