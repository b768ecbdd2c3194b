-- SPDX-License-Identifier: Apache-2.0
-- bench/lua/op-walk.lua — a Lua rule that visits every op of the model and
-- touches its kind, name, inputs and outputs (dtype and shape), the work a
-- house-convention rule over ops does. Used by bench/rules.sh to show that
-- Lua rules iterating every op of resnet50 do not dominate a check.
local rule = {
  id = "lua/op-walk",
  name = "OpWalk",
  summary = "Benchmark: visit every op",
  help = "Benchmark rule: visits every op and value; reports one note with the counts.",
  level = "note",
  tags = { "bench" },
}

function rule.check(model, ctx)
  local ops, values, elems = 0, 0, 0
  for op in model:ops() do
    ops = ops + 1
    local _ = op.kind .. op.name
    for _, out in ipairs(op.outputs) do
      values = values + 1
      local n = 1
      for _, d in ipairs(out.shape) do n = n * d end
      elems = elems + n
      local _ = out.dtype
    end
  end
  ctx:report{ at = model, message = ("visited %d ops, %d values (%d elements)"):format(ops, values, elems) }
end

return rule
