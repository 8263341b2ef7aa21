//! Every query's work is bounded by its answer, whatever its arguments: real
//! daemons, real trees, memory read from `/proc`.

use code_index_protocol::ErrorCode;
use code_index_tests::mcp::McpSession;
use code_index_tests::{Daemon, Project, StopDaemonOnDrop};
use serde_json::json;

/// A field of `/proc/<pid>/status` in KiB (`VmRSS`, `VmHWM`).
#[cfg(target_os = "linux")]
fn proc_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
}

#[cfg(target_os = "linux")]
#[test]
fn search_text_matching_everything_keeps_one_page_in_memory() {
    // 400 files of 4,000 short lines: 1.6 million matching lines, 24 MB.
    let project = Project::new();
    let text: String = (0..4000)
        .map(|i| format!("line number {i:05} here\n"))
        .collect();
    for f in 0..400 {
        project.write(&format!("data/d{:02}/f{f:03}.txt", f / 40), &text);
    }
    let daemon = Daemon::start(project.root(), &[]);
    let mut client = daemon.wait_ready();
    let rss_before = proc_kib(daemon.pid(), "VmRSS");
    let hwm_before = proc_kib(daemon.pid(), "VmHWM");

    let found = client.ok(
        "search_text",
        json!({"pattern": "(?s).*", "regex": true, "limit": 1}),
    );
    assert_eq!(found["items"].as_array().unwrap().len(), 1, "{found}");
    assert_eq!(found["items"][0]["path"], "data/d00/f000.txt");
    assert_eq!(found["total_is_lower_bound"], true, "{found}");
    assert!(found["total"].as_u64().unwrap() >= 1000, "{found}");
    // Three at once, as parallel tool calls would.
    let port = daemon.port();
    let token = daemon.lock().unwrap().token;
    let parallel: Vec<_> = (0..3)
        .map(|_| {
            let token = token.clone();
            std::thread::spawn(move || {
                let mut c = code_index_tests::Client::connect(port);
                c.ok("hello", json!({"token": token}));
                c.ok(
                    "search_text",
                    json!({"pattern": "(?s).*", "regex": true, "limit": 1, "offset": 500}),
                )
            })
        })
        .collect();
    for t in parallel {
        let page = t.join().unwrap();
        assert_eq!(page["items"].as_array().unwrap().len(), 1);
    }

    // The old code kept every hit: hundreds of MB for this tree. The page
    // needs almost nothing; allow the allocator generous slack.
    let hwm_after = proc_kib(daemon.pid(), "VmHWM");
    let grew_mib = hwm_after.saturating_sub(hwm_before.max(rss_before)) / 1024;
    assert!(
        grew_mib < 64,
        "peak memory grew by {grew_mib} MiB (VmRSS before {rss_before} KiB, VmHWM {hwm_before} -> {hwm_after} KiB)"
    );
}

#[test]
fn huge_globs_and_patterns_are_refused_and_the_daemon_lives_on() {
    let project = Project::shapes();
    let daemon = Daemon::start(project.root(), &[]);
    let mut client = daemon.wait_ready();
    let huge = format!("**/{}*", "a*".repeat(50_000));
    let cases = [
        ("files", json!({"glob": huge})),
        ("search_symbols", json!({"query": "area", "glob": huge})),
        ("references", json!({"name": "area", "glob": huge})),
        ("search_text", json!({"pattern": "area", "glob": huge})),
        ("search_text", json!({"pattern": "x".repeat(100_000)})),
    ];
    for (op, params) in cases {
        let response = client.call(op, params);
        let error = response
            .error
            .unwrap_or_else(|| panic!("{op} accepted a huge argument: {:?}", response.result));
        assert_eq!(
            error.code,
            ErrorCode::InvalidParams.code(),
            "{op}: {}",
            error.message
        );
        assert!(
            error.message.len() < 1000,
            "{op}: the error repeats the argument"
        );
    }
    // Same connection, same daemon.
    let found = client.ok("definitions", json!({"name": "total"}));
    assert_eq!(found["total"], 1);
    let out = std::fs::read_to_string(daemon.root.join(".code-index/daemon.log")).unwrap();
    assert!(!out.contains("panic"), "{out}");
}

#[test]
fn a_huge_find_files_pattern_is_a_tool_error_not_a_lost_daemon() {
    let project = Project::shapes();
    let _daemon = StopDaemonOnDrop(project.root().to_path_buf());
    let mut mcp = McpSession::start(project.root());
    mcp.tool_when_ready("index_status", json!({}));
    let (text, _, error) = mcp.tool("find_files", json!({"pattern": "a".repeat(100_000)}));
    assert!(error, "{text}");
    assert!(text.contains("at most"), "{text}");
    assert!(!text.contains("cannot reach"), "{text}");
    let (text, _, error) = mcp.tool_when_ready("find_files", json!({"pattern": "*.rs"}));
    assert!(!error && text.contains("src/main.rs"), "{text}");
}
