//! Questions the index answers. Every listing is paginated (`offset`, `limit`)
//! and says how many results there are in all (`total`).
//!
//! Resolution is by name. Where several definitions share a name, candidates
//! are ranked by proximity to the file asking: the same file, then the files
//! it imports, then the same directory, then the rest.

use crate::language::Family;
use crate::model::{
    CALL_SUFFIX, COMPLEX_RECEIVER, LITERAL_RECEIVER, OBJECT_RECEIVER, Reference, SELF_RECEIVERS,
};
use std::collections::BTreeMap;

use globset::{Glob, GlobMatcher};
use nucleo_matcher::pattern::{Atom, AtomKind, CaseMatching, Normalization};
use nucleo_matcher::{Config, Matcher, Utf32Str};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;

use crate::index::{FileId, FileImports, Index, Posting, Postings, file_name};
use crate::language::Language;
use crate::model::{Definition, FileSymbols, NONE, RefKind, Span, SymbolKind};

/// Default page size when a caller does not say.
pub const DEFAULT_LIMIT: usize = 50;

/// A query that cannot be answered as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("invalid path glob {glob:?}: {reason}")]
    InvalidGlob { glob: String, reason: String },
    #[error("{0:?} is not in the index (paths are relative to the project root)")]
    UnknownFile(String),
    #[error("{0}")]
    InvalidArgument(String),
    /// The caller gave up on the query while it ran.
    #[error("the query was cancelled")]
    Cancelled,
}

/// Which page of results to return.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRequest {
    pub offset: usize,
    pub limit: usize,
}

impl Default for PageRequest {
    fn default() -> Self {
        PageRequest {
            offset: 0,
            limit: DEFAULT_LIMIT,
        }
    }
}

impl PageRequest {
    pub fn new(offset: usize, limit: usize) -> Self {
        PageRequest { offset, limit }
    }

    fn slice<T>(self, items: Vec<T>) -> Page<T> {
        let total = items.len();
        let items = items
            .into_iter()
            .skip(self.offset)
            .take(self.limit)
            .collect();
        self.wrap(total, items)
    }

    /// This page of `total` results, holding `items`.
    pub fn wrap<T>(self, total: usize, items: Vec<T>) -> Page<T> {
        Page {
            total,
            offset: self.offset,
            limit: self.limit,
            items,
        }
    }
}

/// One page of results.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Page<T> {
    /// How many results exist in all.
    pub total: usize,
    pub offset: usize,
    pub limit: usize,
    pub items: Vec<T>,
}

impl<T> Page<T> {
    /// Whether results exist beyond this page.
    pub fn has_more(&self) -> bool {
        self.offset + self.items.len() < self.total
    }
}

/// Restrictions on which definitions a query returns.
#[derive(Clone, Debug, Default)]
pub struct SymbolFilter {
    /// Only these kinds (all when empty).
    pub kinds: Vec<SymbolKind>,
    pub language: Option<Language>,
    pub glob: Option<PathGlob>,
}

/// A compiled path glob (`src/**/*.rs`), matched against root-relative paths.
#[derive(Clone, Debug)]
pub struct PathGlob {
    text: String,
    matcher: GlobMatcher,
}

/// Longest path glob accepted, in bytes: far beyond any real one, and short
/// enough that compiling it stays cheap.
pub const MAX_GLOB_BYTES: usize = 1024;

impl PathGlob {
    pub fn new(glob: &str) -> Result<PathGlob, QueryError> {
        let invalid = |reason: String| QueryError::InvalidGlob {
            glob: glob.chars().take(80).collect(),
            reason,
        };
        if glob.len() > MAX_GLOB_BYTES {
            return Err(invalid(format!(
                "it is {} bytes long; at most {MAX_GLOB_BYTES} are accepted",
                glob.len()
            )));
        }
        // globset can panic on a pattern whose regex outgrows its limits:
        // such a glob is refused, never allowed to take a request down.
        let compiled = std::panic::catch_unwind(|| -> Result<GlobMatcher, String> {
            let compiled = globset::GlobBuilder::new(glob)
                .literal_separator(false)
                .build()
                .map_err(|e| e.kind().to_string())?;
            // A glob without a slash matches a file name anywhere (`*.rs`).
            Ok(if glob.contains('/') {
                compiled.compile_matcher()
            } else {
                Glob::new(&format!("**/{glob}"))
                    .map(|g| g.compile_matcher())
                    .unwrap_or_else(|_| compiled.compile_matcher())
            })
        });
        let matcher = match compiled {
            Ok(Ok(matcher)) => matcher,
            Ok(Err(reason)) => return Err(invalid(reason)),
            Err(_) => return Err(invalid("it is too complex to compile".to_string())),
        };
        Ok(PathGlob {
            text: glob.to_string(),
            matcher,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn is_match(&self, path: &str) -> bool {
        self.matcher.is_match(path)
    }
}

impl SymbolFilter {
    fn accepts(&self, file: &FileSymbols, def: &Definition) -> bool {
        (self.kinds.is_empty() || self.kinds.contains(&def.kind))
            && self.language.is_none_or(|l| file.language == Some(l))
            && self.glob.as_ref().is_none_or(|g| g.is_match(&file.path))
    }
}

/// A definition, as queries return it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Symbol {
    pub name: String,
    pub qualified_name: String,
    pub kind: SymbolKind,
    pub language: Option<Language>,
    pub path: String,
    pub span: Span,
    pub name_span: Span,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub container: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub signature: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub doc: String,
}

impl Symbol {
    pub(crate) fn of(file: &FileSymbols, def: &Definition) -> Symbol {
        Symbol {
            name: file.str(def.name).to_string(),
            qualified_name: file.qualified_name(def),
            kind: def.kind,
            language: file.language,
            path: file.path.clone(),
            span: def.span,
            name_span: def.name_span(),
            container: file.str(def.container).to_string(),
            signature: file.str(def.signature).to_string(),
            doc: file.str(def.doc).to_string(),
        }
    }
}

/// How a search matched a name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    Exact,
    Prefix,
    Substring,
    Fuzzy,
}

/// One result of [`Index::search_symbols`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SymbolMatch {
    #[serde(flatten)]
    pub symbol: Symbol,
    pub match_kind: MatchKind,
}

/// References to a name in one file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileReferences {
    pub path: String,
    pub references: Vec<ReferenceHit>,
}

/// One reference, with the line it stands on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReferenceHit {
    pub line: u32,
    pub column: u32,
    pub kind: RefKind,
    /// The qualified name of the enclosing definition, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enclosing: Option<String>,
    /// The source line, trimmed.
    pub text: String,
    pub resolution: Resolution,
}

/// A page of references, grouped by file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReferencesPage {
    pub total: usize,
    /// How many of `total` are [`Resolution::Resolved`]; they come first.
    pub resolved: usize,
    /// [`Resolution::Distant`] matches the filter left out (by default).
    pub distant_left_out: usize,
    pub offset: usize,
    pub limit: usize,
    pub files: Vec<FileReferences>,
    /// Definitions of the name in classes that inherit the asked members'
    /// classes (overrides, implementations), the first [`MAX_OVERRIDES`] by
    /// path: their uses are theirs, not listed in `files`.
    pub overrides: Vec<OverrideSite>,
    /// How many there are in all.
    pub overrides_total: usize,
}

/// A definition that overrides or implements an asked member.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OverrideSite {
    pub path: String,
    pub line: u32,
    pub qualified_name: String,
}

/// How many overrides a references answer lists.
pub const MAX_OVERRIDES: usize = 50;

/// Restrictions on which references a query returns.
#[derive(Clone, Debug, Default)]
pub struct ReferenceFilter {
    /// Only these kinds (all when empty).
    pub kinds: Vec<RefKind>,
    pub glob: Option<PathGlob>,
    /// Only references of this grade; when `None`, the resolved and the
    /// candidates, and the distant too with `include_distant`.
    pub resolution: Option<Resolution>,
    pub include_distant: bool,
    /// Only the references of the definitions in this file (root-relative),
    /// when several share the name; none when the file defines no such name.
    pub defined_in: Option<String>,
}

/// Whether a filter's `resolution` and `include_distant` take a grade.
fn wants(resolution: Option<Resolution>, include_distant: bool, grade: Resolution) -> bool {
    match resolution {
        Some(wanted) => wanted == grade,
        None => grade != Resolution::Distant || include_distant,
    }
}

/// How sure the index is that a reference means the definitions asked about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// Bound to one of them: a bare name defined in the same file (or, in
    /// Go, the same package) or imported from the defining file, a member
    /// through `self`/`this` of the enclosing type, or through the name of
    /// the defining type or module (`Shape.area`, `Vec::new`, `pkg.F`).
    Resolved,
    /// The same name, reached through something whose type the index does
    /// not know: it may mean these definitions or another's.
    Candidate,
    /// A candidate of a name defined more than once, in a file that neither
    /// holds nor imports (itself or through a file it imports) a file of the
    /// definitions asked: most likely another definition's. Left out unless
    /// asked for; answers count them.
    Distant,
}

impl Resolution {
    pub fn as_str(self) -> &'static str {
        match self {
            Resolution::Resolved => "resolved",
            Resolution::Candidate => "candidate",
            Resolution::Distant => "distant",
        }
    }

    pub fn parse(s: &str) -> Option<Resolution> {
        match s {
            "resolved" => Some(Resolution::Resolved),
            "candidate" => Some(Resolution::Candidate),
            "distant" => Some(Resolution::Distant),
            _ => None,
        }
    }
}

/// The definitions a reference query is about, arranged to grade each
/// reference cheaply (see [`Resolution`]).
struct Targets<'i> {
    /// Definitions by file: (container, top level).
    by_file: FxHashMap<FileId, Vec<(&'i str, bool)>>,
    /// Last segments of the containers (`Shape` of `geo::Shape`).
    containers: FxHashSet<&'i str>,
    /// For top-level definitions: the file's stem (`util` of `util.py`) and
    /// its directory's name (a Go package, a Python package).
    modules: FxHashSet<&'i str>,
    /// Directories of top-level Go definitions: a bare name there binds.
    go_dirs: FxHashSet<&'i str>,
    /// Rust crates whose root (`src/lib.rs`, `src/main.rs`) holds a
    /// top-level definition: `krate::name` binds.
    crates: Vec<String>,
    /// Definitions inside a function (a class defined in a test), by file:
    /// the function's qualified name. A bare name used in that function
    /// binds to them.
    in_functions: FxHashMap<FileId, Vec<&'i str>>,
    /// Whether every definition is inside a function: then no use outside
    /// those functions can name them.
    all_local: bool,
    /// Whether every definition is a function at a file's top level: then,
    /// where locals are known, a member of a value (`x.f()`, `self.f()`)
    /// is another's.
    functions_only: bool,
    /// Whether every definition is a member of a type (a method, a field):
    /// then, where members are not in scope by their bare name, a bare name
    /// means something else.
    members_only: bool,
}

impl<'i> Targets<'i> {
    fn new(index: &'i Index, postings: Vec<Posting>) -> Targets<'i> {
        let mut t = Targets {
            by_file: FxHashMap::default(),
            containers: FxHashSet::default(),
            modules: FxHashSet::default(),
            go_dirs: FxHashSet::default(),
            crates: Vec::new(),
            in_functions: FxHashMap::default(),
            all_local: true,
            functions_only: true,
            members_only: true,
        };
        for p in postings {
            let Some((file, def)) = index.def(p) else {
                continue;
            };
            let container = file.str(def.container);
            let top = container.is_empty();
            t.members_only &= !top
                && matches!(
                    def.kind,
                    SymbolKind::Method
                        | SymbolKind::Field
                        | SymbolKind::Property
                        | SymbolKind::Constructor
                        | SymbolKind::EnumMember
                );
            t.functions_only &= top && def.kind == SymbolKind::Function;
            t.by_file.entry(p.file).or_default().push((container, top));
            if file
                .definitions
                .get(def.parent as usize)
                .is_some_and(|parent| parent.kind.is_callable())
            {
                t.in_functions.entry(p.file).or_default().push(container);
            } else {
                t.all_local = false;
            }
            if !top {
                t.containers.insert(last_container_segment(container));
            } else {
                let (dir, name) = file.path.rsplit_once('/').unwrap_or(("", &file.path));
                t.modules.insert(name.split('.').next().unwrap_or(name));
                t.modules.insert(dir.rsplit('/').next().unwrap_or(dir));
                if file.language == Some(Language::Go) {
                    t.go_dirs.insert(dir);
                }
                // A Rust crate's root is named by the crate (`strsim::hamming`
                // for `strsim/src/lib.rs`).
                if file.language == Some(Language::Rust)
                    && let Some(krate) = index.rust_crate_of(&file.path)
                {
                    t.crates.push(krate);
                }
            }
        }
        t.modules.remove("");
        // No definition at all (a name the project only uses): nothing to
        // tell members from.
        t.members_only &= !t.by_file.is_empty();
        t.all_local &= !t.by_file.is_empty();
        t.functions_only &= !t.by_file.is_empty();
        t
    }

    /// Whether the use `r` is inside one of the functions that hold these
    /// definitions.
    fn inside_their_function(&self, file_id: FileId, file: &FileSymbols, r: &Reference) -> bool {
        self.in_functions.get(&file_id).is_some_and(|functions| {
            let inside = file
                .definitions
                .get(r.enclosing as usize)
                .map(|d| file.qualified_name(d))
                .unwrap_or_default();
            functions.iter().any(|f| within(&inside, f))
        })
    }

    fn is_empty(&self) -> bool {
        self.by_file.is_empty()
    }

    /// Whether `file` imports a file that defines `name` at its top level,
    /// directly or through files that re-export it (`from .base import
    /// Model` in a package's `__init__.py`, `export { x } from './x'`), up
    /// to [`MAX_REEXPORTS`] files deep.
    fn imported(&self, index: &Index, file: &FileSymbols, name: &str) -> bool {
        // Where imports name what they bring (Python, JavaScript,
        // TypeScript), a bare name is imported only if an import names it
        // or brings everything (`from m import *`).
        if file.language.is_some_and(imports_by_name)
            && !file.references.iter().any(|r| {
                let imported = file.str(r.name);
                r.kind == RefKind::Import && (imported == name || imported == "*")
            })
        {
            return false;
        }
        let mut seen: FxHashSet<FileId> = FxHashSet::default();
        let mut frontier: Vec<FileId> = index.imported_files(file).resolved.clone();
        for _ in 0..=MAX_REEXPORTS {
            let mut next = Vec::new();
            for f in frontier {
                if !seen.insert(f) {
                    continue;
                }
                if self
                    .by_file
                    .get(&f)
                    .is_some_and(|defs| defs.iter().any(|&(_, top)| top))
                {
                    return true;
                }
                let Some(through) = index.file(f) else {
                    continue;
                };
                if may_reexport(through, name) {
                    next.extend(index.imported_files(through).resolved.iter().copied());
                }
            }
            frontier = next;
        }
        false
    }

    /// Whether a use can mean these definitions at all: a bare name in
    /// Python, JavaScript, Go, Rust... names a member only in the body of
    /// its type (`@name.setter` in a Python class).
    fn reachable(&self, file: &FileSymbols, r: &Reference) -> bool {
        if !self.members_only
            || !r.receiver.is_empty()
            || file.language.is_none_or(has_implicit_this)
        {
            return true;
        }
        let Some(enclosing) = file.definitions.get(r.enclosing as usize) else {
            return false;
        };
        enclosing.kind.is_type_like()
            && self
                .containers
                .contains(last_container_segment(&file.qualified_name(enclosing)))
    }

    /// The grade of `r`, reached through `receiver` (as written, or the
    /// type the written one is known to have).
    fn grade(
        &self,
        index: &Index,
        file_id: FileId,
        file: &FileSymbols,
        r: &Reference,
        receiver: &str,
        imports: &mut FxHashMap<FileId, bool>,
    ) -> Resolution {
        let enclosing_container = self_class(file, r);
        let here = self.by_file.get(&file_id);
        let resolved = if receiver.is_empty() {
            let implicit_this = file.language.is_some_and(has_implicit_this);
            // In a type's own body, its members are in scope.
            let body_of = file
                .definitions
                .get(r.enclosing as usize)
                .filter(|d| d.kind.is_type_like())
                .map(|d| file.qualified_name(d));
            here.is_some_and(|defs| {
                defs.iter().any(|&(container, top)| {
                    top || (implicit_this && container == enclosing_container)
                        || body_of.as_deref() == Some(container)
                })
            }) || self.inside_their_function(file_id, file, r)
                || (file.language == Some(Language::Go)
                    && self
                        .go_dirs
                        .contains(file.path.rsplit_once('/').map_or("", |(d, _)| d)))
                || *imports
                    .entry(file_id)
                    .or_insert_with(|| self.imported(index, file, file.str(r.name)))
        } else if receiver == "super" {
            // `super().x`, `super.x`: a member of a direct base.
            bases(file, enclosing_container).any(|b| self.containers.contains(b))
        } else if SELF_RECEIVERS.contains(&receiver) {
            !enclosing_container.is_empty()
                && (here.is_some_and(|defs| {
                    defs.iter()
                        .any(|&(container, _)| container == enclosing_container)
                }) || (
                    // Inherited from a direct base, when the class does not
                    // define the member itself.
                    bases(file, enclosing_container).any(|b| self.containers.contains(b))
                        && !defines_member(file, enclosing_container, file.str(r.name))
                ))
        } else if receiver == COMPLEX_RECEIVER || receiver == OBJECT_RECEIVER {
            false
        } else {
            let last = last_container_segment(receiver);
            self.containers.contains(last)
                || self.modules.contains(last)
                || self.crates.iter().any(|c| c == last)
        };
        if resolved {
            Resolution::Resolved
        } else {
            Resolution::Candidate
        }
    }
}

/// See [`Grader::lineage`].
struct Lineage<'i> {
    files: FxHashSet<FileId>,
    names: FxHashSet<&'i str>,
}

/// Grades the uses of a name against some of its definitions: the one
/// place where a use is kept as `resolved` or `candidate`, or left out.
struct Grader<'i> {
    index: &'i Index,
    /// The language families of the definitions asked (any when none).
    families: FxHashSet<Family>,
    targets: Targets<'i>,
    /// The name's other definitions: a use bound to one of those is not a
    /// use of these.
    others: Targets<'i>,
    imports: FxHashMap<FileId, bool>,
    imports_others: FxHashMap<FileId, bool>,
    external: FxHashMap<FileId, FxHashSet<&'i str>>,
    /// Per file: whether it is [`Grader::near`] the definitions asked.
    near: FxHashMap<FileId, bool>,
    /// Per file: [`Grader::imports_of`].
    imports_memo: FxHashMap<FileId, std::sync::Arc<FileImports>>,
    /// Per file and type name: [`Grader::type_home`].
    homes: FxHashMap<(FileId, &'i str), Option<FileId>>,
    /// Per class name: [`Grader::inherits_asked`].
    inherits: FxHashMap<&'i str, Option<bool>>,
    /// [`Grader::names_lineage`]: the files that name a class holding the
    /// members asked or inheriting them, made on first use.
    lineage: Option<Lineage<'i>>,
    /// The name asked about, without its qualifier.
    name: Box<str>,
    /// Per file and receiver: [`Grader::receiver_type`].
    receiver_types: FxHashMap<(FileId, &'i str), Option<&'i str>>,
}

impl<'i> Grader<'i> {
    /// Whether `file` holds one of the definitions asked, imports a file
    /// that does, or imports a file that imports one.
    fn near(&mut self, file: FileId) -> bool {
        if self.targets.by_file.contains_key(&file) {
            return true;
        }
        if let Some(&near) = self.near.get(&file) {
            return near;
        }
        // A Go file of the package that holds them.
        let index = self.index;
        if let Some(f) = index.file(file)
            && self
                .targets
                .by_file
                .keys()
                .any(|&t| index.file(t).is_some_and(|t| same_go_package(f, t)))
        {
            self.near.insert(file, true);
            return true;
        }
        let first = self.imports_of(file);
        let near = first
            .resolved
            .iter()
            .any(|f| self.targets.by_file.contains_key(f))
            || first.resolved.iter().any(|&f| {
                self.imports_of(f)
                    .resolved
                    .iter()
                    .any(|g| self.targets.by_file.contains_key(g))
            });
        self.near.insert(file, near);
        near
    }

    /// The file whose type `name` a use in `file` means: `file` itself when
    /// it defines one, else the first file it imports that does. Once per
    /// file and name in a query.
    fn type_home(&mut self, file_id: FileId, file: &FileSymbols, name: &'i str) -> Option<FileId> {
        if let Some(&home) = self.homes.get(&(file_id, name)) {
            return home;
        }
        let defines = |f: &FileSymbols| {
            f.definitions
                .iter()
                .any(|d| d.kind.is_type_like() && f.str(d.name) == name)
        };
        // The file itself, or a file it imports, directly or through files
        // that pass the name on (`import { IDerivation } from "../internal"`).
        let home = if defines(file) {
            Some(file_id)
        } else {
            let index = self.index;
            self.through_imports(file_id, name, |f| index.file(f).is_some_and(defines))
        };
        self.homes.insert((file_id, name), home);
        home
    }

    /// The files `file` imports, from the index's cache, kept for the query
    /// (no lock on the cache per use).
    fn imports_of(&mut self, file: FileId) -> std::sync::Arc<FileImports> {
        let index = self.index;
        self.imports_memo
            .entry(file)
            .or_insert_with(|| {
                index
                    .file(file)
                    .map(|f| index.imported_files(f))
                    .unwrap_or_default()
            })
            .clone()
    }

    /// For the definitions `asked` of `base` (all of them, or some when the
    /// name was qualified or a file named).
    fn new(index: &'i Index, asked: Vec<Posting>, base: &str) -> Grader<'i> {
        let families = asked
            .iter()
            .filter_map(|p| index.family_of(p.file))
            .collect();
        let others: Vec<Posting> = if asked.is_empty() {
            Vec::new()
        } else {
            index
                .definition_postings(base, None, &SymbolFilter::default())
                .into_iter()
                .filter(|p| !asked.contains(p))
                .collect()
        };
        Grader {
            index,
            families,
            targets: Targets::new(index, asked),
            others: Targets::new(index, others),
            imports: FxHashMap::default(),
            imports_others: FxHashMap::default(),
            external: FxHashMap::default(),
            near: FxHashMap::default(),
            imports_memo: FxHashMap::default(),
            homes: FxHashMap::default(),
            inherits: FxHashMap::default(),
            lineage: None,
            name: base.into(),
            receiver_types: FxHashMap::default(),
        }
    }

    /// The type of the value a receiver stands for, where the project
    /// writes it: a top-level variable declared with a type (`globalState`
    /// of `let globalState: MobXGlobals`), the result of a function or of a
    /// method of the enclosing class declared to return one (a local `x =
    /// make()` is the receiver `make`, `x = self.make()` is `self.make`),
    /// or an instance made at the top level (`default = Foo()`). Only a
    /// type the project defines counts: a type variable or a library's
    /// type says nothing the index can use.
    fn receiver_type(
        &mut self,
        file_id: FileId,
        file: &'i FileSymbols,
        r: &Reference,
    ) -> Option<&'i str> {
        let receiver = file.str(r.receiver);
        // The result of a call: `Foo()` is a `Foo`, `make()` what `make`
        // returns.
        let (base, called) = match receiver.strip_suffix(CALL_SUFFIX) {
            Some(base) => (base, true),
            None => (receiver, false),
        };
        // The type decides only between members of classes.
        if base.is_empty()
            || is_value_receiver(base)
            || (self.targets.containers.is_empty() && self.others.containers.is_empty())
        {
            return None;
        }
        if let Some(&known) = self.receiver_types.get(&(file_id, receiver)) {
            return known;
        }
        let index = self.index;
        // A type the project defines; not a type parameter (`E` of
        // `def value(self) -> E`), whatever class shares its name.
        let is_type = |name: &str| {
            !looks_like_type_parameter(last_container_segment(name))
                && index
                    .defs
                    .get(last_container_segment(name))
                    .is_some_and(|postings| {
                        postings.iter().any(|&p| {
                            index.def(p).is_some_and(|(_, d)| {
                                d.kind.is_type_like() || d.kind == SymbolKind::TypeAlias
                            })
                        })
                    })
        };
        if called && is_type(base) && !base.starts_with("self.") && !base.starts_with("this.") {
            let class = last_container_segment(base);
            self.receiver_types.insert((file_id, receiver), Some(class));
            return Some(class);
        }
        let found = match base
            .strip_prefix("self.")
            .or_else(|| base.strip_prefix("this."))
        {
            Some(member) if is_plain_name(member) => {
                // A method or field of the enclosing class.
                let class = self_class(file, r);
                file.value_types
                    .iter()
                    .find(|v| {
                        let d = &file.definitions[v.def as usize];
                        !class.is_empty()
                            && file.str(d.container) == class
                            && file.str(d.name) == member
                    })
                    .map(|v| (file_id, file.str(v.ty)))
            }
            Some(_) => None,
            None if is_plain_name(base) => self.value_of(file_id, base),
            None => None,
        };
        let ty = match found {
            Some((_, ty)) if is_type(ty) => Some(ty),
            // `x = make()`: what `make` is declared to return.
            Some((home, called)) if is_plain_name(called) => self
                .value_of(home, called)
                .map(|(_, ty)| ty)
                .filter(|ty| is_type(ty)),
            _ => None,
        }
        .or_else(|| self.member_chain_type(file_id, base, &is_type));
        self.receiver_types.insert((file_id, receiver), ty);
        ty
    }

    /// The type of `A.b.c` where `A` is a project class (or a value of a
    /// type the project writes) and each member after it has a written
    /// type: `Cart.basket` with `basket: Basket` in `Cart` is a `Basket`.
    fn member_chain_type(
        &mut self,
        file_id: FileId,
        receiver: &'i str,
        is_type: &dyn Fn(&str) -> bool,
    ) -> Option<&'i str> {
        let mut segments = receiver.split('.');
        let head = segments.next()?;
        let mut rest = segments.peekable();
        rest.peek()?;
        let head = head.strip_suffix(CALL_SUFFIX).unwrap_or(head);
        if !is_plain_name(head) {
            return None;
        }
        let mut ty = if is_type(head) {
            head
        } else {
            let (_, ty) = self.value_of(file_id, head)?;
            is_type(ty).then_some(ty)?
        };
        let index = self.index;
        for member in rest {
            let member = member.strip_suffix(CALL_SUFFIX).unwrap_or(member);
            let class = last_container_segment(ty);
            // Every class of that name that has the member must agree on
            // its type (two `Role`s with a `Permissions` field of different
            // types say nothing).
            let mut types = index.defs.get(member)?.iter().filter_map(|&p| {
                let (file, def) = index.def(p)?;
                (last_container_segment(file.str(def.container)) == class)
                    .then(|| file.value_type(p.item))
                    .flatten()
                    .filter(|ty| is_type(ty))
            });
            let first = types.next()?;
            if types.any(|other| last_container_segment(other) != last_container_segment(first)) {
                return None;
            }
            ty = first;
        }
        Some(ty)
    }

    /// The written type of the value of the top-level definition `name`
    /// that `file` sees: its own, or one in a file it imports (directly or
    /// through files that pass it on, up to [`MAX_REEXPORTS`] deep); with
    /// the file that holds it.
    fn value_of(&mut self, file_id: FileId, name: &str) -> Option<(FileId, &'i str)> {
        let index = self.index;
        let postings = index.defs.get(name)?;
        let typed_top_level = |p: &Posting| {
            index
                .def(*p)
                .filter(|(f, d)| {
                    d.container.is_empty()
                        && !d.kind.is_type_like()
                        && f.value_type(p.item).is_some()
                })
                .is_some()
        };
        let typed: Vec<Posting> = postings.iter().copied().filter(typed_top_level).collect();
        if typed.is_empty() {
            return None;
        }
        // Go: the files of the package are one scope.
        let file = index.file(file_id)?;
        let p = match typed
            .iter()
            .find(|p| index.file(p.file).is_some_and(|f| same_go_package(file, f)))
        {
            Some(p) => *p,
            None => {
                let home =
                    self.through_imports(file_id, name, |f| typed.iter().any(|p| p.file == f))?;
                *typed.iter().find(|p| p.file == home)?
            }
        };
        Some((p.file, index.file(p.file)?.value_type(p.item)?))
    }

    /// The first of `file_id` and the files it imports, directly or through
    /// files that pass `name` on (up to [`MAX_REEXPORTS`] deep), nearest
    /// first, that `wanted` accepts.
    fn through_imports(
        &mut self,
        file_id: FileId,
        name: &str,
        wanted: impl Fn(FileId) -> bool,
    ) -> Option<FileId> {
        let index = self.index;
        let mut seen: FxHashSet<FileId> = FxHashSet::default();
        let mut frontier = vec![file_id];
        for level in 0..=MAX_REEXPORTS + 1 {
            let mut next = Vec::new();
            for f in frontier {
                if !seen.insert(f) {
                    continue;
                }
                if wanted(f) {
                    return Some(f);
                }
                let passes_on = level == 0 || index.file(f).is_some_and(|f| may_reexport(f, name));
                if passes_on {
                    next.extend(self.imports_of(f).resolved.iter().copied());
                }
            }
            if next.is_empty() {
                break;
            }
            frontier = next;
        }
        None
    }

    /// Whether the project defines `name` only as type aliases.
    fn is_alias_only(&self, name: &str) -> bool {
        let index = self.index;
        index.defs.get(name).is_some_and(|postings| {
            postings.iter().all(|&p| {
                index
                    .def(p)
                    .is_some_and(|(_, d)| d.kind == SymbolKind::TypeAlias)
            })
        })
    }

    /// Whether `file` names (defines, imports or uses) one of the classes
    /// that hold the members asked, a class inheriting one of them through
    /// the project's classes without overriding it, or a type alias naming
    /// one: where a value of such a class can come from without a type the
    /// index knows.
    fn names_lineage(&mut self, file: FileId) -> bool {
        self.lineage().files.contains(&file)
    }

    /// The classes holding the members asked, those inheriting them without
    /// overriding them, the type aliases naming any of those, and the
    /// files that name one; made on first use.
    fn lineage(&mut self) -> &Lineage<'i> {
        let index = self.index;
        let targets = &self.targets;
        let member = &*self.name;
        self.lineage.get_or_insert_with(|| {
            let mut classes: Vec<&str> = targets.containers.iter().copied().collect();
            let mut seen: FxHashSet<&str> = classes.iter().copied().collect();
            let mut files: FxHashSet<FileId> = FxHashSet::default();
            let mut level = 0;
            while !classes.is_empty() && level <= MAX_BASE_DEPTH {
                let mut next = Vec::new();
                for class in classes {
                    let postings = index.defs.get(class).into_iter().flatten();
                    files.extend(postings.map(|p| p.file));
                    for p in index.refs.get(class).into_iter().flatten() {
                        files.insert(p.file);
                        let Some(file) = index.file(p.file) else {
                            continue;
                        };
                        let r = &file.references[p.item as usize];
                        // A type alias naming the class (`type
                        // PartialObserver = NextObserver | …`): a value
                        // of the alias may be one of the class.
                        if let Some(alias) = file.definitions.get(r.enclosing as usize)
                            && alias.kind == SymbolKind::TypeAlias
                            && seen.insert(file.def_name(alias))
                        {
                            next.push(file.def_name(alias));
                        }
                        if r.kind != RefKind::Implementation {
                            continue;
                        }
                        // The classes this file declares with `class` as
                        // a base.
                        // An override is what a value of such a class
                        // calls: those are left out, and their own
                        // subclasses with them.
                        for rel in &file.relations {
                            let implementor = file.str(rel.implementor);
                            if last_container_segment(file.str(rel.supertype)) == class
                                && !defines_member(file, implementor, member)
                            {
                                let sub = last_container_segment(implementor);
                                if seen.insert(sub) {
                                    next.push(sub);
                                }
                            }
                        }
                    }
                }
                classes = next;
                level += 1;
            }
            Lineage { files, names: seen }
        })
    }

    /// Whether the project's class `name` holds the definitions asked or
    /// inherits them, through the project's classes: `None` when the
    /// project has no class of that name (a library's, or no class at all).
    fn inherits_asked(&mut self, name: &'i str) -> Option<bool> {
        if let Some(&known) = self.inherits.get(name) {
            return known;
        }
        let index = self.index;
        let mut frontier: Vec<String> = vec![name.to_string()];
        let mut seen: FxHashSet<String> = FxHashSet::default();
        let mut answer = None;
        'levels: for level in 0..=MAX_BASE_DEPTH {
            let mut next = Vec::new();
            for class in frontier {
                if self.targets.containers.contains(class.as_str()) {
                    answer = Some(true);
                    break 'levels;
                }
                if !seen.insert(class.clone()) {
                    continue;
                }
                for p in index.definition_postings(&class, None, &SymbolFilter::default()) {
                    let Some((file, def)) = index.def(p) else {
                        continue;
                    };
                    if !def.kind.is_type_like() {
                        continue;
                    }
                    if level == 0 {
                        answer = Some(false);
                    }
                    let qualified = file.qualified_name(def);
                    // A base between that defines the member itself
                    // overrides it: what its own bases hold is not what the
                    // class has.
                    if level > 0 && defines_member(file, &qualified, &self.name) {
                        continue;
                    }
                    next.extend(bases(file, &qualified).map(str::to_string));
                }
            }
            if answer.is_none() {
                break;
            }
            frontier = next;
        }
        self.inherits.insert(name, answer);
        answer
    }

    /// The grade of the use `r` in `file`, or `None` when it is not a use of
    /// the definitions asked: written in a language that cannot reach them,
    /// bound to another definition of the name, or reached through a module
    /// the project does not hold.
    fn grade(
        &mut self,
        file_id: FileId,
        file: &'i FileSymbols,
        r: &'i Reference,
    ) -> Option<Resolution> {
        if !self.families.is_empty()
            && !file
                .language
                .is_some_and(|l| self.families.contains(&l.family()))
        {
            return None;
        }
        if !self.targets.reachable(file, r) {
            return None;
        }
        // A literal's member is its built-in type's.
        if file.str(r.receiver) == LITERAL_RECEIVER {
            return None;
        }
        // A class or function defined in a function is named only there.
        if self.targets.all_local && !self.targets.inside_their_function(file_id, file, r) {
            return None;
        }
        let typed = self.receiver_type(file_id, file, r);
        let receiver = typed.unwrap_or(file.str(r.receiver));
        // Where locals are known, a receiver that is a plain name is a
        // module-level one (a class, a module), not a local.
        let locals_known = file.language.is_some_and(|l| !l.uses_query().is_empty());
        // A top-level function is not a member of a value: `x.entries()`
        // with `x` a local or an expression, `self.f()`, is another's.
        if self.targets.functions_only && locals_known && is_value_receiver(receiver) {
            return None;
        }
        // `School.objects` where more than one class `School` has the
        // member: the one the file defines or imports decides.
        if is_plain_name(receiver)
            && self.targets.containers.contains(receiver)
            && self.others.containers.contains(receiver)
        {
            let holds = |targets: &Targets, home: FileId| {
                targets.by_file.get(&home).is_some_and(|defs| {
                    defs.iter()
                        .any(|&(container, _)| last_container_segment(container) == receiver)
                })
            };
            return match self.type_home(file_id, file, receiver) {
                Some(home) if holds(&self.targets, home) => Some(Resolution::Resolved),
                Some(home) if holds(&self.others, home) => None,
                // A class of that name with the member from a base: ours
                // only through a base that holds it.
                Some(home) => self
                    .index
                    .file(home)
                    .is_some_and(|f| {
                        bases(f, receiver).any(|b| self.targets.containers.contains(b))
                    })
                    .then_some(Resolution::Candidate),
                None => Some(Resolution::Candidate),
            };
        }
        let grade = self
            .targets
            .grade(self.index, file_id, file, r, receiver, &mut self.imports);
        if grade == Resolution::Resolved {
            return Some(grade);
        }
        // `super().x` in a class none of whose bases holds or inherits the
        // member asked (`ast.NodeVisitor`, or a project class of other
        // lineage): another's member.
        let class = self_class(file, r);
        if receiver == "super" {
            let bases: Vec<&'i str> = bases(file, class).collect();
            if !bases.is_empty()
                && !bases
                    .into_iter()
                    .any(|b| self.inherits_asked(b) == Some(true))
            {
                return None;
            }
        }
        // `self.x` in a project class that neither holds the member asked
        // nor inherits it through the project's classes: its own, or a
        // library base's.
        if !self.targets.containers.is_empty()
            && SELF_RECEIVERS.contains(&receiver)
            && !class.is_empty()
            && self.inherits_asked(last_container_segment(class)) == Some(false)
        {
            return None;
        }
        // `Child.objects`, where `Child` is a class the file defines or
        // imports that neither holds the member asked nor inherits it:
        // `Child`'s own. Only where locals are told apart from such names
        // (a local `e` in Rust is no class `e`).
        // A value of a type the project writes (`x = make()` with `make`
        // declared to return `Child`) is alike.
        if !self.targets.containers.is_empty()
            && (typed.is_some() || (locals_known && is_plain_name(receiver)))
            && self.inherits_asked(last_container_segment(receiver)) == Some(false)
            && (typed.is_some() || self.type_home(file_id, file, receiver).is_some())
        {
            return None;
        }
        // A value of a project type alias that names no class of the
        // members' lineage (`other: IMapInitialValues`, a union of other
        // types): another's.
        if !self.targets.containers.is_empty()
            && (typed.is_some() || locals_known)
            && is_plain_name(receiver)
            && self.is_alias_only(receiver)
            && !self.lineage().names.contains(receiver)
        {
            return None;
        }
        // A member reached through a name the project never defines, where
        // locals are known: a library's value, module or type (`str.join`,
        // `document.title`, `xhr: XMLHttpRequest`), not a member of the
        // project's classes. Names like type parameters (`T`, `TValue`)
        // may stand for one of those: left alone.
        // In Go such a name is a package (a project package whose import
        // path did not resolve stays a candidate).
        let named = receiver.strip_suffix(CALL_SUFFIX).unwrap_or(receiver);
        if !self.targets.containers.is_empty()
            && locals_known
            && file.language != Some(Language::Go)
            && is_plain_name(named)
            && !self.index.defs.contains_key(named)
            && !looks_like_type_parameter(named)
        {
            return None;
        }
        if !self.others.is_empty()
            && self.others.grade(
                self.index,
                file_id,
                file,
                r,
                receiver,
                &mut self.imports_others,
            ) == Resolution::Resolved
        {
            return None;
        }
        // `os.path.join`, `fmt.Println`, `Math.max`: not the project's.
        let index = self.index;
        if self
            .external
            .entry(file_id)
            .or_insert_with(|| index.external_modules(file))
            .contains(first_segment(receiver))
        {
            return None;
        }
        // A member of a name defined elsewhere too, reached through a value
        // of unknown type in a file with no import path to these.
        if !self.others.is_empty() && !r.receiver.is_empty() && !self.near(file_id) {
            return Some(Resolution::Distant);
        }
        // A member of a name defined elsewhere too, reached through a value
        // of unknown type in a file that names none of the classes holding
        // these members or inheriting them: such a value is most likely
        // another class's (or a library's: `f.close()`, `m.get(k)`).
        if !self.others.is_empty()
            && !self.targets.containers.is_empty()
            && !r.receiver.is_empty()
            && !self.names_lineage(file_id)
        {
            return Some(Resolution::Distant);
        }
        // A key of an untyped object literal (`f({ type: 1 })`) is a
        // member use of a name defined more than once only beside one of
        // these definitions.
        if !self.others.is_empty()
            && receiver == OBJECT_RECEIVER
            && !self.targets.by_file.contains_key(&file_id)
        {
            return Some(Resolution::Distant);
        }
        Some(grade)
    }
}

/// The class `self`/`this` means at the use `r`: the container of the
/// function around it, or of the outermost function around that one (a
/// closure or arrow function in a method sees the method's `this`); empty
/// outside any class.
fn self_class<'f>(file: &'f FileSymbols, r: &Reference) -> &'f str {
    let Some(mut def) = file.definitions.get(r.enclosing as usize) else {
        return "";
    };
    while let Some(parent) = file.definitions.get(def.parent as usize)
        && parent.kind.is_callable()
    {
        def = parent;
    }
    file.str(def.container)
}

/// Whether a name reads like a generic type parameter: `T`, `K2`,
/// `TValue`.
fn looks_like_type_parameter(name: &str) -> bool {
    let mut chars = name.chars();
    match (chars.next(), chars.next()) {
        (Some(first), None) => first.is_ascii_uppercase(),
        (Some(first), Some(second)) => {
            first.is_ascii_uppercase()
                && (second.is_ascii_digit() || (first == 'T' && second.is_ascii_uppercase()))
        }
        _ => false,
    }
}

/// Whether `file` may pass on the name `name` that another file imports
/// from it: it imports the name itself (`from .base import Model` in a
/// package's `__init__.py`, `export { x } from './x'`), or it defines
/// nothing and only gathers modules (`export * from './x'`).
fn may_reexport(file: &FileSymbols, name: &str) -> bool {
    file.definitions.is_empty() && !file.imports.is_empty()
        || file
            .references
            .iter()
            .any(|r| r.kind == RefKind::Import && file.str(r.name) == name)
}

/// Whether a receiver is a value rather than a name: an expression, an
/// object literal, `self`/`this`, `super`.
fn is_value_receiver(receiver: &str) -> bool {
    receiver == COMPLEX_RECEIVER
        || receiver == LITERAL_RECEIVER
        || receiver.ends_with(CALL_SUFFIX)
        || receiver == OBJECT_RECEIVER
        || receiver == "super"
        || SELF_RECEIVERS.contains(&receiver)
}

/// Whether a receiver is one plain name (`School`, `api`), neither a path
/// nor a value.
fn is_plain_name(receiver: &str) -> bool {
    !receiver.is_empty()
        && last_container_segment(receiver) == receiver
        && !is_value_receiver(receiver)
}

/// Whether the qualified name `inner` is `outer` or inside it.
fn within(inner: &str, outer: &str) -> bool {
    inner
        .strip_prefix(outer)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', ':', '\\']))
}

/// The direct bases of the class `class` (qualified) that `file` declares:
/// the last segment of each (`Model` of `models.Model`).
fn bases<'f>(file: &'f FileSymbols, class: &'f str) -> impl Iterator<Item = &'f str> + 'f {
    file.relations
        .iter()
        .filter(move |rel| !class.is_empty() && file.str(rel.implementor) == class)
        .map(|rel| last_container_segment(file.str(rel.supertype)))
}

/// Whether `file` defines `name` as a member of the class `class`.
fn defines_member(file: &FileSymbols, class: &str, name: &str) -> bool {
    file.definitions
        .iter()
        .any(|d| file.str(d.name) == name && file.str(d.container) == class)
}

/// How many files deep an imported name is followed through re-exports.
const MAX_REEXPORTS: usize = 3;

/// How many levels of bases a class is followed up to find where a member
/// it is used with comes from.
const MAX_BASE_DEPTH: usize = 4;

/// JavaScript's built-in objects: `Math.max` is never a project's `max`.
const JS_BUILTIN_OBJECTS: &[&str] = &[
    "Math",
    "Object",
    "JSON",
    "Array",
    "Promise",
    "Reflect",
    "Number",
    "String",
    "Symbol",
    "console",
    "Date",
    "Atomics",
    "Function",
    "Intl",
    "globalThis",
    "window",
    "document",
    "process",
];

/// Languages whose imports name what they bring into a file.
fn imports_by_name(lang: Language) -> bool {
    matches!(
        lang,
        Language::Python | Language::JavaScript | Language::TypeScript | Language::Tsx
    )
}

/// Languages in which a bare name inside a type's body means its member.
fn has_implicit_this(lang: Language) -> bool {
    matches!(
        lang,
        Language::Java
            | Language::CSharp
            | Language::Cpp
            | Language::Kotlin
            | Language::Scala
            | Language::Swift
            | Language::Ruby
    )
}

/// `os` of `os.path`, `geo` of `geo::Shape`.
fn first_segment(receiver: &str) -> &str {
    receiver
        .split(['.', ':'])
        .find(|s| !s.is_empty())
        .unwrap_or(receiver)
}

/// `Shape` of `geo::Shape` or `pkg.Shape`.
fn last_container_segment(container: &str) -> &str {
    container
        .rsplit(['.', ':', '\\'])
        .find(|s| !s.is_empty())
        .unwrap_or(container)
}

/// A definition and the definitions nested in it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OutlineNode {
    #[serde(flatten)]
    pub symbol: Symbol,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<OutlineNode>,
}

/// Outlines deeper than this are flattened into their deepest shown level.
pub const MAX_OUTLINE_DEPTH: usize = 32;

/// What stands at a position in a file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SymbolAt {
    pub path: String,
    pub line: u32,
    pub column: u32,
    /// The identifier under the position, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identifier: Option<String>,
    /// The innermost definition containing the position.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enclosing: Option<Symbol>,
    /// The definition whose name is under the position.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub defines: Option<Symbol>,
    /// The kind of reference under the position.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference_kind: Option<RefKind>,
}

/// One edge of a call graph: `from` calls `to` on `lines` of `path`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CallEdge {
    /// 1 for direct callers (or callees), 2 for theirs, and so on.
    pub depth: u8,
    /// The calling function's qualified name, or `<top level>`.
    pub from: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_symbol: Option<Symbol>,
    /// The name called.
    pub to: String,
    /// The called definition, when one is found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_symbol: Option<Symbol>,
    /// The file holding the calls.
    pub path: String,
    pub lines: Vec<u32>,
    /// Whether these calls are bound to the callee's definition asked
    /// (callers) or found (callees), or only share its name.
    pub resolution: Resolution,
}

/// Restrictions on a call graph.
#[derive(Clone, Debug, Default)]
pub struct CallFilter {
    /// Only edges of this grade; when `None`, the resolved and the
    /// candidates, and the distant too with `include_distant`. Deeper levels
    /// follow the resolved edges whatever it is.
    pub resolution: Option<Resolution>,
    pub include_distant: bool,
    /// Only the calls of (or from) the definitions in this file, when
    /// several share the name.
    pub defined_in: Option<String>,
}

/// A call as bound by [`Index::callees`]: the name, the definition, the grade.
type BoundCall<'a> = (&'a str, Option<Posting>, Resolution);

/// A callee defined more often than this is not bound call by call.
const MAX_BOUND_TARGETS: usize = 32;

/// Callers or callees of a function.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CallGraph {
    pub name: String,
    pub depth: u8,
    pub total: usize,
    /// How many of `total` edges are resolved; they come first in each level.
    pub resolved: usize,
    /// [`Resolution::Distant`] edges the filter left out (by default).
    pub distant_left_out: usize,
    pub offset: usize,
    pub limit: usize,
    pub edges: Vec<CallEdge>,
}

impl CallGraph {
    fn paged(name: &str, depth: u8, edges: Vec<CallEdge>, page: PageRequest) -> CallGraph {
        CallGraph {
            distant_left_out: 0,
            name: name.to_string(),
            depth,
            total: edges.len(),
            resolved: edges
                .iter()
                .filter(|e| e.resolution == Resolution::Resolved)
                .count(),
            offset: page.offset,
            limit: page.limit,
            edges: edges
                .into_iter()
                .skip(page.offset)
                .take(page.limit)
                .collect(),
        }
    }
}

/// The deepest call graph a query may ask for.
pub const MAX_CALL_DEPTH: u8 = 3;

/// A type that extends or implements another.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TypeRelation {
    /// The subtype's qualified name.
    pub implementor: String,
    /// The supertype's name.
    pub supertype: String,
    /// The definition on the other side of the relation, when found: the
    /// implementor in `implementations`, the supertype in `supertypes`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub symbol: Option<Symbol>,
    /// Where the relation is declared.
    pub path: String,
    pub line: u32,
}

/// Implementations of a type and its supertypes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Implementations {
    pub name: String,
    pub implementations: Vec<TypeRelation>,
    pub supertypes: Vec<TypeRelation>,
}

/// One import of a file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ImportHit {
    pub module: String,
    pub line: u32,
    /// Indexed files the import resolves to (empty for external modules).
    pub resolved: Vec<String>,
}

/// A file that imports a module or file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DependentHit {
    pub path: String,
    pub line: u32,
    pub module: String,
}

/// A file of the index, as listings show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileEntry {
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<Language>,
    pub size: u64,
    /// Why the file was listed but not parsed, if it was not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<crate::model::SkipReason>,
    pub definitions: usize,
}

/// An entry of a directory listing, relative to the listed directory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DirEntry {
    /// Ends in `/` for a directory.
    pub path: String,
    /// For a directory, the indexed files anywhere below it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub files: Option<u64>,
}

/// Where several definitions share a name, how close each is to the asking file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Proximity {
    /// Inside the function that holds the asking line.
    Enclosing,
    SameFile,
    Imported,
    SameDirectory,
    Elsewhere,
    /// Inside a function of the asking file that does not hold the asking
    /// line: out of its reach.
    OutOfScope,
}

/// Splits `Foo::bar`, `pkg.Class.method`, `Foo#bar` or `A\B` into container and name.
pub fn split_qualified(name: &str) -> (&str, &str) {
    let name = name.trim();
    let cut = ["::", "#", "\\", "."]
        .iter()
        .filter_map(|sep| name.rfind(sep).map(|i| (i, sep.len())))
        .max_by_key(|&(i, _)| i);
    match cut {
        Some((i, len)) if i > 0 && i + len < name.len() => (&name[..i], &name[i + len..]),
        _ => ("", name),
    }
}

/// Container names compared across separators: `a::b`, `a.b` and `a\b` are equal.
fn normalize_container(c: &str) -> String {
    c.replace("::", ".").replace(['\\', '#', '/'], ".")
}

/// Whether `container` ends with the qualifier the user wrote.
fn container_matches(container: &str, qualifier: &str) -> bool {
    if qualifier.is_empty() {
        return true;
    }
    let c = normalize_container(container);
    let q = normalize_container(qualifier);
    c == q || c.ends_with(&format!(".{q}"))
}

fn kind_rank(kind: SymbolKind) -> u8 {
    match kind {
        SymbolKind::Class
        | SymbolKind::Struct
        | SymbolKind::Interface
        | SymbolKind::Trait
        | SymbolKind::Enum
        | SymbolKind::Union => 0,
        SymbolKind::Function | SymbolKind::Method | SymbolKind::Constructor => 1,
        SymbolKind::Module => 2,
        SymbolKind::TypeAlias | SymbolKind::Macro => 3,
        SymbolKind::Constant => 4,
        SymbolKind::EnumMember | SymbolKind::Property | SymbolKind::Field => 5,
        SymbolKind::Variable => 6,
    }
}

/// The most typos a fuzzy match forgives for a query of this many characters.
fn allowed_typos(len: usize) -> usize {
    match len {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

impl Index {
    fn def(&self, p: Posting) -> Option<(&FileSymbols, &Definition)> {
        let file = self.file(p.file)?;
        Some((file, file.definitions.get(p.item as usize)?))
    }

    fn symbol(&self, p: Posting) -> Option<Symbol> {
        self.def(p).map(|(f, d)| Symbol::of(f, d))
    }

    /// Finds definitions whose name matches `query`: exactly, by prefix, by
    /// substring, or fuzzily (letters left out, or a typo or two), ignoring case.
    /// Fuzzy matches are looked for only when nothing matches otherwise.
    /// Ranked exact > prefix > substring > fuzzy, then exact case first, then
    /// shorter names, types and functions before fields and variables.
    /// `Foo::bar` or `Foo.bar` also requires the container to end with `Foo`.
    pub fn search_symbols(
        &self,
        query: &str,
        filter: &SymbolFilter,
        page: PageRequest,
    ) -> Page<SymbolMatch> {
        let (qualifier, name) = split_qualified(query);
        if name.is_empty() {
            return page.slice(Vec::new());
        }
        // Names never hold line breaks; the table separates them with one.
        let lower = name.to_lowercase().replace('\n', "");
        if lower.is_empty() {
            return page.slice(Vec::new());
        }
        let mut matcher = Matcher::new(Config::DEFAULT);
        let atom = Atom::new(
            &lower,
            CaseMatching::Ignore,
            Normalization::Smart,
            AtomKind::Fuzzy,
            false,
        );
        let typos = allowed_typos(lower.chars().count());
        let mut buf = Vec::new();

        // What a name contributes to the rank of each of its definitions,
        // most significant first: match kind, case mismatch, score (lower is
        // better), length.
        type NameKey = (MatchKind, bool, i64, usize);
        let name_key = |kind: MatchKind, score: i64, text: &str| -> NameKey {
            (kind, text != name, score, text.len())
        };
        let table = self.names();
        let mut names: Vec<(NameKey, &str, &Postings)> = Vec::new();
        // Exact, prefix and substring matches first: one SIMD scan of all
        // names, lower-cased, laid end to end.
        let mut matched = vec![false; table.len()];
        let mut found = 0usize;
        for at in memchr::memmem::find_iter(&table.lower, lower.as_bytes()) {
            let i = table.name_at(at);
            if std::mem::replace(&mut matched[i], true) {
                continue;
            }
            let start = table.lower_starts[i] as usize;
            let kind = if at != start {
                MatchKind::Substring
            } else if table.lower(i).len() == lower.len() {
                MatchKind::Exact
            } else {
                MatchKind::Prefix
            };
            let text = table.name(i);
            if let Some((key, postings)) = self.defs.get_key_value(text) {
                names.push((name_key(kind, 0, key), key, postings));
                found += postings.len();
            }
        }
        // Fuzzy matches (letters left out, typos) only when nothing else
        // matches: scoring every name is what makes a search slow.
        if found == 0 && lower.len() >= 2 {
            for i in (0..table.len()).filter(|&i| !matched[i]) {
                let text = table.name(i);
                let subsequence = atom.score(Utf32Str::new(text, &mut buf), &mut matcher);
                let score = match subsequence {
                    Some(score) => -(score as i64),
                    None if typos > 0 && text.len().abs_diff(lower.len()) <= typos => {
                        let name_lower = String::from_utf8_lossy(table.lower(i));
                        let distance = strsim::osa_distance(&name_lower, &lower);
                        if distance > typos {
                            continue;
                        }
                        1000 * distance as i64
                    }
                    None => continue,
                };
                if let Some((key, postings)) = self.defs.get_key_value(text) {
                    names.push((name_key(MatchKind::Fuzzy, score, key), key, postings));
                }
            }
        }

        struct Hit<'a> {
            key: (MatchKind, bool, i64, usize, u8, &'a str, u32),
            posting: Posting,
        }
        let mut hits: Vec<Hit> = Vec::new();
        let wanted = page.offset.saturating_add(page.limit);
        let unfiltered = filter.kinds.is_empty()
            && filter.language.is_none()
            && filter.glob.is_none()
            && qualifier.is_empty();
        let mut total = None;
        if unfiltered {
            // Every definition counts: the total needs no look at them, and
            // the page only the best names' definitions. Names are ranked
            // before their definitions, so whole tiers of equal name keys are
            // taken until the page is covered.
            total = Some(names.iter().map(|n| n.2.len()).sum::<usize>());
            names.sort_unstable_by_key(|n| n.0);
            let mut covered = 0;
            let mut end = 0;
            while end < names.len() && covered < wanted {
                let tier = names[end].0;
                while end < names.len() && names[end].0 == tier {
                    covered += names[end].2.len();
                    end += 1;
                }
            }
            names.truncate(end);
        }
        for ((kind, case_mismatch, score, len), _, postings) in names {
            for &p in postings {
                let Some((file, def)) = self.def(p) else {
                    continue;
                };
                if !filter.accepts(file, def)
                    || !container_matches(file.str(def.container), qualifier)
                {
                    continue;
                }
                hits.push(Hit {
                    key: (
                        kind,
                        case_mismatch,
                        score,
                        len,
                        kind_rank(def.kind),
                        &file.path,
                        def.span.start_line,
                    ),
                    posting: p,
                });
            }
        }
        // Only the requested page needs ordering: select it, then sort it.
        let total = total.unwrap_or(hits.len());
        let wanted = wanted.min(hits.len());
        if wanted > 0 && wanted < total {
            hits.select_nth_unstable_by(wanted - 1, |a, b| a.key.cmp(&b.key));
            hits.truncate(wanted);
        }
        hits.sort_unstable_by(|a, b| a.key.cmp(&b.key));
        let items = hits
            .iter()
            .skip(page.offset)
            .take(page.limit)
            .filter_map(|h| {
                Some(SymbolMatch {
                    symbol: self.symbol(h.posting)?,
                    match_kind: h.key.0,
                })
            })
            .collect();
        page.wrap(total, items)
    }

    /// Postings of the definitions of `name` (`bar`, `Foo::bar`, `pkg.Foo.bar`),
    /// ranked by proximity to `context` (a root-relative path), then
    /// definitions with bodies before declarations, then path.
    fn definition_postings(
        &self,
        name: &str,
        context: Option<&str>,
        filter: &SymbolFilter,
    ) -> Vec<Posting> {
        let (qualifier, base) = split_qualified(name);
        // Exact names only: a case-insensitive lookup would scan every name
        // (search_symbols does that, and ranks exact-case matches first).
        let mut postings: Vec<Posting> =
            self.defs.get(base).map(|p| p.to_vec()).unwrap_or_default();
        postings.retain(|&p| {
            self.def(p).is_some_and(|(file, def)| {
                filter.accepts(file, def) && container_matches(file.str(def.container), qualifier)
            })
        });
        let ranker = ProximityRanker::new(self, context, base);
        postings.sort_by_cached_key(|&p| {
            let (file, def) = self.def(p).expect("retained postings are live");
            (
                ranker.rank(p.file, file, def),
                std::cmp::Reverse(def.span.line_count().min(2)),
                file.path.clone(),
                def.span.start_line,
            )
        });
        postings
    }

    /// Where `name` is defined, spelled exactly (`search_symbols` ignores
    /// case). `context`, a path relative to the root, ranks definitions near
    /// it first.
    pub fn definitions(
        &self,
        name: &str,
        context: Option<&str>,
        filter: &SymbolFilter,
        page: PageRequest,
    ) -> Page<Symbol> {
        let postings = self.definition_postings(name, context, filter);
        let total = postings.len();
        let items = postings
            .iter()
            .skip(page.offset)
            .take(page.limit)
            .filter_map(|&p| self.symbol(p))
            .collect();
        page.wrap(total, items)
    }

    /// The language family of a file's code, if it has a language.
    fn family_of(&self, file: FileId) -> Option<Family> {
        self.file(file)?.language.map(Language::family)
    }

    /// Where `name` (the last segment of a qualified name) is used, grouped by
    /// file, each with its line of source.
    pub fn references(
        &self,
        name: &str,
        filter: &ReferenceFilter,
        page: PageRequest,
    ) -> ReferencesPage {
        let (_, base) = split_qualified(name);
        // Uses in a language that cannot refer to the project's definitions
        // of the name are not its references.
        let mut asked = self.definition_postings(name, None, &SymbolFilter::default());
        if let Some(place) = &filter.defined_in {
            self.keep_defined_in(&mut asked, place);
            if asked.is_empty() {
                return ReferencesPage {
                    total: 0,
                    resolved: 0,
                    distant_left_out: 0,
                    offset: page.offset,
                    limit: page.limit,
                    files: Vec::new(),
                    overrides: Vec::new(),
                    overrides_total: 0,
                };
            }
        }
        // A constructor is used where its class is instantiated (`Foo()`,
        // `new Foo()`): those calls are graded against the class.
        let classes = self.constructed_classes(&asked);
        let mut grader = Grader::new(self, asked.clone(), base);
        let mut overrides = self.overrides_of(&mut grader, &asked, base);
        let overrides_total = overrides.len();
        overrides.truncate(MAX_OVERRIDES);
        let mut distant_left_out = 0;
        let mut hits: Vec<(Resolution, &str, u32, u32, Posting)> = Vec::new();
        let mut sources = vec![(base, grader, false)];
        sources.extend(
            classes
                .into_iter()
                .map(|(class, postings)| (class, Grader::new(self, postings, class), true)),
        );
        for (name, grader, calls_only) in &mut sources {
            let calls_only = *calls_only;
            hits.extend(self.refs.get(*name).into_iter().flatten().filter_map(|&p| {
                let file = self.file(p.file)?;
                let r = file.references.get(p.item as usize)?;
                let keep = (filter.kinds.is_empty() || filter.kinds.contains(&r.kind))
                    && (!calls_only || r.kind == RefKind::Call)
                    && filter.glob.as_ref().is_none_or(|g| g.is_match(&file.path));
                if !keep {
                    return None;
                }
                let grade = grader.grade(p.file, file, r)?;
                if !wants(filter.resolution, filter.include_distant, grade) {
                    distant_left_out += usize::from(grade == Resolution::Distant);
                    return None;
                }
                Some((grade, file.path.as_str(), r.line, r.col, p))
            }));
        }
        hits.sort_unstable();
        hits.dedup_by(|a, b| (a.1, a.2, a.3) == (b.1, b.2, b.3));
        let total = hits.len();
        let resolved = hits.iter().filter(|h| h.0 == Resolution::Resolved).count();
        let mut files: Vec<FileReferences> = Vec::new();
        let mut lines = SourceLines::new(self);
        for &(resolution, path, line, col, p) in hits.iter().skip(page.offset).take(page.limit) {
            let file = self.file(p.file).expect("live posting");
            let r = &file.references[p.item as usize];
            let enclosing = (r.enclosing != NONE)
                .then(|| file.qualified_name(&file.definitions[r.enclosing as usize]));
            let hit = ReferenceHit {
                line,
                column: col,
                kind: r.kind,
                enclosing,
                text: lines.line(path, line),
                resolution,
            };
            match files.last_mut() {
                Some(group)
                    if group.path == path
                        && group.references.last().map(|h| h.resolution) == Some(resolution) =>
                {
                    group.references.push(hit)
                }
                _ => files.push(FileReferences {
                    path: path.to_string(),
                    references: vec![hit],
                }),
            }
        }
        ReferencesPage {
            total,
            resolved,
            distant_left_out,
            offset: page.offset,
            limit: page.limit,
            files,
            overrides,
            overrides_total,
        }
    }

    /// The other definitions of `base` that are members of classes
    /// inheriting (through the project's classes) those of the asked
    /// members: their overrides and implementations.
    fn overrides_of<'i>(
        &'i self,
        grader: &mut Grader<'i>,
        asked: &[Posting],
        base: &str,
    ) -> Vec<OverrideSite> {
        if grader.targets.containers.is_empty() {
            return Vec::new();
        }
        let others: Vec<Posting> = self
            .defs
            .get(base)
            .into_iter()
            .flatten()
            .copied()
            .filter(|p| !asked.contains(p))
            .collect();
        let mut sites: Vec<OverrideSite> = others
            .into_iter()
            .filter_map(|p| {
                let (file, def) = self.def(p)?;
                let class = last_container_segment(file.str(def.container));
                (!class.is_empty()
                    && !grader.targets.containers.contains(class)
                    && grader.inherits_asked(class) == Some(true))
                .then(|| OverrideSite {
                    path: file.path.clone(),
                    line: def.name_line,
                    qualified_name: file.qualified_name(def),
                })
            })
            .collect();
        sites.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
        sites
    }

    /// For definitions that are all constructors (`__init__`,
    /// `constructor`, named otherwise than their class), the classes they
    /// construct, by name.
    fn constructed_classes(&self, asked: &[Posting]) -> Vec<(&str, Vec<Posting>)> {
        let mut classes: Vec<(&str, Vec<Posting>)> = Vec::new();
        for &p in asked {
            let Some((file, def)) = self.def(p) else {
                return Vec::new();
            };
            let Some(class) = file.definitions.get(def.parent as usize) else {
                return Vec::new();
            };
            let class_name = file.def_name(class);
            if def.kind != SymbolKind::Constructor
                || !class.kind.is_type_like()
                || class_name == file.def_name(def)
            {
                return Vec::new();
            }
            let posting = Posting {
                file: p.file,
                item: def.parent,
            };
            match classes.iter_mut().find(|(name, _)| *name == class_name) {
                Some((_, postings)) => postings.push(posting),
                None => classes.push((class_name, vec![posting])),
            }
        }
        classes
    }

    fn indexed_file(&self, path: &str) -> Result<(FileId, &FileSymbols), QueryError> {
        let path = path.trim_start_matches("./");
        let id = self
            .file_id(path)
            .ok_or_else(|| QueryError::UnknownFile(path.to_string()))?;
        Ok((id, self.file(id).expect("by_path points at live files")))
    }

    /// The definitions of a file as a tree, in source order.
    pub fn file_outline(&self, path: &str) -> Result<Vec<OutlineNode>, QueryError> {
        let (_, file) = self.indexed_file(path)?;
        let defs = &file.definitions;
        // Depth of each definition, capped, and the parent it is shown under.
        let mut shown_parent: Vec<u32> = vec![NONE; defs.len()];
        let mut depth: Vec<usize> = vec![0; defs.len()];
        for (i, def) in defs.iter().enumerate() {
            let mut parent = def.parent;
            // Parents come before children, so their depth is known.
            while parent != NONE
                && (parent as usize) < i
                && depth[parent as usize] >= MAX_OUTLINE_DEPTH
            {
                parent = shown_parent[parent as usize];
            }
            if parent != NONE && (parent as usize) < i {
                shown_parent[i] = parent;
                depth[i] = depth[parent as usize] + 1;
            }
        }
        // Build bottom-up without recursion: children have larger indices.
        let mut nodes: Vec<Option<OutlineNode>> = defs
            .iter()
            .map(|d| {
                Some(OutlineNode {
                    symbol: Symbol::of(file, d),
                    children: Vec::new(),
                })
            })
            .collect();
        for i in (0..defs.len()).rev() {
            let parent = shown_parent[i];
            if parent != NONE {
                let node = nodes[i].take().expect("each node moves once");
                nodes[parent as usize]
                    .as_mut()
                    .expect("parents are moved after their children")
                    .children
                    .push(node);
            }
        }
        let mut roots: Vec<OutlineNode> = nodes.into_iter().flatten().collect();
        // Children were pushed last-first; restore source order at every level.
        let mut stack: Vec<&mut OutlineNode> = roots.iter_mut().collect();
        while let Some(node) = stack.pop() {
            node.children.reverse();
            stack.extend(node.children.iter_mut());
        }
        Ok(roots)
    }

    /// The innermost definition containing a position, and the identifier
    /// under it. Lines and columns are 1-based; without a column, the first
    /// identifier on the line is taken.
    pub fn symbol_at(
        &self,
        path: &str,
        line: u32,
        column: Option<u32>,
    ) -> Result<SymbolAt, QueryError> {
        let (_, file) = self.indexed_file(path)?;
        if line == 0 || (file.lines > 0 && line > file.lines) {
            return Err(QueryError::InvalidArgument(format!(
                "line {line} is outside {path}, which has {} lines",
                file.lines
            )));
        }
        let text = SourceLines::new(self).raw_line(&file.path, line);
        let column = match column {
            Some(c) => c.max(1),
            None => text
                .char_indices()
                .find(|(_, c)| is_ident_char(*c))
                .map_or(1, |(i, _)| i as u32 + 1),
        };
        // Nested definitions start later and end sooner than their containers.
        let enclosing = file.innermost_at(line, Some(column));
        let defines = file.definitions.iter().find(|d| {
            d.name_line == line && (d.name_col..d.name_col + d.name.len.max(1)).contains(&column)
        });
        let reference = file
            .references
            .iter()
            .find(|r| r.line == line && (r.col..r.col + r.name.len.max(1)).contains(&column));
        let identifier = defines
            .map(|d| file.str(d.name).to_string())
            .or_else(|| reference.map(|r| file.str(r.name).to_string()))
            .or_else(|| identifier_at(&text, column as usize));
        Ok(SymbolAt {
            path: file.path.clone(),
            line,
            column,
            identifier,
            enclosing: enclosing.map(|d| Symbol::of(file, d)),
            defines: defines.map(|d| Symbol::of(file, d)),
            reference_kind: reference.map(|r| r.kind),
        })
    }

    /// The callable definitions a call graph starts from: those of `name`
    /// (all of them when none is callable, as a class called to construct
    /// it), only those in `defined_in` when a file is named.
    fn call_roots(&self, name: &str, defined_in: Option<&str>) -> Vec<Posting> {
        let all = self.definition_postings(name, None, &SymbolFilter::default());
        let callable: Vec<Posting> = all
            .iter()
            .copied()
            .filter(|&p| self.def(p).is_some_and(|(_, d)| d.kind.is_callable()))
            .collect();
        let mut roots = if callable.is_empty() { all } else { callable };
        if let Some(place) = defined_in {
            self.keep_defined_in(&mut roots, place);
        }
        roots
    }

    /// Keeps the definitions at `place`: a file (`src/a.py`), or a line of one
    /// (`src/a.py:12`, the line of the name or the first line of the
    /// definition, as `find_definition` prints it) when the file holds
    /// several of the name.
    fn keep_defined_in(&self, postings: &mut Vec<Posting>, place: &str) {
        let place = place.trim_start_matches("./");
        let (path, line) = match place.rsplit_once(':') {
            Some((path, line))
                if self.file_id(place).is_none()
                    && !line.is_empty()
                    && line.bytes().all(|b| b.is_ascii_digit()) =>
            {
                (path, line.parse::<u32>().ok())
            }
            _ => (place, None),
        };
        postings.retain(|&p| {
            self.def(p).is_some_and(|(file, def)| {
                file.path == path
                    && line.is_none_or(|l| def.name_line == l || def.span.start_line == l)
            })
        });
    }

    /// Who calls `name`, and (with `depth` > 1) who calls those, up to
    /// [`MAX_CALL_DEPTH`]. Each call is graded as a reference is (see
    /// [`Resolution`]); a deeper level follows only the callers reached by a
    /// resolved call, each as the one definition it is. Calls outside any
    /// function have `from` = `<top level>`.
    pub fn callers(
        &self,
        name: &str,
        depth: u8,
        filter: &CallFilter,
        page: PageRequest,
    ) -> CallGraph {
        let depth = depth.clamp(1, MAX_CALL_DEPTH);
        let (_, base) = split_qualified(name);
        let roots = self.call_roots(name, filter.defined_in.as_deref());
        if roots.is_empty() && filter.defined_in.is_some() {
            return CallGraph::paged(name, depth, Vec::new(), page);
        }
        let mut seen: FxHashSet<Posting> = roots.iter().copied().collect();
        let mut edges: Vec<CallEdge> = Vec::new();
        let mut distant_left_out = 0;
        // The name called and the definitions it is asked for.
        let mut frontier: Vec<(String, Vec<Posting>)> = vec![(base.to_string(), roots)];
        for level in 1..=depth {
            let mut next = Vec::new();
            for (callee, asked) in frontier {
                let mut grader = Grader::new(self, asked, &callee);
                // (grade, path, file, enclosing) -> lines
                let mut groups: BTreeMap<(Resolution, &str, FileId, u32), Vec<u32>> =
                    BTreeMap::new();
                for &p in self.refs.get(callee.as_str()).into_iter().flatten() {
                    let Some(file) = self.file(p.file) else {
                        continue;
                    };
                    let Some(r) = file.references.get(p.item as usize) else {
                        continue;
                    };
                    if r.kind != RefKind::Call {
                        continue;
                    }
                    if let Some(grade) = grader.grade(p.file, file, r) {
                        groups
                            .entry((grade, file.path.as_str(), p.file, r.enclosing))
                            .or_default()
                            .push(r.line);
                    }
                }
                for ((grade, path, file_id, enclosing), mut lines) in groups {
                    lines.sort_unstable();
                    lines.dedup();
                    let file = self.file(file_id).expect("live");
                    let caller = (enclosing != NONE).then(|| &file.definitions[enclosing as usize]);
                    if let Some(def) = caller
                        && grade == Resolution::Resolved
                        && def.kind.is_callable()
                    {
                        let posting = Posting {
                            file: file_id,
                            item: enclosing,
                        };
                        if seen.insert(posting) {
                            next.push((file.str(def.name).to_string(), vec![posting]));
                        }
                    }
                    if !wants(filter.resolution, filter.include_distant, grade) {
                        distant_left_out += usize::from(grade == Resolution::Distant);
                        continue;
                    }
                    edges.push(CallEdge {
                        depth: level,
                        from: caller
                            .map_or_else(|| "<top level>".to_string(), |d| file.qualified_name(d)),
                        from_symbol: caller.map(|d| Symbol::of(file, d)),
                        to: callee.clone(),
                        to_symbol: None,
                        path: path.to_string(),
                        lines,
                        resolution: grade,
                    });
                }
            }
            frontier = next;
        }
        // Level by level, the resolved edges first.
        edges.sort_by_key(|e| (e.depth, e.resolution));
        CallGraph {
            distant_left_out,
            ..CallGraph::paged(name, depth, edges, page)
        }
    }

    /// What `name` calls, and (with `depth` > 1) what those call, up to
    /// [`MAX_CALL_DEPTH`]. Each call names the definition it binds to when
    /// its grade against one of the callee's definitions (in the caller's
    /// language family) is `resolved`; else the best guess, as a
    /// `candidate`. A deeper level follows resolved calls only.
    pub fn callees(
        &self,
        name: &str,
        depth: u8,
        filter: &CallFilter,
        page: PageRequest,
    ) -> CallGraph {
        let depth = depth.clamp(1, MAX_CALL_DEPTH);
        let mut frontier: Vec<Posting> = self
            .call_roots(name, filter.defined_in.as_deref())
            .into_iter()
            .filter(|&p| self.def(p).is_some_and(|(_, d)| d.kind.is_callable()))
            .collect();
        let mut seen: FxHashSet<Posting> = frontier.iter().copied().collect();
        let mut graders: FxHashMap<Posting, Grader> = FxHashMap::default();
        let mut edges: Vec<CallEdge> = Vec::new();
        let mut distant_left_out = 0;
        for level in 1..=depth {
            let mut next = Vec::new();
            for &caller in &frontier {
                let Some((file, def)) = self.def(caller) else {
                    continue;
                };
                let family = self.family_of(caller.file);
                // Lines by (callee, target, grade), in the order first called.
                let mut calls: Vec<(BoundCall, Vec<u32>)> = Vec::new();
                for r in &file.references {
                    if r.enclosing != caller.item || r.kind != RefKind::Call {
                        continue;
                    }
                    let callee = file.str(r.name);
                    let (target, grade) =
                        self.bind_call(caller.file, file, r, callee, family, &mut graders);
                    let key = (callee, target, grade);
                    match calls.iter_mut().find(|(k, _)| *k == key) {
                        Some((_, lines)) => lines.push(r.line),
                        None => calls.push((key, vec![r.line])),
                    }
                }
                for ((callee, target, grade), lines) in calls {
                    if let Some(t) = target
                        && grade == Resolution::Resolved
                        && self.def(t).is_some_and(|(_, d)| d.kind.is_callable())
                        && seen.insert(t)
                    {
                        next.push(t);
                    }
                    if !wants(filter.resolution, filter.include_distant, grade) {
                        distant_left_out += usize::from(grade == Resolution::Distant);
                        continue;
                    }
                    edges.push(CallEdge {
                        depth: level,
                        from: file.qualified_name(def),
                        from_symbol: Some(Symbol::of(file, def)),
                        to: callee.to_string(),
                        to_symbol: target.and_then(|t| self.symbol(t)),
                        path: file.path.clone(),
                        lines,
                        resolution: grade,
                    });
                }
            }
            frontier = next;
        }
        edges.sort_by_key(|e| (e.depth, e.resolution));
        CallGraph {
            distant_left_out,
            ..CallGraph::paged(name, depth, edges, page)
        }
    }

    /// The definition a call binds to: the first of the callee's definitions
    /// (in the caller's family, at most [`MAX_BOUND_TARGETS`] of them) for
    /// which the call grades `resolved`; else the best guess by name.
    fn bind_call<'i>(
        &'i self,
        file_id: FileId,
        file: &'i FileSymbols,
        r: &'i Reference,
        callee: &str,
        family: Option<Family>,
        graders: &mut FxHashMap<Posting, Grader<'i>>,
    ) -> (Option<Posting>, Resolution) {
        let targets: Vec<Posting> = self
            .definition_postings(callee, Some(&file.path), &SymbolFilter::default())
            .into_iter()
            .filter(|&p| family.is_none() || self.family_of(p.file) == family)
            .collect();
        if targets.len() <= MAX_BOUND_TARGETS {
            for &t in &targets {
                let grader = graders
                    .entry(t)
                    .or_insert_with(|| Grader::new(self, vec![t], callee));
                if grader.grade(file_id, file, r) == Some(Resolution::Resolved) {
                    return (Some(t), Resolution::Resolved);
                }
            }
        }
        let guess = targets
            .iter()
            .copied()
            .find(|&p| self.def(p).is_some_and(|(_, d)| d.kind.is_callable()))
            .or_else(|| targets.first().copied());
        (guess, Resolution::Candidate)
    }

    /// The types that extend or implement `name`, and the types `name` itself
    /// extends or implements.
    pub fn implementations(&self, name: &str) -> Implementations {
        let (qualifier, base) = split_qualified(name);
        let mut implementations = Vec::new();
        let mut supertypes = Vec::new();
        for (_, file) in self.files() {
            for rel in &file.relations {
                let implementor = file.str(rel.implementor);
                let supertype = file.str(rel.supertype);
                let implementor_def = (rel.implementor_def != NONE)
                    .then(|| &file.definitions[rel.implementor_def as usize]);
                if supertype == base {
                    let symbol = match implementor_def {
                        Some(def) => Some(Symbol::of(file, def)),
                        None => self
                            .definition_postings(implementor, Some(&file.path), &type_filter())
                            .first()
                            .and_then(|&p| self.symbol(p)),
                    };
                    implementations.push(TypeRelation {
                        implementor: implementor.to_string(),
                        supertype: supertype.to_string(),
                        symbol,
                        path: file.path.clone(),
                        line: rel.line,
                    });
                }
                let (imp_container, imp_name) = split_qualified(implementor);
                if imp_name == base && container_matches(imp_container, qualifier) {
                    let symbol = self
                        .definition_postings(supertype, Some(&file.path), &type_filter())
                        .first()
                        .and_then(|&p| self.symbol(p));
                    supertypes.push(TypeRelation {
                        implementor: implementor.to_string(),
                        supertype: supertype.to_string(),
                        symbol,
                        path: file.path.clone(),
                        line: rel.line,
                    });
                }
            }
        }
        let order = |a: &TypeRelation, b: &TypeRelation| (&a.path, a.line).cmp(&(&b.path, b.line));
        implementations.sort_by(order);
        supertypes.sort_by(order);
        Implementations {
            name: name.to_string(),
            implementations,
            supertypes,
        }
    }

    /// The files of the index under `prefix` (a directory, relative; all when
    /// empty) whose path matches `glob`, sorted by path.
    pub fn list_files(
        &self,
        prefix: &str,
        glob: Option<&PathGlob>,
        page: PageRequest,
    ) -> Page<FileEntry> {
        let prefix = prefix.trim_matches('/');
        let under = |path: &str| {
            prefix.is_empty()
                || path == prefix
                || (path.starts_with(prefix) && path.as_bytes().get(prefix.len()) == Some(&b'/'))
        };
        let mut files: Vec<&FileSymbols> = self
            .files()
            .map(|(_, f)| f)
            .filter(|f| under(&f.path) && glob.is_none_or(|g| g.is_match(&f.path)))
            .collect();
        files.sort_unstable_by(|a, b| a.path.cmp(&b.path));
        let total = files.len();
        let items = files
            .into_iter()
            .skip(page.offset)
            .take(page.limit)
            .map(|f| FileEntry {
                path: f.path.clone(),
                language: f.language,
                size: f.size,
                skipped: f.skipped,
                definitions: f.definitions.len(),
            })
            .collect();
        page.wrap(total, items)
    }

    /// The entries up to `depth` levels below the directory `prefix`, in
    /// path order: directories (with the number of indexed files anywhere
    /// below them, their path ending in `/`) and files. Counts cover every
    /// file, whatever the page.
    pub fn dir_entries(&self, prefix: &str, depth: usize, page: PageRequest) -> Page<DirEntry> {
        let prefix = prefix.trim_matches('/');
        let mut entries: std::collections::BTreeMap<String, Option<u64>> = Default::default();
        for (_, f) in self.files() {
            let rest = if prefix.is_empty() {
                f.path.as_str()
            } else {
                match f
                    .path
                    .strip_prefix(prefix)
                    .and_then(|r| r.strip_prefix('/'))
                {
                    Some(rest) => rest,
                    None => continue,
                }
            };
            let parts: Vec<&str> = rest.split('/').collect();
            for level in 1..=depth.min(parts.len()) {
                let mut path = parts[..level].join("/");
                if level == parts.len() {
                    entries.insert(path, None);
                } else {
                    path.push('/');
                    *entries.entry(path).or_insert(Some(0)).get_or_insert(0) += 1;
                }
            }
        }
        let total = entries.len();
        let items = entries
            .into_iter()
            .skip(page.offset)
            .take(page.limit)
            .map(|(path, files)| DirEntry { path, files })
            .collect();
        page.wrap(total, items)
    }

    /// What a file imports, each resolved to indexed files where possible.
    pub fn imports(&self, path: &str) -> Result<Vec<ImportHit>, QueryError> {
        let (_, file) = self.indexed_file(path)?;
        Ok(file
            .imports
            .iter()
            .map(|i| {
                let module = file.str(i.module);
                let mut resolved: Vec<String> = self
                    .resolve_import(file, module)
                    .into_iter()
                    .filter_map(|id| self.file(id).map(|f| f.path.clone()))
                    .collect();
                resolved.sort();
                ImportHit {
                    module: module.to_string(),
                    line: i.line,
                    resolved,
                }
            })
            .collect())
    }

    /// Receivers that, in `file`, name something outside the project: the
    /// last segment of each import that resolves to no indexed file (`os`,
    /// `path` of `os.path`, `fmt`), and in JavaScript and TypeScript the
    /// built-in objects, unless the project defines a type or module of
    /// that name.
    fn external_modules<'f>(&self, file: &'f FileSymbols) -> FxHashSet<&'f str> {
        let imports = self.imported_files(file);
        let mut out: FxHashSet<&str> = imports
            .unresolved
            .iter()
            .map(|&i| file.str(file.imports[i as usize].module))
            .filter(|m| !m.starts_with('.'))
            // Rust's paths within the crate are never another's.
            .filter(|m| !matches!(first_segment(m), "self" | "super" | "crate" | "Self"))
            .flat_map(|m| {
                m.split(['.', '/', ':'])
                    .filter(|s| !s.is_empty())
                    .take(1)
                    .chain(m.rsplit(['.', '/', ':']).find(|s| !s.is_empty()))
            })
            .collect();
        if file
            .language
            .is_some_and(|l| l.family() == Language::TypeScript.family())
        {
            out.extend(JS_BUILTIN_OBJECTS);
        }
        out.retain(|name| !self.defs.contains_key(*name));
        out
    }

    /// The source directory of the project's Rust crate `name`: the `src`
    /// that holds a `lib.rs`, in a directory named like the crate
    /// (`tokio-util/src` for `tokio_util`, `syn-2.0.1/src` for `syn`, the
    /// root's `src` for the root's name).
    fn rust_crate_src(&self, name: &str) -> Option<String> {
        let libs = self.by_file_name.get("lib.rs")?;
        libs.iter().find_map(|&id| {
            let path = &self.file(id)?.path;
            (self.rust_crate_of(path)? == name).then(|| {
                path.strip_suffix("lib.rs")
                    .unwrap_or(path)
                    .trim_end_matches('/')
                    .to_string()
            })
        })
    }

    /// The name of the Rust crate whose root `path` is (`src/lib.rs` or
    /// `src/main.rs` in a directory named like the crate, the root's name
    /// for the root's own `src`): `tokio_util` of `tokio-util/src/lib.rs`,
    /// `syn` of `syn-2.0.119/src/lib.rs`.
    fn rust_crate_of(&self, path: &str) -> Option<String> {
        let dir = path
            .strip_suffix("src/lib.rs")
            .or_else(|| path.strip_suffix("src/main.rs"))?;
        let dir_name = match dir.strip_suffix('/') {
            Some(dir) => file_name(dir),
            None if dir.is_empty() => self.root().file_name()?.to_str()?,
            None => return None,
        };
        // A version after the name: `syn-2.0.119`.
        let bare = match dir_name.rsplit_once('-') {
            Some((head, version)) if version.starts_with(|c: char| c.is_ascii_digit()) => head,
            _ => dir_name,
        };
        Some(bare.replace('-', "_"))
    }

    /// The indexed files that a file's imports resolve to.
    fn imported_files(&self, file: &FileSymbols) -> std::sync::Arc<FileImports> {
        let Some(id) = self.file_id(&file.path) else {
            return std::sync::Arc::new(self.resolve_imports(file));
        };
        let cached = {
            let mut cache = self.import_cache.lock().unwrap_or_else(|e| e.into_inner());
            if cache.generation != self.generation() {
                cache.files.clear();
                cache.generation = self.generation();
            }
            cache.files.get(&id).cloned()
        };
        if let Some(imports) = cached {
            return imports;
        }
        // Resolved outside the lock; another query may do the same at once,
        // to the same result.
        let imports = std::sync::Arc::new(self.resolve_imports(file));
        let mut cache = self.import_cache.lock().unwrap_or_else(|e| e.into_inner());
        if cache.generation == self.generation() {
            cache.files.insert(id, imports.clone());
        }
        imports
    }

    fn resolve_imports(&self, file: &FileSymbols) -> FileImports {
        let mut out = FileImports::default();
        for (i, import) in file.imports.iter().enumerate() {
            let found = self.resolve_import(file, file.str(import.module));
            if found.is_empty() {
                out.unresolved.push(i as u32);
            }
            for f in found {
                if !out.resolved.contains(&f) {
                    out.resolved.push(f);
                }
            }
        }
        out
    }

    /// The files that import `target`: an indexed file's path, or a module
    /// name as written in imports (`os.path`, `linux/fs.h`, `fmt`).
    pub fn dependents(&self, target: &str, page: PageRequest) -> Page<DependentHit> {
        let target = target.trim().trim_start_matches("./");
        let target_file = self.file_id(target);
        let stem = target_file.map(|_| {
            let name = file_name(target);
            let stem = name.split('.').next().unwrap_or(name);
            if matches!(stem, "index" | "mod" | "__init__") {
                // Imported by their directory's name.
                target.rsplit('/').nth(1).unwrap_or(stem).to_string()
            } else {
                stem.to_string()
            }
        });
        let target_dir = target.rsplit_once('/').map_or("", |(d, _)| d);
        let dir_name = file_name(target_dir);
        let mut hits = Vec::new();
        for (id, file) in self.files() {
            if Some(id) == target_file {
                continue;
            }
            for import in &file.imports {
                let module = file.str(import.module);
                let matched = match (target_file, &stem) {
                    (Some(target_id), Some(stem)) => {
                        let plausible = module.contains(stem.as_str())
                            || module.starts_with('.')
                            || (!dir_name.is_empty() && module.contains(dir_name));
                        plausible && self.resolve_import(file, module).contains(&target_id)
                    }
                    _ => module_matches(module, target),
                };
                if matched {
                    hits.push(DependentHit {
                        path: file.path.clone(),
                        line: import.line,
                        module: module.to_string(),
                    });
                }
            }
        }
        hits.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
        page.slice(hits)
    }

    /// The indexed files an import resolves to.
    pub(crate) fn resolve_import(&self, from: &FileSymbols, module: &str) -> Vec<FileId> {
        let Some(lang) = from.language else {
            return Vec::new();
        };
        let dir = from.path.rsplit_once('/').map_or("", |(d, _)| d);
        let exts: &[&str] = match lang {
            Language::JavaScript | Language::TypeScript | Language::Tsx => &[
                "",
                ".ts",
                ".tsx",
                ".d.ts",
                ".js",
                ".jsx",
                ".mjs",
                ".cjs",
                "/index.ts",
                "/index.tsx",
                "/index.js",
                "/index.jsx",
            ],
            Language::Python => &[".py", ".pyi", "/__init__.py"],
            Language::Ruby => &["", ".rb"],
            Language::Php => &["", ".php"],
            // A crate by its name: its `src/lib.rs`.
            Language::Rust => &[".rs", "/mod.rs", "/lib.rs"],
            Language::Java => &[".java"],
            Language::Kotlin => &[".kt", ".kts"],
            Language::Scala => &[".scala"],
            Language::C | Language::Cpp | Language::Bash => &[""],
            Language::Go => return self.resolve_go_package(module),
            Language::CSharp | Language::Swift => return Vec::new(),
        };
        let exact = |base: &str| -> Vec<FileId> {
            exts.iter()
                .filter_map(|ext| self.file_id(&format!("{base}{ext}")))
                .take(1)
                .collect()
        };

        // Relative to the importing file.
        let relative: Option<String> = match lang {
            Language::JavaScript | Language::TypeScript | Language::Tsx => {
                (module.starts_with("./") || module.starts_with("../"))
                    .then(|| join_path(dir, module))
            }
            Language::Python if module.starts_with('.') => {
                let dots = module.len() - module.trim_start_matches('.').len();
                let mut base = dir.to_string();
                for _ in 1..dots {
                    base = base
                        .rsplit_once('/')
                        .map_or(String::new(), |(d, _)| d.to_string());
                }
                let rest = module[dots..].replace('.', "/");
                Some(join_path(&base, &rest))
            }
            Language::Python => None,
            _ => Some(join_path(dir, module)),
        };
        if let Some(rel) = &relative {
            let found = exact(rel);
            if !found.is_empty()
                || matches!(lang, Language::JavaScript | Language::TypeScript | Language::Tsx | Language::Python if module.starts_with('.'))
            {
                return found;
            }
        }

        // As a path from the root or from some source directory.
        let as_path = match lang {
            Language::Rust => {
                let mut parts: Vec<String> = module
                    .split("::")
                    .filter(|p| !matches!(*p, "crate" | "self" | "super"))
                    .map(str::to_string)
                    .collect();
                // `other_crate::a::b`: a crate of the project, by its
                // directory.
                if let Some(first) = parts.first_mut()
                    && let Some(src) = self.rust_crate_src(first)
                {
                    *first = src;
                }
                parts.join("/")
            }
            Language::Python | Language::Java | Language::Kotlin | Language::Scala => {
                module.replace('.', "/")
            }
            Language::Php => module.replace('\\', "/"),
            _ => module.trim_start_matches("./").to_string(),
        };
        if as_path.is_empty() {
            return Vec::new();
        }
        let mut candidates = vec![as_path.clone()];
        // `use a::b::Item` and `import a.b.Class.member` name an item in a module.
        if matches!(
            lang,
            Language::Rust | Language::Python | Language::Java | Language::Kotlin | Language::Scala
        ) && let Some((parent, _)) = as_path.rsplit_once('/')
        {
            candidates.push(parent.to_string());
        }
        for candidate in candidates {
            let found = exact(&candidate);
            if !found.is_empty() {
                return found;
            }
            let found = self.resolve_by_suffix(&candidate, exts, dir);
            if !found.is_empty() {
                return found;
            }
        }
        Vec::new()
    }

    /// Files whose path ends with `suffix` + one of `exts`, dropping leading
    /// segments of `suffix` (source roots such as `src/main/java/`) but keeping
    /// at least two, or one if that is all there is. Closest to `near` first.
    fn resolve_by_suffix(&self, suffix: &str, exts: &[&str], near: &str) -> Vec<FileId> {
        let segments: Vec<&str> = suffix.split('/').filter(|s| !s.is_empty()).collect();
        let min_keep = segments.len().min(2);
        for drop in 0..=segments.len().saturating_sub(min_keep) {
            let tail = segments[drop..].join("/");
            let mut found: Vec<FileId> = Vec::new();
            for ext in exts {
                let wanted = format!("{tail}{ext}");
                let Some(ids) = self.by_file_name.get(file_name(&wanted)) else {
                    continue;
                };
                for &id in ids {
                    let Some(f) = self.file(id) else { continue };
                    if f.path == wanted || f.path.ends_with(&format!("/{wanted}")) {
                        found.push(id);
                    }
                }
                if !found.is_empty() {
                    break;
                }
            }
            if !found.is_empty() {
                found.sort_by_key(|&id| {
                    let path = &self.file(id).expect("live").path;
                    std::cmp::Reverse(common_prefix_len(path, near))
                });
                found.truncate(8);
                return found;
            }
        }
        Vec::new()
    }

    /// Go imports name a package directory: the Go files directly in the
    /// indexed directories sharing the most trailing path segments with the
    /// import path (`example.com/app/server` → `go/server/`).
    fn resolve_go_package(&self, module: &str) -> Vec<FileId> {
        let wanted: Vec<&str> = module.split('/').rev().collect();
        let mut best = 0usize;
        let mut found: Vec<FileId> = Vec::new();
        for (id, f) in self.files() {
            if f.language != Some(Language::Go) {
                continue;
            }
            let dir = parent_dir(&f.path);
            let shared = dir
                .split('/')
                .rev()
                .zip(&wanted)
                .take_while(|(a, b)| !a.is_empty() && a == *b)
                .count();
            if shared == 0 || shared < best {
                continue;
            }
            if shared > best {
                best = shared;
                found.clear();
            }
            found.push(id);
        }
        found.sort_unstable();
        found
    }
}

fn type_filter() -> SymbolFilter {
    SymbolFilter {
        kinds: vec![
            SymbolKind::Class,
            SymbolKind::Struct,
            SymbolKind::Interface,
            SymbolKind::Trait,
            SymbolKind::Enum,
            SymbolKind::Union,
            SymbolKind::TypeAlias,
        ],
        ..SymbolFilter::default()
    }
}

/// Ranks files by proximity to a context file.
struct ProximityRanker {
    /// The asking file, and the line asked from when given (`path:line`).
    context: Option<(FileId, String, Option<u32>)>,
    /// Files the asking file imports, and those through which one of them
    /// re-exports the name (a package's `__init__.py`).
    imported: FxHashSet<FileId>,
}

impl ProximityRanker {
    fn new(index: &Index, context: Option<&str>, name: &str) -> Self {
        let context = context.and_then(|place| {
            let place = place.trim().trim_start_matches("./");
            if let Some(id) = index.file_id(place) {
                return Some((id, place.to_string(), None));
            }
            let (path, line) = place.rsplit_once(':')?;
            let line = line.parse().ok()?;
            index
                .file_id(path)
                .map(|id| (id, path.to_string(), Some(line)))
        });
        let mut imported = FxHashSet::default();
        if let Some((id, _, _)) = &context
            && let Some(file) = index.file(*id)
        {
            imported = index
                .imported_files(file)
                .resolved
                .iter()
                .copied()
                .collect();
            let through: Vec<FileId> = imported
                .iter()
                .copied()
                .filter(|&f| {
                    index.file(f).is_some_and(|g| {
                        g.references
                            .iter()
                            .any(|r| r.kind == RefKind::Import && g.str(r.name) == name)
                    })
                })
                .collect();
            for f in through {
                if let Some(g) = index.file(f) {
                    imported.extend(index.imported_files(g).resolved.iter().copied());
                }
            }
        }
        ProximityRanker { context, imported }
    }

    fn rank(&self, file_id: FileId, file: &FileSymbols, def: &Definition) -> Proximity {
        let Some((context_id, context_path, line)) = &self.context else {
            return Proximity::Elsewhere;
        };
        if file_id == *context_id {
            // Inside a function: reachable from that function only.
            let mut parent = def.parent;
            while let Some(p) = file.definitions.get(parent as usize) {
                if p.kind.is_callable() {
                    return match line {
                        Some(line) if p.span.start_line <= *line && *line <= p.span.end_line => {
                            Proximity::Enclosing
                        }
                        Some(_) => Proximity::OutOfScope,
                        None => Proximity::SameFile,
                    };
                }
                parent = p.parent;
            }
            Proximity::SameFile
        } else if self.imported.contains(&file_id) {
            Proximity::Imported
        } else if parent_dir(&file.path) == parent_dir(context_path) {
            Proximity::SameDirectory
        } else {
            Proximity::Elsewhere
        }
    }
}

/// Whether two files are Go files of one package (one directory).
fn same_go_package(a: &FileSymbols, b: &FileSymbols) -> bool {
    a.language == Some(Language::Go)
        && b.language == a.language
        && parent_dir(&a.path) == parent_dir(&b.path)
}

fn parent_dir(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

fn common_prefix_len(a: &str, b: &str) -> usize {
    a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count()
}

/// Joins a directory and a relative path, resolving `.` and `..`.
fn join_path(dir: &str, rel: &str) -> String {
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for part in rel.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// Whether an import as written names `target` (equal, or ending with it at a
/// separator: `linux/fs.h` matches `fs.h`, `a.b.c` matches `b.c`).
fn module_matches(module: &str, target: &str) -> bool {
    if module == target {
        return true;
    }
    let m = normalize_container(module);
    let t = normalize_container(target);
    m == t || m.ends_with(&format!(".{t}"))
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

/// The identifier around a 1-based byte column of a line.
fn identifier_at(line: &str, column: usize) -> Option<String> {
    let at = column.checked_sub(1)?;
    if at >= line.len() || !line.is_char_boundary(at) {
        return None;
    }
    let first = line[at..].chars().next()?;
    if !is_ident_char(first) {
        return None;
    }
    let start = line[..at]
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_ident_char(*c))
        .last()
        .map_or(at, |(i, _)| i);
    let end = line[at..]
        .char_indices()
        .find(|(_, c)| !is_ident_char(*c))
        .map_or(line.len(), |(i, _)| at + i);
    Some(line[start..end].to_string())
}

/// Reads source lines from disk, one file at a time, for showing references.
struct SourceLines<'a> {
    index: &'a Index,
    cache: FxHashMap<String, Vec<String>>,
}

/// Longest line of source shown with a reference, in characters.
const MAX_LINE_CHARS: usize = 240;

impl<'a> SourceLines<'a> {
    fn new(index: &'a Index) -> Self {
        SourceLines {
            index,
            cache: FxHashMap::default(),
        }
    }

    fn raw_line(&mut self, path: &str, line: u32) -> String {
        let root = self.index.root();
        let lines = self.cache.entry(path.to_string()).or_insert_with(|| {
            std::fs::read(root.join(path))
                .map(|bytes| {
                    String::from_utf8_lossy(&bytes)
                        .lines()
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default()
        });
        lines
            .get(line.saturating_sub(1) as usize)
            .cloned()
            .unwrap_or_default()
    }

    fn line(&mut self, path: &str, line: u32) -> String {
        let raw = self.raw_line(path, line);
        let trimmed = raw.trim();
        match trimmed.char_indices().nth(MAX_LINE_CHARS) {
            Some((i, _)) => format!("{}…", &trimmed[..i]),
            None => trimmed.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_qualified_names() {
        assert_eq!(split_qualified("Foo::bar"), ("Foo", "bar"));
        assert_eq!(split_qualified("pkg.Class.method"), ("pkg.Class", "method"));
        assert_eq!(split_qualified("bar"), ("", "bar"));
        assert_eq!(split_qualified("App\\User"), ("App", "User"));
        assert_eq!(split_qualified(".hidden"), ("", ".hidden"));
    }

    #[test]
    fn matches_containers_across_separators() {
        assert!(container_matches("geo::Circle", "Circle"));
        assert!(container_matches("geo::Circle", "geo.Circle"));
        assert!(!container_matches("geo::Circles", "Circle"));
        assert!(container_matches("anything", ""));
    }

    #[test]
    fn joins_relative_paths() {
        assert_eq!(join_path("src/a", "../b/c"), "src/b/c");
        assert_eq!(join_path("", "./x"), "x");
    }

    #[test]
    fn finds_the_identifier_under_a_column() {
        assert_eq!(
            identifier_at("let foo_bar = 1;", 6).as_deref(),
            Some("foo_bar")
        );
        assert_eq!(
            identifier_at("let foo_bar = 1;", 5).as_deref(),
            Some("foo_bar")
        );
        assert_eq!(identifier_at("let foo_bar = 1;", 13), None);
    }
}
