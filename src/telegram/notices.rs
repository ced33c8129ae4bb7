//! Operator notices: what the operator must hear about, in the log and in `admin_chat`.

use super::delivery::Sender;
use super::throttled::ThrottledError;
use crate::check::{BillOutcome, CheckReport};
use crate::message;
use crate::shutdown::Shutdown;
use crate::store::{Db, StoreError};

impl Sender {
    /// Tells the operator, once, about a bill whose checks have failed `threshold` times in a
    /// row, and once when it recovers; never once per failure.
    pub async fn report_health(
        &mut self,
        db: &Db,
        report: &CheckReport,
        threshold: u32,
        shutdown: &mut Shutdown,
    ) -> Result<(), StoreError> {
        self.report_vanished(report, shutdown).await;
        for notice in &report.notices {
            self.notify(notice, None, shutdown).await;
        }
        for bill in &report.bills {
            let id = bill.bill_id;
            match &bill.error {
                Some(error) if bill.consecutive_failures >= threshold => {
                    if !db.call(move |s| s.set_failure_reported(id, true)).await? {
                        self.notify(
                            &format!(
                                "{} has failed {} checks in a row; its alerts wait until it recovers. Last error: {error}",
                                named(bill), bill.consecutive_failures
                            ),
                            None,
                            shutdown,
                        )
                        .await;
                    }
                }
                Some(_) => {}
                None => {
                    if db.call(move |s| s.set_failure_reported(id, false)).await? {
                        self.notify(
                            &format!("{} is being checked again: recovered", named(bill)),
                            None,
                            shutdown,
                        )
                        .await;
                    }
                }
            }
        }
        Ok(())
    }

    /// Tells the operator: always in the log, and in `admin_chat` when one is set (unless that
    /// is the chat with the problem). Best effort: a notice that cannot be sent is only logged.
    /// Tells the operator of stored stages gone from Parliament's data: not alerted (it may be
    /// a correction, and one that comes back is not announced again), but worth a look. Told
    /// once: the stage is gone from the stored snapshot too.
    async fn report_vanished(&self, report: &CheckReport, shutdown: &mut Shutdown) {
        for bill in report.bills.iter().filter(|b| !b.vanished.is_empty()) {
            let title = bill.title.as_deref().unwrap_or("");
            let text = format!(
                "bill {} ({title}): gone from Parliament's data: {}. Nothing was posted; if it \
                 comes back it is not announced again.",
                bill.bill_id,
                bill.vanished.join("; ")
            );
            self.notify(&text, None, shutdown).await;
        }
    }

    pub async fn notify(&self, text: &str, about_chat: Option<&str>, shutdown: &mut Shutdown) {
        tracing::warn!("operator notice: {text}");
        let Some(admin) = self.admin_chat.as_deref() else {
            return;
        };
        if about_chat == Some(admin) {
            return;
        }
        // Telegram counts what it shows: the text itself, cut to fit, then escaped.
        let text = crate::telegram_text::fit(text, crate::telegram_text::TELEGRAM_LIMIT - 8);
        let html = format!("⚠️ {}", message::escape_html(&text));
        match self.throttled.send_html(admin, &html, shutdown).await {
            Ok(_) => {}
            // The notice is in the log already; shutdown is no failure.
            Err(ThrottledError::ShuttingDown) => {}
            Err(ThrottledError::Telegram(e)) => {
                tracing::error!("cannot send the operator notice to {admin}: {e}");
            }
        }
    }
}

/// A bill as a notice names it: `bill 3929 (Border Security, Asylum and Immigration Bill)`, or
/// only by its id when its title was never known.
fn named(bill: &BillOutcome) -> String {
    match bill.title.as_deref().filter(|t| !t.is_empty()) {
        Some(title) => format!("bill {} ({title})", bill.bill_id),
        None => format!("bill {}", bill.bill_id),
    }
}
