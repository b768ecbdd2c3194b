-- expect: rule/blocked-call
-- Reaching the registry through the debug library: a blocked stub.
local rule = { id = "hostile/debug-registry", name = "Hostile", summary = "hostile test rule", help = "Test rule.", level = "note" }

function rule.check(model, ctx)
  ctx:report(model, "before the failure")
  local reg = debug.getregistry()
  ctx:report(model, "%s", tostring(reg))
end

return rule
