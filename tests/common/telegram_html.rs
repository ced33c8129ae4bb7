//! What Telegram accepts as a message in `parse_mode = HTML`, checked as Telegram checks it, so
//! the fakes refuse what Telegram refuses: only its tags, properly nested and closed; `<`, `>`
//! and `&` escaped outside them; and at most 4,096 characters of text once the entities are
//! parsed, counted in UTF-16 code units.

/// Telegram's limit on a message's text after entity parsing, in UTF-16 code units.
pub const MAX_TEXT: usize = 4096;

/// The tags Telegram's HTML knows.
const TAGS: &[&str] = &[
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "a",
    "tg-emoji",
    "code",
    "pre",
    "blockquote",
];

/// `Ok` with the text Telegram would show, or Telegram's own description of the refusal.
pub fn parse(html: &str) -> Result<String, String> {
    let refuse = |why: String| Err(format!("Bad Request: can't parse entities: {why}"));
    let mut text = String::new();
    let mut open: Vec<String> = Vec::new();
    let mut rest = html;
    while let Some(c) = rest.chars().next() {
        let at = html.len() - rest.len();
        match c {
            '<' => {
                let Some(end) = rest.find('>') else {
                    return refuse(format!("Unclosed start tag at byte offset {at}"));
                };
                let inside = &rest[1..end];
                rest = &rest[end + 1..];
                if let Some(name) = inside.strip_prefix('/') {
                    let name = name.trim().to_ascii_lowercase();
                    match open.pop() {
                        Some(top) if top == name => {}
                        _ => {
                            return refuse(format!(
                                "Unmatched end tag at byte offset {at}, expected \"</{}>\", found \"</{name}>\"",
                                open.last().map_or("", String::as_str)
                            ));
                        }
                    }
                    continue;
                }
                let name = inside
                    .split(|c: char| c.is_whitespace())
                    .next()
                    .unwrap_or("")
                    .to_ascii_lowercase();
                if !TAGS.contains(&name.as_str()) {
                    return refuse(format!(
                        "Unsupported start tag \"{name}\" at byte offset {at}"
                    ));
                }
                if name == "a" && !inside.contains("href=") {
                    return refuse(format!("Tag \"a\" must have an href at byte offset {at}"));
                }
                open.push(name);
            }
            '>' => return refuse(format!("Character '>' is reserved at byte offset {at}")),
            '&' => {
                let Some(end) = rest.find(';').filter(|&e| e <= 10) else {
                    return refuse(format!("Character '&' is reserved at byte offset {at}"));
                };
                let entity = &rest[1..end];
                let Some(decoded) = entity_char(entity) else {
                    return refuse(format!(
                        "Unsupported HTML entity \"&{entity};\" at byte offset {at}"
                    ));
                };
                text.push(decoded);
                rest = &rest[end + 1..];
            }
            c => {
                text.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    if let Some(tag) = open.last() {
        return refuse(format!(
            "Can't find end tag corresponding to start tag \"{tag}\""
        ));
    }
    check_text(&text)?;
    Ok(text)
}

/// The character an HTML entity (without `&` and `;`) stands for, among those Telegram knows.
fn entity_char(entity: &str) -> Option<char> {
    match entity {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "quot" => Some('"'),
        _ => entity
            .strip_prefix("#x")
            .map(|h| u32::from_str_radix(h, 16))
            .or_else(|| entity.strip_prefix('#').map(str::parse::<u32>))
            .and_then(Result::ok)
            .and_then(char::from_u32),
    }
}

/// A message's text as Telegram measures it: not empty, at most [`MAX_TEXT`] UTF-16 units.
pub fn check_text(text: &str) -> Result<(), String> {
    if text.trim().is_empty() {
        return Err("Bad Request: message text is empty".to_owned());
    }
    if text.encode_utf16().count() > MAX_TEXT {
        return Err("Bad Request: message is too long".to_owned());
    }
    Ok(())
}
