-- Reads every documented field of every object of any model (and calls
-- every method with in-range and out-of-range arguments). Run by test_lua.c
-- over the fixture examples and the corpus: it must never fail, and under
-- ASan/UBSan it proves the bindings read only valid IR. Reports one note
-- per model with the number of objects seen.
local rule = {
  id = "api/touch-all",
  name = "TouchAll",
  summary = "Touches every field",
  help = "Test rule.",
  level = "note",
  -- the empty stand-ins of unreadable models must be safe to walk too
  tags = { "unreadable-models" },
}

local model_fields = { "path", "format", "spec_version", "min_os", "type", "inputs", "outputs", "states",
  "training_inputs", "metadata", "has_metadata", "is_updatable", "class_labels", "class_label_kind",
  "predicted_feature_name", "predicted_probabilities_name", "preprocessing", "functions", "default_function",
  "submodels", "submodel_names", "parent", "classic", "weight_files", "diags", "size_bytes", "spec_bytes", "weight_bytes", "function_descriptions",
  "compiler_version", "program_version", "location", "unknown" }
local feature_fields = { "name", "description", "kind", "dtype", "optional", "shape", "flexible", "ranges",
  "enumerated", "width", "height", "color", "key_kind", "element_kind", "location" }
local function_fields = { "name", "opset", "inputs", "block", "op_count", "model", "location" }
local block_fields = { "inputs", "outputs", "ops", "parent", "location" }
local op_fields = { "kind", "name", "inputs", "outputs", "attrs", "blocks", "function_name", "compute",
  "compute_reason", "compute_source", "compute_tier", "is_const", "is_nn_layer", "is_updatable", "index",
  "parent", "location" }
local value_fields = { "name", "dtype", "type", "rank", "shape", "producer", "consumers", "weight",
  "compression", "is_function_input", "is_state", "location" }
local weight_fields = { "dtype", "shape", "count", "bytes", "storage", "quant_bits", "quantization", "location" }
local wfile_fields = { "path", "size_bytes", "storage_version", "blob_count", "blobs_parsed",
  "blobs_referenced", "payload_bytes", "dtype_counts", "location" }
local diag_fields = { "rule_id", "level", "message", "location" }

local seen
local function touch(obj, fields)
  if obj == nil or seen[obj] then return false end
  seen[obj] = true
  seen.n = seen.n + 1
  for _, f in ipairs(fields) do local _ = obj[f] end
  local _ = tostring(obj)
  return true
end

local touch_value
local function touch_weight(w)
  if touch(w, weight_fields) then
    w:read(0, 64); w:read(w.bytes, 8); w:read(1 << 50, 1)
    w:values(0, 16); w:values(w.count, 4); w:values(1 << 50, 1)
  end
end

local function touch_op(op)
  if not touch(op, op_fields) then return end
  for _, v in pairs(op.inputs) do
    if type(v) == "table" then for _, x in ipairs(v) do touch_value(x) end else touch_value(v) end
  end
  for _, v in ipairs(op.outputs) do touch_value(v) end
  for _, a in pairs(op.attrs) do if type(a) == "userdata" then touch_value(a) end end
  for _, b in ipairs(op.blocks) do
    if touch(b, block_fields) then
      for _, v in ipairs(b.inputs) do touch_value(v) end
      for _, v in ipairs(b.outputs) do touch_value(v) end
    end
  end
end

touch_value = function(v)
  if not touch(v, value_fields) then return end
  if v.weight then touch_weight(v.weight) end
  if v.producer then touch_op(v.producer) end
  for _, c in ipairs(v.consumers) do touch_op(c) end
end

local function touch_model(m)
  if not touch(m, model_fields) then return end
  for _, list in ipairs({ m.inputs, m.outputs, m.states, m.training_inputs }) do
    for _, f in ipairs(list) do touch(f, feature_fields) end
  end
  for _, fn in ipairs(m.functions) do
    touch(fn, function_fields)
    for _, v in ipairs(fn.inputs) do touch_value(v) end
    for op in fn:ops() do touch_op(op) end
  end
  if m.classic then
    touch(m.classic, function_fields)
    for op in m.classic:ops() do touch_op(op) end
  end
  for op in m:ops() do touch_op(op) end
  for w in m:weights() do touch_weight(w) end
  for _, wf in ipairs(m.weight_files) do touch(wf, wfile_fields) end
  for _, d in ipairs(m.diags) do touch(d, diag_fields) end
  for _, s in ipairs(m.submodels) do touch_model(s) end
end

-- model:models() lists the model and its sub-models depth first
local function preorder(m, out)
  out[#out + 1] = m
  for _, s in ipairs(m.submodels) do preorder(s, out) end
  return out
end

function rule.check(model, ctx)
  local want, i = preorder(model, {}), 0
  for m in model:models() do
    i = i + 1
    if want[i] ~= m then error(("model:models() item %d is not the depth-first sub-model"):format(i)) end
  end
  if i ~= #want then error(("model:models() listed %d models, the pipeline has %d"):format(i, #want)) end
  seen = { n = 0 }
  touch_model(model)
  ctx:report(model, "touched %d objects", seen.n)
  seen = nil
end

return rule
