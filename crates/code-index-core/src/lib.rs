//! The code-index core: file discovery, tree-sitter extraction, the in-memory
//! symbol index, its queries and its on-disk snapshot.
//!
//! This crate knows nothing of TCP, JSON-RPC or MCP: it is a library that turns
//! files (or `(path, text)` pairs) into an [`Index`] and answers questions about
//! it. The daemon owns one [`Index`] per root; tests build one from a temporary
//! directory.
//!
//! ```no_run
//! use code_index_core::{Index, IndexOptions, PageRequest, SymbolFilter};
//!
//! let root = code_index_core::discover::canonical_root(".".as_ref())?;
//! let mut index = Index::new(&root);
//! index.refresh(&IndexOptions::default(), &mut |_| {})?;
//! let page = index.definitions("main", None, &SymbolFilter::default(), PageRequest::default());
//! for symbol in page.items {
//!     println!("{}:{} {}", symbol.path, symbol.span.start_line, symbol.qualified_name);
//! }
//! # Ok::<(), anyhow::Error>(())
//! ```
//!
//! Module map: [`discover`] walks the tree; [`language`] detects languages and
//! holds the queries; [`extract`] turns one file into [`model::FileSymbols`];
//! [`index`] keeps them with name maps; [`build`] brings an index up to date in
//! parallel; [`query`] answers questions; [`snapshot`] saves and loads.

pub mod alloc;
pub mod build;
pub mod discover;
pub mod extract;
pub mod index;
pub mod language;
pub mod model;
pub mod query;
pub mod repo_map;
pub mod snapshot;
pub mod text_search;

pub use build::{BuildReport, IndexOptions, Progress};
pub use index::{Index, Stats};
pub use language::Language;
pub use model::{RefKind, SymbolKind};
pub use query::{Page, PageRequest, QueryError, ReferenceFilter, SymbolFilter};
pub use snapshot::SnapshotError;
