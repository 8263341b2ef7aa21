//! Answers as text that reads well to a model: one line per hit,
//! `path:line  kind  qualified_name  signature`, paths relative to the root,
//! a line saying how many more results exist and how to get them, and never
//! more than a character budget.

use std::fmt::Write;

use serde_json::Value;

/// The most characters one answer's text may have.
pub const DEFAULT_BUDGET: usize = 20_000;

/// Builds an answer's text within a budget.
pub struct Text {
    out: String,
    budget: usize,
    cut: bool,
}

impl Text {
    pub fn new(budget: usize) -> Text {
        Text {
            out: String::new(),
            budget,
            cut: false,
        }
    }

    /// Appends a line unless the budget is spent; returns whether it fit.
    pub fn line(&mut self, line: impl AsRef<str>) -> bool {
        if self.cut {
            return false;
        }
        let line = line.as_ref();
        if self.out.len() + line.len() + 1 > self.budget {
            self.cut = true;
            return false;
        }
        self.out.push_str(line);
        self.out.push('\n');
        true
    }

    pub fn was_cut(&self) -> bool {
        self.cut
    }

    /// The text, with a note when the budget cut it.
    pub fn finish(mut self, how_to_see_more: &str) -> String {
        if self.cut {
            let _ = writeln!(
                self.out,
                "… output cut at {} characters; {how_to_see_more}",
                self.budget
            );
        }
        self.out
    }
}

/// `path:line  kind  qualified_name  signature` for a symbol in wire form.
pub fn symbol_line(symbol: &Value) -> String {
    let path = symbol["path"].as_str().unwrap_or("?");
    let line = symbol["span"]["start_line"].as_u64().unwrap_or(0);
    let kind = symbol["kind"].as_str().unwrap_or("?");
    let name = symbol["qualified_name"]
        .as_str()
        .or_else(|| symbol["name"].as_str())
        .unwrap_or("?");
    let signature = symbol["signature"].as_str().unwrap_or("");
    if signature.is_empty() || signature == name {
        format!("{path}:{line}  {kind}  {name}")
    } else {
        format!("{path}:{line}  {kind}  {name}  {signature}")
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

/// The notice for answers given while the index is still being built.
pub fn incomplete_notice(progress: Option<(u64, u64)>) -> String {
    match progress {
        Some((done, total)) if total > 0 => format!(
            "note: the index is still being built ({done} of {total} files); results may be missing"
        ),
        _ => "note: the index is still being built; results may be missing".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lines_name_path_kind_and_signature() {
        let s = json!({"path": "src/a.rs", "span": {"start_line": 3}, "kind": "method",
                       "qualified_name": "Foo::bar", "signature": "fn bar(&self)"});
        assert_eq!(
            symbol_line(&s),
            "src/a.rs:3  method  Foo::bar  fn bar(&self)"
        );
    }

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
        let mut text = Text::new(30);
        assert!(text.line("0123456789"));
        assert!(text.line("0123456789"));
        assert!(!text.line("0123456789"));
        let out = text.finish("narrow the query");
        assert!(out.contains("cut at 30 characters; narrow the query"));
    }
}
