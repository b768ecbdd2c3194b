-- SPDX-License-Identifier: Apache-2.0
-- meta/updatable-model: the model is marked updatable (on-device training).
-- An ML Program cannot be updated; an updatable neural network must mark
-- only convolution/innerProduct layers updatable, with unquantized weights.
-- SOURCE: apple/coremltools mlmodel/format/Model.proto (Model.isUpdatable,
-- spec 4); mlmodel/src/Validation/NeuralNetwork/UpdatableNeuralNetworkValidator.cpp;
-- docs-guides/source/comparing-ml-programs-and-neural-networks.md.

local rule = {
  id = "meta/updatable-model",
  name = "UpdatableModel",
  summary = "An updatable model's update setup is one Core ML refuses or never uses",
  help = [[
**Why.** An updatable model (`isUpdatable`, specification 4, iOS 13) is
retrained on the device with `MLUpdateTask`: the app must supply training
inputs, and the updatable layers keep float32, unquantized weights, so the
model cannot be compressed. Core ML validates the update setup when it loads
the model, so mistakes are load failures:

- an **ML Program** cannot be updatable: on-device update is not supported by
  ML programs (error) — use a pipeline of an ML program followed by an
  updatable neural network;
- only `convolution` and `innerProduct` layers may be marked updatable (error);
- updatable layers must not have quantized weights (error);
- a model marked updatable needs at least one updatable layer and training
  inputs (error / warning).

A well-formed updatable model is not reported (there is nothing to fix);
`coreml-lint inspect` lists it as updatable. A compiled model whose layers
cannot be read (a NeuralNetwork compiled for espresso) is checked only on what
is known: its flag and its training inputs.

**Example.** `model.mlmodel: error: the model is marked updatable but none of its layers is updatable [meta/updatable-model]`

**Fix.** Follow the coremltools examples in `docs-guides/source/updatable-*.md`
(`NeuralNetworkBuilder.make_updatable`, `set_categorical_cross_entropy_loss`,
`set_sgd_optimizer`, `set_epochs`); if no on-device training is planned, save
the model without `isUpdatable` so it can be compressed.

**Sources.** apple/coremltools `mlmodel/format/Model.proto` (`isUpdatable`);
`mlmodel/src/Validation/NeuralNetwork/UpdatableNeuralNetworkValidator.cpp`
(updatable layer kinds, unquantized weights, loss and optimizer);
`docs-guides/source/comparing-ml-programs-and-neural-networks.md`.]],
  level = "note",
  -- SARIF precision: a fact read from the file
  precision = "very-high",
  tags = { "metadata", "training" },
}

-- SOURCE: UpdatableNeuralNetworkValidator.cpp — only these layer kinds.
local updatable_kinds = { convolution = true, innerProduct = true }

local function check_one(model, ctx)
  local updatable_layers = 0
  for op in model:ops() do
    if op.is_updatable then
      updatable_layers = updatable_layers + 1
      if not updatable_kinds[op.kind] then
        ctx:report{
          at = op, level = "error",
          message = ("layer '%s' (%s) is marked updatable, but only convolution and innerProduct layers can be updated"):format(op.name, op.kind),
          fix = "mark only convolution or innerProduct layers as updatable",
        }
      end
      for name, v in pairs(op.attrs) do
        if type(v) == "userdata" and v.weight and v.weight.quantization then
          ctx:report{
            at = op, level = "error",
            message = ("updatable layer '%s' has quantized weights ('%s', %s): updatable layers need float weights"):format(op.name, name, v.weight.quantization),
            fix = "keep the updatable layers in float32 (do not quantize them)",
          }
        end
      end
    end
  end
  if not model.is_updatable then
    if updatable_layers > 0 then
      ctx:report{
        at = model, level = "warning",
        message = ("%d layer(s) are marked updatable but the model is not: they will never be trained"):format(updatable_layers),
        fix = "set isUpdatable on the model, or clear the layers' isUpdatable flags",
      }
    end
    return
  end
  if model.type == "mlProgram" then
    ctx:report{
      at = model, level = "error",
      message = "the ML Program is marked updatable, but on-device update is not supported by ML programs",
      fix = "use a pipeline of an ML program followed by an updatable neural network",
    }
    return
  end
  local nn = model.type == "neuralNetwork" or model.type == "neuralNetworkClassifier" or model.type == "neuralNetworkRegressor"
  if nn and updatable_layers == 0 and not model.unknown.graph then
    ctx:report{
      at = model, level = "error",
      message = "the model is marked updatable but none of its layers is updatable",
      fix = "mark the layers to train (convolution or innerProduct) as updatable, or clear isUpdatable",
    }
    return
  end
  if #model.training_inputs == 0 and #model.submodels == 0 and not model.unknown.interface then
    ctx:report{
      at = model, level = "warning",
      message = "the model is marked updatable but declares no training inputs",
      fix = "describe the training inputs (the loss input and the target) in the model description",
    }
  end
end

function rule.check(model, ctx)
  for m in model:models() do check_one(m, ctx) end
end

return rule
