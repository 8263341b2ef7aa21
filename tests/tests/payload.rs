//! What a client forwards to the model stays within the budget and says how
//! to get more, for every tool, by the rule of the clients that forward
//! structured content: when a result has `structuredContent`, its JSON is
//! the whole answer; otherwise the text is. Real `code-index mcp` processes
//! over stdio, real daemons, a generated tree large enough to page.

use code_index_tests::mcp::McpSession;
use code_index_tests::{Project, StopDaemonOnDrop, code_index};
use serde_json::{Value, json};

/// A tree whose answers overflow any page: 120 modules of 12 functions that
/// all call `common`, a base class with 240 subclasses, one long file (where
/// every tenth use of `common` is through an object of unknown type, a
/// name-only candidate).
fn generated() -> Project {
    let project = Project::new();
    project.write(
        "base.py",
        "class Base:\n    def run(self):\n        pass\n\n\ndef common(x):\n    return x\n",
    );
    for m in 0..120 {
        let mut text = String::from("from base import Base, common\n\n");
        for f in 0..12 {
            text.push_str(&format!(
                "def handler_{m}_{f}(value):\n    \"\"\"Handles case {f} of module {m}.\"\"\"\n    return common(value) + {f}\n\n\n"
            ));
        }
        for c in 0..2 {
            text.push_str(&format!(
                "class Impl{m}x{c}(Base):\n    def run(self):\n        return common({c})\n\n\n"
            ));
        }
        project.write(&format!("pkg{}/mod{m}.py", m % 6), text);
    }
    let mut long = String::from("from base import common\n\n");
    for f in 0..600 {
        long.push_str(&format!(
            "def long_{f}(a, b):\n    return common(a) + b\n\n"
        ));
    }
    long.push_str("def huge():\n");
    for i in 0..3000 {
        let through = if i % 10 == 0 { "obj." } else { "" };
        long.push_str(&format!("    x_{i} = {through}common({i})\n"));
    }
    project.write("long.py", long);
    // Calls `run` on a value of unknown type, importing none of the modules
    // that define one: distant from each of them.
    project.write("far/use.py", "def go(x):\n    return x.run()\n");
    project
}

/// Each tool with arguments that ask for more than a page can hold, a piece
/// of the hint the answer must carry, and whether the answer overflows the
/// default budget too (every non-empty hint applies under a small one).
fn cases() -> Vec<(&'static str, Value, &'static str, bool)> {
    vec![
        (
            "search_symbols",
            json!({"query": "handler", "limit": 1000}),
            "offset=",
            true,
        ),
        (
            "find_references",
            json!({"name": "common", "resolution": "candidate", "limit": 1000}),
            "offset=",
            false,
        ),
        (
            "find_definition",
            json!({"name": "run", "limit": 1000}),
            "offset=",
            false,
        ),
        (
            "find_references",
            json!({"name": "common", "limit": 1000}),
            "offset=",
            true,
        ),
        (
            "file_outline",
            json!({"path": "long.py"}),
            "output cut",
            true,
        ),
        ("symbol_at", json!({"path": "long.py", "line": 3}), "", true),
        (
            "find_callers",
            json!({"name": "common", "depth": 2, "limit": 1000}),
            "offset=",
            true,
        ),
        (
            "find_callees",
            json!({"name": "huge", "limit": 1000}),
            "",
            true,
        ),
        (
            "find_implementations",
            json!({"name": "Base"}),
            "output cut",
            false,
        ),
        (
            "file_dependencies",
            json!({"path": "base.py"}),
            "offset=",
            true,
        ),
        ("index_status", json!({}), "", true),
        (
            "search_text",
            json!({"pattern": "common(", "limit": 1000}),
            "offset=",
            true,
        ),
        ("repo_map", json!({"max_tokens": 50000}), "output cut", true),
        (
            "read_file",
            json!({"path": "long.py", "end_line": 5000}),
            "start_line=",
            true,
        ),
        (
            "get_symbol_source",
            json!({"name": "huge"}),
            "start_line=",
            true,
        ),
        (
            "find_files",
            json!({"pattern": "*.py", "limit": 1000}),
            "offset=",
            false,
        ),
        ("list_dir", json!({"depth": 4}), "", true),
        ("list_projects", json!({}), "", true),
    ]
}

/// What Claude Code and Codex CLI hand the model: the structured content's
/// JSON when there is any, else the text blocks.
fn forwarded(result: &Value) -> String {
    match &result["structuredContent"] {
        Value::Null => result["content"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|block| block["text"].as_str())
            .collect(),
        structured => serde_json::to_string(structured).unwrap(),
    }
}

fn check_every_tool(mcp: &mut McpSession, budget: usize, structured: bool) {
    // Wait until the whole tree is indexed.
    code_index_tests::wait_until(code_index_tests::DEADLINE, "the index", || {
        let (text, _, _) = mcp.tool("find_files", json!({"pattern": "*.py", "count_only": true}));
        (text == "123 files\n").then_some(())
    });
    for (tool, arguments, hint, overflows_default) in cases() {
        let hint = if budget < 20_000 || overflows_default {
            hint
        } else {
            ""
        };
        let result = mcp.request("tools/call", json!({"name": tool, "arguments": arguments}));
        assert_eq!(result["isError"], false, "{tool}: {result}");
        let payload = forwarded(&result);
        assert!(
            payload.chars().count() <= budget,
            "{tool}: {} characters forwarded, over the budget of {budget}",
            payload.chars().count()
        );
        assert!(
            payload.contains(hint),
            "{tool}: the forwarded answer does not say how to get more ({hint:?}): {payload}"
        );
        if structured {
            let content = &result["structuredContent"];
            assert!(content["answer"].is_string(), "{tool}: {content}");
            if hint == "offset=" {
                let next = content["next_offset"].as_u64();
                assert!(next.is_some_and(|n| n > 0), "{tool}: {content}");
                assert!(
                    content["total"].as_u64() > next,
                    "{tool}: total beyond next_offset: {content}"
                );
            }
        } else {
            assert_eq!(result["structuredContent"], Value::Null, "{tool}");
        }
    }
    // A page where the resolved references end and the name-only candidates
    // begin: what is forwarded says how many of each and which are which.
    let result = mcp.request(
        "tools/call",
        json!({"name": "find_references", "arguments": {"name": "common", "count_only": true}}),
    );
    let summary = forwarded(&result);
    let resolved: u64 = summary
        .split(": ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no resolved count in {summary}"));
    assert!(summary.contains("300 name-only candidates"), "{summary}");
    let result = mcp.request(
        "tools/call",
        json!({"name": "find_references",
               "arguments": {"name": "common", "offset": resolved - 2, "limit": 4}}),
    );
    let payload = forwarded(&result);
    assert!(payload.chars().count() <= budget, "{payload}");
    assert!(
        payload.contains(&format!("{resolved} resolved, 300 name-only candidates")),
        "{payload}"
    );
    assert!(
        payload.contains("name-only candidates (the same name"),
        "{payload}"
    );
    assert!(
        payload.contains(&format!("call again with offset={}", resolved + 2)),
        "{payload}"
    );
    // The overrides of a base class's method are named as a group of their
    // own in what is forwarded, with how many there are.
    let result = mcp.request(
        "tools/call",
        json!({"name": "find_references", "arguments": {"name": "Base.run"}}),
    );
    let payload = forwarded(&result);
    assert!(payload.chars().count() <= budget, "{payload}");
    assert!(
        payload.contains("240 overrides or implementations in subclasses")
            && payload.contains("Impl0x0.run")
            && payload.contains("… and 230 more"),
        "{payload}"
    );
    // What is left out as distant is said in what is forwarded, with how to
    // list it, for references and for callers alike.
    for tool in ["find_references", "find_callers"] {
        let args = json!({"name": "Impl0x0.run", "defined_in": "pkg0/mod0.py"});
        let result = mcp.request("tools/call", json!({"name": tool, "arguments": args}));
        let payload = forwarded(&result);
        assert!(payload.chars().count() <= budget, "{tool}: {payload}");
        assert!(
            payload.contains("1 more same-name") && payload.contains("resolution=all"),
            "{tool}: {payload}"
        );
        let args = json!({"name": "Impl0x0.run", "defined_in": "pkg0/mod0.py",
                          "resolution": "all"});
        let result = mcp.request("tools/call", json!({"name": tool, "arguments": args}));
        assert!(
            forwarded(&result).contains("far/use.py"),
            "{tool}: {result}"
        );
    }
}

#[test]
fn by_default_answers_are_text_within_the_budget_with_their_paging_hints() {
    let project = generated();
    let _daemon = StopDaemonOnDrop(project.root().to_path_buf());
    let mut mcp = McpSession::start(project.root());
    let tools = mcp.request("tools/list", json!({}));
    for tool in tools["tools"].as_array().unwrap() {
        assert!(tool.get("outputSchema").is_none(), "{tool}");
    }
    check_every_tool(&mut mcp, 20_000, false);
    mcp.close();
}

#[test]
fn structured_answers_are_within_the_budget_as_json_and_carry_the_paging_fields() {
    let project = generated();
    let _daemon = StopDaemonOnDrop(project.root().to_path_buf());
    let mut cmd = code_index();
    cmd.args(["mcp", "--structured", "--budget", "4000", "--root"])
        .arg(project.root());
    let mut mcp = McpSession::start_with(cmd, None);
    let tools = mcp.request("tools/list", json!({}));
    for tool in tools["tools"].as_array().unwrap() {
        assert_eq!(
            tool["outputSchema"]["required"],
            json!(["answer"]),
            "{tool}"
        );
    }
    check_every_tool(&mut mcp, 4_000, true);
    mcp.close();
}

#[test]
fn the_budget_and_structured_content_can_be_set_in_code_index_toml() {
    let project = generated();
    project.write(
        "code-index.toml",
        "[mcp]\nbudget = 2500\nstructured = true\n",
    );
    let _daemon = StopDaemonOnDrop(project.root().to_path_buf());
    let mut mcp = McpSession::start(project.root());
    check_every_tool(&mut mcp, 2_500, true);
    mcp.close();
}

#[test]
fn a_typo_in_project_names_the_known_projects() {
    let project = Project::shapes();
    let _daemon = StopDaemonOnDrop(project.root().to_path_buf());
    let mut mcp = McpSession::start(project.root());
    for (tool, arguments) in [
        ("repo_map", json!({"project": "nope"})),
        (
            "find_definition",
            json!({"name": "total", "project": "nope"}),
        ),
        (
            "file_outline",
            json!({"path": "src/shapes.rs", "project": "nope"}),
        ),
    ] {
        let (text, _, is_error) = mcp.tool(tool, arguments);
        assert!(is_error, "{tool}: {text}");
        assert!(
            text.contains("unknown project \"nope\"; the projects are: "),
            "{tool}: {text}"
        );
        assert!(!text.contains("not reachable"), "{tool}: {text}");
    }
    mcp.close();
}

#[test]
fn list_dir_counts_and_pages_past_ten_thousand_files() {
    let project = Project::new();
    for i in 0..10_001 {
        project.write(&format!("big/f{i}.txt"), "");
    }
    project.write("src/a.py", "def a():\n    pass\n");
    let _daemon = StopDaemonOnDrop(project.root().to_path_buf());
    let mut mcp = McpSession::start(project.root());
    let (text, _, _) = mcp.tool_when_ready("list_dir", json!({}));
    assert_eq!(text, "big/  (10001 files)\nsrc/  (1 files)\n");
    let (text, _, _) = mcp.tool("list_dir", json!({"path": "big", "limit": 3}));
    assert_eq!(
        text,
        "f0.txt\nf1.txt\nf10.txt\nshowing 1–3 of 10001; 9998 more: call again with offset=3\n"
    );
    let (text, _, _) = mcp.tool("list_dir", json!({"path": "big", "offset": 10_000}));
    assert_eq!(text, "f9999.txt\nshowing 10001–10001 of 10001\n");
    mcp.close();
}

#[test]
fn errors_do_not_echo_huge_arguments() {
    let project = Project::shapes();
    let _daemon = StopDaemonOnDrop(project.root().to_path_buf());
    let mut mcp = McpSession::start(project.root());
    let huge = "(".repeat(100_000);
    for (tool, arguments) in [
        ("find_files", json!({"pattern": format!("*{huge}")})),
        ("search_text", json!({"pattern": huge, "regex": true})),
        ("read_file", json!({"path": "a".repeat(100_000)})),
        ("find_definition", json!({"name": "total", "project": huge})),
    ] {
        let (text, _, is_error) = mcp.tool_when_ready(tool, arguments);
        assert!(is_error, "{tool}: {}", &text[..text.len().min(500)]);
        assert!(
            text.chars().count() <= 2_100,
            "{tool}: {} characters: {}",
            text.chars().count(),
            &text[..500]
        );
    }
    mcp.close();
}
