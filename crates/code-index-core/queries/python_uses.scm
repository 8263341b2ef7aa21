; Python: uses that are not calls, and the names a function binds; after the
; grammar's tags query, so that its captures of the same names win.

; Names that are not uses of a definition.
(keyword_argument name: (identifier) @ignore)
(import_statement name: (dotted_name (identifier) @ignore))
(import_statement name: (aliased_import (dotted_name (identifier) @ignore)))
(import_from_statement module_name: (dotted_name (identifier) @ignore))
(relative_import (dotted_name (identifier) @ignore))
(aliased_import alias: (identifier) @ignore)
(nonlocal_statement (identifier) @ignore @local.outer)
; `global x` is a use of the module's `x`, and makes the function's
; assignments to `x` uses too.
(global_statement (identifier) @local.outer)

; Attribute reads and writes, and names used as values.
(attribute attribute: (identifier) @name) @reference.read
(identifier) @name @reference.read

; Local scopes and what they bind.
(function_definition) @local.scope
(lambda) @local.scope
[(list_comprehension) (set_comprehension) (dictionary_comprehension) (generator_expression)] @local.scope

(parameters (identifier) @local.definition)
(lambda_parameters (identifier) @local.definition)
(default_parameter name: (identifier) @local.definition)
(list_splat_pattern (identifier) @local.definition)
(dictionary_splat_pattern (identifier) @local.definition)
(typed_parameter (identifier) @local.definition)
(typed_default_parameter name: (identifier) @local.definition)
(typed_parameter
  (identifier) @local.definition
  type: (type) @local.type)
(typed_default_parameter
  name: (identifier) @local.definition
  type: (type) @local.type)

(assignment left: (identifier) @local.definition)
(assignment
  left: (identifier) @local.definition
  right: (call function: [(identifier) (attribute)] @local.type))
(assignment
  left: (identifier) @local.definition
  type: (type) @local.type)
(assignment left: [(pattern_list (identifier) @local.definition) (tuple_pattern (identifier) @local.definition) (list_pattern (identifier) @local.definition)])
(augmented_assignment left: (identifier) @local.definition)
(for_statement left: (identifier) @local.definition)
(for_statement left: [(pattern_list (identifier) @local.definition) (tuple_pattern (identifier) @local.definition)])
(for_in_clause left: (identifier) @local.definition)
(for_in_clause left: [(pattern_list (identifier) @local.definition) (tuple_pattern (identifier) @local.definition)])
(as_pattern_target (identifier) @local.definition)
(named_expression name: (identifier) @local.definition)

; Fields typed where they are assigned in a method: `self.x = Foo()`,
; `self.x: Foo = …`, `self.x = x` with `x: Foo`; the first two are also
; the written types of the fields' values, for receivers in other files
; (`cart.basket.add()` with `cart: Cart`).
(assignment
  left: (attribute
    object: (identifier) @_self
    attribute: (identifier) @field.name @value.name)
  right: (call function: [(identifier) (attribute)] @field.type @value.type)
  (#any-of? @_self "self" "cls"))
(assignment
  left: (attribute
    object: (identifier) @_self
    attribute: (identifier) @field.name @value.name)
  type: (type) @field.type @value.type
  (#any-of? @_self "self" "cls"))
(assignment
  left: (attribute
    object: (identifier) @_self
    attribute: (identifier) @field.name)
  right: (identifier) @field.value
  (#any-of? @_self "self" "cls"))
; Class-level annotations (dataclasses, attrs, typed class attributes).
(class_definition
  body: (block
    (expression_statement
      (assignment
        left: (identifier) @field.name
        type: (type) @field.type))))

; What a function is declared to return, what a module-level or class-level
; name is declared as, made from or bound to: `def make() -> Foo`,
; `x: Foo = …`, `x = Foo()`, `x = Foo`.
(function_definition
  name: (identifier) @value.name
  return_type: (type) @value.type)
(assignment
  left: (identifier) @value.name
  type: (type) @value.type)
(assignment
  left: (identifier) @value.name
  right: (call function: [(identifier) (attribute)] @value.type))
; `form_class = UserForm` in a class body: `self.form_class()` makes one.
(assignment
  left: (identifier) @value.name
  right: [(identifier) (attribute)] @value.type)

; Import aliases: a use of the alias is a use of what it stands for.
(import_from_statement
  name: (aliased_import
    name: (dotted_name (identifier) @alias.original .)
    alias: (identifier) @alias.name))
(import_statement
  name: (aliased_import
    name: (dotted_name) @alias.original
    alias: (identifier) @alias.name))
