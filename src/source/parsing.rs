//! Parsing off the async workers: every answer from Parliament (JSON or HTML, up to
//! `parliament.max_response_bytes`) is read in tokio's blocking pool.
//!
//! A parse is CPU work with no `.await` in it: run on one of the runtime's two worker threads,
//! a large or hostile page would hold that thread for as long as it takes, and nothing else
//! scheduled there could run, not even the wait for SIGTERM. In the blocking pool the check
//! that asked for it only awaits a `JoinHandle`, so a shutdown that comes meanwhile abandons
//! the check at once (the worker selects on both); the parse runs to its end, unobserved, and
//! `main` does not wait for it when the process exits (`Runtime::shutdown_timeout`).
//!
//! Why `spawn_blocking` and not a thread of our own: as for the database ([`crate::store::Db`]),
//! tokio counts a blocking task as work in progress and does not move a paused clock past it,
//! so paused-time tests stay exact.

use std::fmt;
use std::sync::Arc;

use super::ParseError;

/// Runs before each parse, in the blocking task, with the URL of the answer (a test seam: a
/// test holds a parse here to show what happens while one is running).
pub type BeforeParse = dyn Fn(&str) + Send + Sync;

/// Where the sources parse what they fetched. Cheap to clone.
#[derive(Clone, Default)]
pub struct Parsing {
    before: Option<Arc<BeforeParse>>,
}

impl fmt::Debug for Parsing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Parsing")
            .field("before", &self.before.as_ref().map(|_| "a hook"))
            .finish()
    }
}

impl Parsing {
    /// Parsing with `before` run ahead of each parse (tests).
    pub fn with_hook(before: Arc<BeforeParse>) -> Parsing {
        Parsing {
            before: Some(before),
        }
    }

    /// Parses `input` (the answer from `url`) with `parse`, in tokio's blocking pool; gives the
    /// input back with the result, for a page that must be saved when it cannot be read. A
    /// parser that panics is an error for this answer, not the end of the check.
    pub async fn run<I, T, F>(
        &self,
        url: &str,
        input: I,
        parse: F,
    ) -> (Arc<I>, Result<T, ParseError>)
    where
        I: Send + Sync + 'static,
        T: Send + 'static,
        F: FnOnce(&I) -> Result<T, ParseError> + Send + 'static,
    {
        let before = self.before.clone();
        let owned_url = url.to_owned();
        let input = Arc::new(input);
        let shared = input.clone();
        let joined = tokio::task::spawn_blocking(move || {
            if let Some(before) = before {
                before(&owned_url);
            }
            parse(&shared)
        })
        .await;
        let result = joined.unwrap_or_else(|e| {
            Err(ParseError::new(format!(
                "the parser stopped before reading it to the end: {e}"
            )))
        });
        (input, result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn parses_off_the_runtime_and_a_panic_is_an_error() {
        let before = tokio::time::Instant::now();
        let runtime_thread = std::thread::current().id();
        let parsing = Parsing::default();
        let (input, thread) = parsing
            .run("https://x.test/a", "text".to_owned(), |_| {
                Ok(std::thread::current().id())
            })
            .await;
        assert_eq!(*input, "text", "the input comes back");
        assert_ne!(
            thread.expect("parsed"),
            runtime_thread,
            "parsed off the runtime"
        );
        assert_eq!(
            tokio::time::Instant::now(),
            before,
            "paused time did not leap"
        );

        let (_, result) = parsing
            .run("https://x.test/b", (), |_| -> Result<(), ParseError> {
                panic!("a parser bug")
            })
            .await;
        let e = result.expect_err("a panic is an error");
        assert!(e.to_string().contains("the parser stopped"), "{e}");
    }
}
