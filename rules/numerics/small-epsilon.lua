-- SPDX-License-Identifier: Apache-2.0
-- numerics/small-epsilon: a normalization (or rsqrt/log/inverse) epsilon that
-- is zero, or so small that it rounds to zero in float16, in an op that
-- computes in fp16.
-- SOURCE: apple/ml-ane-transformers ane_transformers/huggingface/
-- distilbert.py:13-15 (LayerNorm eps 1e-12 "is not friendly with the float16
-- precision that ANE uses by default", uses 1e-7); coremltools
-- docs-guides/source/typed-execution.md (GPU and NE compute in float16);
-- coremltools mil/passes/defs/quantization.py (fp16 cast lifts underflowing
-- constants to the smallest fp16); mlmodel/format/NeuralNetwork.proto
-- (BatchnormLayerParams.epsilon, MeanVarianceNormalizeLayerParams.epsilon,
-- L2NormalizeLayerParams.epsilon, LayerNormalizationLayerParams.eps); MIL op
-- definitions (epsilon inputs of layer_norm, batch_norm, instance_norm,
-- l2_norm, rsqrt, log, inverse); rules-knowledge §4.1 P1, P6, P8, P10, §5.17.

local rule = {
  id = "numerics/small-epsilon",
  name = "SmallEpsilon",
  summary = "A normalization epsilon is zero or rounds to zero in float16",
  help = [[
**Why.** Normalizations divide by `sqrt(variance + epsilon)` (and `rsqrt`,
`inverse`, `log` add their `epsilon` to the input). The epsilon only protects
against division by zero if it survives in the precision the op computes in.
The GPU and the Neural Engine compute in float16, where the smallest
subnormal is 5.96e-8: an epsilon below about 2.98e-8 — such as the 1e-12 of
BERT-family `LayerNorm`s — rounds to **0**, and a constant (zero-variance)
input, a padding token for example, turns into inf/NaN. Apple's own
ANE-optimized DistilBERT replaces 1e-12 with 1e-7 because 1e-12 "is not
friendly with the float16 precision that ANE uses by default".

The rule reports, as warnings:

- ML Program ops computing in fp16 (`layer_norm`, `batch_norm`,
  `instance_norm`, `l2_norm`, `rsqrt`, `log`, `inverse`; option `ops`) whose
  `epsilon` is 0 or below the threshold;
- NeuralNetwork `batchnorm`, `mvn`, `l2normalize` and `layerNormalization`
  layers with such an epsilon: NeuralNetwork layers run in fp16 on the GPU and
  the Neural Engine (option `neural_network`). An epsilon of 0 in `batchnorm`
  (1e-5), `mvn` and `l2normalize` (1e-6) means the default in brackets, and is
  judged as that; `layerNormalization` has no such default.

fp32 ops of an ML Program are left alone. Recent coremltools lift fp32
constants that would underflow to the smallest fp16 when they cast a program
to fp16, so converted ML Programs rarely hit this; NeuralNetwork models and
hand-built programs do. Epsilons in the fp16 subnormal band (5.96e-8 up to
6.1e-5 — Apple's 1e-7, and even PyTorch's default 1e-5) survive with reduced
precision and are not reported by default; raise `min_epsilon` (say to 1e-7)
to hold models to a stricter house rule.

**Example.** `model.mlmodel: warning: batchnorm 'bn1' has epsilon 1e-12, which rounds to 0 in float16 (NeuralNetwork layers compute in float16 on the GPU and the Neural Engine) [numerics/small-epsilon]`

**Fix.** Use an epsilon representable in fp16 — 1e-5 (PyTorch's default) or
at least 1e-7 — before converting (`nn.LayerNorm(d, eps=1e-5)`), or keep the
op in fp32 with
`ct.transform.FP16ComputePrecision(op_selector=lambda op: op.op_type != "layer_norm")`.

**Sources.** apple/ml-ane-transformers
`ane_transformers/huggingface/distilbert.py`; apple/coremltools
`docs-guides/source/typed-execution.md`;
`coremltools/converters/mil/mil/passes/defs/quantization.py`;
`mlmodel/format/NeuralNetwork.proto`; hollance/neural-engine
`docs/16-bit.md`; rules-knowledge §4.1 (P1, P6, P8, P10), §5.17.]],
  level = "warning",
  tags = { "numerics", "fp16", "ane", "gpu" },
  options = {
    min_epsilon = {
      type = "number", default = 2.98023223876953125e-08,
      doc = "report epsilons below this value (1e-7 follows Apple's ANE transformers); epsilons that round to 0 in float16 (up to 2^-25 ≈ 2.98e-8, the default) are always reported",
    },
    ops = {
      type = "strings",
      default = { "layer_norm", "batch_norm", "instance_norm", "l2_norm", "rsqrt", "log", "inverse" },
      doc = "ML Program op types whose epsilon input is checked",
    },
    neural_network = {
      type = "bool", default = true,
      doc = "check NeuralNetwork batchnorm/mvn/l2normalize/layerNormalization layers (fp16 on GPU and NE)",
    },
  },
}

-- NeuralNetwork layer kind -> the field holding its epsilon
local NN_EPS = { batchnorm = "epsilon", mvn = "epsilon", l2normalize = "epsilon", layerNormalization = "eps" }
-- the epsilon a layer uses when its field is 0. SOURCE: coremltools
-- mlmodel/format/NeuralNetwork.proto: BatchnormLayerParams.epsilon "Defaults
-- to 1e-5 if not set or set to 0"; MeanVarianceNormalizeLayerParams and
-- L2NormalizeLayerParams epsilon "Defaults to 1e-6 if not set or set to 0";
-- LayerNormalizationLayerParams.eps states no default (0 is 0).
local NN_EPS_DEFAULT = { batchnorm = 1e-5, mvn = 1e-6, l2normalize = 1e-6 }
-- float16 rounds magnitudes at or below 2^-25 (half the smallest subnormal,
-- 2^-24 = 5.96e-8) to zero
local FP16_ZERO_BELOW = 2.98023223876953125e-08

-- The scalar number behind a value (its data, or a const op's val).
local function scalar(v)
  if type(v) == "number" then return v end
  if type(v) ~= "userdata" then return nil end
  local w = v.weight
  if not w and v.producer and v.producer.kind == "const" then
    local val = v.producer.attrs.val
    if type(val) == "number" then return val end
    if type(val) == "userdata" then w = val.weight end
  end
  if not w then return nil end
  local t = w:values(0, 1)
  return t and type(t[1]) == "number" and t[1] or nil
end

local function fp16_op(op)
  for _, o in ipairs(op.outputs) do
    if o.dtype == "fp16" then return true end
  end
  local x = op.inputs.x
  return type(x) == "userdata" and x.dtype == "fp16"
end

local function fmt(x) return ("%.3g"):format(x) end

local function judge(ctx, op, eps, where, default_of_zero)
  local a = math.abs(eps)
  -- a field of 0 that means the layer's default says so
  local shown = default_of_zero and ("0 (its default, %s)"):format(fmt(eps)) or nil
  if eps == 0 then
    ctx:report{
      at = op,
      message = ("%s '%s' has epsilon 0 (%s): a zero input or a zero variance gives inf/NaN"):format(op.kind, op.name, where),
      fix = "set the epsilon to 1e-5 (or at least 1e-7) before converting",
      props = { epsilon = eps },
    }
  elseif a <= FP16_ZERO_BELOW or a < ctx.options.min_epsilon then
    local zero = a <= FP16_ZERO_BELOW
    ctx:report{
      at = op,
      message = zero
        and ("%s '%s' has epsilon %s, which rounds to 0 in float16 (%s)"):format(op.kind, op.name, shown or fmt(eps), where)
        or ("%s '%s' has epsilon %s, below the threshold %s (%s; in float16 it is a subnormal with reduced precision)"):format(
          op.kind, op.name, shown or fmt(eps), fmt(ctx.options.min_epsilon), where),
      fix = "set the epsilon to 1e-5 (or at least 1e-7) before converting, or keep the op in fp32",
      props = { epsilon = eps, threshold = ctx.options.min_epsilon, rounds_to_zero = zero },
    }
  end
end

local function check_one(model, ctx)
  local checked = {}
  for _, k in ipairs(ctx.options.ops) do checked[k] = true end
  for op in model:ops() do
    if op.is_nn_layer then
      local field = NN_EPS[op.kind]
      if field and ctx.options.neural_network then
        local eps = op.attrs[field]
        local default_of_zero = eps == 0 and NN_EPS_DEFAULT[op.kind] ~= nil
        if default_of_zero then eps = NN_EPS_DEFAULT[op.kind] end
        if type(eps) == "number" then
          judge(ctx, op, eps, "NeuralNetwork layers compute in float16 on the GPU and the Neural Engine", default_of_zero)
        end
      end
    elseif checked[op.kind] and fp16_op(op) then
      local eps = scalar(op.inputs.epsilon)
      if eps then judge(ctx, op, eps, "the op computes in float16") end
    end
  end
end

function rule.check(model, ctx)
  for m in model:models() do check_one(m, ctx) end
end

return rule
