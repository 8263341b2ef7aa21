//! From source text to [`FileSymbols`]: parse with tree-sitter, run the
//! language's tags query, then resolve containers, enclosing definitions,
//! signatures and doc comments.
//!
//! Invariants:
//! - extraction never fails as a whole for a parseable file: syntax errors still
//!   yield what the tree holds (`has_syntax_errors` is set);
//! - nothing here recurses over the syntax tree: every walk is a loop over a
//!   sorted list or a bounded climb, so a file nested ten thousand levels deep
//!   cannot overflow the stack.

mod expand;

use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::ControlFlow;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use rustc_hash::{FxHashMap, FxHashSet};
use streaming_iterator::StreamingIterator;
use tree_sitter::{Node, ParseOptions, Parser, Query, QueryCursor};

use crate::language::Language;
use crate::model::{
    CALL_SUFFIX, COMPLEX_RECEIVER, Definition, FileSymbols, Import, LITERAL_RECEIVER, NONE,
    OBJECT_RECEIVER, RefKind, Reference, Relation, SELF_RECEIVERS, Span, StrRef, SymbolKind,
    ValueType,
};

/// Longest signature kept, in characters.
pub const MAX_SIGNATURE_CHARS: usize = 200;
/// Longest doc comment kept, in characters.
pub const MAX_DOC_CHARS: usize = 500;

/// Why a file could not be extracted at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ExtractError {
    #[error("parsing took longer than the time limit")]
    Timeout,
    #[error("the parser gave up on the file")]
    ParserFailed,
}

/// What each capture of a query means to us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Def(SymbolKind),
    Ref(RefKind),
    Name,
    /// An explicit container written in the declaration: Go's method receiver,
    /// C++'s `Foo::` in `void Foo::bar()`.
    Receiver,
    /// A node that contains definitions without being one (a Rust `impl` block).
    Scope,
    ScopeName,
    ImportModule,
    /// A comment, a candidate doc comment for the definition below it.
    Comment,
    /// A node that may stand between a doc comment and its definition
    /// (`#[derive]`, `@decorator`, `template <...>`).
    DocTransparent,
    /// A name that must not be tagged at all (a local variable that a broader
    /// upstream pattern would take for a definition).
    Suppress,
    /// A function, lambda or comprehension: what it binds is local to it.
    LocalScope,
    /// A name bound in the innermost local scope (a parameter, a local
    /// variable), which uses of the name in that scope mean.
    LocalDef,
    /// The type a local binding is declared or constructed with
    /// (`x: Foo`, `x = Foo()`, `new Foo()`).
    LocalType,
    /// A name a scope declares not its own (Python's `global x`,
    /// `nonlocal x`): assignments to it there bind no local.
    LocalOuter,
    /// A field of the enclosing class whose type is written or constructed
    /// (`self.x = Foo()`, `private x: Foo`), so that `self.x.y` and
    /// `this.x.y` reach `Foo.y`.
    FieldName,
    /// The field's declared or constructed type.
    FieldType,
    /// A local whose type the field takes (`self.x = x` with `x: Foo`).
    FieldValue,
    /// The name of a definition whose value has a written type: a
    /// variable declared with one, a function declaring what it returns.
    ValueName,
    /// That type (`MobXGlobals` of `let globalState: MobXGlobals`, `Foo`
    /// of `def make() -> Foo` or of `x = Foo()`).
    ValueType,
    /// The name an import binds in place of another (`Y` of `from m import
    /// X as Y`, of `import { X as Y }`, of `import * as Y from './m'`).
    AliasName,
    /// What it stands for: `X`, or the module.
    AliasOriginal,
    /// A node whose parts Rust reads (see [`expand`]).
    Expand(expand::Expansion),
    Ignore,
}

fn role_of(capture: &str) -> Role {
    if let Some(kind) = capture.strip_prefix("definition.") {
        let kind = match kind {
            "function" => SymbolKind::Function,
            "method" => SymbolKind::Method,
            "constructor" => SymbolKind::Constructor,
            "class" | "object" => SymbolKind::Class,
            "struct" => SymbolKind::Struct,
            "union" => SymbolKind::Union,
            "enum" => SymbolKind::Enum,
            "enum_member" => SymbolKind::EnumMember,
            "interface" => SymbolKind::Interface,
            "trait" => SymbolKind::Trait,
            "module" | "namespace" | "package" => SymbolKind::Module,
            "constant" => SymbolKind::Constant,
            "variable" => SymbolKind::Variable,
            "field" => SymbolKind::Field,
            "property" => SymbolKind::Property,
            "type" | "type_alias" => SymbolKind::TypeAlias,
            "macro" => SymbolKind::Macro,
            _ => return Role::Ignore,
        };
        return Role::Def(kind);
    }
    if let Some(kind) = capture.strip_prefix("reference.") {
        return Role::Ref(match kind {
            "call" | "send" => RefKind::Call,
            "class" | "type" | "interface" => RefKind::TypeUse,
            "implementation" | "inherit" => RefKind::Implementation,
            "import" => RefKind::Import,
            _ => RefKind::Other,
        });
    }
    match capture {
        "name" => Role::Name,
        "receiver" => Role::Receiver,
        "scope" => Role::Scope,
        "scope.name" => Role::ScopeName,
        "import.module" => Role::ImportModule,
        "ignore" => Role::Suppress,
        "doc.comment" => Role::Comment,
        "doc.skip" => Role::DocTransparent,
        "local.scope" => Role::LocalScope,
        "local.definition" => Role::LocalDef,
        "local.type" => Role::LocalType,
        "local.outer" => Role::LocalOuter,
        "field.name" => Role::FieldName,
        "field.type" => Role::FieldType,
        "field.value" => Role::FieldValue,
        "value.name" => Role::ValueName,
        "value.type" => Role::ValueType,
        "alias.name" => Role::AliasName,
        "alias.original" => Role::AliasOriginal,
        _ => match capture
            .strip_prefix("expand.")
            .and_then(expand::Expansion::parse)
        {
            Some(expansion) => Role::Expand(expansion),
            None => Role::Ignore,
        },
    }
}

/// A language's query, compiled once per process.
pub struct CompiledQuery {
    query: Query,
    roles: Vec<Role>,
    /// The first pattern of [`Language::uses_query`].
    uses_from: usize,
    fields: MemberFields,
    expand_fields: expand::Fields,
}

/// The grammar's ids of [`MEMBER_FIELDS`] and [`OBJECT_FIELDS`]: a lookup by
/// name compares strings on every call.
type FieldId = std::num::NonZeroU16;

struct MemberFields {
    member: Vec<FieldId>,
    object: Vec<FieldId>,
    /// What a call or a construction calls (`function`, `constructor`).
    callee: Vec<FieldId>,
    receiver: Option<FieldId>,
    object_field: Option<FieldId>,
}

impl MemberFields {
    fn new(grammar: &tree_sitter::Language) -> MemberFields {
        let ids = |names: &[&str]| -> Vec<FieldId> {
            names
                .iter()
                .filter_map(|n| grammar.field_id_for_name(n))
                .collect()
        };
        MemberFields {
            member: ids(MEMBER_FIELDS),
            object: ids(OBJECT_FIELDS),
            callee: ids(&["function", "constructor"]),
            receiver: grammar.field_id_for_name("receiver"),
            object_field: grammar.field_id_for_name("object"),
        }
    }
}

/// Compiles every language's query: `Err` names the language and the problem.
/// Used by tests so that a broken query fails the build, not a user's run.
pub fn check_queries() -> Result<(), String> {
    for lang in Language::ALL {
        compile(lang).map_err(|e| format!("{lang}: {e}"))?;
    }
    Ok(())
}

fn compile(lang: Language) -> Result<CompiledQuery, tree_sitter::QueryError> {
    let grammar = lang.grammar();
    let source = lang.full_query();
    let mut query = Query::new(&grammar, &source)?;
    let uses_start = source.len() - lang.uses_query().len();
    let uses_from = (0..query.pattern_count())
        .find(|&p| query.start_byte_for_pattern(p) >= uses_start)
        .unwrap_or(query.pattern_count());
    // Patterns that rely on local-variable tracking (`#is-not? local`) would
    // tag every identifier without it.
    for pattern in 0..query.pattern_count() {
        if query
            .property_predicates(pattern)
            .iter()
            .any(|(prop, _)| &*prop.key == "local")
        {
            query.disable_pattern(pattern);
        }
    }
    let roles = query.capture_names().iter().map(|n| role_of(n)).collect();
    Ok(CompiledQuery {
        query,
        roles,
        uses_from,
        fields: MemberFields::new(&grammar),
        expand_fields: expand::Fields::new(&grammar),
    })
}

fn compiled(lang: Language) -> &'static CompiledQuery {
    static QUERIES: [OnceLock<CompiledQuery>; Language::ALL.len()] =
        [const { OnceLock::new() }; Language::ALL.len()];
    QUERIES[lang as usize].get_or_init(|| {
        compile(lang).unwrap_or_else(|e| panic!("the built-in {lang} query is invalid: {e}"))
    })
}

struct Extractor {
    parser: Parser,
    cursor: QueryCursor,
}

thread_local! {
    static EXTRACTOR: RefCell<Option<Extractor>> = const { RefCell::new(None) };
}

/// Parses `source` and extracts its symbols into `file` (whose path and
/// metadata the caller has filled in). Uses one parser per thread.
pub fn extract_into(
    file: &mut FileSymbols,
    lang: Language,
    source: &str,
    timeout: Option<Duration>,
) -> Result<(), ExtractError> {
    EXTRACTOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        let ex = slot.get_or_insert_with(|| Extractor {
            parser: Parser::new(),
            cursor: QueryCursor::new(),
        });
        let result = ex.run(file, lang, source, timeout);
        if result.is_err() {
            // A parser that was cancelled mid-parse keeps state; start clean.
            *slot = None;
        }
        result
    })
}

/// Parses only, without running the query: used by benchmarks to separate the
/// cost of parsing from the cost of extraction.
pub fn parse_only(lang: Language, source: &str) -> bool {
    let mut parser = Parser::new();
    parser.set_language(&lang.grammar()).is_ok() && parser.parse(source, None).is_some()
}

struct RawTag<'t> {
    name_start: usize,
    name_end: usize,
    pattern: usize,
    node: Node<'t>,
    name_node: Node<'t>,
    role: Role,
    receiver: Option<Node<'t>>,
}

struct RawScope<'t> {
    node: Node<'t>,
    name: Node<'t>,
}

/// A typed field as captured: its name, and its type or the local whose type
/// it takes.
struct RawField<'t> {
    name: Node<'t>,
    ty: Option<Node<'t>>,
    value: Option<Node<'t>>,
}

/// A node that contains definitions: a definition or a scope.
#[derive(Clone, Copy)]
enum Container {
    Def(usize),
    Scope(usize),
}

/// Fields that name the member in a member access (`obj.name`,
/// `Type::name`), over the grammars.
const MEMBER_FIELDS: &[&str] = &["attribute", "property", "field", "name", "method", "suffix"];
/// Fields that hold what the member is reached through.
const OBJECT_FIELDS: &[&str] = &[
    "object",
    "operand",
    "value",
    "argument",
    "path",
    "scope",
    "receiver",
    "expression",
    "target",
    "module",
];

/// What a referenced name is reached through: `None` for a bare name, its
/// text for a plain or dotted name (`os.path`, `geo::Circle`), the callee
/// and `()` for the result of a call or a construction (`Foo()` for
/// `Foo(1).x` and `new Foo(1).x`), [`COMPLEX_RECEIVER`] for anything else.
fn receiver_of<'s>(
    name: Node,
    around: Node,
    fields: &MemberFields,
    source: &'s [u8],
) -> Option<std::borrow::Cow<'s, str>> {
    let text = |n: Node| std::str::from_utf8(&source[n.start_byte()..n.end_byte()]).ok();
    let parent = parent_within(around, name)?;
    let field = |f: Option<FieldId>| f.and_then(|f| parent.child_by_field_id(f.get()));
    // Kotlin and Swift: `a.b` is (navigation_expression a (navigation_suffix b)).
    if parent.kind() == "navigation_suffix" {
        let nav = parent.parent()?;
        let target = nav.child(0)?;
        return Some(classify_receiver(text(target)?).into());
    }
    if matches!(
        parent.kind(),
        "call" | "call_expression" | "method_invocation" | "function_call_expression"
    ) && field(fields.receiver).is_none()
        && field(fields.object_field).is_none()
    {
        // The name is the callee of a plain call.
        return None;
    }
    let is_member = fields
        .member
        .iter()
        .any(|&f| field(Some(f)).is_some_and(|n| n.id() == name.id()));
    if !is_member {
        // Macro tokens: `recv . name (` or `Path :: name (`.
        if parent.kind() == "token_tree" {
            let sep = name.prev_sibling()?;
            if matches!(sep.kind(), "." | "::") {
                let recv = sep.prev_sibling()?;
                return Some(
                    match recv.kind() {
                        "identifier" | "self" | "type_identifier" => text(recv)?,
                        _ => COMPLEX_RECEIVER,
                    }
                    .into(),
                );
            }
        }
        return None;
    }
    member_object(parent, name, fields, source)
}

/// The parent of `node`, found by descending from `around`, a node that
/// holds it (the pattern's capture): `Node::parent` walks down from the
/// root, which on every reference cost a cold index several percent.
fn parent_within<'t>(around: Node<'t>, node: Node<'t>) -> Option<Node<'t>> {
    if around.id() == node.id()
        || around.start_byte() > node.start_byte()
        || around.end_byte() < node.end_byte()
    {
        return node.parent();
    }
    let mut parent = around;
    loop {
        let Some(child) = parent.child_with_descendant(node) else {
            return node.parent();
        };
        if child.id() == node.id() {
            return Some(parent);
        }
        parent = child;
    }
}

/// What `name` is reached through in `member`, the member access that holds
/// it.
fn member_object<'s>(
    member: Node,
    name: Node,
    fields: &MemberFields,
    source: &'s [u8],
) -> Option<std::borrow::Cow<'s, str>> {
    let object = fields.object.iter().find_map(|&f| {
        member
            .child_by_field_id(f.get())
            .filter(|n| n.id() != name.id())
    })?;
    // A literal's members are its built-in type's (`', '.join`, `[].map`).
    if matches!(
        object.kind(),
        "string"
            | "concatenated_string"
            | "template_string"
            | "list"
            | "array"
            | "dictionary"
            | "set"
            | "tuple"
            | "integer"
            | "float"
            | "number"
            | "regex"
            | "list_comprehension"
            | "dictionary_comprehension"
            | "set_comprehension"
    ) {
        return Some(LITERAL_RECEIVER.into());
    }
    let text = |n: Node| std::str::from_utf8(&source[n.start_byte()..n.end_byte()]).ok();
    let whole = classify_receiver(text(object)?);
    // The result of a call or a construction: the callee's value, which
    // the grader types (a class's instance, what a function returns).
    if whole == COMPLEX_RECEIVER
        && matches!(object.kind(), "call" | "call_expression" | "new_expression")
        && let Some(callee) = fields
            .callee
            .iter()
            .find_map(|&f| object.child_by_field_id(f.get()))
            .and_then(text)
    {
        let callee = classify_receiver(callee);
        if callee != COMPLEX_RECEIVER && callee != "super" {
            return Some(format!("{callee}{CALL_SUFFIX}").into());
        }
    }
    Some(whole.into())
}

/// A receiver's text as stored: a plain or dotted name, or
/// [`COMPLEX_RECEIVER`].
fn classify_receiver(text: &str) -> &str {
    let text = text.trim();
    // Python's `super()` and `super(Cls, self)`.
    if text.starts_with("super(") && text.ends_with(')') {
        return "super";
    }
    let plain = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '$' || c == '.' || c == ':')
    };
    // `Foo.prototype.bar` is `Foo`'s member.
    let text = text.strip_suffix(".prototype").unwrap_or(text);
    if plain(text) { text } else { COMPLEX_RECEIVER }
}

/// Bumped whenever the extraction code (not only a query) changes what a
/// file yields, so that snapshots of the former extraction are rebuilt.
pub const EXTRACTOR_REVISION: u32 = 18;

/// How deep macro invocations inside macro arguments are parsed.
const MAX_MACRO_NESTING: usize = 3;

/// Macros whose arguments are templates of code to generate: the
/// functions they call are read off them, nothing else (their other names
/// are the generated code's).
const TEMPLATE_MACROS: &[&str] = &[
    "quote",
    "quote_spanned",
    "parse_quote",
    "parse_quote_spanned",
];

/// Macros whose arguments are not code of the file: text, paths, rules.
const NOT_CODE_MACROS: &[&str] = &[
    "include",
    "include_str",
    "include_bytes",
    "concat",
    "stringify",
    "env",
    "option_env",
    "compile_error",
    "macro_rules",
];

/// Whether macro arguments are a template (`$x`, `#var` interpolations):
/// they do not parse as code, and parsing them costs the parser its error
/// recovery.
fn is_template(tokens: &[u8]) -> bool {
    tokens.windows(2).any(|w| {
        (w[0] == b'$' && (w[1].is_ascii_alphabetic() || w[1] == b'(' || w[1] == b'_'))
            || (w[0] == b'#' && (w[1].is_ascii_alphabetic() || w[1] == b'('))
    })
}

/// Rust macro arguments are token trees to the grammar. The arguments of
/// item macros (`cfg_rt! { pub fn … }`) are parsed again as items, in place;
/// in all others the calls are read off the tokens (`name (` and
/// `.name (`), which costs nothing and survives syntax of the macro's own
/// (`debug!(target: "x", …)`, `link!("dll" fn …)`).
#[derive(Default)]
struct MacroArguments {
    /// Insides of braces that hold items, to parse.
    items: Vec<tree_sitter::Range>,
    /// Byte ranges of the names called in the other arguments.
    calls: Vec<(usize, usize)>,
}

/// Keywords that open an item: braces that start with one hold items.
const ITEM_START: &[&str] = &[
    "pub",
    "fn",
    "struct",
    "enum",
    "union",
    "impl",
    "mod",
    "use",
    "const",
    "static",
    "type",
    "trait",
    "unsafe",
    "extern",
    "async",
    "#",
    "macro_rules",
];

/// Keywords after which `name (` declares rather than calls.
const DECLARES: &[&str] = &[
    "fn",
    "struct",
    "enum",
    "union",
    "trait",
    "macro_rules",
    "mod",
];

fn macro_arguments(node: Node, source: &[u8], out: &mut MacroArguments) {
    let mut cursor = node.walk();
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        match n.kind() {
            "macro_invocation" => {
                let name = n
                    .child_by_field_name("macro")
                    .map(|m| {
                        let text = &source[m.start_byte()..m.end_byte()];
                        let last = text.rsplit(|&b| b == b':').next().unwrap_or(text);
                        std::str::from_utf8(last).unwrap_or("")
                    })
                    .unwrap_or("");
                let tt = (0..n.named_child_count())
                    .filter_map(|i| n.named_child(i as u32))
                    .find(|c| c.kind() == "token_tree");
                if let Some(tt) = tt
                    && let Some(calls_only) = macro_reading(name, tt, source)
                {
                    token_tree(tt, source, out, calls_only);
                }
            }
            // A macro's rules: what each expands to calls what it names.
            "macro_definition" => {
                let mut rules = n.walk();
                for rule in n.children(&mut rules) {
                    if let Some(right) = rule.child_by_field_name("right") {
                        token_tree(right, source, out, true);
                    }
                }
            }
            // Token trees of anything else (attributes) are not code of the
            // file.
            "token_tree" | "attribute_item" | "inner_attribute_item" => {}
            _ => stack.extend(n.children(&mut cursor)),
        }
    }
}

/// How the arguments `tt` of the macro `name` are read: `Some(true)` for
/// the calls only (a template: `quote!`, or `$x`/`#x` interpolations),
/// `Some(false)` as code, `None` not at all (text, paths).
fn macro_reading(name: &str, tt: Node, source: &[u8]) -> Option<bool> {
    if TEMPLATE_MACROS.contains(&name) || is_template(&source[tt.start_byte()..tt.end_byte()]) {
        Some(true)
    } else {
        (!NOT_CODE_MACROS.contains(&name)).then_some(false)
    }
}

/// The arguments of one macro invocation (see [`MacroArguments`]); of a
/// template (a macro's rules, `quote!`), with `calls_only`, only the names it
/// calls that are not interpolations (`#name`, `$name`).
fn token_tree(tt: Node, source: &[u8], out: &mut MacroArguments, calls_only: bool) {
    let text = |n: Node| std::str::from_utf8(&source[n.start_byte()..n.end_byte()]).unwrap_or("");
    let count = tt.child_count();
    let (Some(open), Some(close)) = (tt.child(0), tt.child(count.saturating_sub(1))) else {
        return;
    };
    let mut cursor = tt.walk();
    let tokens: Vec<Node> = tt
        .children(&mut cursor)
        .filter(|t| !t.kind().ends_with("comment"))
        .collect();
    if !calls_only
        && open.kind() == "{"
        && let Some(&first) = tokens.get(1)
        && ITEM_START.contains(&text(first))
        && close.start_byte() > open.end_byte()
    {
        out.items.push(tree_sitter::Range {
            start_byte: open.end_byte(),
            end_byte: close.start_byte(),
            start_point: open.end_position(),
            end_point: close.start_position(),
        });
        return;
    }
    for (i, &token) in tokens.iter().enumerate() {
        match token.kind() {
            "identifier" => {
                // `name(…)`, `name::<T>(…)`, and `name!(…)` as the grammar
                // takes a macro's name.
                let mut next = i + 1;
                if tokens.get(next).is_some_and(|t| t.kind() == "::")
                    && tokens.get(next + 1).is_some_and(|t| t.kind() == "<")
                {
                    let mut depth = 0;
                    next += 1;
                    while let Some(t) = tokens.get(next) {
                        match t.kind() {
                            "<" => depth += 1,
                            ">" => depth -= 1,
                            _ => {}
                        }
                        next += 1;
                        if depth == 0 {
                            break;
                        }
                    }
                }
                let called = tokens.get(next).is_some_and(|next_token| {
                    (next_token.kind() == "token_tree"
                        && next_token.child(0).is_some_and(|open| open.kind() == "("))
                        || (next_token.kind() == "!"
                            && tokens
                                .get(next + 1)
                                .is_some_and(|t| t.kind() == "token_tree"))
                });
                let declared = i > 0 && DECLARES.contains(&text(tokens[i - 1]));
                let interpolated = i > 0 && matches!(tokens[i - 1].kind(), "#" | "$");
                if called && !declared && !interpolated {
                    out.calls.push((token.start_byte(), token.end_byte()));
                }
            }
            "token_tree" => {
                // `name!(…)` inside: its arguments by the same rules.
                let invoked =
                    i >= 2 && tokens[i - 1].kind() == "!" && tokens[i - 2].kind() == "identifier";
                if !invoked {
                    // A group within the same arguments: read as they are.
                    token_tree(token, source, out, calls_only);
                } else if let Some(inner) = macro_reading(text(tokens[i - 2]), token, source) {
                    token_tree(token, source, out, calls_only || inner);
                }
            }
            _ => {}
        }
    }
}

impl Extractor {
    /// Parses `ranges` of the document (in order, not overlapping; the
    /// whole document when empty), positions staying the document's, and
    /// gives up at `deadline`.
    fn parse(
        &mut self,
        bytes: &[u8],
        ranges: &[tree_sitter::Range],
        deadline: Option<Instant>,
    ) -> Result<tree_sitter::Tree, ExtractError> {
        self.parser
            .set_included_ranges(ranges)
            .map_err(|_| ExtractError::ParserFailed)?;
        let mut timed_out = false;
        let mut on_progress = |_: &tree_sitter::ParseState| {
            if deadline.is_some_and(|d| Instant::now() > d) {
                timed_out = true;
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        };
        let options = ParseOptions::new().progress_callback(&mut on_progress);
        let len = bytes.len();
        let tree = self.parser.parse_with_options(
            &mut |offset, _| {
                if offset < len {
                    &bytes[offset..]
                } else {
                    &[][..]
                }
            },
            None,
            Some(options),
        );
        match tree {
            Some(tree) => Ok(tree),
            None if timed_out => Err(ExtractError::Timeout),
            None => Err(ExtractError::ParserFailed),
        }
    }

    fn run(
        &mut self,
        file: &mut FileSymbols,
        lang: Language,
        source: &str,
        timeout: Option<Duration>,
    ) -> Result<(), ExtractError> {
        let compiled = compiled(lang);
        self.parser
            .set_language(&lang.grammar())
            .map_err(|_| ExtractError::ParserFailed)?;
        let bytes = source.as_bytes();
        let deadline = timeout.map(|t| Instant::now() + t);
        let tree = self.parse(bytes, &[], deadline)?;
        let root = tree.root_node();
        file.has_syntax_errors = root.has_error();
        file.lines = count_lines(source);
        // Rust macro arguments are token trees to the grammar: parse each
        // again as code, in place, so that the calls, uses and items in them
        // are found at their own positions.
        let mut trees = vec![tree];
        // Names called in macro arguments: (tree, byte range).
        let mut macro_calls: Vec<(usize, (usize, usize))> = Vec::new();
        if lang == Language::Rust {
            for level in 0..=MAX_MACRO_NESTING {
                let mut found = MacroArguments::default();
                macro_arguments(trees[trees.len() - 1].root_node(), bytes, &mut found);
                let tree = trees.len() - 1;
                macro_calls.extend(found.calls.into_iter().map(|c| (tree, c)));
                if found.items.is_empty() || level == MAX_MACRO_NESTING {
                    break;
                }
                found.items.sort_by_key(|r| r.start_byte);
                match self.parse(bytes, &found.items, deadline) {
                    Ok(sub) => trees.push(sub),
                    Err(_) => {
                        // Keep what the file's own tree gave; a parser that
                        // gave up keeps state.
                        self.parser.reset();
                        break;
                    }
                }
            }
            // Back to whole documents for the next file.
            let _ = self.parser.set_included_ranges(&[]);
        }
        // A grammar can turn the rest of a file into one ERROR node on code
        // it does not know (tree-sitter-typescript on an interface call
        // signature after a member without `;`), hiding every definition
        // after it. Parse each top-level chunk that such a node touches on
        // its own, in place, and take those chunks from their own trees.
        // Rust's macro trees above are not mixed with this; its grammar
        // recovers well.
        let first_recovered = trees.len();
        let mut replaced: Vec<(usize, usize)> = Vec::new();
        if lang != Language::Rust && file.has_syntax_errors {
            let errors: Vec<(usize, usize)> = {
                let root = trees[0].root_node();
                let mut cursor = root.walk();
                root.children(&mut cursor)
                    .filter(|n| n.is_error())
                    .map(|n| (n.start_byte(), n.end_byte()))
                    .collect()
            };
            if !errors.is_empty() {
                for chunk in top_level_chunks(bytes) {
                    let (start, end) = (chunk.start_byte, chunk.end_byte);
                    if !errors.iter().any(|&(s, e)| s < end && start < e) {
                        continue;
                    }
                    match self.parse(bytes, &[chunk], deadline) {
                        Ok(sub) => {
                            trees.push(sub);
                            replaced.push((start, end));
                        }
                        Err(_) => {
                            self.parser.reset();
                            break;
                        }
                    }
                }
                let _ = self.parser.set_included_ranges(&[]);
            }
        }
        let is_replaced = |pos: usize| replaced.iter().any(|&(s, e)| s <= pos && pos < e);

        // 1. Run the query and gather raw tags.
        let mut tags: Vec<RawTag> = Vec::new();
        let mut scopes: Vec<RawScope> = Vec::new();
        let mut imports: Vec<(usize, usize, u32)> = Vec::new();
        let mut doc_nodes: Vec<DocNode> = Vec::new();
        let mut locals = Locals::default();
        let mut fields: Vec<RawField> = Vec::new();
        // (name start, type) of definitions whose value has a written type.
        let mut value_types: Vec<(usize, Node)> = Vec::new();
        let mut aliases = Aliases::default();
        for (i, tree) in trees.iter().enumerate() {
            // Only the file's own tree holds doc comments and imports; a macro's
            // arguments add tags.
            let whole = i == 0 || i >= first_recovered;
            let mut matches = self
                .cursor
                .matches(&compiled.query, tree.root_node(), bytes);
            while let Some(m) = matches.next() {
                if i == 0
                    && !replaced.is_empty()
                    && m.captures()
                        .iter()
                        .any(|c| is_replaced(c.node.start_byte()))
                {
                    continue;
                }
                let mut role = None;
                let mut node = None;
                let mut name = None;
                let mut receiver = None;
                let mut scope_name = None;
                let mut local_def = None;
                let mut local_type = None;
                let mut field: Option<RawField> = None;
                let mut value_name = None;
                let mut value_type = None;
                let mut alias_name = None;
                let mut alias_original = None;
                for cap in m.captures() {
                    match compiled.roles[cap.index as usize] {
                        r @ (Role::Def(_) | Role::Ref(_) | Role::Scope) if role.is_none() => {
                            role = Some(r);
                            node = Some(cap.node);
                        }
                        Role::Name => name = Some(cap.node),
                        Role::Suppress => {
                            role = Some(Role::Suppress);
                            node = Some(cap.node);
                            name = Some(cap.node);
                        }
                        Role::Receiver => receiver = Some(cap.node),
                        Role::ScopeName => scope_name = Some(cap.node),
                        Role::Comment | Role::DocTransparent | Role::ImportModule if !whole => {}
                        role @ (Role::Comment | Role::DocTransparent) => {
                            let n = cap.node;
                            doc_nodes.push(DocNode {
                                start_byte: n.start_byte(),
                                end_byte: n.end_byte(),
                                start_row: n.start_position().row,
                                comment: role == Role::Comment,
                            });
                        }
                        Role::ImportModule => {
                            let n = cap.node;
                            imports.push((n.start_byte(), n.end_byte(), line_of(n)));
                        }
                        Role::LocalScope => locals
                            .scopes
                            .push((cap.node.start_byte(), cap.node.end_byte())),
                        Role::LocalDef => local_def = Some(cap.node),
                        Role::LocalType => local_type = Some(cap.node),
                        Role::LocalOuter => locals
                            .outer
                            .push((cap.node.start_byte(), node_text(source, cap.node))),
                        Role::FieldName => {
                            field = Some(RawField {
                                name: cap.node,
                                ty: field.as_ref().and_then(|f| f.ty),
                                value: field.as_ref().and_then(|f| f.value),
                            })
                        }
                        Role::FieldType => {
                            field
                                .get_or_insert(RawField {
                                    name: cap.node,
                                    ty: None,
                                    value: None,
                                })
                                .ty = Some(cap.node)
                        }
                        Role::FieldValue => {
                            field
                                .get_or_insert(RawField {
                                    name: cap.node,
                                    ty: None,
                                    value: None,
                                })
                                .value = Some(cap.node)
                        }
                        Role::ValueName => value_name = Some(cap.node),
                        Role::ValueType => value_type = Some(cap.node),
                        Role::AliasName => alias_name = Some(cap.node),
                        Role::AliasOriginal => alias_original = Some(cap.node),
                        Role::Expand(expansion) => expand::run(
                            expansion,
                            cap.node,
                            &compiled.expand_fields,
                            &mut expand::Sink {
                                tags: &mut tags,
                                locals: &mut locals,
                                fields: &mut fields,
                                value_types: &mut value_types,
                                source: bytes,
                                pattern: m.pattern_index,
                            },
                        ),
                        Role::Def(_) | Role::Ref(_) | Role::Scope | Role::Ignore => {}
                    }
                }
                if let (Some(name), Some(ty)) = (value_name, value_type) {
                    value_types.push((name.start_byte(), ty));
                }
                if let (Some(alias), Some(original), true) = (alias_name, alias_original, whole) {
                    aliases.add(node_text(source, alias), node_text(source, original));
                }
                if let Some(def) = local_def {
                    locals.push(def, local_type, bytes);
                }
                if let Some(field) = field
                    && whole
                    && (field.ty.is_some() || field.value.is_some())
                {
                    fields.push(field);
                }
                match (role, node) {
                    (Some(Role::Scope), Some(node)) => {
                        if let Some(name) = scope_name {
                            scopes.push(RawScope { node, name });
                        }
                    }
                    (Some(role), Some(node)) => {
                        if let Some(name_node) = name {
                            tags.push(RawTag {
                                name_start: name_node.start_byte(),
                                name_end: name_node.end_byte(),
                                pattern: m.pattern_index,
                                node,
                                name_node,
                                role,
                                receiver,
                            });
                        }
                    }
                    _ => {}
                }
            }
        }
        doc_nodes.sort_unstable_by_key(|d| d.start_byte);
        for (tree, (start, end)) in macro_calls {
            let Some(node) = trees[tree]
                .root_node()
                .descendant_for_byte_range(start, end)
                .filter(|n| n.start_byte() == start && n.end_byte() == end)
            else {
                continue;
            };
            tags.push(RawTag {
                name_start: node.start_byte(),
                name_end: node.end_byte(),
                // After every pattern of the query.
                pattern: usize::MAX,
                node,
                name_node: node,
                role: Role::Ref(RefKind::Call),
                receiver: None,
            });
        }

        // 2. One tag per name: definitions beat references, earlier patterns
        //    (ours) beat later ones (upstream's).
        //    Sorted by small keys and then moved once: a tag is large, and
        //    sorting the tags themselves moved them about many times.
        let mut order: Vec<(usize, usize, u8, usize, usize)> = tags
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let rank = match t.role {
                    Role::Suppress => 0,
                    Role::Def(_) => 1,
                    _ => 2,
                };
                (t.name_start, t.name_end, rank, t.pattern, i)
            })
            .collect();
        order.sort_unstable();
        order.dedup_by(|later, first| later.0 == first.0 && later.1 == first.1);
        let mut slots: Vec<Option<RawTag>> = tags.into_iter().map(Some).collect();
        let tags: Vec<RawTag> = order
            .iter()
            .filter_map(|o| slots[o.4].take())
            .filter(|t| t.role != Role::Suppress)
            .collect();
        let (def_tags, mut ref_tags): (Vec<RawTag>, Vec<RawTag>) = tags
            .into_iter()
            .partition(|t| matches!(t.role, Role::Def(_)));

        let mut out = Builder::new(file);
        let sep = lang.separator();
        locals.prepare(&def_tags);
        let mut local_stack: Vec<usize> = Vec::new();
        let mut next_local = 0;

        // 3. Containers: sweep definitions and scopes in document order with a
        //    stack of the open ones.
        let mut containers: Vec<(usize, usize, Container)> = def_tags
            .iter()
            .enumerate()
            .map(|(i, t)| (t.node.start_byte(), t.node.end_byte(), Container::Def(i)))
            .chain(
                scopes
                    .iter()
                    .enumerate()
                    .map(|(i, s)| (s.node.start_byte(), s.node.end_byte(), Container::Scope(i))),
            )
            .collect();
        containers.sort_by_key(|&(start, end, c)| {
            (
                start,
                std::cmp::Reverse(end),
                matches!(c, Container::Def(_)),
            )
        });

        let field_types = typed_fields(&mut fields, &containers, &def_tags, &locals, bytes);

        // Qualified name of each container, and the innermost enclosing
        // container of each definition.
        let mut def_qualified: Vec<String> = vec![String::new(); def_tags.len()];
        let mut def_container: Vec<String> = vec![String::new(); def_tags.len()];
        let mut def_parent: Vec<u32> = vec![NONE; def_tags.len()];
        let mut def_in_type: Vec<bool> = vec![false; def_tags.len()];
        let mut scope_qualified: Vec<String> = vec![String::new(); scopes.len()];
        // Python instance attributes (`self.x = …` in a method) are the
        // class's fields: the first assignment defines one, later ones use
        // it. `demoted` holds those later ones, with the method they are in.
        let mut demoted: Vec<Option<u32>> = vec![None; def_tags.len()];
        let mut members: std::collections::HashSet<(String, &str)> = Default::default();
        {
            let mut stack: Vec<(usize, Container, u32)> = Vec::new(); // (end, container, innermost def)
            for &(start, end, c) in &containers {
                while stack.last().is_some_and(|&(e, _, _)| e <= start) {
                    stack.pop();
                }
                let parent = stack.last().copied();
                let prefix = match parent {
                    Some((_, Container::Def(p), _)) => def_qualified[p].clone(),
                    Some((_, Container::Scope(s), _)) => scope_qualified[s].clone(),
                    None => String::new(),
                };
                let innermost_def = parent.map_or(NONE, |(_, _, d)| d);
                match c {
                    Container::Def(i) => {
                        let tag = &def_tags[i];
                        let mut container = prefix;
                        if let Some(recv) = tag.receiver {
                            // A receiver may be written with the name (`Foo::bar`).
                            let recv = node_text(source, recv);
                            let name = node_text(source, tag.name_node);
                            let recv = recv
                                .strip_suffix(name)
                                .map_or(recv, |r| r.trim_end_matches([':', '.']));
                            join(&mut container, sep, recv);
                        }
                        def_in_type[i] = tag.receiver.is_some()
                            || match parent {
                                Some((_, Container::Def(p), _)) => match def_tags[p].role {
                                    Role::Def(SymbolKind::Module) => lang == Language::Ruby,
                                    Role::Def(k) => k.is_type_like(),
                                    _ => false,
                                },
                                Some((_, Container::Scope(_), _)) => true,
                                None => false,
                            };
                        let mut qualified = container.clone();
                        join(&mut qualified, sep, node_text(source, tag.name_node));
                        def_qualified[i] = qualified;
                        def_container[i] = container;
                        def_parent[i] = innermost_def;
                        if lang == Language::Python {
                            let name = node_text(source, tag.name_node);
                            if tag.node.kind() == "attribute" {
                                match parent {
                                    Some((_, Container::Def(p), _)) if def_in_type[p] => {
                                        def_container[i] = def_container[p].clone();
                                        let mut qualified = def_container[i].clone();
                                        join(&mut qualified, sep, name);
                                        def_qualified[i] = qualified;
                                        def_parent[i] = def_parent[p];
                                        def_in_type[i] = true;
                                        if !members.insert((def_container[i].clone(), name)) {
                                            demoted[i] = Some(p as u32);
                                        }
                                    }
                                    _ => demoted[i] = Some(innermost_def),
                                }
                            } else if def_in_type[i] {
                                members.insert((def_container[i].clone(), name));
                            }
                        }
                        stack.push((end, c, i as u32));
                    }
                    Container::Scope(s) => {
                        let mut qualified = prefix;
                        join(&mut qualified, sep, scope_name_text(source, scopes[s].name));
                        scope_qualified[s] = qualified;
                        stack.push((end, c, innermost_def));
                    }
                }
            }
        }

        for (i, tag) in def_tags.iter().enumerate() {
            if demoted[i].is_some() {
                ref_tags.push(RawTag {
                    name_start: tag.name_start,
                    name_end: tag.name_end,
                    pattern: 0,
                    node: tag.node,
                    name_node: tag.name_node,
                    role: Role::Ref(RefKind::Other),
                    receiver: None,
                });
            }
        }
        if demoted.iter().any(Option::is_some) {
            ref_tags.sort_by_key(|t| t.name_start);
        }
        // Definition indices once the demoted are left out; a demoted one
        // maps to the method it stands in.
        let mut index_map: Vec<u32> = vec![NONE; def_tags.len()];
        let map = |index_map: &[u32], d: u32| {
            if d == NONE {
                NONE
            } else {
                index_map[d as usize]
            }
        };
        for (i, tag) in def_tags.iter().enumerate() {
            if let Some(method) = demoted[i] {
                index_map[i] = map(&index_map, method);
                continue;
            }
            index_map[i] = out.file.definitions.len() as u32;
            let Role::Def(mut kind) = tag.role else {
                unreachable!()
            };
            let name = node_text(source, tag.name_node);
            // Whether a function is a method depends on where it stands, which
            // patterns cannot always see.
            if kind == SymbolKind::Function && def_in_type[i] {
                kind = SymbolKind::Method;
            } else if kind == SymbolKind::Method && !def_in_type[i] {
                kind = SymbolKind::Function;
            }
            if kind == SymbolKind::Method
                && (is_constructor_name(lang, name)
                    || (lang == Language::Cpp && last_segment(&def_container[i], sep) == name))
            {
                kind = SymbolKind::Constructor;
            }
            let name_ref = out.intern(name);
            let container = out.push_str(&def_container[i]);
            let signature = out.push_str(&signature(source, tag.node));
            let doc = out.push_str(&doc_comment(lang, source, tag.node, &doc_nodes));
            out.file.definitions.push(Definition {
                name: name_ref,
                kind,
                span: span_of(tag.node),
                name_line: tag.name_node.start_position().row as u32 + 1,
                name_col: tag.name_node.start_position().column as u32 + 1,
                parent: map(&index_map, def_parent[i]),
                container,
                signature,
                doc,
            });
        }

        // The written types of definitions' values.
        for (pos, ty) in value_types {
            let Ok(tag) = def_tags.binary_search_by_key(&pos, |t| t.name_start) else {
                continue;
            };
            let def = index_map[tag];
            if demoted[tag].is_some() || def == NONE {
                continue;
            }
            if let Some(ty) = value_type_name(node_text(source, ty)) {
                let ty = out.intern(&aliases.resolve(ty));
                out.file.value_types.push(ValueType { def, ty });
            }
        }
        out.file.value_types.sort_unstable_by_key(|v| v.def);
        out.file.value_types.dedup_by_key(|v| v.def);

        // 4. References: the innermost definition around each, and for
        //    implementations the innermost container (which may be a scope).
        {
            let mut stack: Vec<(usize, Container, u32)> = Vec::new();
            let mut next_container = 0;
            for tag in &ref_tags {
                let Role::Ref(kind) = tag.role else {
                    unreachable!()
                };
                let pos = tag.name_start;
                while next_container < containers.len() && containers[next_container].0 <= pos {
                    let (start, end, c) = containers[next_container];
                    while stack.last().is_some_and(|&(e, _, _)| e <= start) {
                        stack.pop();
                    }
                    let innermost = stack.last().map_or(NONE, |&(_, _, d)| d);
                    let d = match c {
                        Container::Def(i) => index_map[i],
                        Container::Scope(_) => innermost,
                    };
                    stack.push((end, c, d));
                    next_container += 1;
                }
                while stack.last().is_some_and(|&(e, _, _)| e <= pos) {
                    stack.pop();
                }
                let enclosing = stack.last().map_or(NONE, |&(_, _, d)| d);
                let name = node_text(source, tag.name_node);
                locals.enter(pos, &mut local_stack, &mut next_local);
                let receiver = if let Some(value) = tag.receiver {
                    // A member named in a destructuring: read off the value.
                    Some(
                        if value.kind() == "object" {
                            OBJECT_RECEIVER
                        } else {
                            classify_receiver(node_text(source, value))
                        }
                        .into(),
                    )
                } else if tag.pattern < compiled.uses_from || tag.pattern == usize::MAX {
                    // The name's parent is looked for from the capture, or
                    // for a capture of the name alone (`(type_identifier)
                    // @name`) from the innermost container around it.
                    let around = match stack.last() {
                        _ if tag.node.id() != tag.name_node.id() => tag.node,
                        Some(&(_, Container::Def(i), _)) => def_tags[i].node,
                        Some(&(_, Container::Scope(i), _)) => scopes[i].node,
                        None => tag.node,
                    };
                    receiver_of(tag.name_node, around, &compiled.fields, bytes)
                } else if tag.node.id() == tag.name_node.id() {
                    // A name used as a value: never a member (the member of a
                    // member access is an earlier pattern's).
                    None
                } else {
                    // The pattern's node is the member access itself.
                    member_object(tag.node, tag.name_node, &compiled.fields, bytes)
                };
                if locals.binds_at(pos) && tag.receiver.is_none() {
                    // The name a parameter or local variable is bound by.
                    continue;
                }
                let receiver = match receiver {
                    // A local variable or parameter: not a definition's use.
                    None if locals.binding(&local_stack, name).is_some() => continue,
                    None => StrRef::EMPTY,
                    Some(receiver) => {
                        let typed = locals.receiver(&local_stack, &receiver);
                        let receiver = typed.as_deref().unwrap_or(&receiver);
                        let class = || {
                            stack.iter().rev().find_map(|&(_, c, _)| match c {
                                Container::Def(i) if is_type_tag(&def_tags[i]) => Some(i),
                                _ => None,
                            })
                        };
                        match through_field(receiver, &field_types, class) {
                            Some(typed) => out.intern(&aliases.resolve(&typed)),
                            None => out.intern(&aliases.resolve(receiver)),
                        }
                    }
                };
                // A bare use of an import's alias is a use of what it
                // stands for.
                let name = match receiver.is_empty() {
                    true => aliases.original(name).unwrap_or(name),
                    false => name,
                };
                let name_ref = out.intern(name);
                let start = tag.name_node.start_position();
                let line = start.row as u32 + 1;
                out.file.references.push(Reference {
                    name: name_ref,
                    kind,
                    line,
                    col: start.column as u32 + 1,
                    enclosing,
                    receiver,
                });
                if kind == RefKind::Implementation
                    && let Some(&(_, container, _)) = stack.last()
                {
                    let (implementor, implementor_def) = match container {
                        Container::Def(d) => (def_qualified[d].as_str(), index_map[d]),
                        Container::Scope(s) => (scope_qualified[s].as_str(), NONE),
                    };
                    if node_text(source, tag.name_node) != last_segment(implementor, sep) {
                        let implementor = out.push_str(implementor);
                        out.file.relations.push(Relation {
                            implementor,
                            implementor_def,
                            supertype: name_ref,
                            line,
                        });
                    }
                }
            }
        }

        // 5. Imports, in document order, once each.
        imports.sort_unstable();
        imports.dedup();
        for (start, end, line) in imports {
            let module = clean_module(&source[start..end]);
            if !module.is_empty() {
                let module = out.intern(module);
                out.file.imports.push(Import { module, line });
            }
        }
        out.file.shrink_to_fit();
        Ok(())
    }
}

/// Whether a definition tag is a class, struct, interface or the like.
fn is_type_tag(tag: &RawTag) -> bool {
    matches!(tag.role, Role::Def(kind) if kind.is_type_like())
}

/// A declared type as a receiver goes by: `Bar<T>`, `Bar[T]` and `"Bar"`
/// are `Bar`; wrappers that keep the members (`Readonly<Bar>`,
/// `Optional[Bar]`, `Bar | None`) are `Bar`; `Bar[]` is `Array`; a union of
/// several types, `any` and its kin, or anything but a plain or dotted
/// name, is none.
fn declared_type(text: &str) -> Option<&str> {
    const WRAPPERS: &[(&str, char)] = &[
        ("Readonly<", '>'),
        ("Partial<", '>'),
        ("Required<", '>'),
        ("NonNullable<", '>'),
        ("Optional[", ']'),
        ("typing.Optional[", ']'),
        ("Final[", ']'),
        ("ClassVar[", ']'),
    ];
    let mut ty = text.trim().trim_matches(['"', '\'']);
    // An array of a type is an array (`Foo[]`, `readonly Foo[]`).
    if ty.ends_with("[]") {
        return Some("Array");
    }
    // Go: a pointer to a type has its methods (`*Server`); slices, maps,
    // channels and functions have none of the project's.
    ty = ty.trim_start_matches('*');
    if ty.starts_with('[')
        || ty.starts_with("map[")
        || ty.starts_with("chan ")
        || ty.starts_with("<-chan")
        || ty.starts_with("func(")
    {
        return None;
    }
    while let Some(inner) = WRAPPERS.iter().find_map(|&(open, close)| {
        ty.strip_prefix(open)
            .and_then(|t| t.strip_suffix(close))
            .map(str::trim)
    }) {
        ty = inner;
    }
    if ty.contains('|') {
        let mut kept = ty
            .split('|')
            .map(str::trim)
            .filter(|t| !matches!(*t, "None" | "null" | "undefined" | ""));
        ty = kept.next()?;
        if kept.next().is_some() {
            return None;
        }
    }
    let ty = ty.split(['<', '[', '(']).next().unwrap_or(ty).trim();
    // Types that say nothing of the value's members.
    if matches!(
        ty,
        "any" | "unknown" | "object" | "Object" | "Any" | "typing.Any" | "never" | "void"
    ) {
        return None;
    }
    (classify_receiver(ty) != COMPLEX_RECEIVER).then_some(ty)
}

/// The type a value is written to have, as a receiver goes by: `Foo` of
/// `Foo`, `Foo<T>`, `Optional[Foo]`, `Foo | None`, `"Foo"` or `pkg.Foo`;
/// none for a union of several types or anything but a name.
fn value_type_name(text: &str) -> Option<&str> {
    let ty = declared_type(text)?;
    (!SELF_RECEIVERS.contains(&ty)).then_some(ty)
}

/// The types of the fields of each class (by its definition tag), from the
/// captured [`RawField`]s; a field given two different types has none.
fn typed_fields<'s>(
    fields: &mut [RawField],
    containers: &[(usize, usize, Container)],
    def_tags: &[RawTag],
    locals: &Locals<'s>,
    source: &'s [u8],
) -> FxHashMap<(usize, &'s str), Option<&'s str>> {
    let mut types: FxHashMap<(usize, &'s str), Option<&'s str>> = FxHashMap::default();
    if fields.is_empty() {
        return types;
    }
    let text = |n: Node| std::str::from_utf8(&source[n.start_byte()..n.end_byte()]).ok();
    fields.sort_by_key(|f| f.name.start_byte());
    // (end, the class it is, if it is one)
    let mut stack: Vec<(usize, Option<usize>)> = Vec::new();
    let mut next = 0;
    let mut local_stack = Vec::new();
    let mut next_local = 0;
    for field in fields.iter() {
        let pos = field.name.start_byte();
        while next < containers.len() && containers[next].0 <= pos {
            let (start, end, c) = containers[next];
            while stack.last().is_some_and(|&(e, _)| e <= start) {
                stack.pop();
            }
            let class = match c {
                Container::Def(i) if is_type_tag(&def_tags[i]) => Some(i),
                _ => None,
            };
            stack.push((end, class));
            next += 1;
        }
        while stack.last().is_some_and(|&(e, _)| e <= pos) {
            stack.pop();
        }
        let Some(class) = stack.iter().rev().find_map(|&(_, c)| c) else {
            continue;
        };
        let (Some(name), ty) = (text(field.name), field.ty.and_then(text)) else {
            continue;
        };
        let ty = match (ty, field.value) {
            (Some(ty), _) => declared_type(ty),
            (None, Some(value)) => {
                locals.enter(value.start_byte(), &mut local_stack, &mut next_local);
                text(value).and_then(|v| locals.binding(&local_stack, v).flatten())
            }
            (None, None) => None,
        };
        let Some(ty) = ty else { continue };
        types
            .entry((class, name))
            .and_modify(|known| {
                if *known != Some(ty) {
                    *known = None;
                }
            })
            .or_insert(Some(ty));
    }
    types
}

/// `self.x.y` or `this.x` with the field `x` of the enclosing class typed
/// `Foo`: `Foo.y`, `Foo`.
fn through_field(
    receiver: &str,
    types: &FxHashMap<(usize, &str), Option<&str>>,
    class: impl FnOnce() -> Option<usize>,
) -> Option<String> {
    if types.is_empty() {
        return None;
    }
    let (head, rest) = receiver.split_once('.')?;
    if !matches!(head, "self" | "this" | "cls") {
        return None;
    }
    let (field, more) = match rest.find(['.', ':']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let ty = (*types.get(&(class()?, field))?)?;
    Some(format!("{ty}{more}"))
}

/// The names a file's imports bind in place of others: `Y` for `X` in
/// `from m import X as Y`, `np` for `numpy`, `rx` for the module `rx` of
/// `import * as rx from './rx'`.
#[derive(Default)]
struct Aliases<'s> {
    /// Alias → what it stands for; `None` when two imports disagree.
    map: FxHashMap<&'s str, Option<&'s str>>,
}

impl<'s> Aliases<'s> {
    fn add(&mut self, alias: &'s str, original: &'s str) {
        // A module path stands for its module: `./operators/index` and
        // `./operators` are `operators`, `'../rx.js'` is `rx`.
        let original = original.trim_matches(['"', '\'', '`']);
        let original = if original.contains('/') {
            let mut segments = original
                .rsplit('/')
                .map(|s| s.split('.').next().unwrap_or(s))
                .filter(|s| !s.is_empty() && *s != "index" && *s != "..");
            match segments.next() {
                Some(module) => module,
                None => return,
            }
        } else {
            original
        };
        if alias == original || alias.is_empty() || original.is_empty() {
            return;
        }
        self.map
            .entry(alias)
            .and_modify(|known| {
                if *known != Some(original) {
                    *known = None;
                }
            })
            .or_insert(Some(original));
    }

    /// What the bare name `name` stands for, if it is an alias.
    fn original(&self, name: &str) -> Option<&'s str> {
        self.map.get(name).copied().flatten()
    }

    /// A receiver or type whose first segment is an alias, written with
    /// what it stands for (`np.array` → `numpy.array`).
    fn resolve<'r>(&self, receiver: &'r str) -> std::borrow::Cow<'r, str> {
        if self.map.is_empty() {
            return receiver.into();
        }
        let (head, rest) = match receiver.find(['.', ':']) {
            Some(i) => receiver.split_at(i),
            None => (receiver, ""),
        };
        let (name, call) = match head.strip_suffix(CALL_SUFFIX) {
            Some(name) => (name, CALL_SUFFIX),
            None => (head, ""),
        };
        match self.original(name) {
            Some(original) => format!("{original}{call}{rest}").into(),
            None => receiver.into(),
        }
    }
}

/// The names local scopes bind, to tell a use of a definition from a use of
/// a local variable, and to type receivers (`x = Foo(); x.run()`).
#[derive(Default)]
struct Locals<'s> {
    /// Byte ranges of the local scopes; sorted by [`Locals::prepare`].
    scopes: Vec<(usize, usize)>,
    /// (position, name, declared type), in capture order.
    defs: Vec<(usize, &'s str, Option<&'s str>)>,
    /// Names declared not the scope's own (`global x`): (position, name).
    outer: Vec<(usize, &'s str)>,
    /// Per scope: name → declared type.
    bound: Vec<FxHashMap<&'s str, Option<&'s str>>>,
    /// Positions of the bindings, sorted.
    positions: Vec<usize>,
}

impl<'s> Locals<'s> {
    fn push(&mut self, def: Node, ty: Option<Node>, source: &'s [u8]) {
        let text = |n: Node| std::str::from_utf8(&source[n.start_byte()..n.end_byte()]).ok();
        let Some(name) = text(def) else { return };
        // `Bar<T>` and `Bar[T]` are `Bar`; a function type is a function,
        // whose members are the language's (`f.call()`); anything else but
        // a plain or dotted name is no type to go by.
        let ty = match ty {
            Some(ty) if ty.kind() == "function_type" => Some("Function"),
            ty => ty.and_then(text).and_then(declared_type),
        };
        self.defs.push((def.start_byte(), name, ty));
    }

    /// Assigns each binding to its innermost scope. A binding at a name the
    /// file defines (`const f = () => …` in a function) is that definition,
    /// not a local.
    fn prepare(&mut self, def_tags: &[RawTag]) {
        self.scopes
            .sort_unstable_by_key(|&(start, end)| (start, std::cmp::Reverse(end)));
        self.scopes.dedup();
        self.bound = vec![FxHashMap::default(); self.scopes.len()];
        if self.scopes.is_empty() {
            return;
        }
        let mut defined: FxHashSet<usize> = def_tags.iter().map(|t| t.name_start).collect();
        let mut defs = std::mem::take(&mut self.defs);
        defs.sort_by_key(|d| d.0);
        if !self.outer.is_empty() {
            // `global x` in a scope: its assignments to `x` are uses of the
            // outer `x`, not bindings.
            let mut outer = std::mem::take(&mut self.outer);
            outer.sort_unstable();
            let mut declared: FxHashSet<(usize, &str)> = FxHashSet::default();
            let (mut stack, mut next) = (Vec::new(), 0);
            for &(pos, name) in &outer {
                self.enter(pos, &mut stack, &mut next);
                if let Some(&scope) = stack.last() {
                    declared.insert((scope, name));
                }
            }
            let (mut stack, mut next) = (Vec::new(), 0);
            for &(pos, name, _) in &defs {
                self.enter(pos, &mut stack, &mut next);
                if stack.last().is_some_and(|&s| declared.contains(&(s, name))) {
                    defined.insert(pos);
                }
            }
        }
        self.positions = defs
            .iter()
            .map(|d| d.0)
            .filter(|p| !defined.contains(p))
            .collect();
        self.positions.dedup();
        let mut stack: Vec<usize> = Vec::new();
        let mut next = 0;
        for &(pos, name, ty) in &defs {
            if defined.contains(&pos) {
                continue;
            }
            self.enter(pos, &mut stack, &mut next);
            if let Some(&scope) = stack.last() {
                let slot = self.bound[scope].entry(name).or_insert(None);
                if ty.is_some() {
                    *slot = ty;
                }
            }
        }
    }

    /// Whether a local binding's name starts at byte `pos`.
    fn binds_at(&self, pos: usize) -> bool {
        self.positions.binary_search(&pos).is_ok()
    }

    /// Brings `stack` to the scopes open at byte `pos` (positions must not
    /// decrease between calls).
    fn enter(&self, pos: usize, stack: &mut Vec<usize>, next: &mut usize) {
        while *next < self.scopes.len() && self.scopes[*next].0 <= pos {
            while stack
                .last()
                .is_some_and(|&s| self.scopes[s].1 <= self.scopes[*next].0)
            {
                stack.pop();
            }
            stack.push(*next);
            *next += 1;
        }
        while stack.last().is_some_and(|&s| self.scopes[s].1 <= pos) {
            stack.pop();
        }
    }

    /// The innermost binding of `name` among the open scopes: its declared
    /// type, if any.
    fn binding(&self, stack: &[usize], name: &str) -> Option<Option<&'s str>> {
        stack
            .iter()
            .rev()
            .find_map(|&s| self.bound[s].get(name).copied())
    }

    /// A receiver that starts with a local: its declared type in its place
    /// (`Foo.bar` for `x.bar` with `x: Foo`), or [`COMPLEX_RECEIVER`] when
    /// the local's type is unknown. `None` leaves the receiver as written.
    fn receiver(&self, stack: &[usize], receiver: &str) -> Option<String> {
        if receiver == COMPLEX_RECEIVER || receiver == OBJECT_RECEIVER {
            return None;
        }
        let (head, rest) = match receiver.find(['.', ':']) {
            Some(i) => receiver.split_at(i),
            None => (receiver, ""),
        };
        // `this` declared as a TypeScript function's parameter.
        if head == "this"
            && let Some(ty) = self.binding(stack, "this")
        {
            return Some(match ty {
                Some(ty) => format!("{ty}{rest}"),
                None => COMPLEX_RECEIVER.to_string(),
            });
        }
        if SELF_RECEIVERS.contains(&head) {
            return None;
        }
        // What a local function returns is unknown.
        if let Some(called) = head.strip_suffix(CALL_SUFFIX) {
            return self
                .binding(stack, called)
                .map(|_| COMPLEX_RECEIVER.to_string());
        }
        match self.binding(stack, head)? {
            Some(ty) => Some(format!("{ty}{rest}")),
            None => Some(COMPLEX_RECEIVER.to_string()),
        }
    }
}

/// Appends to a file's string arena, sharing repeated names.
struct Builder<'f> {
    file: &'f mut FileSymbols,
    seen: HashMap<String, StrRef>,
}

impl<'f> Builder<'f> {
    fn new(file: &'f mut FileSymbols) -> Self {
        file.definitions.clear();
        file.references.clear();
        file.imports.clear();
        file.relations.clear();
        file.strings.clear();
        Builder {
            file,
            seen: HashMap::new(),
        }
    }

    fn push_str(&mut self, s: &str) -> StrRef {
        if s.is_empty() {
            return StrRef::EMPTY;
        }
        let offset = self.file.strings.len() as u32;
        self.file.strings.push_str(s);
        StrRef {
            offset,
            len: s.len() as u32,
        }
    }

    fn intern(&mut self, s: &str) -> StrRef {
        if let Some(&r) = self.seen.get(s) {
            return r;
        }
        let r = self.push_str(s);
        self.seen.insert(s.to_string(), r);
        r
    }
}

fn join(acc: &mut String, sep: &str, part: &str) {
    if part.is_empty() {
        return;
    }
    if !acc.is_empty() {
        acc.push_str(sep);
    }
    acc.push_str(part);
}

fn last_segment<'a>(qualified: &'a str, sep: &str) -> &'a str {
    qualified.rsplit(sep).next().unwrap_or(qualified)
}

/// Keywords at the start of a line that go on the statement before them.
const CONTINUES: &[&str] = &[
    "else",
    "elif",
    "except",
    "finally",
    "catch",
    "extends",
    "implements",
    "where",
];

/// The top-level chunks of a file, as its layout shows them: a chunk starts
/// at a line that starts in column 0 with a name or `@` (and does not go on
/// the one before, as `else` does, or follow a decorator).
fn top_level_chunks(bytes: &[u8]) -> Vec<tree_sitter::Range> {
    let point = |row| tree_sitter::Point { row, column: 0 };
    let mut chunks = Vec::new();
    let mut chunk_start = (0, 0);
    let mut after_decorator = false;
    let mut line_start = 0;
    let mut row = 0;
    while line_start < bytes.len() {
        let line_end = bytes[line_start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |p| line_start + p + 1);
        let first = bytes[line_start];
        if first.is_ascii_alphabetic() || matches!(first, b'_' | b'$' | b'@') {
            let word_end = bytes[line_start..line_end]
                .iter()
                .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))
                .map_or(line_end, |p| line_start + p);
            let word = &bytes[line_start..word_end];
            if !after_decorator && line_start > 0 && !CONTINUES.iter().any(|k| k.as_bytes() == word)
            {
                chunks.push(tree_sitter::Range {
                    start_byte: chunk_start.0,
                    end_byte: line_start,
                    start_point: point(chunk_start.1),
                    end_point: point(row),
                });
                chunk_start = (line_start, row);
            }
            after_decorator = first == b'@';
        } else if !bytes[line_start..line_end]
            .iter()
            .all(u8::is_ascii_whitespace)
        {
            after_decorator = false;
        }
        line_start = line_end;
        row += 1;
    }
    let last_line = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    chunks.push(tree_sitter::Range {
        start_byte: chunk_start.0,
        end_byte: bytes.len(),
        start_point: point(chunk_start.1),
        end_point: tree_sitter::Point {
            row: bytes.iter().filter(|&&b| b == b'\n').count(),
            column: bytes.len() - last_line,
        },
    });
    chunks
}

fn node_text<'s>(source: &'s str, node: Node) -> &'s str {
    source.get(node.byte_range()).unwrap_or("")
}

/// The name of a scope: a generic type's base name (`Foo` for `Foo<T>`).
fn scope_name_text<'s>(source: &'s str, node: Node) -> &'s str {
    let text = node_text(source, node);
    let end = text.find(['<', '[', '(', ' ']).unwrap_or(text.len());
    &text[..end]
}

fn line_of(node: Node) -> u32 {
    node.start_position().row as u32 + 1
}

fn span_of(node: Node) -> Span {
    let s = node.start_position();
    let e = node.end_position();
    Span {
        start_line: s.row as u32 + 1,
        start_col: s.column as u32 + 1,
        end_line: e.row as u32 + 1,
        end_col: e.column as u32 + 1,
    }
}

fn count_lines(source: &str) -> u32 {
    let newlines = source.bytes().filter(|&b| b == b'\n').count() as u32;
    if source.is_empty() || source.ends_with('\n') {
        newlines
    } else {
        newlines + 1
    }
}

fn is_constructor_name(lang: Language, name: &str) -> bool {
    match lang {
        Language::Python => name == "__init__",
        Language::JavaScript | Language::TypeScript | Language::Tsx => name == "constructor",
        Language::Ruby => name == "initialize",
        Language::Php => name == "__construct",
        _ => false,
    }
}

/// Reduces an import as written to the module it names: no quotes or
/// brackets, no `import` keyword, no `{a, b}` list, `*` or alias.
fn clean_module(raw: &str) -> &str {
    let mut m = raw.trim();
    m = m.strip_prefix("import ").unwrap_or(m).trim();
    if let Some(i) = m.find('{') {
        m = &m[..i];
    }
    if let Some(i) = m.find(" as ") {
        m = &m[..i];
    }
    m = m.trim().trim_end_matches(['*', '_']);
    m = m.trim_end_matches("::").trim_end_matches(['.', '\\']);
    m.trim_matches(|c| matches!(c, '"' | '\'' | '`' | '<' | '>' | '(' | ')'))
        .trim()
}

/// Node kinds that hold a definition's body, for grammars without a `body` field.
const BODY_KINDS: &[&str] = &[
    "block",
    "body",
    "class_body",
    "compound_statement",
    "declaration_list",
    "enum_body",
    "enum_class_body",
    "enum_member_declaration_list",
    "enum_variant_list",
    "field_declaration_list",
    "function_body",
    "interface_body",
    "protocol_body",
    "statement_block",
    "template_body",
    "object_type",
    "do_block",
];

/// Where a declaration's header starts: at the start of its line when only
/// keywords precede the definition there (`export const f = ...`,
/// `type Store struct`), else at the definition itself.
fn header_start(source: &str, start: usize) -> usize {
    let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
    let prefix = &source[line_start..start];
    let only_keywords = prefix
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c.is_whitespace());
    if only_keywords {
        line_start + (prefix.len() - prefix.trim_start().len())
    } else {
        start
    }
}

/// The declaration header: the text before the body, whitespace collapsed,
/// without leading annotations.
fn signature(source: &str, node: Node) -> String {
    let start = header_start(source, node.start_byte());
    let mut end = node.end_byte();
    let mut cursor = node.walk();
    let body = node.child_by_field_name("body").or_else(|| {
        node.named_children(&mut cursor)
            .find(|c| BODY_KINDS.contains(&c.kind()))
    });
    match body {
        Some(body) if body.start_byte() > start => end = body.start_byte(),
        _ => {
            // No body: the first line is the header.
            if let Some(nl) = source[start..end].find('\n') {
                end = start + nl;
            }
        }
    }
    let text = source.get(start..end).unwrap_or("");
    let mut out = String::with_capacity(text.len().min(MAX_SIGNATURE_CHARS + 8));
    let mut words = text.split_whitespace().peekable();
    // `@Override`, `@Test(timeout = 5)`, `[Obsolete]`: the signature starts after.
    while let Some(w) = words.peek() {
        let annotation = (w.starts_with('@') && w.len() > 1 && !w.starts_with("@interface"))
            || (w.starts_with('[') && w.ends_with(']'));
        if !annotation || w.contains('(') && !w.ends_with(')') {
            break;
        }
        words.next();
    }
    for word in words {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
        if out.len() > MAX_SIGNATURE_CHARS * 4 {
            break;
        }
    }
    let trimmed = out.trim_end_matches(['{', ':', '=', ' ']).trim_end();
    truncate_chars(trimmed, MAX_SIGNATURE_CHARS)
}

fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => s[..i].trim_end().to_string(),
        None => s.to_string(),
    }
}

/// A comment or a node that may separate a doc comment from its definition.
struct DocNode {
    start_byte: usize,
    end_byte: usize,
    start_row: usize,
    comment: bool,
}

/// The doc comment above a definition, or its docstring (Python): the comments
/// that each start their line and end on the line before the definition (or
/// before another comment of the block), skipping attributes and decorators.
fn doc_comment(lang: Language, source: &str, node: Node, doc_nodes: &[DocNode]) -> String {
    if lang == Language::Python
        && let Some(doc) = python_docstring(source, node)
    {
        return doc;
    }
    // Only whitespace may separate the doc from the definition's header.
    let mut boundary = header_start(source, node.start_byte());
    let mut expected_row = node.start_position().row;
    let mut lines: Vec<&str> = Vec::new();
    let before = doc_nodes.partition_point(|d| d.end_byte <= node.start_byte());
    for d in doc_nodes[..before].iter().rev() {
        // Line comments may include their newline.
        let text = source[d.start_byte..d.end_byte].trim_end();
        let end_row = d.start_row + text.bytes().filter(|&b| b == b'\n').count();
        let gap = source
            .get(d.start_byte + text.len()..boundary)
            .unwrap_or("x");
        if end_row + 1 < expected_row || !gap.trim().is_empty() {
            break;
        }
        boundary = d.start_byte;
        expected_row = d.start_row;
        if !d.comment {
            continue;
        }
        let line_start = source[..d.start_byte].rfind('\n').map_or(0, |i| i + 1);
        let starts_line = source[line_start..d.start_byte].trim().is_empty();
        let wanted_prefix = lang
            .doc_comment_prefixes()
            .is_none_or(|prefixes| prefixes.iter().any(|p| text.starts_with(p)));
        if !starts_line || !wanted_prefix {
            break;
        }
        lines.push(text);
        if lines.len() > 200 {
            break;
        }
    }
    lines.reverse();
    let doc = clean_comment(&lines.join("\n"));
    if lang == Language::CSharp {
        // XML doc comments: keep the prose, drop the tags.
        let mut text = String::with_capacity(doc.len());
        let mut in_tag = false;
        for c in doc.chars() {
            match c {
                '<' => in_tag = true,
                '>' if in_tag => in_tag = false,
                _ if !in_tag => text.push(c),
                _ => {}
            }
        }
        return text.trim().to_string();
    }
    doc
}

fn python_docstring(source: &str, node: Node) -> Option<String> {
    let body = node.child_by_field_name("body")?;
    let first = body.named_child(0)?;
    if first.kind() != "expression_statement" {
        return None;
    }
    let string = first.named_child(0)?;
    if string.kind() != "string" {
        return None;
    }
    let text = node_text(source, string);
    let text = text.trim_start_matches(|c: char| c.is_ascii_alphabetic());
    let inner = text
        .strip_prefix("\"\"\"")
        .and_then(|t| t.strip_suffix("\"\"\""))
        .or_else(|| text.strip_prefix("'''").and_then(|t| t.strip_suffix("'''")))
        .or_else(|| text.strip_prefix('"').and_then(|t| t.strip_suffix('"')))
        .or_else(|| text.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')))?;
    let cleaned = dedent(inner);
    Some(truncate_chars(cleaned.trim(), MAX_DOC_CHARS))
}

fn dedent(text: &str) -> String {
    let indent = text
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        if i > 0 {
            out.push('\n');
            out.push_str(line.get(indent..).unwrap_or(line.trim_start()));
        } else {
            out.push_str(line.trim());
        }
    }
    out
}

/// Removes comment markers: `///`, `//`, `/** */`, `*`, `#`, `--`.
fn clean_comment(raw: &str) -> String {
    let mut out = String::new();
    for line in raw.lines() {
        let mut l = line.trim();
        for prefix in ["/**", "/*!", "/*", "///", "//!", "//", "#", "--"] {
            if let Some(rest) = l.strip_prefix(prefix) {
                l = rest;
                break;
            }
        }
        l = l.trim_end();
        if let Some(rest) = l.strip_suffix("*/") {
            l = rest.trim_end();
        }
        let l = l.trim_start();
        let l = l
            .strip_prefix("* ")
            .unwrap_or(if l == "*" { "" } else { l });
        if l.is_empty() && out.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(l);
        if out.len() > MAX_DOC_CHARS * 4 {
            break;
        }
    }
    truncate_chars(out.trim(), MAX_DOC_CHARS)
}

/// Extracts the symbols of one in-memory source file: the entry point for tests
/// and tools that have text rather than files.
pub fn extract_source(
    path: &str,
    lang: Language,
    source: &str,
) -> Result<FileSymbols, ExtractError> {
    let mut file = FileSymbols::empty(path.to_string(), Some(lang), source.len() as u64, 0);
    file.hash = xxhash_rust::xxh3::xxh3_64(source.as_bytes());
    extract_into(&mut file, lang, source, None)?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_query_compiles() {
        check_queries().unwrap();
    }

    #[test]
    fn cleans_comment_markers() {
        assert_eq!(clean_comment("/// Adds.\n/// Twice."), "Adds.\nTwice.");
        assert_eq!(
            clean_comment("/**\n * Adds.\n * Twice.\n */"),
            "Adds.\nTwice."
        );
        assert_eq!(clean_comment("# Ruby doc"), "Ruby doc");
    }

    #[test]
    fn truncates_on_char_boundaries() {
        let s = "é".repeat(300);
        assert_eq!(truncate_chars(&s, 200).chars().count(), 200);
    }

    #[test]
    fn top_level_chunks_follow_the_layout() {
        let src = "import x\n\n@decorate\n\ndef f():\n    pass\nif a:\n    b\nelse:\n    c\n}\nclass C: pass";
        let chunks = top_level_chunks(src.as_bytes());
        let texts: Vec<&str> = chunks
            .iter()
            .map(|r| &src[r.start_byte..r.end_byte])
            .collect();
        assert_eq!(
            texts,
            [
                "import x\n\n",
                "@decorate\n\ndef f():\n    pass\n",
                "if a:\n    b\nelse:\n    c\n}\n",
                "class C: pass",
            ]
        );
        let rows: Vec<(usize, usize)> = chunks
            .iter()
            .map(|r| (r.start_point.row, r.end_point.row))
            .collect();
        assert_eq!(rows, [(0, 2), (2, 6), (6, 11), (11, 11)]);
        assert_eq!(chunks[3].end_point.column, "class C: pass".len());
    }
}
