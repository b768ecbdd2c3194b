-- ctx.target_platform and ctx:target_before: one finding whose message lists
-- what they answer for the run's deployment target (test_lua.c runs it with
-- iOS17.3, macOS13 and none; target-bad.lua asks with a version that is no
-- release).
local rule = {
  id = "api/target",
  name = "Target",
  summary = "Reports what the target helpers answer",
  help = "Test rule.",
  level = "note",
  tags = { "test" },
}

local function s(x)
  if x == nil then return "nil" end
  return tostring(x)
end

function rule.check(model, ctx)
  ctx:report(model, table.concat({
    s(ctx.target_platform),
    s(ctx:target_before{ ios = "17.4" }),
    s(ctx:target_before{ ios = "17.3" }),
    s(ctx:target_before{ ios = 18 }),
    s(ctx:target_before{ ios = 16 }),
    s(ctx:target_before{ macos = 14 }),
    s(ctx:target_before{}),
  }, ","))
end

return rule
