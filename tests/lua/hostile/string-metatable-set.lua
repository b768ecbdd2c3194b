-- expect: rule/error
-- Replacing the string metatable: setmetatable only accepts tables.
local rule = { id = "hostile/string-metatable-set", name = "Hostile", summary = "hostile test rule", help = "Test rule.", level = "note" }

function rule.check(model, ctx)
  ctx:report(model, "before the failure")
  setmetatable("", { __index = function() return "pwned" end })
end

return rule
