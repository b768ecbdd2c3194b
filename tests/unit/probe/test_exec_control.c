/* SPDX-License-Identifier: Apache-2.0 */
/* test_exec_control.c — the executor's ML Program control flow and dynamic
 * behaviour: cond (both branches, nested, returning outer values and
 * constants), while_loop (loop variables, nested loops, a loop in a branch,
 * the iteration cap), lists (make_list .. list_scatter, growth, fixed
 * lengths), states over several predictions (an accumulator and a KV cache
 * in fp16), and the liveness of values read inside nested blocks. Expected
 * values are computed by hand or by a plain C loop in the test. */
#include "mil_harness.h"

#ifdef CML_NO_EXEC
CHECK_MAIN_NO_EXEC()
#else

/* ---- cond ------------------------------------------------------------------------- */

static const char *COND =
    "func main<ios17>(tensor<fp32, [3]> x, tensor<fp32, []> t) {\n"
    "  tensor<fp32, [3]> sq = mul(x = x, y = x)[name = string(\"sq\")];\n"
    "  tensor<fp32, []> s = reduce_sum(x = x, keep_dims = bool(false))[name = string(\"s\")];\n"
    "  tensor<bool, []> p = greater(x = s, y = t)[name = string(\"p\")];\n"
    "  tensor<fp32, [3]> y, tensor<int32, []> which = cond(pred = p)[name = string(\"c\")]\n"
    "  {\n"
    "    tensor<fp32, [3]> a = add(x = sq, y = fp32(1))[name = string(\"a\")];\n"
    "    tensor<int32, []> one = const()[name = string(\"one\"), val = int32(1)];\n"
    "  } -> (a, one)\n"
    "  {\n"
    "    tensor<fp32, [3]> b = sub(x = x, y = fp32(1))[name = string(\"b\")];\n"
    "    tensor<fp32, [3]> b2 = mul(x = b, y = fp32(10))[name = string(\"b2\")];\n"
    "    tensor<int32, []> zero = const()[name = string(\"zero\"), val = int32(0)];\n"
    "  } -> (b2, zero);\n"
    "  tensor<fp32, [3]> z = add(x = y, y = sq)[name = string(\"z\")];\n"
    "} -> (z, which);\n";

static void test_cond_branches(void) {
    float x[] = {1, 2, 3};
    for (int pass = 0; pass < 2; pass++) {
        float t = pass ? 100.0f : 0.0f; /* sum 6 > 0: true branch; 6 > 100 false */
        exec_tensor in[] = {TS("x", x, 3), TS0("t", &t)};
        res r;
        if (run(&r, COND, EXEC_FP32, in, 2)) {
            if (!pass) {
                EXPECT(&r, 0, 0, 3, 9, 19);   /* (x^2 + 1) + x^2 */
                EXPECT(&r, 1, 0, 1);
            } else {
                EXPECT(&r, 0, 0, 1, 14, 29);  /* 10 (x - 1) + x^2 */
                EXPECT(&r, 1, 0, 0);
            }
            SHAPE0(&r, 1);
            CHECK(r.o[1].dtype == EXEC_DT_INT32);
            /* the same plan takes the other branch on the next run */
            float t2 = pass ? 0.0f : 100.0f;
            exec_tensor in2[] = {TS("x", x, 3), TS0("t", &t2)};
            if (again(&r, EXEC_FP32, in2, 2)) EXPECT(&r, 0, 0, pass ? 3 : 1, pass ? 9 : 14, pass ? 19 : 29);
            /* fp16 emulation runs the branches too */
            if (again(&r, EXEC_FP16_EMU, in, 2)) EXPECT(&r, 0, 1e-3, pass ? 1 : 3, pass ? 14 : 9, pass ? 29 : 19);
        }
        res_free(&r);
    }
}

/* a cond nested in a cond's branch; a branch returning an outer value and an input */
static void test_cond_nested(void) {
    const char *f =
        "func main<ios17>(tensor<fp32, [2]> x, tensor<int32, []> k) {\n"
        "  tensor<fp32, [2]> d = mul(x = x, y = fp32(2))[name = string(\"d\")];\n"
        "  tensor<bool, []> p0 = greater(x = k, y = int32(0))[name = string(\"p0\")];\n"
        "  tensor<fp32, [2]> y = cond(pred = p0)[name = string(\"outer\")]\n"
        "  {\n"
        "    tensor<bool, []> p1 = greater(x = k, y = int32(1))[name = string(\"p1\")];\n"
        "    tensor<fp32, [2]> w = cond(pred = p1)[name = string(\"inner\")]\n"
        "    {\n"
        "      tensor<fp32, [2]> e = add(x = d, y = fp32(100))[name = string(\"e\")];\n"
        "    } -> (e)\n"
        "    {\n"
        "    } -> (d);\n"
        "  } -> (w)\n"
        "  {\n"
        "  } -> (x);\n"
        "} -> (y);\n";
    float x[] = {1, -2};
    const int ks[] = {0, 1, 2};
    const float want[3][2] = {{1, -2}, {2, -4}, {102, 96}};
    res r;
    if (prep(&r, f)) {
        for (int i = 0; i < 3; i++) {
            float k = (float)ks[i];
            exec_tensor in[] = {TS("x", x, 2), TS0("k", &k)};
            if (again(&r, EXEC_FP32, in, 2)) expect_vals(&r, 0, want[i], 2, 0, __LINE__);
        }
        /* the nested ops are steps of the plan: 2 top + cond + inner greater + cond + add */
        CHECK_INT(exec_plan_n_ops(r.p), 6);
    }
    res_free(&r);
}

/* ---- while_loop ----------------------------------------------------------------------- */

static const char *LOOP =
    "func main<ios17>(tensor<fp32, [2]> x, tensor<int32, []> n) {\n"
    "  tensor<int32, []> i0 = const()[name = string(\"i0\"), val = int32(0)];\n"
    "  tensor<fp32, [2]> off = add(x = x, y = fp32(0.5))[name = string(\"off\")];\n"
    "  tensor<int32, []> i_out, tensor<fp32, [2]> a_out = while_loop(loop_vars = (i0, x))[name = string(\"loop\")]\n"
    "  (tensor<int32, []> i_c, tensor<fp32, [2]> a_c) {\n"
    "    tensor<bool, []> go = less(x = i_c, y = n)[name = string(\"go\")];\n"
    "  } -> (go)\n"
    "  (tensor<int32, []> i_b, tensor<fp32, [2]> a_b) {\n"
    "    tensor<int32, []> i_n = add(x = i_b, y = int32(1))[name = string(\"i_n\")];\n"
    "    tensor<fp32, [2]> a2 = mul(x = a_b, y = fp32(2))[name = string(\"a2\")];\n"
    "    tensor<fp32, [2]> a_n = add(x = a2, y = off)[name = string(\"a_n\")];\n"
    "  } -> (i_n, a_n);\n"
    "  tensor<fp32, [2]> z = sub(x = a_out, y = off)[name = string(\"z\")];\n"
    "} -> (i_out, z);\n";

static void test_while_counts(void) {
    float x[] = {1, -3};
    res r;
    if (prep(&r, LOOP)) {
        for (int n = 0; n <= 5; n++) {
            float nf = (float)n;
            exec_tensor in[] = {TS("x", x, 2), TS0("n", &nf)};
            if (!again(&r, EXEC_FP32, in, 2)) break;
            /* a <- 2a + (x + 0.5), n times; then minus (x + 0.5) */
            double a0 = x[0], a1 = x[1];
            for (int i = 0; i < n; i++) {
                a0 = 2 * a0 + x[0] + 0.5;
                a1 = 2 * a1 + x[1] + 0.5;
            }
            EXPECT(&r, 0, 0, (float)n);
            EXPECT(&r, 1, 1e-6, (float)(a0 - x[0] - 0.5), (float)(a1 - x[1] - 0.5));
        }
        /* the loop's statistics add up over its iterations; the plan still has
         * one step per op */
        CHECK_INT(exec_plan_n_ops(r.p), 7);
    }
    res_free(&r);
}

/* prepare func with a limit on the loop iterations of one run */
static bool prep_limit(res *r, const char *func, uint64_t limit) {
    memset(r, 0, sizeof *r);
    r->lm = load_mil(func);
    CHECK(r->lm && r->lm->model);
    if (!r->lm || !r->lm->model) return false;
    exec_opts o = host_opts;
    o.loop_limit = limit;
    r->p = exec_prepare(r->lm->model, NULL, &o, r->err, sizeof r->err);
    CHECK(r->p != NULL);
    return r->p != NULL;
}

/* a loop that never ends stops at the limit with a clear message */
static void test_while_cap(void) {
    const char *f =
        "func main<ios17>(tensor<int32, []> n) {\n"
        "  tensor<int32, []> o = while_loop(loop_vars = (n))[name = string(\"forever\")]\n"
        "  (tensor<int32, []> c) {\n"
        "    tensor<bool, []> t = greater_equal(x = c, y = int32(0))[name = string(\"t\")];\n"
        "  } -> (t)\n"
        "  (tensor<int32, []> b) {\n"
        "    tensor<int32, []> b1 = mul(x = b, y = int32(1))[name = string(\"b1\")];\n"
        "  } -> (b1);\n"
        "} -> (o);\n";
    float n = 3;
    exec_tensor in = TS0("n", &n);
    res r;
    if (prep_limit(&r, f, 1000)) {
        CHECK(run_rc(&r, EXEC_FP32, &in, 1) != 0);
        const char *e = exec_last_error(r.p);
        CHECK(strstr(e, "'forever'") && strstr(e, "after 1000 loop iterations") && strstr(e, "still true"));
        /* the plan stays usable, and the next run has the whole budget: a
         * false condition at once */
        float m = -1;
        exec_tensor in2 = TS0("n", &m);
        if (again(&r, EXEC_FP32, &in2, 1)) EXPECT(&r, 0, 0, -1);
    }
    res_free(&r);
}

/* nested loops (i over rows, j over columns, summing i*10 + j) and a body
 * that returns its input unchanged and an outer value */
static const char NESTED[] =
        "func main<ios17>(tensor<int32, []> rows, tensor<int32, []> cols) {\n"
        "  tensor<int32, []> z = const()[name = string(\"z\"), val = int32(0)];\n"
        "  tensor<fp32, []> s0 = const()[name = string(\"s0\"), val = fp32(0)];\n"
        "  tensor<int32, []> i_o, tensor<fp32, []> s_o, tensor<int32, []> r_o = while_loop(loop_vars = (z, s0, rows))[name = string(\"outer\")]\n"
        "  (tensor<int32, []> i, tensor<fp32, []> s, tensor<int32, []> rr) {\n"
        "    tensor<bool, []> go = less(x = i, y = rr)[name = string(\"go\")];\n"
        "  } -> (go)\n"
        "  (tensor<int32, []> i2, tensor<fp32, []> s2, tensor<int32, []> rr2) {\n"
        "    tensor<int32, []> j_o, tensor<fp32, []> t_o = while_loop(loop_vars = (z, s2))[name = string(\"inner\")]\n"
        "    (tensor<int32, []> j, tensor<fp32, []> t) {\n"
        "      tensor<bool, []> go2 = less(x = j, y = cols)[name = string(\"go2\")];\n"
        "    } -> (go2)\n"
        "    (tensor<int32, []> j2, tensor<fp32, []> t2) {\n"
        "      tensor<int32, []> i10 = mul(x = i2, y = int32(10))[name = string(\"i10\")];\n"
        "      tensor<int32, []> v = add(x = i10, y = j2)[name = string(\"v\")];\n"
        "      tensor<fp32, []> vf = cast(x = v, dtype = string(\"fp32\"))[name = string(\"vf\")];\n"
        "      tensor<fp32, []> t3 = add(x = t2, y = vf)[name = string(\"t3\")];\n"
        "      tensor<int32, []> j3 = add(x = j2, y = int32(1))[name = string(\"j3\")];\n"
        "    } -> (j3, t3);\n"
        "    tensor<int32, []> i3 = add(x = i2, y = int32(1))[name = string(\"i3\")];\n"
        "  } -> (i3, t_o, rr2);\n"
        "} -> (s_o, r_o, i_o);\n";

static void test_while_nested(void) {
    const char *f = NESTED;
    float rows = 3, cols = 4;
    exec_tensor in[] = {TS0("rows", &rows), TS0("cols", &cols)};
    res r;
    if (run(&r, f, EXEC_FP32, in, 2)) {
        double want = 0;
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 4; j++) want += i * 10 + j;
        EXPECT(&r, 0, 0, (float)want);
        EXPECT(&r, 1, 0, 3);
        EXPECT(&r, 2, 0, 3);
    }
    res_free(&r);
}

/* loops nested inside loops count against one budget per run: 40 rows of
 * 40 columns are 40 + 1600 iterations, each loop far under the limit, the
 * two together over it (a per-loop cap would let k nested loops run
 * cap^k times); the same plan runs them all under a larger limit */
static void test_while_nested_budget(void) {
    float rows = 40, cols = 40;
    exec_tensor in[] = {TS0("rows", &rows), TS0("cols", &cols)};
    res r;
    if (prep_limit(&r, NESTED, 1000)) {
        CHECK(run_rc(&r, EXEC_FP32, in, 2) != 0);
        const char *e = exec_last_error(r.p);
        CHECK(strstr(e, "'inner'") && strstr(e, "after 1000 loop iterations") && strstr(e, "nested"));
        /* 3 rows of 4: 15 iterations, within the budget on the same plan */
        float r3 = 3, c4 = 4;
        exec_tensor small[] = {TS0("rows", &r3), TS0("cols", &c4)};
        if (again(&r, EXEC_FP32, small, 2)) EXPECT(&r, 0, 0, 138);
    }
    res_free(&r);
    /* exactly the iterations taken: one fewer stops the run */
    if (prep_limit(&r, NESTED, 1639)) CHECK(run_rc(&r, EXEC_FP32, in, 2) != 0);
    res_free(&r);
    if (prep_limit(&r, NESTED, 1640)) {
        if (again(&r, EXEC_FP32, in, 2)) {
            double want = 0;
            for (int i = 0; i < 40; i++)
                for (int j = 0; j < 40; j++) want += i * 10 + j;
            EXPECT(&r, 0, 0, (float)want);
        }
    }
    res_free(&r);
}

/* a while_loop inside a cond branch, reading a value from outside both */
static void test_loop_in_branch(void) {
    const char *f =
        "func main<ios17>(tensor<fp32, [2]> x, tensor<bool, []> p) {\n"
        "  tensor<fp32, [2]> h = mul(x = x, y = fp32(0.5))[name = string(\"h\")];\n"
        "  tensor<fp32, [2]> y = cond(pred = p)[name = string(\"c\")]\n"
        "  {\n"
        "    tensor<fp32, [2]> lo = while_loop(loop_vars = (x))[name = string(\"l\")]\n"
        "    (tensor<fp32, [2]> a) {\n"
        "      tensor<fp32, []> m = reduce_max(x = a, keep_dims = bool(false))[name = string(\"m\")];\n"
        "      tensor<bool, []> g = less(x = m, y = fp32(100))[name = string(\"g\")];\n"
        "    } -> (g)\n"
        "    (tensor<fp32, [2]> b) {\n"
        "      tensor<fp32, [2]> b2 = add(x = b, y = h)[name = string(\"b2\")];\n"
        "    } -> (b2);\n"
        "  } -> (lo)\n"
        "  {\n"
        "  } -> (h);\n"
        "} -> (y, h);\n";
    float x[] = {10, 30}, t = 1, fl = 0;
    exec_tensor in[] = {TS("x", x, 2), TS0("p", &t)};
    res r;
    if (run(&r, f, EXEC_FP32, in, 2)) {
        /* adds (5, 15) until the max reaches 100: 10 + 5k, 30 + 15k, k = 5 */
        EXPECT(&r, 0, 0, 35, 105);
        EXPECT(&r, 1, 0, 5, 15);
        exec_tensor in2[] = {TS("x", x, 2), TS0("p", &fl)};
        if (again(&r, EXEC_FP32, in2, 2)) EXPECT(&r, 0, 0, 5, 15);
    }
    res_free(&r);
}

/* ---- lists ---------------------------------------------------------------------------- */

/* a loop that writes x * i at index i of a dynamic list, then gathers,
 * reads, scatters and measures it */
static void test_lists(void) {
    const char *f =
        "func main<ios17>(tensor<fp32, [2]> x, tensor<int32, []> n) {\n"
        "  tensor<int32, []> z = const()[name = string(\"z\"), val = int32(0)];\n"
        "  list<tensor<fp32, [2]>, ?> l0 = make_list(init_length = int32(1), dynamic_length = bool(true), elem_shape = (int32(2)), dtype = string(\"fp32\"))[name = string(\"l0\")];\n"
        "  tensor<int32, []> i_o, list<tensor<fp32, [2]>, ?> l_o = while_loop(loop_vars = (z, l0))[name = string(\"fill\")]\n"
        "  (tensor<int32, []> i, list<tensor<fp32, [2]>, ?> l) {\n"
        "    tensor<bool, []> go = less(x = i, y = n)[name = string(\"go\")];\n"
        "  } -> (go)\n"
        "  (tensor<int32, []> i2, list<tensor<fp32, [2]>, ?> l2) {\n"
        "    tensor<fp32, []> fi = cast(x = i2, dtype = string(\"fp32\"))[name = string(\"fi\")];\n"
        "    tensor<fp32, [2]> v = mul(x = x, y = fi)[name = string(\"v\")];\n"
        "    list<tensor<fp32, [2]>, ?> l3 = list_write(ls = l2, index = i2, value = v)[name = string(\"w\")];\n"
        "    tensor<int32, []> i3 = add(x = i2, y = int32(1))[name = string(\"i3\")];\n"
        "  } -> (i3, l3);\n"
        "  tensor<int32, []> len = list_length(ls = l_o)[name = string(\"len\")];\n"
        "  tensor<fp32, [3, 2]> g = list_gather(ls = l_o, indices = tensor<int32, [3]>([2, 0, 1]))[name = string(\"g\")];\n"
        "  tensor<fp32, [2]> last = list_read(ls = l_o, index = int32(3))[name = string(\"last\")];\n"
        "  list<tensor<fp32, [2]>, ?> l4 = list_scatter(ls = l_o, indices = tensor<int32, [2]>([5, 0]), value = tensor<fp32, [2, 2]>([7, 8, 9, 10]))[name = string(\"sc\")];\n"
        "  tensor<int32, []> len4 = list_length(ls = l4)[name = string(\"len4\")];\n"
        "  tensor<fp32, [3, 2]> g4 = list_gather(ls = l4, indices = tensor<int32, [3]>([0, 4, 5]))[name = string(\"g4\")];\n"
        "  tensor<fp32, [2]> first = list_read(ls = l_o, index = int32(0))[name = string(\"first\")];\n"
        "} -> (len, g, last, len4, g4, first);\n";
    float x[] = {1, -2}, n = 4;
    exec_tensor in[] = {TS("x", x, 2), TS0("n", &n)};
    res r;
    if (run(&r, f, EXEC_FP32, in, 2)) {
        EXPECT(&r, 0, 0, 4);
        SHAPE(&r, 1, 3, 2);
        EXPECT(&r, 1, 0, 2, -4, 0, 0, 1, -2);
        EXPECT(&r, 2, 0, 3, -6);
        EXPECT(&r, 3, 0, 6);                         /* grew to hold index 5 */
        EXPECT(&r, 4, 0, 9, 10, 0, 0, 7, 8);         /* index 4 never written: zeros */
        EXPECT(&r, 5, 0, 0, 0);                      /* list_scatter left l_o as it was */
    }
    res_free(&r);
    /* a fixed-length list refuses a write past its end; reads past it fail */
    const char *g =
        "func main<ios17>(tensor<fp32, [2]> x, tensor<int32, []> k) {\n"
        "  list<tensor<fp32, [2]>, 2> l0 = make_list(init_length = int32(2), dynamic_length = bool(false), elem_shape = (int32(2)), dtype = string(\"fp32\"))[name = string(\"l0\")];\n"
        "  list<tensor<fp32, [2]>, 2> l1 = list_write(ls = l0, index = k, value = x)[name = string(\"w\")];\n"
        "  tensor<fp32, [2]> y = list_read(ls = l1, index = k)[name = string(\"r\")];\n"
        "} -> (y);\n";
    float k = 1;
    exec_tensor in2[] = {TS("x", x, 2), TS0("k", &k)};
    if (run(&r, g, EXEC_FP32, in2, 2)) {
        EXPECT(&r, 0, 0, 1, -2);
        k = 2;
        CHECK(run_rc(&r, EXEC_FP32, in2, 2) != 0);
        CHECK(strstr(exec_last_error(r.p), "fixed length") != NULL);
        k = -1;
        CHECK(run_rc(&r, EXEC_FP32, in2, 2) != 0);
    }
    res_free(&r);
}

/* list_gather of a list whose elements have rank 8 (the executor's most):
 * the stacked output would have rank 9, but the element's 8 dims were
 * copied to dim[1..8] of a stack array of 8 before the rank was checked
 * (a stack-buffer-overflow under ASan); refused before the copy now */
static void test_list_gather_rank(void) {
    const char *f =
        "func main<ios17>(tensor<fp32, [1, 1, 1, 1, 1, 1, 1, 2]> v) {\n"
        "  list<tensor<fp32, [1, 1, 1, 1, 1, 1, 1, 2]>, ?> l0 = make_list(init_length = int32(1), dynamic_length = bool(true), elem_shape = (int32(1), int32(1), int32(1), int32(1), int32(1), int32(1), int32(1), int32(2)), dtype = string(\"fp32\"))[name = string(\"l0\")];\n"
        "  list<tensor<fp32, [1, 1, 1, 1, 1, 1, 1, 2]>, ?> l1 = list_write(ls = l0, index = int32(0), value = v)[name = string(\"w\")];\n"
        "  tensor<fp32, [?]> g = list_gather(ls = l1, indices = tensor<int32, [1]>([0]))[name = string(\"g\")];\n"
        "} -> (g);\n";
    float v[2] = {1, 2};
    exec_tensor in = TS("v", v, 1, 1, 1, 1, 1, 1, 1, 2);
    res r;
    if (prep(&r, f)) {
        CHECK(run_rc(&r, EXEC_FP32, &in, 1) != 0);
        CHECK(strstr(exec_last_error(r.p), "rank 9") != NULL);
    }
    res_free(&r);
}

/* make_list with an elem_shape entry of 0 values among others: one dim
 * per entry was read as the entry's value 0, past its end (whatever the
 * buffer held became a dim: a read of the list ran out of memory, or
 * succeeded with a garbage shape); refused now */
static void test_make_list_empty_dim(void) {
    const char *f =
        "func main<ios17>(tensor<fp32, [2]> x) {\n"
        "  list<tensor<fp32, [2]>, ?> l0 = make_list(init_length = int32(1), dynamic_length = bool(true), elem_shape = (tensor<int32, [0]>([]), int32(2)), dtype = string(\"fp32\"))[name = string(\"l0\")];\n"
        "  tensor<fp32, [?]> y = list_read(ls = l0, index = int32(0))[name = string(\"y\")];\n"
        "} -> (y);\n";
    float x[2] = {1, 2};
    exec_tensor in = TS("x", x, 2);
    res r;
    if (prep(&r, f)) {
        CHECK(run_rc(&r, EXEC_FP32, &in, 1) != 0);
        CHECK(strstr(exec_last_error(r.p), "elem_shape entry 0 holds no value") != NULL);
    }
    res_free(&r);
    /* one empty int tensor as the whole elem_shape is the shape [] of scalars */
    const char *g =
        "func main<ios17>(tensor<fp32, [2]> x) {\n"
        "  list<tensor<fp32, []>, ?> l0 = make_list(init_length = int32(1), dynamic_length = bool(true), elem_shape = (tensor<int32, [0]>([])), dtype = string(\"fp32\"))[name = string(\"l0\")];\n"
        "  tensor<fp32, []> y = list_read(ls = l0, index = int32(0))[name = string(\"y\")];\n"
        "} -> (y);\n";
    if (run(&r, g, EXEC_FP32, &in, 1)) {
        SHAPE0(&r, 0);
        EXPECT(&r, 0, 0, 0);
    }
    res_free(&r);
}

/* ---- states --------------------------------------------------------------------------- */

/* A decoder-style KV cache in an fp16 state: each prediction writes its key
 * row at position pos (slice_update) and returns the running sum over the
 * cache, so N predictions accumulate as Core ML's would. */
static void test_state_kv_cache(void) {
    const char *f =
        "func main<ios18>(tensor<fp16, [1, 4]> k, tensor<int32, [1]> pos, state<tensor<fp16, [3, 4]>> cache) {\n"
        "  tensor<fp16, [3, 4]> c0 = read_state(input = cache)[name = string(\"c0\")];\n"
        "  tensor<int32, [1]> end0 = add(x = pos, y = int32(1))[name = string(\"end0\")];\n"
        "  tensor<int32, [2]> b = concat(values = (pos, tensor<int32, [1]>([0])), axis = int32(0), interleave = bool(false))[name = string(\"b\")];\n"
        "  tensor<int32, [2]> e = concat(values = (end0, tensor<int32, [1]>([4])), axis = int32(0), interleave = bool(false))[name = string(\"e\")];\n"
        "  tensor<fp16, [3, 4]> c1 = slice_update(x = c0, update = k, begin = b, end = e)[name = string(\"c1\")];\n"
        "  write_state(data = c1, input = cache)[name = string(\"w\")];\n"
        "  tensor<fp16, [3, 4]> c2 = read_state(input = cache)[name = string(\"c2\")];\n"
        "  tensor<fp16, [4]> s = reduce_sum(x = c2, axes = tensor<int32, [1]>([0]), keep_dims = bool(false))[name = string(\"s\")];\n"
        "} -> (s, c2);\n";
    res r;
    if (!prep(&r, f)) { res_free(&r); return; }
    for (int mode = 0; mode < 2; mode++) {
        exec_reset_states(r.p);
        double cache[3][4] = {{0}};
        for (int step = 0; step < 3; step++) {
            float k[4], pos = (float)step;
            for (int j = 0; j < 4; j++) k[j] = exec_round_fp16(0.1f * (float)(step + 1) * (float)(j + 1));
            exec_tensor in[] = {TS("k", k, 1, 4), TS("pos", &pos, 1)};
            if (!again(&r, mode ? EXEC_FP16_EMU : EXEC_TYPED, in, 2)) break;
            float want[4], wc[12];
            for (int j = 0; j < 4; j++) cache[step][j] = k[j];
            for (int j = 0; j < 4; j++) {
                double sum = 0;
                for (int i = 0; i < 3; i++) sum += cache[i][j];
                want[j] = exec_round_fp16((float)sum);
                for (int i = 0; i < 3; i++) wc[i * 4 + j] = (float)cache[i][j];
            }
            expect_vals(&r, 0, want, 4, 0, __LINE__);
            expect_vals(&r, 1, wc, 12, 0, __LINE__);
        }
    }
    res_free(&r);
}

/* ---- dynamic shapes, refusals inside blocks -------------------------------------------- */

/* A flexible input: shapes flow from the values (shape, range_1d, topk with
 * k from the graph, non_zero) and one plan runs two sizes. */
static void test_dynamic_shapes(void) {
    const char *f =
        "func main<ios17>(tensor<fp32, [?, 3]> x) {\n"
        "  tensor<int32, [2]> s = shape(x = x)[name = string(\"s\")];\n"
        "  tensor<int32, []> n = gather(x = s, indices = int32(0), axis = int32(0))[name = string(\"n\")];\n"
        "  tensor<int32, [?]> r = range_1d(start = int32(0), end = n, step = int32(1))[name = string(\"r\")];\n"
        "  tensor<fp32, [?]> rf = cast(x = r, dtype = string(\"fp32\"))[name = string(\"rf\")];\n"
        "  tensor<fp32, [?, 1]> col = expand_dims(x = rf, axes = tensor<int32, [1]>([1]))[name = string(\"col\")];\n"
        "  tensor<fp32, [?, 3]> y = mul(x = x, y = col)[name = string(\"y\")];\n"
        "  tensor<fp32, [?]> rs = reduce_sum(x = y, axes = tensor<int32, [1]>([1]), keep_dims = bool(false))[name = string(\"rs\")];\n"
        "  tensor<int32, []> k = sub(x = n, y = int32(1))[name = string(\"k\")];\n"
        "  tensor<fp32, [?]> tv, tensor<int32, [?]> ti = topk(x = rs, k = k)[name = string(\"t\")];\n"
        "  tensor<int32, [?, 1]> nz = non_zero(x = rs)[name = string(\"nz\")];\n"
        "} -> (y, ti, nz);\n";
    res r;
    if (!prep(&r, f)) { res_free(&r); return; }
    float x3[] = {1, 1, 1, 2, 2, 2, -1, 0, 1};
    exec_tensor in3 = TS("x", x3, 3, 3);
    if (again(&r, EXEC_FP32, &in3, 1)) {
        SHAPE(&r, 0, 3, 3);
        EXPECT(&r, 0, 0, 0, 0, 0, 2, 2, 2, -2, 0, 2);
        SHAPE(&r, 1, 2);      /* k = n - 1 = 2; row sums 0, 6, 0 */
        EXPECT(&r, 1, 0, 1, 0);
        SHAPE(&r, 2, 1, 1);   /* one non-zero row sum */
        EXPECT(&r, 2, 0, 1);
    }
    float x5[15];
    for (int i = 0; i < 15; i++) x5[i] = 1;
    exec_tensor in5 = TS("x", x5, 5, 3);
    if (again(&r, EXEC_FP32, &in5, 1)) {
        SHAPE(&r, 0, 5, 3);
        SHAPE(&r, 1, 4);
        EXPECT(&r, 1, 0, 4, 3, 2, 1);
        SHAPE(&r, 2, 4, 1);
        EXPECT(&r, 2, 0, 1, 2, 3, 4);
    }
    /* the declared dims still bind: 3 columns */
    float bad[8] = {0};
    exec_tensor inb = TS("x", bad, 2, 4);
    CHECK(run_rc(&r, EXEC_FP32, &inb, 1) != 0);
    res_free(&r);
}

/* range_1d over an infinite, NaN or huge span: refused, never a count
 * converted from inf (undefined behaviour) or an allocation of 1e30 */
static void test_range_unbounded(void) {
    const char *ends[] = {"inf", "nan", "1e30"};
    for (size_t i = 0; i < sizeof ends / sizeof *ends; i++) {
        char f[1024];
        snprintf(f, sizeof f,
                 "func main<ios17>(tensor<fp32, [2]> x) {\n"
                 "  tensor<fp32, [?]> r = range_1d(start = fp32(0), end = fp32(%s), step = fp32(1))[name = string(\"r\")];\n"
                 "  tensor<fp32, [2]> y = relu(x = x)[name = string(\"y\")];\n"
                 "} -> (y, r);\n",
                 ends[i]);
        res r;
        if (!prep(&r, f)) {
            res_free(&r);
            continue;
        }
        float x[2] = {1, 2};
        exec_tensor in = TS("x", x, 2);
        CHECK(run_rc(&r, EXEC_FP32, &in, 1) != 0);
        res_free(&r);
    }
}

/* an op the executor lacks inside a branch is named by prepare, once */
static void test_unsupported_in_block(void) {
    const char *f =
        "func main<ios17>(tensor<fp32, [2]> x, tensor<bool, []> p) {\n"
        "  tensor<fp32, [2]> y = cond(pred = p)[name = string(\"c\")]\n"
        "  {\n"
        "    tensor<fp32, [2]> a = no_such_op(x = x)[name = string(\"a\")];\n"
        "  } -> (a)\n"
        "  {\n"
        "    tensor<fp32, [2]> b = while_loop(loop_vars = (x))[name = string(\"w\")]\n"
        "    (tensor<fp32, [2]> q) {\n"
        "      tensor<bool, []> t = other_missing_op(x = q)[name = string(\"t\")];\n"
        "    } -> (t)\n"
        "    (tensor<fp32, [2]> q2) {\n"
        "    } -> (q2);\n"
        "  } -> (b);\n"
        "} -> (y);\n";
    res r;
    CHECK(!prep_quiet(&r, f));
    CHECK(strstr(r.err, "no_such_op") != NULL);
    CHECK(strstr(r.err, "other_missing_op") != NULL);
    const cml_op *bad[4];
    char why[4][192];
    if (r.lm && r.lm->model) {
        size_t nb = exec_unsupported(r.lm->model, NULL, &host_opts.io, bad, why, 4);
        CHECK_INT(nb, 2);
        if (nb == 2) {
            CHECK_STR(bad[0]->name, "a");
            CHECK_STR(bad[1]->name, "t");
        }
    }
    res_free(&r);
    /* a malformed loop (no condition block output) is refused with the reason */
    const char *g =
        "func main<ios17>(tensor<fp32, [2]> x) {\n"
        "  tensor<fp32, [2]> b = while_loop(loop_vars = (x))[name = string(\"w\")]\n"
        "    (tensor<fp32, [2]> q) {\n"
        "    } -> ()\n"
        "    (tensor<fp32, [2]> q2) {\n"
        "    } -> (q2);\n"
        "} -> (b);\n";
    CHECK(!prep_quiet(&r, g));
    CHECK(strstr(r.err, "while_loop (blocks do not match") != NULL);
    res_free(&r);
}

/* Shapes a hostile model computes from its own parameters fail the run with
 * a message; none wraps around into a small buffer. */
static void test_hostile_sizes(void) {
    static const char *const progs[] = {
        "  tensor<fp32, [?, ?, ?]> y = tile(x = x, reps = tensor<int32, [3]>([1073741824, 1073741824, 1073741824]))[name = string(\"y\")];\n",
        "  tensor<fp32, [?, ?, ?]> y = space_to_batch(x = x, block_shape = tensor<int32, [2]>([65536, 65536]), paddings = tensor<int32, [4]>([0, 65535, 0, 65535]))[name = string(\"y\")];\n",
        "  tensor<fp32, [?, ?, ?, ?]> y = fill(shape = tensor<int32, [4]>([65536, 65536, 65536, 65536]), value = fp32(1))[name = string(\"y\")];\n",
        "  tensor<fp32, [?]> y = random_normal(shape = tensor<int32, [4]>([65536, 65536, 65536, 65536]))[name = string(\"y\")];\n",
        "  tensor<fp32, [?]> y = one_hot(indices = tensor<int32, [2]>([0, 1]), one_hot_vector_size = int32(2147483647))[name = string(\"y\")];\n",
        "  tensor<fp32, [?]> y = upsample_bilinear(x = x, scale_factor_height = fp32(1e9), scale_factor_width = fp32(1e9))[name = string(\"y\")];\n",
    };
    float x[4] = {1, 2, 3, 4};
    exec_tensor in = TS("x", x, 1, 1, 2, 2);
    for (size_t i = 0; i < sizeof progs / sizeof *progs; i++) {
        char *f = fmt("func main<ios17>(tensor<fp32, [1, 1, 2, 2]> x) {\n%s} -> (y);\n", progs[i]);
        res r;
        if (prep(&r, f)) {
            int rc = run_rc(&r, EXEC_FP32, &in, 1);
            if (rc == 0 || !exec_last_error(r.p)[0]) fprintf(stderr, "program %zu: rc %d, '%s'\n", i, rc, exec_last_error(r.p));
            CHECK(rc != 0);
            CHECK(exec_last_error(r.p)[0] != 0);
        }
        res_free(&r);
        free(f);
    }
}

/* ---- random ops ------------------------------------------------------------------------ */

static double mean_of(const exec_tensor *t, size_t from, size_t n) {
    double s = 0;
    for (size_t i = from; i < from + n; i++) s += t->data[i];
    return s / (double)n;
}

/* Distributions drawn by the seeded generator: with 20000 draws the sample
 * moments lie far inside the bounds checked (6 standard errors and more);
 * the sequence is fixed, so the checks cannot flake. */
static void test_random_ops(void) {
    const char *f =
        "func main<ios16>(tensor<int32, [1]> n, tensor<fp32, [2, 3]> lg) {\n"
        "  tensor<fp32, [?]> u = random_uniform(shape = n, low = fp32(-2), high = fp32(6))[name = string(\"u\")];\n"
        "  tensor<fp32, [?]> g = random_normal(shape = n, mean = fp32(1.5), stddev = fp32(0.5), seed = int32(7))[name = string(\"g\")];\n"
        "  tensor<fp32, [?]> be = random_bernoulli(shape = n, prob = fp32(0.3))[name = string(\"be\")];\n"
        "  tensor<fp32, [2, 20000]> ca = random_categorical(x = lg, size = int32(20000))[name = string(\"ca\")];\n"
        "  tensor<fp32, [2, 20000]> cp = random_categorical(x = lg, mode = string(\"probs\"), size = int32(20000))[name = string(\"cp\")];\n"
        "  tensor<fp32, [2, 3]> plain = mul(x = lg, y = fp32(2))[name = string(\"plain\")];\n"
        "  tensor<fp32, [?]> mixed = add(x = u, y = fp32(1))[name = string(\"mixed\")];\n"
        "} -> (u, g, be, ca, cp, plain, mixed);\n";
    float n = 20000;
    float lg[] = {0, 1, 2, 0.2f, 0.3f, 0.5f}; /* row 1 as probabilities: 0.2 / 0.3 / 0.5 */
    exec_tensor in[] = {TS("n", &n, 1), TS("lg", lg, 2, 3)};
    res r;
    if (!run(&r, f, EXEC_FP32, in, 2)) { res_free(&r); return; }
    SHAPE(&r, 0, 20000);
    double mn = 1e9, mx = -1e9;
    for (size_t i = 0; i < 20000; i++) {
        mn = fmin(mn, r.o[0].data[i]);
        mx = fmax(mx, r.o[0].data[i]);
    }
    CHECK(mn >= -2 && mx < 6 && mn < -1.99 && mx > 5.99);
    CHECK(fabs(mean_of(&r.o[0], 0, 20000) - 2) < 0.1);          /* uniform mean 2, sd 2.31 */
    double m = mean_of(&r.o[1], 0, 20000), v = 0;
    for (size_t i = 0; i < 20000; i++) v += (r.o[1].data[i] - m) * (r.o[1].data[i] - m);
    v /= 20000;
    CHECK(fabs(m - 1.5) < 0.02 && fabs(sqrt(v) - 0.5) < 0.02);   /* normal: sd error 0.0035 */
    CHECK(fabs(mean_of(&r.o[2], 0, 20000) - 0.3) < 0.02);        /* bernoulli: sd 0.0032 */
    for (size_t i = 0; i < 20000; i++) CHECK(r.o[2].data[i] == 0 || r.o[2].data[i] == 1);
    /* categorical: class frequencies against softmax(logits) / the probabilities */
    double e0 = 1, e1 = exp(1.0), e2 = exp(2.0), z = e0 + e1 + e2;
    const double want_l[3] = {e0 / z, e1 / z, e2 / z}, want_p[3] = {0.2, 0.3, 0.5};
    for (int o = 3; o <= 4; o++)
        for (int row = 0; row < 2; row++) {
            double cnt[3] = {0, 0, 0};
            for (size_t i = 0; i < 20000; i++) cnt[(int)r.o[o].data[row * 20000 + i]]++;
            for (int k = 0; k < 3; k++) {
                double want = o == 3 ? (row ? exp(lg[3 + k]) / (exp(0.2) + exp(0.3) + exp(0.5)) : want_l[k])
                                     : (row ? want_p[k] : lg[k] / 3.0);
                CHECK(fabs(cnt[k] / 20000 - want) < 0.02);
            }
        }
    /* the plan marks what depends on a draw, and only that */
    const int want_random[] = {1, 1, 1, 1, 1, 0, 1};
    for (size_t i = 0; i < 7; i++) CHECK_INT(exec_output_random(r.p, i), want_random[i]);
    /* every run of the plan draws the same values, in fp16 emulation too (rounded) */
    float first = r.o[1].data[123];
    if (again(&r, EXEC_FP32, in, 2)) CHECK(r.o[1].data[123] == first);
    if (again(&r, EXEC_FP16_EMU, in, 2)) CHECK(r.o[1].data[123] == exec_round_fp16(first));
    res_free(&r);

    /* a draw inside a loop body differs from iteration to iteration */
    const char *g =
        "func main<ios17>(tensor<int32, []> n) {\n"
        "  tensor<int32, []> z = const()[name = string(\"z\"), val = int32(0)];\n"
        "  tensor<fp32, [4]> a0 = const()[name = string(\"a0\"), val = tensor<fp32, [4]>([0, 0, 0, 0])];\n"
        "  tensor<int32, []> i_o, tensor<fp32, [4]> a_o = while_loop(loop_vars = (z, a0))[name = string(\"l\")]\n"
        "  (tensor<int32, []> i, tensor<fp32, [4]> a) {\n"
        "    tensor<bool, []> go = less(x = i, y = n)[name = string(\"go\")];\n"
        "  } -> (go)\n"
        "  (tensor<int32, []> i2, tensor<fp32, [4]> a2) {\n"
        "    tensor<fp32, [4]> d = random_uniform(shape = tensor<int32, [1]>([4]))[name = string(\"d\")];\n"
        "    tensor<fp32, [4]> keep = mul(x = a2, y = fp32(10))[name = string(\"keep\")];\n"
        "    tensor<fp32, [4]> a3 = add(x = keep, y = d)[name = string(\"a3\")];\n"
        "    tensor<int32, []> i3 = add(x = i2, y = int32(1))[name = string(\"i3\")];\n"
        "  } -> (i3, a3);\n"
        "} -> (a_o, i_o);\n";
    float one = 1, two = 2;
    exec_tensor in1 = TS0("n", &one), in2 = TS0("n", &two);
    if (run(&r, g, EXEC_FP32, &in1, 1)) {
        float d1[4];
        memcpy(d1, r.o[0].data, sizeof d1); /* a = 0 * 10 + d1 */
        if (again(&r, EXEC_FP32, &in2, 1)) {
            /* a = 10 d1 + d2: the first draw repeats (same sequence per run), the second is new */
            bool differ = false;
            for (int k = 0; k < 4; k++) {
                float d2 = r.o[0].data[k] - 10 * d1[k];
                CHECK(d2 >= -1e-5f && d2 < 1.00001f);
                differ |= fabsf(d2 - d1[k]) > 1e-3f;
            }
            CHECK(differ);
        }
        /* control flow is judged as a whole: every output of a loop that draws is marked */
        CHECK_INT(exec_output_random(r.p, 0), 1);
        CHECK_INT(exec_output_random(r.p, 1), 1);
    }
    res_free(&r);
}

int main(void) {
    harness_init();
    RUN(test_cond_branches);
    RUN(test_cond_nested);
    RUN(test_while_counts);
    RUN(test_while_cap);
    RUN(test_while_nested);
    RUN(test_while_nested_budget);
    RUN(test_loop_in_branch);
    RUN(test_lists);
    RUN(test_list_gather_rank);
    RUN(test_make_list_empty_dim);
    RUN(test_state_kv_cache);
    RUN(test_dynamic_shapes);
    RUN(test_range_unbounded);
    RUN(test_unsupported_in_block);
    RUN(test_hostile_sizes);
    RUN(test_random_ops);
    harness_done();
    return CHECK_DONE();
}
#endif
