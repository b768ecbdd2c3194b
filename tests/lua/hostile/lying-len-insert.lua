-- expect: rule/budget-exceeded
-- a __len that answers 1, then math.maxinteger - 1: the sandbox read the
-- length to charge table.insert, liblua read it again and shifted 2^63
-- elements past the wall clock. The wrapper now reads it once and shifts
-- itself; the huge answer is charged and ends the rule.
local rule = { id = "hostile/lying-len-insert", name = "Hostile", summary = "hostile test rule", help = "Test rule.", level = "note" }

function rule.check(model, ctx)
  ctx:report(model, "before the failure")
  local calls = 0
  local t = setmetatable({}, { __len = function()
    calls = calls + 1
    if calls % 2 == 1 then return 1 end
    return math.maxinteger - 1
  end })
  for _ = 1, 10 do
    table.insert(t, 1, 1)
    table.remove(t, 1)
  end
  ctx:report(model, "after the loop")
end

return rule
