-- expect: rule/budget-exceeded
-- Replacing globals does not reach the host: the budget still stops an endless loop.
local rule = { id = "hostile/global-swap", name = "Hostile", summary = "hostile test rule", help = "Test rule.", level = "note" }

function rule.check(model, ctx)
  ctx:report(model, "before the failure")
  _ENV.setmetatable = nil
  string.rep = nil
  while true do end
end

return rule
