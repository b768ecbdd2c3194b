-- expect: rule/too-many-findings
-- A flood of reports: the host caps findings per rule and model and the engine stops the rule.
local rule = { id = "hostile/report-flood", name = "Hostile", summary = "hostile test rule", help = "Test rule.", level = "note" }

function rule.check(model, ctx)
  ctx:report(model, "before the failure")
  for i = 1, 10000000 do ctx:report(model, "finding %d", i) end
end

return rule
