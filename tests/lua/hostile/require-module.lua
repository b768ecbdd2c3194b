-- expect: rule/blocked-call
-- require serves no modules: a blocked stub.
local rule = { id = "hostile/require-module", name = "Hostile", summary = "hostile test rule", help = "Test rule.", level = "note" }

function rule.check(model, ctx)
  ctx:report(model, "before the failure")
  local os2 = require("os")
  os2.exit(1)
end

return rule
