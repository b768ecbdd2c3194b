-- SPDX-License-Identifier: Apache-2.0
-- house-rules/required-metadata — an example house convention: every model
-- we ship carries the metadata keys our release tooling reads.
--
-- Run: coreml-lint --rules-dir examples/house-rules MODEL
-- A rule file lying directly in a rules folder takes the folder's name as
-- its category, so this file is the rule "house-rules/required-metadata".
-- Configure the keys in .coreml-lint.json:
--   "rules": { "house-rules/required-metadata": { "options": { "keys": ["author", "team"] } } }

local rule = {
  id = "house-rules/required-metadata",
  name = "HouseRequiredMetadata",
  summary = "A metadata key required by house policy is missing or empty",
  help = [[
**Why.** Our release tooling reads the owning team, the license and the
training-data version from the model's metadata (user-defined keys are
allowed). A model without them cannot be traced.

**Example.** `model.mlpackage: warning: required metadata key 'team' is missing [house-rules/required-metadata]`

**Fix.** In coremltools: `mlmodel.user_defined_metadata["team"] = "vision"`,
`mlmodel.license = "…"`, then save.

**Sources.** apple/coremltools `mlmodel/format/Model.proto` (`Metadata`,
`userDefined`).]],
  level = "warning",
  tags = { "house", "metadata" },
  options = {
    keys = {
      type = "strings",
      default = { "author", "license", "version" },
      doc = "metadata keys (standard or user-defined) that must be non-empty",
    },
  },
}

function rule.check(model, ctx)
  local md = model.metadata
  for _, key in ipairs(ctx.options.keys) do
    local v = md[key]
    if v == nil or v == "" then
      ctx:report{
        at = model,
        message = ("required metadata key '%s' is %s"):format(key, v == nil and "missing" or "empty"),
        fix = ("set the '%s' metadata before saving the model"):format(key),
        props = { key = key },
      }
    end
  end
end

return rule
