//! The command line: parse arguments, load the config, run a command, map failures to exit codes.
//!
//! Exit status: 0 all went well; 1 some bill failed (the rest still done) or a runtime failure;
//! 2 a config or usage error, with nothing else touched.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{DateTime, NaiveDate, Utc};
use clap::{Parser, Subcommand};
use serde_json::json;

use crate::bill::{BillRef, Snapshot};
use crate::check::{self, CheckOptions, CheckReport};
use crate::config::{self, Config, ConfigError};
use crate::shutdown::Shutdown;
use crate::source::{SourceKind, Sources};
use crate::store::Store;
use crate::telegram::{Delivery, Sender, SenderError, TOKEN_ENV, Token};
use crate::{alert, console, worker};

/// Watches UK Parliament bills and alerts a Telegram channel when one reaches a new stage.
#[derive(Debug, Parser)]
#[command(name = "billwatch", version, about, long_about = None)]
pub struct Args {
    /// The config file [default: $BILLWATCH_CONFIG, else config/billwatch.toml]
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Pretend today is this date (YYYY-MM-DD), for replaying and testing.
    #[arg(long, global = true, hide = true, value_name = "DATE")]
    pub today: Option<NaiveDate>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check every tracked bill now, record what changed and deliver the alerts.
    Check {
        /// Fetch and show what would be sent; change no state.
        #[arg(long)]
        dry_run: bool,
        /// Announce bills seen for the first time (one alert each with its current stage)
        /// instead of recording them silently.
        #[arg(long)]
        announce: bool,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// Fetch one bill and print its stages; no state is read or written.
    Show {
        /// A bill id (3929) or any URL of the bill's pages.
        bill: String,
        /// Which source to ask [default: the bill's mode in the config, else auto].
        #[arg(long, value_enum)]
        source: Option<SourceArg>,
        /// One JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Fetch bills from both the API and the stage pages and print every disagreement
    /// (exit 0 when they agree, 1 when not): how to notice that the site changed.
    Verify {
        /// One bill (id or URL) [default: every tracked bill].
        bill: Option<String>,
    },
    /// Tracked bills, their last known stage, the last check, and the outbox.
    Status {
        /// One JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Run as a worker: check on the schedule in the config, deliver alerts, reload an edited
    /// config; stop cleanly on SIGTERM or SIGINT.
    Run,
    /// Exit 0 when the last check finished recently enough and the database opens; else 1.
    Health,
    /// Check the config file only.
    Validate,
    /// Put alerts blocked by a Telegram problem back in the queue and deliver them.
    Retry,
    /// Send one test message to each configured Telegram chat, to prove the setup.
    TestTelegram,
}

/// A source named on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SourceArg {
    Api,
    Pages,
}

/// A failure that ends the command, with its exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub error: anyhow::Error,
}

impl From<ConfigError> for Failure {
    fn from(e: ConfigError) -> Self {
        Failure {
            code: 2,
            error: e.into(),
        }
    }
}

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Self {
        Failure { code: 1, error }
    }
}

impl From<crate::store::StoreError> for Failure {
    fn from(e: crate::store::StoreError) -> Self {
        Failure {
            code: 1,
            error: e.into(),
        }
    }
}

/// Runs the command; the exit code says how it went.
pub async fn main(args: Args) -> ExitCode {
    match dispatch(args).await {
        Ok(code) => ExitCode::from(code),
        Err(Failure { code, error }) => {
            let _ = writeln!(std::io::stderr(), "error: {error:#}");
            ExitCode::from(code)
        }
    }
}

/// The clock of this run: real, or a day the caller chose.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    pub today: Option<NaiveDate>,
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
    pub fn today(&self, config: &Config) -> NaiveDate {
        self.today
            .unwrap_or_else(|| check::today(config, self.now()))
    }
}

fn load_config(args: &Args) -> Result<Config, ConfigError> {
    let env = std::env::var("BILLWATCH_CONFIG").ok();
    let path = config::locate(args.config.as_deref(), env.as_deref());
    Config::load(&path)
}

async fn dispatch(args: Args) -> Result<u8, Failure> {
    let config = load_config(&args)?;
    let clock = Clock { today: args.today };
    match args.command {
        Command::Validate => validate(&config),
        Command::Check {
            dry_run,
            announce,
            json,
        } => {
            let options = CheckOptions { announce };
            if dry_run {
                check_dry_run(&config, clock, options, json).await
            } else {
                check_once(&config, clock, options, json).await
            }
        }
        Command::Show { bill, source, json } => show(&config, &bill, source, json).await,
        Command::Verify { bill } => verify(&config, bill.as_deref()).await,
        Command::Status { json } => status(&config, clock, json),
        Command::Retry => retry(&config, clock).await,
        Command::Run => run(config, clock).await,
        Command::Health => match worker::health(&config, clock.now()) {
            Ok(message) => {
                println!("{message}");
                Ok(0)
            }
            Err(message) => {
                println!("{message}");
                Ok(1)
            }
        },
        Command::TestTelegram => test_telegram(&config).await,
    }
}

fn validate(config: &Config) -> Result<u8, Failure> {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "config {} is valid", config.path.display());
    let _ = writeln!(out, "  bills tracked: {}", config.bills.len());
    for bill in &config.bills {
        let name = bill.name.as_deref().unwrap_or("(name from Parliament)");
        let _ = writeln!(out, "    {} {name}", bill.id);
    }
    let _ = writeln!(out, "  bills API: {}", config.parliament.api_url);
    let _ = writeln!(out, "  database: {}", config.storage.path.display());
    match &config.telegram {
        None => {
            let _ = writeln!(out, "  alerts go to: the console (no [telegram] section)");
        }
        Some(t) => {
            let _ = writeln!(
                out,
                "  alerts go to: Telegram chat {} via {}",
                t.chat, t.api_url
            );
            for b in config.bills.iter().filter(|b| b.chat.is_some()) {
                let _ = writeln!(
                    out,
                    "    bill {} goes to {}",
                    b.id,
                    b.chat.as_deref().unwrap_or("")
                );
            }
            if let Some(admin) = &t.admin_chat {
                let _ = writeln!(out, "  operator notices go to: {admin}");
            }
            let token = match Token::load(t, std::env::var(TOKEN_ENV).ok()) {
                Ok(_) => "present".to_owned(),
                Err(e) => format!("NOT usable: {e}"),
            };
            let _ = writeln!(out, "  bot token: {token}");
        }
    }
    let _ = writeln!(out, "  time zone: {}", config.timezone);
    let now = Utc::now();
    let next = config
        .schedule
        .cron
        .next_after(now, &config.timezone)
        .map(|t| {
            t.with_timezone(&config.timezone)
                .format("%Y-%m-%d %H:%M %Z")
                .to_string()
        })
        .unwrap_or_else(|| "never".to_owned());
    let _ = writeln!(
        out,
        "  schedule (for `run`): {} (next: {next}); health allows {}",
        config.schedule.cron,
        humantime::format_duration(worker::max_age(config, now))
    );
    Ok(0)
}

async fn check_once(
    config: &Config,
    clock: Clock,
    options: CheckOptions,
    json: bool,
) -> Result<u8, Failure> {
    let mut sender = sender(config)?;
    let mut store = Store::open(&config.storage.path)?;
    let sources = Sources::with_state(config)?;
    let today = clock.today(config);
    let report = check::run(config, &sources, &mut store, clock.now(), today, options).await?;
    let mut delivered = console::deliver(&mut store, today, json)?;
    let mut undelivered = false;
    if let (Some(sender), Some(telegram)) = (sender.as_mut(), config.telegram.as_ref()) {
        sender
            .report_health(
                &mut store,
                &report,
                telegram.failure_threshold,
                &mut Shutdown::never(),
            )
            .await?;
        let delivery = deliver_telegram(sender, &mut store, config, today).await?;
        delivered += delivery.sent;
        undelivered = delivery.pending > 0 || delivery.blocked > 0;
    }
    print_summary(&report, delivered, json);
    Ok(if report.failed() > 0 || undelivered {
        1
    } else {
        0
    })
}

/// The Telegram sender, when the config has a `[telegram]` section. A missing or malformed
/// token is a configuration error.
fn sender(config: &Config) -> Result<Option<Sender>, Failure> {
    Sender::from_config(config).map_err(|e| Failure {
        code: if matches!(e, SenderError::Token(_)) {
            2
        } else {
            1
        },
        error: e.into(),
    })
}

async fn deliver_telegram(
    sender: &mut Sender,
    store: &mut Store,
    config: &Config,
    today: NaiveDate,
) -> Result<Delivery, Failure> {
    let mut shutdown = Shutdown::never();
    let delivery = sender
        .deliver(store, config, today, &mut shutdown)
        .await?
        .unwrap_or_default();
    sender
        .sync_cards(store, config, today, &mut shutdown)
        .await?;
    if delivery.sent > 0 {
        tracing::info!(
            alerts = delivery.sent,
            messages = delivery.messages,
            "sent to Telegram"
        );
    }
    if delivery.pending > 0 {
        tracing::warn!(
            alerts = delivery.pending,
            "not delivered yet, kept for the next try: {}",
            delivery.last_error.as_deref().unwrap_or("")
        );
    }
    if delivery.blocked > 0 {
        tracing::error!(
            alerts = delivery.blocked,
            "blocked by Telegram; see `billwatch status`, fix, then `billwatch retry`"
        );
    }
    Ok(delivery)
}

async fn run(config: Config, clock: Clock) -> Result<u8, Failure> {
    let sender = sender(&config)?;
    let (trigger, shutdown) = Shutdown::new();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("stop signal received: finishing up");
        trigger.fire();
    });
    let path = config.path.clone();
    worker::run(path, config, sender, clock, shutdown).await?;
    Ok(0)
}

/// SIGTERM (what `docker stop` sends) or SIGINT (Ctrl-C).
async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(e) => {
                tracing::warn!("cannot listen for SIGTERM ({e}); only Ctrl-C stops billwatch");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

async fn retry(config: &Config, clock: Clock) -> Result<u8, Failure> {
    let mut sender = sender(config)?;
    let mut store = Store::open(&config.storage.path)?;
    let requeued = store.requeue_blocked()?;
    println!("{requeued} blocked alert(s) queued again");
    let today = clock.today(config);
    let Some(sender) = sender.as_mut() else {
        let delivered = console::deliver(&mut store, today, false)?;
        println!("{delivered} delivered to the console");
        return Ok(0);
    };
    let d = deliver_telegram(sender, &mut store, config, today).await?;
    println!(
        "{} alert(s) sent in {} message(s); {} blocked again; {} still pending",
        d.sent, d.messages, d.blocked, d.pending
    );
    Ok(if d.blocked > 0 || d.pending > 0 { 1 } else { 0 })
}

async fn test_telegram(config: &Config) -> Result<u8, Failure> {
    let Some(t) = &config.telegram else {
        return Err(Failure {
            code: 2,
            error: anyhow::anyhow!(
                "config {} has no [telegram] section: add one with `chat = \"@yourchannel\"`",
                config.path.display()
            ),
        });
    };
    let Some(sender) = sender(config)? else {
        return Ok(2);
    };
    let client = sender.client();
    let bot = match client.whoami().await {
        Ok(name) => name,
        Err(e) => {
            eprintln!("FAILED: {e}");
            return Ok(1);
        }
    };
    println!("bot token works: the bot is @{bot}");
    let mut chats: Vec<&str> = vec![t.chat.as_str()];
    chats.extend(config.bills.iter().filter_map(|b| b.chat.as_deref()));
    chats.extend(t.admin_chat.as_deref());
    chats.sort_unstable();
    chats.dedup();
    let mut failed = 0;
    for chat in chats {
        let text = format!(
            "✅ billwatch test message: @{} can post to {}. Tracking {} bill(s).",
            alert::escape_html(&bot),
            alert::escape_html(chat),
            config.bills.len()
        );
        match client.send_html(chat, &text).await {
            Ok(id) => println!("{chat}: OK (message {id})"),
            Err(e) => {
                failed += 1;
                println!("{chat}: FAILED: {e}");
            }
        }
    }
    Ok(if failed > 0 { 1 } else { 0 })
}

async fn check_dry_run(
    config: &Config,
    clock: Clock,
    options: CheckOptions,
    json: bool,
) -> Result<u8, Failure> {
    let sources = Sources::new(config)?;
    let store = Store::open_read_only(&config.storage.path)?;
    let today = clock.today(config);
    let report = check::dry_run(config, &sources, store.as_ref(), today, options).await?;
    let mut out = std::io::stdout().lock();
    for (event, url) in &report.previews {
        let text = alert::render_text(event, url, today);
        if json {
            let _ = writeln!(
                out,
                "{}",
                console::alert_json(None, event, url, &text, "dry_run")
            );
        } else {
            let _ = writeln!(out, "[would send: {}]\n{text}\n", event.kind.as_str());
        }
    }
    drop(out);
    print_summary(&report, 0, json);
    Ok(if report.failed() > 0 { 1 } else { 0 })
}

fn print_summary(report: &CheckReport, delivered: usize, json: bool) {
    let mut out = std::io::stdout().lock();
    if json {
        for b in report.bills.iter().filter(|b| b.error.is_some()) {
            let _ = writeln!(
                out,
                "{}",
                json!({"type": "error", "bill_id": b.bill_id, "error": b.error,
                       "consecutive_failures": b.consecutive_failures})
            );
        }
        let _ = writeln!(
            out,
            "{}",
            json!({
                "type": "summary",
                "bills": report.bills.len(),
                "bills_ok": report.ok(),
                "bills_failed": report.failed(),
                "first_seen": report.bills.iter().filter(|b| b.first_seen).count(),
                "new_alerts": report.alerts.len() + report.previews.len(),
                "delivered": delivered,
                "requests": report.requests,
                "fetched": report.bills.iter().filter(|b| b.source.as_deref().is_some_and(|s| s != "listing") || b.error.is_some()).count(),
                "listing": report.listing,
            })
        );
        return;
    }
    for b in report.bills.iter().filter(|b| b.error.is_some()) {
        let _ = writeln!(
            out,
            "FAILED {}",
            b.error.as_deref().unwrap_or("unknown error")
        );
    }
    let first = report.bills.iter().filter(|b| b.first_seen).count();
    let new = report.alerts.len() + report.previews.len();
    let listing = match &report.listing {
        check::Listing::NotUsed => String::new(),
        check::Listing::Used { changed } => format!(" (listing: {changed} changed)"),
        check::Listing::Failed { .. } => " (listing failed: every bill fetched)".to_owned(),
    };
    let _ = writeln!(
        out,
        "checked {} bill(s): {} ok, {} failed; {} first seen; {} new alert(s); {} delivered; {} request(s){listing}",
        report.bills.len(),
        report.ok(),
        report.failed(),
        first,
        new,
        delivered,
        report.requests
    );
}

fn bill_arg(bill: &str) -> Result<u32, Failure> {
    let BillRef(id) = bill.parse::<BillRef>().map_err(|e| Failure {
        code: 2,
        error: e.into(),
    })?;
    Ok(id)
}

async fn show(
    config: &Config,
    bill: &str,
    source: Option<SourceArg>,
    json: bool,
) -> Result<u8, Failure> {
    let id = bill_arg(bill)?;
    let sources = Sources::new(config)?;
    let fetched = match source {
        None => sources.fetch(id).await,
        Some(SourceArg::Api) => sources.fetch_from(id, SourceKind::Api).await,
        Some(SourceArg::Pages) => sources.fetch_from(id, SourceKind::Pages).await,
    };
    let (snapshot, source) = fetched.map_err(|e| Failure {
        code: 1,
        error: e.into(),
    })?;
    let mut out = std::io::stdout().lock();
    if json {
        let value =
            json!({"source": source.to_string(), "bill": snapshot.bill, "stages": snapshot.stages});
        let _ = writeln!(out, "{value}");
    } else {
        let _ = write!(out, "{}", describe(&snapshot, &config.stages_url(id)));
        let _ = writeln!(out, "(source: {source})");
    }
    Ok(0)
}

async fn verify(config: &Config, bill: Option<&str>) -> Result<u8, Failure> {
    let ids: Vec<u32> = match bill {
        Some(b) => vec![bill_arg(b)?],
        None => config.bills.iter().map(|b| b.id).collect(),
    };
    let sources = Sources::new(config)?;
    let mut bad = 0;
    for id in ids {
        let (api, pages) = tokio::join!(
            sources.fetch_from(id, SourceKind::Api),
            sources.fetch_from(id, SourceKind::Pages)
        );
        match (api, pages) {
            (Ok((api, _)), Ok((pages, _))) => {
                let diffs = crate::source::disagreements(&api, &pages);
                if diffs.is_empty() {
                    println!(
                        "bill {id}: the API and the pages agree ({} stages)",
                        api.stages.len()
                    );
                } else {
                    bad += 1;
                    println!(
                        "bill {id}: {} disagreement(s) between the API and the pages:",
                        diffs.len()
                    );
                    for d in diffs {
                        println!("  {d}");
                    }
                }
            }
            (api, pages) => {
                bad += 1;
                if let Err(e) = api {
                    println!("bill {id}: the API failed: {e}");
                }
                if let Err(e) = pages {
                    println!("bill {id}: the pages failed: {e}");
                }
            }
        }
    }
    Ok(if bad > 0 { 1 } else { 0 })
}

/// A bill and its stages as a table a person reads.
pub fn describe(snapshot: &Snapshot, url: &str) -> String {
    use std::fmt::Write as _;
    let b = &snapshot.bill;
    let mut s = String::new();
    let _ = writeln!(s, "Bill {}: {}", b.id, b.title);
    if let Some(long) = &b.long_title {
        let _ = writeln!(s, "  {long}");
    }
    let mut flags = Vec::new();
    if b.is_act {
        flags.push("Act of Parliament".to_owned());
    }
    if let Some(d) = b.withdrawn {
        flags.push(format!("withdrawn {}", alert::long_date(d)));
    }
    if b.defeated {
        flags.push("defeated".to_owned());
    }
    if let Some(cs) = &b.current_stage {
        flags.push(format!("current stage: {} ({})", cs.name, cs.house));
    }
    if let Some(lu) = b.last_update {
        flags.push(format!("updated {}", lu.format("%-d %B %Y %H:%M")));
    }
    if !flags.is_empty() {
        let _ = writeln!(s, "  {}", flags.join("; "));
    }
    let _ = writeln!(s, "  {url}");
    let width = snapshot
        .stages
        .iter()
        .map(|st| st.name.chars().count())
        .max()
        .unwrap_or(0);
    for st in &snapshot.stages {
        let dates = match st.sittings.as_slice() {
            [] => "date to be announced".to_owned(),
            [d] => alert::long_date(*d),
            [first, .., last] => format!(
                "{} to {} ({} sittings)",
                alert::long_date(*first),
                alert::long_date(*last),
                st.sittings.len()
            ),
        };
        let _ = writeln!(
            s,
            "  {:>6}  {:<width$}  {:<10}  {dates}",
            st.id,
            st.name,
            st.house.to_string(),
        );
    }
    s
}

fn status(config: &Config, clock: Clock, json: bool) -> Result<u8, Failure> {
    let store = Store::open_read_only(&config.storage.path)?;
    let today = clock.today(config);
    let mut out = std::io::stdout().lock();
    let Some(store) = store else {
        if json {
            let _ = writeln!(
                out,
                "{}",
                json!({"database": null, "bills": config.bills.iter().map(|b| b.id).collect::<Vec<_>>()})
            );
        } else {
            let _ = writeln!(
                out,
                "no database yet at {}: run `billwatch check` first",
                config.storage.path.display()
            );
        }
        return Ok(0);
    };
    let last = store.last_check()?;
    let (pending, sent, blocked) = store.alert_counts()?;
    let states = store.bills()?;
    let blocked_alerts = store.blocked()?;
    if json {
        let bills: Vec<_> = states
            .iter()
            .map(|s| {
                let snap = s.snapshot.as_ref();
                let latest = snap.and_then(|sn| sn.latest_reached(today));
                let next = snap.and_then(|sn| sn.next_scheduled(today));
                json!({
                    "bill_id": s.bill_id,
                    "tracked": config.bill(s.bill_id).is_some(),
                    "title": snap.map(|sn| sn.bill.title.clone()),
                    "stage": latest.map(|st| st.name.clone()),
                    "house": latest.map(|st| st.house.to_string()),
                    "stage_date": latest.and_then(|st| st.first_sitting()).map(|d| d.to_string()),
                    "next_stage": next.map(|(st, _)| st.name.clone()),
                    "next_date": next.map(|(_, d)| d.to_string()),
                    "source": s.source,
                    "last_success": s.last_success,
                    "last_attempt": s.last_attempt,
                    "consecutive_failures": s.consecutive_failures,
                    "last_error": s.last_error,
                })
            })
            .collect();
        let _ = writeln!(
            out,
            "{}",
            json!({
                "database": store.path().display().to_string(),
                "last_check": last,
                "alerts": {"pending": pending, "sent": sent, "blocked": blocked},
                "blocked": blocked_alerts.iter().map(|a| json!({"id": a.id, "bill_id": a.event.bill_id, "kind": a.event.kind.as_str(), "reason": a.last_error})).collect::<Vec<_>>(),
                "bills": bills,
                "untracked_never_checked": config.bills.iter().filter(|b| !states.iter().any(|s| s.bill_id == b.id)).map(|b| b.id).collect::<Vec<_>>(),
            })
        );
        return Ok(0);
    }
    let _ = writeln!(out, "database: {}", store.path().display());
    match &last {
        Some(c) => {
            let _ = writeln!(
                out,
                "last check: {} ({} ok, {} failed, {} new alert(s), {} request(s))",
                c.finished_at
                    .unwrap_or(c.started_at)
                    .format("%Y-%m-%d %H:%M:%S UTC"),
                c.bills_ok,
                c.bills_failed,
                c.alerts,
                c.requests
            );
        }
        None => {
            let _ = writeln!(out, "last check: none finished yet");
        }
    }
    let _ = writeln!(
        out,
        "alerts: {pending} pending, {sent} sent, {blocked} blocked"
    );
    for a in &blocked_alerts {
        let _ = writeln!(
            out,
            "  blocked #{} (bill {}, {}): {}",
            a.id,
            a.event.bill_id,
            a.event.kind.as_str(),
            a.last_error.as_deref().unwrap_or("no reason recorded")
        );
    }
    for b in &config.bills {
        if !states.iter().any(|s| s.bill_id == b.id) {
            let _ = writeln!(out, "bill {}: not checked yet", b.id);
        }
    }
    for s in &states {
        let tracked = config.bill(s.bill_id).is_some();
        let title = s
            .snapshot
            .as_ref()
            .map(|sn| sn.bill.title.as_str())
            .unwrap_or("(never fetched successfully)");
        let _ = writeln!(
            out,
            "bill {}: {title}{}",
            s.bill_id,
            if tracked { "" } else { " [no longer tracked]" }
        );
        if let Some(sn) = &s.snapshot {
            match sn.latest_reached(today) {
                Some(st) => {
                    let stage = crate::changes::StageRef {
                        id: st.id,
                        stage_type: st.stage_type,
                        name: st.name.clone(),
                        house: st.house,
                        round: sn.ping_pong_round(st),
                    };
                    let _ = writeln!(
                        out,
                        "  stage: {} ({})",
                        alert::stage_phrase(&stage),
                        st.first_sitting().map(alert::long_date).unwrap_or_default()
                    );
                }
                None => {
                    let _ = writeln!(out, "  stage: none reached yet");
                }
            }
            if let Some((st, d)) = sn.next_scheduled(today) {
                let _ = writeln!(
                    out,
                    "  next: {} on {} (provisional)",
                    st.name,
                    alert::long_date(d)
                );
            }
        }
        if let Some(t) = &s.last_success {
            let _ = writeln!(
                out,
                "  last success: {t} via {}",
                s.source.as_deref().unwrap_or("?")
            );
        }
        if s.consecutive_failures > 0 {
            let _ = writeln!(
                out,
                "  FAILING: {} check(s) in a row; last error: {}",
                s.consecutive_failures,
                s.last_error.as_deref().unwrap_or("?")
            );
        }
    }
    Ok(0)
}
