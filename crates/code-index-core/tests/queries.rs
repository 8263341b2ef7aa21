//! Queries on a small polyglot project (`tests/fixtures/project`): ranking,
//! filters, pagination, qualified names, call graphs, implementations and
//! imports.

mod common;

use code_index_core::model::RefKind;
use code_index_core::query::{CallFilter, MatchKind, PathGlob, Resolution};
use code_index_core::{Index, Language, PageRequest, ReferenceFilter, SymbolFilter, SymbolKind};

fn project() -> (tempfile::TempDir, Index) {
    common::indexed_copy("project")
}

fn all() -> PageRequest {
    PageRequest::new(0, 1000)
}

fn locations(page: &[code_index_core::query::Symbol]) -> Vec<String> {
    page.iter()
        .map(|s| format!("{}:{} {}", s.path, s.span.start_line, s.qualified_name))
        .collect()
}

#[test]
fn search_ranks_exact_then_prefix_then_substring_then_fuzzy() {
    let (_dir, index) = project();
    let page = index.search_symbols("circle", &SymbolFilter::default(), all());
    let kinds: Vec<MatchKind> = page.items.iter().map(|m| m.match_kind).collect();
    let mut sorted = kinds.clone();
    sorted.sort();
    assert_eq!(kinds, sorted, "tiers must come in order: {kinds:?}");
    // Exact matches, ignoring case, with the exact-case spelling first.
    assert_eq!(page.items[0].symbol.name, "circle");
    assert!(
        page.items
            .iter()
            .any(|m| m.symbol.name == "Circle" && m.match_kind == MatchKind::Exact)
    );
    let names_of = |kind: MatchKind| -> Vec<&str> {
        page.items
            .iter()
            .filter(|m| m.match_kind == kind)
            .map(|m| m.symbol.name.as_str())
            .collect()
    };
    assert!(names_of(MatchKind::Prefix).contains(&"circle_area"));
    assert!(names_of(MatchKind::Prefix).contains(&"circle_helper"));
    assert!(names_of(MatchKind::Substring).contains(&"make_circle"));
    assert!(!names_of(MatchKind::Substring).contains(&"CIRCLE_LIMIT"));
    assert!(names_of(MatchKind::Prefix).contains(&"CIRCLE_LIMIT"));
    assert_eq!(page.total, page.items.len());
}

#[test]
fn search_prefers_the_exact_case() {
    let (_dir, index) = project();
    let page = index.search_symbols("Circle", &SymbolFilter::default(), all());
    assert_eq!(page.items[0].symbol.name, "Circle");
    let first_lower = page
        .items
        .iter()
        .position(|m| m.symbol.name == "circle")
        .unwrap();
    let last_upper = page
        .items
        .iter()
        .rposition(|m| m.symbol.name == "Circle")
        .unwrap();
    assert!(last_upper < first_lower);
}

#[test]
fn fuzzy_search_forgives_left_out_letters_and_typos() {
    let (_dir, index) = project();
    let gaps = index.search_symbols("frmtarea", &SymbolFilter::default(), all());
    assert!(
        gaps.items
            .iter()
            .any(|m| m.symbol.name == "format_area" && m.match_kind == MatchKind::Fuzzy)
    );
    let typo = index.search_symbols("totl_aera", &SymbolFilter::default(), all());
    assert!(
        typo.items.iter().any(|m| m.symbol.name == "total_area"),
        "{:?}",
        typo.items
            .iter()
            .map(|m| &m.symbol.name)
            .collect::<Vec<_>>()
    );
    let nothing = index.search_symbols("zzzzqqq", &SymbolFilter::default(), all());
    assert_eq!(nothing.total, 0);
}

#[test]
fn search_filters_by_kind_language_and_glob() {
    let (_dir, index) = project();
    let structs = SymbolFilter {
        kinds: vec![SymbolKind::Struct],
        ..SymbolFilter::default()
    };
    let page = index.search_symbols("circle", &structs, all());
    assert_eq!(
        locations(
            &page
                .items
                .iter()
                .map(|m| m.symbol.clone())
                .collect::<Vec<_>>()
        ),
        vec!["src/shapes.rs:6 Circle"]
    );

    let python = SymbolFilter {
        language: Some(Language::Python),
        ..SymbolFilter::default()
    };
    let page = index.search_symbols("circle", &python, all());
    assert!(!page.items.is_empty());
    assert!(
        page.items
            .iter()
            .all(|m| m.symbol.language == Some(Language::Python))
    );

    let web = SymbolFilter {
        glob: Some(PathGlob::new("web/**").unwrap()),
        ..SymbolFilter::default()
    };
    let page = index.search_symbols("circle", &web, all());
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].symbol.name, "CircleView");

    // A glob without a slash matches file names anywhere.
    let headers = SymbolFilter {
        glob: Some(PathGlob::new("*.h").unwrap()),
        ..SymbolFilter::default()
    };
    let page = index.search_symbols("list", &headers, all());
    assert!(page.items.iter().all(|m| m.symbol.path == "c/list.h"));
    assert!(!page.items.is_empty());
}

#[test]
fn a_bad_glob_is_a_clear_error() {
    let err = PathGlob::new("src/[").unwrap_err();
    assert!(err.to_string().contains("invalid path glob"), "{err}");
}

#[test]
fn pages_partition_the_results() {
    let (_dir, index) = project();
    let full = index.search_symbols("a", &SymbolFilter::default(), all());
    assert!(full.total > 6, "need a few results, got {}", full.total);
    let mut paged = Vec::new();
    let mut offset = 0;
    loop {
        let page = index.search_symbols("a", &SymbolFilter::default(), PageRequest::new(offset, 4));
        assert_eq!(page.total, full.total);
        assert!(page.items.len() <= 4);
        paged.extend(page.items.iter().cloned());
        if !page.has_more() {
            break;
        }
        offset += 4;
    }
    assert_eq!(paged, full.items);
    // A filter that keeps everything takes the path that looks at every
    // definition: same answer.
    let everything = SymbolFilter {
        glob: Some(PathGlob::new("**").unwrap()),
        ..SymbolFilter::default()
    };
    let filtered = index.search_symbols("a", &everything, all());
    assert_eq!(filtered.total, full.total);
    assert_eq!(filtered.items, full.items);
}

#[test]
fn definitions_take_qualified_names() {
    let (_dir, index) = project();
    // Separators are interchangeable: `::`, `.`, `#` and `\` all qualify.
    let both = vec![
        "py/geometry.py:12 Circle.area",
        "src/shapes.rs:21 Circle::area",
    ];
    let page = index.definitions("Circle::area", None, &SymbolFilter::default(), all());
    assert_eq!(locations(&page.items), both);
    let page = index.definitions("Circle.area", None, &SymbolFilter::default(), all());
    assert_eq!(locations(&page.items), both);
    let rust_only = SymbolFilter {
        language: Some(Language::Rust),
        ..SymbolFilter::default()
    };
    let page = index.definitions("Shape::area", None, &rust_only, all());
    assert_eq!(locations(&page.items), vec!["src/shapes.rs:3 Shape::area"]);
    let page = index.definitions("Square::area", None, &SymbolFilter::default(), all());
    assert_eq!(
        locations(&page.items),
        vec!["src/shapes.rs:27 Square::area"]
    );
    let page = index.definitions("server.Server.Start", None, &SymbolFilter::default(), all());
    assert_eq!(
        page.total, 0,
        "the Go package is not part of the qualified name"
    );
    let page = index.definitions("Server.Start", None, &SymbolFilter::default(), all());
    assert_eq!(
        locations(&page.items),
        vec!["go/server/server.go:9 Server.Start"]
    );
}

#[test]
fn definitions_rank_by_proximity_to_the_asking_file() {
    let (_dir, index) = project();
    let from_rust = index.definitions(
        "Circle",
        Some("src/main.rs"),
        &SymbolFilter::default(),
        all(),
    );
    assert_eq!(
        from_rust.items[0].path, "src/shapes.rs",
        "imported file first"
    );
    let from_python = index.definitions(
        "Circle",
        Some("py/main.py"),
        &SymbolFilter::default(),
        all(),
    );
    assert_eq!(
        from_python.items[0].path, "py/geometry.py",
        "imported file first"
    );
    let same_file = index.definitions(
        "Circle",
        Some("py/geometry.py"),
        &SymbolFilter::default(),
        all(),
    );
    assert_eq!(same_file.items[0].path, "py/geometry.py");
    // Same directory beats elsewhere.
    let area = index.definitions("area", Some("py/main.py"), &SymbolFilter::default(), all());
    assert_eq!(area.items[0].path, "py/geometry.py");
    assert_eq!(area.total, 5);
    // A definition with a body beats a declaration.
    let c = index.definitions("list_length", None, &SymbolFilter::default(), all());
    assert_eq!(
        locations(&c.items),
        vec!["c/list.c:3 list_length", "c/list.h:9 list_length"]
    );
}

#[test]
fn definitions_are_exact_and_search_ignores_case() {
    let (_dir, index) = project();
    let page = index.definitions("FORMAT_AREA", None, &SymbolFilter::default(), all());
    assert_eq!(page.total, 0);
    let found = index.search_symbols("FORMAT_AREA", &SymbolFilter::default(), all());
    assert_eq!(found.items[0].symbol.name, "format_area");
    assert_eq!(found.items[0].match_kind, MatchKind::Exact);
}

#[test]
fn references_are_grouped_by_file_with_their_lines() {
    let (_dir, index) = project();
    let page = index.references("total_area", &ReferenceFilter::default(), all());
    let files: Vec<&str> = page.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(files, vec!["src/main.rs"]);
    let refs = &page.files[0].references;
    assert_eq!(refs.len(), 2);
    assert_eq!(refs[0].kind, RefKind::Import);
    assert_eq!(refs[0].line, 4);
    assert_eq!(refs[1].kind, RefKind::Call);
    assert_eq!(refs[1].enclosing.as_deref(), Some("report"));
    assert_eq!(
        refs[1].text,
        "let text = util::format::format_area(total_area(shapes));"
    );

    let calls = ReferenceFilter {
        kinds: vec![RefKind::Call],
        ..ReferenceFilter::default()
    };
    let page = index.references("area", &calls, all());
    assert_eq!(page.total, 3);
    let in_rust = ReferenceFilter {
        kinds: vec![RefKind::Call],
        glob: Some(PathGlob::new("*.rs").unwrap()),
        ..ReferenceFilter::default()
    };
    let page = index.references("area", &in_rust, PageRequest::new(1, 1));
    assert_eq!(page.total, 2);
    assert_eq!(page.files.len(), 1);
    assert_eq!(page.files[0].references.len(), 1);
    assert_eq!(page.files[0].references[0].line, 37);
}

#[test]
fn outline_is_a_tree_in_source_order() {
    let (_dir, index) = project();
    let outline = index.file_outline("py/geometry.py").unwrap();
    let top: Vec<&str> = outline.iter().map(|n| n.symbol.name.as_str()).collect();
    assert_eq!(top, vec!["Shape", "Circle"]);
    let methods: Vec<(&str, SymbolKind)> = outline[1]
        .children
        .iter()
        .map(|n| (n.symbol.name.as_str(), n.symbol.kind))
        .collect();
    assert_eq!(
        methods,
        // `self.radius = …` in `__init__` is the class's field.
        vec![
            ("__init__", SymbolKind::Constructor),
            ("radius", SymbolKind::Field),
            ("area", SymbolKind::Method)
        ]
    );
    assert_eq!(outline[1].symbol.doc, "A round shape.");
    let err = index.file_outline("no/such/file.rs").unwrap_err();
    assert!(err.to_string().contains("not in the index"));
}

#[test]
fn symbol_at_finds_the_enclosing_definition_and_the_identifier() {
    let (_dir, index) = project();
    // `Circle::new(r)` inside make_circle, column on `new`.
    let at = index.symbol_at("src/main.rs", 13, Some(13)).unwrap();
    assert_eq!(at.enclosing.as_ref().unwrap().name, "make_circle");
    assert_eq!(at.identifier.as_deref(), Some("new"));
    assert_eq!(at.reference_kind, Some(RefKind::Call));
    // On a definition's name.
    let at = index.symbol_at("src/shapes.rs", 32, Some(10)).unwrap();
    assert_eq!(at.defines.as_ref().unwrap().name, "total_area");
    // Without a column: the first identifier of the line.
    let at = index.symbol_at("py/geometry.py", 13, None).unwrap();
    assert_eq!(at.enclosing.as_ref().unwrap().qualified_name, "Circle.area");
    assert_eq!(at.identifier.as_deref(), Some("return"));
    assert!(index.symbol_at("py/geometry.py", 999, None).is_err());
}

#[test]
fn callers_go_up_to_three_levels() {
    let (_dir, index) = project();
    let depth1 = index.callers("total_area", 1, &CallFilter::default(), all());
    let edges: Vec<(u8, &str)> = depth1
        .edges
        .iter()
        .map(|e| (e.depth, e.from.as_str()))
        .collect();
    assert_eq!(edges, vec![(1, "report")]);
    assert_eq!(depth1.edges[0].lines, vec![17]);

    let depth3 = index.callers("total_area", 3, &CallFilter::default(), all());
    let edges: Vec<(u8, &str, &str)> = depth3
        .edges
        .iter()
        .map(|e| (e.depth, e.from.as_str(), e.to.as_str()))
        .collect();
    assert_eq!(
        edges,
        vec![(1, "report", "total_area"), (2, "main", "report")]
    );
    // Depth is capped at 3.
    assert_eq!(
        index
            .callers("total_area", 9, &CallFilter::default(), all())
            .depth,
        3
    );
}

#[test]
fn callees_resolve_to_definitions() {
    let (_dir, index) = project();
    let graph = index.callees("main", 1, &CallFilter::default(), all());
    let rust: Vec<(&str, &str, Option<&str>)> = graph
        .edges
        .iter()
        .filter(|e| e.path == "src/main.rs")
        .map(|e| {
            (
                e.from.as_str(),
                e.to.as_str(),
                e.to_symbol.as_ref().map(|s| s.path.as_str()),
            )
        })
        .collect();
    assert_eq!(
        rust,
        vec![
            ("main", "make_circle", Some("src/main.rs")),
            ("main", "report", Some("src/main.rs"))
        ]
    );
    let graph = index.callees("make_circle", 2, &CallFilter::default(), all());
    let edges: Vec<(u8, &str, &str)> = graph
        .edges
        .iter()
        .map(|e| (e.depth, e.from.as_str(), e.to.as_str()))
        .collect();
    assert_eq!(edges, vec![(1, "make_circle", "new")]);
    let new = graph.edges[0].to_symbol.as_ref().unwrap();
    assert_eq!(new.qualified_name, "Circle::new");

    let graph = index.callees("report", 2, &CallFilter::default(), all());
    let tos: Vec<(u8, &str)> = graph
        .edges
        .iter()
        .map(|e| (e.depth, e.to.as_str()))
        .collect();
    assert!(tos.contains(&(1, "total_area")));
    assert!(tos.contains(&(2, "area")), "{tos:?}");
}

#[test]
fn implementations_and_supertypes() {
    let (_dir, index) = project();
    let shape = index.implementations("Shape");
    let found: Vec<(&str, &str)> = shape
        .implementations
        .iter()
        .map(|r| (r.path.as_str(), r.implementor.as_str()))
        .collect();
    assert_eq!(
        found,
        vec![
            ("py/geometry.py", "Circle"),
            ("src/shapes.rs", "Circle"),
            ("src/shapes.rs", "Square")
        ]
    );
    // A Rust `impl Shape for Circle` block points at the struct.
    let rust_circle = shape
        .implementations
        .iter()
        .find(|r| r.path == "src/shapes.rs")
        .unwrap();
    assert_eq!(
        rust_circle.symbol.as_ref().unwrap().kind,
        SymbolKind::Struct
    );

    let view = index.implementations("View");
    assert_eq!(view.implementations.len(), 1);
    assert_eq!(view.implementations[0].implementor, "CircleView");

    let circle = index.implementations("CircleView");
    assert_eq!(circle.supertypes.len(), 1);
    assert_eq!(circle.supertypes[0].supertype, "View");
    assert_eq!(
        circle.supertypes[0].symbol.as_ref().unwrap().path,
        "web/view.ts"
    );
}

#[test]
fn imports_resolve_to_files() {
    let (_dir, index) = project();
    let resolved = |path: &str| -> Vec<(String, Vec<String>)> {
        index
            .imports(path)
            .unwrap()
            .into_iter()
            .map(|i| (i.module, i.resolved))
            .collect()
    };
    assert_eq!(
        resolved("web/app.ts"),
        vec![
            ("./view".to_string(), vec!["web/view.ts".to_string()]),
            ("./format".to_string(), vec!["web/format.ts".to_string()]),
        ]
    );
    assert_eq!(
        resolved("src/main.rs"),
        vec![
            ("shapes".to_string(), vec!["src/shapes.rs".to_string()]),
            ("util".to_string(), vec!["src/util/mod.rs".to_string()]),
            (
                "crate::shapes".to_string(),
                vec!["src/shapes.rs".to_string()]
            ),
        ]
    );
    assert_eq!(
        resolved("c/main.c"),
        vec![
            ("stdio.h".to_string(), vec![]),
            ("list.h".to_string(), vec!["c/list.h".to_string()]),
        ]
    );
    assert_eq!(
        resolved("go/main.go"),
        vec![(
            "example.com/app/server".to_string(),
            vec!["go/server/server.go".to_string()]
        )]
    );
    assert_eq!(
        resolved("py/main.py"),
        vec![(".geometry".to_string(), vec!["py/geometry.py".to_string()])]
    );
}

#[test]
fn dependents_of_a_file_or_a_module() {
    let (_dir, index) = project();
    let paths = |target: &str| -> Vec<String> {
        index
            .dependents(target, all())
            .items
            .into_iter()
            .map(|d| format!("{}:{}", d.path, d.line))
            .collect()
    };
    assert_eq!(paths("c/list.h"), vec!["c/list.c:1", "c/main.c:2"]);
    assert_eq!(
        paths("src/shapes.rs"),
        vec!["src/main.rs:1", "src/main.rs:4"]
    );
    assert_eq!(paths("web/format.ts"), vec!["web/app.ts:2"]);
    assert_eq!(paths("go/server/server.go"), vec!["go/main.go:3"]);
    // By module name as written.
    assert_eq!(paths("stdio.h"), vec!["c/main.c:1"]);
    assert_eq!(paths("nothing.h"), Vec::<String>::new());
}

#[test]
fn stats_count_everything() {
    let (_dir, index) = project();
    let stats = index.stats();
    assert_eq!(stats.files, 16);
    assert_eq!(stats.parsed_files, 16);
    assert_eq!(stats.definitions, index.definition_count());
    assert_eq!(stats.languages["rust"].files, 4);
    assert_eq!(stats.languages["python"].files, 4);
    assert!(stats.skipped.is_empty());
    assert_eq!(stats.files_with_syntax_errors, 0);
}

#[test]
fn text_search_finds_lines_with_their_enclosing_definition() {
    use code_index_core::text_search::TextQuery;
    let (_dir, index) = project();
    let query = |pattern: &str, regex: bool, case_sensitive: bool| TextQuery {
        pattern: pattern.to_string(),
        regex,
        case_sensitive,
        glob: None,
        context: 0,
    };
    let page = index
        .search_text(&query("self.radius", false, true), all())
        .unwrap()
        .page;
    let hits: Vec<(String, u32, Option<String>)> = page
        .items
        .iter()
        .map(|h| (h.path.clone(), h.line, h.enclosing.clone()))
        .collect();
    assert_eq!(
        hits,
        vec![
            (
                "py/geometry.py".to_string(),
                10,
                Some("Circle.__init__".to_string())
            ),
            (
                "py/geometry.py".to_string(),
                13,
                Some("Circle.area".to_string())
            ),
            (
                "src/shapes.rs".to_string(),
                22,
                Some("Circle::area".to_string())
            ),
        ]
    );
    // Literal by default: the dot is not a wildcard.
    assert_eq!(
        index
            .search_text(&query("self_radius", false, true), all())
            .unwrap()
            .page
            .total,
        0
    );
    assert_eq!(
        index
            .search_text(&query(r"self.radius \*", true, true), all())
            .unwrap()
            .page
            .total,
        2
    );
    // Case.
    assert_eq!(
        index
            .search_text(&query("CIRCLE_LIMIT", false, true), all())
            .unwrap()
            .page
            .total,
        1
    );
    assert_eq!(
        index
            .search_text(&query("circle_limit", false, true), all())
            .unwrap()
            .page
            .total,
        0
    );
    assert_eq!(
        index
            .search_text(&query("circle_limit", false, false), all())
            .unwrap()
            .page
            .total,
        1
    );
    // Glob, context and paging.
    let mut q = query("area", false, true);
    q.glob = Some(PathGlob::new("*.rs").unwrap());
    q.context = 1;
    let first = index.search_text(&q, PageRequest::new(0, 2)).unwrap().page;
    assert!(first.total > 2);
    assert_eq!(first.items.len(), 2);
    assert!(first.items.iter().all(|h| h.path.ends_with(".rs")));
    assert_eq!(first.items[0].path, "src/main.rs");
    assert!(!first.items[0].before.is_empty() || !first.items[0].after.is_empty());
    let rest = index
        .search_text(&q, PageRequest::new(2, 100))
        .unwrap()
        .page;
    assert_eq!(rest.items.len() + 2, first.total);
    // A bad regex is a clear error.
    let err = index
        .search_text(&query("fn (", true, true), all())
        .unwrap_err();
    assert!(
        err.to_string().contains("invalid regular expression"),
        "{err}"
    );
}

#[test]
fn the_repo_map_ranks_depended_on_files_first() {
    let (_dir, index) = project();
    let map = index.repo_map(3);
    let paths: Vec<&str> = map.iter().map(|f| f.path.as_str()).collect();
    // src/shapes.rs is what src/main.rs depends on: it outranks main.rs.
    let pos = |p: &str| paths.iter().position(|x| *x == p).unwrap();
    assert!(pos("src/shapes.rs") < pos("src/main.rs"), "{paths:?}");
    assert_eq!(map[0].rank, 1.0);
    let shapes = &map[pos("src/shapes.rs")];
    assert!(shapes.symbols.len() <= 3);
    assert!(
        shapes.symbols.iter().any(|s| s.symbol.name == "Circle"),
        "{:?}",
        shapes.symbols
    );
    // Every file with definitions appears once.
    let mut sorted = paths.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), paths.len());
}

#[test]
fn the_repo_map_credits_a_common_name_once_per_definition() {
    let dir = tempfile::tempdir().unwrap();
    let write = |rel: &str, text: &str| std::fs::write(dir.path().join(rel), text).unwrap();
    // `new` is defined in four files, `Engine` in one; main.rs uses each three times.
    write(
        "a.rs",
        "pub fn new() -> Engine { Engine {} }\npub struct Engine {}\n",
    );
    for other in ["b.rs", "c.rs", "d.rs"] {
        write(other, "pub fn new() {}\n");
    }
    write(
        "main.rs",
        "fn main() {\n    let x: Engine = new();\n    let y: Engine = new();\n    let z: Engine = new();\n}\n",
    );
    let root = code_index_core::discover::canonical_root(dir.path()).unwrap();
    let mut index = Index::new(&root);
    index
        .refresh(&code_index_core::IndexOptions::default(), &mut |_| {})
        .unwrap();
    let map = index.repo_map(2);
    let a = map.iter().find(|f| f.path == "a.rs").unwrap();
    let names: Vec<&str> = a.symbols.iter().map(|s| s.symbol.name.as_str()).collect();
    assert_eq!(names, ["Engine", "new"], "{:?}", a.symbols);
    assert_eq!(a.symbols[0].references, 3.0);
    assert_eq!(a.symbols[1].references, 0.75);
    // A cancelled request gives up instead of ranking.
    let cancelled = std::sync::atomic::AtomicBool::new(true);
    assert!(matches!(
        index.repo_map_until(2, &cancelled),
        Err(code_index_core::query::QueryError::Cancelled)
    ));
}

#[test]
fn search_text_stops_at_the_page_and_counts_to_a_bound() {
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    // 300 files of 20 matching lines each: 6,000 hits in all.
    for f in 0..300 {
        let text: String = (1..=20).map(|l| format!("needle {f} {l}\nhay\n")).collect();
        std::fs::write(root.join(format!("f{f:03}.txt")), text).unwrap();
    }
    let mut index = code_index_core::Index::new(&root);
    index
        .refresh(&code_index_core::IndexOptions::default(), &mut |_| {})
        .unwrap();
    use code_index_core::text_search::TextQuery;
    let query = TextQuery {
        pattern: "needle".into(),
        regex: false,
        case_sensitive: true,
        glob: None,
        context: 1,
    };
    let first = index.search_text(&query, PageRequest::new(0, 1)).unwrap();
    assert_eq!(first.page.items.len(), 1);
    assert_eq!(first.page.items[0].text, "needle 0 1");
    assert_eq!(first.page.items[0].after, ["hay"]);
    assert_eq!(first.page.total, code_index_core::text_search::COUNT_UP_TO);
    assert!(first.total_is_lower_bound);

    // PageRequest walks the hits in order across files, context attached to the
    // right hit, and the page past the count bound extends the count.
    let page = index
        .search_text(&query, PageRequest::new(1995, 10))
        .unwrap();
    let texts: Vec<&str> = page.page.items.iter().map(|h| h.text.as_str()).collect();
    assert_eq!(texts[0], "needle 99 16");
    assert_eq!(texts[9], "needle 100 5");
    assert!(page.page.items.iter().all(|h| h.after == ["hay"]));
    assert!(page.page.total > 2005 && page.total_is_lower_bound);

    // A rare pattern is counted exactly.
    let rare = TextQuery {
        pattern: "needle 7 1".into(),
        ..query.clone()
    };
    let found = index.search_text(&rare, PageRequest::new(0, 50)).unwrap();
    assert_eq!(found.page.total, 11, "needle 7 1, 10..19");
    assert!(!found.total_is_lower_bound);

    // Long lines are cut, and a huge pattern is refused.
    std::fs::write(
        root.join("long.txt"),
        format!("needle {}\n", "x".repeat(100_000)),
    )
    .unwrap();
    index
        .refresh(&code_index_core::IndexOptions::default(), &mut |_| {})
        .unwrap();
    let long = TextQuery {
        pattern: "needle x".into(),
        ..query.clone()
    };
    let hit = &index
        .search_text(&long, PageRequest::new(0, 1))
        .unwrap()
        .page
        .items[0];
    assert!(hit.text.chars().count() <= 301, "{}", hit.text.len());
    let huge = TextQuery {
        pattern: "a".repeat(100_000),
        ..query
    };
    let err = index
        .search_text(&huge, PageRequest::new(0, 1))
        .unwrap_err();
    assert!(err.to_string().contains("at most"), "{err}");
}

#[test]
fn calls_and_references_never_cross_language_families() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::write(
        root,
        "cmd/main.go",
        "package main\n\nfunc Start() {}\n\nfunc start() {\n\tStart()\n}\n\nfunc main() {\n\tstart()\n}\n",
    );
    common::write(
        root,
        "scripts/boot.sh",
        "#!/bin/sh\nstart() {\n  echo up\n}\nboot() {\n  start\n}\nboot\n",
    );
    // A JavaScript file may call a TypeScript function: one family.
    common::write(root, "web/api.ts", "export function fetchAll() {}\n");
    common::write(root, "web/page.js", "fetchAll();\n");
    common::write(root, "tools/gen.py", "fetchAll()\n");
    let index = common::index_dir(root);

    let edges = |graph: code_index_core::query::CallGraph| -> Vec<String> {
        graph
            .edges
            .iter()
            .map(|e| format!("{} {} → {} {}", e.depth, e.from, e.to, e.path))
            .collect()
    };
    // Go's `start` is called by Go's `main`, never by the shell's `boot`.
    assert_eq!(
        edges(index.callers("Start", 2, &CallFilter::default(), all())),
        ["1 start → Start cmd/main.go", "2 main → start cmd/main.go"]
    );
    // Each language's call of `start` resolves to its own definition.
    let to = |graph: code_index_core::query::CallGraph| -> Vec<String> {
        graph
            .edges
            .iter()
            .map(|e| {
                let target = e.to_symbol.as_ref().map_or("-", |s| s.path.as_str());
                format!("{} → {}", e.to, target)
            })
            .collect()
    };
    assert_eq!(
        to(index.callees("boot", 1, &CallFilter::default(), all())),
        ["start → scripts/boot.sh"]
    );
    assert_eq!(
        to(index.callees("main", 1, &CallFilter::default(), all())),
        ["start → cmd/main.go"]
    );
    // References of a TypeScript function: the JavaScript use, not Python's.
    let refs = index.references("fetchAll", &ReferenceFilter::default(), all());
    let paths: Vec<&str> = refs.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["web/page.js"]);
}

/// Each reference of `name` as `grade path:line`, in answer order.
fn graded(index: &Index, name: &str) -> Vec<String> {
    graded_with(index, name, &ReferenceFilter::default())
}

/// [`graded`], with a filter.
fn graded_with(index: &Index, name: &str, filter: &ReferenceFilter) -> Vec<String> {
    let page = index.references(name, filter, all());
    page.files
        .iter()
        .flat_map(|f| {
            f.references
                .iter()
                .map(move |h| format!("{} {}:{}", h.resolution.as_str(), f.path, h.line))
        })
        .collect()
}

#[test]
fn references_are_graded_resolved_or_candidate_and_those_bound_elsewhere_are_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::write(
        root,
        "shop/cart.py",
        "class Cart:\n    def add(self, item):\n        return item\n\n    def fill(self, items):\n        for i in items:\n            self.add(i)\n\n\nclass Basket:\n    def add(self, item):\n        return item\n\n    def fill(self, items):\n        self.add(items)\n\n\ndef restock(cart, out):\n    Cart.add(cart, 1)\n    out.add(2)\n",
    );
    common::write(root, "shop/util.py", "def add(a, b):\n    return a + b\n");
    common::write(
        root,
        "shop/report.py",
        "from shop.util import add\n\ndef total(xs):\n    return add(xs[0], xs[1])\n",
    );
    let index = common::index_dir(root);
    let graded = |name: &str| graded(&index, name);
    // Every `add`: resolved first (each bound to one of its definitions),
    // then the use through a value of unknown type.
    assert_eq!(
        graded("add"),
        [
            "resolved shop/cart.py:7",
            "resolved shop/cart.py:15",
            "resolved shop/cart.py:19",
            "resolved shop/report.py:1",
            "resolved shop/report.py:4",
            "candidate shop/cart.py:20",
        ]
    );
    let page = index.references("add", &ReferenceFilter::default(), all());
    assert_eq!((page.total, page.resolved), (6, 5));
    // `Cart.add`: its own uses, and `out.add` as a candidate; `Basket`'s
    // self-call and the imported function bind elsewhere.
    assert_eq!(
        graded("Cart.add"),
        [
            "resolved shop/cart.py:7",
            "resolved shop/cart.py:19",
            "candidate shop/cart.py:20",
        ]
    );
    let resolved_only = ReferenceFilter {
        resolution: Some(code_index_core::query::Resolution::Resolved),
        ..ReferenceFilter::default()
    };
    assert_eq!(index.references("Cart.add", &resolved_only, all()).total, 2);
}

#[test]
fn uses_through_modules_outside_the_project_and_built_in_objects_are_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::write(
        root,
        "app/paths.py",
        "def join(*parts):\n    return '/'.join(parts)\n",
    );
    common::write(
        root,
        "app/main.py",
        "import os\nimport app.paths\n\ndef run(x):\n    os.path.join('a', 'b')\n    paths.join('c')\n    x.join('d')\n",
    );
    common::write(
        root,
        "web/util.ts",
        "export function max(a: number, b: number) { return a; }\n",
    );
    common::write(
        root,
        "web/page.ts",
        "import { max } from './util';\nconst a = Math.max(1, 2);\nconst b = max(1, 2);\n",
    );
    let index = common::index_dir(root);
    let lines = |name: &str| graded(&index, name);
    // `os.path.join` is the standard library's; `paths.join` the project's;
    // `x.join` and `'/'.join` are members of values, not the function.
    assert_eq!(lines("join"), ["resolved app/main.py:6"]);
    // `Math.max` is the built-in.
    assert_eq!(
        lines("max"),
        ["resolved web/page.ts:1", "resolved web/page.ts:3"]
    );
}

#[test]
fn receivers_typed_by_annotation_or_construction_bind_and_locals_are_not_uses() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::write(
        root,
        "shop/models.py",
        concat!(
            "class Cart:\n",
            "    total = 0\n",
            "\n",
            "    def add(self, item):\n",
            "        self.total += item\n",
            "\n",
            "    @property\n",
            "    def size(self):\n",
            "        return 1\n",
            "\n",
            "    @size.setter\n",
            "    def size(self, value):\n",
            "        pass\n",
            "\n",
            "\n",
            "class Basket:\n",
            "    def add(self, item):\n",
            "        return item\n",
        ),
    );
    common::write(
        root,
        "shop/use.py",
        concat!(
            "from shop.models import Basket, Cart\n",
            "\n",
            "def by_annotation(c: Cart, n):\n",
            "    c.add(n)\n",
            "\n",
            "def by_construction():\n",
            "    b = Basket()\n",
            "    b.add(1)\n",
            "\n",
            "def unknown(x, add):\n",
            "    x.add(2)\n",
            "    add(3)\n",
            "    return x.total\n",
            "\n",
            "def bare():\n",
            "    return total\n",
        ),
    );
    common::write(
        root,
        "web/cart.ts",
        "export class Cart {\n  add(n: number) { return n; }\n}\nexport class Basket {\n  add(n: number) { return n; }\n}\n",
    );
    common::write(
        root,
        "web/use.ts",
        concat!(
            "import { Cart, Basket } from './cart';\n",
            "function typed(c: Cart) { c.add(1); }\n",
            "function built() { const b = new Basket(); b.add(2); }\n",
            "function local(add: (n: number) => number) { add(3); }\n",
        ),
    );
    let index = common::index_dir(root);
    // `c: Cart` binds `c.add`; `b = Basket()` binds `b.add` to the other
    // class, so it is left out; `x.add` stays a candidate; the parameter
    // `add` is not a use of any definition.
    assert_eq!(
        graded(&index, "Cart.add"),
        [
            "resolved shop/use.py:4",
            "resolved web/use.ts:2",
            "candidate shop/use.py:11",
        ]
    );
    assert_eq!(
        graded(&index, "Basket.add"),
        [
            "resolved shop/use.py:8",
            "resolved web/use.ts:3",
            "candidate shop/use.py:11",
        ]
    );
    // Attribute reads and writes are references too: through `self` they
    // are resolved, through a parameter of unknown type a candidate.
    // A bare name is no member's use outside its class's body (`total` in
    // `bare` is some global); in the body it is (`@size.setter`).
    assert_eq!(
        graded(&index, "Cart.total"),
        ["resolved shop/models.py:5", "candidate shop/use.py:13"]
    );
    assert_eq!(graded(&index, "Cart.size"), ["resolved shop/models.py:11"]);
}

#[test]
fn references_of_one_definition_among_same_named_ones_by_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::write(
        root,
        "a/models.py",
        "class Author:\n    pass\n\nfirst = Author()\n",
    );
    common::write(
        root,
        "b/models.py",
        "class Author:\n    pass\n\nsecond = Author()\n",
    );
    common::write(
        root,
        "b/views.py",
        "from b.models import Author\n\ndef show():\n    return Author()\n",
    );
    let index = common::index_dir(root);
    let of = |defined_in: &str| {
        let filter = ReferenceFilter {
            defined_in: Some(defined_in.to_string()),
            ..ReferenceFilter::default()
        };
        graded_with(&index, "Author", &filter)
    };
    assert_eq!(of("a/models.py"), ["resolved a/models.py:4"]);
    assert_eq!(
        of("./b/models.py"),
        [
            "resolved b/models.py:4",
            "resolved b/views.py:1",
            "resolved b/views.py:4"
        ]
    );
    // A file that defines no such name: nothing, not every `Author`.
    assert!(of("b/views.py").is_empty());
}

#[test]
fn imports_are_followed_through_re_exports_to_the_definition() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::write(root, "pkg/base.py", "class Model:\n    pass\n");
    common::write(root, "pkg/__init__.py", "from .base import Model\n");
    common::write(root, "other/models.py", "class Model:\n    pass\n");
    common::write(
        root,
        "app/use.py",
        "from pkg import Model\n\nrecord = Model()\n",
    );
    common::write(root, "web/lib/x.ts", "export function x() {}\n");
    common::write(root, "web/lib/index.ts", "export { x } from './x';\n");
    common::write(root, "web/other.ts", "export function x() {}\n");
    common::write(
        root,
        "web/main.ts",
        "import { x } from './lib/index';\nx();\n",
    );
    let index = common::index_dir(root);
    let of = |name: &str, defined_in: &str| {
        let filter = ReferenceFilter {
            defined_in: Some(defined_in.to_string()),
            ..ReferenceFilter::default()
        };
        graded_with(&index, name, &filter)
    };
    // `from pkg import Model` reaches `pkg/base.py` through the package's
    // `__init__.py`; so it is not the other `Model`'s use.
    assert_eq!(
        of("Model", "pkg/base.py"),
        [
            "resolved app/use.py:1",
            "resolved app/use.py:3",
            "resolved pkg/__init__.py:1"
        ]
    );
    assert!(of("Model", "other/models.py").is_empty());
    assert_eq!(
        of("x", "web/lib/x.ts"),
        [
            "resolved web/lib/index.ts:1",
            "resolved web/main.ts:1",
            "resolved web/main.ts:2"
        ]
    );
    assert!(of("x", "web/other.ts").is_empty());
}

#[test]
fn callers_are_graded_and_deeper_levels_follow_resolved_calls_only() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::write(
        root,
        "shop/cart.py",
        "class Cart:\n    def add(self, item):\n        pass\n\n    def refill(self):\n        self.add(1)\n\n\
         def checkout(cart: Cart):\n    cart.add(2)\n\n\
         def unknown(thing):\n    thing.add(3)\n\n\
         def go():\n    unknown(None)\n",
    );
    common::write(
        root,
        "shop/basket.py",
        "class Basket:\n    def add(self, item):\n        pass\n\n\
         def fill():\n    b = Basket()\n    b.add(4)\n",
    );
    common::write(
        root,
        "shop/run.py",
        "from shop.cart import checkout\n\ndef main():\n    checkout(None)\n",
    );
    let index = common::index_dir(root);
    let edges = |graph: &code_index_core::query::CallGraph| -> Vec<String> {
        graph
            .edges
            .iter()
            .map(|e| {
                format!(
                    "{} {} {} → {} {}:{:?}",
                    e.depth,
                    e.resolution.as_str(),
                    e.from,
                    e.to,
                    e.path,
                    e.lines
                )
            })
            .collect()
    };

    // Basket's `add` is no caller of Cart's; the untyped `thing.add` may
    // be, and says so; only resolved callers are followed to depth 2.
    let graph = index.callers("Cart.add", 2, &CallFilter::default(), all());
    assert_eq!(
        edges(&graph),
        [
            "1 resolved Cart.refill → add shop/cart.py:[6]",
            "1 resolved checkout → add shop/cart.py:[9]",
            "1 candidate unknown → add shop/cart.py:[12]",
            "2 resolved main → checkout shop/run.py:[4]",
        ]
    );
    assert_eq!((graph.total, graph.resolved), (4, 3));

    let resolved_only = CallFilter {
        resolution: Some(Resolution::Resolved),
        ..CallFilter::default()
    };
    let graph = index.callers("Cart.add", 1, &resolved_only, all());
    assert_eq!(graph.total, 2, "{:?}", edges(&graph));

    // One definition among same-named ones, by its file. cart.py imports
    // nothing of basket.py: its untyped `thing.add` is distant from Basket's,
    // left out and counted unless asked for.
    let basket = CallFilter {
        defined_in: Some("shop/basket.py".into()),
        ..CallFilter::default()
    };
    let graph = index.callers("add", 1, &basket, all());
    assert_eq!(edges(&graph), ["1 resolved fill → add shop/basket.py:[7]"]);
    assert_eq!(graph.distant_left_out, 1);
    let with_distant = CallFilter {
        include_distant: true,
        ..basket.clone()
    };
    let graph = index.callers("add", 1, &with_distant, all());
    assert_eq!(
        edges(&graph),
        [
            "1 resolved fill → add shop/basket.py:[7]",
            "1 distant unknown → add shop/cart.py:[12]",
        ]
    );
    assert_eq!(graph.distant_left_out, 0);
    let nowhere = CallFilter {
        defined_in: Some("shop/run.py".into()),
        ..CallFilter::default()
    };
    assert_eq!(index.callers("add", 1, &nowhere, all()).total, 0);

    // Callees name the definition a call binds to, when it does.
    let graph = index.callees("fill", 1, &CallFilter::default(), all());
    let bound: Vec<(String, Option<String>, Resolution)> = graph
        .edges
        .iter()
        .map(|e| {
            (
                e.to.clone(),
                e.to_symbol.as_ref().map(|s| s.qualified_name.clone()),
                e.resolution,
            )
        })
        .collect();
    assert!(
        bound.contains(&(
            "add".into(),
            Some("Basket.add".into()),
            Resolution::Resolved
        )),
        "{bound:?}"
    );
    let graph = index.callees("unknown", 1, &CallFilter::default(), all());
    assert_eq!(graph.edges.len(), 1);
    assert_eq!(graph.edges[0].resolution, Resolution::Candidate);
}

#[test]
fn members_reached_through_typed_fields_bind_to_the_field_type() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::write(
        root,
        "shop/models.py",
        "class Cart:\n    def add(self, item):\n        pass\n\n\nclass Basket:\n    def add(self, item):\n        pass\n",
    );
    common::write(
        root,
        "shop/service.py",
        concat!(
            "from dataclasses import dataclass\n",
            "from shop.models import Basket, Cart\n",
            "\n",
            "class Service:\n",
            "    def __init__(self, basket: Basket, other):\n",
            "        self.cart = Cart()\n",
            "        self.basket = basket\n",
            "        self.other = other\n",
            "\n",
            "    def run(self):\n",
            "        self.cart.add(1)\n",
            "        self.basket.add(2)\n",
            "        self.other.add(3)\n",
            "\n",
            "@dataclass\n",
            "class Order:\n",
            "    cart: Cart\n",
            "\n",
            "    def fill(self):\n",
            "        self.cart.add(4)\n",
        ),
    );
    common::write(
        root,
        "web/cart.ts",
        "export class Cart {\n  add(n: number) { return n; }\n}\nexport class Basket {\n  add(n: number) { return n; }\n}\n",
    );
    common::write(
        root,
        "web/service.ts",
        concat!(
            "import { Cart, Basket } from './cart';\n",
            "export class Service {\n",
            "  private cart: Cart;\n",
            "  basket = new Basket();\n",
            "  constructor(private readonly spare: Cart, other: Basket) {\n",
            "    this.cart = new Cart();\n",
            "  }\n",
            "  run() {\n",
            "    this.cart.add(1);\n",
            "    this.basket.add(2);\n",
            "    this.spare.add(3);\n",
            "  }\n",
            "}\n",
        ),
    );
    let index = common::index_dir(root);
    // Each field's type decides: the Cart fields' calls are Cart.add's, the
    // Basket fields' are left out of it; an untyped field stays a candidate.
    assert_eq!(
        graded(&index, "Cart.add"),
        [
            "resolved shop/service.py:11",
            "resolved shop/service.py:20",
            "resolved web/service.ts:9",
            "resolved web/service.ts:11",
            "candidate shop/service.py:13",
        ]
    );
    assert_eq!(
        graded(&index, "Basket.add"),
        [
            "resolved shop/service.py:12",
            "resolved web/service.ts:10",
            "candidate shop/service.py:13",
        ]
    );
}

#[test]
fn same_name_members_in_files_with_no_import_path_to_the_definition_are_distant() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::write(
        root,
        "app/models.py",
        "class School:\n    objects = None\n\n\nclass Team:\n    objects = None\n",
    );
    // Imports the models directly, or through a module that does.
    common::write(
        root,
        "app/views.py",
        "from app.models import School\n\ndef index(model):\n    return model.objects\n",
    );
    common::write(root, "app/base.py", "import app.models\n");
    common::write(
        root,
        "app/admin.py",
        "import app.base\n\ndef listing(model=app.base.models.School):\n    return model.objects\n",
    );
    // No import path to app/models.py: the same name is most likely another's,
    // though the file names the class.
    common::write(
        root,
        "lib/registry.py",
        "def everything(model=School):\n    return model.objects\n",
    );
    let index = common::index_dir(root);
    let school = ReferenceFilter {
        defined_in: Some("app/models.py".into()),
        ..ReferenceFilter::default()
    };
    let page = index.references("School.objects", &school, all());
    let found = graded_with(&index, "School.objects", &school);
    assert_eq!(
        found,
        ["candidate app/admin.py:4", "candidate app/views.py:4"]
    );
    assert_eq!(page.distant_left_out, 1);
    let everything = ReferenceFilter {
        include_distant: true,
        ..school.clone()
    };
    assert_eq!(
        graded_with(&index, "School.objects", &everything),
        [
            "candidate app/admin.py:4",
            "candidate app/views.py:4",
            "distant lib/registry.py:2",
        ]
    );
    let only = ReferenceFilter {
        resolution: Some(Resolution::Distant),
        ..school
    };
    assert_eq!(
        graded_with(&index, "School.objects", &only),
        ["distant lib/registry.py:2"]
    );
    // A name defined once has no other definition to be distant from.
    common::write(root, "app/models.py", "class School:\n    objects = None\n");
    let index = common::index_dir(root);
    assert_eq!(
        index
            .references("School.objects", &ReferenceFilter::default(), all())
            .total,
        3
    );
}

#[test]
fn members_of_values_of_unknown_type_are_distant_where_no_class_of_their_lineage_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::write(
        root,
        "app/models.py",
        "class School:\n    objects = None\n\n\nclass Team:\n    objects = None\n",
    );
    common::write(
        root,
        "app/academy.py",
        "from app.models import School\n\nclass Academy(School):\n    pass\n",
    );
    // Imports the module, names neither class.
    common::write(
        root,
        "app/views.py",
        "import app.models\n\ndef index(model):\n    return model.objects\n",
    );
    // Names `Team` only.
    common::write(
        root,
        "app/teams.py",
        "from app.models import Team\n\ndef index(model):\n    return model.objects\n",
    );
    // Names a subclass of `School`.
    common::write(
        root,
        "app/academies.py",
        "from app.academy import Academy\n\ndef index(model):\n    return model.objects\n",
    );
    let index = common::index_dir(root);
    let everything = |place: &str| ReferenceFilter {
        defined_in: Some(place.into()),
        include_distant: true,
        ..ReferenceFilter::default()
    };
    assert_eq!(
        graded_with(&index, "School.objects", &everything("app/models.py:2")),
        [
            "candidate app/academies.py:4",
            "distant app/teams.py:4",
            "distant app/views.py:4",
        ]
    );
    assert_eq!(
        graded_with(&index, "Team.objects", &everything("app/models.py:6")),
        [
            "candidate app/teams.py:4",
            "distant app/academies.py:4",
            "distant app/views.py:4",
        ]
    );
    // By default the distant ones are left out and counted.
    let page = index.references(
        "School.objects",
        &ReferenceFilter {
            defined_in: Some("app/models.py:2".into()),
            ..ReferenceFilter::default()
        },
        all(),
    );
    assert_eq!(page.total, 1);
    assert_eq!(page.distant_left_out, 2);

    // A type alias naming an interface stands for it.
    common::write(
        root,
        "web/types.ts",
        concat!(
            "export interface NextObserver {\n  next(v: number): void;\n}\n",
            "export interface ErrorObserver {\n  next(v: number): void;\n}\n",
            "export type PartialObserver = NextObserver | ErrorObserver;\n",
        ),
    );
    common::write(
        root,
        "web/stream.ts",
        "export class Stream {\n  next(v: number) {\n    return v;\n  }\n}\n",
    );
    common::write(
        root,
        "web/use.ts",
        "import { PartialObserver } from './types';\nexport function notify(o) {\n  o.next(1);\n}\n",
    );
    let index = common::index_dir(root);
    assert_eq!(
        graded_with(&index, "NextObserver.next", &everything("web/types.ts")),
        ["candidate web/use.ts:3"]
    );
    assert_eq!(
        graded_with(&index, "Stream.next", &everything("web/stream.ts")),
        ["distant web/use.ts:3"]
    );
}

#[test]
fn receivers_take_the_types_the_project_writes_for_values_and_results() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::write(
        root,
        "shop/models.py",
        "class Cart:\n    def add(self, item):\n        pass\n\n\nclass Basket:\n    def add(self, item):\n        pass\n",
    );
    common::write(
        root,
        "shop/make.py",
        concat!(
            "from shop.models import Cart\n",
            "\n",
            "def make_cart() -> Cart:\n",
            "    return Cart()\n",
            "\n",
            "default: Cart = make_cart()\n",
            "spare = Cart()\n",
            "made = make_cart()\n",
        ),
    );
    common::write(
        root,
        "shop/use.py",
        concat!(
            "from shop.make import make_cart, default, spare, made\n",
            "\n",
            "def go():\n",
            "    c = make_cart()\n",
            "    c.add(1)\n",
            "    default.add(2)\n",
            "    spare.add(3)\n",
            "    made.add(4)\n",
            "\n",
            "class Shop:\n",
            "    def basket(self) -> \"Basket | None\":\n",
            "        pass\n",
            "\n",
            "    def run(self):\n",
            "        b = self.basket()\n",
            "        b.add(5)\n",
        ),
    );
    common::write(
        root,
        "web/cart.ts",
        "export class Cart {\n  add(n: number) { return n; }\n}\nexport class Basket {\n  add(n: number) { return n; }\n}\n",
    );
    common::write(
        root,
        "web/make.ts",
        concat!(
            "import { Cart } from './cart';\n",
            "export function makeCart(): Cart {\n",
            "  return new Cart();\n",
            "}\n",
            "export const shared: Cart = makeCart();\n",
            "export const spare = new Cart();\n",
        ),
    );
    common::write(
        root,
        "web/use.ts",
        concat!(
            "import { makeCart, shared, spare } from './make';\n",
            "export function go() {\n",
            "  const c = makeCart();\n",
            "  c.add(1);\n",
            "  shared.add(2);\n",
            "  spare.add(3);\n",
            "}\n",
        ),
    );
    let index = common::index_dir(root);
    assert_eq!(
        graded(&index, "Cart.add"),
        [
            "resolved shop/use.py:5",
            "resolved shop/use.py:6",
            "resolved shop/use.py:7",
            "resolved shop/use.py:8",
            "resolved web/use.ts:4",
            "resolved web/use.ts:5",
            "resolved web/use.ts:6",
        ]
    );
    assert_eq!(graded(&index, "Basket.add"), ["resolved shop/use.py:16"]);
}

#[test]
fn a_member_through_a_type_name_binds_to_the_type_the_file_defines_or_imports() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::write(root, "one/models.py", "class School:\n    objects = None\n");
    common::write(
        root,
        "one/tests.py",
        "from one.models import School\n\ndef test():\n    return School.objects\n",
    );
    // Its own `School`, defined in the file or imported from its own models.
    common::write(
        root,
        "two/tests.py",
        "class School:\n    objects = None\n\ndef test():\n    return School.objects\n",
    );
    common::write(
        root,
        "three/models.py",
        "class School:\n    objects = None\n",
    );
    common::write(
        root,
        "three/views.py",
        "from three.models import School\n\ndef show():\n    return School.objects\n",
    );
    // Neither: only the name says which.
    common::write(
        root,
        "four/admin.py",
        "def listing():\n    return School.objects\n",
    );
    // A `School` of its own that inherits `objects` from a library's base.
    common::write(
        root,
        "five/models.py",
        "from lib import Model\n\nclass School(Model):\n    pass\n",
    );
    common::write(
        root,
        "five/views.py",
        "from five.models import School\n\ndef show():\n    return School.objects\n",
    );
    let index = common::index_dir(root);
    let of = |defined_in: &str| {
        let filter = ReferenceFilter {
            defined_in: Some(defined_in.to_string()),
            include_distant: true,
            ..ReferenceFilter::default()
        };
        graded_with(&index, "School.objects", &filter)
    };
    assert_eq!(
        of("one/models.py"),
        ["resolved one/tests.py:4", "candidate four/admin.py:2"]
    );
    assert_eq!(
        of("two/tests.py"),
        ["resolved two/tests.py:5", "candidate four/admin.py:2"]
    );
    assert_eq!(
        of("three/models.py"),
        ["resolved three/views.py:4", "candidate four/admin.py:2"]
    );
}

#[test]
fn super_and_inherited_members_bind_to_the_direct_base() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::write(
        root,
        "app/base.py",
        "class Base:\n    def save(self):\n        pass\n\n    def clean(self):\n        pass\n",
    );
    common::write(
        root,
        "app/models.py",
        concat!(
            "from app.base import Base\n",
            "\n",
            "class Child(Base):\n",
            "    def save(self):\n",
            "        super().save()\n",
            "        self.clean()\n",
            "\n",
            "    def again(self):\n",
            "        self.save()\n",
            "\n",
            "class Other:\n",
            "    def save(self):\n",
            "        pass\n",
        ),
    );
    common::write(root, "web/base.ts", "export class Base {\n  save() {}\n}\n");
    common::write(
        root,
        "web/child.ts",
        "import { Base } from './base';\nexport class Child extends Base {\n  save() {\n    super.save();\n  }\n}\n",
    );
    let index = common::index_dir(root);
    // `super().save()` is the base's; `self.save()` in Child is Child's own;
    // `self.clean()` is inherited, Child defining no `clean`.
    assert_eq!(
        graded(&index, "Base.save"),
        ["resolved app/models.py:5", "resolved web/child.ts:4"]
    );
    assert_eq!(graded(&index, "Child.save"), ["resolved app/models.py:9"]);
    assert_eq!(graded(&index, "Base.clean"), ["resolved app/models.py:6"]);
    assert!(graded(&index, "Other.save").is_empty());
}

#[test]
fn a_class_defined_in_a_function_is_what_that_function_names() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::write(
        root,
        "app/models.py",
        "class Point:\n    def save(self):\n        pass\n",
    );
    common::write(
        root,
        "tests/test_points.py",
        concat!(
            "import ast\n",
            "\n",
            "def test_local():\n",
            "    class Point:\n",
            "        pass\n",
            "    return Point()\n",
            "\n",
            "def elsewhere():\n",
            "    return Point()\n",
            "\n",
            "class Visitor(ast.NodeVisitor):\n",
            "    def save(self):\n",
            "        super().save()\n",
        ),
    );
    let index = common::index_dir(root);
    let models = ReferenceFilter {
        defined_in: Some("app/models.py".into()),
        ..ReferenceFilter::default()
    };
    // The test's own Point is what `test_local` constructs; `elsewhere`
    // cannot see it, so it may mean the models' only.
    assert_eq!(
        graded_with(&index, "Point", &models),
        ["candidate tests/test_points.py:9"]
    );
    let local = ReferenceFilter {
        defined_in: Some("tests/test_points.py".into()),
        ..ReferenceFilter::default()
    };
    assert_eq!(
        graded_with(&index, "Point", &local),
        ["resolved tests/test_points.py:6"]
    );
    // `super().save()` with only a library base is the library's.
    assert!(graded_with(&index, "Point.save", &models).is_empty());
    // One of several same-named definitions in a file, by its line.
    common::write(
        root,
        "tests/test_more.py",
        "def one():\n    class Box:\n        pass\n    return Box()\n\ndef two():\n    class Box:\n        pass\n    return Box()\n",
    );
    let index = common::index_dir(root);
    let second = ReferenceFilter {
        defined_in: Some("tests/test_more.py:7".into()),
        ..ReferenceFilter::default()
    };
    assert_eq!(
        graded_with(&index, "Box", &second),
        ["resolved tests/test_more.py:9"]
    );
    let nowhere = ReferenceFilter {
        defined_in: Some("tests/test_more.py:3".into()),
        ..ReferenceFilter::default()
    };
    assert_eq!(index.references("Box", &nowhere, all()).total, 0);
}

#[test]
fn destructuring_reads_the_members_it_names() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::write(
        root,
        "web/subject.ts",
        concat!(
            "export class Subject {\n",
            "  _buffer: number[] = [];\n",
            "  flush() {\n",
            "    const { _buffer, closed: done = false } = this;\n",
            "    return _buffer.length + (done ? 1 : 0);\n",
            "  }\n",
            "  closed = false;\n",
            "}\n",
        ),
    );
    common::write(
        root,
        "web/use.js",
        "import { Subject } from './subject';\nexport function peek(s) {\n  const { _buffer } = s;\n  return _buffer;\n}\n",
    );
    let index = common::index_dir(root);
    // Through `this`, resolved; through a parameter, a candidate; the local
    // each binds is no use of the member afterwards.
    assert_eq!(
        graded(&index, "Subject._buffer"),
        ["resolved web/subject.ts:4", "candidate web/use.js:3"]
    );
    assert_eq!(
        graded(&index, "Subject.closed"),
        ["resolved web/subject.ts:4"]
    );
}

#[test]
fn object_literal_keys_are_members_of_the_type_they_are_given() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::write(
        root,
        "src/changes.ts",
        concat!(
            "export interface Splice {\n",
            "  type: string;\n",
            "  removed: number;\n",
            "}\n",
            "export interface Update {\n",
            "  type: string;\n",
            "}\n",
            "export function splice(): Splice {\n",
            "  return { type: \"splice\", removed: 0 };\n",
            "}\n",
            "const a: Splice = { type: \"splice\", removed: 1 };\n",
            "const b = <Update>{ type: \"update\" };\n",
            "report({ type: \"any\" });\n",
        ),
    );
    common::write(
        root,
        "src/far.ts",
        "export function log() {\n  report({ type: \"far\", removed: 2 });\n}\n",
    );
    common::write(
        root,
        "src/plain.js",
        "export const c = { type: 'x', removed: 3 };\n",
    );
    let index = common::index_dir(root);
    let all_grades = ReferenceFilter {
        include_distant: true,
        ..ReferenceFilter::default()
    };
    // Declared, asserted or returned as `Splice`: resolved; `Update`'s is
    // another's; an untyped literal beside the definition is a candidate,
    // one elsewhere is distant.
    assert_eq!(
        graded_with(&index, "Splice.type", &all_grades),
        [
            "resolved src/changes.ts:9",
            "resolved src/changes.ts:11",
            "candidate src/changes.ts:13",
            "distant src/far.ts:2",
            "distant src/plain.js:1",
        ]
    );
    // A name defined once has nothing else to be: every key is a candidate.
    assert_eq!(
        graded(&index, "removed"),
        [
            "resolved src/changes.ts:9",
            "resolved src/changes.ts:11",
            "candidate src/far.ts:2",
            "candidate src/plain.js:1",
        ]
    );
}

#[test]
fn a_name_declared_global_is_the_module_variable_where_a_function_assigns_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::write(
        root,
        "app/state.py",
        concat!(
            "has_run = False\n",
            "\n",
            "def run():\n",
            "    global has_run\n",
            "    if not has_run:\n",
            "        has_run = True\n",
            "\n",
            "def other():\n",
            "    has_run = 1\n",
            "    return has_run\n",
            "\n",
            "def outer():\n",
            "    count = 0\n",
            "    def inner():\n",
            "        nonlocal count\n",
            "        count = 1\n",
            "    return count\n",
            "\n",
            "count = 2\n",
        ),
    );
    let index = common::index_dir(root);
    // In `run`, every mention is the module's; in `other`, a local of its own.
    assert_eq!(
        graded(&index, "has_run"),
        [
            "resolved app/state.py:4",
            "resolved app/state.py:5",
            "resolved app/state.py:6",
        ]
    );
    // `nonlocal` names the enclosing function's local, not the module's.
    assert!(graded(&index, "count").is_empty());
}

#[test]
fn a_member_through_a_project_class_that_neither_holds_nor_inherits_it_is_not_a_use() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::write(
        root,
        "app/models.py",
        concat!(
            "class Model:\n",
            "    pass\n",
            "\n",
            "class School(Model):\n",
            "    objects = None\n",
            "\n",
            "class Academy(School):\n",
            "    pass\n",
            "\n",
            "class Child(Model):\n",
            "    pass\n",
        ),
    );
    common::write(
        root,
        "app/views.py",
        concat!(
            "from app.models import Academy, Child, School\n",
            "from lib import Remote\n",
            "\n",
            "def show(x):\n",
            "    School.objects\n",
            "    Academy.objects\n",
            "    Child.objects\n",
            "    Remote.objects\n",
            "    x.objects\n",
        ),
    );
    common::write(
        root,
        "app/forms.py",
        concat!(
            "class Base:\n",
            "    def clean(self):\n",
            "        pass\n",
            "\n",
            "class Mixin:\n",
            "    pass\n",
            "\n",
            "class Form(Base):\n",
            "    pass\n",
            "\n",
            "class Other:\n",
            "    def clean(self):\n",
            "        pass\n",
            "\n",
            "class Login(Form):\n",
            "    def clean(self):\n",
            "        super().clean()\n",
            "\n",
            "class Signup(Mixin):\n",
            "    def clean(self):\n",
            "        super().clean()\n",
        ),
    );
    let index = common::index_dir(root);
    // `Academy` inherits it; `Child` is a project class of another lineage;
    // a library's class (a name the project never defines) holds the
    // library's members; an unknown value may hold anything.
    assert_eq!(
        graded(&index, "School.objects"),
        [
            "resolved app/views.py:5",
            "candidate app/views.py:6",
            "candidate app/views.py:9",
        ]
    );
    // `super().clean()` reaches `Base.clean` through `Form`; a base of
    // another lineage does not.
    assert_eq!(graded(&index, "Base.clean"), ["candidate app/forms.py:17"]);
    // Its overrides, a group of their own: `Login.clean` through `Form`.
    let page = index.references("Base.clean", &ReferenceFilter::default(), all());
    let overrides: Vec<String> = page
        .overrides
        .iter()
        .map(|o| format!("{}:{} {}", o.path, o.line, o.qualified_name))
        .collect();
    assert_eq!(overrides, ["app/forms.py:16 Login.clean"]);
    // A member of a class nothing inherits has none.
    let page = index.references("Other.clean", &ReferenceFilter::default(), all());
    assert!(page.overrides.is_empty());
}

#[test]
fn rust_paths_through_the_projects_crates_and_the_crates_own_modules_are_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::write(
        root,
        "str-sim/src/lib.rs",
        "pub mod metrics;\n\npub fn levenshtein(a: &str, b: &str) -> usize {\n    a.len() + b.len()\n}\n",
    );
    common::write(
        root,
        "str-sim/src/metrics.rs",
        concat!(
            "use self::inner::Table;\n",
            "use super::levenshtein;\n",
            "\n",
            "pub struct Metrics { table: Table }\n",
            "\n",
            "impl Metrics {\n",
            "    pub fn distance(&self) -> usize {\n",
            "        self.table.lookup() + super::levenshtein(\"a\", \"b\")\n",
            "    }\n",
            "}\n",
            "\n",
            "mod inner {\n",
            "    pub struct Table;\n",
            "    impl Table {\n",
            "        pub fn lookup(&self) -> usize { 0 }\n",
            "    }\n",
            "}\n",
        ),
    );
    common::write(
        root,
        "str-sim/benches/bench.rs",
        concat!(
            "use rand::Rng;\n",
            "use str_sim::metrics::Metrics;\n",
            "\n",
            "fn bench(m: &Metrics) {\n",
            "    str_sim::levenshtein(\"a\", \"b\");\n",
            "    rand::levenshtein(\"a\", \"b\");\n",
            "}\n",
        ),
    );
    let index = common::index_dir(root);
    // `super::` and `self.` in a file with `use self::…`, `use super::…`,
    // and the crate by its name from its benches (its root module, which
    // defines it: resolved); `rand`'s is another's.
    assert_eq!(
        graded(&index, "levenshtein"),
        [
            "resolved str-sim/benches/bench.rs:5",
            "candidate str-sim/src/metrics.rs:2",
            "candidate str-sim/src/metrics.rs:8",
        ]
    );
    assert_eq!(
        graded(&index, "lookup"),
        ["candidate str-sim/src/metrics.rs:8"]
    );
    // The crate's name resolves to its files.
    let deps = index.dependents("str-sim/src/metrics.rs", all());
    assert!(
        deps.items
            .iter()
            .any(|d| d.path == "str-sim/benches/bench.rs"),
        "{:?}",
        deps.items
    );
}

#[test]
fn a_definition_asked_from_a_line_ranks_the_one_in_scope_there_first() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::write(
        root,
        "tests/test_models.py",
        concat!(
            "from geo import Shape\n",
            "\n",
            "def test_one():\n",
            "    class Shape:\n",
            "        pass\n",
            "    return Shape()\n",
            "\n",
            "def test_two():\n",
            "    class Shape:\n",
            "        pass\n",
            "    return Shape()\n",
            "\n",
            "def test_three():\n",
            "    return Shape()\n",
        ),
    );
    // A package that re-exports `Shape` from a module of its own.
    common::write(root, "geo/__init__.py", "from .shapes import Shape\n");
    common::write(root, "geo/shapes.py", "class Shape:\n    pass\n");
    common::write(root, "other/shapes.py", "class Shape:\n    pass\n");
    let index = common::index_dir(root);
    let first = |context: &str| {
        let page = index.definitions("Shape", Some(context), &SymbolFilter::default(), all());
        format!(
            "{}:{}",
            page.items[0].path, page.items[0].name_span.start_line
        )
    };
    assert_eq!(first("tests/test_models.py:6"), "tests/test_models.py:4");
    assert_eq!(first("tests/test_models.py:11"), "tests/test_models.py:9");
    // Out of both functions: the import, followed through the package.
    assert_eq!(first("tests/test_models.py:14"), "geo/shapes.py:1");
}

#[test]
fn a_constructors_references_include_the_instantiations_of_its_class() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::write(
        root,
        "shop/cart.py",
        concat!(
            "class Cart:\n",
            "    def __init__(self, items):\n",
            "        self.items = items\n",
            "\n",
            "class Basket(Cart):\n",
            "    def __init__(self):\n",
            "        super().__init__([])\n",
            "\n",
            "def fill(kind: Cart):\n",
            "    return Cart([1])\n",
        ),
    );
    common::write(
        root,
        "web/cart.ts",
        "export class Cart {\n  constructor(public items: number[]) {}\n}\nexport const c: Cart = new Cart([]);\n",
    );
    let index = common::index_dir(root);
    // The call of the class and `super().__init__`; not the annotation.
    assert_eq!(
        graded(&index, "Cart.__init__"),
        ["resolved shop/cart.py:7", "resolved shop/cart.py:10"]
    );
    assert_eq!(
        graded(&index, "Cart.constructor"),
        ["resolved web/cart.ts:4"]
    );
    // A class's own references are every use of its name, as before.
    let class = graded(&index, "Cart");
    assert!(
        class.contains(&"resolved shop/cart.py:9".to_string()),
        "{class:?}"
    );
}

#[test]
fn a_top_level_function_is_not_a_member_of_a_value() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::write(
        root,
        "app/api.py",
        "def entries(obj):\n    return list(obj)\n",
    );
    common::write(
        root,
        "app/views.py",
        concat!(
            "from app import api\n",
            "from app.api import entries\n",
            "\n",
            "class View:\n",
            "    def show(self, table):\n",
            "        entries(table)\n",
            "        api.entries(table)\n",
            "        table.entries()\n",
            "        self.entries()\n",
            "        {}.entries()\n",
        ),
    );
    let index = common::index_dir(root);
    // Bare and through its module, not through a value.
    assert_eq!(
        graded(&index, "entries"),
        [
            "resolved app/views.py:2",
            "resolved app/views.py:6",
            "resolved app/views.py:7",
        ]
    );
}

#[test]
fn grades_follow_imports_that_start_to_resolve_when_a_file_appears() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::write(
        root,
        "lib/a.py",
        "class A:\n    def run(self):\n        pass\n",
    );
    common::write(
        root,
        "lib/b.py",
        "class B:\n    def run(self):\n        pass\n",
    );
    // Imports a module that does not exist yet.
    common::write(
        root,
        "app/use.py",
        "import lib.c\n\ndef go(x=lib.c.A):\n    return x.run()\n",
    );
    let mut index = common::index_dir(root);
    let filter = ReferenceFilter {
        defined_in: Some("lib/a.py".into()),
        include_distant: true,
        ..ReferenceFilter::default()
    };
    // No import path to `lib/a.py`: distant (and the resolution is cached).
    assert_eq!(
        graded_with(&index, "A.run", &filter),
        ["distant app/use.py:4"]
    );
    assert_eq!(
        graded_with(&index, "A.run", &filter),
        ["distant app/use.py:4"]
    );
    // The module appears and imports `lib/a.py`: a path, so a candidate.
    common::write(root, "lib/c.py", "from lib.a import A\n");
    assert!(
        index
            .update_file("lib/c.py", &code_index_core::IndexOptions::default())
            .unwrap()
    );
    assert_eq!(
        graded_with(&index, "A.run", &filter),
        ["candidate app/use.py:4"]
    );
}

#[test]
fn values_whose_class_cannot_hold_the_member_are_not_its_uses() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::write(
        root,
        "shop/models.py",
        "class Cart:\n    def add(self, item):\n        pass\n\n\nclass Basket:\n    def add(self, item):\n        pass\n",
    );
    // `self` in a class that neither holds nor inherits `Cart.add`, and in
    // one that inherits it.
    common::write(
        root,
        "shop/shelf.py",
        concat!(
            "from shop.models import Cart\n",
            "\n",
            "class Shelf:\n",
            "    def fill(self):\n",
            "        self.add(1)\n",
            "\n",
            "class Trolley(Cart):\n",
            "    def fill(self):\n",
            "        self.add(2)\n",
        ),
    );
    common::write(
        root,
        "web/types.ts",
        concat!(
            "export interface Unsubscribable {\n  unsubscribe(): void;\n}\n",
            "export interface SchedulerLike {\n  schedule(work: () => void, delay: number): void;\n}\n",
        ),
    );
    common::write(
        root,
        "web/subscription.ts",
        concat!(
            "import { Unsubscribable } from './types';\n",
            "export class Subscription implements Unsubscribable {\n",
            "  unsubscribe() {}\n",
            "}\n",
            "export class Operator {\n",
            "  call() {}\n",
            "}\n",
        ),
    );
    common::write(
        root,
        "web/use.ts",
        concat!(
            "import { Subscription } from './subscription';\n",
            "export function stop(s) {\n",
            "  s.unsubscribe();\n",
            "}\n",
            "export function every(predicate: (v: number) => boolean) {\n",
            "  return predicate.call(null, 1);\n",
            "}\n",
            "export function delay() {}\n",
        ),
    );
    let index = common::index_dir(root);
    assert_eq!(graded(&index, "Cart.add"), ["resolved shop/shelf.py:9"]);
    let everything = |place: &str| ReferenceFilter {
        defined_in: Some(place.into()),
        include_distant: true,
        ..ReferenceFilter::default()
    };
    // The file names `Subscription`, whose own `unsubscribe` a value of it
    // calls: a candidate of that one, distant for the interface's.
    assert_eq!(
        graded_with(
            &index,
            "Unsubscribable.unsubscribe",
            &everything("web/types.ts")
        ),
        ["distant web/use.ts:3"]
    );
    assert_eq!(
        graded_with(
            &index,
            "Subscription.unsubscribe",
            &everything("web/subscription.ts")
        ),
        ["candidate web/use.ts:3"]
    );
    // A parameter of a function type is a function: `call` is the
    // language's.
    assert_eq!(graded(&index, "Operator.call"), Vec::<String>::new());
    // A parameter named in a signature is no use of a function.
    assert_eq!(graded(&index, "delay"), Vec::<String>::new());
}

#[test]
fn import_aliases_stand_for_what_they_import() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::write(
        root,
        "shop/models.py",
        "class Cart:\n    def add(self, item):\n        pass\n\n\nclass Basket:\n    def add(self, item):\n        pass\n",
    );
    common::write(
        root,
        "shop/use.py",
        concat!(
            "from shop.models import Cart as ShopCart\n",
            "import shop.models as m\n",
            "\n",
            "def go():\n",
            "    c = ShopCart()\n",
            "    c.add(1)\n",
            "    ShopCart.add(c, 2)\n",
            "    m.Cart.add(c, 3)\n",
        ),
    );
    common::write(
        root,
        "web/cart.ts",
        "export class Cart {\n  add(n: number) { return n; }\n}\nexport class Basket {\n  add(n: number) { return n; }\n}\n",
    );
    common::write(
        root,
        "web/use.ts",
        concat!(
            "import { Cart as WebCart } from './cart';\n",
            "import * as carts from './cart';\n",
            "export function go() {\n",
            "  const c: Readonly<WebCart> = new WebCart();\n",
            "  c.add(1);\n",
            "  return carts.Cart;\n",
            "}\n",
        ),
    );
    let index = common::index_dir(root);
    assert_eq!(
        graded(&index, "Cart.add"),
        [
            "resolved shop/use.py:6",
            "resolved shop/use.py:7",
            "resolved shop/use.py:8",
            "resolved web/use.ts:5",
        ]
    );
    // The aliases' uses are the class's references.
    let lines = |name: &str| {
        index
            .references(name, &ReferenceFilter::default(), all())
            .files
            .iter()
            .flat_map(|f| {
                f.references
                    .iter()
                    .map(move |h| format!("{}:{}", f.path, h.line))
            })
            .collect::<Vec<_>>()
    };
    for line in [
        "shop/use.py:5",
        "shop/use.py:7",
        "web/use.ts:4",
        "web/use.ts:6",
    ] {
        assert!(lines("Cart").contains(&line.to_string()), "{line}");
    }
}

#[test]
fn members_of_names_the_project_never_defines_are_the_librarys() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::write(
        root,
        "app/tree.py",
        "class Node:\n    def join(self, other):\n        pass\n\n    def walk(self):\n        def visit():\n            self.join(None)\n        return visit\n",
    );
    common::write(
        root,
        "app/use.py",
        concat!(
            "import os\n",
            "from app.tree import Node\n",
            "\n",
            "def go(node: Node, T):\n",
            "    ', '.join([])\n",
            "    str.join(',', [])\n",
            "    os.path.join('a', 'b')\n",
            "    node.join(None)\n",
            "    T.join(None)\n",
        ),
    );
    let index = common::index_dir(root);
    // `self` in a closure is the method's; `str` and `os` are the library's,
    // and so is a literal's member; `T` is a parameter of unknown type.
    assert_eq!(
        graded(&index, "Node.join"),
        [
            "resolved app/tree.py:7",
            "resolved app/use.py:8",
            "candidate app/use.py:9",
        ]
    );
}

#[test]
fn members_named_through_a_prototype_in_a_type_query_are_the_classs() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::write(
        root,
        "web/sched.ts",
        concat!(
            "export class TestScheduler {\n",
            "  createHot() {}\n",
            "}\n",
            "export interface RunHelpers {\n",
            "  hot: typeof TestScheduler.prototype.createHot;\n",
            "}\n",
            "export function untyped(obj: any) {\n",
            "  return obj.createHot();\n",
            "}\n",
        ),
    );
    let index = common::index_dir(root);
    // `obj: any` says nothing of the value: a candidate.
    assert_eq!(
        graded(&index, "TestScheduler.createHot"),
        ["resolved web/sched.ts:5", "candidate web/sched.ts:8"]
    );
}

#[test]
fn members_of_call_results_take_the_type_the_callee_makes_or_returns() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::write(
        root,
        "shop/models.py",
        concat!(
            "class Cart:\n    def add(self, item):\n        pass\n\n\n",
            "class Basket:\n    def add(self, item):\n        pass\n\n\n",
            "def make_cart() -> Cart:\n    return Cart()\n\n\n",
            "def total():\n    pass\n",
        ),
    );
    common::write(
        root,
        "shop/use.py",
        concat!(
            "from shop.models import Cart, make_cart\n",
            "from vendor import session\n",
            "\n",
            "def go(factory):\n",
            "    Cart().add(1)\n",
            "    make_cart().add(2)\n",
            "    session().add(3)\n",
            "    factory().add(4)\n",
            "    make_cart().total()\n",
        ),
    );
    common::write(
        root,
        "web/cart.ts",
        concat!(
            "export class Cart {\n  add(n: number) { return n; }\n}\n",
            "export class Basket {\n  add(n: number) { return n; }\n}\n",
            "export class Shop {\n",
            "  basket(): Basket {\n    return new Basket();\n  }\n",
            "  run() {\n    new Cart().add(1);\n    this.basket().add(2);\n  }\n",
            "}\n",
        ),
    );
    let index = common::index_dir(root);
    // A class's instance, what a function is declared to return; a
    // library's function returns the library's values; a local function's
    // result is unknown.
    assert_eq!(
        graded(&index, "Cart.add"),
        [
            "resolved shop/use.py:5",
            "resolved shop/use.py:6",
            "resolved web/cart.ts:12",
            "candidate shop/use.py:8",
        ]
    );
    // `shop/use.py` names no `Basket`: its unknown value is distant there.
    assert_eq!(graded(&index, "Basket.add"), ["resolved web/cart.ts:13"]);
    // A top-level function is no member of a value.
    assert_eq!(graded(&index, "total"), Vec::<String>::new());
}

#[test]
fn values_of_type_aliases_and_parameter_properties_bind_by_what_they_name() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::write(
        root,
        "web/map.ts",
        concat!(
            "export class ObservableMap {\n  forEach(f: any) {}\n}\n",
            "export class ObservableSet {\n  forEach(f: any) {}\n}\n",
            "export type Entries = Array<[string, number]> | Map<string, number>;\n",
            "export type AnyMap = ObservableMap | Entries;\n",
        ),
    );
    common::write(
        root,
        "web/use.ts",
        concat!(
            "import { ObservableMap, Entries, AnyMap } from './map';\n",
            "export function merge(other: Entries, some: AnyMap) {\n",
            "  other.forEach(1);\n",
            "  some.forEach(2);\n",
            "}\n",
            "export class Admin {\n",
            "  constructor(public values_ = new ObservableMap()) {}\n",
            "  run() {\n",
            "    this.values_.forEach(3);\n",
            "  }\n",
            "}\n",
        ),
    );
    let index = common::index_dir(root);
    assert_eq!(
        graded(&index, "ObservableMap.forEach"),
        ["resolved web/use.ts:9", "candidate web/use.ts:4"]
    );
}

#[test]
fn a_class_bound_to_a_class_attribute_makes_instances_of_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::write(
        root,
        "app/forms.py",
        "class UserForm:\n    def clean(self):\n        pass\n\n\nclass Other:\n    def clean(self):\n        pass\n",
    );
    common::write(
        root,
        "app/test_forms.py",
        concat!(
            "from app.forms import UserForm\n",
            "\n",
            "class Tests:\n",
            "    form_class = UserForm\n",
            "\n",
            "    def test(self):\n",
            "        form = self.form_class()\n",
            "        form.clean()\n",
        ),
    );
    let index = common::index_dir(root);
    assert_eq!(
        graded(&index, "UserForm.clean"),
        ["resolved app/test_forms.py:8"]
    );
    assert_eq!(graded(&index, "Other.clean"), Vec::<String>::new());
}

#[test]
fn members_reached_through_typed_members_of_other_classes_bind_to_their_types() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::write(
        root,
        "shop/models.py",
        concat!(
            "class Cart:\n    def add(self, item):\n        pass\n\n\n",
            "class Basket:\n    def add(self, item):\n        pass\n\n\n",
            "class Shop:\n    def __init__(self):\n        self.basket = Basket()\n",
        ),
    );
    common::write(
        root,
        "shop/use.py",
        "from shop.models import Shop\n\ndef go(shop: Shop):\n    shop.basket.add(1)\n",
    );
    common::write(
        root,
        "web/models.ts",
        concat!(
            "export class Cart {\n  add(n: number) { return n; }\n}\n",
            "export class Basket {\n  add(n: number) { return n; }\n}\n",
            "export class Shop {\n  cart: Cart = new Cart();\n}\n",
        ),
    );
    common::write(
        root,
        "web/use.ts",
        "import { Shop } from './models';\nexport function go(shop: Shop) {\n  shop.cart.add(1);\n}\n",
    );
    let index = common::index_dir(root);
    assert_eq!(graded(&index, "Basket.add"), ["resolved shop/use.py:4"]);
    assert_eq!(graded(&index, "Cart.add"), ["resolved web/use.ts:3"]);
}

/// Where a definition named `name` is, as `path:line`.
fn defined_at(index: &Index, name: &str) -> Vec<String> {
    index
        .definitions(name, None, &SymbolFilter::default(), all())
        .items
        .iter()
        .map(|s| format!("{}:{}", s.path, s.span.start_line))
        .collect()
}

#[test]
fn names_bound_in_top_level_blocks_and_tuple_fields_are_definitions() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::write(
        root,
        "app/config.py",
        concat!(
            "try:\n",
            "    import fastjson as json_impl\n",
            "except ImportError:\n",
            "    json_impl = None\n",
            "\n",
            "if True:\n",
            "    LIMIT = 10\n",
            "\n",
            "\n",
            "class Pair:\n",
            "    def __init__(self, a, b):\n",
            "        self.left, self.right = a, b\n",
            "\n",
            "    def swap(self):\n",
            "        return self.right\n",
        ),
    );
    let index = common::index_dir(root);
    assert_eq!(defined_at(&index, "LIMIT"), ["app/config.py:7"]);
    assert_eq!(defined_at(&index, "json_impl"), ["app/config.py:4"]);
    assert_eq!(defined_at(&index, "Pair.left"), ["app/config.py:12"]);
    assert_eq!(defined_at(&index, "Pair.right"), ["app/config.py:12"]);
    assert_eq!(graded(&index, "Pair.right"), ["resolved app/config.py:15"]);
    // A local of a function is no module definition.
    common::write(
        root,
        "app/run.py",
        "def main():\n    if True:\n        LOCAL = 1\n",
    );
    let index = common::index_dir(root);
    assert_eq!(defined_at(&index, "LOCAL"), Vec::<String>::new());
}

#[test]
fn destructured_parameters_and_indexed_types_read_the_members_they_name() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::write(
        root,
        "web/props.ts",
        concat!(
            "export interface Props {\n",
            "  title: string;\n",
            "  count: number;\n",
            "}\n",
            "export interface Other {\n",
            "  title: string;\n",
            "}\n",
        ),
    );
    common::write(
        root,
        "web/view.ts",
        concat!(
            "import { Props } from './props';\n",
            "export function view({ title }: Props): string {\n",
            "  return title;\n",
            "}\n",
            "export type Count = Props['count'];\n",
        ),
    );
    let index = common::index_dir(root);
    assert_eq!(graded(&index, "Props.title"), ["resolved web/view.ts:2"]);
    assert_eq!(graded(&index, "Props.count"), ["resolved web/view.ts:5"]);
    assert_eq!(graded(&index, "Other.title"), Vec::<String>::new());
}

#[test]
fn a_bare_name_binds_through_an_import_only_where_an_import_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::write(
        root,
        "pkg/log.py",
        "def warn(msg):\n    pass\n\n\ndef error(msg):\n    pass\n",
    );
    common::write(
        root,
        "pkg/named.py",
        "from pkg.log import warn\n\nwarn('x')\n",
    );
    // `pkg.log` is imported, but `warn` is not among what the import brings.
    common::write(
        root,
        "pkg/other.py",
        "from pkg.log import error\n\nerror('y')\nwarn('y')\n",
    );
    common::write(root, "pkg/star.py", "from pkg.log import *\n\nwarn('z')\n");
    let index = common::index_dir(root);
    assert_eq!(
        graded(&index, "warn"),
        [
            "resolved pkg/named.py:1",
            "resolved pkg/named.py:3",
            "resolved pkg/star.py:3",
            "candidate pkg/other.py:4"
        ]
    );
}

#[test]
fn go_receivers_bind_through_declared_and_made_types() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::write(root, "go.mod", "module example.com/app\n\ngo 1.22\n");
    common::write(
        root,
        "srv/srv.go",
        concat!(
            "package srv\n",
            "\n",
            "type Server struct {\n",
            "\tpool *Pool\n",
            "}\n",
            "\n",
            "type Worker struct{}\n",
            "\n",
            "type Pool struct{}\n",
            "\n",
            "func (s *Server) Start() error { return s.pool.Start() }\n",
            "\n",
            "func (w *Worker) Start() error { return nil }\n",
            "\n",
            "func (p *Pool) Start() error { return nil }\n",
            "\n",
            "func NewWorker() (*Worker, error) { return &Worker{}, nil }\n",
            "\n",
            "var spare = &Worker{}\n",
        ),
    );
    common::write(
        root,
        "srv/run.go",
        concat!(
            "package srv\n",
            "\n",
            "import \"os/exec\"\n",
            "\n",
            "func Run(s *Server, items []int) {\n",
            "\ts.Start()\n",
            "\tw := &Worker{}\n",
            "\tw.Start()\n",
            "\tvar v Worker\n",
            "\tv.Start()\n",
            "\tm, _ := NewWorker()\n",
            "\tm.Start()\n",
            "\tfor _, x := range things() {\n",
            "\t\tx.Start()\n",
            "\t}\n",
            "}\n",
            "\n",
            "func things() []*Server { return nil }\n",
            "\n",
            "func Spare() { spare.Start() }\n",
            "\n",
            "// A library's package makes a library's value.\n",
            "func Shell() { c := exec.Command(\"ls\"); c.Start() }\n",
        ),
    );
    let index = common::index_dir(root);
    assert_eq!(
        graded(&index, "Server.Start"),
        ["resolved srv/run.go:6", "candidate srv/run.go:14"]
    );
    assert_eq!(
        graded(&index, "Worker.Start"),
        [
            "resolved srv/run.go:8",
            "resolved srv/run.go:10",
            "resolved srv/run.go:12",
            "resolved srv/run.go:20",
            "candidate srv/run.go:14"
        ]
    );
    // Through a struct field's written type; `x` in a file that never
    // names `Pool` is most likely another's.
    assert_eq!(graded(&index, "Pool.Start"), ["resolved srv/srv.go:11"]);
    // Field reads and struct literal keys are uses of the field.
    common::write(
        root,
        "srv/make.go",
        "package srv\n\nfunc Make(p *Pool) *Server {\n\treturn &Server{pool: p}\n}\n",
    );
    let index = common::index_dir(root);
    assert_eq!(
        graded(&index, "Server.pool"),
        ["resolved srv/make.go:4", "resolved srv/srv.go:11"]
    );
}

#[test]
fn a_rust_crate_named_by_its_name_is_its_root_module() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::write(
        root,
        "strsim-0.11.1/Cargo.toml",
        "[package]\nname = \"strsim\"\nversion = \"0.11.1\"\n",
    );
    common::write(
        root,
        "strsim-0.11.1/src/lib.rs",
        "pub fn hamming(a: &str) -> usize {\n    a.len()\n}\n",
    );
    common::write(
        root,
        "strsim-0.11.1/benches/benches.rs",
        "extern crate strsim;\n\nfn bench() {\n    strsim::hamming(\"a\");\n}\n",
    );
    common::write(
        root,
        "strsim-0.11.1/tests/lib.rs",
        "use strsim::{hamming};\n\nfn works() {\n    hamming(\"b\");\n}\n",
    );
    let index = common::index_dir(root);
    assert_eq!(
        graded(&index, "hamming"),
        [
            "resolved strsim-0.11.1/benches/benches.rs:4",
            "resolved strsim-0.11.1/tests/lib.rs:1",
            "resolved strsim-0.11.1/tests/lib.rs:4"
        ]
    );
}

#[test]
fn this_declared_as_a_parameter_has_the_declared_type() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::write(
        root,
        "web/action.ts",
        concat!(
            "export class Action {\n  schedule() { return 1; }\n}\n",
            "export class Other {\n  schedule() { return 2; }\n}\n",
        ),
    );
    common::write(
        root,
        "web/range.ts",
        concat!(
            "import { Action, Other } from './action';\n",
            "export function range(this: Action) {\n",
            "  this.schedule();\n",
            "}\n",
            "export function loose(this: any) {\n",
            "  this.schedule();\n",
            "}\n",
        ),
    );
    let index = common::index_dir(root);
    // `this: any` says nothing: a candidate, as `this` in any function.
    assert_eq!(
        graded(&index, "Action.schedule"),
        ["resolved web/range.ts:3", "candidate web/range.ts:6"]
    );
    assert_eq!(
        graded(&index, "Other.schedule"),
        ["candidate web/range.ts:6"]
    );
}

#[test]
fn a_type_imported_through_a_barrel_file_is_known_for_what_it_holds() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::write(
        root,
        "src/core/derivation.ts",
        "export interface IDepTreeNode {\n  name_: string;\n}\nexport interface IDerivation extends IDepTreeNode {}\n",
    );
    common::write(
        root,
        "src/core/computed.ts",
        "import { IDerivation } from '../internal';\nexport class ComputedValue implements IDerivation {\n  name_ = '';\n}\n",
    );
    common::write(
        root,
        "src/internal.ts",
        "export * from './core/derivation';\nexport * from './core/computed';\n",
    );
    common::write(
        root,
        "src/core/observable.ts",
        concat!(
            "import { IDerivation, ComputedValue } from '../internal';\n",
            "export function log(d: IDerivation, c: ComputedValue) {\n",
            "  const a = d.name_;\n",
            "  return a + c.name_;\n",
            "}\n",
        ),
    );
    let index = common::index_dir(root);
    // `d.name_` is the interfaces' member (`IDerivation`, imported through
    // the barrel, inherits it), not the class's.
    assert_eq!(
        graded(&index, "ComputedValue.name_"),
        ["resolved src/core/observable.ts:4"]
    );
}

#[test]
fn object_literals_take_a_calls_type_argument_and_a_declared_type_through_branches() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::write(
        root,
        "src/types.ts",
        concat!(
            "export interface Splice {\n  type: string;\n}\n",
            "export interface Update {\n  type: string;\n}\n",
            "export function intercept<T>(target: unknown, change: T): T {\n  return change;\n}\n",
        ),
    );
    common::write(
        root,
        "src/array.ts",
        concat!(
            "import { Splice, Update, intercept } from './types';\n",
            "export function splice(ok: boolean) {\n",
            "  intercept<Splice>(null, {\n",
            "    type: 'splice',\n",
            "  });\n",
            "  const u: Update | null = ok ? ({ type: 'update' }) : null;\n",
            "  return u;\n",
            "}\n",
        ),
    );
    let index = common::index_dir(root);
    assert_eq!(graded(&index, "Splice.type"), ["resolved src/array.ts:4"]);
    assert_eq!(graded(&index, "Update.type"), ["resolved src/array.ts:6"]);
}

#[test]
fn a_base_that_overrides_the_member_stops_inheritance_of_the_asked_one() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::write(
        root,
        "geo/aggregates.py",
        concat!(
            "class Func:\n",
            "    def __init__(self):\n",
            "        pass\n",
            "\n",
            "class Aggregate(Func):\n",
            "    def __init__(self):\n",
            "        super().__init__()\n",
            "\n",
            "class GeoAggregate(Aggregate):\n",
            "    pass\n",
            "\n",
            "class Extent(GeoAggregate):\n",
            "    def __init__(self):\n",
            "        super().__init__()\n",
        ),
    );
    let index = common::index_dir(root);
    // `Extent`'s `super().__init__()` reaches `Aggregate.__init__`, which
    // overrides `Func`'s.
    assert_eq!(
        graded(&index, "Func.__init__"),
        ["resolved geo/aggregates.py:7"]
    );
    assert_eq!(
        graded(&index, "Aggregate.__init__"),
        ["candidate geo/aggregates.py:14"]
    );
}
