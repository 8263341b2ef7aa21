//! Calling files: for every function whose name the corpus defines once,
//! whether `find_references` names every file that calls it.
//!
//! The truth is read off the text: a name followed by `(` (or by a turbofish
//! and `(`), outside comments and string literals, not after `fn`/`func` and
//! not a macro's `name!(`. For a name defined once in the whole corpus, such
//! a call is that function's, but for a same-name method of a library type
//! (`x.poll_read(…)` on a standard type) — which the benchmark reports but
//! cannot tell apart.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::Context;
use code_index_core::model::SymbolKind;
use code_index_core::query::{PageRequest, ReferenceFilter};
use code_index_core::{Index, IndexOptions, Language};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct CallingFiles {
    pub corpus: String,
    /// Functions whose name is defined once and is called by name.
    pub functions: usize,
    /// Of those, how many have every calling file in `find_references`.
    pub all_files_named: usize,
    /// Calling files over all functions, and how many are named.
    pub calling_files: usize,
    pub named_files: usize,
    /// Functions with a calling file left out: name, `path:line` of a call
    /// left out.
    pub examples: Vec<(String, String)>,
}

/// Names called in `source`, each with the lines of its calls (1-based).
fn calls_in(source: &str, lang: Language) -> BTreeMap<&str, Vec<u32>> {
    let b = source.as_bytes();
    let mut out: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    let mut line = 1u32;
    let mut i = 0;
    let mut previous_word: &str = "";
    while i < b.len() {
        let c = b[i];
        match c {
            b'\n' => {
                line += 1;
                i += 1;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                    if b[i] == b'\n' {
                        line += 1;
                    }
                    i += 1;
                }
                i += 2;
            }
            b'"' | b'`' => {
                // A string (Go's raw strings in backquotes).
                let quote = c;
                i += 1;
                while i < b.len() && b[i] != quote {
                    if b[i] == b'\\' && quote == b'"' {
                        i += 1;
                    }
                    if i < b.len() && b[i] == b'\n' {
                        line += 1;
                    }
                    i += 1;
                }
                i += 1;
            }
            b'\'' if lang == Language::Rust => {
                // A char literal ('a', '\n'), not a lifetime ('a).
                let close = b[i + 1..]
                    .iter()
                    .take(12)
                    .position(|&x| x == b'\'')
                    .map(|p| i + 1 + p);
                match close {
                    Some(end) if b[i + 1] == b'\\' || end == i + 2 || !b[i + 1].is_ascii() => {
                        i = end + 1
                    }
                    _ => i += 1,
                }
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                let word = &source[start..i];
                if word == "func" && lang == Language::Go {
                    // A method's receiver, `func (r *T) Name(`, or a
                    // literal's parameters: skipped, `func` kept as the
                    // word before what follows.
                    let j = skip_blanks(b, i);
                    if b.get(j) == Some(&b'(') {
                        let (end, lines) = skip_group(b, j, b'(', b')', b"");
                        i = end;
                        line += lines;
                    }
                    previous_word = word;
                    continue;
                }
                let mut j = skip_blanks(b, i);
                // A turbofish: `name::<T>(`.
                if b[j..].starts_with(b"::<") {
                    j = skip_group(b, j + 2, b'<', b'>', b"\n;{").0;
                }
                let declares = matches!(previous_word, "fn" | "func");
                if b.get(j) == Some(&b'(') && !declares {
                    out.entry(word).or_default().push(line);
                }
                previous_word = word;
            }
            _ => {
                if !c.is_ascii_whitespace() {
                    previous_word = "";
                }
                i += 1;
            }
        }
    }
    out
}

/// The languages measured: those whose calls read `name(`, with `//`
/// comments.
const LANGUAGES: &[Language] = &[Language::Rust, Language::Go];

/// Indexes `root` and measures each of [`LANGUAGES`] it has files of.
/// The first byte at or after `at` that is not a space or a tab.
fn skip_blanks(b: &[u8], mut at: usize) -> usize {
    while at < b.len() && (b[at] == b' ' || b[at] == b'\t') {
        at += 1;
    }
    at
}

/// Past the group that opens at `at` with `open` and closes with the
/// matching `close` (or stops at a byte of `stop`), and how many newlines it
/// spans.
fn skip_group(b: &[u8], mut at: usize, open: u8, close: u8, stop: &[u8]) -> (usize, u32) {
    let (mut depth, mut lines) = (0, 0);
    while at < b.len() {
        let c = b[at];
        if stop.contains(&c) {
            break;
        }
        if c == open {
            depth += 1;
        } else if c == close {
            depth -= 1;
            if depth == 0 {
                return (at + 1, lines);
            }
        } else if c == b'\n' {
            lines += 1;
        }
        at += 1;
    }
    (at, lines)
}

pub fn measure(name: &str, root: &Path) -> anyhow::Result<Vec<CallingFiles>> {
    let mut index = Index::new(root.to_path_buf());
    index
        .refresh(&IndexOptions::default(), &mut |_| {})
        .with_context(|| format!("indexing {}", root.display()))?;
    let mut results = Vec::new();
    for &lang in LANGUAGES {
        if index.files().any(|(_, f)| f.language == Some(lang)) {
            results.push(measure_language(name, root, &index, lang));
        }
    }
    Ok(results)
}

fn measure_language(name: &str, root: &Path, index: &Index, lang: Language) -> CallingFiles {
    // Names defined once, over every language, and the functions among them.
    let mut defined: BTreeMap<&str, usize> = BTreeMap::new();
    let mut functions: BTreeMap<&str, (String, u32)> = BTreeMap::new();
    for (_, file) in index.files() {
        for def in &file.definitions {
            let def_name = file.def_name(def);
            *defined.entry(def_name).or_default() += 1;
            if file.language == Some(lang)
                && matches!(def.kind, SymbolKind::Function | SymbolKind::Method)
            {
                functions.insert(def_name, (file.path.clone(), def.name_line));
            }
        }
    }
    functions.retain(|n, _| defined.get(n) == Some(&1));

    // The files that call each of them, by the text.
    // Per function: calling file → the line of its first call.
    let mut callers: BTreeMap<&str, BTreeMap<String, u32>> = BTreeMap::new();
    for (_, file) in index.files() {
        if file.language != Some(lang) {
            continue;
        }
        let Ok(source) = std::fs::read_to_string(root.join(&file.path)) else {
            continue;
        };
        for (called, lines) in calls_in(&source, lang) {
            let Some((key, (def_path, def_line))) = functions.get_key_value(called) else {
                continue;
            };
            // The definition's own line (`pub fn name(`) is no call.
            if let Some(&line) = lines
                .iter()
                .find(|&&l| !(file.path == *def_path && l == *def_line))
            {
                callers
                    .entry(*key)
                    .or_default()
                    .insert(file.path.clone(), line);
            }
        }
    }

    let mut result = CallingFiles {
        corpus: format!("{name} ({})", lang.name()),
        functions: callers.len(),
        all_files_named: 0,
        calling_files: 0,
        named_files: 0,
        examples: Vec::new(),
    };
    let filter = ReferenceFilter {
        include_distant: true,
        ..ReferenceFilter::default()
    };
    for (function, files) in &callers {
        let page = index.references(function, &filter, PageRequest::new(0, usize::MAX));
        let named: BTreeSet<&str> = page.files.iter().map(|f| f.path.as_str()).collect();
        let missing: Vec<(&String, &u32)> = files
            .iter()
            .filter(|(f, _)| !named.contains(f.as_str()))
            .collect();
        result.calling_files += files.len();
        result.named_files += files.len() - missing.len();
        if missing.is_empty() {
            result.all_files_named += 1;
        } else if result.examples.len() < 100 {
            result.examples.push((
                function.to_string(),
                format!("{}:{}", missing[0].0, missing[0].1),
            ));
        }
    }
    result
}

pub fn print_table(results: &[CallingFiles]) {
    println!(
        "| corpus | functions called by name | every calling file named | calling files named |"
    );
    println!("|---|---:|---:|---:|");
    for r in results {
        println!(
            "| {} | {} | {:.1}% | {:.1}% |",
            r.corpus,
            r.functions,
            100.0 * r.all_files_named as f64 / r.functions.max(1) as f64,
            100.0 * r.named_files as f64 / r.calling_files.max(1) as f64,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_read_off_the_text_outside_comments_and_strings() {
        let src = "fn main() {\n    run(1); // skip(2)\n    let s = \"no(3)\";\n    x.go::<u8>(4);\n    println!(\"{}\", f(5));\n    let c = '(';\n    g(6)\n}\n";
        let calls = calls_in(src, Language::Rust);
        let names: Vec<(&str, Vec<u32>)> = calls.into_iter().collect();
        assert_eq!(
            names,
            [
                ("f", vec![5]),
                ("g", vec![7]),
                ("go", vec![4]),
                ("run", vec![2])
            ]
        );
        let go = "func (r *T) Name() {}\nfunc Other() { Name() }\n";
        let calls: Vec<(&str, Vec<u32>)> = calls_in(go, Language::Go).into_iter().collect();
        assert_eq!(calls, [("Name", vec![2])]);
    }
}
