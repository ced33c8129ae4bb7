//! The dates the website shows, as people write them: "11 November 2020", "From 6 April 2022",
//! "Wednesday 11 November 2020", "Date to be announced".

use chrono::NaiveDate;

/// How a stage's date is shown on the list page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListedDate {
    /// One sitting, on this day.
    On(NaiveDate),
    /// Several sittings, the first on this day: the detail page has them all.
    From(NaiveDate),
    /// "Date to be announced".
    ToBeAnnounced,
}

/// The first "11 November 2020" in a text (also "6 April 2022", "Wednesday 11 November 2020").
pub fn parse_page_date(text: &str) -> Option<NaiveDate> {
    match parse_listed_date(text)? {
        ListedDate::On(d) | ListedDate::From(d) => Some(d),
        ListedDate::ToBeAnnounced => None,
    }
}

/// "11 November 2020", "From 6 April 2022" or "Date to be announced", anywhere in `text`.
pub(super) fn parse_listed_date(text: &str) -> Option<ListedDate> {
    if text.to_ascii_lowercase().contains("to be announced") {
        return Some(ListedDate::ToBeAnnounced);
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    for (start, window) in words.windows(3).enumerate() {
        // Cheap tests first: a day number, a month name, a year.
        let [day, month, year] = window else { continue };
        let year = year.trim_end_matches([',', '.', ')']);
        let (Ok(day), Some(month), Ok(year)) =
            (day.parse::<u32>(), month_number(month), year.parse::<i32>())
        else {
            continue;
        };
        if let Some(date) = NaiveDate::from_ymd_opt(year, month, day) {
            let from = start > 0 && words[start - 1].eq_ignore_ascii_case("from");
            return Some(if from {
                ListedDate::From(date)
            } else {
                ListedDate::On(date)
            });
        }
    }
    None
}

fn month_number(name: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    MONTHS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(name))
        .map(|i| i as u32 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_the_forms_the_site_uses() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
        assert_eq!(parse_page_date("11 November 2020"), d("2020-11-11"));
        assert_eq!(
            parse_page_date("Sitting 6 April 2022 - Debate"),
            d("2022-04-06")
        );
        assert_eq!(
            parse_listed_date("From 6 April 2022"),
            d("2022-04-06").map(ListedDate::From)
        );
        assert_eq!(
            parse_listed_date("Date to be announced"),
            Some(ListedDate::ToBeAnnounced)
        );
        assert_eq!(parse_listed_date("Commons"), None);
    }
}
