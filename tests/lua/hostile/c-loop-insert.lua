-- expect: rule/budget-exceeded
-- table.insert at position 1 of a table whose __len claims math.maxinteger
-- elements: liblua shifts them one by one (nils, no allocation).
local rule = { id = "hostile/c-loop-insert", name = "Hostile", summary = "hostile test rule", help = "Test rule.", level = "note" }

function rule.check(model, ctx)
  ctx:report(model, "before the failure")
  local t = setmetatable({}, { __len = function() return math.maxinteger - 1 end })
  table.insert(t, "1", 1)  -- a numeric string, as liblua takes it
  ctx:report(model, "after the loop")
end

return rule
