//! The supported languages: detection by extension or shebang, their grammars and
//! their tags queries.
//!
//! Each language's query is our own patterns (`queries/<lang>.scm`) followed by the
//! grammar crate's `TAGS_QUERY` where it ships one. When two patterns tag the same
//! name, the earlier pattern wins, so our patterns override upstream ones.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// A language the index parses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    Rust,
    Python,
    JavaScript,
    TypeScript,
    Tsx,
    Go,
    Java,
    C,
    Cpp,
    CSharp,
    Ruby,
    Php,
    Kotlin,
    Swift,
    Scala,
    Bash,
}

/// Languages whose code calls each other's definitions by name: a
/// JavaScript file a TypeScript function, C++ a C function, Kotlin a Java
/// method. A call never binds across families (a shell script's `start` is not
/// a caller of a Go `start`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Family(u8);

impl Language {
    /// The language's family (see [`Family`]).
    pub fn family(self) -> Family {
        Family(match self {
            Language::JavaScript | Language::TypeScript | Language::Tsx => 0,
            Language::C | Language::Cpp => 1,
            Language::Java | Language::Kotlin | Language::Scala => 2,
            other => 3 + other as u8,
        })
    }

    pub const ALL: [Language; 16] = [
        Language::Rust,
        Language::Python,
        Language::JavaScript,
        Language::TypeScript,
        Language::Tsx,
        Language::Go,
        Language::Java,
        Language::C,
        Language::Cpp,
        Language::CSharp,
        Language::Ruby,
        Language::Php,
        Language::Kotlin,
        Language::Swift,
        Language::Scala,
        Language::Bash,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Language::Rust => "rust",
            Language::Python => "python",
            Language::JavaScript => "javascript",
            Language::TypeScript => "typescript",
            Language::Tsx => "tsx",
            Language::Go => "go",
            Language::Java => "java",
            Language::C => "c",
            Language::Cpp => "cpp",
            Language::CSharp => "csharp",
            Language::Ruby => "ruby",
            Language::Php => "php",
            Language::Kotlin => "kotlin",
            Language::Swift => "swift",
            Language::Scala => "scala",
            Language::Bash => "bash",
        }
    }

    /// Parses a language name as users write it (`"rust"`, `"c++"`, `"ts"`, ...).
    pub fn parse(s: &str) -> Option<Language> {
        let s = s.trim().to_ascii_lowercase();
        Some(match s.as_str() {
            "rust" | "rs" => Language::Rust,
            "python" | "py" => Language::Python,
            "javascript" | "js" | "jsx" => Language::JavaScript,
            "typescript" | "ts" => Language::TypeScript,
            "tsx" => Language::Tsx,
            "go" | "golang" => Language::Go,
            "java" => Language::Java,
            "c" => Language::C,
            "cpp" | "c++" | "cxx" => Language::Cpp,
            "csharp" | "c#" | "cs" => Language::CSharp,
            "ruby" | "rb" => Language::Ruby,
            "php" => Language::Php,
            "kotlin" | "kt" => Language::Kotlin,
            "swift" => Language::Swift,
            "scala" => Language::Scala,
            "bash" | "sh" | "shell" => Language::Bash,
            _ => return None,
        })
    }

    /// The separator of qualified names: `Foo::bar` or `pkg.Class.method`.
    pub fn separator(self) -> &'static str {
        match self {
            Language::Rust | Language::Cpp | Language::Php | Language::Ruby => "::",
            _ => ".",
        }
    }

    /// The language of a file name, by extension or well-known file name.
    pub fn from_path(path: &Path) -> Option<Language> {
        let file_name = path.file_name()?.to_str()?;
        match file_name {
            "Rakefile" | "Gemfile" | "Guardfile" | "Podfile" | "Vagrantfile" => {
                return Some(Language::Ruby);
            }
            ".bashrc" | ".bash_profile" | ".profile" | ".bash_aliases" | "PKGBUILD" => {
                return Some(Language::Bash);
            }
            _ => {}
        }
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Self::from_extension(&ext)
    }

    pub fn from_extension(ext: &str) -> Option<Language> {
        Some(match ext {
            "rs" => Language::Rust,
            "py" | "pyi" | "pyw" => Language::Python,
            "js" | "mjs" | "cjs" | "jsx" => Language::JavaScript,
            "ts" | "mts" | "cts" => Language::TypeScript,
            "tsx" => Language::Tsx,
            "go" => Language::Go,
            "java" => Language::Java,
            "c" | "h" => Language::C,
            "cc" | "cpp" | "cxx" | "c++" | "hpp" | "hh" | "hxx" | "h++" | "ipp" | "tpp" | "inl" => {
                Language::Cpp
            }
            "cs" => Language::CSharp,
            "rb" | "rake" | "gemspec" | "ru" => Language::Ruby,
            "php" | "phtml" | "php3" | "php4" | "php5" | "php7" | "phps" => Language::Php,
            "kt" | "kts" => Language::Kotlin,
            "swift" => Language::Swift,
            "scala" | "sc" | "sbt" => Language::Scala,
            "sh" | "bash" | "zsh" | "ksh" => Language::Bash,
            _ => return None,
        })
    }

    /// The language named by a `#!` line, for scripts without an extension.
    pub fn from_shebang(content: &[u8]) -> Option<Language> {
        let first = content.split(|&b| b == b'\n').next()?;
        let line = std::str::from_utf8(first).ok()?.strip_prefix("#!")?.trim();
        let mut words = line.split_whitespace();
        let mut program = words.next()?.rsplit('/').next()?;
        if program == "env" {
            // `#!/usr/bin/env -S python3 -u`: skip env's own flags.
            program = words.find(|w| !w.starts_with('-'))?;
        }
        let base = program.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
        Some(match base {
            "python" | "pypy" => Language::Python,
            "node" | "nodejs" | "deno" | "bun" => Language::JavaScript,
            "ts-node" | "tsx" => Language::TypeScript,
            "bash" | "sh" | "zsh" | "dash" | "ksh" | "ash" => Language::Bash,
            "ruby" => Language::Ruby,
            "php" => Language::Php,
            "swift" => Language::Swift,
            "scala" => Language::Scala,
            "kotlin" | "kscript" => Language::Kotlin,
            _ => return None,
        })
    }

    /// Decides the language of a file from its path and, where the path is not
    /// enough, its first bytes: extension-less scripts by shebang, and `.h`
    /// headers that are really C++.
    pub fn detect(path: &Path, content: &[u8]) -> Option<Language> {
        match Self::from_path(path) {
            Some(Language::C) if is_header(path) && looks_like_cpp(content) => Some(Language::Cpp),
            Some(lang) => Some(lang),
            None if path.extension().is_none() => Self::from_shebang(content),
            None => None,
        }
    }

    /// Whether a file with this path needs its content read to learn its language.
    pub fn needs_content_to_detect(path: &Path) -> bool {
        Self::from_path(path).is_none() && path.extension().is_none()
    }

    /// The tree-sitter grammar.
    pub fn grammar(self) -> tree_sitter::Language {
        match self {
            Language::Rust => tree_sitter_rust::LANGUAGE.into(),
            Language::Python => tree_sitter_python::LANGUAGE.into(),
            Language::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
            Language::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
            Language::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
            Language::Go => tree_sitter_go::LANGUAGE.into(),
            Language::Java => tree_sitter_java::LANGUAGE.into(),
            Language::C => tree_sitter_c::LANGUAGE.into(),
            Language::Cpp => tree_sitter_cpp::LANGUAGE.into(),
            Language::CSharp => tree_sitter_c_sharp::LANGUAGE.into(),
            Language::Ruby => tree_sitter_ruby::LANGUAGE.into(),
            Language::Php => tree_sitter_php::LANGUAGE_PHP.into(),
            Language::Kotlin => tree_sitter_kotlin_ng::LANGUAGE.into(),
            Language::Swift => tree_sitter_swift::LANGUAGE.into(),
            Language::Scala => tree_sitter_scala::LANGUAGE.into(),
            Language::Bash => tree_sitter_bash::LANGUAGE.into(),
        }
    }

    /// Our own patterns, which come first and so win over upstream ones.
    pub fn own_query(self) -> &'static str {
        match self {
            Language::Rust => include_str!("../queries/rust.scm"),
            Language::Python => include_str!("../queries/python.scm"),
            Language::JavaScript => concat!(
                include_str!("../queries/javascript_only.scm"),
                include_str!("../queries/jsx.scm"),
                include_str!("../queries/javascript.scm")
            ),
            Language::TypeScript => concat!(
                include_str!("../queries/typescript.scm"),
                include_str!("../queries/javascript.scm")
            ),
            Language::Tsx => concat!(
                include_str!("../queries/typescript.scm"),
                include_str!("../queries/jsx.scm"),
                include_str!("../queries/javascript.scm")
            ),
            Language::Go => include_str!("../queries/go.scm"),
            Language::Java => include_str!("../queries/java.scm"),
            Language::C => include_str!("../queries/c.scm"),
            Language::Cpp => concat!(
                include_str!("../queries/cpp.scm"),
                include_str!("../queries/c.scm")
            ),
            Language::CSharp => include_str!("../queries/csharp.scm"),
            Language::Ruby => include_str!("../queries/ruby.scm"),
            Language::Php => include_str!("../queries/php.scm"),
            Language::Kotlin => include_str!("../queries/kotlin.scm"),
            Language::Swift => include_str!("../queries/swift.scm"),
            Language::Scala => include_str!("../queries/scala.scm"),
            Language::Bash => include_str!("../queries/bash.scm"),
        }
    }

    /// The grammar crate's tags query, where it ships a usable one.
    pub fn upstream_query(self) -> &'static str {
        match self {
            Language::Rust => tree_sitter_rust::TAGS_QUERY,
            Language::Python => tree_sitter_python::TAGS_QUERY,
            Language::JavaScript => tree_sitter_javascript::TAGS_QUERY,
            // TypeScript's tags cover only TS-specific syntax: `full_query` adds
            // JavaScript's too.
            Language::TypeScript | Language::Tsx => tree_sitter_typescript::TAGS_QUERY,
            Language::Go => tree_sitter_go::TAGS_QUERY,
            Language::Java => tree_sitter_java::TAGS_QUERY,
            Language::C => tree_sitter_c::TAGS_QUERY,
            Language::Cpp => tree_sitter_cpp::TAGS_QUERY,
            Language::CSharp => tree_sitter_c_sharp::TAGS_QUERY,
            Language::Ruby => tree_sitter_ruby::TAGS_QUERY,
            Language::Php => tree_sitter_php::TAGS_QUERY,
            Language::Swift => tree_sitter_swift::TAGS_QUERY,
            Language::Kotlin | Language::Scala | Language::Bash => "",
        }
    }

    /// Our patterns that come last, so that any earlier capture of the same
    /// name wins: reads of members and names used as values, and the names
    /// local scopes bind (`@local.scope`, `@local.definition`, `@local.type`).
    pub fn uses_query(self) -> &'static str {
        match self {
            Language::Python => include_str!("../queries/python_uses.scm"),
            Language::JavaScript => concat!(
                include_str!("../queries/javascript_uses.scm"),
                include_str!("../queries/javascript_only_uses.scm")
            ),
            Language::TypeScript => concat!(
                include_str!("../queries/javascript_uses.scm"),
                include_str!("../queries/typescript_only_uses.scm"),
                include_str!("../queries/typescript_uses.scm")
            ),
            Language::Tsx => concat!(
                include_str!("../queries/javascript_uses.scm"),
                include_str!("../queries/typescript_uses.scm")
            ),
            Language::Go => include_str!("../queries/go_uses.scm"),
            _ => "",
        }
    }

    /// The complete query source: comments, our patterns, upstream's, then
    /// our uses.
    pub fn full_query(self) -> String {
        let mut q = String::from(self.doc_query());
        q.push_str(self.own_query());
        q.push('\n');
        q.push_str(&without_doc_captures(self.upstream_query()));
        if matches!(self, Language::TypeScript | Language::Tsx) {
            q.push('\n');
            q.push_str(&without_doc_captures(tree_sitter_javascript::TAGS_QUERY));
        }
        q.push('\n');
        q.push_str(self.uses_query());
        q
    }

    /// Node kinds of comments, and of nodes that may stand between a doc comment
    /// and its definition, as a query that captures them.
    fn doc_query(self) -> &'static str {
        match self {
            Language::Rust => {
                "[(line_comment) (block_comment)] @doc.comment\n(attribute_item) @doc.skip\n"
            }
            Language::Python => "(comment) @doc.comment\n(decorator) @doc.skip\n",
            Language::JavaScript | Language::TypeScript | Language::Tsx => {
                "(comment) @doc.comment\n(decorator) @doc.skip\n"
            }
            Language::Cpp => "(comment) @doc.comment\n(template_parameter_list) @doc.skip\n",
            Language::Java | Language::Kotlin => "[(line_comment) (block_comment)] @doc.comment\n",
            Language::Scala => "[(comment) (block_comment)] @doc.comment\n",
            Language::Swift => "[(comment) (multiline_comment)] @doc.comment\n",
            Language::Go
            | Language::C
            | Language::CSharp
            | Language::Ruby
            | Language::Php
            | Language::Bash => "(comment) @doc.comment\n",
        }
    }

    /// Doc comments must start with one of these to count (Rust's `///`); `None`
    /// means any comment directly above a definition is its doc.
    pub fn doc_comment_prefixes(self) -> Option<&'static [&'static str]> {
        match self {
            Language::Rust => Some(&["///", "/**"]),
            _ => None,
        }
    }
}

impl std::fmt::Display for Language {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

fn is_header(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("h"))
}

/// A cheap look at a `.h` file for syntax only C++ has.
fn looks_like_cpp(content: &[u8]) -> bool {
    let head = &content[..content.len().min(64 * 1024)];
    const MARKERS: [&[u8]; 7] = [
        b"\nnamespace ",
        b"\ntemplate <",
        b"\ntemplate<",
        b"\nclass ",
        b"public:",
        b"std::",
        b"#include <string>",
    ];
    MARKERS.iter().any(|m| memmem(head, m))
}

fn memmem(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// An upstream tags query without its doc-comment captures
/// (`(comment)* @doc .` before a definition, and the predicates on `@doc`
/// such as `#strip!` and `#select-adjacent!`): doc comments are found by
/// [`Language::doc_query`] instead, and those captures cost the query's
/// compilation about a sixth of its time.
fn without_doc_captures(query: &str) -> String {
    let mut out = String::with_capacity(query.len());
    let mut rest = query;
    while let Some(at) = rest.find(['(', '@']) {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        if let Some(after) = rest.strip_prefix("(comment)* @doc") {
            rest = after.trim_start();
            // The anchor that tied the comments to the definition.
            if let Some(after) = rest.strip_prefix('.') {
                rest = after.trim_start();
            }
            continue;
        }
        if rest.starts_with("(#") {
            let name_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            let args = rest[name_end..].trim_start();
            let on_doc = args.strip_prefix("@doc").is_some_and(|tail| {
                !tail.starts_with(|c: char| c.is_alphanumeric() || c == '.' || c == '_')
            });
            if on_doc {
                let end = rest.find(')').map_or(rest.len(), |e| e + 1);
                rest = &rest[end..];
                continue;
            }
        }
        out.push_str(&rest[..1]);
        rest = &rest[1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_by_extension_and_file_name() {
        assert_eq!(
            Language::from_path(Path::new("a/b.rs")),
            Some(Language::Rust)
        );
        assert_eq!(Language::from_path(Path::new("x.TSX")), Some(Language::Tsx));
        assert_eq!(
            Language::from_path(Path::new("Rakefile")),
            Some(Language::Ruby)
        );
        assert_eq!(Language::from_path(Path::new("notes.txt")), None);
    }

    #[test]
    fn detects_shebangs() {
        let detect = |s: &str| Language::detect(Path::new("bin/tool"), s.as_bytes());
        assert_eq!(
            detect("#!/usr/bin/env python3\nprint(1)"),
            Some(Language::Python)
        );
        assert_eq!(detect("#!/bin/bash\necho"), Some(Language::Bash));
        assert_eq!(
            detect("#!/usr/bin/env -S node --harmony\n"),
            Some(Language::JavaScript)
        );
        assert_eq!(detect("#!/usr/bin/ruby2.7\n"), Some(Language::Ruby));
        assert_eq!(detect("plain text"), None);
        // An extension wins over a shebang; an unknown extension is not sniffed.
        assert_eq!(Language::detect(Path::new("x.txt"), b"#!/bin/sh\n"), None);
    }

    #[test]
    fn headers_with_cpp_syntax_are_cpp() {
        let cpp = b"#pragma once\nnamespace foo {\nclass Bar {};\n}\n";
        assert_eq!(Language::detect(Path::new("a.h"), cpp), Some(Language::Cpp));
        let c = b"#pragma once\nstruct bar { int x; };\n";
        assert_eq!(Language::detect(Path::new("a.h"), c), Some(Language::C));
    }

    #[test]
    fn every_language_round_trips_its_name() {
        for lang in Language::ALL {
            assert_eq!(Language::parse(lang.name()), Some(lang));
        }
    }
}
