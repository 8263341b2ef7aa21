//! Property tests against real processes: whatever bytes reach the daemon's
//! socket, and whatever arguments reach the MCP server's tools, the answer
//! is an answer (or a clean close), never a panic, a hang or a dead process.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use code_index_protocol::{OPS, Response};
use code_index_tests::mcp::McpSession;
use code_index_tests::{Daemon, Project, StopDaemonOnDrop};
use proptest::prelude::*;
use serde_json::{Value, json};

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "\\PC{0,40}".prop_map(Value::from),
        Just(Value::from("../../etc/passwd")),
        Just(Value::from(".code-index/daemon.lock")),
        Just(Value::from("**/{[")),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::btree_map("[a-z_]{1,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A request-shaped object: a real op (or not) with arbitrary params.
fn request_like() -> impl Strategy<Value = Value> {
    let op = prop_oneof![
        // Every op but the one that stops the daemon, which it then does.
        prop::sample::select(
            OPS.iter()
                .copied()
                .filter(|op| *op != "shutdown")
                .collect::<Vec<_>>()
        )
        .prop_map(Value::from),
        "[a-z_]{0,12}".prop_map(Value::from),
        any_json(),
    ];
    (any_json(), op, any_json())
        .prop_map(|(id, op, params)| json!({"id": id, "op": op, "params": params}))
}

/// One line's worth of bytes: arbitrary, or JSON that looks like a request.
fn line() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..2048),
        request_like().prop_map(|v| serde_json::to_vec(&v).unwrap()),
        any_json().prop_map(|v| serde_json::to_vec(&v).unwrap()),
    ]
    .prop_map(|mut bytes| {
        bytes.retain(|&b| b != b'\n');
        bytes
    })
}

fn connect(port: u16) -> (BufReader<TcpStream>, TcpStream) {
    let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    (BufReader::new(stream.try_clone().unwrap()), stream)
}

/// The next line: `Some(response)`, or `None` on a clean close. A timeout
/// or a line that is not a response fails the test.
fn answer(reader: &mut BufReader<TcpStream>) -> Option<Response> {
    let mut text = String::new();
    let n = reader
        .read_line(&mut text)
        .expect("an answer or a close in time");
    if n == 0 {
        return None;
    }
    Some(serde_json::from_str(&text).unwrap_or_else(|e| panic!("not a response ({e}): {text:?}")))
}

#[test]
fn any_line_on_the_daemons_socket_gets_an_answer_or_a_clean_close() {
    let project = Project::shapes();
    let daemon = Daemon::start(project.root(), &[]);
    daemon.wait_ready();
    let lock = daemon.lock().unwrap();
    let port = lock.port.unwrap();
    let hello = format!(
        "{}\n",
        json!({"id": 0, "op": "hello", "params": {"token": lock.token}})
    );
    let config = ProptestConfig {
        cases: 96,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(first in line(), second in line())| {
        // Unauthenticated: an error answer, then the connection closes
        // (unless the line happens to be a hello with the token, which it
        // cannot guess).
        let (mut reader, mut stream) = connect(port);
        stream.write_all(&first).unwrap();
        stream.write_all(b"\n").unwrap();
        let refused = answer(&mut reader).expect("an answer before the close");
        prop_assert!(refused.error.is_some());
        prop_assert!(answer(&mut reader).is_none());

        // Authenticated: an answer, and the connection lives on.
        let (mut reader, mut stream) = connect(port);
        stream.write_all(hello.as_bytes()).unwrap();
        prop_assert!(answer(&mut reader).unwrap().error.is_none());
        stream.write_all(&second).unwrap();
        stream.write_all(b"\n").unwrap();
        let response = answer(&mut reader);
        prop_assert!(response.is_some(), "the connection closed on {:?}", String::from_utf8_lossy(&second));
        let stats = json!({"id": "after", "op": "stats"}).to_string() + "\n";
        stream.write_all(stats.as_bytes()).unwrap();
        let after = answer(&mut reader).expect("still connected");
        prop_assert!(after.error.is_none(), "{:?}", after.error);
    });

    // Bytes cut off mid-line, then a close, harm nothing either.
    let (_, mut stream) = connect(port);
    stream.write_all(b"{\"id\": 1, \"op\": \"sta").unwrap();
    drop(stream);
    let mut client = daemon.client();
    client.ok("stats", Value::Null);
    let mut out = String::new();
    let _ = std::fs::File::open(daemon.root.join(".code-index/daemon.log"))
        .and_then(|mut f| f.read_to_string(&mut out));
    assert!(!out.contains("panic"), "{out}");
}

/// Arguments for a tool: its own properties with arbitrary values, and
/// arbitrary extra keys.
fn arguments(properties: Vec<String>) -> impl Strategy<Value = Value> {
    let known = prop::collection::vec((prop::sample::select(properties), any_json()), 0..5);
    let extra = prop::collection::btree_map("[a-z_]{1,10}", any_json(), 0..2);
    prop_oneof![
        (known, extra).prop_map(|(known, extra)| {
            let mut map: serde_json::Map<String, Value> = extra.into_iter().collect();
            map.extend(known);
            Value::Object(map)
        }),
        any_json(),
    ]
}

#[test]
fn any_arguments_to_any_tool_get_an_answer() {
    let project = Project::shapes();
    let _daemon = StopDaemonOnDrop(project.root().to_path_buf());
    let mut mcp = McpSession::start(project.root());
    mcp.tool_when_ready("index_status", json!({}));
    let tools = mcp.request("tools/list", json!({}));
    let mut schemas: Vec<(String, Vec<String>)> = tools["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let props = t["inputSchema"]["properties"]
                .as_object()
                .map(|p| p.keys().cloned().collect())
                .unwrap_or_default();
            (t["name"].as_str().unwrap().to_string(), props)
        })
        .collect();
    // A whole-tree reindex per case is slow and proves nothing more.
    schemas.retain(|(name, _)| name != "reindex");
    let calls = prop::sample::select(schemas).prop_flat_map(|(name, mut props)| {
        props.push("path".into());
        (Just(name), arguments(props))
    });
    let config = ProptestConfig {
        cases: 96,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let mut runner = proptest::test_runner::TestRunner::new(config);
    let session = std::cell::RefCell::new(mcp);
    runner
        .run(&calls, |(name, args)| {
            let mut mcp = session.borrow_mut();
            let id = mcp.take_id();
            mcp.send(json!({
                "jsonrpc": "2.0", "id": id, "method": "tools/call",
                "params": {"name": name, "arguments": args}
            }));
            loop {
                let message = mcp.read_message();
                if message["id"] == json!(id) {
                    // A result (maybe isError) or a JSON-RPC error: both answers.
                    prop_assert!(
                        message.get("result").is_some() || message.get("error").is_some(),
                        "{message}"
                    );
                    if let Some(result) = message.get("result") {
                        let text = result["content"][0]["text"].as_str().unwrap_or("");
                        prop_assert!(
                            !text.contains("cannot reach the code-index daemon"),
                            "{text}"
                        );
                    }
                    break;
                }
            }
            Ok(())
        })
        .unwrap();
    let mut mcp = session.into_inner();
    // The session and its daemon are still fine.
    let (text, _, error) = mcp.tool("find_definition", json!({"name": "total"}));
    assert!(!error && text.contains("src/shapes.rs"), "{text}");
    assert!(mcp.close().success());
}
