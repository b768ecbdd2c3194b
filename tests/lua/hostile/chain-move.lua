-- expect: rule/budget-exceeded
-- table.move through an __index chain of 1,990 tables: liblua walks the
-- chain in C for every element, where the count hook never runs; 45 million
-- steps ran 13 minutes past lua_seconds. Each step now pays 1 + the chain.
local rule = { id = "hostile/chain-move", name = "Hostile", summary = "hostile test rule", help = "Test rule.", level = "note" }

function rule.check(model, ctx)
  ctx:report(model, "before the failure")
  local t, cur = {}, nil
  cur = t
  for _ = 1, 1990 do local n = {}; setmetatable(cur, { __index = n }); cur = n end
  table.move(t, 1, 45000000, 1, {})
  ctx:report(model, "after the loop")
end

return rule
