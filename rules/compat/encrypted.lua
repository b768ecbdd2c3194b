-- SPDX-License-Identifier: Apache-2.0
-- compat/encrypted: a compiled model whose program files are present but
-- unreadable — the state an encrypted model (Core ML model encryption, iOS 14)
-- is in for a static analyzer.
-- SOURCE: apple/coremltools mlmodel/format/Model.proto (specification 5 /
-- iOS 14: "Model Encryption"); mlmodel/src/MILBlob/Blob/MMapFileReader.cpp
-- (IsEncrypted, always false in the open-source reader); developer.apple.com
-- MLModelError.Code.modelDecryption (iOS 14 / macOS 11; no decryption on
-- macOS with SIP disabled); Apple Developer Forums threads 661783 (encrypted
-- model fails on iOS 13: "No known class for loading model type INVALID") and
-- 650089 (the key is fetched at model load time); rules-knowledge §1.1,
-- §2.6, §5.20.

local rule = {
  id = "compat/encrypted",
  name = "EncryptedModel",
  summary = "A compiled model's program files are unreadable, as in an encrypted model: its contents cannot be analysed",
  help = [[
**Why.** Xcode can encrypt a model when it compiles it (Core ML model
encryption, an encryption key created in Xcode and the `--encrypt` compiler
flag; specification 5, iOS 14 / macOS 11). The compiled `.mlmodelc` then holds
ciphertext that only the Core ML runtime can open, after fetching the key from
Apple's servers when the model is first loaded. A static analyzer sees an
`.mlmodelc` whose files it cannot read: every other rule runs blind on it.

What is known about encrypted models, and why it matters to the app:

- they load only on iOS 14 / macOS 11 and newer (`MLModelError.modelDecryption`
  exists from those releases); an iOS 13 device reports "No known class for
  loading model type INVALID" (Apple Developer Forums 661783);
- the first load needs the network to fetch the key; when that fails, the
  load fails (Apple's answer in forum thread 650089), so the app should load
  the model early and handle the error;
- macOS cannot decrypt them with System Integrity Protection disabled.

**What the rule detects.** Apple does not document the layout of an
encrypted `.mlmodelc`, and the open-source blob reader's `IsEncrypted()` is
always false, so coreml-lint cannot prove encryption. The rule reports, as a
note, a compiled model whose `coremldata.bin` is present but whose program
cannot be read: no `model.mil` nor espresso files, or a `model.mil` /
`metadata.json` that is not text / JSON at all. That is what an encrypted
model looks like from outside — and also what a damaged one looks like. The
message says when the deployment target is older than the first OS that can
decrypt models.

**Example.** `Model.mlmodelc: note: the compiled model's program cannot be read (compiled model holds coremldata.bin but neither model.mil nor model.espresso.net: its program cannot be read); if it was compiled with --encrypt, its contents cannot be analysed statically [compat/encrypted]`

**Fix.** Lint the unencrypted source (`.mlpackage` or `.mlmodel`) that the
encrypted build was compiled from; keep the app's deployment target at iOS 14
/ macOS 11 or newer for encrypted models, and load them with
`MLModel.load(contentsOf:configuration:completionHandler:)` handling the
decryption error.

**Sources.** apple/coremltools `mlmodel/format/Model.proto` (spec 5 "Model
Encryption"); `mlmodel/src/MILBlob/Blob/MMapFileReader.cpp` (`IsEncrypted`);
developer.apple.com `MLModelError.Code.modelDecryption`; Apple Developer
Forums threads 661783 and 650089; rules-knowledge §1.1, §2.6, §5.20.]],
  level = "note",
  -- SARIF precision: an unreadable program file is taken for encryption
  precision = "medium",
  -- "unreadable-models": runs even when nothing of the model could be read
  tags = { "compat", "compiled", "encryption", "unreadable-models" },
}

-- First releases that can decrypt models (MLModelError.modelDecryption).
local DECRYPT_MIN = { ios = 14, macos = 11, tvos = 14, watchos = 7, visionos = 1 }

local function target_too_old(ctx)
  if ctx:target_before(DECRYPT_MIN) then return ctx.target end
  return nil
end

-- The load problem that shows the program is unreadable, or nil.
local function unreadable(model)
  for _, d in ipairs(model.diags) do
    local msg = d.message or ""
    local art = d.location and d.location.artifact or ""
    if d.rule_id == "load/compiled-limited" and msg:find("holds coremldata.bin", 1, true) then
      return d
    end
    if (art == "model.mil" or art:sub(-10) == "/model.mil") and msg:match("^unexpected byte 0x%x%x") then
      return d
    end
    if (art == "metadata.json" or art:sub(-14) == "/metadata.json") and msg:find("not valid JSON", 1, true)
       and msg:find("byte 0)", 1, true) then
      return d
    end
  end
  return nil
end

local function check_one(model, ctx)
  if model.format == "mlmodelc" and model.type == "unknown" then
    local d = unreadable(model)
    if d then
      local art = d.location and d.location.artifact or ""
      local old = target_too_old(ctx)
      ctx:report{
        at = model,
        message = ("the compiled model's program cannot be read (%s%s); if it was compiled with --encrypt, its contents cannot be analysed statically%s"):format(
          art ~= "" and (art .. ": ") or "", d.message,
          old and ("; an encrypted model needs iOS 14 / macOS 11, and the app targets " .. old) or ""),
        fix = "lint the source .mlpackage / .mlmodel the compiled model was built from",
        related = { { at = d, message = "the load problem" } },
      }
    end
  end
end

function rule.check(model, ctx)
  for m in model:models() do check_one(m, ctx) end
end

return rule
