//! Answers as text that reads well to a model: one line per hit,
//! `path:line  kind  qualified_name  signature`, paths relative to the root,
//! a line saying how many more results exist and how to get them, and never
//! more than the budget of the [`Text`] they are written into.
//!
//! Every renderer is a pure function of the daemon's typed results (merged
//! across projects by [`crate::fanout`]); each returns how to see more when
//! the budget cuts the answer.

use code_index_protocol as wire;
use code_index_protocol::Progress;

use crate::diff::FileChange;
use crate::fanout::{Merged, PathHit, Relation, Side, Tagged};
use crate::payload::{Rendered, Text};

/// `path:line  kind  qualified_name  signature`.
pub fn symbol_line(symbol: &wire::Symbol) -> String {
    let name = if symbol.qualified_name.is_empty() {
        &symbol.name
    } else {
        &symbol.qualified_name
    };
    let (path, line, kind) = (&symbol.path, symbol.span.start_line, &symbol.kind);
    let signature = &symbol.signature;
    if signature.is_empty() || signature == name {
        format!("{path}:{line}  {kind}  {name}")
    } else {
        format!("{path}:{line}  {kind}  {name}  {signature}")
    }
}

/// `[project] ` for items of a linked project.
fn tag<T>(item: &Tagged<T>) -> String {
    item.project
        .as_deref()
        .map(|p| format!("[{p}] "))
        .unwrap_or_default()
}

/// The text of an answer: `render` writes the results, and the notes say
/// when the index they came from is still being built.
pub fn answer(
    mut text: Text,
    complete: bool,
    progress: Option<Progress>,
    render: impl FnOnce(&mut Text) -> String,
) -> Rendered {
    if !complete {
        text.note(incomplete_notice(progress));
    }
    let how = render(&mut text);
    if !complete && text.total() == Some(0) {
        // "Nothing" from a partial index is not "does not exist".
        let left = progress
            .filter(|p| p.total > 0)
            .map(|p| {
                format!(
                    " ({} of {} files still to index)",
                    p.total.saturating_sub(p.done),
                    p.total
                )
            })
            .unwrap_or_default();
        text.note(format!(
            "nothing found yet: it may be in files not indexed so far{left}; ask again once index_status says ready"
        ));
    }
    text.finish_rendered(&how)
}

/// The notice for answers given while the index is still being built.
pub fn incomplete_notice(progress: Option<Progress>) -> String {
    match progress {
        Some(p) if p.total > 0 => format!(
            "note: the index is still being built ({} of {} files); results may be missing",
            p.done, p.total
        ),
        _ => "note: the index is still being built; results may be missing".to_string(),
    }
}

/// A page of items, one line each, with the paging line.
fn page_lines<T>(
    page: &Merged<T>,
    text: &mut Text,
    count_only: bool,
    what: &str,
    line_of: impl Fn(&T) -> String,
) -> String {
    let total = page.total;
    if count_only || total == 0 {
        text.line(format!("{total} {what}"));
        text.set_total(total);
        return String::new();
    }
    let mut shown = 0;
    for item in &page.items {
        if !text.line(format!("{}{}", tag(item), line_of(&item.item))) {
            break;
        }
        shown += 1;
    }
    text.paging(total, page.offset, shown);
    if page.total_is_lower_bound {
        text.lower_bound();
        text.note(format!(
            "counting stopped at {total}: there are at least that many; narrow with glob or a more specific pattern"
        ));
    }
    format!("call again with offset={}", page.offset + shown as u64)
}

/// `search_symbols`.
pub fn symbols(page: &Merged<wire::SymbolMatch>, count_only: bool, text: &mut Text) -> String {
    page_lines(page, text, count_only, "symbols", |m| {
        symbol_line(&m.symbol)
    })
}

/// `find_definition`: each definition with the first line of its doc.
pub fn definitions(page: &Merged<wire::Symbol>, count_only: bool, text: &mut Text) -> String {
    page_lines(page, text, count_only, "definitions", |s| {
        let mut line = symbol_line(s);
        if let Some(doc) = s.doc.lines().next() {
            line.push_str("\n    ");
            line.push_str(doc);
        }
        line
    })
}

/// `find_references`: how many are resolved, then the hits grouped under
/// their file, the resolved ones first and the name-only candidates after a
/// line that says what they are.
pub fn references(page: &Merged<PathHit>, count_only: bool, text: &mut Text) -> String {
    let total = page.total;
    let resolved = page.resolved.unwrap_or(0);
    let summary = graded_summary(total, resolved, "reference", "references");
    if count_only || total == 0 {
        text.line(summary);
        distant_note(page.distant_left_out, "matches", text);
        overrides_note(&page.overrides, page.overrides_total, text);
        text.set_total(total);
        return String::new();
    }
    text.line(summary);
    distant_note(page.distant_left_out, "matches", text);
    overrides_note(&page.overrides, page.overrides_total, text);
    let mut shown = 0;
    let mut file: Option<(&Option<String>, &str)> = None;
    let mut grade: Option<&str> = None;
    for item in &page.items {
        let hit = &item.item.hit;
        let candidate = hit.resolution == "candidate";
        let distant = hit.resolution == "distant";
        // The candidates after the resolved ones, and the distant matches
        // after those, each under a line of their own.
        let starts_candidates = candidate && grade != Some("candidate") && resolved > 0;
        let starts_distant = distant && grade != Some("distant");
        grade = Some(hit.resolution.as_str());
        if starts_candidates {
            file = None;
            if !text
                .line("name-only candidates (the same name; what it is called on is not known):")
            {
                break;
            }
        }
        if starts_distant {
            file = None;
            if !text.line(
                "distant (the same name, in files that import none of the definition's files):",
            ) {
                break;
            }
        }
        let here = (&item.project, item.item.path.as_str());
        if file != Some(here) {
            file = Some(here);
            if !text.line(format!("{}{}", tag(item), item.item.path)) {
                break;
            }
        }
        let enclosing = hit
            .enclosing
            .as_deref()
            .map(|e| format!(" (in {e})"))
            .unwrap_or_default();
        let line = format!(
            "  {}:{}  {}{enclosing}  {}",
            hit.line, hit.column, hit.kind, hit.text
        );
        if !text.line(line) {
            break;
        }
        shown += 1;
    }
    text.paging(total, page.offset, shown);
    format!(
        "call again with offset={} and a smaller limit, or resolution=resolved",
        page.offset + shown as u64
    )
}

/// `12 references: 3 resolved, 9 name-only candidates`, and the like.
fn graded_summary(total: u64, resolved: u64, one: &str, many: &str) -> String {
    let noun = if total == 1 { one } else { many };
    match total - resolved.min(total) {
        _ if total == 0 => format!("0 {many}"),
        0 => format!("{total} {noun}, all resolved"),
        _ if resolved == 0 => format!("{total} {noun}, all name-only candidates"),
        1 => format!("{total} {noun}: {resolved} resolved, 1 name-only candidate"),
        candidates => {
            format!("{total} {noun}: {resolved} resolved, {candidates} name-only candidates")
        }
    }
}

/// Says how many same-name matches were left out as `distant`, and how to
/// see them.
/// How many overrides and implementations to name in the text.
const OVERRIDES_SHOWN: usize = 10;

/// The overrides and implementations of what was asked, as a group of
/// their own: their uses are not among the references.
fn overrides_note(overrides: &[wire::DefinitionSite], total: u64, text: &mut Text) {
    if overrides.is_empty() {
        return;
    }
    let total = total.max(overrides.len() as u64);
    let what = if total == 1 {
        "1 override or implementation".to_string()
    } else {
        format!("{total} overrides or implementations")
    };
    text.line(format!(
        "{what} in subclasses (their uses are theirs, not listed; ask find_references for each):"
    ));
    let shown = overrides.len().min(OVERRIDES_SHOWN);
    for o in &overrides[..shown] {
        text.line(format!("  {}:{} {}", o.path, o.line, o.name));
    }
    if total > shown as u64 {
        text.line(format!("  … and {} more", total - shown as u64));
    }
}

fn distant_note(left_out: u64, what: &str, text: &mut Text) {
    if left_out > 0 {
        text.line(format!(
            "{left_out} more same-name {what} left out as distant: in files that import none \
             of the definition's files, most likely another definition's; resolution=all \
             lists them too"
        ));
    }
}

/// `file_outline`: the definitions as an indented tree.
pub fn outline(nodes: &[wire::OutlineNode], text: &mut Text) -> String {
    if nodes.is_empty() {
        text.line("no definitions");
    }
    let mut stack: Vec<(usize, &wire::OutlineNode)> = nodes.iter().rev().map(|n| (0, n)).collect();
    while let Some((depth, node)) = stack.pop() {
        let s = &node.symbol;
        let what = if s.signature.is_empty() {
            &s.name
        } else {
            &s.signature
        };
        let line = format!(
            "{}{}  {}  {what}",
            "  ".repeat(depth),
            s.span.start_line,
            s.kind
        );
        if !text.line(line) {
            break;
        }
        stack.extend(node.children.iter().rev().map(|c| (depth + 1, c)));
    }
    "use find_definition or symbol_at for parts of the file".to_string()
}

/// `symbol_at`: the identifier, its role, and the definition around it.
pub fn symbol_at(at: &wire::SymbolAtResult, text: &mut Text) -> String {
    if let Some(id) = &at.identifier {
        let role = match (&at.defines, &at.reference_kind) {
            (Some(_), _) => "defined here".to_string(),
            (None, Some(kind)) => format!("{kind} reference"),
            (None, None) => "identifier".to_string(),
        };
        text.line(format!("{id}  ({role})"));
    }
    match &at.enclosing {
        Some(e) => text.line(format!("inside {}", symbol_line(e))),
        None => text.line("at the top level of the file"),
    };
    String::new()
}

/// `find_callers` and `find_callees`: how many edges are resolved, then one
/// edge a line, indented by depth, the name-only ones marked.
pub fn call_edges(page: &Merged<wire::CallEdge>, count_only: bool, text: &mut Text) -> String {
    let total = page.total;
    let resolved = page.resolved.unwrap_or(0);
    text.line(graded_summary(total, resolved, "call edge", "call edges"));
    distant_note(page.distant_left_out, "edges", text);
    if count_only || total == 0 {
        text.set_total(total);
        return String::new();
    }
    let mut shown = 0;
    for item in &page.items {
        let e = &item.item;
        let lines: Vec<String> = e.lines.iter().map(u32::to_string).collect();
        let target = e
            .to_symbol
            .as_ref()
            .map(|s| format!("  → {}:{}", s.path, s.span.start_line))
            .unwrap_or_default();
        // A candidate only shares the name: what it is called on is unknown.
        let grade = match e.resolution.as_str() {
            "candidate" => " (name only)",
            "distant" => " (distant)",
            _ => "",
        };
        let line = format!(
            "{}{}{} → {}{grade}  at {}:{}{target}",
            tag(item),
            "  ".repeat(usize::from(e.depth.max(1)) - 1),
            e.from,
            e.to,
            e.path,
            lines.join(","),
        );
        if !text.line(line) {
            break;
        }
        shown += 1;
    }
    text.paging(total, page.offset, shown);
    format!("call again with offset={}", page.offset + shown as u64)
}

/// `find_implementations`: implementors, then supertypes.
pub fn implementations(found: &Merged<Relation>, text: &mut Text) -> String {
    for (title, side) in [
        ("implemented or extended by", Side::Implementation),
        ("implements or extends", Side::Supertype),
    ] {
        let items: Vec<&Tagged<Relation>> =
            found.items.iter().filter(|r| r.item.side == side).collect();
        if items.is_empty() {
            continue;
        }
        text.line(format!("{title}:"));
        for item in items {
            let rel = &item.item.relation;
            let at = rel
                .symbol
                .as_ref()
                .map(symbol_line)
                .unwrap_or_else(|| format!("{}:{}", rel.path, rel.line));
            let name = match side {
                Side::Implementation => &rel.implementor,
                Side::Supertype => &rel.supertype,
            };
            text.line(format!("  {}{name}  {at}", tag(item)));
        }
    }
    if found.items.is_empty() {
        text.line("no implementations or supertypes found");
    }
    text.set_total(found.total);
    String::new()
}

/// `file_dependencies`: what `path` imports, then a page of its importers.
pub fn file_dependencies(
    path: &str,
    imports: &[wire::ImportHit],
    dependents: &Merged<wire::DependentHit>,
    text: &mut Text,
) -> String {
    text.line("imports:");
    if imports.is_empty() {
        text.line("  (none)");
    }
    for i in imports {
        let to = if i.resolved.is_empty() {
            String::new()
        } else {
            format!("  → {}", i.resolved.join(", "))
        };
        text.line(format!("  {path}:{}  {}{to}", i.line, i.module));
    }
    text.line("imported by:");
    if dependents.items.is_empty() {
        text.line("  (none)");
    }
    let mut shown = 0;
    for item in &dependents.items {
        let d = &item.item;
        if !text.line(format!(
            "  {}{}:{}  {}",
            tag(item),
            d.path,
            d.line,
            d.module
        )) {
            break;
        }
        shown += 1;
    }
    text.paging(dependents.total, dependents.offset, shown);
    format!(
        "call again with offset={}",
        dependents.offset + shown as u64
    )
}

/// `search_text`: each hit as `path:line  (in definition)  text`, its
/// context lines as `path-line-  text`.
pub fn text_hits(page: &Merged<wire::TextHit>, count_only: bool, text: &mut Text) -> String {
    page_lines(page, text, count_only, "matching lines", |h| {
        let path = &h.path;
        let line = h.line as usize;
        let enclosing = h
            .enclosing
            .as_deref()
            .map(|e| format!("  (in {e})"))
            .unwrap_or_default();
        let mut out = String::new();
        for (i, before) in h.before.iter().enumerate() {
            let n = line.saturating_sub(h.before.len()) + i;
            out.push_str(&format!("{path}-{n}-  {before}\n"));
        }
        out.push_str(&format!("{path}:{line}{enclosing}  {}", h.text.trim()));
        for (i, after) in h.after.iter().enumerate() {
            out.push_str(&format!("\n{path}-{}-  {after}", line + 1 + i));
        }
        out
    })
}

/// `repo_map`: each file, then its most used definitions.
pub fn repo_map(files: &[wire::RepoMapFile], text: &mut Text) -> String {
    'files: for file in files {
        if !text.line(&file.path) {
            break;
        }
        for s in &file.symbols {
            let s = &s.symbol;
            let signature = if s.signature.is_empty() {
                &s.qualified_name
            } else {
                &s.signature
            };
            if !text.line(format!("  {}  {}  {signature}", s.span.start_line, s.kind)) {
                break 'files;
            }
        }
    }
    "raise max_tokens for more".to_string()
}

/// `find_files`: each file with its language and definitions, or why it is
/// not parsed.
pub fn files(page: &Merged<wire::FileEntry>, count_only: bool, text: &mut Text) -> String {
    page_lines(page, text, count_only, "files", |f| {
        match (&f.language, &f.skipped) {
            (_, Some(why)) => format!("{}  (not parsed: {why})", f.path),
            (Some(lang), None) => format!("{}  {lang}, {} definitions", f.path, f.definitions),
            (None, None) => f.path.clone(),
        }
    })
}

/// `list_dir`: entries indented by depth below `prefix`, directories with
/// their file counts.
pub fn dir(page: &Merged<wire::DirEntry>, prefix: &str, text: &mut Text) -> String {
    if page.total == 0 {
        text.line(format!(
            "no indexed files under {:?}",
            if prefix.is_empty() { "." } else { prefix }
        ));
        text.set_total(0);
        return String::new();
    }
    let mut shown = 0;
    for item in &page.items {
        let path = item.item.path.trim_end_matches('/');
        let indent = "  ".repeat(path.matches('/').count());
        let name = path.rsplit('/').next().unwrap_or(path);
        let line = match item.item.files {
            Some(count) => format!("{indent}{name}/  ({count} files)"),
            None => format!("{indent}{name}"),
        };
        if !text.line(line) {
            break;
        }
        shown += 1;
    }
    text.paging(page.total, page.offset, shown);
    format!(
        "call again with offset={}, or give a deeper path or a smaller depth",
        page.offset + shown as u64
    )
}

/// A definition that changed lines touch, and its callers.
pub struct Touched<'a> {
    pub change: &'a FileChange,
    pub symbol: wire::Symbol,
    /// Absent when they could not be listed.
    pub callers: Option<wire::CallGraph>,
}

/// `diff_symbols`: under each changed file, the definitions its changes
/// touch, each with its first callers.
pub fn diff_symbols(
    base: &str,
    changes: &[FileChange],
    touched: &[Touched],
    text: &mut Text,
) -> String {
    if changes.is_empty() {
        text.line(format!("no changes against {base}"));
    } else if touched.is_empty() {
        text.line("the changes touch no indexed definition");
    }
    let mut file: Option<&str> = None;
    for t in touched {
        if file != Some(t.change.path.as_str()) {
            file = Some(&t.change.path);
            let new = if t.change.new_file {
                "  (new file)"
            } else {
                ""
            };
            text.line(format!("{}{new}", t.change.path));
        }
        text.line(format!("  {}", symbol_line(&t.symbol)));
        let Some(callers) = &t.callers else { continue };
        for e in &callers.edges {
            let line = e.lines.first().map_or(String::new(), u32::to_string);
            text.line(format!("      called by {} at {}:{line}", e.from, e.path));
        }
        let more = callers.total.saturating_sub(callers.edges.len() as u64);
        if more > 0 {
            text.line(format!(
                "      … {more} more callers: find_callers {}",
                t.symbol.qualified_name
            ));
        }
    }
    "narrow with base".to_string()
}

/// `reindex`: what the pass did.
pub fn reindex(r: &wire::ReindexResult, text: &mut Text) -> String {
    text.line(format!(
        "reindexed: {} parsed, {} unchanged, {} removed in {:.0} ms",
        r.parsed, r.unchanged, r.removed, r.elapsed_ms
    ));
    if let (Some(path), Some(why)) = (&r.path, &r.skipped) {
        text.line(format!("{path} is listed but not parsed: {why}"));
    }
    String::new()
}

/// One project's `index_status` block: state, index, languages, watcher,
/// daemon.
pub fn index_status(
    status: &code_index_protocol::StatusResult,
    stats: &code_index_protocol::StatsResult,
    text: &mut Text,
) {
    text.line(format!("project  {}", status.root));
    let progress = status
        .progress
        .map(|p| match p.total {
            // The walk has not counted the files yet.
            0 => " (listing the files)".to_string(),
            total => format!(" ({} of {total} files)", p.done),
        })
        .unwrap_or_default();
    let failure = status
        .error
        .as_deref()
        .map(|e| format!(": {e} (see .code-index/daemon.log; fix it, then `code-index stop`)"))
        .unwrap_or_default();
    text.line(format!("state    {}{progress}{failure}", status.state));
    text.line(format!(
        "index    {} files, {} definitions, {} references",
        stats.files, stats.definitions, stats.references
    ));
    for (lang, l) in &stats.languages {
        text.line(format!(
            "  {lang}: {} files, {} definitions",
            l.files, l.definitions
        ));
    }
    let detail = status
        .watcher_detail
        .as_deref()
        .map(|d| format!(" ({d})"))
        .unwrap_or_default();
    // Repairs are changes the file events missed and the periodic check
    // found: the measure of drift.
    let repairs = match (status.watcher_repairs, status.watcher_checked_seconds_ago) {
        (Some(n), Some(ago)) => format!("; {n} repairs by the periodic check, last {ago}s ago"),
        (Some(n), None) => format!("; {n} repairs by the periodic check"),
        _ => String::new(),
    };
    text.line(format!("watcher  {}{detail}{repairs}", status.watcher));
    text.line(format!(
        "daemon   pid {}, version {}, up {}s",
        status.pid, status.version, status.uptime_seconds
    ));
}

#[cfg(test)]
mod tests;
