-- expect: rule/error
-- expect-line: 11
-- expect-text: props value 'm' mixes array items with other keys
-- props whose table is both an array and a map: its keys would be lost in
-- the report, so the report is refused, at the rule's line.
local rule = { id = "hostile/props-mixed", name = "Hostile", summary = "hostile test rule", help = "Test rule.", level = "note" }

function rule.check(model, ctx)
  ctx:report(model, "before the failure")
  local m = { 1, 2, x = 3 }
  ctx:report{ at = model, message = "mixed", props = { m = m } }
end

return rule
