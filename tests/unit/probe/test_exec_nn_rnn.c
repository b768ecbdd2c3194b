/* SPDX-License-Identifier: Apache-2.0 */
/* test_exec_nn_rnn.c — the executor's NeuralNetwork layers, part 2: the
 * recurrent layers (uniDirectionalLSTM in its standard configuration
 * against torch.nn.LSTM, with peepholes, forget bias, cell clipping,
 * hard-sigmoid / scaled-tanh / linear activations, reverse input and a
 * coupled input-forget gate against a NumPy transcription of the proto's
 * equations; biDirectionalLSTM against torch's bidirectional LSTM; gru;
 * simpleRecurrent against torch.nn.RNN), their fp16 emulation, the 3-D
 * convolution (groups, stride, dilation, custom and same padding,
 * deconvolution) and pooling against PyTorch, embeddings, products,
 * non-maximum suppression, the random layers (reproducible, right
 * distribution), int8 dynamic quantization and the refusal of custom
 * layers. References: tests/refs/nn_refs.txt (gen_nn_refs.py). */
#define _DEFAULT_SOURCE
#include "tmptree.h"
#ifdef CML_NO_EXEC
#include "check.h"
CHECK_MAIN_NO_EXEC()
#else
#include "nn_model.h"

#define TOL 1e-5

/* ---- recurrent -------------------------------------------------------------------------------------- */

enum { A_SIGMOID, A_TANH, A_HARD, A_SCALED, A_LINEAR, A_RELU };

static Cmlpb__ActivationParams *act(int kind) {
    Cmlpb__ActivationParams *a = P(ActivationParams, ACTIVATION_PARAMS);
    switch (kind) {
    case A_SIGMOID:
        a->nonlinearity_type_case = CMLPB__ACTIVATION_PARAMS__NONLINEARITY_TYPE_SIGMOID;
        a->sigmoid = P(ActivationSigmoid, ACTIVATION_SIGMOID);
        break;
    case A_TANH:
        a->nonlinearity_type_case = CMLPB__ACTIVATION_PARAMS__NONLINEARITY_TYPE_TANH;
        a->tanh = P(ActivationTanh, ACTIVATION_TANH);
        break;
    case A_HARD: /* empty, as coremltools writes it: alpha 0.2, beta 0.5 */
        a->nonlinearity_type_case = CMLPB__ACTIVATION_PARAMS__NONLINEARITY_TYPE_SIGMOID_HARD;
        a->sigmoidhard = P(ActivationSigmoidHard, ACTIVATION_SIGMOID_HARD);
        break;
    case A_SCALED: /* empty: alpha 1.71, beta 2/3 */
        a->nonlinearity_type_case = CMLPB__ACTIVATION_PARAMS__NONLINEARITY_TYPE_SCALED_TANH;
        a->scaledtanh = P(ActivationScaledTanh, ACTIVATION_SCALED_TANH);
        break;
    case A_LINEAR:
        a->nonlinearity_type_case = CMLPB__ACTIVATION_PARAMS__NONLINEARITY_TYPE_LINEAR;
        a->linear = P(ActivationLinear, ACTIVATION_LINEAR);
        break;
    default:
        a->nonlinearity_type_case = CMLPB__ACTIVATION_PARAMS__NONLINEARITY_TYPE_RE_LU;
        a->relu = P(ActivationReLU, ACTIVATION_RE_LU);
        break;
    }
    return a;
}

static Cmlpb__ActivationParams **acts3(int f, int g, int h) {
    Cmlpb__ActivationParams **v = pz(3 * sizeof *v);
    v[0] = act(f);
    v[1] = act(g);
    v[2] = act(h);
    return v;
}

static Cmlpb__LSTMWeightParams *lstm_w(const char *prefix, bool bias, bool peep) {
    Cmlpb__LSTMWeightParams *w = P(LSTMWeightParams, LSTMWEIGHT_PARAMS);
    char n[64];
#define W_(field, suffix) (snprintf(n, sizeof n, "%s." suffix, prefix), w->field = ref_wp(n))
    W_(inputgateweightmatrix, "Wi");
    W_(forgetgateweightmatrix, "Wf");
    W_(blockinputweightmatrix, "Wz");
    W_(outputgateweightmatrix, "Wo");
    W_(inputgaterecursionmatrix, "Ri");
    W_(forgetgaterecursionmatrix, "Rf");
    W_(blockinputrecursionmatrix, "Rz");
    W_(outputgaterecursionmatrix, "Ro");
    if (bias) {
        W_(inputgatebiasvector, "bi");
        W_(forgetgatebiasvector, "bf");
        W_(blockinputbiasvector, "bz");
        W_(outputgatebiasvector, "bo");
    }
    if (peep) {
        W_(inputgatepeepholevector, "pi");
        W_(forgetgatepeepholevector, "pf");
        W_(outputgatepeepholevector, "po");
    }
#undef W_
    return w;
}

/* a uniDirectionalLSTM model: x (and h0, c0 when `states`) -> y, h, c */
static nnm lstm_model(const char *prefix, Cmlpb__UniDirectionalLSTMLayerParams *p, bool states) {
    nnm b = nnm_new(false);
    char n[64];
    snprintf(n, sizeof n, "%s.x", prefix);
    const reft *x = ref(n);
    nnm_input(&b, "x", NV(3));
    (void)x;
    if (states) {
        nnm_input(&b, "h0", NV(4));
        nnm_input(&b, "c0", NV(4));
    }
    nnm_output(&b, "y");
    nnm_output(&b, "h");
    nnm_output(&b, "c");
    nn_add(b.nn, "lstm", states ? "x,h0,c0" : "x", "y,h,c", LC(UNI_DIRECTIONAL_LSTM), p);
    return b;
}

static void test_lstm(void) {
    res r;
    /* a: sigmoid / tanh / tanh, bias, sequence output: torch.nn.LSTM */
    Cmlpb__UniDirectionalLSTMLayerParams *p = P(UniDirectionalLSTMLayerParams, UNI_DIRECTIONAL_LSTMLAYER_PARAMS);
    p->inputvectorsize = 3;
    p->outputvectorsize = 4;
    p->n_activations = 3;
    p->activations = acts3(A_SIGMOID, A_TANH, A_TANH);
    p->params = P(LSTMParams, LSTMPARAMS);
    p->params->sequenceoutput = 1;
    p->params->hasbiasvectors = 1;
    p->weightparams = lstm_w("lstm_a", true, false);
    nnm b = lstm_model("lstm_a", p, true);
    exec_tensor in[3] = {ref_in("x", "lstm_a.x"), ref_in("h0", "lstm_a.h0"), ref_in("c0", "lstm_a.c0")};
    if (nnm_run(&r, &b, in, 3, EXEC_FP32)) {
        EXPECT_REF(&r, "y", "lstm_a.y", TOL);
        EXPECT_REF(&r, "h", "lstm_a.hT", TOL);
        EXPECT_REF(&r, "c", "lstm_a.cT", TOL);
        /* fp16 emulation: every output value is a binary16 value, within fp16 precision of fp32 */
        exec_tensor *o32 = r.o;
        size_t n32 = r.n;
        r.o = NULL;
        r.n = 0;
        if (res_again(&r, EXEC_FP16_EMU, in, 3)) {
            const exec_tensor *y16 = out_named(&r, "y");
            for (size_t k = 0; y16 && k < exec_tensor_count(y16); k++) {
                CHECK(exec_round_fp16(y16->data[k]) == y16->data[k]);
                CHECK(fabsf(y16->data[k] - o32[0].data[k]) < 4e-3f);
            }
        }
        exec_tensors_free(o32, n32);
    }
    res_free(&r);
    pool_free();

    /* b: reverse, last output, peepholes, forget bias, clip 0.3, hard sigmoid / scaled tanh / tanh */
    p = P(UniDirectionalLSTMLayerParams, UNI_DIRECTIONAL_LSTMLAYER_PARAMS);
    p->inputvectorsize = 3;
    p->outputvectorsize = 4;
    p->n_activations = 3;
    p->activations = acts3(A_HARD, A_SCALED, A_TANH);
    p->params = P(LSTMParams, LSTMPARAMS);
    p->params->hasbiasvectors = 1;
    p->params->haspeepholevectors = 1;
    p->params->forgetbias = 1;
    p->params->cellclipthreshold = 0.3f;
    p->reverseinput = 1;
    p->weightparams = lstm_w("lstm_b", true, true);
    b = lstm_model("lstm_b", p, true);
    exec_tensor inb[3] = {ref_in("x", "lstm_b.x"), ref_in("h0", "lstm_b.h0"), ref_in("c0", "lstm_b.c0")};
    if (nnm_run(&r, &b, inb, 3, EXEC_FP32)) {
        EXPECT_REF(&r, "y", "lstm_b.y", TOL);
        EXPECT_REF(&r, "h", "lstm_b.hT", TOL);
        EXPECT_REF(&r, "c", "lstm_b.cT", TOL);
    }
    res_free(&r);
    pool_free();

    /* c: coupled input and forget gate, linear h(), no initial state, no bias */
    p = P(UniDirectionalLSTMLayerParams, UNI_DIRECTIONAL_LSTMLAYER_PARAMS);
    p->inputvectorsize = 3;
    p->outputvectorsize = 4;
    p->n_activations = 3;
    p->activations = acts3(A_SIGMOID, A_TANH, A_LINEAR);
    p->params = P(LSTMParams, LSTMPARAMS);
    p->params->sequenceoutput = 1;
    p->params->haspeepholevectors = 1;
    p->params->coupledinputandforgetgate = 1;
    p->weightparams = lstm_w("lstm_c", false, true);
    b = lstm_model("lstm_c", p, false);
    exec_tensor inc = ref_in("x", "lstm_c.x");
    if (nnm_run(&r, &b, &inc, 1, EXEC_FP32)) {
        EXPECT_REF(&r, "y", "lstm_c.y", TOL);
        EXPECT_REF(&r, "c", "lstm_c.cT", TOL);
    }
    res_free(&r);
    pool_free();
}

static void test_bilstm(void) {
    for (int seq = 0; seq < 2; seq++) {
        Cmlpb__BiDirectionalLSTMLayerParams *p = P(BiDirectionalLSTMLayerParams, BI_DIRECTIONAL_LSTMLAYER_PARAMS);
        p->inputvectorsize = 3;
        p->outputvectorsize = 4;
        p->n_activationsforwardlstm = 3;
        p->activationsforwardlstm = acts3(A_SIGMOID, A_TANH, A_TANH);
        p->n_activationsbackwardlstm = 3;
        p->activationsbackwardlstm = acts3(A_SIGMOID, A_TANH, A_TANH);
        p->params = P(LSTMParams, LSTMPARAMS);
        p->params->hasbiasvectors = 1;
        p->params->sequenceoutput = seq;
        p->n_weightparams = 2;
        p->weightparams = pz(2 * sizeof *p->weightparams);
        p->weightparams[0] = lstm_w("bilstm.f", true, false);
        p->weightparams[1] = lstm_w("bilstm.b", true, false);
        nnm b = nnm_new(false);
        nnm_input(&b, "x", NV(3));
        const char *st[4] = {"h0f", "c0f", "h0b", "c0b"};
        for (int i = 0; i < 4; i++) nnm_input(&b, st[i], NV(4));
        const char *outs[5] = {"y", "hf", "cf", "hb", "cb"};
        for (int i = 0; i < 5; i++) nnm_output(&b, outs[i]);
        nn_add(b.nn, "bi", "x,h0f,c0f,h0b,c0b", "y,hf,cf,hb,cb", LC(BI_DIRECTIONAL_LSTM), p);
        exec_tensor in[5] = {ref_in("x", "bilstm.x"), ref_in("h0f", "bilstm.h0f"), ref_in("c0f", "bilstm.c0f"),
                             ref_in("h0b", "bilstm.h0b"), ref_in("c0b", "bilstm.c0b")};
        res r;
        if (nnm_run(&r, &b, in, 5, EXEC_FP32)) {
            EXPECT_REF(&r, "y", seq ? "bilstm.y" : "bilstm.ylast", TOL);
            EXPECT_REF(&r, "hf", "bilstm.hf", TOL);
            EXPECT_REF(&r, "cf", "bilstm.cf", TOL);
            EXPECT_REF(&r, "hb", "bilstm.hb", TOL);
            EXPECT_REF(&r, "cb", "bilstm.cb", TOL);
        }
        res_free(&r);
        pool_free();
    }
}

static void test_gru_rnn(void) {
    for (int variant = 0; variant < 2; variant++) {
        Cmlpb__GRULayerParams *g = P(GRULayerParams, GRULAYER_PARAMS);
        g->inputvectorsize = 3;
        g->outputvectorsize = 5;
        g->n_activations = 2;
        g->activations = pz(2 * sizeof *g->activations);
        g->activations[0] = act(variant ? A_HARD : A_SIGMOID);
        g->activations[1] = act(A_TANH);
        g->hasbiasvectors = 1;
        g->sequenceoutput = !variant;
        g->reverseinput = !variant;
        g->updategateweightmatrix = ref_wp("gru.Wz");
        g->resetgateweightmatrix = ref_wp("gru.Wr");
        g->outputgateweightmatrix = ref_wp("gru.Wo");
        g->updategaterecursionmatrix = ref_wp("gru.Rz");
        g->resetgaterecursionmatrix = ref_wp("gru.Rr");
        g->outputgaterecursionmatrix = ref_wp("gru.Ro");
        g->updategatebiasvector = ref_wp("gru.bz");
        g->resetgatebiasvector = ref_wp("gru.br");
        g->outputgatebiasvector = ref_wp("gru.bo");
        nnm b = nnm_new(false);
        nnm_input(&b, "x", NV(3));
        nnm_input(&b, "h0", NV(5));
        nnm_output(&b, "y");
        nnm_output(&b, "h");
        nn_add(b.nn, "gru", "x,h0", "y,h", LC(GRU), g);
        exec_tensor in[2] = {ref_in("x", "gru.x"), ref_in("h0", "gru.h0")};
        res r;
        if (nnm_run(&r, &b, in, 2, EXEC_FP32)) {
            if (!variant) {
                /* reverse input: the outputs in the order they are computed */
                EXPECT_REF(&r, "y", "gru.y_rev", TOL);
                EXPECT_REF(&r, "h", "gru.h_rev", TOL);
            } else {
                EXPECT_REF(&r, "y", "gru.y_hard_last", TOL);
            }
        }
        res_free(&r);
        pool_free();
    }
    Cmlpb__SimpleRecurrentLayerParams *s = P(SimpleRecurrentLayerParams, SIMPLE_RECURRENT_LAYER_PARAMS);
    s->inputvectorsize = 3;
    s->outputvectorsize = 5;
    s->activation = act(A_TANH);
    s->sequenceoutput = 1;
    s->hasbiasvector = 1;
    s->weightmatrix = ref_wp("rnn.W");
    s->recursionmatrix = ref_wp("rnn.R");
    s->biasvector = ref_wp("rnn.b");
    nnm b = nnm_new(false);
    nnm_input(&b, "x", NV(3));
    nnm_input(&b, "h0", NV(5));
    nnm_output(&b, "y");
    nnm_output(&b, "h");
    nn_add(b.nn, "rnn", "x,h0", "y,h", LC(SIMPLE_RECURRENT), s);
    exec_tensor in[2] = {ref_in("x", "gru.x"), ref_in("h0", "gru.h0")};
    res r;
    if (nnm_run(&r, &b, in, 2, EXEC_FP32)) {
        EXPECT_REF(&r, "y", "rnn.y", TOL);
        EXPECT_REF(&r, "h", "rnn.hT", TOL);
    }
    res_free(&r);
    pool_free();
}

/* the executor gives a uniDirectionalLSTM a [Seq, C] input as a sequence
 * under the rank-5 mapping (an unsupported activation is refused by name) */
static void test_rnn_refusals(void) {
    Cmlpb__SimpleRecurrentLayerParams *s = P(SimpleRecurrentLayerParams, SIMPLE_RECURRENT_LAYER_PARAMS);
    s->inputvectorsize = 2;
    s->outputvectorsize = 1;
    Cmlpb__ActivationParams *a = P(ActivationParams, ACTIVATION_PARAMS);
    a->nonlinearity_type_case = CMLPB__ACTIVATION_PARAMS__NONLINEARITY_TYPE_ELU;
    a->elu = P(ActivationELU, ACTIVATION_ELU);
    s->activation = a;
    s->weightmatrix = WP(1, 1);
    s->recursionmatrix = WP(0.5f);
    nnm b = nnm_new(false);
    nnm_input(&b, "x", NV(2));
    nnm_output(&b, "y");
    nn_add(b.nn, "rnn", "x", "y", LC(SIMPLE_RECURRENT), s);
    float x[6] = {1, 2, 3, 4, 5, 6};
    exec_tensor in = TS("x", x, 3, 2);
    res r;
    CHECK(nnm_prepare(&r, &b, NULL));
    CHECK(!res_again(&r, EXEC_FP32, &in, 1) && strstr(r.err, "activation"));
    res_free(&r);
    /* with ReLU: y_t = relu(x1 + x2 + 0.5 y_{t-1}) over the 3 steps: 3, 8.5, 15.25 */
    s->activation = act(A_RELU);
    if (nnm_run(&r, &b, &in, 1, EXEC_FP32)) EXPECT_OUT(&r, "y", 1e-6, 15.25);
    res_free(&r);
    pool_free();
}

/* outputVectorSize 2^32: the recursion matrix's count H x H overflowed
 * int64 (UBSan stopped the probe's child there; without it the count
 * wrapped to 0); simpleRecurrent and the LSTMs refuse the sizes now, the
 * weights of one value each notwithstanding */
static void test_rnn_size_overflow(void) {
    for (int kind = 0; kind < 2; kind++) {
        nnm b = nnm_new(true);
        nnm_input(&b, "x", NV(1, 1, 1, 1, 1));
        nnm_output(&b, "y");
        if (kind == 0) {
            Cmlpb__SimpleRecurrentLayerParams *s = P(SimpleRecurrentLayerParams, SIMPLE_RECURRENT_LAYER_PARAMS);
            s->inputvectorsize = 1;
            s->outputvectorsize = (uint64_t)1 << 32;
            s->activation = act(A_TANH);
            s->weightmatrix = WP(1);
            s->recursionmatrix = WP(1);
            nn_add(b.nn, "rnn", "x", "y", LC(SIMPLE_RECURRENT), s);
        } else {
            Cmlpb__UniDirectionalLSTMLayerParams *p = P(UniDirectionalLSTMLayerParams, UNI_DIRECTIONAL_LSTMLAYER_PARAMS);
            p->inputvectorsize = 1;
            p->outputvectorsize = (uint64_t)1 << 32;
            p->n_activations = 3;
            p->activations = acts3(A_SIGMOID, A_TANH, A_TANH);
            p->params = P(LSTMParams, LSTMPARAMS);
            Cmlpb__LSTMWeightParams *w = P(LSTMWeightParams, LSTMWEIGHT_PARAMS);
            w->inputgateweightmatrix = w->forgetgateweightmatrix = w->blockinputweightmatrix = WP(1);
            w->outputgateweightmatrix = w->inputgaterecursionmatrix = w->forgetgaterecursionmatrix = WP(1);
            w->blockinputrecursionmatrix = w->outputgaterecursionmatrix = WP(1);
            p->weightparams = w;
            nn_add(b.nn, "lstm", "x", "y", LC(UNI_DIRECTIONAL_LSTM), p);
        }
        float x[1] = {1};
        exec_tensor in = TS("x", x, 1, 1, 1, 1, 1);
        res r;
        if (nnm_prepare(&r, &b, NULL)) CHECK(!res_again(&r, EXEC_FP32, &in, 1) && strstr(r.err, "overflow"));
        else CHECK(0);
        res_free(&r);
        pool_free();
    }
}

/* ---- 3-D convolution and pooling -------------------------------------------------------------------- */

static Cmlpb__Convolution3DLayerParams *c3(int cout, int g, int kd, int kh, int kw) {
    Cmlpb__Convolution3DLayerParams *p = P(Convolution3DLayerParams, CONVOLUTION3_DLAYER_PARAMS);
    p->outputchannels = cout;
    p->inputchannels = 4;
    p->ngroups = g;
    p->kerneldepth = kd;
    p->kernelheight = kh;
    p->kernelwidth = kw;
    p->stridedepth = p->strideheight = p->stridewidth = 1;
    p->dilationdepth = p->dilationheight = p->dilationwidth = 1;
    return p;
}

static bool run1(res *r, const char *in_ref, const char *outs, Cmlpb__NeuralNetworkLayer__LayerCase lc, void *params) {
    nnm b = nnm_new(true);
    const reft *x = ref(in_ref);
    nnm_input(&b, "x", (size_t)x->rank, x->dim);
    size_t no;
    char **on = name_list(outs, &no);
    for (size_t i = 0; i < no; i++) nnm_output(&b, on[i]);
    nn_add(b.nn, "layer", "x", outs, lc, params);
    exec_tensor in = ref_in("x", in_ref);
    return nnm_run(r, &b, &in, 1, EXEC_FP32);
}

static void test_conv3d(void) {
    res r;
    Cmlpb__Convolution3DLayerParams *p = c3(6, 2, 2, 3, 2);
    p->strideheight = 2;
    p->dilationwidth = 2;
    p->hasbias = 1;
    p->weights = ref_wp("c3.w");
    p->bias = ref_wp("c3.b");
    p->paddingtype = CMLPB__CONVOLUTION3_DLAYER_PARAMS__PADDING_TYPE__CUSTOM;
    p->custompaddingfront = 1;
    p->custompaddingtop = 1;
    p->custompaddingbottom = 2;
    p->custompaddingright = 1;
    if (run1(&r, "c3.x", "y", LC(CONVOLUTION3D), p)) EXPECT_REF(&r, "y", "c3.custom", TOL);
    res_free(&r);
    pool_free();
    p = c3(6, 2, 2, 3, 2);
    p->stridedepth = p->strideheight = p->stridewidth = 2;
    p->hasbias = 1;
    p->weights = ref_wp("c3.w");
    p->bias = ref_wp("c3.b");
    p->paddingtype = CMLPB__CONVOLUTION3_DLAYER_PARAMS__PADDING_TYPE__SAME;
    if (run1(&r, "c3.x", "y", LC(CONVOLUTION3D), p)) EXPECT_REF(&r, "y", "c3.same", TOL);
    res_free(&r);
    pool_free();
    p = c3(3, 1, 2, 2, 3);
    p->stridedepth = p->strideheight = p->stridewidth = 2;
    p->isdeconvolution = 1;
    p->weights = ref_wp("c3.wd");
    p->paddingtype = CMLPB__CONVOLUTION3_DLAYER_PARAMS__PADDING_TYPE__CUSTOM;
    p->custompaddingfront = p->custompaddingback = p->custompaddingtop = p->custompaddingbottom = 1;
    p->custompaddingleft = p->custompaddingright = 1;
    if (run1(&r, "c3.x", "y", LC(CONVOLUTION3D), p)) EXPECT_REF(&r, "y", "c3.deconv", TOL);
    res_free(&r);
    pool_free();
    /* weights of the wrong size: a message */
    p = c3(6, 2, 2, 3, 2);
    p->weights = WP(1, 2, 3);
    CHECK(!run1(&r, "c3.x", "y", LC(CONVOLUTION3D), p) && strstr(r.err, "weights hold 3 values"));
    res_free(&r);
    pool_free();

    Cmlpb__Pooling3DLayerParams *q = P(Pooling3DLayerParams, POOLING3_DLAYER_PARAMS);
    q->kerneldepth = 2;
    q->kernelheight = 2;
    q->kernelwidth = 3;
    q->stridedepth = 1;
    q->strideheight = 2;
    q->stridewidth = 1;
    q->paddingtype = CMLPB__POOLING3_DLAYER_PARAMS__POOLING3_DPADDING_TYPE__VALID;
    if (run1(&r, "p3.x", "y", LC(POOLING3D), q)) EXPECT_REF(&r, "y", "p3.max_valid", TOL);
    res_free(&r);
    pool_free();
    for (int excl = 0; excl < 2; excl++) {
        q = P(Pooling3DLayerParams, POOLING3_DLAYER_PARAMS);
        q->type = CMLPB__POOLING3_DLAYER_PARAMS__POOLING_TYPE3_D__AVERAGE;
        q->kerneldepth = q->kernelheight = q->kernelwidth = 3;
        q->stridedepth = q->strideheight = q->stridewidth = 2;
        q->custompaddingfront = q->custompaddingback = q->custompaddingtop = 1;
        q->custompaddingbottom = q->custompaddingleft = q->custompaddingright = 1;
        q->countexcludepadding = excl;
        if (run1(&r, "p3.x", "y", LC(POOLING3D), q)) EXPECT_REF(&r, "y", excl ? "p3.avg_excl" : "p3.avg_incl", TOL);
        res_free(&r);
        pool_free();
    }
    for (int avg = 0; avg < 2; avg++) {
        Cmlpb__GlobalPooling3DLayerParams *gq = P(GlobalPooling3DLayerParams, GLOBAL_POOLING3_DLAYER_PARAMS);
        gq->type = avg ? CMLPB__GLOBAL_POOLING3_DLAYER_PARAMS__GLOBAL_POOLING_TYPE3_D__AVERAGE
                       : CMLPB__GLOBAL_POOLING3_DLAYER_PARAMS__GLOBAL_POOLING_TYPE3_D__MAX;
        if (run1(&r, "p3.x", "y", LC(GLOBAL_POOLING3D), gq)) EXPECT_REF(&r, "y", avg ? "p3.gavg" : "p3.gmax", TOL);
        res_free(&r);
        pool_free();
    }
    /* the proto's example: MAX 2x2x2 stride 1 valid over 1..18 -> 14 15 17 18 */
    nnm b = nnm_new(true);
    nnm_input(&b, "x", NV(1, 1, 2, 3, 3));
    nnm_output(&b, "y");
    q = P(Pooling3DLayerParams, POOLING3_DLAYER_PARAMS);
    q->kerneldepth = q->kernelheight = q->kernelwidth = 2;
    q->stridedepth = q->strideheight = q->stridewidth = 1;
    q->paddingtype = CMLPB__POOLING3_DLAYER_PARAMS__POOLING3_DPADDING_TYPE__VALID;
    nn_add(b.nn, "p", "x", "y", LC(POOLING3D), q);
    float v[18];
    for (int i = 0; i < 18; i++) v[i] = (float)(i + 1);
    exec_tensor in = TS("x", v, 1, 1, 2, 3, 3);
    if (nnm_run(&r, &b, &in, 1, EXEC_FP32)) {
        EXPECT_SHAPE(&r, "y", 1, 1, 1, 2, 2);
        EXPECT_OUT(&r, "y", 0, 14, 15, 17, 18);
    }
    res_free(&r);
    pool_free();
}

/* ---- embeddings, products ------------------------------------------------------------------------------ */

static void test_embeddings_products(void) {
    res r;
    Cmlpb__EmbeddingNDLayerParams *e = P(EmbeddingNDLayerParams, EMBEDDING_NDLAYER_PARAMS);
    e->vocabsize = 10;
    e->embeddingsize = 6;
    e->hasbias = 1;
    e->weights = ref_wp("emb.w");
    e->bias = ref_wp("emb.b");
    if (run1(&r, "emb.ids", "y", LC(EMBEDDING_ND), e)) EXPECT_REF(&r, "y", "emb.y", TOL);
    res_free(&r);
    pool_free();
    /* legacy embedding under the rank-5 mapping: [Seq, 1, 1, 1, 1] indices -> [Seq, 1, 2, 1, 1];
     * an index out of range is refused */
    nnm b = nnm_new(false);
    nnm_input(&b, "ids", NV(1));
    nnm_output(&b, "y");
    Cmlpb__EmbeddingLayerParams *le = P(EmbeddingLayerParams, EMBEDDING_LAYER_PARAMS);
    le->inputdim = 3;
    le->outputchannels = 2;
    le->weights = WP(1, 2, 3, 10, 20, 30); /* [outputChannels, inputDim] */
    nn_add(b.nn, "emb", "ids", "y", LC(EMBEDDING), le);
    float ids[2] = {2, 0};
    exec_tensor in = TS("ids", ids, 2, 1);
    if (nnm_run(&r, &b, &in, 1, EXEC_FP32)) {
        EXPECT_SHAPE(&r, "y", 2, 1, 2, 1, 1);
        EXPECT_OUT(&r, "y", 0, 3, 30, 1, 10);
    }
    ids[1] = 3;
    if (r.p) CHECK(!res_again(&r, EXEC_FP32, &in, 1) && strstr(r.err, "out of range"));
    /* generated inputs read as indices are indices: integers in [0, inputDim) */
    exec_tensor *gen = NULL;
    size_t ngen = 0;
    char err[256];
    CHECK(r.lm && exec_make_inputs(r.lm->model, NULL, 5, &gen, &ngen, err, sizeof err) == 0 && ngen == 1);
    for (size_t k = 0; gen && k < exec_tensor_count(&gen[0]); k++)
        CHECK(gen[0].data[k] >= 0 && gen[0].data[k] < 3 && gen[0].data[k] == floorf(gen[0].data[k]));
    exec_tensors_free(gen, ngen);
    res_free(&r);
    pool_free();

    /* batchedMatmul with two broadcast inputs and both transposes (numpy.matmul) */
    b = nnm_new(true);
    const reft *a = ref("bmm.a"), *bb = ref("bmm.b");
    nnm_input(&b, "a", (size_t)a->rank, a->dim);
    nnm_input(&b, "b", (size_t)bb->rank, bb->dim);
    nnm_output(&b, "y");
    Cmlpb__BatchedMatMulLayerParams *mm = P(BatchedMatMulLayerParams, BATCHED_MAT_MUL_LAYER_PARAMS);
    mm->transposea = mm->transposeb = 1;
    nn_add(b.nn, "mm", "a,b", "y", LC(BATCHED_MATMUL), mm);
    exec_tensor in2[2] = {ref_in("a", "bmm.a"), ref_in("b", "bmm.b")};
    if (nnm_run(&r, &b, in2, 2, EXEC_FP32)) EXPECT_REF(&r, "y", "bmm.y", TOL);
    res_free(&r);
    pool_free();

    /* one input with int8 weights and dynamic quantization: x = [0.5, -1, 0.26]
     * is rounded to the grid 1/127: [64, -127, 33] / 127 */
    for (int lcase = 0; lcase < 2; lcase++) {
        b = nnm_new(true);
        nnm_input(&b, "x", NV(1, 3));
        nnm_output(&b, "y");
        Cmlpb__WeightParams *w = P(WeightParams, WEIGHT_PARAMS);
        static const int8_t q[6] = {2, 0, -1, 1, 1, 1}; /* [2 rows of 3] */
        w->int8rawvalue.len = 6;
        w->int8rawvalue.data = pdup(q, 6);
        Cmlpb__QuantizationParams *qp = P(QuantizationParams, QUANTIZATION_PARAMS);
        qp->numberofbits = 8;
        qp->quantization_type_case = CMLPB__QUANTIZATION_PARAMS__QUANTIZATION_TYPE_LINEAR_QUANTIZATION;
        qp->linearquantization = P(LinearQuantizationParams, LINEAR_QUANTIZATION_PARAMS);
        qp->linearquantization->n_scale = 1;
        qp->linearquantization->scale = pdup((const float[]){0.5f}, sizeof(float));
        w->quantization = qp;
        if (lcase) {
            Cmlpb__InnerProductLayerParams *ip = P(InnerProductLayerParams, INNER_PRODUCT_LAYER_PARAMS);
            ip->inputchannels = 3;
            ip->outputchannels = 2;
            ip->weights = w;
            ip->int8dynamicquantize = 1;
            nn_add(b.nn, "ip", "x", "y", LC(INNER_PRODUCT), ip);
        } else {
            mm = P(BatchedMatMulLayerParams, BATCHED_MAT_MUL_LAYER_PARAMS);
            mm->weightmatrixfirstdimension = 3;
            mm->weightmatrixseconddimension = 2;
            mm->weights = w;
            mm->int8dynamicquantize = 1;
            nn_add(b.nn, "mm", "x", "y", LC(BATCHED_MATMUL), mm);
        }
        float xv[3] = {0.5f, -1, 0.26f};
        exec_tensor t = TS("x", xv, 1, 3);
        if (nnm_run(&r, &b, &t, 1, EXEC_FP32)) {
            double x0 = 64.0 / 127, x1 = -1, x2 = 33.0 / 127;
            EXPECT_OUT(&r, "y", 1e-6, (float)(0.5 * (2 * x0 - x2)), (float)(0.5 * (x0 + x1 + x2)));
        }
        res_free(&r);
        pool_free();
    }

    /* dot product and cosine similarity of [2, 3, 1, 1] blobs */
    for (int cosine = 0; cosine < 2; cosine++) {
        b = nnm_new(true);
        nnm_input(&b, "a", NV(2, 3, 1, 1));
        nnm_input(&b, "b", NV(2, 3, 1, 1));
        nnm_output(&b, "y");
        Cmlpb__DotProductLayerParams *dp = P(DotProductLayerParams, DOT_PRODUCT_LAYER_PARAMS);
        dp->cosinesimilarity = cosine;
        nn_add(b.nn, "dot", "a,b", "y", LC(DOT), dp);
        float av[6] = {1, 2, 2, 0, 3, 4}, bv[6] = {2, 0, 1, 1, 1, 1};
        exec_tensor t2[2] = {TS("a", av, 2, 3, 1, 1), TS("b", bv, 2, 3, 1, 1)};
        if (nnm_run(&r, &b, t2, 2, EXEC_FP32)) {
            EXPECT_SHAPE(&r, "y", 2, 1, 1, 1);
            if (cosine) EXPECT_OUT(&r, "y", 1e-6, (float)(4 / (3 * sqrt(5))), (float)(7 / (5 * sqrt(3))));
            else EXPECT_OUT(&r, "y", 0, 4, 7);
        }
        res_free(&r);
        pool_free();
    }
}

/* embedding with inputDim 2^62 + 1 and outputChannels 4: the weight count
 * inputDim x outputChannels overflowed int64 (UBSan) and wrapped to 4,
 * which 4 weights passed; row j of the table was then read at j x
 * (2^62 + 1) + index, past the 4 values (out of bounds). Refused now. */
static void test_embedding_size_overflow(void) {
    nnm b = nnm_new(true);
    nnm_input(&b, "x", NV(2, 1, 1, 1));
    nnm_output(&b, "y");
    Cmlpb__EmbeddingLayerParams *e = P(EmbeddingLayerParams, EMBEDDING_LAYER_PARAMS);
    e->inputdim = ((uint64_t)1 << 62) + 1;
    e->outputchannels = 4;
    e->weights = WP(1, 2, 3, 4);
    nn_add(b.nn, "e", "x", "y", LC(EMBEDDING), e);
    float idx[2] = {1, 0};
    exec_tensor in = TS("x", idx, 2, 1, 1, 1);
    res r;
    if (nnm_prepare(&r, &b, NULL)) CHECK(!res_again(&r, EXEC_FP32, &in, 1) && strstr(r.err, "overflows"));
    else CHECK(0);
    res_free(&r);
    pool_free();
}

/* convolution3d with a kernel of 11806113 x 409891 x 7623851 (the factors
 * of 2 x 2^64 + 1): the weight count overflowed int64 (UBSan) and wrapped
 * to 1, which one weight passed; with SAME padding the output was 1 x 1 x
 * 1 and the loops ran the kernel's taps over that one weight (a heap-
 * buffer-overflow read at the second tap). Refused now. */
static void test_conv3d_size_overflow(void) {
    Cmlpb__Convolution3DLayerParams *p = c3(1, 1, 11806113, 409891, 7623851);
    p->inputchannels = 1;
    p->weights = WP(1);
    p->paddingtype = CMLPB__CONVOLUTION3_DLAYER_PARAMS__PADDING_TYPE__SAME;
    nnm b = nnm_new(true);
    nnm_input(&b, "x", NV(1, 1, 1, 1, 1));
    nnm_output(&b, "y");
    nn_add(b.nn, "c3", "x", "y", LC(CONVOLUTION3D), p);
    float x[1] = {1};
    exec_tensor in = TS("x", x, 1, 1, 1, 1, 1);
    res r;
    if (nnm_prepare(&r, &b, NULL)) CHECK(!res_again(&r, EXEC_FP32, &in, 1) && strstr(r.err, "overflows"));
    else CHECK(0);
    res_free(&r);
    pool_free();
}

/* batchedMatmul with stored weights [4, 2^62 + 1]: the weight count 4 x
 * (2^62 + 1) overflowed int64 (UBSan stopped the probe's child; without it
 * the count wrapped to 4, which 4 weights passed, and only the output's
 * size limit stopped the layer, as "out of memory"); refused now */
static void test_matmul_size_overflow(void) {
    nnm b = nnm_new(true);
    nnm_input(&b, "x", NV(1, 4));
    nnm_output(&b, "y");
    Cmlpb__BatchedMatMulLayerParams *mm = P(BatchedMatMulLayerParams, BATCHED_MAT_MUL_LAYER_PARAMS);
    mm->weightmatrixfirstdimension = 4;
    mm->weightmatrixseconddimension = ((uint64_t)1 << 62) + 1;
    mm->weights = WP(1, 2, 3, 4);
    nn_add(b.nn, "mm", "x", "y", LC(BATCHED_MATMUL), mm);
    float x[4] = {1, 2, 3, 4};
    exec_tensor in = TS("x", x, 1, 4);
    res r;
    if (nnm_prepare(&r, &b, NULL)) CHECK(!res_again(&r, EXEC_FP32, &in, 1) && strstr(r.err, "overflows"));
    else CHECK(0);
    res_free(&r);
    pool_free();
}

/* pooling3d with a window of 2^31 - 1 on every axis and SAME padding: the
 * output is the input's 2 x 2 x 2, and each output visited every one of
 * the window's ~10^28 positions to skip all but the 8 inside the input
 * (the probe hung until its timeout); the window is clipped to the input
 * now, with the same values: max 8 and the mean 4.5 without padding */
static void test_pool3d_huge_window(void) {
    float x[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    for (int avg = 0; avg < 2; avg++) {
        Cmlpb__Pooling3DLayerParams *q = P(Pooling3DLayerParams, POOLING3_DLAYER_PARAMS);
        q->type = avg ? CMLPB__POOLING3_DLAYER_PARAMS__POOLING_TYPE3_D__AVERAGE
                      : CMLPB__POOLING3_DLAYER_PARAMS__POOLING_TYPE3_D__MAX;
        q->kerneldepth = q->kernelheight = q->kernelwidth = INT32_MAX;
        q->stridedepth = q->strideheight = q->stridewidth = 1;
        q->paddingtype = CMLPB__POOLING3_DLAYER_PARAMS__POOLING3_DPADDING_TYPE__SAME;
        q->countexcludepadding = 1;
        nnm b = nnm_new(true);
        nnm_input(&b, "x", NV(1, 1, 2, 2, 2));
        nnm_output(&b, "y");
        nn_add(b.nn, "p3", "x", "y", LC(POOLING3D), q);
        exec_tensor in = TS("x", x, 1, 1, 2, 2, 2);
        res r;
        if (nnm_run(&r, &b, &in, 1, EXEC_FP32)) {
            float v = avg ? 4.5f : 8;
            EXPECT_OUT(&r, "y", 1e-6, v, v, v, v, v, v, v, v);
        }
        res_free(&r);
        pool_free();
    }
}

/* ---- non-maximum suppression ------------------------------------------------------------------------- */

static void test_nms(void) {
    /* 4 boxes (x, y, w, h), 2 classes: box 1 overlaps box 0 (IoU 0.6), box 3 is below the score threshold */
    float boxes[16] = {0, 0, 2, 2, 0.25f, 0, 2, 2, 5, 5, 2, 2, 9, 9, 1, 1};
    float scores[8] = {0.9f, 0.1f, 0.2f, 0.8f, 0.7f, 0.3f, 0.05f, 0.01f};
    for (int per_class = 0; per_class < 2; per_class++) {
        nnm b = nnm_new(true);
        nnm_input(&b, "boxes", NV(1, 4, 4));
        nnm_input(&b, "scores", NV(1, 4, 2));
        const char *outs[4] = {"ob", "os", "oi", "on"};
        for (int i = 0; i < 4; i++) nnm_output(&b, outs[i]);
        Cmlpb__NonMaximumSuppressionLayerParams *p = P(NonMaximumSuppressionLayerParams, NON_MAXIMUM_SUPPRESSION_LAYER_PARAMS);
        p->iouthreshold = 0.5f;
        p->scorethreshold = 0.1f;
        p->maxboxes = 3;
        p->perclasssuppression = per_class;
        nn_add(b.nn, "nms", "boxes,scores", "ob,os,oi,on", LC(NON_MAXIMUM_SUPPRESSION), p);
        exec_tensor in[2] = {TS("boxes", boxes, 1, 4, 4), TS("scores", scores, 1, 4, 2)};
        res r;
        if (nnm_run(&r, &b, in, 2, EXEC_FP32)) {
            EXPECT_SHAPE(&r, "ob", 1, 3, 4);
            if (!per_class) {
                /* box 0 (0.9) suppresses box 1 (0.8, IoU 0.6); box 2 (0.7) stays; padding 0 / -1 */
                EXPECT_OUT(&r, "oi", 0, 0, 2, -1);
                EXPECT_OUT(&r, "on", 0, 2);
                EXPECT_OUT(&r, "ob", 0, 0, 0, 2, 2, 5, 5, 2, 2, 0, 0, 0, 0);
                EXPECT_OUT(&r, "os", 0, 0.9f, 0.1f, 0.7f, 0.3f, 0, 0);
            } else {
                /* box 1's best class (1) differs from box 0's (0): both stay */
                EXPECT_OUT(&r, "oi", 0, 0, 1, 2);
                EXPECT_OUT(&r, "on", 0, 3);
            }
        }
        /* nothing above the threshold: the best box, count 1 */
        float low[8] = {0.01f, 0.02f, 0.03f, 0.02f, 0.01f, 0.01f, 0.01f, 0.01f};
        in[1].data = low;
        if (r.p && res_again(&r, EXEC_FP32, in, 2)) {
            EXPECT_OUT(&r, "oi", 0, 1, -1, -1);
            EXPECT_OUT(&r, "on", 0, 1);
        }
        res_free(&r);
        pool_free();
    }
}

/* ---- random layers ------------------------------------------------------------------------------------ */

static void test_random(void) {
    nnm b = nnm_new(true);
    nnm_input(&b, "like", NV(100, 100));
    nnm_input(&b, "shape", NV(2));
    nnm_input(&b, "logits", NV(2, 3));
    const char *outs[] = {"n", "u", "be", "cat"};
    for (int i = 0; i < 4; i++) nnm_output(&b, outs[i]);
    Cmlpb__RandomNormalStaticLayerParams *rn = P(RandomNormalStaticLayerParams, RANDOM_NORMAL_STATIC_LAYER_PARAMS);
    rn->seed = 7;
    rn->mean = 2;
    rn->stddev = 3;
    SET_LIST(rn->outputshape, rn->n_outputshape, U64, 200, 100);
    nn_add(b.nn, "n", "", "n", LC(RANDOM_NORMAL_STATIC), rn);
    Cmlpb__RandomUniformDynamicLayerParams *ru = P(RandomUniformDynamicLayerParams, RANDOM_UNIFORM_DYNAMIC_LAYER_PARAMS);
    ru->minval = -1;
    ru->maxval = 3;
    nn_add(b.nn, "u", "shape", "u", LC(RANDOM_UNIFORM_DYNAMIC), ru);
    Cmlpb__RandomBernoulliLikeLayerParams *rb = P(RandomBernoulliLikeLayerParams, RANDOM_BERNOULLI_LIKE_LAYER_PARAMS);
    rb->prob = 0.25f;
    nn_add(b.nn, "be", "like", "be", LC(RANDOM_BERNOULLI_LIKE), rb);
    Cmlpb__CategoricalDistributionLayerParams *cd = P(CategoricalDistributionLayerParams, CATEGORICAL_DISTRIBUTION_LAYER_PARAMS);
    cd->numsamples = 20000;
    cd->islogits = 1;
    nn_add(b.nn, "cat", "logits", "cat", LC(CATEGORICAL_DISTRIBUTION), cd);
    static float like[10000];
    float shp[2] = {100, 200}, lg[6] = {0, (float)log(3.0), 0, 0, 0, 50};
    exec_tensor in[3] = {TS("like", like, 100, 100), TS("shape", shp, 2), TS("logits", lg, 2, 3)};
    res r;
    if (nnm_run(&r, &b, in, 3, EXEC_FP32)) {
        const exec_tensor *n = out_named(&r, "n"), *u = out_named(&r, "u"), *be = out_named(&r, "be"),
                          *cat = out_named(&r, "cat");
        double s = 0, s2 = 0;
        size_t nn = n ? exec_tensor_count(n) : 0;
        for (size_t i = 0; i < nn; i++) { s += n->data[i]; s2 += (double)n->data[i] * n->data[i]; }
        double mean = s / (double)nn, sd = sqrt(s2 / (double)nn - mean * mean);
        /* 20000 draws: the mean within 5 standard errors, the deviation within 3% */
        CHECK(nn == 20000 && fabs(mean - 2) < 5 * 3 / sqrt(20000.0) && fabs(sd - 3) < 0.09);
        EXPECT_SHAPE(&r, "u", 100, 200);
        double umin = 1e9, umax = -1e9, us = 0;
        for (size_t i = 0; u && i < exec_tensor_count(u); i++) {
            umin = u->data[i] < umin ? u->data[i] : umin;
            umax = u->data[i] > umax ? u->data[i] : umax;
            us += u->data[i];
        }
        CHECK(umin >= -1 && umax < 3 && fabs(us / 20000.0 - 1) < 0.05);
        double ones = 0;
        bool binary = true;
        for (size_t i = 0; be && i < exec_tensor_count(be); i++) {
            ones += be->data[i];
            binary = binary && (be->data[i] == 0 || be->data[i] == 1);
        }
        CHECK(binary && fabs(ones / 10000.0 - 0.25) < 0.02);
        /* row 0: p = [1/5, 3/5, 1/5]; row 1: all class 2 */
        EXPECT_SHAPE(&r, "cat", 2, 20000);
        double c1 = 0;
        bool row1 = true;
        for (size_t i = 0; cat && i < 20000; i++) {
            c1 += cat->data[i] == 1;
            row1 = row1 && cat->data[20000 + i] == 2;
        }
        CHECK(fabs(c1 / 20000.0 - 0.6) < 0.02 && row1);
        /* reproducible: a second run draws the same values */
        float first = n ? n->data[123] : 0;
        if (res_again(&r, EXEC_FP32, in, 3)) CHECK(out_named(&r, "n")->data[123] == first);
    }
    res_free(&r);
    pool_free();
}

/* ---- custom layers --------------------------------------------------------------------------------------- */

static void test_custom_refused(void) {
    nnm b = nnm_new(true);
    nnm_input(&b, "x", NV(2));
    nnm_output(&b, "y");
    Cmlpb__CustomLayerParams *cp = P(CustomLayerParams, CUSTOM_LAYER_PARAMS);
    cp->classname = pstr("Swish");
    nn_add(b.nn, "swish", "x", "y", LC(CUSTOM), cp);
    res r;
    CHECK(!nnm_prepare(&r, &b, NULL));
    CHECK(strstr(r.err, "custom layer 'Swish': needs the app's own implementation") != NULL);
    const cml_op *bad[2];
    char why[2][192];
    CHECK(r.lm && exec_unsupported(r.lm->model, NULL, &nn_host_opts.io, bad, why, 2) == 1 &&
          !strcmp(bad[0]->name, "swish"));
    res_free(&r);
    pool_free();
}

/* every layer kind of NeuralNetwork.proto has a kernel, custom refusing by name */
static void test_every_layer_has_a_kernel(void) {
    const ProtobufCMessageDescriptor *d = &cmlpb__neural_network_layer__descriptor;
    size_t n = 0;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)) continue;
        n++;
        const exec_kdef *k = exec_find_nn(f->name);
        if (!k) {
            fprintf(stderr, "no kernel for layer '%s'\n", f->name);
            check_failures_++;
        }
    }
    CHECK_INT(n, 158);
}

int main(void) {
    if (!tmp_make_dir(g_root, sizeof g_root, "cml_exec_rnn_")) return 1;
    if (!refs_load()) return 1;
    RUN(test_lstm);
    RUN(test_bilstm);
    RUN(test_gru_rnn);
    RUN(test_rnn_refusals);
    RUN(test_rnn_size_overflow);
    RUN(test_conv3d);
    RUN(test_conv3d_size_overflow);
    RUN(test_pool3d_huge_window);
    RUN(test_embeddings_products);
    RUN(test_embedding_size_overflow);
    RUN(test_matmul_size_overflow);
    RUN(test_nms);
    RUN(test_random);
    RUN(test_custom_refused);
    RUN(test_every_layer_has_a_kernel);
    refs_free();
    tmp_remove_tree(g_root);
    return CHECK_DONE();
}
#endif
