//! Fitting text into Telegram messages: lengths as Telegram counts them, one text cut to the
//! limit, and many pieces packed into as few messages as the limit allows. Pure.
//!
//! Both kinds of long text go through [`pack`]: a digest of alerts (split between alerts) and a
//! long reply to a command (split between lines).

use std::borrow::Cow;
use std::ops::Range;

/// Telegram's limit on one message, in characters (UTF-16 code units, to be safe).
pub const TELEGRAM_LIMIT: usize = 4096;

/// Between two alerts of a digest.
const ALERT_SEPARATOR: &str = "\n\n";

/// Telegram counts message length in UTF-16 code units.
pub fn telegram_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// The text as it is when it fits in `limit`; otherwise cut, with an ellipsis, to fit.
pub fn fit(text: &str, limit: usize) -> Cow<'_, str> {
    if telegram_len(text) <= limit {
        return Cow::Borrowed(text);
    }
    let mut out = String::new();
    let mut len = 0;
    for c in text.chars() {
        // Room for this character and the ellipsis (one unit).
        if len + c.len_utf16() + 1 > limit {
            break;
        }
        out.push(c);
        len += c.len_utf16();
    }
    out.push('…');
    Cow::Owned(out)
}

/// Packs `pieces`, in order, into as few messages of at most `limit` UTF-16 units as it can,
/// joined by `separator` and split only between pieces. Each message comes with the range of
/// pieces it holds; together the ranges cover every piece.
///
/// A piece is never cut here (see [`fit`]): one longer than `limit` is a message of its own. An
/// empty text is followed by no separator, so a message never starts with one.
pub fn pack<I>(pieces: I, separator: &str, limit: usize) -> Vec<(String, Range<usize>)>
where
    I: IntoIterator,
    I::Item: AsRef<str>,
{
    let separator_len = telegram_len(separator);
    // (text, its length in UTF-16 units, the pieces it holds)
    let mut out: Vec<(String, usize, Range<usize>)> = Vec::new();
    for (i, piece) in pieces.into_iter().enumerate() {
        let piece = piece.as_ref();
        let len = telegram_len(piece);
        match out.last_mut() {
            Some((text, text_len, range)) if text.is_empty() => {
                text.push_str(piece);
                *text_len = len;
                range.end = i + 1;
            }
            Some((text, text_len, range)) if *text_len + separator_len + len <= limit => {
                text.push_str(separator);
                text.push_str(piece);
                *text_len += separator_len + len;
                range.end = i + 1;
            }
            _ => out.push((piece.to_owned(), len, i..i + 1)),
        }
    }
    out.into_iter()
        .map(|(text, _, range)| (text, range))
        .collect()
}

/// Joins rendered messages into as few digests as fit under `limit`, split only between messages.
/// A single message over the limit is cut (with an ellipsis) rather than dropped.
pub fn digests(messages: &[String], limit: usize) -> Vec<(String, Range<usize>)> {
    pack(
        messages.iter().map(|m| fit(m, limit)),
        ALERT_SEPARATOR,
        limit,
    )
}

/// Splits text between lines into pieces of at most `limit` UTF-16 units (a single longer line
/// stays whole); blank lines that would start a piece are left out.
pub fn split_lines(text: &str, limit: usize) -> Vec<String> {
    pack(text.lines(), "\n", limit)
        .into_iter()
        .map(|(text, _)| text)
        .filter(|text| !text.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(packed: &[(String, Range<usize>)]) -> Vec<&str> {
        packed.iter().map(|(t, _)| t.as_str()).collect()
    }

    #[test]
    fn lengths_are_counted_as_telegram_counts_them() {
        assert_eq!(telegram_len("abc"), 3);
        assert_eq!(telegram_len("é"), 1);
        assert_eq!(telegram_len("✅"), 1);
        assert_eq!(telegram_len("🗓"), 2, "outside the BMP: two UTF-16 units");
    }

    #[test]
    fn fit_leaves_short_texts_alone_and_cuts_long_ones_with_an_ellipsis() {
        assert!(matches!(fit("hello", 5), Cow::Borrowed("hello")));
        assert_eq!(fit("hello world", 6), "hello…");
        // A character of two units is not split in half.
        assert_eq!(fit("ab🗓cd", 4), "ab…");
        assert_eq!(fit("ab🗓cd", 5), "ab🗓…");
        assert!(telegram_len(&fit(&"x".repeat(5000), TELEGRAM_LIMIT)) <= TELEGRAM_LIMIT);
    }

    #[test]
    fn pack_fills_each_message_and_splits_only_between_pieces() {
        let packed = pack(["aaaa", "bbbb", "cccc", "dd"], "--", 10);
        assert_eq!(
            packed,
            [
                ("aaaa--bbbb".to_owned(), 0..2),
                ("cccc--dd".to_owned(), 2..4)
            ]
        );
        assert!(pack(Vec::<String>::new(), "--", 10).is_empty());
    }

    #[test]
    fn pack_gives_an_overlong_piece_a_message_of_its_own() {
        let packed = pack(["ab", "0123456789xyz", "cd"], "\n", 10);
        assert_eq!(texts(&packed), ["ab", "0123456789xyz", "cd"]);
        assert_eq!(packed[1].1, 1..2);
    }

    #[test]
    fn digests_hold_whole_alerts_and_cut_only_an_oversized_one() {
        let alerts = vec!["a".repeat(3000), "b".repeat(1100), "c".repeat(5000)];
        let parts = digests(&alerts, TELEGRAM_LIMIT);
        assert_eq!(parts.len(), 3, "3000 + 2 + 1100 is over the limit");
        assert_eq!(parts[0].0.len(), 3000);
        assert_eq!(parts[1], ("b".repeat(1100), 1..2));
        assert_eq!(parts[2].1, 2..3);
        assert_eq!(telegram_len(&parts[2].0), TELEGRAM_LIMIT);
        assert!(parts[2].0.ends_with('…'));
        let two = digests(&["one".to_owned(), "two".to_owned()], TELEGRAM_LIMIT);
        assert_eq!(two, [("one\n\ntwo".to_owned(), 0..2)]);
    }

    #[test]
    fn split_lines_breaks_between_lines() {
        let text = "first line\nsecond line\nthird";
        assert_eq!(split_lines(text, 100), [text]);
        assert_eq!(split_lines(text, 22), ["first line\nsecond line", "third"]);
        assert_eq!(split_lines(text, 5), ["first line", "second line", "third"]);
    }

    #[test]
    fn split_lines_keeps_blank_lines_inside_a_piece_only() {
        assert_eq!(split_lines("a\n\nb", 100), ["a\n\nb"]);
        assert_eq!(split_lines("\n\na\nb", 100), ["a\nb"]);
        assert_eq!(split_lines("aaaa\n\nbbbb", 4), ["aaaa", "bbbb"]);
        assert_eq!(split_lines("aaaa\n\nbbbb", 5), ["aaaa\n", "bbbb"]);
        assert_eq!(split_lines("", 100), Vec::<String>::new());
        assert_eq!(split_lines("\n\n", 100), Vec::<String>::new());
    }

    /// The two splitters [`pack`] replaced (the old `digests` and `split_lines`), as
    /// they were, to show that nothing a user sees changed.
    mod before {
        use super::*;

        pub fn split_lines(text: &str, limit: usize) -> Vec<String> {
            let mut out: Vec<String> = Vec::new();
            let mut current = String::new();
            for line in text.lines() {
                if !current.is_empty() && telegram_len(&current) + 1 + telegram_len(line) > limit {
                    out.push(std::mem::take(&mut current));
                }
                if !current.is_empty() {
                    current.push('\n');
                }
                current.push_str(line);
            }
            if !current.is_empty() {
                out.push(current);
            }
            out
        }

        pub fn digests(messages: &[String], limit: usize) -> Vec<(String, Range<usize>)> {
            let mut out: Vec<(String, usize, Range<usize>)> = Vec::new();
            for (i, message) in messages.iter().enumerate() {
                let mut len = telegram_len(message);
                let message = if len > limit {
                    let cut = truncate(message, limit);
                    len = telegram_len(&cut);
                    cut
                } else {
                    message.clone()
                };
                match out.last_mut() {
                    Some((text, text_len, range)) if *text_len + 2 + len <= limit => {
                        text.push_str("\n\n");
                        text.push_str(&message);
                        *text_len += 2 + len;
                        range.end = i + 1;
                    }
                    _ => out.push((message, len, i..i + 1)),
                }
            }
            out.into_iter().map(|(t, _, r)| (t, r)).collect()
        }

        fn truncate(s: &str, limit: usize) -> String {
            let mut out = String::new();
            for c in s.chars() {
                if telegram_len(&out) + c.len_utf16() + 1 > limit {
                    break;
                }
                out.push(c);
            }
            out.push('…');
            out
        }
    }

    #[test]
    fn same_output_as_the_two_splitters_it_replaced() {
        let mut rng = fastrand::Rng::with_seed(4096);
        let words = ["a", "bb", "ccc ddd", "", "✅ é", "🗓 x", "&amp;", "\r"];
        for _ in 0..3000 {
            let lines: Vec<String> = (0..rng.usize(0..12))
                .map(|_| {
                    let n = rng.usize(0..6);
                    let line: Vec<&str> = (0..n).map(|_| words[rng.usize(..words.len())]).collect();
                    line.join(" ")
                })
                .collect();
            let limit = rng.usize(1..40);
            let text = lines.join("\n");
            assert_eq!(
                split_lines(&text, limit),
                before::split_lines(&text, limit),
                "{text:?} in {limit}"
            );
            // Rendered alerts are never empty.
            let alerts: Vec<String> = lines.into_iter().filter(|l| !l.is_empty()).collect();
            assert_eq!(
                digests(&alerts, limit),
                before::digests(&alerts, limit),
                "{alerts:?} in {limit}"
            );
        }
    }
}
