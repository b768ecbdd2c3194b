-- SPDX-License-Identifier: Apache-2.0
-- rules/_template.lua — the commented starting point for a coreml-lint Lua rule.
--
-- Copy this file to rules/<category>/<name>.lua (or to your own rules folder,
-- run with `coreml-lint --rules-dir DIR MODEL`). The path is the rule's id:
-- rules/house/no-fp32-io.lua is the rule "house/no-fp32-io", and the `id`
-- below must say exactly that, or the file is refused (rule/load-error).
-- Files whose name starts with "_" are never loaded, so this template is not
-- a rule itself.
--
-- The file runs once, when coreml-lint starts (the load phase, under a small
-- instruction budget): it must only build and return the rule table. Then
-- coreml-lint calls check(model, ctx) once per model (the check phase, under
-- a budget of 50 million Lua instructions and a 64 MiB memory cap per rule).
-- A rule sees only the sandbox: see docs/lua-rules.md for the exact list of
-- globals and library functions, and run luacheck with rules/.luacheckrc
-- (std "coremllint") to catch anything else.

local rule = {
  -- Required. Must equal the path: rules/<category>/<name>.lua.
  id = "category/rule-name",

  -- Required. PascalCase name, shown as the SARIF rule name.
  name = "RuleName",

  -- Required. One sentence: what the rule finds (SARIF shortDescription).
  summary = "One sentence saying what the rule reports",

  -- Optional. A longer description (SARIF fullDescription); defaults to summary.
  -- description = "…",

  -- Required. Markdown help: why it matters, an example, how to fix it, and
  -- the sources of every Core ML fact the rule relies on.
  help = [[
**Why.** Explain the consequence for the app (load failure, slower
prediction, wrong results) in two or three sentences.

**Example.** `model.mlpackage: warning: … [category/rule-name]`

**Fix.** The coremltools call or conversion option that removes the problem.

**Sources.** apple/coremltools `mlmodel/format/Model.proto`; the docs page
or issue thread you relied on.]],

  -- Optional. A link for SARIF helpUri (your rule's documentation page).
  -- help_uri = "https://example.com/rules/category/rule-name",

  -- Optional. SARIF precision, how often a finding is a real problem:
  -- "very-high" (a fact read from the file), "high" (the default), "medium"
  -- (an estimate of what Core ML will do on a device), "low". GitHub code
  -- scanning sorts and filters alerts by it.
  -- precision = "high",

  -- Required. Default level: "note", "warning" or "error". Users can change
  -- it in .coreml-lint.json ("rules": {"category/rule-name": {"level": …}}).
  level = "warning",

  -- Optional. Free-form tags (SARIF properties.tags).
  tags = { "example" },

  -- Optional. Options users may set in .coreml-lint.json under
  -- "rules": {"category/rule-name": {"options": {…}}}. Each has a type
  -- ("bool", "int", "number", "string" or "strings" — an array of strings),
  -- a default of that type and a doc string. Names are lower_case.
  options = {
    max_ops = { type = "int", default = 1000, doc = "report models with more ops than this" },
  },
}

-- check(model, ctx) runs once per model.
--
-- `model` is read-only: fields are computed when you read them
-- (model.inputs, model.metadata, model.type …), model:ops() iterates every
-- op of every function, nested blocks included, in program order, and
-- model:weights() every constant that holds data. Objects are only valid
-- during this call: do not keep them in upvalues for the next model.
--
-- `ctx.options` holds the effective options (defaults plus the user's
-- config), `ctx.target` the app's deployment target ("iOS16") or nil
-- (compare it with ctx:target_before{ ios = "17.4", macos = 14 }, not by
-- matching the string), and ctx:report reports a finding:
--   ctx:report{ at = op, message = "…", level = "note", fix = "…",
--               related = { { at = value, message = "…" } }, props = { k = 1 } }
--   ctx:report(op, "format %s", arg)        -- the short form
-- `at` is any model object (model, feature, function, block, op, value,
-- weight, weight file, diag); the location comes from it.
-- Sub-models of a pipeline are separate model objects: model:models()
-- lists the model and every sub-model, for rules that look inside them.
function rule.check(model, ctx)
  for m in model:models() do
    local n = 0
    for _ in m:ops() do
      n = n + 1
    end
    if n > ctx.options.max_ops then
      ctx:report{
        at = m,
        message = ("the model has %d ops, more than the house limit of %d"):format(n, ctx.options.max_ops),
        fix = "split the model or raise max_ops in .coreml-lint.json",
        props = { ops = n, limit = ctx.options.max_ops },
      }
    end
  end
end

return rule
