-- expect: rule/error
-- A finalizer: setmetatable refuses metatables with __gc.
local rule = { id = "hostile/gc-metatable", name = "Hostile", summary = "hostile test rule", help = "Test rule.", level = "note" }

function rule.check(model, ctx)
  ctx:report(model, "before the failure")
  setmetatable({}, { __gc = function() while true do end end })
end

return rule
