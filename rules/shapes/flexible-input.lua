-- SPDX-License-Identifier: Apache-2.0
-- shapes/flexible-input: flexible input shapes that cost the Neural Engine,
-- memory or a load failure — shape ranges (bounded or not), too many
-- enumerated shapes, several enumerated inputs, default shapes outside the
-- declared flexibility.
-- SOURCE: apple/coremltools docs-guides/source/flexible-inputs.md (up to 128
-- enumerated shapes; bounded ranges; unbounded ranges not permitted for
-- mlprogram (coremltools 7+: backend/mil/load.py default_upper_bound; 6.3's
-- load.py wrote upper bound -1 for a symbolic dimension, public packages
-- carry it); "Core ML Preallocates the Default Shape"; one enumerated input
-- before iOS 18, same count from iOS 18; reshapeFrequency = Infrequent lets
-- flexible shapes use the NE from iOS 17.4); mlmodel/src/Validation/
-- InterfaceValidators.cpp (default shape within the enumerated shapes or the
-- range, ordered ranges, non-empty enumerations); apple/coremltools#1029,
-- #1764, #2370 (MLE5Engine message, range shapes off the NE), #1249 (memory
-- for the largest enumerated shape); rules-knowledge §4.3 S1-S8, §5.7.

local rule = {
  id = "shapes/flexible-input",
  name = "FlexibleInput",
  summary = "A flexible input shape (range or enumeration) keeps the model off the Neural Engine, wastes memory or breaks validation",
  help = [[
**Why.** Core ML inputs can be flexible: a *range* per dimension
(`ct.RangeDim`, `shapeRange` / `imageSizeRange`) or a list of *enumerated*
shapes (`ct.EnumeratedShapes`, `enumeratedShapes` / `enumeratedSizes`).
Flexibility has costs the converter does not warn about:

| finding | level | why |
|---|---|---|
| shape range, deployment target before iOS 17.4 / macOS 14.4 | warning | range-shaped inputs keep the model off the Neural Engine ("MLE5Engine is not currently supported for models with range shape inputs that try to utilize the Neural Engine"; apple/coremltools#1029, #1764, #2370) and the model re-plans for new shapes |
| shape range, target iOS 17.4+ | note | `reshapeFrequency = .infrequent` can let range-shaped inputs use the NE |
| shape range whose bounds are all equal (416..416), target before iOS 17.4 | note | the shape is fixed, but the input is still described as a range; whether Core ML counts it as range-shaped is not documented |
| unbounded range (`upperBound` −1) in an ML Program | warning | coremltools 5 and 6 wrote it for a symbolic dimension (`backend/mil/load.py` of 6.3); coremltools 7 and later bound such a dimension (`default_upper_bound` for `mlprogram`); how Core ML treats such a model is undocumented |
| unbounded range in a NeuralNetwork | warning | the input may grow until the device runs out of memory |
| more than 128 enumerated shapes | warning | Core ML supports up to 128 |
| more than one enumerated input before spec 9 (iOS 18) | error | only one input may use enumerated shapes before iOS 18 |
| enumerated inputs with different shape counts (spec ≥ 9) | error | shapes are matched by index across inputs |
| default shape not among the enumerated shapes, outside the range, of the wrong rank; empty enumeration; range lower > upper | error | Core ML's interface validation rejects the model |
| largest enumerated shape ≥ 4× the default's elements | note | Core ML preallocates the default shape; memory for the largest may be allocated anyway (#1249) |

Without a deployment target (`target` / `--target`), the model's own minimum
OS (from its specification version and those of its sub-models) stands in for
it. A pipeline's inputs are judged once, on the pipeline, against the stages
that read them; a stage is judged only on features of its own. Inputs read
only by Apple's feature extractors (Vision feature print, audio feature print,
sound analysis preprocessing) are not judged on size or the Neural Engine:
those extractors resize or window the input themselves on their own network
(Create ML image classifiers declare 299..unbounded images for that reason).

**Example.** `model.mlpackage: warning: input 'x' uses a shape range (dim 1: 1..128); range-shaped inputs keep the model off the Neural Engine before iOS 17.4 / macOS 14.4, and the app targets iOS16 [shapes/flexible-input]`

**Fix.** Prefer `ct.EnumeratedShapes` (at most 128) listing the shapes the app
really uses; give every `ct.RangeDim` an `upper_bound`; keep one enumerated
input before iOS 18 (ranges for the others). From iOS 17.4 load the model with
`MLModelConfiguration().optimizationHints.reshapeFrequency = .infrequent`; on
iOS 18 `ct.utils.materialize_dynamic_shape_mlmodel` turns a flexible model
into fixed-shape functions of a multifunction model.

The options set the house policy: `targets_ane` (report ranges because the app
wants the Neural Engine), `max_enumerated` (128) and
`enumerated_memory_ratio` (4; 0 turns the memory note off).

**Sources.** apple/coremltools `docs-guides/source/flexible-inputs.md`
(enumerated shapes, bounded and unbounded ranges, default shape
preallocation, multi-input enumerated shapes, reshape frequency hint);
`mlmodel/src/Validation/InterfaceValidators.cpp`; `coremltools/models/utils.py`
(`materialize_dynamic_shape_mlmodel`); apple/coremltools#1029, #1764, #2370,
#1249; rules-knowledge §4.3 (S1–S8), §5.7. The macOS/tvOS/watchOS/visionOS
thresholds (14.4/17.4/10.4/1.1) are the releases that shipped
`reshapeFrequency`, inferred rather than documented for the NE limit.]],
  level = "warning",
  -- SARIF precision: what Core ML does with a flexible shape depends on the device and OS
  precision = "medium",
  tags = { "shapes", "flexible-shapes", "ane", "performance" },
  options = {
    targets_ane = {
      type = "bool", default = true,
      doc = "the app wants the Neural Engine: report shape ranges that keep the model off it",
    },
    max_enumerated = {
      type = "int", default = 128,
      doc = "report inputs with more enumerated shapes than this (Core ML supports up to 128)",
    },
    enumerated_memory_ratio = {
      type = "number", default = 4,
      doc = "note inputs whose largest enumerated shape has at least this many times the default's elements (0: off)",
    },
  },
}

-- First OS that lets range-shaped inputs use the NE (reshapeFrequency =
-- .infrequent): iOS 17.4 (flexible-inputs.md); the other platforms' releases
-- of the same generation.
local RANGE_NE_MIN = { ios = "17.4", macos = "14.4", tvos = "17.4", watchos = "10.4", visionos = "1.1" }
local PLATFORM_NAMES = { ios = "iOS", macos = "macOS", tvos = "tvOS", watchos = "watchOS", visionos = "visionOS" }

local function parse_version(s)
  local v = {}
  for n in tostring(s):gmatch("%d+") do v[#v + 1] = tonumber(n) end
  return v
end

local function version_less(a, b)
  for i = 1, math.max(#a, #b) do
    local x, y = a[i] or 0, b[i] or 0
    if x ~= y then return x < y end
  end
  return false
end

-- Whether the OS the app (or, without a target, the model) may run on is
-- older than the first that lets ranges use the NE, and that OS as text
-- (true, nil when neither is known).
local function before_range_ne(model, ctx)
  local before = ctx:target_before(RANGE_NE_MIN)
  if before ~= nil then return before, ctx.target end
  local mo = model.min_os or {}
  for _, p in ipairs({ "ios", "macos", "tvos", "watchos", "visionos" }) do
    if mo[p] then
      return version_less(parse_version(mo[p]), parse_version(RANGE_NE_MIN[p])), PLATFORM_NAMES[p] .. " " .. mo[p]
    end
  end
  return true, nil
end

local function dims_text(s)
  local t = {}
  for i, d in ipairs(s or {}) do t[i] = tostring(d) end
  return "[" .. table.concat(t, ", ") .. "]"
end

local function elements(s)
  local n = 1
  for _, d in ipairs(s or {}) do
    if d > 0 then n = n * d end
  end
  return n
end

local function same_shape(a, b)
  if #a ~= #b then return false end
  for i = 1, #a do
    if a[i] ~= b[i] then return false end
  end
  return true
end

-- The default shape of an input: the array shape, or {height, width} of an
-- image (both as declared; empty when none is declared).
local function default_shape(f)
  if f.kind == "image" then
    if (f.height or 0) > 0 and (f.width or 0) > 0 then return { f.height, f.width } end
    return {}
  end
  return f.shape or {}
end

local function dim_label(f, i)
  if f.kind == "image" then return i == 1 and "height" or "width" end
  return "dim " .. (i - 1)
end

-- every range of f has equal bounds (416..416): the shape is fixed
local function equal_bounds(f)
  local rs = f.ranges or {}
  for _, r in ipairs(rs) do
    if r.lower ~= r.upper then return false end
  end
  return #rs > 0
end

local function range_text(f)
  local parts = {}
  for i, r in ipairs(f.ranges or {}) do
    if r.lower ~= r.upper then
      parts[#parts + 1] = ("%s: %d..%s"):format(dim_label(f, i), r.lower, r.upper < 0 and "unbounded" or tostring(r.upper))
    end
  end
  if #parts == 0 then return "every dimension fixed" end
  return table.concat(parts, ", ")
end

-- What reads an input: the model itself, or for a pipeline's input the
-- stages (leaf sub-models) that take a feature of that name.
local function consumers(model, name)
  if #model.submodels == 0 then return { model } end
  local out = {}
  for m in model:models() do
    if #m.submodels == 0 then
      for _, f in ipairs(m.inputs) do
        if f.name == name then out[#out + 1] = m break end
      end
    end
  end
  return out
end

local function any_type(list, t)
  for _, m in ipairs(list) do if m.type == t then return true end end
  return false
end

-- Apple's own feature extractors (Model.proto: VisionFeaturePrint,
-- AudioFeaturePrint, SoundAnalysisPreprocessing).
local APPLE_EXTRACTOR = { visionFeaturePrint = true, audioFeaturePrint = true, soundAnalysisPreprocessing = true }

local function all_extractors(list)
  if #list == 0 then return false end
  for _, m in ipairs(list) do if not APPLE_EXTRACTOR[m.type] then return false end end
  return true
end

local function check_range(model, ctx, f, report)
  local ranges = f.ranges or {}
  -- interface validity: ordered ranges, default inside, matching rank
  for i, r in ipairs(ranges) do
    if r.upper >= 0 and r.lower > r.upper then
      report{
        at = f, level = "error",
        message = ("input '%s' has an invalid range for %s: lower bound %d > upper bound %d; Core ML rejects the model"):format(f.name, dim_label(f, i), r.lower, r.upper),
        fix = "give every ct.RangeDim lower_bound <= upper_bound",
      }
    end
  end
  local def = default_shape(f)
  if #def > 0 then
    if f.kind ~= "image" and #def ~= #ranges then
      report{
        at = f, level = "error",
        message = ("input '%s' has a %d-d default shape %s but a %d-d shape range; Core ML rejects the model"):format(f.name, #def, dims_text(def), #ranges),
        fix = "declare one ct.RangeDim (or fixed size) per dimension of the default shape",
      }
    else
      for i, r in ipairs(ranges) do
        local d = def[i]
        if d and (d < r.lower or (r.upper >= 0 and d > r.upper)) then
          report{
            at = f, level = "error",
            message = ("input '%s' has a default size of %d for %s, outside its range %d..%s; Core ML rejects the model"):format(f.name, d, dim_label(f, i), r.lower, r.upper < 0 and "unbounded" or tostring(r.upper)),
            fix = "set the RangeDim default (or the image size) inside [lower_bound, upper_bound]",
          }
          break
        end
      end
    end
  end
  -- Apple's feature extractors resize (Vision feature print: 299 x 299) or
  -- window (audio) whatever they get on their own network: the range says
  -- nothing about memory or the Neural Engine there.
  local readers = consumers(model, f.name)
  if all_extractors(readers) then return end
  local program = model.type == "mlProgram" or any_type(readers, "mlProgram")
  -- unbounded dimensions: one finding naming every one of them
  local unbounded = {}
  for i, r in ipairs(ranges) do
    if r.upper < 0 then unbounded[#unbounded + 1] = i end
  end
  if #unbounded > 0 then
    local function each(show)
      local parts = {}
      for k, i in ipairs(unbounded) do parts[k] = show(dim_label(f, i), ranges[i]) end
      if #parts == 1 then return parts[1] end
      return table.concat(parts, ", ", 1, #parts - 1) .. " and " .. parts[#parts]
    end
    local first = ranges[unbounded[1]]
    local dims = {}
    for k, i in ipairs(unbounded) do dims[k] = i - 1 end
    local props = { dimension = unbounded[1] - 1, dimensions = dims, lower = first.lower, upper = first.upper }
    if program then
      report{
        at = f, level = "warning",
        message = ("input '%s' has an unbounded range for %s in an ML Program: coremltools 5 and 6 wrote that for a dimension left symbolic, coremltools 7 and later bound it, and how Core ML treats an unbounded ML Program input is undocumented"):format(f.name, each(function(d, r) return ("%s (upper bound %d)"):format(d, r.upper) end)),
        fix = "re-convert with coremltools 7 or later, giving every ct.RangeDim a positive upper_bound",
        props = props,
      }
    else
      report{
        at = f, level = "warning",
        message = ("input '%s' has an unbounded range for %s: only the device's memory limits the input, and a large input can crash the app"):format(f.name, each(function(d, r) return ("%s (%d..unbounded)"):format(d, r.lower) end)),
        fix = "set the largest size the app sends as ct.RangeDim(upper_bound=…)",
        props = props,
      }
    end
  end
  -- the Neural Engine
  if not ctx.options.targets_ane then return end
  local before, text = before_range_ne(model, ctx)
  if before then
    local where
    if ctx.target and text == ctx.target then
      where = "the app targets " .. text
    elseif text then
      where = "the model may run on " .. text .. " (its minimum OS; no deployment target given)"
    else
      where = "the deployment target is unknown"
    end
    if equal_bounds(f) then
      -- a range whose bounds are equal (coremltools 5 wrote 416..416 for an
      -- image whose program input had a symbolic batch): still a range in
      -- the description, but whether Core ML treats it as range-shaped is
      -- not documented: a note, not a warning
      local dims = {}
      for i, r in ipairs(f.ranges or {}) do dims[#dims + 1] = ("%s %d..%d"):format(dim_label(f, i), r.lower, r.upper) end
      report{
        at = f, level = "note",
        message = ("input '%s' declares a shape range whose bounds are equal (%s): it fixes the shape, but the input is still described as range-shaped, and range-shaped inputs keep a model off the Neural Engine before iOS 17.4 / macOS 14.4 (apple/coremltools#1764); whether Core ML counts an equal-bounds range is not documented, and %s"):format(
          f.name, table.concat(dims, ", "), where),
        fix = "declare the fixed shape (ct.ImageType(shape=…) / ct.TensorType(shape=…) without ct.RangeDim)",
        props = { flexible = "range", oldest_os = text, equal_bounds = true },
      }
      return
    end
    report{
      at = f, level = "warning",
      message = ("input '%s' uses a shape range (%s); range-shaped inputs keep the model off the Neural Engine before iOS 17.4 / macOS 14.4 (Core ML's own runtime message, apple/coremltools#1764; estimate: verify with Xcode's performance report), and %s"):format(f.name, range_text(f), where),
      fix = "use ct.EnumeratedShapes (at most 128) for the shapes the app needs, or a fixed shape; from iOS 17.4 load with optimizationHints.reshapeFrequency = .infrequent",
      props = { flexible = "range", oldest_os = text },
    }
  else
    report{
      at = f, level = "note",
      message = ("input '%s' uses a shape range (%s); from iOS 17.4 / macOS 14.4 (%s %s) loading the model with optimizationHints.reshapeFrequency = .infrequent can let range-shaped inputs run on the Neural Engine"):format(
        f.name, range_text(f), ctx.target and "the app targets" or "the model needs", text),
      fix = "set MLModelConfiguration().optimizationHints.reshapeFrequency = .infrequent, or use ct.EnumeratedShapes",
      props = { flexible = "range", oldest_os = text },
    }
  end
end

local function check_enumerated(ctx, f, report)
  local shapes = f.enumerated or {}
  if #shapes == 0 then
    report{
      at = f, level = "error",
      message = ("input '%s' has an empty list of enumerated shapes; Core ML rejects the model"):format(f.name),
      fix = "list at least one shape in ct.EnumeratedShapes",
    }
    return
  end
  local max = ctx.options.max_enumerated
  if #shapes > max then
    report{
      at = f, level = "warning",
      message = ("input '%s' has %d enumerated shapes, more than %d (Core ML supports up to 128)"):format(f.name, #shapes, max),
      fix = "keep the shapes the app really uses, or use bounded ranges (ct.RangeDim) for this input",
      props = { shapes = #shapes, limit = max },
    }
  end
  local def = default_shape(f)
  if #def == 0 then return end
  local found = false
  for _, s in ipairs(shapes) do
    if same_shape(s, def) then found = true break end
  end
  if not found then
    report{
      at = f, level = "error",
      message = ("input '%s' has default shape %s, which is not among its %d enumerated shapes; Core ML rejects the model"):format(f.name, dims_text(def), #shapes),
      fix = "pick the default from the list: ct.EnumeratedShapes(shapes=[…], default=…)",
    }
    return
  end
  local ratio = ctx.options.enumerated_memory_ratio
  if ratio > 0 then
    local largest, big = 0, nil
    for _, s in ipairs(shapes) do
      local n = elements(s)
      if n > largest then largest, big = n, s end
    end
    local base = elements(def)
    if base > 0 and largest >= ratio * base then
      report{
        at = f, level = "note",
        message = ("input '%s': the largest enumerated shape %s has %s× the elements of the default %s; Core ML preallocates the default shape, and memory for the largest may be allocated whatever shape is used"):format(f.name, dims_text(big), ("%g"):format(largest / base), dims_text(def)),
        fix = "make the most common shape the default, and drop shapes the app never sends",
        props = { largest = big, default = def, ratio = largest / base },
      }
    end
  end
end

local function check_one(model, ctx, seen, skip)
  -- a pipeline repeats its stages' inputs: report each input name once
  local function reporter(f)
    return function(t)
      local key = f.name .. "\0" .. t.message
      if seen[key] then return end
      seen[key] = true
      ctx:report(t)
    end
  end
  local enumerated = {}
  for _, f in ipairs(model.inputs) do
    if skip and skip[f.name] then goto next end
    local report = reporter(f)
    if f.flexible == "range" then
      check_range(model, ctx, f, report)
    elseif f.flexible == "enumerated" then
      enumerated[#enumerated + 1] = f
      check_enumerated(ctx, f, report)
    end
    ::next::
  end
  if #enumerated > 1 then
    local first = enumerated[1]
    local spec = model.spec_version or 0
    for k = 2, #enumerated do
      local f = enumerated[k]
      local report = reporter(f)
      if spec > 0 and spec < 9 then
        report{
          at = f, level = "error",
          message = ("inputs '%s' and '%s' both use enumerated shapes; before specification 9 (iOS 18) only one input may (this model is spec %d)"):format(first.name, f.name, spec),
          fix = "keep enumerated shapes on one input and use ranges (ct.RangeDim) for the others, or target iOS 18",
          related = { { at = first, message = "the first enumerated input" } },
        }
      elseif spec >= 9 and #(f.enumerated or {}) ~= #(first.enumerated or {}) then
        report{
          at = f, level = "error",
          message = ("input '%s' has %d enumerated shapes but '%s' has %d; inputs with enumerated shapes must list the same number, matched by index"):format(f.name, #(f.enumerated or {}), first.name, #(first.enumerated or {})),
          fix = "list one shape per accepted combination in every enumerated input, repeating shapes where needed",
          related = { { at = first, message = "the first enumerated input" } },
        }
      end
    end
  end
end

-- A pipeline's inputs are the app's: they are judged once, on the
-- pipeline (whose minimum OS covers every stage), against the stages that
-- read them; a stage is judged only on inputs of its own (features another
-- stage produces).
function rule.check(model, ctx)
  local seen, app = {}, {}
  for _, f in ipairs(model.inputs) do app[f.name] = true end
  for m in model:models() do check_one(m, ctx, seen, m ~= model and app or nil) end
end

return rule
