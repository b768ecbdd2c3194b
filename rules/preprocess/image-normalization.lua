-- SPDX-License-Identifier: Apache-2.0
-- preprocess/image-normalization: how an image input is scaled and biased
-- before the network sees it, checked against the usual recipes.
-- SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto
-- (NeuralNetworkImageScaler: channelScale, red/green/blue/grayBias);
-- docs-guides/source/image-inputs.md (y = x * scale + bias); ML Program
-- converters insert `<input>__scaled__` (mul) and `<input>__biased__` (add)
-- after the input (coremltools converters/mil/frontend/_utils.py);
-- apple/coremltools#953, #1087; hollance/MobileNet-CoreML#9 (Caffe BGR means).

local rule = {
  id = "preprocess/image-normalization",
  name = "ImageNormalization",
  summary = "An image input's scale and bias do not match a known normalization recipe",
  help = [[
**Why.** Core ML hands an image input to the network as raw 0–255 pixel values
unless the model scales it: `y = x · scale + bias` (one global scale, one bias
per channel; `NeuralNetworkImageScaler`, or the `mul`/`add` ops the ML Program
converter inserts after the input). When that preprocessing does not match
what the network was trained with, predictions are quietly wrong — the most
common Core ML conversion bug (apple/coremltools#953, #1087). The rule
reports, as notes, image inputs that receive raw pixels and preprocessing that
matches no known recipe, and as a warning ImageNet biases in the wrong channel
order (red and blue swapped). Recognised recipes are silent unless the option
`report_recognized` is set:

| recipe | scale | bias (R, G, B) |
|---|---|---|
| [0, 1] | 1/255 ≈ 0.0039216 | 0 |
| [−1, 1] (TF MobileNet) | 1/127.5 ≈ 0.0078431 | −1 |
| torchvision ImageNet | 1/(0.226·255) ≈ 0.017352 | −2.1179, −2.0357, −1.8044 |
| ImageNet mean subtraction (Caffe) | s (1, or 1/255 …) | −123.68·s, −116.78·s, −103.94·s |

**Example.** `model.mlmodel: note: image input 'image' is scaled by 0.0039216 with bias (-0.485, -0.456, -0.406) (unrecognised); make sure this matches the training preprocessing [preprocess/image-normalization]`

**Fix.** Set the preprocessing at conversion to the training recipe:
`ct.ImageType(name="image", scale=1/(0.226*255.0), bias=[-0.485/0.229, -0.456/0.224, -0.406/0.225], color_layout=ct.colorlayout.RGB)`
(`docs-guides/source/image-inputs.md`).

**Sources.** apple/coremltools `mlmodel/format/NeuralNetwork.proto`
(`NeuralNetworkImageScaler`); `docs-guides/source/image-inputs.md`;
apple/coremltools#953, #1087; hollance/MobileNet-CoreML#9.]],
  level = "note",
  -- SARIF precision: the recipe is matched by its numbers, a custom one can look wrong
  precision = "medium",
  tags = { "preprocessing", "image", "numerics" },
  options = {
    report_recognized = {
      type = "bool", default = false,
      doc = "also report image inputs whose preprocessing matches a known recipe",
    },
  },
}

local function near(a, b, tol)
  return math.abs(a - b) <= (tol or 1e-3) * math.max(1, math.abs(b))
end

-- Known recipes: scale s and per-channel bias {r, g, b} (gray uses r).
local function recipe(s, r, g, b)
  if near(s, 1 / 255) and near(r, 0) and near(g, 0) and near(b, 0) then return "[0, 1]" end
  if near(s, 1 / 127.5) and near(r, -1) and near(g, -1) and near(b, -1) then return "[-1, 1] (TF MobileNet)" end
  if near(s, 1 / (0.226 * 255), 2e-3) and near(r, -0.485 / 0.229, 2e-3) and near(g, -0.456 / 0.224, 2e-3)
     and near(b, -0.406 / 0.225, 2e-3) then
    return "torchvision ImageNet"
  end
  if near(r, -123.68 * s, 2e-3) and near(g, -116.78 * s, 2e-3) and near(b, -103.94 * s, 2e-3) then
    return "ImageNet mean subtraction"
  end
  return nil
end

-- ImageNet means with red and blue swapped (the recipe of the other channel order).
local function swapped(s, r, g, b)
  if near(s, 1 / (0.226 * 255), 2e-3) and near(b, -0.485 / 0.229, 2e-3) and near(g, -0.456 / 0.224, 2e-3)
     and near(r, -0.406 / 0.225, 2e-3) then
    return true
  end
  return near(b, -123.68 * s, 2e-3) and near(g, -116.78 * s, 2e-3) and near(r, -103.94 * s, 2e-3)
     and not near(s, 0)
end

-- The constant number(s) behind a value (its data, or a const op's val).
local function const_values(v)
  if type(v) ~= "userdata" then return nil end
  local w = v.weight
  if not w and v.producer and v.producer.kind == "const" then
    local val = v.producer.attrs.val
    if type(val) == "number" then return { val } end
    if type(val) == "userdata" then w = val.weight end
  end
  return w and w:values(0, 4) or nil
end

local function fmt(x) return ("%.7g"):format(x) end

-- What the rule reads of a model, gathered once per check: judging each
-- image input by walking every op (and every preprocessing entry) again
-- made 2,000 image inputs over 2,000 layers spend the rule's budget.
--   pre: the first scaler or mean-image entry by feature name, and the
--        first with no feature name;
--   named: ML Program ops by name (program order);
--   readers: the ops reading each value, built when first asked.
local function facts_of(memo, model)
  local f = memo[model]
  if f then return f end
  f = { pre = {}, pre_any = nil, named = {}, readers = nil }
  for i, p in ipairs(model.preprocessing) do
    -- only entries that say something: an entry with no preprocessor
    -- (kind "none") does not hide a scaler after it
    if p.kind == "scaler" or p.kind == "meanImage" then
      if p.feature == "" then
        f.pre_any = f.pre_any or i
      elseif not f.pre[p.feature] then
        f.pre[p.feature] = i
      end
    end
  end
  if model.type == "mlProgram" then
    for op in model:ops() do
      local n = op.name
      if n:find("__", 1, true) then
        local l = f.named[n]
        if not l then l = {}; f.named[n] = l end
        l[#l + 1] = op
      end
    end
  end
  memo[model] = f
  return f
end

-- Scale and biases of one image input: from NN preprocessing, or from the
-- ML Program's `<name>__scaled__` / `<name>__biased__` ops.
local function preprocessing_of(memo, model, f, n_images)
  local facts = facts_of(memo, model)
  local i = facts.pre[f.name]
  if n_images == 1 and facts.pre_any and (not i or facts.pre_any < i) then i = facts.pre_any end
  local p = i and model.preprocessing[i]
  if p then
    if p.kind == "meanImage" then return { mean_image = true } end
    if p.kind == "scaler" then
      local gray = f.color == "GRAYSCALE" or f.color == "GRAYSCALE_FLOAT16"
      if gray then return { scale = p.scale, r = p.gray_bias, g = p.gray_bias, b = p.gray_bias, gray = true } end
      return { scale = p.scale, r = p.red_bias, g = p.green_bias, b = p.blue_bias }
    end
  end
  if model.type == "mlProgram" then
    local pre = nil
    for _, op in ipairs(facts.named[f.name .. "__scaled__"] or {}) do
      if op.kind == "mul" or op.kind == "real_div" then
        local y = const_values(op.inputs.y)
        pre = pre or { scale = 1, r = 0, g = 0, b = 0 }
        if y and y[1] then pre.scale = op.kind == "mul" and y[1] or 1 / y[1] end
      end
    end
    for _, op in ipairs(facts.named[f.name .. "__biased__"] or {}) do
      if op.kind == "add" then
        local y = const_values(op.inputs.y)
        pre = pre or { scale = 1, r = 0, g = 0, b = 0 }
        if y and #y >= 3 then pre.r, pre.g, pre.b = y[1], y[2], y[3]
        elseif y and y[1] then pre.r, pre.g, pre.b = y[1], y[1], y[1] end
      end
    end
    if pre and (f.color == "GRAYSCALE" or f.color == "GRAYSCALE_FLOAT16") then pre.gray = true end
    return pre
  end
  return nil
end

-- Ops that only move, resize, pad or retype pixels: normalization may follow
-- them. An fp16 ML Program starts with cast(image, "fp16") (coremltools
-- inserts it; Apple's DETR then subtracts the mean and scales in the graph).
local LAYOUT = {
  resizeBilinear = true, cropResize = true, crop = true, padding = true, upsample = true, permute = true,
  transpose = true, reshape = true, reshapeStatic = true, copy = true, resize_bilinear = true,
  upsample_bilinear = true, upsample_nearest_neighbor = true, resize = true, pad = true, identity = true,
  cast = true, expand_dims = true, squeeze = true,
}

local function const_producer(v)
  if type(v) ~= "userdata" then return false end
  if v.weight then return true end
  local p = v.producer
  return p ~= nil and (p.kind == "loadConstant" or p.kind == "loadConstantND" or p.kind == "const")
end

local function any_const(list)
  if type(list) == "userdata" then return const_producer(list) end
  for _, v in ipairs(list or {}) do
    if const_producer(v) then return true end
  end
  return false
end

local function num(x, d) if type(x) == "number" then return x end return d end

-- Whether op applies a constant affine step to the pixels (the network
-- normalizes inside its graph, as Apple's DeepLabV3 does: resize, then add
-- a constant per channel).
local function normalizing(op)
  local k, a = op.kind, op.attrs
  if k == "add" or k == "multiply" then
    local ins = op.inputs.input
    local n = type(ins) == "table" and #ins or 1
    if n == 1 then
      local alpha = num(a.alpha, k == "multiply" and 1 or 0)
      return alpha ~= (k == "multiply" and 1 or 0)
    end
    return any_const(ins)
  end
  if k == "scale" or k == "bias" or k == "batchnorm" then return not a.computeMeanVar end
  if k == "activation" and a.linear then
    return num(a["linear.alpha"], 1) ~= 1 or num(a["linear.beta"], 0) ~= 0
  end
  if k == "addBroadcastable" or k == "subtractBroadcastable" or k == "multiplyBroadcastable"
     or k == "divideBroadcastable" then
    return any_const(op.inputs.input)
  end
  if k == "add" or k == "sub" or k == "mul" or k == "real_div" then
    return const_producer(op.inputs.x) or const_producer(op.inputs.y)
  end
  return false
end

-- The ops reading a value (through layout-only ops), at most a few levels.
local function normalizes_in_graph(memo, model, name)
  local facts = facts_of(memo, model)
  local readers = facts.readers
  if not readers then
    readers = {}
    for op in model:ops() do
      for _, arg in pairs(op.inputs) do
        local list = type(arg) == "table" and arg or { arg }
        for _, v in ipairs(list) do
          if type(v) == "userdata" and v.name then
            readers[v.name] = readers[v.name] or {}
            table.insert(readers[v.name], op)
          end
        end
      end
    end
    facts.readers = readers
  end
  local frontier, seen = { name }, {}
  for _ = 1, 8 do
    local next_names = {}
    for _, n in ipairs(frontier) do
      for _, op in ipairs(readers[n] or {}) do
        if not seen[op] then
          seen[op] = true
          if normalizing(op) and not op.name:find("__scaled__", 1, true)
             and not op.name:find("__biased__", 1, true) then
            return true
          end
          if LAYOUT[op.kind] then
            for _, o in ipairs(op.outputs) do next_names[#next_names + 1] = o.name end
          end
        end
      end
    end
    if #next_names == 0 then return false end
    frontier = next_names
  end
  return false
end

-- The finding for image input f of the model that consumes it (stage), or
-- nil when there is nothing to say.
local function verdict(memo, stage, f, n_images, ctx)
  -- Apple's feature extractor scales and normalizes the image itself
  if stage.type == "visionFeaturePrint" then return nil end
  if stage.type ~= "mlProgram" and stage.type ~= "neuralNetwork" and stage.type ~= "neuralNetworkClassifier"
     and stage.type ~= "neuralNetworkRegressor" then
    return nil
  end
  -- a compiled NeuralNetwork keeps its preprocessing in coremlc's files
  if stage.unknown.preprocessing then return nil end
  local p = preprocessing_of(memo, stage, f, n_images)
  -- GRAYSCALE_FLOAT16 (OneComponent16Half) pixels are floats the app
  -- chooses, not 0-255 bytes: no "raw pixels" hint for them
  local raw_bytes = f.color ~= "GRAYSCALE_FLOAT16"
  local identity = p ~= nil and not p.mean_image and p.scale == 1 and p.r == 0 and p.g == 0 and p.b == 0
  if (p == nil or identity) then
    if not raw_bytes or normalizes_in_graph(memo, stage, f.name) then return nil end
    return {
      message = identity
        and ("image input '%s' has an identity scaler (scale 1, bias 0): the network receives raw 0-255 pixel values; make sure it was trained on those"):format(f.name)
        or ("image input '%s' has no scale or bias: the network receives raw 0-255 pixel values; make sure it was trained on those"):format(f.name),
      fix = "set ct.ImageType(scale=…, bias=[…]) at conversion to the training normalization",
    }
  end
  if p.mean_image then return nil end
  local bias = p.gray and fmt(p.r) or ("%s, %s, %s"):format(fmt(p.r), fmt(p.g), fmt(p.b))
  local name = recipe(p.scale, p.r, p.g, p.b)
  if not p.gray and swapped(p.scale, p.r, p.g, p.b) and (f.color == "RGB" or f.color == "BGR") then
    return {
      level = "warning",
      message = ("image input '%s' (%s) has ImageNet biases with red and blue swapped (bias %s): check the channel order against training"):format(f.name, f.color, bias),
      fix = "in Core ML the red bias applies to the red channel whatever the color layout; reorder the biases or fix color_layout",
      props = { scale = p.scale, bias = { p.r, p.g, p.b } },
    }
  end
  if name and not ctx.options.report_recognized then return nil end
  if not name and normalizes_in_graph(memo, stage, f.name) then return nil end
  return {
    message = ("image input '%s' is scaled by %s with bias (%s) (%s); make sure this matches the training preprocessing"):format(f.name, fmt(p.scale), bias, name or "unrecognised"),
    fix = "set ct.ImageType(scale=…, bias=[…], color_layout=…) to the training normalization",
    props = { scale = p.scale, bias = { p.r, p.g, p.b }, recipe = name or "unrecognised" },
  }
end

local function images_of(m)
  local images = {}
  for _, f in ipairs(m.inputs) do
    if f.kind == "image" then images[#images + 1] = f end
  end
  return images
end

-- A pipeline's image input is the app's: it is judged once, there, by the
-- stage(s) that read it; a stage reports only images of its own (features
-- that another stage produces).
function rule.check(model, ctx)
  local memo, n_images = {}, {}   -- what each model is read for, once per check
  local app = {}
  for _, f in ipairs(model.inputs) do app[f.name] = true end
  for m in model:models() do
    local images = images_of(m)
    for _, f in ipairs(images) do
      if m ~= model and app[f.name] then
        -- judged at the pipeline's interface below
      elseif #m.submodels == 0 then
        local t = verdict(memo, m, f, #images, ctx)
        if t then t.at = f; ctx:report(t) end
      elseif m == model then
        for stage in model:models() do
          if #stage.submodels == 0 then
            for _, sf in ipairs(stage.inputs) do
              if sf.name == f.name and sf.kind == "image" then
                local ni = n_images[stage]
                if not ni then
                  ni = #images_of(stage)
                  n_images[stage] = ni
                end
                local t = verdict(memo, stage, sf, ni, ctx)
                if t then t.at = f; ctx:report(t) end
              end
            end
          end
        end
      end
    end
  end
end

return rule
