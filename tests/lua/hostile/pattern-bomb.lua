-- expect: rule/budget-exceeded
-- A backtracking pattern: liblua's matcher would run for ages inside one C
-- call, where the count hook never fires; the rules' pattern functions pay
-- for every step, so the budget stops it (and the wall clock, when the
-- budget is large: test_security.c).
local rule = { id = "hostile/pattern-bomb", name = "Hostile", summary = "hostile test rule", help = "Test rule.", level = "note" }

function rule.check(model, ctx)
  ctx:report(model, "before the failure")
  local s = string.rep("a", 40)
  ctx:report(model, "%s", tostring(s:find(string.rep("a*", 30) .. "b")))
end

return rule
