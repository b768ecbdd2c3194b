-- meta/missing-metadata: required metadata fields (author, license, short
-- description by default) are empty, or the model has no Metadata at all.
-- SOURCE: apple/coremltools mlmodel/format/Model.proto (Metadata:
-- shortDescription, versionString, author, license, userDefined).

local rule = {
  id = "meta/missing-metadata",
  name = "MissingMetadata",
  summary = "A required metadata field (author, license, description…) is empty",
  help = [[
**Why.** Xcode's model viewer, `coremltools` (`model.author`, `model.license`,
`model.short_description`, `model.version`) and the generated Swift class show
the model's metadata. A model shipped without an author or a license cannot be
traced back to its owner or its terms, and a model without a short description
is opaque to the next engineer. Author and license are reported as warnings,
the other fields as notes.

**Example.** `model.mlpackage: warning: metadata field 'license' is empty [meta/missing-metadata]`

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
  level = "warning",
  -- SARIF precision: a fact read from the file
  precision = "very-high",
  tags = { "metadata", "documentation" },
  options = {
    required = {
      type = "strings",
      default = { "author", "license", "short_description" },
      doc = "metadata keys that must be present and non-empty",
    },
  },
}

-- author and license identify owner and terms: warnings; the rest: notes
local strong = { author = true, license = true }

function rule.check(model, ctx)
  local required = ctx.options.required
  if #required == 0 then return end
  if not model.has_metadata then
    ctx:report{
      at = model,
      message = ("the model has no metadata at all (missing: %s)"):format(table.concat(required, ", ")),
      fix = "set author, license and short_description with coremltools before saving",
      props = { missing = required },
    }
    return
  end
  local md = model.metadata
  for _, key in ipairs(required) do
    local v = md[key]
    if v == nil or v:match("^%s*$") then
      ctx:report{
        at = model,
        level = strong[key] and "warning" or "note",
        message = ("metadata field '%s' is empty"):format(key),
        fix = ("set mlmodel.%s with coremltools before saving"):format(key),
        props = { key = key },
      }
    end
  end
end

return rule
