//! What gets indexed: ignore files, binary and oversized files, symbolic links,
//! non-UTF-8 text, syntax errors, pathological nesting and slow parses.

mod common;

use std::path::Path;
use std::time::Duration;

use code_index_core::build::{Processed, process_file};
use code_index_core::discover::{self, DiscoverOptions, DiscoveredFile};
use code_index_core::model::SkipReason;
use code_index_core::{Index, IndexOptions, Language, PageRequest, SymbolFilter};

fn listed(index: &Index) -> Vec<String> {
    let mut paths: Vec<String> = index.files().map(|(_, f)| f.path.clone()).collect();
    paths.sort();
    paths
}

fn defined(index: &Index, name: &str) -> usize {
    index
        .definitions(name, None, &SymbolFilter::default(), PageRequest::default())
        .total
}

#[test]
fn ignore_files_are_honoured_outside_a_git_repository() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::write(root, ".gitignore", "build/\n*.gen.rs\n");
    common::write(root, ".ignore", "scratch.py\n");
    common::write(root, "src/lib.rs", "fn kept() {}\n");
    common::write(root, "src/out.gen.rs", "fn generated() {}\n");
    common::write(root, "build/x.rs", "fn built() {}\n");
    common::write(root, "scratch.py", "def scratch(): pass\n");
    common::write(root, "sub/.gitignore", "local_only.go\n");
    common::write(root, "sub/local_only.go", "package sub\nfunc Local() {}\n");
    common::write(root, "sub/kept.go", "package sub\nfunc Kept() {}\n");
    let index = common::index_dir(root);
    assert_eq!(
        listed(&index),
        vec![
            ".gitignore",
            ".ignore",
            "src/lib.rs",
            "sub/.gitignore",
            "sub/kept.go"
        ]
    );
    assert_eq!(defined(&index, "generated"), 0);
}

fn git(root: &Path, args: &[&str]) {
    let status = std::process::Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?}");
}

#[test]
fn in_a_git_repository_tracked_files_are_indexed_even_where_gitignore_matches() {
    let dir = tempfile::tempdir().unwrap();
    let root = &std::fs::canonicalize(dir.path()).unwrap();
    git(root, &["init", "-q"]);
    common::write(root, ".gitignore", "include/\n*.gen.rs\n");
    common::write(root, "src/lib.rs", "fn kept() {}\n");
    // Vendored on purpose: tracked although the ignore rules match it.
    common::write(root, "include/vendored/api.h", "int vendored_api(void);\n");
    common::write(root, "src/fixture.gen.rs", "fn tracked_fixture() {}\n");
    // Ignored and untracked: left out.
    common::write(root, "include/scratch.h", "int scratch(void);\n");
    common::write(root, "src/out.gen.rs", "fn generated() {}\n");
    // Tracked but excluded by a glob: left out.
    common::write(root, "include/vendored/big/huge.h", "int huge(void);\n");
    git(
        root,
        &[
            "add",
            "-f",
            "include/vendored/api.h",
            "include/vendored/big/huge.h",
            "src/fixture.gen.rs",
        ],
    );
    let options = DiscoverOptions {
        exclude: vec!["include/vendored/big/".into()],
        ..Default::default()
    };
    let found = discover::discover(root, &options).unwrap();
    let paths: Vec<&str> = found.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            ".gitignore",
            "include/vendored/api.h",
            "src/fixture.gen.rs",
            "src/lib.rs"
        ]
    );
    // Their directories are walked (and so watched).
    for dir in ["include", "include/vendored"] {
        assert!(found.dirs.iter().any(|d| d == dir), "{:?}", found.dirs);
    }
    // A walk of one level lists the directory that leads to them, not them.
    let shallow = discover::discover(
        root,
        &DiscoverOptions {
            max_depth: Some(1),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(shallow.files.iter().all(|f| !f.path.contains('/')));
    assert!(shallow.dirs.iter().any(|d| d == "include"));
    // Walked from inside the ignored directory (as the watcher relists it),
    // only the tracked file belongs.
    let inside = discover::discover_from(root, &root.join("include"), &options).unwrap();
    let paths: Vec<&str> = inside.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["include/vendored/api.h"]);
    // A path's admission follows the same rule.
    assert!(matches!(
        discover::admission(root, "include/vendored/api.h", &options).unwrap(),
        discover::Admission::File(_)
    ));
    assert!(matches!(
        discover::admission(root, "include/scratch.h", &options).unwrap(),
        discover::Admission::Ignored { .. }
    ));
    let index = common::index_dir(root);
    assert_eq!(defined(&index, "vendored_api"), 1);
    assert_eq!(defined(&index, "tracked_fixture"), 1);
    assert_eq!(defined(&index, "scratch"), 0);
    assert_eq!(defined(&index, "generated"), 0);
}

#[test]
fn git_info_exclude_and_state_directories() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::write(root, ".git/info/exclude", "secret.rs\n");
    common::write(root, ".git/config", "[core]\n");
    common::write(root, ".git/hooks/pre-commit.sh", "echo hook\n");
    common::write(root, ".code-index/leftover.rs", "fn leftover() {}\n");
    common::write(root, "secret.rs", "fn secret() {}\n");
    common::write(root, "main.rs", "fn main() {}\n");
    common::write(root, "nested/.git/HEAD", "ref: refs/heads/main\n");
    let index = common::index_dir(root);
    assert_eq!(listed(&index), vec!["main.rs"]);
}

#[test]
fn exclude_globs_leave_paths_out() {
    let dir = tempfile::tempdir().unwrap();
    let root = discover::canonical_root(dir.path()).unwrap();
    common::write(&root, "vendor/dep.go", "package dep\n");
    common::write(&root, "app/main.go", "package main\n");
    let options = DiscoverOptions {
        exclude: vec!["vendor/".to_string()],
        ..DiscoverOptions::default()
    };
    let found = discover::discover(&root, &options).unwrap();
    let paths: Vec<&str> = found.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, vec!["app/main.go"]);
    let bad = DiscoverOptions {
        exclude: vec!["{unclosed".to_string()],
        ..DiscoverOptions::default()
    };
    let err = discover::discover(&root, &bad).unwrap_err();
    assert!(
        format!("{err:#}").contains("invalid exclude glob"),
        "{err:#}"
    );
}

#[test]
fn binary_and_oversized_files_are_listed_but_not_parsed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let mut binary = b"fn looks_like_code() {}\n".to_vec();
    binary.extend_from_slice(&[0, 1, 2, 3]);
    common::write(root, "blob.rs", &binary);
    let big = "fn big() {}\n".repeat(20_000);
    common::write(root, "big.rs", &big);
    common::write(root, "small.rs", "fn small() {}\n");
    common::write(root, "notes.txt", "just text\n");

    let root = discover::canonical_root(root).unwrap();
    let mut index = Index::new(&root);
    let options = IndexOptions {
        max_file_size: 64 * 1024,
        ..IndexOptions::default()
    };
    index.refresh(&options, &mut |_| {}).unwrap();
    assert_eq!(
        listed(&index),
        vec!["big.rs", "blob.rs", "notes.txt", "small.rs"]
    );
    assert_eq!(index.skip_reason("blob.rs"), Some(SkipReason::Binary));
    assert_eq!(index.skip_reason("big.rs"), Some(SkipReason::TooLarge));
    assert_eq!(
        index.skip_reason("notes.txt"),
        Some(SkipReason::UnsupportedLanguage)
    );
    assert_eq!(index.skip_reason("small.rs"), None);
    assert_eq!(defined(&index, "looks_like_code"), 0);
    assert_eq!(defined(&index, "big"), 0);
    let stats = index.stats();
    assert_eq!(stats.skipped["binary"], 1);
    assert_eq!(stats.skipped["too_large"], 1);

    // Raising the limit re-parses the big file even though it did not change.
    let report = index
        .refresh(&IndexOptions::default(), &mut |_| {})
        .unwrap();
    assert_eq!(report.parsed, 1);
    assert_eq!(defined(&index, "big"), 20_000);
}

#[cfg(unix)]
#[test]
fn symbolic_links_are_not_followed() {
    let outside = tempfile::tempdir().unwrap();
    common::write(outside.path(), "elsewhere.rs", "fn elsewhere() {}\n");
    common::write(outside.path(), "dir/deep.rs", "fn deep() {}\n");
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::write(root, "real.rs", "fn real() {}\n");
    std::os::unix::fs::symlink(
        outside.path().join("elsewhere.rs"),
        root.join("link_out.rs"),
    )
    .unwrap();
    std::os::unix::fs::symlink(outside.path().join("dir"), root.join("dir_out")).unwrap();
    std::os::unix::fs::symlink(root.join("real.rs"), root.join("link_in.rs")).unwrap();
    std::os::unix::fs::symlink(root.join("missing.rs"), root.join("dangling.rs")).unwrap();

    let canonical = discover::canonical_root(root).unwrap();
    let found = discover::discover(&canonical, &DiscoverOptions::default()).unwrap();
    let paths: Vec<&str> = found.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, vec!["real.rs"]);
    assert_eq!(
        found.symlinks_outside_root, 3,
        "file, directory and dangling links"
    );
    assert_eq!(found.symlinks_inside_root, 1);
    let index = common::index_dir(root);
    assert_eq!(defined(&index, "elsewhere"), 0);
    assert_eq!(defined(&index, "deep"), 0);
    assert_eq!(defined(&index, "real"), 1);
}

#[test]
fn non_utf8_text_is_decoded_lossily() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let mut text = b"# caf\xe9 in Latin-1\ndef latin_one():\n    return '\xe9t\xe9'\n".to_vec();
    text.extend_from_slice(b"\nclass After:\n    pass\n");
    common::write(root, "latin.py", &text);
    let index = common::index_dir(root);
    assert_eq!(defined(&index, "latin_one"), 1);
    assert_eq!(defined(&index, "After"), 1);
    assert_eq!(index.skip_reason("latin.py"), None);
}

#[test]
fn files_with_syntax_errors_still_yield_what_they_can() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::write(
        root,
        "broken.rs",
        "fn good_before() {}\n\nfn broken( {\n    let = ;\n\nstruct GoodAfter { x: u32 }\n",
    );
    common::write(
        root,
        "broken.py",
        "def fine():\n    pass\n\ndef bad(:\n    pass\n\nclass Later:\n    pass\n",
    );
    let index = common::index_dir(root);
    assert!(index.file_by_path("broken.rs").unwrap().has_syntax_errors);
    assert_eq!(defined(&index, "good_before"), 1);
    assert_eq!(defined(&index, "GoodAfter"), 1);
    assert_eq!(defined(&index, "fine"), 1);
    assert_eq!(defined(&index, "Later"), 1);
    assert_eq!(index.stats().files_with_syntax_errors, 2);
}

#[test]
fn scripts_without_an_extension_are_detected_by_shebang() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::write(
        root,
        "bin/deploy",
        "#!/usr/bin/env bash\ndeploy_all() {\n  echo go\n}\n",
    );
    common::write(
        root,
        "bin/tool",
        "#!/usr/bin/python3\ndef tool_main():\n    pass\n",
    );
    common::write(root, "LICENSE", "Permission is hereby granted\n");
    let index = common::index_dir(root);
    assert_eq!(index.language_of("bin/deploy"), Some(Language::Bash));
    assert_eq!(index.language_of("bin/tool"), Some(Language::Python));
    assert_eq!(
        index.skip_reason("LICENSE"),
        Some(SkipReason::UnsupportedLanguage)
    );
    assert_eq!(defined(&index, "deploy_all"), 1);
    assert_eq!(defined(&index, "tool_main"), 1);
}

/// Depth of the deepest node, measured without recursion.
fn tree_depth(lang: Language, source: &str) -> usize {
    let mut parser = tree_sitter::Parser::new();
    parser.set_language(&lang.grammar()).unwrap();
    let tree = parser.parse(source, None).unwrap();
    let mut cursor = tree.walk();
    let (mut depth, mut deepest) = (0usize, 0usize);
    loop {
        if cursor.goto_first_child() {
            depth += 1;
            deepest = deepest.max(depth);
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                return deepest;
            }
            depth -= 1;
        }
    }
}

/// A C header that is nothing but a table of values, used where an expression
/// stands, parses into comma expressions nested as deep as the table is long.
/// Indexing runs on a thread with a small stack: a recursive walk over such a
/// tree would overflow it and kill the process.
#[test]
fn deeply_nested_syntax_does_not_overflow_the_stack() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let mut values = String::new();
    for i in 0..30_000 {
        values.push_str(&format!("0x{:02x}, ", i % 256));
        if i % 12 == 11 {
            values.push('\n');
        }
    }
    let values = values.trim_end().trim_end_matches(',');
    let table = format!(
        "static const int table_sum = (\n{values}\n);\nint after_table(void) {{ return 0; }}\n"
    );
    assert!(
        tree_depth(Language::C, &table) > 20_000,
        "the fixture must nest deeply"
    );
    common::write(root, "table.h", &table);
    common::write(root, "values.h", values);
    let nested_js = format!(
        "const deep = {}1{};\nfunction after() {{}}\n",
        "[".repeat(5_000),
        "]".repeat(5_000)
    );
    assert!(tree_depth(Language::JavaScript, &nested_js) > 5_000);
    common::write(root, "deep.js", &nested_js);
    common::write(root, "ok.c", "int ok(void) { return 0; }\n");

    let root = discover::canonical_root(root).unwrap();
    let (index, outline) = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || {
            let mut index = Index::new(&root);
            index
                .refresh(&IndexOptions::default(), &mut |_| {})
                .unwrap();
            let outline = index.file_outline("deep.js").unwrap().len();
            (index, outline)
        })
        .unwrap()
        .join()
        .expect("indexing a deeply nested file must not crash");
    assert_eq!(index.skip_reason("table.h"), None);
    assert_eq!(defined(&index, "table_sum"), 1);
    assert_eq!(defined(&index, "after_table"), 1);
    assert_eq!(defined(&index, "ok"), 1);
    assert_eq!(defined(&index, "after"), 1);
    assert_eq!(outline, 2);
}

#[test]
fn a_parse_that_times_out_is_counted_and_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let root = discover::canonical_root(dir.path()).unwrap();
    let body = "int f(int x) { return x * 2 + (x - 1) / 3; }\n".repeat(20_000);
    common::write(&root, "slow.c", &body);
    let meta = std::fs::metadata(root.join("slow.c")).unwrap();
    let found = DiscoveredFile {
        path: "slow.c".to_string(),
        size: meta.len(),
        mtime_ns: discover::mtime_ns(&meta),
    };
    let strict = IndexOptions {
        parse_timeout: Duration::from_nanos(1),
        max_file_size: 64 << 20,
        ..IndexOptions::default()
    };
    let Processed::Changed(file) = process_file(&root, &found, &strict, None) else {
        panic!("a new file is never unchanged");
    };
    assert_eq!(file.skipped, Some(SkipReason::ParseTimeout));
    assert!(file.definitions.is_empty());

    let relaxed = IndexOptions {
        max_file_size: 64 << 20,
        ..IndexOptions::default()
    };
    let Processed::Changed(file) = process_file(&root, &found, &relaxed, None) else {
        panic!("a new file is never unchanged");
    };
    assert_eq!(file.skipped, None);
    assert_eq!(file.definitions.len(), 20_000);
    assert!(Path::new(&file.path).ends_with("slow.c"));
}
