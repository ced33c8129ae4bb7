//! Delivery to readers: the alerts of the bills each reader follows, sent to their private
//! chat with the same promise as the channels' (each attempt committed before the request; sent
//! marked only once Telegram confirmed it), several at once as one digest.
//!
//! A fan-out to thousands of readers goes a batch at a time, a few messages in flight, each
//! within its chat's limit and the readers' own pace (28 a second, under Telegram's 30), so the
//! channels, the bot's replies and the operator's notices always find room: the sender delivers
//! the channels' alerts between two batches. A reader who blocked the bot or deleted their
//! account is unfollowed from everything and counted, never told to the operator one by one.

use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use futures::StreamExt;

use super::client::SendError;
use super::delivery::{RETRY, Sender};
use super::throttled::Throttled;
use super::unrecorded::Unrecorded;
use crate::clock::Clock;
use crate::message;
use crate::shutdown::Shutdown;
use crate::store::{Db, ReaderAlert, StoreError};
use crate::telegram_text::{TELEGRAM_LIMIT, digests};

/// Readers' messages in flight at once: enough to keep 28 a second going while each request
/// takes its round trip.
const IN_FLIGHT: usize = 16;

/// What one round of delivery to readers did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadersRound {
    /// Messages Telegram confirmed, and the alerts in them.
    pub messages: usize,
    pub alerts: usize,
    /// Readers gone (blocked the bot, deleted their account): unfollowed from everything.
    pub gone: usize,
    /// Alerts Telegram refused (the message itself): not sent again.
    pub refused: usize,
    /// Readers whose alerts are still waiting after the round (more than a batch, or a
    /// failure), and the last failure.
    pub waiting: usize,
    pub last_error: Option<String>,
}

/// How one reader's delivery ended.
#[derive(Debug)]
enum Outcome {
    Sent {
        messages: usize,
        alerts: usize,
    },
    Gone,
    Refused(usize),
    /// Not sent now (a failure worth another try later, or shutdown): still pending.
    Waiting(String),
    /// Telegram accepted the message but it cannot be recorded (a full disk): never sent again
    /// by this process.
    Unrecorded {
        chat: String,
        ids: Vec<i64>,
        at: DateTime<Utc>,
        error: StoreError,
    },
}

impl Sender {
    /// Sends the alerts waiting for at most `batch` readers. A database failure ends the round
    /// (what was not marked sent goes again: at least once, as for the channels), except that a
    /// message Telegram accepted and the database could not record is kept in memory, never
    /// sent again, and nothing more goes until it is recorded.
    pub async fn deliver_to_readers(
        &mut self,
        db: &Db,
        today: NaiveDate,
        batch: usize,
        shutdown: &mut Shutdown,
    ) -> Result<ReadersRound, StoreError> {
        self.record_unrecorded(db, shutdown).await?;
        let readers = db.call(move |s| s.reader_batch(batch)).await?;
        let full = readers.len() >= batch;
        let (throttled, clock) = (&self.throttled, self.clock);
        let outcomes: Vec<Result<Outcome, StoreError>> = futures::stream::iter(readers)
            .map(|(chat, alerts)| {
                let mut shutdown = shutdown.clone();
                async move {
                    deliver_reader(throttled, db, clock, today, &chat, &alerts, &mut shutdown).await
                }
            })
            .buffer_unordered(IN_FLIGHT)
            .collect()
            .await;
        let mut round = ReadersRound::default();
        let mut failed = None;
        for outcome in outcomes {
            let outcome = match outcome {
                Ok(outcome) => outcome,
                Err(e) => {
                    failed.get_or_insert(e);
                    continue;
                }
            };
            match outcome {
                Outcome::Unrecorded {
                    chat,
                    ids,
                    at,
                    error,
                } => {
                    let sent = Unrecorded::Readers { chat, ids, at };
                    let error = self.unrecorded(sent, error);
                    failed.get_or_insert(error);
                }
                Outcome::Sent { messages, alerts } => {
                    round.messages += messages;
                    round.alerts += alerts;
                }
                Outcome::Gone => round.gone += 1,
                Outcome::Refused(n) => round.refused += n,
                Outcome::Waiting(why) => {
                    round.waiting += 1;
                    round.last_error = Some(why);
                }
            }
        }
        if let Some(e) = failed {
            return Err(e);
        }
        if full && round.waiting == 0 {
            // More readers than one batch: the sender comes back for them at once.
            round.waiting = 1;
        }
        Ok(round)
    }
}

/// Sends one reader's alerts as digests, each message in its turn.
async fn deliver_reader(
    throttled: &Throttled,
    db: &Db,
    clock: Clock,
    today: NaiveDate,
    chat: &str,
    alerts: &[ReaderAlert],
    shutdown: &mut Shutdown,
) -> Result<Outcome, StoreError> {
    let texts: Vec<String> = alerts
        .iter()
        .map(|a| message::render_html(&a.event, &a.url, today))
        .collect();
    let (mut messages, mut sent, mut refused) = (0, 0, 0);
    for (text, range) in digests(&texts, TELEGRAM_LIMIT) {
        let ids: Vec<i64> = alerts[range].iter().map(|a| a.id).collect();
        match send(throttled, db, chat, &text, &ids, shutdown).await? {
            Ok(()) => {
                let (c, owned, now) = (chat.to_owned(), ids.clone(), clock.now());
                if let Err(error) = db.call(move |s| s.reader_sent(&c, &owned, now)).await {
                    return Ok(Outcome::Unrecorded {
                        chat: chat.to_owned(),
                        ids,
                        at: now,
                        error,
                    });
                }
                messages += 1;
                sent += ids.len();
            }
            Err(SendError::Unreachable(reason)) => {
                let reason = unnamed(&reason, chat);
                tracing::info!("a reader is gone, unfollowed from everything: {reason}");
                let c = chat.to_owned();
                db.call(move |s| s.reader_gone(&c)).await?;
                return Ok(Outcome::Gone);
            }
            Err(SendError::Refused(reason)) => {
                let reason = unnamed(&reason, chat);
                tracing::error!(
                    alerts = ?ids,
                    "Telegram refused a reader's message: {reason}"
                );
                let (c, owned, now) = (chat.to_owned(), ids.clone(), clock.now());
                db.call(move |s| s.reader_refused(&c, &owned, now)).await?;
                refused += ids.len();
            }
            Err(e) => return Ok(Outcome::Waiting(unnamed(&e.to_string(), chat))),
        }
    }
    Ok(match (sent, refused) {
        (0, n) if n > 0 => Outcome::Refused(n),
        _ => Outcome::Sent {
            messages,
            alerts: sent,
        },
    })
}

/// `text` (Telegram's or the client's words about a failure) without the reader's chat id: the
/// log names no reader, so that `/forget` leaves nothing of them behind (README, "Privacy").
fn unnamed(text: &str, chat: &str) -> String {
    text.replace(chat, "(their chat)")
}

/// Sends one message to a reader: the attempt committed first; flood control waited out as
/// asked, other transient failures retried with the channels' backoff. Telegram's answer
/// (`Ok` once it confirmed the message); `Err(Transient)` on shutdown.
async fn send(
    throttled: &Throttled,
    db: &Db,
    chat: &str,
    text: &str,
    ids: &[i64],
    shutdown: &mut Shutdown,
) -> Result<Result<(), SendError>, StoreError> {
    let mut transient = 0;
    loop {
        let Some(turn) = throttled.reader_turn(chat, shutdown).await else {
            return Ok(Err(SendError::Transient("shutting down".to_owned())));
        };
        let (c, owned) = (chat.to_owned(), ids.to_vec());
        db.call(move |s| s.reader_attempt(&c, &owned)).await?;
        let wait: Duration = match turn.send_html(text).await {
            Ok(_) => return Ok(Ok(())),
            Err(SendError::RetryAfter(d)) => match RETRY.asked(d) {
                Some(wait) => wait,
                None => return Ok(Err(SendError::RetryAfter(d))),
            },
            Err(SendError::Transient(reason)) => {
                transient += 1;
                match RETRY.after(transient) {
                    Some(wait) => wait,
                    None => return Ok(Err(SendError::Transient(reason))),
                }
            }
            Err(other) => return Ok(Err(other)),
        };
        if !shutdown.sleep(wait).await {
            return Ok(Err(SendError::Transient("shutting down".to_owned())));
        }
    }
}
