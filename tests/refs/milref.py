"""milref.py — helpers for the reference generators in tests/refs.

A generator writes cases for the executor's ML Program op tests
(tests/unit/probe/test_exec_mil_ops.c reads every *.ref file here). A case is
one model.mil function, its inputs and the outputs an independent
implementation (NumPy or PyTorch, in the generator) computes for them:

    case NAME
    mode fp32|fp16          fp16: the executor runs in fp16 emulation
    tol REL                 |got - want| <= REL * max(1, |want|)
    mil
    ...function text...
    endmil
    in NAME DIMS : v v v    DIMS comma-separated, "-" for a scalar
    out INDEX DIMS : v v v
    err TEXT                the run (or prepare) must fail with TEXT in its message
    end

Values are written with repr-exact float formatting (%.9g of float32).
"""
import numpy as np

F16 = np.float16


def r16(a):
    """round to binary16 and back (Core ML's fp16 storage)"""
    return np.asarray(a, dtype=np.float32).astype(F16).astype(np.float32)


def tt(dtype, shape):
    """a MIL tensor type"""
    return "tensor<%s, [%s]>" % (dtype, ", ".join(str(d) for d in shape))


def fmt_val(v, dtype):
    if dtype == "bool":
        return "true" if v else "false"
    if dtype in ("int32", "int64", "int16", "int8", "uint8", "uint16"):
        return str(int(v))
    return repr(float(np.float32(v))) if dtype == "fp32" else repr(float(v))


def lit(arr, dtype):
    """a MIL tensor literal (or scalar literal for a 0-d array)"""
    a = np.asarray(arr)
    if a.ndim == 0:
        return "%s(%s)" % (dtype, fmt_val(a.item(), dtype))
    vals = ", ".join(fmt_val(v, dtype) for v in a.reshape(-1))
    return "%s([%s])" % (tt(dtype, a.shape), vals)


def s(x):
    return 'string("%s")' % x


def b(x):
    return "bool(%s)" % ("true" if x else "false")


def i32(x):
    return "int32(%d)" % x


def fp(x):
    return "fp32(%r)" % float(np.float32(x))


def func(opset, inputs, body, outputs):
    """inputs: [(name, dtype, shape)], body: op lines, outputs: names"""
    ins = ", ".join("%s %s" % (tt(d, sh), n) for n, d, sh in inputs)
    lines = ["func main<%s>(%s) {" % (opset, ins)]
    lines += ["  " + l for l in body]
    lines.append("} -> (%s);" % ", ".join(outputs))
    return "\n".join(lines)


def op(outs, kind, args, name):
    """outs: [(name, dtype, shape)] or one tuple; args: dict of name -> text"""
    if isinstance(outs, tuple):
        outs = [outs]
    o = ", ".join("%s %s" % (tt(d, sh) if sh is not None else d, n) for n, d, sh in outs)
    a = ", ".join("%s = %s" % (k, v) for k, v in args.items())
    return "%s = %s(%s)[name = %s];" % (o, kind, a, s(name))


def fmt_arr(a, exact=True):
    a = np.asarray(a)
    dims = "-" if a.ndim == 0 else ",".join(str(d) for d in a.shape)
    vals = " ".join(("%.9g" if exact else "%.8g") % float(v) for v in a.reshape(-1))
    return dims, vals


class Writer:
    def __init__(self, path, header):
        self.f = open(path, "w")
        for line in header.strip().splitlines():
            self.f.write("# %s\n" % line)
        self.names = set()

    def case(self, name, fn, inputs, outputs, tol=1e-5, mode="fp32", err=None):
        assert name not in self.names, name
        self.names.add(name)
        w = self.f.write
        w("case %s\nmode %s\ntol %g\nmil\n%s\nendmil\n" % (name, mode, tol, fn))
        for n, a in inputs:
            dims, vals = fmt_arr(a)
            w("in %s %s : %s\n" % (n, dims, vals))
        for i, a in enumerate(outputs):
            if a is None:
                continue
            dims, vals = fmt_arr(a, exact=False)  # 8 digits: well inside any tolerance used
            w("out %d %s : %s\n" % (i, dims, vals))
        if err:
            w("err %s\n" % err)
        w("end\n")

    def close(self):
        self.f.close()
