//! What a client may forward to the model, and how much of it: the budget,
//! the text built within it ([`Text`]), and the structured form of the same
//! answer ([`Rendered`]).

use std::fmt::Write;

use serde_json::Value;

/// The most characters one answer may have, by default.
pub const DEFAULT_BUDGET: usize = 20_000;
/// What the fields beside the text may take in a structured answer.
const STRUCTURED_RESERVE: usize = 600;

/// What a client forwards to the model, and how much of it there may be.
///
/// Claude Code and Codex CLI give the model the JSON of `structuredContent`
/// when a result has it, and drop the text; other clients show the text. So
/// by default an answer is text only. With `structured`, it also carries
/// `{"answer": <the text>, "total", "next_offset", "total_is_lower_bound",
/// "notes"}`, and the budget applies to that JSON as a whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Payload {
    /// The most characters of an answer, whichever form a client forwards.
    pub budget: usize,
    pub structured: bool,
    /// The daemon's result as it is, as structured content (for
    /// `code-index query --json`; never over MCP).
    pub wire: bool,
}

impl Default for Payload {
    fn default() -> Self {
        Payload {
            budget: DEFAULT_BUDGET,
            structured: false,
            wire: false,
        }
    }
}

/// An answer, rendered: its text and what a client reading fields needs.
#[derive(Clone, Debug, Default)]
pub struct Rendered {
    pub text: String,
    /// Results in all, when the answer is a page of them.
    pub total: Option<u64>,
    /// The `offset` that gets the next page, when there is more.
    pub next_offset: Option<u64>,
    /// `total` counts up to a cap: there are at least that many.
    pub total_is_lower_bound: bool,
    /// Index incomplete, answer cut, and the like; also in the text.
    pub notes: Vec<String>,
}

impl Rendered {
    /// The structured form: the text, once, and the paging fields.
    pub fn structured(&self) -> serde_json::Map<String, Value> {
        let mut out = serde_json::Map::new();
        out.insert("answer".into(), Value::from(self.text.clone()));
        if let Some(total) = self.total {
            out.insert("total".into(), Value::from(total));
        }
        if let Some(next) = self.next_offset {
            out.insert("next_offset".into(), Value::from(next));
        }
        if self.total_is_lower_bound {
            out.insert("total_is_lower_bound".into(), Value::from(true));
        }
        if !self.notes.is_empty() {
            out.insert("notes".into(), Value::from(self.notes.clone()));
        }
        out
    }
}

impl Rendered {
    /// The structured form, its JSON at most `budget` characters whatever
    /// the notes beside the text take: the text loses lines from its end
    /// (the fields still say how to get more) until it fits.
    pub fn structured_within(mut self, budget: usize) -> serde_json::Map<String, Value> {
        loop {
            let out = self.structured();
            let len = Value::Object(out.clone()).to_string().chars().count();
            if len <= budget || self.text.is_empty() {
                return out;
            }
            let body = self.text.trim_end_matches('\n');
            let keep = body.rfind('\n').map_or(0, |i| i + 1);
            self.text.truncate(keep);
            if !self.notes.iter().any(|n| n.starts_with("output cut")) {
                self.notes
                    .push(format!("output cut at {budget} characters"));
            }
        }
    }
}

/// The JSON Schema of every tool's structured answer.
pub fn output_schema() -> serde_json::Map<String, Value> {
    let schema = serde_json::json!({
        "type": "object",
        "properties": {
            "answer": {"type": "string", "description": "The answer as text: one line per result, then how to get more."},
            "total": {"type": "integer", "description": "Results in all, when the answer is a page of them."},
            "next_offset": {"type": "integer", "description": "Pass as offset to get the next page; absent when there is no more."},
            "total_is_lower_bound": {"type": "boolean", "description": "Counting stopped at total: there are at least that many."},
            "notes": {"type": "array", "items": {"type": "string"}, "description": "Index incomplete, answer cut, and the like."}
        },
        "required": ["answer"]
    });
    match schema {
        Value::Object(map) => map,
        _ => unreachable!("the schema is an object"),
    }
}

/// Builds an answer's text within a budget.
pub struct Text {
    out: String,
    budget: usize,
    /// What the text costs as the client forwards it: its characters, or
    /// (structured) its length escaped into a JSON string.
    spent: usize,
    json: bool,
    cut: bool,
    rendered: Rendered,
}

impl Text {
    pub fn new(budget: usize) -> Text {
        Text {
            out: String::new(),
            budget,
            spent: 0,
            json: false,
            cut: false,
            rendered: Rendered::default(),
        }
    }

    /// A text for answers of this payload, at most `cap` characters when
    /// that is less than the budget.
    pub fn for_payload(payload: Payload, cap: Option<usize>) -> Text {
        let budget = cap.map_or(payload.budget, |c| c.min(payload.budget));
        if payload.structured {
            let mut text = Text::new(budget.saturating_sub(STRUCTURED_RESERVE).max(200));
            text.json = true;
            text
        } else {
            Text::new(budget)
        }
    }

    /// Room kept for the note that the budget cut the answer.
    fn reserve(&self) -> usize {
        (self.budget / 4).min(160)
    }

    fn cost(&self, line: &str) -> usize {
        if self.json {
            // Escaped, plus `\n`.
            serde_json::to_string(line).map_or(line.len() * 6, |s| s.len() - 2) + 2
        } else {
            line.len() + 1
        }
    }

    /// Appends a line unless the budget is spent; returns whether it fit.
    pub fn line(&mut self, line: impl AsRef<str>) -> bool {
        if self.cut {
            return false;
        }
        let line = line.as_ref();
        let cost = self.cost(line);
        if self.spent + cost > self.budget.saturating_sub(self.reserve()) {
            self.cut = true;
            return false;
        }
        self.spent += cost;
        self.out.push_str(line);
        self.out.push('\n');
        true
    }

    /// A note that the answer is incomplete or approximate: a line of the
    /// text, and one of the structured notes.
    pub fn note(&mut self, note: impl Into<String>) {
        let note = note.into();
        self.line(&note);
        self.rendered.notes.push(note);
    }

    /// The paging line for `shown` results from `offset` out of `total`,
    /// and the paging fields.
    pub fn paging(&mut self, total: u64, offset: u64, shown: usize) {
        self.rendered.total = Some(total);
        let end = offset + shown as u64;
        self.rendered.next_offset = (end < total && shown > 0).then_some(end);
        if let Some(line) = paging_line(total, offset, shown) {
            self.line(line);
        }
    }

    /// Records the number of results in all, for an answer with no page.
    pub fn set_total(&mut self, total: u64) {
        self.rendered.total = Some(total);
    }

    /// The number of results in all, once recorded.
    pub fn total(&self) -> Option<u64> {
        self.rendered.total
    }

    /// Records that `total` counts up to a cap.
    pub fn lower_bound(&mut self) {
        self.rendered.total_is_lower_bound = true;
    }

    /// Records where the next page starts, for answers whose text says it
    /// its own way.
    pub fn next_offset(&mut self, next: Option<u64>) {
        self.rendered.next_offset = next;
    }

    pub fn was_cut(&self) -> bool {
        self.cut
    }

    /// The text, with a note when the budget cut it.
    pub fn finish(self, how_to_see_more: &str) -> String {
        self.finish_rendered(how_to_see_more).text
    }

    /// The text and its fields, with a note when the budget cut it.
    pub fn finish_rendered(mut self, how_to_see_more: &str) -> Rendered {
        if self.cut {
            let note = format!(
                "output cut at {} characters; {how_to_see_more}",
                self.budget
            );
            let mut line = format!("… {note}");
            // The note may not break the budget either.
            let room = self.budget.saturating_sub(self.spent + 1);
            while self.cost(&line) > room + 1 && !line.is_empty() {
                let mut end = line.len() - 1;
                while !line.is_char_boundary(end) {
                    end -= 1;
                }
                line.truncate(end);
            }
            let _ = writeln!(self.out, "{line}");
            self.rendered.notes.push(note);
        }
        self.rendered.text = self.out;
        self.rendered
    }
}

/// "Showing 1–50 of 812; next: offset=50" and the like.
pub fn paging_line(total: u64, offset: u64, shown: usize) -> Option<String> {
    let end = offset + shown as u64;
    if total == 0 {
        return None;
    }
    if shown == 0 {
        return Some(format!(
            "{total} results in all; offset {offset} is past the end"
        ));
    }
    if end >= total && offset == 0 {
        return None;
    }
    let mut line = format!("showing {}–{end} of {total}", offset + 1);
    if end < total {
        let _ = write!(line, "; {} more: call again with offset={end}", total - end);
    }
    Some(line)
}

/// Longest word of an error message kept whole; longer ones (an echoed
/// argument) are shortened.
const MAX_ERROR_WORD: usize = 160;
/// Longest error message.
const MAX_ERROR: usize = 2_000;

/// An error message that cannot carry a huge argument back to the model:
/// each overlong word keeps its start and end, and the whole keeps its start
/// and its end (where the advice is).
pub fn bounded_message(message: &str) -> String {
    fn cut(s: &str, head: usize, tail: usize) -> String {
        let chars: Vec<char> = s.chars().collect();
        if chars.len() <= head + tail + 40 {
            return s.to_string();
        }
        let start: String = chars[..head].iter().collect();
        let end: String = chars[chars.len() - tail..].iter().collect();
        format!(
            "{start}…({} characters cut)…{end}",
            chars.len() - head - tail
        )
    }
    let words: Vec<String> = message
        .split(' ')
        .map(|w| {
            if w.chars().count() > MAX_ERROR_WORD {
                cut(w, 80, 30)
            } else {
                w.to_string()
            }
        })
        .collect();
    cut(&words.join(" "), MAX_ERROR - 600, 500)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_says_how_to_get_more() {
        assert_eq!(paging_line(10, 0, 10), None);
        assert_eq!(
            paging_line(120, 0, 50).unwrap(),
            "showing 1–50 of 120; 70 more: call again with offset=50"
        );
        assert_eq!(paging_line(120, 100, 20).unwrap(), "showing 101–120 of 120");
    }

    #[test]
    fn the_budget_cuts_and_says_so() {
        let mut text = Text::new(300);
        let line = "x".repeat(99);
        assert!(text.line(&line));
        assert!(text.line(&line));
        assert!(!text.line(&line));
        let out = text.finish("narrow the query");
        assert!(
            out.contains("cut at 300 characters; narrow the query"),
            "{out}"
        );
        assert!(out.len() <= 300, "{} characters", out.len());
    }

    #[test]
    fn structured_json_fits_the_budget_however_long_the_notes() {
        let mut text = Text::for_payload(
            Payload {
                budget: 1_000,
                structured: true,
                wire: false,
            },
            None,
        );
        for _ in 0..3 {
            text.note("n".repeat(300));
        }
        while text.line("src/a.rs:1  fn  a") {}
        let out = text.finish_rendered("call again").structured_within(1_000);
        let json = Value::Object(out.clone()).to_string();
        assert!(
            json.chars().count() <= 1_000,
            "{} characters",
            json.chars().count()
        );
        assert!(out["notes"].as_array().unwrap().len() >= 4, "{json}");
    }

    #[test]
    fn error_messages_do_not_echo_huge_arguments() {
        let huge = "x".repeat(100_000);
        let message = bounded_message(&format!(
            "invalid regular expression {huge:?}: unclosed group; fix the pattern"
        ));
        assert!(message.len() < 400, "{} characters", message.len());
        assert!(
            message.ends_with("unclosed group; fix the pattern"),
            "{message}"
        );
        assert!(message.contains("characters cut"), "{message}");
        let words = vec!["word"; 20_000].join(" ");
        let message = bounded_message(&format!("bad {words}; do this"));
        assert!(
            message.chars().count() <= 2_100,
            "{}",
            message.chars().count()
        );
        assert!(message.ends_with("; do this"), "{message}");
        assert_eq!(bounded_message("short and sweet"), "short and sweet");
    }

    #[test]
    fn a_structured_answer_stays_within_the_budget_as_json() {
        let payload = Payload {
            budget: 2_000,
            structured: true,
            wire: false,
        };
        let mut text = Text::for_payload(payload, None);
        let mut shown = 0;
        // Quotes and backslashes double when escaped.
        while text.line(r#"src/a.rs:1  fn  "quoted" \ path\with\backslashes"#) {
            shown += 1;
        }
        text.paging(10_000, 0, shown);
        let rendered = text.finish_rendered("call again with offset=N");
        let json = serde_json::to_string(&Value::Object(rendered.structured())).unwrap();
        assert!(json.len() <= 2_000, "{} characters", json.len());
        assert_eq!(rendered.next_offset, Some(shown as u64));
        assert_eq!(rendered.total, Some(10_000));
        assert!(
            rendered.notes[0].contains("output cut"),
            "{:?}",
            rendered.notes
        );
    }
}
