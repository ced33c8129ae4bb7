//! One check of the library in the test's own runtime, against [`FakeParliament`]: what the
//! binary's `check --json` does (check, then the console delivery of the pending alerts), with
//! no process and no socket, so that it runs in paused time.

use std::path::PathBuf;

use billwatch::check::{self, CheckOptions, CheckReport};
use billwatch::clock::Clock;
use billwatch::config::Config;
use billwatch::source::Sources;
use billwatch::store::Store;
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::fake_parliament::FakeParliament;
use super::scratch::alert_line;

/// A config and a database in a scratch folder, checked against a [`FakeParliament`].
pub struct InProcess {
    pub dir: tempfile::TempDir,
    pub config: Config,
    pub parliament: FakeParliament,
}

impl InProcess {
    /// Tracks `bills` with the same `[parliament]` settings as [`super::Scratch::write_config`]
    /// (timeout 2 s, one retry after 10 ms, pages 10 ms apart), then `parliament` lines (which
    /// replace any of those they name), then `extra` TOML.
    pub fn new(parliament: &FakeParliament, lines: &str, bills: &[u32], extra: &str) -> InProcess {
        let dir = scratch_dir();
        let mut settings = vec![
            "api_url = \"https://api.fake.test\"",
            "site_url = \"https://bills.example.test\"",
            "timeout = \"2s\"",
            "retries = 1",
            "retry_backoff = \"10ms\"",
            "page_delay = \"10ms\"",
            "votes = false",
            "commons_votes_url = \"https://commonsvotes.fake.test\"",
            "lords_votes_url = \"https://lordsvotes.fake.test\"",
        ];
        let key = |l: &str| l.split('=').next().unwrap_or("").trim().to_owned();
        let ours: Vec<&str> = lines.lines().filter(|l| !l.trim().is_empty()).collect();
        settings.retain(|s| ours.iter().all(|o| key(o) != key(s)));
        settings.extend(ours);
        let db = dir.path().join("data/billwatch.db");
        let mut text = format!(
            "[parliament]\n{}\n\n[storage]\npath = \"{}\"\n\n{extra}\n",
            settings.join("\n"),
            db.display()
        );
        for id in bills {
            text.push_str(&format!("[[bills]]\nid = {id}\n\n"));
        }
        let path = dir.path().join("billwatch.toml");
        let config = Config::parse(&text, &path).expect("config");
        InProcess {
            dir,
            config,
            parliament: parliament.clone(),
        }
    }

    pub fn db_path(&self) -> PathBuf {
        self.config.storage.path.clone()
    }

    /// One `check --json` at `clock`'s time: fresh sources (as a new process would have), the
    /// check, then the alerts delivered to the console, as JSON objects.
    pub async fn check(&self, clock: Clock, options: CheckOptions) -> Checked {
        let mut store = Store::open(&self.config.storage.path).expect("store");
        let http = self.parliament.http(&self.config.parliament);
        let cache = store.page_cache();
        let sources = Sources::with_state_and_http(&self.config, cache, clock, http);
        let db = billwatch::store::Db::open(&self.config.storage.path)
            .await
            .expect("db");
        let report = check::run(&self.config, &sources, &db, clock, options)
            .await
            .expect("check");
        let today = clock.today(&self.config.timezone);
        let pending = store.pending(false).expect("pending");
        let mut alerts = Vec::new();
        for a in &pending {
            let text = billwatch::message::render_text(&a.event, &a.url, today);
            alerts.push(billwatch::console::alert_json(
                Some(a),
                &a.event,
                &a.url,
                &text,
                "sent",
            ));
            store.mark_sent(&[a.id], clock.now(), None).expect("sent");
        }
        Checked { report, alerts }
    }

    /// [`InProcess::check`] on `day`, at 10:00 UTC, the clock standing still.
    pub async fn check_on(&self, day: &str) -> Checked {
        self.check(at(day, "10:00:00"), CheckOptions::default())
            .await
    }

    /// (pending, sent, blocked) alerts in the database.
    pub fn alert_counts(&self) -> (u64, u64, u64) {
        let store = Store::open(&self.config.storage.path).expect("store");
        store.alert_counts().expect("counts")
    }
}

/// A clock standing at `time` (UTC) on `day`.
pub fn at(day: &str, time: &str) -> Clock {
    Clock::fixed(utc(day, time))
}

pub fn utc(day: &str, time: &str) -> DateTime<Utc> {
    format!("{day}T{time}Z").parse().expect("time")
}

/// What one in-process check did.
#[derive(Debug)]
pub struct Checked {
    pub report: CheckReport,
    /// The alerts delivered, as `check --json` prints them.
    pub alerts: Vec<Value>,
}

impl Checked {
    /// The exit code `check` would give (no Telegram).
    pub fn code(&self) -> i32 {
        i32::from(self.report.failed() > 0)
    }

    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(self.code(), code, "exit code; report:\n{:#?}", self.report);
        self
    }

    /// `kind stage | house | date` for each alert, as [`super::Run::alert_lines`].
    pub fn alert_lines(&self) -> Vec<String> {
        self.alerts.iter().map(alert_line).collect()
    }

    /// Each failed bill's error, as `check --json`'s error lines say it.
    pub fn errors(&self) -> Vec<String> {
        self.report
            .bills
            .iter()
            .filter_map(|b| b.error.clone())
            .collect()
    }

    /// The summary's `listing`, as `check --json` prints it.
    pub fn listing(&self) -> Value {
        serde_json::to_value(&self.report.listing).expect("listing")
    }
}

/// What billwatch logs while a [`capture_logs`] guard lives, as text.
#[derive(Debug, Clone, Default)]
pub struct Logs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Logs {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("logs")).into_owned()
    }
}

struct LogWriter(Logs);

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.0.lock().expect("logs").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Captures billwatch's logs (debug and up) on this thread, as the binary's stderr shows them
/// with `RUST_LOG=billwatch=debug`, until the guard is dropped. Tokio's default test runtime
/// runs on this one thread.
pub fn capture_logs() -> (Logs, tracing::subscriber::DefaultGuard) {
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || LogWriter(writer.clone()))
        .finish();
    (logs, tracing::subscriber::set_default(subscriber))
}

/// A scratch folder, in memory (`/dev/shm`) where there is one: SQLite's syncs to a real disk
/// cost milliseconds each, and an in-process journey makes hundreds.
pub fn scratch_dir() -> tempfile::TempDir {
    let shm = std::path::Path::new("/dev/shm");
    if shm.is_dir()
        && let Ok(dir) = tempfile::tempdir_in(shm)
    {
        return dir;
    }
    tempfile::tempdir().expect("tempdir")
}
