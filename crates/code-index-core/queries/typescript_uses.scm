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
