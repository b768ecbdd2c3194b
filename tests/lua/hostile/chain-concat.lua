-- expect: rule/budget-exceeded
-- table.concat through an __index chain of 1,990 tables: each element read
-- walks the chain in C. It pays 1 + the chain per element up front.
local rule = { id = "hostile/chain-concat", name = "Hostile", summary = "hostile test rule", help = "Test rule.", level = "note" }

function rule.check(model, ctx)
  ctx:report(model, "before the failure")
  local t, cur = {}, nil
  cur = t
  for _ = 1, 1990 do local n = {}; setmetatable(cur, { __index = n }); cur = n end
  for i = 1, 100 do cur[i] = "x" end
  for _ = 1, 1000 do   -- 100 reads of 1,991 tables each, a thousand times: 199 million steps
    local _ = table.concat(t, "", 1, 100)
  end
  ctx:report(model, "after the loop")
end

return rule
