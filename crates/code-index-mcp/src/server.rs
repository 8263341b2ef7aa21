//! The MCP server: one tool per question, each a thin call to the root's
//! daemon through [`RpcIndex`], its answer rendered for a model's context
//! window within a budget (text, and with `--structured` the same answer as
//! `structuredContent`: see [`render::Payload`]).

use std::sync::Arc;

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ContentBlock, Implementation, ServerCapabilities, ServerConfig};
use rmcp::{ServerHandler, tool, tool_handler, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use std::path::PathBuf;

use tokio::sync::OnceCell;

use crate::render::{self, Payload, Rendered, Text};
use crate::rpc::{RpcIndex, RpcIndexError, SpawnOptions};

/// Default number of results a listing tool returns.
const DEFAULT_LIMIT: u64 = 50;

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
    fn count_only(&self) -> bool {
        self.count_only.unwrap_or(false)
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SearchSymbolsArgs {
    /// Name or part of a name; `Foo::bar` or `Foo.bar` also filters by container.
    pub query: String,
    /// Only these kinds: function, method, class, struct, enum, interface, trait, module, constant, variable, field, type_alias, macro, ...
    pub kind: Option<Vec<String>>,
    /// Only this language: rust, python, typescript, go, java, c, cpp, ...
    pub language: Option<String>,
    /// Only paths matching this glob (`src/**/*.rs`, `*.h`).
    pub glob: Option<String>,
    #[serde(flatten)]
    pub page: PageArgs,
    /// Only these projects (comma-separated names, see list_projects); all when absent.
    pub project: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct FindDefinitionArgs {
    /// A name (`parse`) or a qualified name (`Parser::parse`, `pkg.Parser.parse`), spelled exactly.
    pub name: String,
    /// A file (relative path) to rank definitions near it first.
    pub context: Option<String>,
    /// Only these kinds: function, method, class, struct, enum, interface, trait, module, constant, variable, field, type_alias, macro, ...
    pub kind: Option<Vec<String>>,
    /// Only this language: rust, python, typescript, go, java, c, cpp, ...
    pub language: Option<String>,
    /// Only paths matching this glob (`src/**/*.rs`, `*.h`).
    pub glob: Option<String>,
    #[serde(flatten)]
    pub page: PageArgs,
    /// Only these projects (comma-separated names, see list_projects); all when absent.
    pub project: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct FindReferencesArgs {
    /// The name referred to (last segment of a qualified name).
    pub name: String,
    /// Only these reference kinds: call, type_use, import, implementation, other.
    pub kind: Option<Vec<String>>,
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
    /// Levels to follow, 1 to 3 (default 1).
    pub depth: Option<u8>,
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

/// The code-index MCP server for one project root.
#[derive(Clone)]
pub struct CodeIndexServer {
    /// Attached on first use (and started in the background at once), so
    /// that `initialize` never waits for a daemon.
    index: Arc<OnceCell<Arc<RpcIndex>>>,
    /// The project root; until the first tool call it may still change to
    /// the client's MCP root.
    root: Arc<std::sync::RwLock<PathBuf>>,
    /// Given with `--root`: the client's roots do not override it.
    explicit_root: bool,
    /// True once the root is final (at once with `--root`, else after the
    /// client's roots were asked for): tools wait for it.
    root_settled: tokio::sync::watch::Sender<bool>,
    spawn: Option<SpawnOptions>,
    /// The primary project and its workspace links, resolved once the root is settled.
    links: Arc<OnceCell<Links>>,
    /// How much an answer may hold, and in which form.
    payload: Payload,
    tool_router: ToolRouter<Self>,
}

/// The projects a server answers for, besides the primary one's client.
struct Links {
    projects: Vec<Arc<Project>>,
    warnings: Vec<String>,
}

struct Project {
    spec: crate::projects::ProjectSpec,
    /// Links only: the primary project's client is the server's own.
    client: OnceCell<Arc<RpcIndex>>,
}

fn filter_params(
    kind: Option<Vec<String>>,
    language: Option<String>,
    glob: Option<String>,
) -> Map<String, Value> {
    let mut params = Map::new();
    if let Some(kind) = kind {
        params.insert("kind".into(), json!(kind));
    }
    if let Some(language) = language {
        params.insert("language".into(), json!(language));
    }
    if let Some(glob) = glob {
        params.insert("glob".into(), json!(glob));
    }
    params
}

fn paging(params: &mut Map<String, Value>, page: &PageArgs) {
    // Counting needs one result at most: the total comes with any page.
    let limit = if page.count_only() {
        1
    } else {
        page.limit.unwrap_or(DEFAULT_LIMIT)
    };
    params.insert("limit".into(), json!(limit));
    params.insert("offset".into(), json!(page.offset.unwrap_or(0)));
}

#[tool_router(router = tool_router)]
impl CodeIndexServer {
    /// A server for `root` (canonical). With `spawn`, a daemon is started
    /// when none runs; without, one must already run.
    pub fn new(root: PathBuf, spawn: Option<SpawnOptions>) -> Self {
        CodeIndexServer {
            index: Arc::new(OnceCell::new()),
            root: Arc::new(std::sync::RwLock::new(root)),
            explicit_root: true,
            root_settled: tokio::sync::watch::Sender::new(true),
            spawn,
            links: Arc::new(OnceCell::new()),
            payload: Payload::default(),
            tool_router: Self::tool_router(),
        }
    }

    /// The projects, resolved from `code-index.toml` on first use.
    async fn links(&self) -> &Links {
        self.wait_for_root().await;
        self.links
            .get_or_init(|| async {
                let (specs, warnings) = crate::projects::resolve(&self.root_path());
                for warning in &warnings {
                    tracing::warn!(root = %self.root(), "{warning}");
                }
                Links {
                    projects: specs
                        .into_iter()
                        .map(|spec| {
                            Arc::new(Project {
                                spec,
                                client: OnceCell::new(),
                            })
                        })
                        .collect(),
                    warnings,
                }
            })
            .await
    }

    /// The projects named by a `project` argument (comma-separated names),
    /// or all of them.
    async fn select(&self, project: Option<&str>) -> Result<Vec<Arc<Project>>, String> {
        let links = self.links().await;
        let Some(wanted) = project.filter(|p| !p.trim().is_empty()) else {
            return Ok(links.projects.clone());
        };
        wanted
            .split(',')
            .map(str::trim)
            .map(|name| {
                links
                    .projects
                    .iter()
                    .find(|p| p.spec.name == name)
                    .cloned()
                    .ok_or_else(|| {
                        let known: Vec<&str> = links
                            .projects
                            .iter()
                            .map(|p| p.spec.name.as_str())
                            .collect();
                        format!(
                            "unknown project {name:?}; the projects are: {}",
                            known.join(", ")
                        )
                    })
            })
            .collect()
    }

    /// The daemon client of one project.
    async fn client_for(&self, project: &Project) -> Result<Arc<RpcIndex>, RpcIndexError> {
        if project.spec.primary {
            return self.index().await.cloned();
        }
        let spawn = self.spawn.clone();
        project
            .client
            .get_or_try_init(|| async {
                let client = match spawn {
                    Some(spawn) => RpcIndex::attach(&project.spec.root, spawn).await?,
                    None => RpcIndex::connect_running(&project.spec.root).await?,
                };
                Ok(Arc::new(client))
            })
            .await
            .cloned()
    }

    /// The one project a tool works in: the one `project` names, else the primary.
    async fn one_project(&self, project: Option<&str>) -> Result<Arc<Project>, String> {
        let selected = self.select(project).await?;
        match (project, selected.as_slice()) {
            (Some(_), [one]) => Ok(one.clone()),
            (Some(names), _) => Err(format!("name one project, not {names:?}")),
            (None, _) => Ok(self.links().await.projects[0].clone()),
        }
    }

    /// The root of the project a tool works in.
    async fn project_root(&self, project: Option<&str>) -> Result<PathBuf, String> {
        Ok(self.one_project(project).await?.spec.root.clone())
    }

    /// `call` in the project `project` names (the primary when `None`).
    async fn call_in(
        &self,
        project: Option<&str>,
        op: &str,
        params: Value,
    ) -> Result<Value, RpcIndexError> {
        let p = self
            .one_project(project)
            .await
            .map_err(RpcIndexError::Usage)?;
        self.client_for(&p).await?.call::<Value>(op, params).await
    }

    /// `run` in the project `project` names (the primary when `None`).
    async fn run_in(
        &self,
        project: Option<String>,
        tool: &str,
        op: &str,
        params: Value,
        render: impl FnOnce(&Value, &mut Text) -> String,
    ) -> CallToolResult {
        let p = match self.one_project(project.as_deref()).await {
            Ok(p) => p,
            Err(message) => return tool_error(tool, &self.root(), message),
        };
        let client = match self.client_for(&p).await {
            Ok(client) => client,
            Err(err) => return self.failure(tool, &err),
        };
        match client.request(op, params).await {
            Ok(response) => {
                let complete = response.complete.unwrap_or(true);
                let progress = response.progress.map(|p| (p.done, p.total));
                match response.into_result::<Value>() {
                    Ok(result) => self.answer(result, complete, progress, render),
                    Err(err) => self.failure(tool, &RpcIndexError::Daemon(err)),
                }
            }
            Err(err) => self.failure(tool, &err),
        }
    }

    /// Runs a listing op on the selected projects and merges the pages:
    /// every hit names its project when links exist.
    async fn run_across(
        &self,
        tool: &str,
        op: &str,
        params: Value,
        project: Option<String>,
        render: impl FnOnce(&Value, &mut Text) -> String,
    ) -> CallToolResult {
        let linked = self.links().await.projects.len() > 1;
        if !linked && project.is_none() {
            return self.run(tool, op, params, render).await;
        }
        let selected = match self.select(project.as_deref()).await {
            Ok(selected) => selected,
            Err(message) => return tool_error(tool, &self.root(), message),
        };
        let offset = params["offset"].as_u64().unwrap_or(0);
        let limit = params["limit"].as_u64().unwrap_or(DEFAULT_LIMIT);
        let mut each = params.clone();
        each["offset"] = json!(0);
        each["limit"] = json!(offset + limit);
        let (mut total, mut complete, mut progress) = (0u64, true, None);
        let mut lower_bound = false;
        let mut items: Vec<Value> = Vec::new();
        let mut hits: Vec<(String, String, Value)> = Vec::new();
        let mut relations: Vec<(&str, Value)> = Vec::new();
        let (mut name, mut depth): (Option<Value>, Option<Value>) = (None, None);
        for p in selected {
            let client = match self.client_for(&p).await {
                Ok(client) => client,
                Err(err) => return self.failure(tool, &err),
            };
            let response = match client.request(op, each.clone()).await {
                Ok(response) => response,
                Err(err) => return self.failure(tool, &err),
            };
            complete &= response.complete.unwrap_or(true);
            progress = progress.or(response.progress.map(|pr| (pr.done, pr.total)));
            let result = match response.into_result::<Value>() {
                Ok(result) => result,
                Err(err) => return self.failure(tool, &RpcIndexError::Daemon(err)),
            };
            total += result["total"].as_u64().unwrap_or(0);
            lower_bound |= result["total_is_lower_bound"] == json!(true);
            for key in ["items", "edges"] {
                for mut item in result[key].as_array().cloned().unwrap_or_default() {
                    item["project"] = json!(p.spec.name);
                    items.push(item);
                }
            }
            for key in ["implementations", "supertypes"] {
                for mut item in result[key].as_array().cloned().unwrap_or_default() {
                    item["project"] = json!(p.spec.name);
                    relations.push((key, item));
                }
            }
            if name.is_none() {
                name = result.get("name").cloned();
                depth = result.get("depth").cloned();
            }
            for file in result["files"].as_array().into_iter().flatten() {
                let path = file["path"].as_str().unwrap_or("?").to_string();
                for hit in file["references"].as_array().into_iter().flatten() {
                    hits.push((p.spec.name.clone(), path.clone(), hit.clone()));
                }
            }
        }
        let skip = offset as usize;
        let take = limit as usize;
        let merged = if op == "implementations" {
            let pick = |key: &str| -> Vec<Value> {
                relations
                    .iter()
                    .filter(|(k, _)| *k == key)
                    .map(|(_, v)| v.clone())
                    .collect()
            };
            json!({"name": name, "implementations": pick("implementations"), "supertypes": pick("supertypes")})
        } else if op == "callers" || op == "callees" {
            let edges: Vec<Value> = items.into_iter().skip(skip).take(take).collect();
            json!({"name": name, "depth": depth, "total": total, "offset": offset, "limit": limit, "edges": edges})
        } else if op == "references" {
            let mut files: Vec<Value> = Vec::new();
            for (project, path, hit) in hits.into_iter().skip(skip).take(take) {
                match files.last_mut() {
                    Some(f) if f["project"] == json!(project) && f["path"] == json!(path) => {
                        f["references"].as_array_mut().unwrap().push(hit);
                    }
                    _ => files.push(json!({"project": project, "path": path, "references": [hit]})),
                }
            }
            json!({"total": total, "offset": offset, "limit": limit, "files": files})
        } else {
            let items: Vec<Value> = items.into_iter().skip(skip).take(take).collect();
            let mut page =
                json!({"total": total, "offset": offset, "limit": limit, "items": items});
            if lower_bound {
                page["total_is_lower_bound"] = json!(true);
            }
            page
        };
        self.answer(merged, complete, progress, render)
    }

    /// A server whose root was guessed from the working directory: the
    /// client's first MCP root, if it offers roots, replaces it.
    pub fn with_fallback_root(root: PathBuf, spawn: Option<SpawnOptions>) -> Self {
        CodeIndexServer {
            explicit_root: false,
            root_settled: tokio::sync::watch::Sender::new(false),
            ..Self::new(root, spawn)
        }
    }

    /// Answers of this size and form. With `structured`, every tool
    /// declares the structured answer's schema.
    pub fn with_payload(mut self, payload: Payload) -> Self {
        self.payload = payload;
        if payload.structured {
            let schema = Arc::new(render::output_schema());
            for route in self.tool_router.map.values_mut() {
                route.attr.output_schema = Some(schema.clone());
            }
        }
        self
    }

    pub fn root_path(&self) -> PathBuf {
        self.root.read().unwrap().clone()
    }

    fn root(&self) -> String {
        self.root_path().display().to_string()
    }

    /// Attaches in the background, so that the daemon is up by the first call.
    fn attach_in_background(&self) {
        let server = self.clone();
        tokio::spawn(async move {
            if let Err(err) = server.index().await {
                tracing::warn!(root = %server.root(), "cannot attach to a daemon yet: {err}");
            }
        });
    }

    /// Takes the client's first `file://` root as the project root. (MCP
    /// roots are deprecated by the newest protocol revision, but clients on
    /// older ones still offer them.)
    #[allow(deprecated)]
    async fn adopt_client_root(&self, peer: &rmcp::Peer<rmcp::RoleServer>) {
        let offers_roots = peer
            .peer_info()
            .is_some_and(|info| info.capabilities.roots.is_some());
        if self.explicit_root || !offers_roots {
            return;
        }
        let roots = match peer.list_roots().await {
            Ok(result) => result.roots,
            Err(err) => {
                tracing::info!("the client offers roots but did not list them: {err}");
                return;
            }
        };
        let chosen = roots.iter().find_map(|r| {
            // `file:///a%20b` and `file://localhost/a` alike.
            let path = url::Url::parse(&r.uri).ok()?.to_file_path().ok()?;
            std::fs::canonicalize(path).ok().filter(|p| p.is_dir())
        });
        if let Some(root) = chosen
            && self.index.get().is_none()
        {
            tracing::info!(root = %root.display(), "using the client's root");
            *self.root.write().unwrap() = root;
        }
    }

    /// The daemon client, attaching on first use; a failed attach is tried
    /// again on the next call.
    async fn wait_for_root(&self) {
        // A client that never says it is initialized gets the fallback root.
        let mut settled = self.root_settled.subscribe();
        let _ = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            settled.wait_for(|done| *done),
        )
        .await;
    }

    async fn index(&self) -> Result<&Arc<RpcIndex>, RpcIndexError> {
        self.wait_for_root().await;
        self.index
            .get_or_try_init(|| async {
                let client = match &self.spawn {
                    Some(spawn) => RpcIndex::attach(&self.root_path(), spawn.clone()).await?,
                    None => RpcIndex::connect_running(&self.root_path()).await?,
                };
                Ok(Arc::new(client))
            })
            .await
    }

    /// Runs a daemon op in the primary project and renders its answer;
    /// failures become `isError` results.
    async fn run(
        &self,
        tool: &str,
        op: &str,
        params: Value,
        render: impl FnOnce(&Value, &mut Text) -> String,
    ) -> CallToolResult {
        self.run_in(None, tool, op, params, render).await
    }

    /// Renders a result: the text for the model, the result itself as
    /// structured content.
    fn answer(
        &self,
        result: Value,
        complete: bool,
        progress: Option<(u64, u64)>,
        render: impl FnOnce(&Value, &mut Text) -> String,
    ) -> CallToolResult {
        let mut text = self.text();
        if !complete {
            text.note(render::incomplete_notice(progress));
        }
        let how = render(&result, &mut text);
        if !complete && text.total() == Some(0) {
            // "Nothing" from a partial index is not "does not exist".
            let left = progress
                .filter(|&(_, total)| total > 0)
                .map(|(done, total)| {
                    format!(
                        " ({} of {total} files still to index)",
                        total.saturating_sub(done)
                    )
                })
                .unwrap_or_default();
            text.note(format!(
                "nothing found yet: it may be in files not indexed so far{left}; ask again once index_status says ready"
            ));
        }
        self.reply(text.finish_rendered(&how), result)
    }

    /// A text within this server's budget.
    fn text(&self) -> Text {
        Text::for_payload(self.payload, None)
    }

    /// The result a client gets: the text, and with `--structured` the
    /// structured form of the same answer.
    fn reply(&self, rendered: Rendered, wire: Value) -> CallToolResult {
        let structured = if self.payload.wire {
            // structuredContent must be an object.
            Some(if wire.is_object() {
                wire
            } else {
                json!({ "result": wire })
            })
        } else {
            self.payload
                .structured
                .then(|| Value::Object(rendered.clone().structured_within(self.payload.budget)))
        };
        let mut out = CallToolResult::success(vec![ContentBlock::text(rendered.text)]);
        out.structured_content = structured;
        out
    }

    fn failure(&self, tool: &str, err: &RpcIndexError) -> CallToolResult {
        tracing::warn!(root = %self.root(), tool, "tool failed: {}", error_chain(err));
        let advice = match err {
            RpcIndexError::Daemon(_) | RpcIndexError::Usage(_) | RpcIndexError::Cancelled => "",
            RpcIndexError::Connection(_) | RpcIndexError::NoDaemon { .. } => {
                " The code-index daemon is not reachable; `code-index doctor` in the project says why (its logs: .code-index/daemon.log and daemon.out)."
            }
            RpcIndexError::ForeignDaemon { .. } => {
                " Another project's daemon answered; stop it or remove .code-index/daemon.lock in this project."
            }
            RpcIndexError::Protocol(_) => {
                " The daemon and this server may be of different versions."
            }
        };
        CallToolResult::error(vec![ContentBlock::text(render::bounded_message(&format!(
            "{err}.{advice}"
        )))])
    }

    /// Find definitions by name: exact, prefix, substring, or fuzzy (typos forgiven), ranked in that order, case-insensitive. Filters: kind, language, glob.
    #[tool(annotations(read_only_hint = true))]
    async fn search_symbols(&self, Parameters(a): Parameters<SearchSymbolsArgs>) -> CallToolResult {
        let count_only = a.page.count_only();
        let mut params = filter_params(a.kind, a.language, a.glob);
        params.insert("query".into(), json!(a.query));
        paging(&mut params, &a.page);
        self.run_across(
            "search_symbols",
            "search_symbols",
            Value::Object(params),
            a.project,
            |r, text| page_lines(r, text, count_only, "symbols", render::symbol_line),
        )
        .await
    }

    /// Where a symbol is defined, by name or qualified name (`Type::method`, `pkg.Class.method`). Pass `context` (a file path) to rank definitions near it first.
    #[tool(annotations(read_only_hint = true))]
    async fn find_definition(
        &self,
        Parameters(a): Parameters<FindDefinitionArgs>,
    ) -> CallToolResult {
        let count_only = a.page.count_only();
        let mut params = filter_params(a.kind, a.language, a.glob);
        params.insert("name".into(), json!(a.name));
        if let Some(context) = a.context {
            params.insert("context".into(), json!(context));
        }
        paging(&mut params, &a.page);
        self.run_across(
            "find_definition",
            "definitions",
            Value::Object(params),
            a.project,
            |r, text| {
                page_lines(r, text, count_only, "definitions", |s| {
                    let mut line = render::symbol_line(s);
                    if let Some(doc) = s["doc"].as_str().and_then(|d| d.lines().next()) {
                        line.push_str("\n    ");
                        line.push_str(doc);
                    }
                    line
                })
            },
        )
        .await
    }

    /// Where a name is used (calls, type uses, imports, implementations), grouped by file, each with its line of source and enclosing definition.
    #[tool(annotations(read_only_hint = true))]
    async fn find_references(
        &self,
        Parameters(a): Parameters<FindReferencesArgs>,
    ) -> CallToolResult {
        let count_only = a.page.count_only();
        let mut params = Map::new();
        params.insert("name".into(), json!(a.name));
        if let Some(kind) = a.kind {
            params.insert("kind".into(), json!(kind));
        }
        if let Some(glob) = a.glob {
            params.insert("glob".into(), json!(glob));
        }
        paging(&mut params, &a.page);
        self.run_across(
            "find_references",
            "references",
            Value::Object(params),
            a.project,
            |r, text| {
                let total = r["total"].as_u64().unwrap_or(0);
                if count_only || total == 0 {
                    text.line(format!("{total} references"));
                    return String::new();
                }
                let mut shown = 0;
                for file in r["files"].as_array().into_iter().flatten() {
                    let path = file["path"].as_str().unwrap_or("?");
                    let header = match file["project"].as_str() {
                        Some(project) => format!("[{project}] {path}"),
                        None => path.to_string(),
                    };
                    if !text.line(header) {
                        break;
                    }
                    for hit in file["references"].as_array().into_iter().flatten() {
                        let enclosing = hit["enclosing"]
                            .as_str()
                            .map(|e| format!(" (in {e})"))
                            .unwrap_or_default();
                        let line = format!(
                            "  {}:{}  {}{enclosing}  {}",
                            hit["line"],
                            hit["column"],
                            hit["kind"].as_str().unwrap_or("?"),
                            hit["text"].as_str().unwrap_or("")
                        );
                        if !text.line(line) {
                            break;
                        }
                        shown += 1;
                    }
                }
                let offset = r["offset"].as_u64().unwrap_or(0);
                text.paging(total, offset, shown);
                format!(
                    "call again with offset={} and a smaller limit",
                    offset + shown as u64
                )
            },
        )
        .await
    }

    /// The definitions of one file as a tree: kind, name, line, signature.
    #[tool(annotations(read_only_hint = true))]
    async fn file_outline(&self, Parameters(a): Parameters<PathArgs>) -> CallToolResult {
        self.run_in(
            a.project.clone(),
            "file_outline",
            "file_outline",
            json!({"path": a.path}),
            |r, text| {
                let mut stack: Vec<(usize, &Value)> = r
                    .as_array()
                    .into_iter()
                    .flatten()
                    .rev()
                    .map(|n| (0, n))
                    .collect();
                if stack.is_empty() {
                    text.line("no definitions");
                }
                while let Some((depth, node)) = stack.pop() {
                    let line = format!(
                        "{}{}  {}  {}",
                        "  ".repeat(depth),
                        node["span"]["start_line"],
                        node["kind"].as_str().unwrap_or("?"),
                        node["signature"]
                            .as_str()
                            .filter(|s| !s.is_empty())
                            .or(node["name"].as_str())
                            .unwrap_or("?"),
                    );
                    if !text.line(line) {
                        break;
                    }
                    for child in node["children"].as_array().into_iter().flatten().rev() {
                        stack.push((depth + 1, child));
                    }
                }
                "use find_definition or symbol_at for parts of the file".to_string()
            },
        )
        .await
    }

    /// What is at a position in a file: the identifier, the innermost enclosing definition, and whether the identifier is defined or used there.
    #[tool(annotations(read_only_hint = true))]
    async fn symbol_at(&self, Parameters(a): Parameters<SymbolAtArgs>) -> CallToolResult {
        let mut params = json!({"path": a.path, "line": a.line});
        if let Some(column) = a.column {
            params["column"] = json!(column);
        }
        self.run_in(
            a.project.clone(),
            "symbol_at",
            "symbol_at",
            params,
            |r, text| {
                if let Some(id) = r["identifier"].as_str() {
                    let role = match (r.get("defines"), r["reference_kind"].as_str()) {
                        (Some(d), _) if !d.is_null() => "defined here".to_string(),
                        (_, Some(kind)) => format!("{kind} reference"),
                        _ => "identifier".to_string(),
                    };
                    text.line(format!("{id}  ({role})"));
                }
                match r.get("enclosing") {
                    Some(e) if !e.is_null() => {
                        text.line(format!("inside {}", render::symbol_line(e)))
                    }
                    _ => text.line("at the top level of the file"),
                };
                String::new()
            },
        )
        .await
    }

    /// Who calls a function, and with depth 2 or 3 who calls those; each edge with the calling file and lines.
    #[tool(annotations(read_only_hint = true))]
    async fn find_callers(&self, Parameters(a): Parameters<CallGraphArgs>) -> CallToolResult {
        self.call_graph("find_callers", "callers", a).await
    }

    /// What a function calls, and with depth 2 or 3 what those call; each callee resolved to its definition when found.
    #[tool(annotations(read_only_hint = true))]
    async fn find_callees(&self, Parameters(a): Parameters<CallGraphArgs>) -> CallToolResult {
        self.call_graph("find_callees", "callees", a).await
    }

    async fn call_graph(&self, tool: &str, op: &str, a: CallGraphArgs) -> CallToolResult {
        let count_only = a.page.count_only();
        let mut params = Map::new();
        params.insert("name".into(), json!(a.name));
        params.insert("depth".into(), json!(a.depth.unwrap_or(1).clamp(1, 3)));
        paging(&mut params, &a.page);
        self.run_across(tool, op, Value::Object(params), a.project, |r, text| {
            let total = r["total"].as_u64().unwrap_or(0);
            if count_only || total == 0 {
                text.line(format!("{total} call edges"));
                return String::new();
            }
            let edges = r["edges"].as_array().cloned().unwrap_or_default();
            let mut shown = 0;
            for e in &edges {
                let lines: Vec<String> = e["lines"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|l| l.to_string())
                    .collect();
                let target = e["to_symbol"]["path"]
                    .as_str()
                    .map(|p| format!("  → {p}:{}", e["to_symbol"]["span"]["start_line"]))
                    .unwrap_or_default();
                let project = e["project"]
                    .as_str()
                    .map(|p| format!("[{p}] "))
                    .unwrap_or_default();
                let line = format!(
                    "{project}{}{} → {}  at {}:{}{target}",
                    "  ".repeat(e["depth"].as_u64().unwrap_or(1) as usize - 1),
                    e["from"].as_str().unwrap_or("?"),
                    e["to"].as_str().unwrap_or("?"),
                    e["path"].as_str().unwrap_or("?"),
                    lines.join(","),
                );
                if !text.line(line) {
                    break;
                }
                shown += 1;
            }
            let offset = r["offset"].as_u64().unwrap_or(0);
            text.paging(total, offset, shown);
            format!("call again with offset={}", offset + shown as u64)
        })
        .await
    }

    /// Types that implement or extend a trait, interface or class, and the types it implements or extends itself.
    #[tool(annotations(read_only_hint = true))]
    async fn find_implementations(&self, Parameters(a): Parameters<NameArgs>) -> CallToolResult {
        self.run_across(
            "find_implementations",
            "implementations",
            json!({"name": a.name}),
            a.project,
            |r, text| {
                for (title, key, side) in [
                    (
                        "implemented or extended by",
                        "implementations",
                        "implementor",
                    ),
                    ("implements or extends", "supertypes", "supertype"),
                ] {
                    let items = r[key].as_array().cloned().unwrap_or_default();
                    if items.is_empty() {
                        continue;
                    }
                    text.line(format!("{title}:"));
                    for rel in &items {
                        let at = rel["symbol"]
                            .as_object()
                            .map(|_| render::symbol_line(&rel["symbol"]))
                            .unwrap_or_else(|| {
                                format!("{}:{}", rel["path"].as_str().unwrap_or("?"), rel["line"])
                            });
                        let project = rel["project"]
                            .as_str()
                            .map(|p| format!("[{p}] "))
                            .unwrap_or_default();
                        text.line(format!(
                            "  {project}{}  {at}",
                            rel[side].as_str().unwrap_or("?")
                        ));
                    }
                }
                if text_is_empty(r) {
                    text.line("no implementations or supertypes found");
                }
                String::new()
            },
        )
        .await
    }

    /// What a file imports (resolved to files where possible) and which files import it.
    #[tool(annotations(read_only_hint = true))]
    async fn file_dependencies(
        &self,
        Parameters(a): Parameters<FileDependenciesArgs>,
    ) -> CallToolResult {
        let imports = match self
            .call_in(a.project.as_deref(), "imports", json!({"path": a.path}))
            .await
        {
            Ok(v) => v,
            Err(err) => return self.failure("file_dependencies", &err),
        };
        let params = json!({
            "target": a.path,
            "limit": a.limit.unwrap_or(DEFAULT_LIMIT),
            "offset": a.offset.unwrap_or(0),
        });
        self.run_in(
            a.project.clone(),
            "file_dependencies",
            "dependents",
            params,
            |r, text| {
                text.line("imports:");
                let list = imports.as_array().cloned().unwrap_or_default();
                if list.is_empty() {
                    text.line("  (none)");
                }
                for i in &list {
                    let resolved: Vec<&str> = i["resolved"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .collect();
                    let to = if resolved.is_empty() {
                        String::new()
                    } else {
                        format!("  → {}", resolved.join(", "))
                    };
                    text.line(format!(
                        "  {}:{}  {}{to}",
                        a.path,
                        i["line"],
                        i["module"].as_str().unwrap_or("?")
                    ));
                }
                text.line("imported by:");
                let items = r["items"].as_array().cloned().unwrap_or_default();
                if items.is_empty() {
                    text.line("  (none)");
                }
                for d in &items {
                    text.line(format!(
                        "  {}:{}  {}",
                        d["path"].as_str().unwrap_or("?"),
                        d["line"],
                        d["module"].as_str().unwrap_or("?")
                    ));
                }
                let total = r["total"].as_u64().unwrap_or(0);
                text.paging(total, r["offset"].as_u64().unwrap_or(0), items.len());
                String::new()
            },
        )
        .await
    }

    /// For each project root: files, symbols, languages, indexing state and progress, watcher health, daemon pid, version and uptime.
    #[tool(annotations(read_only_hint = true))]
    async fn index_status(&self, Parameters(_): Parameters<NoArgs>) -> CallToolResult {
        let links = self.links().await;
        let mut text = self.text();
        let mut projects = Vec::new();
        for (i, p) in links.projects.iter().enumerate() {
            if i > 0 {
                text.line("");
            }
            use code_index_protocol::calls;
            let answers = match self.client_for(p).await {
                Ok(client) => match client.op::<calls::Stats>(&()).await {
                    Ok(stats) => client
                        .op::<calls::Status>(&())
                        .await
                        .map(|status| (stats, status)),
                    Err(err) => Err(err),
                },
                Err(err) => Err(err),
            };
            let (stats, r) = match answers {
                Ok(answers) => answers,
                Err(err) => {
                    if links.projects.len() == 1 {
                        return self.failure("index_status", &err);
                    }
                    text.line(format!(
                        "project  {} ({})  unavailable: {err}",
                        p.spec.name,
                        p.spec.root.display()
                    ));
                    continue;
                }
            };
            render::index_status(&r, &stats, &mut text);
            projects.push(json!({"name": p.spec.name, "status": r, "stats": stats}));
        }
        self.reply(
            text.finish_rendered("use list_projects"),
            json!({ "projects": projects }),
        )
    }

    /// Search the text of the project's files, literally or by regular expression; each hit names the definition it is in.
    #[tool(annotations(read_only_hint = true))]
    async fn search_text(&self, Parameters(a): Parameters<SearchTextArgs>) -> CallToolResult {
        let count_only = a.page.count_only();
        let mut params = Map::new();
        params.insert("pattern".into(), json!(a.pattern));
        params.insert("regex".into(), json!(a.regex.unwrap_or(false)));
        params.insert(
            "case_sensitive".into(),
            json!(a.case_sensitive.unwrap_or(true)),
        );
        if let Some(glob) = a.glob {
            params.insert("glob".into(), json!(glob));
        }
        params.insert("context".into(), json!(a.context.unwrap_or(0)));
        paging(&mut params, &a.page);
        self.run_across(
            "search_text",
            "search_text",
            Value::Object(params),
            a.project,
            |r, text| {
                page_lines(r, text, count_only, "matching lines", |h| {
                    let path = h["path"].as_str().unwrap_or("?");
                    let line = h["line"].as_u64().unwrap_or(0);
                    let enclosing = h["enclosing"]
                        .as_str()
                        .map(|e| format!("  (in {e})"))
                        .unwrap_or_default();
                    let mut out = String::new();
                    for (i, before) in h["before"].as_array().into_iter().flatten().enumerate() {
                        let n = line as usize - h["before"].as_array().map_or(0, Vec::len) + i;
                        out.push_str(&format!("{path}-{n}-  {}\n", before.as_str().unwrap_or("")));
                    }
                    out.push_str(&format!(
                        "{path}:{line}{enclosing}  {}",
                        h["text"].as_str().unwrap_or("").trim()
                    ));
                    for (i, after) in h["after"].as_array().into_iter().flatten().enumerate() {
                        out.push_str(&format!(
                            "\n{path}-{}-  {}",
                            line as usize + 1 + i,
                            after.as_str().unwrap_or("")
                        ));
                    }
                    out
                })
            },
        )
        .await
    }

    /// The most important files of the project (those others depend on most) with their most used definitions, within a token budget: a first look at an unfamiliar codebase.
    #[tool(annotations(read_only_hint = true))]
    async fn repo_map(&self, Parameters(a): Parameters<RepoMapArgs>) -> CallToolResult {
        let cap = a.max_tokens.unwrap_or(2000).clamp(100, 50_000) as usize * 4;
        let map = match self
            .call_in(
                a.project.as_deref(),
                "repo_map",
                json!({"max_files": 200, "symbols_per_file": 8}),
            )
            .await
        {
            Ok(map) => map,
            Err(err) => return self.failure("repo_map", &err),
        };
        let mut text = Text::for_payload(self.payload, Some(cap));
        'files: for file in map.as_array().into_iter().flatten() {
            if !text.line(file["path"].as_str().unwrap_or("?")) {
                break;
            }
            for s in file["symbols"].as_array().into_iter().flatten() {
                let name = s["qualified_name"].as_str().unwrap_or("?");
                let signature = s["signature"]
                    .as_str()
                    .filter(|g| !g.is_empty())
                    .unwrap_or(name);
                let line = format!(
                    "  {}  {}  {signature}",
                    s["span"]["start_line"],
                    s["kind"].as_str().unwrap_or("?")
                );
                if !text.line(line) {
                    break 'files;
                }
            }
        }
        self.reply(
            text.finish_rendered("raise max_tokens for more"),
            json!({ "files": map }),
        )
    }

    /// The definitions touched by uncommitted changes (or by changes since a git ref): changed lines mapped to their enclosing definitions, each with its callers.
    #[tool(annotations(read_only_hint = true))]
    async fn diff_symbols(&self, Parameters(a): Parameters<DiffSymbolsArgs>) -> CallToolResult {
        let base = a.base.unwrap_or_else(|| "HEAD".to_string());
        let root = match self.project_root(a.project.as_deref()).await {
            Ok(root) => root,
            Err(message) => return tool_error("diff_symbols", &self.root(), message),
        };
        let changes = match crate::diff::changed_lines(&root, &base).await {
            Ok(changes) => changes,
            Err(message) => return tool_error("diff_symbols", &self.root(), message),
        };
        let mut text = self.text();
        let mut touched_all = Vec::new();
        if changes.is_empty() {
            text.line(format!("no changes against {base}"));
        }
        for change in &changes {
            let outline = match self
                .call_in(
                    a.project.as_deref(),
                    "file_outline",
                    json!({"path": change.path}),
                )
                .await
            {
                Ok(outline) => outline,
                // A changed file the index does not hold (not source, or ignored).
                Err(RpcIndexError::Daemon(_)) => continue,
                Err(err) => return self.failure("diff_symbols", &err),
            };
            let touched = crate::diff::touched_definitions(&outline, change);
            if touched.is_empty() {
                continue;
            }
            text.line(format!(
                "{}{}",
                change.path,
                if change.new_file { "  (new file)" } else { "" }
            ));
            for symbol in touched {
                let name = symbol["qualified_name"].as_str().unwrap_or("?").to_string();
                text.line(format!("  {}", render::symbol_line(&symbol)));
                let callers = self
                    .call_in(
                        a.project.as_deref(),
                        "callers",
                        json!({"name": name, "limit": 10}),
                    )
                    .await
                    .unwrap_or(Value::Null);
                let edges = callers["edges"].as_array().cloned().unwrap_or_default();
                for e in &edges {
                    text.line(format!(
                        "      called by {} at {}:{}",
                        e["from"].as_str().unwrap_or("?"),
                        e["path"].as_str().unwrap_or("?"),
                        e["lines"][0]
                    ));
                }
                let more = callers["total"]
                    .as_u64()
                    .unwrap_or(0)
                    .saturating_sub(edges.len() as u64);
                if more > 0 {
                    text.line(format!("      … {more} more callers: find_callers {name}"));
                }
                touched_all.push(json!({"path": change.path, "symbol": symbol, "callers": edges}));
            }
        }
        if !changes.is_empty() && touched_all.is_empty() {
            text.line("the changes touch no indexed definition");
        }
        self.reply(
            text.finish_rendered("narrow with base"),
            json!({"base": base, "touched": touched_all}),
        )
    }

    /// Lines of a file, numbered. Paths are relative to the project root; nothing outside it can be read.
    #[tool(annotations(read_only_hint = true))]
    async fn read_file(&self, Parameters(a): Parameters<ReadFileArgs>) -> CallToolResult {
        let root = match self.project_root(a.project.as_deref()).await {
            Ok(root) => root,
            Err(message) => return tool_error("read_file", &self.root(), message),
        };
        match read_lines(&root, &a.path, a.start_line, a.end_line, self.text()) {
            Ok((rendered, wire)) => self.reply(rendered, wire),
            Err(message) => tool_error("read_file", &self.root(), message),
        }
    }

    /// The full source of a definition, by (qualified) name, or the definition around `path` and `line`.
    #[tool(annotations(read_only_hint = true))]
    async fn get_symbol_source(
        &self,
        Parameters(a): Parameters<SymbolSourceArgs>,
    ) -> CallToolResult {
        let symbol = match (&a.name, &a.path, a.line) {
            (Some(name), _, _) => {
                let params = json!({"name": name, "limit": 1, "context": a.path});
                match self
                    .call_in(a.project.as_deref(), "definitions", params)
                    .await
                {
                    Ok(page) if page["total"].as_u64().unwrap_or(0) > 0 => {
                        let others = page["total"].as_u64().unwrap_or(1) - 1;
                        (page["items"][0].clone(), others)
                    }
                    Ok(_) => {
                        return tool_error(
                            "get_symbol_source",
                            &self.root(),
                            format!(
                                "no definition named {name:?}; try search_symbols to find the spelling"
                            ),
                        );
                    }
                    Err(err) => return self.failure("get_symbol_source", &err),
                }
            }
            (None, Some(path), Some(line)) => {
                match self
                    .call_in(
                        a.project.as_deref(),
                        "symbol_at",
                        json!({"path": path, "line": line}),
                    )
                    .await
                {
                    Ok(at) if at["enclosing"].is_object() => (at["enclosing"].clone(), 0),
                    Ok(_) => {
                        return tool_error(
                            "get_symbol_source",
                            &self.root(),
                            format!("no definition encloses {path}:{line}"),
                        );
                    }
                    Err(err) => return self.failure("get_symbol_source", &err),
                }
            }
            _ => {
                return tool_error(
                    "get_symbol_source",
                    &self.root(),
                    "give a name, or a path and a line".to_string(),
                );
            }
        };
        let (symbol, others) = symbol;
        let path = symbol["path"].as_str().unwrap_or_default().to_string();
        let start = symbol["span"]["start_line"].as_u64().unwrap_or(1) as u32;
        let end = symbol["span"]["end_line"].as_u64().unwrap_or(start as u64) as u32;
        let root = match self.project_root(a.project.as_deref()).await {
            Ok(root) => root,
            Err(message) => return tool_error("get_symbol_source", &self.root(), message),
        };
        let mut text = self.text();
        text.line(render::symbol_line(&symbol));
        if others > 0 {
            text.note(format!(
                "{others} other definitions share this name: find_definition lists them"
            ));
        }
        match read_lines(&root, &path, Some(start), Some(end), text) {
            Ok((rendered, _)) => self.reply(
                rendered,
                json!({"symbol": symbol, "other_definitions": others}),
            ),
            Err(message) => tool_error("get_symbol_source", &self.root(), message),
        }
    }

    /// Files of the project whose path matches a glob (`**/*.proto`) or contains a text (`parser`).
    #[tool(annotations(read_only_hint = true))]
    async fn find_files(&self, Parameters(a): Parameters<FindFilesArgs>) -> CallToolResult {
        let count_only = a.page.count_only();
        let glob = if a.pattern.contains(['*', '?', '[', '{']) {
            a.pattern.clone()
        } else {
            format!("**/*{}*", a.pattern)
        };
        let mut params = Map::new();
        params.insert("glob".into(), json!(glob));
        paging(&mut params, &a.page);
        self.run_across(
            "find_files",
            "files",
            Value::Object(params),
            a.project,
            |r, text| page_lines(r, text, count_only, "files", file_line),
        )
        .await
    }

    /// The files and directories under a directory of the project, with file counts, as the index sees them (ignored files left out).
    #[tool(annotations(read_only_hint = true))]
    async fn list_dir(&self, Parameters(a): Parameters<ListDirArgs>) -> CallToolResult {
        let prefix = match a.path.as_deref().filter(|p| !p.trim().is_empty()) {
            None => String::new(),
            Some(path) => {
                let root = match self.project_root(a.project.as_deref()).await {
                    Ok(root) => root,
                    Err(message) => return tool_error("list_dir", &self.root(), message),
                };
                match code_index_protocol::paths::resolve(&root, path) {
                    Ok(resolved) => resolved.rel,
                    Err(err) => return tool_error("list_dir", &self.root(), err.to_string()),
                }
            }
        };
        let depth = a.depth.unwrap_or(1).clamp(1, 4) as usize;
        let offset = a.offset.unwrap_or(0);
        let params = json!({
            "prefix": prefix,
            "depth": depth,
            "limit": a.limit.unwrap_or(500).clamp(1, 10_000),
            "offset": offset,
        });
        self.run_in(a.project.clone(), "list_dir", "dir", params, |r, text| {
            let total = r["total"].as_u64().unwrap_or(0);
            if total == 0 {
                text.line(format!(
                    "no indexed files under {:?}",
                    if prefix.is_empty() { "." } else { &prefix }
                ));
                return String::new();
            }
            let mut shown = 0;
            for entry in r["items"].as_array().into_iter().flatten() {
                let path = entry["path"].as_str().unwrap_or("?");
                let indent = "  ".repeat(path.trim_end_matches('/').matches('/').count());
                let name = path
                    .trim_end_matches('/')
                    .rsplit('/')
                    .next()
                    .unwrap_or(path);
                let line = match entry["files"].as_u64() {
                    Some(count) => format!("{indent}{name}/  ({count} files)"),
                    None => format!("{indent}{name}"),
                };
                if !text.line(line) {
                    break;
                }
                shown += 1;
            }
            text.paging(total, offset, shown);
            format!(
                "call again with offset={}, or give a deeper path or a smaller depth",
                offset + shown as u64
            )
        })
        .await
    }

    /// The projects this server answers for: each root, its daemon and the state of its index.
    #[tool(annotations(read_only_hint = true))]
    async fn list_projects(&self, Parameters(_): Parameters<NoArgs>) -> CallToolResult {
        let links = self.links().await;
        let mut lines = Vec::new();
        let mut projects = Vec::new();
        for p in &links.projects {
            let role = if p.spec.primary { "primary" } else { "link" };
            let root = p.spec.root.display().to_string();
            let status = match self.client_for(p).await {
                Ok(client) => client.op::<code_index_protocol::calls::Status>(&()).await,
                Err(err) => Err(err),
            };
            match status {
                Ok(s) => {
                    lines.push(format!(
                        "{}  ({role})  {root}  {}, {} files, {} definitions, daemon pid {}",
                        p.spec.name, s.state, s.files, s.definitions, s.pid
                    ));
                    projects.push(json!({"name": p.spec.name, "root": root, "primary": p.spec.primary, "status": s}));
                }
                Err(err) => {
                    lines.push(format!(
                        "{}  ({role})  {root}  unavailable: {err}",
                        p.spec.name
                    ));
                    projects.push(json!({"name": p.spec.name, "root": root, "primary": p.spec.primary, "error": err.to_string()}));
                }
            }
        }
        for warning in &links.warnings {
            lines.push(format!("warning: {warning}"));
        }
        let mut text = self.text();
        for line in lines {
            text.line(line);
        }
        self.reply(
            text.finish_rendered("name fewer projects"),
            json!({"projects": projects, "warnings": links.warnings}),
        )
    }

    /// Re-read the whole project, or one file, and answer when done. Changes are normally picked up automatically.
    #[tool(annotations(
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = true
    ))]
    async fn reindex(
        &self,
        meta: rmcp::model::RequestMetaObject,
        client: rmcp::Peer<rmcp::RoleServer>,
        Parameters(a): Parameters<ReindexArgs>,
    ) -> CallToolResult {
        let params = match a.path {
            Some(path) => json!({"path": path}),
            None => json!({}),
        };
        // With a progress token, report the pass's progress as it goes,
        // read from `status` on a connection of its own.
        let token = meta.get_progress_token();
        let root = match self.project_root(a.project.as_deref()).await {
            Ok(root) => root,
            Err(message) => return tool_error("reindex", &self.root(), message),
        };
        let reporter = token
            .clone()
            .map(|token| tokio::spawn(report_progress(root, token, client.clone())));
        let mut done_files = None;
        let result = self
            .run_in(
                a.project.clone(),
                "reindex",
                "reindex",
                params,
                |r, text| {
                    done_files = Some(
                        r["parsed"].as_f64().unwrap_or(0.0)
                            + r["unchanged"].as_f64().unwrap_or(0.0),
                    );
                    text.line(format!(
                        "reindexed: {} parsed, {} unchanged, {} removed in {:.0} ms",
                        r["parsed"],
                        r["unchanged"],
                        r["removed"],
                        r["elapsed_ms"].as_f64().unwrap_or(0.0)
                    ));
                    if let (Some(path), Some(why)) = (r["path"].as_str(), r["skipped"].as_str()) {
                        text.line(format!("{path} is listed but not parsed: {why}"));
                    }
                    String::new()
                },
            )
            .await;
        if let Some(reporter) = reporter {
            reporter.abort();
        }
        if let (Some(token), Some(files)) = (token, done_files) {
            let note = rmcp::model::ProgressNotificationParam::new(token, files)
                .with_total(files)
                .with_message("done");
            let _ = client.notify_progress(note).await;
        }
        result
    }
}

/// Sends MCP progress notifications for the daemon's running pass until
/// aborted.
async fn report_progress(
    root: PathBuf,
    token: rmcp::model::ProgressToken,
    client: rmcp::Peer<rmcp::RoleServer>,
) {
    let Ok(lock) = code_index_protocol::Lockfile::read(&root) else {
        return;
    };
    let Some(port) = lock.port else { return };
    let Ok(status) = RpcIndex::connect(port, &lock.token).await else {
        return;
    };
    let mut last = None;
    loop {
        if let Ok(response) = status.request("status", Value::Null).await
            && let Some(progress) = response.progress
            && last != Some(progress.done)
        {
            last = Some(progress.done);
            let note =
                rmcp::model::ProgressNotificationParam::new(token.clone(), progress.done as f64)
                    .with_total(progress.total as f64)
                    .with_message("reindexing");
            if client.notify_progress(note).await.is_err() {
                return;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

fn file_line(f: &Value) -> String {
    let path = f["path"].as_str().unwrap_or("?");
    match (f["language"].as_str(), f["skipped"].as_str()) {
        (_, Some(why)) => format!("{path}  (not parsed: {why})"),
        (Some(lang), None) => format!("{path}  {lang}, {} definitions", f["definitions"]),
        (None, None) => path.to_string(),
    }
}

fn tool_error(tool: &str, root: &str, message: String) -> CallToolResult {
    let message = render::bounded_message(&message);
    tracing::warn!(root, tool, "tool failed: {message}");
    CallToolResult::error(vec![ContentBlock::text(message)])
}

/// Most lines `read_file` shows when no end is given.
const DEFAULT_READ_LINES: u32 = 400;

/// Resolves `path` inside `root` (canonical) by the rules every op and tool
/// shares (`code_index_protocol::paths`): relative to the root, normalised,
/// symbolic links resolved before the check, nothing outside the root and
/// nothing of `.code-index/` or `.git/`. Returns the file and its relative path.
pub fn confine(root: &std::path::Path, path: &str) -> Result<(PathBuf, String), String> {
    let resolved = code_index_protocol::paths::resolve(root, path).map_err(|e| e.to_string())?;
    if !resolved.exists {
        return Err(format!(
            "{path:?} does not exist in the project (paths are relative to {})",
            root.display()
        ));
    }
    Ok((resolved.abs, resolved.rel))
}

/// Numbered lines `start..=end` of a file inside the root.
fn read_lines(
    root: &std::path::Path,
    path: &str,
    start: Option<u32>,
    end: Option<u32>,
    mut text: Text,
) -> Result<(Rendered, Value), String> {
    let (abs, rel) = confine(root, path)?;
    if abs.is_dir() {
        return Err(format!("{path:?} is a directory: use list_dir"));
    }
    let bytes = std::fs::read(&abs).map_err(|e| format!("cannot read {rel}: {e}"))?;
    if bytes[..bytes.len().min(8192)].contains(&0) {
        return Err(format!("{rel} is a binary file"));
    }
    let content = String::from_utf8_lossy(&bytes);
    let lines: Vec<&str> = content.lines().collect();
    let count = lines.len() as u32;
    let start = start.unwrap_or(1).max(1);
    if start > count.max(1) {
        return Err(format!(
            "line {start} is past the end of {rel}, which has {count} lines"
        ));
    }
    let end = end
        .unwrap_or(start.saturating_add(DEFAULT_READ_LINES - 1))
        .min(count)
        .max(start);
    let width = end.to_string().len();
    let mut last = start - 1;
    for n in start..=end {
        if !text.line(format!("{n:>width$}│ {}", lines[(n - 1) as usize])) {
            break;
        }
        last = n;
    }
    let more = if last < count {
        format!(
            "{} more lines: call again with start_line={}",
            count - last,
            last + 1
        )
    } else {
        String::new()
    };
    if !more.is_empty() {
        text.line(&more);
    }
    Ok((
        text.finish_rendered(&format!(
            "read_file path={rel} start_line={} gets the rest",
            last + 1
        )),
        json!({"path": rel, "start_line": start, "end_line": last, "total_lines": count}),
    ))
}

fn text_is_empty(r: &Value) -> bool {
    ["implementations", "supertypes"]
        .iter()
        .all(|k| r[*k].as_array().is_none_or(|a| a.is_empty()))
}

/// Renders a page of symbols, with the paging line.
fn page_lines(
    r: &Value,
    text: &mut Text,
    count_only: bool,
    what: &str,
    line_of: impl Fn(&Value) -> String,
) -> String {
    let total = r["total"].as_u64().unwrap_or(0);
    if count_only || total == 0 {
        text.line(format!("{total} {what}"));
        text.set_total(total);
        return String::new();
    }
    let offset = r["offset"].as_u64().unwrap_or(0);
    let mut shown = 0;
    for item in r["items"].as_array().into_iter().flatten() {
        let line = match item["project"].as_str() {
            Some(project) => format!("[{project}] {}", line_of(item)),
            None => line_of(item),
        };
        if !text.line(line) {
            break;
        }
        shown += 1;
    }
    text.paging(total, offset, shown);
    if r["total_is_lower_bound"] == json!(true) {
        text.lower_bound();
        text.note(format!(
            "counting stopped at {total}: there are at least that many; narrow with glob or a more specific pattern"
        ));
    }
    format!("call again with offset={}", offset + shown as u64)
}

/// An error and its causes, for the log.
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for CodeIndexServer {
    /// Runs a tool with its request's cancellation in scope: a
    /// `notifications/cancelled` for it cancels its calls in the daemon.
    async fn call_tool(
        &self,
        request: rmcp::model::CallToolRequestParams,
        context: rmcp::service::RequestContext<rmcp::RoleServer>,
    ) -> Result<rmcp::model::CallToolResponse, rmcp::ErrorData> {
        let cancel = context.ct.clone();
        let call = rmcp::handler::server::tool::ToolCallContext::new(self, request, context);
        crate::rpc::CANCEL
            .scope(cancel, self.tool_router.call(call))
            .await
    }

    /// Once the client is initialized: settle the root (the client's, when
    /// it offers roots and none was given), then start attaching.
    async fn on_initialized(&self, context: rmcp::service::NotificationContext<rmcp::RoleServer>) {
        if !self.explicit_root {
            self.adopt_client_root(&context.peer).await;
            self.root_settled.send_replace(true);
            self.attach_in_background();
        }
    }

    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("code-index", env!("CARGO_PKG_VERSION")))
            .with_instructions(format!(
                "A code index of {}: definitions, references, call graphs, implementations and imports \
                 of its source files. Prefer these tools to grepping and reading whole files. \
                 Paths are relative to the project root.",
                self.root()
            ))
    }
}

/// Serves MCP over stdin/stdout until the client closes stdin. With
/// `explicit_root` false, the client's first MCP root, when it offers roots,
/// replaces `root`. Without `spawn`, it uses a daemon that runs and starts none.
pub async fn serve_stdio(
    root: PathBuf,
    explicit_root: bool,
    spawn: Option<SpawnOptions>,
    payload: Payload,
) -> anyhow::Result<()> {
    use anyhow::Context;
    use rmcp::ServiceExt;

    let server = if explicit_root {
        CodeIndexServer::new(root.clone(), spawn)
    } else {
        CodeIndexServer::with_fallback_root(root.clone(), spawn)
    }
    .with_payload(payload);
    if explicit_root {
        // Find or start the daemon while the client initializes.
        server.attach_in_background();
    }
    tracing::info!(root = %root.display(), "serving MCP on stdio");
    let service = server
        .clone()
        .serve(rmcp::transport::stdio())
        .await
        .context("starting the MCP session on stdio")?;
    service.waiting().await.context("serving MCP")?;
    tracing::info!(root = %server.root(), "the client closed the session");
    Ok(())
}
