; PHP: our patterns, before the grammar's tags query.

(trait_declaration name: (name) @name) @definition.trait
(enum_declaration name: (name) @name) @definition.enum
(enum_case name: (name) @name) @definition.enum_member
(method_declaration name: (name) @name) @definition.method
(const_declaration (const_element (name) @name)) @definition.constant

(function_call_expression function: (name) @name) @reference.call
(base_clause [(name) @name (qualified_name (name) @name)]) @reference.implementation
(class_interface_clause [(name) @name (qualified_name (name) @name)]) @reference.implementation
(use_declaration [(name) @name (qualified_name (name) @name)]) @reference.implementation
(object_creation_expression [(name) @name (qualified_name (name) @name)]) @reference.call
(scoped_call_expression scope: [(name) @name (qualified_name (name) @name)]) @reference.type
(named_type [(name) @name (qualified_name (name) @name)]) @reference.type

(namespace_use_clause [(name) (qualified_name)] @import.module)
(namespace_use_clause [(name) @name (qualified_name (name) @name)]) @reference.import
(include_expression (string (string_content) @import.module))
(include_once_expression (string (string_content) @import.module))
(require_expression (string (string_content) @import.module))
(require_once_expression (string (string_content) @import.module))
