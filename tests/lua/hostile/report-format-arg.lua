-- expect: rule/error
-- expect-line: 9
-- expect-text: ctx:report: value 1 after the format string: number expected, got string
-- The short form of ctx:report given a value its format cannot take:
-- string.format's complaint, at the rule's line and in ctx:report's terms.
local rule = { id = "hostile/report-format-arg", name = "Hostile", summary = "hostile test rule", help = "Test rule.", level = "note" }

function rule.check(model, ctx)
  ctx:report(model, "before the failure") ctx:report(model, "count %d", "many")
end

return rule
