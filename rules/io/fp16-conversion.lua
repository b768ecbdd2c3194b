-- SPDX-License-Identifier: Apache-2.0
-- io/fp16-conversion: data converted at the model boundary on every
-- prediction. For each function of each ML Program (pipeline sub-models
-- included) it matches the described multiArray inputs and outputs with the
-- program: a Float32 input consumed by a cast to fp16, or a Float32 output
-- produced by a cast from fp16, means the program computes in Float16 and the
-- caller's data is converted both ways; that is a note when Float16 I/O is
-- available (deployment target iOS 16 / macOS 13 and later, else the model's
-- own specification 7+), and nothing before (Float16 I/O does not exist
-- there). A Double multiArray input or output of an ML Program is always a
-- note (the program never computes in double). With the option
-- `grayscale_hint`, an 8-bit Grayscale image input cast to fp16 gets a hint
-- about GRAYSCALE_FLOAT16, off by default because 8-bit camera frames are the
-- normal case. NeuralNetwork models are untyped (their precision follows the
-- unit) and are not checked.
-- SOURCE: rules-knowledge 5.16 [A-doc]: "Float16 model IO (iOS16+) can reduce
-- the overhead of input and output type conversions for float16 typed
-- models" (coremltools docs-guides model-input-and-output-types.md:39, 4.1
-- P13); (b) FLOAT16 multiArray features need specification 7 (1.1, 1.3:
-- InterfaceValidators.cpp:186-190); (c) GRAYSCALE_FLOAT16 images (iOS 16,
-- docs-guides image-inputs.md:257); (d) coremltools'
-- convert_double_to_float_multiarray_type: ML Programs compute in fp32 or
-- fp16, never in double.

local rule = {
  id = "io/fp16-conversion",
  name = "Fp16IoConversion",
  summary = "Float32 or Double inputs and outputs of a Float16 ML Program are converted on every prediction.",
  description = "Reports multiArray inputs and outputs of an ML Program that are Float32 while the program "
    .. "casts them to or from Float16 (when Float16 I/O is available to the deployment target), and "
    .. "Double inputs and outputs, which an ML Program always converts.",
  help = [[
## Why

An ML Program converted with the default `compute_precision=ct.precision.FLOAT16` but with Float32 inputs and outputs starts with a `cast` to fp16 after every input and ends with a `cast` back to fp32 before every output: each prediction converts the caller's data twice. Since iOS 16 / macOS 13 (specification 7) inputs and outputs can be Float16 multiArrays, which "can reduce the overhead of input and output type conversions for float16 typed models" (coremltools, *Model Input and Output Types*). Before iOS 16 there is no Float16 I/O and the rule stays silent (set `target` so it knows). A Double multiArray is never what an ML Program computes in, so Core ML converts it on every prediction too.

coremltools 8 and later already give fp16 programs targeting iOS 16+ Float16 I/O unless a dtype is passed; the finding usually means an explicit `dtype=np.float32` or an older converter.

Note: Float16 I/O does not remove every copy — the Neural Engine writes only into IOSurface-backed buffers (Apple lounge answer; developer forums thread 745778).

## Example

```
Input 'x' is Float32 but the program computes in Float16; every prediction converts it (cast 'cast_0').
```

## Fix

```python
mlmodel = ct.convert(traced,
    inputs=[ct.TensorType(name="x", shape=(1, 3, 64, 64), dtype=np.float16)],
    outputs=[ct.TensorType(name="y", dtype=np.float16)],
    minimum_deployment_target=ct.target.iOS16)
```

or, on a saved model, `ct.utils.change_input_output_tensor_type(ml_model, from_type=..., to_type=...)`. With the option `grayscale_hint` the rule also points 8-bit Grayscale image inputs at `GRAYSCALE_FLOAT16` (useful only when the app has Float16 pixel data).

## Sources

- apple/coremltools `docs-guides/source/model-input-and-output-types.md`, `image-inputs.md`, `mlmodel-utilities.md`
- apple/coremltools `mlmodel/src/Validation/InterfaceValidators.cpp` (FLOAT16 needs specification 7)
]],
  help_uri = "https://apple.github.io/coremltools/docs-guides/source/model-input-and-output-types.html",
  level = "note",
  tags = { "io", "precision", "performance" },
  options = {
    grayscale_hint = {
      type = "bool",
      default = false,
      doc = "Also suggest GRAYSCALE_FLOAT16 for 8-bit Grayscale image inputs of fp16 programs (for apps that "
        .. "have Float16 pixel data).",
    },
  },
}


local FIX_FP16_IO = "declare it Float16: ct.TensorType(name=..., shape=..., dtype=np.float16) with "
  .. "minimum_deployment_target=ct.target.iOS16 (or ct.utils.change_input_output_tensor_type on the saved model)"
local FIX_DOUBLE_IO = "declare it Float32, or Float16 on iOS 16 / macOS 13 and later: ct.TensorType(name=..., "
  .. "shape=..., dtype=np.float32 or np.float16)"
local FIX_GRAYSCALE = "ct.ImageType(name=..., color_layout=ct.colorlayout.GRAYSCALE_FLOAT16) with "
  .. "minimum_deployment_target=ct.target.iOS16"

-- First OS version with Float16 multiArray I/O (specification 7), by
-- platform prefix of the deployment target (matched case-insensitively).
local FP16_IO_MIN = { visionos = 1, watchos = 9, macos = 13, tvos = 16, ios = 16 }

-- Is Float16 I/O available to the app: by the configured target, else (no
-- usable target) by the model's own specification version.
local function fp16_io_available(ctx, model)
  local before = ctx:target_before(FP16_IO_MIN)
  if before ~= nil then return not before end
  return model.spec_version >= 7
end

local function name_or_unknown(s)
  if s == nil or s == "" then return "?" end
  return s
end

-- name -> the first entry of that name in list (one pass; looking each
-- name up by a scan was quadratic in a function's inputs and outputs, and
-- a stranger's model with 8,000 outputs ran this rule out of its budget)
local function by_name(list)
  local t = {}
  for _, v in ipairs(list or {}) do
    local n = v.name
    if n ~= nil and t[n] == nil then t[n] = v end
  end
  return t
end

-- The described features of a function: its FunctionDescription in a
-- multifunction model, else the model's description. descs: by_name of the
-- model's function descriptions, built once per model.
local function described_features(model, fn, descs)
  if #model.function_descriptions > 0 then
    local d = descs[fn.name]
    if d == nil then return nil, nil end
    return d.inputs, d.outputs
  end
  return model.inputs, model.outputs
end

local function is_cast_to(op, dtype)
  if op == nil or op.kind ~= "cast" then return false end
  local out = op.outputs[1]
  return out ~= nil and out.dtype == dtype
end

-- The first cast to fp16 reading v (coremltools' input cast), or nil. For
-- image inputs, coremltools puts fp32 scale/bias ops (`<input>__scaled__`,
-- `__biased__`) in front of the cast; the compute-unit pass gives those
-- tier 0 (rules-knowledge 5.14).
local function cast_to_fp16(v)
  if v == nil then return nil end
  for _, c in ipairs(v.consumers) do
    if is_cast_to(c, "fp16") then return c end
    if (c.kind == "mul" or c.kind == "add") and c.compute_tier == nil then
      local out = c.outputs[1]
      if out ~= nil and out.dtype == "fp32" then
        local deeper = cast_to_fp16(out)
        if deeper then return deeper end
      end
    end
  end
  return nil
end

-- The cast from fp16 producing v (coremltools' output cast), or nil.
local function cast_from_fp16(v)
  local p = v and v.producer
  if not is_cast_to(p, "fp32") then return nil end
  local x = p.inputs.x
  if type(x) == "table" then x = x[1] end
  if x ~= nil and x.dtype == "fp16" then return p end
  return nil
end

local function report(ctx, model, f, cast, message, fix)
  ctx:report{
    at = f.location.logical ~= nil and f or model,
    message = message,
    fix = fix,
    related = cast and { { at = cast, message = "the conversion" } } or nil,
  }
end

-- A pipeline stage's input that another stage writes, or output that
-- another stage reads, is the pipeline's plumbing, not the app's: its type
-- must match the other stage's (SOURCE: coremltools mlmodel/src/Validation/
-- PipelineValidator.cpp), which may take only Double or Float32 (a
-- non-maximum suppression stage after a detector: NonMaximumSuppressionValidator.cpp),
-- so the conversion is not the app's to avoid. Pipelines nested in
-- pipelines: every enclosing one's stages. plumbing: the names every
-- enclosing pipeline's stages read (.inputs) and write (.outputs), built
-- once per model.
local function plumbing_of(model)
  local ins, outs = {}, {}
  local p = model.parent
  while p ~= nil do
    for _, s in ipairs(p.submodels) do
      for _, f in ipairs(s.inputs) do if f.name ~= nil then ins[f.name] = true end end
      for _, f in ipairs(s.outputs) do if f.name ~= nil then outs[f.name] = true end end
    end
    p = p.parent
  end
  return { inputs = ins, outputs = outs }
end

local function check_function(model, fn, ctx, descs, plumbing)
  if model.type ~= "mlProgram" then return end
  local ins, outs = described_features(model, fn, descs)
  local avail = fp16_io_available(ctx, model)
  local fn_inputs, fn_outputs = by_name(fn.inputs), by_name(fn.block.outputs)
  for _, f in ipairs(ins or {}) do
    -- an input another stage writes
    if f.name ~= nil and plumbing.outputs[f.name] then goto next_input end
    local cast = cast_to_fp16(f.name ~= nil and fn_inputs[f.name] or nil)
    local name = name_or_unknown(f.name)
    if f.kind == "multiArray" and f.dtype == "DOUBLE" then
      report(ctx, model, f, cast, ("Input '%s' is Double but the program computes in %s; every prediction "
        .. "converts it."):format(name, cast and "Float16" or "Float32 or Float16"), FIX_DOUBLE_IO)
    elseif f.kind == "multiArray" and f.dtype == "FLOAT32" and cast and avail then
      report(ctx, model, f, cast, ("Input '%s' is Float32 but the program computes in Float16; every prediction "
        .. "converts it (cast '%s')."):format(name, name_or_unknown(cast.name)), FIX_FP16_IO)
    elseif f.kind == "image" and f.color == "GRAYSCALE" and cast and avail and ctx.options.grayscale_hint then
      report(ctx, model, f, cast, ("Image input '%s' is 8-bit Grayscale and the program computes in Float16; if "
        .. "the app has Float16 pixel data, a GRAYSCALE_FLOAT16 input avoids converting it."):format(name),
        FIX_GRAYSCALE)
    end
    ::next_input::
  end
  for _, f in ipairs(outs or {}) do
    -- an output another stage reads
    if f.kind == "multiArray" and not (f.name ~= nil and plumbing.inputs[f.name]) then
      local cast = cast_from_fp16(f.name ~= nil and fn_outputs[f.name] or nil)
      local name = name_or_unknown(f.name)
      if f.dtype == "DOUBLE" then
        report(ctx, model, f, cast, ("Output '%s' is Double but the program computes in %s; every prediction "
          .. "converts it."):format(name, cast and "Float16" or "Float32 or Float16"), FIX_DOUBLE_IO)
      elseif f.dtype == "FLOAT32" and cast and avail then
        report(ctx, model, f, cast, ("Output '%s' is Float32 but the program computes in Float16; every "
          .. "prediction converts it (cast '%s')."):format(name, name_or_unknown(cast.name)), FIX_FP16_IO)
      end
    end
  end
end

-- every function of the model and of its pipeline sub-models
function rule.check(model, ctx)
  for m in model:models() do
    if m.type == "mlProgram" then
      local descs, plumbing = by_name(m.function_descriptions), plumbing_of(m)
      for _, fn in ipairs(m.functions) do
        if fn.block ~= nil then check_function(m, fn, ctx, descs, plumbing) end
      end
    end
  end
end

return rule
