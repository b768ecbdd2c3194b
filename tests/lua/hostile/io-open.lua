-- expect: rule/blocked-call
-- Reading a file through io: io.open is a blocked stub.
local rule = { id = "hostile/io-open", name = "Hostile", summary = "hostile test rule", help = "Test rule.", level = "note" }

function rule.check(model, ctx)
  ctx:report(model, "before the failure")
  local f = io.open("/etc/passwd")
  ctx:report(model, "read %s", f and f:read("a") or "nothing")
end

return rule
