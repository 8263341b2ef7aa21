//! Each renderer on typed results, no daemon needed: the snapshots are
//! what a model reads.

use super::*;
use crate::payload::DEFAULT_BUDGET;
use code_index_protocol::Span;

fn sym(path: &str, line: u32, kind: &str, qualified: &str, signature: &str) -> wire::Symbol {
    wire::Symbol {
        name: qualified.rsplit(['.', ':']).next().unwrap().into(),
        qualified_name: qualified.into(),
        kind: kind.into(),
        language: Some("rust".into()),
        path: path.into(),
        span: Span {
            start_line: line,
            end_line: line + 4,
            ..Default::default()
        },
        signature: signature.into(),
        ..Default::default()
    }
}

/// A page of `items` from one project, `total` in all, from `offset`.
fn page<T>(items: Vec<T>, total: u64, offset: u64) -> Merged<T> {
    Merged {
        total,
        offset,
        total_is_lower_bound: false,
        resolved: None,
        distant_left_out: 0,
        overrides: Vec::new(),
        overrides_total: 0,
        items: items
            .into_iter()
            .map(|item| Tagged {
                project: None,
                item,
            })
            .collect(),
        complete: true,
        progress: None,
    }
}

fn rendered(render: impl FnOnce(&mut Text) -> String) -> String {
    answer(Text::new(DEFAULT_BUDGET), true, None, render).text
}

#[test]
fn lines_name_path_kind_and_signature() {
    let s = sym("src/a.rs", 3, "method", "Foo::bar", "fn bar(&self)");
    assert_eq!(
        symbol_line(&s),
        "src/a.rs:3  method  Foo::bar  fn bar(&self)"
    );
    // A signature that is just the name is not repeated.
    let s = sym("src/a.rs", 3, "const", "LIMIT", "LIMIT");
    assert_eq!(symbol_line(&s), "src/a.rs:3  const  LIMIT");
}

#[test]
fn symbols_page_with_the_next_offset() {
    let items = vec![
        wire::SymbolMatch {
            symbol: sym(
                "src/parse.rs",
                10,
                "function",
                "parse",
                "pub fn parse(input: &str) -> Ast",
            ),
            match_kind: "exact".into(),
        },
        wire::SymbolMatch {
            symbol: sym(
                "src/parse.rs",
                40,
                "function",
                "parse_expr",
                "fn parse_expr(&mut self) -> Expr",
            ),
            match_kind: "prefix".into(),
        },
    ];
    insta::assert_snapshot!(rendered(|t| symbols(&page(items, 12, 0), false, t)));
}

#[test]
fn a_count_is_one_line() {
    let out = answer(Text::new(DEFAULT_BUDGET), true, None, |t| {
        symbols(&page(vec![], 812, 0), true, t)
    });
    assert_eq!(out.text, "812 symbols\n");
    assert_eq!(out.total, Some(812));
    assert_eq!(out.next_offset, None);
}

#[test]
fn definitions_with_the_first_line_of_their_doc() {
    let mut documented = sym(
        "src/shapes.rs",
        14,
        "method",
        "Square::area",
        "fn area(&self) -> f64",
    );
    documented.doc = "The area, in square units.\nNever negative.".into();
    let items = vec![
        documented,
        sym(
            "src/circle.rs",
            8,
            "method",
            "Circle::area",
            "fn area(&self) -> f64",
        ),
    ];
    insta::assert_snapshot!(rendered(|t| definitions(&page(items, 2, 0), false, t)));
}

#[test]
fn references_resolved_first_then_candidates_grouped_by_file() {
    let hit = |line, kind: &str, enclosing: Option<&str>, text: &str| wire::ReferenceHit {
        line,
        column: 9,
        kind: kind.into(),
        enclosing: enclosing.map(Into::into),
        text: text.into(),
        resolution: if line == 9 { "candidate" } else { "resolved" }.into(),
    };
    let mut merged = page(
        vec![
            PathHit {
                path: "src/a.rs".into(),
                hit: hit(3, "call", Some("main"), "let s = area(&sq);"),
            },
            PathHit {
                path: "src/b.rs".into(),
                hit: hit(1, "import", None, "use crate::area;"),
            },
            PathHit {
                path: "src/a.rs".into(),
                hit: hit(9, "call", None, "area(&c)"),
            },
        ],
        40,
        10,
    );
    merged.resolved = Some(12);
    merged.items[1].project = Some("lib".into());
    insta::assert_snapshot!(rendered(|t| references(&merged, false, t)));
}

#[test]
fn references_name_the_overrides_as_a_group_of_their_own() {
    let mut merged = page(
        vec![PathHit {
            path: "app/views.py".into(),
            hit: wire::ReferenceHit {
                line: 4,
                column: 5,
                kind: "call".into(),
                enclosing: Some("show".into()),
                text: "form.clean()".into(),
                resolution: "resolved".into(),
            },
        }],
        1,
        0,
    );
    merged.resolved = Some(1);
    merged.overrides = (0..12)
        .map(|i| wire::DefinitionSite {
            path: format!("app/forms{i}.py"),
            line: 16,
            name: format!("Login{i}.clean"),
        })
        .collect();
    merged.overrides_total = 12;
    let text = rendered(|t| references(&merged, false, t));
    assert!(
        text.contains("12 overrides or implementations in subclasses"),
        "{text}"
    );
    assert!(text.contains("  app/forms0.py:16 Login0.clean\n"), "{text}");
    assert!(text.contains("  … and 2 more"), "{text}");
    assert!(!text.contains("Login10.clean"), "{text}");
}

#[test]
fn an_outline_is_a_tree() {
    let nodes = vec![
        wire::OutlineNode {
            symbol: sym("src/a.rs", 1, "struct", "Square", "pub struct Square"),
            children: vec![wire::OutlineNode {
                symbol: sym(
                    "src/a.rs",
                    5,
                    "method",
                    "Square::area",
                    "fn area(&self) -> f64",
                ),
                children: vec![],
            }],
        },
        wire::OutlineNode {
            symbol: sym("src/a.rs", 20, "function", "main", ""),
            children: vec![],
        },
    ];
    insta::assert_snapshot!(rendered(|t| outline(&nodes, t)));
    assert_eq!(rendered(|t| outline(&[], t)), "no definitions\n");
}

#[test]
fn symbol_at_says_the_role_and_the_enclosing_definition() {
    let at = wire::SymbolAtResult {
        path: "src/a.rs".into(),
        line: 6,
        column: 12,
        identifier: Some("area".into()),
        enclosing: Some(sym(
            "src/a.rs",
            5,
            "method",
            "Square::area",
            "fn area(&self) -> f64",
        )),
        defines: None,
        reference_kind: Some("call".into()),
    };
    insta::assert_snapshot!(rendered(|t| symbol_at(&at, t)));
    let top = wire::SymbolAtResult {
        identifier: None,
        enclosing: None,
        reference_kind: None,
        ..at
    };
    assert_eq!(
        rendered(|t| symbol_at(&top, t)),
        "at the top level of the file\n"
    );
}

#[test]
fn call_edges_indent_by_depth_and_name_the_target() {
    let edge =
        |depth, from: &str, to: &str, target: Option<wire::Symbol>, grade: &str| wire::CallEdge {
            depth,
            from: from.into(),
            from_symbol: None,
            to: to.into(),
            to_symbol: target,
            path: "src/main.rs".into(),
            lines: vec![12, 30],
            resolution: grade.into(),
        };
    let mut merged = page(
        vec![
            edge(
                1,
                "main",
                "run",
                Some(sym("src/run.rs", 3, "function", "run", "")),
                "resolved",
            ),
            edge(2, "run", "parse", None, "candidate"),
        ],
        2,
        0,
    );
    merged.resolved = Some(1);
    merged.distant_left_out = 3;
    insta::assert_snapshot!(rendered(|t| call_edges(&merged, false, t)));
}

#[test]
fn implementations_then_supertypes() {
    let relation = |side, implementor: &str, supertype: &str, symbol| Relation {
        side,
        relation: wire::TypeRelation {
            implementor: implementor.into(),
            supertype: supertype.into(),
            symbol,
            path: "src/shapes.rs".into(),
            line: 30,
        },
    };
    let merged = page(
        vec![
            relation(
                Side::Implementation,
                "Square",
                "Shape",
                Some(sym("src/shapes.rs", 30, "impl", "Square", "")),
            ),
            relation(Side::Implementation, "Circle", "Shape", None),
            relation(Side::Supertype, "Shape", "Debug", None),
        ],
        3,
        0,
    );
    insta::assert_snapshot!(rendered(|t| implementations(&merged, t)));
    assert_eq!(
        rendered(|t| implementations(&page(vec![], 0, 0), t)),
        "no implementations or supertypes found\n"
    );
}

#[test]
fn file_dependencies_both_ways() {
    let imports = vec![
        wire::ImportHit {
            module: "crate::shapes".into(),
            line: 1,
            resolved: vec!["src/shapes.rs".into()],
        },
        wire::ImportHit {
            module: "std::fmt".into(),
            line: 2,
            resolved: vec![],
        },
    ];
    let dependents = page(
        vec![wire::DependentHit {
            path: "src/main.rs".into(),
            line: 4,
            module: "crate::lib".into(),
        }],
        1,
        0,
    );
    insta::assert_snapshot!(rendered(|t| file_dependencies(
        "src/lib.rs",
        &imports,
        &dependents,
        t
    )));
}

#[test]
fn text_hits_with_context_and_a_capped_count() {
    let mut merged = page(
        vec![wire::TextHit {
            path: "src/a.rs".into(),
            line: 7,
            text: "    let total = self.0 * 2;".into(),
            before: vec!["fn double(&self) -> u32 {".into()],
            after: vec!["    total".into()],
            enclosing: Some("Square::double".into()),
        }],
        10_000,
        0,
    );
    merged.total_is_lower_bound = true;
    let out = answer(Text::new(DEFAULT_BUDGET), true, None, |t| {
        text_hits(&merged, false, t)
    });
    assert!(out.total_is_lower_bound);
    assert_eq!(out.next_offset, Some(1));
    insta::assert_snapshot!(out.text);
}

#[test]
fn a_repo_map_within_its_cap() {
    let files = vec![wire::RepoMapFile {
        path: "src/lib.rs".into(),
        rank: 0.5,
        symbols: vec![
            wire::RepoMapSymbol {
                symbol: sym("src/lib.rs", 3, "struct", "Index", "pub struct Index"),
                references: 40.0,
            },
            wire::RepoMapSymbol {
                symbol: sym("src/lib.rs", 9, "function", "open", ""),
                references: 10.0,
            },
        ],
    }];
    insta::assert_snapshot!(rendered(|t| repo_map(&files, t)));
}

#[test]
fn files_and_directories() {
    let files_page = page(
        vec![
            wire::FileEntry {
                path: "src/a.rs".into(),
                language: Some("rust".into()),
                size: 10,
                skipped: None,
                definitions: 3,
            },
            wire::FileEntry {
                path: "big.json".into(),
                language: None,
                size: 1 << 30,
                skipped: Some("too_large".into()),
                definitions: 0,
            },
            wire::FileEntry {
                path: "README".into(),
                language: None,
                size: 5,
                skipped: None,
                definitions: 0,
            },
        ],
        3,
        0,
    );
    insta::assert_snapshot!(rendered(|t| files(&files_page, false, t)));
    let entries = page(
        vec![
            wire::DirEntry {
                path: "src/".into(),
                files: Some(12),
            },
            wire::DirEntry {
                path: "src/lib.rs".into(),
                files: None,
            },
            wire::DirEntry {
                path: "Cargo.toml".into(),
                files: None,
            },
        ],
        700,
        0,
    );
    insta::assert_snapshot!(rendered(|t| dir(&entries, "", t)));
    assert_eq!(
        rendered(|t| dir(&page(vec![], 0, 0), "vendor", t)),
        "no indexed files under \"vendor\"\n"
    );
}

#[test]
fn a_diff_names_touched_definitions_and_their_callers() {
    let change = FileChange {
        path: "src/a.rs".into(),
        ranges: vec![(5, 6)],
        new_file: false,
    };
    let callers = wire::CallGraph {
        name: "Square::area".into(),
        depth: 1,
        total: 12,
        resolved: 12,
        distant_left_out: 0,
        offset: 0,
        limit: 10,
        edges: vec![wire::CallEdge {
            depth: 1,
            from: "main".into(),
            from_symbol: None,
            to: "area".into(),
            to_symbol: None,
            path: "src/main.rs".into(),
            lines: vec![3],
            resolution: "resolved".into(),
        }],
    };
    let touched = vec![Touched {
        change: &change,
        symbol: sym(
            "src/a.rs",
            5,
            "method",
            "Square::area",
            "fn area(&self) -> f64",
        ),
        callers: Some(callers),
    }];
    insta::assert_snapshot!(rendered(|t| diff_symbols(
        "HEAD",
        std::slice::from_ref(&change),
        &touched,
        t
    )));
    assert_eq!(
        rendered(|t| diff_symbols("main", &[], &[], t)),
        "no changes against main\n"
    );
}

#[test]
fn reindex_says_what_the_pass_did() {
    let r = wire::ReindexResult {
        parsed: 1,
        unchanged: 0,
        removed: 0,
        elapsed_ms: 3.4,
        path: Some("data/big.json".into()),
        skipped: Some("too_large".into()),
    };
    insta::assert_snapshot!(rendered(|t| reindex(&r, t)));
}

#[test]
fn an_answer_from_a_partial_index_says_so() {
    let progress = Some(Progress {
        done: 40,
        total: 120,
    });
    let out = answer(Text::new(DEFAULT_BUDGET), false, progress, |t| {
        definitions(&page(vec![], 0, 0), false, t)
    });
    insta::assert_snapshot!(out.text);
    assert_eq!(out.notes.len(), 2, "{:?}", out.notes);
}

#[test]
fn a_cut_answer_says_how_to_get_the_rest() {
    let items: Vec<wire::Symbol> = (0..2_000)
        .map(|i| sym("src/generated.rs", i, "function", &format!("f{i}"), ""))
        .collect();
    let out = answer(Text::new(2_000), true, None, |t| {
        definitions(&page(items, 2_000, 0), false, t)
    });
    assert!(out.text.len() <= 2_000, "{} characters", out.text.len());
    let next = out.next_offset.expect("a next offset");
    assert!(
        out.text.contains(&format!("call again with offset={next}")),
        "{}",
        out.text
    );
}

#[test]
fn index_status_names_state_progress_languages_watcher_and_daemon() {
    let status = code_index_protocol::StatusResult {
        root: "/src/app".into(),
        state: "indexing".into(),
        progress: Some(code_index_protocol::Progress {
            done: 40,
            total: 120,
        }),
        pid: 7,
        version: "0.5.0".into(),
        uptime_seconds: 3,
        watcher: "ok".into(),
        watcher_repairs: Some(0),
        ..Default::default()
    };
    let mut stats = code_index_protocol::StatsResult {
        files: 40,
        definitions: 300,
        references: 900,
        ..Default::default()
    };
    stats.languages.insert(
        "rust".into(),
        code_index_protocol::LanguageStats {
            files: 40,
            definitions: 300,
            references: 900,
        },
    );
    let mut text = Text::new(DEFAULT_BUDGET);
    index_status(&status, &stats, &mut text);
    assert_eq!(
        text.finish(""),
        "project  /src/app\n\
         state    indexing (40 of 120 files)\n\
         index    40 files, 300 definitions, 900 references\n\
         \x20 rust: 40 files, 300 definitions\n\
         watcher  ok; 0 repairs by the periodic check\n\
         daemon   pid 7, version 0.5.0, up 3s\n"
    );
}
