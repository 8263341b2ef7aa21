//! Times the compilation of a language's query, which every process pays
//! once per language before indexing its first file:
//! `cargo run --release -p code-index-core --example query_cost -- typescript`
//! prints the pattern count and the best of five compilations;
//! `-- typescript --dump` prints the query itself, and `-- typescript
//! FILE…` times each file as that language's query instead (to compare
//! variants; `valgrind --tool=callgrind` counts its instructions).
use std::time::Instant;

use code_index_core::language::Language;

fn best_of(runs: usize, grammar: &tree_sitter::Language, source: &str) -> (usize, f64) {
    let mut best = f64::MAX;
    let mut patterns = 0;
    for _ in 0..runs {
        let started = Instant::now();
        let query = tree_sitter::Query::new(grammar, source).expect("the query compiles");
        best = best.min(started.elapsed().as_secs_f64());
        patterns = query.pattern_count();
    }
    (patterns, best * 1000.0)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let name = args
        .next()
        .expect("usage: query_cost LANGUAGE [--dump | FILE…]");
    let lang = Language::ALL
        .into_iter()
        .find(|l| l.to_string().eq_ignore_ascii_case(&name))
        .unwrap_or_else(|| panic!("no language {name}"));
    let grammar = lang.grammar();
    let rest: Vec<String> = args.collect();
    match rest.first().map(String::as_str) {
        Some("--dump") => print!("{}", lang.full_query()),
        Some(_) => {
            for path in &rest {
                let source = std::fs::read_to_string(path).expect("a readable query file");
                let (_, ms) = best_of(3, &grammar, &source);
                println!("{path} {ms:.1} ms");
            }
        }
        None => {
            let (patterns, ms) = best_of(5, &grammar, &lang.full_query());
            println!("{lang}: {patterns} patterns, {ms:.1} ms");
        }
    }
}
