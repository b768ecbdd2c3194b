-- SPDX-License-Identifier: Apache-2.0
-- io/classifier-labels: a classifier's class labels do not match its
-- probabilities (count), or are empty or duplicated.
-- SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto
-- (NeuralNetworkClassifier: "same number and order of elements as
-- ClassLabels", labelProbabilityLayerName); coremltools
-- converters/mil/mil/ops/defs/iOS15/classify.py (classify: probabilities,
-- classes).

local rule = {
  id = "io/classifier-labels",
  name = "ClassifierLabels",
  summary = "Class labels do not match the classifier's probabilities, or are empty or duplicated",
  help = [[
**Why.** A classifier pairs its probability vector with its class labels, in
order: Core ML builds the `classLabel` output and the label → probability
dictionary from them. When the number of labels differs from the length of the
probability vector the model fails at prediction time (or silently drops
classes); an empty label set leaves the classifier without outputs;
duplicated labels collapse into one dictionary key, so one class's
probability is lost; an empty label string is legal but useless to the app.

The rule checks NeuralNetwork classifiers (the labels against the last
dimension of the probability layer's output, or the `outputChannels` of the
inner product feeding it) and ML Program `classify` ops (`classes` against the
last dimension of `probabilities`).

**Example.** `model.mlmodel: error: the classifier has 3 class labels but its probability output 'probs' has 4 entries [io/classifier-labels]`

**Fix.** Pass the exact label list of the training set to the converter:
`ct.convert(model, classifier_config=ct.ClassifierConfig(class_labels))`,
one unique label per output unit, in output order.

**Sources.** apple/coremltools `mlmodel/format/NeuralNetwork.proto`
(`NeuralNetworkClassifier`); `coremltools/converters/mil/mil/ops/defs/iOS15/classify.py`;
`docs-guides/source/classifiers.md`.]],
  level = "error",
  -- SARIF precision: a fact read from the file
  precision = "very-high",
  tags = { "io", "classifier" },
}

-- Shape-preserving ops we walk back through to find the layer that sets the
-- number of classes.
local passthrough = {
  softmax = true, activation = true, softmaxND = true, flatten = true, reshapeStatic = true,
  squeeze = true, scale = true, bias = true, cast = true, sigmoid = true,
}

local function last_dim(v)
  local s = v and v.shape
  if s and #s > 0 and s[#s] and s[#s] > 0 then return s[#s] end
  return nil
end

-- The class axis of a NeuralNetwork blob. Legacy layers (innerProduct,
-- softmax) put their units on the channel axis of [.., C, H, W] — the
-- probability vector of an image classifier is [1, 10, 1, 1], not a last
-- dimension of 10 — and on the last axis of a rank-1 or rank-2 blob.
-- SOURCE: NeuralNetwork.proto InnerProductLayerParams (rank 4 -> [x1, C_out,
-- 1, 1]) and SoftmaxLayerParams (axis -3).
local function nn_class_dim(v)
  local s = v and v.shape
  if not s or #s == 0 then return nil end
  if #s >= 3 then
    if s[#s] == 1 and s[#s - 1] == 1 and s[#s - 2] and s[#s - 2] > 0 then return s[#s - 2] end
    return nil
  end
  if s[#s] and s[#s] > 0 then return s[#s] end
  return nil
end

-- Number of classes the value at the end of the graph carries; dim reads
-- the class axis of a value's shape.
local function class_count(v, dim)
  dim = dim or last_dim
  for _ = 1, 32 do
    if not v then return nil end
    local n = dim(v)
    if n then return n end
    local p = v.producer
    if not p then return nil end
    local oc = p.attrs.outputChannels
    if type(oc) == "number" and oc > 0 then return oc end
    if not passthrough[p.kind] then return nil end
    local ins = p.inputs.input or p.inputs.x
    if type(ins) == "table" then ins = ins[1] end
    v = ins
  end
  return nil
end

-- How many positions or labels a message names, and a finding's
-- properties hold, before "and N more".
local MAX_LISTED, MAX_PROPS = 10, 100

local function listed(v, max)
  local parts = {}
  for i = 1, math.min(#v, max) do parts[i] = tostring(v[i]) end
  local s = table.concat(parts, ", ")
  if #v > max then s = s .. (" and %d more"):format(#v - max) end
  return s
end

local function check_labels(ctx, at, labels, what)
  if #labels == 0 then
    ctx:report{ at = at, message = ("%s has no class labels"):format(what),
                fix = "give the converter the class labels (ct.ClassifierConfig)" }
    return
  end
  -- one finding per defect, however many labels share it (a model with
  -- 10,000 empty labels is one problem, and must not flood the report)
  local seen, dups, empty = {}, {}, {}
  for i, l in ipairs(labels) do
    local key = tostring(l)
    if l == "" then
      empty[#empty + 1] = i
    elseif seen[key] then
      if seen[key] > 0 then dups[#dups + 1] = key end
      seen[key] = -1
    else
      seen[key] = i
    end
  end
  if #empty > 0 then
    local msg
    if #empty == 1 then
      msg = ("%s has an empty class label at position %d"):format(what, empty[1])
    else
      msg = ("%s has %d empty class labels, at positions %s"):format(what, #empty, listed(empty, MAX_LISTED))
    end
    ctx:report{ at = at, level = "warning", message = msg, fix = "name every class" }
  end
  if #dups > 0 then
    local shown = {}
    for i = 1, math.min(#dups, MAX_PROPS) do shown[i] = dups[i] end
    ctx:report{ at = at,
                message = ("%s has duplicated class labels (%s): their probabilities collapse into one dictionary entry"):format(what, listed(dups, MAX_LISTED)),
                fix = "make every class label unique",
                props = { duplicates = shown, duplicate_count = #dups } }
  end
end

local function check_nn(model, ctx)
  -- a compiled classifier keeps its labels and layers in coremlc's files
  if model.unknown.class_labels then return end
  local labels = model.class_labels
  check_labels(ctx, model, labels, "the classifier")
  if #labels == 0 or model.unknown.graph then return end
  -- the probability layer: the op producing predicted_probabilities_name,
  -- else the last op of the network
  local prob_name = model.predicted_probabilities_name
  local target, last
  for op in model:ops() do
    if not op.is_const then last = op end
    for _, out in ipairs(op.outputs) do
      if prob_name and out.name == prob_name then target = out end
    end
  end
  if not target and last then target = last.outputs[1] end
  local n = class_count(target, nn_class_dim)
  if n and n ~= #labels then
    ctx:report{
      at = target.producer or model,
      message = ("the classifier has %d class labels but its probability output '%s' has %d entries"):format(#labels, target.name, n),
      fix = "pass exactly one label per output unit, in output order (ct.ClassifierConfig)",
      related = { { at = model, message = "class labels declared here" } },
      props = { labels = #labels, probabilities = n },
    }
  end
end

local function check_program(model, ctx)
  local classify
  for op in model:ops() do
    if op.kind == "classify" then
      classify = classify or op
      local classes = op.inputs.classes
      local n_classes
      if type(classes) == "userdata" then
        local w = classes.weight
        if not w and classes.producer and classes.producer.kind == "const" then
          local val = classes.producer.attrs.val
          if type(val) == "userdata" then w = val.weight end
        end
        -- a list the loader could not type (dtype "unknown") has no count
        if w and w.dtype ~= "unknown" then n_classes = w.count end
        n_classes = n_classes or last_dim(classes)
      end
      local n_probs = class_count(op.inputs.probabilities)
      if n_classes and n_classes == 0 then
        ctx:report{ at = op, message = ("classify op '%s' has no classes"):format(op.name) }
      elseif n_classes and n_probs and n_classes ~= n_probs then
        ctx:report{
          at = op,
          message = ("classify op '%s' has %d classes but its probabilities have %d entries"):format(op.name, n_classes, n_probs),
          fix = "pass exactly one label per output unit, in output order (ct.ClassifierConfig)",
          props = { labels = n_classes, probabilities = n_probs },
        }
      end
    end
  end
  if model.class_label_kind then
    -- an ML Program's labels are its classify op's classes: found there
    check_labels(ctx, classify or model, model.class_labels, "the classifier")
  end
end

local function check_one(model, ctx)
  if model.type == "neuralNetworkClassifier" then
    check_nn(model, ctx)
  elseif model.type == "mlProgram" then
    check_program(model, ctx)
  elseif model.class_label_kind and not model.unknown.class_labels then
    check_labels(ctx, model, model.class_labels, "the classifier")
  end
end

function rule.check(model, ctx)
  for m in model:models() do check_one(m, ctx) end
end

return rule
