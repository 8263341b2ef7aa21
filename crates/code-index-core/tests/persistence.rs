//! Snapshots: round trips, changes after a reload, and snapshots that must be
//! refused (corrupt, truncated, from another format version).

mod common;

use std::fs::File;
use std::time::{Duration, SystemTime};

use code_index_core::snapshot::{self, SnapshotError};
use code_index_core::{Index, IndexOptions, PageRequest, SymbolFilter};

fn names_defined(index: &Index, name: &str) -> Vec<String> {
    index
        .definitions(
            name,
            None,
            &SymbolFilter::default(),
            PageRequest::new(0, 100),
        )
        .items
        .into_iter()
        .map(|s| format!("{}:{}", s.path, s.span.start_line))
        .collect()
}

/// Stats without the memory estimate, which depends on allocation history.
fn comparable(index: &Index) -> code_index_core::Stats {
    code_index_core::Stats {
        memory_bytes: 0,
        ..index.stats()
    }
}

fn all_files(index: &Index) -> Vec<code_index_core::model::FileSymbols> {
    let mut files: Vec<_> = index.files().map(|(_, f)| f.clone()).collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

#[test]
fn save_and_load_round_trip() {
    let (dir, index) = common::indexed_copy("project");
    let path = snapshot::snapshot_path(index.root());
    let bytes = index.save(&path).unwrap();
    assert_eq!(bytes, std::fs::metadata(&path).unwrap().len());

    let loaded = Index::load(index.root(), &path).unwrap();
    assert_eq!(all_files(&loaded), all_files(&index));
    assert_eq!(comparable(&loaded), comparable(&index));
    assert_eq!(
        names_defined(&loaded, "Circle"),
        names_defined(&index, "Circle")
    );
    let refs = |i: &Index| i.references("area", &Default::default(), PageRequest::default());
    assert_eq!(refs(&loaded), refs(&index));
    drop(dir);
}

#[test]
fn a_warm_start_reparses_only_what_changed() {
    let (dir, index) = common::indexed_copy("project");
    let root = index.root().to_path_buf();
    let path = snapshot::snapshot_path(&root);
    index.save(&path).unwrap();

    // Unchanged tree: nothing is parsed.
    let mut warm = Index::load(&root, &path).unwrap();
    let report = warm.refresh(&IndexOptions::default(), &mut |_| {}).unwrap();
    assert_eq!(report.parsed, 0);
    assert_eq!(report.unchanged, 16);

    // Change one, add one, delete one, rename one.
    common::write(
        &root,
        "web/format.ts",
        "export function formatVolume(v: number): string {\n  return `${v}`;\n}\n",
    );
    common::write(
        &root,
        "web/extra.ts",
        "export function extraThing(): number { return 1; }\n",
    );
    std::fs::remove_file(root.join("legacy/circle.py")).unwrap();
    std::fs::rename(root.join("c/list.c"), root.join("c/linked_list.c")).unwrap();

    let mut warm = Index::load(&root, &path).unwrap();
    let report = warm.refresh(&IndexOptions::default(), &mut |_| {}).unwrap();
    assert_eq!(report.parsed, 3, "changed, added and renamed-to");
    assert_eq!(report.removed, 2, "deleted and renamed-from");
    assert_eq!(report.unchanged, 13);
    assert_eq!(names_defined(&warm, "formatArea"), Vec::<String>::new());
    assert_eq!(
        names_defined(&warm, "formatVolume"),
        vec!["web/format.ts:1"]
    );
    assert_eq!(names_defined(&warm, "extraThing"), vec!["web/extra.ts:1"]);
    assert_eq!(names_defined(&warm, "circle_helper"), Vec::<String>::new());
    assert_eq!(
        names_defined(&warm, "list_length"),
        vec!["c/linked_list.c:3", "c/list.h:9"]
    );
    // The result equals a cold index of the same tree.
    let cold = common::index_dir(&root);
    assert_eq!(all_files(&warm), all_files(&cold));
    assert_eq!(comparable(&warm), comparable(&cold));
    drop(dir);
}

#[test]
fn a_touched_file_with_the_same_content_is_not_reparsed() {
    let (dir, index) = common::indexed_copy("project");
    let root = index.root().to_path_buf();
    let path = snapshot::snapshot_path(&root);
    index.save(&path).unwrap();

    let file = File::options()
        .write(true)
        .open(root.join("src/main.rs"))
        .unwrap();
    file.set_modified(SystemTime::now() + Duration::from_secs(5))
        .unwrap();
    // Same size, new content, new mtime: must be re-parsed.
    let shapes = std::fs::read_to_string(root.join("src/shapes.rs")).unwrap();
    common::write(
        &root,
        "src/shapes.rs",
        shapes.replace("circle_area", "circle_aera"),
    );

    let mut warm = Index::load(&root, &path).unwrap();
    let report = warm.refresh(&IndexOptions::default(), &mut |_| {}).unwrap();
    assert_eq!(report.parsed, 1, "only the file whose content changed");
    assert_eq!(
        names_defined(&warm, "circle_aera"),
        vec!["src/shapes.rs:36"]
    );
    assert_eq!(names_defined(&warm, "circle_area"), Vec::<String>::new());
    drop(dir);
}

#[test]
fn single_file_updates_touch_only_that_file() {
    let (dir, mut index) = common::indexed_copy("project");
    let root = index.root().to_path_buf();
    let options = IndexOptions::default();
    let before = comparable(&index);

    common::write(
        &root,
        "py/extra.py",
        "def extra_function():\n    return run()\n",
    );
    assert!(index.update_file("py/extra.py", &options).unwrap());
    assert_eq!(
        names_defined(&index, "extra_function"),
        vec!["py/extra.py:1"]
    );
    assert_eq!(index.stats().files, before.files + 1);
    // Nothing changed: no update.
    assert!(!index.update_file("py/extra.py", &options).unwrap());

    std::fs::remove_file(root.join("py/extra.py")).unwrap();
    assert!(index.update_file("py/extra.py", &options).unwrap());
    assert_eq!(
        names_defined(&index, "extra_function"),
        Vec::<String>::new()
    );
    assert_eq!(comparable(&index), before);

    assert!(index.rename("web/app.ts", "web/main_app.ts"));
    assert_eq!(
        names_defined(&index, "CircleView"),
        vec!["web/main_app.ts:4"]
    );
    assert!(!index.rename("web/app.ts", "web/other.ts"));
    drop(dir);
}

#[test]
fn corrupt_truncated_and_foreign_snapshots_are_refused() {
    let (dir, index) = common::indexed_copy("project");
    let root = index.root().to_path_buf();
    let path = snapshot::snapshot_path(&root);
    index.save(&path).unwrap();
    let good = std::fs::read(&path).unwrap();

    // A flipped byte in the payload.
    let mut corrupt = good.clone();
    let last = corrupt.len() - 10;
    corrupt[last] ^= 0xff;
    std::fs::write(&path, &corrupt).unwrap();
    assert!(matches!(
        Index::load(&root, &path),
        Err(SnapshotError::Checksum)
    ));

    // Cut short.
    std::fs::write(&path, &good[..good.len() / 2]).unwrap();
    assert!(matches!(
        Index::load(&root, &path),
        Err(SnapshotError::Truncated { .. })
    ));
    std::fs::write(&path, &good[..20]).unwrap();
    assert!(matches!(
        Index::load(&root, &path),
        Err(SnapshotError::Truncated { .. })
    ));

    // An older format version.
    let mut old = good.clone();
    old[8..12].copy_from_slice(&(snapshot::FORMAT_VERSION - 1).to_le_bytes());
    std::fs::write(&path, &old).unwrap();
    assert!(matches!(
        Index::load(&root, &path),
        Err(SnapshotError::Version { found, expected }) if found == snapshot::FORMAT_VERSION - 1 && expected == snapshot::FORMAT_VERSION
    ));

    // Made with other extraction rules.
    let mut foreign = good.clone();
    foreign[16] ^= 1;
    std::fs::write(&path, &foreign).unwrap();
    assert!(matches!(
        Index::load(&root, &path),
        Err(SnapshotError::Fingerprint)
    ));

    // Not a snapshot at all.
    std::fs::write(&path, b"hello, world: this is not a snapshot file at all").unwrap();
    assert!(matches!(
        Index::load(&root, &path),
        Err(SnapshotError::BadMagic)
    ));

    // A valid header over a payload that does not decode.
    let mut garbage = good[..40].to_vec();
    let payload = vec![0xffu8; 64];
    garbage[24..32].copy_from_slice(&(payload.len() as u64).to_le_bytes());
    garbage[32..40].copy_from_slice(&xxhash_rust::xxh3::xxh3_64(&payload).to_le_bytes());
    garbage.extend_from_slice(&payload);
    std::fs::write(&path, &garbage).unwrap();
    assert!(matches!(
        Index::load(&root, &path),
        Err(SnapshotError::Decode(_))
    ));

    std::fs::remove_file(&path).unwrap();
    assert!(matches!(
        Index::load(&root, &path),
        Err(SnapshotError::Missing(_))
    ));
    drop(dir);
}

#[test]
fn saving_leaves_no_temporary_files_and_ignores_the_state_dir() {
    let (dir, index) = common::indexed_copy("project");
    let root = index.root().to_path_buf();
    let state = snapshot::ensure_state_dir(&root).unwrap();
    // Left by a writer that died mid-write (no pid is that large).
    std::fs::write(state.join("index.tmp.999999999"), b"partial").unwrap();
    index.save(&snapshot::snapshot_path(&root)).unwrap();
    let mut names: Vec<String> = std::fs::read_dir(&state)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, vec![".gitignore", "index.bin"]);
    assert_eq!(
        std::fs::read_to_string(state.join(".gitignore")).unwrap(),
        "*\n"
    );
    // The state directory is never indexed.
    let again = common::index_dir(&root);
    assert!(
        again
            .files()
            .all(|(_, f)| !f.path.starts_with(".code-index"))
    );
    drop(dir);
}
