-- expect: rule/error
-- Unbounded Lua recursion: a stack overflow error, not a crash.
local rule = { id = "hostile/deep-recursion", name = "Hostile", summary = "hostile test rule", help = "Test rule.", level = "note" }

function rule.check(model, ctx)
  ctx:report(model, "before the failure")
  local function f(n) return 1 + f(n + 1) end
  f(1)
end

return rule
