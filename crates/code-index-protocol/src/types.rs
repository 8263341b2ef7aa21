//! Requests, responses, the ops and their parameters and results.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One request line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Request {
    /// Echoed in the response; any JSON value the client likes.
    #[serde(default)]
    pub id: Value,
    pub op: String,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub params: Value,
}

impl Request {
    pub fn new(id: impl Into<Value>, op: &str, params: impl Serialize) -> Request {
        Request {
            id: id.into(),
            op: op.to_string(),
            params: serde_json::to_value(params).unwrap_or(Value::Null),
        }
    }
}

/// One response line: `result` or `error`, never both.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Response {
    #[serde(default)]
    pub id: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<RpcError>,
    /// Whether the index had finished its first full pass when it answered.
    /// Absent only in responses that do not touch the index (`hello`, errors
    /// before authentication).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complete: Option<bool>,
    /// Indexing progress, while a pass is running.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<Progress>,
}

impl Response {
    pub fn ok(id: Value, result: Value) -> Response {
        Response {
            id,
            result: Some(result),
            error: None,
            complete: None,
            progress: None,
        }
    }

    pub fn err(id: Value, error: RpcError) -> Response {
        Response {
            id,
            result: None,
            error: Some(error),
            complete: None,
            progress: None,
        }
    }

    /// The result decoded as `T`, or the error the daemon returned.
    pub fn into_result<T: serde::de::DeserializeOwned>(self) -> Result<T, RpcError> {
        if let Some(error) = self.error {
            return Err(error);
        }
        let value = self.result.unwrap_or(Value::Null);
        serde_json::from_value(value).map_err(|e| RpcError {
            code: ErrorCode::Internal.code(),
            message: format!("the daemon's answer does not decode: {e}"),
        })
    }
}

/// An error the daemon returned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message} (code {code})")]
pub struct RpcError {
    pub code: i64,
    pub message: String,
}

impl RpcError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> RpcError {
        RpcError {
            code: code.code(),
            message: message.into(),
        }
    }

    /// The kind of error, if the code is one this version knows.
    pub fn kind(&self) -> Option<ErrorCode> {
        ErrorCode::from_code(self.code)
    }
}

/// Error codes, in the spirit of JSON-RPC's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The line is not a JSON object of the request shape.
    ParseError,
    /// The line is longer than [`crate::MAX_LINE_BYTES`].
    LineTooLong,
    /// No such op.
    UnknownOp,
    /// The params do not fit the op (wrong type, missing field, bad value).
    InvalidParams,
    /// No `hello` with the right token yet.
    Unauthorized,
    /// A path or file that the index does not hold.
    NotFound,
    /// Something failed inside the daemon.
    Internal,
    /// The daemon is shutting down.
    ShuttingDown,
    /// A `cancel` named the request while it ran.
    Cancelled,
}

impl ErrorCode {
    pub fn code(self) -> i64 {
        match self {
            ErrorCode::ParseError => -32700,
            ErrorCode::UnknownOp => -32601,
            ErrorCode::InvalidParams => -32602,
            ErrorCode::Internal => -32603,
            ErrorCode::LineTooLong => -32001,
            ErrorCode::Unauthorized => -32002,
            ErrorCode::NotFound => -32003,
            ErrorCode::ShuttingDown => -32004,
            ErrorCode::Cancelled => -32005,
        }
    }

    pub fn from_code(code: i64) -> Option<ErrorCode> {
        [
            ErrorCode::ParseError,
            ErrorCode::LineTooLong,
            ErrorCode::UnknownOp,
            ErrorCode::InvalidParams,
            ErrorCode::Unauthorized,
            ErrorCode::NotFound,
            ErrorCode::Internal,
            ErrorCode::ShuttingDown,
            ErrorCode::Cancelled,
        ]
        .into_iter()
        .find(|c| c.code() == code)
    }
}

/// Indexing progress: files processed of files to process in this pass.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    pub done: u64,
    pub total: u64,
}

/// Which page of a listing op: `offset` and `limit`, the names of paging in
/// every layer (the index's `PageRequest`, the MCP tools' arguments). Absent
/// fields take the defaults of [`crate::calls::limits`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
}

/// Every op a daemon of this version serves.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    Hello(HelloParams),
    SearchSymbols(SearchSymbolsParams),
    Definitions(DefinitionsParams),
    References(ReferencesParams),
    FileOutline(PathParams),
    SymbolAt(SymbolAtParams),
    Callers(CallGraphParams),
    Callees(CallGraphParams),
    Implementations(NameParams),
    Imports(PathParams),
    Dependents(DependentsParams),
    Files(FilesParams),
    Dir(DirParams),
    SearchText(SearchTextParams),
    RepoMap(RepoMapParams),
    Stats,
    Status,
    Reindex(ReindexParams),
    Cancel(CancelParams),
    Shutdown,
}

/// The names of the ops, as they appear in `op`.
pub const OPS: &[&str] = &[
    "hello",
    "search_symbols",
    "definitions",
    "references",
    "file_outline",
    "symbol_at",
    "callers",
    "callees",
    "implementations",
    "imports",
    "dependents",
    "files",
    "dir",
    "search_text",
    "repo_map",
    "stats",
    "status",
    "reindex",
    "cancel",
    "shutdown",
];

impl Op {
    /// Parses an op and its params; errors are ready to send back.
    pub fn parse(op: &str, params: Value) -> Result<Op, RpcError> {
        fn p<T: serde::de::DeserializeOwned>(op: &str, params: Value) -> Result<T, RpcError> {
            let params = if params.is_null() {
                Value::Object(Default::default())
            } else {
                params
            };
            serde_json::from_value(params).map_err(|e| {
                RpcError::new(
                    ErrorCode::InvalidParams,
                    format!("invalid params for {op}: {e}"),
                )
            })
        }
        Ok(match op {
            "hello" => Op::Hello(p(op, params)?),
            "search_symbols" => Op::SearchSymbols(p(op, params)?),
            "definitions" => Op::Definitions(p(op, params)?),
            "references" => Op::References(p(op, params)?),
            "file_outline" => Op::FileOutline(p(op, params)?),
            "symbol_at" => Op::SymbolAt(p(op, params)?),
            "callers" => Op::Callers(p(op, params)?),
            "callees" => Op::Callees(p(op, params)?),
            "implementations" => Op::Implementations(p(op, params)?),
            "imports" => Op::Imports(p(op, params)?),
            "dependents" => Op::Dependents(p(op, params)?),
            "files" => Op::Files(p(op, params)?),
            "dir" => Op::Dir(p(op, params)?),
            "search_text" => Op::SearchText(p(op, params)?),
            "repo_map" => Op::RepoMap(p(op, params)?),
            "stats" => Op::Stats,
            "status" => Op::Status,
            "reindex" => Op::Reindex(p(op, params)?),
            "cancel" => Op::Cancel(p(op, params)?),
            "shutdown" => Op::Shutdown,
            other => {
                return Err(RpcError::new(
                    ErrorCode::UnknownOp,
                    format!(
                        "unknown op {other:?}; this daemon serves: {}",
                        OPS.join(", ")
                    ),
                ));
            }
        })
    }

    /// Whether the op answers from the index (everything but the session
    /// and daemon ops).
    pub fn reads_index(&self) -> bool {
        !matches!(
            self,
            Op::Hello(_) | Op::Stats | Op::Status | Op::Reindex(_) | Op::Cancel(_) | Op::Shutdown
        )
    }

    pub fn name(&self) -> &'static str {
        match self {
            Op::Hello(_) => "hello",
            Op::SearchSymbols(_) => "search_symbols",
            Op::Definitions(_) => "definitions",
            Op::References(_) => "references",
            Op::FileOutline(_) => "file_outline",
            Op::SymbolAt(_) => "symbol_at",
            Op::Callers(_) => "callers",
            Op::Callees(_) => "callees",
            Op::Implementations(_) => "implementations",
            Op::Imports(_) => "imports",
            Op::Dependents(_) => "dependents",
            Op::Files(_) => "files",
            Op::Dir(_) => "dir",
            Op::SearchText(_) => "search_text",
            Op::RepoMap(_) => "repo_map",
            Op::Stats => "stats",
            Op::Status => "status",
            Op::Reindex(_) => "reindex",
            Op::Cancel(_) => "cancel",
            Op::Shutdown => "shutdown",
        }
    }
}

/// `hello`: the first request of every connection.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HelloParams {
    /// The token from the lockfile.
    pub token: String,
    /// Who is asking, for the daemon's log (`code-index-mcp 0.5.0`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<u32>,
}

/// The answer to `hello`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HelloResult {
    /// The canonical root the daemon serves.
    pub root: String,
    pub pid: u32,
    pub version: String,
    pub protocol: u32,
}

/// Filters on definitions.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SymbolFilterParams {
    /// Symbol kinds (`function`, `class`, ...); all when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// A path glob relative to the root (`src/**/*.rs`, `*.h`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub glob: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchSymbolsParams {
    pub query: String,
    #[serde(flatten)]
    pub filter: SymbolFilterParams,
    #[serde(flatten)]
    pub paging: PageRequest,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DefinitionsParams {
    /// A name or a qualified name (`Foo::bar`, `pkg.Class.method`).
    pub name: String,
    /// A root-relative path: definitions near it rank first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    #[serde(flatten)]
    pub filter: SymbolFilterParams,
    #[serde(flatten)]
    pub paging: PageRequest,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferencesParams {
    pub name: String,
    /// Reference kinds (`call`, `type_use`, `import`, `implementation`, `other`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub glob: Option<String>,
    /// Only `resolved`, `candidate` or `distant` references, or `all`;
    /// resolved and candidates when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<String>,
    /// Only the references of the definitions in this root-relative file,
    /// or of the one at `path:line`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub defined_in: Option<String>,
    #[serde(flatten)]
    pub paging: PageRequest,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathParams {
    /// Root-relative path of an indexed file.
    pub path: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SymbolAtParams {
    pub path: String,
    /// 1-based.
    pub line: u32,
    /// 1-based byte column; the first identifier of the line when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallGraphParams {
    pub name: String,
    /// 1 to 3; 1 when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depth: Option<u8>,
    /// Only `resolved`, `candidate` or `distant` edges, or `all`; resolved
    /// and candidates when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<String>,
    /// Only the calls of (callers) or from (callees) the definition in this
    /// root-relative file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub defined_in: Option<String>,
    #[serde(flatten)]
    pub paging: PageRequest,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameParams {
    pub name: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DependentsParams {
    /// An indexed file's path, or a module name as written in imports.
    pub target: String,
    #[serde(flatten)]
    pub paging: PageRequest,
}

/// `files`: the indexed files under a directory, optionally matching a glob.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilesParams {
    /// A directory relative to the root; the whole tree when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub glob: Option<String>,
    #[serde(flatten)]
    pub paging: PageRequest,
}

/// `cancel`: give up on a request of the same connection that is still
/// running; it is answered with the `Cancelled` error.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelParams {
    /// The `id` of that request.
    pub id: Value,
}

/// The answer to `cancel`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelResult {
    /// Whether the request was still running (and now stops).
    pub cancelled: bool,
}

/// `dir`: the entries of a directory, up to a depth, with file counts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirParams {
    /// A directory relative to the root; the root when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// Levels below it, 1 to 8 (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depth: Option<u32>,
    #[serde(flatten)]
    pub paging: PageRequest,
}

/// An entry of `dir`, relative to the listed directory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirEntry {
    /// Ends in `/` for a directory.
    pub path: String,
    /// For a directory, the indexed files anywhere below it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files: Option<u64>,
}

/// `search_text`: lines of the indexed files matching a pattern.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchTextParams {
    pub pattern: String,
    /// A regular expression; literal text when false or absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<bool>,
    /// Case-sensitive when true or absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_sensitive: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub glob: Option<String>,
    /// Lines of context around each hit (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<u32>,
    #[serde(flatten)]
    pub paging: PageRequest,
}

/// One line that matched `search_text`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextHit {
    pub path: String,
    pub line: u32,
    pub text: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub before: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub after: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enclosing: Option<String>,
}

/// `repo_map`: the most depended-on files and their most used definitions.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoMapParams {
    /// Most files (default 50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_files: Option<u32>,
    /// Most definitions per file (default 8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symbols_per_file: Option<u32>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RepoMapFile {
    pub path: String,
    /// Importance, 1 for the top file.
    pub rank: f64,
    pub symbols: Vec<RepoMapSymbol>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RepoMapSymbol {
    #[serde(flatten)]
    pub symbol: Symbol,
    /// References to its name from other files.
    pub references: f64,
}

/// A file of the index.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    pub size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    #[serde(default)]
    pub definitions: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReindexParams {
    /// One root-relative path (file or directory) to re-read; the whole tree when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// A page of results.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub total: u64,
    pub offset: u64,
    pub limit: u64,
    pub items: Vec<T>,
    /// The daemon stopped counting at `total`: there are at least that many.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_is_lower_bound: Option<bool>,
}

/// A range: 1-based lines and byte columns, end exclusive.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub start_line: u32,
    pub start_col: u32,
    pub end_line: u32,
    pub end_col: u32,
}

/// A definition.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Symbol {
    pub name: String,
    pub qualified_name: String,
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    pub path: String,
    pub span: Span,
    pub name_span: Span,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub container: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub signature: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub doc: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SymbolMatch {
    #[serde(flatten)]
    pub symbol: Symbol,
    /// `exact`, `prefix`, `substring` or `fuzzy`.
    pub match_kind: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferencesResult {
    pub total: u64,
    /// How many of `total` are bound to the definitions asked about
    /// (`resolution` = `resolved`); they come first.
    #[serde(default)]
    pub resolved: u64,
    /// Same-name matches graded `distant` that were left out (they are
    /// listed only when `resolution` is `all` or `distant`).
    #[serde(default)]
    pub distant_left_out: u64,
    pub offset: u64,
    pub limit: u64,
    pub files: Vec<FileReferences>,
    /// Definitions that override or implement the members asked about
    /// (members of classes that inherit theirs): their uses are not listed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overrides: Vec<DefinitionSite>,
    /// How many overrides there are, of which `overrides` lists the first.
    #[serde(default)]
    pub overrides_total: u64,
}

/// Where a definition is, and its qualified name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DefinitionSite {
    pub path: String,
    pub line: u32,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileReferences {
    pub path: String,
    pub references: Vec<ReferenceHit>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferenceHit {
    pub line: u32,
    pub column: u32,
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enclosing: Option<String>,
    pub text: String,
    /// `resolved` (bound to the definitions asked about) or `candidate`
    /// (the same name, through something whose type is not known).
    #[serde(default = "candidate")]
    pub resolution: String,
}

fn candidate() -> String {
    "candidate".to_string()
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutlineNode {
    #[serde(flatten)]
    pub symbol: Symbol,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<OutlineNode>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SymbolAtResult {
    pub path: String,
    pub line: u32,
    pub column: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enclosing: Option<Symbol>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub defines: Option<Symbol>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_kind: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallGraph {
    pub name: String,
    pub depth: u8,
    pub total: u64,
    /// How many of `total` edges are resolved; each level lists them first.
    #[serde(default)]
    pub resolved: u64,
    /// Edges graded `distant` that were left out.
    #[serde(default)]
    pub distant_left_out: u64,
    pub offset: u64,
    pub limit: u64,
    pub edges: Vec<CallEdge>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallEdge {
    pub depth: u8,
    pub from: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_symbol: Option<Symbol>,
    pub to: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_symbol: Option<Symbol>,
    pub path: String,
    pub lines: Vec<u32>,
    /// `resolved` (bound to the definition asked, or to the one named in
    /// `to_symbol`) or `candidate` (the same name only).
    #[serde(default = "candidate")]
    pub resolution: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Implementations {
    pub name: String,
    pub implementations: Vec<TypeRelation>,
    pub supertypes: Vec<TypeRelation>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypeRelation {
    pub implementor: String,
    pub supertype: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symbol: Option<Symbol>,
    pub path: String,
    pub line: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportHit {
    pub module: String,
    pub line: u32,
    #[serde(default)]
    pub resolved: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DependentHit {
    pub path: String,
    pub line: u32,
    pub module: String,
}

/// Counts for one language.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LanguageStats {
    pub files: u64,
    pub definitions: u64,
    pub references: u64,
}

/// The answer to `stats`: what the index holds, and for which root.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatsResult {
    /// The canonical root the daemon serves; always present.
    pub root: String,
    pub files: u64,
    pub parsed_files: u64,
    pub definitions: u64,
    pub references: u64,
    #[serde(default)]
    pub languages: std::collections::BTreeMap<String, LanguageStats>,
    #[serde(default)]
    pub skipped: std::collections::BTreeMap<String, u64>,
    #[serde(default)]
    pub files_with_syntax_errors: u64,
    #[serde(default)]
    pub parse_failures: u64,
    #[serde(default)]
    pub memory_bytes: u64,
}

/// The answer to `status`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusResult {
    pub root: String,
    /// `loading` (reading the snapshot), `indexing` (first full pass),
    /// `ready`, or `failed` (the first pass could not run: see `error`).
    pub state: String,
    /// Why the first pass failed, with state `failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<Progress>,
    pub pid: u32,
    pub version: String,
    pub protocol: u32,
    pub uptime_seconds: u64,
    pub files: u64,
    pub definitions: u64,
    /// Requests being answered now, over all connections.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests_in_flight: Option<u64>,
    /// `ok`, `polling` (no OS watches left: periodic rescans) or `off`.
    pub watcher: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watcher_detail: Option<String>,
    /// Batches of file changes the watcher has applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watcher_batches: Option<u64>,
    /// Times the watcher's periodic check found the index behind the tree
    /// (changes the events missed) and repaired it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watcher_repairs: Option<u64>,
    /// Seconds since that check last ran; absent before the first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watcher_checked_seconds_ago: Option<u64>,
    /// Open client connections, this one included.
    pub connections: u64,
    /// Seconds without any connection before the daemon exits (0: never).
    pub idle_timeout_seconds: u64,
}

/// The answer to `shutdown`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShutdownResult {
    pub stopping: bool,
}

/// The answer to `reindex`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ReindexResult {
    /// Files parsed in the pass.
    pub parsed: u64,
    pub unchanged: u64,
    pub removed: u64,
    pub elapsed_ms: f64,
    /// The path re-read, normalised (absent for the whole tree).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Why that file is listed but not parsed (`binary`, `too_large`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn requests_round_trip() {
        let req = Request::new(
            7,
            "definitions",
            DefinitionsParams {
                name: "Foo::bar".into(),
                context: Some("src/a.rs".into()),
                ..Default::default()
            },
        );
        let line = serde_json::to_string(&req).unwrap();
        assert_eq!(
            line,
            r#"{"id":7,"op":"definitions","params":{"context":"src/a.rs","name":"Foo::bar"}}"#
        );
        let back: Request = serde_json::from_str(&line).unwrap();
        assert_eq!(back, req);
        let op = Op::parse(&back.op, back.params).unwrap();
        assert_eq!(op.name(), "definitions");
    }

    #[test]
    fn every_op_parses_with_minimal_params() {
        let minimal = |op: &str| match op {
            "hello" => json!({"token": "t"}),
            "search_symbols" => json!({"query": "q"}),
            "definitions" | "references" | "callers" | "callees" | "implementations" => {
                json!({"name": "n"})
            }
            "file_outline" | "imports" => json!({"path": "a.rs"}),
            "symbol_at" => json!({"path": "a.rs", "line": 1}),
            "dependents" => json!({"target": "a.rs"}),
            "files" | "dir" => json!({}),
            "cancel" => json!({"id": 1}),
            "search_text" => json!({"pattern": "p"}),
            "repo_map" => json!({}),
            _ => Value::Null,
        };
        for &name in OPS {
            let op = Op::parse(name, minimal(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(op.name(), name);
        }
    }

    #[test]
    fn unknown_fields_are_ignored_and_new_fields_are_optional() {
        // A newer client sends a field this version does not know.
        let op = Op::parse("references", json!({"name": "x", "future_flag": true})).unwrap();
        assert_eq!(
            op,
            Op::References(ReferencesParams {
                name: "x".into(),
                ..Default::default()
            })
        );
        // A newer daemon answers with a field this version does not know.
        let status: StatusResult = serde_json::from_value(json!({
            "root": "/r", "state": "ready", "pid": 1, "version": "9.9.9", "protocol": 1,
            "uptime_seconds": 5, "files": 2, "definitions": 3, "watcher": "ok",
            "connections": 1, "idle_timeout_seconds": 0, "gpu": "none"
        }))
        .unwrap();
        assert_eq!(status.state, "ready");
        // An older daemon's stats without the optional counters still decode.
        let stats: StatsResult = serde_json::from_value(json!({
            "root": "/r", "files": 1, "parsed_files": 1, "definitions": 0, "references": 0
        }))
        .unwrap();
        assert_eq!(stats.root, "/r");
        // Optional fields are omitted when absent.
        let line = serde_json::to_string(&Response::ok(json!(1), json!({}))).unwrap();
        assert_eq!(line, r#"{"id":1,"result":{}}"#);
    }

    #[test]
    fn bad_params_and_unknown_ops_are_typed_errors() {
        let err = Op::parse("symbol_at", json!({"path": "a.rs", "line": "ten"})).unwrap_err();
        assert_eq!(err.kind(), Some(ErrorCode::InvalidParams));
        assert!(err.message.contains("symbol_at"), "{}", err.message);
        let err = Op::parse("frobnicate", Value::Null).unwrap_err();
        assert_eq!(err.kind(), Some(ErrorCode::UnknownOp));
        assert!(err.message.contains("definitions"));
        let err = Op::parse("definitions", Value::Null).unwrap_err();
        assert_eq!(err.kind(), Some(ErrorCode::InvalidParams));
    }

    #[test]
    fn responses_round_trip_results_and_errors() {
        let page = Page {
            total: 1,
            offset: 0,
            limit: 10,
            items: vec![Symbol {
                name: "bar".into(),
                qualified_name: "Foo::bar".into(),
                kind: "method".into(),
                language: Some("rust".into()),
                path: "src/a.rs".into(),
                ..Default::default()
            }],
            total_is_lower_bound: None,
        };
        let mut resp = Response::ok(json!("a"), serde_json::to_value(&page).unwrap());
        resp.complete = Some(false);
        resp.progress = Some(Progress { done: 3, total: 9 });
        let line = serde_json::to_string(&resp).unwrap();
        let back: Response = serde_json::from_str(&line).unwrap();
        assert_eq!(back, resp);
        let decoded: Page<Symbol> = back.into_result().unwrap();
        assert_eq!(decoded, page);

        let err = Response::err(json!(2), RpcError::new(ErrorCode::NotFound, "no such file"));
        let line = serde_json::to_string(&err).unwrap();
        assert_eq!(
            line,
            r#"{"id":2,"error":{"code":-32003,"message":"no such file"}}"#
        );
        let back: Response = serde_json::from_str(&line).unwrap();
        let e = back.into_result::<Value>().unwrap_err();
        assert_eq!(e.kind(), Some(ErrorCode::NotFound));
    }

    #[test]
    fn every_error_code_round_trips() {
        for code in [
            ErrorCode::ParseError,
            ErrorCode::LineTooLong,
            ErrorCode::UnknownOp,
            ErrorCode::InvalidParams,
            ErrorCode::Unauthorized,
            ErrorCode::NotFound,
            ErrorCode::Internal,
            ErrorCode::ShuttingDown,
        ] {
            assert_eq!(ErrorCode::from_code(code.code()), Some(code));
        }
        assert_eq!(ErrorCode::from_code(12345), None);
    }
}
