; JavaScript only: parameters, which TypeScript wraps in its own nodes.

(formal_parameters (identifier) @local.definition)
(formal_parameters (assignment_pattern left: (identifier) @local.definition))
(formal_parameters (rest_pattern (identifier) @local.definition))

; Fields with a constructed type: `x = new Foo()` in a class body,
; `this.x = new Foo()`, `this.x = x` with `x` constructed.
(field_definition
  property: (property_identifier) @field.name
  value: (new_expression constructor: [(identifier) (member_expression)] @field.type))
(assignment_expression
  left: (member_expression object: (this) property: (property_identifier) @field.name)
  right: (new_expression constructor: [(identifier) (member_expression)] @field.type))
(assignment_expression
  left: (member_expression object: (this) property: (property_identifier) @field.name)
  right: (identifier) @field.value)
