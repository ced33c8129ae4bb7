//! The shape of the code, checked: the layers of `lib.rs`'s module map, no circles between
//! modules, one home for the clock and for SQL, and files small enough to read.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, bottom up. A module may use modules of its own layer or below, never above.
const LAYERS: &[&[&str]] = &[
    // The pure core: clock and model, stage kinds, divisions, change detection, filter, message text,
    // schedule maths, and the small pure helpers they share.
    &[
        "clock",
        "shutdown",
        "house",
        "document",
        "bill",
        "stage",
        "division",
        "changes",
        "votes",
        "filter",
        "follow",
        "readers",
        "message",
        "schedule",
        "backoff",
        "decide",
        "telegram_text",
    ],
    &["config"],
    &["source", "store"],
    &["check", "telegram", "bot", "console"],
    &["worker"],
    &["cli"],
];

fn layer_of(module: &str) -> usize {
    LAYERS
        .iter()
        .position(|l| l.contains(&module))
        .unwrap_or_else(|| panic!("module `{module}` is in no layer: add it to LAYERS"))
}

fn source_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            source_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every library file with its top-level module (`src/cli/status.rs` -> `cli`).
fn library() -> Vec<(String, PathBuf, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    source_files(&src, &mut files);
    files.sort();
    files
        .into_iter()
        .filter_map(|path| {
            let rel = path.strip_prefix(&src).expect("under src");
            let first = rel.components().next()?.as_os_str().to_str()?.to_owned();
            let module = first.trim_end_matches(".rs").to_owned();
            if module == "lib" || module == "main" {
                return None;
            }
            let text = std::fs::read_to_string(&path).expect("read");
            Some((module, path, text))
        })
        .collect()
}

/// The code of a file without its `#[cfg(test)]` module and comments.
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level modules a file names through `crate::`.
fn imports(text: &str) -> BTreeSet<String> {
    let code = code(text);
    let mut out = BTreeSet::new();
    let mut rest = code.as_str();
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            out.insert(name);
        }
        // `use crate::{a, b::c}`
        if rest.starts_with('{') {
            let group = &rest[1..rest.find('}').unwrap_or(rest.len())];
            for item in group.split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() && name != "self" {
                    out.insert(name);
                }
            }
        }
    }
    out
}

#[test]
fn no_module_uses_one_above_its_layer() {
    let mut wrong = Vec::new();
    for (module, path, text) in library() {
        for used in imports(&text) {
            if used != module && layer_of(&used) > layer_of(&module) {
                wrong.push(format!("{} uses {used}", path.display()));
            }
        }
    }
    assert!(wrong.is_empty(), "layering broken:\n{}", wrong.join("\n"));
}

#[test]
fn the_modules_form_no_circle() {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, _, text) in library() {
        let edges = graph.entry(module.clone()).or_default();
        edges.extend(imports(&text).into_iter().filter(|m| *m != module));
    }
    // Depth-first search for a back edge.
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|n| n == node) {
            let mut circle = path[i..].to_vec();
            circle.push(node.to_owned());
            return Some(circle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(circle) = visit(next, graph, path, done) {
                return Some(circle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(circle) = visit(node, &graph, &mut Vec::new(), &mut done) {
            panic!("modules in a circle: {}", circle.join(" -> "));
        }
    }
}

#[test]
fn only_the_clock_reads_the_time() {
    let mut wrong = Vec::new();
    for (module, path, text) in library() {
        let code = code(&text);
        for needle in ["Utc::now", "Local::now", "SystemTime::now"] {
            if module != "clock" && code.contains(needle) {
                wrong.push(format!("{}: {needle}", path.display()));
            }
        }
    }
    assert!(wrong.is_empty(), "wall-clock reads:\n{}", wrong.join("\n"));
}

#[test]
fn only_the_store_runs_sql() {
    let mut wrong = Vec::new();
    for (module, path, text) in library() {
        if module != "store" && code(&text).contains("rusqlite") {
            wrong.push(path.display().to_string());
        }
    }
    assert!(
        wrong.is_empty(),
        "SQL outside the store:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn no_source_file_is_over_600_lines() {
    let long: Vec<String> = library()
        .into_iter()
        .filter(|(_, _, text)| text.lines().count() > 600)
        .map(|(_, path, text)| format!("{}: {} lines", path.display(), text.lines().count()))
        .collect();
    assert!(long.is_empty(), "split these:\n{}", long.join("\n"));
}
