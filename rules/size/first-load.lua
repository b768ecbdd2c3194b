-- SPDX-License-Identifier: Apache-2.0
-- size/first-load: a model with more than min_bytes (house default 100 MB) of
-- weights, meant for the Neural Engine, whose first load on each device
-- compiles and specializes it for minutes. The whole model tree (pipeline
-- sub-models) counts as one model.
-- SOURCE: WWDC23 10049 (Core ML caches device-specialized assets for faster
-- later loads) [A-doc]; first Neural Engine load takes minutes and the cache
-- is invalidated by OS updates (argmaxinc/argmax-oss-swift#17,
-- ggml-org/whisper.cpp#937, Apple forum 709211) [C]. rules-knowledge 4.4 L1-L2.

local rule = {
  id = "size/first-load",
  name = "FirstLoad",
  summary = "A large model whose first load on a device compiles for a long time.",
  description = "Notes models with more than min_bytes (100 MB) of weights meant for the Neural Engine: the "
    .. "first load specializes them for the device, which can take minutes.",
  help = [[
## Why

Core ML compiles and specializes a model for the device on its first load and caches the result ("aggressive asset caching ... faster model loads", WWDC23 session 10049). Users report that the first load with the Neural Engine can take minutes for large models, and that the cache is invalidated by OS updates (community reports: argmax-oss-swift, whisper.cpp, Apple developer forums). An app that loads such a model on demand, or reloads it, stalls.

The threshold `min_bytes` (100 MB) is a house default.

## Fix

Load once, asynchronously and early; keep the `MLModel` instance; prewarm with one prediction; never reload per prediction. Compressing the weights shortens load time too.

## Sources

- WWDC23 session 10049 "Improve Core ML integration with async prediction"
- community: argmaxinc/argmax-oss-swift#17, ggml-org/whisper.cpp#937, Apple forum thread 709211
]],
  level = "note",
  -- SARIF precision: compile time depends on the device and OS
  precision = "medium",
  tags = { "size", "load", "performance" },
  options = {
    min_bytes = {
      type = "int",
      default = 100000000,
      doc = "Weight bytes above which the first-load note is given (house default 100 MB).",
    },
    targets_ane = {
      type = "bool",
      default = true,
      doc = "The app lets Core ML use the Neural Engine (compute units .all or .cpuAndNeuralEngine).",
    },
  },
}

function rule.check(model, ctx)
  if not ctx.options.targets_ane then return end
  local min = ctx.options.min_bytes
  local b = model.weight_bytes
  if min < 0 or b <= min then return end
  ctx:report{
    at = model,
    message = ("the model holds %s of weights (more than %s): its first load on each device compiles and "
      .. "specializes it for the Neural Engine, which users report taking up to minutes; Core ML caches "
      .. "the result until the next OS update"):format(ctx:format_bytes(b), ctx:format_bytes(min)),
    fix = "load the model once, asynchronously and early (e.g. at app start), keep the MLModel "
      .. "instance, prewarm it with one prediction, and never reload it per prediction",
  }
end

return rule
