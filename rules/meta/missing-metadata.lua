-- SPDX-License-Identifier: Apache-2.0
-- meta/missing-metadata: required metadata fields (author, license, short
-- description by default) are empty, or the model has no Metadata at all.
-- SOURCE: apple/coremltools mlmodel/format/Model.proto (Metadata:
-- shortDescription, versionString, author, license, userDefined); a
-- package's Xcode overlay Data/com.apple.CoreML/Metadata.json as public
-- packages carry it (model.metadata_overlay, docs/real-world.md tenth set).

local rule = {
  id = "meta/missing-metadata",
  name = "MissingMetadata",
  summary = "A required metadata field (author, license, description…) is empty",
  help = [[
**Why.** Xcode's model viewer, `coremltools` (`model.author`, `model.license`,
`model.short_description`, `model.version`) and the generated Swift class show
the model's metadata. A model shipped without an author or a license cannot be
traced back to its owner or its terms, and a model without a short description
is opaque to the next engineer. Whether that matters is house policy, not a
defect of the model: the rule is a note, with one finding per model listing
every missing field. The `strict` rule set raises it to a warning; a compiled
model whose description cannot be read is not reported (its metadata is
unknown, not missing). In a package, a field that Xcode's model editor set
in its metadata overlay (`Data/com.apple.CoreML/Metadata.json`, listed in
`Manifest.json`) counts as set; Xcode's placeholder `--` does not.

**Example.** `model.mlpackage: note: metadata fields author and license are empty [meta/missing-metadata]`

**Fix.** Set the fields in coremltools before saving:

```python
mlmodel.author = "Vision team <vision@example.com>"
mlmodel.license = "Apache-2.0"
mlmodel.short_description = "Detects cats in 224x224 RGB images"
mlmodel.version = "2.1"
mlmodel.save("Model.mlpackage")
```

The option `required` (array of strings) chooses the fields; besides
`author`, `license`, `short_description` (alias `shortDescription`) and
`version` (alias `versionString`), any user-defined key may be listed.

**Sources.** apple/coremltools `mlmodel/format/Model.proto` (`Metadata`);
coremltools `MLModel.author/license/short_description/version` properties.]],
  level = "note",
  -- SARIF precision: a fact read from the file
  precision = "very-high",
  tags = { "metadata", "documentation", "policy" },
  options = {
    required = {
      type = "strings",
      default = { "author", "license", "short_description" },
      doc = "metadata keys that must be present and non-empty",
    },
  },
}

local function list(keys)
  if #keys == 1 then return keys[1] end
  return table.concat(keys, ", ", 1, #keys - 1) .. " and " .. keys[#keys]
end

function rule.check(model, ctx)
  local required = ctx.options.required
  if #required == 0 then return end
  -- a compiled model whose description could not be read: unknown, not missing
  if model.unknown.metadata then return end
  local overlay = model.metadata_overlay   -- Xcode's Metadata.json, or nil
  local function set_in(md, key)
    local v = md and md[key]
    return v ~= nil and not v:match("^%s*$")
  end
  local spec = model.has_metadata and model.metadata or nil
  local missing = {}
  for _, key in ipairs(required) do
    if not set_in(spec, key) and not set_in(overlay, key) then missing[#missing + 1] = key end
  end
  if #missing == 0 then return end
  local sets = {}
  for _, key in ipairs(missing) do sets[#sets + 1] = ("mlmodel.%s = …"):format(key) end
  ctx:report{
    at = model,
    message = (spec or overlay)
      and ("metadata %s %s %s empty"):format(#missing == 1 and "field" or "fields", list(missing),
                                              #missing == 1 and "is" or "are")
      or ("the model has no metadata (%s)"):format(list(missing)),
    fix = ("set %s with coremltools before saving"):format(table.concat(sets, ", ")),
    props = { missing = missing },
  }
end

return rule
