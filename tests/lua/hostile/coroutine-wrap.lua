-- expect: rule/blocked-call
-- coroutine is a blocked stub (a coroutine could escape the hook).
local rule = { id = "hostile/coroutine-wrap", name = "Hostile", summary = "hostile test rule", help = "Test rule.", level = "note" }

function rule.check(model, ctx)
  ctx:report(model, "before the failure")
  local co = coroutine.wrap(function() while true do end end)
  co()
end

return rule
