//! `billwatch run`'s worker in a task of the test's own runtime, in paused time: Parliament is
//! a [`FakeParliament`], Telegram (when the config has a `[telegram]` section) a [`FakeBot`].

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use billwatch::clock::Clock;
use billwatch::config::Config;
use billwatch::shutdown::{Shutdown, Trigger};
use billwatch::source::{Parsing, Sources};
use billwatch::telegram::Sender;
use billwatch::worker::{self, Services};
use tokio::task::JoinHandle;

use super::fake_bot::FakeBot;
use super::fake_parliament::FakeParliament;

/// The worker's services: the sources ask `parliament`; a `[telegram]` section's sender posts
/// to `bot`.
pub fn services(parliament: &FakeParliament, bot: &Arc<FakeBot>, parsing: Parsing) -> Services {
    let parliament = parliament.clone();
    let bot = bot.clone();
    Services {
        sources: Box::new(move |config, cache, clock| {
            let http = parliament.http(&config.parliament);
            let sources = Sources::with_state_and_http(config, cache, clock, http);
            Ok(sources.with_parsing(parsing.clone()))
        }),
        sender: Box::new(move |config, clock| Ok(sender_on(&bot, config, clock))),
        commands: false,
    }
}

pub fn sender_on(bot: &Arc<FakeBot>, config: &Config, clock: Clock) -> Option<Sender> {
    let t = config.telegram.as_ref()?;
    Some(Sender::new(bot.clone(), t, &config.storage.path, clock))
}

/// The worker running in a task of the test's runtime.
pub struct Running {
    pub trigger: Trigger,
    pub task: JoinHandle<anyhow::Result<()>>,
    pub clock: Clock,
}

/// Starts the worker at `start` (UTC) with the config at `path`.
pub fn start(path: &Path, parliament: &FakeParliament, start: &str) -> Running {
    start_with(path, parliament, &FakeBot::new(), start)
}

/// [`start`], with Telegram (if the config has a `[telegram]` section) on `bot`.
pub fn start_with(
    path: &Path,
    parliament: &FakeParliament,
    bot: &Arc<FakeBot>,
    start: &str,
) -> Running {
    start_parsing(path, parliament, bot, Parsing::default(), start)
}

/// [`start_with`], the sources parsing with `parsing`.
pub fn start_parsing(
    path: &Path,
    parliament: &FakeParliament,
    bot: &Arc<FakeBot>,
    parsing: Parsing,
    start: &str,
) -> Running {
    let config = Config::load(path).expect("config");
    let clock = Clock::following_tokio(start.parse().expect("start time"));
    let (trigger, shutdown) = Shutdown::new();
    let sender = sender_on(bot, &config, clock);
    let task = tokio::spawn(worker::run(
        path.to_owned(),
        config,
        sender,
        clock,
        shutdown,
        services(parliament, bot, parsing),
    ));
    Running {
        trigger,
        task,
        clock,
    }
}

impl Running {
    /// Lets virtual time run until `time` (UTC).
    pub async fn until(&self, time: &str) {
        let target: chrono::DateTime<chrono::Utc> = time.parse().expect("time");
        let wait = (target - self.clock.now()).to_std().unwrap_or_default();
        tokio::time::sleep(wait).await;
    }

    /// Shuts the worker down; how long it took to return.
    pub async fn stop(self) -> Duration {
        let fired = tokio::time::Instant::now();
        self.trigger.fire();
        self.task.await.expect("joined").expect("ran");
        fired.elapsed()
    }
}
