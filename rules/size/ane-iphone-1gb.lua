-- SPDX-License-Identifier: Apache-2.0
-- size/ane-iphone-1gb: a model meant for iOS/iPadOS and the Neural Engine
-- whose weights (weight files plus inline constants, pipeline sub-models
-- included) exceed 1 GB.
-- SOURCE: coremltools docs-guides mlmodel-utilities.md:178 (bisect_model: "if
-- you are deploying a model to run on neural engine on an iPhone, it cannot
-- be larger than 1 GB"); apple/ml-stable-diffusion --chunk-unet ("required
-- for ANE deployment on iOS and iPadOS"). rules-knowledge 4.2 O13.

local rule = {
  id = "size/ane-iphone-1gb",
  name = "AneIphone1Gb",
  summary = "More than 1 GB of weights: too large for the Neural Engine on an iPhone.",
  description = "Reports a model meant for iOS/iPadOS and the Neural Engine whose weights (weight files plus "
    .. "inline constants, pipeline sub-models included) exceed 1 GB.",
  help = [[
## Why

coremltools documents `ct.models.utils.bisect_model` because "if you are deploying a model to run on neural engine on an iPhone, it cannot be larger than 1 GB" (`mlmodel-utilities.md`). Apple's Stable Diffusion converter chunks the UNet for the same reason (`--chunk-unet`, "required for ANE deployment on iOS and iPadOS. Not required for macOS").

The rule adds the weight payload of every weight file (once) and all inline constants. It runs when the deployment target is iOS (or unset) and `targets_ane` is true.

## Fix

```python
ct.models.utils.bisect_model("model.mlpackage", "./chunks/", merge_chunks_to_pipeline=False)
```

or compress the weights (palettization, 8/4-bit quantization).

## Sources

- apple/coremltools `docs-guides/source/mlmodel-utilities.md` (Bisect Model)
- apple/ml-stable-diffusion `torch2coreml.py` (`--chunk-unet`)
]],
  level = "warning",
  -- SARIF precision: a community-observed limit, not an Apple-documented one
  precision = "medium",
  tags = { "size", "ane", "ios" },
  options = {
    max_bytes = {
      type = "int",
      default = 1073741824,
      doc = "Weight bytes above which the rule fires (default 1 GiB; Apple's text says \"1 GB\").",
    },
    targets_ane = {
      type = "bool",
      default = true,
      doc = "The app lets Core ML use the Neural Engine (compute units .all or .cpuAndNeuralEngine).",
    },
  },
}

-- Is the target of platform plat ("iOS17.4" is "iOS"; "iOSX" is not)?
-- Does the app (possibly) ship this model to iPhone/iPad? With a target: an
-- iOS/iPadOS target; without one: the model can run on iOS at all.
local function targets_iphone(model, ctx)
  if ctx.target ~= nil then return ctx.target_platform == "ios" end   -- iOS and iPadOS
  return model.min_os.ios ~= nil
end

function rule.check(model, ctx)
  if not ctx.options.targets_ane or not targets_iphone(model, ctx) then return end
  local max = ctx.options.max_bytes
  local b = model.weight_bytes
  if max <= 0 or b <= max then return end
  ctx:report{
    at = model,
    message = ("the model holds %s of weights (%d bytes), more than %s (%d bytes): Apple states that a model "
      .. "deployed to run on the Neural Engine on an iPhone cannot be larger than 1 GB"):format(
      ctx:format_bytes(b), b, ctx:format_bytes(max), max),
    fix = "split it into chunks under 1 GB with ct.models.utils.bisect_model(...) and chain them, or "
      .. "compress the weights (palettization, int8/int4 quantization)",
  }
end

return rule
