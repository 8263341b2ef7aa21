; Scala: the grammar's tags.scm is not exported as a constant; these are ours.

(trait_definition name: (identifier) @name) @definition.trait
(class_definition name: (identifier) @name) @definition.class
(object_definition name: (identifier) @name) @definition.object
(enum_definition name: (identifier) @name) @definition.enum
(simple_enum_case name: (identifier) @name) @definition.enum_member
(full_enum_case name: (identifier) @name) @definition.enum_member
(function_definition name: (identifier) @name) @definition.function
(function_declaration name: (identifier) @name) @definition.method
(template_body (val_definition pattern: (identifier) @name) @definition.field)
(template_body (var_definition pattern: (identifier) @name) @definition.field)
(template_body (val_declaration name: (identifier) @name) @definition.field)
(compilation_unit (val_definition pattern: (identifier) @name) @definition.constant)
(compilation_unit (var_definition pattern: (identifier) @name) @definition.variable)
(class_parameter name: (identifier) @name) @definition.property
(type_definition name: (type_identifier) @name) @definition.type_alias

(extends_clause type: [(type_identifier) @name (generic_type type: (type_identifier) @name)]) @reference.implementation
(call_expression function: (identifier) @name) @reference.call
(call_expression function: (field_expression field: (identifier) @name)) @reference.call
(call_expression function: (generic_function function: (identifier) @name)) @reference.call
(instance_expression [(type_identifier) @name (generic_type type: (type_identifier) @name)]) @reference.call
(type_identifier) @name @reference.type

(import_declaration) @import.module
(namespace_selectors (identifier) @name) @reference.import
