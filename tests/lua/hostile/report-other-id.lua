-- expect: rule/error
-- Reporting under another rule's id is refused.
local rule = { id = "hostile/report-other-id", name = "Hostile", summary = "hostile test rule", help = "Test rule.", level = "note" }

function rule.check(model, ctx)
  ctx:report(model, "before the failure")
  ctx:report{ at = model, message = "x", id = "good/well-behaved" }
end

return rule
