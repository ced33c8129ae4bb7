//! Reading a page's HTML without letting a hostile one cost minutes: the nesting is bounded
//! before the parser (html5ever) sees the page.

use scraper::Html;

use super::ParseError;

/// How deeply elements may nest in a page billwatch parses. Real stage pages nest a few dozen
/// deep; the HTML parser's cost grows with the square of the depth (a 1 MB page of nested
/// `<div>`s took 100 s of CPU), so a deeper page is refused before it is parsed.
pub const MAX_DEPTH: usize = 1000;

/// Elements that never have a closing tag, or whose closing tag may be left out (HTML closes
/// them itself): they are not counted as depth.
const NOT_NESTING: [&str; 28] = [
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr", "p", "li", "dt", "dd", "tr", "td", "th", "option", "optgroup", "thead",
    "tbody", "tfoot", "rp", "rt",
];

/// The page, parsed, unless it nests deeper than [`MAX_DEPTH`], counted cheaply from its tags
/// before the parser sees it: a closing tag closes back to its own opening one.
pub fn parse_page(html: &str) -> Result<Html, ParseError> {
    let html = strip_bom(html);
    let bytes = html.as_bytes();
    let mut open: Vec<&[u8]> = Vec::new();
    for (i, _) in html.match_indices('<') {
        let rest = &bytes[i + 1..];
        let closing = rest.first() == Some(&b'/');
        let name_at = &rest[usize::from(closing)..];
        let len = name_at
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric())
            .count();
        if len == 0 || !name_at[0].is_ascii_alphabetic() {
            continue;
        }
        let name = &name_at[..len];
        if closing {
            if let Some(at) = open.iter().rposition(|n| n.eq_ignore_ascii_case(name)) {
                open.truncate(at);
            }
            continue;
        }
        let end = rest.iter().position(|c| *c == b'>').unwrap_or(rest.len());
        let self_closing = end > 0 && rest[end - 1] == b'/';
        let nests = !NOT_NESTING
            .iter()
            .any(|n| n.as_bytes().eq_ignore_ascii_case(name));
        if nests && !self_closing {
            open.push(name);
            if open.len() > MAX_DEPTH {
                return Err(ParseError::new(format!(
                    "the page nests its elements more than {MAX_DEPTH} deep: refused unparsed \
                     (no stage page does; it would cost minutes of CPU)"
                )));
            }
        }
    }
    Ok(Html::parse_document(html))
}

fn strip_bom(html: &str) -> &str {
    html.strip_prefix('\u{feff}').unwrap_or(html)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hostile page of 50,000 nested elements is refused before it is parsed (parsing it took
    /// seconds of CPU, growing with the square of the depth); a real page is not.
    #[test]
    fn pages_nested_too_deep_are_refused_unparsed() {
        let hostile = format!(
            "<html><body>{}x{}</body></html>",
            "<div>".repeat(50_000),
            "</div>".repeat(50_000)
        );
        let e = parse_page(&hostile).expect_err("too deep");
        assert!(e.to_string().contains("more than 1000 deep"), "{e}");
        let e = crate::source::pages::parse_stage_detail(&hostile).expect_err("too deep");
        assert!(e.to_string().contains("refused unparsed"), "{e}");
        // Many siblings, void elements and unclosed paragraphs are not depth.
        let wide = format!(
            "<html><body><h1>A Bill</h1>{}</body></html>",
            "<div><p>text<br><img src=x><input/></div>".repeat(5_000)
        );
        assert!(parse_page(&wide).is_ok());
    }
}
