; TypeScript only (not TSX): before the patterns TypeScript shares with TSX,
; so that these win.

; Keys of an object literal asserted to a type: `<Change>{ type: 1 }`.
(type_assertion
  (type_arguments [(type_identifier) @receiver (nested_type_identifier) @receiver (generic_type name: (_) @receiver)])
  (object (pair key: (property_identifier) @name) @reference.read))
