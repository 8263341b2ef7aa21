//! Structural captures read in Rust rather than matched by query patterns.
//!
//! Compiling a tags query costs tree-sitter an analysis of the grammar for
//! every pattern step that has children, paid once per process and
//! language: for JavaScript and TypeScript, whose grammars are large, the
//! patterns that read declarations (`const x: Foo = new Foo()`), fields,
//! parameters, return types and typed object literals cost more to compile
//! than indexing a small project. The query captures those nodes alone
//! (`(variable_declarator) @expand.declarator`, no analysis at all) and
//! the functions here read their parts through field ids, yielding what the
//! patterns did: local bindings and their types, typed fields, the written
//! types of values, and member reads.

use tree_sitter::Node;

use super::{FieldId, Locals, RawField, RawTag, Role};
use crate::model::{RefKind, SymbolKind};

/// What an `@expand.*` capture asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Expansion {
    /// `this.x = new Foo()` / `this.x = x`: a typed field.
    ThisField,
    /// `x: Foo` / `x = new Foo()` in a class body: a typed field, and the
    /// field's written type.
    ClassField,
    /// `const x: Foo = …`, `const x = new Foo()`, `const x = make()`,
    /// `const { a, b: c } = value`: locals, their types, the written type
    /// of a top-level value, the members a destructuring reads, and the
    /// keys of an object literal of a declared type.
    Declarator,
    /// `function make(): Foo { return { … } }`: the written return type,
    /// and the keys of an object literal returned.
    Returns,
    /// `{ … } as Foo`, `{ … } satisfies Foo`, `<Foo>{ … }`: the keys of the
    /// object literal are `Foo`'s members.
    Asserted,
    /// `a.b`: a read of the member `b`.
    Member,
    /// `x => …`: the parameter.
    ArrowParameter,
    /// `x: Foo`, `...rest`, `private x: Foo` in a parameter list: locals,
    /// their types, and the fields a constructor's parameter declares; a
    /// destructured parameter (`{ id }: Envelope`) reads the members it
    /// names.
    Parameter,
    /// `T['key']` in a type: a read of the member `key`.
    Lookup,
    /// `f<T>(…, { … })`: an object literal passed last to a call with one
    /// written type argument is a `T` (`interceptChange<IArraySplice>(adm,
    /// { type: SPLICE })`).
    TypedCall,
    /// A Python module: the names its top-level blocks bind (`if __name__
    /// == "__main__":`, `try:`, `with`, `for`) are the module's.
    ModuleBlocks,
    /// Go `a, b T` in a parameter list (or a receiver): locals of type `T`.
    GoParameter,
    /// Go `var x T`, `var x = Foo{}`, `x := &Foo{}`, `x := y.(*Foo)`,
    /// `x, err := NewFoo()`, `const x = …`: locals, typed where written or
    /// made (by a literal, an assertion, or a function whose declared
    /// result decides).
    GoDeclaration,
    /// Go `for k, v := range …`, `case v := <-ch`, `switch v := x.(type)`:
    /// locals of unknown type.
    GoBindings,
    /// Go `name T` in a struct, and `func f() T`: the written type of the
    /// field's or the result's value.
    GoValueType,
    /// Go `Foo{key: …}`: the keys are uses of `Foo`'s fields.
    GoLiteral,
    /// Go `a.b`: a read of `b`.
    GoSelector,
}

impl Expansion {
    pub(super) fn parse(name: &str) -> Option<Expansion> {
        Some(match name {
            "this_field" => Expansion::ThisField,
            "class_field" => Expansion::ClassField,
            "declarator" => Expansion::Declarator,
            "returns" => Expansion::Returns,
            "asserted" => Expansion::Asserted,
            "member" => Expansion::Member,
            "arrow_parameter" => Expansion::ArrowParameter,
            "parameter" => Expansion::Parameter,
            "lookup" => Expansion::Lookup,
            "typed_call" => Expansion::TypedCall,
            "module_blocks" => Expansion::ModuleBlocks,
            "go_parameter" => Expansion::GoParameter,
            "go_declaration" => Expansion::GoDeclaration,
            "go_bindings" => Expansion::GoBindings,
            "go_value_type" => Expansion::GoValueType,
            "go_literal" => Expansion::GoLiteral,
            "go_selector" => Expansion::GoSelector,
            _ => return None,
        })
    }
}

/// The grammar's ids of the fields the expansions read.
pub(super) struct Fields {
    name: Option<FieldId>,
    value: Option<FieldId>,
    ty: Option<FieldId>,
    left: Option<FieldId>,
    right: Option<FieldId>,
    object: Option<FieldId>,
    property: Option<FieldId>,
    constructor: Option<FieldId>,
    function: Option<FieldId>,
    parameter: Option<FieldId>,
    pattern: Option<FieldId>,
    return_type: Option<FieldId>,
    body: Option<FieldId>,
    key: Option<FieldId>,
    operand: Option<FieldId>,
    alias: Option<FieldId>,
    result: Option<FieldId>,
    field: Option<FieldId>,
    arguments: Option<FieldId>,
    type_arguments: Option<FieldId>,
    consequence: Option<FieldId>,
    alternative: Option<FieldId>,
}

impl Fields {
    pub(super) fn new(grammar: &tree_sitter::Language) -> Fields {
        let id = |name: &str| grammar.field_id_for_name(name);
        Fields {
            name: id("name"),
            value: id("value"),
            ty: id("type"),
            left: id("left"),
            right: id("right"),
            object: id("object"),
            property: id("property"),
            constructor: id("constructor"),
            function: id("function"),
            parameter: id("parameter"),
            pattern: id("pattern"),
            return_type: id("return_type"),
            body: id("body"),
            key: id("key"),
            operand: id("operand"),
            alias: id("alias"),
            result: id("result"),
            field: id("field"),
            arguments: id("arguments"),
            type_arguments: id("type_arguments"),
            consequence: id("consequence"),
            alternative: id("alternative"),
        }
    }
}

/// Where an expansion puts what it finds: the same collections the query's
/// own captures fill.
pub(super) struct Sink<'a, 't, 's> {
    pub tags: &'a mut Vec<RawTag<'t>>,
    pub locals: &'a mut Locals<'s>,
    pub fields: &'a mut Vec<RawField<'t>>,
    pub value_types: &'a mut Vec<(usize, Node<'t>)>,
    pub source: &'s [u8],
    /// The capturing pattern: tags made here rank as that pattern's.
    pub pattern: usize,
}

/// The child of `node` in the field `id`, found by walking the children:
/// `Node::child_by_field_id` was seen to answer with a nested node's field
/// (the outer `property` of `A.b.c` as `b`) in tree-sitter 0.27.
fn field<'t>(node: Node<'t>, id: Option<FieldId>) -> Option<Node<'t>> {
    let id = id?;
    let mut cursor = node.walk();
    if !cursor.goto_first_child() {
        return None;
    }
    loop {
        if cursor.field_id() == Some(id) {
            return Some(cursor.node());
        }
        if !cursor.goto_next_sibling() {
            return None;
        }
    }
}

/// Every child of `node` in the field `id`, in order (Go's `a, b int` has
/// two names).
fn fields<'t>(node: Node<'t>, id: Option<FieldId>) -> Vec<Node<'t>> {
    let mut out = Vec::new();
    let (Some(id), mut cursor) = (id, node.walk()) else {
        return out;
    };
    if cursor.goto_first_child() {
        loop {
            if cursor.field_id() == Some(id) {
                out.push(cursor.node());
            }
            if !cursor.goto_next_sibling() {
                break;
            }
        }
    }
    out
}

/// The identifiers of a Go `expression_list` (or a lone expression).
fn go_names(list: Option<Node<'_>>) -> Vec<Node<'_>> {
    let Some(list) = list else {
        return Vec::new();
    };
    if list.kind() == "identifier" {
        return vec![list];
    }
    let mut cursor = list.walk();
    list.named_children(&mut cursor)
        .filter(|n| n.kind() == "identifier")
        .collect()
}

/// The type a Go expression makes, where written: `Foo{…}`, `&Foo{…}`,
/// `x.(*Foo)`, or `NewFoo(…)` and `pkg.NewFoo(…)` (the callee, whose
/// declared result decides).
fn go_made<'t>(value: Node<'t>, f: &Fields) -> Option<Node<'t>> {
    match value.kind() {
        "composite_literal" => field(value, f.ty),
        "unary_expression" if value.child(0).is_some_and(|op| op.kind() == "&") => {
            field(value, f.operand)
                .filter(|o| o.kind() == "composite_literal")
                .and_then(|o| field(o, f.ty))
        }
        "type_assertion_expression" => field(value, f.ty),
        // `NewServer()`, or `pkg.NewServer()` (a library's package makes a
        // library's value).
        "call_expression" => field(value, f.function).filter(|c| {
            c.kind() == "identifier"
                || c.kind() == "selector_expression"
                    && field(*c, f.operand).is_some_and(|o| o.kind() == "identifier")
        }),
        _ => None,
    }
}

/// The type a `type_annotation` holds.
fn annotated<'t>(annotation: Option<Node<'t>>) -> Option<Node<'t>> {
    annotation.and_then(|a| a.named_child(0))
}

/// A class named by a constructor or a callee: a name or a member access.
fn named(node: Option<Node<'_>>) -> Option<Node<'_>> {
    node.filter(|n| matches!(n.kind(), "identifier" | "member_expression"))
}

/// The type an object literal's keys are members of, when written as a
/// name (`Foo`, `ns.Foo`, `Foo<T>`'s `Foo`).
fn literal_type<'t>(ty: Node<'t>, f: &Fields) -> Option<Node<'t>> {
    match ty.kind() {
        "type_identifier" | "nested_type_identifier" => Some(ty),
        "generic_type" => field(ty, f.name),
        // `Foo | null`, `Foo | undefined`: a `Foo`.
        "union_type" => {
            let mut cursor = ty.walk();
            let mut kept = ty.named_children(&mut cursor).filter(|t| {
                let nothing = |k: &str| matches!(k, "null" | "undefined");
                !(nothing(t.kind())
                    || t.kind() == "literal_type"
                        && t.named_child(0).is_some_and(|c| nothing(c.kind())))
            });
            let only = kept.next()?;
            match kept.next() {
                Some(_) => None,
                None => literal_type(only, f),
            }
        }
        _ => None,
    }
}

impl<'t> Sink<'_, 't, '_> {
    fn read(&mut self, node: Node<'t>, name: Node<'t>, receiver: Option<Node<'t>>) {
        self.tag(node, name, Role::Ref(RefKind::Other), receiver);
    }

    fn define(&mut self, node: Node<'t>, name: Node<'t>, kind: SymbolKind) {
        self.tag(node, name, Role::Def(kind), None);
    }

    fn tag(&mut self, node: Node<'t>, name: Node<'t>, role: Role, receiver: Option<Node<'t>>) {
        self.tags.push(RawTag {
            name_start: name.start_byte(),
            name_end: name.end_byte(),
            pattern: self.pattern,
            node,
            name_node: name,
            role,
            receiver,
        });
    }

    /// The members an object pattern names, as reads of `value`'s.
    fn destructured(&mut self, node: Node<'t>, pattern: Node<'t>, value: Node<'t>, f: &Fields) {
        let mut cursor = pattern.walk();
        for part in pattern.named_children(&mut cursor) {
            let member = match part.kind() {
                "shorthand_property_identifier_pattern" => Some(part),
                "pair_pattern" => field(part, f.key).filter(|k| k.kind() == "property_identifier"),
                "object_assignment_pattern" => field(part, f.left)
                    .filter(|l| l.kind() == "shorthand_property_identifier_pattern"),
                _ => None,
            };
            if let Some(member) = member {
                self.read(node, member, Some(value));
            }
        }
    }

    /// The keys of the object literal `object` as reads of `ty`'s members;
    /// through parentheses and either branch of `c ? { … } : null`.
    fn keys_of(&mut self, object: Node<'t>, ty: Node<'t>, f: &Fields) {
        match object.kind() {
            "object" => {}
            "parenthesized_expression" => {
                if let Some(inner) = object.named_child(0) {
                    self.keys_of(inner, ty, f);
                }
                return;
            }
            "ternary_expression" => {
                for branch in [field(object, f.consequence), field(object, f.alternative)]
                    .into_iter()
                    .flatten()
                {
                    self.keys_of(branch, ty, f);
                }
                return;
            }
            _ => return,
        }
        let Some(ty) = literal_type(ty, f) else {
            return;
        };
        let mut cursor = object.walk();
        for pair in object.named_children(&mut cursor) {
            if pair.kind() == "pair"
                && let Some(key) = field(pair, f.key).filter(|k| k.kind() == "property_identifier")
            {
                self.read(pair, key, Some(ty));
            }
        }
    }

    fn local(&mut self, name: Node<'t>, ty: Option<Node<'t>>) {
        self.locals.push(name, ty, self.source);
    }
}

/// Reads the parts of `node` that `expansion` asks for into `sink`.
pub(super) fn run<'t>(
    expansion: Expansion,
    node: Node<'t>,
    f: &Fields,
    sink: &mut Sink<'_, 't, '_>,
) {
    match expansion {
        Expansion::ThisField => {
            let Some(left) = field(node, f.left).filter(|l| l.kind() == "member_expression") else {
                return;
            };
            let (Some(object), Some(property)) = (field(left, f.object), field(left, f.property))
            else {
                return;
            };
            if object.kind() != "this" || property.kind() != "property_identifier" {
                return;
            }
            let Some(right) = field(node, f.right) else {
                return;
            };
            let (ty, value) = match right.kind() {
                "new_expression" => (named(field(right, f.constructor)), None),
                "identifier" => (None, Some(right)),
                _ => return,
            };
            if ty.is_some() || value.is_some() {
                sink.fields.push(RawField {
                    name: property,
                    ty,
                    value,
                });
            }
        }
        Expansion::ClassField => {
            let Some(name) = field(node, f.name).filter(|n| n.kind() == "property_identifier")
            else {
                return;
            };
            let written = annotated(field(node, f.ty));
            if let Some(ty) = written {
                sink.value_types.push((name.start_byte(), ty));
            }
            let constructed = field(node, f.value)
                .filter(|v| v.kind() == "new_expression")
                .and_then(|v| named(field(v, f.constructor)));
            if let Some(ty) = written.or(constructed) {
                sink.fields.push(RawField {
                    name,
                    ty: Some(ty),
                    value: None,
                });
            }
        }
        Expansion::Declarator => {
            let Some(name) = field(node, f.name) else {
                return;
            };
            let value = field(node, f.value);
            let written = annotated(field(node, f.ty));
            match name.kind() {
                "identifier" => {
                    let made = value.and_then(|v| match v.kind() {
                        "new_expression" => named(field(v, f.constructor)),
                        "call_expression" => named(field(v, f.function)),
                        _ => None,
                    });
                    sink.local(name, written.or(made));
                    // The written type of a top-level value: declared, or
                    // what a class or a function called by name makes.
                    let valued = written.or(made.filter(|m| {
                        m.kind() == "identifier"
                            || value.is_some_and(|v| v.kind() == "new_expression")
                    }));
                    if let Some(ty) = valued {
                        sink.value_types.push((name.start_byte(), ty));
                    }
                    if let (Some(ty), Some(value)) = (written, value) {
                        sink.keys_of(value, ty, f);
                    }
                }
                // A destructuring reads the members it names.
                "object_pattern" => {
                    if let Some(value) = value {
                        sink.destructured(node, name, value, f);
                    }
                }
                _ => {}
            }
        }
        Expansion::Returns => {
            let Some(ty) = annotated(field(node, f.return_type)) else {
                return;
            };
            if let Some(name) = field(node, f.name)
                .filter(|n| matches!(n.kind(), "identifier" | "property_identifier"))
            {
                sink.value_types.push((name.start_byte(), ty));
            }
            // `return { … }` at the top of the body.
            let Some(body) = field(node, f.body).filter(|b| b.kind() == "statement_block") else {
                return;
            };
            let mut cursor = body.walk();
            for statement in body.named_children(&mut cursor) {
                if statement.kind() == "return_statement"
                    && let Some(object) = statement.named_child(0)
                {
                    sink.keys_of(object, ty, f);
                }
            }
        }
        Expansion::Asserted => {
            // `{ … } as Foo`, `{ … } satisfies Foo`: the expression, then
            // the type; `<Foo>{ … }`: the type arguments, then the object.
            let (Some(first), Some(last)) = (node.named_child(0), node.named_child(1)) else {
                return;
            };
            if node.kind() == "type_assertion" {
                if let Some(ty) = first.named_child(0) {
                    sink.keys_of(last, ty, f);
                }
            } else {
                sink.keys_of(first, last, f);
            }
        }
        Expansion::Member => {
            if let Some(property) = field(node, f.property).filter(|p| {
                matches!(
                    p.kind(),
                    "property_identifier" | "private_property_identifier"
                )
            }) {
                sink.read(node, property, None);
            }
        }
        Expansion::ArrowParameter => {
            if let Some(parameter) = field(node, f.parameter).filter(|p| p.kind() == "identifier") {
                sink.local(parameter, None);
            }
        }
        Expansion::Parameter => {
            let Some(pattern) = field(node, f.pattern) else {
                return;
            };
            let written = annotated(field(node, f.ty));
            match pattern.kind() {
                "identifier" => {
                    sink.local(pattern, written);
                    // `constructor(private x: Foo)` and `constructor(public
                    // x = new Foo())` declare the field `x`.
                    let mut cursor = node.walk();
                    let declares_field = node
                        .children(&mut cursor)
                        .any(|c| matches!(c.kind(), "accessibility_modifier" | "readonly"));
                    let constructed = field(node, f.value)
                        .filter(|v| v.kind() == "new_expression")
                        .and_then(|v| named(field(v, f.constructor)));
                    if let Some(ty) = written.or(constructed).filter(|_| declares_field) {
                        sink.fields.push(RawField {
                            name: pattern,
                            ty: Some(ty),
                            value: None,
                        });
                    }
                }
                // `function (this: SchedulerAction<T>) { this.schedule() }`:
                // `this` is of the declared type (`this: any` says nothing).
                "this" => {
                    let names_a_type = written.is_some_and(|t| {
                        std::str::from_utf8(&sink.source[t.start_byte()..t.end_byte()])
                            .ok()
                            .and_then(super::declared_type)
                            .is_some()
                    });
                    if names_a_type {
                        sink.local(pattern, written);
                    }
                }
                "rest_pattern" => {
                    if let Some(rest) = pattern.named_child(0).filter(|r| r.kind() == "identifier")
                    {
                        sink.local(rest, None);
                    }
                }
                // `{ id, jsonrpc }: Envelope & { … }`: members of the
                // declared type (the first of an intersection), or of an
                // unknown value.
                "object_pattern" => {
                    let ty = written
                        .map(|t| match t.kind() {
                            "intersection_type" => t.named_child(0).unwrap_or(t),
                            _ => t,
                        })
                        .and_then(|t| literal_type(t, f));
                    sink.destructured(node, pattern, ty.unwrap_or(pattern), f);
                }
                _ => {}
            }
        }
        Expansion::TypedCall => {
            let Some(types) = field(node, f.type_arguments) else {
                return;
            };
            if types.named_child_count() != 1 {
                return;
            }
            let (Some(ty), Some(arguments)) = (types.named_child(0), field(node, f.arguments))
            else {
                return;
            };
            let last = arguments
                .named_child_count()
                .checked_sub(1)
                .and_then(|i| u32::try_from(i).ok())
                .and_then(|i| arguments.named_child(i));
            if let Some(last) = last.filter(|a| a.kind() == "object") {
                sink.keys_of(last, ty, f);
            }
        }
        Expansion::Lookup => {
            let (Some(object), Some(index)) = (node.named_child(0), node.named_child(1)) else {
                return;
            };
            let Some(key) = index
                .named_child(0)
                .filter(|s| index.kind() == "literal_type" && s.kind() == "string")
                .and_then(|s| s.named_child(0))
                .filter(|k| k.kind() == "string_fragment")
            else {
                return;
            };
            sink.read(node, key, Some(literal_type(object, f).unwrap_or(object)));
        }
        Expansion::GoParameter => {
            let ty = match node.kind() {
                "variadic_parameter_declaration" => None,
                _ => field(node, f.ty),
            };
            for name in fields(node, f.name) {
                sink.local(name, ty);
            }
        }
        Expansion::GoDeclaration => {
            let (names, written, values) = if node.kind() == "short_var_declaration" {
                (go_names(field(node, f.left)), None, field(node, f.right))
            } else {
                (
                    fields(node, f.name),
                    field(node, f.ty),
                    field(node, f.value),
                )
            };
            let values: Vec<Node<'t>> = values.map_or_else(Vec::new, |v| {
                let mut cursor = v.walk();
                v.named_children(&mut cursor).collect()
            });
            for (i, name) in names.into_iter().enumerate() {
                // One value per name, or one call of several results
                // (`f, err := os.Open(…)`) whose first is the first name's.
                let value = match values.len() {
                    1 if i == 0 => values.first(),
                    1 => None,
                    _ => values.get(i),
                };
                let ty = written.or(value.and_then(|v| go_made(*v, f)));
                sink.local(name, ty);
                // A package-level `var x = &Server{}`: the written type of
                // the definition's value (a local's matches no definition).
                if let Some(ty) = ty {
                    sink.value_types.push((name.start_byte(), ty));
                }
            }
        }
        Expansion::GoBindings => {
            let names = match node.kind() {
                "type_switch_statement" => go_names(field(node, f.alias)),
                _ => go_names(field(node, f.left)),
            };
            for name in names {
                sink.local(name, None);
            }
        }
        Expansion::GoValueType => {
            let ty = match node.kind() {
                "field_declaration" => field(node, f.ty),
                // The first result of `func f() (T, error)`.
                _ => field(node, f.result).and_then(|r| match r.kind() {
                    "parameter_list" => r.named_child(0).and_then(|p| field(p, f.ty)),
                    _ => Some(r),
                }),
            };
            if let Some(ty) = ty {
                for name in fields(node, f.name) {
                    sink.value_types.push((name.start_byte(), ty));
                }
            }
        }
        Expansion::GoLiteral => {
            let (Some(ty), Some(body)) = (field(node, f.ty), field(node, f.body)) else {
                return;
            };
            if !matches!(ty.kind(), "type_identifier" | "qualified_type") {
                return;
            }
            let mut cursor = body.walk();
            for element in body.named_children(&mut cursor) {
                if element.kind() == "keyed_element"
                    && let Some(key) = field(element, f.key)
                        .and_then(|k| k.named_child(0))
                        .filter(|k| k.kind() == "identifier")
                {
                    sink.read(element, key, Some(ty));
                }
            }
        }
        Expansion::GoSelector => {
            if let Some(name) = field(node, f.field).filter(|n| n.kind() == "field_identifier") {
                sink.read(node, name, None);
            }
        }
        Expansion::ModuleBlocks => {
            let mut cursor = node.walk();
            let mut blocks: Vec<Node<'t>> = node
                .named_children(&mut cursor)
                .filter(|c| is_python_compound(c.kind()))
                .collect();
            while let Some(statement) = blocks.pop() {
                let mut cursor = statement.walk();
                for child in statement.named_children(&mut cursor) {
                    match child.kind() {
                        "block" | "else_clause" | "elif_clause" | "except_clause"
                        | "finally_clause" => blocks.push(child),
                        kind if is_python_compound(kind) => blocks.push(child),
                        "expression_statement" if statement.kind() == "block" => {
                            if let Some(name) = child
                                .named_child(0)
                                .filter(|a| a.kind() == "assignment")
                                .and_then(|a| field(a, f.left))
                                .filter(|l| l.kind() == "identifier")
                            {
                                sink.define(child, name, SymbolKind::Constant);
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
    }
}

/// Python statements whose blocks bind names in the enclosing scope.
fn is_python_compound(kind: &str) -> bool {
    matches!(
        kind,
        "if_statement" | "try_statement" | "with_statement" | "for_statement" | "while_statement"
    )
}
