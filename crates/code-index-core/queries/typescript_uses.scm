; TypeScript: the names a function binds with a declared type.

(required_parameter pattern: (identifier) @local.definition)
(optional_parameter pattern: (identifier) @local.definition)
(required_parameter pattern: (rest_pattern (identifier) @local.definition))
(required_parameter
  pattern: (identifier) @local.definition
  type: (type_annotation [(type_identifier) (generic_type name: (type_identifier)) (nested_type_identifier)] @local.type))
(optional_parameter
  pattern: (identifier) @local.definition
  type: (type_annotation [(type_identifier) (generic_type name: (type_identifier)) (nested_type_identifier)] @local.type))
(variable_declarator
  name: (identifier) @local.definition
  type: (type_annotation [(type_identifier) (generic_type name: (type_identifier)) (nested_type_identifier)] @local.type))

; Fields with a declared or constructed type: `private x: Foo`,
; `x = new Foo()`, `constructor(private x: Foo)`.
(public_field_definition
  name: (property_identifier) @field.name
  type: (type_annotation [(type_identifier) (generic_type name: (type_identifier)) (nested_type_identifier)] @field.type))
(public_field_definition
  name: (property_identifier) @field.name
  value: (new_expression constructor: [(identifier) (member_expression)] @field.type))
(required_parameter
  (accessibility_modifier)
  pattern: (identifier) @field.name
  type: (type_annotation [(type_identifier) (generic_type name: (type_identifier)) (nested_type_identifier)] @field.type))

; Keys of an object literal are members of what it stands for: of the type
; it is declared or asserted to have (`const c: Change = { type: 1 }`,
; `{ … } as Change`, `{ … } satisfies Change`, returned by a function declared to return
; `Change`), else of an
; unknown value.
(variable_declarator
  type: (type_annotation [(type_identifier) @receiver (nested_type_identifier) @receiver (generic_type name: (_) @receiver)])
  value: (object (pair key: (property_identifier) @name) @reference.read))
(as_expression
  (object (pair key: (property_identifier) @name) @reference.read)
  [(type_identifier) @receiver (nested_type_identifier) @receiver (generic_type name: (_) @receiver)])
(satisfies_expression
  (object (pair key: (property_identifier) @name) @reference.read)
  [(type_identifier) @receiver (nested_type_identifier) @receiver (generic_type name: (_) @receiver)])
(function_declaration
  return_type: (type_annotation [(type_identifier) @receiver (nested_type_identifier) @receiver (generic_type name: (_) @receiver)])
  body: (statement_block (return_statement (object (pair key: (property_identifier) @name) @reference.read))))
(method_definition
  return_type: (type_annotation [(type_identifier) @receiver (nested_type_identifier) @receiver (generic_type name: (_) @receiver)])
  body: (statement_block (return_statement (object (pair key: (property_identifier) @name) @reference.read))))
(object (pair key: (property_identifier) @name) @reference.read) @receiver

; What a function or method is declared to return, what a variable or field
; is declared as: `function make(): Foo`, `let x: Foo`.
(function_declaration
  name: (identifier) @value.name
  return_type: (type_annotation (_) @value.type))
(method_definition
  name: (property_identifier) @value.name
  return_type: (type_annotation (_) @value.type))
(variable_declarator
  name: (identifier) @value.name
  type: (type_annotation (_) @value.type))
(public_field_definition
  name: (property_identifier) @value.name
  type: (type_annotation (_) @value.type))

; Signatures and function types bind their parameters: `delay` in
; `schedule(work: W, delay: number): void` is no use of a `delay`.
[
  (method_signature)
  (abstract_method_signature)
  (function_signature)
  (call_signature)
  (construct_signature)
  (function_type)
  (constructor_type)
] @local.scope

; A parameter of a function type is a function (`predicate.call(…)`).
(required_parameter
  pattern: (identifier) @local.definition
  type: (type_annotation (function_type) @local.type))
(optional_parameter
  pattern: (identifier) @local.definition
  type: (type_annotation (function_type) @local.type))
