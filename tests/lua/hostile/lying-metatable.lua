-- expect: rule/load-error
-- A rule table whose metatable invents the required keys: the host reads
-- the table with rawget, so the keys are missing.
return setmetatable({}, { __index = function(_, k)
  if k == "check" then return function() end end
  return "x"
end })
