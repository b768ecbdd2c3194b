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

-- Scale and biases of one image input: from NN preprocessing, or from the
-- ML Program's `<name>__scaled__` / `<name>__biased__` ops.
local function preprocessing_of(model, f, n_images)
  for _, p in ipairs(model.preprocessing) do
    if p.feature == f.name or (p.feature == "" and n_images == 1) then
      if p.kind == "meanImage" then return { mean_image = true } end
      if p.kind == "scaler" then
        local gray = f.color == "GRAYSCALE" or f.color == "GRAYSCALE_FLOAT16"
        if gray then return { scale = p.scale, r = p.gray_bias, g = p.gray_bias, b = p.gray_bias, gray = true } end
        return { scale = p.scale, r = p.red_bias, g = p.green_bias, b = p.blue_bias }
      end
    end
  end
  if model.type == "mlProgram" then
    local pre = nil
    for op in model:ops() do
      if op.name == f.name .. "__scaled__" and (op.kind == "mul" or op.kind == "real_div") then
        local y = const_values(op.inputs.y)
        pre = pre or { scale = 1, r = 0, g = 0, b = 0 }
        if y and y[1] then pre.scale = op.kind == "mul" and y[1] or 1 / y[1] end
      elseif op.name == f.name .. "__biased__" and op.kind == "add" then
        local y = const_values(op.inputs.y)
        pre = pre or { scale = 1, r = 0, g = 0, b = 0 }
        if y and #y >= 3 then pre.r, pre.g, pre.b = y[1], y[2], y[3]
        elseif y and y[1] then pre.r, pre.g, pre.b = y[1], y[1], y[1] end
      end
    end
    return pre
  end
  return nil
end

local function check_one(model, ctx)
  local images = {}
  for _, f in ipairs(model.inputs) do
    if f.kind == "image" then images[#images + 1] = f end
  end
  for _, f in ipairs(images) do
    local p = preprocessing_of(model, f, #images)
    -- GRAYSCALE_FLOAT16 (OneComponent16Half) pixels are floats the app
    -- chooses, not 0-255 bytes: no "raw pixels" hint for them
    local raw_bytes = f.color ~= "GRAYSCALE_FLOAT16"
    if p == nil and raw_bytes then
      ctx:report{
        at = f,
        message = ("image input '%s' has no scale or bias: the network receives raw 0-255 pixel values; make sure it was trained on those"):format(f.name),
        fix = "set ct.ImageType(scale=…, bias=[…]) at conversion to the training normalization",
      }
    elseif p ~= nil and not p.mean_image then
      local bias = p.gray and fmt(p.r) or ("%s, %s, %s"):format(fmt(p.r), fmt(p.g), fmt(p.b))
      local name = recipe(p.scale, p.r, p.g, p.b)
      if not p.gray and swapped(p.scale, p.r, p.g, p.b) and (f.color == "RGB" or f.color == "BGR") then
        ctx:report{
          at = f, level = "warning",
          message = ("image input '%s' (%s) has ImageNet biases with red and blue swapped (bias %s): check the channel order against training"):format(f.name, f.color, bias),
          fix = "in Core ML the red bias applies to the red channel whatever the color layout; reorder the biases or fix color_layout",
          props = { scale = p.scale, bias = { p.r, p.g, p.b } },
        }
      elseif not name or ctx.options.report_recognized then
        ctx:report{
          at = f,
          message = ("image input '%s' is scaled by %s with bias (%s) (%s); make sure this matches the training preprocessing"):format(f.name, fmt(p.scale), bias, name or "unrecognised"),
          fix = "set ct.ImageType(scale=…, bias=[…], color_layout=…) to the training normalization",
          props = { scale = p.scale, bias = { p.r, p.g, p.b }, recipe = name or "unrecognised" },
        }
      end
    end
  end
end

function rule.check(model, ctx)
  for m in model:models() do check_one(m, ctx) end
end

return rule
