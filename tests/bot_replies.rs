//! The bot's replies, as pure functions of what was typed, who typed it and what is stored:
//! `bot::respond` over a hand-made [`View`], no Telegram and no database.

use billwatch::bill::Snapshot;
use billwatch::bot::{Asker, Reply, View, respond};
use chrono::NaiveDate;

const OPERATOR: Asker = Asker {
    user: Some(1001),
    operator: true,
};
const STRANGER: Asker = Asker {
    user: Some(42),
    operator: false,
};

fn today() -> NaiveDate {
    "2025-11-20".parse().expect("date")
}

fn url(id: u32) -> String {
    format!("https://bills.parliament.uk/bills/{id}/stages")
}

/// The Border Security bill as it stood on 20 November 2025, from the saved API answers.
fn border_security() -> Snapshot {
    let read = |name: &str| {
        std::fs::read(format!(
            "{}/tests/fixtures/api/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .expect("fixture")
    };
    let mut bill = billwatch::source::api::parse_bill(&read("bill-3929.json")).expect("bill");
    bill.is_act = false;
    bill.title = "Border Security, Asylum and Immigration Bill".into();
    let stages = billwatch::source::api::parse_stages(&read("bill-3929-stages.json"))
        .expect("stages")
        .stages;
    Snapshot::new(bill, stages)
}

/// Three bills followed: Border Security, another with "Border" in its title, and one that was
/// never checked.
fn view() -> View {
    let border = border_security();
    let mut other = border.clone();
    other.bill.id = 4001;
    other.bill.title = "Border Controls (Wales) Bill".into();
    View {
        bills: vec![
            (3929, Some(border), url(3929)),
            (4001, Some(other), url(4001)),
            (5000, None, url(5000)),
        ],
        pending: 2,
        blocked: 1,
        ..View::default()
    }
}

fn ask(text: &str, asker: Asker) -> Reply {
    respond(text, asker, &view(), today())
}

fn html(text: &str, asker: Asker) -> String {
    ask(text, asker).html
}

#[test]
fn start_and_help_say_what_the_bot_does() {
    let help = html("/help", STRANGER);
    assert!(
        help.starts_with("I follow bills in the UK Parliament"),
        "{help}"
    );
    assert!(help.contains("/bills — every bill I follow"), "{help}");
    assert!(help.contains("/whoami — your Telegram user id\n"), "{help}");
    assert!(
        !help.contains("/status"),
        "not offered to strangers: {help}"
    );
    assert_eq!(
        html("  /HELP@billwatch_bot  ", STRANGER),
        help,
        "groups add the bot's name"
    );

    let operator = html("/help", OPERATOR);
    assert!(operator.starts_with(&help), "{operator}");
    assert!(
        operator.ends_with("For operators:\n/status — last check, failing sources, alerts waiting\n/check — check now"),
        "{operator}"
    );
}

/// `/start` also tells people their Telegram user id, which an operator needs for
/// `telegram.operators`; `/whoami` tells anyone, and whether they are an operator.
#[test]
fn start_and_whoami_tell_people_their_user_id() {
    let start = html("/start", STRANGER);
    assert_eq!(
        start,
        format!(
            "{}\n\nYour Telegram user id is <code>42</code> (for <code>telegram.operators</code>).",
            html("/help", STRANGER)
        )
    );
    assert_eq!(
        html("/whoami", STRANGER),
        "Your Telegram user id is <code>42</code> (for <code>telegram.operators</code>).\n\
         To make someone an operator (/status, /check), list their id in \
         <code>telegram.operators</code> in billwatch's config."
    );
    assert_eq!(
        html("/whoami@billwatch_bot", OPERATOR),
        "Your Telegram user id is <code>1001</code> (for <code>telegram.operators</code>).\n\
         You are an operator of this bot: /status and /check are yours."
    );
    let nobody = Asker {
        user: None,
        operator: false,
    };
    assert!(
        html("/whoami", nobody)
            .starts_with("Telegram did not say who sent this, so I cannot tell your user id."),
    );
}

#[test]
fn bills_lists_every_bill_followed_and_where_it_stands() {
    let bills = html("/bills", STRANGER);
    assert!(bills.starts_with("<b>The bills I follow</b>\n"), "{bills}");
    assert!(
        bills.contains("<b>Border Security, Asylum and Immigration Bill</b> (3929)\nNow: 3rd reading in the House of Lords, 17 November 2025\n"),
        "{bills}"
    );
    assert!(
        bills.contains("<b>Border Controls (Wales) Bill</b> (4001)"),
        "{bills}"
    );
    assert!(
        bills.contains("<b>Bill 5000</b> (5000)\nNot checked yet\n"),
        "{bills}"
    );
    assert!(
        bills.contains(&format!("<a href=\"{}\">Stages</a>", url(3929))),
        "{bills}"
    );
    assert_eq!(
        respond("/bills", STRANGER, &View::default(), today()).html,
        "I am not following any bill yet."
    );
    // A bill a follow rule brought in says which rule.
    let mut followed = view();
    followed.rules = vec![(4001, "Immigration".to_owned())];
    let bills = respond("/bills", STRANGER, &followed, today()).html;
    assert!(
        bills.contains("(4001)\nFollowed by the rule “Immigration”\nNow:"),
        "{bills}"
    );
}

#[test]
fn bill_by_number_or_by_words_of_its_title() {
    let story = html("/bill 3929", STRANGER);
    assert!(
        story.starts_with("<b>Border Security, Asylum and Immigration Bill</b>\n"),
        "{story}"
    );
    assert!(
        story.contains("✅ 30 January 2025: 1st reading in the House of Commons\n"),
        "{story}"
    );
    assert!(
        story.contains("✅ 17 November 2025: 3rd reading in the House of Lords\n"),
        "{story}"
    );
    assert!(
        story.contains(" (provisional): "),
        "future dates are provisional: {story}"
    );
    assert!(
        !story.contains("Programme motion"),
        "procedural stages are left out: {story}"
    );
    assert!(
        story.ends_with(&format!(
            "<a href=\"{}\">All stages on bills.parliament.uk</a>",
            url(3929)
        )),
        "{story}"
    );
    assert_eq!(html("/bill #3929", STRANGER), story);
    assert_eq!(html("/bill asylum", STRANGER), story);
    assert_eq!(html("/bill ASYLUM AND IMMIGRATION", STRANGER), story);
    assert_eq!(
        html("/bill 5000", STRANGER),
        "Bill 5000 has not been checked yet."
    );
}

/// A vote of the bill, from the divisions the store recorded: what `/bill` shows last.
fn third_reading_vote() -> billwatch::division::Vote {
    use billwatch::division::{Counts, Division, Question, Vote};
    let day: NaiveDate = "2025-05-12".parse().expect("date");
    Vote {
        division: Division {
            id: 1890,
            house: billwatch::house::House::Commons,
            date: day,
            time: chrono::NaiveTime::from_hms_opt(21, 40, 0),
            title: "Border Security, Asylum and Immigration Bill: Third Reading".into(),
            number: Some(187),
            deferred: false,
            counts: Counts {
                ayes: 312,
                noes: 158,
            },
            government_won: None,
            notes: None,
        },
        stage: 19022,
        sitting: day,
        question: Question::ThirdReading,
    }
}

#[test]
fn bill_shows_its_latest_vote_with_a_link() {
    let mut view = view();
    view.latest_votes.insert(3929, third_reading_vote());
    let story = respond("/bill 3929", STRANGER, &view, today()).html;
    let line = "Latest vote: 3rd reading, Commons, 12 May 2025: passed, Ayes 312, Noes 158 \
                (<a href=\"https://votes.parliament.uk/Votes/Commons/Division/1890\">the vote</a>)\n";
    assert!(
        story.ends_with(&format!(
            "{line}<a href=\"{}\">All stages on bills.parliament.uk</a>",
            url(3929)
        )),
        "{story}"
    );
    // A bill without a recorded vote says nothing of votes.
    assert!(!html("/bill 3929", STRANGER).contains("Latest vote"));
}

#[test]
fn a_bill_that_is_ambiguous_missing_or_not_named() {
    assert_eq!(
        html("/bill border", STRANGER),
        "Several bills match; which one?\n3929: Border Security, Asylum and Immigration Bill\n4001: Border Controls (Wales) Bill"
    );
    assert_eq!(
        html("/bill 9999", STRANGER),
        "I don't follow a bill matching “9999”. /bills lists the ones I do."
    );
    // Two letters are too few to search titles by.
    assert_eq!(
        html("/bill bo", STRANGER),
        "I don't follow a bill matching “bo”. /bills lists the ones I do."
    );
    assert_eq!(
        html("/bill <b>", STRANGER),
        "I don't follow a bill matching “&lt;b&gt;”. /bills lists the ones I do.",
        "what was typed is escaped"
    );
    assert!(html("/bill", STRANGER).starts_with("Which bill?"));
}

#[test]
fn unknown_commands_and_plain_text_get_the_help() {
    let help = html("/help", STRANGER);
    assert_eq!(
        html("/frobnicate", STRANGER),
        format!("I don't know that command.\n\n{help}")
    );
    assert_eq!(
        html("hello?", STRANGER),
        format!("I answer commands only.\n\n{help}")
    );
}

#[test]
fn operator_commands_are_refused_to_strangers() {
    for command in ["/status", "/check", "/check now"] {
        let reply = ask(command, STRANGER);
        assert_eq!(
            reply.html,
            "Sorry, that command is for the people who run this bot. Try /bills or /next.",
            "{command}"
        );
        assert!(!reply.check_now, "{command}");
    }
}

#[test]
fn status_tells_the_operator_what_is_waiting() {
    let status = html("/status", OPERATOR);
    assert!(status.starts_with("<b>billwatch status</b>\n"), "{status}");
    assert!(
        status.contains("Last check: none finished yet\n"),
        "{status}"
    );
    assert!(
        status.contains("Alerts waiting: 2; blocked: 1\n"),
        "{status}"
    );
    assert!(status.contains("Every source is answering.\n"), "{status}");
}

#[test]
fn check_asks_for_a_check_and_nothing_else_does() {
    let check = ask("/check", OPERATOR);
    assert_eq!(
        check,
        Reply {
            html: "Checking now; any alerts will follow in the channel.".to_owned(),
            check_now: true,
            search: None,
            ask: None,
        }
    );
    for other in [
        "/start",
        "/bills",
        "/bill 3929",
        "/next",
        "/status",
        "/nope",
    ] {
        assert!(!ask(other, OPERATOR).check_now, "{other}");
    }
}

/// A hostile title thousands of characters long: every reply still splits into messages under
/// Telegram's limit, each with its markup whole.
#[test]
fn a_huge_title_never_makes_a_reply_line_too_long() {
    let mut huge = border_security();
    huge.bill.title = "Bill & <b> ".repeat(2000);
    let view = View {
        bills: vec![(3929, Some(huge), url(3929))],
        ..View::default()
    };
    for command in ["/bills", "/bill 3929", "/next"] {
        let reply = respond(
            command,
            STRANGER,
            &view,
            "2025-02-05".parse().expect("date"),
        );
        for chunk in billwatch::telegram_text::split_lines(&reply.html, 4000) {
            assert!(
                billwatch::telegram_text::telegram_len(&chunk) <= 4000,
                "{command}: {}",
                chunk.len()
            );
            assert_eq!(
                chunk.matches("<b>").count(),
                chunk.matches("</b>").count(),
                "{command}"
            );
        }
    }
}

/// `/bills` and `/next` with many bills answer one page, and say how to ask for the next,
/// instead of dozens of messages (1,000 bills once made 39 messages per `/bills`); `/bill`
/// words matching hundreds name ten.
#[test]
fn long_answers_come_a_page_at_a_time() {
    let border = border_security();
    let bills: Vec<_> = (0..1000u32)
        .map(|i| {
            let mut b = border.clone();
            b.bill.id = 10_000 + i;
            (10_000 + i, Some(b), url(10_000 + i))
        })
        .collect();
    let view = View {
        bills,
        ..View::default()
    };
    let one_message = |html: &str| {
        let chunks = billwatch::telegram_text::split_lines(html, 4000);
        assert_eq!(chunks.len(), 1, "{html}");
    };
    // What is scheduled, a page at a time (before: 30 lines, several messages, the rest
    // silently left out).
    let early: NaiveDate = "2025-02-05".parse().expect("date");
    let next = respond("/next", STRANGER, &view, early).html;
    one_message(&next);
    assert_eq!(next.lines().filter(|l| l.contains(" 2025: ")).count(), 15);
    assert!(next.contains("Page 1 of "), "{next}");
    assert!(next.contains("Send /next 2 for more."), "{next}");
    let second = respond("/next 2", STRANGER, &view, early).html;
    assert!(second.contains("Page 2 of ") && second != next, "{second}");
    // Words that match every bill name ten of them, and say how to narrow it.
    let many = respond("/bill border security", STRANGER, &view, today()).html;
    one_message(&many);
    assert_eq!(many.lines().count(), 12, "{many}");
    assert!(
        many.ends_with("... and 990 more: send more words of the title, or the bill's number.")
    );

    let first = respond("/bills", STRANGER, &view, today()).html;
    assert_eq!(first.matches("<a href=").count(), 8);
    assert!(
        first.contains("Page 1 of 125. Send /bills 2 for more."),
        "{first}"
    );
    assert_eq!(billwatch::telegram_text::split_lines(&first, 4000).len(), 1);
    let last = respond("/bills 125", STRANGER, &view, today()).html;
    assert!(
        last.contains("(10999)") && last.contains("Page 125 of 125."),
        "{last}"
    );
    assert!(!last.contains("for more"));
}

/// `/search words` asks for a search (the dispatcher runs it), for anyone; with no words it
/// says how; a very long term is cut before it reaches Parliament.
#[test]
fn search_asks_parliament_for_the_words() {
    assert_eq!(
        ask("/search  border security ", STRANGER),
        Reply {
            html: String::new(),
            check_now: false,
            search: Some("border security".to_owned()),
            ask: None,
        }
    );
    assert!(
        ask("/search", STRANGER)
            .html
            .starts_with("Search for what?")
    );
    let long = ask(&format!("/search {}", "x".repeat(1000)), STRANGER);
    assert_eq!(long.search.map(|s| s.len()), Some(100));
}

#[test]
fn follow_commands_are_asks_for_the_readers_part() {
    use billwatch::bot::Ask;
    assert_eq!(
        ask("/follow  3929 ", STRANGER).ask,
        Some(Ask::Follow("3929".to_owned()))
    );
    assert_eq!(
        ask("/unfollow border security", STRANGER).ask,
        Some(Ask::Unfollow("border security".to_owned()))
    );
    assert_eq!(ask("/mine", STRANGER).ask, Some(Ask::Mine));
    assert_eq!(ask("/forget", STRANGER).ask, Some(Ask::Forget));
    let bare = ask("/follow", STRANGER);
    assert_eq!(bare.ask, None);
    assert!(
        bare.html.starts_with("Which bill? Send /follow"),
        "{}",
        bare.html
    );
    assert_eq!(ask("/unfollow", STRANGER).ask, None);
}
