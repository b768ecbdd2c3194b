-- rules/.luacheckrc — luacheck configuration for coreml-lint Lua rules.
--
-- std "coremllint" is exactly what a rule can call in the sandbox
-- (core/lua_sandbox.c; the full list with the blocked stubs is
-- tests/lua/globals.txt, checked against this file by test_lua). Anything
-- else — io, os, debug, load, pcall, require, string.dump … — exists in the
-- sandbox only as a stub that raises "blocked call: NAME", so luacheck
-- reports it here as an undefined global. Run:
--   luacheck --config rules/.luacheckrc rules examples/house-rules

stds.coremllint = {
  read_globals = {
    "assert", "error", "getmetatable", "ipairs", "next", "pairs", "print", "rawequal", "rawget",
    "rawlen", "select", "setmetatable", "tonumber", "tostring", "type",
    string = {
      fields = {
        "byte", "char", "find", "format", "gmatch", "gsub", "len", "lower", "match", "pack",
        "packsize", "rep", "reverse", "sub", "unpack", "upper",
      },
    },
    table = {
      fields = { "concat", "insert", "move", "pack", "remove", "sort", "unpack" },
    },
    math = {
      fields = {
        "abs", "acos", "asin", "atan", "ceil", "cos", "deg", "exp", "floor", "fmod", "huge", "log",
        "max", "maxinteger", "min", "mininteger", "modf", "pi", "rad", "random", "sin", "sqrt",
        "tan", "tointeger", "type", "ult",
      },
    },
    utf8 = {
      fields = { "char", "charpattern", "codepoint", "codes", "len", "offset" },
    },
  },
}

std = "coremllint"
-- check(model, ctx) has a fixed signature; a rule need not use both.
unused_args = false
-- messages and Markdown help are long strings
max_line_length = false
