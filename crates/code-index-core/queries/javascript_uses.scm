; JavaScript and TypeScript: uses that are not calls, and the names a function
; binds; after the grammars' tags queries, so that their captures of the same
; names win. `@expand.*` captures are read by `extract/expand.rs`: a pattern
; with children costs the query's compilation an analysis of the grammar.

; Names that are not uses of a definition.
(import_specifier alias: (identifier) @ignore)
(export_specifier alias: (identifier) @ignore)

; Import aliases: a use of the alias is a use of what it stands for.
(import_specifier name: (identifier) @alias.original alias: (identifier) @alias.name)
(import_statement
  (import_clause (namespace_import (identifier) @alias.name))
  source: (string (string_fragment) @alias.original))

; Property reads and writes (`a.b`), and names used as values.
(member_expression) @expand.member
; Declarations: their locals and types, the members a destructuring reads
; (`const { a, b: c } = this`), the keys of a literal of a declared type.
(variable_declarator) @expand.declarator
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

(arrow_function) @expand.arrow_parameter
(object_pattern (shorthand_property_identifier_pattern) @local.definition)
(object_pattern (pair_pattern value: (identifier) @local.definition))
(array_pattern (identifier) @local.definition)
(object_assignment_pattern left: (shorthand_property_identifier_pattern) @local.definition)
(object_pattern (pair_pattern value: (assignment_pattern left: (identifier) @local.definition)))
(array_pattern (assignment_pattern left: (identifier) @local.definition))
(catch_clause parameter: (identifier) @local.definition)
(for_in_statement left: (identifier) @local.definition)

; Fields typed where a method assigns them: `this.x = new Foo()`, `this.x = x`
; with `x` of a known type.
(assignment_expression) @expand.this_field
