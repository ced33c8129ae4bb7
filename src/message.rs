//! Message text: an [`Event`] in plain words, as plain text (console) or Telegram HTML. Pure.
//!
//! Every text that came from Parliament is escaped in the HTML form. Future dates are marked
//! "provisional", as Parliament itself says they are.

mod votes;

pub use votes::{latest_vote_line, vote_summary};

use chrono::NaiveDate;

use crate::bill::{House, Snapshot, Sponsor};
use crate::changes::{Event, EventKind, NextStep, StageRef};
use crate::stage::{STEPS, StageKind};

/// Fitting messages to Telegram's limit lives in [`crate::telegram_text`].
pub use crate::telegram_text::{TELEGRAM_LIMIT, digests, telegram_len};

/// The parts of a message, before they are put in one format or the other.
struct Parts {
    title: String,
    line: String,
    /// Lines after the main one: what it means, what comes next.
    more: Vec<String>,
    link_text: &'static str,
    url: String,
    /// A vote's own page, linked before the main link (a stage alert that says its vote).
    vote_url: Option<String>,
}

fn parts(event: &Event, url: &str, today: NaiveDate) -> Parts {
    let mut more = Vec::new();
    let meaning = match event.kind {
        EventKind::RoyalAssent => Some(ROYAL_ASSENT_MEANS),
        EventKind::StageReached | EventKind::StageScheduled | EventKind::TrackingStarted
            if event.first_of_its_kind || event.kind == EventKind::TrackingStarted =>
        {
            event.stage.as_ref().and_then(|s| explanation(s.kind()))
        }
        _ => None,
    };
    if let Some(m) = meaning {
        more.push(format!("What this means: {m}"));
    }
    if let Some(long) = &event.long_title {
        more.push(long.clone());
    }
    if let Some(sponsor) = event.sponsor.as_ref().and_then(sponsor_line) {
        more.push(sponsor);
    }
    let mut vote_url = None;
    match (event.kind, event.votes.as_slice()) {
        (EventKind::Division, _) => more.extend(votes::more_lines(event)),
        (_, []) => {}
        (_, joined) => {
            more.extend(joined.iter().map(votes::joined_line));
            vote_url = votes::reading(joined).map(|v| v.division.url());
        }
    }
    if let Some(next) = &event.next {
        more.push(format!("Next: {}.", next_phrase(next, today)));
    }
    // A document links to itself, when Parliament gives where to read it; a vote to its page.
    let (link_text, url) = match event.document.as_ref().and_then(|d| d.url.as_deref()) {
        Some(document) => ("Read it", document.to_owned()),
        None => match votes::single_url(event) {
            Some(division) => ("See the vote", division),
            None => ("Stages of this bill", url.to_owned()),
        },
    };
    Parts {
        title: event.title.clone(),
        line: main_line(event, today),
        more,
        link_text,
        url,
        vote_url,
    }
}

/// The line that says what happened.
fn main_line(event: &Event, today: NaiveDate) -> String {
    let stage = event.stage.as_ref().map(stage_phrase);
    let stage = stage.as_deref().unwrap_or("a stage");
    let when = |d: Option<NaiveDate>| match d {
        Some(d) => date_phrase(d, today),
        None => "date to be announced".to_owned(),
    };
    match event.kind {
        EventKind::TrackingStarted => match (&event.stage, event.date) {
            (Some(_), Some(d)) => format!(
                "Now tracking this bill. Latest stage: {stage}, {}.",
                date_phrase(d, today)
            ),
            (Some(_), None) => format!("Now tracking this bill. Current stage: {stage}."),
            (None, _) => "Now tracking this bill.".to_owned(),
        },
        // "Lords amendments considered by the Commons, round 2, on 19 November 2025."
        EventKind::StageReached => reached_line(event, stage, today),
        EventKind::StageScheduled => format!("Scheduled: {stage}, {}.", when(event.date)),
        EventKind::StageRescheduled => match (event.date, event.previous_date) {
            (Some(d), Some(was)) => format!(
                "Date changed: {stage} moved from {} to {}.",
                long_date(was),
                date_phrase(d, today)
            ),
            (None, Some(was)) => format!(
                "Date withdrawn: {stage} was expected on {}; the new date is to be announced.",
                long_date(was)
            ),
            (d, None) => format!("Date changed: {stage}, {}.", when(d)),
        },
        EventKind::SittingAdded => format!("Another day of {stage}: {}.", when(event.date)),
        EventKind::RoyalAssent => {
            let now_called = match &event.previous_title {
                Some(_) => format!("now the {}", event.title),
                None => "the bill is now an Act of Parliament (law)".to_owned(),
            };
            match event.date {
                Some(d) => format!("Royal Assent: {now_called}. Granted {}.", long_date(d)),
                None => format!("Royal Assent: {now_called}."),
            }
        }
        EventKind::Withdrawn => match event.date {
            Some(d) => format!(
                "Withdrawn on {}: the bill will go no further.",
                long_date(d)
            ),
            None => "Withdrawn: the bill will go no further.".to_owned(),
        },
        EventKind::Defeated => {
            "Defeated: the bill was voted down and will go no further.".to_owned()
        }
        EventKind::Renamed => match &event.previous_title {
            Some(old) => format!("Renamed: formerly the {old}."),
            None => "Renamed.".to_owned(),
        },
        EventKind::DocumentPublished => document_line(event),
        EventKind::Division => votes::division_line(event, stage),
        EventKind::BillIntroduced => introduced_line(event, today),
    }
}

/// Who brought a bill in: "Sponsor: John Healey (Labour), Ministry of Defence.", "Sponsor:
/// Kevin Hollinrake (Conservative).", "Sponsor: Ministry of Defence."; `None` when it names
/// no one.
fn sponsor_line(sponsor: &Sponsor) -> Option<String> {
    let member = sponsor.member.as_deref().map(|name| match &sponsor.party {
        Some(party) => format!("{name} ({party})"),
        None => name.to_owned(),
    });
    let parts: Vec<String> = member
        .into_iter()
        .chain(sponsor.organisation.clone())
        .collect();
    (!parts.is_empty()).then(|| format!("Sponsor: {}.", parts.join(", ")))
}

/// "New bill: introduced in the House of Commons (1st reading) on 5 March 2025."
fn introduced_line(event: &Event, today: NaiveDate) -> String {
    let place = match &event.stage {
        Some(s) => match s.house {
            House::Commons | House::Lords => {
                format!(" in the {} ({})", s.house.long_name(), s.name)
            }
            House::Unassigned | House::All => format!(" ({})", s.name),
        },
        None => String::new(),
    };
    match event.date {
        Some(d) => format!("New bill: introduced{place} on {}.", date_phrase(d, today)),
        None => format!("New bill: introduced{place}."),
    }
}

/// "New document (Bill): “Bill 173 2024-25 (as amended in Public Bill Committee)”, published
/// 13 March 2025 by the House of Commons."
fn document_line(event: &Event) -> String {
    let Some(d) = &event.document else {
        return "New document published.".to_owned();
    };
    let mut line = format!("New document ({}): “{}”", d.kind, d.title);
    if let Some(date) = d.date {
        line.push_str(&format!(", published {}", long_date(date)));
    }
    if let Some(house @ (House::Commons | House::Lords)) = d.house {
        line.push_str(&format!(" by the {}", house.long_name()));
    }
    line.push('.');
    line
}

/// "2nd reading in the House of Commons took place on 10 February 2025."; a round of ping-pong
/// as "Lords amendments considered by the Commons, round 2, on 19 November 2025."
fn reached_line(event: &Event, stage: &str, today: NaiveDate) -> String {
    let stage = capitalise_first(stage);
    if event.stage.as_ref().is_some_and(|s| s.round.is_some()) {
        return match event.date {
            Some(d) if d < today => format!("{stage}, on {}.", long_date(d)),
            Some(d) => format!("{stage}, today, {}.", long_date(d)),
            None => format!("{stage}: under way."),
        };
    }
    match event.date {
        Some(d) if d < today => format!("{stage} took place on {}.", long_date(d)),
        Some(d) => format!("{stage} is taking place today, {}.", long_date(d)),
        None => format!("{stage} has started."),
    }
}

const ROYAL_ASSENT_MEANS: &str =
    "the monarch has formally agreed to the bill, which makes it an Act of Parliament: law.";

/// One line on what a kind of stage is, for someone who does not follow Parliament.
pub fn explanation(kind: StageKind) -> Option<&'static str> {
    Some(match kind {
        StageKind::FirstReading => {
            "the bill is formally introduced and printed; there is no debate yet."
        }
        StageKind::SecondReading => {
            "the first debate on the bill's main ideas, usually ending in a vote."
        }
        StageKind::Committee => {
            "the bill is examined line by line and changes (amendments) are voted on."
        }
        StageKind::Report => {
            "the whole House looks at the bill as changed in committee and can change it further."
        }
        StageKind::ThirdReading => "the final look at the bill in this House before it moves on.",
        StageKind::PingPong => {
            "each House considers the other's changes, back and forth (\"ping-pong\"), until both agree on every word."
        }
        StageKind::RoyalAssent => ROYAL_ASSENT_MEANS,
        StageKind::Procedural | StageKind::CarryOver | StageKind::Other | StageKind::Unknown => {
            return None;
        }
    })
}

/// "Committee stage in the House of Lords, 16 June 2025 (provisional)".
fn next_phrase(next: &NextStep, today: NaiveDate) -> String {
    let mut s = match next.house {
        Some(house) => format!("{} in the {}", lower_first(&next.name), house.long_name()),
        None => next.name.clone(),
    };
    if let Some(d) = next.date {
        s.push_str(", ");
        s.push_str(&date_phrase(d, today));
    }
    capitalise_first(&s)
}

/// "Committee stage" reads as "committee stage" mid-sentence; "1st reading" stays.
fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// What a person reads on the console or in `--json`'s `text`.
pub fn render_text(event: &Event, url: &str, today: NaiveDate) -> String {
    let p = parts(event, url, today);
    let mut out = format!("{}\n{}\n", p.title, p.line);
    for line in &p.more {
        out.push_str(line);
        out.push('\n');
    }
    if let Some(vote) = &p.vote_url {
        out.push_str(&format!("See the vote: {vote}\n"));
    }
    out.push_str(&format!("{}: {}", p.link_text, p.url));
    out
}

/// The Telegram HTML form: bold title, the line, a link. At most [`TELEGRAM_LIMIT`] long, so
/// Telegram never refuses it for its length.
pub fn render_html(event: &Event, url: &str, today: NaiveDate) -> String {
    render_html_within(event, url, today, TELEGRAM_LIMIT)
}

/// [`render_html`] in at most `limit` UTF-16 units (of markup included, so of visible text
/// too): when too long, Parliament's text (the title, the lines) is shortened with an ellipsis,
/// never the markup.
pub fn render_html_within(event: &Event, url: &str, today: NaiveDate, limit: usize) -> String {
    let mut p = parts(event, url, today);
    let mut html = html_of(&p);
    for _ in 0..8 {
        let len = telegram_len(&html);
        if len <= limit {
            return html;
        }
        // Shorten the longest piece of text by what is over, and a little for its escaping.
        let over = len - limit;
        let mut pieces: Vec<&mut String> = vec![&mut p.title, &mut p.line];
        pieces.extend(p.more.iter_mut());
        let Some(longest) = pieces.into_iter().max_by_key(|t| telegram_len(t)) else {
            break;
        };
        let keep = telegram_len(longest).saturating_sub(over + over / 4 + 1);
        *longest = crate::telegram_text::fit(longest, keep).into_owned();
        html = html_of(&p);
    }
    // Still too long (a link longer than a message): the link and the lines go.
    p.more.clear();
    p.url.clear();
    p.vote_url = None;
    p.line = crate::telegram_text::fit(&p.line, limit / 4).into_owned();
    p.title = crate::telegram_text::fit(&p.title, limit / 4).into_owned();
    html_of(&p)
}

fn html_of(p: &Parts) -> String {
    let mut out = format!(
        "<b>{}</b>\n{}\n",
        escape_html(&p.title),
        escape_html(&p.line)
    );
    for line in &p.more {
        out.push_str(&escape_html(line));
        out.push('\n');
    }
    if let Some(vote) = &p.vote_url {
        out.push_str(&format!(
            "<a href=\"{}\">See the vote</a>\n",
            escape_html(vote)
        ));
    }
    if !p.url.is_empty() {
        out.push_str(&format!(
            "<a href=\"{}\">{}</a>",
            escape_html(&p.url),
            p.link_text
        ));
    }
    out
}

/// "2nd reading in the House of Lords"; ping-pong as "Lords amendments considered by the
/// Commons, round 2"; Royal Assent alone.
pub fn stage_phrase(stage: &StageRef) -> String {
    if stage.kind() == StageKind::PingPong
        && let Some(other) = stage.house.other()
    {
        let round = stage
            .round
            .map(|r| format!(", round {r}"))
            .unwrap_or_default();
        return format!(
            "{other} amendments considered by the {}{round}",
            stage.house
        );
    }
    match stage.house {
        House::Commons | House::Lords => {
            format!("{} in the {}", stage.name, stage.house.long_name())
        }
        House::Unassigned | House::All => stage.name.clone(),
    }
}

/// "10 February 2025", and for a future day "10 February 2025 (provisional)".
fn date_phrase(d: NaiveDate, today: NaiveDate) -> String {
    if d > today {
        format!("{} (provisional)", long_date(d))
    } else {
        long_date(d)
    }
}

/// "10 February 2025".
pub fn long_date(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

fn capitalise_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Escapes text for Telegram's HTML parse mode (`&`, `<`, `>`, `"`).
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// The live status card of a bill (Telegram HTML): the title, progress through both Houses
/// (✅ done, ▶️ current, ▫️ to come), the current stage and its date, the bill's `latest` vote
/// (with a link to it), the next scheduled stage, and a link. Pure: the same snapshot, vote and
/// day give the same text, so an unchanged bill is never edited.
pub fn card_html(
    snapshot: &Snapshot,
    latest: Option<&crate::division::Vote>,
    url: &str,
    today: NaiveDate,
) -> String {
    let current = snapshot.latest_major(today);
    let assented = snapshot.has_royal_assent(today);
    // The rest of a card is a few hundred characters: a title of 2,000 keeps it in one message.
    let title = crate::telegram_text::fit(&snapshot.bill.title, 2000);
    let mut out = format!("<b>{}</b>\n", escape_html(&title));
    out.push_str(&card_progress(snapshot, current, today));
    out.push_str(if assented {
        "<b>Royal Assent</b>: ✅ now an Act of Parliament\n"
    } else {
        "<b>Royal Assent</b>: ▫️\n"
    });
    if snapshot.bill.withdrawn.is_some() {
        out.push_str("Withdrawn: the bill will go no further.\n");
    } else if snapshot.bill.defeated {
        out.push_str("Defeated: the bill will go no further.\n");
    }
    if let Some(c) = current {
        let since = c.first_sitting().map(long_date).unwrap_or_default();
        out.push_str(&format!(
            "Now: {} (since {})\n",
            escape_html(&capitalise_first(&stage_phrase(&StageRef::of(snapshot, c)))),
            since
        ));
    }
    if let Some(vote) = latest {
        let stage = snapshot.stage(vote.stage).map(|s| s.name.as_str());
        out.push_str(&format!(
            "{} (<a href=\"{}\">the vote</a>)\n",
            escape_html(&latest_vote_line(vote, stage)),
            escape_html(&vote.division.url())
        ));
    }
    // What comes next: the stage Parliament has scheduled, else the usual next step.
    match current.and_then(|c| crate::changes::next_step(snapshot, c, today)) {
        Some(next) => {
            let when = match next.date {
                Some(d) => format!(", {}", date_phrase(d, today)),
                None => " (no date yet)".to_owned(),
            };
            let mut phrase = next_phrase(&NextStep { date: None, ..next }, today);
            phrase.push_str(&when);
            out.push_str(&format!("Next: {}\n", escape_html(&phrase)));
        }
        None if !assented => out.push_str("Next: no date announced yet\n"),
        None => {}
    }
    out.push_str(&format!(
        "<a href=\"{}\">Stages of this bill</a>",
        escape_html(url)
    ));
    out
}

/// The card's progress lines: each House's steps, then the rounds of ping-pong.
fn card_progress(
    snapshot: &Snapshot,
    current: Option<&crate::bill::Stage>,
    today: NaiveDate,
) -> String {
    let origin = snapshot.origin().unwrap_or(House::Commons);
    let houses = [origin, origin.other().unwrap_or(House::Lords)];
    let reached = |house: House, step: usize| {
        snapshot
            .stages
            .iter()
            .any(|s| s.house == house && s.kind().step() == Some(step) && s.reached_by(today))
    };
    let mut out = String::new();
    for house in houses {
        let marks: Vec<String> = STEPS
            .iter()
            .enumerate()
            .map(|(i, (_, label))| {
                let is_current =
                    current.is_some_and(|c| c.house == house && c.kind().step() == Some(i));
                let mark = if is_current {
                    "▶️"
                } else if reached(house, i) {
                    "✅"
                } else {
                    "▫️"
                };
                format!("{mark} {label}")
            })
            .collect();
        out.push_str(&format!("<b>{house}</b>: {}\n", marks.join(" · ")));
    }
    let rounds = snapshot.ping_pong_rounds(today);
    if rounds > 0 {
        out.push_str(&format!(
            "<b>Ping-pong</b>: {rounds} round(s) of amendments considered\n"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::changes::EventKind;

    /// A title whose escaped HTML passes Telegram's limit is shortened, never cut in its markup.
    #[test]
    fn a_huge_title_is_shortened_not_its_markup() {
        let event = Event {
            bill_id: 1,
            kind: EventKind::Withdrawn,
            title: "Bill & <b> \"quoted\" ".repeat(600),
            stage: None,
            date: None,
            previous_date: None,
            previous_title: None,
            next: None,
            first_of_its_kind: false,
            document: None,
            votes: Vec::new(),
            long_title: None,
            sponsor: None,
        };
        let today = NaiveDate::from_ymd_opt(2025, 2, 1).expect("day");
        let html = render_html(&event, "https://bills.parliament.uk/bills/1/stages", today);
        assert!(
            telegram_len(&html) <= TELEGRAM_LIMIT,
            "{}",
            telegram_len(&html)
        );
        assert!(
            html.starts_with("<b>") && html.contains("…</b>\n"),
            "{html}"
        );
        assert!(html.ends_with("\">Stages of this bill</a>"), "{html}");
        assert_eq!(html.matches("<b>").count(), 1);
        assert!(!html.contains("&am…") && !html.contains("&lt…"));
        let short = render_html_within(&event, "https://x.test/", today, 500);
        assert!(telegram_len(&short) <= 500);
    }
}
