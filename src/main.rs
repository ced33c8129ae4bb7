//! The `billwatch` binary: logging, arguments, then the library does the work.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let args = billwatch::cli::Args::parse();
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(billwatch::cli::DEFAULT_LOG_FILTER));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    // The worker runs several tasks at once; every other command does one thing and ends, so a
    // single-threaded runtime does, with one thread for its database calls (and name lookups):
    // each thread more is memory more, for nothing a one-shot command needs.
    let mut builder = if matches!(args.command, billwatch::cli::Command::Run) {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(2);
        b
    } else {
        let mut b = tokio::runtime::Builder::new_current_thread();
        b.max_blocking_threads(1);
        b
    };
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let code = runtime.block_on(billwatch::cli::main(args));
    // Dropping the runtime would wait for every blocking task still running, and a check
    // abandoned on SIGTERM may have left one: a page being parsed (up to a second of CPU), a
    // database call. Give them a moment, then exit without them: SQLite's transactions make an
    // unfinished write harmless, and nothing is waiting for the parse.
    runtime.shutdown_timeout(BLOCKING_GRACE);
    code
}

/// How long the process waits, on its way out, for work left in tokio's blocking pool.
const BLOCKING_GRACE: Duration = Duration::from_secs(1);
