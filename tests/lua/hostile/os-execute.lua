-- expect: rule/blocked-call
-- Running a command: os.execute is a blocked stub.
local rule = { id = "hostile/os-execute", name = "Hostile", summary = "hostile test rule", help = "Test rule.", level = "note" }

function rule.check(model, ctx)
  ctx:report(model, "before the failure")
  os.execute("touch /tmp/coreml-lint-pwned")
end

return rule
