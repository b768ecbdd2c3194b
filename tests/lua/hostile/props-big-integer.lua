-- expect: rule/error
-- expect-line: 10
-- expect-text: props value 'big' is the integer 9223372036854775807
-- An integer a JSON number (a double) cannot hold exactly: refused rather
-- than written as another number.
local rule = { id = "hostile/props-big-integer", name = "Hostile", summary = "hostile test rule", help = "Test rule.", level = "note" }

function rule.check(model, ctx)
  ctx:report(model, "before the failure")
  ctx:report{ at = model, message = "big", props = { big = math.maxinteger } }
end

return rule
