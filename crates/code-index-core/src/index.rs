//! The in-memory index: every file's symbols plus name → posting maps.
//!
//! Invariants:
//! - a file is in `by_path` exactly when its slot in `files` is `Some`;
//! - every posting points at a live file and a valid item of that file, and
//!   every definition and reference of a live file has exactly one posting;
//! - applying a change to one file touches only that file's postings.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;
use smallvec::SmallVec;

use crate::language::Language;
use crate::model::{FileSymbols, SkipReason, StrRef};

/// A file's slot in the index. Stable while the file is indexed.
pub type FileId = u32;

/// One definition or reference: which file, and which item of that file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Posting {
    pub file: FileId,
    pub item: u32,
}

/// The items sharing one name. Most names have one or two, which fit inline
/// without an allocation of their own.
pub(crate) type Postings = SmallVec<[Posting; 2]>;

/// The index of one root.
#[derive(Debug)]
pub struct Index {
    root: PathBuf,
    pub(crate) files: Vec<Option<FileSymbols>>,
    free: Vec<FileId>,
    pub(crate) by_path: FxHashMap<String, FileId>,
    /// Files by file name (`mod.rs`, `list.h`), for resolving imports.
    pub(crate) by_file_name: FxHashMap<String, Vec<FileId>>,
    pub(crate) defs: FxHashMap<Box<str>, Postings>,
    pub(crate) refs: FxHashMap<Box<str>, Postings>,
    definition_count: usize,
    reference_count: usize,
    generation: u64,
    /// Changes when the set of distinct definition names does: most edits
    /// leave it alone, and the name table with it.
    names_generation: u64,
    /// Definition names laid out for fast case-insensitive scans, built on
    /// the first search after the set of names changed.
    pub(crate) name_table: std::sync::Mutex<Option<std::sync::Arc<NameTable>>>,
    /// Each file's imports as resolved, for the generation they were
    /// resolved in: resolution depends on which files exist, so any change
    /// empties it.
    pub(crate) import_cache: std::sync::Mutex<ImportCache>,
}

/// Resolved imports per file (see [`Index::import_cache`]).
#[derive(Debug, Default)]
pub(crate) struct ImportCache {
    pub generation: u64,
    pub files: FxHashMap<FileId, std::sync::Arc<FileImports>>,
}

/// What one file's imports resolve to.
#[derive(Debug, Default)]
pub(crate) struct FileImports {
    /// The indexed files they resolve to, each once.
    pub resolved: Vec<FileId>,
    /// Which of the file's imports resolve to no indexed file (indices into
    /// `FileSymbols::imports`).
    pub unresolved: Vec<u32>,
}

/// Every definition name, lower-cased, in one buffer (`\n` after each), for
/// substring search with SIMD (`memchr::memmem`), beside the names as written.
#[derive(Debug, Default)]
pub(crate) struct NameTable {
    pub generation: u64,
    pub lower: Vec<u8>,
    /// Where each name starts in `lower`.
    pub lower_starts: Vec<u32>,
    pub original: String,
    /// Where each name starts in `original`; one more entry marks the end.
    pub original_starts: Vec<u32>,
}

impl NameTable {
    fn build(index: &Index) -> NameTable {
        let mut table = NameTable {
            generation: index.names_generation,
            ..NameTable::default()
        };
        for name in index.defs.keys() {
            table.lower_starts.push(table.lower.len() as u32);
            table.lower.extend(name.to_lowercase().bytes());
            table.lower.push(b'\n');
            table.original_starts.push(table.original.len() as u32);
            table.original.push_str(name);
        }
        table.original_starts.push(table.original.len() as u32);
        table
    }

    pub fn len(&self) -> usize {
        self.lower_starts.len()
    }

    /// The name as written.
    pub fn name(&self, i: usize) -> &str {
        &self.original[self.original_starts[i] as usize..self.original_starts[i + 1] as usize]
    }

    /// The lower-cased name.
    pub fn lower(&self, i: usize) -> &[u8] {
        let start = self.lower_starts[i] as usize;
        let end = self
            .lower_starts
            .get(i + 1)
            .map_or(self.lower.len(), |&e| e as usize)
            - 1;
        &self.lower[start..end]
    }

    /// Which name holds byte `at` of `lower`.
    pub fn name_at(&self, at: usize) -> usize {
        self.lower_starts.partition_point(|&s| s as usize <= at) - 1
    }
}
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LanguageStats {
    pub files: usize,
    pub definitions: usize,
    pub references: usize,
}

/// What the index holds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub root: String,
    /// Every file listed, parsed or not.
    pub files: usize,
    /// Files parsed for symbols.
    pub parsed_files: usize,
    pub definitions: usize,
    pub references: usize,
    /// Distinct definition names.
    pub distinct_names: usize,
    pub languages: BTreeMap<String, LanguageStats>,
    /// Files listed but not parsed, by reason.
    pub skipped: BTreeMap<String, usize>,
    /// Files whose syntax tree had errors (their symbols are still indexed).
    pub files_with_syntax_errors: usize,
    /// Files the parser failed on (timeout or panic).
    pub parse_failures: usize,
    /// Approximate memory held by the index, in bytes.
    pub memory_bytes: usize,
}

impl Index {
    /// An empty index for `root`, which should be canonical.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Index {
            root: root.into(),
            files: Vec::new(),
            free: Vec::new(),
            by_path: FxHashMap::default(),
            by_file_name: FxHashMap::default(),
            defs: FxHashMap::default(),
            refs: FxHashMap::default(),
            definition_count: 0,
            reference_count: 0,
            generation: 0,
            names_generation: 0,
            name_table: std::sync::Mutex::new(None),
            import_cache: std::sync::Mutex::new(ImportCache::default()),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Number of files listed.
    pub fn len(&self) -> usize {
        self.by_path.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_path.is_empty()
    }

    pub fn file_id(&self, path: &str) -> Option<FileId> {
        self.by_path.get(path).copied()
    }

    pub fn file(&self, id: FileId) -> Option<&FileSymbols> {
        self.files.get(id as usize)?.as_ref()
    }

    pub fn file_by_path(&self, path: &str) -> Option<&FileSymbols> {
        self.file(self.file_id(path)?)
    }

    /// Every listed file, in no particular order.
    pub fn files(&self) -> impl Iterator<Item = (FileId, &FileSymbols)> {
        self.files
            .iter()
            .enumerate()
            .filter_map(|(i, f)| f.as_ref().map(|f| (i as FileId, f)))
    }

    pub fn definition_count(&self) -> usize {
        self.definition_count
    }

    pub fn reference_count(&self) -> usize {
        self.reference_count
    }

    /// Changes every time the index does: equal generations, equal contents.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Builds, now, what `search_symbols` would otherwise build on its first
    /// call after a change: a daemon calls this after applying changes so
    /// that searches do not pay for it.
    pub fn prepare_search(&self) {
        self.names();
    }

    /// The name table for the current contents, built if needed.
    pub(crate) fn names(&self) -> std::sync::Arc<NameTable> {
        let mut cached = self.name_table.lock().unwrap_or_else(|e| e.into_inner());
        match cached.as_ref() {
            Some(table) if table.generation == self.names_generation => table.clone(),
            _ => {
                let table = std::sync::Arc::new(NameTable::build(self));
                *cached = Some(table.clone());
                table
            }
        }
    }

    /// Adds a file, replacing any file at the same path.
    pub fn upsert(&mut self, file: FileSymbols) -> FileId {
        self.generation += 1;
        let old = match self.by_path.get(&file.path).copied() {
            Some(old) => self.detach(old),
            None => None,
        };
        let mut created = Vec::new();
        let id = match self.free.pop() {
            Some(id) => id,
            None => {
                self.files.push(None);
                (self.files.len() - 1) as FileId
            }
        };
        for (name, items) in grouped(file.definitions.iter().map(|d| d.name)) {
            let text = file.str(name);
            let postings = match self.defs.get_mut(text) {
                Some(p) => p,
                None => {
                    created.push(name);
                    self.defs.entry(text.into()).or_default()
                }
            };
            postings.extend(items.iter().map(|&item| Posting { file: id, item }));
        }
        // The set of names changed unless the file's old names are all still
        // there and its new ones are all among the old.
        let names_changed = match &old {
            None => !created.is_empty(),
            Some(old) => {
                let old_names: FxHashSet<&str> =
                    old.definitions.iter().map(|d| old.str(d.name)).collect();
                old_names.iter().any(|n| !self.defs.contains_key(*n))
                    || created.iter().any(|&n| !old_names.contains(file.str(n)))
            }
        };
        if names_changed {
            self.names_generation += 1;
        }
        for (name, items) in grouped(file.references.iter().map(|r| r.name)) {
            let text = file.str(name);
            let postings = match self.refs.get_mut(text) {
                Some(p) => p,
                None => self.refs.entry(text.into()).or_default(),
            };
            postings.extend(items.iter().map(|&item| Posting { file: id, item }));
        }
        self.definition_count += file.definitions.len();
        self.reference_count += file.references.len();
        self.by_path.insert(file.path.clone(), id);
        self.by_file_name
            .entry(file_name(&file.path).to_string())
            .or_default()
            .push(id);
        self.files[id as usize] = Some(file);
        id
    }

    /// Removes a file; returns it if it was indexed.
    pub fn remove(&mut self, path: &str) -> Option<FileSymbols> {
        let id = self.by_path.get(path).copied()?;
        let file = self.detach(id)?;
        if file
            .definitions
            .iter()
            .any(|d| !self.defs.contains_key(file.str(d.name)))
        {
            self.names_generation += 1;
        }
        Some(file)
    }

    /// Takes a file out of every map; the caller accounts for the names that
    /// went with it.
    fn detach(&mut self, id: FileId) -> Option<FileSymbols> {
        let file = self.files.get_mut(id as usize)?.take()?;
        self.generation += 1;
        for (name, _) in grouped(file.definitions.iter().map(|d| d.name)) {
            let text = file.str(name);
            if let Some(postings) = self.defs.get_mut(text) {
                postings.retain(|p| p.file != id);
                if postings.is_empty() {
                    self.defs.remove(text);
                }
            }
        }
        for (name, _) in grouped(file.references.iter().map(|r| r.name)) {
            let text = file.str(name);
            if let Some(postings) = self.refs.get_mut(text) {
                postings.retain(|p| p.file != id);
                if postings.is_empty() {
                    self.refs.remove(text);
                }
            }
        }
        self.definition_count -= file.definitions.len();
        self.reference_count -= file.references.len();
        self.by_path.remove(&file.path);
        let name = file_name(&file.path);
        if let Some(ids) = self.by_file_name.get_mut(name) {
            ids.retain(|&f| f != id);
            if ids.is_empty() {
                self.by_file_name.remove(name);
            }
        }
        self.free.push(id);
        Some(file)
    }

    /// Moves a file to a new path without re-parsing it (same content, same
    /// language). Returns false if `from` is not indexed.
    pub fn rename(&mut self, from: &str, to: &str) -> bool {
        let Some(mut file) = self.remove(from) else {
            return false;
        };
        file.path = to.to_string();
        self.upsert(file);
        true
    }

    /// Updates the modification time of a file whose content did not change.
    pub fn touch(&mut self, path: &str, mtime_ns: i64) {
        if let Some(id) = self.file_id(path)
            && let Some(Some(file)) = self.files.get_mut(id as usize)
        {
            file.mtime_ns = mtime_ns;
            self.generation += 1;
        }
    }

    pub fn stats(&self) -> Stats {
        let mut stats = Stats {
            root: self.root.display().to_string(),
            files: self.len(),
            definitions: self.definition_count,
            references: self.reference_count,
            distinct_names: self.defs.len(),
            ..Stats::default()
        };
        let mut memory = 0usize;
        for (_, file) in self.files() {
            memory += file.heap_size() + std::mem::size_of::<FileSymbols>();
            if let Some(reason) = file.skipped {
                *stats
                    .skipped
                    .entry(reason.as_str().to_string())
                    .or_default() += 1;
                if reason.is_parse_failure() {
                    stats.parse_failures += 1;
                }
                continue;
            }
            let Some(lang) = file.language else { continue };
            stats.parsed_files += 1;
            if file.has_syntax_errors {
                stats.files_with_syntax_errors += 1;
            }
            let entry = stats.languages.entry(lang.name().to_string()).or_default();
            entry.files += 1;
            entry.definitions += file.definitions.len();
            entry.references += file.references.len();
        }
        let posting = std::mem::size_of::<Posting>();
        let entry = std::mem::size_of::<(Box<str>, Postings)>() + 8;
        for (name, postings) in self.defs.iter().chain(&self.refs) {
            let spilled = if postings.spilled() {
                postings.capacity() * posting
            } else {
                0
            };
            memory += name.len() + entry + spilled;
        }
        memory += self.by_path.keys().map(|k| k.len() + 40).sum::<usize>();
        stats.memory_bytes = memory;
        stats
    }

    /// The language of a file, if it was parsed.
    pub fn language_of(&self, path: &str) -> Option<Language> {
        self.file_by_path(path)?.language
    }

    /// Whether the file was listed but not parsed, and why.
    pub fn skip_reason(&self, path: &str) -> Option<SkipReason> {
        self.file_by_path(path)?.skipped
    }
}

/// The last component of a `/`-separated path.
pub(crate) fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// A file's items grouped by name, each name with the indices of its items.
/// Names are interned per file, so equal names share one [`StrRef`].
fn grouped(names: impl Iterator<Item = StrRef>) -> Vec<(StrRef, Vec<u32>)> {
    let mut pairs: Vec<(StrRef, u32)> = names.zip(0u32..).collect();
    pairs.sort_unstable_by_key(|&(n, i)| (n.offset, n.len, i));
    let mut out: Vec<(StrRef, Vec<u32>)> = Vec::new();
    for (name, item) in pairs {
        match out.last_mut() {
            Some((last, items)) if *last == name => items.push(item),
            _ => out.push((name, vec![item])),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::extract_source;
    use crate::query::{PageRequest, SymbolFilter};

    fn rust(path: &str, source: &str) -> FileSymbols {
        extract_source(path, Language::Rust, source).unwrap()
    }

    fn found(index: &Index, query: &str) -> Vec<String> {
        index
            .search_symbols(query, &SymbolFilter::default(), PageRequest::new(0, 100))
            .items
            .iter()
            .map(|m| format!("{}:{}", m.symbol.path, m.symbol.name))
            .collect()
    }

    #[test]
    fn the_name_table_is_rebuilt_only_when_the_set_of_names_changes() {
        let mut index = Index::new(Path::new("/project"));
        index.upsert(rust("a.rs", "fn alpha() {}\nfn shared() {}\n"));
        index.upsert(rust("b.rs", "fn shared() {}\n"));
        assert_eq!(found(&index, "alpha"), ["a.rs:alpha"]);
        let table = index.names();

        // An edit that keeps the file's names keeps the table.
        index.upsert(rust("a.rs", "fn alpha() { body(); }\n\nfn shared() {}\n"));
        assert!(std::sync::Arc::ptr_eq(&table, &index.names()));
        assert_eq!(found(&index, "alpha"), ["a.rs:alpha"]);
        // So does removing one of two files defining a name.
        index.remove("b.rs");
        assert!(std::sync::Arc::ptr_eq(&table, &index.names()));
        assert_eq!(found(&index, "shared"), ["a.rs:shared"]);

        // A new name, a renamed one, a removed one: a new table.
        index.upsert(rust("c.rs", "fn gamma() {}\n"));
        assert_eq!(found(&index, "gamma"), ["c.rs:gamma"]);
        let table = index.names();
        index.upsert(rust("a.rs", "fn alpha2() {}\nfn shared() {}\n"));
        assert!(!std::sync::Arc::ptr_eq(&table, &index.names()));
        assert_eq!(found(&index, "alpha"), ["a.rs:alpha2"]);
        let table = index.names();
        index.remove("c.rs");
        assert!(!std::sync::Arc::ptr_eq(&table, &index.names()));
        assert!(found(&index, "gamma").is_empty());
    }
}
