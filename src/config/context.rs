//! Where a mistake is: every [`ConfigError`] names the file, and where it can the line and the
//! key path (`parliament.timeout`, `bills[1].alerts.stages`).

use std::fmt::Write as _;
use std::ops::Range;
use std::path::Path;

use serde_path_to_error::Segment;

use super::ConfigError;

/// The config text being checked, and the file it came from.
pub(super) struct Context<'a> {
    pub text: &'a str,
    pub path: &'a Path,
}

impl<'a> Context<'a> {
    pub fn new(text: &'a str, path: &'a Path) -> Self {
        Context { text, path }
    }

    /// An error about the value at `span` (`0..0` when there is none, as for a default) under
    /// `key`.
    pub fn error(&self, span: Range<usize>, key: &str, message: impl Into<String>) -> ConfigError {
        ConfigError {
            path: self.path.to_owned(),
            line: (span != (0..0)).then(|| self.line_of(span.start)),
            key: Some(key.to_owned()),
            message: message.into(),
        }
    }

    /// The text is not TOML at all. There is no document to take a key path from, so the key is
    /// read off the line (see [`key_on_line`]); the line itself is exact.
    pub fn syntax_error(&self, e: &toml::de::Error) -> ConfigError {
        let span = e.span();
        ConfigError {
            path: self.path.to_owned(),
            line: span.as_ref().map(|s| self.line_of(s.start)),
            key: span.and_then(|s| key_on_line(self.text, s.start)),
            message: message_of(e),
        }
    }

    /// The text is TOML but not of the config's shape (an unknown key, a wrong type, a missing
    /// key): `at` is where serde was in the document when it failed.
    pub fn shape_error(&self, e: &toml::de::Error, at: &serde_path_to_error::Path) -> ConfigError {
        ConfigError {
            path: self.path.to_owned(),
            line: e.span().map(|s| self.line_of(s.start)),
            key: key_path(at),
            message: message_of(e),
        }
    }

    fn line_of(&self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        self.text[..offset].bytes().filter(|b| *b == b'\n').count() + 1
    }
}

/// The message of a toml error is its last paragraph; the line and key are given apart.
fn message_of(e: &toml::de::Error) -> String {
    let mut message = e.message().trim().to_owned();
    if message.contains("expected a duration") {
        message.push_str(": write it as a string such as \"30s\", \"2m\" or \"1h 30m\"");
    }
    message
}

/// The fields `toml::Spanned` is deserialized through; they are not keys of the file.
const SPANNED_FIELD: &str = "$__serde_spanned_private_";

/// A serde path as the user wrote it in TOML: `bills[0].alerts.bogus`.
fn key_path(at: &serde_path_to_error::Path) -> Option<String> {
    let mut key = String::new();
    for segment in at {
        match segment {
            Segment::Seq { index } => {
                let _ = write!(key, "[{index}]");
            }
            Segment::Map { key: name } if name.starts_with(SPANNED_FIELD) => {}
            Segment::Map { key: name } => {
                if !key.is_empty() {
                    key.push('.');
                }
                push_key(&mut key, name);
            }
            // TOML writes an enum variant as a plain string, never as a key.
            Segment::Enum { .. } => {}
            Segment::Unknown => break,
        }
    }
    (!key.is_empty()).then_some(key)
}

/// Appends one key, quoted as TOML would need it when it is not a bare key.
fn push_key(out: &mut String, name: &str) {
    let bare = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        out.push_str(name);
    } else {
        let _ = write!(out, "{name:?}");
    }
}

/// The best guess at the key on the line holding `offset`, for text that is not TOML: the table
/// header above it (`bills[2]` for the third `[[bills]]`) and the name before `=`.
fn key_on_line(text: &str, offset: usize) -> Option<String> {
    let offset = offset.min(text.len());
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let line = text[line_start..line_end].trim();
    if line.starts_with('[') {
        return table_at(&text[..line_end]);
    }
    let name = line
        .split_once('=')
        .map(|(k, _)| k.trim().trim_matches('"'));
    match (table_at(&text[..line_start]), name) {
        (Some(table), Some(name)) => Some(format!("{table}.{name}")),
        (None, Some(name)) => Some(name.to_owned()),
        (table, None) => table,
    }
}

/// The table the end of `text` is in, from the last header: `parliament`, or `bills[1]` when it
/// is the second `[[bills]]`.
fn table_at(text: &str) -> Option<String> {
    let headers: Vec<(&str, bool)> = text.lines().filter_map(header).collect();
    let &(name, is_array) = headers.last()?;
    if !is_array {
        return Some(name.to_owned());
    }
    let index = headers.iter().filter(|h| **h == (name, true)).count() - 1;
    Some(format!("{name}[{index}]"))
}

/// A table header's name, and whether it is an array of tables (`[[bills]]`).
fn header(line: &str) -> Option<(&str, bool)> {
    let line = line.trim();
    if let Some(rest) = line.strip_prefix("[[") {
        return Some((rest.split("]]").next()?.trim(), true));
    }
    let rest = line.strip_prefix('[')?;
    Some((rest.split(']').next()?.trim(), false))
}

#[cfg(test)]
mod tests {
    use super::super::Config;
    use super::*;

    /// The line and key of the error `text` gives.
    fn place(text: &str) -> (Option<usize>, Option<String>) {
        let e = Config::parse(text, Path::new("test.toml")).expect_err("the config is wrong");
        (e.line, e.key)
    }

    fn at(line: usize, key: &str) -> (Option<usize>, Option<String>) {
        (Some(line), Some(key.to_owned()))
    }

    #[test]
    fn an_unknown_key_in_a_table_is_named_by_its_path() {
        let text = "[parliament]\nretries = 2\nbogus = 1\n";
        assert_eq!(place(text), at(3, "parliament.bogus"));
    }

    #[test]
    fn an_unknown_top_level_key_or_table_is_named() {
        assert_eq!(place("bogus = 1\n"), at(1, "bogus"));
        assert_eq!(place("[[bills]]\nid = 1\n[bogus]\nx = 1\n"), at(3, "bogus"));
    }

    #[test]
    fn a_key_in_an_array_of_tables_is_named_with_its_index() {
        let first = "[[bills]]\nid = 1\nbogus_key = 1\n[[bills]]\nid = 2\n";
        assert_eq!(place(first), at(3, "bills[0].bogus_key"));
        let second = "[[bills]]\nid = 1\n[[bills]]\nid = 2\nbogus_key = 1\n";
        assert_eq!(place(second), at(5, "bills[1].bogus_key"));
        let third = "[[bills]]\nid = 1\n[[bills]]\nid = 2\n[[bills]]\nid = 3\nbogus_key = 1\n";
        assert_eq!(place(third), at(7, "bills[2].bogus_key"));
    }

    #[test]
    fn a_key_in_an_inline_table_in_an_array_is_named() {
        let text = "[[bills]]\nid = 1\nalerts = { kinds = \"all\", bogus = 1 }\n";
        assert_eq!(place(text), at(3, "bills[0].alerts.bogus"));
        let text = "[[bills]]\nid = 1\n[[bills]]\nid = 2\nalerts = { kinds = 3 }\n";
        // A type the check rejects (not serde) keeps its explicit key.
        assert_eq!(place(text), at(5, "bills[1].alerts.kinds"));
    }

    #[test]
    fn a_value_of_the_wrong_type_is_named() {
        let text = "[parliament]\nmax_concurrent = \"four\"\n";
        assert_eq!(place(text), at(2, "parliament.max_concurrent"));
        assert_eq!(place("[[bills]]\nid = \"abc\"\n"), at(2, "bills[0].id"));
        let text = "[[bills]]\nid = 1\n[[bills]]\nid = 2\nmode = \"fast\"\n";
        assert_eq!(place(text), at(5, "bills[1].mode"));
        assert_eq!(
            place("[parliament]\ntimeout = 30\n"),
            at(2, "parliament.timeout")
        );
        let text = "[telegram]\nchat = \"@bill_alerts\"\noperators = [1, \"x\"]\n";
        assert_eq!(place(text), at(3, "telegram.operators[1]"));
    }

    #[test]
    fn keys_written_dotted_or_inline_are_named_the_same() {
        assert_eq!(place("parliament.bogus = 1\n"), at(1, "parliament.bogus"));
        let text = "parliament = { retries = \"x\" }\n";
        assert_eq!(place(text), at(1, "parliament.retries"));
    }

    #[test]
    fn a_missing_key_names_its_table() {
        let text = "[telegram]\nadmin_chat = \"@bill_admin\"\n";
        assert_eq!(place(text), at(1, "telegram"));
    }

    #[test]
    fn a_key_that_needs_quotes_is_quoted() {
        assert_eq!(place("\"odd key\" = 1\n"), at(1, "\"odd key\""));
    }

    #[test]
    fn text_that_is_not_toml_is_placed_by_its_line() {
        let text = "[parliament]\ntimeout = 30s\n";
        assert_eq!(place(text), at(2, "parliament.timeout"));
        let text = "[[bills]]\nid = 1\n[[bills]]\nid = 2\nname = oops\n";
        assert_eq!(place(text), at(5, "bills[1].name"));
    }
}
