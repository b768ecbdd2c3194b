-- expect: rule/load-error
-- A syntax error: the file never loads.
local rule = { id = "hostile/syntax-error", name = "Hostile", summary = "s", help = "h", level = "note" }
function rule.check(model, ctx)
  if then end
end
return rule
