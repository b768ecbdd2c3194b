-- expect: rule/load-error
-- The id must equal the path-derived id ("hostile/id-mismatch").
local rule = { id = "good/well-behaved", name = "Hostile", summary = "s", help = "h", level = "note" }
function rule.check(model, ctx) ctx:report(model, "should never run") end
return rule
