-- expect-second: rule/error
-- An IR object kept from an earlier model is stale, never a dangling pointer.
local rule = { id = "hostile/stale-object", name = "Hostile", summary = "hostile test rule", help = "Test rule.", level = "note" }

function rule.check(model, ctx)
  ctx:report(model, "before the failure")
  if STASH then
    ctx:report(model, "%s", STASH.type)
  end
  STASH = model
end

return rule
