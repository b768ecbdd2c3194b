-- SPDX-License-Identifier: Apache-2.0
-- house-rules/model-size-budget — an example house convention: the app's
-- download budget allows at most max_bytes per model on disk.
--
-- Run: coreml-lint --rules-dir examples/house-rules MODEL
-- Configure the budget in .coreml-lint.json:
--   "rules": { "house-rules/model-size-budget": { "options": { "max_bytes": 50000000 } } }

local rule = {
  id = "house-rules/model-size-budget",
  name = "HouseModelSizeBudget",
  summary = "The model is larger on disk than the house size budget",
  help = [[
**Why.** Every megabyte of model is a megabyte of app download and of memory
at load time. The house budget (option `max_bytes`, default 100 MB) keeps
models inside the app's size plan.

**Example.** `model.mlpackage: warning: the model takes 131.2 MB on disk, over the budget of 100.0 MB (weights: 129.9 MB) [house-rules/model-size-budget]`

**Fix.** Compress the weights (`coremltools.optimize.coreml`: palettization,
linear quantization, pruning), or raise the budget for this model with a
suppression that says why.

**Sources.** coremltools `docs-guides/source/opt-overview.md`.]],
  level = "warning",
  tags = { "house", "size" },
  options = {
    max_bytes = { type = "int", default = 100000000, doc = "largest allowed size on disk, in bytes" },
  },
}

-- 1234 -> "1234 bytes", 56789 -> "56.8 kB", 131200000 -> "131.2 MB"
local function mb(n)
  if n < 10000 then return ("%d bytes"):format(n) end
  if n < 1e6 then return ("%.1f kB"):format(n / 1e3) end
  if n < 1e9 then return ("%.1f MB"):format(n / 1e6) end
  return ("%.2f GB"):format(n / 1e9)
end

function rule.check(model, ctx)
  local budget = ctx.options.max_bytes
  local size = model.size_bytes
  if size <= budget then return end
  local weights = 0
  for _, wf in ipairs(model.weight_files) do weights = weights + wf.size_bytes end
  local detail = weights > 0 and (" (weights: %s)"):format(mb(weights)) or ""
  ctx:report{
    at = model,
    message = ("the model takes %s on disk, over the budget of %s%s"):format(mb(size), mb(budget), detail),
    fix = "compress the weights (palettization, quantization, pruning) or split the model",
    props = { size_bytes = size, budget_bytes = budget, weight_bytes = weights },
  }
end

return rule
