-- expect: rule/error
-- expect-line: 10
-- A plain runtime error: reported with file:line, and the line as the
-- notification's own.
local rule = { id = "hostile/runtime-error", name = "Hostile", summary = "hostile test rule", help = "Test rule.", level = "note" }

function rule.check(model, ctx)
  ctx:report(model, "before the failure")
  local t = nil
  return t.field
end

return rule
