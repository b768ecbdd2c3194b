-- expect: rule/budget-exceeded
-- table.sort of a table whose __len claims 2^31 - 2 elements, read and
-- written through C functions that allocate nothing: the sort ran inside
-- one C call that no hook or charge reached (an adversarial pass).
local rule = { id = "hostile/c-loop-sort", name = "Hostile", summary = "hostile test rule", help = "Test rule.", level = "note" }

function rule.check(model, ctx)
  ctx:report(model, "before the failure")
  local t = setmetatable({}, { __len = function() return 2147483646 end, __index = tostring, __newindex = rawequal })
  table.sort(t)
  ctx:report(model, "after the sort")
end

return rule
