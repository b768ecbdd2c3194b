-- SPDX-License-Identifier: Apache-2.0
-- size/single-weight: one weight whose stored data is 2^31 bytes or more
-- (pipeline sub-models included; a blob shared by several functions is one
-- weight); Core ML has been observed to fail loading such models.
-- SOURCE: apple/coremltools#1807 ("Error in declaring network" once a weight
-- passes ~2^31 bytes) [C]; rules-knowledge 5.8.

local rule = {
  id = "size/single-weight",
  name = "SingleWeight",
  summary = "One weight tensor of 2 GiB or more.",
  description = "Reports every weight whose stored data is 2^31 bytes or more; Core ML has been observed to "
    .. "fail loading such models.",
  help = [[
## Why

Users report that a model fails to load with "Error in declaring network" once a single weight passes about 2^31 bytes (apple/coremltools#1807, community-observed): offsets and sizes inside the runtime are 32-bit in places. Large embeddings and LM heads of language models hit this.

## Fix

Split the layer into several smaller ones (e.g. shard the vocabulary), or compress it (8-/4-bit quantization or palettization shrinks it 2-8x).

## Sources

- apple/coremltools#1807 (community report)
]],
  level = "warning",
  -- SARIF precision: community-observed failures
  precision = "medium",
  tags = { "size", "load" },
  options = {
    max_bytes = {
      type = "int",
      default = 2147483648,
      doc = "Stored size in bytes of one weight at which the rule fires (2147483648 = 2^31).",
    },
  },
}


-- "[256, 128]", "?" for an unknown dimension, "[?]" for an unknown rank
local function fmt_shape(shape)
  if shape == nil then return "[?]" end
  local dims = {}
  for i, d in ipairs(shape) do dims[i] = d < 0 and "?" or tostring(d) end
  return "[" .. table.concat(dims, ", ") .. "]"
end

local function check_one(m, ctx, max)
  local big = false
  for w in m:weights() do
    if w.bytes >= max then
      big = true
      break
    end
  end
  if big then
    local blobs = {}   -- "file@blob_offset" of every blob weight seen so far
    for w in m:weights() do
      local st = w.storage
      local key = type(st) == "table" and (st.file .. "@" .. st.blob_offset) or nil
      if w.bytes >= max and not (key and blobs[key]) then
        local bytes = w.bytes
        ctx:report{
          at = w,
          message = ("weight '%s' %s %s is %s (%d bytes), at or above %s: a single weight of 2^31 bytes or more "
            .. "fails to load (\"Error in declaring network\", apple/coremltools#1807)"):format(
            w.location.logical or "?", w.dtype, fmt_shape(w.shape), ctx:format_bytes(bytes), bytes, ctx:format_bytes(max)),
          fix = "split the layer (e.g. an embedding or LM head) into several smaller ones, or compress "
            .. "it (int8/int4 quantization or palettization)",
        }
      end
      if key then blobs[key] = true end
    end
  end
end

function rule.check(model, ctx)
  local max = ctx.options.max_bytes
  if max <= 0 then return end
  for m in model:models() do check_one(m, ctx, max) end
end

return rule
