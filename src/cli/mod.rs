//! The command line: parse arguments, load the config, run a command, map failures to exit codes.
//! One file per command; this one holds the arguments, the dispatch and what they share.
//!
//! Exit status ([`ExitCode`]): 0 all went well; 1 some bill failed (the rest still done) or a
//! runtime failure; 2 a config or usage error, with nothing else touched.

mod add;
mod backup;
mod check;
mod followers;
mod retry;
mod run;
mod search;
mod show;
mod status;
mod test_telegram;
mod validate;
mod verify;

use std::io::Write;
use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Parser, Subcommand};

use crate::bill::BillRef;
use crate::check::CheckOptions;
use crate::clock::Clock;
use crate::config::{self, Config, ConfigError};
use crate::telegram::{Sender, SenderError};

pub use show::{describe, show_json};

/// What is logged when `RUST_LOG` is not set.
pub const DEFAULT_LOG_FILTER: &str = "billwatch=info,warn";

/// The end of `--help`: the exit statuses and the environment variables billwatch reads.
/// (A test checks that it names [`ExitCode`]'s values, [`config::CONFIG_ENV`], `TOKEN_ENV` and
/// [`DEFAULT_LOG_FILTER`].)
const AFTER_HELP: &str = "\
Exit status:
  0  all went well: every bill checked, every alert delivered (health: healthy; verify: agree)
  1  something failed at run time - a bill, a delivery, the database - and the rest was still
     done (health: not healthy; verify: the API and the pages disagree)
  2  a config or usage error, or no usable bot token; nothing else was touched

Environment:
  BILLWATCH_CONFIG    the config file when --config is not given [default: config/billwatch.toml]
  TELEGRAM_BOT_TOKEN  the bot token (else the file named by telegram.token_file)
  RUST_LOG            what is logged, on stderr [default: billwatch=info,warn]
                      e.g. RUST_LOG=billwatch=debug";

/// Watches UK Parliament bills and alerts a Telegram channel when one reaches a new stage.
#[derive(Debug, Parser)]
#[command(name = "billwatch", version, about, long_about = None, after_help = AFTER_HELP)]
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
    /// Readers following bills in private chats with the bot: how many per bill (their chat ids
    /// only with --ids).
    Followers {
        /// Also list each reader's chat id.
        #[arg(long)]
        ids: bool,
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
    /// Track one more bill: append its entry to the bills of the config file (the rest of the file
    /// is kept as it is); a running worker picks it up before its next check.
    Add {
        /// A bill id (3929), a URL of the bill, or words of its title that match one bill of
        /// the current session.
        #[arg(required = true, num_args = 1..)]
        bill: Vec<String>,
        /// A short name for it in status and /bills.
        #[arg(long)]
        name: Option<String>,
    },
    /// Find bills by words of their title (this session's, newest first), to track them.
    Search {
        /// Words of the bill's short title.
        #[arg(required = true, num_args = 1..)]
        term: Vec<String>,
        /// Only bills now in this House.
        #[arg(long, value_enum)]
        house: Option<HouseArg>,
        /// Only bills of this type: a name as Parliament gives it ("Government Bill", "Private
        /// Members' Bill (Ballot)") or its id.
        #[arg(long = "type", value_name = "TYPE")]
        bill_type: Option<String>,
        /// Bills of every session, not only the current one.
        #[arg(long)]
        all_sessions: bool,
        /// One JSON object per bill, a line each.
        #[arg(long)]
        json: bool,
    },
    /// Copy the database to PATH, safely while `run` runs; the copy is checked before it is
    /// kept.
    Backup {
        /// The backup file to write (a new file, unless --force).
        #[arg(value_name = "PATH")]
        path: PathBuf,
        /// Replace PATH if it exists.
        #[arg(long)]
        force: bool,
    },
}

/// A House named on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum HouseArg {
    Commons,
    Lords,
}

impl HouseArg {
    fn house(self) -> crate::house::House {
        match self {
            HouseArg::Commons => crate::house::House::Commons,
            HouseArg::Lords => crate::house::House::Lords,
        }
    }
}

/// A source named on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SourceArg {
    Api,
    Pages,
}

/// How a command ended, as the process's exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Everything went well.
    Ok = 0,
    /// Something failed at run time (a bill, a delivery, the database); the rest was still done.
    Failed = 1,
    /// The config or the command line is wrong; nothing else was touched.
    Usage = 2,
}

impl ExitCode {
    /// `Ok` when nothing failed, else `Failed`.
    pub fn failed_if(failed: bool) -> ExitCode {
        if failed {
            ExitCode::Failed
        } else {
            ExitCode::Ok
        }
    }
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(code: ExitCode) -> Self {
        std::process::ExitCode::from(code as u8)
    }
}

/// A failure that ends the command, with its exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: ExitCode,
    pub error: anyhow::Error,
}

impl Failure {
    pub fn usage(error: impl Into<anyhow::Error>) -> Failure {
        Failure {
            code: ExitCode::Usage,
            error: error.into(),
        }
    }

    pub fn failed(error: impl Into<anyhow::Error>) -> Failure {
        Failure {
            code: ExitCode::Failed,
            error: error.into(),
        }
    }
}

impl From<ConfigError> for Failure {
    fn from(e: ConfigError) -> Self {
        Failure::usage(e)
    }
}

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Self {
        Failure::failed(error)
    }
}

impl From<crate::store::StoreError> for Failure {
    fn from(e: crate::store::StoreError) -> Self {
        Failure::failed(e)
    }
}

/// What a command returns: its exit code, or the failure that ended it.
type Outcome = Result<ExitCode, Failure>;

/// Runs the command; the exit code says how it went.
pub async fn main(args: Args) -> std::process::ExitCode {
    match dispatch(args).await {
        Ok(code) => code.into(),
        Err(Failure { code, error }) => {
            let _ = writeln!(std::io::stderr(), "error: {}", error_text(&error));
            code.into()
        }
    }
}

/// An error and its causes, each said once: `what: why: deeper why`. Many messages already end
/// with their cause (`"cannot read {path}: {source}"`, keeping `source` for the chain too), so
/// a cause the text so far ends with is not said again.
fn error_text(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let cause = cause.to_string();
        if text.ends_with(&cause) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&cause);
    }
    text
}

/// The config file this run reads.
fn config_path(args: &Args) -> PathBuf {
    let env = std::env::var(config::CONFIG_ENV).ok();
    config::locate(args.config.as_deref(), env.as_deref())
}

async fn dispatch(args: Args) -> Outcome {
    let path = config_path(&args);
    let config = Config::load(&path)?;
    // `--today` moves the whole clock to that day: dates, what counts as reached, and planning.
    let clock = match args.today {
        Some(day) => Clock::on_day(day, &config.timezone),
        None => Clock::system(),
    };
    match args.command {
        Command::Validate => validate::validate(&config, clock),
        Command::Check {
            dry_run,
            announce,
            json,
        } => {
            let options = CheckOptions {
                announce: announce || config.alerts.announce_new,
            };
            if dry_run {
                check::dry_run(&config, clock, options, json).await
            } else {
                check::once(&config, clock, options, json).await
            }
        }
        Command::Show { bill, source, json } => show::show(&config, &bill, source, json).await,
        Command::Verify { bill } => verify::verify(&config, bill.as_deref()).await,
        Command::Status { json } => status::status(&config, clock, json),
        Command::Followers { ids, json } => followers::followers(&config, ids, json),
        Command::Retry => retry::retry(&config, clock).await,
        Command::Run => run::run(config, clock).await,
        Command::Health => Ok(run::health(&config, clock)),
        Command::TestTelegram => test_telegram::test_telegram(&config, clock).await,
        Command::Backup { path, force } => backup::backup(&config, &path, force),
        Command::Add { bill, name } => {
            add::add(&config, &path, &bill.join(" "), name.as_deref()).await
        }
        Command::Search {
            term,
            house,
            bill_type,
            all_sessions,
            json,
        } => {
            let asked = search::Asked {
                term: term.join(" "),
                house,
                bill_type,
                all_sessions,
                json,
            };
            search::search(&config, asked).await
        }
    }
}

/// The Telegram sender, when the config has a `[telegram]` section. A missing or malformed
/// token is a configuration error.
fn sender(config: &Config, clock: Clock) -> Result<Option<Sender>, Failure> {
    Sender::from_config(config, clock).map_err(|e| match e {
        SenderError::Token(_) => Failure::usage(e),
        _ => Failure::failed(e),
    })
}

/// A bill named on the command line, by id or URL (on bills.parliament.uk or the configured
/// site).
fn bill_arg(bill: &str, config: &Config) -> Result<u32, Failure> {
    let BillRef(id) =
        BillRef::on_site(bill, &config.parliament.site_url).map_err(Failure::usage)?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot read the file x: {source}")]
    struct Saying {
        source: std::io::Error,
    }

    /// `--help` says what the exit statuses mean and which environment variables count.
    #[test]
    fn help_names_exit_codes_and_environment() {
        use clap::CommandFactory as _;
        let help = Args::command().render_help().to_string();
        for code in [ExitCode::Ok, ExitCode::Failed, ExitCode::Usage] {
            assert!(help.contains(&format!("\n  {}  ", code as u8)), "{help}");
        }
        for name in [
            config::CONFIG_ENV,
            config::DEFAULT_PATH,
            crate::telegram::TOKEN_ENV,
            "RUST_LOG",
            DEFAULT_LOG_FILTER,
        ] {
            assert!(help.contains(name), "--help lacks {name}:\n{help}");
        }
    }

    /// A cause already in its parent's message is said once; a context above it still shows.
    #[test]
    fn each_cause_is_said_once() {
        let io = || std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let error = anyhow::Error::new(Saying { source: io() });
        assert_eq!(error_text(&error), "cannot read the file x: no such file");
        let error = error.context("the token");
        assert_eq!(
            error_text(&error),
            "the token: cannot read the file x: no such file"
        );
        let error = anyhow::Error::new(io()).context("cannot open");
        assert_eq!(error_text(&error), "cannot open: no such file");
    }
}
