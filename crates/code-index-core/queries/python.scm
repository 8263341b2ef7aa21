; Python: our patterns, before the grammar's tags query.

(class_definition
  body: (block
    (expression_statement
      (assignment left: (identifier) @name)) @definition.field))

(class_definition
  superclasses: (argument_list
    [
      (identifier) @name
      (attribute attribute: (identifier) @name)
    ])) @reference.implementation

(type (identifier) @name) @reference.type
(type (generic_type (identifier) @name)) @reference.type

(import_statement name: (dotted_name) @import.module)
(import_statement name: (aliased_import name: (dotted_name) @import.module))
(import_from_statement module_name: (_) @import.module)
(import_from_statement name: (dotted_name (identifier) @name .)) @reference.import
(import_from_statement
  name: (aliased_import name: (dotted_name (identifier) @name .))) @reference.import
; `from m import *` brings every name of `m`.
(import_from_statement (wildcard_import) @name) @reference.import

; Names bound in the module's top-level blocks (`if __name__ ==
; "__main__":`, `try:`, `with`, `for`) are the module's (extract/expand.rs).
(module) @expand.module_blocks

; Instance and class attributes assigned in a method (`self.x = …`,
; `cls.x = …`): the extractor makes the first of each the class's field.
(assignment
  left: (attribute
    object: (identifier) @_self
    attribute: (identifier) @name) @definition.field
  (#any-of? @_self "self" "cls"))
(assignment
  left: [
    (pattern_list (attribute object: (identifier) @_self attribute: (identifier) @name) @definition.field)
    (tuple_pattern (attribute object: (identifier) @_self attribute: (identifier) @name) @definition.field)
  ]
  (#any-of? @_self "self" "cls"))
