; Bash: the grammar ships no tags query; these are ours.

(function_definition name: (word) @name) @definition.function
(program (declaration_command "readonly" (variable_assignment name: (variable_name) @name)) @definition.constant)
(program (declaration_command (variable_assignment name: (variable_name) @name)) @definition.variable)
(program (variable_assignment name: (variable_name) @name) @definition.variable)

(command name: (command_name (word) @name)) @reference.call
(command
  name: (command_name (word) @_source)
  .
  argument: (_) @import.module
  (#any-of? @_source "source" "."))
