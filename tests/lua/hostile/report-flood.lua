-- expect: rule/too-many-findings
-- A flood of reports: the host keeps at most its cap per rule, model and
-- level, and drops the rest of that level; the rule goes on, so an error
-- it reports after 20,000 notes is still kept (and still fails the run).
local rule = { id = "hostile/report-flood", name = "Hostile", summary = "hostile test rule", help = "Test rule.", level = "note" }

function rule.check(model, ctx)
  ctx:report(model, "before the failure")
  for i = 1, 20000 do ctx:report(model, "finding %d", i) end
  ctx:report{ at = model, level = "error", message = "after the flood" }
end

return rule
