//! The bot token: loaded once from the environment or a secret file, checked for shape, and never
//! shown (its `Debug` is redacted, and [`Token::redact`] scrubs it from any text).

use std::fmt;
use std::path::PathBuf;

use crate::config::Telegram;

/// The environment variable that holds the bot token.
pub const TOKEN_ENV: &str = "TELEGRAM_BOT_TOKEN";

/// The bot token. Its `Debug` never shows it, and it has no `Display`.
#[derive(Clone)]
pub struct Token(String);

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// Why no token could be had.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error(
        "no Telegram bot token: set the {TOKEN_ENV} environment variable, or name a file holding \
         it with telegram.token_file (get a token from @BotFather)"
    )]
    Missing,
    #[error("cannot read the bot token file {path}: {source}")]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the bot token from {from} does not look like a Telegram bot token (digits, a colon, then \
         letters, digits, '-' or '_'); copy it again from @BotFather"
    )]
    Malformed { from: String },
}

impl Token {
    /// The token from `TELEGRAM_BOT_TOKEN`, else from `telegram.token_file`.
    pub fn load(config: &Telegram, env: Option<String>) -> Result<Token, TokenError> {
        let (raw, from) = match env.filter(|t| !t.trim().is_empty()) {
            Some(t) => (t, TOKEN_ENV.to_owned()),
            None => match &config.token_file {
                Some(path) => (
                    std::fs::read_to_string(path).map_err(|source| TokenError::File {
                        path: path.clone(),
                        source,
                    })?,
                    path.display().to_string(),
                ),
                None => return Err(TokenError::Missing),
            },
        };
        let token = raw.trim().to_owned();
        let valid = token.split_once(':').is_some_and(|(id, secret)| {
            !id.is_empty()
                && id.bytes().all(|b| b.is_ascii_digit())
                && !secret.is_empty()
                && secret
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
        if valid {
            Ok(Token(token))
        } else {
            Err(TokenError::Malformed { from })
        }
    }

    /// Removes the token, and its secret half alone, from a text.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.replace(&self.0, "<token>");
        if let Some((_, secret)) = self.0.split_once(':')
            && secret.len() >= 8
        {
            out = out.replace(secret, "<token>");
        }
        out
    }

    /// The token itself, for the one place that must hand it to teloxide.
    pub(super) fn expose(&self) -> &str {
        &self.0
    }

    /// A well-formed token that opens nothing, for tests that make no request.
    #[cfg(test)]
    pub(super) fn fake() -> Token {
        Token("123456:fake-token-for-tests".to_owned())
    }
}
