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
/// Longest pattern accepted, in bytes.
pub const MAX_PATTERN_BYTES: usize = 10_000;
/// Most bytes of line text (hits and context) one answer carries; a page
/// that would exceed it ends early, and the next offset picks up from there.
pub const MAX_ANSWER_BYTES: usize = 256 * 1024;
/// Hits are counted up to this many (or just past the page, if that is
/// further); beyond it the total is a lower bound.
pub const COUNT_UP_TO: usize = 1000;
/// Files searched in parallel before the page is checked for completion.
const FILES_PER_ROUND: usize = 64;

/// One page of `search_text`, and how far the count went.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TextPage {
    #[serde(flatten)]
    pub page: Page<TextHit>,
    /// The search stopped counting at `page.total`: there may be more.
    pub total_is_lower_bound: bool,
}

impl Index {
    /// Finds lines matching `query` in the indexed files (those parsed, and
    /// text files of other languages), sorted by path and line.
    ///
    /// The work is bounded by the page, not by the tree: files are searched
    /// in path order, a round of them at a time, each keeping only the hits
    /// the page can still use, and the search stops once the page is full
    /// and the count has reached [`COUNT_UP_TO`] (the total is then a lower
    /// bound). Lines are cut to [`MAX_HIT_CHARS`] characters and the page to
    /// [`MAX_ANSWER_BYTES`] of text.
    pub fn search_text(
        &self,
        query: &TextQuery,
        page: PageRequest,
    ) -> Result<TextPage, QueryError> {
        self.search_text_until(query, page, &std::sync::atomic::AtomicBool::new(false))
    }

    /// [`Index::search_text`], given up with [`QueryError::Cancelled`] as
    /// soon as `cancelled` is set (checked between rounds of files).
    pub fn search_text_until(
        &self,
        query: &TextQuery,
        page: PageRequest,
        cancelled: &std::sync::atomic::AtomicBool,
    ) -> Result<TextPage, QueryError> {
        if query.pattern.is_empty() {
            return Err(QueryError::InvalidArgument(
                "the search pattern is empty".into(),
            ));
        }
        if query.pattern.len() > MAX_PATTERN_BYTES {
            return Err(QueryError::InvalidArgument(format!(
                "the search pattern is {} bytes long; at most {MAX_PATTERN_BYTES} are accepted",
                query.pattern.len()
            )));
        }
        let matcher = RegexMatcherBuilder::new()
            .case_insensitive(!query.case_sensitive)
            .fixed_strings(!query.regex)
            .build(&query.pattern)
            .map_err(|e| QueryError::InvalidArgument(format!("invalid regular expression: {e}")))?;
        let mut files: Vec<&str> = self
            .files()
            .filter(|(_, f)| {
                !matches!(
                    f.skipped,
                    Some(crate::model::SkipReason::Binary | crate::model::SkipReason::TooLarge)
                ) && query.glob.as_ref().is_none_or(|g| g.is_match(&f.path))
            })
            .map(|(_, f)| f.path.as_str())
            .collect();
        files.sort_unstable();
        let root = self.root();
        let wanted = page.offset.saturating_add(page.limit);
        let count_up_to = COUNT_UP_TO.max(wanted.saturating_add(1));
        let mut total = 0usize;
        let mut hits: Vec<TextHit> = Vec::new();
        let mut bytes = 0usize;
        let mut page_full = false;
        for round in files.chunks(FILES_PER_ROUND) {
            if cancelled.load(std::sync::atomic::Ordering::Relaxed) {
                return Err(QueryError::Cancelled);
            }
            // Hits this round may still place on the page, and hits it may
            // still count.
            let keep = wanted.saturating_sub(total);
            let count = count_up_to - total;
            let found: Vec<(Vec<TextHit>, usize)> = round
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
                    |searcher, &path| {
                        let mut sink = Collect {
                            path,
                            hits: Vec::new(),
                            pending_before: Vec::new(),
                            keep,
                            count,
                            counted: 0,
                            last_kept: false,
                        };
                        let _ = searcher.search_path(&matcher, root.join(path), &mut sink);
                        (sink.hits, sink.counted)
                    },
                )
                .collect();
            for (file_hits, counted) in found {
                let base = total;
                for (i, hit) in file_hits.into_iter().enumerate() {
                    if base + i < page.offset || page_full || hits.len() >= page.limit {
                        continue;
                    }
                    let size = hit.text.len()
                        + hit
                            .before
                            .iter()
                            .chain(&hit.after)
                            .map(String::len)
                            .sum::<usize>();
                    if bytes + size > MAX_ANSWER_BYTES && !hits.is_empty() {
                        page_full = true;
                        continue;
                    }
                    bytes += size;
                    hits.push(hit);
                }
                total = base + counted;
                if total >= count_up_to {
                    break;
                }
            }
            if total >= count_up_to {
                total = count_up_to;
                break;
            }
        }
        for hit in &mut hits {
            hit.enclosing = self.enclosing_name(&hit.path, hit.line);
        }
        Ok(TextPage {
            total_is_lower_bound: total >= count_up_to,
            page: page.wrap(total, hits),
        })
    }

    /// The qualified name of the innermost definition around a line.
    pub fn enclosing_name(&self, path: &str, line: u32) -> Option<String> {
        let file = self.file_by_path(path)?;
        file.innermost_at(line, None)
            .map(|d| file.qualified_name(d))
    }
}

/// Gathers one file's hits with their context lines: the first `keep`
/// hits, and a count of all of them up to `count` (then it stops reading).
struct Collect<'p> {
    path: &'p str,
    hits: Vec<TextHit>,
    pending_before: Vec<String>,
    keep: usize,
    count: usize,
    counted: usize,
    /// Whether the last match was kept (its after-context belongs to it).
    last_kept: bool,
}

fn line_text(bytes: &[u8]) -> String {
    // Never decode more of a long line than can be shown.
    let head = &bytes[..bytes.len().min(MAX_HIT_CHARS * 4 + 4)];
    let cut_bytes = head.len() < bytes.len();
    let text = String::from_utf8_lossy(head);
    let text = text.trim_end_matches(['\n', '\r']);
    match text.char_indices().nth(MAX_HIT_CHARS) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None if cut_bytes => format!("{}…", text.trim_end_matches('\u{FFFD}')),
        None => text.to_string(),
    }
}

impl Sink for Collect<'_> {
    type Error = std::io::Error;

    fn matched(&mut self, _: &Searcher, mat: &SinkMatch<'_>) -> Result<bool, Self::Error> {
        let first = mat.line_number().unwrap_or(0) as u32;
        for (i, line) in mat.lines().enumerate() {
            self.last_kept = self.hits.len() < self.keep;
            if self.last_kept {
                self.hits.push(TextHit {
                    path: self.path.to_string(),
                    line: first + i as u32,
                    text: line_text(line),
                    before: std::mem::take(&mut self.pending_before),
                    after: Vec::new(),
                    enclosing: None,
                });
            } else {
                self.pending_before.clear();
            }
            self.counted += 1;
            if self.counted >= self.count {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn context(&mut self, _: &Searcher, context: &SinkContext<'_>) -> Result<bool, Self::Error> {
        match context.kind() {
            SinkContextKind::Before if self.hits.len() < self.keep => {
                self.pending_before.push(line_text(context.bytes()));
            }
            SinkContextKind::After if self.last_kept => {
                if let Some(hit) = self.hits.last_mut() {
                    hit.after.push(line_text(context.bytes()));
                }
            }
            _ => {}
        }
        Ok(true)
    }

    fn context_break(&mut self, _: &Searcher) -> Result<bool, Self::Error> {
        self.pending_before.clear();
        Ok(true)
    }
}
