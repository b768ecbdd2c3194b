-- SPDX-License-Identifier: Apache-2.0
-- compat/empty-input: a model without inputs, which Core ML accepts only from
-- specification 9 (iOS 18) and only for neural networks, pipelines and ML
-- Programs.
-- SOURCE: apple/coremltools mlmodel/src/Validation/Validators.hpp
-- (validateFeatureDescriptions: "Models must have one or more inputs.",
-- "Empty input is only valid in specification verison >= 9");
-- mlmodel/src/Model.cpp (modelTypeAllowsEmptyInput); apple/coremltools#2578,
-- PR #2684; rules-knowledge §1.3 (empty input row), §5.20.

local rule = {
  id = "compat/empty-input",
  name = "EmptyInput",
  summary = "The model has no inputs, which Core ML accepts only from iOS 18 and only for some model types",
  help = [[
**Why.** A model without inputs (a generator, a model that only reads its
states or produces constants) is valid only from specification version 9
(iOS 18 / macOS 15), and only for NeuralNetwork models (plain, classifier,
regressor), pipelines and ML Programs. Core ML's validator rejects any other
zero-input model when it compiles or loads it:

- specification version below 9: "Empty input is only valid in specification
  version >= 9";
- other model types (tree ensembles, GLMs, feature engineering, …): "Models
  must have one or more inputs."

Both are errors. A zero-input model that satisfies both is silent.
Multifunction models, whose inputs are declared per function, are not
checked here.

**Example.** `model.mlmodel: error: the model has no inputs, which needs specification version 9 (iOS 18 / macOS 15); this model is spec 4 [compat/empty-input]`

**Fix.** Save the model as specification 9 or newer (convert with
`minimum_deployment_target=ct.target.iOS18`) when the app targets iOS 18+, or
give the model a dummy input the app feeds with a constant, which every OS
version accepts.

**Sources.** apple/coremltools `mlmodel/src/Validation/Validators.hpp`
(`validateFeatureDescriptions`); `mlmodel/src/Model.cpp`
(`modelTypeAllowsEmptyInput`); apple/coremltools#2578, PR #2684;
rules-knowledge §1.3, §5.20.]],
  level = "error",
  -- SARIF precision: a fact read from the file
  precision = "very-high",
  tags = { "compat", "interface", "spec-version" },
}

-- SOURCE: Model.cpp modelTypeAllowsEmptyInput
local ALLOWS_EMPTY = {
  neuralNetwork = true, neuralNetworkRegressor = true, neuralNetworkClassifier = true,
  pipeline = true, pipelineRegressor = true, pipelineClassifier = true, mlProgram = true,
}

local function check_one(model, ctx)
  local spec = model.spec_version or 0
  local multifunction = #model.functions > 1 or model.default_function ~= nil
  -- unknown type or version (unreadable or compiled without metadata.json):
  -- the inputs are unknown, not empty
  if model.type ~= "unknown" and spec > 0 and not multifunction and #model.inputs == 0 then
    if not ALLOWS_EMPTY[model.type] then
      ctx:report{
        at = model,
        message = ("the model has no inputs, and a %s model must have at least one (only neural networks, pipelines and ML Programs may have none)"):format(model.type),
        fix = "give the model an input",
        props = { type = model.type, spec_version = spec },
      }
    elseif spec < 9 then
      ctx:report{
        at = model,
        message = ("the model has no inputs, which needs specification version 9 (iOS 18 / macOS 15); this model is spec %d"):format(spec),
        fix = "convert with minimum_deployment_target=ct.target.iOS18, or add an input the app feeds with a constant",
        props = { type = model.type, spec_version = spec },
      }
    end
  end
end

function rule.check(model, ctx)
  for m in model:models() do check_one(m, ctx) end
end

return rule
