-- expect: rule/blocked-call
-- Dumping a function to bytecode: string.dump is a blocked stub (also through the string metatable).
local rule = { id = "hostile/string-dump", name = "Hostile", summary = "hostile test rule", help = "Test rule.", level = "note" }

function rule.check(model, ctx)
  ctx:report(model, "before the failure")
  local b = ("").dump(function() end)
  ctx:report(model, "%d", #b)
end

return rule
