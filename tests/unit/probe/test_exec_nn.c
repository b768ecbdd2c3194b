/* SPDX-License-Identifier: Apache-2.0 */
/* test_exec_nn.c — the executor's NeuralNetwork layers, part 1: control
 * flow (branch, for / while loops with conditionNetwork, a loop-count
 * input, loopBreak / loopContinue inside a branch, the iteration cap, a
 * stray break), the name-keyed blob namespace (a layer writing the blob it
 * reads), the rank-5 input mappings (multiarray, image, a sequence given
 * as [Seq, C]) and the declared output shape, and the elementwise, data
 * movement, normalisation and resampling families.
 *
 * Models are protobuf-c messages (nn_model.h) packed into temporary
 * .mlmodel files and loaded with the host's loader. Expected values are
 * hand-computed for small cases (the proto's own examples where it has
 * them) and otherwise read from tests/refs/nn_refs.txt, which
 * tests/refs/gen_nn_refs.py computes with PyTorch / NumPy: fp32 results
 * must agree within 1e-5 relative to max(1, |ref|) (the kernels accumulate
 * in double; the references are float64 rounded to float32). */
#define _DEFAULT_SOURCE
#include "tmptree.h"
#ifdef CML_NO_EXEC
#include "check.h"
CHECK_MAIN_NO_EXEC()
#else
#include "nn_model.h"

#define TOL 1e-5

/* ---- control flow ----------------------------------------------------------------------------- */

static Cmlpb__NeuralNetwork *net(void) { return P(NeuralNetwork, NEURAL_NETWORK); }

static void *mul_p(float a) {
    Cmlpb__MultiplyLayerParams *m = P(MultiplyLayerParams, MULTIPLY_LAYER_PARAMS);
    m->alpha = a;
    return m;
}
static void *add_p(float a) {
    Cmlpb__AddLayerParams *m = P(AddLayerParams, ADD_LAYER_PARAMS);
    m->alpha = a;
    return m;
}
static void *gt_p(float a) {
    Cmlpb__GreaterThanLayerParams *m = P(GreaterThanLayerParams, GREATER_THAN_LAYER_PARAMS);
    m->alpha = a;
    return m;
}
static void *lt_p(float a) {
    Cmlpb__LessThanLayerParams *m = P(LessThanLayerParams, LESS_THAN_LAYER_PARAMS);
    m->alpha = a;
    return m;
}

static void test_branch(void) {
    for (int cond = 0; cond < 2; cond++) {
        nnm b = nnm_new(true);
        nnm_input(&b, "c", NV(1));
        nnm_input(&b, "x", NV(2));
        nnm_output(&b, "y");
        Cmlpb__BranchLayerParams *br = P(BranchLayerParams, BRANCH_LAYER_PARAMS);
        br->ifbranch = net();
        br->elsebranch = net();
        nn_add(br->ifbranch, "double", "x", "y", LC(MULTIPLY), mul_p(2));
        nn_add(br->elsebranch, "shift", "x", "y", LC(ADD), add_p(100));
        nn_add(b.nn, "br", "c", "", LC(BRANCH), br);
        float cv = cond ? 0.5f : 1e-7f, x[2] = {3, -4};
        exec_tensor in[2] = {TS("c", &cv, 1), TS("x", x, 2)};
        res r;
        if (nnm_run(&r, &b, in, 2, EXEC_FP32)) {
            /* |c| > 1e-6 runs ifBranch; the layer after reads what the branch wrote */
            if (cond) EXPECT_OUT(&r, "y", 0, 6, -8);
            else EXPECT_OUT(&r, "y", 0, 103, 96);
        }
        res_free(&r);
        pool_free();
    }
}

/* acc = x; loop { acc = acc * 2 } (for loop of maxLoopIterations, or as
 * many as the count input says); the body writes the blob it reads */
static void test_loop_for(void) {
    for (int with_input = 0; with_input < 2; with_input++) {
        nnm b = nnm_new(true);
        nnm_input(&b, "x", NV(1));
        if (with_input) nnm_input(&b, "n", NV(1));
        nnm_output(&b, "acc");
        nn_add(b.nn, "init", "x", "acc", LC(COPY), P(CopyLayerParams, COPY_LAYER_PARAMS));
        Cmlpb__LoopLayerParams *lp = P(LoopLayerParams, LOOP_LAYER_PARAMS);
        lp->maxloopiterations = 5;
        lp->bodynetwork = net();
        nn_add(lp->bodynetwork, "twice", "acc", "acc", LC(MULTIPLY), mul_p(2));
        nn_add(b.nn, "loop", with_input ? "n" : "", "", LC(LOOP), lp);
        float x = 3, n = 3;
        exec_tensor in[2] = {TS("x", &x, 1), TS("n", &n, 1)};
        res r;
        if (nnm_run(&r, &b, in, with_input ? 2 : 1, EXEC_FP32)) {
            /* the input count overrides maxLoopIterations */
            if (with_input) EXPECT_OUT(&r, "acc", 0, 24);
            else EXPECT_OUT(&r, "acc", 0, 96);
            /* the body's layer ran once per iteration: its step's statistics add up */
            CHECK_INT(r.st.n_ops, 3);
            CHECK_INT(r.st.ops[2].n_values, with_input ? 3 : 5);
        }
        res_free(&r);
        pool_free();
    }
}

/* while acc < 100: acc = acc * 3 (conditionNetwork computes the blob
 * conditionVar names before every iteration) */
static void test_loop_while(void) {
    nnm b = nnm_new(true);
    nnm_input(&b, "x", NV(1));
    nnm_output(&b, "acc");
    nn_add(b.nn, "init", "x", "acc", LC(COPY), P(CopyLayerParams, COPY_LAYER_PARAMS));
    Cmlpb__LoopLayerParams *lp = P(LoopLayerParams, LOOP_LAYER_PARAMS);
    lp->conditionvar = pstr("go");
    lp->conditionnetwork = net();
    nn_add(lp->conditionnetwork, "test", "acc", "go", LC(LESS_THAN), lt_p(100));
    lp->bodynetwork = net();
    nn_add(lp->bodynetwork, "triple", "acc", "acc", LC(MULTIPLY), mul_p(3));
    nn_add(b.nn, "loop", "", "", LC(LOOP), lp);
    float x = 1;
    exec_tensor in = TS("x", &x, 1);
    res r;
    if (nnm_run(&r, &b, &in, 1, EXEC_FP32)) EXPECT_OUT(&r, "acc", 0, 243);
    /* a starting value past the limit: the body never runs */
    x = 500;
    if (r.p && res_again(&r, EXEC_FP32, &in, 1)) EXPECT_OUT(&r, "acc", 0, 500);
    /* with maxLoopIterations as well, whichever ends first */
    res_free(&r);
    lp->maxloopiterations = 2;
    x = 1;
    if (nnm_run(&r, &b, &in, 1, EXEC_FP32)) EXPECT_OUT(&r, "acc", 0, 9);
    res_free(&r);
    pool_free();
}

/* loop body: acc += 1; if acc > 2 continue; cnt += 1; if acc > 3 break */
static void test_loop_break_continue(void) {
    nnm b = nnm_new(true);
    nnm_input(&b, "x", NV(1));
    nnm_output(&b, "acc");
    nnm_output(&b, "cnt");
    nn_add(b.nn, "init_acc", "x", "acc", LC(COPY), P(CopyLayerParams, COPY_LAYER_PARAMS));
    nn_add(b.nn, "init_cnt", "x", "cnt", LC(COPY), P(CopyLayerParams, COPY_LAYER_PARAMS));
    Cmlpb__LoopLayerParams *lp = P(LoopLayerParams, LOOP_LAYER_PARAMS);
    lp->maxloopiterations = 100;
    lp->bodynetwork = net();
    nn_add(lp->bodynetwork, "inc", "acc", "acc", LC(ADD), add_p(1));
    nn_add(lp->bodynetwork, "big", "acc", "is_big", LC(GREATER_THAN), gt_p(3));
    Cmlpb__BranchLayerParams *brk = P(BranchLayerParams, BRANCH_LAYER_PARAMS);
    brk->ifbranch = net();
    nn_add(brk->ifbranch, "stop", "", "", LC(LOOP_BREAK), P(LoopBreakLayerParams, LOOP_BREAK_LAYER_PARAMS));
    nn_add(lp->bodynetwork, "maybe_stop", "is_big", "", LC(BRANCH), brk);
    nn_add(lp->bodynetwork, "past", "acc", "is_past", LC(GREATER_THAN), gt_p(2));
    Cmlpb__BranchLayerParams *cont = P(BranchLayerParams, BRANCH_LAYER_PARAMS);
    cont->ifbranch = net();
    nn_add(cont->ifbranch, "skip", "", "", LC(LOOP_CONTINUE), P(LoopContinueLayerParams, LOOP_CONTINUE_LAYER_PARAMS));
    nn_add(lp->bodynetwork, "maybe_skip", "is_past", "", LC(BRANCH), cont);
    nn_add(lp->bodynetwork, "count", "cnt", "cnt", LC(ADD), add_p(1));
    nn_add(b.nn, "loop", "", "", LC(LOOP), lp);
    float x = 0;
    exec_tensor in = TS("x", &x, 1);
    res r;
    /* acc 1: counted; 2: counted; 3: skipped; 4: break */
    if (nnm_run(&r, &b, &in, 1, EXEC_FP32)) {
        EXPECT_OUT(&r, "acc", 0, 4);
        EXPECT_OUT(&r, "cnt", 0, 2);
    }
    res_free(&r);
    pool_free();
}

/* A NeuralNetwork classifier (softmax over 3 classes): the label output,
 * derived from the probabilities, carries the class's name, whether the
 * classes are strings or int64 (the value, not its index), and the
 * probabilities dictionary its keys. */
static void test_nn_classifier_labels(void) {
    for (int ints = 0; ints < 2; ints++) {
        nnm b = nnm_new(true);
        nnm_input(&b, "x", NV(3));
        feat_push(&b.d->output, &b.d->n_output, feat_dict("probs", !ints));
        feat_push(&b.d->output, &b.d->n_output,
                  feat_scalar("label", ints ? CMLPB__FEATURE_TYPE__TYPE_INT64_TYPE : CMLPB__FEATURE_TYPE__TYPE_STRING_TYPE));
        b.d->predictedfeaturename = pstr("label");
        b.d->predictedprobabilitiesname = pstr("probs");
        nn_add(b.nn, "sm", "x", "probs", LC(SOFTMAX), P(SoftmaxLayerParams, SOFTMAX_LAYER_PARAMS));
        Cmlpb__NeuralNetworkClassifier *c = P(NeuralNetworkClassifier, NEURAL_NETWORK_CLASSIFIER);
        c->n_layers = b.nn->n_layers;
        c->layers = b.nn->layers;
        c->arrayinputshapemapping = b.nn->arrayinputshapemapping;
        c->imageinputshapemapping = b.nn->imageinputshapemapping;
        if (ints) {
            Cmlpb__Int64Vector *iv = P(Int64Vector, INT64_VECTOR);
            iv->n_vector = 3;
            iv->vector = pi64v(3, (const int64_t[]){10, 9000000001LL, -3});
            c->class_labels_case = CMLPB__NEURAL_NETWORK_CLASSIFIER__CLASS_LABELS_INT64_CLASS_LABELS;
            c->int64classlabels = iv;
        } else {
            Cmlpb__StringVector *sv = P(StringVector, STRING_VECTOR);
            sv->n_vector = 3;
            sv->vector = name_list("cat,dog,eel", &sv->n_vector);
            c->class_labels_case = CMLPB__NEURAL_NETWORK_CLASSIFIER__CLASS_LABELS_STRING_CLASS_LABELS;
            c->stringclasslabels = sv;
        }
        b.m->type_case = CMLPB__MODEL__TYPE_NEURAL_NETWORK_CLASSIFIER;
        b.m->neuralnetworkclassifier = c;
        float x[3] = {0.5f, 2.0f, -1.0f};
        exec_tensor t = TS("x", x, 3);
        res r;
        CHECK(nnm_prepare(&r, &b, &nn_host_opts));
        for (int mode = 0; mode < 2; mode++) {
            bool ran = res_again(&r, mode ? EXEC_FP16_EMU : EXEC_FP32, &t, 1);
            CHECK(ran);
            if (!ran) continue;
            const exec_tensor *lab = out_named(&r, "label"), *pr = out_named(&r, "probs");
            CHECK(lab && lab->dtype == EXEC_DT_LABEL && lab->data && lab->data[0] == 1);
            CHECK(lab && lab->label && !strcmp(lab->label, ints ? "9000000001" : "dog"));
            if (ints) CHECK(pr && pr->int_keys && pr->int_keys[0] == 10 && pr->int_keys[2] == -3);
            else CHECK(pr && pr->strings && !strcmp(pr->strings[2], "eel"));
        }
        res_free(&r);
        pool_free();
    }
}

/* innerProduct with a bias of fewer than outputChannels values: the run
 * fails naming it (the kernel read past the bias, heap bytes in the
 * outputs, an adversarial pass found); with all of them it computes */
static void test_inner_product_bias(void) {
    static const float wv[6] = {1, 0, 2, -1, 1, 0}; /* [2 outputs of 3] */
    for (int full = 0; full < 2; full++) {
        nnm b = nnm_new(true);
        nnm_input(&b, "x", NV(1, 3));
        nnm_output(&b, "y");
        Cmlpb__InnerProductLayerParams *ip = P(InnerProductLayerParams, INNER_PRODUCT_LAYER_PARAMS);
        ip->inputchannels = 3;
        ip->outputchannels = 2;
        ip->weights = wp(6, wv);
        ip->hasbias = 1;
        ip->bias = wp(full ? 2 : 1, (const float[]){10, 20});
        nn_add(b.nn, "fc", "x", "y", LC(INNER_PRODUCT), ip);
        float x[3] = {1, 2, 3};
        exec_tensor t = TS("x", x, 1, 3);
        res r;
        CHECK(nnm_prepare(&r, &b, &nn_host_opts));
        if (full) {
            if (res_again(&r, EXEC_FP32, &t, 1)) EXPECT_OUT(&r, "y", 0, 1 + 6 + 10, -1 + 2 + 20);
        } else {
            CHECK(!res_again(&r, EXEC_FP32, &t, 1));
            CHECK(strstr(r.err, "'fc'") && strstr(r.err, "bias holds 1 values for 2 outputChannels"));
        }
        res_free(&r);
        pool_free();
    }
}

/* a while loop whose condition never turns false stops at the plan's
 * loop limit with a message; a loopBreak outside a loop is an error */
static void test_loop_limits(void) {
    nnm b = nnm_new(true);
    nnm_input(&b, "x", NV(1));
    nnm_output(&b, "y");
    Cmlpb__LoopLayerParams *lp = P(LoopLayerParams, LOOP_LAYER_PARAMS);
    lp->conditionvar = pstr("go");
    lp->conditionnetwork = net();
    nn_add(lp->conditionnetwork, "always", "x", "go", LC(GREATER_THAN), gt_p(-1e30f));
    lp->bodynetwork = net();
    nn_add(lp->bodynetwork, "work", "x", "y", LC(ADD), add_p(1));
    nn_add(b.nn, "forever", "", "", LC(LOOP), lp);
    exec_opts o = nn_host_opts;
    o.loop_limit = 50;
    res r;
    float x = 1;
    exec_tensor in = TS("x", &x, 1);
    CHECK(nnm_prepare(&r, &b, &o));
    CHECK(!res_again(&r, EXEC_FP32, &in, 1));
    CHECK(strstr(r.err, "'forever'") && strstr(r.err, "after 50 loop iterations") && strstr(r.err, "never turned false"));
    res_free(&r);
    pool_free();

    b = nnm_new(true);
    nnm_input(&b, "x", NV(1));
    nnm_output(&b, "x2");
    nn_add(b.nn, "stray", "", "", LC(LOOP_BREAK), P(LoopBreakLayerParams, LOOP_BREAK_LAYER_PARAMS));
    nn_add(b.nn, "after", "x", "x2", LC(ADD), add_p(1));
    CHECK(nnm_prepare(&r, &b, NULL));
    CHECK(!res_again(&r, EXEC_FP32, &in, 1) && strstr(r.err, "outside any loop"));
    res_free(&r);
    pool_free();
}

/* ---- rank-5 mappings ------------------------------------------------------------------------------ */

/* Under RANK5_ARRAY_MAPPING a [C] input is [1, 1, C, 1, 1]: a legacy
 * concat joins two such vectors on C, the output comes back shaped as
 * declared; a [Seq, C] input is a sequence that sequenceRepeat and the
 * rank-5-only permute see on axis 0. */
static void test_rank5_mapping(void) {
    nnm b = nnm_new(false);
    nnm_input(&b, "a", NV(2));
    nnm_input(&b, "b", NV(3));
    feat_push(&b.d->output, &b.d->n_output, nn_feat("y", NV(5)));
    nn_add(b.nn, "cat", "a,b", "y", LC(CONCAT), P(ConcatLayerParams, CONCAT_LAYER_PARAMS));
    float a[2] = {1, 2}, bv[3] = {3, 4, 5};
    exec_tensor in[2] = {TS("a", a, 2), TS("b", bv, 3)};
    res r;
    if (nnm_run(&r, &b, in, 2, EXEC_FP32)) {
        EXPECT_SHAPE(&r, "y", 5);
        EXPECT_OUT(&r, "y", 0, 1, 2, 3, 4, 5);
    }
    res_free(&r);
    pool_free();

    /* [Seq=2, C=3] -> [2, 1, 3, 1, 1]; permute [3, 1, 2, 0] swaps Seq and W */
    b = nnm_new(false);
    nnm_input(&b, "s", NV(3));
    nnm_output(&b, "y");
    Cmlpb__PermuteLayerParams *pm = P(PermuteLayerParams, PERMUTE_LAYER_PARAMS);
    SET_LIST(pm->axis, pm->n_axis, U64, 3, 1, 2, 0);
    nn_add(b.nn, "perm", "s", "y", LC(PERMUTE), pm);
    float s[6] = {1, 2, 3, 4, 5, 6};
    exec_tensor sin_ = TS("s", s, 2, 3);
    if (nnm_run(&r, &b, &sin_, 1, EXEC_FP32)) {
        EXPECT_SHAPE(&r, "y", 1, 1, 3, 1, 2);
        EXPECT_OUT(&r, "y", 0, 1, 4, 2, 5, 3, 6);
    }
    res_free(&r);
    pool_free();
}

/* ---- elementwise -------------------------------------------------------------------------------------- */

static void unary_vs(Cmlpb__NeuralNetworkLayer__LayerCase lc, const char *in_ref, const char *out_ref) {
    nnm b = nnm_new(true);
    const reft *x = ref(in_ref);
    nnm_input(&b, "x", (size_t)x->rank, x->dim);
    nnm_output(&b, "y");
    nn_add(b.nn, "f", "x", "y", lc, P(ErfLayerParams, ERF_LAYER_PARAMS));
    exec_tensor in = ref_in("x", in_ref);
    res r;
    if (nnm_run(&r, &b, &in, 1, EXEC_FP32)) EXPECT_REF(&r, "y", out_ref, TOL);
    res_free(&r);
    pool_free();
}

/* every one-input function against libm in double (those NumPy / PyTorch
 * compute differently are in nn_refs.txt) */
static void test_unary_functions(void) {
    unary_vs(LC(ERF), "fn.x", "fn.erf");
    unary_vs(LC(ASINH), "fn.x", "fn.asinh");
    unary_vs(LC(ATANH), "fn.x", "fn.atanh");
    unary_vs(LC(ACOSH), "fn.xa", "fn.acosh");
    static const struct {
        Cmlpb__NeuralNetworkLayer__LayerCase lc;
        double (*f)(double);
    } fs[] = {{LC(SIN), sin},   {LC(COS), cos},   {LC(TAN), tan},   {LC(ASIN), asin}, {LC(ACOS), acos},
              {LC(ATAN), atan}, {LC(SINH), sinh}, {LC(COSH), cosh}, {LC(TANH), tanh}, {LC(CEIL), ceil},
              {LC(FLOOR), floor}, {LC(EXP2), exp2}};
    float x[7] = {-2.5f, -0.75f, -0.1f, 0, 0.3f, 0.9f, 1.5f};
    for (size_t i = 0; i < sizeof fs / sizeof *fs; i++) {
        bool unit = fs[i].lc == LC(ASIN) || fs[i].lc == LC(ACOS);
        nnm b = nnm_new(true);
        nnm_input(&b, "x", NV(7));
        nnm_output(&b, "y");
        nn_add(b.nn, "f", "x", "y", fs[i].lc, P(SinLayerParams, SIN_LAYER_PARAMS));
        float xi[7];
        for (int k = 0; k < 7; k++) xi[k] = unit ? x[k] / 3 : x[k];
        exec_tensor in = TS("x", xi, 7);
        res r;
        if (nnm_run(&r, &b, &in, 1, EXEC_FP32)) {
            float want[7];
            for (int k = 0; k < 7; k++) want[k] = (float)fs[i].f(xi[k]);
            expect_tensor(out_named(&r, "y"), 1, (const int64_t[]){7}, want, 7, TOL, "unary", __LINE__);
        }
        res_free(&r);
        pool_free();
    }
    /* sign (+1, -1, 0) and round (ties to even, as np.around) */
    nnm b = nnm_new(true);
    nnm_input(&b, "x", NV(6));
    nnm_output(&b, "s");
    nnm_output(&b, "r");
    nn_add(b.nn, "sign", "x", "s", LC(SIGN), P(SignLayerParams, SIGN_LAYER_PARAMS));
    nn_add(b.nn, "round", "x", "r", LC(ROUND), P(RoundLayerParams, ROUND_LAYER_PARAMS));
    float xs[6] = {-2.5f, -0.5f, 0, 0.5f, 1.5f, 2.49f};
    exec_tensor in = TS("x", xs, 6);
    res r;
    if (nnm_run(&r, &b, &in, 1, EXEC_FP32)) {
        EXPECT_OUT(&r, "s", 0, -1, -1, 0, 1, 1, 1);
        EXPECT_OUT(&r, "r", 0, -2, -0, 0, 0, 2, 2);
    }
    res_free(&r);
    pool_free();
    unary_vs(LC(ROUND), "fn.x5", "fn.round");
}

static void test_compare_logic(void) {
    /* two inputs broadcast [2, 1] x [3]; one input against alpha */
    nnm b = nnm_new(true);
    nnm_input(&b, "a", NV(2, 1));
    nnm_input(&b, "b", NV(3));
    const char *outs[] = {"eq", "ne", "lt", "le", "gt", "ge", "and", "or", "xor", "mod", "fdiv", "lt1", "not", "crelu", "where"};
    for (size_t i = 0; i < sizeof outs / sizeof *outs; i++) nnm_output(&b, outs[i]);
    nn_add(b.nn, "eq", "a,b", "eq", LC(EQUAL), P(EqualLayerParams, EQUAL_LAYER_PARAMS));
    nn_add(b.nn, "ne", "a,b", "ne", LC(NOT_EQUAL), P(NotEqualLayerParams, NOT_EQUAL_LAYER_PARAMS));
    nn_add(b.nn, "lt", "a,b", "lt", LC(LESS_THAN), lt_p(0));
    nn_add(b.nn, "le", "a,b", "le", LC(LESS_EQUAL), P(LessEqualLayerParams, LESS_EQUAL_LAYER_PARAMS));
    nn_add(b.nn, "gt", "a,b", "gt", LC(GREATER_THAN), gt_p(0));
    nn_add(b.nn, "ge", "a,b", "ge", LC(GREATER_EQUAL), P(GreaterEqualLayerParams, GREATER_EQUAL_LAYER_PARAMS));
    nn_add(b.nn, "and", "a,b", "and", LC(LOGICAL_AND), P(LogicalAndLayerParams, LOGICAL_AND_LAYER_PARAMS));
    nn_add(b.nn, "or", "a,b", "or", LC(LOGICAL_OR), P(LogicalOrLayerParams, LOGICAL_OR_LAYER_PARAMS));
    nn_add(b.nn, "xor", "a,b", "xor", LC(LOGICAL_XOR), P(LogicalXorLayerParams, LOGICAL_XOR_LAYER_PARAMS));
    nn_add(b.nn, "mod", "a,b", "mod", LC(MOD_BROADCASTABLE), P(ModBroadcastableLayerParams, MOD_BROADCASTABLE_LAYER_PARAMS));
    nn_add(b.nn, "fdiv", "a,b", "fdiv", LC(FLOOR_DIV_BROADCASTABLE),
           P(FloorDivBroadcastableLayerParams, FLOOR_DIV_BROADCASTABLE_LAYER_PARAMS));
    nn_add(b.nn, "lt1", "b", "lt1", LC(LESS_THAN), lt_p(0.5f));
    nn_add(b.nn, "not", "b", "not", LC(LOGICAL_NOT), P(LogicalNotLayerParams, LOGICAL_NOT_LAYER_PARAMS));
    Cmlpb__ClampedReLULayerParams *cr = P(ClampedReLULayerParams, CLAMPED_RE_LULAYER_PARAMS);
    cr->alpha = 0.5f;
    cr->beta = 1.5f;
    nn_add(b.nn, "crelu", "b", "crelu", LC(CLAMPED_RE_LU), cr);
    nn_add(b.nn, "where", "lt,a,b", "where", LC(WHERE_BROADCASTABLE), P(WhereBroadcastableLayerParams, WHERE_BROADCASTABLE_LAYER_PARAMS));
    float a[2] = {-3, 2}, bv[3] = {2, 0, -4};
    exec_tensor in[2] = {TS("a", a, 2, 1), TS("b", bv, 3)};
    res r;
    if (nnm_run(&r, &b, in, 2, EXEC_FP32)) {
        EXPECT_SHAPE(&r, "eq", 2, 3);
        EXPECT_OUT(&r, "eq", 0, 0, 0, 0, 1, 0, 0);
        EXPECT_OUT(&r, "ne", 0, 1, 1, 1, 0, 1, 1);
        EXPECT_OUT(&r, "lt", 0, 1, 1, 0, 0, 0, 0);
        EXPECT_OUT(&r, "le", 0, 1, 1, 0, 1, 0, 0);
        EXPECT_OUT(&r, "gt", 0, 0, 0, 1, 0, 1, 1);
        EXPECT_OUT(&r, "ge", 0, 0, 0, 1, 1, 1, 1);
        EXPECT_OUT(&r, "and", 0, 1, 0, 1, 1, 0, 1);
        EXPECT_OUT(&r, "or", 0, 1, 1, 1, 1, 1, 1);
        EXPECT_OUT(&r, "xor", 0, 0, 1, 0, 0, 1, 0);
        /* np.mod / np.floor_divide: the remainder takes the divisor's sign */
        EXPECT_OUT(&r, "mod", 0, 1, NAN, -3, 0, NAN, -2);
        EXPECT_OUT(&r, "fdiv", 0, -2, -INFINITY, 0, 1, INFINITY, -1);
        EXPECT_OUT(&r, "lt1", 0, 0, 1, 1);
        EXPECT_OUT(&r, "not", 0, 0, 1, 0);
        EXPECT_OUT(&r, "crelu", 0, 1.5, 0, -2);
        EXPECT_OUT(&r, "where", 0, -3, -3, -4, 2, 0, -4);
    }
    res_free(&r);
    pool_free();
}

/* ---- data movement ------------------------------------------------------------------------------------ */

/* a one-layer model over reference input(s); returns the result in r */
static bool one_layer(res *r, const char *const *ins, size_t n_in, const char *outs, Cmlpb__NeuralNetworkLayer__LayerCase lc,
                      void *params) {
    nnm b = nnm_new(true);
    exec_tensor t[8];
    char list[256] = "";
    for (size_t i = 0; i < n_in; i++) {
        static const char *names[] = {"x0", "x1", "x2", "x3"};
        const reft *x = ref(ins[i]);
        nnm_input(&b, names[i], (size_t)x->rank, x->dim);
        t[i] = ref_in(names[i], ins[i]);
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? "," : "", names[i]);
    }
    size_t no;
    char **on = name_list(outs, &no);
    for (size_t i = 0; i < no; i++) nnm_output(&b, on[i]);
    nn_add(b.nn, "layer", list, outs, lc, params);
    return nnm_run(r, &b, t, n_in, EXEC_FP32);
}
#define INS(...) ((const char *const[]){__VA_ARGS__}), (sizeof((const char *[]){__VA_ARGS__}) / sizeof(char *))

static void test_slices(void) {
    res r;
    /* sliceStatic: x[:3:1, -1:0:-2, 0:5:2] (a begin mask on axis 0) */
    Cmlpb__SliceStaticLayerParams *ss = P(SliceStaticLayerParams, SLICE_STATIC_LAYER_PARAMS);
    SET_LIST(ss->beginids, ss->n_beginids, I64, 1, -1, 0);
    SET_LIST(ss->beginmasks, ss->n_beginmasks, BOOL, 1, 0, 0);
    SET_LIST(ss->endids, ss->n_endids, I64, 3, 0, 5);
    SET_LIST(ss->endmasks, ss->n_endmasks, BOOL, 0, 0, 0);
    SET_LIST(ss->strides, ss->n_strides, I64, 1, -2, 2);
    if (one_layer(&r, INS("nd.x"), "y", LC(SLICE_STATIC), ss)) EXPECT_REF(&r, "y", "nd.slice_a", TOL);
    res_free(&r);
    pool_free();
    /* x[1, ::-1, 1:4]: a squeezed axis, masks with a negative stride */
    ss = P(SliceStaticLayerParams, SLICE_STATIC_LAYER_PARAMS);
    SET_LIST(ss->beginids, ss->n_beginids, I64, 1, 0, 1);
    SET_LIST(ss->beginmasks, ss->n_beginmasks, BOOL, 0, 1, 0);
    SET_LIST(ss->endids, ss->n_endids, I64, 0, 0, 4);
    SET_LIST(ss->endmasks, ss->n_endmasks, BOOL, 0, 1, 0);
    SET_LIST(ss->strides, ss->n_strides, I64, 1, -1, 1);
    SET_LIST(ss->squeezemasks, ss->n_squeezemasks, BOOL, 1, 0, 0);
    if (one_layer(&r, INS("nd.x"), "y", LC(SLICE_STATIC), ss)) EXPECT_REF(&r, "y", "nd.slice_b", TOL);
    res_free(&r);
    pool_free();

    /* sliceDynamic: begin from input 2, end from input 3, the rest parameters */
    nnm b = nnm_new(true);
    const reft *x = ref("nd.x");
    nnm_input(&b, "x", (size_t)x->rank, x->dim);
    nnm_input(&b, "begin", NV(3));
    nnm_input(&b, "end", NV(3));
    nnm_output(&b, "y");
    Cmlpb__SliceDynamicLayerParams *sd = P(SliceDynamicLayerParams, SLICE_DYNAMIC_LAYER_PARAMS);
    SET_LIST(sd->strides, sd->n_strides, I64, 1, -2, 2);
    SET_LIST(sd->beginmasks, sd->n_beginmasks, BOOL, 1, 0, 0);
    nn_add(b.nn, "sd", "x,begin,end", "y", LC(SLICE_DYNAMIC), sd);
    float bg[3] = {1, -1, 0}, en[3] = {3, 0, 5};
    exec_tensor in[3] = {ref_in("x", "nd.x"), TS("begin", bg, 3), TS("end", en, 3)};
    if (nnm_run(&r, &b, in, 3, EXEC_FP32)) EXPECT_REF(&r, "y", "nd.slice_a", TOL);
    res_free(&r);
    pool_free();

    /* the legacy slice: numpy [start:end:stride] on C / H / W */
    float v[24];
    for (int i = 0; i < 24; i++) v[i] = (float)i;
    static const struct {
        Cmlpb__SliceLayerParams__SliceAxis axis;
        int64_t s, e;
        uint64_t st;
        int64_t dims[3];
        float want[12];
        int n;
    } cases[] = {
        {CMLPB__SLICE_LAYER_PARAMS__SLICE_AXIS__CHANNEL_AXIS, 1, 2, 1, {1, 3, 4}, {12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23}, 12},
        {CMLPB__SLICE_LAYER_PARAMS__SLICE_AXIS__HEIGHT_AXIS, 0, -1, 2, {2, 1, 4}, {0, 1, 2, 3, 12, 13, 14, 15}, 8},
        {CMLPB__SLICE_LAYER_PARAMS__SLICE_AXIS__WIDTH_AXIS, -3, 4, 2, {2, 3, 2}, {1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23}, 12},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        b = nnm_new(true);
        nnm_input(&b, "x", NV(2, 3, 4));
        nnm_output(&b, "y");
        Cmlpb__SliceLayerParams *sl = P(SliceLayerParams, SLICE_LAYER_PARAMS);
        sl->axis = cases[i].axis;
        sl->startindex = cases[i].s;
        sl->endindex = cases[i].e;
        sl->stride = cases[i].st;
        nn_add(b.nn, "sl", "x", "y", LC(SLICE), sl);
        exec_tensor t = TS("x", v, 2, 3, 4);
        if (nnm_run(&r, &b, &t, 1, EXEC_FP32))
            expect_tensor(out_named(&r, "y"), 3, cases[i].dims, cases[i].want, (size_t)cases[i].n, 0, "slice", __LINE__);
        res_free(&r);
        pool_free();
    }

    /* sliceBySize: x[:, begin:begin+2, :] with begin from input 2 */
    b = nnm_new(true);
    nnm_input(&b, "x", NV(2, 3, 4));
    nnm_input(&b, "begin", NV(1));
    nnm_output(&b, "y");
    Cmlpb__SliceBySizeLayerParams *sb = P(SliceBySizeLayerParams, SLICE_BY_SIZE_LAYER_PARAMS);
    sb->size = 2;
    sb->axis = 1;
    nn_add(b.nn, "sbs", "x,begin", "y", LC(SLICE_BY_SIZE), sb);
    float b1 = 1;
    exec_tensor t2[2] = {TS("x", v, 2, 3, 4), TS("begin", &b1, 1)};
    if (nnm_run(&r, &b, t2, 2, EXEC_FP32)) {
        EXPECT_SHAPE(&r, "y", 2, 2, 4);
        EXPECT_OUT(&r, "y", 0, 4, 5, 6, 7, 8, 9, 10, 11, 16, 17, 18, 19, 20, 21, 22, 23);
    }
    /* out of range: a message, no crash */
    b1 = 2;
    if (r.p) CHECK(!res_again(&r, EXEC_FP32, t2, 2) && strstr(r.err, "out of range"));
    res_free(&r);
    pool_free();
}

static void test_gather_scatter(void) {
    res r;
    Cmlpb__GatherLayerParams *g = P(GatherLayerParams, GATHER_LAYER_PARAMS);
    g->axis = 1;
    if (one_layer(&r, INS("nd.x", "nd.gidx"), "y", LC(GATHER), g)) EXPECT_REF(&r, "y", "nd.gather1", TOL);
    res_free(&r);
    pool_free();
    if (one_layer(&r, INS("nd.x", "nd.ndidx"), "y", LC(GATHER_ND), P(GatherNDLayerParams, GATHER_NDLAYER_PARAMS)))
        EXPECT_REF(&r, "y", "nd.gathernd", TOL);
    res_free(&r);
    pool_free();
    Cmlpb__ScatterNDLayerParams *snd = P(ScatterNDLayerParams, SCATTER_NDLAYER_PARAMS);
    snd->mode = CMLPB__SCATTER_MODE__SCATTER_ADD;
    if (one_layer(&r, INS("nd.x", "nd.ndidx", "nd.ndupd"), "y", LC(SCATTER_ND), snd))
        EXPECT_REF(&r, "y", "nd.scatternd_add", TOL);
    res_free(&r);
    pool_free();
    Cmlpb__ScatterLayerParams *sc = P(ScatterLayerParams, SCATTER_LAYER_PARAMS);
    sc->axis = 1;
    sc->mode = CMLPB__SCATTER_MODE__SCATTER_MAX;
    if (one_layer(&r, INS("nd.x", "nd.sidx", "nd.supd"), "y", LC(SCATTER), sc)) EXPECT_REF(&r, "y", "nd.scatter_max", TOL);
    res_free(&r);
    pool_free();
    Cmlpb__GatherAlongAxisLayerParams *ga = P(GatherAlongAxisLayerParams, GATHER_ALONG_AXIS_LAYER_PARAMS);
    ga->axis = -1;
    if (one_layer(&r, INS("nd.x", "nd.aidx"), "y", LC(GATHER_ALONG_AXIS), ga)) EXPECT_REF(&r, "y", "nd.gather_along", TOL);
    res_free(&r);
    pool_free();
    Cmlpb__ScatterAlongAxisLayerParams *sa = P(ScatterAlongAxisLayerParams, SCATTER_ALONG_AXIS_LAYER_PARAMS);
    sa->axis = 2;
    if (one_layer(&r, INS("nd.x", "nd.aidx", "nd.aupd"), "y", LC(SCATTER_ALONG_AXIS), sa))
        EXPECT_REF(&r, "y", "nd.scatter_along", TOL);
    res_free(&r);
    pool_free();
    /* every scatter mode on a hand case: container [4], indices [1, 1, 3], updates [2, 4, 5] */
    static const float want[7][4] = {{1, 4, 1, 5}, {1, 7, 1, 6}, {1, -5, 1, -4}, {1, 8, 1, 5},
                                     {1, 0.125f, 1, 0.2f}, {1, 4, 1, 5}, {1, 1, 1, 1}};
    for (int mode = 0; mode < 7; mode++) {
        nnm b = nnm_new(true);
        nnm_input(&b, "c", NV(4));
        nnm_input(&b, "i", NV(3));
        nnm_input(&b, "u", NV(3));
        nnm_output(&b, "y");
        sc = P(ScatterLayerParams, SCATTER_LAYER_PARAMS);
        sc->mode = (Cmlpb__ScatterMode)mode;
        nn_add(b.nn, "sc", "c,i,u", "y", LC(SCATTER), sc);
        float cv[4] = {1, 1, 1, 1}, iv[3] = {1, -3, 3}, uv[3] = {2, 4, 5};
        exec_tensor in[3] = {TS("c", cv, 4), TS("i", iv, 3), TS("u", uv, 3)};
        if (nnm_run(&r, &b, in, 3, EXEC_FP32))
            expect_tensor(out_named(&r, "y"), 1, (const int64_t[]){4}, want[mode], 4, 1e-6, "scatter mode", __LINE__);
        /* an index out of range fails */
        iv[0] = 4;
        if (r.p) CHECK(!res_again(&r, EXEC_FP32, in, 3) && strstr(r.err, "out of range"));
        res_free(&r);
        pool_free();
    }
}

static void test_sort_select(void) {
    res r;
    Cmlpb__TopKLayerParams *tk = P(TopKLayerParams, TOP_KLAYER_PARAMS);
    tk->axis = 2;
    tk->k = 2;
    if (one_layer(&r, INS("nd.x"), "v,i", LC(TOP_K), tk)) {
        EXPECT_REF(&r, "v", "nd.topk_v", TOL);
        EXPECT_REF(&r, "i", "nd.topk_i", 0);
    }
    res_free(&r);
    pool_free();
    tk = P(TopKLayerParams, TOP_KLAYER_PARAMS);
    tk->axis = -3;
    tk->k = 3;
    tk->usebottomk = 1;
    if (one_layer(&r, INS("nd.x"), "v,i", LC(TOP_K), tk)) {
        EXPECT_REF(&r, "v", "nd.botk_v", TOL);
        EXPECT_REF(&r, "i", "nd.botk_i", 0);
    }
    res_free(&r);
    pool_free();
    Cmlpb__ArgSortLayerParams *as = P(ArgSortLayerParams, ARG_SORT_LAYER_PARAMS);
    as->axis = 1;
    as->descending = 1;
    if (one_layer(&r, INS("nd.x"), "y", LC(ARG_SORT), as)) EXPECT_REF(&r, "y", "nd.argsort_desc", 0);
    res_free(&r);
    pool_free();
    Cmlpb__ArgMinLayerParams *am = P(ArgMinLayerParams, ARG_MIN_LAYER_PARAMS);
    am->axis = 1;
    am->removedim = 1;
    if (one_layer(&r, INS("nd.x"), "y", LC(ARG_MIN), am)) EXPECT_REF(&r, "y", "nd.argmin1", 0);
    res_free(&r);
    pool_free();
    /* argMax keeps the axis without removeDim; ties take the first; a rank-1 input keeps (1,) */
    nnm b = nnm_new(true);
    nnm_input(&b, "x", NV(5));
    nnm_output(&b, "y");
    Cmlpb__ArgMaxLayerParams *ax = P(ArgMaxLayerParams, ARG_MAX_LAYER_PARAMS);
    ax->removedim = 1;
    nn_add(b.nn, "am", "x", "y", LC(ARG_MAX), ax);
    float v[5] = {1, 7, 3, 7, -2};
    exec_tensor in = TS("x", v, 5);
    if (nnm_run(&r, &b, &in, 1, EXEC_FP32)) {
        EXPECT_SHAPE(&r, "y", 1);
        EXPECT_OUT(&r, "y", 0, 1);
    }
    res_free(&r);
    pool_free();
    /* whereNonZero: the proto's 3x3 example */
    b = nnm_new(true);
    nnm_input(&b, "x", NV(3, 3));
    nnm_output(&b, "y");
    nn_add(b.nn, "nz", "x", "y", LC(WHERE_NON_ZERO), P(WhereNonZeroLayerParams, WHERE_NON_ZERO_LAYER_PARAMS));
    float m[9] = {1, 2, 1, 0, 2, 2, 2, 1, 0};
    in = TS("x", m, 3, 3);
    if (nnm_run(&r, &b, &in, 1, EXEC_FP32)) {
        EXPECT_SHAPE(&r, "y", 7, 2);
        EXPECT_OUT(&r, "y", 0, 0, 0, 0, 1, 0, 2, 1, 1, 1, 2, 2, 0, 2, 1);
    }
    res_free(&r);
    pool_free();
}

static void test_shape_layers(void) {
    res r;
    Cmlpb__TileLayerParams *tl = P(TileLayerParams, TILE_LAYER_PARAMS);
    SET_LIST(tl->reps, tl->n_reps, U64, 2, 1, 3);
    if (one_layer(&r, INS("nd.x"), "y", LC(TILE), tl)) EXPECT_REF(&r, "y", "nd.tile", TOL);
    res_free(&r);
    pool_free();
    /* stack of x and -x on axis -2 (the second input from a layer) */
    nnm b = nnm_new(true);
    const reft *x = ref("nd.x");
    nnm_input(&b, "x", (size_t)x->rank, x->dim);
    nnm_output(&b, "y");
    nn_add(b.nn, "neg", "x", "nx", LC(MULTIPLY), mul_p(-1));
    Cmlpb__StackLayerParams *st = P(StackLayerParams, STACK_LAYER_PARAMS);
    st->axis = -2;
    nn_add(b.nn, "stack", "x,nx", "y", LC(STACK), st);
    exec_tensor in = ref_in("x", "nd.x");
    if (nnm_run(&r, &b, &in, 1, EXEC_FP32)) EXPECT_REF(&r, "y", "nd.stack", TOL);
    res_free(&r);
    pool_free();
    Cmlpb__ReverseLayerParams *rv = P(ReverseLayerParams, REVERSE_LAYER_PARAMS);
    SET_LIST(rv->reversedim, rv->n_reversedim, BOOL, 1, 0, 1);
    if (one_layer(&r, INS("nd.x"), "y", LC(REVERSE), rv)) EXPECT_REF(&r, "y", "nd.reverse", TOL);
    res_free(&r);
    pool_free();
    Cmlpb__MatrixBandPartLayerParams *bp = P(MatrixBandPartLayerParams, MATRIX_BAND_PART_LAYER_PARAMS);
    bp->numlower = 2;
    bp->numupper = 1;
    if (one_layer(&r, INS("nd.x"), "y", LC(MATRIX_BAND_PART), bp)) EXPECT_REF(&r, "y", "nd.band", TOL);
    res_free(&r);
    pool_free();
    Cmlpb__LowerTriangularLayerParams *lt = P(LowerTriangularLayerParams, LOWER_TRIANGULAR_LAYER_PARAMS);
    lt->k = -1;
    if (one_layer(&r, INS("nd.x"), "y", LC(LOWER_TRIANGULAR), lt)) EXPECT_REF(&r, "y", "nd.tril", TOL);
    res_free(&r);
    pool_free();
    Cmlpb__UpperTriangularLayerParams *ut = P(UpperTriangularLayerParams, UPPER_TRIANGULAR_LAYER_PARAMS);
    ut->k = 2;
    if (one_layer(&r, INS("nd.x"), "y", LC(UPPER_TRIANGULAR), ut)) EXPECT_REF(&r, "y", "nd.triu", TOL);
    res_free(&r);
    pool_free();
    Cmlpb__CumSumLayerParams *cs = P(CumSumLayerParams, CUM_SUM_LAYER_PARAMS);
    cs->axis = 1;
    if (one_layer(&r, INS("nd.x"), "y", LC(CUM_SUM), cs)) EXPECT_REF(&r, "y", "nd.cumsum", TOL);
    res_free(&r);
    pool_free();
    cs = P(CumSumLayerParams, CUM_SUM_LAYER_PARAMS);
    cs->axis = -2;
    cs->excludefinalsum = 1;
    cs->reverse = 1;
    if (one_layer(&r, INS("nd.x"), "y", LC(CUM_SUM), cs)) EXPECT_REF(&r, "y", "nd.cumsum_excl_rev", TOL);
    res_free(&r);
    pool_free();
    Cmlpb__SlidingWindowsLayerParams *sw = P(SlidingWindowsLayerParams, SLIDING_WINDOWS_LAYER_PARAMS);
    sw->axis = 1;
    sw->windowsize = 3;
    sw->step = 2;
    if (one_layer(&r, INS("sw.x"), "y", LC(SLIDING_WINDOWS), sw)) EXPECT_REF(&r, "y", "sw.y", TOL);
    res_free(&r);
    pool_free();
    /* reorganizeData: the proto's C=8, H=1, W=2 example in both depth-to-space
     * forms, then the same with references on a larger map, and the round
     * trip through SPACE_TO_DEPTH */
    float d8[16];
    for (int i = 0; i < 16; i++) d8[i] = (float)(i + 1);
    for (int mode = 1; mode <= 2; mode++) {
        b = nnm_new(true);
        nnm_input(&b, "x", NV(8, 1, 2));
        nnm_output(&b, "y");
        nnm_output(&b, "back");
        Cmlpb__ReorganizeDataLayerParams *ro = P(ReorganizeDataLayerParams, REORGANIZE_DATA_LAYER_PARAMS);
        ro->mode = (Cmlpb__ReorganizeDataLayerParams__ReorganizationType)mode;
        ro->blocksize = 2;
        nn_add(b.nn, "ro", "x", "y", LC(REORGANIZE_DATA), ro);
        Cmlpb__ReorganizeDataLayerParams *s2d = P(ReorganizeDataLayerParams, REORGANIZE_DATA_LAYER_PARAMS);
        s2d->blocksize = 2;
        nn_add(b.nn, "s2d", "y", "back", LC(REORGANIZE_DATA), s2d);
        in = TS("x", d8, 8, 1, 2);
        if (nnm_run(&r, &b, &in, 1, EXEC_FP32)) {
            EXPECT_SHAPE(&r, "y", 2, 2, 4);
            if (mode == 1) {
                EXPECT_OUT(&r, "y", 0, 1, 5, 2, 6, 9, 13, 10, 14, 3, 7, 4, 8, 11, 15, 12, 16);
                EXPECT_OUT(&r, "back", 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16);
            } else {
                EXPECT_OUT(&r, "y", 0, 1, 3, 2, 4, 5, 7, 6, 8, 9, 11, 10, 12, 13, 15, 14, 16);
            }
        }
        res_free(&r);
        pool_free();
        Cmlpb__ReorganizeDataLayerParams *ro2 = P(ReorganizeDataLayerParams, REORGANIZE_DATA_LAYER_PARAMS);
        ro2->mode = (Cmlpb__ReorganizeDataLayerParams__ReorganizationType)mode;
        ro2->blocksize = 2;
        if (one_layer(&r, INS("ro.x"), "y", LC(REORGANIZE_DATA), ro2))
            EXPECT_REF(&r, "y", mode == 1 ? "ro.depth_to_space" : "ro.pixel_shuffle", TOL);
        res_free(&r);
        pool_free();
    }

    /* splitND with sizes [1, 3] on axis 1, split (legacy) in 2 on C, concatND back */
    b = nnm_new(true);
    nnm_input(&b, "x", NV(2, 4, 1));
    nnm_output(&b, "a");
    nnm_output(&b, "b");
    nnm_output(&b, "c");
    nnm_output(&b, "d");
    Cmlpb__SplitNDLayerParams *sn = P(SplitNDLayerParams, SPLIT_NDLAYER_PARAMS);
    sn->axis = 1;
    SET_LIST(sn->splitsizes, sn->n_splitsizes, U64, 1, 3);
    nn_add(b.nn, "snd", "x", "a,b", LC(SPLIT_ND), sn);
    Cmlpb__SplitLayerParams *sp = P(SplitLayerParams, SPLIT_LAYER_PARAMS);
    sp->noutputs = 2;
    nn_add(b.nn, "sp", "x", "c,d", LC(SPLIT), sp);
    float v8[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    in = TS("x", v8, 2, 4, 1);
    if (nnm_run(&r, &b, &in, 1, EXEC_FP32)) {
        EXPECT_SHAPE(&r, "a", 2, 1, 1);
        EXPECT_OUT(&r, "a", 0, 0, 4);
        EXPECT_OUT(&r, "b", 0, 1, 2, 3, 5, 6, 7);
        /* legacy split: axis -3 of [2, 4, 1] is the 2 */
        EXPECT_SHAPE(&r, "c", 1, 4, 1);
        EXPECT_OUT(&r, "d", 0, 4, 5, 6, 7);
    }
    res_free(&r);
    pool_free();

    /* crop: one input with border amounts, two inputs with offsets */
    b = nnm_new(true);
    nnm_input(&b, "x", NV(1, 3, 4));
    nnm_input(&b, "ref", NV(1, 2, 2));
    nnm_output(&b, "y1");
    nnm_output(&b, "y2");
    Cmlpb__CropLayerParams *cp = P(CropLayerParams, CROP_LAYER_PARAMS);
    Cmlpb__BorderAmounts *ba = P(BorderAmounts, BORDER_AMOUNTS);
    ba->n_borderamounts = 2;
    ba->borderamounts = pz(2 * sizeof *ba->borderamounts);
    for (int i = 0; i < 2; i++) ba->borderamounts[i] = P(BorderAmounts__EdgeSizes, BORDER_AMOUNTS__EDGE_SIZES);
    ba->borderamounts[0]->startedgesize = 1;
    ba->borderamounts[1]->startedgesize = 1;
    ba->borderamounts[1]->endedgesize = 2;
    cp->cropamounts = ba;
    nn_add(b.nn, "c1", "x", "y1", LC(CROP), cp);
    Cmlpb__CropLayerParams *cp2 = P(CropLayerParams, CROP_LAYER_PARAMS);
    SET_LIST(cp2->offset, cp2->n_offset, U64, 1, 2);
    nn_add(b.nn, "c2", "x,ref", "y2", LC(CROP), cp2);
    float v12[12], rf[4] = {0};
    for (int i = 0; i < 12; i++) v12[i] = (float)i;
    exec_tensor in2[2] = {TS("x", v12, 1, 3, 4), TS("ref", rf, 1, 2, 2)};
    if (nnm_run(&r, &b, in2, 2, EXEC_FP32)) {
        EXPECT_SHAPE(&r, "y1", 1, 2, 1);
        EXPECT_OUT(&r, "y1", 0, 5, 9);
        EXPECT_OUT(&r, "y2", 0, 6, 7, 10, 11);
    }
    res_free(&r);
    pool_free();

    /* sequenceRepeat: the sequence twice over */
    b = nnm_new(true);
    nnm_input(&b, "x", NV(2, 1, 1, 1, 2));
    nnm_output(&b, "y");
    Cmlpb__SequenceRepeatLayerParams *sr = P(SequenceRepeatLayerParams, SEQUENCE_REPEAT_LAYER_PARAMS);
    sr->nrepetitions = 2;
    nn_add(b.nn, "rep", "x", "y", LC(SEQUENCE_REPEAT), sr);
    float s4[4] = {1, 2, 3, 4};
    in = TS("x", s4, 2, 1, 1, 1, 2);
    if (nnm_run(&r, &b, &in, 1, EXEC_FP32)) {
        EXPECT_SHAPE(&r, "y", 4, 1, 1, 1, 2);
        EXPECT_OUT(&r, "y", 0, 1, 2, 3, 4, 1, 2, 3, 4);
    }
    res_free(&r);
    pool_free();
}

/* constants, fills, broadcasts, reshapes, padding, ranges, one-hot, getShape */
static void test_generators(void) {
    nnm b = nnm_new(true);
    nnm_input(&b, "x", NV(2, 3));
    nnm_input(&b, "shape", NV(2));
    const char *outs[] = {"k5", "knd", "fl", "fs", "fd", "bl", "bs", "bd", "rl", "rd", "rp", "cp", "cpo", "cpi", "rs",
                          "rdyn", "gs", "oh"};
    for (size_t i = 0; i < sizeof outs / sizeof *outs; i++) nnm_output(&b, outs[i]);
    Cmlpb__LoadConstantLayerParams *lc5 = P(LoadConstantLayerParams, LOAD_CONSTANT_LAYER_PARAMS);
    SET_LIST(lc5->shape, lc5->n_shape, U64, 2, 1, 1);
    lc5->data = WP(7, 8);
    nn_add(b.nn, "k5", "", "k5", LC(LOAD_CONSTANT), lc5);
    Cmlpb__LoadConstantNDLayerParams *lnd = P(LoadConstantNDLayerParams, LOAD_CONSTANT_NDLAYER_PARAMS);
    SET_LIST(lnd->shape, lnd->n_shape, U64, 1, 3);
    lnd->data = WP(1, 2, 3);
    nn_add(b.nn, "knd", "", "knd", LC(LOAD_CONSTANT_ND), lnd);
    Cmlpb__FillLikeLayerParams *fl = P(FillLikeLayerParams, FILL_LIKE_LAYER_PARAMS);
    fl->value = 2.5f;
    nn_add(b.nn, "fl", "x", "fl", LC(FILL_LIKE), fl);
    Cmlpb__FillStaticLayerParams *fs = P(FillStaticLayerParams, FILL_STATIC_LAYER_PARAMS);
    fs->value = -1;
    SET_LIST(fs->targetshape, fs->n_targetshape, U64, 1, 2);
    nn_add(b.nn, "fs", "", "fs", LC(FILL_STATIC), fs);
    Cmlpb__FillDynamicLayerParams *fd = P(FillDynamicLayerParams, FILL_DYNAMIC_LAYER_PARAMS);
    fd->value = 4;
    nn_add(b.nn, "fd", "shape", "fd", LC(FILL_DYNAMIC), fd);
    nn_add(b.nn, "bl", "knd,x", "bl", LC(BROADCAST_TO_LIKE), P(BroadcastToLikeLayerParams, BROADCAST_TO_LIKE_LAYER_PARAMS));
    Cmlpb__BroadcastToStaticLayerParams *bs = P(BroadcastToStaticLayerParams, BROADCAST_TO_STATIC_LAYER_PARAMS);
    SET_LIST(bs->targetshape, bs->n_targetshape, U64, 2, 1, 3);
    nn_add(b.nn, "bs", "knd", "bs", LC(BROADCAST_TO_STATIC), bs);
    nn_add(b.nn, "bd", "knd,shape", "bd", LC(BROADCAST_TO_DYNAMIC), P(BroadcastToDynamicLayerParams, BROADCAST_TO_DYNAMIC_LAYER_PARAMS));
    nn_add(b.nn, "rl", "x,knd", "rl_bad", LC(RESHAPE_LIKE), P(ReshapeLikeLayerParams, RESHAPE_LIKE_LAYER_PARAMS));
    nn_add(b.nn, "rl2", "x,fd", "rl", LC(RESHAPE_LIKE), P(ReshapeLikeLayerParams, RESHAPE_LIKE_LAYER_PARAMS));
    nn_add(b.nn, "rd", "x,shape", "rd", LC(RESHAPE_DYNAMIC), P(ReshapeDynamicLayerParams, RESHAPE_DYNAMIC_LAYER_PARAMS));
    Cmlpb__RankPreservingReshapeLayerParams *rp = P(RankPreservingReshapeLayerParams, RANK_PRESERVING_RESHAPE_LAYER_PARAMS);
    SET_LIST(rp->targetshape, rp->n_targetshape, I64, 3, -1);
    nn_add(b.nn, "rp", "x", "rp", LC(RANK_PRESERVING_RESHAPE), rp);
    Cmlpb__ConstantPaddingLayerParams *cp = P(ConstantPaddingLayerParams, CONSTANT_PADDING_LAYER_PARAMS);
    cp->value = 9;
    SET_LIST(cp->padamounts, cp->n_padamounts, U64, 1, 0, 0, 1);
    nn_add(b.nn, "cp", "x", "cp", LC(CONSTANT_PAD), cp);
    Cmlpb__ConstantPaddingLayerParams *cpo = P(ConstantPaddingLayerParams, CONSTANT_PADDING_LAYER_PARAMS);
    SET_LIST(cpo->padamounts, cpo->n_padamounts, U64, 0, 3, 4, 0);
    cpo->padtogivenoutputsizemode = 1;
    nn_add(b.nn, "cpo", "x", "cpo", LC(CONSTANT_PAD), cpo);
    Cmlpb__ConstantPaddingLayerParams *cpi = P(ConstantPaddingLayerParams, CONSTANT_PADDING_LAYER_PARAMS);
    Cmlpb__LoadConstantNDLayerParams *pl = P(LoadConstantNDLayerParams, LOAD_CONSTANT_NDLAYER_PARAMS);
    SET_LIST(pl->shape, pl->n_shape, U64, 4);
    pl->data = WP(0, 0, 1, 1);
    nn_add(b.nn, "pads", "", "pads", LC(LOAD_CONSTANT_ND), pl);
    nn_add(b.nn, "cpi", "x,pads", "cpi", LC(CONSTANT_PAD), cpi);
    Cmlpb__RangeStaticLayerParams *rs = P(RangeStaticLayerParams, RANGE_STATIC_LAYER_PARAMS);
    rs->startvalue = 1;
    rs->endvalue = 2;
    rs->stepsizevalue = 0.25f;
    nn_add(b.nn, "rs", "", "rs", LC(RANGE_STATIC), rs);
    Cmlpb__RangeDynamicLayerParams *rdy = P(RangeDynamicLayerParams, RANGE_DYNAMIC_LAYER_PARAMS);
    rdy->startvalue = 10;
    rdy->stepsizevalue = -3;
    nn_add(b.nn, "rdyn", "shape", "rdyn", LC(RANGE_DYNAMIC), rdy);
    nn_add(b.nn, "gs", "cpo", "gs", LC(GET_SHAPE), P(GetShapeLayerParams, GET_SHAPE_LAYER_PARAMS));
    Cmlpb__OneHotLayerParams *oh = P(OneHotLayerParams, ONE_HOT_LAYER_PARAMS);
    oh->onehotvectorsize = 3; /* index 3 is out of range: all offValue */
    oh->axis = -1;
    oh->onvalue = 5;
    oh->offvalue = -1;
    nn_add(b.nn, "oh", "shape", "oh", LC(ONE_HOT), oh);
    float x[6] = {1, 2, 3, 4, 5, 6}, shp[2] = {2, 3};
    exec_tensor in[2] = {TS("x", x, 2, 3), TS("shape", shp, 2)};
    res r;
    /* reshapeLike to a shape with another count fails with the layer's name */
    CHECK(nnm_prepare(&r, &b, NULL));
    CHECK(!res_again(&r, EXEC_FP32, in, 2) && strstr(r.err, "'rl'"));
    if (!strstr(r.err, "'rl'")) fprintf(stderr, "  %s\n", r.err);
    res_free(&r);
    for (size_t i = 8; i + 1 < b.nn->n_layers; i++) b.nn->layers[i] = b.nn->layers[i + 1]; /* drop it */
    b.nn->n_layers--;
    if (nnm_run(&r, &b, in, 2, EXEC_FP32)) {
        EXPECT_SHAPE(&r, "k5", 1, 1, 2, 1, 1);
        EXPECT_OUT(&r, "k5", 0, 7, 8);
        EXPECT_SHAPE(&r, "knd", 1, 3);
        EXPECT_OUT(&r, "fl", 0, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5);
        EXPECT_SHAPE(&r, "fs", 1, 2);
        EXPECT_OUT(&r, "fs", 0, -1, -1);
        EXPECT_SHAPE(&r, "fd", 2, 3);
        EXPECT_OUT(&r, "fd", 0, 4, 4, 4, 4, 4, 4);
        EXPECT_SHAPE(&r, "bl", 2, 3);
        EXPECT_OUT(&r, "bl", 0, 1, 2, 3, 1, 2, 3);
        EXPECT_SHAPE(&r, "bs", 2, 1, 3);
        EXPECT_OUT(&r, "bs", 0, 1, 2, 3, 1, 2, 3);
        EXPECT_SHAPE(&r, "bd", 2, 3);
        EXPECT_SHAPE(&r, "rl", 2, 3);
        EXPECT_SHAPE(&r, "rd", 2, 3);
        EXPECT_SHAPE(&r, "rp", 3, 2);
        EXPECT_OUT(&r, "rp", 0, 1, 2, 3, 4, 5, 6);
        EXPECT_SHAPE(&r, "cp", 3, 4);
        EXPECT_OUT(&r, "cp", 0, 9, 9, 9, 9, 1, 2, 3, 9, 4, 5, 6, 9);
        /* output-size mode: [0, 3] pads the first axis after to 3, [4, 0] the second before to 4 */
        EXPECT_SHAPE(&r, "cpo", 3, 4);
        EXPECT_OUT(&r, "cpo", 0, 0, 1, 2, 3, 0, 4, 5, 6, 0, 0, 0, 0);
        EXPECT_SHAPE(&r, "cpi", 2, 5);
        EXPECT_OUT(&r, "cpi", 0, 0, 1, 2, 3, 0, 0, 4, 5, 6, 0);
        EXPECT_OUT(&r, "rs", 0, 1, 1.25, 1.5, 1.75);
        /* rangeDynamic: end from the input (2), start 10, step -3 */
        EXPECT_OUT(&r, "rdyn", 0, 10, 7, 4);
        EXPECT_OUT(&r, "gs", 0, 3, 4);
        EXPECT_SHAPE(&r, "oh", 2, 3);
        EXPECT_OUT(&r, "oh", 0, -1, -1, 5, -1, -1, -1);
    }
    res_free(&r);
    pool_free();
}

/* ---- normalisation ------------------------------------------------------------------------------------ */

static void test_norms(void) {
    res r;
    Cmlpb__LayerNormalizationLayerParams *ln = P(LayerNormalizationLayerParams, LAYER_NORMALIZATION_LAYER_PARAMS);
    SET_LIST(ln->normalizedshape, ln->n_normalizedshape, I64, 4, 5);
    ln->eps = 1e-3f;
    ln->gamma = ref_wp("ln.gamma");
    ln->beta = ref_wp("ln.beta");
    if (one_layer(&r, INS("norm.x"), "y", LC(LAYER_NORMALIZATION), ln)) EXPECT_REF(&r, "y", "ln.y", TOL);
    res_free(&r);
    pool_free();
    Cmlpb__LRNLayerParams *lrn = P(LRNLayerParams, LRNLAYER_PARAMS);
    lrn->alpha = 0.5f;
    lrn->beta = 0.75f;
    lrn->k = 2;
    lrn->localsize = 3;
    if (one_layer(&r, INS("norm.x"), "y", LC(LRN), lrn)) EXPECT_REF(&r, "y", "lrn.y", TOL);
    res_free(&r);
    pool_free();
    Cmlpb__MeanVarianceNormalizeLayerParams *mv = P(MeanVarianceNormalizeLayerParams, MEAN_VARIANCE_NORMALIZE_LAYER_PARAMS);
    mv->normalizevariance = 1;
    if (one_layer(&r, INS("norm.x"), "y", LC(MVN), mv)) EXPECT_REF(&r, "y", "mvn.plane", TOL);
    res_free(&r);
    pool_free();
    mv = P(MeanVarianceNormalizeLayerParams, MEAN_VARIANCE_NORMALIZE_LAYER_PARAMS);
    mv->normalizevariance = 1;
    mv->acrosschannels = 1;
    mv->epsilon = 1e-4f;
    if (one_layer(&r, INS("norm.x"), "y", LC(MVN), mv)) EXPECT_REF(&r, "y", "mvn.across", TOL);
    res_free(&r);
    pool_free();
    mv = P(MeanVarianceNormalizeLayerParams, MEAN_VARIANCE_NORMALIZE_LAYER_PARAMS);
    if (one_layer(&r, INS("norm.x"), "y", LC(MVN), mv)) EXPECT_REF(&r, "y", "mvn.mean_only", TOL);
    res_free(&r);
    pool_free();
    if (one_layer(&r, INS("norm.x"), "y", LC(L2NORMALIZE), P(L2NormalizeLayerParams, L2_NORMALIZE_LAYER_PARAMS)))
        EXPECT_REF(&r, "y", "l2.y", TOL);
    res_free(&r);
    pool_free();
    /* LRN of the coremltools test: ones, alpha 2, beta 3, k 8, size 1 -> 1e-3 */
    nnm b = nnm_new(true);
    nnm_input(&b, "x", NV(1, 3, 3));
    nnm_output(&b, "y");
    lrn = P(LRNLayerParams, LRNLAYER_PARAMS);
    lrn->alpha = 2;
    lrn->beta = 3;
    lrn->k = 8;
    lrn->localsize = 1;
    nn_add(b.nn, "lrn", "x", "y", LC(LRN), lrn);
    float ones[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    exec_tensor in = TS("x", ones, 1, 3, 3);
    if (nnm_run(&r, &b, &in, 1, EXEC_FP32)) EXPECT_OUT(&r, "y", 1e-6, 1e-3, 1e-3, 1e-3, 1e-3, 1e-3, 1e-3, 1e-3, 1e-3, 1e-3);
    res_free(&r);
    pool_free();
}

/* ---- resampling -------------------------------------------------------------------------------------- */

static void test_resample(void) {
    res r;
    for (int m = 0; m < 4; m++)
        for (int one = 0; one < 2; one++) {
            Cmlpb__ResizeBilinearLayerParams *rb = P(ResizeBilinearLayerParams, RESIZE_BILINEAR_LAYER_PARAMS);
            if (one) SET_LIST(rb->targetsize, rb->n_targetsize, U64, 1, 1);
            else SET_LIST(rb->targetsize, rb->n_targetsize, U64, 5, 7);
            rb->mode = P(SamplingMode, SAMPLING_MODE);
            rb->mode->samplingmethod = (Cmlpb__SamplingMode__Method)m;
            char name[32];
            snprintf(name, sizeof name, "resize.m%d%s", m, one ? "_1x1" : "");
            if (one_layer(&r, INS("resize.x"), "y", LC(RESIZE_BILINEAR), rb)) EXPECT_REF(&r, "y", name, TOL);
            res_free(&r);
            pool_free();
        }
    /* upsample: DEFAULT bilinear x(2, 3), fractional factors with both alignments (torch), nearest */
    Cmlpb__UpsampleLayerParams *up = P(UpsampleLayerParams, UPSAMPLE_LAYER_PARAMS);
    SET_LIST(up->scalingfactor, up->n_scalingfactor, U64, 2, 3);
    up->mode = CMLPB__UPSAMPLE_LAYER_PARAMS__INTERPOLATION_MODE__BILINEAR;
    if (one_layer(&r, INS("up.x"), "y", LC(UPSAMPLE), up)) EXPECT_REF(&r, "y", "up.default", TOL);
    res_free(&r);
    pool_free();
    for (int ac = 0; ac < 2; ac++) {
        up = P(UpsampleLayerParams, UPSAMPLE_LAYER_PARAMS);
        up->n_fractionalscalingfactor = 2;
        up->fractionalscalingfactor = pdup((const float[]){2.5f, 1.5f}, 2 * sizeof(float));
        up->mode = CMLPB__UPSAMPLE_LAYER_PARAMS__INTERPOLATION_MODE__BILINEAR;
        up->linearupsamplemode = ac ? CMLPB__UPSAMPLE_LAYER_PARAMS__LINEAR_UPSAMPLE_MODE__ALIGN_CORNERS_TRUE
                                    : CMLPB__UPSAMPLE_LAYER_PARAMS__LINEAR_UPSAMPLE_MODE__ALIGN_CORNERS_FALSE;
        if (one_layer(&r, INS("up.x"), "y", LC(UPSAMPLE), up)) EXPECT_REF(&r, "y", ac ? "up.align_true" : "up.align_false", TOL);
        res_free(&r);
        pool_free();
    }
    up = P(UpsampleLayerParams, UPSAMPLE_LAYER_PARAMS);
    SET_LIST(up->scalingfactor, up->n_scalingfactor, U64, 2, 3);
    if (one_layer(&r, INS("up.x"), "y", LC(UPSAMPLE), up)) EXPECT_REF(&r, "y", "up.nearest", 0);
    res_free(&r);
    pool_free();
    /* cropResize: every sampling mode with every box layout (same boxes) */
    static const char *const boxes[4] = {"cr.boxes_hf", "cr.boxes_wf", "cr.boxes_chf", "cr.boxes_cwf"};
    for (int m = 0; m < 4; m++)
        for (int bm = 0; bm < 4; bm++) {
            Cmlpb__CropResizeLayerParams *cr = P(CropResizeLayerParams, CROP_RESIZE_LAYER_PARAMS);
            SET_LIST(cr->targetsize, cr->n_targetsize, U64, 3, 4);
            cr->mode = P(SamplingMode, SAMPLING_MODE);
            cr->mode->samplingmethod = (Cmlpb__SamplingMode__Method)m;
            cr->boxindicesmode = P(BoxCoordinatesMode, BOX_COORDINATES_MODE);
            cr->boxindicesmode->boxmode = (Cmlpb__BoxCoordinatesMode__Coordinates)bm;
            char name[32];
            snprintf(name, sizeof name, "cr.m%d", m);
            if (one_layer(&r, INS("cr.x", boxes[bm]), "y", LC(CROP_RESIZE), cr)) EXPECT_REF(&r, "y", name, TOL);
            res_free(&r);
            pool_free();
        }
    Cmlpb__CropResizeLayerParams *cr = P(CropResizeLayerParams, CROP_RESIZE_LAYER_PARAMS);
    SET_LIST(cr->targetsize, cr->n_targetsize, U64, 3, 4);
    cr->normalizedcoordinates = 1;
    cr->spatialscale = 2;
    if (one_layer(&r, INS("cr.x", "cr.boxes5"), "y", LC(CROP_RESIZE), cr)) EXPECT_REF(&r, "y", "cr.norm5", TOL);
    res_free(&r);
    pool_free();
}

/* transpose with a repeated axis: [0, 0] on [3, 1] gave a [3, 3] output
 * read with x's first stride twice (x[i + j]), past x's 3 values; refused
 * now, as MIL's transpose refuses it */
static void test_transpose_repeated_axis(void) {
    nnm b = nnm_new(true);
    nnm_input(&b, "x", NV(3, 1));
    nnm_output(&b, "y");
    Cmlpb__TransposeLayerParams *tp = P(TransposeLayerParams, TRANSPOSE_LAYER_PARAMS);
    SET_LIST(tp->axes, tp->n_axes, U64, 0, 0);
    nn_add(b.nn, "tr", "x", "y", LC(TRANSPOSE), tp);
    float v[3] = {1, 2, 3};
    exec_tensor in = TS("x", v, 3, 1);
    res r;
    if (nnm_prepare(&r, &b, NULL)) CHECK(!res_again(&r, EXEC_FP32, &in, 1) && strstr(r.err, "not a permutation"));
    else CHECK(0);
    res_free(&r);
    pool_free();
}

/* reshape CHANNEL_LAST with a 4-value target whose [C, H, W] is larger than
 * the input's: [2, 1, 1, 2] to [1, 4, 1, 1] keeps the count (4) but wrote
 * each of the 2 samples as 4 values a sample of 2 apart (a heap overflow
 * of the output and of the per-sample buffer); refused now */
static void test_reshape_channel_last_sample(void) {
    nnm b = nnm_new(true);
    nnm_input(&b, "x", NV(2, 1, 1, 2));
    nnm_output(&b, "y");
    Cmlpb__ReshapeLayerParams *rp = P(ReshapeLayerParams, RESHAPE_LAYER_PARAMS);
    SET_LIST(rp->targetshape, rp->n_targetshape, I64, 1, 4, 1, 1);
    rp->mode = CMLPB__RESHAPE_LAYER_PARAMS__RESHAPE_ORDER__CHANNEL_LAST;
    nn_add(b.nn, "rs", "x", "y", LC(RESHAPE), rp);
    float v[4] = {1, 2, 3, 4};
    exec_tensor in = TS("x", v, 2, 1, 1, 2);
    res r;
    if (nnm_prepare(&r, &b, NULL)) CHECK(!res_again(&r, EXEC_FP32, &in, 1) && strstr(r.err, "per sample"));
    else CHECK(0);
    res_free(&r);
    pool_free();
}

/* splitND sizes are uint64: 2^64 - 2 reads as -2, and [6, -2] adds up to
 * an axis of 4, so the first output copied 6 rows of 4 (past x) and the
 * second a size_t-wrapped count; refused now */
static void test_split_nd_negative_size(void) {
    nnm b = nnm_new(true);
    nnm_input(&b, "x", NV(2, 4));
    nnm_output(&b, "a");
    nnm_output(&b, "b");
    Cmlpb__SplitNDLayerParams *sn = P(SplitNDLayerParams, SPLIT_NDLAYER_PARAMS);
    sn->axis = 1;
    sn->n_splitsizes = 2;
    sn->splitsizes = pz(2 * sizeof *sn->splitsizes);
    sn->splitsizes[0] = 6;
    sn->splitsizes[1] = UINT64_MAX - 1;
    nn_add(b.nn, "snd", "x", "a,b", LC(SPLIT_ND), sn);
    float v[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    exec_tensor in = TS("x", v, 2, 4);
    res r;
    if (nnm_prepare(&r, &b, NULL)) CHECK(!res_again(&r, EXEC_FP32, &in, 1) && strstr(r.err, "split size 6 out of range for an axis of 4"));
    else CHECK(0);
    res_free(&r);
    pool_free();
}

/* cropResize on a feature map with an empty plane [1, 1, 1, 0, 2]: every
 * grid point clamped to row -1 and bilinear_plane read x->d[-W] (a heap-
 * buffer-overflow under ASan, stray values without it); refused now, as
 * resizeBilinear refuses an empty input */
static void test_crop_resize_empty_map(void) {
    nnm b = nnm_new(true);
    nnm_input(&b, "x", NV(1, 1, 1, 0, 2));
    nnm_input(&b, "roi", NV(1, 1, 4, 1, 1));
    nnm_output(&b, "y");
    Cmlpb__CropResizeLayerParams *cr = P(CropResizeLayerParams, CROP_RESIZE_LAYER_PARAMS);
    SET_LIST(cr->targetsize, cr->n_targetsize, U64, 2, 2);
    nn_add(b.nn, "cr", "x,roi", "y", LC(CROP_RESIZE), cr);
    float x[1] = {0}, roi[4] = {0, 0, 1, 1};
    exec_tensor in[2] = {TS("x", x, 1, 1, 1, 0, 2), TS("roi", roi, 1, 1, 4, 1, 1)};
    res r;
    if (nnm_prepare(&r, &b, NULL)) CHECK(!res_again(&r, EXEC_FP32, in, 2) && strstr(r.err, "empty 0 x 2 planes"));
    else CHECK(0);
    res_free(&r);
    pool_free();
}

/* ---- concatND of inputs of different ranks ----------------------------------------------------- */

/* The decoder of Create ML's action classifiers (Create ML 11.3 to 15.0):
 * getShape(x) -> gather(loadConstantND [1] {0}) -> expandDims(axes [0])
 * -> concatND(with loadConstantND [1] {-1}, axis 0) -> reshapeDynamic(x).
 * The concat gets ranks 2 ([1, 1]) and 1 ([1]); it once failed "ranks
 * differ" although Core ML runs these models. The lower rank gets leading
 * unit dims (nn.c k_concatND): the target is {1, -1}, x [1, 5, 1, 1] comes
 * out [1, 5]. Also: a rank-1 [2] and a rank-2 [1, 3] on axis -1 give
 * [1, 5]; inputs that differ off the axis after the alignment, and a legacy
 * concat of different ranks, are still refused. */
static void test_concat_nd_ranks(void) {
    res r;
    nnm b = nnm_new(true);
    nnm_input(&b, "x", NV(1, 5, 1, 1));
    nnm_output(&b, "y");
    nnm_output(&b, "target");
    Cmlpb__LoadConstantNDLayerParams *k0 = P(LoadConstantNDLayerParams, LOAD_CONSTANT_NDLAYER_PARAMS);
    SET_LIST(k0->shape, k0->n_shape, U64, 1);
    k0->data = WP(0);
    nn_add(b.nn, "k0", "", "k0", LC(LOAD_CONSTANT_ND), k0);
    nn_add(b.nn, "gs", "x", "gs", LC(GET_SHAPE), P(GetShapeLayerParams, GET_SHAPE_LAYER_PARAMS));
    nn_add(b.nn, "g", "gs,k0", "g", LC(GATHER), P(GatherLayerParams, GATHER_LAYER_PARAMS));
    Cmlpb__ExpandDimsLayerParams *ed = P(ExpandDimsLayerParams, EXPAND_DIMS_LAYER_PARAMS);
    SET_LIST(ed->axes, ed->n_axes, I64, 0);
    nn_add(b.nn, "ed", "g", "ed", LC(EXPAND_DIMS), ed);
    Cmlpb__LoadConstantNDLayerParams *k1 = P(LoadConstantNDLayerParams, LOAD_CONSTANT_NDLAYER_PARAMS);
    SET_LIST(k1->shape, k1->n_shape, U64, 1);
    k1->data = WP(-1);
    nn_add(b.nn, "k1", "", "k1", LC(LOAD_CONSTANT_ND), k1);
    nn_add(b.nn, "cat", "ed,k1", "target", LC(CONCAT_ND), P(ConcatNDLayerParams, CONCAT_NDLAYER_PARAMS));
    nn_add(b.nn, "rs", "x,target", "y", LC(RESHAPE_DYNAMIC), P(ReshapeDynamicLayerParams, RESHAPE_DYNAMIC_LAYER_PARAMS));
    float x5[5] = {0.5f, -1, 2, 3, -4};
    exec_tensor in = TS("x", x5, 1, 5, 1, 1);
    CHECK(nnm_run(&r, &b, &in, 1, EXEC_FP32));
    if (r.p && !r.rc) {
        EXPECT_SHAPE(&r, "target", 2, 1);
        EXPECT_OUT(&r, "target", 0, 1, -1);
        EXPECT_SHAPE(&r, "y", 1, 5);
        EXPECT_OUT(&r, "y", 0, 0.5f, -1, 2, 3, -4);
    }
    res_free(&r);
    pool_free();

    /* [2] and [1, 3] on the last axis: [2] is read as [1, 2] */
    b = nnm_new(true);
    nnm_input(&b, "a", NV(2));
    nnm_input(&b, "b", NV(1, 3));
    nnm_output(&b, "y");
    Cmlpb__ConcatNDLayerParams *cl = P(ConcatNDLayerParams, CONCAT_NDLAYER_PARAMS);
    cl->axis = -1;
    nn_add(b.nn, "cat", "a,b", "y", LC(CONCAT_ND), cl);
    float va[2] = {1, 2}, vb[3] = {3, 4, 5};
    exec_tensor ins[2] = {TS("a", va, 2), TS("b", vb, 1, 3)};
    CHECK(nnm_run(&r, &b, ins, 2, EXEC_FP32));
    if (r.p && !r.rc) {
        EXPECT_SHAPE(&r, "y", 1, 5);
        EXPECT_OUT(&r, "y", 0, 1, 2, 3, 4, 5);
    }
    res_free(&r);
    /* [2] and [2, 3] on the last axis: [1, 2] against [2, 3] off the axis */
    float v6[6] = {1, 2, 3, 4, 5, 6};
    ins[1] = TS("b", v6, 2, 3);
    b.d->input[1]->type->multiarraytype->shape[0] = 2;
    CHECK(nnm_prepare(&r, &b, NULL));
    CHECK(r.p && !res_again(&r, EXEC_FP32, ins, 2) && strstr(r.err, "shapes differ off the axis"));
    res_free(&r);
    pool_free();

    /* the legacy concat (axis -3) keeps requiring one rank */
    b = nnm_new(true);
    nnm_input(&b, "a", NV(2, 1, 1));
    nnm_input(&b, "b", NV(1, 1));
    nnm_output(&b, "y");
    nn_add(b.nn, "cat", "a,b", "y", LC(CONCAT), P(ConcatLayerParams, CONCAT_LAYER_PARAMS));
    ins[0] = TS("a", va, 2, 1, 1);
    ins[1] = TS("b", vb, 1, 1);
    CHECK(nnm_prepare(&r, &b, NULL));
    CHECK(r.p && !res_again(&r, EXEC_FP32, ins, 2) && strstr(r.err, "ranks differ"));
    res_free(&r);
    pool_free();
}

/* ---- many inputs -------------------------------------------------------------------------------- */

/* 30,000 inputs [1] concatenated into y [30000], declared by turns float32,
 * int32 and float16: each input's declaration is found by name (prepare
 * truncates an int32 input, rounds a float16 one; exec_make_inputs draws
 * integers for int32 inputs), and prepare, input generation and the run
 * all finish. Finding each input's feature by scanning the description
 * made preparing such a model quadratic in its inputs. The messages come
 * from plain arrays, not the pool (four of them per input). */
enum { MANY = 30000 };
typedef struct many_in {
    Cmlpb__FeatureDescription fd[MANY], *fdp[MANY];
    Cmlpb__FeatureType ft[MANY];
    Cmlpb__ArrayFeatureType af[MANY];
    char name[MANY][8], *cat_in[MANY];
    float val[MANY], want[MANY];
    exec_tensor in[MANY];
} many_in;

static void test_many_inputs(void) {
    static const Cmlpb__ArrayFeatureType__ArrayDataType dts[3] = {
        CMLPB__ARRAY_FEATURE_TYPE__ARRAY_DATA_TYPE__FLOAT32, CMLPB__ARRAY_FEATURE_TYPE__ARRAY_DATA_TYPE__INT32,
        CMLPB__ARRAY_FEATURE_TYPE__ARRAY_DATA_TYPE__FLOAT16};
    static int64_t one = 1;
    many_in *mi = calloc(1, sizeof *mi);
    CHECK(mi != NULL);
    if (!mi) return;
    nnm b = nnm_new(true);
    for (int i = 0; i < MANY; i++) {
        snprintf(mi->name[i], sizeof mi->name[i], "f%05d", i);
        mi->af[i] = (Cmlpb__ArrayFeatureType)CMLPB__ARRAY_FEATURE_TYPE__INIT;
        mi->af[i].datatype = dts[i % 3];
        mi->af[i].n_shape = 1;
        mi->af[i].shape = &one;
        mi->ft[i] = (Cmlpb__FeatureType)CMLPB__FEATURE_TYPE__INIT;
        mi->ft[i].type_case = CMLPB__FEATURE_TYPE__TYPE_MULTI_ARRAY_TYPE;
        mi->ft[i].multiarraytype = &mi->af[i];
        mi->fd[i] = (Cmlpb__FeatureDescription)CMLPB__FEATURE_DESCRIPTION__INIT;
        mi->fd[i].name = mi->name[i];
        mi->fd[i].type = &mi->ft[i];
        mi->fdp[i] = &mi->fd[i];
        mi->cat_in[i] = mi->name[i];
        mi->val[i] = 0.3f + (float)(i % 7);
        mi->want[i] = i % 3 == 0 ? mi->val[i] : i % 3 == 1 ? truncf(mi->val[i]) : exec_round_fp16(mi->val[i]);
        mi->in[i] = (exec_tensor){.name = mi->name[i], .rank = 1, .shape = {1}, .data = &mi->val[i]};
    }
    b.d->input = mi->fdp;
    b.d->n_input = MANY;
    nnm_output(&b, "y");
    Cmlpb__NeuralNetworkLayer *l = nn_add(b.nn, "cat", "", "y", LC(CONCAT_ND), P(ConcatNDLayerParams, CONCAT_NDLAYER_PARAMS));
    l->input = mi->cat_in;
    l->n_input = MANY;
    res r;
    CHECK(nnm_run(&r, &b, mi->in, MANY, EXEC_FP32));
    if (r.p && !r.rc) {
        const int64_t dims[] = {MANY};
        expect_tensor(out_named(&r, "y"), 1, dims, mi->want, MANY, 0, "y", __LINE__);
        /* the generated inputs follow each input's declaration */
        exec_tensor *gen = NULL;
        size_t ngen = 0, bad = 0;
        char err[256];
        CHECK(exec_make_inputs(r.lm->model, NULL, 9, &gen, &ngen, err, sizeof err) == 0);
        CHECK_INT(ngen, MANY);
        for (size_t i = 0; i < ngen && i < MANY; i++) {
            const exec_tensor *g = &gen[i];
            exec_dtype dt = i % 3 == 0 ? EXEC_DT_FP32 : i % 3 == 1 ? EXEC_DT_INT32 : EXEC_DT_FP16;
            bool ok = !strcmp(g->name, mi->name[i]) && g->dtype == dt && g->rank == 1 && g->shape[0] == 1 &&
                      (dt != EXEC_DT_INT32 || (g->data[0] == truncf(g->data[0]) && g->data[0] >= 0 && g->data[0] < 10));
            if (!ok && bad++ < 3) fprintf(stderr, "generated input %zu ('%s') does not follow its declaration\n", i, g->name);
        }
        CHECK_INT(bad, 0);
        CHECK(res_again(&r, EXEC_FP16_EMU, gen, ngen));
        exec_tensors_free(gen, ngen);
    }
    res_free(&r);
    free(mi);
    pool_free();
}

int main(void) {
    if (!tmp_make_dir(g_root, sizeof g_root, "cml_exec_nn_")) return 1;
    if (!refs_load()) return 1;
    RUN(test_branch);
    RUN(test_loop_for);
    RUN(test_loop_while);
    RUN(test_loop_break_continue);
    RUN(test_loop_limits);
    RUN(test_inner_product_bias);
    RUN(test_nn_classifier_labels);
    RUN(test_rank5_mapping);
    RUN(test_unary_functions);
    RUN(test_compare_logic);
    RUN(test_slices);
    RUN(test_gather_scatter);
    RUN(test_sort_select);
    RUN(test_shape_layers);
    RUN(test_generators);
    RUN(test_norms);
    RUN(test_resample);
    RUN(test_transpose_repeated_axis);
    RUN(test_reshape_channel_last_sample);
    RUN(test_split_nd_negative_size);
    RUN(test_crop_resize_empty_map);
    RUN(test_concat_nd_ranks);
    RUN(test_many_inputs);
    refs_free();
    tmp_remove_tree(g_root);
    return CHECK_DONE();
}
#endif
