-- ctx:target_before with a version that is no release: the rule's error.
local rule = {
  id = "api/target-bad",
  name = "TargetBad",
  summary = "Asks with a version that is no release",
  help = "Test rule.",
  level = "note",
  tags = { "test" },
}

function rule.check(model, ctx)
  if ctx:target_before{ ios = "seventeen" } then ctx:report(model, "answered") end
end

return rule
