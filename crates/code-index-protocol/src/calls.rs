//! Ops as types: each names its op, its params and its result, so that a
//! client and the daemon cannot disagree on a field without the compiler
//! saying so (as `lsp-types` does with `Request::METHOD`).

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::types::*;

/// One op of the wire.
pub trait Call {
    /// The `op` of the request.
    const OP: &'static str;
    type Params: Serialize + DeserializeOwned + Send + Sync;
    type Result: Serialize + DeserializeOwned + Send;
}

macro_rules! calls {
    ($($(#[$doc:meta])* $name:ident = $op:literal ($params:ty) -> $result:ty;)*) => {
        $(
            $(#[$doc])*
            pub struct $name;
            impl Call for $name {
                const OP: &'static str = $op;
                type Params = $params;
                type Result = $result;
            }
        )*
        /// The ops that have a [`Call`] type.
        pub const TYPED: &[&str] = &[$($op),*];
    };
}

calls! {
    /// The first request of every connection.
    Hello = "hello" (HelloParams) -> HelloResult;
    /// The daemon's state: phase, progress, watcher, requests in flight.
    Status = "status" (()) -> StatusResult;
    /// What the index holds.
    Stats = "stats" (()) -> StatsResult;
    /// Re-read the tree or one path.
    Reindex = "reindex" (ReindexParams) -> ReindexResult;
    /// Give up on a running request of the same connection.
    Cancel = "cancel" (CancelParams) -> CancelResult;
    /// A directory's entries with file counts.
    Dir = "dir" (DirParams) -> Page<DirEntry>;
    /// The indexed files under a directory.
    Files = "files" (FilesParams) -> Page<FileEntry>;
    /// Definitions whose name matches a query, best first.
    SearchSymbols = "search_symbols" (SearchSymbolsParams) -> Page<SymbolMatch>;
    /// Definitions of a (qualified) name.
    Definitions = "definitions" (DefinitionsParams) -> Page<Symbol>;
    /// Uses of a name, grouped by file.
    References = "references" (ReferencesParams) -> ReferencesResult;
    /// The definitions of one file as a tree.
    FileOutline = "file_outline" (PathParams) -> Vec<OutlineNode>;
    /// What is at a position of a file.
    SymbolAt = "symbol_at" (SymbolAtParams) -> SymbolAtResult;
    /// Who calls a function, to a depth.
    Callers = "callers" (CallGraphParams) -> CallGraph;
    /// What a function calls, to a depth.
    Callees = "callees" (CallGraphParams) -> CallGraph;
    /// Implementors and supertypes of a type.
    Implementations = "implementations" (NameParams) -> crate::types::Implementations;
    /// What a file imports.
    Imports = "imports" (PathParams) -> Vec<ImportHit>;
    /// The files that import a file or module.
    Dependents = "dependents" (DependentsParams) -> Page<DependentHit>;
    /// Lines of the indexed files that match a pattern.
    SearchText = "search_text" (SearchTextParams) -> Page<TextHit>;
    /// The most depended-on files and their most used definitions.
    RepoMap = "repo_map" (RepoMapParams) -> Vec<RepoMapFile>;
    /// Stop the daemon.
    Shutdown = "shutdown" (()) -> ShutdownResult;
}

/// Limits and defaults of the wire, the same for the daemon and its clients.
pub mod limits {
    /// Results a page holds when a request names no limit.
    pub const DEFAULT_LIMIT: u64 = 50;
    /// Most results one page holds; a larger limit is lowered to it.
    pub const MAX_LIMIT: u64 = 10_000;
    /// Levels a call graph follows at most.
    pub const MAX_CALL_DEPTH: u8 = 3;
    /// Lines of context around a text hit at most.
    pub const MAX_CONTEXT_LINES: u32 = 20;
    /// Levels of a directory `dir` lists at most.
    pub const MAX_DIR_DEPTH: u32 = 8;
    /// Files a repo map holds when the request names no number, and at most.
    pub const DEFAULT_MAP_FILES: u32 = 50;
    pub const MAX_MAP_FILES: u32 = 10_000;
    /// Definitions per file of a repo map by default, and at most.
    pub const DEFAULT_MAP_SYMBOLS: u32 = 8;
    pub const MAX_MAP_SYMBOLS: u32 = 200;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_typed_op_is_an_op_and_parses_its_default_params() {
        fn check<C: Call>()
        where
            C::Params: Default,
        {
            let params = serde_json::to_value(C::Params::default()).unwrap();
            let op = Op::parse(C::OP, params).unwrap_or_else(|e| panic!("{}: {e}", C::OP));
            assert_eq!(op.name(), C::OP);
        }
        check::<Hello>();
        check::<Status>();
        check::<Stats>();
        check::<Reindex>();
        check::<Cancel>();
        check::<Dir>();
        check::<Files>();
        check::<SearchSymbols>();
        check::<Definitions>();
        check::<References>();
        check::<FileOutline>();
        check::<SymbolAt>();
        check::<Callers>();
        check::<Callees>();
        check::<Implementations>();
        check::<Imports>();
        check::<Dependents>();
        check::<SearchText>();
        check::<RepoMap>();
        check::<Shutdown>();
        for op in TYPED {
            assert!(OPS.contains(op), "{op}");
        }
        // Every op has its type.
        for op in OPS {
            assert!(TYPED.contains(op), "{op} has no Call type");
        }
    }
}
