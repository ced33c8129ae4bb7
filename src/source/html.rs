//! Reading a page's HTML without letting a hostile one cost minutes: the nesting and the
//! attributes of each element are bounded before the parser (html5ever) sees the page.

use scraper::{Html, Node};

use super::ParseError;
use super::api::clean_text;

/// How deeply elements may nest in a page billwatch parses. Real stage pages nest a few dozen
/// deep; the HTML parser's cost grows with the square of the depth (a 1 MB page of nested
/// `<div>`s took 100 s of CPU), so a deeper page is refused before it is parsed.
pub const MAX_DEPTH: usize = 1000;

/// How much nesting a page may hold in all: the sum, over its elements, of the depth each
/// opens at. The parser's work grows with it (each element checks the elements open around
/// it): 10 MB of `<div>`s nested just under [`MAX_DEPTH`], again and again, took 5 s of CPU.
/// Real stage pages come to a few hundred thousand; this many costs the parser about 0.1 s.
pub const MAX_NESTING: usize = 10_000_000;

/// How many attributes one tag may have. Real ones have a handful; the parser compares each
/// attribute with every earlier one of its tag (1 MB of distinct attributes on one `<div>` took
/// 18 s of CPU), so a page with a tag carrying more is refused before it is parsed.
pub const MAX_ATTRIBUTES: usize = 100;

/// Elements that never have a closing tag, or whose closing tag may be left out (HTML closes
/// them itself): they are not counted as depth.
const NOT_NESTING: [&str; 28] = [
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr", "p", "li", "dt", "dd", "tr", "td", "th", "option", "optgroup", "thead",
    "tbody", "tfoot", "rp", "rt",
];

/// Formatting elements: the parser's "adoption agency" may keep what was opened inside one open
/// after its closing tag (`<a><div></a>` repeated nests ever deeper), so here their closing tag
/// closes them only when nothing was left open inside.
const FORMATTING: [&str; 14] = [
    "a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike", "strong", "tt", "u",
];

/// Elements a closing tag of another name does not close past (HTML's "special" category, as
/// far as it nests): `</svg>` inside `<svg><div>` is ignored, and the `<div>` stays open.
const SPECIAL: [&str; 56] = [
    "address",
    "applet",
    "article",
    "aside",
    "blockquote",
    "body",
    "button",
    "caption",
    "center",
    "colgroup",
    "details",
    "dir",
    "div",
    "dl",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "frameset",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "header",
    "hgroup",
    "html",
    "iframe",
    "listing",
    "main",
    "marquee",
    "menu",
    "nav",
    "noembed",
    "noframes",
    "noscript",
    "object",
    "ol",
    "pre",
    "script",
    "section",
    "select",
    "style",
    "summary",
    "table",
    "template",
    "textarea",
    "title",
    "ul",
    "xmp",
    "foreignobject",
    "desc",
    "annotation",
];

/// Elements even a closing tag of a special element does not close past (HTML's scope
/// boundaries): `</div>` inside `<div><table>` is ignored.
const SCOPE: [&str; 12] = [
    "applet", "caption", "html", "marquee", "object", "table", "template", "mi", "mo", "mn", "ms",
    "mtext",
];

/// The page, parsed, unless a tag has more than [`MAX_ATTRIBUTES`] attributes or the page
/// nests deeper than [`MAX_DEPTH`] or more than [`MAX_NESTING`] in all, counted cheaply from its tags before the parser sees it. The
/// count never falls short of the parser's own depth: where HTML might leave an element open
/// after a closing tag, it counts it as open.
pub fn parse_page(html: &str) -> Result<Html, ParseError> {
    let html = strip_bom(html);
    let bytes = html.as_bytes();
    let mut open: Vec<&[u8]> = Vec::new();
    let mut nesting = 0usize;
    // Where the last tag read ends: a `<` before it is inside an attribute value.
    let mut resume = 0;
    for (i, _) in html.match_indices('<') {
        if i < resume {
            continue;
        }
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
        let tag = scan_tag(&name_at[len..]);
        resume = i + 1 + usize::from(closing) + len + tag.end;
        if tag.attributes > MAX_ATTRIBUTES {
            return Err(ParseError::new(format!(
                "a tag of the page has more than {MAX_ATTRIBUTES} attributes: refused unparsed \
                 (no stage page has; it would cost seconds of CPU)"
            )));
        }
        if closing {
            close(&mut open, name);
            continue;
        }
        // `<div/>` opens a `<div>` all the same: HTML ignores the slash but on void elements
        // (and in SVG, where a few more elements may close early than counted here).
        if !is_in(&NOT_NESTING, name) {
            open.push(name);
            if open.len() > MAX_DEPTH {
                return Err(ParseError::new(format!(
                    "the page nests its elements more than {MAX_DEPTH} deep: refused unparsed \
                     (no stage page does; it would cost minutes of CPU)"
                )));
            }
            nesting += open.len();
            if nesting > MAX_NESTING {
                return Err(ParseError::new(format!(
                    "the page holds more nested elements than {MAX_NESTING} (the sum of their \
                     depths): refused unparsed (no stage page does; it would cost seconds of CPU)"
                )));
            }
        }
    }
    Ok(Html::parse_document(html))
}

/// Elements that break a line of text: a space stands between their text and the text before.
const BREAKING: [&str; 14] = [
    "p", "br", "div", "li", "ul", "ol", "tr", "td", "h1", "h2", "h3", "h4", "h5", "h6",
];

/// The text a reader sees in an HTML snippet ("<p>Lord X moved amendment 51&nbsp;...</p>"):
/// tags dropped, entities decoded, script and style left out, white space collapsed (by
/// [`clean_text`]). Bounded like [`parse_page`], whose errors it returns.
pub fn plain_text(html: &str) -> Result<String, ParseError> {
    let page = parse_page(html)?;
    let mut text = String::new();
    for node in page.root_element().descendants() {
        match node.value() {
            Node::Text(t) => {
                let hidden = node
                    .parent()
                    .and_then(|p| p.value().as_element().map(|e| e.name()))
                    .is_some_and(|name| matches!(name, "script" | "style" | "template"));
                if !hidden {
                    text.push_str(t);
                }
            }
            Node::Element(e) if BREAKING.contains(&e.name()) => text.push(' '),
            _ => {}
        }
    }
    Ok(clean_text(&text))
}

/// What a closing tag `</name>` closes: back to the newest open `name`, unless HTML would stop
/// before it (see [`FORMATTING`], [`SPECIAL`], [`SCOPE`]); then nothing.
fn close(open: &mut Vec<&[u8]>, name: &[u8]) {
    if is_in(&FORMATTING, name) {
        if open
            .last()
            .is_some_and(|top| top.eq_ignore_ascii_case(name))
        {
            open.pop();
        }
        return;
    }
    let stops_at: &[&str] = if is_in(&SPECIAL, name) {
        &SCOPE
    } else {
        &SPECIAL
    };
    for at in (0..open.len()).rev() {
        if open[at].eq_ignore_ascii_case(name) {
            open.truncate(at);
            return;
        }
        if is_in(stops_at, open[at]) {
            return;
        }
    }
}

fn is_in(names: &[&str], name: &[u8]) -> bool {
    names
        .iter()
        .any(|n| n.as_bytes().eq_ignore_ascii_case(name))
}

/// A tag after its name, read as HTML's tokenizer reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Tag {
    attributes: usize,
    /// Just past its `>` (or the end of the page).
    end: usize,
}

/// Reads the attributes of a tag (`rest` follows its name): a `>` inside a quoted value does
/// not end it.
fn scan_tag(rest: &[u8]) -> Tag {
    let space = |c: &u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0c);
    let skip_spaces = |mut i: usize| {
        while rest.get(i).is_some_and(space) {
            i += 1;
        }
        i
    };
    let (mut i, mut attributes) = (0, 0);
    loop {
        match rest.get(i) {
            None => break,
            Some(b'>') => {
                return Tag {
                    attributes,
                    end: i + 1,
                };
            }
            Some(c) if space(c) || *c == b'/' => {
                i += 1;
                continue;
            }
            Some(_) => {}
        }
        // A name (its first character may be anything, even `=`), then perhaps a value.
        attributes += 1;
        i += 1;
        while rest
            .get(i)
            .is_some_and(|c| !space(c) && !matches!(c, b'/' | b'>' | b'='))
        {
            i += 1;
        }
        i = skip_spaces(i);
        if rest.get(i) != Some(&b'=') {
            continue;
        }
        i = skip_spaces(i + 1);
        match rest.get(i) {
            Some(&quote @ (b'"' | b'\'')) => {
                i += 1;
                i = rest[i..]
                    .iter()
                    .position(|c| *c == quote)
                    .map_or(rest.len(), |at| i + at + 1);
            }
            _ => {
                while rest.get(i).is_some_and(|c| !space(c) && *c != b'>') {
                    i += 1;
                }
            }
        }
    }
    Tag {
        attributes,
        end: rest.len(),
    }
}

fn strip_bom(html: &str) -> &str {
    html.strip_prefix('\u{feff}').unwrap_or(html)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_drops_tags_and_decodes_entities() {
        assert_eq!(
            plain_text(
                "<p>Lord Roborough moved amendment 51, to leave out clause&nbsp;10.</p>\
                 <p>The House <b>divided</b>:&amp;<br>then&#8217;s</p><script>x()</script>"
            ),
            Ok(
                "Lord Roborough moved amendment 51, to leave out clause 10. The House divided:& \
                then\u{2019}s"
                    .to_owned()
            )
        );
        assert_eq!(plain_text("no tags"), Ok("no tags".to_owned()));
        assert_eq!(plain_text(""), Ok(String::new()));
        let deep = "<div>".repeat(MAX_DEPTH + 1);
        assert!(plain_text(&deep).is_err(), "bounded like a page");
    }

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

    /// Tags that HTML leaves open are counted open: `<a><div></a>` and `<svg><div></svg>` nest
    /// ever deeper in the parser (1 MB of either took 40 s and 22 s of CPU), though each closing
    /// tag names an element just opened; so does `<div/>` (100 KB took 1.6 s).
    #[test]
    fn misnested_tags_that_stay_open_count_as_depth() {
        for unit in [
            "<a><div></a>",
            "<svg><div></svg>",
            "<div><table></div>",
            "<div/>",
        ] {
            let hostile = format!("<html><body>{}</body></html>", unit.repeat(3_000));
            let Err(e) = parse_page(&hostile) else {
                panic!("{unit} repeated: parsed, not refused");
            };
            assert!(e.to_string().contains("more than 1000 deep"), "{unit}: {e}");
        }
        // Closing tags that do close what they name are not depth.
        let fine = format!(
            "<html><body>{}</body></html>",
            "<div><a href=x><b>t</b></a><span><i>u</i></span></div><table><tr><td>c</table>"
                .repeat(3_000)
        );
        assert!(parse_page(&fine).is_ok());
    }

    /// Deep nesting again and again, each block under the depth bound (10 MB of blocks nested
    /// 997 deep took 5 s of CPU), is refused on its total; real pages, and wide ones, are far
    /// below it.
    #[test]
    fn pages_with_too_much_nesting_in_all_are_refused_unparsed() {
        let block = format!("{}x{}", "<div>".repeat(990), "</div>".repeat(990));
        let hostile = format!("<html><body>{}</body></html>", block.repeat(25));
        let Err(e) = parse_page(&hostile) else {
            panic!("25 blocks nested 990 deep: parsed, not refused");
        };
        assert!(e.to_string().contains("more nested elements than"), "{e}");
        let fewer = format!("<html><body>{}</body></html>", block.repeat(3));
        assert!(parse_page(&fewer).is_ok(), "a few deep blocks are fine");
        let wide = format!(
            "<html><body>{}</body></html>",
            "<div><span><b>t</b></span></div>".repeat(20_000)
        );
        assert!(parse_page(&wide).is_ok(), "wide is not deep");
    }

    /// A tag with thousands of distinct attributes is refused before it is parsed (the parser
    /// compares each with every earlier one); a `>` or a space inside a quoted value is no end
    /// and no attribute.
    #[test]
    fn tags_with_too_many_attributes_are_refused_unparsed() {
        let attributes: String = (0..5_000).map(|i| format!(" a{i}=x")).collect();
        let hostile = format!("<html><body><div{attributes}></div></body></html>");
        let Err(e) = parse_page(&hostile) else {
            panic!("5,000 attributes on one tag: parsed, not refused");
        };
        assert!(e.to_string().contains("more than 100 attributes"), "{e}");
        let tag = scan_tag(b" class=\"a b > c\" data-x='1 2' hidden checked=yes/>rest");
        assert_eq!(
            tag,
            Tag {
                attributes: 4,
                end: 50
            }
        );
    }
}
