-- expect: rule/budget-exceeded
-- table.remove at position 1 of a table whose __len claims math.maxinteger
-- elements: the same loop the other way.
local rule = { id = "hostile/c-loop-remove", name = "Hostile", summary = "hostile test rule", help = "Test rule.", level = "note" }

function rule.check(model, ctx)
  ctx:report(model, "before the failure")
  local t = setmetatable({}, { __len = function() return math.maxinteger end })
  table.remove(t, 1)
  ctx:report(model, "after the loop")
end

return rule
