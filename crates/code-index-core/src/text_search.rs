//! Searching the text of the indexed files (ripgrep's `grep-*` crates), each
//! hit named by the definition that encloses it.

use grep_regex::RegexMatcherBuilder;
use grep_searcher::{
    BinaryDetection, Searcher, SearcherBuilder, Sink, SinkContext, SinkContextKind, SinkMatch,
};
use rayon::prelude::*;
use serde::Serialize;

use crate::index::Index;
use crate::query::{Page, PageRequest, PathGlob, QueryError};

/// What to look for.
#[derive(Clone, Debug)]
pub struct TextQuery {
    pub pattern: String,
    /// A regular expression (Rust syntax); else the pattern is literal.
    pub regex: bool,
    pub case_sensitive: bool,
    pub glob: Option<PathGlob>,
    /// Lines of context before and after each hit.
    pub context: usize,
}

/// One matching line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TextHit {
    pub path: String,
    pub line: u32,
    pub text: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub before: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub after: Vec<String>,
    /// The qualified name of the innermost definition around the line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enclosing: Option<String>,
}

/// Longest line of a hit kept, in characters.
const MAX_HIT_CHARS: usize = 300;

impl Index {
    /// Finds lines matching `query` in the indexed files (those parsed, and
    /// text files of other languages), sorted by path and line.
    pub fn search_text(
        &self,
        query: &TextQuery,
        page: PageRequest,
    ) -> Result<Page<TextHit>, QueryError> {
        if query.pattern.is_empty() {
            return Err(QueryError::InvalidArgument(
                "the search pattern is empty".into(),
            ));
        }
        let matcher = RegexMatcherBuilder::new()
            .case_insensitive(!query.case_sensitive)
            .fixed_strings(!query.regex)
            .build(&query.pattern)
            .map_err(|e| QueryError::InvalidArgument(format!("invalid regular expression: {e}")))?;
        let mut files: Vec<(&str, u32)> = self
            .files()
            .filter(|(_, f)| {
                !matches!(
                    f.skipped,
                    Some(crate::model::SkipReason::Binary | crate::model::SkipReason::TooLarge)
                ) && query.glob.as_ref().is_none_or(|g| g.is_match(&f.path))
            })
            .map(|(id, f)| (f.path.as_str(), id))
            .collect();
        files.sort_unstable();
        let root = self.root();
        let per_file: Vec<Vec<TextHit>> = files
            .par_iter()
            .map_init(
                || {
                    SearcherBuilder::new()
                        .line_number(true)
                        .before_context(query.context)
                        .after_context(query.context)
                        .binary_detection(BinaryDetection::quit(0))
                        .build()
                },
                |searcher, &(path, _)| {
                    let mut sink = Collect {
                        path,
                        hits: Vec::new(),
                        pending_before: Vec::new(),
                    };
                    let _ = searcher.search_path(&matcher, root.join(path), &mut sink);
                    sink.hits
                },
            )
            .collect();
        let mut hits: Vec<TextHit> = per_file.into_iter().flatten().collect();
        let total = hits.len();
        hits.drain(..page.offset.min(total));
        hits.truncate(page.limit);
        for hit in &mut hits {
            hit.enclosing = self.enclosing_name(&hit.path, hit.line);
        }
        Ok(page.wrap(total, hits))
    }

    /// The qualified name of the innermost definition around a line.
    pub fn enclosing_name(&self, path: &str, line: u32) -> Option<String> {
        let file = self.file_by_path(path)?;
        file.definitions
            .iter()
            .filter(|d| d.span.start_line <= line && line <= d.span.end_line)
            .max_by_key(|d| (d.span.start_line, std::cmp::Reverse(d.span.end_line)))
            .map(|d| file.qualified_name(d))
    }
}

/// Gathers one file's hits with their context lines.
struct Collect<'p> {
    path: &'p str,
    hits: Vec<TextHit>,
    pending_before: Vec<String>,
}

fn line_text(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim_end_matches(['\n', '\r']);
    match text.char_indices().nth(MAX_HIT_CHARS) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

impl Sink for Collect<'_> {
    type Error = std::io::Error;

    fn matched(&mut self, _: &Searcher, mat: &SinkMatch<'_>) -> Result<bool, Self::Error> {
        let first = mat.line_number().unwrap_or(0) as u32;
        for (i, line) in mat.lines().enumerate() {
            self.hits.push(TextHit {
                path: self.path.to_string(),
                line: first + i as u32,
                text: line_text(line),
                before: std::mem::take(&mut self.pending_before),
                after: Vec::new(),
                enclosing: None,
            });
        }
        Ok(true)
    }

    fn context(&mut self, _: &Searcher, context: &SinkContext<'_>) -> Result<bool, Self::Error> {
        let text = line_text(context.bytes());
        match context.kind() {
            SinkContextKind::Before => self.pending_before.push(text),
            SinkContextKind::After => {
                if let Some(hit) = self.hits.last_mut() {
                    hit.after.push(text);
                }
            }
            SinkContextKind::Other => {}
        }
        Ok(true)
    }

    fn context_break(&mut self, _: &Searcher) -> Result<bool, Self::Error> {
        self.pending_before.clear();
        Ok(true)
    }
}
