-- expect: rule/error
-- Reporting at an undeclared level string is an error.
local rule = { id = "hostile/report-bad-level", name = "Hostile", summary = "hostile test rule", help = "Test rule.", level = "note" }

function rule.check(model, ctx)
  ctx:report(model, "before the failure")
  ctx:report{ at = model, message = "x", level = "critical" }
end

return rule
