//! The store against real SQLite files in a temporary folder.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::params;
use serde_json::json;

use super::*;
use crate::bill::Snapshot;
use crate::changes::EventKind;
use crate::decide::{FirstSight, SnapshotSource};
use crate::filter::AlertFilter;

mod files;

fn day(s: &str) -> NaiveDate {
    s.parse().expect("day")
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().expect("time")
}

/// Bill 3929 with its 2nd reading on `second`, if scheduled.
fn snapshot(second: Option<&str>) -> Snapshot {
    let stage = |id: u32, name: &str, order: i32, day: Option<&str>| {
        json!({"id": id, "stage_type": null, "name": name, "house": "Commons",
               "sittings": day.into_iter().collect::<Vec<_>>(), "sort_order": order})
    };
    serde_json::from_value(json!({
        "bill": {"id": 3929, "title": "Border Security Bill", "long_title": null,
                 "current_house": "Commons", "originating_house": "Commons",
                 "current_stage": null, "is_act": false, "withdrawn": null,
                 "defeated": false, "last_update": "2025-02-01T10:00:00.5"},
        "stages": [stage(1, "1st reading", 1, Some("2025-01-22")),
                   stage(2, "2nd reading", 2, second)],
    }))
    .expect("a snapshot")
}

struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    fn new() -> Scratch {
        Scratch {
            dir: tempfile::tempdir().expect("temporary folder"),
        }
    }

    fn path(&self) -> PathBuf {
        self.dir.path().join("data").join("billwatch.db")
    }

    fn open(&self) -> Store {
        Store::open(&self.path()).expect("the store opens")
    }
}

static FILTER: AlertFilter = AlertFilter {
    kinds: crate::filter::Kinds::Default,
    stages: crate::filter::Stages::Major,
    documents: crate::document::Documents::Default,
};

fn recording(today: &str, chat: Option<&'static str>, first: FirstSight) -> Recording {
    Recording {
        today: day(today),
        now: at(&format!("{today}T09:00:00Z")),
        source: SnapshotSource::Api,
        first,
        url: "https://bills.example.test/bills/3929/stages".to_owned(),
        chat: chat.map(str::to_owned),
        filter: FILTER.clone(),
        readers_filter: FILTER.clone(),
        catch_up: false,
        divisions: Vec::new(),
        group_votes_after: std::time::Duration::from_secs(3600),
    }
}

/// Announces the bill, so there is one pending alert (for `chat`); returns its id.
fn one_alert(store: &mut Store, chat: Option<&'static str>) -> i64 {
    let how = recording("2025-02-01", chat, FirstSight::Announce);
    let recorded = store.record(&snapshot(None), &how).expect("recorded");
    assert_eq!(recorded.alerts.len(), 1);
    recorded.alerts[0].id
}

#[test]
fn recording_the_same_change_twice_alerts_once() {
    let scratch = Scratch::new();
    let mut store = scratch.open();
    let silent = recording("2025-02-01", None, FirstSight::Silent);
    let first = store.record(&snapshot(None), &silent).expect("first");
    assert!(first.first_seen && first.alerts.is_empty());

    let scheduled = snapshot(Some("2025-02-10"));
    let how = recording("2025-02-03", None, FirstSight::Silent);
    let once = store.record(&scheduled, &how).expect("second");
    assert!(!once.first_seen);
    let kinds: Vec<_> = once.alerts.iter().map(|a| a.event.kind).collect();
    assert_eq!(kinds, [EventKind::StageScheduled]);
    let again = store.record(&scheduled, &how).expect("third");
    assert!(again.alerts.is_empty());
    assert_eq!(store.pending(false).expect("pending"), once.alerts);
    let (stored, seen_on) = store.snapshot(3929).expect("read").expect("stored");
    assert_eq!((stored, seen_on), (scheduled, day("2025-02-03")));
}

#[test]
fn a_record_that_fails_half_way_keeps_nothing_and_loses_nothing() {
    let scratch = Scratch::new();
    let mut store = scratch.open();
    let silent = recording("2025-02-01", None, FirstSight::Silent);
    store.record(&snapshot(None), &silent).expect("first");
    // The alert is written before the snapshot: make the snapshot's write fail, as a crash
    // between the two would.
    store
        .conn
        .execute_batch(
            "CREATE TRIGGER crash BEFORE UPDATE ON bills BEGIN SELECT RAISE(ABORT, 'crash'); END",
        )
        .expect("trigger");
    let scheduled = snapshot(Some("2025-02-10"));
    let how = recording("2025-02-03", None, FirstSight::Silent);
    assert!(store.record(&scheduled, &how).is_err());
    assert!(store.pending(false).expect("pending").is_empty());
    assert_eq!(
        store.snapshot(3929).expect("read").expect("kept").0,
        snapshot(None)
    );

    store
        .conn
        .execute_batch("DROP TRIGGER crash")
        .expect("trigger dropped");
    let recorded = store.record(&scheduled, &how).expect("recorded");
    assert_eq!(recorded.alerts.len(), 1);
    assert_eq!(store.pending(false).expect("pending").len(), 1);
}

#[test]
fn processes_recording_the_same_change_at_once_alert_once() {
    let scratch = Scratch::new();
    let silent = recording("2025-02-01", None, FirstSight::Silent);
    scratch
        .open()
        .record(&snapshot(None), &silent)
        .expect("first");
    let path = scratch.path();
    let alerts: usize = std::thread::scope(|s| {
        let workers: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    let mut store = Store::open(&path).expect("opens");
                    let how = recording("2025-02-03", None, FirstSight::Silent);
                    let scheduled = snapshot(Some("2025-02-10"));
                    store
                        .record(&scheduled, &how)
                        .expect("recorded")
                        .alerts
                        .len()
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().expect("joined")).sum()
    });
    assert_eq!(alerts, 1);
    assert_eq!(scratch.open().pending(false).expect("pending").len(), 1);
}

#[test]
fn a_preview_writes_nothing() {
    let scratch = Scratch::new();
    let mut store = scratch.open();
    let silent = recording("2025-02-01", None, FirstSight::Silent);
    store.record(&snapshot(None), &silent).expect("first");
    let how = recording("2025-02-03", None, FirstSight::Silent);
    let decision = store
        .preview(&snapshot(Some("2025-02-10")), &how)
        .expect("preview");
    assert_eq!(decision.alerts.len(), 1);
    assert!(store.pending(false).expect("pending").is_empty());
    assert_eq!(
        store.snapshot(3929).expect("read").expect("kept").0,
        snapshot(None)
    );
}

#[test]
fn alerts_go_from_pending_to_sent_or_blocked() {
    let scratch = Scratch::new();
    let mut store = scratch.open();
    let console = one_alert(&mut store, None);
    assert_eq!(store.pending(true).expect("telegram").len(), 0);
    let pending = store.pending(false).expect("console");
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].status, AlertStatus::Pending);

    // A send is noted before it goes out; a crash before it is confirmed leaves it pending
    // with the attempt counted.
    store
        .mark_attempt(&[console], at("2025-02-01T09:01:00Z"))
        .expect("attempt");
    store
        .mark_failed_attempt(&[console], "timed out")
        .expect("failed");
    let pending = store.pending(false).expect("console");
    assert_eq!(
        (pending[0].attempts, pending[0].last_error.as_deref()),
        (1, Some("timed out"))
    );
    store
        .mark_sent(&[console], at("2025-02-01T09:02:00Z"), None)
        .expect("sent");
    assert!(store.pending(false).expect("console").is_empty());
    assert_eq!(store.alert_counts().expect("counts"), (0, 1, 0));

    // Blocked alerts are parked; a blocked alert is never marked sent.
    let mut store = Scratch::new().open();
    let telegram = one_alert(&mut store, Some("@channel"));
    assert_eq!(store.pending(true).expect("telegram").len(), 1);
    store
        .mark_blocked(&[telegram], "chat not found")
        .expect("blocked");
    assert!(store.pending(true).expect("telegram").is_empty());
    let blocked = store.blocked().expect("blocked");
    assert_eq!(blocked[0].status, AlertStatus::Blocked);
    assert_eq!(blocked[0].last_error.as_deref(), Some("chat not found"));
    store
        .mark_sent(&[telegram], at("2025-02-01T09:02:00Z"), Some(7))
        .expect("no-op");
    assert_eq!(store.alert_counts().expect("counts"), (0, 0, 1));
}

#[test]
fn requeue_puts_blocked_alerts_back_with_fresh_attempts() {
    let scratch = Scratch::new();
    let mut store = scratch.open();
    let id = one_alert(&mut store, Some("@channel"));
    store
        .mark_attempt(&[id], at("2025-02-01T09:01:00Z"))
        .expect("attempt");
    store
        .mark_blocked(&[id], "bot was kicked")
        .expect("blocked");
    assert_eq!(store.requeue_blocked().expect("requeued"), 1);
    let pending = store.pending(true).expect("pending");
    assert_eq!((pending[0].id, pending[0].attempts), (id, 0));
    assert_eq!(store.requeue_blocked().expect("nothing left"), 0);
}

#[test]
fn an_unknown_alert_status_is_a_decode_error() {
    let scratch = Scratch::new();
    let mut store = scratch.open();
    let id = one_alert(&mut store, None);
    store
        .conn
        .execute_batch("PRAGMA ignore_check_constraints = ON")
        .expect("pragma");
    store
        .conn
        .execute(
            "UPDATE alerts SET status = 'queued' WHERE id = ?1",
            rusqlite::params![id],
        )
        .expect("updated");
    // No listing selects an unknown status: read the row as they all do.
    let e = store
        .rows(
            &format!("{} WHERE id = {id}", Alert::SELECT),
            Alert::from_row,
        )
        .expect_err("unknown status");
    assert!(
        matches!(&e, StoreError::Decode { detail, .. } if detail.contains("queued")),
        "{e}"
    );
}

#[test]
fn a_damaged_snapshot_is_a_decode_error_and_shown_in_the_list() {
    let scratch = Scratch::new();
    let mut store = scratch.open();
    one_alert(&mut store, None);
    store
        .conn
        .execute("UPDATE bills SET snapshot = '{\"bill\": 1}'", [])
        .expect("damaged");
    // The list of bills still reads, the damaged one shown as such.
    let bills = store
        .bills()
        .expect("one damaged row does not stop the list");
    assert_eq!(bills.len(), 1);
    assert_eq!(bills[0].snapshot, None);
    let why = bills[0].damaged.as_deref().expect("said damaged");
    assert!(why.contains("expected struct Bill"), "{why}");
    let e = store.snapshot(3929).expect_err("damaged");
    assert!(e.to_string().contains("Snapshot"), "{e}");
}

#[test]
fn health_and_fetch_states_follow_successes_and_failures() {
    let scratch = Scratch::new();
    let mut store = scratch.open();
    assert_eq!(
        store
            .record_failure(3930, at("2025-02-01T09:00:00Z"), "500")
            .expect("1"),
        1
    );
    assert_eq!(
        store
            .record_failure(3930, at("2025-02-02T09:00:00Z"), "500")
            .expect("2"),
        2
    );
    one_alert(&mut store, None);
    let states = store.fetch_states().expect("states");
    let state = |id| states.iter().find(|s| s.bill_id == id).expect("state");
    assert!(state(3929).has_snapshot);
    assert_eq!(
        state(3929).last_update,
        Some("2025-02-01T10:00:00.5".parse().expect("time"))
    );
    assert_eq!(
        state(3929).last_full_fetch,
        Some(at("2025-02-01T09:00:00Z"))
    );
    assert!(!state(3930).has_snapshot);
    assert_eq!(state(3930).consecutive_failures, 2);

    let bills = store.bills().expect("bills");
    assert_eq!(bills.len(), 2);
    assert_eq!(bills[0].source.as_deref(), Some("api"));
    assert_eq!(bills[0].seen_on, Some(day("2025-02-01")));
    assert_eq!(bills[1].snapshot, None);
    assert_eq!(bills[1].last_error.as_deref(), Some("500"));

    assert!(!store.set_failure_reported(3930, true).expect("set"));
    assert!(store.set_failure_reported(3930, false).expect("reset"));
}

#[test]
fn checks_are_kept_and_the_last_finished_one_is_read_back() {
    let scratch = Scratch::new();
    let mut store = scratch.open();
    assert!(store.last_check().expect("none").is_none());
    let id = store
        .begin_check(at("2025-02-01T09:00:00Z"))
        .expect("begun");
    store
        .begin_check(at("2025-02-01T10:00:00Z"))
        .expect("running");
    store
        .finish_check(id, at("2025-02-01T09:00:30Z"), 4, 1, 2, 9)
        .expect("finished");
    let last = store.last_check().expect("read").expect("one");
    assert_eq!(last.started_at, at("2025-02-01T09:00:00Z"));
    assert_eq!(last.finished_at, Some(at("2025-02-01T09:00:30Z")));
    assert_eq!(
        (last.bills_ok, last.bills_failed, last.alerts, last.requests),
        (4, 1, 2, 9)
    );
    assert_eq!(
        store.last_check_started().expect("read"),
        Some(at("2025-02-01T09:00:00Z"))
    );
}

#[test]
fn cards_and_meta_round_trip() {
    let scratch = Scratch::new();
    let mut store = scratch.open();
    assert_eq!(store.meta("digest:@channel").expect("read"), None);
    store
        .set_meta("digest:@channel", "2025-02-01")
        .expect("set");
    store
        .set_meta("digest:@channel", "2025-02-02")
        .expect("reset");
    assert_eq!(
        store.meta("digest:@channel").expect("read").as_deref(),
        Some("2025-02-02")
    );

    assert_eq!(store.card(3929, "@channel").expect("read"), None);
    let now = at("2025-02-01T09:00:00Z");
    store
        .set_card(3929, "@channel", 41, "<b>old</b>", now)
        .expect("set");
    store
        .set_card(3929, "@channel", 42, "<b>new</b>", now)
        .expect("reset");
    store
        .set_card(3929, "@other", 7, "other", now)
        .expect("set");
    assert_eq!(
        store.card(3929, "@channel").expect("read"),
        Some((42, "<b>new</b>".to_owned()))
    );
}

#[test]
fn page_copies_round_trip() {
    let scratch = Scratch::new();
    let store = scratch.open();
    let cache = store.page_cache();
    let url = "https://bills.example.test/bills/3929/stages";
    assert_eq!(cache.get(url).expect("read"), None);
    let v1 = CachedPage {
        etag: Some("\"v1\"".into()),
        last_modified: None,
        body: b"<html>one</html>".to_vec(),
    };
    cache.put(url, &v1).expect("stored");
    assert_eq!(cache.get(url).expect("read"), Some(v1));
    let v2 = CachedPage {
        etag: None,
        last_modified: Some("Tue, 11 Feb 2025 09:00:00 GMT".into()),
        body: b"<html>two</html>".to_vec(),
    };
    cache.clone().put(url, &v2).expect("replaced");
    assert_eq!(cache.get(url).expect("read"), Some(v2));
}

#[test]
fn a_broken_page_cache_is_an_error_not_a_miss() {
    let scratch = Scratch::new();
    let store = scratch.open();
    let cache = store.page_cache();
    store
        .conn
        .execute_batch("DROP TABLE http_cache")
        .expect("dropped");
    assert!(matches!(
        cache.get("https://bills.example.test/"),
        Err(StoreError::Sqlite { .. })
    ));
}

/// One damaged alert row does not stop delivery: the others are read, and the damaged one is
/// held (blocked, with why), so `status` counts it and nothing loops on it.
#[test]
fn a_damaged_alert_is_held_and_the_others_go() {
    let scratch = Scratch::new();
    let mut store = scratch.open();
    let damaged = one_alert(&mut store, Some("@news"));
    let copy = store
        .conn
        .execute(
            "INSERT INTO alerts (bill_id, kind, event, url, chat, created_at)
             SELECT bill_id, kind, event, url, chat, created_at FROM alerts WHERE id = ?1",
            params![damaged],
        )
        .expect("a second alert");
    assert_eq!(copy, 1);
    store
        .conn
        .execute(
            "UPDATE alerts SET event = '{\"kind\": 7}' WHERE id = ?1",
            params![damaged],
        )
        .expect("damaged");
    let pending = store.pending(true).expect("the others are read");
    assert_eq!(pending.len(), 1);
    assert_ne!(pending[0].id, damaged);
    assert_eq!(store.alert_counts().expect("counts"), (1, 0, 1));
    assert!(
        store.blocked().expect("read").is_empty(),
        "skipped, not an error"
    );
    let reason: String = store
        .conn
        .query_row(
            "SELECT last_error FROM alerts WHERE id = ?1",
            params![damaged],
            |r| r.get(0),
        )
        .expect("reason");
    assert!(reason.contains("damaged and cannot be sent"), "{reason}");
}

/// Which tracked bills sat in a window, read from the stored snapshots in one query: only
/// those with a sitting day in it, only among the ids asked.
#[test]
fn bills_that_sat_in_a_window_are_found_in_one_query() {
    let scratch = Scratch::new();
    let mut store = scratch.open();
    let how = recording("2025-02-11", None, FirstSight::Silent);
    store
        .record(&snapshot(Some("2025-02-10")), &how)
        .expect("recorded");
    let sat = |store: &Store, ids: &[u32], from: &str, to: &str| {
        store
            .sat_between(ids, day(from), day(to))
            .expect("read")
            .into_iter()
            .map(|(id, _)| id)
            .collect::<Vec<_>>()
    };
    assert_eq!(sat(&store, &[3929], "2025-02-08", "2025-02-11"), [3929]);
    assert_eq!(
        sat(&store, &[3929], "2025-02-11", "2025-02-14"),
        Vec::<u32>::new()
    );
    assert_eq!(
        sat(&store, &[3930], "2025-02-08", "2025-02-11"),
        Vec::<u32>::new()
    );
    assert_eq!(
        sat(&store, &[3929], "2025-01-22", "2025-01-22"),
        [3929],
        "the 1st reading's day"
    );
    // A day to come is the bill's latest, but it did not sit in the window.
    let how = recording("2025-02-11", None, FirstSight::Silent);
    store
        .record(&snapshot(Some("2025-03-01")), &how)
        .expect("recorded");
    assert_eq!(
        sat(&store, &[3929], "2025-02-08", "2025-02-11"),
        Vec::<u32>::new()
    );
    assert_eq!(sat(&store, &[3929], "2025-02-26", "2025-03-01"), [3929]);
    let latest: Option<String> = store
        .conn
        .query_row(
            "SELECT last_sitting FROM bills WHERE bill_id = 3929",
            [],
            |r| r.get(0),
        )
        .expect("column");
    assert_eq!(latest.as_deref(), Some("2025-03-01"));
}
