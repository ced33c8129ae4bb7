//! Console delivery: alerts printed on stdout, as text or one JSON object per line.

use std::io::Write;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;

use crate::message;
use crate::store::{Alert, Db, StoreError};

/// Prints every pending console alert, then marks it sent at `now`.
pub async fn deliver(
    db: &Db,
    now: DateTime<Utc>,
    today: NaiveDate,
    json: bool,
) -> Result<usize, StoreError> {
    let pending = db.call(|s| s.pending(false)).await?;
    for a in &pending {
        let text = message::render_text(&a.event, &a.url, today);
        {
            let mut out = std::io::stdout().lock();
            if json {
                let _ = writeln!(
                    out,
                    "{}",
                    alert_json(Some(a), &a.event, &a.url, &text, "sent")
                );
            } else {
                let _ = writeln!(out, "[{}]\n{text}\n", a.event.kind.as_str());
            }
            // Printed before it is marked: a crash in between prints it again rather than never.
            let _ = out.flush();
        }
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
