-- expect: rule/memory-exceeded
-- Table growth until the allocator refuses at the memory cap.
local rule = { id = "hostile/memory-bomb", name = "Hostile", summary = "hostile test rule", help = "Test rule.", level = "note" }

function rule.check(model, ctx)
  ctx:report(model, "before the failure")
  local t = {}
  local i = 0
  while true do
    i = i + 1
    t[i] = { i, i, i, tostring(i) }
  end
end

return rule
