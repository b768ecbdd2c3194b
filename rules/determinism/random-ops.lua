-- SPDX-License-Identifier: Apache-2.0
-- determinism/random-ops: random number layers/ops make predictions differ
-- run to run (unless seeded) and are often left-overs of training mode.
-- SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto (random
-- layers 1170-1220, categoricalDistribution 1230: int64 seed);
-- coremltools/converters/mil/mil/ops/defs/iOS15/random.py (random_bernoulli,
-- random_categorical, random_normal, random_uniform: seed, default -1).

local rule = {
  id = "determinism/random-ops",
  name = "RandomOps",
  summary = "A random-number op makes predictions non-deterministic",
  help = [[
**Why.** Random layers (`randomNormal*`, `randomUniform*`, `randomBernoulli*`,
`categoricalDistribution`) and ML Program ops (`random_normal`,
`random_uniform`, `random_bernoulli`, `random_categorical`) draw new numbers on
every prediction. Without a seed (`seed = -1`, the default) two predictions on
the same input differ, which breaks tests, caching and reproducibility: a
warning. With a seed the output is repeatable (a note). A random op in an
inference graph is often a left-over of training mode (dropout, noise
injection) that the exporter kept.

**Example.** `model.mlpackage: warning: op 'noise' (random_normal) draws random numbers without a seed: predictions differ run to run [determinism/random-ops]`

**Fix.** Export the network in inference mode (`model.eval()` in PyTorch,
`training=False` in Keras) so dropout disappears; move sampling into app
code; or set a seed when the randomness is intended.

**Sources.** apple/coremltools `mlmodel/format/NeuralNetwork.proto` (random
layer params, `seed`); `coremltools/converters/mil/mil/ops/defs/iOS15/random.py`
(`seed`, default -1).]],
  level = "warning",
  -- SARIF precision: a fact read from the file
  precision = "very-high",
  tags = { "determinism", "numerics" },
}

-- SOURCE: NeuralNetwork.proto layer oneof names (fields 1170-1230).
local nn_random = {
  randomNormalLike = true, randomNormalStatic = true, randomNormalDynamic = true,
  randomUniformLike = true, randomUniformStatic = true, randomUniformDynamic = true,
  randomBernoulliLike = true, randomBernoulliStatic = true, randomBernoulliDynamic = true,
  categoricalDistribution = true,
}
-- SOURCE: coremltools mil/ops/defs/iOS15/random.py
local mil_random = {
  random_normal = true, random_uniform = true, random_bernoulli = true, random_categorical = true,
}

-- The constant behind a value: its own data, or a const op's `val`.
local function const_number(v)
  if type(v) ~= "userdata" then return v end
  local w = v.weight
  if not w and v.producer and v.producer.kind == "const" then
    local val = v.producer.attrs.val
    if type(val) ~= "userdata" then return val end
    w = val.weight
  end
  if w then return w:values(0, 1)[1] end
  return nil
end

local function check_one(model, ctx)
  for op in model:ops() do
    local seed
    local is_random = false
    if op.is_nn_layer and nn_random[op.kind] then
      is_random = true
      seed = op.attrs.seed or 0      -- proto3: an absent seed reads as 0
    elseif not op.is_nn_layer and mil_random[op.kind] then
      is_random = true
      seed = const_number(op.inputs.seed or op.attrs.seed)
      if seed == nil then seed = -1 end   -- random.py: seed defaults to -1
    end
    if is_random then
      if seed == -1 then
        ctx:report{
          at = op,
          message = ("op '%s' (%s) draws random numbers without a seed: predictions differ run to run"):format(op.name, op.kind),
          fix = "export in inference mode (model.eval()) so dropout/noise disappears, move sampling to app code, or set a seed",
          props = { kind = op.kind },
        }
      else
        ctx:report{
          at = op, level = "note",
          message = ("op '%s' (%s) draws random numbers with seed %s: repeatable, but check that randomness belongs in inference"):format(op.name, op.kind, tostring(seed)),
          fix = "export in inference mode (model.eval()) if this is a training left-over",
          props = { kind = op.kind, seed = seed },
        }
      end
    end
  end
end

function rule.check(model, ctx)
  for m in model:models() do check_one(m, ctx) end
end

return rule
