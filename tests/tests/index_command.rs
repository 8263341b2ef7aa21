//! `code-index index` on real temporary projects.

use code_index_tests::{Project, code_index, success};
use serde_json::Value;

fn sample_project() -> Project {
    let project = Project::new();
    project
        .write(
            "src/lib.rs",
            "/// Adds.\npub fn add(a: i32, b: i32) -> i32 { a + b }\n",
        )
        .write(
            "src/main.rs",
            "fn main() { println!(\"{}\", add(1, 2)); }\n",
        )
        .write(
            "app/models.py",
            "class User:\n    def name(self):\n        return 'x'\n",
        )
        .write("web/app.ts", "export function start(): void {}\n")
        .write("README.md", "# sample\n");
    project
}

fn index_json(project: &Project, extra: &[&str]) -> Value {
    let out = code_index()
        .arg("index")
        .arg("--root")
        .arg(project.root())
        .arg("--json")
        .args(extra)
        .output()
        .unwrap();
    serde_json::from_str(&success(out)).expect("stdout is one JSON document")
}

#[test]
fn a_second_run_is_a_warm_start() {
    let project = sample_project();
    let cold = index_json(&project, &[]);
    assert_eq!(cold["start"], "cold");
    assert_eq!(cold["build"]["parsed"], 5);
    assert_eq!(cold["stats"]["files"], 5);
    assert_eq!(cold["stats"]["parsed_files"], 4);
    assert_eq!(cold["stats"]["skipped"]["unsupported_language"], 1);
    assert_eq!(cold["stats"]["languages"]["rust"]["files"], 2);
    assert!(cold["snapshot_bytes"].as_u64().unwrap() > 40);
    assert!(project.root().join(".code-index/index.bin").exists());
    assert_eq!(
        std::fs::read_to_string(project.root().join(".code-index/.gitignore")).unwrap(),
        "*\n"
    );

    let snapshot = project.root().join(".code-index/index.bin");
    let written = std::fs::metadata(&snapshot).unwrap().modified().unwrap();
    let warm = index_json(&project, &[]);
    assert_eq!(warm["start"], "warm");
    assert_eq!(warm["build"]["parsed"], 0);
    assert_eq!(warm["build"]["unchanged"], 5);
    assert_eq!(warm["stats"]["definitions"], cold["stats"]["definitions"]);
    assert_eq!(warm["snapshot_bytes"], cold["snapshot_bytes"]);
    assert_eq!(
        std::fs::metadata(&snapshot).unwrap().modified().unwrap(),
        written,
        "an unchanged tree does not rewrite the snapshot"
    );

    project.write("web/more.ts", "export const more = 1;\n");
    let changed = index_json(&project, &[]);
    assert_eq!(changed["start"], "warm");
    assert_eq!(changed["build"]["parsed"], 1);

    let forced = index_json(&project, &["--cold"]);
    assert_eq!(forced["start"], "cold");
    assert_eq!(forced["build"]["parsed"], 6);
}

#[test]
fn a_corrupt_snapshot_is_discarded_with_a_warning() {
    let project = sample_project();
    index_json(&project, &[]);
    let snapshot = project.root().join(".code-index/index.bin");
    let mut bytes = std::fs::read(&snapshot).unwrap();
    let n = bytes.len();
    bytes[n - 3] ^= 0x55;
    std::fs::write(&snapshot, &bytes).unwrap();

    let out = code_index()
        .args(["index", "--json", "--root"])
        .arg(project.root())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let summary: Value = serde_json::from_str(&success(out)).unwrap();
    assert_eq!(summary["start"], "cold");
    assert!(
        summary["snapshot_discarded"]
            .as_str()
            .unwrap()
            .contains("checksum")
    );
    assert!(stderr.contains("discarding the snapshot"), "{stderr}");
    // The snapshot was rewritten: the next run is warm again.
    assert_eq!(index_json(&project, &[])["start"], "warm");
}

#[test]
fn the_human_summary_names_what_was_indexed() {
    let project = sample_project();
    let out = code_index()
        .args(["index", "--root"])
        .arg(project.root())
        .output()
        .unwrap();
    assert!(
        out.stderr.is_empty(),
        "no progress bar or logs when stderr is not a terminal"
    );
    let text = success(out);
    assert!(text.starts_with("Indexed "), "{text}");
    assert!(text.contains("(cold)"));
    assert!(text.contains("5 listed, 4 parsed"), "{text}");
    assert!(text.contains("1 unsupported_language"), "{text}");
    assert!(text.contains("rust"));
    assert!(text.contains("snapshot"));
}

#[test]
fn the_size_limit_is_configurable() {
    let project = sample_project();
    let summary = index_json(&project, &["--max-file-size", "40"]);
    assert!(summary["stats"]["skipped"]["too_large"].as_u64().unwrap() >= 2);
    let out = code_index()
        .args(["index", "--max-file-size", "lots", "--root"])
        .arg(project.root())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a size"));
}

#[test]
fn a_missing_root_is_a_clear_error() {
    let out = code_index()
        .args(["index", "--root", "/no/such/directory/anywhere"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot open the root directory"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn the_root_defaults_to_the_enclosing_git_repository() {
    let project = sample_project();
    std::fs::create_dir_all(project.root().join(".git")).unwrap();
    let out = code_index()
        .args(["index", "--json"])
        .current_dir(project.root().join("src"))
        .output()
        .unwrap();
    let summary: Value = serde_json::from_str(&success(out)).unwrap();
    let root = std::fs::canonicalize(project.root()).unwrap();
    assert_eq!(summary["root"], root.display().to_string());
    assert_eq!(summary["stats"]["files"], 5);
}

#[test]
fn global_git_excludes_are_honoured() {
    let project = sample_project();
    project.write("src/generated.rs", "fn generated() {}\n");
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config");
    std::fs::create_dir_all(config.join("git")).unwrap();
    std::fs::write(config.join("git/ignore"), "generated.rs\n").unwrap();
    let out = code_index()
        .args(["index", "--json", "--no-save", "--root"])
        .arg(project.root())
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", &config)
        .output()
        .unwrap();
    let summary: Value = serde_json::from_str(&success(out)).unwrap();
    assert_eq!(
        summary["stats"]["files"], 5,
        "generated.rs is excluded globally"
    );
}
