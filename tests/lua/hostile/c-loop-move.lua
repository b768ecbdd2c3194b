-- expect: rule/budget-exceeded
-- table.move of nils: a C loop of 2^62 steps that allocates nothing; it pays
-- an instruction per step up front, so the budget stops it.
local rule = { id = "hostile/c-loop-move", name = "Hostile", summary = "hostile test rule", help = "Test rule.", level = "note" }

function rule.check(model, ctx)
  ctx:report(model, "before the failure")
  table.move({}, 1.0, 2.0 ^ 62, 1, {})  -- floats with integral values, as liblua takes them
  ctx:report(model, "after the loop")
end

return rule
