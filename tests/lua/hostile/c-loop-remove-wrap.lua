-- expect: rule/budget-exceeded
-- table.remove at math.mininteger of a table whose __len claims
-- math.maxinteger: the steps from one to the other are 2^64, whose + 1
-- wrapped the charge to 0 while liblua's loop ran 2^64 times (an
-- adversarial pass).
local rule = { id = "hostile/c-loop-remove-wrap", name = "Hostile", summary = "hostile test rule", help = "Test rule.", level = "note" }

function rule.check(model, ctx)
  ctx:report(model, "before the failure")
  local t = setmetatable({}, { __len = function() return math.maxinteger end })
  table.remove(t, math.mininteger)
  ctx:report(model, "after the loop")
end

return rule
