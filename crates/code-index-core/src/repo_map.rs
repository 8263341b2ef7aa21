//! The repository map: the files that matter most, each with its most used
//! definitions, for a model that needs the lay of the land in few tokens.
//!
//! Files are ranked by PageRank over the "references a name defined in"
//! graph; definitions within a file by how many references other files make
//! to their name.

use std::sync::atomic::{AtomicBool, Ordering};

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::index::{FileId, Index};
use crate::model::SymbolKind;
use crate::query::{QueryError, Symbol};

/// Names defined in more files than this are too generic (`new`, `init`,
/// `String`) to say which file a reference depends on.
const MAX_DEFINING_FILES: usize = 16;
const DAMPING: f64 = 0.85;
const ITERATIONS: usize = 24;

/// A file of the map with its most referenced definitions.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MapFile {
    pub path: String,
    /// The file's PageRank, scaled so that the top file has 1.
    pub rank: f64,
    pub symbols: Vec<MapSymbol>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MapSymbol {
    #[serde(flatten)]
    pub symbol: Symbol,
    /// References to its name from other files (shared among definitions
    /// of the same name).
    pub references: f64,
}

impl Index {
    /// Files by importance, each with up to `symbols_per_file` definitions,
    /// best first. The caller cuts the list to its budget.
    pub fn repo_map(&self, symbols_per_file: usize) -> Vec<MapFile> {
        match self.repo_map_until(symbols_per_file, &AtomicBool::new(false)) {
            Ok(map) => map,
            Err(_) => unreachable!("nothing cancels it"),
        }
    }

    /// [`Index::repo_map`], given up with [`QueryError::Cancelled`] soon
    /// after `cancelled` is set.
    pub fn repo_map_until(
        &self,
        symbols_per_file: usize,
        cancelled: &AtomicBool,
    ) -> Result<Vec<MapFile>, QueryError> {
        let check = |i: usize| {
            if i.is_multiple_of(1024) && cancelled.load(Ordering::Relaxed) {
                Err(QueryError::Cancelled)
            } else {
                Ok(())
            }
        };
        // Defining files of each name, and how many references from other
        // files each definition's name gets.
        let mut edges: FxHashMap<(FileId, FileId), f64> = FxHashMap::default();
        let mut name_score: FxHashMap<&str, f64> = FxHashMap::default();
        for (i, (name, ref_postings)) in self.refs.iter().enumerate() {
            check(i)?;
            let Some(def_postings) = self.defs.get(name) else {
                continue;
            };
            let mut defining: Vec<FileId> = def_postings.iter().map(|p| p.file).collect();
            defining.sort_unstable();
            defining.dedup();
            if defining.len() > MAX_DEFINING_FILES {
                continue;
            }
            let share = 1.0 / defining.len() as f64;
            let mut from_others = 0.0;
            for r in ref_postings {
                for &to in &defining {
                    if to != r.file {
                        *edges.entry((r.file, to)).or_default() += share;
                        from_others += share;
                    }
                }
            }
            // What one definition of the name earns: the share of the
            // references that could point at its file.
            name_score.insert(name, from_others / defining.len() as f64);
        }

        // PageRank over files.
        let ids: Vec<FileId> = self.files().map(|(id, _)| id).collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let slot: FxHashMap<FileId, usize> =
            ids.iter().enumerate().map(|(i, &id)| (id, i)).collect();
        let n = ids.len();
        let mut out_weight = vec![0.0f64; n];
        let edge_list: Vec<(usize, usize, f64)> = edges
            .into_iter()
            .map(|((from, to), w)| (slot[&from], slot[&to], w))
            .collect();
        for &(from, _, w) in &edge_list {
            out_weight[from] += w;
        }
        let mut rank = vec![1.0 / n as f64; n];
        for _ in 0..ITERATIONS {
            check(0)?;
            let dangling: f64 = (0..n)
                .filter(|&i| out_weight[i] == 0.0)
                .map(|i| rank[i])
                .sum();
            let base = (1.0 - DAMPING) / n as f64 + DAMPING * dangling / n as f64;
            let mut next = vec![base; n];
            for &(from, to, w) in &edge_list {
                next[to] += DAMPING * rank[from] * w / out_weight[from];
            }
            rank = next;
        }
        let top = rank
            .iter()
            .cloned()
            .fold(f64::MIN, f64::max)
            .max(f64::MIN_POSITIVE);

        let mut files: Vec<(usize, f64)> = rank.iter().cloned().enumerate().collect();
        files.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        Ok(files
            .into_iter()
            .filter_map(|(i, r)| {
                let file = self.file(ids[i])?;
                if file.definitions.is_empty() {
                    return None;
                }
                let mut symbols: Vec<MapSymbol> = file
                    .definitions
                    .iter()
                    .map(|d| {
                        let used = name_score.get(file.str(d.name)).copied().unwrap_or(0.0);
                        MapSymbol {
                            references: used * kind_weight(d.kind),
                            symbol: Symbol::of(file, d),
                        }
                    })
                    .collect();
                symbols.sort_by(|a, b| {
                    b.references
                        .total_cmp(&a.references)
                        .then(a.symbol.span.start_line.cmp(&b.symbol.span.start_line))
                });
                symbols.truncate(symbols_per_file);
                Some(MapFile {
                    path: file.path.clone(),
                    rank: r / top,
                    symbols,
                })
            })
            .collect())
    }
}

/// Members and variables say less about a file than its types and functions.
fn kind_weight(kind: SymbolKind) -> f64 {
    match kind {
        SymbolKind::Field | SymbolKind::Variable | SymbolKind::Property => 0.5,
        _ => 1.0,
    }
}
