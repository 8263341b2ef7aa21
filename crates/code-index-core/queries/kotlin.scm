; Kotlin: the grammar ships no tags query; these are ours.

(class_declaration "interface" name: (identifier) @name) @definition.interface
(class_declaration name: (identifier) @name (enum_class_body)) @definition.enum
(class_declaration name: (identifier) @name) @definition.class
(object_declaration name: (identifier) @name) @definition.object
(function_declaration name: (identifier) @name) @definition.function
(secondary_constructor) @name @definition.constructor
(class_body (property_declaration (variable_declaration (identifier) @name)) @definition.property)
(class_parameter (identifier) @name) @definition.property
(source_file
  (property_declaration
    (modifiers (property_modifier) @_const)
    (variable_declaration (identifier) @name)
    (#eq? @_const "const")) @definition.constant)
(source_file (property_declaration (variable_declaration (identifier) @name)) @definition.variable)
(enum_entry (identifier) @name) @definition.enum_member
(type_alias type: (identifier) @name) @definition.type_alias

(delegation_specifier (user_type (identifier) @name .)) @reference.implementation
(delegation_specifier (constructor_invocation (user_type (identifier) @name .))) @reference.implementation
(call_expression . (identifier) @name) @reference.call
(call_expression . (navigation_expression (identifier) @name .)) @reference.call
(user_type (identifier) @name) @reference.type

(import (qualified_identifier) @import.module)
(import (qualified_identifier (identifier) @name .)) @reference.import
