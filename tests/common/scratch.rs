//! A scratch folder with a config and a database, and runs of the real `billwatch` binary.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use serde_json::Value;

/// A scratch folder holding a config and a database.
pub struct Scratch {
    pub dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new() -> Scratch {
        Scratch {
            dir: super::in_process::scratch_dir(),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn config_path(&self) -> PathBuf {
        self.path("billwatch.toml")
    }

    pub fn db_path(&self) -> PathBuf {
        self.path("data/billwatch.db")
    }

    /// Writes a config pointing at `api` that tracks `bills`, plus `extra` TOML appended.
    pub fn write_config(&self, api: &str, bills: &[u32], extra: &str) {
        self.write_config_site(api, "https://bills.example.test", "", bills, extra);
    }

    /// The same, with the site's URL and more `[parliament]` keys.
    pub fn write_config_site(
        &self,
        api: &str,
        site: &str,
        parliament: &str,
        bills: &[u32],
        extra: &str,
    ) {
        let mut text = format!(
            "[parliament]\napi_url = \"{api}\"\nsite_url = \"{site}\"\n\
             timeout = \"2s\"\nretries = 1\nretry_backoff = \"10ms\"\npage_delay = \"10ms\"\nvotes = false\n\
             commons_votes_url = \"{api}\"\nlords_votes_url = \"{api}\"\n{parliament}\n\
             [storage]\npath = \"{}\"\n\n{extra}\n",
            self.db_path().display()
        );
        for id in bills {
            text.push_str(&format!("[[bills]]\nid = {id}\n\n"));
        }
        std::fs::write(self.config_path(), text).expect("write config");
    }

    /// Runs the real binary with this folder's config.
    pub async fn run(&self, args: &[&str]) -> Run {
        self.run_env(args, &[]).await
    }

    /// Starts the real binary in the background with the test bot token: output captured
    /// (`capture`) or dropped; killed when the handle is dropped.
    pub fn spawn(&self, args: &[&str], capture: bool) -> tokio::process::Child {
        let out = || {
            if capture {
                std::process::Stdio::piped()
            } else {
                std::process::Stdio::null()
            }
        };
        tokio::process::Command::new(env!("CARGO_BIN_EXE_billwatch"))
            .arg("--config")
            .arg(self.config_path())
            .args(args)
            .current_dir(self.dir.path())
            .env_remove("BILLWATCH_CONFIG")
            .env("TELEGRAM_BOT_TOKEN", TOKEN)
            .env("RUST_LOG", "billwatch=debug")
            .stdout(out())
            .stderr(out())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn billwatch")
    }

    /// Runs the binary with the test bot token in `TELEGRAM_BOT_TOKEN`.
    pub async fn run_tg(&self, args: &[&str]) -> Run {
        self.run_env(args, &[("TELEGRAM_BOT_TOKEN", TOKEN)]).await
    }

    /// Runs the binary, with the test bot token, its stdout a pipe whose reader has already
    /// gone (as in `billwatch status | head -1`, once `head` has its line).
    pub async fn run_stdout_closed(&self, args: &[&str]) -> Run {
        let (reader, writer) = std::io::pipe().expect("pipe");
        drop(reader);
        // Spawned, not `output()`: that would replace the closed pipe with one of its own.
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_billwatch"))
            .arg("--config")
            .arg(self.config_path())
            .args(args)
            .current_dir(self.dir.path())
            .env_remove("BILLWATCH_CONFIG")
            .env("TELEGRAM_BOT_TOKEN", TOKEN)
            .env("RUST_LOG", "billwatch=debug,warn")
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn billwatch");
        let output = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
            .await
            .expect("billwatch finished within 60 s")
            .expect("billwatch ran");
        Run::from(output)
    }

    pub async fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        self.run_with(args, env, |_| {}).await
    }

    /// Runs the binary as a user who may read this folder but not write `locked` (a folder
    /// given to root on the host, a read-only mount): uid 10001 when the tests run as root
    /// (root writes anywhere), else this user with `locked` made read-only.
    pub async fn run_locked_out(&self, locked: &Path, args: &[&str]) -> Run {
        use std::os::unix::fs::PermissionsExt;
        let mode = |path: &Path, mode: u32| {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod")
        };
        mode(self.dir.path(), 0o755);
        mode(&self.config_path(), 0o644);
        mode(locked, 0o555);
        let root = nix::unistd::Uid::effective().is_root();
        let run = self
            .run_with(args, &[], |cmd| {
                if root {
                    cmd.uid(10001).gid(10001);
                }
            })
            .await;
        mode(locked, 0o755);
        run
    }

    async fn run_with(
        &self,
        args: &[&str],
        env: &[(&str, &str)],
        adjust: impl FnOnce(&mut tokio::process::Command),
    ) -> Run {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_billwatch"));
        adjust(&mut cmd);
        cmd.arg("--config")
            .arg(self.config_path())
            .args(args)
            .current_dir(self.dir.path())
            .env_remove("BILLWATCH_CONFIG")
            .env_remove("TELEGRAM_BOT_TOKEN")
            .env("RUST_LOG", "billwatch=debug,warn");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let output = tokio::time::timeout(Duration::from_secs(60), cmd.output())
            .await
            .expect("billwatch finished within 60 s")
            .expect("billwatch ran");
        Run::from(output)
    }
}

/// What one run of the binary did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Run {
    /// The JSON lines printed on stdout.
    pub fn json_lines(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .filter(|l| l.starts_with('{'))
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
            .collect()
    }

    /// The alerts printed (`--json`).
    pub fn alerts(&self) -> Vec<Value> {
        self.json_lines()
            .into_iter()
            .filter(|v| v["type"] == "alert")
            .collect()
    }

    pub fn summary(&self) -> Value {
        self.json_lines()
            .into_iter()
            .find(|v| v["type"] == "summary")
            .unwrap_or_else(|| panic!("no summary in {self:#?}"))
    }

    /// `kind stage house date` for each alert, compactly, for exact assertions.
    pub fn alert_lines(&self) -> Vec<String> {
        self.alerts().iter().map(alert_line).collect()
    }

    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "exit code; output:\n{self:#?}");
        self
    }
}

pub fn alert_line(a: &Value) -> String {
    let s = |v: &Value| {
        v.as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| "-".to_owned())
    };
    let mut line = format!(
        "{} {} | {} | {}",
        s(&a["kind"]),
        s(&a["stage"]),
        s(&a["house"]),
        s(&a["date"])
    );
    if let Some(r) = a["round"].as_u64() {
        line.push_str(&format!(" | round {r}"));
    }
    line
}

/// The bot token the tests use. It must never appear in anything billwatch prints.
pub const TOKEN: &str = "123456789:AAtestSECRETtokenVALUE_0123456789ab";

/// Waits (30 s at most) until `cond` holds; panics naming `what` otherwise.
pub async fn wait_until(what: &str, mut cond: impl AsyncFnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while std::time::Instant::now() < deadline {
        if cond().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for: {what}");
}

/// A bill's stored snapshot and the day it was seen, read straight from the database.
pub fn stored_snapshot(db: &Path, id: u32) -> Option<String> {
    let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY;
    let conn = rusqlite::Connection::open_with_flags(db, flags).ok()?;
    conn.query_row(
        "SELECT snapshot || '@' || seen_on FROM bills WHERE bill_id = ?1",
        [id],
        |r| r.get(0),
    )
    .ok()
}

/// How many alerts the database holds, whatever their status.
pub fn alert_count(db: &Path) -> i64 {
    let conn = rusqlite::Connection::open(db).expect("db");
    conn.query_row("SELECT count(*) FROM alerts", [], |r| r.get(0))
        .expect("count")
}
