; TypeScript: parameters with their declared types, fields with theirs
; (`private x: Foo`, `x = new Foo()`, `constructor(private x: Foo)`), what
; functions and methods are declared to return, and the keys of object
; literals of a written type (see `extract/expand.rs`).
[(required_parameter) (optional_parameter)] @expand.parameter
(public_field_definition) @expand.class_field
; Keys of an object literal are members of what it stands for: of the type
; it is declared or asserted to have (`const c: Change = { type: 1 }`,
; `{ … } as Change`, `{ … } satisfies Change`, returned by a function
; declared to return `Change`), else of an unknown value.
[(function_declaration) (method_definition)] @expand.returns
[(as_expression) (satisfies_expression)] @expand.asserted
(call_expression) @expand.typed_call
(object (pair key: (property_identifier) @name) @reference.read) @receiver

; Signatures and function types bind their parameters: `delay` in
; `schedule(work: W, delay: number): void` is no use of a `delay`.
[
  (method_signature)
  (abstract_method_signature)
  (function_signature)
  (call_signature)
  (construct_signature)
  (function_type)
  (constructor_type)
] @local.scope

; `T['key']`: a read of `key`, a member of `T`.
(lookup_type) @expand.lookup
