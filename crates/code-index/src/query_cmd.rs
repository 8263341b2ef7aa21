//! `code-index query`: call one of the MCP tools from the shell.
//!
//! The tool runs in the very server `code-index mcp` runs, over an in-process
//! MCP session, so the shell gets exactly what an assistant gets.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use code_index_mcp::{CodeIndexServer, DaemonClient, SpawnOptions};
use code_index_protocol::StatusResult;
use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, CallToolResult, Tool};
use serde_json::{Map, Value, json};

use crate::human::daemon_state;

#[derive(Args)]
pub struct QueryArgs {
    /// The tool to call (`code-index query` alone lists them).
    tool: Option<String>,
    /// An argument of the tool, `KEY=VALUE`; repeat it for more. Numbers and
    /// booleans are converted as the tool expects; a list is comma-separated.
    #[arg(long = "arg", short = 'a', value_name = "KEY=VALUE")]
    args: Vec<String>,
    /// Print the structured result as JSON instead of the text.
    #[arg(long)]
    json: bool,
    /// Describe the tool and its arguments instead of calling it.
    #[arg(long)]
    describe: bool,
    /// Answer at once, even while the index is still being built (the answer
    /// then says so).
    #[arg(long)]
    no_wait: bool,
    /// The project root (default: the git root around the working directory).
    #[arg(long)]
    root: Option<PathBuf>,
}

pub fn run(args: QueryArgs) -> anyhow::Result<ExitCode> {
    let root = crate::resolve_root(args.root.clone())?;
    // A daemon refuses a bad code-index.toml: say so before starting one.
    crate::project_config(&root)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(query(root, args))
}

async fn query(root: PathBuf, args: QueryArgs) -> anyhow::Result<ExitCode> {
    let spawn = SpawnOptions::current_exe()
        .context("cannot find the code-index executable to start the daemon")?;
    // The text is what `code-index mcp` answers; `--json` is the daemon's
    // result as it is.
    let server = CodeIndexServer::new(root.clone(), Some(spawn.clone())).with_payload(
        code_index_mcp::payload::Payload {
            wire: args.json,
            ..Default::default()
        },
    );
    let (server_end, client_end) = tokio::io::duplex(1 << 16);
    let serving = tokio::spawn(async move {
        match server.serve(server_end).await {
            Ok(service) => {
                let _ = service.waiting().await;
            }
            Err(err) => tracing::error!("the in-process MCP server failed: {err}"),
        }
    });
    let client = ()
        .serve(client_end)
        .await
        .context("opening an MCP session with the in-process server")?;
    let tools = client
        .list_all_tools()
        .await
        .context("listing the MCP tools")?;

    let outcome = call(&client, &tools, &root, spawn, &args).await;
    client.cancel().await.ok();
    serving.await.ok();
    outcome
}

/// Lists the tools, describes one, or calls one, as `args` ask.
async fn call(
    client: &rmcp::service::RunningService<rmcp::RoleClient, ()>,
    tools: &[Tool],
    root: &Path,
    spawn: SpawnOptions,
    args: &QueryArgs,
) -> anyhow::Result<ExitCode> {
    let Some(name) = args.tool.as_deref() else {
        crate::write_stdout(&list_tools(tools))?;
        return Ok(ExitCode::SUCCESS);
    };
    let tool = tools.iter().find(|t| t.name == name).with_context(|| {
        format!(
            "there is no tool `{name}`; the tools are: {}",
            tools
                .iter()
                .map(|t| t.name.as_ref())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    if args.describe {
        let description = tool.description.as_deref().unwrap_or("");
        crate::write_stdout(&format!(
            "{}\n\n{description}\n\n{}\n",
            tool.name,
            usage(tool)
        ))?;
        return Ok(ExitCode::SUCCESS);
    }
    let arguments = tool_arguments(tool, &args.args)?;
    if !args.no_wait {
        wait_until_ready(root, spawn).await?;
    }
    let result = client
        .call_tool(CallToolRequestParams::new(tool.name.clone()).with_arguments(arguments))
        .await
        .with_context(|| format!("calling `{name}`"))?;
    print_result(&result, args.json)
}

fn print_result(result: &CallToolResult, json: bool) -> anyhow::Result<ExitCode> {
    let text: String = result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.as_str()))
        .collect::<Vec<_>>()
        .join("\n");
    if result.is_error == Some(true) {
        crate::write_stderr(&format!("error: {}\n", text.trim_end()));
        return Ok(ExitCode::FAILURE);
    }
    let out = if json {
        let structured = result
            .structured_content
            .clone()
            .unwrap_or_else(|| json!({ "text": text }));
        serde_json::to_string_pretty(&structured)? + "\n"
    } else if text.ends_with('\n') {
        text
    } else {
        text + "\n"
    };
    crate::write_stdout(&out)?;
    Ok(ExitCode::SUCCESS)
}

/// How long the index may show no progress before `query` stops waiting and
/// answers from what is indexed (the answer then says it is incomplete).
const STALL: Duration = Duration::from_secs(60);

/// Attaches to the root's daemon (starting one if none runs) and waits until
/// its index is complete, showing progress on a terminal.
async fn wait_until_ready(root: &Path, spawn: SpawnOptions) -> anyhow::Result<()> {
    let index = DaemonClient::attach(root, spawn)
        .await
        .with_context(|| format!("cannot reach a daemon for {}", root.display()))?;
    let tty = std::io::stderr().is_terminal();
    let mut shown = false;
    let mut last = (String::new(), None);
    let mut last_change = Instant::now();
    loop {
        let status: StatusResult = index
            .call("status", json!({}))
            .await
            .context("asking the daemon for its status")?;
        match status.state.as_str() {
            "ready" => break,
            "failed" => bail!(
                "the daemon cannot index {}: {}; see .code-index/daemon.log, fix the cause, \
                 then `code-index stop`",
                root.display(),
                status.error.as_deref().unwrap_or("no reason given")
            ),
            _ => {}
        }
        let now = (
            status.state.clone(),
            status.progress.map(|p| (p.done, p.total)),
        );
        if now != last {
            last = now;
            last_change = Instant::now();
        } else if last_change.elapsed() > STALL {
            tracing::warn!(
                "the index of {} made no progress for {}s; answering from what is indexed",
                root.display(),
                STALL.as_secs()
            );
            break;
        }
        if tty {
            eprint!("\r\x1b[2Kwaiting for the index: {}", daemon_state(&status));
            shown = true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if shown {
        eprint!("\r\x1b[2K");
    }
    Ok(())
}

/// A tool's argument schemas by name, and the names it requires.
fn arguments_of(tool: &Tool) -> (Map<String, Value>, Vec<String>) {
    let properties = tool
        .input_schema
        .get("properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let required = tool
        .input_schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect();
    (properties, required)
}

/// `KEY=VALUE` pairs as the tool's JSON arguments, typed by its schema.
fn tool_arguments(tool: &Tool, pairs: &[String]) -> anyhow::Result<Map<String, Value>> {
    let (properties, required) = arguments_of(tool);
    let mut arguments = Map::new();
    for pair in pairs {
        let Some((key, value)) = pair.split_once('=') else {
            bail!("`--arg {pair}` is not KEY=VALUE\n\n{}", usage(tool));
        };
        let Some(schema) = properties.get(key) else {
            bail!("`{}` has no argument `{key}`\n\n{}", tool.name, usage(tool));
        };
        let typed = typed_value(schema, value).with_context(|| {
            format!(
                "`--arg {pair}`: {key} must be {}",
                type_names(schema).join(" or ")
            )
        })?;
        arguments.insert(key.to_string(), typed);
    }
    for key in &required {
        if !arguments.contains_key(key) {
            bail!("`{}` needs `--arg {key}=...`\n\n{}", tool.name, usage(tool));
        }
    }
    Ok(arguments)
}

/// The JSON types a schema allows, `null` aside.
fn type_names(schema: &Value) -> Vec<&str> {
    match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| *t != "null")
            .collect(),
        _ => vec!["string"],
    }
}

fn typed_value(schema: &Value, value: &str) -> anyhow::Result<Value> {
    let types = type_names(schema);
    let ty = types.first().copied().unwrap_or("string");
    Ok(match ty {
        "integer" => json!(value.trim().parse::<i64>().context("not an integer")?),
        "number" => json!(value.trim().parse::<f64>().context("not a number")?),
        "boolean" => match value.trim() {
            "true" | "yes" | "1" | "" => json!(true),
            "false" | "no" | "0" => json!(false),
            _ => bail!("not true or false"),
        },
        "array" => Value::Array(
            value
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| json!(s))
                .collect(),
        ),
        _ => json!(value),
    })
}

/// A tool's arguments, one per line, for error messages.
fn usage(tool: &Tool) -> String {
    let (properties, required) = arguments_of(tool);
    if properties.is_empty() {
        return format!("`{}` takes no arguments.", tool.name);
    }
    let mut out = format!("Arguments of `{}`:\n", tool.name);
    let width = properties.keys().map(String::len).max().unwrap_or(0);
    for (key, schema) in &properties {
        let description = schema
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("")
            .replace('\n', " ");
        let needed = if required.contains(key) {
            ", required"
        } else {
            ""
        };
        out += &format!(
            "  {key:width$}  ({}{needed}) {description}\n",
            type_names(schema).join(" or ")
        );
    }
    out.trim_end().to_string()
}

fn list_tools(tools: &[Tool]) -> String {
    let width = tools.iter().map(|t| t.name.len()).max().unwrap_or(0);
    let mut out = String::from("Tools (call one with `code-index query TOOL --arg KEY=VALUE`):\n");
    for tool in tools {
        let summary = tool
            .description
            .as_deref()
            .and_then(|d| d.lines().next())
            .unwrap_or("");
        out += &format!("  {:width$}  {summary}\n", tool.name);
    }
    out += "\nA tool's arguments: `code-index query TOOL --describe`.\n";
    out
}
