//! One fixture per language, extracted and compared with a reviewed snapshot.
//!
//! To review a change: `cargo insta test -p code-index-core --review`, or run the
//! tests with `INSTA_UPDATE=always` and read the diff of `tests/snapshots/`.

use std::fmt::Write;
use std::path::Path;

use code_index_core::extract::extract_source;
use code_index_core::language::Language;
use code_index_core::model::{FileSymbols, NONE};

fn render(file: &FileSymbols) -> String {
    let mut out = String::new();
    writeln!(out, "syntax errors: {}", file.has_syntax_errors).unwrap();
    writeln!(out, "-- definitions").unwrap();
    for def in &file.definitions {
        let parent = if def.parent == NONE {
            "-".to_string()
        } else {
            file.def_name(&file.definitions[def.parent as usize])
                .to_string()
        };
        writeln!(
            out,
            "{:<12} {:<28} {}:{}-{}:{} name@{}:{} parent={}",
            def.kind.as_str(),
            file.qualified_name(def),
            def.span.start_line,
            def.span.start_col,
            def.span.end_line,
            def.span.end_col,
            def.name_line,
            def.name_col,
            parent,
        )
        .unwrap();
        let sig = file.str(def.signature);
        if !sig.is_empty() {
            writeln!(out, "    sig: {sig}").unwrap();
        }
        let doc = file.str(def.doc);
        if !doc.is_empty() {
            writeln!(out, "    doc: {}", doc.replace('\n', "\\n")).unwrap();
        }
    }
    writeln!(out, "-- references").unwrap();
    for r in &file.references {
        let enclosing = if r.enclosing == NONE {
            "-".to_string()
        } else {
            file.qualified_name(&file.definitions[r.enclosing as usize])
        };
        let receiver = file.str(r.receiver);
        let via = if receiver.is_empty() {
            String::new()
        } else {
            format!(" via {receiver}")
        };
        writeln!(
            out,
            "{:<14} {:<20} {}:{} in {}{via}",
            r.kind.as_str(),
            file.str(r.name),
            r.line,
            r.col,
            enclosing
        )
        .unwrap();
    }
    writeln!(out, "-- imports").unwrap();
    for i in &file.imports {
        writeln!(out, "{} @{}", file.str(i.module), i.line).unwrap();
    }
    writeln!(out, "-- relations").unwrap();
    for r in &file.relations {
        writeln!(
            out,
            "{} -> {} @{}",
            file.str(r.implementor),
            file.str(r.supertype),
            r.line
        )
        .unwrap();
    }
    out
}

fn check(fixture: &str, expected_language: Language) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/languages")
        .join(fixture);
    let source = std::fs::read_to_string(&path).unwrap();
    let lang = Language::detect(&path, source.as_bytes()).unwrap();
    assert_eq!(lang, expected_language);
    let file = extract_source(fixture, lang, &source).unwrap();
    insta::assert_snapshot!(fixture.replace('.', "_"), render(&file));
}

macro_rules! language_tests {
    ($($name:ident: $fixture:literal => $lang:ident,)*) => {
        $(
            #[test]
            fn $name() {
                check($fixture, Language::$lang);
            }
        )*
    };
}

language_tests! {
    rust: "sample.rs" => Rust,
    rust_macros: "macros.rs" => Rust,
    python: "sample.py" => Python,
    javascript: "sample.js" => JavaScript,
    typescript: "sample.ts" => TypeScript,
    tsx: "sample.tsx" => Tsx,
    typescript_error_regions: "error_regions.ts" => TypeScript,
    go: "sample.go" => Go,
    java: "Sample.java" => Java,
    c: "sample.c" => C,
    cpp: "sample.cpp" => Cpp,
    csharp: "Sample.cs" => CSharp,
    ruby: "sample.rb" => Ruby,
    php: "sample.php" => Php,
    kotlin: "sample.kt" => Kotlin,
    swift: "sample.swift" => Swift,
    scala: "sample.scala" => Scala,
    bash: "sample.sh" => Bash,
}

/// A top-level ERROR node that swallows the rest of a file does not hide the
/// definitions after it: each chunk it touches is parsed on its own.
#[test]
fn definitions_after_a_swallowing_error_node_are_found() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/languages/error_regions.ts");
    let source = std::fs::read_to_string(&path).unwrap();
    let file = extract_source("error_regions.ts", Language::TypeScript, &source).unwrap();
    assert!(file.has_syntax_errors);
    let names: Vec<(&str, u32)> = file
        .definitions
        .iter()
        .map(|d| (file.def_name(d), d.name_line))
        .collect();
    for (name, line) in [
        ("ActionFactory", 4),
        ("Options", 10),
        ("label", 11),
        ("createFactory", 14),
        ("Registry", 21),
        ("register", 22),
        ("Kind", 27),
    ] {
        assert!(
            names.contains(&(name, line)),
            "{name} at line {line} missing from {names:?}"
        );
    }
    let calls: Vec<u32> = file
        .references
        .iter()
        .filter(|r| file.str(r.name) == "createFactory")
        .map(|r| r.line)
        .collect();
    assert_eq!(calls, vec![23]);
}
