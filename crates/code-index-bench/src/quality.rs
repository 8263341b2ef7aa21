//! Answer quality against compiler-grade ground truth: a SCIP index of the
//! corpus, written by a compiler-backed indexer (scip-typescript,
//! scip-python; see `bench/quality.sh`), says for each symbol where it is
//! defined and where it is referenced. A seeded sample of those symbols is
//! asked through a real `code-index mcp`, by display name as a user would
//! ask, and each answer is scored at (file, line):
//!
//! - `find_references`: precision and recall against the symbol's reference
//!   occurrences (imports included, as both indexers record them as
//!   references; for a TypeScript class, also those of its constructor,
//!   which scip-typescript gives `new C()`). Lines holding a definition of the symbol are left out of
//!   both sides: code-index does not report a definition as a reference, and
//!   SCIP may put a reference on the same line as the definition.
//! - `find_definition`: whether the first result is on a definition line of
//!   the symbol (strict, and within ±2 lines for decorators and comments);
//!   and whether any result is.
//! - `find_callers` (functions and methods): precision of the returned
//!   (file, line) pairs against the symbol's reference occurrences.
//!
//! Returned lines in files the SCIP index has no document for are not
//! scored (the ground truth knows nothing of them); they are counted.
//! Scores are split by whether the display name belongs to one SCIP symbol
//! defined in the project or to several.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use protobuf::Message;
use scip::types::descriptor::Suffix;
use serde::Serialize;
use serde_json::{Value, json};

use crate::session::{Session, stop_daemon, text};

/// A (path, 1-based line) pair.
type Loc = (String, u32);

/// What the ground truth says about one symbol.
#[derive(Default)]
struct Truth {
    definitions: BTreeSet<Loc>,
    references: BTreeSet<Loc>,
}

struct GroundTruth {
    /// Project symbols (not `local `) with at least one definition.
    symbols: BTreeMap<String, Truth>,
    /// Paths of the documents the index covers.
    documents: HashSet<String>,
    /// How many defined project symbols have each display name.
    name_count: HashMap<String, usize>,
    /// Display name and whether it is a function or method, per symbol.
    /// Name, whether a function, and `Type.name` when a type holds it.
    parsed: HashMap<String, (String, bool, Option<String>)>,
    /// Symbols whose string the `scip` crate could not parse.
    unparsable: usize,
    tool: String,
}

fn load(path: &Path) -> anyhow::Result<GroundTruth> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("reading {} (run bench/quality.sh)", path.display()))?;
    let index = scip::types::Index::parse_from_bytes(&bytes)
        .with_context(|| format!("decoding {}", path.display()))?;
    let tool = index
        .metadata
        .tool_info
        .as_ref()
        .map(|t| format!("{} {}", t.name, t.version))
        .unwrap_or_default();
    let mut all: BTreeMap<String, Truth> = BTreeMap::new();
    let mut documents = HashSet::new();
    for doc in &index.documents {
        let path = doc.relative_path.replace('\\', "/");
        documents.insert(path.clone());
        for occ in &doc.occurrences {
            if occ.symbol.is_empty() || scip::symbol::is_local_symbol(&occ.symbol) {
                continue;
            }
            let Some(&line) = occ.range.first() else {
                continue;
            };
            let loc = (path.clone(), line as u32 + 1);
            let truth = all.entry(occ.symbol.clone()).or_default();
            if occ.symbol_roles & scip::types::SymbolRole::Definition as i32 != 0 {
                truth.definitions.insert(loc);
            } else {
                truth.references.insert(loc);
            }
        }
    }
    // scip-typescript gives `new C()` to the constructor of C when C
    // declares one; asked for C, a user means those too.
    let constructors: Vec<(String, BTreeSet<Loc>)> = all
        .iter()
        .filter_map(|(symbol, t)| {
            let class = symbol.strip_suffix("`<constructor>`().")?;
            Some((class.to_string(), t.references.clone()))
        })
        .collect();
    for (class, references) in constructors {
        if let Some(t) = all.get_mut(&class) {
            t.references.extend(references);
        }
    }
    all.retain(|_, t| !t.definitions.is_empty());
    let mut names: HashMap<String, HashSet<String>> = HashMap::new();
    let mut parsed = HashMap::new();
    let mut unparsable = 0;
    for symbol in all.keys() {
        let Ok(s) = scip::symbol::parse_symbol(symbol) else {
            unparsable += 1;
            continue;
        };
        let Some(last) = s.descriptors.last() else {
            continue;
        };
        let suffix = last.suffix.enum_value_or_default();
        // scip-typescript names accessors `<get>x` and `<set>x`: a user asks
        // for `x`, and does not call them.
        let (name, accessor) = match last
            .name
            .strip_prefix("<get>")
            .or_else(|| last.name.strip_prefix("<set>"))
        {
            Some(bare) => (bare.to_string(), true),
            None => (last.name.clone(), false),
        };
        // A getter and its setter are one property.
        let property = symbol.replace("`<get>", "`").replace("`<set>", "`");
        names.entry(name.clone()).or_default().insert(property);
        // What a user asks by name: types, terms and functions; not
        // parameters, type parameters, modules or namespaces.
        if matches!(suffix, Suffix::Type | Suffix::Term | Suffix::Method) {
            let function = suffix == Suffix::Method && !accessor;
            let holder = s
                .descriptors
                .len()
                .checked_sub(2)
                .map(|i| &s.descriptors[i]);
            let qualified = holder
                .filter(|d| d.suffix.enum_value_or_default() == Suffix::Type)
                .filter(|d| is_identifier(&d.name))
                .map(|d| format!("{}.{name}", d.name));
            parsed.insert(symbol.clone(), (name, function, qualified));
        }
    }
    let name_count = names.into_iter().map(|(n, s)| (n, s.len())).collect();
    Ok(GroundTruth {
        symbols: all,
        documents,
        name_count,
        parsed,
        unparsable,
        tool,
    })
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '$')
}

/// xorshift64*, enough for a fixed, reproducible sample.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// Asks a listing tool page after page until the answer stops saying
/// `call again with offset=N`; returns the texts of all pages.
fn all_pages(session: &mut Session, tool: &str, mut args: Value) -> anyhow::Result<Vec<String>> {
    let mut pages = Vec::new();
    loop {
        let result = session.tool(tool, args.clone())?;
        let page = text(&result).to_string();
        let next = page
            .rsplit_once("call again with offset=")
            .and_then(|(_, rest)| {
                rest.split(|c: char| !c.is_ascii_digit())
                    .next()
                    .and_then(|n| n.parse::<u64>().ok())
            });
        pages.push(page);
        match next {
            Some(offset) if pages.len() < 1000 => args["offset"] = json!(offset),
            _ => return Ok(pages),
        }
    }
}

/// Drops the `[project] ` tag of a linked project's item.
fn untag(line: &str) -> &str {
    if let Some(rest) = line.strip_prefix('[')
        && let Some((_, after)) = rest.split_once("] ")
    {
        return after;
    }
    line
}

/// `find_references` hits: `(path, line)` and the hit's text.
fn parse_references(pages: &[String]) -> Vec<(Loc, String, bool)> {
    let mut out = Vec::new();
    // Resolved hits come first; the candidates follow a line that says so
    // (or, when there is no resolved hit, the summary says all are).
    let mut resolved = true;
    for page in pages {
        let mut file: Option<String> = None;
        for line in page.lines() {
            if let Some(hit) = line.strip_prefix("  ") {
                let Some(file) = &file else { continue };
                let Some((pos, _)) = hit.split_once("  ") else {
                    continue;
                };
                let Some(Ok(n)) = pos.split_once(':').map(|(l, _)| l.parse::<u32>()) else {
                    continue;
                };
                out.push(((file.clone(), n), hit.trim().to_string(), resolved));
            } else if line.starts_with("name-only candidates")
                || line.ends_with("all name-only candidates")
            {
                resolved = false;
            } else if line.is_empty()
                || line.starts_with("showing ")
                || line.starts_with("note:")
                || line.contains(' ') && !line.starts_with('[')
            {
                continue;
            } else {
                file = Some(untag(line).to_string());
            }
        }
    }
    out
}

/// `find_definition` results in order: `(path, line)` of each.
fn parse_definitions(pages: &[String]) -> Vec<Loc> {
    pages
        .iter()
        .flat_map(|p| p.lines())
        .filter(|l| !l.starts_with(' '))
        .filter_map(|l| {
            let first = untag(l).split("  ").next()?;
            let (path, line) = first.rsplit_once(':')?;
            Some((path.to_string(), line.parse().ok()?))
        })
        .collect()
}

/// `find_callers` edges `from → to  at path:L1,L2`: `(path, line)` each,
/// with the edge's line and whether it is resolved (not `(name only)`).
fn parse_callers(pages: &[String]) -> Vec<(Loc, String, bool)> {
    let mut out = Vec::new();
    for line in pages.iter().flat_map(|p| p.lines()) {
        let line = untag(line);
        if !line.contains(" → ") {
            continue;
        }
        let Some((edge, at)) = line.rsplit_once("  at ") else {
            continue;
        };
        let resolved = !edge.ends_with(" (name only)");
        let Some((path, lines)) = at.rsplit_once(':') else {
            continue;
        };
        for n in lines.split(',') {
            if let Ok(n) = n.trim().parse::<u32>() {
                out.push(((path.to_string(), n), line.to_string(), resolved));
            }
        }
    }
    out
}

#[derive(Debug, Serialize)]
pub struct SymbolScore {
    symbol: String,
    name: String,
    defined_once: bool,
    function: bool,
    truth_references: usize,
    /// Distinct (path, line) `find_references` returned, scored ones only.
    returned: usize,
    correct: usize,
    /// Returned lines in files the SCIP index has no document for.
    unscored: usize,
    precision: Option<f64>,
    recall: f64,
    /// Of `returned`, those graded resolved, and how many of them are right.
    resolved_returned: usize,
    resolved_precision: Option<f64>,
    resolved_recall: f64,
    definition_top1: bool,
    definition_top1_within_2: bool,
    /// Top-1 asked with `context`, `path:line` of one of its references (as
    /// a user reading that use asks); `None` when it has no reference.
    definition_top1_from_use: Option<bool>,
    /// The use's file asked from, and the first result then.
    definition_from_use: Option<(String, Option<String>)>,
    definition_any: bool,
    /// First `find_definition` result.
    definition_first: Option<String>,
    callers_returned: Option<usize>,
    callers_precision: Option<f64>,
    /// Precision of the edges graded resolved.
    callers_resolved_precision: Option<f64>,
    /// A few returned lines that are not references of the symbol.
    wrong_examples: Vec<String>,
    /// A few references of the symbol that were not returned.
    missed_examples: Vec<String>,
}

#[derive(Debug, Default, Serialize)]
pub struct Split {
    symbols: usize,
    references_precision: Option<f64>,
    /// Symbols for which `find_references` returned nothing scored.
    references_empty: usize,
    references_recall: Option<f64>,
    /// Precision of the lines graded resolved (over symbols with any).
    resolved_precision: Option<f64>,
    /// Share of the returned lines graded resolved, over all symbols' lines.
    resolved_share: Option<f64>,
    resolved_recall: Option<f64>,
    definition_top1: Option<f64>,
    definition_top1_within_2: Option<f64>,
    definition_top1_from_use: Option<f64>,
    definition_any: Option<f64>,
    functions: usize,
    callers_precision: Option<f64>,
    /// Functions for which `find_callers` returned nothing scored.
    callers_empty: usize,
    /// Precision of the resolved edges (over functions with any).
    callers_resolved_precision: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct QualityResult {
    corpus: String,
    indexer: String,
    scip_documents: usize,
    /// SCIP documents whose path is not a file under the corpus root.
    scip_documents_missing: usize,
    project_symbols_defined: usize,
    eligible: usize,
    unparsable_symbols: usize,
    once: Split,
    many: Split,
    all: Split,
    unscored_lines: usize,
    symbols: Vec<SymbolScore>,
}

fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| sum / n as f64)
}

fn fraction<'a>(scores: &[&'a SymbolScore], f: impl Fn(&&'a SymbolScore) -> bool) -> Option<f64> {
    mean(scores.iter().map(|s| if f(s) { 1.0 } else { 0.0 }))
}

fn split(scores: &[&SymbolScore]) -> Split {
    let functions: Vec<&&SymbolScore> = scores.iter().filter(|s| s.function).collect();
    Split {
        symbols: scores.len(),
        references_precision: mean(scores.iter().filter_map(|s| s.precision)),
        references_empty: scores.iter().filter(|s| s.precision.is_none()).count(),
        references_recall: mean(scores.iter().map(|s| s.recall)),
        resolved_precision: mean(scores.iter().filter_map(|s| s.resolved_precision)),
        resolved_share: {
            let returned: usize = scores.iter().map(|s| s.returned).sum();
            let resolved: usize = scores.iter().map(|s| s.resolved_returned).sum();
            (returned > 0).then(|| resolved as f64 / returned as f64)
        },
        resolved_recall: mean(scores.iter().map(|s| s.resolved_recall)),
        definition_top1: fraction(scores, |s| s.definition_top1),
        definition_top1_within_2: fraction(scores, |s| s.definition_top1_within_2),
        definition_top1_from_use: mean(
            scores
                .iter()
                .filter_map(|s| s.definition_top1_from_use)
                .map(|right| if right { 1.0 } else { 0.0 }),
        ),
        definition_any: fraction(scores, |s| s.definition_any),
        functions: functions.len(),
        callers_precision: mean(functions.iter().filter_map(|s| s.callers_precision)),
        callers_empty: functions
            .iter()
            .filter(|s| s.callers_precision.is_none())
            .count(),
        callers_resolved_precision: mean(
            functions
                .iter()
                .filter_map(|s| s.callers_resolved_precision),
        ),
    }
}

pub fn measure(
    corpus: &str,
    root: &Path,
    binary: &Path,
    scip_path: &Path,
    sample: usize,
    seed: u64,
    by_symbol: bool,
) -> anyhow::Result<QualityResult> {
    let truth = load(scip_path)?;
    let missing = truth
        .documents
        .iter()
        .filter(|p| !root.join(p).is_file())
        .count();
    if missing > 0 {
        eprintln!(
            "warning: {missing} of {} SCIP documents are not files under {}",
            truth.documents.len(),
            root.display()
        );
    }
    // Eligible: a function, type or term with an identifier for a name and
    // at least one reference off its definition lines.
    let eligible: Vec<&String> = truth
        .symbols
        .iter()
        .filter(|(symbol, t)| {
            truth
                .parsed
                .get(*symbol)
                .is_some_and(|(name, _, _)| is_identifier(name))
                && t.references.iter().any(|r| !t.definitions.contains(r))
        })
        .map(|(s, _)| s)
        .collect();
    let mut chosen = eligible.clone();
    let mut rng = XorShift(seed.max(1));
    let take = sample.min(chosen.len());
    for i in 0..take {
        let j = i + (rng.next() % (chosen.len() - i) as u64) as usize;
        chosen.swap(i, j);
    }
    chosen.truncate(take);

    // A daemon left running by an earlier build would answer instead of
    // the binary under test.
    stop_daemon(root);
    let mut session = Session::initialized(binary, root, &[])?;
    session.wait_ready(Duration::from_secs(1200))?;
    let mut scores = Vec::new();
    let mut unscored_lines = 0;
    for symbol in chosen {
        let t = &truth.symbols[symbol];
        let (name, function, qualified) = truth.parsed[symbol].clone();
        // Asked as `Type.name` when the symbol is a type's member and the
        // run asks by symbol; else by its name.
        let mut asked = match qualified {
            Some(q) if by_symbol => q,
            _ => name.clone(),
        };
        let mut definitions = parse_definitions(&all_pages(
            &mut session,
            "find_definition",
            json!({"name": asked, "limit": 10000}),
        )?);
        if definitions.is_empty() && asked != name {
            // No such member (scip-python files a function nested in a
            // method under the class): asked again by name, as a user
            // whose qualified name found nothing does.
            asked = name.clone();
            definitions = parse_definitions(&all_pages(
                &mut session,
                "find_definition",
                json!({"name": asked, "limit": 10000}),
            )?);
        }
        let defined_once = truth.name_count.get(&name) == Some(&1);
        let expected: BTreeSet<&Loc> = t
            .references
            .iter()
            .filter(|r| !t.definitions.contains(*r))
            .collect();

        // By symbol, the references are those of the definition in its file,
        // as a user who found it asks.
        let mut args = json!({"name": asked, "limit": 10000});
        if by_symbol && let Some((path, line)) = t.definitions.first() {
            args["defined_in"] = json!(format!("{path}:{line}"));
        }
        let pages = all_pages(&mut session, "find_references", args)?;
        let mut returned: BTreeMap<Loc, String> = BTreeMap::new();
        let mut resolved_lines: BTreeSet<Loc> = BTreeSet::new();
        let mut unscored = 0;
        for (loc, hit, resolved) in parse_references(&pages) {
            if t.definitions.contains(&loc) {
                continue;
            }
            if !truth.documents.contains(&loc.0) {
                unscored += 1;
                continue;
            }
            if resolved {
                resolved_lines.insert(loc.clone());
            }
            returned.entry(loc).or_insert(hit);
        }
        let resolved_correct = resolved_lines
            .iter()
            .filter(|l| expected.contains(l))
            .count();
        unscored_lines += unscored;
        let correct = returned.keys().filter(|l| expected.contains(l)).count();
        let wrong_examples = returned
            .iter()
            .filter(|(l, _)| !expected.contains(l))
            .take(3)
            .map(|((p, n), hit)| format!("{p}:{n}  {hit}"))
            .collect();
        let missed_examples = expected
            .iter()
            .filter(|l| !returned.contains_key(**l))
            .take(3)
            .map(|(p, n)| format!("{p}:{n}"))
            .collect();

        let near = |(p, n): &Loc, slack: u32| {
            t.definitions
                .iter()
                .any(|(dp, dn)| dp == p && dn.abs_diff(*n) <= slack)
        };
        let first = definitions.first();
        // From one of its uses, picked by the symbol's hash.
        let mut from_use = None;
        let definition_top1_from_use = if expected.is_empty() {
            None
        } else {
            let pick = symbol.bytes().fold(0xcbf29ce484222325u64, |h, b| {
                (h ^ b as u64).wrapping_mul(0x100000001b3)
            });
            let (path, line) = expected
                .iter()
                .nth((pick % expected.len() as u64) as usize)
                .expect("picked within bounds");
            let context = format!("{path}:{line}");
            let pages = all_pages(
                &mut session,
                "find_definition",
                json!({"name": asked, "context": context, "limit": 10000}),
            )?;
            let found = parse_definitions(&pages);
            from_use = Some((context, found.first().map(|(p, n)| format!("{p}:{n}"))));
            Some(found.first().is_some_and(|l| near(l, 0)))
        };

        let (callers_returned, callers_precision, callers_resolved_precision) = if function {
            let mut args = json!({"name": asked, "depth": 1, "limit": 10000});
            if by_symbol && let Some((path, line)) = t.definitions.first() {
                args["defined_in"] = json!(format!("{path}:{line}"));
            }
            let pages = all_pages(&mut session, "find_callers", args)?;
            let edges: Vec<(Loc, bool)> = parse_callers(&pages)
                .into_iter()
                .map(|(l, _, resolved)| (l, resolved))
                .filter(|(l, _)| !t.definitions.contains(l) && truth.documents.contains(&l.0))
                .collect();
            let precision = |lines: BTreeSet<&Loc>| {
                let right = lines.iter().filter(|l| expected.contains(*l)).count();
                (!lines.is_empty()).then(|| right as f64 / lines.len() as f64)
            };
            let all: BTreeSet<&Loc> = edges.iter().map(|(l, _)| l).collect();
            let resolved: BTreeSet<&Loc> = edges.iter().filter(|e| e.1).map(|(l, _)| l).collect();
            (Some(all.len()), precision(all), precision(resolved))
        } else {
            (None, None, None)
        };

        scores.push(SymbolScore {
            symbol: symbol.clone(),
            name,
            defined_once,
            function,
            truth_references: expected.len(),
            returned: returned.len(),
            correct,
            unscored,
            precision: (!returned.is_empty()).then(|| correct as f64 / returned.len() as f64),
            resolved_returned: resolved_lines.len(),
            resolved_precision: (!resolved_lines.is_empty())
                .then(|| resolved_correct as f64 / resolved_lines.len() as f64),
            resolved_recall: resolved_correct as f64 / expected.len() as f64,
            recall: correct as f64 / expected.len() as f64,
            definition_top1: first.is_some_and(|l| near(l, 0)),
            definition_top1_within_2: first.is_some_and(|l| near(l, 2)),
            definition_top1_from_use,
            definition_from_use: from_use,
            definition_any: definitions.iter().any(|l| near(l, 0)),
            definition_first: first.map(|(p, n)| format!("{p}:{n}")),
            callers_returned,
            callers_precision,
            callers_resolved_precision,
            wrong_examples,
            missed_examples,
        });
    }
    drop(session);
    stop_daemon(root);

    let once: Vec<&SymbolScore> = scores.iter().filter(|s| s.defined_once).collect();
    let many: Vec<&SymbolScore> = scores.iter().filter(|s| !s.defined_once).collect();
    let all: Vec<&SymbolScore> = scores.iter().collect();
    Ok(QualityResult {
        corpus: corpus.to_string(),
        indexer: truth.tool,
        scip_documents: truth.documents.len(),
        scip_documents_missing: missing,
        project_symbols_defined: truth.symbols.len(),
        eligible: eligible.len(),
        unparsable_symbols: truth.unparsable,
        once: split(&once),
        many: split(&many),
        all: split(&all),
        unscored_lines,
        symbols: scores,
    })
}

/// The symbols with the lowest `find_references` precision, then the
/// definition misses, to stderr.
pub fn print_worst(result: &QualityResult, count: usize) {
    let mut worst: Vec<&SymbolScore> = result
        .symbols
        .iter()
        .filter(|s| s.precision.is_some())
        .collect();
    worst.sort_by(|a, b| {
        a.precision
            .partial_cmp(&b.precision)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(b.returned.cmp(&a.returned))
    });
    eprintln!(
        "worst find_references precision on {} (returned / correct / truth):",
        result.corpus
    );
    for s in worst.iter().take(count) {
        eprintln!(
            "  {:.2}  {} / {} / {}  {}  [{}]  {}",
            s.precision.unwrap_or(0.0),
            s.returned,
            s.correct,
            s.truth_references,
            s.name,
            if s.defined_once { "once" } else { "2+" },
            s.symbol
        );
        for w in &s.wrong_examples {
            eprintln!("        wrong: {w}");
        }
    }
    let misses: Vec<&SymbolScore> = result
        .symbols
        .iter()
        .filter(|s| !s.definition_top1)
        .collect();
    eprintln!(
        "find_definition top-1 misses on {}: {} of {}",
        result.corpus,
        misses.len(),
        result.symbols.len()
    );
    for s in misses.iter().take(count) {
        eprintln!(
            "  {}  [{}]  first: {}  {}",
            s.name,
            if s.defined_once { "once" } else { "2+" },
            s.definition_first.as_deref().unwrap_or("none"),
            s.symbol
        );
    }
}

pub fn print_table(results: &[QualityResult]) {
    fn pct(v: Option<f64>) -> String {
        v.map_or("-".to_string(), |v| format!("{:.1}%", 100.0 * v))
    }
    println!(
        "| corpus | names | symbols | find_references precision | find_references recall | resolved: precision | resolved: share of lines | resolved: recall | find_definition top-1 | top-1 from a use | any result | functions | find_callers precision | find_callers resolved: precision |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in results {
        for (label, s) in [
            ("defined once", &r.once),
            ("defined 2+ times", &r.many),
            ("all", &r.all),
        ] {
            println!(
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                r.corpus,
                label,
                s.symbols,
                pct(s.references_precision),
                pct(s.references_recall),
                pct(s.resolved_precision),
                pct(s.resolved_share),
                pct(s.resolved_recall),
                pct(s.definition_top1),
                pct(s.definition_top1_from_use),
                pct(s.definition_any),
                s.functions,
                pct(s.callers_precision),
                pct(s.callers_resolved_precision),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_reference_pages() {
        let page = "src/a.ts\n  3:9  call (in main)  let s = area(&sq);\n  9:9  call  area(&c)\n[lib] src/b.ts\n  1:9  import  use crate::area;\nshowing 11–13 of 40; 27 more: call again with offset=13\n";
        let hits: Vec<Loc> = parse_references(&[page.to_string()])
            .into_iter()
            .map(|(l, _, _)| l)
            .collect();
        assert_eq!(
            hits,
            vec![
                ("src/a.ts".to_string(), 3),
                ("src/a.ts".to_string(), 9),
                ("src/b.ts".to_string(), 1)
            ]
        );
    }

    #[test]
    fn reads_the_grade_of_each_reference() {
        let first = "3 references: 1 resolved, 2 name-only candidates\nsrc/a.py\n  3:9  call  add(1)\nname-only candidates (the same name; what it is called on is not known):\nsrc/a.py\n  9:9  call  x.add(2)\nshowing 1–2 of 3; 1 more: call again with offset=2\n";
        let second =
            "3 references: 1 resolved, 2 name-only candidates\nsrc/b.py\n  1:1  call  y.add(3)\n";
        let grades: Vec<(u32, bool)> = parse_references(&[first.to_string(), second.to_string()])
            .into_iter()
            .map(|((_, n), _, resolved)| (n, resolved))
            .collect();
        assert_eq!(grades, [(3, true), (9, false), (1, false)]);
        let none = "1 reference, all name-only candidates\nsrc/a.py\n  2:1  call  s.area()\n";
        assert!(!parse_references(&[none.to_string()])[0].2);
    }

    #[test]
    fn parses_definitions_and_callers() {
        let defs = "src/x.ts:204  method  Observable.subscribe  subscribe()\n    Invokes an execution\nsrc/y.ts:7  function  map\nshowing 1–2 of 5; 3 more: call again with offset=2\n";
        assert_eq!(
            parse_definitions(&[defs.to_string()]),
            vec![("src/x.ts".to_string(), 204), ("src/y.ts".to_string(), 7)]
        );
        let callers = "3 call edges: 2 resolved, 1 name-only candidate\nA.b → subscribe  at src/s.ts:371,376\nc → subscribe (name only)  at src/t.ts:5\n";
        let lines: Vec<(Loc, bool)> = parse_callers(&[callers.to_string()])
            .into_iter()
            .map(|(l, _, resolved)| (l, resolved))
            .collect();
        assert_eq!(
            lines,
            vec![
                (("src/s.ts".to_string(), 371), true),
                (("src/s.ts".to_string(), 376), true),
                (("src/t.ts".to_string(), 5), false)
            ]
        );
    }

    #[test]
    fn identifiers() {
        assert!(is_identifier("_private"));
        assert!(is_identifier("$x1"));
        assert!(!is_identifier("<constructor>"));
        assert!(!is_identifier("1a"));
        assert!(!is_identifier(""));
    }
}
