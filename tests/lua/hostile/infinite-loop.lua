-- expect: rule/budget-exceeded
-- expect-line: 10
-- expect-text: and was stopped; findings reported before were kept (instruction budget exceeded
-- An endless loop: the count hook stops it at the instruction budget,
-- and says at which line.
local rule = { id = "hostile/infinite-loop", name = "Hostile", summary = "hostile test rule", help = "Test rule.", level = "note" }

function rule.check(model, ctx)
  ctx:report(model, "before the failure")
  while true do end
end

return rule
