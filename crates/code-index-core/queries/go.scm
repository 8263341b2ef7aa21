; Go: our patterns, before the grammar's tags query.

(method_declaration
  receiver: (parameter_list
    (parameter_declaration
      type: [
        (type_identifier) @receiver
        (pointer_type (type_identifier) @receiver)
        (generic_type type: (type_identifier) @receiver)
        (pointer_type (generic_type type: (type_identifier) @receiver))
      ]))
  name: (field_identifier) @name) @definition.method

(type_spec name: (type_identifier) @name type: (struct_type)) @definition.struct
(type_spec name: (type_identifier) @name type: (interface_type)) @definition.interface
(type_spec name: (type_identifier) @name) @definition.type_alias
(type_alias name: (type_identifier) @name) @definition.type_alias
(field_declaration name: (field_identifier) @name) @definition.field
(method_elem name: (field_identifier) @name) @definition.method
(source_file (const_declaration (const_spec name: (identifier) @name) @definition.constant))
(source_file (var_declaration (var_spec name: (identifier) @name) @definition.variable))
(source_file (var_declaration (var_spec_list (var_spec name: (identifier) @name) @definition.variable)))

; Embedding is Go's inheritance.
(interface_type (type_elem (type_identifier) @name)) @reference.implementation
(field_declaration !name type: [(type_identifier) @name (pointer_type (type_identifier) @name)]) @reference.implementation

(composite_literal type: (type_identifier) @name) @reference.type
(import_spec path: (interpreted_string_literal) @import.module)
(import_spec name: (package_identifier) @name) @reference.import
