; TypeScript only (not TSX): before the patterns TypeScript shares with TSX,
; so that these win.

; Keys of an object literal asserted to a type: `<Change>{ type: 1 }`.
(type_assertion) @expand.asserted
