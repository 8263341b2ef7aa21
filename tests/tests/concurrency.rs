//! Calls in flight at once: the daemon answers each request of a connection
//! when its work is done, in any order; `cancel` (and MCP's
//! `notifications/cancelled`) stops the work. A query made slow on purpose
//! (the daemon's hidden `--delay-op`) stands for a long search: the tests
//! assert the order of answers and the daemon's count of requests in
//! flight, never durations.

use code_index_tests::mcp::McpSession;
use code_index_tests::{DEADLINE, Daemon, Project, wait_until};
use serde_json::{Value, json};

fn in_flight(client: &mut code_index_tests::Client) -> u64 {
    client.ok("status", Value::Null)["requests_in_flight"]
        .as_u64()
        .expect("status counts the requests in flight")
}

#[test]
fn the_daemon_answers_a_fast_request_before_a_slow_one_and_cancels_on_request() {
    let project = Project::shapes();
    let daemon = Daemon::start(project.root(), &["--delay-op", "search_text=60s"]);
    let mut client = daemon.wait_ready();
    let line = |id: u64, op: &str, params: Value| {
        let mut line = serde_json::to_vec(&json!({"id": id, "op": op, "params": params})).unwrap();
        line.push(b'\n');
        line
    };
    client
        .send(&line(1, "search_text", json!({"pattern": "area"})))
        .unwrap();
    client
        .send(&line(2, "definitions", json!({"name": "total"})))
        .unwrap();
    let fast = client.receive().expect("an answer");
    assert_eq!(fast.id, 2, "{fast:?}");
    assert!(fast.error.is_none(), "{fast:?}");

    let mut watcher = daemon.client();
    assert_eq!(in_flight(&mut watcher), 1);
    client.send(&line(3, "cancel", json!({"id": 1}))).unwrap();
    let mut answers: Vec<_> = (0..2)
        .map(|_| client.receive().expect("an answer"))
        .collect();
    answers.sort_by_key(|a| a.id.as_u64());
    let slow = &answers[0];
    assert_eq!(slow.id, 1);
    let error = slow.error.as_ref().expect("the cancelled request fails");
    assert!(error.message.contains("cancelled"), "{error:?}");
    assert_eq!(answers[1].id, 3);
    assert_eq!(answers[1].result, Some(json!({"cancelled": true})));
    assert_eq!(in_flight(&mut watcher), 0);

    // A request that is not running is not cancelled.
    let nothing = client.ok("cancel", json!({"id": 99}));
    assert_eq!(nothing, json!({"cancelled": false}));
}

#[test]
fn an_mcp_call_is_not_delayed_by_a_slow_one_and_notifications_cancelled_stop_it() {
    let project = Project::shapes();
    let daemon = Daemon::start(project.root(), &["--delay-op", "search_text=60s"]);
    let mut status = daemon.wait_ready();
    let mut mcp = McpSession::start(project.root());
    // Attached, and the index complete.
    mcp.tool_when_ready("find_definition", json!({"name": "total"}));

    let slow = mcp.take_id();
    mcp.send(json!({"jsonrpc": "2.0", "id": slow, "method": "tools/call",
                    "params": {"name": "search_text", "arguments": {"pattern": "area"}}}));
    wait_until(DEADLINE, "the search to reach the daemon", || {
        (in_flight(&mut status) == 1).then_some(())
    });
    let fast = mcp.take_id();
    mcp.send(json!({"jsonrpc": "2.0", "id": fast, "method": "tools/call",
                    "params": {"name": "find_definition", "arguments": {"name": "total"}}}));
    let answer = mcp.read_message();
    assert_eq!(answer["id"], fast, "{answer}");
    let text = answer["result"]["content"][0]["text"].as_str().unwrap();
    assert!(text.starts_with("src/shapes.rs:14"), "{text}");

    mcp.send(
        json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
                    "params": {"requestId": slow, "reason": "no longer needed"}}),
    );
    wait_until(DEADLINE, "the daemon to stop the cancelled search", || {
        (in_flight(&mut status) == 0).then_some(())
    });
    // The session goes on.
    let (text, _, _) = mcp.tool("find_definition", json!({"name": "total"}));
    assert!(text.starts_with("src/shapes.rs:14"), "{text}");
    mcp.close();
}
