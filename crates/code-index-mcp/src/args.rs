//! The tools' arguments: their JSON Schemas (what a model sees of each tool
//! besides its description) and the daemon params each becomes.

use code_index_protocol as wire;
use code_index_protocol::PageRequest;
use code_index_protocol::calls::limits;
use schemars::JsonSchema;
use serde::Deserialize;

/// The paging arguments every listing tool takes.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct PageArgs {
    /// Results per page (default 50).
    pub limit: Option<u64>,
    /// Results to skip.
    pub offset: Option<u64>,
    /// Only count the results.
    pub count_only: Option<bool>,
}

impl PageArgs {
    pub fn count_only(&self) -> bool {
        self.count_only.unwrap_or(false)
    }

    /// The page to ask for. Counting needs one result at most: the total
    /// comes with any page.
    pub fn request(&self) -> PageRequest {
        PageRequest {
            offset: Some(self.offset.unwrap_or(0)),
            limit: Some(if self.count_only() {
                1
            } else {
                self.limit.unwrap_or(limits::DEFAULT_LIMIT)
            }),
        }
    }
}

/// The filters of the tools that list definitions.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct SymbolFilterArgs {
    /// Only these kinds: function, method, class, struct, enum, interface, trait, module, constant, variable, field, type_alias, macro, ...
    pub kind: Option<Vec<String>>,
    /// Only this language: rust, python, typescript, go, java, c, cpp, ...
    pub language: Option<String>,
    /// Only paths matching this glob (`src/**/*.rs`, `*.h`).
    pub glob: Option<String>,
}

impl SymbolFilterArgs {
    pub fn params(&self) -> wire::SymbolFilterParams {
        wire::SymbolFilterParams {
            kind: self.kind.clone(),
            language: self.language.clone(),
            glob: self.glob.clone(),
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SearchSymbolsArgs {
    /// Name or part of a name; `Foo::bar` or `Foo.bar` also filters by container.
    pub query: String,
    #[serde(flatten)]
    pub filter: SymbolFilterArgs,
    #[serde(flatten)]
    pub page: PageArgs,
    /// Only these projects (comma-separated names, see list_projects); all when absent.
    pub project: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct FindDefinitionArgs {
    /// A name (`parse`) or a qualified name (`Parser::parse`, `pkg.Parser.parse`), spelled exactly.
    pub name: String,
    /// A file (relative path) to rank definitions near it first, or `path:line` of the use asked about: the definition in scope at that line first.
    pub context: Option<String>,
    #[serde(flatten)]
    pub filter: SymbolFilterArgs,
    #[serde(flatten)]
    pub page: PageArgs,
    /// Only these projects (comma-separated names, see list_projects); all when absent.
    pub project: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct FindReferencesArgs {
    /// The name referred to: `add`, or `Cart.add` for one type's member.
    pub name: String,
    /// Where the definition meant is, when several share the name: its file, or `path:line` as find_definition prints it (for one of several in a file): only that definition's references.
    pub defined_in: Option<String>,
    /// Only these reference kinds: call, type_use, import, implementation, other (reads, writes, uses as a value).
    pub kind: Option<Vec<String>>,
    /// `resolved`: only uses bound to this name's definitions; `candidate`: only same-name uses whose target is unknown; `distant`: only same-name uses in files that import none of the definition's files (left out by default, and counted); `all`: every grade. Resolved and candidates when absent (resolved first).
    pub resolution: Option<String>,
    /// Only paths matching this glob (`src/**/*.rs`, `*.h`).
    pub glob: Option<String>,
    #[serde(flatten)]
    pub page: PageArgs,
    /// Only these projects (comma-separated names, see list_projects); all when absent.
    pub project: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct PathArgs {
    /// A file path relative to the project root.
    pub path: String,
    /// The project (see list_projects); the primary one when absent.
    pub project: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SymbolAtArgs {
    /// A file path relative to the project root.
    pub path: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column (default: the first identifier on the line).
    pub column: Option<u32>,
    /// The project (see list_projects); the primary one when absent.
    pub project: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct CallGraphArgs {
    /// The function or method (plain or qualified name).
    pub name: String,
    /// Levels to follow, 1 to 3 (default 1). Levels past the first follow resolved calls only.
    pub depth: Option<u8>,
    /// Where the definition meant is, when several share the name: its file, or `path:line` as find_definition prints it (for one of several in a file).
    pub defined_in: Option<String>,
    /// `resolved`: only calls bound to the definition; `candidate`: only same-name calls whose target is unknown; `distant`: only same-name calls in files that import none of the definition's files (left out by default, and counted); `all`: every grade. Resolved and candidates when absent (resolved first).
    pub resolution: Option<String>,
    #[serde(flatten)]
    pub page: PageArgs,
    /// Only these projects (comma-separated names, see list_projects); all when absent.
    pub project: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct NameArgs {
    /// A type, trait, interface or class name.
    pub name: String,
    /// Only these projects (comma-separated names, see list_projects); all when absent.
    pub project: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct FileDependenciesArgs {
    /// A file path relative to the project root.
    pub path: String,
    /// Dependents per page (default 50).
    pub limit: Option<u64>,
    /// Results to skip.
    pub offset: Option<u64>,
    /// The project (see list_projects); the primary one when absent.
    pub project: Option<String>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct NoArgs {}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SearchTextArgs {
    /// Text to find (literal unless `regex` is true).
    pub pattern: String,
    /// Treat the pattern as a regular expression.
    pub regex: Option<bool>,
    /// Match case exactly (default true).
    pub case_sensitive: Option<bool>,
    /// Only paths matching this glob.
    pub glob: Option<String>,
    /// Lines of context around each hit (default 0, at most 20).
    pub context: Option<u32>,
    #[serde(flatten)]
    pub page: PageArgs,
    /// Only these projects (comma-separated names, see list_projects); all when absent.
    pub project: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct DiffSymbolsArgs {
    /// A git ref to compare the working tree with (default: HEAD, so the
    /// uncommitted changes, staged or not, and untracked files).
    pub base: Option<String>,
    /// The project (see list_projects); the primary one when absent.
    pub project: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct RepoMapArgs {
    /// Roughly how many tokens the map may use (default 2000; 4 characters a token).
    pub max_tokens: Option<u32>,
    /// The project (see list_projects); the primary one when absent.
    pub project: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ReadFileArgs {
    /// A file path relative to the project root.
    pub path: String,
    /// First line to show, 1-based (default 1).
    pub start_line: Option<u32>,
    /// Last line to show (default: as many as fit).
    pub end_line: Option<u32>,
    /// The project (see list_projects); the primary one when absent.
    pub project: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SymbolSourceArgs {
    /// A (qualified) name; or give `path` and `line` instead.
    pub name: Option<String>,
    /// A file path relative to the project root, with `line`: the definition around it.
    pub path: Option<String>,
    /// A line (1-based) inside the definition, with `path`.
    pub line: Option<u32>,
    /// The project (see list_projects); the primary one when absent.
    pub project: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct FindFilesArgs {
    /// A glob (`src/**/*.rs`, `*.h`) or a part of a path (`parser`).
    pub pattern: String,
    #[serde(flatten)]
    pub page: PageArgs,
    /// Only these projects (comma-separated names, see list_projects); all when absent.
    pub project: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListDirArgs {
    /// A directory relative to the project root (default: the root).
    pub path: Option<String>,
    /// Levels to show, 1 to 4 (default 1).
    pub depth: Option<u8>,
    /// Entries per page (default 500).
    pub limit: Option<u64>,
    /// Entries to skip.
    pub offset: Option<u64>,
    /// The project (see list_projects); the primary one when absent.
    pub project: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ReindexArgs {
    /// A file or directory to re-read (relative to the project root); the whole project when absent. Ignored files are refused with the reason.
    pub path: Option<String>,
    /// The project (see list_projects); the primary one when absent.
    pub project: Option<String>,
}

impl SearchSymbolsArgs {
    pub fn params(&self) -> wire::SearchSymbolsParams {
        wire::SearchSymbolsParams {
            query: self.query.clone(),
            filter: self.filter.params(),
            paging: self.page.request(),
        }
    }
}

impl FindDefinitionArgs {
    pub fn params(&self) -> wire::DefinitionsParams {
        wire::DefinitionsParams {
            name: self.name.clone(),
            context: self.context.clone(),
            filter: self.filter.params(),
            paging: self.page.request(),
        }
    }
}

impl FindReferencesArgs {
    pub fn params(&self) -> wire::ReferencesParams {
        wire::ReferencesParams {
            name: self.name.clone(),
            kind: self.kind.clone(),
            glob: self.glob.clone(),
            resolution: self.resolution.clone(),
            defined_in: self.defined_in.clone(),
            paging: self.page.request(),
        }
    }
}

impl PathArgs {
    pub fn params(&self) -> wire::PathParams {
        wire::PathParams {
            path: self.path.clone(),
        }
    }
}

impl SymbolAtArgs {
    pub fn params(&self) -> wire::SymbolAtParams {
        wire::SymbolAtParams {
            path: self.path.clone(),
            line: self.line,
            column: self.column,
        }
    }
}

impl CallGraphArgs {
    pub fn params(&self) -> wire::CallGraphParams {
        wire::CallGraphParams {
            name: self.name.clone(),
            depth: Some(self.depth.unwrap_or(1).clamp(1, limits::MAX_CALL_DEPTH)),
            resolution: self.resolution.clone(),
            defined_in: self.defined_in.clone(),
            paging: self.page.request(),
        }
    }
}

impl NameArgs {
    pub fn params(&self) -> wire::NameParams {
        wire::NameParams {
            name: self.name.clone(),
        }
    }
}

impl FileDependenciesArgs {
    pub fn params(&self) -> wire::DependentsParams {
        wire::DependentsParams {
            target: self.path.clone(),
            paging: PageRequest {
                offset: Some(self.offset.unwrap_or(0)),
                limit: Some(self.limit.unwrap_or(limits::DEFAULT_LIMIT)),
            },
        }
    }
}

impl SearchTextArgs {
    pub fn params(&self) -> wire::SearchTextParams {
        wire::SearchTextParams {
            pattern: self.pattern.clone(),
            regex: Some(self.regex.unwrap_or(false)),
            case_sensitive: Some(self.case_sensitive.unwrap_or(true)),
            glob: self.glob.clone(),
            context: Some(self.context.unwrap_or(0)),
            paging: self.page.request(),
        }
    }
}

impl FindFilesArgs {
    /// A pattern without glob characters matches paths that contain it.
    pub fn params(&self) -> wire::FilesParams {
        let glob = if self.pattern.contains(['*', '?', '[', '{']) {
            self.pattern.clone()
        } else {
            format!("**/*{}*", self.pattern)
        };
        wire::FilesParams {
            prefix: None,
            glob: Some(glob),
            paging: self.page.request(),
        }
    }
}

/// Entries `list_dir` shows when no limit is given.
pub const DEFAULT_DIR_LIMIT: u64 = 500;
/// Levels `list_dir` shows at most.
pub const MAX_LIST_DEPTH: u8 = 4;

impl ListDirArgs {
    /// The params for the directory `prefix` (relative to the root).
    pub fn params(&self, prefix: String) -> wire::DirParams {
        wire::DirParams {
            prefix: Some(prefix),
            depth: Some(u32::from(self.depth.unwrap_or(1).clamp(1, MAX_LIST_DEPTH))),
            paging: PageRequest {
                offset: Some(self.offset.unwrap_or(0)),
                limit: Some(
                    self.limit
                        .unwrap_or(DEFAULT_DIR_LIMIT)
                        .clamp(1, limits::MAX_LIMIT),
                ),
            },
        }
    }
}

impl RepoMapArgs {
    /// The map's budget in characters (4 a token).
    pub fn max_chars(&self) -> usize {
        self.max_tokens.unwrap_or(2000).clamp(100, 50_000) as usize * 4
    }
}

impl ReindexArgs {
    pub fn params(&self) -> wire::ReindexParams {
        wire::ReindexParams {
            path: self.path.clone(),
        }
    }
}
