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
