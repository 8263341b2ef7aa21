//! Prints the references extracted from a file, with their kind and
//! receiver, and the written types of definitions' values, for checking
//! queries and expansions:
//! `cargo run -p code-index-core --example dump_refs -- path/to/file.ts [NAME]`
use std::path::Path;

use code_index_core::language::Language;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: dump_refs FILE [NAME]");
    let only = args.next();
    let source = std::fs::read_to_string(&path).expect("a readable UTF-8 file");
    let lang = Language::detect(Path::new(&path), source.as_bytes()).expect("a supported language");
    let file = code_index_core::extract::extract_source(&path, lang, &source).expect("extraction");
    for r in &file.references {
        let name = file.str(r.name);
        if only.as_deref().is_none_or(|only| only == name) {
            println!(
                "{}:{} {name} {} via {:?}",
                r.line,
                r.col,
                r.kind,
                file.str(r.receiver)
            );
        }
    }
    for v in &file.value_types {
        let d = &file.definitions[v.def as usize];
        println!("value {} : {}", file.qualified_name(d), file.str(v.ty));
    }
}
