-- expect: rule/memory-exceeded
-- One huge string.rep: a C call the hook cannot interrupt, stopped by the memory cap.
local rule = { id = "hostile/string-rep-bomb", name = "Hostile", summary = "hostile test rule", help = "Test rule.", level = "note" }

function rule.check(model, ctx)
  ctx:report(model, "before the failure")
  local s = string.rep("x", 1 << 30)
  ctx:report(model, "%d", #s)
end

return rule
