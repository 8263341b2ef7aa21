; Go: field reads, struct literal keys and names used as values, the names
; a function binds and the types they are declared or made with, so that
; `s.Start()` with `s *Server` (a receiver, a parameter, `s := &Server{}`,
; `var s Server`, `s := NewServer()`) is `Server`'s. After the tags query,
; whose calls and types win. `@expand.*` captures are read by
; `extract/expand.rs`: single nodes cost the query's matching least.

; `s.addr`, `cfg.Timeout = …`: reads and writes of a field.
(selector_expression) @expand.go_selector
; `Store{items: …}`: the keys are fields of the literal's type.
(composite_literal) @expand.go_literal
; `go handle(defaultTimeout)`: names used as values.
(identifier) @name @reference.read

[
  (function_declaration)
  (method_declaration)
  (func_literal)
] @local.scope

[(parameter_declaration) (variadic_parameter_declaration)] @expand.go_parameter
[(var_spec) (const_spec) (short_var_declaration)] @expand.go_declaration
[(range_clause) (receive_statement) (type_switch_statement)] @expand.go_bindings

; The written types of struct fields and of what functions and methods
; return (the first result), for receivers reached through them.
[(field_declaration) (function_declaration) (method_declaration)] @expand.go_value_type
