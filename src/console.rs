//! Console delivery: alerts printed on stdout, as text or one JSON object per line; and the one
//! way anything is printed on stdout ([`print()`]), so that a reader who has gone never makes
//! billwatch panic.

use std::fmt;
use std::io::Write;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;

use crate::message;
use crate::store::{Alert, Db, StoreError};

/// Writes `text` on stdout as it is, and flushes it. Everything billwatch prints for its reader
/// goes through here.
///
/// A reader that has gone (`billwatch status | head -1`: a broken pipe) is no failure of the
/// command, and never a panic: the text is dropped quietly and the command goes on to its end
/// and its own exit status. `false` says the text was not printed.
pub fn print(text: &str) -> bool {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => true,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => false,
        Err(e) => {
            tracing::warn!("cannot print on stdout: {e}");
            false
        }
    }
}

/// Prints one line, as [`print()`] does.
pub fn line(text: impl fmt::Display) -> bool {
    print(&format!("{text}\n"))
}

/// Prints every pending console alert, then marks it sent at `now`; returns how many were.
///
/// An alert is marked only once it was printed: when stdout is closed the rest stay pending
/// for the next delivery, never marked sent unseen.
pub async fn deliver(
    db: &Db,
    now: DateTime<Utc>,
    today: NaiveDate,
    json: bool,
) -> Result<usize, StoreError> {
    let pending = db.call(|s| s.pending(false)).await?;
    for (done, a) in pending.iter().enumerate() {
        let text = message::render_text(&a.event, &a.url, today);
        let printed = if json {
            line(alert_json(Some(a), &a.event, &a.url, &text, "sent"))
        } else {
            line(format_args!("[{}]\n{text}\n", a.event.kind.as_str()))
        };
        if !printed {
            tracing::warn!(
                alerts = pending.len() - done,
                "stdout is closed: the console alerts stay pending for the next delivery"
            );
            return Ok(done);
        }
        // Printed before it is marked: a crash in between prints it again rather than never.
        let id = a.id;
        db.call(move |s| s.mark_sent(&[id], now, None)).await?;
    }
    Ok(pending.len())
}

/// One alert as the JSON object `--json` prints.
pub fn alert_json(
    alert: Option<&Alert>,
    event: &crate::changes::Event,
    url: &str,
    text: &str,
    status: &str,
) -> serde_json::Value {
    json!({
        "type": "alert",
        "id": alert.map(|a| a.id),
        "bill_id": event.bill_id,
        "kind": event.kind.as_str(),
        "title": event.title,
        "stage": event.stage.as_ref().map(|s| s.name.clone()),
        "house": event.stage.as_ref().map(|s| s.house.to_string()),
        "round": event.stage.as_ref().and_then(|s| s.round),
        "date": event.date.map(|d| d.to_string()),
        "previous_date": event.previous_date.map(|d| d.to_string()),
        "url": url,
        "text": text,
        "status": status,
    })
}
