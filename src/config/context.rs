//! Where a mistake is: every [`ConfigError`] names the file, and where it can the line and the
//! key.

use std::ops::Range;
use std::path::Path;

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

    pub fn toml_error(&self, e: &toml::de::Error) -> ConfigError {
        // The message of a toml error is its last paragraph; the span gives the line.
        let mut message = e.message().trim().to_owned();
        if message.contains("expected a duration") {
            message.push_str(": write it as a string such as \"30s\", \"2m\" or \"1h 30m\"");
        }
        let span = e.span();
        ConfigError {
            path: self.path.to_owned(),
            line: span.as_ref().map(|s| self.line_of(s.start)),
            key: span.and_then(|s| self.key_at(s.start)),
            message,
        }
    }

    fn line_of(&self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        self.text[..offset].bytes().filter(|b| *b == b'\n').count() + 1
    }

    /// The dotted key written on the line holding `offset` (`parliament.timeout`), from the
    /// text itself: the table header above it and the name before `=`.
    fn key_at(&self, offset: usize) -> Option<String> {
        let offset = offset.min(self.text.len());
        let line_start = self.text[..offset].rfind('\n').map_or(0, |i| i + 1);
        let line_end = self.text[offset..]
            .find('\n')
            .map_or(self.text.len(), |i| offset + i);
        let line = self.text[line_start..line_end].trim();
        let name = line
            .split_once('=')
            .map(|(k, _)| k.trim().trim_matches('"'));
        let table = self.text[..line_start]
            .lines()
            .rev()
            .map(str::trim)
            .find(|l| l.starts_with('['))
            .map(|h| h.trim_matches(|c| c == '[' || c == ']').trim().to_owned());
        match (table, name) {
            (Some(t), Some(n)) => Some(format!("{t}.{n}")),
            (None, Some(n)) => Some(n.to_owned()),
            (Some(t), None) if line.starts_with('[') => Some(t),
            _ => None,
        }
    }
}
