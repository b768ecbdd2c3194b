-- expect: rule/load-error
-- A precision that is not one of SARIF's four names is refused.
local rule = { id = "hostile/bad-precision", name = "Hostile", summary = "s", help = "h", level = "note",
               precision = "certain" }
function rule.check(model, ctx) ctx:report(model, "should never run") end
return rule
