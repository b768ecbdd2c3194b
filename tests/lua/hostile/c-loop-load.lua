-- expect: rule/load-error
-- The same C loop at the file's top level, while the rule loads: the load
-- budget stops it.
table.move({}, 1, 1 << 62, 1, {})

return { id = "hostile/c-loop-load", name = "Hostile", summary = "hostile test rule", help = "Test rule.", level = "note",
  check = function() end }
