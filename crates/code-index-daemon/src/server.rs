//! Listening, connections, framing and dispatch.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use code_index_core::IndexOptions;
use code_index_protocol::{
    self as wire, ErrorCode, HelloResult, Lockfile, MAX_LINE_BYTES, Op, PROTOCOL_VERSION, Request,
    Response, RpcError,
};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use code_index_core::build::PathPlan;

use crate::state::{Phase, Shared};
use crate::{DaemonConfig, handlers, indexer, watcher};

pub async fn serve(root: PathBuf, config: DaemonConfig, mut lock: Lockfile) -> anyhow::Result<()> {
    let listener = TcpListener::bind(("127.0.0.1", config.port))
        .await
        .with_context(|| {
            format!(
                "cannot listen on 127.0.0.1:{} (is the port in use? omit --port to pick a free one)",
                config.port
            )
        })?;
    let port = listener.local_addr()?.port();
    lock.publish(port)
        .with_context(|| format!("writing the port to {}", lock.path().display()))?;
    let options = IndexOptions {
        max_file_size: config.max_file_size,
        exclude: config.exclude.clone(),
        ..IndexOptions::default()
    };
    let shared = Arc::new(Shared::new(
        root.clone(),
        config.version.clone(),
        lock.payload().token.clone(),
        &config,
        options,
    ));
    tracing::info!(root = %root.display(), port, "listening on 127.0.0.1:{port}");

    // Index on a thread of its own; the watcher starts as soon as the walk
    // has found the directories.
    {
        let shared = shared.clone();
        std::thread::Builder::new()
            .name("code-index-indexer".into())
            .spawn(move || {
                let for_watcher = shared.clone();
                let start_watcher = move |dirs: Vec<String>| {
                    let spawned = std::thread::Builder::new()
                        .name("code-index-watcher".into())
                        .spawn(move || watcher::run(for_watcher, dirs));
                    if let Err(err) = spawned {
                        tracing::error!("cannot start the watcher thread: {err}");
                    }
                };
                if let Err(err) = indexer::initial_pass(&shared, start_watcher) {
                    tracing::error!(root = %shared.root.display(), "indexing failed: {err:#}");
                    shared.set_failed(format!("{err:#}"));
                }
            })
            .context("starting the indexer thread")?;
    }

    let signals = wait_for_signal(shared.clone());
    tokio::pin!(signals);
    let idle = watch_idle(shared.clone());
    tokio::pin!(idle);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let shared = shared.clone();
                    shared.connection_opened();
                    tokio::spawn(async move {
                        if let Err(err) = connection(&shared, stream).await {
                            tracing::debug!(%peer, "connection ended: {err:#}");
                        }
                        shared.connection_closed();
                    });
                }
                Err(err) => tracing::warn!("accept failed: {err}"),
            },
            () = &mut signals => break,
            () = &mut idle => break,
            () = shared.shutdown.notified() => break,
        }
    }
    shared.stop();
    tracing::info!(root = %root.display(), "shutting down: saving the snapshot");
    let saver = shared.clone();
    tokio::task::spawn_blocking(move || indexer::save(&saver))
        .await
        .context("saving the snapshot")?;
    drop(lock);
    tracing::info!(root = %root.display(), "stopped");
    Ok(())
}

async fn wait_for_signal(shared: Arc<Shared>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(s) => s,
            Err(err) => {
                tracing::warn!("cannot listen for SIGTERM: {err}");
                std::future::pending::<()>().await;
                return;
            }
        };
        tokio::select! {
            _ = term.recv() => tracing::info!(root = %shared.root.display(), "SIGTERM"),
            _ = tokio::signal::ctrl_c() => tracing::info!(root = %shared.root.display(), "SIGINT"),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!(root = %shared.root.display(), "interrupted");
    }
}

async fn watch_idle(shared: Arc<Shared>) {
    let Some(timeout) = shared.idle_timeout else {
        return std::future::pending().await;
    };
    let tick = (timeout / 4).clamp(Duration::from_millis(50), Duration::from_secs(5));
    loop {
        tokio::time::sleep(tick).await;
        if shared.idle_for() >= timeout {
            tracing::info!(
                root = %shared.root.display(),
                "no client for {}s: exiting",
                timeout.as_secs_f64()
            );
            return;
        }
    }
}

/// Why a connection must end after its answer.
enum Next {
    Continue,
    Close,
}

async fn connection(shared: &Arc<Shared>, stream: TcpStream) -> anyhow::Result<()> {
    stream.set_nodelay(true)?;
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    let mut line = Vec::new();
    let mut authenticated = false;
    loop {
        line.clear();
        let outcome = read_line(&mut reader, &mut line).await?;
        let (response, next) = match outcome {
            Line::Eof => return Ok(()),
            Line::TooLong => (
                Response::err(
                    Value::Null,
                    RpcError::new(
                        ErrorCode::LineTooLong,
                        format!("request line over {MAX_LINE_BYTES} bytes; closing the connection"),
                    ),
                ),
                Next::Close,
            ),
            Line::Complete => handle_line(shared, &line, &mut authenticated).await,
        };
        let mut text = serde_json::to_vec(&response)?;
        text.push(b'\n');
        write.write_all(&text).await?;
        if matches!(next, Next::Close) {
            write.shutdown().await.ok();
            return Ok(());
        }
    }
}

enum Line {
    Complete,
    Eof,
    TooLong,
}

/// Reads one `\n`-terminated line into `buf`, refusing lines over the limit
/// without buffering them.
async fn read_line(
    reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
    buf: &mut Vec<u8>,
) -> std::io::Result<Line> {
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Ok(if buf.is_empty() {
                Line::Eof
            } else {
                Line::Complete
            });
        }
        match available.iter().position(|&b| b == b'\n') {
            Some(i) => {
                buf.extend_from_slice(&available[..i]);
                reader.consume(i + 1);
                return Ok(if buf.len() >= MAX_LINE_BYTES {
                    Line::TooLong
                } else {
                    Line::Complete
                });
            }
            None => {
                let n = available.len();
                buf.extend_from_slice(available);
                reader.consume(n);
                if buf.len() >= MAX_LINE_BYTES {
                    return Ok(Line::TooLong);
                }
            }
        }
    }
}

async fn handle_line(
    shared: &Arc<Shared>,
    line: &[u8],
    authenticated: &mut bool,
) -> (Response, Next) {
    let request: Request = match serde_json::from_slice(line) {
        Ok(r) => r,
        Err(err) => {
            let close = if *authenticated {
                Next::Continue
            } else {
                Next::Close
            };
            return (
                Response::err(
                    Value::Null,
                    RpcError::new(ErrorCode::ParseError, format!("not a request: {err}")),
                ),
                close,
            );
        }
    };
    let id = request.id.clone();
    let op = match Op::parse(&request.op, request.params) {
        Ok(op) => op,
        Err(err) if *authenticated => return (Response::err(id, err), Next::Continue),
        Err(_) => return (unauthorized(id), Next::Close),
    };
    if !*authenticated {
        return match op {
            Op::Hello(hello) if hello.token == shared.token => {
                *authenticated = true;
                tracing::debug!(
                    client = hello.client.as_deref().unwrap_or("?"),
                    "client connected"
                );
                let hello = HelloResult {
                    root: shared.root.display().to_string(),
                    pid: std::process::id(),
                    version: shared.version.clone(),
                    protocol: PROTOCOL_VERSION,
                };
                (ok(id, &hello), Next::Continue)
            }
            _ => (unauthorized(id), Next::Close),
        };
    }
    let response = dispatch(shared, id.clone(), op).await;
    let mut response = response.unwrap_or_else(|err| Response::err(id, err));
    let (phase, progress) = shared.phase();
    response.complete = Some(phase == Phase::Ready);
    response.progress = progress;
    let next = if shared.is_stopping() {
        Next::Close
    } else {
        Next::Continue
    };
    (response, next)
}

/// The answer to a request whose handler panicked (the panic hook has
/// logged where).
fn panicked(op: &str) -> RpcError {
    tracing::error!("the {op} handler panicked; the daemon goes on serving");
    RpcError::new(
        ErrorCode::Internal,
        format!(
            "the daemon failed on this {op} request (a bug; daemon.log says where); \
             it goes on serving other requests"
        ),
    )
}

fn unauthorized(id: Value) -> Response {
    Response::err(
        id,
        RpcError::new(
            ErrorCode::Unauthorized,
            "the first request must be hello with the token from the daemon's lockfile",
        ),
    )
}

fn ok<T: serde::Serialize>(id: Value, value: &T) -> Response {
    match serde_json::to_value(value) {
        Ok(v) => Response::ok(id, v),
        Err(e) => Response::err(id, RpcError::new(ErrorCode::Internal, e.to_string())),
    }
}

async fn dispatch(shared: &Arc<Shared>, id: Value, op: Op) -> Result<Response, RpcError> {
    match op {
        Op::Hello(_) => Ok(ok(
            id,
            &HelloResult {
                root: shared.root.display().to_string(),
                pid: std::process::id(),
                version: shared.version.clone(),
                protocol: PROTOCOL_VERSION,
            },
        )),
        Op::Status => Ok(ok(id, &status(shared))),
        Op::Shutdown => {
            tracing::info!(root = %shared.root.display(), "shutdown requested");
            shared.stop();
            Ok(ok(id, &serde_json::json!({"stopping": true})))
        }
        Op::Reindex(params) => {
            let shared = shared.clone();
            let result = tokio::task::spawn_blocking(move || reindex(&shared, params.path))
                .await
                .map_err(|_| panicked("reindex"))??;
            Ok(ok(id, &result))
        }
        // Queries block (on the index lock, on a long scan): the worker hands
        // its other tasks to the rest of the pool while this one runs, which
        // is cheaper than moving the query to another thread. A panic is
        // caught here and answered: the connection and the daemon live on.
        query => {
            let name = query.name();
            let value = tokio::task::block_in_place(|| {
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    handlers::query(shared, query)
                }))
            })
            .map_err(|_| panicked(name))??;
            Ok(Response::ok(id, value))
        }
    }
}

fn status(shared: &Shared) -> wire::StatusResult {
    let (phase, progress) = shared.phase();
    let (files, definitions) = {
        let index = shared.read_index();
        (index.len() as u64, index.definition_count() as u64)
    };
    let health = shared.watcher_health();
    wire::StatusResult {
        root: shared.root.display().to_string(),
        state: phase.as_str().to_string(),
        error: shared.failure(),
        progress,
        pid: std::process::id(),
        version: shared.version.clone(),
        protocol: PROTOCOL_VERSION,
        uptime_seconds: shared.started.elapsed().as_secs(),
        files,
        definitions,
        watcher: health.as_str().to_string(),
        watcher_detail: health.detail(),
        watcher_batches: Some(
            shared
                .watcher_batches
                .load(std::sync::atomic::Ordering::SeqCst),
        ),
        connections: shared.connections() as u64,
        // A sub-second timeout must not read as 0, "never".
        idle_timeout_seconds: shared.idle_timeout.map_or(0, |t| t.as_secs().max(1)),
    }
}

fn reindex(shared: &Shared, path: Option<String>) -> Result<wire::ReindexResult, RpcError> {
    let internal = |e: anyhow::Error| RpcError::new(ErrorCode::Internal, format!("{e:#}"));
    let Some(given) = path else {
        let report = indexer::full_pass(shared, false, |_| {}).map_err(internal)?;
        return Ok(reindex_result(&report, None, None));
    };
    let resolved = handlers::resolve_path(shared, &given)?;
    let done = indexer::reindex_path(shared, &resolved.rel, false).map_err(internal)?;
    if let PathPlan::Drop { ignored_at } = &done.plan
        && done.report.removed == 0
    {
        return Err(match ignored_at {
            Some(at) => handlers::ignored_error(&given, at),
            None => RpcError::new(
                ErrorCode::NotFound,
                format!(
                    "{given:?} does not exist in the project {} (paths are relative to it)",
                    shared.root.display()
                ),
            ),
        });
    }
    Ok(reindex_result(
        &done.report,
        Some(resolved.rel),
        done.skipped,
    ))
}

fn reindex_result(
    report: &code_index_core::BuildReport,
    path: Option<String>,
    skipped: Option<String>,
) -> wire::ReindexResult {
    wire::ReindexResult {
        parsed: report.parsed as u64,
        unchanged: report.unchanged as u64,
        removed: report.removed as u64,
        elapsed_ms: report.elapsed.as_secs_f64() * 1000.0,
        path,
        skipped,
    }
}
