-- SPDX-License-Identifier: Apache-2.0
-- io/degenerate-output: an output that cannot carry information — a softmax
-- over an axis of size 1 (always 1.0), an argmax over an axis of size 1
-- (always 0), an output that depends on no input.
-- SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto
-- (SoftmaxLayerParams: softmax over the channel axis, C of [C, H, W];
-- SoftmaxNDLayerParams.axis; ReduceLayerParams ARGMAX; ArgMaxLayerParams.axis);
-- coremltools converters/mil/mil/ops/defs/iOS15/activation.py (softmax,
-- axis default -1) and reduction.py (reduce_argmax, axis).

local rule = {
  id = "io/degenerate-output",
  name = "DegenerateOutput",
  summary = "An output is constant: a softmax or argmax over an axis of size 1, or no dependence on any input",
  help = [[
**Why.** A softmax normalizes over one axis: over an axis of size 1 every
value is exp(x)/exp(x) = 1.0, whatever the input. An argmax over an axis of
size 1 is always 0. Both happen when a converter or a hand-built network
applies the operation on the wrong axis (a NeuralNetwork `softmax` works on
the channel axis of `[C, H, W]`; a one-unit dense layer followed by a softmax
is the classic Keras mistake for binary classifiers, where a sigmoid was
meant). An output that depends on no input at all is a constant, too. Such a
model loads and runs, and always answers the same: no error at run time
points at it.

The rule reads the shapes the IR infers (for NeuralNetwork layers, the same
shapes the reference executor computes; see
`tests/unit/probe/test_exec_nnshape.c`) and follows every output back to the
inputs. It reports only what is certain: a softmax or argmax whose axis is
known to have size 1, an output no path from an input, a state or a random op
reaches. The runtime probe (`coreml-lint probe`, opt-in) reports an output
that did not change across different generated inputs; where both run, its
finding about an output named here is folded into this one ("confirmed by
probe/constant-output").

**Example.** `model.mlmodel: warning: softmax 'prob' normalizes over an axis of size 1 (shape [1, 1, 1, 1]): its output is always 1.0, so output 'prob' is constant [io/degenerate-output]`

**Fix.** Use a sigmoid for a one-unit binary output, or apply the softmax on
the axis that holds the classes (`axis=-1` after a dense layer in
`[batch, classes]` layout); connect the output to the network.

**Sources.** apple/coremltools `mlmodel/format/NeuralNetwork.proto`
(`SoftmaxLayerParams`, `SoftmaxNDLayerParams`, `ReduceLayerParams`,
`ArgMaxLayerParams`); `coremltools/converters/mil/mil/ops/defs/iOS15/activation.py`
(`softmax`) and `reduction.py` (`reduce_argmax`).]],
  level = "warning",
  tags = { "io", "correctness" },
  -- the runtime probe observes the same outputs: its finding about an
  -- output this rule names (a related location) is folded into this one
  confirmed_by = { "probe/constant-output" },
}

local function shape_text(s)
  local t = {}
  for i, d in ipairs(s) do t[i] = tostring(d) end
  return "[" .. table.concat(t, ", ") .. "]"
end

-- a constant integer behind a value or attribute (MIL const op, literal)
local function const_int(x)
  if type(x) == "number" then return math.tointeger(x) end
  if type(x) ~= "userdata" then return nil end
  local w = x.weight
  if not w and x.producer and x.producer.kind == "const" then
    local val = x.producer.attrs.val
    if type(val) == "number" then return math.tointeger(val) end
    if type(val) == "userdata" then w = val.weight end
  end
  if w and w.count == 1 then
    local v = w:values(0, 1)
    if v and type(v[1]) == "number" then return math.tointeger(v[1]) end
  end
  return nil
end

local function first_input(op)
  local x = op.inputs.input or op.inputs.x
  if type(x) == "table" then x = x[1] end
  if type(x) == "userdata" then return x end
  return nil
end

-- 1-based index of axis (may be negative) in a shape of rank r
local function resolve(axis, r)
  if not axis then return nil end
  if axis < 0 then axis = axis + r end
  if axis < 0 or axis >= r then return nil end
  return axis + 1
end

-- The axis an op reduces over and its size when known: kind label, value
-- ("always 1.0" / "always 0"), the input shape, the axis size.
-- the op kinds degenerate_axis looks at: any other op is passed over before
-- its inputs and shapes are fetched (a model has thousands of ops)
local AXIS_KINDS = { softmax = true, softmaxND = true, argMax = true, reduce_argmax = true, reduce = true }

local function degenerate_axis(op)
  if not AXIS_KINDS[op.kind] then return nil end
  local x = first_input(op)
  local s = x and x.shape
  if not s or #s == 0 then return nil end
  local r, a, what = #s, nil, nil
  local k = op.kind
  if k == "softmax" and op.is_nn_layer then
    -- SOURCE: SoftmaxLayerParams — the channel axis (-3), the last one of a
    -- rank-1 or rank-2 blob (as the executor)
    a, what = r >= 3 and r - 2 or r, "1.0"
  elseif k == "softmaxND" then
    a, what = resolve(const_int(op.attrs.axis) or -1, r), "1.0"
  elseif k == "softmax" then
    a, what = resolve(const_int(op.inputs.axis) or const_int(op.attrs.axis) or -1, r), "1.0"
  elseif k == "argMax" then
    a, what = resolve(const_int(op.attrs.axis) or 0, r), "0"
  elseif k == "reduce_argmax" then
    a, what = resolve(const_int(op.inputs.axis) or const_int(op.attrs.axis) or -1, r), "0"
  elseif k == "reduce" and op.attrs.mode == "ARGMAX" then
    local ax = op.attrs.axis or "CHW"
    if ax == "C" then a = r >= 3 and r - 2 or r
    elseif ax == "H" then a = r >= 2 and r - 1 or 1
    elseif ax == "W" then a = r
    else return nil end
    what = "0"
  else
    return nil
  end
  if not a or s[a] ~= 1 then return nil end
  return what, s
end

-- Ops whose output varies without any input.
local SOURCES = {
  random_normal = true, random_uniform = true, random_bernoulli = true, random_categorical = true,
  randomNormal = true, randomUniform = true, randomBernoulli = true, randomNormalLike = true,
  randomUniformLike = true, randomBernoulliLike = true, randomNormalStatic = true,
  randomUniformStatic = true, randomBernoulliStatic = true, read_state = true,
}

local CONSTANTS = { const = true, loadConstant = true, loadConstantND = true }

-- value name -> true when some input, state or random op reaches it. One
-- pass of fn:ops() (program order: an op, then the ops of its blocks), so
-- no table of a block's ops holds every op at once (a chain of 120,000 ops
-- once went over the rule's memory cap); a control-flow op's blocks get
-- their inputs marked when the op is met, before their ops come.
local function reachable(fn)
  local reach = {}
  for _, v in ipairs(fn.inputs) do reach[v.name] = true end
  for op in fn:ops() do
    local kind = op.kind
    -- a constant (MIL const, NN loadConstant) has no inputs and no blocks:
    -- nothing reaches it (constexpr_* ops are walked: they have inputs)
    if not CONSTANTS[kind] then
      local blocks = op.blocks
      local live = SOURCES[kind] or #blocks > 0
      if not live then
        -- an argument is a value or a list of values; the first reached
        -- one settles it
        for _, arg in pairs(op.inputs) do
          if type(arg) == "userdata" then
            live = reach[arg.name] or false
          elseif type(arg) == "table" then
            for _, v in ipairs(arg) do
              if type(v) == "userdata" and reach[v.name] then live = true break end
            end
          end
          if live then break end
        end
      end
      for _, b in ipairs(blocks) do
        for _, v in ipairs(b.inputs) do reach[v.name] = true end
      end
      if live then
        for _, o in ipairs(op.outputs) do reach[o.name] = true end
      end
    end
  end
  return reach
end

local function is_nn(m)
  return m.type == "neuralNetwork" or m.type == "neuralNetworkClassifier" or m.type == "neuralNetworkRegressor"
end

-- The values behind the model's outputs: a program's block outputs; for a
-- NeuralNetwork the blobs named as outputs, and a classifier's probability
-- blob (its outputs are built from it).
local function output_values(m, fn)
  local out = {}
  if m.type == "mlProgram" then
    for _, v in ipairs(fn.block.outputs) do out[#out + 1] = { value = v, name = v.name } end
    return out
  end
  local produced, last = {}, nil
  for _, op in ipairs(fn.block.ops) do
    for _, o in ipairs(op.outputs) do produced[o.name] = o end
    if not op.is_const and op.outputs[1] then last = op.outputs[1] end
  end
  for _, f in ipairs(m.outputs) do
    if produced[f.name] then out[#out + 1] = { value = produced[f.name], name = f.name } end
  end
  if m.type == "neuralNetworkClassifier" then
    local p = m.predicted_probabilities_name and produced[m.predicted_probabilities_name] or last
    if p and not produced[m.predicted_probabilities_name or ""] then
      out[#out + 1] = { value = p, name = m.predicted_probabilities_name or p.name, probs = true }
    end
  end
  return out
end

local function check_one(m, ctx)
  if m.unknown.graph or not (is_nn(m) or m.type == "mlProgram") then return end
  local feature = {}
  for _, f in ipairs(m.outputs) do feature[f.name] = f end
  for _, fn in ipairs(m.functions) do
    local outs = output_values(m, fn)
    local out_of = {}
    for _, o in ipairs(outs) do out_of[o.value.name] = o.name end
    -- 1. softmax / argmax over a size-1 axis: one finding per op that makes
    -- an output constant; the others grouped by kind and shape (a decoder
    -- exported without its KV cache has one such softmax per layer: one
    -- fact, the layers related)
    local groups, order = {}, {}
    -- (fn:ops(), not m:ops() filtered by function: that was functions x
    -- ops, and 4,000 functions spent the rule's budget)
    for op in fn:ops() do
      local always, s = degenerate_axis(op)
      if always then
        local o = op.outputs[1]
        local out_name = out_of[o and o.name or ""]
        local key = out_name and ("output:" .. out_name) or (op.kind .. " " .. always .. " " .. shape_text(s))
        local g = groups[key]
        if g then
          g.more[#g.more + 1] = op
        else
          groups[key] = { op = op, always = always, s = s, out_name = out_name, more = {} }
          order[#order + 1] = key
        end
      end
    end
    for _, key in ipairs(order) do
      local g = groups[key]
      local op, n = g.op, #g.more
      local tail = g.out_name and (", so output '%s' is constant"):format(g.out_name) or ""
      local message
      if n == 0 then
        message = ("%s '%s' works over an axis of size 1 (input shape %s): its output is always %s%s"):format(
          op.kind, op.name, shape_text(g.s), g.always, tail)
      else
        message = ("%s '%s' and %d more %s op%s work over an axis of size 1 (input shape %s): their outputs are "
          .. "always %s"):format(op.kind, op.name, n, op.kind, n == 1 and "" or "s", shape_text(g.s), g.always)
      end
      local related = {}
      if g.out_name and feature[g.out_name] then
        related[1] = { at = feature[g.out_name], message = ("output '%s', always %s"):format(g.out_name, g.always) }
      end
      for i = 1, math.min(n, 8) do
        related[#related + 1] = { at = g.more[i], message = ("also over an axis of size 1: %s '%s'"):format(
          g.more[i].kind, g.more[i].name) }
      end
      ctx:report{
        at = op,
        message = message,
        related = related,
        fix = g.always ~= "1.0" and "take the argmax over the axis that holds the classes"
          or g.out_name and "use a sigmoid for a single-unit output, or apply the softmax on the axis that holds the classes"
          or "apply the softmax on the axis that holds the classes; if it is attention over one key (a decoder "
            .. "exported for a single token without its KV cache), export it with the cache or the sequence length it needs",
        props = { axis_size = 1, always = tonumber(g.always), shape = g.s, ops = n + 1 },
      }
    end
    -- 2. outputs no input reaches
    if #fn.inputs > 0 then
      local reach = reachable(fn)
      for _, o in ipairs(outs) do
        if not reach[o.value.name] then
          ctx:report{
            at = o.value.producer or m,
            message = ("output '%s' depends on no input of function '%s': it is the same for every prediction"):format(o.name, fn.name),
            related = feature[o.name] and { { at = feature[o.name], message = ("output '%s'"):format(o.name) } } or nil,
            fix = "connect the output to the network, or drop it from the model's outputs",
          }
        end
      end
    end
  end
end

function rule.check(model, ctx)
  for m in model:models() do check_one(m, ctx) end
end

return rule
