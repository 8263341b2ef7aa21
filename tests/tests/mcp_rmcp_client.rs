//! `code-index mcp` driven by rmcp's own client over the child's stdio, as an
//! MCP host built on the official SDK would.

use code_index_tests::{DEADLINE, Project, StopDaemonOnDrop, code_index_bin};
use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::TokioChildProcess;
use serde_json::json;

fn text_of(result: &rmcp::model::CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|c| serde_json::to_value(c).ok())
        .filter_map(|v| v["text"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_rmcp_client_lists_and_calls_the_tools() {
    let project = Project::new();
    project.write(
        "app/models.py",
        "class User:\n    \"\"\"A person.\"\"\"\n\n    def greet(self):\n        return hello(self)\n\n\ndef hello(user):\n    return 'hi'\n",
    );
    let _daemon = StopDaemonOnDrop(project.root().to_path_buf());
    let mut cmd = tokio::process::Command::new(code_index_bin());
    cmd.arg("mcp").arg("--root").arg(project.root());
    cmd.stderr(std::process::Stdio::null());
    let client = ().serve(TokioChildProcess::new(cmd).unwrap()).await.unwrap();

    let tools = client.list_all_tools().await.unwrap();
    assert_eq!(tools.len(), 19);
    let reindex = tools.iter().find(|t| t.name == "reindex").unwrap();
    assert_eq!(
        reindex.annotations.as_ref().unwrap().read_only_hint,
        Some(false)
    );

    let started = std::time::Instant::now();
    let text = loop {
        let params = CallToolRequestParams::new("find_callers")
            .with_arguments(json!({"name": "hello"}).as_object().unwrap().clone());
        let result = client.call_tool(params).await.unwrap();
        assert_ne!(result.is_error, Some(true), "{}", text_of(&result));
        let text = text_of(&result);
        if !text.contains("still being built") {
            break text;
        }
        assert!(started.elapsed() < DEADLINE, "the index never got ready");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert!(
        text.contains("User.greet → hello  at app/models.py:5"),
        "{text}"
    );

    let params = CallToolRequestParams::new("get_symbol_source")
        .with_arguments(json!({"name": "User"}).as_object().unwrap().clone());
    let result = client.call_tool(params).await.unwrap();
    let text = text_of(&result);
    assert!(text.starts_with("app/models.py:1  class  User"), "{text}");
    assert!(text.contains("2│     \"\"\"A person.\"\"\""), "{text}");
    // Text only by default: what every client shows the model.
    assert!(result.structured_content.is_none());

    // Wrong-typed arguments come back as an error the model can read.
    let params = CallToolRequestParams::new("symbol_at").with_arguments(
        json!({"path": "app/models.py", "line": "four"})
            .as_object()
            .unwrap()
            .clone(),
    );
    match client.call_tool(params).await {
        Ok(result) => assert_eq!(result.is_error, Some(true)),
        Err(err) => assert!(err.to_string().to_lowercase().contains("invalid"), "{err}"),
    }

    client.cancel().await.unwrap();
}
