-- SPDX-License-Identifier: Apache-2.0
-- house-rules/feature-names — an example house convention: the names of a
-- model's inputs, outputs and states follow the app's naming style
-- (snake_case by default), since Xcode turns them into Swift properties.
--
-- Run: coreml-lint --rules-dir examples/house-rules MODEL
-- Each finding is at the feature itself, so one can be accepted by its
-- logical location ("output:classLabel", or "fn_b/input:x" for a function of
-- a multifunction model):
--   "suppressions": [{ "rule": "house-rules/feature-names", "op": "output:classLabel",
--                      "reason": "Vision reads this name" }]

local rule = {
  id = "house-rules/feature-names",
  name = "HouseFeatureNames",
  summary = "An input, output or state name does not follow the house naming style",
  help = [[
**Why.** Xcode generates a Swift class from the model, one property per
input and output, named as the feature is. Mixed styles (`labelProbs`,
`input_1`, `Accelerometer X`) leak into the app's code.

**Example.** `model.mlmodel: warning: output 'labelProbs' does not match the house style ^[a-z][a-z0-9_]*$ [house-rules/feature-names]`

**Fix.** Name the features when converting (`ct.TensorType(name=…)`,
`outputs=[ct.TensorType(name=…)]`), or rename them afterwards with
`ct.utils.rename_feature(spec, old, new)`.

**Sources.** apple/coremltools `mlmodel/format/Model.proto`
(`ModelDescription`, `FunctionDescription`).]],
  level = "warning",
  tags = { "house", "interface" },
  options = {
    pattern = { type = "string", default = "^[a-z][a-z0-9_]*$", doc = "Lua pattern every feature name must match" },
  },
}

local function check_features(ctx, features, what)
  local pattern = ctx.options.pattern
  for _, f in ipairs(features) do
    if not f.name:match(pattern) then
      ctx:report{
        at = f,
        message = ("%s '%s' does not match the house style %s"):format(what, f.name, pattern),
        fix = "rename it with ct.utils.rename_feature before saving",
      }
    end
  end
end

function rule.check(model, ctx)
  if model.unknown.interface then return end
  check_features(ctx, model.inputs, "input")
  check_features(ctx, model.outputs, "output")
  check_features(ctx, model.states, "state")
  -- a multifunction model describes its features per function, not in
  -- model.inputs/outputs/states
  for _, fd in ipairs(model.function_descriptions) do
    check_features(ctx, fd.inputs, ("function %s: input"):format(fd.name))
    check_features(ctx, fd.outputs, ("function %s: output"):format(fd.name))
    check_features(ctx, fd.states, ("function %s: state"):format(fd.name))
  end
end

return rule
