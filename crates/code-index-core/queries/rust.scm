; Rust: our patterns. The grammar's tags query follows and fills in functions,
; methods, modules, macros and plain calls.

; Functions become methods inside traits and impls (see `extract`), but stay
; functions inside modules, which upstream tags as methods.
(function_item name: (identifier) @name) @definition.function
(struct_item name: (type_identifier) @name) @definition.struct
(enum_item name: (type_identifier) @name) @definition.enum
(union_item name: (type_identifier) @name) @definition.union
(type_item name: (type_identifier) @name) @definition.type_alias
(trait_item name: (type_identifier) @name) @definition.trait
(associated_type name: (type_identifier) @name) @definition.type_alias
(function_signature_item name: (identifier) @name) @definition.method
(enum_variant name: (identifier) @name) @definition.enum_member
(field_declaration name: (field_identifier) @name) @definition.field
(const_item name: (identifier) @name) @definition.constant
(static_item name: (identifier) @name) @definition.variable

; `impl Foo` and `impl Trait for Foo` qualify their items as `Foo::item`.
(impl_item
  type: [
    (type_identifier) @scope.name
    (generic_type type: (type_identifier) @scope.name)
    (scoped_type_identifier name: (type_identifier) @scope.name)
  ]) @scope

(impl_item
  trait: [
    (type_identifier) @name
    (generic_type type: (type_identifier) @name)
    (scoped_type_identifier name: (type_identifier) @name)
  ]) @reference.implementation
(impl_item type: (type_identifier) @name) @reference.type

(call_expression function: (scoped_identifier name: (identifier) @name)) @reference.call
(call_expression function: (generic_function function: (identifier) @name)) @reference.call
(call_expression
  function: (generic_function function: (scoped_identifier name: (identifier) @name))) @reference.call
(call_expression
  function: (generic_function function: (field_expression field: (field_identifier) @name))) @reference.call
(macro_invocation macro: (scoped_identifier name: (identifier) @name)) @reference.call
(struct_expression
  name: [
    (type_identifier) @name
    (scoped_type_identifier name: (type_identifier) @name)
  ]) @reference.type
(type_identifier) @name @reference.type

(use_declaration argument: (_) @import.module)
(mod_item name: (identifier) @import.module !body)
(extern_crate_declaration name: (identifier) @import.module)
(use_declaration argument: (scoped_identifier name: (identifier) @name)) @reference.import
(use_declaration argument: (identifier) @name) @reference.import
(use_as_clause path: (scoped_identifier name: (identifier) @name)) @reference.import
(use_list (identifier) @name) @reference.import
(use_list (scoped_identifier name: (identifier) @name)) @reference.import
