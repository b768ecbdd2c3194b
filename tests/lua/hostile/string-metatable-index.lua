-- expect: rule/error
-- Tampering with getmetatable("").__index: the metatable is protected (getmetatable returns false).
local rule = { id = "hostile/string-metatable-index", name = "Hostile", summary = "hostile test rule", help = "Test rule.", level = "note" }

function rule.check(model, ctx)
  ctx:report(model, "before the failure")
  getmetatable("").__index = { format = function() return "pwned" end }
end

return rule
