-- expect: rule/blocked-call
-- collectgarbage is a blocked stub (finalizer timing, memory probing).
local rule = { id = "hostile/collectgarbage", name = "Hostile", summary = "hostile test rule", help = "Test rule.", level = "note" }

function rule.check(model, ctx)
  ctx:report(model, "before the failure")
  collectgarbage("collect")
end

return rule
