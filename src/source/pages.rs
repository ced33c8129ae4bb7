//! The website (bills.parliament.uk): the stage pages people read, scraped into the same model
//! the Bills API gives.
//!
//! No copy of the stages *list* page's HTML was available when this was written, so it is read by
//! what is stable rather than by guessed class names: every link to `/bills/{id}/stages/{n}` is a
//! stage (the link carries its bill-stage id), and the smallest element around a link that holds
//! no other stage is that stage's item, in which the House ("Commons", "Lords", "Not before either
//! House") and the date ("20 May 2024", "From 6 April 2022", "Date to be announced") are found by
//! their text. A page that answers but yields no stage, or a stage without a readable name, House
//! or date, is a layout change: an error, never "the bill has no stages".
//!
//! A stage that sits on several days ("From 6 April 2022") has its days read from its detail page
//! (`/bills/{id}/stages/{n}`: one "Sitting  11 November 2020 - Debate" heading per day).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use scraper::{ElementRef, Html, Selector};
use url::Url;

use super::api::clean_text;
use super::conditional;
use super::failed_pages::FailedPages;
use super::html::parse_page;
use super::http::{FetchError, Http};
use super::page_dates::parse_listed_date;
pub use super::page_dates::{ListedDate, parse_page_date};
use super::parsing::Parsing;
use super::sittings::{self, Days, Known, STAGE_PAGES_PER_CHECK};
use super::{ParseError, SourceError};
use crate::bill::{Bill, BillId, House, Snapshot, Stage};
use crate::config::join;
use crate::store::PageCache;

/// One stage as the list page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedStage {
    pub id: u32,
    pub name: String,
    pub house: House,
    pub date: ListedDate,
}

/// What the list page says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageList {
    pub title: Option<String>,
    /// In the page's order (newest first on the real site).
    pub stages: Vec<ListedStage>,
}

/// What a stage's detail page says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageDetail {
    pub title: Option<String>,
    pub name: Option<String>,
    pub sittings: Vec<NaiveDate>,
}

fn selector(s: &str) -> Selector {
    Selector::parse(s).unwrap_or_else(|e| panic!("built-in selector {s:?} is invalid: {e}"))
}

/// The selectors, parsed once.
struct Selectors {
    links: Selector,
    primary: Selector,
    h1: Selector,
    h2: Selector,
    sitting_headings: Selector,
    date_labels: Selector,
}

static SELECTORS: std::sync::LazyLock<Selectors> = std::sync::LazyLock::new(|| Selectors {
    links: selector("a[href]"),
    primary: selector(".primary-info"),
    h1: selector("h1"),
    h2: selector("h2"),
    sitting_headings: selector("h3, h4, .collapse-heading, a[data-toggle]"),
    date_labels: selector(".indicators-left .indicator-label"),
});

/// The bill-stage id a link points to, if it is `/bills/{bill}/stages/{n}` (relative or not).
fn stage_link(href: &str, bill: BillId) -> Option<u32> {
    let path = match Url::parse(href) {
        Ok(url) => url.path().to_owned(),
        Err(_) => href.split(['?', '#']).next().unwrap_or("").to_owned(),
    };
    let mut parts = path.trim_matches('/').split('/');
    match (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) {
        (Some("bills"), Some(b), Some("stages"), Some(n), None) if b.parse() == Ok(bill) => {
            n.parse().ok().filter(|n: &u32| *n > 0)
        }
        _ => None,
    }
}

fn parse_house_text(text: &str) -> Option<House> {
    let t = clean_text(text);
    let t = t
        .trim_start_matches("House:")
        .trim()
        .trim_end_matches('.')
        .trim();
    match t.to_ascii_lowercase().as_str() {
        "commons" | "house of commons" => Some(House::Commons),
        "lords" | "house of lords" => Some(House::Lords),
        "not before either house" => Some(House::Unassigned),
        _ => None,
    }
}

/// Badges on the list ("1", "2", "C", "R", "3", "RA") and link words that are not names.
fn is_noise(text: &str) -> bool {
    matches!(
        text.to_ascii_lowercase().as_str(),
        "1" | "2" | "3" | "c" | "r" | "ra" | "view" | "details" | "view details" | "more"
    )
}

fn heading_title(doc: &Html) -> Option<String> {
    doc.select(&SELECTORS.h1)
        .map(|h| clean_text(&h.text().collect::<String>()))
        .find(|t| !t.is_empty())
}

/// Parses `/bills/{bill}/stages`.
pub fn parse_stage_list(html: &str, bill: BillId) -> Result<StageList, ParseError> {
    let doc = parse_page(html)?;
    let links = &SELECTORS.links;
    let mut seen = std::collections::HashSet::new();
    let mut stages = Vec::new();
    for link in doc.select(links) {
        let Some(id) = link.attr("href").and_then(|h| stage_link(h, bill)) else {
            continue;
        };
        if !seen.insert(id) {
            continue;
        }
        if seen.len() > super::MAX_STAGES {
            return Err(ParseError::new(format!(
                "the page lists more than {} stages: refused (no bill has so many; the API \
                 path reads no more either)",
                super::MAX_STAGES
            )));
        }
        let item = stage_item(link, id, bill, links);
        stages.push(read_item(item, link, id)?);
    }
    if stages.is_empty() {
        return Err(ParseError::new(format!(
            "no stage found: the page has no link to /bills/{bill}/stages/<id> (has the site's layout changed?)"
        )));
    }
    Ok(StageList {
        title: heading_title(&doc),
        stages,
    })
}

/// The smallest element around `link` that is one stage's item: climb while the parent holds no
/// link to another stage, stopping at a list item, table row, article or card.
fn stage_item<'a>(link: ElementRef<'a>, id: u32, bill: BillId, links: &Selector) -> ElementRef<'a> {
    let mut item = link;
    for _ in 0..8 {
        let name = item.value().name();
        let class = item.value().attr("class").unwrap_or("");
        let is_item = matches!(name, "li" | "tr" | "article")
            || class
                .split_whitespace()
                .any(|c| c == "card" || c == "card-clickable");
        if is_item && item != link {
            break;
        }
        let Some(parent) = item.parent().and_then(ElementRef::wrap) else {
            break;
        };
        if matches!(
            parent.value().name(),
            "body" | "main" | "html" | "ul" | "ol" | "table" | "tbody"
        ) {
            break;
        }
        let other_stage = parent
            .select(links)
            .filter_map(|a| a.attr("href").and_then(|h| stage_link(h, bill)))
            .any(|n| n != id);
        if other_stage {
            break;
        }
        item = parent;
    }
    item
}

fn read_item(
    item: ElementRef<'_>,
    link: ElementRef<'_>,
    id: u32,
) -> Result<ListedStage, ParseError> {
    let fragments: Vec<String> = item
        .text()
        .map(clean_text)
        .filter(|t| !t.is_empty())
        .collect();
    let house = fragments.iter().find_map(|t| parse_house_text(t));
    // The date may be split over elements ("From" in one, the day in another): read it from
    // the item's whole text.
    let date = parse_listed_date(&fragments.join(" "));
    let primary = item
        .select(&SELECTORS.primary)
        .map(|e| clean_text(&e.text().collect::<String>()))
        .find(|t| is_name(t));
    let name = link
        .text()
        .map(clean_text)
        .find(|t| is_name(t))
        .or(primary)
        .or_else(|| {
            fragments
                .iter()
                .filter(|t| is_name(t))
                .max_by_key(|t| t.len())
                .cloned()
        });
    let Some(name) = name else {
        return Err(ParseError::new(format!("stage {id} has no readable name")));
    };
    let Some(house) = house else {
        return Err(ParseError::new(format!(
            "stage {id} ({name}) shows no House (Commons, Lords, or \"Not before either House\")"
        )));
    };
    let Some(date) = date else {
        return Err(ParseError::new(format!(
            "stage {id} ({name}) shows no date (\"11 November 2020\", \"From ...\" or \"Date to be announced\")"
        )));
    };
    Ok(ListedStage {
        id,
        name,
        house,
        date,
    })
}

fn is_name(t: &str) -> bool {
    !t.is_empty()
        && !is_noise(t)
        && parse_house_text(t).is_none()
        && parse_listed_date(t).is_none()
        && t.chars().any(|c| c.is_alphabetic())
}

/// Parses `/bills/{bill}/stages/{n}`: the stage's name and every day it sat.
pub fn parse_stage_detail(html: &str) -> Result<StageDetail, ParseError> {
    let doc = parse_page(html)?;
    let name = doc
        .select(&SELECTORS.h2)
        .map(|h| clean_text(&h.text().collect::<String>()))
        .find(|t| !t.is_empty());
    let mut days = BTreeSet::new();
    // One collapsible heading per sitting: "Sitting  11 November 2020 - Debate".
    for heading in doc.select(&SELECTORS.sitting_headings) {
        let text = clean_text(&heading.text().collect::<String>());
        if let Some(rest) = text.strip_prefix("Sitting")
            && let Some(d) = parse_page_date(rest.split(" - ").next().unwrap_or(rest))
        {
            days.insert(d);
        }
    }
    // The document cards carry the date too.
    if days.is_empty() {
        for label in doc.select(&SELECTORS.date_labels) {
            if let Some(d) = parse_page_date(&label.text().collect::<String>()) {
                days.insert(d);
            }
        }
    }
    Ok(StageDetail {
        title: heading_title(&doc),
        name,
        sittings: days.into_iter().collect(),
    })
}

/// The stage type id Parliament uses for a stage the pages show, from its name and House (the
/// pages do not show ids): the one table, [`crate::stage::STAGE_TYPES`], decides.
pub fn stage_type_of(name: &str, house: House) -> Option<u32> {
    crate::stage::note_if_unknown(None, name, house);
    crate::stage::stage_type(None, name, house).and_then(|t| t.id)
}

/// The website's stage pages for one site URL.
#[derive(Debug, Clone)]
pub struct PageSource {
    http: Http,
    site: Url,
    cache: Option<PageCache>,
    /// Pause between two page requests.
    delay: Duration,
    /// When the next page request may go: page requests are spaced out, whichever bill they
    /// are for (one host serves them all).
    next_request: Arc<tokio::sync::Mutex<tokio::time::Instant>>,
    /// Where pages that fail to parse are saved (none: not saved).
    failed: Option<FailedPages>,
    /// Pages are parsed off the async workers.
    parsing: Parsing,
}

impl PageSource {
    pub fn new(
        http: Http,
        site: Url,
        delay: Duration,
        cache: Option<PageCache>,
        failed: Option<FailedPages>,
        parsing: Parsing,
    ) -> Self {
        PageSource {
            http,
            site,
            cache,
            delay,
            next_request: Arc::new(tokio::sync::Mutex::new(tokio::time::Instant::now())),
            failed,
            parsing,
        }
    }

    pub(super) fn with_parsing(self, parsing: Parsing) -> Self {
        PageSource { parsing, ..self }
    }

    pub fn list_url(&self, id: BillId) -> String {
        join(&self.site, &format!("bills/{id}/stages"))
    }

    /// The bill and its stages, as the pages show them. What is `known` of the bill decides which
    /// stages' own pages are read ([`sittings::plan`]).
    pub async fn fetch(&self, id: BillId, known: &Known) -> Result<Snapshot, SourceError> {
        let url = self.list_url(id);
        let html = self.get_page(id, &url).await?;
        let (html, list) = self
            .parsing
            .run(&url, html, move |h| parse_stage_list(h, id))
            .await;
        let list = list.map_err(|e| self.layout_changed(id, &url, &html, e))?;
        let title = list.title.clone().ok_or_else(|| {
            self.layout_changed(
                id,
                &url,
                &html,
                ParseError::new("the page has no bill title (h1)"),
            )
        })?;

        let count = list.stages.len();
        let plan = sittings::plan(&list.stages, known);
        let waiting = plan
            .iter()
            .filter(|d| matches!(d, Days::FirstOnly(_)))
            .count();
        if waiting > 0 {
            tracing::info!(
                bill = id,
                waiting,
                "stage pages left for a later check (at most {STAGE_PAGES_PER_CHECK} a bill a \
                 check): those stages have their first day from the list until then"
            );
        }
        let mut stages = Vec::with_capacity(count);
        for ((index, listed), days) in list.stages.into_iter().enumerate().zip(plan) {
            let sittings = match (listed.date, days) {
                (ListedDate::From(first), Days::Page) => {
                    self.days_or_known(id, &listed, first, known).await
                }
                (_, Days::Stored(stored)) => stored,
                (_, Days::FirstOnly(first)) => vec![first],
                (ListedDate::ToBeAnnounced, _) => Vec::new(),
                (ListedDate::On(d) | ListedDate::From(d), _) => vec![d],
            };
            stages.push(Stage {
                id: listed.id,
                stage_type: stage_type_of(&listed.name, listed.house),
                name: listed.name,
                house: listed.house,
                sittings,
                // The list is newest first.
                sort_order: (count - index) as i32,
            });
        }
        let is_act = is_act_title(&title);
        let bill = Bill {
            id,
            title,
            long_title: None,
            former_title: None,
            current_house: None,
            // The list is newest first: its oldest stage is where the bill started.
            originating_house: stages
                .iter()
                .min_by_key(|s| s.sort_order)
                .map(|s| s.house)
                .filter(|h| matches!(h, House::Commons | House::Lords)),
            current_stage: None,
            is_act,
            withdrawn: None,
            defeated: false,
            last_update: None,
            sponsor: None,
        };
        Ok(Snapshot::new(bill, stages))
    }

    /// Every day a stage sat, from its own page; when that page cannot be read, the days known
    /// so far. One stage's page does not fail the bill: the list says enough to tell whether the
    /// stage was reached, scheduled or moved, and the page is read again at the next check.
    async fn days_or_known(
        &self,
        id: BillId,
        listed: &ListedStage,
        first: NaiveDate,
        known: &Known,
    ) -> Vec<NaiveDate> {
        match self.stage_days(id, listed, first).await {
            Ok(days) => days,
            Err(e) => {
                tracing::warn!(
                    bill = id,
                    stage = listed.id,
                    "cannot read the stage's own page, so its days are those known so far (at \
                     least the list's first day) and the page is read again at the next check: {e}"
                );
                sittings::without_page(listed, first, known)
            }
        }
    }

    /// Every day a stage sat, from its own page (the list says it sat from `first`).
    async fn stage_days(
        &self,
        id: BillId,
        listed: &ListedStage,
        first: NaiveDate,
    ) -> Result<Vec<NaiveDate>, SourceError> {
        let url = join(&self.site, &format!("bills/{id}/stages/{}", listed.id));
        // A missing stage page is that page's problem, not "no such bill".
        let page = self.get_page(id, &url).await.map_err(|e| match e {
            SourceError::NoSuchBill { bill, url } => SourceError::Fetch {
                bill,
                error: FetchError::NotFound { url },
            },
            e => e,
        })?;
        let (page, detail) = self
            .parsing
            .run(&url, page, |p| parse_stage_detail(p))
            .await;
        let detail = detail.map_err(|e| self.layout_changed(id, &url, &page, e))?;
        if detail.sittings.is_empty() {
            let e = ParseError::new(format!(
                "the list says stage {} sits from {first}, its page shows no sitting",
                listed.id
            ));
            return Err(self.layout_changed(id, &url, &page, e));
        }
        let mut days = detail.sittings;
        if !days.contains(&first) {
            days.push(first);
            days.sort();
        }
        Ok(days)
    }

    async fn get_page(&self, id: BillId, url: &str) -> Result<String, SourceError> {
        {
            // Politeness: at least `delay` between two page requests to the site.
            let mut next = self.next_request.lock().await;
            tokio::time::sleep_until(*next).await;
            *next = tokio::time::Instant::now() + self.delay;
        }
        let body = conditional::get(&self.http, self.cache.as_ref(), url, "text/html")
            .await
            .map_err(|e| match e {
                FetchError::NotFound { url } => SourceError::NoSuchBill { bill: id, url },
                error => SourceError::Fetch { bill: id, error },
            })?;
        String::from_utf8(body)
            .map_err(|_| SourceError::parse(id, url, ParseError::new("the page is not UTF-8 text")))
    }

    /// A page that answered but cannot be read: saved for diagnosis, then an error.
    fn layout_changed(&self, id: BillId, url: &str, html: &str, error: ParseError) -> SourceError {
        let saved = self.failed.as_ref().and_then(|f| f.save(id, html));
        let error = match saved {
            Some(path) => {
                ParseError::new(format!("{error}; the page was saved to {}", path.display()))
            }
            None => error,
        };
        SourceError::parse(id, url, error)
    }
}

/// "Border Security, Asylum and Immigration Act 2025" names an Act.
fn is_act_title(title: &str) -> bool {
    let mut words = title.split_whitespace().rev();
    matches!((words.next(), words.next()), (Some(year), Some("Act")) if year.len() == 4 && year.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_links() {
        assert_eq!(stage_link("/bills/3929/stages/19001", 3929), Some(19001));
        assert_eq!(
            stage_link(
                "https://bills.parliament.uk/bills/3929/stages/19001?x=1",
                3929
            ),
            Some(19001)
        );
        assert_eq!(stage_link("/bills/3929/stages", 3929), None);
        assert_eq!(stage_link("/bills/3930/stages/19001", 3929), None);
        assert_eq!(
            stage_link("/bills/3929/stages/19001/amendments", 3929),
            None
        );
    }

    #[test]
    fn act_titles() {
        assert!(is_act_title(
            "Border Security, Asylum and Immigration Act 2025"
        ));
        assert!(!is_act_title(
            "Border Security, Asylum and Immigration Bill"
        ));
        assert!(!is_act_title("Act 2025 Bill"));
    }
}
