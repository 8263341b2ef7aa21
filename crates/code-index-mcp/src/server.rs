//! The MCP server: the tool table. Each tool turns its arguments
//! ([`crate::args`]) into a typed daemon call ([`code_index_protocol::calls`]),
//! asks the projects it concerns ([`crate::fanout`]), and renders the answer
//! for a model's context window within a budget ([`crate::render`], text; with
//! `--structured` also `structuredContent`: see [`crate::payload::Payload`]).

use std::path::PathBuf;
use std::sync::Arc;

use code_index_protocol::calls::{self, Call};
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ContentBlock, Implementation, ServerCapabilities, ServerConfig};
use rmcp::{ServerHandler, tool, tool_handler, tool_router};
use serde_json::{Value, json};
use tokio::sync::OnceCell;

use crate::args::*;
use crate::daemon_client::{DaemonClient, DaemonError, SpawnOptions};
use crate::fanout::{self, Listing, Merged, Paged, Source};
use crate::payload::{self, Payload, Rendered, Text};
use crate::render;

/// The code-index MCP server for one project root.
#[derive(Clone)]
pub struct CodeIndexServer {
    /// Attached on first use (and started in the background at once), so
    /// that `initialize` never waits for a daemon.
    index: Arc<OnceCell<Arc<DaemonClient>>>,
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
    client: OnceCell<Arc<DaemonClient>>,
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
    async fn client_for(&self, project: &Project) -> Result<Arc<DaemonClient>, DaemonError> {
        if project.spec.primary {
            return self.index().await.cloned();
        }
        let spawn = self.spawn.clone();
        project
            .client
            .get_or_try_init(|| async {
                let client = match spawn {
                    Some(spawn) => DaemonClient::attach(&project.spec.root, spawn).await?,
                    None => DaemonClient::connect_running(&project.spec.root).await?,
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

    /// The daemons a tool asks: with `across`, every project `project`
    /// names (all when absent), items tagged with their project when the
    /// server answers for several; else the one project it names, or the
    /// primary.
    async fn sources(
        &self,
        project: Option<&str>,
        across: bool,
    ) -> Result<Vec<Source>, DaemonError> {
        let linked = self.links().await.projects.len() > 1;
        let selected = if across {
            self.select(project).await.map_err(DaemonError::Usage)?
        } else {
            vec![
                self.one_project(project)
                    .await
                    .map_err(DaemonError::Usage)?,
            ]
        };
        let mut sources = Vec::with_capacity(selected.len());
        for p in selected {
            sources.push(Source {
                project: (linked && across).then(|| p.spec.name.clone()),
                client: self.client_for(&p).await?,
            });
        }
        Ok(sources)
    }

    /// Op `C` in the one project `project` names (the primary when `None`).
    async fn op_in<C: Call>(
        &self,
        project: Option<&str>,
        params: &C::Params,
    ) -> Result<C::Result, DaemonError> {
        let p = self
            .one_project(project)
            .await
            .map_err(DaemonError::Usage)?;
        self.client_for(&p).await?.op::<C>(params).await
    }

    /// A listing tool: op `C` asked of the projects (see [`Self::sources`]),
    /// merged into one page and rendered.
    async fn listing<C: Call>(
        &self,
        tool: &str,
        project: Option<&str>,
        across: bool,
        params: C::Params,
        render: impl FnOnce(&Merged<<C::Result as Listing>::Item>, &mut Text) -> String,
    ) -> CallToolResult
    where
        C::Params: Paged + Clone,
        C::Result: Listing,
        <C::Result as Listing>::Item: serde::Serialize,
    {
        let merged = match self.sources(project, across).await {
            Ok(sources) => fanout::across::<C>(&sources, params).await,
            Err(err) => Err(err),
        };
        match merged {
            Ok(merged) => {
                let rendered = render::answer(self.text(), merged.complete, merged.progress, |t| {
                    render(&merged, t)
                });
                self.reply(rendered, &merged)
            }
            Err(err) => self.failure(tool, &err),
        }
    }

    /// A tool of one project that renders one answer of op `C`.
    async fn single<C: Call>(
        &self,
        tool: &str,
        project: Option<&str>,
        params: C::Params,
        render: impl FnOnce(&C::Result, &mut Text) -> String,
    ) -> CallToolResult {
        let answer = match self.one_project(project).await {
            Ok(p) => match self.client_for(&p).await {
                Ok(client) => client.ask::<C>(&params).await,
                Err(err) => Err(err),
            },
            Err(message) => Err(DaemonError::Usage(message)),
        };
        match answer {
            Ok(a) => {
                let rendered = render::answer(self.text(), a.complete, a.progress, |t| {
                    render(&a.result, t)
                });
                self.reply(rendered, &a.result)
            }
            Err(err) => self.failure(tool, &err),
        }
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
            let schema = Arc::new(payload::output_schema());
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

    async fn index(&self) -> Result<&Arc<DaemonClient>, DaemonError> {
        self.wait_for_root().await;
        self.index
            .get_or_try_init(|| async {
                let client = match &self.spawn {
                    Some(spawn) => DaemonClient::attach(&self.root_path(), spawn.clone()).await?,
                    None => DaemonClient::connect_running(&self.root_path()).await?,
                };
                Ok(Arc::new(client))
            })
            .await
    }

    /// A text within this server's budget.
    fn text(&self) -> Text {
        Text::for_payload(self.payload, None)
    }

    /// The result a client gets: the text, and with `--structured` the
    /// structured form of the same answer.
    fn reply(&self, rendered: Rendered, wire: &impl serde::Serialize) -> CallToolResult {
        let structured = if self.payload.wire {
            let wire = serde_json::to_value(wire).unwrap_or(Value::Null);
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

    fn failure(&self, tool: &str, err: &DaemonError) -> CallToolResult {
        tracing::warn!(root = %self.root(), tool, "tool failed: {}", error_chain(err));
        let advice = match err {
            DaemonError::Daemon(_) | DaemonError::Usage(_) | DaemonError::Cancelled => "",
            DaemonError::Connection(_) | DaemonError::NoDaemon { .. } => {
                " The code-index daemon is not reachable; `code-index doctor` in the project says why (its logs: .code-index/daemon.log and daemon.out)."
            }
            DaemonError::ForeignDaemon { .. } => {
                " Another project's daemon answered; stop it or remove .code-index/daemon.lock in this project."
            }
            DaemonError::Protocol(_) => " The daemon and this server may be of different versions.",
        };
        CallToolResult::error(vec![ContentBlock::text(payload::bounded_message(
            &format!("{err}.{advice}"),
        ))])
    }

    /// Find definitions by name: exact, prefix, substring, or fuzzy (typos forgiven), ranked in that order, case-insensitive. Filters: kind, language, glob.
    #[tool(annotations(read_only_hint = true))]
    async fn search_symbols(&self, Parameters(a): Parameters<SearchSymbolsArgs>) -> CallToolResult {
        let count_only = a.page.count_only();
        self.listing::<calls::SearchSymbols>(
            "search_symbols",
            a.project.as_deref(),
            true,
            a.params(),
            |r, text| render::symbols(r, count_only, text),
        )
        .await
    }

    /// Where a symbol is defined, by name or qualified name (`Type::method`, `pkg.Class.method`). Pass `context` (a file path, or `path:line` of the use) to rank definitions near it first.
    #[tool(annotations(read_only_hint = true))]
    async fn find_definition(
        &self,
        Parameters(a): Parameters<FindDefinitionArgs>,
    ) -> CallToolResult {
        let count_only = a.page.count_only();
        self.listing::<calls::Definitions>(
            "find_definition",
            a.project.as_deref(),
            true,
            a.params(),
            |r, text| render::definitions(r, count_only, text),
        )
        .await
    }

    /// Where a name is used (calls, type uses, imports, implementations, reads and writes, uses as a value), grouped by file, each with its line of source and enclosing definition; uses bound to the definition come first, graded `resolved`, then same-name `candidate`s whose target is unknown. Uses of local variables and parameters, and uses bound to another definition of the name, are left out; so, by default and counted, are `distant` same-name uses of a name defined more than once, in files that import none of the definition's files.
    #[tool(annotations(read_only_hint = true))]
    async fn find_references(
        &self,
        Parameters(a): Parameters<FindReferencesArgs>,
    ) -> CallToolResult {
        let count_only = a.page.count_only();
        self.listing::<calls::References>(
            "find_references",
            a.project.as_deref(),
            true,
            a.params(),
            |r, text| render::references(r, count_only, text),
        )
        .await
    }

    /// The definitions of one file as a tree: kind, name, line, signature.
    #[tool(annotations(read_only_hint = true))]
    async fn file_outline(&self, Parameters(a): Parameters<PathArgs>) -> CallToolResult {
        self.single::<calls::FileOutline>(
            "file_outline",
            a.project.as_deref(),
            a.params(),
            |r, text| render::outline(r, text),
        )
        .await
    }

    /// What is at a position in a file: the identifier, the innermost enclosing definition, and whether the identifier is defined or used there.
    #[tool(annotations(read_only_hint = true))]
    async fn symbol_at(&self, Parameters(a): Parameters<SymbolAtArgs>) -> CallToolResult {
        self.single::<calls::SymbolAt>(
            "symbol_at",
            a.project.as_deref(),
            a.params(),
            render::symbol_at,
        )
        .await
    }

    /// Who calls a function, and with depth 2 or 3 who calls those (following resolved calls only); each edge with the calling file and lines, graded `resolved` or `candidate` (name only) as find_references grades uses.
    #[tool(annotations(read_only_hint = true))]
    async fn find_callers(&self, Parameters(a): Parameters<CallGraphArgs>) -> CallToolResult {
        let count_only = a.page.count_only();
        self.listing::<calls::Callers>(
            "find_callers",
            a.project.as_deref(),
            true,
            a.params(),
            |r, text| render::call_edges(r, count_only, text),
        )
        .await
    }

    /// What a function calls, and with depth 2 or 3 what those call; each callee resolved to its definition when found.
    #[tool(annotations(read_only_hint = true))]
    async fn find_callees(&self, Parameters(a): Parameters<CallGraphArgs>) -> CallToolResult {
        let count_only = a.page.count_only();
        self.listing::<calls::Callees>(
            "find_callees",
            a.project.as_deref(),
            true,
            a.params(),
            |r, text| render::call_edges(r, count_only, text),
        )
        .await
    }

    /// Types that implement or extend a trait, interface or class, and the types it implements or extends itself.
    #[tool(annotations(read_only_hint = true))]
    async fn find_implementations(&self, Parameters(a): Parameters<NameArgs>) -> CallToolResult {
        self.listing::<calls::Implementations>(
            "find_implementations",
            a.project.as_deref(),
            true,
            a.params(),
            render::implementations,
        )
        .await
    }

    /// What a file imports (resolved to files where possible) and which files import it.
    #[tool(annotations(read_only_hint = true))]
    async fn file_dependencies(
        &self,
        Parameters(a): Parameters<FileDependenciesArgs>,
    ) -> CallToolResult {
        let path = code_index_protocol::PathParams {
            path: a.path.clone(),
        };
        let imports = match self
            .op_in::<calls::Imports>(a.project.as_deref(), &path)
            .await
        {
            Ok(imports) => imports,
            Err(err) => return self.failure("file_dependencies", &err),
        };
        self.listing::<calls::Dependents>(
            "file_dependencies",
            a.project.as_deref(),
            false,
            a.params(),
            |r, text| render::file_dependencies(&a.path, &imports, r, text),
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
            &json!({ "projects": projects }),
        )
    }

    /// Search the text of the project's files, literally or by regular expression; each hit names the definition it is in.
    #[tool(annotations(read_only_hint = true))]
    async fn search_text(&self, Parameters(a): Parameters<SearchTextArgs>) -> CallToolResult {
        let count_only = a.page.count_only();
        self.listing::<calls::SearchText>(
            "search_text",
            a.project.as_deref(),
            true,
            a.params(),
            |r, text| render::text_hits(r, count_only, text),
        )
        .await
    }

    /// The most important files of the project (those others depend on most) with their most used definitions, within a token budget: a first look at an unfamiliar codebase.
    #[tool(annotations(read_only_hint = true))]
    async fn repo_map(&self, Parameters(a): Parameters<RepoMapArgs>) -> CallToolResult {
        let params = code_index_protocol::RepoMapParams {
            max_files: Some(REPO_MAP_FILES),
            symbols_per_file: None,
        };
        let map = match self
            .op_in::<calls::RepoMap>(a.project.as_deref(), &params)
            .await
        {
            Ok(map) => map,
            Err(err) => return self.failure("repo_map", &err),
        };
        let mut text = Text::for_payload(self.payload, Some(a.max_chars()));
        let how = render::repo_map(&map, &mut text);
        self.reply(text.finish_rendered(&how), &json!({ "files": map }))
    }

    /// The definitions touched by uncommitted changes (or by changes since a git ref): changed lines mapped to their enclosing definitions, each with its callers.
    #[tool(annotations(read_only_hint = true))]
    async fn diff_symbols(&self, Parameters(a): Parameters<DiffSymbolsArgs>) -> CallToolResult {
        let base = a.base.unwrap_or_else(|| "HEAD".to_string());
        let project = a.project.as_deref();
        let root = match self.project_root(project).await {
            Ok(root) => root,
            Err(message) => return tool_error("diff_symbols", &self.root(), message),
        };
        let changes = match crate::diff::changed_lines(&root, &base).await {
            Ok(changes) => changes,
            Err(message) => return tool_error("diff_symbols", &self.root(), message),
        };
        let mut touched = Vec::new();
        for change in changes.iter() {
            let path = code_index_protocol::PathParams {
                path: change.path.clone(),
            };
            let outline = match self.op_in::<calls::FileOutline>(project, &path).await {
                Ok(outline) => outline,
                // A changed file the index does not hold (not source, or ignored).
                Err(DaemonError::Daemon(_)) => continue,
                Err(err) => return self.failure("diff_symbols", &err),
            };
            for symbol in crate::diff::touched_definitions(&outline, change) {
                let params = code_index_protocol::CallGraphParams {
                    name: symbol.qualified_name.clone(),
                    depth: Some(1),
                    resolution: None,
                    defined_in: Some(change.path.clone()),
                    paging: code_index_protocol::PageRequest {
                        offset: None,
                        limit: Some(DIFF_CALLERS),
                    },
                };
                // A symbol whose callers cannot be listed is still touched.
                let callers = self.op_in::<calls::Callers>(project, &params).await.ok();
                touched.push(render::Touched {
                    change,
                    symbol,
                    callers,
                });
            }
        }
        let mut text = self.text();
        let how = render::diff_symbols(&base, &changes, &touched, &mut text);
        let wire: Vec<Value> = touched
            .iter()
            .map(|t| json!({"path": t.change.path, "symbol": t.symbol, "callers": t.callers.as_ref().map(|c| &c.edges)}))
            .collect();
        self.reply(
            text.finish_rendered(&how),
            &json!({"base": base, "touched": wire}),
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
            Ok((rendered, wire)) => self.reply(rendered, &wire),
            Err(message) => tool_error("read_file", &self.root(), message),
        }
    }

    /// The full source of a definition, by (qualified) name, or the definition around `path` and `line`.
    #[tool(annotations(read_only_hint = true))]
    async fn get_symbol_source(
        &self,
        Parameters(a): Parameters<SymbolSourceArgs>,
    ) -> CallToolResult {
        const TOOL: &str = "get_symbol_source";
        let project = a.project.as_deref();
        let (symbol, others) = match (&a.name, &a.path, a.line) {
            (Some(name), _, _) => {
                let params = code_index_protocol::DefinitionsParams {
                    name: name.clone(),
                    context: a.path.clone(),
                    filter: Default::default(),
                    paging: code_index_protocol::PageRequest {
                        offset: None,
                        limit: Some(1),
                    },
                };
                match self.op_in::<calls::Definitions>(project, &params).await {
                    Ok(page) => match page.items.into_iter().next() {
                        Some(first) => (first, page.total.saturating_sub(1)),
                        None => {
                            return tool_error(
                                TOOL,
                                &self.root(),
                                format!(
                                    "no definition named {name:?}; try search_symbols to find the spelling"
                                ),
                            );
                        }
                    },
                    Err(err) => return self.failure(TOOL, &err),
                }
            }
            (None, Some(path), Some(line)) => {
                let params = code_index_protocol::SymbolAtParams {
                    path: path.clone(),
                    line,
                    column: None,
                };
                match self.op_in::<calls::SymbolAt>(project, &params).await {
                    Ok(code_index_protocol::SymbolAtResult {
                        enclosing: Some(enclosing),
                        ..
                    }) => (enclosing, 0),
                    Ok(_) => {
                        return tool_error(
                            TOOL,
                            &self.root(),
                            format!("no definition encloses {path}:{line}"),
                        );
                    }
                    Err(err) => return self.failure(TOOL, &err),
                }
            }
            _ => {
                return tool_error(
                    TOOL,
                    &self.root(),
                    "give a name, or a path and a line".to_string(),
                );
            }
        };
        let root = match self.project_root(project).await {
            Ok(root) => root,
            Err(message) => return tool_error(TOOL, &self.root(), message),
        };
        let mut text = self.text();
        text.line(render::symbol_line(&symbol));
        if others > 0 {
            text.note(format!(
                "{others} other definitions share this name: find_definition lists them"
            ));
        }
        let (start, end) = (symbol.span.start_line, symbol.span.end_line);
        match read_lines(&root, &symbol.path, Some(start), Some(end), text) {
            Ok((rendered, _)) => self.reply(
                rendered,
                &json!({"symbol": symbol, "other_definitions": others}),
            ),
            Err(message) => tool_error(TOOL, &self.root(), message),
        }
    }

    /// Files of the project whose path matches a glob (`**/*.proto`) or contains a text (`parser`).
    #[tool(annotations(read_only_hint = true))]
    async fn find_files(&self, Parameters(a): Parameters<FindFilesArgs>) -> CallToolResult {
        let count_only = a.page.count_only();
        self.listing::<calls::Files>(
            "find_files",
            a.project.as_deref(),
            true,
            a.params(),
            |r, text| render::files(r, count_only, text),
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
        self.listing::<calls::Dir>(
            "list_dir",
            a.project.as_deref(),
            false,
            a.params(prefix.clone()),
            |r, text| render::dir(r, &prefix, text),
        )
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
            &json!({"projects": projects, "warnings": links.warnings}),
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
            .single::<calls::Reindex>("reindex", a.project.as_deref(), a.params(), |r, text| {
                done_files = Some((r.parsed + r.unchanged) as f64);
                render::reindex(r, text)
            })
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
    let Ok(status) = DaemonClient::connect(port, &lock.token).await else {
        return;
    };
    let mut last = None;
    loop {
        if let Ok(answer) = status.ask::<calls::Status>(&()).await
            && let Some(progress) = answer.progress
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

/// Files `repo_map` asks the daemon for; the token budget cuts the rest.
const REPO_MAP_FILES: u32 = 200;
/// Callers `diff_symbols` lists for each touched definition.
const DIFF_CALLERS: u64 = 10;

fn tool_error(tool: &str, root: &str, message: String) -> CallToolResult {
    let message = payload::bounded_message(&message);
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
        crate::daemon_client::CANCEL
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
