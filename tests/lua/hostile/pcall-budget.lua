-- expect: rule/blocked-call
-- pcall around an endless loop: pcall is a blocked stub, so nothing can swallow the budget stop.
local rule = { id = "hostile/pcall-budget", name = "Hostile", summary = "hostile test rule", help = "Test rule.", level = "note" }

function rule.check(model, ctx)
  ctx:report(model, "before the failure")
  pcall(function() while true do end end)
  while true do end
end

return rule
