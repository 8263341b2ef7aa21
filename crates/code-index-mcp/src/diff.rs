//! Which lines changed, from git, and which definitions hold them.

use std::path::Path;

use code_index_protocol::{OutlineNode, Symbol};

/// The changed lines of one file (on the working-tree side).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileChange {
    /// Relative to the root.
    pub path: String,
    /// Inclusive 1-based line ranges; a pure deletion is the line it was at.
    pub ranges: Vec<(u32, u32)>,
    /// Not tracked by git yet: every definition counts as touched.
    pub new_file: bool,
}

async fn git(root: &Path, args: &[&str]) -> Result<String, String> {
    let out = tokio::process::Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .output()
        .await
        .map_err(|e| format!("cannot run git ({e}); diff_symbols needs git on the PATH"))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(format!("git {} failed: {}", args.join(" "), stderr.trim()));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The working tree's changes against `base`, and the untracked files.
pub async fn changed_lines(root: &Path, base: &str) -> Result<Vec<FileChange>, String> {
    if base.starts_with('-') {
        return Err(format!("{base:?} is not a git ref"));
    }
    git(root, &["rev-parse", "--is-inside-work-tree"])
        .await
        .map_err(|_| {
            format!(
                "{} is not in a git repository: diff_symbols needs one",
                root.display()
            )
        })?;
    let diff = git(
        root,
        &[
            "diff",
            "--no-color",
            "--no-ext-diff",
            "--unified=0",
            base,
            "--",
        ],
    )
    .await?;
    let mut changes = parse_diff(&diff);
    let untracked = git(root, &["ls-files", "--others", "--exclude-standard"]).await?;
    for path in untracked.lines().filter(|l| !l.is_empty()) {
        changes.push(FileChange {
            path: path.to_string(),
            ranges: vec![(1, u32::MAX)],
            new_file: true,
        });
    }
    Ok(changes)
}

/// Parses `git diff --unified=0` into the new side's changed ranges.
pub fn parse_diff(diff: &str) -> Vec<FileChange> {
    let mut changes: Vec<FileChange> = Vec::new();
    for line in diff.lines() {
        if let Some(path) = line.strip_prefix("+++ ") {
            if path == "/dev/null" {
                // A deleted file: nothing of it is left to touch.
                changes.push(FileChange {
                    path: String::new(),
                    ranges: Vec::new(),
                    new_file: false,
                });
            } else {
                changes.push(FileChange {
                    path: path.strip_prefix("b/").unwrap_or(path).to_string(),
                    ranges: Vec::new(),
                    new_file: false,
                });
            }
        } else if let Some(hunk) = line.strip_prefix("@@ ") {
            // @@ -a[,b] +c[,d] @@
            let Some(new) = hunk.split_whitespace().find(|w| w.starts_with('+')) else {
                continue;
            };
            let mut parts = new[1..].split(',');
            let start: u32 = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
            let count: u32 = parts.next().and_then(|s| s.parse().ok()).unwrap_or(1);
            let range = if count == 0 {
                (start.max(1), start.max(1))
            } else {
                (start, start + count - 1)
            };
            if let Some(change) = changes.last_mut() {
                change.ranges.push(range);
            }
        }
    }
    changes.retain(|c| !c.path.is_empty() && !c.ranges.is_empty());
    changes
}

/// The innermost definitions of an outline that hold changed lines, in
/// source order.
pub fn touched_definitions(outline: &[OutlineNode], change: &FileChange) -> Vec<Symbol> {
    // Flatten, without recursion.
    let mut flat: Vec<&OutlineNode> = Vec::new();
    let mut stack: Vec<&OutlineNode> = outline.iter().rev().collect();
    while let Some(node) = stack.pop() {
        flat.push(node);
        stack.extend(node.children.iter().rev());
    }
    let span = |n: &OutlineNode| (n.symbol.span.start_line, n.symbol.span.end_line);
    let mut touched: Vec<&OutlineNode> = Vec::new();
    for &(from, to) in &change.ranges {
        // Innermost definitions overlapping the range: those overlapping it
        // with no overlapping child.
        for node in &flat {
            let (start, end) = span(node);
            if start > to || end < from {
                continue;
            }
            let child_overlaps = node.children.iter().any(|c| {
                let (cs, ce) = span(c);
                cs <= to && ce >= from
            });
            if !child_overlaps && !touched.iter().any(|t| std::ptr::eq(*t, *node)) {
                touched.push(node);
            }
        }
    }
    touched.sort_by_key(|n| span(n));
    touched.into_iter().map(|n| n.symbol.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hunks_of_the_new_side() {
        let diff = "diff --git a/src/a.rs b/src/a.rs\n--- a/src/a.rs\n+++ b/src/a.rs\n@@ -3 +3,2 @@ fn x\n-old\n+new\n+more\n@@ -10,2 +11,0 @@\n-gone\n-gone\ndiff --git a/old.rs b/old.rs\n--- a/old.rs\n+++ /dev/null\n@@ -1,3 +0,0 @@\n";
        assert_eq!(
            parse_diff(diff),
            vec![FileChange {
                path: "src/a.rs".into(),
                ranges: vec![(3, 4), (11, 11)],
                new_file: false
            }]
        );
    }

    #[test]
    fn maps_lines_to_the_innermost_definitions() {
        fn node(name: &str, lines: (u32, u32), children: Vec<OutlineNode>) -> OutlineNode {
            OutlineNode {
                symbol: Symbol {
                    name: name.rsplit('.').next().unwrap().into(),
                    qualified_name: name.into(),
                    path: "a.py".into(),
                    span: code_index_protocol::Span {
                        start_line: lines.0,
                        end_line: lines.1,
                        ..Default::default()
                    },
                    ..Default::default()
                },
                children,
            }
        }
        let outline = vec![
            node(
                "A",
                (1, 10),
                vec![node("A.f", (2, 4), vec![]), node("A.g", (6, 9), vec![])],
            ),
            node("h", (12, 14), vec![]),
        ];
        let change = FileChange {
            path: "a.py".into(),
            ranges: vec![(3, 3), (13, 13)],
            new_file: false,
        };
        let names: Vec<String> = touched_definitions(&outline, &change)
            .iter()
            .map(|s| s.qualified_name.clone())
            .collect();
        assert_eq!(names, vec!["A.f", "h"]);
    }
}
