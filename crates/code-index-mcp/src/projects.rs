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
        for d in ["app/sub", "lib-a", "other/lib-a"] {
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
    fn no_config_means_one_project() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let (projects, warnings) = resolve(&root);
        assert_eq!(projects.len(), 1);
        assert!(warnings.is_empty());
    }
}
