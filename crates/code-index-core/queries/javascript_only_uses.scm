; JavaScript only: parameters, which TypeScript wraps in its own nodes.

(formal_parameters (identifier) @local.definition)
(formal_parameters (assignment_pattern left: (identifier) @local.definition))
(formal_parameters (rest_pattern (identifier) @local.definition))

; A field with a constructed type: `x = new Foo()` in a class body.
(field_definition
  property: (property_identifier) @field.name
  value: (new_expression constructor: [(identifier) (member_expression)] @field.type))

; Keys of an object literal are members of what it stands for.
(object (pair key: (property_identifier) @name) @reference.read) @receiver
