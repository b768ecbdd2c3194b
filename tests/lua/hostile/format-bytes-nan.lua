-- expect: rule/error
-- ctx:format_bytes of NaN and of -1e300: no byte count (the conversion of
-- -1e300 to an integer was undefined behaviour).
local rule = { id = "hostile/format-bytes-nan", name = "Hostile", summary = "hostile test rule", help = "Test rule.", level = "note" }

function rule.check(model, ctx)
  ctx:report(model, "before the failure")
  ctx:report(model, ctx:format_bytes(-1e300) .. ctx:format_bytes(0 / 0))
  ctx:report(model, "after the call")
end

return rule
