; Java: our patterns, before the grammar's tags query.

(enum_declaration name: (identifier) @name) @definition.enum
(enum_constant name: (identifier) @name) @definition.enum_member
(record_declaration name: (identifier) @name) @definition.class
(annotation_type_declaration name: (identifier) @name) @definition.interface
(constructor_declaration name: (identifier) @name) @definition.constructor
(field_declaration
  (modifiers "static" "final")
  declarator: (variable_declarator name: (identifier) @name)) @definition.constant
(field_declaration declarator: (variable_declarator name: (identifier) @name)) @definition.field
(constant_declaration declarator: (variable_declarator name: (identifier) @name)) @definition.constant
(record_declaration parameters: (formal_parameters (formal_parameter name: (identifier) @name) @definition.field))

(superclass [(type_identifier) @name (generic_type (type_identifier) @name) (scoped_type_identifier (type_identifier) @name .)]) @reference.implementation
(super_interfaces (type_list [(type_identifier) @name (generic_type (type_identifier) @name)])) @reference.implementation
(extends_interfaces (type_list [(type_identifier) @name (generic_type (type_identifier) @name)])) @reference.implementation
(object_creation_expression type: [(type_identifier) @name (generic_type (type_identifier) @name)]) @reference.call
(method_invocation name: (identifier) @name) @reference.call
(type_identifier) @name @reference.type

(import_declaration (scoped_identifier) @import.module)
(import_declaration (scoped_identifier name: (identifier) @name)) @reference.import
