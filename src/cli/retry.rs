//! `billwatch retry`: alerts blocked by a Telegram problem, queued again and delivered.

use super::{ExitCode, Outcome};
use crate::clock::Clock;
use crate::config::Config;
use crate::console;
use crate::store::Db;

/// `retry`: blocked alerts back in the queue, then delivered.
pub(super) async fn retry(config: &Config, clock: Clock) -> Outcome {
    let mut sender = super::sender(config, clock)?;
    let db = Db::open(&config.storage.path).await?;
    let requeued = db.call(|s| s.requeue_blocked()).await?;
    console::line(format_args!("{requeued} blocked alert(s) queued again"));
    let today = clock.today(&config.timezone);
    let Some(sender) = sender.as_mut() else {
        let delivered = console::deliver(&db, clock.now(), today, false).await?;
        console::line(format_args!("{delivered} delivered to the console"));
        return Ok(ExitCode::Ok);
    };
    let d = super::check::deliver_telegram(sender, &db, config, today, None).await?;
    console::line(format_args!(
        "{} alert(s) sent in {} message(s); {} blocked again; {} still pending",
        d.sent, d.messages, d.blocked, d.pending
    ));
    Ok(ExitCode::failed_if(d.blocked > 0 || d.pending > 0))
}
