-- expect: rule/budget-exceeded
-- table.unpack and table.concat through an __index chain of 1,990 tables:
-- each element read walks the chain in C (20 unpacks of 990,000 took 153 s
-- against a 10 s limit). They pay 1 + the chain per element up front.
local rule = { id = "hostile/chain-unpack", name = "Hostile", summary = "hostile test rule", help = "Test rule.", level = "note" }

function rule.check(model, ctx)
  ctx:report(model, "before the failure")
  local t, cur = {}, nil
  cur = t
  for _ = 1, 1990 do local n = {}; setmetatable(cur, { __index = n }); cur = n end
  cur[1] = "x"
  for _ = 1, 20 do
    local _ = select("#", table.unpack(t, 1, 990000))
  end
  ctx:report(model, "after the loop")
end

return rule
