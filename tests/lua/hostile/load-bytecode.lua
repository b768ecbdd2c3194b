-- expect: rule/blocked-call
-- Loading a (bytecode) chunk: load is a blocked stub.
local rule = { id = "hostile/load-bytecode", name = "Hostile", summary = "hostile test rule", help = "Test rule.", level = "note" }

function rule.check(model, ctx)
  ctx:report(model, "before the failure")
  local f = load("\27LuaT\0\25\147\r\n\26\n")
  f()
end

return rule
