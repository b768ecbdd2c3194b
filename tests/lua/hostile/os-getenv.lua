-- expect: rule/blocked-call
-- Reading the environment: os.getenv is a blocked stub.
local rule = { id = "hostile/os-getenv", name = "Hostile", summary = "hostile test rule", help = "Test rule.", level = "note" }

function rule.check(model, ctx)
  ctx:report(model, "before the failure")
  ctx:report(model, "%s", tostring(os.getenv("HOME")))
end

return rule
