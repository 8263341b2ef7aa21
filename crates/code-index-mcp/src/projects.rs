//! Workspace links: other roots a project asks to be searched with it,
//! listed in `code-index.toml` at its root:
//!
//! ```toml
//! links = ["../lib-a", "/abs/lib-b"]
//! ```
//!
//! Each link is a project of its own, with its own daemon. A link that is
//! missing, nested in another project, or listed twice is warned about and left
//! out (its files would otherwise be indexed twice).

use std::path::{Path, PathBuf};

pub use code_index_protocol::config::CONFIG_FILE;

/// A root the server answers for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectSpec {
    /// Short name, unique among the projects (the directory's name).
    pub name: String,
    /// Canonical.
    pub root: PathBuf,
    pub primary: bool,
}

/// The primary project and its links, and what was wrong with the links left out.
pub fn resolve(primary: &Path) -> (Vec<ProjectSpec>, Vec<String>) {
    let mut warnings = Vec::new();
    let mut projects = vec![ProjectSpec {
        name: dir_name(primary),
        root: primary.to_path_buf(),
        primary: true,
    }];
    let config = match code_index_protocol::ProjectConfig::load(primary) {
        Ok(config) => config,
        Err(err) => {
            warnings.push(format!("{err}; no links are used"));
            code_index_protocol::ProjectConfig::default()
        }
    };
    for link in config.links {
        let given = Path::new(&link);
        let joined = if given.is_absolute() {
            given.to_path_buf()
        } else {
            primary.join(given)
        };
        let Ok(root) = std::fs::canonicalize(&joined)
            .map_err(|_| ())
            .and_then(|r| if r.is_dir() { Ok(r) } else { Err(()) })
        else {
            warnings.push(format!(
                "link {link:?}: {} is not a directory; left out",
                joined.display()
            ));
            continue;
        };
        if let Err(why) = acceptable_link(primary, &root) {
            warnings.push(format!(
                "link {link:?} ({}) is refused: {why}",
                root.display()
            ));
            continue;
        }
        if let Some(other) = projects.iter().find(|p| p.root == root) {
            warnings.push(format!(
                "link {link:?} is listed twice (as {}); left out",
                other.name
            ));
            continue;
        }
        if let Some(other) = projects
            .iter()
            .find(|p| root.starts_with(&p.root) || p.root.starts_with(&root))
        {
            warnings.push(format!(
                "link {link:?} ({}) is nested with project {} ({}); left out, its files are indexed there",
                root.display(),
                other.name,
                other.root.display()
            ));
            continue;
        }
        let mut name = dir_name(&root);
        let base = name.clone();
        let mut n = 2;
        while projects.iter().any(|p| p.name == name) {
            name = format!("{base}-{n}");
            n += 1;
        }
        projects.push(ProjectSpec {
            name,
            root,
            primary: false,
        });
    }
    (projects, warnings)
}

/// A repository's own `code-index.toml` can name any directory: a link is
/// taken only when it is a project of its own (its own `.git` or
/// `code-index.toml`), and never the file system's root, the home directory
/// or a directory holding the project, whose daemon would index (and write
/// `.code-index/` into) everything there.
fn acceptable_link(primary: &Path, link: &Path) -> Result<(), String> {
    if link.parent().is_none() {
        return Err("it is the file system's root".into());
    }
    let home = std::env::var_os("HOME").and_then(|h| std::fs::canonicalize(h).ok());
    if home.as_deref() == Some(link) {
        return Err("it is the home directory".into());
    }
    if primary.starts_with(link) {
        return Err("it holds this project".into());
    }
    if !(link.join(".git").exists() || link.join(CONFIG_FILE).exists()) {
        return Err(format!(
            "it is not a project (it has neither .git nor {CONFIG_FILE}); \
             add a {CONFIG_FILE} there to link it"
        ));
    }
    Ok(())
}

fn dir_name(root: &Path) -> String {
    root.file_name().map_or_else(
        || root.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_resolve_with_warnings_for_bad_ones() {
        let dir = tempfile::tempdir().unwrap();
        let base = std::fs::canonicalize(dir.path()).unwrap();
        for d in ["app/sub/.git", "lib-a/.git", "other/lib-a/.git", "plain"] {
            std::fs::create_dir_all(base.join(d)).unwrap();
        }
        std::fs::write(
            base.join("app").join(CONFIG_FILE),
            format!(
                "links = [\"../lib-a\", \"{}\", \"sub\", \"../missing\", \"../lib-a/\", \"../other/lib-a\"]\n",
                base.join("lib-a").display()
            ),
        )
        .unwrap();
        let (projects, warnings) = resolve(&base.join("app"));
        let names: Vec<&str> = projects.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, vec!["app", "lib-a", "lib-a-2"]);
        assert!(projects[0].primary && !projects[1].primary);
        assert_eq!(warnings.len(), 4, "{warnings:#?}");
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("\"sub\"") && w.contains("nested"))
        );
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("missing") && w.contains("not a directory"))
        );
        assert!(
            warnings
                .iter()
                .filter(|w| w.contains("listed twice"))
                .count()
                == 2
        );
    }

    #[test]
    fn links_that_are_not_projects_or_hold_too_much_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let base = std::fs::canonicalize(dir.path()).unwrap();
        for d in ["app/.git", "plain"] {
            std::fs::create_dir_all(base.join(d)).unwrap();
        }
        let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
        std::fs::write(
            base.join("app").join(CONFIG_FILE),
            format!("links = [\"/\", \"..\", \"../plain\", {home:?}]\n"),
        )
        .unwrap();
        let (projects, warnings) = resolve(&base.join("app"));
        assert_eq!(projects.len(), 1, "{projects:#?}");
        let refused = |needle: &str| warnings.iter().any(|w| w.contains(needle));
        assert!(refused("the file system's root"), "{warnings:#?}");
        assert!(refused("it holds this project"), "{warnings:#?}");
        assert!(refused("it is not a project"), "{warnings:#?}");
        if std::fs::canonicalize(&home).is_ok_and(|h| !base.starts_with(&h)) {
            assert!(refused("the home directory"), "{warnings:#?}");
        }
    }

    #[test]
    fn no_config_means_one_project() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let (projects, warnings) = resolve(&root);
        assert_eq!(projects.len(), 1);
        assert!(warnings.is_empty());
    }
}
