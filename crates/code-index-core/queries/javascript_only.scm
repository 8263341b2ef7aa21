; JavaScript only (TypeScript's grammar names these differently).

(field_definition property: [(property_identifier) (private_property_identifier)] @name) @definition.field
(class_heritage (identifier) @name) @reference.implementation
(class_heritage (member_expression property: (property_identifier) @name)) @reference.implementation
