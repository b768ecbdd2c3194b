-- expect: rule/memory-exceeded
-- Doubling a string: the memory cap stops it.
local rule = { id = "hostile/concat-bomb", name = "Hostile", summary = "hostile test rule", help = "Test rule.", level = "note" }

function rule.check(model, ctx)
  ctx:report(model, "before the failure")
  local s = "x"
  for _ = 1, 64 do s = s .. s end
  ctx:report(model, "%d", #s)
end

return rule
