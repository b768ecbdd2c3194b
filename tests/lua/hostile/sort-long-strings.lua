-- expect: rule/budget-exceeded
-- table.sort of 200,000 references to one 16 MiB string: every comparison
-- reads the whole string in C (minutes), now paid per 64 bytes compared.
local rule = { id = "hostile/sort-long-strings", name = "Hostile", summary = "hostile test rule", help = "Test rule.", level = "note" }

function rule.check(model, ctx)
  ctx:report(model, "before the failure")
  local s = string.rep("x", 16 * 1024 * 1024)
  local t = {}
  for i = 1, 200000 do t[i] = s end
  table.sort(t)
  ctx:report(model, "after the sort")
end

return rule
