-- expect: rule/error
-- Unbounded recursion through a C boundary (__index functions): a C stack overflow error, not a crash.
local rule = { id = "hostile/c-recursion", name = "Hostile", summary = "hostile test rule", help = "Test rule.", level = "note" }

function rule.check(model, ctx)
  ctx:report(model, "before the failure")
  local t = setmetatable({}, {})
  getmetatable(t).__index = function(self, k) return self[k .. "x"] end
  ctx:report(model, "%s", tostring(t.a))
end

return rule
