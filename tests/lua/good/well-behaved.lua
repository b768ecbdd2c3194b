-- A well-behaved rule loaded next to every hostile one: it must still run
-- and report once per model whatever the hostile rule does.
local rule = {
  id = "good/well-behaved",
  name = "WellBehaved",
  summary = "Reports once per model",
  help = "Test rule: reports one note per model.",
  level = "note",
}

function rule.check(model, ctx)
  local n = 0
  for _ in model:ops() do n = n + 1 end
  ctx:report(model, "well-behaved rule saw %d ops", n)
end

return rule
