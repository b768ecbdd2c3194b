-- SPDX-License-Identifier: Apache-2.0
-- io/classifier-logits: an ML Program classifier whose `classify` op reads
-- raw scores (a linear, matmul or convolution output, no softmax or
-- sigmoid between), so the label -> probability dictionary holds logits.
-- SOURCE: apple/coremltools converters/mil/mil/ops/defs/iOS15/classify.py
-- (classify builds the label and the probability dictionary from
-- `probabilities` as given: it does not normalize them);
-- docs-guides/source/classifiers.md (the dictionary maps each class to its
-- probability).

local rule = {
  id = "io/classifier-logits",
  name = "ClassifierLogits",
  summary = "A classifier's probability dictionary holds raw scores: no softmax before classify",
  help = [[
**Why.** An ML Program classifier ends in a `classify` op, which builds the
`classLabel` output and the label → probability dictionary from its
`probabilities` input exactly as given: it does not normalize them. When that
input comes straight from a linear layer, a matrix product or a convolution
(a PyTorch or Keras model converted with `ClassifierConfig` but without its
final softmax), the dictionary holds logits: values that can be negative and
do not add up to 1. `classLabel` is still the top class, but an app that
shows the probability ("87% cat") or thresholds it reads nonsense, and no
error at run time points at it.

The rule follows `probabilities` back through value-preserving ops (`cast`,
`reshape`, `squeeze`, `expand_dims`, `identity`, `transpose`) and reports
only when it reaches an op that certainly produces raw scores (`linear`,
`matmul`, `einsum`, `conv`, `conv_transpose`); a softmax, a sigmoid or any
other op on the way keeps it silent (an `add` may be an ensemble's sum of
probabilities).

**Example.** `model.mlmodel: warning: classify op 'classify_0' reads its probabilities from linear 'fc' with no softmax or sigmoid between: the label → probability dictionary holds raw scores (logits), which can be negative and do not add up to 1 [io/classifier-logits]`

**Fix.** Add the softmax to the model before converting (PyTorch: wrap the
module so that `forward` returns `torch.softmax(logits, dim=-1)`; Keras: a
final `Activation("softmax")`), or convert without `ClassifierConfig` and
normalize in the app.

**Sources.** apple/coremltools
`coremltools/converters/mil/mil/ops/defs/iOS15/classify.py` (`classify`);
`docs-guides/source/classifiers.md`.]],
  level = "warning",
  -- SARIF precision: read from the graph; a model that wants raw scores in
  -- its dictionary is possible but unusual
  precision = "high",
  tags = { "io", "classifier", "correctness" },
}

-- ops that pass values through unchanged (their type or layout only)
local PASS = { cast = true, reshape = true, squeeze = true, expand_dims = true, identity = true, transpose = true }
-- ops whose output is a raw score, never a probability
local RAW = { linear = true, matmul = true, einsum = true, conv = true, conv_transpose = true }

local function check_one(model, ctx)
  for op in model:ops() do
    if op.kind == "classify" then
      local v = op.inputs.probabilities
      local src = type(v) == "userdata" and v.producer or nil
      local steps = 0
      while src and PASS[src.kind] and steps < 16 do
        local x = src.inputs.x
        src = type(x) == "userdata" and x.producer or nil
        steps = steps + 1
      end
      if src and RAW[src.kind] then
        ctx:report{
          at = op,
          message = ("classify op '%s' reads its probabilities from %s '%s' with no softmax or sigmoid between: the label → probability dictionary holds raw scores (logits), which can be negative and do not add up to 1; classLabel is still the top class"):format(op.name, src.kind, src.name),
          fix = "add the final softmax to the model before converting (or convert without ClassifierConfig and normalize in the app)",
          related = { { at = src, message = "the raw scores come from here" } },
          props = { producer = src.kind },
        }
      end
    end
  end
end

function rule.check(model, ctx)
  for m in model:models() do check_one(m, ctx) end
end

return rule
