//! What the operator sees of readers, through the real binary: `followers` (counts; chat ids
//! only with `--ids`) and the readers' lines of `status`, text and JSON.

mod common;

use std::collections::HashSet;

use billwatch::readers::Limits;
use billwatch::store::Store;
use common::*;

#[tokio::test]
async fn followers_and_status_count_readers_and_name_no_one_unless_asked() {
    let api = FakeApi::start().await;
    api.serve_day("2025-02-10", 0).await;
    let scratch = Scratch::new();
    scratch.write_config(&api.uri(), &[BILL], "");
    scratch
        .run(&["--today", "2025-02-10", "check"])
        .await
        .assert_code(0);
    {
        let mut store = Store::open(&scratch.db_path()).expect("store");
        let tracked = HashSet::from([BILL]);
        let now = chrono::Utc::now();
        for chat in ["5001", "5002"] {
            store
                .follow(chat, BILL, &tracked, Limits::default(), now)
                .expect("follow");
        }
        store.reader_gone("5003").expect("gone");
    }

    let counts = scratch.run(&["followers"]).await;
    counts.assert_code(0);
    assert_eq!(
        counts.stdout,
        "2 reader(s) follow 1 bill(s) in private chats (2 follow(s)); 1 reader(s) gone (blocked \
         the bot or deleted their account)\n\
         bill 3929: Border Security, Asylum and Immigration Bill: 2 reader(s)\n"
    );
    assert!(!counts.stdout.contains("5001"), "no chat id without --ids");

    let ids = scratch.run(&["followers", "--ids", "--json"]).await;
    ids.assert_code(0);
    let v: serde_json::Value = serde_json::from_str(ids.stdout.trim()).expect("json");
    assert_eq!(
        v,
        serde_json::json!({"readers": 2, "follows": 2, "gone": 1, "bills": [
            {"bill_id": 3929, "title": "Border Security, Asylum and Immigration Bill",
             "readers": 2, "chats": ["5001", "5002"]}
        ]})
    );

    let status = scratch.run(&["status"]).await;
    assert!(
        status.stdout.contains(
            "readers: 2 reader(s) following 1 bill(s) in private chats; messages: 0 pending, 0 \
             sent, 0 refused; 1 reader(s) gone (blocked the bot or deleted their account)"
        ),
        "{}",
        status.stdout
    );
    assert!(
        status.stdout.contains("\n  readers: 2\n"),
        "{}",
        status.stdout
    );
    let json = scratch.run(&["status", "--json"]).await;
    let v: serde_json::Value = serde_json::from_str(json.stdout.trim()).expect("json");
    assert_eq!(v["readers"]["readers"], 2);
    assert_eq!(v["readers"]["gone"], 1);
    assert_eq!(v["bills"][0]["readers"], 2);
}
