//! One handler per op: its params and its result are the types its
//! [`calls`] entry names, so the daemon and its clients cannot disagree on a
//! field. Handlers run on blocking threads and hold the index's read lock
//! only while they query.

use std::sync::atomic::AtomicBool;

use code_index_core::query::{self as q, PathGlob, QueryError};
use code_index_core::{Index, Language, RefKind, ReferenceFilter, SymbolFilter, SymbolKind};
use code_index_protocol as wire;
use code_index_protocol::calls::{self, Call, limits};
use code_index_protocol::{ErrorCode, Op, RpcError};
use serde_json::Value;

use crate::state::Shared;

/// What a handler works with.
struct Ctx<'a> {
    shared: &'a Shared,
    index: &'a Index,
    cancelled: &'a AtomicBool,
}

type Answer<C> = Result<<C as Call>::Result, RpcError>;

/// Answers a query; one that runs long gives up once `cancelled` is set.
/// `hello`, `status`, `reindex`, `cancel` and `shutdown` are the server's.
pub fn query(shared: &Shared, op: Op, cancelled: &AtomicBool) -> Result<Value, RpcError> {
    let index = shared.read_index();
    let cx = Ctx {
        shared,
        index: &index,
        cancelled,
    };
    match op {
        Op::SearchSymbols(p) => encode::<calls::SearchSymbols>(search_symbols(&cx, p)),
        Op::Definitions(p) => encode::<calls::Definitions>(definitions(&cx, p)),
        Op::References(p) => encode::<calls::References>(references(&cx, p)),
        Op::FileOutline(p) => encode::<calls::FileOutline>(file_outline(&cx, p)),
        Op::SymbolAt(p) => encode::<calls::SymbolAt>(symbol_at(&cx, p)),
        Op::Callers(p) => encode::<calls::Callers>(call_filter(&p).map(|filter| {
            call_graph(
                cx.index
                    .callers(&p.name, p.depth.unwrap_or(1), &filter, paging(p.paging)),
            )
        })),
        Op::Callees(p) => encode::<calls::Callees>(call_filter(&p).map(|filter| {
            call_graph(
                cx.index
                    .callees(&p.name, p.depth.unwrap_or(1), &filter, paging(p.paging)),
            )
        })),
        Op::Implementations(p) => encode::<calls::Implementations>(implementations(&cx, p)),
        Op::Imports(p) => encode::<calls::Imports>(imports(&cx, p)),
        Op::Dependents(p) => encode::<calls::Dependents>(dependents(&cx, p)),
        Op::Files(p) => encode::<calls::Files>(files(&cx, p)),
        Op::Dir(p) => encode::<calls::Dir>(dir(&cx, p)),
        Op::SearchText(p) => encode::<calls::SearchText>(search_text(&cx, p)),
        Op::RepoMap(p) => encode::<calls::RepoMap>(repo_map(&cx, p)),
        Op::Stats => encode::<calls::Stats>(Ok(stats(shared, cx.index))),
        other => Err(RpcError::new(
            ErrorCode::Internal,
            format!("{} is not a query", other.name()),
        )),
    }
}

/// The result of op `C` as the wire carries it.
fn encode<C: Call>(answer: Answer<C>) -> Result<Value, RpcError> {
    serde_json::to_value(answer?)
        .map_err(|e| RpcError::new(ErrorCode::Internal, format!("encoding the answer: {e}")))
}

fn search_symbols(cx: &Ctx, p: wire::SearchSymbolsParams) -> Answer<calls::SearchSymbols> {
    let filter = symbol_filter(&p.filter)?;
    Ok(page(
        cx.index.search_symbols(&p.query, &filter, paging(p.paging)),
        |m| wire::SymbolMatch {
            symbol: symbol(m.symbol),
            match_kind: format!("{:?}", m.match_kind).to_lowercase(),
        },
    ))
}

fn definitions(cx: &Ctx, p: wire::DefinitionsParams) -> Answer<calls::Definitions> {
    let filter = symbol_filter(&p.filter)?;
    Ok(page(
        cx.index
            .definitions(&p.name, p.context.as_deref(), &filter, paging(p.paging)),
        symbol,
    ))
}

/// A `resolution` argument: one grade, or none (with whether `distant`
/// matches are included: `all`).
fn resolution(given: Option<&str>) -> Result<(Option<q::Resolution>, bool), RpcError> {
    match given {
        None | Some("") => Ok((None, false)),
        Some("all") => Ok((None, true)),
        Some(given) => q::Resolution::parse(given)
            .map(|r| (Some(r), false))
            .ok_or_else(|| {
                invalid(format!(
                    "unknown resolution {:?}; give resolved, candidate, distant or all",
                    given.chars().take(40).collect::<String>()
                ))
            }),
    }
}

fn call_filter(p: &wire::CallGraphParams) -> Result<q::CallFilter, RpcError> {
    let (resolution, include_distant) = resolution(p.resolution.as_deref())?;
    Ok(q::CallFilter {
        resolution,
        include_distant,
        defined_in: p.defined_in.clone().filter(|d| !d.is_empty()),
    })
}

fn references(cx: &Ctx, p: wire::ReferencesParams) -> Answer<calls::References> {
    let (resolution, include_distant) = resolution(p.resolution.as_deref())?;
    let filter = ReferenceFilter {
        kinds: ref_kinds(p.kind.as_deref())?,
        glob: glob(p.glob.as_deref())?,
        resolution,
        include_distant,
        defined_in: p.defined_in.filter(|d| !d.is_empty()),
    };
    let r = cx.index.references(&p.name, &filter, paging(p.paging));
    Ok(wire::ReferencesResult {
        total: r.total as u64,
        resolved: r.resolved as u64,
        distant_left_out: r.distant_left_out as u64,
        offset: r.offset as u64,
        limit: r.limit as u64,
        files: r
            .files
            .into_iter()
            .map(|f| wire::FileReferences {
                path: f.path,
                references: f
                    .references
                    .into_iter()
                    .map(|h| wire::ReferenceHit {
                        line: h.line,
                        column: h.column,
                        kind: h.kind.as_str().to_string(),
                        enclosing: h.enclosing,
                        text: h.text,
                        resolution: h.resolution.as_str().to_string(),
                    })
                    .collect(),
            })
            .collect(),
        overrides: r
            .overrides
            .into_iter()
            .map(|o| wire::DefinitionSite {
                path: o.path,
                line: o.line,
                name: o.qualified_name,
            })
            .collect(),
        overrides_total: r.overrides_total as u64,
    })
}

fn file_outline(cx: &Ctx, p: wire::PathParams) -> Answer<calls::FileOutline> {
    let path = indexed_path(cx.shared, cx.index, &p.path)?;
    let outline = cx.index.file_outline(&path).map_err(query_error)?;
    Ok(outline.into_iter().map(outline_node).collect())
}

fn symbol_at(cx: &Ctx, p: wire::SymbolAtParams) -> Answer<calls::SymbolAt> {
    let path = indexed_path(cx.shared, cx.index, &p.path)?;
    let at = cx
        .index
        .symbol_at(&path, p.line, p.column)
        .map_err(query_error)?;
    Ok(wire::SymbolAtResult {
        path: at.path,
        line: at.line,
        column: at.column,
        identifier: at.identifier,
        enclosing: at.enclosing.map(symbol),
        defines: at.defines.map(symbol),
        reference_kind: at.reference_kind.map(|k| k.as_str().to_string()),
    })
}

fn implementations(cx: &Ctx, p: wire::NameParams) -> Answer<calls::Implementations> {
    let found = cx.index.implementations(&p.name);
    Ok(wire::Implementations {
        name: found.name,
        implementations: found.implementations.into_iter().map(relation).collect(),
        supertypes: found.supertypes.into_iter().map(relation).collect(),
    })
}

fn imports(cx: &Ctx, p: wire::PathParams) -> Answer<calls::Imports> {
    let path = indexed_path(cx.shared, cx.index, &p.path)?;
    let imports = cx.index.imports(&path).map_err(query_error)?;
    Ok(imports
        .into_iter()
        .map(|i| wire::ImportHit {
            module: i.module,
            line: i.line,
            resolved: i.resolved,
        })
        .collect())
}

fn dependents(cx: &Ctx, p: wire::DependentsParams) -> Answer<calls::Dependents> {
    // A path names a file however it is spelled; anything else is a module
    // name as imports write it.
    let target = code_index_protocol::paths::resolve(&cx.shared.root, &p.target)
        .ok()
        .filter(|r| cx.index.file_id(&r.rel).is_some())
        .map_or(p.target, |r| r.rel);
    Ok(page(cx.index.dependents(&target, paging(p.paging)), |d| {
        wire::DependentHit {
            path: d.path,
            line: d.line,
            module: d.module,
        }
    }))
}

/// A directory argument as a prefix of indexed paths ("" for the root).
fn prefix(cx: &Ctx, given: Option<&str>) -> Result<String, RpcError> {
    match given.filter(|p| !p.trim().is_empty()) {
        Some(prefix) => Ok(resolve_path(cx.shared, prefix)?.rel),
        None => Ok(String::new()),
    }
}

fn files(cx: &Ctx, p: wire::FilesParams) -> Answer<calls::Files> {
    let glob = glob(p.glob.as_deref())?;
    let prefix = prefix(cx, p.prefix.as_deref())?;
    let files = cx
        .index
        .list_files(&prefix, glob.as_ref(), paging(p.paging));
    Ok(page(files, |f| wire::FileEntry {
        path: f.path,
        language: f.language.map(|l| l.name().to_string()),
        size: f.size,
        skipped: f.skipped.map(|s| s.as_str().to_string()),
        definitions: f.definitions as u64,
    }))
}

fn dir(cx: &Ctx, p: wire::DirParams) -> Answer<calls::Dir> {
    let prefix = prefix(cx, p.prefix.as_deref())?;
    let depth = p.depth.unwrap_or(1).clamp(1, limits::MAX_DIR_DEPTH) as usize;
    let entries = cx.index.dir_entries(&prefix, depth, paging(p.paging));
    Ok(page(entries, |e| wire::DirEntry {
        path: e.path,
        files: e.files,
    }))
}

fn search_text(cx: &Ctx, p: wire::SearchTextParams) -> Answer<calls::SearchText> {
    let query = code_index_core::text_search::TextQuery {
        pattern: p.pattern,
        regex: p.regex.unwrap_or(false),
        case_sensitive: p.case_sensitive.unwrap_or(true),
        glob: glob(p.glob.as_deref())?,
        context: p.context.unwrap_or(0).min(limits::MAX_CONTEXT_LINES) as usize,
    };
    let found = cx
        .index
        .search_text_until(&query, paging(p.paging), cx.cancelled)
        .map_err(query_error)?;
    let lower_bound = found.total_is_lower_bound;
    let mut found = page(found.page, |h| wire::TextHit {
        path: h.path,
        line: h.line,
        text: h.text,
        before: h.before,
        after: h.after,
        enclosing: h.enclosing,
    });
    found.total_is_lower_bound = lower_bound.then_some(true);
    Ok(found)
}

/// A path argument as a path of the project (see
/// `code_index_protocol::paths`), or an error that says what is wrong with it.
pub fn resolve_path(
    shared: &Shared,
    given: &str,
) -> Result<code_index_protocol::paths::ProjectPath, RpcError> {
    code_index_protocol::paths::resolve(&shared.root, given)
        .map_err(|e| RpcError::new(ErrorCode::InvalidParams, e.to_string()))
}

/// The error for a path the ignore rules leave out.
pub fn ignored_error(given: &str, at: &str) -> RpcError {
    let what = if given.trim_matches('/') == at {
        String::new()
    } else {
        format!(" ({at} is)")
    };
    RpcError::new(
        ErrorCode::InvalidParams,
        format!(
            "{given:?} is not indexed: it is ignored{what} by a .gitignore or .ignore file, \
             or by an exclude glob in code-index.toml"
        ),
    )
}

/// A path argument as the path of an indexed file; an error says why not.
fn indexed_path(
    shared: &Shared,
    index: &code_index_core::Index,
    given: &str,
) -> Result<String, RpcError> {
    let resolved = resolve_path(shared, given)?;
    if index.file_id(&resolved.rel).is_some() {
        return Ok(resolved.rel);
    }
    let not_found = |message: String| RpcError::new(ErrorCode::NotFound, message);
    if resolved.is_dir {
        return Err(RpcError::new(
            ErrorCode::InvalidParams,
            format!("{given:?} is a directory: give a file (list_dir shows what is in it)"),
        ));
    }
    if !resolved.exists {
        return Err(not_found(format!(
            "{given:?} does not exist in the project {} (paths are relative to it)",
            shared.root.display()
        )));
    }
    let walk = code_index_core::discover::DiscoverOptions {
        exclude: shared.options.exclude.clone(),
        ..Default::default()
    };
    match code_index_core::discover::admission(&shared.root, &resolved.rel, &walk) {
        Ok(code_index_core::discover::Admission::Ignored { at }) => Err(ignored_error(given, &at)),
        Ok(code_index_core::discover::Admission::Absent) => Err(not_found(format!(
            "{given:?} is not a regular file (a symbolic link is indexed at its target's path)"
        ))),
        _ => Err(not_found(format!(
            "{:?} is not indexed yet (it is new, or the index is still being built); \
             reindex it with its path",
            resolved.rel
        ))),
    }
}

/// The repo map, recomputed only when the index changed (it ranks every
/// file, and gives up when the request is cancelled). The whole map is cached
/// by generation, and only the files asked for are copied out of it.
fn repo_map(cx: &Ctx, p: wire::RepoMapParams) -> Answer<calls::RepoMap> {
    let per_file = p
        .symbols_per_file
        .unwrap_or(limits::DEFAULT_MAP_SYMBOLS)
        .clamp(1, limits::MAX_MAP_SYMBOLS) as usize;
    let max_files = p
        .max_files
        .unwrap_or(limits::DEFAULT_MAP_FILES)
        .clamp(1, limits::MAX_MAP_FILES) as usize;
    let generation = cx.index.generation();
    let mut cache = cx.shared.repo_map_cache.lock().unwrap();
    if let Some((cached, cached_per_file, map)) = cache.as_ref()
        && *cached == generation
        && *cached_per_file == per_file
    {
        return Ok(map.iter().take(max_files).cloned().collect());
    }
    let map: Vec<wire::RepoMapFile> = cx
        .index
        .repo_map_until(per_file, cx.cancelled)
        .map_err(query_error)?
        .into_iter()
        .map(|f| wire::RepoMapFile {
            path: f.path,
            rank: f.rank,
            symbols: f
                .symbols
                .into_iter()
                .map(|s| wire::RepoMapSymbol {
                    symbol: symbol(s.symbol),
                    references: s.references,
                })
                .collect(),
        })
        .collect();
    let first = map.iter().take(max_files).cloned().collect();
    *cache = Some((generation, per_file, map));
    Ok(first)
}

/// The index's stats, recomputed only when the index changed.
pub fn stats(shared: &Shared, index: &code_index_core::Index) -> wire::StatsResult {
    let mut cache = shared.stats_cache.lock().unwrap();
    if let Some((generation, stats)) = cache.as_ref()
        && *generation == index.generation()
    {
        return stats.clone();
    }
    let stats = compute_stats(shared, index);
    *cache = Some((index.generation(), stats.clone()));
    stats
}

fn compute_stats(shared: &Shared, index: &code_index_core::Index) -> wire::StatsResult {
    let s = index.stats();
    wire::StatsResult {
        root: shared.root.display().to_string(),
        files: s.files as u64,
        parsed_files: s.parsed_files as u64,
        definitions: s.definitions as u64,
        references: s.references as u64,
        languages: s
            .languages
            .into_iter()
            .map(|(k, v)| {
                (
                    k,
                    wire::LanguageStats {
                        files: v.files as u64,
                        definitions: v.definitions as u64,
                        references: v.references as u64,
                    },
                )
            })
            .collect(),
        skipped: s.skipped.into_iter().map(|(k, v)| (k, v as u64)).collect(),
        files_with_syntax_errors: s.files_with_syntax_errors as u64,
        parse_failures: s.parse_failures as u64,
        memory_bytes: s.memory_bytes as u64,
    }
}

fn paging(p: wire::PageRequest) -> code_index_core::PageRequest {
    code_index_core::PageRequest::new(
        p.offset.unwrap_or(0) as usize,
        p.limit
            .unwrap_or(limits::DEFAULT_LIMIT)
            .clamp(1, limits::MAX_LIMIT) as usize,
    )
}

fn page<T, U>(p: q::Page<T>, f: impl FnMut(T) -> U) -> wire::Page<U> {
    wire::Page {
        total: p.total as u64,
        offset: p.offset as u64,
        limit: p.limit as u64,
        items: p.items.into_iter().map(f).collect(),
        total_is_lower_bound: None,
    }
}

fn invalid(message: String) -> RpcError {
    RpcError::new(ErrorCode::InvalidParams, message)
}

fn query_error(err: QueryError) -> RpcError {
    let code = match err {
        QueryError::UnknownFile(_) => ErrorCode::NotFound,
        QueryError::InvalidGlob { .. } | QueryError::InvalidArgument(_) => ErrorCode::InvalidParams,
        QueryError::Cancelled => ErrorCode::Cancelled,
    };
    RpcError::new(code, err.to_string())
}

fn glob(glob: Option<&str>) -> Result<Option<PathGlob>, RpcError> {
    glob.map(PathGlob::new).transpose().map_err(query_error)
}

fn symbol_filter(p: &wire::SymbolFilterParams) -> Result<SymbolFilter, RpcError> {
    let kinds = p
        .kind
        .iter()
        .flatten()
        .map(|k| {
            SymbolKind::parse(k).ok_or_else(|| {
                let known: Vec<&str> = SymbolKind::ALL.iter().map(|k| k.as_str()).collect();
                invalid(format!(
                    "unknown symbol kind {k:?}; known kinds: {}",
                    known.join(", ")
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let language = p
        .language
        .as_deref()
        .map(|l| {
            Language::parse(l).ok_or_else(|| {
                let known: Vec<&str> = Language::ALL.iter().map(|l| l.name()).collect();
                invalid(format!(
                    "unknown language {l:?}; known languages: {}",
                    known.join(", ")
                ))
            })
        })
        .transpose()?;
    Ok(SymbolFilter {
        kinds,
        language,
        glob: glob(p.glob.as_deref())?,
    })
}

fn ref_kinds(kinds: Option<&[String]>) -> Result<Vec<RefKind>, RpcError> {
    kinds
        .unwrap_or_default()
        .iter()
        .map(|k| {
            RefKind::parse(k).ok_or_else(|| {
                let known: Vec<&str> = RefKind::ALL.iter().map(|k| k.as_str()).collect();
                invalid(format!(
                    "unknown reference kind {k:?}; known kinds: {}",
                    known.join(", ")
                ))
            })
        })
        .collect()
}

fn span(s: code_index_core::model::Span) -> wire::Span {
    wire::Span {
        start_line: s.start_line,
        start_col: s.start_col,
        end_line: s.end_line,
        end_col: s.end_col,
    }
}

fn symbol(s: q::Symbol) -> wire::Symbol {
    wire::Symbol {
        name: s.name,
        qualified_name: s.qualified_name,
        kind: s.kind.as_str().to_string(),
        language: s.language.map(|l| l.name().to_string()),
        path: s.path,
        span: span(s.span),
        name_span: span(s.name_span),
        container: s.container,
        signature: s.signature,
        doc: s.doc,
    }
}

/// Converts an outline without recursion (outlines are capped in depth, but
/// the wire type nests).
fn outline_node(root: q::OutlineNode) -> wire::OutlineNode {
    // Flatten in pre-order with parent links, then rebuild bottom-up.
    let mut flat: Vec<(Option<usize>, q::Symbol)> = Vec::new();
    let mut stack: Vec<(Option<usize>, q::OutlineNode)> = vec![(None, root)];
    while let Some((parent, node)) = stack.pop() {
        let me = flat.len();
        flat.push((parent, node.symbol));
        for child in node.children.into_iter().rev() {
            stack.push((Some(me), child));
        }
    }
    let mut built: Vec<Option<wire::OutlineNode>> = Vec::with_capacity(flat.len());
    let mut parents = Vec::with_capacity(flat.len());
    for (parent, s) in flat {
        parents.push(parent);
        built.push(Some(wire::OutlineNode {
            symbol: symbol(s),
            children: Vec::new(),
        }));
    }
    for i in (1..built.len()).rev() {
        let node = built[i].take().expect("each node moves once");
        let parent = parents[i].expect("only the root has no parent");
        built[parent]
            .as_mut()
            .expect("parents come before children")
            .children
            .push(node);
    }
    let mut root = built[0].take().expect("the root");
    let mut todo: Vec<&mut wire::OutlineNode> = vec![&mut root];
    while let Some(node) = todo.pop() {
        node.children.reverse();
        todo.extend(node.children.iter_mut());
    }
    root
}

fn call_graph(g: q::CallGraph) -> wire::CallGraph {
    wire::CallGraph {
        name: g.name,
        depth: g.depth,
        total: g.total as u64,
        resolved: g.resolved as u64,
        distant_left_out: g.distant_left_out as u64,
        offset: g.offset as u64,
        limit: g.limit as u64,
        edges: g
            .edges
            .into_iter()
            .map(|e| wire::CallEdge {
                depth: e.depth,
                from: e.from,
                from_symbol: e.from_symbol.map(symbol),
                to: e.to,
                to_symbol: e.to_symbol.map(symbol),
                path: e.path,
                lines: e.lines,
                resolution: e.resolution.as_str().to_string(),
            })
            .collect(),
    }
}

fn relation(r: q::TypeRelation) -> wire::TypeRelation {
    wire::TypeRelation {
        implementor: r.implementor,
        supertype: r.supertype,
        symbol: r.symbol.map(symbol),
        path: r.path,
        line: r.line,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_walk_and_the_path_rules_refuse_the_same_directories() {
        assert_eq!(
            code_index_core::discover::ALWAYS_SKIPPED_DIRS,
            code_index_protocol::paths::INTERNAL_DIRS
        );
    }
}
