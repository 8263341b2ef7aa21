; Ruby: our patterns, before the grammar's tags query.

(class
  superclass: (superclass
    [
      (constant) @name
      (scope_resolution name: (constant) @name)
    ])) @reference.implementation
(call
  method: (identifier) @_mixin
  arguments: (argument_list
    [
      (constant) @name
      (scope_resolution name: (constant) @name)
    ])
  (#any-of? @_mixin "include" "extend" "prepend")) @reference.implementation
(assignment left: (constant) @name) @definition.constant
(call
  method: (identifier) @_require
  arguments: (argument_list . (string (string_content) @import.module))
  (#any-of? @_require "require" "require_relative" "load"))
(constant) @name @reference.type
