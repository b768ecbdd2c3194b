-- The rule API on a known model (test_lua.c writes plain.mlmodel: input x
-- [4] DOUBLE, output y [3], innerProduct fc1 4->3 with weights and bias,
-- ReLU relu, full metadata plus user key team=vision). Every assertion
-- failure is a rule/error notification the C test prints; success is one
-- warning "api ok" per model with related location, fix and props.
local rule = {
  id = "api/ir-api",
  name = "IrApi",
  summary = "Exercises the rule API",
  help = "Test rule.",
  level = "note",
  tags = { "test" },
  options = {
    b = { type = "bool", default = true, doc = "a bool" },
    i = { type = "int", default = 7, doc = "an int" },
    n = { type = "number", default = 1.5, doc = "a number" },
    s = { type = "string", default = "x", doc = "a string" },
    ss = { type = "strings", default = { "a", "b" }, doc = "strings" },
  },
}

local function eq(a, b, what)
  if a ~= b then error(("%s: expected %s, got %s"):format(what, tostring(b), tostring(a)), 2) end
end

function rule.check(model, ctx)
  -- ctx
  eq(ctx.id, "api/ir-api", "ctx.id")
  eq(ctx.target, nil, "ctx.target")
  eq(ctx.level, "note", "ctx.level")
  eq(ctx:format_bytes(999), "999 B", "format_bytes B")
  eq(ctx:format_bytes(65500), "65.5 kB", "format_bytes kB")
  eq(ctx:format_bytes(104900000), "104.9 MB", "format_bytes MB")
  eq(ctx:format_bytes(2150000000), "2.15 GB", "format_bytes GB")
  -- the unit follows the rounding: never "1000.0 kB"
  eq(ctx:format_bytes(999950), "1.0 MB", "format_bytes rounds up a unit")
  eq(ctx:format_bytes(999949), "999.9 kB", "format_bytes kB below the rounding")
  eq(ctx:format_bytes(999999999), "1.00 GB", "format_bytes rounds up to GB")
  eq(ctx:format_bytes(999.7), "1.0 kB", "format_bytes B rounds up")
  local o = ctx.options
  eq(o.b, true, "options.b")
  eq(math.type(o.i), "integer", "options.i type")
  eq(o.i, 7, "options.i")
  eq(o.n, 1.5, "options.n")
  eq(o.s, "x", "options.s")
  eq(#o.ss, 2, "#options.ss")
  eq(o.ss[2], "b", "options.ss[2]")
  -- model
  eq(model.type, "neuralNetwork", "model.type")
  eq(model.format, "mlmodel", "model.format")
  eq(model.spec_version, 4, "model.spec_version")
  eq(model.min_os.ios, "13.0", "min_os.ios")
  -- visionOS 1.0 (its first release) loads every specification version up to 8
  eq(model.min_os.visionos, "1.0", "min_os.visionos")
  eq(model.min_os.macos, "10.15", "min_os.macos")
  eq(model.has_metadata, true, "has_metadata")
  eq(model.metadata.author, "Ann", "metadata.author")
  eq(model.metadata.short_description, "plain", "metadata.short_description")
  eq(model.metadata.shortDescription, "plain", "metadata.shortDescription")
  eq(model.metadata.team, "vision", "metadata.team")
  eq(model.is_updatable, false, "is_updatable")
  eq(#model.class_labels, 0, "#class_labels")
  eq(model.class_label_kind, nil, "class_label_kind")
  eq(#model.submodels, 0, "#submodels")
  local listed = {}
  for m in model:models() do listed[#listed + 1] = m end
  eq(#listed, 1, "#model:models()")
  eq(listed[1], model, "model:models() starts with the model")
  eq(model.parent, nil, "parent")
  eq(model.location.artifact, "", "model.location.artifact")
  eq(getmetatable(model), false, "getmetatable(model)")
  assert(tostring(model):find("neuralNetwork"), "tostring(model)")
  eq(model.metadata, model.metadata, "field tables are cached")
  -- features
  eq(#model.inputs, 1, "#inputs")
  local x = model.inputs[1]
  eq(x.name, "x", "input name")
  eq(x.kind, "multiArray", "input kind")
  eq(x.dtype, "DOUBLE", "input dtype")
  eq(#x.shape, 1, "input rank")
  eq(x.shape[1], 4, "input dim")
  eq(x.flexible, nil, "input flexible")
  eq(x.optional, false, "input optional")
  eq(x.location.logical, "input:x", "input logical")
  eq(model.outputs[1].name, "y", "output name")
  -- functions and ops
  eq(#model.functions, 1, "#functions")
  local fn = model.functions[1]
  eq(fn.name, "main", "function name")
  eq(fn.op_count, 2, "function op_count")
  local kinds = {}
  for op in fn:ops() do kinds[#kinds + 1] = op.kind end
  eq(table.concat(kinds, ","), "innerProduct,activation", "fn:ops()")
  local ops = {}
  for op in model:ops() do ops[#ops + 1] = op end
  eq(#ops, 2, "#model:ops()")
  local fc, relu = ops[1], ops[2]
  eq(fc.kind, "innerProduct", "op kind")
  eq(fc.name, "fc1", "op name")
  eq(fc.function_name, "main", "op function_name")
  eq(fc["function"], "main", "op['function']")
  eq(fc.is_nn_layer, true, "is_nn_layer")
  eq(fc.is_const, false, "is_const")
  eq(fc.index, 0, "op index")
  eq(fc.location.logical, "layer[0]:fc1", "op logical")
  eq(fc.attrs.outputChannels, 3, "attrs.outputChannels")
  eq(fc.attrs.hasBias, true, "attrs.hasBias")
  local xin = fc.inputs.input
  eq(xin.name, "x", "inputs.input")
  eq(xin.producer, nil, "x.producer")
  local h = fc.outputs[1]
  eq(h.producer, fc, "h.producer identity")
  eq(h.consumers[1], relu, "h.consumers identity")
  eq(relu.inputs.input, h, "value identity")
  -- weights
  local wv = fc.attrs.weights
  assert(type(wv) == "userdata", "attrs.weights is a value")
  local w = wv.weight
  eq(w.dtype, "fp32", "weight dtype")
  eq(w.bytes, 48, "weight bytes")
  eq(w.count, 12, "weight count")
  eq(w.storage, "inline", "weight storage")
  local vals = w:values(0, 3)
  eq(#vals, 3, "#values")
  eq(vals[1], 0.5, "values[1]")
  eq(vals[2], -1.0, "values[2]")
  eq(#w:values(10, 100), 2, "values clamp")
  eq(#w:read(0, 4), 4, "read 4")
  eq(#w:read(0, 1 << 40), 48, "read clamp")
  eq(#w:read(100, 4), 0, "read past end")
  eq(string.unpack("<f", w:read(0, 4)), 0.5, "read bytes")
  local nw = 0
  for ww in model:weights() do nw = nw + 1; assert(ww.bytes > 0) end
  eq(nw, 2, "model:weights()")
  -- sandbox surface
  local keys = {}
  for k in pairs({ b = 1, a = 2, [3] = 1, [1] = 1, c = 3, [2.5] = 0 }) do keys[#keys + 1] = tostring(k) end
  eq(table.concat(keys, ","), "1,3,2.5,a,b,c", "deterministic pairs")
  local r = math.random(1, 1000000000)
  if FIRST_RANDOM then eq(r, FIRST_RANDOM, "math.random reseeded per model") end
  FIRST_RANDOM = r
  eq(getmetatable(""), false, "string metatable protected")
  eq(("%d-%s"):format(3, "x"), "3-x", "string methods")
  eq(utf8.char(72, 105), "Hi", "utf8")
  eq(select("#", 1, 2, 3), 3, "select")
  eq(rawequal(model, model), true, "rawequal")
  eq(io, io, "io exists as stubs")
  eq(type(io.open), "function", "io.open is a stub function")
  eq(load == nil, false, "load is a stub")
  print("printing goes to the host log, not stdout")
  -- reporting
  eq(ctx:report{
    at = fc, message = "api ok", level = "warning", fix = "nothing to fix",
    related = { { at = h, message = "the output" } },
    props = { a = 1, b = { 1, 2 }, c = { d = "e" }, f = true },
  }, true, "report accepted")
end

return rule
