//! Readers' own follows, in a private chat: `/follow`, `/unfollow`, `/mine`, `/forget`.
//!
//! Which bill a reader means is found here: an id or a bills.parliament.uk address, or words of
//! the title, among the bills this deployment tracks and, with `follow_any`, in Parliament's
//! search. The follow itself is the store's, limits counted in the same transaction; the
//! answers are pure functions ([`followed_html`], [`mine_html`], ...).

use std::sync::Arc;

use chrono::NaiveDate;

use super::replies::{View, now_line, title, title_text};
use super::search::Searcher;
use crate::bill::{BillId, BillRef, Snapshot};
use crate::clock::Clock;
use crate::config::Config;
use crate::message::escape_html;
use crate::readers::{Followed, Refusal};
use crate::source::SourceError;
use crate::store::{Db, StoreError};

/// Bills named when several match a reader's words.
const SHOWN: usize = 10;

/// What a reader asked about their follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ask {
    Follow(String),
    Unfollow(String),
    Mine,
    Forget,
}

/// Which bill a reader's words or number mean.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Meant {
    One(BillId, String),
    /// Several match: each with its title.
    Several(Vec<(BillId, String)>),
    /// None: why, as HTML.
    Nothing(String),
}

/// What answering a reader needs.
#[derive(Debug)]
pub struct Readers<'a> {
    pub config: &'a Arc<Config>,
    pub db: &'a Db,
    /// Parliament's search and bill records (for `follow_any`); `None` when it cannot be asked.
    pub searcher: Option<&'a Searcher>,
    pub clock: Clock,
}

impl Readers<'_> {
    /// The answer to `ask` from the reader in private chat `chat`, as Telegram HTML.
    pub async fn answer(&self, ask: &Ask, chat: &str) -> String {
        let result = match ask {
            Ask::Follow(words) => self.follow(words, chat).await,
            Ask::Unfollow(words) => self.unfollow(words, chat).await,
            Ask::Mine => self.mine(chat).await,
            Ask::Forget => {
                let chat = chat.to_owned();
                self.db
                    .call(move |s| s.forget(&chat))
                    .await
                    .map(forgotten_html)
            }
        };
        result.unwrap_or_else(|e| {
            tracing::error!("a reader's command failed on the database: {e}");
            "Sorry, something went wrong on my side; nothing was changed. Try again later."
                .to_owned()
        })
    }

    async fn view(&self) -> View {
        let config = self.config.clone();
        tokio::task::spawn_blocking(move || View::load(&config))
            .await
            .unwrap_or_default()
    }

    async fn follow(&self, words: &str, chat: &str) -> Result<String, StoreError> {
        let view = self.view().await;
        let tracked = view.tracked();
        let (id, title) = match self.meant(words, &view).await {
            Meant::One(id, title) => (id, title),
            Meant::Several(bills) => return Ok(several_html(&bills, "/follow")),
            Meant::Nothing(why) => return Ok(why),
        };
        let (chat, limits, now) = (chat.to_owned(), self.limits(), self.clock.now());
        let outcome = self
            .db
            .call(move |s| s.follow(&chat, id, &tracked, limits, now))
            .await?;
        Ok(followed_html(outcome, id, &title))
    }

    fn limits(&self) -> crate::readers::Limits {
        self.config
            .telegram
            .as_ref()
            .map(|t| t.readers)
            .unwrap_or_default()
    }

    /// The bill `words` mean: a number or address, or words of a title among the bills
    /// tracked, then (with `follow_any`) in Parliament's search.
    async fn meant(&self, words: &str, view: &View) -> Meant {
        let any = self.limits().any;
        match BillRef::on_site(words, &self.config.parliament.site_url) {
            Ok(BillRef(id)) => {
                let known = view.bills.iter().find(|(b, _, _)| *b == id);
                match (known, &self.searcher) {
                    (Some((_, snapshot, _)), _) => Meant::One(id, title(snapshot.as_ref(), id)),
                    (None, Some(searcher)) if any => looked_up(id, searcher).await,
                    // Never followed unseen: a bill that may not exist would be checked (and
                    // fail) at every check.
                    (None, None) if any => Meant::Nothing(
                        "Sorry, I cannot look bills up right now. Try again in a few minutes."
                            .to_owned(),
                    ),
                    (None, _) => Meant::One(id, format!("Bill {id}")),
                }
            }
            Err(e) if words.contains("://") => Meant::Nothing(escape_html(&e.to_string())),
            Err(_) => {
                let local = matching(words, view.bills.iter().map(|(id, s, _)| (*id, s)));
                match (local.len(), &self.searcher) {
                    (1, _) => {
                        let (id, title) = local.into_iter().next().unwrap_or_default();
                        Meant::One(id, title)
                    }
                    (0, Some(searcher)) if any => searched(words, searcher).await,
                    (0, _) => Meant::Nothing(format!(
                        "No bill I track matches “{}”. /bills lists them; /search finds others.",
                        escape_html(words)
                    )),
                    _ => Meant::Several(local),
                }
            }
        }
    }

    async fn unfollow(&self, words: &str, chat: &str) -> Result<String, StoreError> {
        let mine = self.mine_with_snapshots(chat).await?;
        let id = match BillRef::on_site(words, &self.config.parliament.site_url) {
            Ok(BillRef(id)) => id,
            Err(_) => {
                let found = matching(words, mine.iter().map(|(id, s)| (*id, s)));
                match found.as_slice() {
                    [(id, _)] => *id,
                    [] => {
                        return Ok(format!(
                            "You follow no bill matching “{}”. /mine lists the ones you do.",
                            escape_html(words)
                        ));
                    }
                    _ => return Ok(several_html(&found, "/unfollow")),
                }
            }
        };
        let name = mine
            .iter()
            .find(|(b, _)| *b == id)
            .map(|(_, s)| title(s.as_ref(), id))
            .unwrap_or_else(|| format!("Bill {id}"));
        let chat = chat.to_owned();
        let done = self.db.call(move |s| s.unfollow(&chat, id)).await?;
        Ok(unfollowed_html(done, id, &name))
    }

    async fn mine(&self, chat: &str) -> Result<String, StoreError> {
        let mine = self.mine_with_snapshots(chat).await?;
        let view = self.view().await;
        let tracked = view.tracked();
        let limits = self.limits();
        let today = self.clock.today(&self.config.timezone);
        Ok(mine_html(
            &mine,
            |id| limits.any || tracked.contains(&id),
            limits.per_reader,
            today,
        ))
    }

    /// The bills `chat` follows, each with its stored snapshot (none before its first check).
    async fn mine_with_snapshots(
        &self,
        chat: &str,
    ) -> Result<Vec<(BillId, Option<Snapshot>)>, StoreError> {
        let chat = chat.to_owned();
        self.db
            .call(move |s| {
                let mut out = Vec::new();
                for id in s.follows_of(&chat)? {
                    // A damaged snapshot shows as "not checked yet", not as a failed answer.
                    let snapshot = s.snapshot(id).ok().flatten().map(|(snapshot, _)| snapshot);
                    out.push((id, snapshot));
                }
                Ok(out)
            })
            .await
    }
}

/// A bill by number, not tracked here: its record, to know it exists and its title.
async fn looked_up(id: BillId, searcher: &Searcher) -> Meant {
    match searcher.api().bill(id).await {
        Ok(bill) => Meant::One(id, title_text(&bill.title)),
        Err(SourceError::NoSuchBill { .. }) => {
            Meant::Nothing(format!("There is no bill {id} on bills.parliament.uk."))
        }
        Err(e) => {
            tracing::warn!(bill = id, "a /follow could not look the bill up: {e}");
            Meant::Nothing(
                "Sorry, Parliament is not answering right now. Try again in a few minutes."
                    .to_owned(),
            )
        }
    }
}

/// Words not matching a bill tracked here: Parliament's search of the current session.
async fn searched(words: &str, searcher: &Searcher) -> Meant {
    match searcher.found(words).await {
        Ok(found) => {
            let bills: Vec<(BillId, String)> = found
                .bills
                .iter()
                .map(|b| (b.id, title_text(&b.title)))
                .collect();
            match bills.as_slice() {
                [] => Meant::Nothing(format!(
                    "No bill of the current session matches “{}”.",
                    escape_html(words)
                )),
                [(id, title)] => Meant::One(*id, title.clone()),
                _ => Meant::Several(bills),
            }
        }
        Err(e) => {
            tracing::warn!("a /follow search failed: {e}");
            Meant::Nothing(
                "Sorry, Parliament's search is not answering right now. Try again in a few \
                 minutes."
                    .to_owned(),
            )
        }
    }
}

/// The bills among `bills` whose title holds `words` (at least 3 characters, any case).
fn matching<'a>(
    words: &str,
    bills: impl Iterator<Item = (BillId, &'a Option<Snapshot>)>,
) -> Vec<(BillId, String)> {
    let q = words.trim().to_lowercase();
    if q.chars().count() < 3 {
        return Vec::new();
    }
    bills
        .map(|(id, s)| (id, title(s.as_ref(), id)))
        .filter(|(_, title)| title.to_lowercase().contains(&q))
        .collect()
}

/// Several bills match: which one? Pure.
fn several_html(bills: &[(BillId, String)], command: &str) -> String {
    let mut out = String::from("Several bills match; which one?\n");
    for (id, title) in bills.iter().take(SHOWN) {
        out.push_str(&format!("\n{command} {id}: {}", escape_html(title)));
    }
    if bills.len() > SHOWN {
        out.push_str(&format!(
            "\n\n... and {} more: add words of the title, or send the bill's number.",
            bills.len() - SHOWN
        ));
    }
    out
}

/// The answer to a follow. Pure.
pub fn followed_html(outcome: Followed, id: BillId, title: &str) -> String {
    let name = format!("<b>{}</b> ({id})", escape_html(title));
    match outcome {
        Followed::Now => format!(
            "You now follow {name}. Its alerts will come here, each once.\n\
             /mine lists what you follow; /unfollow {id} stops this one."
        ),
        Followed::Already => format!("You already follow {name}. /mine lists what you follow."),
        // A limit of 0: following is off (for every bill, or for bills of readers' own).
        Followed::Refused(Refusal::TooManyFollows(0)) => "This bot takes no personal follows: \
             its alerts go to its channel. /bills lists the bills it tracks."
            .to_owned(),
        Followed::Refused(Refusal::NotTracked | Refusal::TooManyBills(0)) => format!(
            "I follow only the bills this channel tracks, and bill {id} is not one of them. \
             /bills lists them."
        ),
        Followed::Refused(Refusal::TooManyFollows(n)) => format!(
            "You follow {n} bills, the most one reader can here. /unfollow one first \
             (/mine lists them)."
        ),
        Followed::Refused(Refusal::TooManyBills(n)) => format!(
            "Readers here follow {n} bills of their own already, the most this bot takes on, \
             so I cannot take on {name}. /bills lists the bills it tracks."
        ),
    }
}

/// The answer to an unfollow. Pure.
pub fn unfollowed_html(done: bool, id: BillId, title: &str) -> String {
    if done {
        format!(
            "You no longer follow <b>{}</b> ({id}). /follow {id} follows it again.",
            escape_html(title)
        )
    } else {
        format!("You do not follow bill {id}. /mine lists the bills you follow.")
    }
}

/// `/mine`: the bills a reader follows, where each stands; `tracked` says whether billwatch
/// still watches a bill for them. Pure.
pub fn mine_html(
    mine: &[(BillId, Option<Snapshot>)],
    tracked: impl Fn(BillId) -> bool,
    limit: u32,
    today: NaiveDate,
) -> String {
    if mine.is_empty() {
        return "You follow no bill yet. Send /follow with a bill's number, its \
                bills.parliament.uk address or words of its title, e.g. <code>/follow 3929</code>."
            .to_owned();
    }
    let mut out = format!(
        "<b>The bills you follow</b> ({} of at most {limit})\n",
        mine.len()
    );
    for (id, snapshot) in mine {
        out.push_str(&format!(
            "\n<b>{}</b> ({id})\n",
            escape_html(&title(snapshot.as_ref(), *id))
        ));
        if tracked(*id) {
            out.push_str(&now_line(snapshot.as_ref(), today));
        } else {
            out.push_str("No longer tracked here: no alerts come for it.\n");
        }
        out.push_str(&format!("/unfollow {id}\n"));
    }
    out
}

/// `/forget`: what was deleted. Pure.
pub fn forgotten_html(follows: usize) -> String {
    format!(
        "Done: I have deleted everything I kept about you: your chat id, the {follows} bill(s) \
         you followed and any alerts waiting for you. /follow starts afresh."
    )
}
