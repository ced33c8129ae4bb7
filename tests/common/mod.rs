//! Shared by the tests: the fakes they run against, one file each, and the journey data.
//!
//! - [`journey`]: the Border Security bill on any day of its journey; fixtures.
//! - [`fake_parliament`]: Parliament in process (API and site), behind billwatch's `Transport`:
//!   for paused-time tests of the library.
//! - [`fake_api`], [`fake_site`]: the Bills API and the site over real sockets (wiremock), for
//!   end-to-end runs of the binary.
//! - [`site_html`]: the site's pages rendered from API-shaped JSON.
//! - [`fake_telegram`]: the Telegram Bot API over a real socket (wiremock).
//! - [`fake_bot`]: Telegram in process, behind billwatch's `BotApi`: for paused-time tests.
//! - [`scratch`]: a scratch folder with a config, and runs of the real binary.
//! - [`in_process`]: one check of the library, as the binary's `check` would run it.
//! - [`rule_bills`]: bills for follow rules' tests.
//! - [`worker_run`]: `billwatch run`'s worker in-process, in paused time.
#![allow(dead_code, unused_imports)]

pub mod fake_api;
pub mod fake_bot;
pub mod fake_parliament;
pub mod fake_site;
pub mod fake_telegram;
pub mod in_process;
pub mod journey;
pub mod rule_bills;
pub mod scratch;
pub mod site_html;
pub mod telegram_html;
pub mod worker_run;

pub use fake_api::*;
pub use fake_parliament::*;
pub use fake_site::*;
pub use fake_telegram::*;
pub use in_process::*;
pub use journey::*;
pub use rule_bills::*;
pub use scratch::*;
pub use site_html::*;
pub use worker_run::*;
