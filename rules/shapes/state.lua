-- SPDX-License-Identifier: Apache-2.0
-- shapes/state: a state feature (stateful model, iOS 18) that Core ML's
-- validator rejects, or that the program never uses.
-- SOURCE: apple/coremltools mlmodel/src/Validation/InterfaceValidators.cpp
-- (kStateType: not optional, explicit non-negative shape, FLOAT16
-- or INT8, no flexible shape); mlmodel/src/Model.cpp
-- (modelTypeAllowsStatefulPrediction: mlProgram only); coremltools
-- converters/mil/input_types.py (int8 tensors need iOS26);
-- docs-guides/source/stateful-models.md; rules-knowledge §1.3, §5.20.

local rule = {
  id = "shapes/state",
  name = "StateFeature",
  summary = "A state of a stateful model has a type, shape or model type Core ML rejects, or is never used",
  help = [[
**Why.** Stateful models (iOS 18 / macOS 15, specification 9) declare
*states*: tensors that persist across predictions, read with `read_state` and
updated with `coreml_update_state` (serialized as `write_state`). Core ML
validates them strictly and refuses to load the model when a state

- appears in a model that is not an ML Program (only `mlProgram` allows
  stateful prediction),
- is optional, has no shape, a negative dimension or a flexible shape
  (range or enumerated),
- is not FLOAT16 (or INT8: the validator accepts it, coremltools writes int8
  tensors only for iOS 26 / specification 10 — reported as a warning there).

These are errors. (A state in a model below specification 9 is reported by
`compat/spec-feature-mismatch`.) A state the program never reads nor writes is reported as
a note: it costs memory in every `MLState` and usually means the converter
lost the state's update.

Valid states are silent; set `report_valid` to get a note per state
reminding that the app must create the state (`model.makeState()` in Swift,
`mlmodel.make_state()` in Python) and pass the same object to every
prediction.

**Example.** `model.mlpackage: error: state 'kv_cache' is FLOAT32; Core ML requires FLOAT16 (or INT8) states [shapes/state]`

**Fix.** Declare the state as
`ct.StateType(wrapped_type=ct.TensorType(shape=(…), dtype=np.float16), name=…)`
with a fixed shape, convert with `minimum_deployment_target=ct.target.iOS18`
and `convert_to="mlprogram"`, and keep the torch buffer fp16
(`register_buffer(…, torch.zeros(…, dtype=torch.float16))`).

**Sources.** apple/coremltools `mlmodel/src/Validation/InterfaceValidators.cpp`
(state feature validation); `mlmodel/src/Model.cpp`
(`modelTypeAllowsStatefulPrediction`); `coremltools/converters/mil/input_types.py`
(`StateType`; int8 needs iOS 26); `docs-guides/source/stateful-models.md`;
rules-knowledge §1.3, §5.20.]],
  level = "error",
  -- SARIF precision: a fact read from the file
  precision = "very-high",
  tags = { "shapes", "state", "compat" },
  options = {
    report_valid = {
      type = "bool", default = false,
      doc = "also note every valid state (the app must create it with makeState())",
    },
  },
}

local function dims_text(s)
  local t = {}
  for i, d in ipairs(s or {}) do t[i] = tostring(d) end
  return "[" .. table.concat(t, ", ") .. "]"
end

-- The function inputs of type state, by name (ML Programs).
local function state_values(model)
  local by_name = {}
  for _, fn in ipairs(model.functions) do
    for _, v in ipairs(fn.inputs) do
      if v.is_state or v.type == "state" then
        local t = by_name[v.name] or {}
        t[#t + 1] = v
        by_name[v.name] = t
      end
    end
  end
  return by_name
end

local function check_state(model, ctx, f, values)
  local bad = false
  local function err(message, fix, level)
    bad = true
    ctx:report{ at = f, level = level or "error", message = message, fix = fix }
  end
  local spec = model.spec_version or 0
  if model.type ~= "mlProgram" and model.type ~= "unknown" then
    err(("state '%s' is declared in a %s model; only ML Programs support stateful prediction"):format(f.name, model.type),
        "convert with convert_to=\"mlprogram\" and minimum_deployment_target=ct.target.iOS18")
  end
  if f.optional then
    err(("state '%s' is optional; states cannot be optional"):format(f.name), "declare the state as a required ct.StateType")
  end
  -- a compiled model's metadata.json may simply omit the shape or type:
  -- report only what it states
  local compiled = model.format == "mlmodelc"
  local shape = f.shape or {}
  if #shape == 0 and not compiled then
    err(("state '%s' has no shape; a state needs a fixed shape"):format(f.name), "give the wrapped ct.TensorType a fixed shape")
  else
    for i, d in ipairs(shape) do
      if d < 0 then
        err(("state '%s' has an invalid shape %s (dimension %d is negative)"):format(f.name, dims_text(shape), i - 1),
            "give the wrapped ct.TensorType a fixed, non-negative shape")
        break
      end
    end
  end
  if f.flexible then
    err(("state '%s' has a flexible (%s) shape; states must have a fixed shape"):format(f.name, f.flexible),
        "remove RangeDim / EnumeratedShapes from the state's wrapped ct.TensorType")
  end
  local dtype_known = not (compiled and (f.dtype == nil or f.dtype == "INVALID"))
  if dtype_known and f.dtype ~= "FLOAT16" and f.dtype ~= "INT8" then
    err(("state '%s' is %s; Core ML requires FLOAT16 (or INT8) states"):format(f.name, tostring(f.dtype or "untyped")),
        "declare the state fp16: ct.StateType(wrapped_type=ct.TensorType(shape=…, dtype=np.float16))")
  elseif dtype_known and f.dtype == "INT8" and spec > 0 and spec < 10 then
    err(("state '%s' is INT8 in a spec %d model; coremltools writes int8 tensors only for iOS 26 (specification 10): check that every OS the app supports accepts int8 states"):format(f.name, spec),
        "use an fp16 state, or convert with minimum_deployment_target=ct.target.iOS26", "warning")
  end
  -- use in the program
  if model.type == "mlProgram" and #model.functions > 0 then
    local vs = values[f.name]
    local used = false
    for _, v in ipairs(vs or {}) do
      if #v.consumers > 0 then used = true end
    end
    if not vs then
      ctx:report{
        at = f, level = "warning",
        message = ("state '%s' is declared in the model description but no function of the program takes it as a state input"):format(f.name),
        fix = "re-convert: the description and the program's function inputs must match",
      }
      bad = true
    elseif not used then
      ctx:report{
        at = f, level = "note",
        message = ("state '%s' is never read nor written by the program: it only costs memory in every MLState"):format(f.name),
        fix = "drop the state, or check that the converter kept its read_state / coreml_update_state ops",
      }
      bad = true
    end
  end
  if not bad and ctx.options.report_valid then
    ctx:report{
      at = f, level = "note",
      message = ("state '%s' (%s %s): the app must create it with makeState() and pass the same state to every prediction"):format(f.name, f.dtype, dims_text(shape)),
      fix = "let state = model.makeState(); model.prediction(from: input, using: state)",
    }
  end
end

local function check_one(model, ctx)
  local values = state_values(model)
  local declared = {}
  local states = {}
  for _, f in ipairs(model.states) do states[#states + 1] = f end
  -- a state may also be declared among the inputs (FeatureType.stateType)
  for _, f in ipairs(model.inputs) do
    if f.kind == "state" then states[#states + 1] = f end
  end
  local multifunction = #model.functions > 1 or model.default_function ~= nil
  for _, f in ipairs(states) do
    declared[f.name] = true
    check_state(model, ctx, f, values)
  end
  if multifunction and #model.states > 0 then
    ctx:report{
      at = model.states[1], level = "error",
      message = "a multifunction model declares states at the top level; each function must declare its own states",
      fix = "build the multifunction model with ct.utils.save_multifunction from single-function stateful models",
    }
  end
  -- state inputs of functions whose description the IR does not show
  -- (multifunction models): check the typed value itself
  for name, vs in pairs(values) do
    if not declared[name] then
      for _, v in ipairs(vs) do
        if v.dtype ~= "fp16" and v.dtype ~= "int8" and v.dtype ~= "unknown" then
          ctx:report{
            at = v, level = "error",
            message = ("state input '%s' is %s; Core ML requires fp16 (or int8) states"):format(name, v.dtype),
            fix = "declare the state fp16: ct.StateType(wrapped_type=ct.TensorType(shape=…, dtype=np.float16))",
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
