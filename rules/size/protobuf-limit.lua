-- SPDX-License-Identifier: Apache-2.0
-- size/protobuf-limit: the specification message (an .mlmodel, or an
-- .mlpackage's model.mlmodel) is at protobuf's 2 GiB message limit, so
-- neither coremltools nor Core ML can parse it. A compiled model's model.mil
-- is text, not a protobuf message, and is not checked.
-- SOURCE: protobuf's 2 GiB (2^31 - 1 byte) message limit [Derived];
-- apple/coremltools#1170 ("exceeds maximum protobuf size of 2GB") [C];
-- rules-knowledge 5.8.

local rule = {
  id = "size/protobuf-limit",
  name = "ProtobufLimit",
  summary = "The model specification is at protobuf's 2 GiB message limit and cannot be parsed.",
  description = "Reports an .mlmodel (or an .mlpackage's model.mlmodel) of 2 GiB or more: protobuf messages "
    .. "cannot exceed 2^31 - 1 bytes, so neither coremltools nor Core ML can read it.",
  help = [[
## Why

A Core ML specification is one protobuf message, and protobuf cannot encode or parse a message of 2 GiB or more. A NeuralNetwork model keeps all its weights inside that message, so large NeuralNetwork models hit the limit (users see "exceeds maximum protobuf size of 2GB", apple/coremltools#1170).

## Fix

Convert to an ML Program (`convert_to="mlprogram"`, an `.mlpackage`): its weights live in `weights/weight.bin`, outside the protobuf. Compressing the weights also helps.

## Sources

- protobuf message size limit (2^31 - 1 bytes)
- apple/coremltools#1170
]],
  level = "error",
  -- SARIF precision: a fact read from the file
  precision = "very-high",
  tags = { "size", "load" },
  options = {
    max_bytes = {
      type = "int",
      default = 2147483648,
      doc = "Specification size in bytes at which the rule fires (protobuf's limit: 2147483648).",
    },
  },
}

function rule.check(model, ctx)
  if model.format ~= "mlmodel" and model.format ~= "mlpackage" then return end
  local max = ctx.options.max_bytes
  local spec = model.spec_bytes
  if max <= 0 or spec < max then return end
  local artifact = model.location.artifact
  if artifact == "" then artifact = "the .mlmodel" end
  ctx:report{
    at = model,
    message = ("the model specification (%s) is %s (%d bytes), at or above the protobuf message limit of %s "
      .. "(%d bytes): coremltools and Core ML cannot parse it (\"exceeds maximum protobuf size of 2GB\")"):format(
      artifact, ctx:format_bytes(spec), spec, ctx:format_bytes(max), max),
    fix = "convert to an ML Program (convert_to=\"mlprogram\"): its weights move out of the protobuf "
      .. "into weights/weight.bin; or compress the weights",
  }
end

return rule
