-- SPDX-License-Identifier: Apache-2.0
-- custom/custom-layer: a NeuralNetwork `custom` layer or an ML Program
-- `custom_layer` op; the app must implement it or the model fails to load.
-- SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto
-- (CustomLayerParams: className, weights, parameters, description; spec 2);
-- coremltools/converters/mil/frontend/milproto/load.py (custom_layer:
-- class_name); docs-guides/source/comparing-ml-programs-and-neural-networks.md;
-- apple/coremltools#1278 (custom layers do not run on the Neural Engine).

local rule = {
  id = "custom/custom-layer",
  name = "CustomLayer",
  summary = "A custom layer must be implemented by the app, or the model fails to load",
  help = [[
**Why.** A custom layer (NeuralNetwork `custom`, specification 2; ML Program
`custom_layer`) has no implementation in Core ML: the app must link a class
conforming to `MLCustomLayer` whose name is the layer's `className`, or the
model fails to load. Custom layers never run on the Neural Engine (an Apple
engineer in apple/coremltools#1278) and run on the CPU unless the class also
implements `MLCustomLayer`'s optional GPU method
`encode(commandBuffer:inputs:outputs:)`, so the graph is split around them. Apple lists custom operators among the features ML programs do
not support yet.
The app provides each class once: the layers that share a class are one
finding, at the first of them, the others listed as related locations.

**Example.** `model.mlmodel: warning: layer 'soft_threshold' is a custom layer: the app must provide the class 'CLSoftThreshold' (MLCustomLayer) … [custom/custom-layer]`

**Fix.** Express the layer with built-in operations (coremltools *composite
operators*, which "perform better than custom operators",
`docs-guides/source/composite-operators.md`), or split the model so that only
a small tail needs the custom class.

**Sources.** apple/coremltools `mlmodel/format/NeuralNetwork.proto`
(`CustomLayerParams`); `coremltools/converters/mil/frontend/milproto/load.py`
(`custom_layer`); `docs-guides/source/comparing-ml-programs-and-neural-networks.md`;
apple/coremltools#1278.]],
  level = "warning",
  -- SARIF precision: a fact read from the file
  precision = "very-high",
  tags = { "custom", "compatibility", "ane" },
  -- ane/unsupported-op names the same layer as running off the Neural
  -- Engine: its finding there restates this one's, so it is folded in
  -- (with its count of graph segments) instead of standing as a second
  -- warning about one layer
  confirmed_by = { "ane/unsupported-op" },
}

-- One finding per class: the app provides each class once, so the layers
-- that share it are one fix (a public style-transfer model has five
-- ResCropBlockLambda layers); the first layer is the location, the others
-- are related locations.
local function check_one(model, ctx)
  local order, by_class = {}, {}
  for op in model:ops() do
    if op.kind == "custom" and op.is_nn_layer or op.kind == "custom_layer" then
      local class = op.kind == "custom" and op.attrs.className or op.attrs.class_name
      if type(class) ~= "string" or class == "" then class = "(no className)" end
      local g = by_class[class]
      if not g then
        g = { class = class, ops = {} }
        by_class[class] = g
        order[#order + 1] = g
      end
      g.ops[#g.ops + 1] = op
    end
  end
  for _, g in ipairs(order) do
    local first, n = g.ops[1], #g.ops
    local related = {}
    for i = 2, math.min(n, 33) do
      related[#related + 1] = { at = g.ops[i], message = ("also class '%s'"):format(g.class) }
    end
    local layers = n == 1 and ("layer '%s' is a custom layer"):format(first.name)
      or ("%d layers ('%s' first) are custom layers of one class"):format(n, first.name)
    ctx:report{
      at = first,
      message = ("%s: the app must provide the class '%s' (MLCustomLayer) or the model fails to load; it never runs on the Neural Engine (Apple engineer, apple/coremltools#1278) and runs on the CPU unless the class also implements the GPU path (encode(commandBuffer:inputs:outputs:))"):format(layers, g.class),
      fix = "replace the custom layer with built-in (composite) operations, or split the model around it",
      related = #related > 0 and related or nil,
      props = { class_name = g.class, layers = n },
    }
  end
end

function rule.check(model, ctx)
  for m in model:models() do check_one(m, ctx) end
end

return rule
