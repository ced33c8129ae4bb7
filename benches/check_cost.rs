//! What a whole check costs: the real `billwatch` binary against a local fake Bills API,
//! tracking 10, 100 and 1,000 bills; for a check with nothing changed and one with 5 bills
//! changed it prints the requests made (and how many of them went to the Votes APIs), wall
//! time, CPU time and peak memory of the process (and the same for 100 bills tracked with three
//! follow rules besides); then, votes on, one bill sitting yesterday: the check that sees it
//! (one Commons search) and the checks after it within `votes_gap` (none); then the resident
//! memory of `billwatch run` idling between checks with 100 bills.
//!
//! `cargo bench --bench check_cost` (release build). CPU time and peak memory come from
//! `getrusage(RUSAGE_CHILDREN)` in a small wrapper process around each run, so the fake server's
//! own work is not counted.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const BIN: &str = env!("CARGO_BIN_EXE_billwatch");

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--measure") {
        return measure(&args[2..]);
    }
    if args.iter().any(|a| a == "--list") {
        return; // cargo bench asks benches to list themselves.
    }
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(run_all());
}

/// The wrapper: runs billwatch, then reports its CPU time and peak memory.
fn measure(args: &[String]) {
    let started = Instant::now();
    let output = Command::new(BIN)
        .args(args)
        .stderr(Stdio::null())
        .output()
        .expect("billwatch ran");
    let wall = started.elapsed();
    let usage = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN)
        .expect("getrusage");
    let us = |t: nix::sys::time::TimeVal| t.tv_sec() as u64 * 1_000_000 + t.tv_usec() as u64;
    print!("{}", String::from_utf8_lossy(&output.stdout));
    println!(
        "MEASURE {}",
        json!({
            "code": output.status.code(),
            "wall_us": wall.as_micros() as u64,
            "cpu_us": us(usage.user_time()) + us(usage.system_time()),
            "max_rss_kb": usage.max_rss(),
        })
    );
}

/// The fake API's state: every bill's record and stages, and a count of requests, of which
/// `votes` went to the Votes APIs (served here too: no division is found).
#[derive(Clone, Default)]
struct Fake {
    bills: Arc<Mutex<HashMap<u32, (Value, Value)>>>,
    requests: Arc<Mutex<u64>>,
    votes: Arc<Mutex<u64>>,
}

impl Respond for Fake {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        *self.requests.lock().expect("count") += 1;
        let bills = self.bills.lock().expect("bills");
        let parts: Vec<&str> = request.url.path().trim_matches('/').split('/').collect();
        match parts.as_slice() {
            ["api", "v1", "Bills"] => {
                let mut items: Vec<(&u32, &str)> = bills
                    .iter()
                    .map(|(id, (b, _))| (id, b["lastUpdate"].as_str().unwrap_or("")))
                    .collect();
                items.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
                let query: HashMap<String, String> =
                    request.url.query_pairs().into_owned().collect();
                let skip: usize = query.get("Skip").and_then(|s| s.parse().ok()).unwrap_or(0);
                let take: usize = query
                    .get("Take")
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(20)
                    .min(50);
                let page: Vec<Value> = items
                    .iter()
                    .skip(skip)
                    .take(take)
                    .map(|(id, updated)| json!({"billId": id, "lastUpdate": updated, "shortTitle": "A Bill"}))
                    .collect();
                ResponseTemplate::new(200)
                    .set_body_json(json!({"items": page, "totalResults": items.len()}))
            }
            ["data", "divisions.json", "search"] | ["data", "Divisions", "search"] => {
                *self.votes.lock().expect("count") += 1;
                ResponseTemplate::new(200).set_body_json(json!([]))
            }
            ["api", "v1", "Bills", id] => {
                match id.parse().ok().and_then(|id: u32| bills.get(&id)) {
                    Some((bill, _)) => ResponseTemplate::new(200).set_body_json(bill),
                    None => ResponseTemplate::new(404),
                }
            }
            ["api", "v1", "Bills", id, "Stages"] => {
                match id.parse().ok().and_then(|id: u32| bills.get(&id)) {
                    Some((_, stages)) => ResponseTemplate::new(200).set_body_json(stages),
                    None => ResponseTemplate::new(404),
                }
            }
            _ => ResponseTemplate::new(404),
        }
    }
}

/// A bill shaped like the Border Security bill's fixture (17 stages), with its own ids.
fn bill(id: u32, version: u32) -> (Value, Value) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/api");
    let read = |name: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join(name)).expect("fixture"))
            .expect("json")
    };
    let mut record = read("bill-3929.json");
    let mut stages = read("bill-3929-stages.json");
    record["billId"] = id.into();
    record["shortTitle"] = format!("Test Bill {id}").into();
    record["lastUpdate"] = format!("2025-12-{:02}T10:00:00.1234567", 1 + version).into();
    let items = stages["items"].as_array_mut().expect("items");
    for item in items.iter_mut() {
        item["id"] = (item["id"].as_u64().expect("id") + u64::from(id) * 100).into();
    }
    if version == 0 {
        // Royal Assent comes with the change.
        items.pop();
        record["isAct"] = false.into();
    } else {
        record["shortTitle"] = format!("Test Act {id} 2025").into();
    }
    let total = items.len();
    stages["totalResults"] = total.into();
    (record, stages)
}

struct Measured {
    requests: u64,
    wall: Duration,
    cpu: Duration,
    max_rss_kb: i64,
    alerts: u64,
}

fn check(dir: &Path) -> Measured {
    let config = dir.join("billwatch.toml");
    let output = Command::new(std::env::current_exe().expect("self"))
        .args([
            "--measure",
            "--config",
            config.to_str().expect("path"),
            "--today",
            "2025-12-10",
            "check",
            "--json",
        ])
        .output()
        .expect("wrapper ran");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let summary: Value = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["type"] == "summary")
        .unwrap_or_else(|| panic!("no summary in {stdout}"));
    let m: Value = serde_json::from_str(
        stdout
            .lines()
            .find_map(|l| l.strip_prefix("MEASURE "))
            .expect("measure"),
    )
    .expect("json");
    assert_eq!(m["code"], 0, "{stdout}");
    Measured {
        requests: summary["requests"].as_u64().expect("requests"),
        wall: Duration::from_micros(m["wall_us"].as_u64().expect("wall")),
        cpu: Duration::from_micros(m["cpu_us"].as_u64().expect("cpu")),
        max_rss_kb: m["max_rss_kb"].as_i64().expect("rss"),
        alerts: summary["new_alerts"].as_u64().expect("alerts"),
    }
}

fn write_config(dir: &Path, api: &str, ids: &[u32], extra: &str) {
    let mut text = format!(
        "[parliament]\napi_url = \"{api}\"\ncommons_votes_url = \"{api}\"\n\
         lords_votes_url = \"{api}\"\nmax_concurrent = 8\n\n[storage]\npath = \"{}\"\n\n{extra}\n",
        dir.join("billwatch.db").display()
    );
    for id in ids {
        text.push_str(&format!("[[bills]]\nid = {id}\n"));
    }
    std::fs::write(dir.join("billwatch.toml"), text).expect("config");
}

/// Three follow rules, each matching every bill the fake lists ("A Bill"), in every session.
const THREE_RULES: &str = "[[follow]]\nsearch = \"bill\"\nsession = \"all\"\n\n\
                           [[follow]]\nsearch = \"a bill\"\nsession = \"all\"\n\n\
                           [[follow]]\nsearch = \"a\"\nsession = \"all\"\n";

/// The three rows of the check table for `n` bills: the first check, nothing changed, and
/// 5 bills changed; with `extra` config (named by `with` in the table).
fn check_table_rows(fake: &Fake, api: &str, n: u32, extra: &str, with: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let ids: Vec<u32> = (0..n).map(|i| 10_000 + i).collect();
    {
        let mut bills = fake.bills.lock().expect("bills");
        bills.clear();
        for id in &ids {
            bills.insert(*id, bill(*id, 0));
        }
    }
    write_config(dir.path(), api, &ids, extra);
    let rows = [
        ("first (every bill fetched)", None),
        ("nothing changed", None),
        ("5 bills changed", Some(5)),
    ];
    for (label, change) in rows {
        if let Some(k) = change {
            let mut bills = fake.bills.lock().expect("bills");
            for id in ids.iter().take(k) {
                bills.insert(*id, bill(*id, 1));
            }
        }
        row(fake, dir.path(), n, &format!("{label}{with}"));
    }
}

/// Runs one check and prints its row of the table.
fn row(fake: &Fake, dir: &Path, n: u32, label: &str) {
    let before = *fake.requests.lock().expect("count");
    let votes_before = *fake.votes.lock().expect("count");
    let m = check(dir);
    let served = *fake.requests.lock().expect("count") - before;
    let votes = *fake.votes.lock().expect("count") - votes_before;
    assert_eq!(served, m.requests, "billwatch's count matches the server's");
    println!(
        "| {n} | {label} | {} | {votes} | {:.1} ms | {:.1} ms | {:.1} MB | {} |",
        m.requests,
        m.wall.as_secs_f64() * 1000.0,
        m.cpu.as_secs_f64() * 1000.0,
        m.max_rss_kb as f64 / 1024.0,
        m.alerts
    );
}

/// Votes on: after a first and a quiet check (no bill sat in the last days, so no Votes API
/// asked), one bill sits in the Commons yesterday (its record changes): that check asks the
/// Commons Votes API once; the checks after it, within `votes_gap`, ask nothing more.
fn votes_rows(fake: &Fake, api: &str, n: u32) {
    let dir = tempfile::tempdir().expect("tempdir");
    let ids: Vec<u32> = (0..n).map(|i| 30_000 + i).collect();
    {
        let mut bills = fake.bills.lock().expect("bills");
        bills.clear();
        for id in &ids {
            bills.insert(*id, bill(*id, 0));
        }
    }
    write_config(dir.path(), api, &ids, "");
    row(fake, dir.path(), n, "first (every bill fetched), votes");
    row(fake, dir.path(), n, "nothing changed, votes");
    {
        let mut bills = fake.bills.lock().expect("bills");
        let (record, stages) = bills.get_mut(&ids[0]).expect("bill");
        record["lastUpdate"] = "2025-12-09T18:00:00.1234567".into();
        let items = stages["items"].as_array_mut().expect("items");
        let commons = items
            .iter_mut()
            .rev()
            .find(|s| s["house"] == "Commons")
            .expect("a Commons stage");
        commons["stageSittings"]
            .as_array_mut()
            .expect("sittings")
            .push(json!({"date": "2025-12-09T00:00:00"}));
    }
    row(fake, dir.path(), n, "1 bill sat yesterday, votes");
    row(
        fake,
        dir.path(),
        n,
        "nothing changed, 1 bill sat yesterday, votes",
    );
    row(fake, dir.path(), n, "again, within votes_gap, votes");
}

async fn run_all() {
    let fake = Fake::default();
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(fake.clone())
        .mount(&server)
        .await;

    println!("billwatch check cost (release build; fake Bills API on localhost)");
    println!(
        "machine: {} cores; {}",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0),
        cpu_model()
    );
    println!();
    println!("| bills | check | requests | of which votes | wall | CPU | peak RSS | alerts |");
    println!("|---:|---|---:|---:|---:|---:|---:|---:|");
    for n in [10u32, 100, 1000] {
        check_table_rows(&fake, &server.uri(), n, "", "");
    }
    check_table_rows(&fake, &server.uri(), 100, THREE_RULES, ", 3 follow rules");
    votes_rows(&fake, &server.uri(), 1000);

    idle_worker(&fake, &server.uri()).await;
}

/// `billwatch run` idling between checks with 100 bills: its resident memory and threads.
async fn idle_worker(fake: &Fake, api: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let ids: Vec<u32> = (0..100).map(|i| 20_000 + i).collect();
    {
        let mut bills = fake.bills.lock().expect("bills");
        for id in &ids {
            bills.insert(*id, bill(*id, 0));
        }
    }
    write_config(dir.path(), api, &ids, "[schedule]\ncron = \"0 0 1 1 *\"\n");
    let mut child = Command::new(BIN)
        .args([
            "--config",
            dir.path().join("billwatch.toml").to_str().expect("path"),
            "run",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run");
    let health = || {
        Command::new(BIN)
            .args([
                "--config",
                dir.path().join("billwatch.toml").to_str().expect("path"),
                "health",
            ])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while !health() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let status =
        std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .map(|l| {
                l.split_whitespace()
                    .nth(1)
                    .unwrap_or("0")
                    .parse::<f64>()
                    .unwrap_or(0.0)
                    / 1024.0
            })
            .unwrap_or(0.0)
    };
    println!();
    println!(
        "billwatch run, 100 bills, idle after its first check: RSS {:.1} MB (peak {:.1} MB), {} threads",
        field("VmRSS:"),
        field("VmHWM:"),
        status
            .lines()
            .find(|l| l.starts_with("Threads:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .unwrap_or("?")
    );
    let _ = child.kill();
    let _ = child.wait();
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned())
}
