; TypeScript and TSX: our patterns, before JavaScript's and the grammars' tags.

(class_declaration name: (type_identifier) @name) @definition.class
(abstract_class_declaration name: (type_identifier) @name) @definition.class
(interface_declaration name: (type_identifier) @name) @definition.interface
(type_alias_declaration name: (type_identifier) @name) @definition.type_alias
(enum_declaration name: (identifier) @name) @definition.enum
(enum_body [(property_identifier) @name (enum_assignment name: (property_identifier) @name)] @definition.enum_member)
(internal_module name: [(identifier) (nested_identifier)] @name) @definition.module
(module name: [(identifier) (nested_identifier)] @name) @definition.module
(property_signature name: (property_identifier) @name) @definition.field
(public_field_definition name: [(property_identifier) (private_property_identifier)] @name) @definition.field
(method_signature name: (property_identifier) @name) @definition.method
(abstract_method_signature name: (property_identifier) @name) @definition.method
(function_signature name: (identifier) @name) @definition.function

(extends_clause value: (identifier) @name) @reference.implementation
(extends_clause value: (member_expression property: (property_identifier) @name)) @reference.implementation
(implements_clause (type_identifier) @name) @reference.implementation
(implements_clause (generic_type name: (type_identifier) @name)) @reference.implementation
(extends_type_clause type: (type_identifier) @name) @reference.implementation
(extends_type_clause type: (generic_type name: (type_identifier) @name)) @reference.implementation
; Through a namespace: `extends JSONRPC2.BaseRequest<'x'>`, `implements ns.I`.
(extends_type_clause
  type: [
    (nested_type_identifier name: (type_identifier) @name)
    (generic_type name: (nested_type_identifier name: (type_identifier) @name))
  ]) @reference.implementation
(implements_clause
  [
    (nested_type_identifier name: (type_identifier) @name)
    (generic_type name: (nested_type_identifier name: (type_identifier) @name))
  ]) @reference.implementation
(type_identifier) @name @reference.type
