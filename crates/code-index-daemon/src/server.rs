//! Listening, connections, framing and dispatch.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use code_index_core::IndexOptions;
use code_index_protocol::calls;
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
                // What changes between the walk and the watches shows in
                // the directories' modification times from here on.
                let since = std::time::SystemTime::now();
                let start_watcher = move |dirs: Vec<String>| {
                    let spawned = std::thread::Builder::new()
                        .name("code-index-watcher".into())
                        .spawn(move || watcher::run(for_watcher, dirs, since));
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
    let gate = Arc::new(Gate::default());
    let mut lock_check = tokio::time::interval(LOCK_CHECK_INTERVAL);
    lock_check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut accept_failures: u32 = 0;
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    if accept_failures > 0 {
                        tracing::info!("accepting connections again after {accept_failures} failed attempts");
                        accept_failures = 0;
                    }
                    if shared.connections() >= MAX_CONNECTIONS {
                        refuse(stream, peer);
                        continue;
                    }
                    let shared = shared.clone();
                    let gate = gate.clone();
                    let ticket = gate.admit();
                    shared.connection_opened();
                    tokio::spawn(async move {
                        let id = ticket.0;
                        if let Err(err) = connection(&shared, &gate, ticket, stream).await {
                            tracing::debug!(%peer, "connection ended: {err:#}");
                        }
                        gate.leave(id);
                        shared.connection_closed();
                    });
                }
                Err(err) => {
                    // Out of file descriptors (or another transient failure):
                    // say so once, free what the least useful connection
                    // holds, and back off rather than spin.
                    accept_failures += 1;
                    if accept_failures == 1 {
                        tracing::warn!(
                            "cannot accept connections: {err}; backing off until it works again \
                             (waiting clients: {}, connections: {})",
                            gate.waiting(),
                            shared.connections()
                        );
                    }
                    gate.evict_oldest();
                    let pause = Duration::from_millis(10u64 << accept_failures.min(7));
                    tokio::time::sleep(pause.min(Duration::from_secs(1))).await;
                }
            },
            _ = lock_check.tick() => match lock.check() {
                // A stop asked for whose waking was lost (its connection's
                // writer failed): it still happens.
                _ if shared.is_stopping() => break,
                Ok(code_index_protocol::LockCheck::Intact) => {}
                Ok(code_index_protocol::LockCheck::Restored) => {
                    tracing::warn!(
                        path = %lock.path().display(),
                        "the lockfile was removed or replaced; restored it"
                    );
                }
                Ok(code_index_protocol::LockCheck::Replaced(other)) => {
                    let pid = other.map_or_else(|| "?".to_string(), |p| p.pid.to_string());
                    tracing::warn!(
                        path = %lock.path().display(),
                        "another daemon (pid {pid}) now holds this root's lockfile; exiting"
                    );
                    break;
                }
                Err(err) => {
                    tracing::warn!(path = %lock.path().display(), "cannot check the lockfile: {err}");
                }
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

/// How often the daemon makes sure its lockfile is still its own.
const LOCK_CHECK_INTERVAL: Duration = Duration::from_secs(2);
/// A connection must say `hello` within this long.
const HELLO_DEADLINE: Duration = Duration::from_secs(10);
/// Connections that have not said `hello` yet, at most; a new one pushes
/// out the oldest, so idle ones cannot crowd out a real client.
const MAX_WAITING: usize = 64;
/// The longest a query waits for the snapshot to load.
const LOAD_WAIT: Duration = Duration::from_secs(60);
/// Connections at most; more are refused with an error line.
const MAX_CONNECTIONS: usize = 1024;

/// The connections that have not said `hello` yet, oldest first, each with
/// the means to close it.
#[derive(Default)]
struct Gate {
    next: std::sync::atomic::AtomicU64,
    waiting: std::sync::Mutex<std::collections::VecDeque<(u64, Arc<tokio::sync::Notify>)>>,
}

/// A connection's place in the [`Gate`].
#[derive(Clone)]
struct Ticket(u64, Arc<tokio::sync::Notify>);

impl Gate {
    fn admit(&self) -> Ticket {
        let id = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let close = Arc::new(tokio::sync::Notify::new());
        let mut waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        if waiting.len() >= MAX_WAITING
            && let Some((_, oldest)) = waiting.pop_front()
        {
            oldest.notify_one();
        }
        waiting.push_back((id, close.clone()));
        Ticket(id, close)
    }

    /// The connection said hello, or ended.
    fn leave(&self, id: u64) {
        let mut waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        waiting.retain(|(i, _)| *i != id);
    }

    fn evict_oldest(&self) {
        let mut waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, oldest)) = waiting.pop_front() {
            oldest.notify_one();
        }
    }

    fn waiting(&self) -> usize {
        self.waiting.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

/// Answers a connection over the limit with an error line, then closes it.
fn refuse(stream: TcpStream, peer: std::net::SocketAddr) {
    tokio::spawn(async move {
        let mut stream = stream;
        let response = Response::err(
            Value::Null,
            RpcError::new(
                ErrorCode::Internal,
                format!("the daemon has {MAX_CONNECTIONS} connections already; try again later"),
            ),
        );
        if let Ok(mut text) = serde_json::to_vec(&response) {
            text.push(b'\n');
            let _ = tokio::time::timeout(Duration::from_secs(1), stream.write_all(&text)).await;
        }
        tracing::debug!(%peer, "refused a connection over the limit");
    });
}

/// Requests of one connection answered at once; the next line is read when
/// one of them is done.
const MAX_IN_FLIGHT: usize = 32;

/// The requests of a connection that are still running, by id, each with
/// the flag that cancels it.
type InFlight = Arc<std::sync::Mutex<std::collections::HashMap<String, Arc<AtomicBool>>>>;

/// A request id as a map key.
fn id_key(id: &Value) -> String {
    id.to_string()
}

async fn connection(
    shared: &Arc<Shared>,
    gate: &Gate,
    ticket: Ticket,
    stream: TcpStream,
) -> anyhow::Result<()> {
    stream.set_nodelay(true)?;
    let (read, write) = stream.into_split();
    let mut reader = BufReader::new(read);
    // Answers go out as they are ready, in any order; each carries its id.
    let (out, mut answers) = tokio::sync::mpsc::unbounded_channel::<(Response, Next)>();
    let closed = Arc::new(tokio::sync::Notify::new());
    let writer = {
        let closed = closed.clone();
        let shared = shared.clone();
        tokio::spawn(async move {
            let mut write = write;
            let result: anyhow::Result<()> = async {
                while let Some((response, next)) = answers.recv().await {
                    let mut text = serde_json::to_vec(&response)?;
                    text.push(b'\n');
                    write.write_all(&text).await?;
                    if matches!(next, Next::Close) {
                        write.shutdown().await.ok();
                        break;
                    }
                }
                Ok(())
            }
            .await;
            closed.notify_one();
            // A `shutdown` (this connection's or another's) takes effect
            // once the answers before it are out.
            if shared.is_stopping() {
                shared.stop();
            }
            result
        })
    };
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_IN_FLIGHT));
    let in_flight: InFlight = Default::default();
    let mut line = Vec::new();
    let mut authenticated = false;
    let hello_by = tokio::time::Instant::now() + HELLO_DEADLINE;
    loop {
        line.clear();
        let outcome = if authenticated {
            tokio::select! {
                read = read_line(&mut reader, &mut line) => read?,
                () = closed.notified() => break,
            }
        } else {
            tokio::select! {
                read = tokio::time::timeout_at(hello_by, read_line(&mut reader, &mut line)) => match read {
                    Ok(read) => read?,
                    Err(_) => {
                        tracing::debug!("closing a connection that did not say hello in time");
                        return Ok(());
                    }
                },
                () = ticket.1.notified() => {
                    tracing::debug!("closing a waiting connection to make room");
                    return Ok(());
                }
            }
        };
        match outcome {
            Line::Eof => break,
            Line::TooLong => {
                let _ = out.send((
                    Response::err(
                        Value::Null,
                        RpcError::new(
                            ErrorCode::LineTooLong,
                            format!(
                                "request line over {MAX_LINE_BYTES} bytes; closing the connection"
                            ),
                        ),
                    ),
                    Next::Close,
                ));
                break;
            }
            Line::Complete if !authenticated => {
                let answer = handle_line(shared, &line, &mut authenticated).await;
                if authenticated {
                    gate.leave(ticket.0);
                }
                let close = matches!(answer.1, Next::Close);
                let _ = out.send(answer);
                if close {
                    break;
                }
            }
            Line::Complete => {
                let (id, op) = match parse_line(&line) {
                    Ok(request) => request,
                    Err(answer) => {
                        let _ = out.send((*answer, Next::Continue));
                        continue;
                    }
                };
                if let Op::Cancel(target) = &op {
                    let flag = in_flight
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .get(&id_key(&target.id))
                        .cloned();
                    if let Some(flag) = &flag {
                        flag.store(true, Ordering::SeqCst);
                    }
                    let result = wire::CancelResult {
                        cancelled: flag.is_some(),
                    };
                    let _ = out.send((ok::<calls::Cancel>(id, &result), Next::Continue));
                    continue;
                }
                let permit = slots.clone().acquire_owned().await?;
                let flag = Arc::new(AtomicBool::new(false));
                let key = id_key(&id);
                in_flight
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(key.clone(), flag.clone());
                let counted = op.reads_index() || matches!(op, Op::Reindex(_));
                if counted {
                    shared.requests_in_flight.fetch_add(1, Ordering::SeqCst);
                }
                let (shared, in_flight, out) = (shared.clone(), in_flight.clone(), out.clone());
                tokio::spawn(async move {
                    let answer = answer_request(&shared, id, op, flag.clone()).await;
                    {
                        let mut running = in_flight.lock().unwrap_or_else(|e| e.into_inner());
                        if running.get(&key).is_some_and(|f| Arc::ptr_eq(f, &flag)) {
                            running.remove(&key);
                        }
                    }
                    if counted {
                        shared.requests_in_flight.fetch_sub(1, Ordering::SeqCst);
                    }
                    let _ = out.send(answer);
                    drop(permit);
                });
            }
        }
    }
    // The answers still running are written as they finish.
    drop(out);
    writer.await.context("the connection's writer")?
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
        Err(_) => {
            shared.note_auth_failure("the first request was not hello");
            return (unauthorized(id), Next::Close);
        }
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
                (ok::<calls::Hello>(id, &hello), Next::Continue)
            }
            Op::Hello(_) => {
                shared.note_auth_failure("wrong token");
                (unauthorized(id), Next::Close)
            }
            _ => {
                shared.note_auth_failure("the first request was not hello");
                (unauthorized(id), Next::Close)
            }
        };
    }
    // The index's state as the query starts: an answer read from a pass
    // still running is incomplete even if the pass ends before it is sent.
    let state = shared.phase();
    let response = dispatch(shared, id.clone(), op, &AtomicBool::new(false)).await;
    finish(shared, id, state, response)
}

/// A request line of an authenticated connection, parsed; or the answer
/// that says why it cannot be.
fn parse_line(line: &[u8]) -> Result<(Value, Op), Box<Response>> {
    let request: Request = serde_json::from_slice(line).map_err(|err| {
        Box::new(Response::err(
            Value::Null,
            RpcError::new(ErrorCode::ParseError, format!("not a request: {err}")),
        ))
    })?;
    let id = request.id.clone();
    let op = Op::parse(&request.op, request.params)
        .map_err(|err| Box::new(Response::err(id.clone(), err)))?;
    Ok((id, op))
}

/// Answers one request of an authenticated connection; `cancelled` set by a
/// `cancel` stops it.
async fn answer_request(
    shared: &Arc<Shared>,
    id: Value,
    op: Op,
    cancelled: Arc<AtomicBool>,
) -> (Response, Next) {
    // An index still loading its snapshot is empty, and an empty answer
    // reads as "this does not exist": queries wait for the load.
    if op.reads_index() {
        let deadline = tokio::time::Instant::now() + LOAD_WAIT;
        while shared.phase().0 == Phase::Loading && tokio::time::Instant::now() < deadline {
            if cancelled.load(Ordering::SeqCst) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    let state = shared.phase();
    let response = dispatch(shared, id.clone(), op, &cancelled).await;
    finish(shared, id, state, response)
}

/// The response, with the index's state when the query started, and
/// whether the connection ends.
fn finish(
    shared: &Shared,
    id: Value,
    (phase, progress): (Phase, Option<wire::Progress>),
    response: Result<Response, RpcError>,
) -> (Response, Next) {
    let mut response = response.unwrap_or_else(|err| Response::err(id, err));
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

/// The answer to op `C`, in the type its [`calls`] entry names.
fn ok<C: calls::Call>(id: Value, value: &C::Result) -> Response {
    match serde_json::to_value(value) {
        Ok(v) => Response::ok(id, v),
        Err(e) => Response::err(id, RpcError::new(ErrorCode::Internal, e.to_string())),
    }
}

async fn dispatch(
    shared: &Arc<Shared>,
    id: Value,
    op: Op,
    cancelled: &AtomicBool,
) -> Result<Response, RpcError> {
    match op {
        Op::Hello(_) => Ok(ok::<calls::Hello>(
            id,
            &HelloResult {
                root: shared.root.display().to_string(),
                pid: std::process::id(),
                version: shared.version.clone(),
                protocol: PROTOCOL_VERSION,
            },
        )),
        Op::Status => Ok(ok::<calls::Status>(id, &status(shared))),
        Op::Shutdown => {
            tracing::info!(root = %shared.root.display(), "shutdown requested");
            // Stopping now could end the process before this answer is
            // written: the connection's writer stops the daemon after it.
            shared.stop_after_answering();
            Ok(ok::<calls::Shutdown>(
                id,
                &code_index_protocol::ShutdownResult { stopping: true },
            ))
        }
        Op::Reindex(params) => {
            let shared = shared.clone();
            let result = tokio::task::spawn_blocking(move || reindex(&shared, params.path))
                .await
                .map_err(|_| panicked("reindex"))??;
            Ok(ok::<calls::Reindex>(id, &result))
        }
        // Queries block (on the index lock, on a long scan): the worker hands
        // its other tasks to the rest of the pool while this one runs, which
        // is cheaper than moving the query to another thread. A panic is
        // caught here and answered: the connection and the daemon live on.
        query => {
            let name = query.name();
            let value = tokio::task::block_in_place(|| {
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    if shared.faults.fail_on.as_deref() == Some(name) {
                        panic!("--fail-on {name}");
                    }
                    if let Some((op, delay)) = &shared.faults.delay_op
                        && op == name
                    {
                        let until = std::time::Instant::now() + *delay;
                        while std::time::Instant::now() < until {
                            if cancelled.load(Ordering::SeqCst) {
                                return Err(RpcError::new(
                                    ErrorCode::Cancelled,
                                    "the query was cancelled",
                                ));
                            }
                            std::thread::sleep(Duration::from_millis(10));
                        }
                    }
                    handlers::query(shared, query, cancelled)
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
        requests_in_flight: Some(shared.requests_in_flight.load(Ordering::SeqCst) as u64),
        watcher: health.as_str().to_string(),
        watcher_detail: health.detail(),
        watcher_batches: Some(
            shared
                .watcher_batches
                .load(std::sync::atomic::Ordering::SeqCst),
        ),
        watcher_repairs: Some(
            shared
                .watcher_repairs
                .load(std::sync::atomic::Ordering::SeqCst),
        ),
        watcher_checked_seconds_ago: shared
            .watcher_checked
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .map(|at| at.elapsed().as_secs()),
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
