//! `code-index.toml` at a project's root: the settings its daemon, `code-index
//! index` and the MCP server share.
//!
//! ```toml
//! links = ["../shared-lib"]          # other roots searched with this one
//! exclude = ["vendor/**", "*.min.js"] # gitignore-style globs left out of the index
//! max_file_size = "2M"               # larger files are listed, not parsed
//! idle_timeout = "2h"                # the daemon exits after this long without clients; "0" never
//! ```
//!
//! Every key is optional; a missing file means the defaults. An unknown key is
//! an error, so that a typo does not silently do nothing. Command-line flags
//! override the file.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// The configuration file's name, at a project's root.
pub const CONFIG_FILE: &str = "code-index.toml";

/// A project's settings, parsed and checked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProjectConfig {
    /// Other roots searched with this one, as written (relative to the root, or absolute).
    pub links: Vec<String>,
    /// Globs (gitignore syntax, relative to the root) of paths to leave out.
    pub exclude: Vec<String>,
    pub max_file_size: Option<u64>,
    /// `Some(Duration::ZERO)`: never exit on idle.
    pub idle_timeout: Option<Duration>,
    /// `[mcp] budget`: the most characters of one MCP answer.
    pub mcp_budget: Option<usize>,
    /// `[mcp] structured`: MCP answers carry structured content too.
    pub mcp_structured: Option<bool>,
}

/// The range an answer budget must lie in.
pub const BUDGET_RANGE: std::ops::RangeInclusive<usize> = 1_000..=1_000_000;

/// Why `code-index.toml` could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not valid: {reason}")]
    Invalid { path: PathBuf, reason: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    links: Vec<String>,
    #[serde(default)]
    exclude: Vec<String>,
    max_file_size: Option<NumberOrText>,
    idle_timeout: Option<NumberOrText>,
    #[serde(default)]
    mcp: RawMcp,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMcp {
    budget: Option<usize>,
    structured: Option<bool>,
}

/// `max_file_size = 1048576` or `"1M"`; `idle_timeout = 600` or `"10m"`.
#[derive(Deserialize)]
#[serde(untagged)]
enum NumberOrText {
    Number(u64),
    Text(String),
}

impl ProjectConfig {
    /// Reads `<root>/code-index.toml`; the defaults when there is none.
    pub fn load(root: &Path) -> Result<ProjectConfig, ConfigError> {
        let path = config_path(root);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                return Ok(ProjectConfig::default());
            }
            Err(source) => return Err(ConfigError::Io { path, source }),
        };
        ProjectConfig::parse(&text).map_err(|reason| ConfigError::Invalid { path, reason })
    }

    /// Parses the file's text; the error says what is wrong, and where.
    pub fn parse(text: &str) -> Result<ProjectConfig, String> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| e.to_string().trim().to_string())?;
        let max_file_size = match raw.max_file_size {
            None => None,
            Some(NumberOrText::Number(n)) => Some(n),
            Some(NumberOrText::Text(s)) => {
                Some(parse_size(&s).map_err(|e| format!("max_file_size: {e}"))?)
            }
        };
        let idle_timeout = match raw.idle_timeout {
            None => None,
            Some(NumberOrText::Number(n)) => Some(Duration::from_secs(n)),
            Some(NumberOrText::Text(s)) => {
                Some(parse_duration(&s).map_err(|e| format!("idle_timeout: {e}"))?)
            }
        };
        if let Some(budget) = raw.mcp.budget
            && !BUDGET_RANGE.contains(&budget)
        {
            return Err(format!(
                "mcp.budget: {budget} is out of range: give {} to {} characters",
                BUDGET_RANGE.start(),
                BUDGET_RANGE.end()
            ));
        }
        Ok(ProjectConfig {
            links: raw.links,
            exclude: raw.exclude,
            max_file_size,
            idle_timeout,
            mcp_budget: raw.mcp.budget,
            mcp_structured: raw.mcp.structured,
        })
    }
}

/// `<root>/code-index.toml`.
pub fn config_path(root: &Path) -> PathBuf {
    root.join(CONFIG_FILE)
}

/// Parses `1048576`, `512K`, `1M`, `2G` (also `KB`/`KiB`, any case).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let number: u64 = digits
        .parse()
        .map_err(|_| format!("{s:?} is not a size: write bytes, or a number with K, M or G"))?;
    let multiplier: u64 = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "K" | "KB" | "KIB" => 1 << 10,
        "M" | "MB" | "MIB" => 1 << 20,
        "G" | "GB" | "GIB" => 1 << 30,
        other => {
            return Err(format!(
                "unknown size unit {other:?} in {s:?}: use K, M or G"
            ));
        }
    };
    number
        .checked_mul(multiplier)
        .ok_or_else(|| format!("{s:?} is too large"))
}

/// Parses `0`, `500ms`, `90s`, `30m`, `2h` (a bare number is seconds).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{s:?} is not a duration: write e.g. 90s, 30m, 2h or 0"))?;
    let too_long = || format!("{s:?} is too long");
    Ok(match unit {
        "" | "s" => Duration::from_secs(n),
        "ms" => Duration::from_millis(n),
        "m" | "min" => Duration::from_secs(n.checked_mul(60).ok_or_else(too_long)?),
        "h" => Duration::from_secs(n.checked_mul(3600).ok_or_else(too_long)?),
        other => {
            return Err(format!(
                "unknown duration unit {other:?} in {s:?}: use ms, s, m or h"
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_key() {
        let config = ProjectConfig::parse(
            "links = [\"../lib\"]\nexclude = [\"vendor/**\", \"*.min.js\"]\nmax_file_size = \"2M\"\nidle_timeout = \"2h\"\n\n[mcp]\nbudget = 12000\nstructured = true\n",
        )
        .unwrap();
        assert_eq!(
            config,
            ProjectConfig {
                links: vec!["../lib".into()],
                exclude: vec!["vendor/**".into(), "*.min.js".into()],
                max_file_size: Some(2 << 20),
                idle_timeout: Some(Duration::from_secs(7200)),
                mcp_budget: Some(12_000),
                mcp_structured: Some(true),
            }
        );
        let numbers = ProjectConfig::parse("max_file_size = 4096\nidle_timeout = 0\n").unwrap();
        assert_eq!(numbers.max_file_size, Some(4096));
        assert_eq!(numbers.idle_timeout, Some(Duration::ZERO));
        assert_eq!(ProjectConfig::parse("").unwrap(), ProjectConfig::default());
    }

    #[test]
    fn rejects_typos_and_bad_values_saying_where() {
        let err = ProjectConfig::parse("excludes = [\"x\"]\n").unwrap_err();
        assert!(err.contains("unknown field `excludes`"), "{err}");
        assert!(err.contains("exclude"), "{err}");
        let err = ProjectConfig::parse("max_file_size = \"lots\"\n").unwrap_err();
        assert!(err.starts_with("max_file_size: "), "{err}");
        let err = ProjectConfig::parse("idle_timeout = \"5d\"\n").unwrap_err();
        assert!(err.contains("unknown duration unit"), "{err}");
        let err = ProjectConfig::parse("[mcp]\nbudget = 10\n").unwrap_err();
        assert!(err.starts_with("mcp.budget: 10 is out of range"), "{err}");
        let err = ProjectConfig::parse("[mcp]\nstructure = true\n").unwrap_err();
        assert!(err.contains("unknown field `structure`"), "{err}");
        let err = ProjectConfig::parse("links = \"../lib\"\n").unwrap_err();
        assert!(err.contains("line 1"), "{err}");
    }

    #[test]
    fn a_missing_file_means_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            ProjectConfig::load(dir.path()).unwrap(),
            ProjectConfig::default()
        );
        std::fs::write(config_path(dir.path()), "exclude = 3\n").unwrap();
        let err = ProjectConfig::load(dir.path()).unwrap_err();
        assert!(matches!(err, ConfigError::Invalid { .. }), "{err}");
        assert!(
            err.to_string().contains("code-index.toml is not valid"),
            "{err}"
        );
    }

    #[test]
    fn parses_sizes_and_durations() {
        assert_eq!(parse_size("1024"), Ok(1024));
        assert_eq!(parse_size("512K"), Ok(512 * 1024));
        assert_eq!(parse_size("1M"), Ok(1 << 20));
        assert_eq!(parse_size("2gib"), Ok(2 << 30));
        assert!(parse_size("lots").unwrap_err().contains("is not a size"));
        assert!(parse_size("5X").unwrap_err().contains("unknown size unit"));
        assert!(
            parse_size("99999999999999999G")
                .unwrap_err()
                .contains("too large")
        );
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("soon").is_err());
        assert!(
            parse_duration("99999999999999999h")
                .unwrap_err()
                .contains("too long")
        );
        assert!(
            parse_duration("5d")
                .unwrap_err()
                .contains("unknown duration unit")
        );
    }
}
