-- expect: rule/budget-exceeded
-- string.rep of an empty string math.maxinteger times: liblua loops that
-- often copying nothing. The sandbox answers "" at once; the loop after it
-- is what stops the rule (a hang here fails the test by its time limit).
local rule = { id = "hostile/c-loop-rep", name = "Hostile", summary = "hostile test rule", help = "Test rule.", level = "note" }

function rule.check(model, ctx)
  ctx:report(model, "before the failure")
  local s = string.rep("", math.maxinteger) .. ("").rep("", 2.0 ^ 62, "")
  if #s == 0 then
    while true do end
  end
end

return rule
