; JavaScript and TypeScript: uses that are not calls, and the names a function
; binds; after the grammars' tags queries, so that their captures of the same
; names win.

; Names that are not uses of a definition.
(import_specifier alias: (identifier) @ignore)
(export_specifier alias: (identifier) @ignore)

; Import aliases: a use of the alias is a use of what it stands for.
(import_specifier name: (identifier) @alias.original alias: (identifier) @alias.name)
(import_statement
  (import_clause (namespace_import (identifier) @alias.name))
  source: (string (string_fragment) @alias.original))

; Property reads and writes, and names used as values.
(member_expression property: [(property_identifier) (private_property_identifier)] @name) @reference.read
; Destructuring reads the members it names: `const { a, b: c } = this`.
(variable_declarator
  name: (object_pattern
    [(shorthand_property_identifier_pattern) @name
     (pair_pattern key: (property_identifier) @name)
     (object_assignment_pattern left: (shorthand_property_identifier_pattern) @name)])
  value: (_) @receiver) @reference.read
(shorthand_property_identifier) @name @reference.read
(identifier) @name @reference.read

; Local scopes and what they bind.
[
  (function_declaration)
  (function_expression)
  (generator_function_declaration)
  (generator_function)
  (arrow_function)
  (method_definition)
] @local.scope

(arrow_function parameter: (identifier) @local.definition)
(object_pattern (shorthand_property_identifier_pattern) @local.definition)
(object_pattern (pair_pattern value: (identifier) @local.definition))
(array_pattern (identifier) @local.definition)
(object_assignment_pattern left: (shorthand_property_identifier_pattern) @local.definition)
(object_pattern (pair_pattern value: (assignment_pattern left: (identifier) @local.definition)))
(array_pattern (assignment_pattern left: (identifier) @local.definition))
(variable_declarator name: (identifier) @local.definition)
(variable_declarator
  name: (identifier) @local.definition
  value: (new_expression constructor: [(identifier) (member_expression)] @local.type))
; `const x = make()`: the value `make` returns (see `@value.type`).
(variable_declarator
  name: (identifier) @local.definition
  value: (call_expression function: [(identifier) (member_expression)] @local.type))
; What a top-level name is made from: `const x = new Foo()`, `const x = make()`.
(variable_declarator
  name: (identifier) @value.name
  value: [
    (new_expression constructor: [(identifier) (member_expression)] @value.type)
    (call_expression function: (identifier) @value.type)
  ])
(catch_clause parameter: (identifier) @local.definition)
(for_in_statement left: (identifier) @local.definition)

; Fields typed where a method assigns them: `this.x = new Foo()`, `this.x = x`
; with `x` of a known type.
(assignment_expression
  left: (member_expression object: (this) property: (property_identifier) @field.name)
  right: [
    (new_expression constructor: [(identifier) (member_expression)] @field.type)
    (identifier) @field.value
  ])
