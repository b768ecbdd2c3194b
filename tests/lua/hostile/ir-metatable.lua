-- expect: rule/error
-- Tampering with an IR object's metatable: protected (getmetatable returns false).
local rule = { id = "hostile/ir-metatable", name = "Hostile", summary = "hostile test rule", help = "Test rule.", level = "note" }

function rule.check(model, ctx)
  ctx:report(model, "before the failure")
  local mt = getmetatable(model)
  mt.__index = function() return "pwned" end
end

return rule
