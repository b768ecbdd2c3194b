-- expect: rule/load-error
-- Unknown keys in the rule table are refused, naming the key.
local rule = { id = "hostile/unknown-key", name = "Hostile", summary = "s", help = "h", level = "note",
               severity = "high" }
function rule.check(model, ctx) ctx:report(model, "should never run") end
return rule
