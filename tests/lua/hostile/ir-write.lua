-- expect: rule/error
-- Writing to the read-only model.
local rule = { id = "hostile/ir-write", name = "Hostile", summary = "hostile test rule", help = "Test rule.", level = "note" }

function rule.check(model, ctx)
  ctx:report(model, "before the failure")
  model.type = "pwned"
end

return rule
