//! Prints the syntax tree of a file, for writing tags queries:
//! `cargo run -p code-index-core --example dump_tree -- path/to/file.kt`
use std::path::Path;

use code_index_core::language::Language;

fn main() {
    let path = std::env::args().nth(1).expect("usage: dump_tree FILE");
    let source = std::fs::read(&path).expect("readable file");
    let lang = Language::detect(Path::new(&path), &source).expect("a supported language");
    let mut parser = tree_sitter::Parser::new();
    parser.set_language(&lang.grammar()).expect("grammar loads");
    let tree = parser.parse(&source, None).expect("parse");
    let mut cursor = tree.walk();
    let mut depth = 0usize;
    loop {
        let node = cursor.node();
        if node.is_named() {
            let field = cursor
                .field_name()
                .map(|f| format!("{f}: "))
                .unwrap_or_default();
            let text = if node.child_count() == 0 {
                format!(" {:?}", node.utf8_text(&source).unwrap_or(""))
            } else {
                String::new()
            };
            println!(
                "{}{field}({}) [{}]{text}",
                "  ".repeat(depth),
                node.kind(),
                node.start_position().row + 1
            );
        }
        if cursor.goto_first_child() {
            depth += 1;
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return;
            }
            depth -= 1;
        }
    }
}
