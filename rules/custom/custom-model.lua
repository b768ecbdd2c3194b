-- SPDX-License-Identifier: Apache-2.0
-- custom/custom-model: the model (or a pipeline stage) is a CustomModel whose
-- implementation the app must provide.
-- SOURCE: apple/coremltools mlmodel/format/Model.proto (Model.customModel =
-- 555, spec 3); mlmodel/format/CustomModel.proto (className).

local rule = {
  id = "custom/custom-model",
  name = "CustomModel",
  summary = "A custom model must be implemented by the app, or it fails to load",
  help = [[
**Why.** A `customModel` (specification 3, iOS 12) holds only a class name and
parameters: Core ML calls a class in the app that conforms to `MLCustomModel`.
Without that class the model fails to load, and nothing of it runs on the GPU
or the Neural Engine unless the app's own code does so.

**Example.** `model.mlmodel: warning: the model is a custom model: the app must provide an MLCustomModel implementation … [custom/custom-model]`

**Fix.** Convert the computation to a neural network or ML program with
coremltools, or keep the custom stage as small as possible in a pipeline.

**Sources.** apple/coremltools `mlmodel/format/Model.proto` (`customModel`),
`mlmodel/format/CustomModel.proto` (`className`).]],
  level = "warning",
  -- SARIF precision: a fact read from the file
  precision = "very-high",
  tags = { "custom", "compatibility" },
}

local function walk(model, ctx, where)
  if model.type == "customModel" then
    ctx:report{
      at = model,
      message = ("%s is a custom model: the app must provide its MLCustomModel implementation or the model fails to load"):format(where),
      fix = "convert the computation to a neural network or ML program, or keep the custom stage minimal",
    }
  end
  local names = model.submodel_names
  for i, sub in ipairs(model.submodels) do
    walk(sub, ctx, ("pipeline stage '%s'"):format(names[i] or tostring(i)))
  end
end

function rule.check(model, ctx)
  walk(model, ctx, "the model")
end

return rule
