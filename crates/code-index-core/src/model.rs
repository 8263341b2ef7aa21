//! The symbol model: what the index knows about one file.
//!
//! Positions are 1-based lines and 1-based byte columns, the way editors and
//! compilers print them. Strings that belong to a file (names, signatures, doc
//! comments, container names) live in one arena per file, so a file's symbols
//! cost one allocation rather than one per string.

use serde::{Deserialize, Serialize};

use crate::language::Language;

/// What a definition is. A closed set: every language maps onto it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SymbolKind {
    Function,
    Method,
    Constructor,
    Class,
    Struct,
    Union,
    Enum,
    EnumMember,
    Interface,
    Trait,
    /// A module, namespace or package.
    Module,
    Constant,
    Variable,
    Field,
    Property,
    TypeAlias,
    Macro,
}

impl SymbolKind {
    pub const ALL: [SymbolKind; 17] = [
        SymbolKind::Function,
        SymbolKind::Method,
        SymbolKind::Constructor,
        SymbolKind::Class,
        SymbolKind::Struct,
        SymbolKind::Union,
        SymbolKind::Enum,
        SymbolKind::EnumMember,
        SymbolKind::Interface,
        SymbolKind::Trait,
        SymbolKind::Module,
        SymbolKind::Constant,
        SymbolKind::Variable,
        SymbolKind::Field,
        SymbolKind::Property,
        SymbolKind::TypeAlias,
        SymbolKind::Macro,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SymbolKind::Function => "function",
            SymbolKind::Method => "method",
            SymbolKind::Constructor => "constructor",
            SymbolKind::Class => "class",
            SymbolKind::Struct => "struct",
            SymbolKind::Union => "union",
            SymbolKind::Enum => "enum",
            SymbolKind::EnumMember => "enum_member",
            SymbolKind::Interface => "interface",
            SymbolKind::Trait => "trait",
            SymbolKind::Module => "module",
            SymbolKind::Constant => "constant",
            SymbolKind::Variable => "variable",
            SymbolKind::Field => "field",
            SymbolKind::Property => "property",
            SymbolKind::TypeAlias => "type_alias",
            SymbolKind::Macro => "macro",
        }
    }

    /// Parses the name used in queries (`"function"`, `"type_alias"`, ...),
    /// accepting a few common synonyms.
    pub fn parse(s: &str) -> Option<SymbolKind> {
        let s = s.trim().to_ascii_lowercase().replace('-', "_");
        Some(match s.as_str() {
            "function" | "fn" | "func" => SymbolKind::Function,
            "method" => SymbolKind::Method,
            "constructor" | "ctor" | "init" => SymbolKind::Constructor,
            "class" | "object" => SymbolKind::Class,
            "struct" => SymbolKind::Struct,
            "union" => SymbolKind::Union,
            "enum" => SymbolKind::Enum,
            "enum_member" | "variant" | "enum_variant" => SymbolKind::EnumMember,
            "interface" | "protocol" => SymbolKind::Interface,
            "trait" => SymbolKind::Trait,
            "module" | "namespace" | "package" | "mod" => SymbolKind::Module,
            "constant" | "const" => SymbolKind::Constant,
            "variable" | "var" => SymbolKind::Variable,
            "field" => SymbolKind::Field,
            "property" => SymbolKind::Property,
            "type_alias" | "type" | "typedef" => SymbolKind::TypeAlias,
            "macro" => SymbolKind::Macro,
            _ => return None,
        })
    }

    /// Kinds whose members are methods, not free functions.
    pub fn is_type_like(self) -> bool {
        matches!(
            self,
            SymbolKind::Class
                | SymbolKind::Struct
                | SymbolKind::Union
                | SymbolKind::Enum
                | SymbolKind::Interface
                | SymbolKind::Trait
        )
    }

    /// Kinds that can be called, and so have callers and callees.
    pub fn is_callable(self) -> bool {
        matches!(
            self,
            SymbolKind::Function | SymbolKind::Method | SymbolKind::Constructor | SymbolKind::Macro
        )
    }
}

impl std::fmt::Display for SymbolKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a reference does with the name it mentions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefKind {
    Call,
    TypeUse,
    Import,
    /// Inheritance or implementation: `extends`, `implements`, `impl Trait for`.
    Implementation,
    Other,
}

impl RefKind {
    pub const ALL: [RefKind; 5] = [
        RefKind::Call,
        RefKind::TypeUse,
        RefKind::Import,
        RefKind::Implementation,
        RefKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RefKind::Call => "call",
            RefKind::TypeUse => "type_use",
            RefKind::Import => "import",
            RefKind::Implementation => "implementation",
            RefKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<RefKind> {
        let s = s.trim().to_ascii_lowercase().replace('-', "_");
        Some(match s.as_str() {
            "call" | "calls" => RefKind::Call,
            "type_use" | "type" | "type_ref" => RefKind::TypeUse,
            "import" | "imports" => RefKind::Import,
            "implementation" | "inheritance" | "impl" | "extends" | "implements" => {
                RefKind::Implementation
            }
            "other" => RefKind::Other,
            _ => return None,
        })
    }
}

impl std::fmt::Display for RefKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A range of source text: 1-based lines, 1-based byte columns, end exclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Span {
    pub start_line: u32,
    pub start_col: u32,
    pub end_line: u32,
    pub end_col: u32,
}

impl Span {
    /// Whether the 1-based `(line, col)` lies inside this span (end exclusive,
    /// but a position just past the last character still counts).
    pub fn contains(&self, line: u32, col: u32) -> bool {
        (line, col) >= (self.start_line, self.start_col)
            && (line, col) <= (self.end_line, self.end_col)
    }

    /// Number of lines the span covers.
    pub fn line_count(&self) -> u32 {
        self.end_line.saturating_sub(self.start_line) + 1
    }
}

/// A string stored in a file's arena.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StrRef {
    pub offset: u32,
    pub len: u32,
}

impl StrRef {
    pub const EMPTY: StrRef = StrRef { offset: 0, len: 0 };

    pub fn is_empty(self) -> bool {
        self.len == 0
    }
}

/// `u32::MAX` in an index field means "none".
pub const NONE: u32 = u32::MAX;

/// One definition in a file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Definition {
    pub name: StrRef,
    pub kind: SymbolKind,
    /// The whole declaration, body included.
    pub span: Span,
    /// Line and column of the identifier that names it (see [`Definition::name_span`]).
    pub name_line: u32,
    pub name_col: u32,
    /// Index (in the same file) of the innermost enclosing definition, or [`NONE`].
    pub parent: u32,
    /// The qualified name of what contains it (`"Foo"` for `Foo::bar`), which may be
    /// a non-definition scope such as a Rust `impl` block or a Go method receiver.
    pub container: StrRef,
    /// The declaration header, whitespace collapsed, at most 200 characters.
    pub signature: StrRef,
    /// The doc comment or docstring, at most 500 characters.
    pub doc: StrRef,
}

impl Definition {
    /// The identifier that names the definition (always on one line).
    pub fn name_span(&self) -> Span {
        Span {
            start_line: self.name_line,
            start_col: self.name_col,
            end_line: self.name_line,
            end_col: self.name_col + self.name.len,
        }
    }
}

/// One reference to a name in a file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    pub name: StrRef,
    pub kind: RefKind,
    /// 1-based line and byte column of the name; it ends `name.len` bytes later.
    pub line: u32,
    pub col: u32,
    /// Index (in the same file) of the innermost enclosing definition, or [`NONE`].
    pub enclosing: u32,
    /// What the name is reached through, as written: empty for a bare name,
    /// `self`, `this`, a plain or dotted name (`os.path` in
    /// `os.path.join`, `Vec` in `Vec::new`), or
    /// the callee and [`CALL_SUFFIX`] for the result of a call,
    /// [`LITERAL_RECEIVER`] for a literal, [`COMPLEX_RECEIVER`] for any
    /// other expression (`f()[0].name`).
    pub receiver: StrRef,
}

/// The receiver of a reference reached through an expression that is not a
/// plain name.
pub const COMPLEX_RECEIVER: &str = "(…)";

/// The receiver of a key of an object literal whose type is not written
/// (`f({ type: 1 })`): a member of some value, known even less than one
/// reached through an expression.
pub const OBJECT_RECEIVER: &str = "{…}";

/// Ends a receiver that is the result of a call or a construction:
/// `Foo()` for `Foo(1).x` and `new Foo(1).x`, `make()` for `make().x`.
pub const CALL_SUFFIX: &str = "()";

/// The receiver of a member of a literal (`', '.join`, `[1].map`): a
/// member of the language's built-in type, never of the project's.
pub const LITERAL_RECEIVER: &str = "(literal)";

/// Receivers that mean "the enclosing type".
pub const SELF_RECEIVERS: &[&str] = &["self", "this", "super", "cls", "Self", "static", "$this"];

/// An import, include, `use` or `require` of a module or file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Import {
    /// The module as written, without quotes or brackets: `./util`, `os.path`,
    /// `linux/fs.h`, `std::collections`.
    pub module: StrRef,
    pub line: u32,
}

/// "`implementor` extends or implements `supertype`", from `class A extends B`,
/// `impl Trait for Type`, `class A(B)` and the like.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Relation {
    /// The qualified name of the implementing type.
    pub implementor: StrRef,
    /// Index of the implementing definition in the same file, or [`NONE`] when it is
    /// a scope rather than a definition (a Rust `impl` block).
    pub implementor_def: u32,
    /// The name of the supertype, trait or interface, as written (last segment).
    pub supertype: StrRef,
    pub line: u32,
}

/// The written type of a definition's value: what a variable is declared
/// as, what a function is declared to return (or, for `x = Foo()`, the name
/// called, a class or a function whose type is looked up in turn).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueType {
    /// Index of the definition in the same file.
    pub def: u32,
    /// The type's name as written, without type arguments (`Foo`, `pkg.Foo`).
    pub ty: StrRef,
}

/// Why a file is listed but was not parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// A NUL byte in the first 8 KiB.
    Binary,
    /// Larger than the configured limit.
    TooLarge,
    /// No supported language for its extension or shebang.
    UnsupportedLanguage,
    /// The parser timed out on it.
    ParseTimeout,
    /// The parser or the extractor panicked on it.
    ParsePanic,
    /// It could not be read.
    Unreadable,
}

impl SkipReason {
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Binary => "binary",
            SkipReason::TooLarge => "too_large",
            SkipReason::UnsupportedLanguage => "unsupported_language",
            SkipReason::ParseTimeout => "parse_timeout",
            SkipReason::ParsePanic => "parse_panic",
            SkipReason::Unreadable => "unreadable",
        }
    }

    /// Whether this counts as a parse error (the file has a language but failed).
    pub fn is_parse_failure(self) -> bool {
        matches!(self, SkipReason::ParseTimeout | SkipReason::ParsePanic)
    }
}

/// Everything the index knows about one file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileSymbols {
    /// Path relative to the root, `/`-separated.
    pub path: String,
    pub language: Option<Language>,
    pub size: u64,
    /// Modification time in nanoseconds since the Unix epoch.
    pub mtime_ns: i64,
    /// xxh3 of the content (0 when the file was not read).
    pub hash: u64,
    /// Set when the file was listed but not parsed.
    pub skipped: Option<SkipReason>,
    /// The syntax tree had errors; what could be extracted still was.
    pub has_syntax_errors: bool,
    /// Lines in the file (0 when not read).
    pub lines: u32,
    pub definitions: Vec<Definition>,
    pub references: Vec<Reference>,
    pub imports: Vec<Import>,
    pub relations: Vec<Relation>,
    /// The written types of some definitions' values, sorted by definition.
    pub value_types: Vec<ValueType>,
    /// The arena every [`StrRef`] of this file points into.
    pub strings: String,
}

impl FileSymbols {
    /// A file with no symbols: listed, perhaps skipped.
    pub fn empty(path: String, language: Option<Language>, size: u64, mtime_ns: i64) -> Self {
        FileSymbols {
            path,
            language,
            size,
            mtime_ns,
            hash: 0,
            skipped: None,
            has_syntax_errors: false,
            lines: 0,
            definitions: Vec::new(),
            references: Vec::new(),
            imports: Vec::new(),
            relations: Vec::new(),
            value_types: Vec::new(),
            strings: String::new(),
        }
    }

    /// The text a [`StrRef`] of this file points at.
    pub fn str(&self, r: StrRef) -> &str {
        let start = r.offset as usize;
        self.strings
            .get(start..start + r.len as usize)
            .unwrap_or("")
    }

    /// The innermost definition whose span holds `(line, col)` (any column
    /// of the line when `col` is `None`). A definition that stands inside a
    /// function without belonging to it, such as the attribute a Python
    /// method assigns (`self.x = …`, the class's field), is passed over: the
    /// line is the function's.
    pub fn innermost_at(&self, line: u32, col: Option<u32>) -> Option<&Definition> {
        let holds = |d: &Definition| match col {
            Some(col) => d.span.contains(line, col),
            None => d.span.start_line <= line && line <= d.span.end_line,
        };
        let within_foreign_function = |d: &Definition| {
            d.kind == SymbolKind::Field
                && self.definitions.iter().enumerate().any(|(i, f)| {
                    f.kind.is_callable()
                        && (f.span.start_line, f.span.start_col)
                            < (d.span.start_line, d.span.start_col)
                        && (d.span.end_line, d.span.end_col) <= (f.span.end_line, f.span.end_col)
                        && !self.is_ancestor(i as u32, d)
                })
        };
        self.definitions
            .iter()
            .filter(|d| holds(d))
            .filter(|d| !within_foreign_function(d))
            .max_by_key(|d| {
                (
                    (d.span.start_line, d.span.start_col),
                    std::cmp::Reverse((d.span.end_line, d.span.end_col)),
                )
            })
    }

    /// Whether definition `ancestor` is `def`'s parent, or its parent's...
    fn is_ancestor(&self, ancestor: u32, def: &Definition) -> bool {
        let mut p = def.parent;
        // Parents come before their children: the walk ends.
        while p != NONE {
            if p == ancestor {
                return true;
            }
            match self.definitions.get(p as usize) {
                Some(d) if d.parent < p || d.parent == NONE => p = d.parent,
                _ => return false,
            }
        }
        false
    }

    pub fn def_name(&self, def: &Definition) -> &str {
        self.str(def.name)
    }

    /// `Foo::bar` or `pkg.Class.method`, using the language's separator.
    pub fn qualified_name(&self, def: &Definition) -> String {
        let container = self.str(def.container);
        let name = self.str(def.name);
        if container.is_empty() {
            name.to_string()
        } else {
            let sep = self.language.map_or(".", |l| l.separator());
            format!("{container}{sep}{name}")
        }
    }

    /// Releases spare capacity: a file is built once and then only read.
    pub fn shrink_to_fit(&mut self) {
        self.strings.shrink_to_fit();
        self.definitions.shrink_to_fit();
        self.references.shrink_to_fit();
        self.imports.shrink_to_fit();
        self.relations.shrink_to_fit();
        self.value_types.shrink_to_fit();
    }

    /// The written type of the value of definition `def`, if any.
    pub fn value_type(&self, def: u32) -> Option<&str> {
        self.value_types
            .binary_search_by_key(&def, |v| v.def)
            .ok()
            .map(|i| self.str(self.value_types[i].ty))
    }

    /// Approximate heap bytes held by this file's symbols.
    pub fn heap_size(&self) -> usize {
        self.path.capacity()
            + self.strings.capacity()
            + self.definitions.capacity() * std::mem::size_of::<Definition>()
            + self.references.capacity() * std::mem::size_of::<Reference>()
            + self.imports.capacity() * std::mem::size_of::<Import>()
            + self.relations.capacity() * std::mem::size_of::<Relation>()
            + self.value_types.capacity() * std::mem::size_of::<ValueType>()
    }
}
