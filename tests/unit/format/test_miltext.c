/* SPDX-License-Identifier: Apache-2.0 */
/* test_miltext.c — tests of the model.mil parser (core/format/miltext.c), the
 * model.mil printer (tests/fixtures/milprint.c) and the .mlmodelc reader
 * (core/format/mlmodelc.c): Apple's sample in the older spelling, a program using
 * every construct in the newer spelling, print/parse round trips over the
 * shared corpus, hostile text (truncation at every byte, byte flips, deep
 * nesting, huge numbers, bad strings, NUL bytes, a tiny arena) and compiled
 * folders built in a temporary directory. */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "tmptree.h"
#include "milprint.h"
#include "format/mlmodelc.h"

/* SOURCE: coremltools/modelrunner/ModelRunner/add_model.mlmodelc/model.mil (buildInfo shortened) */
static const char APPLE_SAMPLE[] =
    "program(1.0)\n"
    "[buildInfo = dict<tensor<string, []>, tensor<string, []>>({{\"coremlc-component-MIL\", "
    "\"3402.3.2\"}, {\"coremlc-version\", \"3402.4.1\"}, {\"coremltools-version\", \"8.1\"}})]\n"
    "{\n"
    "    func main<ios16>(tensor<fp16, [1, 10]> x, tensor<fp16, [1, 10]> y) {\n"
    "            tensor<fp16, [1, 10]> var_3 = mul(x = x, y = y)[name = tensor<string, []>(\"op_3_cast_fp16\")];\n"
    "        } -> (var_3);\n"
    "}\n";

static const char NEW_SAMPLE[] =
    "program(1.0)\n"
    "[buildInfo = dict<string, string>({{\"coremlc-component-MIL\", \"3500.1.1\"}, {\"coremlc-version\", \"3500.2.1\"}})]\n"
    "{\n"
    "    func main<ios18>(tensor<fp16, [1, 64]> x, state<tensor<fp16, [1, 64]>> accumulator, tensor<fp32, [1, is0]> flex) {\n"
    "            // weights come first\n"
    "            tensor<fp16, [5, 6272]> w = const()[name = string(\"w\"), val = tensor<fp16, [5, 6272]>(BLOBFILE(path = string(\"@model_path/weights/weight.bin\"), offset = uint64(576)))];\n"
    "            tensor<uint4, [3]> q = const()[name = string(\"q\"), val = tensor<uint4, [3]>([1, 15, 7])];\n"
    "            tensor<int4, [2]> q4 = const()[name = string(\"q4\"), val = tensor<int4, [2]>([-8, 7])];\n"
    "            int32 ax = const()[name = string(\"ax\"), val = int32(-1)];\n"
    "            bool il = const()[name = string(\"il\"), val = bool(false)];\n"
    "            tensor<fp16, [1, 192]> cat = concat(axis = ax, interleave = il, values = (x, x, x))[name = string(\"cat\")];\n"
    "            tensor<fp16, [1, 64]> a, tensor<fp16, [1, 64]> b, tensor<fp16, [1, 64]> c = split(x = cat, num_splits = int32(3), axis = ax)[name = string(\"split\")];\n"
    "            (tensor<fp16, [1, 32]> s0, tensor<fp16, [1, 32]> s1) = split(x = a, num_splits = int32(2), axis = int32(1))[name = string(\"split2\")];\n"
    "            bool p = const()[name = string(\"p\"), val = bool(true)];\n"
    "            tensor<fp16, [1, 64]> r = cond(pred = p)[name = string(\"cond_0\")] {\n"
    "                tensor<fp16, [1, 64]> t0 = relu(x = b)[name = string(\"t0\")];\n"
    "            } -> (t0) {\n"
    "                tensor<fp16, [1, 64]> t1 = sigmoid(x = c)[name = string(\"t1\")];\n"
    "            } -> (t1);\n"
    "            int32 i0 = const()[name = string(\"i0\"), val = int32(0)];\n"
    "            int32 loop = while_loop(loop_vars = (i0))[name = string(\"loop\")] (int32 i) {\n"
    "                bool lt = less(x = i, y = int32(10))[name = string(\"lt\")];\n"
    "            } -> (lt) (int32 j) {\n"
    "                int32 j1 = add(x = j, y = int32(1))[name = string(\"j1\")];\n"
    "            } -> (j1);\n"
    "            write_state(data = r, input = accumulator)[name = string(\"ws\")];\n"
    "            tensor<fp32, [4]> v = const()[name = string(\"v\"), val = tensor<fp32, [4]>([1.5, -0x1p-2, inf, -inf])];\n"
    "            tensor<fp16, [2]> h = const()[name = string(\"h\"), val = tensor<fp16, [2]>([0x1p-1, 65504])];\n"
    "            tensor<string, [2]> strs = const()[name = string(\"strs\"), val = tensor<string, [2]>([\"a\\\"b\", \"\\u00e9\\n\"])];\n"
    "            tensor<int64, [2, 2]> l = const()[name = string(\"l\"), val = tensor<int64, [2, 2]>([[1, -2], [9223372036854775807, -9223372036854775808]])];\n"
    "            uint64 big = const()[name = string(\"big\"), val = uint64(18446744073709551615)];\n"
    "            tensor<uint8, [3]> u8 = const()[name = string(\"u8\"), val = tensor<uint8, [3]>([0, 128, 255])];\n"
    "            tensor<uint32, [1]> u32 = const()[name = string(\"u32\"), val = tensor<uint32, [1]>([4294967295])];\n"
    "            tensor<int16, [2]> i16 = const()[name = string(\"i16\"), val = tensor<int16, [2]>([-32768, 32767])];\n"
    "            fp64 d = const()[name = string(\"d\"), val = fp64(0.1)];\n"
    "            bf16 bf = const()[name = string(\"bf\"), val = bf16(1.0)];\n"
    "            tensor<fp8e4m3fn, [2]> f8 = const()[name = string(\"f8\"), val = tensor<fp8e4m3fn, [2]>([448, -0.5])];\n"
    "            tensor<fp8e5m2, [2]> f85 = const()[name = string(\"f85\"), val = tensor<fp8e5m2, [2]>([57344, nan])];\n"
    "            list<tensor<int32, [2]>, 2> lst = const()[name = string(\"lst\"), val = list<tensor<int32, [2]>, 2>([[1, 2], [3, 4]])];\n"
    "            tuple<int32, string> tup = const()[name = string(\"tup\"), val = tuple<int32, string>((7, \"x\"))];\n"
    "            tensor<int32, [0]> empty = const()[name = string(\"empty\"), val = tensor<int32, [0]>([])];\n"
    "            tensor<fp32, *> anyr = identity(x = flex)[name = string(\"anyr\")];\n"
    "            tensor<fp32, [?, *]> v2 = identity(x = anyr)[name = string(\"v2\")];\n"
    "        } -> (r, loop);\n"
    "    func second<ios17>(tensor<fp32, [1, ?]> z) {\n"
    "            tensor<fp32, [1, ?]> out = relu(x = z)[name = tensor<string, []>(\"relu_0\")];\n"
    "        } -> (out);\n"
    "}\n";

/* ---- helpers ------------------------------------------------------------ */

typedef struct ctx {
    arena *a;
    diag_list dl;
    mil_postab pos;
} ctx;

static ctx *ctx_new(size_t cap) {
    ctx *c = calloc(1, sizeof *c);
    c->a = arena_new(cap);
    c->dl.a = c->a;
    return c;
}

static void ctx_free(ctx *c) {
    arena_free(c->a);
    free(c);
}

static Cmlpb__Mil__Program *parse(ctx *c, const char *text, size_t len) {
    return miltext_parse(text, len, "model.mil", c->a, &c->pos, &c->dl);
}

static const Cmlpb__Mil__Function *find_fn(const Cmlpb__Mil__Program *p, const char *name) {
    for (size_t i = 0; p && i < p->n_functions; i++)
        if (strcmp(p->functions[i]->key, name) == 0) return p->functions[i]->value;
    return NULL;
}

static const Cmlpb__Mil__Block *main_block(const Cmlpb__Mil__Function *f) {
    for (size_t i = 0; f && i < f->n_block_specializations; i++)
        if (strcmp(f->block_specializations[i]->key, f->opset) == 0) return f->block_specializations[i]->value;
    return NULL;
}

static const Cmlpb__Mil__Operation *find_op(const Cmlpb__Mil__Block *b, const char *out) {
    for (size_t i = 0; b && i < b->n_operations; i++)
        for (size_t j = 0; j < b->operations[i]->n_outputs; j++)
            if (strcmp(b->operations[i]->outputs[j]->name, out) == 0) return b->operations[i];
    return NULL;
}

static const Cmlpb__Mil__Value *attr(const Cmlpb__Mil__Operation *op, const char *key) {
    for (size_t i = 0; op && i < op->n_attributes; i++)
        if (strcmp(op->attributes[i]->key, key) == 0) return op->attributes[i]->value;
    return NULL;
}

static const Cmlpb__Mil__Argument *arg(const Cmlpb__Mil__Operation *op, const char *key) {
    for (size_t i = 0; op && i < op->n_inputs; i++)
        if (strcmp(op->inputs[i]->key, key) == 0) return op->inputs[i]->value;
    return NULL;
}

static const Cmlpb__Mil__TensorValue *tval(const Cmlpb__Mil__Value *v) {
    if (!v || v->value_case != CMLPB__MIL__VALUE__VALUE_IMMEDIATE_VALUE ||
        v->immediatevalue->value_case != CMLPB__MIL__VALUE__IMMEDIATE_VALUE__VALUE_TENSOR)
        return NULL;
    return v->immediatevalue->tensor;
}

static const char *str_attr(const Cmlpb__Mil__Operation *op, const char *key) {
    const Cmlpb__Mil__TensorValue *t = tval(attr(op, key));
    return t && t->value_case == CMLPB__MIL__TENSOR_VALUE__VALUE_STRINGS && t->strings->n_values == 1
               ? t->strings->values[0] : NULL;
}

static const ProtobufCBinaryData *bytes_of(const Cmlpb__Mil__Operation *op) {
    const Cmlpb__Mil__TensorValue *t = tval(attr(op, "val"));
    return t && t->value_case == CMLPB__MIL__TENSOR_VALUE__VALUE_BYTES ? &t->bytes->values : NULL;
}

static int bytes_eq(const ProtobufCBinaryData *b, const unsigned char *want, size_t n) {
    return b && b->len == n && memcmp(b->data, want, n) == 0;
}

static int has_diag(const diag_list *dl, const char *rule, int level, const char *needle) {
    for (size_t i = 0; i < dl->n; i++)
        if (strcmp(dl->items[i]->rule_id, rule) == 0 && (level < 0 || dl->items[i]->level == level) &&
            (!needle || strstr(dl->items[i]->message, needle)))
            return 1;
    return 0;
}

static const Cmlpb__Mil__TensorType *tensor_type(const Cmlpb__Mil__ValueType *vt) {
    return vt && vt->type_case == CMLPB__MIL__VALUE_TYPE__TYPE_TENSOR_TYPE ? vt->tensortype : NULL;
}

/* Print prog to a memory buffer (malloc'ed, NUL-terminated). */
static char *print_to_mem(const Cmlpb__Mil__Program *prog, const char *ver, size_t *len, int *rc) {
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    *rc = milprint_program(f, prog, ver);
    fclose(f);
    *len = n;
    return buf;
}

/* Byte-for-byte equality of two messages' encodings. */
static int same_msg(const ProtobufCMessage *a, const ProtobufCMessage *b) {
    if (!a || !b) return a == b;
    size_t na = protobuf_c_message_get_packed_size(a), nb = protobuf_c_message_get_packed_size(b);
    if (na != nb) return 0;
    unsigned char *pa = malloc(na ? na : 1), *pb = malloc(nb ? nb : 1);
    protobuf_c_message_pack(a, pa);
    protobuf_c_message_pack(b, pb);
    int eq = memcmp(pa, pb, na) == 0;
    free(pa);
    free(pb);
    return eq;
}

/* Structural equality of two programs, functions compared by name (the
 * printer writes them in name order). Reports the first difference. */
static int same_program(const Cmlpb__Mil__Program *a, const Cmlpb__Mil__Program *b, const char *what) {
    if (a->version != b->version || a->n_functions != b->n_functions || a->n_attributes != b->n_attributes) {
        fprintf(stderr, "%s: program header differs\n", what);
        return 0;
    }
    for (size_t i = 0; i < a->n_attributes; i++)
        if (strcmp(a->attributes[i]->key, b->attributes[i]->key) ||
            !same_msg(&a->attributes[i]->value->base, &b->attributes[i]->value->base)) {
            fprintf(stderr, "%s: program attribute %s differs\n", what, a->attributes[i]->key);
            return 0;
        }
    for (size_t i = 0; i < a->n_functions; i++) {
        const Cmlpb__Mil__Function *fa = a->functions[i]->value, *fb = find_fn(b, a->functions[i]->key);
        if (!fb) {
            fprintf(stderr, "%s: function %s missing\n", what, a->functions[i]->key);
            return 0;
        }
        if (!same_msg(&fa->base, &fb->base)) {
            const Cmlpb__Mil__Block *ba = main_block(fa), *bb = main_block(fb);
            fprintf(stderr, "%s: function %s differs\n", what, a->functions[i]->key);
            for (size_t k = 0; ba && bb && k < ba->n_operations && k < bb->n_operations; k++)
                if (!same_msg(&ba->operations[k]->base, &bb->operations[k]->base)) {
                    fprintf(stderr, "  first differing op #%zu (%s)\n", k, ba->operations[k]->type);
                    break;
                }
            return 0;
        }
    }
    return 1;
}

/* ---- 1. the Apple sample (older spelling) -------------------------------- */

static void test_apple_sample(void) {
    ctx *c = ctx_new(0);
    Cmlpb__Mil__Program *p = parse(c, APPLE_SAMPLE, strlen(APPLE_SAMPLE));
    CHECK(p != NULL);
    CHECK_INT(c->dl.n, 0);
    if (!p) { ctx_free(c); return; }
    CHECK_INT(p->version, 1);
    CHECK_INT(p->n_functions, 1);
    CHECK_INT(p->n_attributes, 1);
    CHECK_STR(p->attributes[0]->key, "buildInfo");
    const Cmlpb__Mil__Value *bi = p->attributes[0]->value;
    CHECK(bi->type->type_case == CMLPB__MIL__VALUE_TYPE__TYPE_DICTIONARY_TYPE);
    CHECK_INT(bi->immediatevalue->dictionary->n_values, 3);
    CHECK_STR(tval(bi->immediatevalue->dictionary->values[1]->value)->strings->values[0], "3402.4.1");
    const Cmlpb__Mil__Function *f = find_fn(p, "main");
    CHECK(f != NULL);
    if (!f) { ctx_free(c); return; }
    CHECK_STR(f->opset, "CoreML6");
    CHECK_INT(f->n_block_specializations, 1);
    CHECK_STR(f->block_specializations[0]->key, "CoreML6");
    CHECK_INT(f->n_inputs, 2);
    CHECK_STR(f->inputs[1]->name, "y");
    const Cmlpb__Mil__TensorType *tt = tensor_type(f->inputs[0]->type);
    CHECK(tt && tt->datatype == CMLPB__MIL__DATA_TYPE__FLOAT16 && tt->rank == 2);
    CHECK(tt && tt->dimensions[1]->constant->size == 10);
    const Cmlpb__Mil__Block *b = main_block(f);
    CHECK_INT(b->n_operations, 1);
    CHECK_INT(b->n_outputs, 1);
    CHECK_STR(b->outputs[0], "var_3");
    const Cmlpb__Mil__Operation *op = b->operations[0];
    CHECK_STR(op->type, "mul");
    CHECK_INT(op->n_inputs, 2);
    CHECK_STR(arg(op, "y")->arguments[0]->name, "y");
    CHECK_STR(str_attr(op, "name"), "op_3_cast_fp16");
    const Cmlpb__Mil__TensorType *st = tensor_type(attr(op, "name")->type);
    CHECK(st && st->datatype == CMLPB__MIL__DATA_TYPE__STRING && st->rank == 0);
    mil_pos mp = miltext_pos(&c->pos, op);
    CHECK_INT(mp.line, 5);
    CHECK_INT(mp.col, 13);
    mp = miltext_pos(&c->pos, f);
    CHECK_INT(mp.line, 4);
    CHECK_INT(mp.col, 5);
    mp = miltext_pos(&c->pos, f->inputs[1]);
    CHECK_INT(mp.line, 4);
    CHECK_INT(mp.col, 47);
    CHECK_INT(miltext_pos(&c->pos, c).line, 0);
    ctx_free(c);
}

/* ---- 1b. every construct in the newer spelling -------------------------- */

static void test_new_spelling(void) {
    ctx *c = ctx_new(0);
    Cmlpb__Mil__Program *p = parse(c, NEW_SAMPLE, strlen(NEW_SAMPLE));
    CHECK(p != NULL);
    for (size_t i = 0; i < c->dl.n; i++) fprintf(stderr, "  diag: %s\n", c->dl.items[i]->message);
    if (!p) { ctx_free(c); return; }
    CHECK_INT(p->n_functions, 2);
    const Cmlpb__Mil__Function *f = find_fn(p, "main"), *g = find_fn(p, "second");
    CHECK(f && g);
    if (!f || !g) { ctx_free(c); return; }
    CHECK_STR(f->opset, "CoreML8");
    CHECK_STR(g->opset, "CoreML7");
    CHECK_INT(f->n_inputs, 3);
    CHECK(f->inputs[1]->type->type_case == CMLPB__MIL__VALUE_TYPE__TYPE_STATE_TYPE);
    CHECK(tensor_type(f->inputs[1]->type->statetype->wrappedtype)->datatype == CMLPB__MIL__DATA_TYPE__FLOAT16);
    const Cmlpb__Mil__TensorType *flex = tensor_type(f->inputs[2]->type);
    CHECK(flex && flex->dimensions[1]->dimension_case == CMLPB__MIL__DIMENSION__DIMENSION_UNKNOWN);
    const Cmlpb__Mil__Block *b = main_block(f);
    CHECK_INT(b->n_outputs, 2);

    const Cmlpb__Mil__Operation *w = find_op(b, "w");
    CHECK(w && strcmp(w->type, "const") == 0 && w->n_inputs == 0);
    const Cmlpb__Mil__Value *wv = attr(w, "val");
    CHECK(wv && wv->value_case == CMLPB__MIL__VALUE__VALUE_BLOB_FILE_VALUE);
    if (wv && wv->value_case == CMLPB__MIL__VALUE__VALUE_BLOB_FILE_VALUE) {
        CHECK_STR(wv->blobfilevalue->filename, "@model_path/weights/weight.bin");
        CHECK_INT(wv->blobfilevalue->offset, 576);
    }
    CHECK_INT(tensor_type(wv->type)->dimensions[1]->constant->size, 6272);
    CHECK_INT(miltext_pos(&c->pos, w).line, 6);
    CHECK_INT(miltext_pos(&c->pos, w).col, 13);

    CHECK(bytes_eq(bytes_of(find_op(b, "q")), (const unsigned char *)"\xF1\x07", 2));
    CHECK(bytes_eq(bytes_of(find_op(b, "q4")), (const unsigned char *)"\x78", 1));
    CHECK_INT(tval(attr(find_op(b, "ax"), "val"))->ints->values[0], -1);
    CHECK_INT(tval(attr(find_op(b, "il"), "val"))->bools->values[0], 0);

    const Cmlpb__Mil__Operation *cat = find_op(b, "cat");
    const Cmlpb__Mil__Argument *vals = arg(cat, "values");
    CHECK(vals && vals->n_arguments == 3);
    CHECK_STR(vals->arguments[2]->name, "x");

    const Cmlpb__Mil__Operation *sp = find_op(b, "a");
    CHECK(sp && sp->n_outputs == 3 && strcmp(sp->outputs[2]->name, "c") == 0);
    const Cmlpb__Mil__Argument *ns = arg(sp, "num_splits");
    CHECK(ns && ns->arguments[0]->binding_case == CMLPB__MIL__ARGUMENT__BINDING__BINDING_VALUE);
    CHECK_INT(tval(ns->arguments[0]->value)->ints->values[0], 3);
    const Cmlpb__Mil__Operation *sp2 = find_op(b, "s1");
    CHECK(sp2 && sp2->n_outputs == 2);

    const Cmlpb__Mil__Operation *cond = find_op(b, "r");
    CHECK(cond && cond->n_blocks == 2);
    if (cond && cond->n_blocks == 2) {
        CHECK_STR(cond->blocks[0]->outputs[0], "t0");
        CHECK_STR(cond->blocks[1]->operations[0]->type, "sigmoid");
        CHECK_INT(miltext_pos(&c->pos, cond->blocks[1]->operations[0]).line, 18);
    }
    const Cmlpb__Mil__Operation *loop = find_op(b, "loop");
    CHECK(loop && loop->n_blocks == 2 && loop->blocks[1]->n_inputs == 1);
    if (loop && loop->n_blocks == 2) CHECK_STR(loop->blocks[1]->inputs[0]->name, "j");

    const Cmlpb__Mil__Operation *ws = NULL;
    for (size_t i = 0; i < b->n_operations; i++)
        if (strcmp(b->operations[i]->type, "write_state") == 0) ws = b->operations[i];
    CHECK(ws && ws->n_outputs == 0);

    const Cmlpb__Mil__TensorValue *v = tval(attr(find_op(b, "v"), "val"));
    CHECK(v && v->value_case == CMLPB__MIL__TENSOR_VALUE__VALUE_FLOATS && v->floats->n_values == 4);
    if (v) CHECK(v->floats->values[0] == 1.5f && v->floats->values[1] == -0.25f && v->floats->values[3] < -1e38f);
    CHECK(bytes_eq(bytes_of(find_op(b, "h")), (const unsigned char *)"\x00\x38\xFF\x7B", 4));
    const Cmlpb__Mil__TensorValue *s = tval(attr(find_op(b, "strs"), "val"));
    CHECK(s && s->strings->n_values == 2);
    if (s) {
        CHECK_STR(s->strings->values[0], "a\"b");
        CHECK_STR(s->strings->values[1], "\xC3\xA9\n");
    }
    const Cmlpb__Mil__TensorValue *l = tval(attr(find_op(b, "l"), "val"));
    CHECK(l && l->longints->n_values == 4 && l->longints->values[3] == INT64_MIN && l->longints->values[2] == INT64_MAX);
    CHECK((uint64_t)tval(attr(find_op(b, "big"), "val"))->longints->values[0] == UINT64_MAX);
    CHECK(bytes_eq(bytes_of(find_op(b, "u8")), (const unsigned char *)"\x00\x80\xFF", 3));
    CHECK(bytes_eq(bytes_of(find_op(b, "u32")), (const unsigned char *)"\xFF\xFF\xFF\xFF", 4));
    const Cmlpb__Mil__TensorValue *i16 = tval(attr(find_op(b, "i16"), "val"));
    CHECK(i16 && i16->ints->values[0] == -32768 && i16->ints->values[1] == 32767);
    CHECK(tval(attr(find_op(b, "d"), "val"))->doubles->values[0] == 0.1);
    CHECK(bytes_eq(bytes_of(find_op(b, "bf")), (const unsigned char *)"\x80\x3F", 2));
    CHECK(bytes_eq(bytes_of(find_op(b, "f8")), (const unsigned char *)"\x7E\xB0", 2));
    CHECK(bytes_eq(bytes_of(find_op(b, "f85")), (const unsigned char *)"\x7B\x7E", 2));
    const Cmlpb__Mil__Value *lst = attr(find_op(b, "lst"), "val");
    CHECK(lst && lst->immediatevalue->value_case == CMLPB__MIL__VALUE__IMMEDIATE_VALUE__VALUE_LIST);
    if (lst) CHECK_INT(tval(lst->immediatevalue->list->values[1])->ints->values[1], 4);
    const Cmlpb__Mil__Value *tup = attr(find_op(b, "tup"), "val");
    CHECK(tup && tup->immediatevalue->value_case == CMLPB__MIL__VALUE__IMMEDIATE_VALUE__VALUE_TUPLE);
    if (tup) CHECK_STR(tval(tup->immediatevalue->tuple->values[1])->strings->values[0], "x");
    const Cmlpb__Mil__TensorValue *e = tval(attr(find_op(b, "empty"), "val"));
    CHECK(e && e->value_case == CMLPB__MIL__TENSOR_VALUE__VALUE_INTS && e->ints->n_values == 0);
    const Cmlpb__Mil__TensorType *any = tensor_type(find_op(b, "anyr")->outputs[0]->type);
    CHECK(any && any->rank == -1 && any->n_dimensions == 0);
    const Cmlpb__Mil__TensorType *v2 = tensor_type(find_op(b, "v2")->outputs[0]->type);
    CHECK(v2 && v2->rank == 2 && v2->dimensions[1]->unknown->variadic);
    CHECK_STR(str_attr(main_block(g)->operations[0], "name"), "relu_0");
    CHECK_INT(miltext_pos(&c->pos, g).line, 45);

    /* print and parse back: the same structure */
    size_t len;
    int rc;
    char *txt = print_to_mem(p, NULL, &len, &rc);
    CHECK_INT(rc, 0);
    ctx *c2 = ctx_new(0);
    Cmlpb__Mil__Program *p2 = parse(c2, txt, len);
    CHECK(p2 != NULL);
    if (!p2) fprintf(stderr, "%s\n%s\n", c2->dl.n ? c2->dl.items[0]->message : "", txt);
    if (p2) CHECK(same_program(p, p2, "new sample"));
    free(txt);
    ctx_free(c2);

    /* with a compiler version the buildInfo carries it */
    txt = print_to_mem(p, "3500.9.9", &len, &rc);
    CHECK_INT(rc, 0);
    CHECK(strstr(txt, "\"coremlc-version\", \"3500.2.1\"") != NULL);
    free(txt);
    ctx_free(c);
}

static void test_printer_build_info(void) {
    ctx *c = ctx_new(0);
    const char *src = "program(1.0)\n{\n    func main<ios15>(fp32 x) {\n        } -> (x);\n}\n";
    Cmlpb__Mil__Program *p = parse(c, src, strlen(src));
    CHECK(p != NULL);
    size_t len;
    int rc;
    char *txt = print_to_mem(p, "3500.0.0", &len, &rc);
    CHECK_INT(rc, 0);
    CHECK(strstr(txt, "[buildInfo = dict<string, string>({{\"coremlc-component-MIL\", \"3500.0.0\"}, "
                      "{\"coremlc-version\", \"3500.0.0\"}})]") != NULL);
    CHECK(strstr(txt, "func main<ios15>(fp32 x) {") != NULL);
    ctx *c2 = ctx_new(0);
    Cmlpb__Mil__Program *p2 = parse(c2, txt, len);
    CHECK(p2 && p2->n_attributes == 1);
    free(txt);
    ctx_free(c2);
    ctx_free(c);
}

/* ---- 2. corpus round trip ----------------------------------------------- */

static const char *corpus_dir(void) {
    const char *env = getenv("CML_CORPUS_DIR");
    static const char *const cands[] = {"../shared/corpus", "/work/shared/corpus"};
    struct stat st;
    if (env && *env) return env;
    for (size_t i = 0; i < sizeof cands / sizeof cands[0]; i++)
        if (stat(cands[i], &st) == 0 && S_ISDIR(st.st_mode)) return cands[i];
    return NULL;
}

static unsigned char *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(sz > 0 ? (size_t)sz : 1);
    *n = sz > 0 && fread(b, 1, (size_t)sz, f) == (size_t)sz ? (size_t)sz : 0;
    fclose(f);
    return b;
}

static int cmp_cstr(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* What the brief asks to be equal after print → parse. */
static int same_summary(const Cmlpb__Mil__Program *a, const Cmlpb__Mil__Program *b, const char *name) {
    int ok = 1;
    for (size_t i = 0; i < a->n_functions; i++) {
        const Cmlpb__Mil__Function *fa = a->functions[i]->value, *fb = find_fn(b, a->functions[i]->key);
        if (!fb || strcmp(fa->opset, fb->opset) || fa->n_inputs != fb->n_inputs) {
            fprintf(stderr, "%s: function %s differs\n", name, a->functions[i]->key);
            return 0;
        }
        for (size_t k = 0; k < fa->n_inputs; k++) {
            const Cmlpb__Mil__TensorType *ta = tensor_type(fa->inputs[k]->type), *tb = tensor_type(fb->inputs[k]->type);
            if (strcmp(fa->inputs[k]->name, fb->inputs[k]->name) || !ta != !tb ||
                (ta && (ta->datatype != tb->datatype || ta->rank != tb->rank || ta->n_dimensions != tb->n_dimensions)))
                ok = 0;
            for (size_t d = 0; ok && ta && d < ta->n_dimensions; d++)
                if (ta->dimensions[d]->dimension_case != tb->dimensions[d]->dimension_case ||
                    (ta->dimensions[d]->dimension_case == CMLPB__MIL__DIMENSION__DIMENSION_CONSTANT &&
                     ta->dimensions[d]->constant->size != tb->dimensions[d]->constant->size))
                    ok = 0;
        }
        const Cmlpb__Mil__Block *ba = main_block(fa), *bb = main_block(fb);
        if (!ba || !bb || ba->n_operations != bb->n_operations) return 0;
        for (size_t k = 0; k < ba->n_operations; k++) {
            const Cmlpb__Mil__Operation *oa = ba->operations[k], *ob = bb->operations[k];
            if (strcmp(oa->type, ob->type)) ok = 0;
            const Cmlpb__Mil__Value *va = attr(oa, "val"), *vb = attr(ob, "val");
            if (va && va->value_case == CMLPB__MIL__VALUE__VALUE_BLOB_FILE_VALUE &&
                (!vb || vb->value_case != CMLPB__MIL__VALUE__VALUE_BLOB_FILE_VALUE ||
                 va->blobfilevalue->offset != vb->blobfilevalue->offset))
                ok = 0;
        }
    }
    if (!ok) fprintf(stderr, "%s: summary differs\n", name);
    return ok;
}

static void test_corpus_roundtrip(void) {
    const char *dir = corpus_dir();
    if (!dir) {
        fprintf(stderr, "  corpus not found (CML_CORPUS_DIR, ../shared/corpus, /work/shared/corpus): skipped\n");
        return;
    }
    DIR *d = opendir(dir);
    if (!d) { fprintf(stderr, "  cannot open %s: skipped\n", dir); return; }
    char *names[512];
    size_t n = 0, passed = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 512) {
        size_t l = strlen(e->d_name);
        if (l > 10 && strcmp(e->d_name + l - 10, ".mlpackage") == 0) names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof names[0], cmp_cstr);
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        size_t len = 0;
        snprintf(path, sizeof path, "%s/%s/Data/com.apple.CoreML/model.mlmodel", dir, names[i]);
        unsigned char *buf = slurp(path, &len);
        Cmlpb__Model *m = buf ? cmlpb__model__unpack(NULL, len, buf) : NULL;
        CHECK(m != NULL);
        if (!m || m->type_case != CMLPB__MODEL__TYPE_ML_PROGRAM) {
            if (m) fprintf(stderr, "  %s: not an ML Program\n", names[i]);
            if (m) cmlpb__model__free_unpacked(m, NULL);
            free(buf);
            free(names[i]);
            continue;
        }
        int rc;
        size_t tlen;
        char *txt = print_to_mem(m->mlprogram, NULL, &tlen, &rc);
        CHECK_INT(rc, 0);
        ctx *c = ctx_new(0);
        Cmlpb__Mil__Program *p = parse(c, txt, tlen);
        CHECK(p != NULL);
        if (!p && c->dl.n) fprintf(stderr, "  %s: %s\n", names[i], c->dl.items[0]->message);
        int ok = p && rc == 0 && same_summary(m->mlprogram, p, names[i]) &&
                 same_program(m->mlprogram, p, names[i]);
        CHECK(ok);
        passed += ok;
        ctx_free(c);
        free(txt);
        /* the fixture writer's spelling: coremlc-version added to buildInfo */
        txt = print_to_mem(m->mlprogram, "3500.0.0", &tlen, &rc);
        CHECK_INT(rc, 0);
        c = ctx_new(0);
        CHECK(parse(c, txt, tlen) != NULL);
        CHECK(strstr(txt, "{\"coremlc-version\", \"3500.0.0\"}") != NULL);
        ctx_free(c);
        free(txt);
        cmlpb__model__free_unpacked(m, NULL);
        free(buf);
        free(names[i]);
    }
    fprintf(stderr, "  corpus round trip: %zu of %zu packages passed\n", passed, n);
    CHECK(n > 0);
}

/* ---- 3. hostile text ---------------------------------------------------- */

/* Parse text (copied into an exact-size heap block so ASan sees overreads):
 * either a program and no diag, or NULL and exactly one load/mil-structure
 * error. Returns 1 when a program came back. */
static int parse_clean(const char *text, size_t len, size_t cap) {
    ctx *c = ctx_new(cap);
    char *copy = malloc(len ? len : 1);
    memcpy(copy, text, len);
    Cmlpb__Mil__Program *p = parse(c, copy, len);
    if (p) {
        CHECK_INT(c->dl.n, 0);
    } else {
        CHECK_INT(c->dl.n, 1);
        if (c->dl.n == 1) {
            CHECK_STR(c->dl.items[0]->rule_id, "load/mil-structure");
            CHECK_INT(c->dl.items[0]->level, 3);
        }
        CHECK_INT(c->pos.n, 0);
    }
    free(copy);
    ctx_free(c);
    return p != NULL;
}

static void test_truncation(void) {
    const char *samples[] = {APPLE_SAMPLE, NEW_SAMPLE};
    for (size_t s = 0; s < 2; s++) {
        size_t len = strlen(samples[s]), ok = 0;
        for (size_t n = 0; n <= len; n++) ok += (size_t)parse_clean(samples[s], n, 0);
        CHECK_INT(ok, 2);   /* the whole text and the text without its final newline */
    }
}

static void test_byte_flips(void) {
    static const char subst[] = {'(', ')', '"', '{', '}', '[', ']', ',', '<', '>', 0, 'x', '9', '-', '\\', ';'};
    size_t len = strlen(NEW_SAMPLE);
    char *buf = malloc(len);
    for (size_t i = 0; i < len; i += 3) {
        for (size_t k = 0; k < sizeof subst; k++) {
            memcpy(buf, NEW_SAMPLE, len);
            buf[i] = subst[k];
            parse_clean(buf, len, 0);
        }
    }
    free(buf);
}

static char *repeat(const char *prefix, const char *unit, size_t n, const char *mid, const char *unit2,
                    const char *suffix) {
    size_t len = strlen(prefix) + n * (strlen(unit) + strlen(unit2)) + strlen(mid) + strlen(suffix) + 1;
    char *s = malloc(len), *o = s;
    o += sprintf(o, "%s", prefix);
    for (size_t i = 0; i < n; i++) o += sprintf(o, "%s", unit);
    o += sprintf(o, "%s", mid);
    for (size_t i = 0; i < n; i++) o += sprintf(o, "%s", unit2);
    sprintf(o, "%s", suffix);
    return s;
}

static void expect_error(const char *text, size_t len, const char *needle) {
    ctx *c = ctx_new(0);
    Cmlpb__Mil__Program *p = parse(c, text, len);
    CHECK(p == NULL);
    CHECK_INT(c->dl.n, 1);
    if (c->dl.n && needle && !strstr(c->dl.items[0]->message, needle))
        fprintf(stderr, "  message \"%s\" lacks \"%s\"\n", c->dl.items[0]->message, needle);
    if (c->dl.n && needle) CHECK(strstr(c->dl.items[0]->message, needle) != NULL);
    if (c->dl.n) CHECK(c->dl.items[0]->loc.line > 0 && c->dl.items[0]->loc.column > 0);
    ctx_free(c);
}

#define HEAD "program(1.0)\n{\n    func main<ios17>(fp32 x) {\n"
#define TAIL "        } -> (x);\n}\n"

static void test_deep_nesting(void) {
    /* 150 nested cond blocks (the bound is protobuf's, 100: format/nesting.h) */
    char *s = repeat(HEAD, "fp32 y = cond(pred = x) {\n", 150, "", "} -> (y);\n", TAIL);
    expect_error(s, strlen(s), "nesting deeper than 100");
    free(s);
    /* 150 nested list types */
    s = repeat(HEAD "fp32 y = f(a = ", "list<", 150, "fp32", ">", "(1));\n" TAIL);
    expect_error(s, strlen(s), "nesting deeper than 100");
    free(s);
    /* a million brackets: no stack overflow */
    s = repeat(HEAD "fp32 y = f(a = tensor<fp32, [1]>(", "[", 1000000, "1", "]", "));\n" TAIL);
    expect_error(s, strlen(s), "nesting deeper than 100");
    free(s);
    /* 90 levels are fine */
    s = repeat(HEAD, "fp32 y = cond(pred = x) {\n", 90, "", "} -> (y);\n", TAIL);
    ctx *c = ctx_new(0);
    CHECK(parse(c, s, strlen(s)) != NULL);
    ctx_free(c);
    free(s);
}

/* A program of many functions, or one function specialized for many
 * opsets: bounded (the by-name lookup of 80,000 functions took 13 s) */
static void test_many_functions(void) {
    size_t cap = 4200 * 64 + 64, k = 0;
    char *s = malloc(cap);
    CHECK(s != NULL);
    if (!s) return;
    k += (size_t)snprintf(s + k, cap - k, "program(1.0)\n{\n");
    for (int i = 0; i < 4097; i++)
        k += (size_t)snprintf(s + k, cap - k, "func f%d<ios17>(fp32 x) {\n} -> (x);\n", i);
    snprintf(s + k, cap - k, "}\n");
    expect_error(s, strlen(s), "the program defines more than 4096 functions");
    /* 4096 are fine */
    char *last = strstr(s, "func f4096<");
    if (last) strcpy(last, "}\n");
    ctx *c = ctx_new(0);
    CHECK(parse(c, s, strlen(s)) != NULL);
    ctx_free(c);
    k = (size_t)snprintf(s, cap, "program(1.0)\n{\n");
    for (int i = 0; i < 65; i++)
        k += (size_t)snprintf(s + k, cap - k, "func main<op%d>(fp32 x) {\n} -> (x);\n", i);
    snprintf(s + k, cap - k, "}\n");
    expect_error(s, strlen(s), "function 'main' is specialized for more than 64 opsets");
    free(s);
}

static void expect_value_error(const char *value, const char *needle) {
    char buf[1024];
    snprintf(buf, sizeof buf, HEAD "            fp32 y = f(a = %s)[name = string(\"y\")];\n" TAIL, value);
    expect_error(buf, strlen(buf), needle);
}

static void test_bad_values(void) {
    expect_value_error("int32(99999999999999999999999)", "integer literal out of range");
    expect_value_error("int32(2147483648)", "out of range for int32");
    expect_value_error("int8(-129)", "out of range for int8");
    expect_value_error("uint8(-1)", "out of range for uint8");
    expect_value_error("uint4(16)", "out of range for uint4");
    expect_value_error("fp16(1e10)", "out of range for fp16");
    expect_value_error("fp32(1e999)", "out of range for fp32");
    expect_value_error("fp8e4m3fn(500)", "out of range for fp8e4m3fn");
    expect_value_error("int32(1.5)", "expected an integer");
    expect_value_error("fp32(1.2.3)", "malformed number");
    expect_value_error("fp32(0x)", "malformed number");
    expect_value_error("bool(1)", "expected true or false");
    const char *u = HEAD "            fp32 y = f(a = string(\"abc\n" TAIL;
    expect_error(u, strlen(u), "unterminated string");
    expect_value_error("string(\"a\\qb\")", "invalid escape");
    expect_value_error("string(\"a\\x00b\")", "NUL escape");
    expect_value_error("string(\"a\\ud800\")", "surrogate");
    expect_value_error("tensor<fp32, [99999999999999999999]>([1])", "out of range");
    expect_value_error("tensor<fp99, [1]>([1])", "expected a data type");
    expect_value_error("tensor<fp32, [1]>(BLOBFILE(path = string(\"w\")))", "needs both path and offset");
    expect_value_error("tensor<fp32, [1]>(BLOBFILE(path = int32(1), offset = uint64(0)))", "path must be one string");
    expect_value_error("tensor<fp32, [1]>(BLOBFILE(path = string(\"w\"), offset = int32(-1)))", "offset must be one");
    expect_value_error("tuple<int32, int32>((1))", "expected ','");
    expect_value_error("state<fp32>(1)", "cannot be written inline");
    /* the message format the brief asks for */
    const char *t = HEAD "            fp32 y = f(a = x;\n" TAIL;
    expect_error(t, strlen(t), "expected ')' after argument list, found ';'");
    /* NUL bytes: inside a string, and between tokens */
    char nul1[] = HEAD "            fp32 y = f(a = string(\"a\0b\"));\n" TAIL;
    expect_error(nul1, sizeof nul1 - 1, "NUL byte inside a string");
    char nul2[] = HEAD "            fp32 y = f(a = x)\0;\n" TAIL;
    expect_error(nul2, sizeof nul2 - 1, "unexpected NUL byte");
    /* the column counts code points, as the SARIF report's columnKind
     * (unicodeCodePoints) says: "é😀" is 2 columns, not 6 bytes */
    t = HEAD "            fp32 y = f(a = string(\"\xc3\xa9\xf0\x9f\x98\x80\")) !;\n" TAIL;
    {
        ctx *c = ctx_new(0);
        CHECK(parse(c, t, strlen(t)) == NULL);
        CHECK_INT(c->dl.n, 1);
        if (c->dl.n) {
            CHECK_INT(c->dl.items[0]->loc.line, 4);
            CHECK_INT(c->dl.items[0]->loc.column, 42);
        }
        ctx_free(c);
    }
    /* garbage and empty input */
    expect_error("", 0, "expected 'program'");
    expect_error("\xff\xfe", 2, "unexpected byte 0xff");
    t = "program(1.0) { func main<ios16>() { } -> (); } extra";
    expect_error(t, strlen(t), "expected end of input");
    t = "program(1.0) { func main<ios16>() { } -> (); func main<ios16>() { } -> (); }";
    expect_error(t, strlen(t), "defined twice");
    /* an identifier too long */
    char *s = repeat("program(1.0) { func ", "a", 5000, "", "", "() { } -> (); }");
    expect_error(s, strlen(s), "identifier longer than");
    free(s);
}

static void test_valid_edges(void) {
    /* comments, CRLF, old and new scalar spellings, a second specialization */
    const char *t =
        "// leading comment\r\nprogram(1.3)\r\n{\r\n"
        "    func main<ios16>(tensor<fp32, []> x) {\r\n"
        "        tensor<fp32, []> y = add(x = x, y = tensor<fp32, []>(-0x1.8p3))[name = tensor<string, []>(\"y\")]; // trailing\n"
        "    } -> (y);\n"
        "    func main<CoreML7>(fp32 x) {\n"
        "    } -> (x);\n"
        "}";
    ctx *c = ctx_new(0);
    Cmlpb__Mil__Program *p = parse(c, t, strlen(t));
    CHECK(p != NULL);
    if (p) {
        const Cmlpb__Mil__Function *f = find_fn(p, "main");
        CHECK_INT(p->version, 1);
        CHECK_INT(f->n_block_specializations, 2);
        CHECK_STR(f->opset, "CoreML6");
        CHECK_STR(f->block_specializations[1]->key, "CoreML7");
        const Cmlpb__Mil__Argument *y = arg(main_block(f)->operations[0], "y");
        CHECK(tval(y->arguments[0]->value)->floats->values[0] == -12.0f);
        /* specializations print and parse back */
        size_t len;
        int rc;
        char *txt = print_to_mem(p, NULL, &len, &rc);
        CHECK_INT(rc, 0);
        ctx *c2 = ctx_new(0);
        Cmlpb__Mil__Program *p2 = parse(c2, txt, len);
        CHECK(p2 && same_program(p, p2, "specializations"));
        free(txt);
        ctx_free(c2);
    }
    ctx_free(c);
    /* fp16 rounding: ties to even, subnormals */
    t = HEAD "            tensor<fp16, [3]> y = const()[val = tensor<fp16, [3]>([1.00048828125, 0x1p-24, 0x1p-25])];\n" TAIL;
    c = ctx_new(0);
    p = parse(c, t, strlen(t));
    CHECK(p != NULL);
    if (p) CHECK(bytes_eq(bytes_of(main_block(find_fn(p, "main"))->operations[0]),
                          (const unsigned char *)"\x00\x3C\x01\x00\x00\x00", 6));
    ctx_free(c);
}

static void test_arena_cap(void) {
    ctx *c = ctx_new(2048);
    Cmlpb__Mil__Program *p = parse(c, NEW_SAMPLE, strlen(NEW_SAMPLE));
    CHECK(p == NULL);
    CHECK(c->dl.n <= 1);   /* the diag itself may not fit in a full arena */
    if (c->dl.n) CHECK(strstr(c->dl.items[0]->message, "out of memory while parsing") != NULL);
    ctx_free(c);
    /* growing caps: a clean NULL with the diag, or without it when the
     * diag itself no longer fits (the diag list shares the arena here) */
    for (size_t cap = 1024; cap < 65536; cap += 1024) {
        c = ctx_new(cap);
        char *copy = malloc(sizeof NEW_SAMPLE);
        memcpy(copy, NEW_SAMPLE, sizeof NEW_SAMPLE);
        p = parse(c, copy, strlen(NEW_SAMPLE));
        CHECK(p == NULL && arena_exhausted(c->a) && c->dl.n <= 1 && c->pos.n == 0);
        if (c->dl.n) CHECK(strstr(c->dl.items[0]->message, "out of memory while parsing") != NULL);
        free(copy);
        ctx_free(c);
    }
    /* a separate arena for the diags always gets the message */
    c = ctx_new(0);
    arena *small = arena_new(8192);
    CHECK(miltext_parse(NEW_SAMPLE, strlen(NEW_SAMPLE), "model.mil", small, NULL, &c->dl) == NULL);
    CHECK_INT(c->dl.n, 1);
    CHECK(c->dl.n == 1 && strstr(c->dl.items[0]->message, "model.mil: out of memory while parsing"));
    arena_free(small);
    ctx_free(c);
}

static void test_many_positions(void) {
    /* 20000 ops: lookups go through the sorted index */
    size_t n = 20000;
    char *s = malloc(n * 64 + 256), *o = s;
    o += sprintf(o, "%s", HEAD);
    for (size_t i = 0; i < n; i++) o += sprintf(o, "            fp32 v%zu = relu(x = x);\n", i);
    o += sprintf(o, "%s", TAIL);
    ctx *c = ctx_new(0);
    Cmlpb__Mil__Program *p = parse(c, s, (size_t)(o - s));
    CHECK(p != NULL);
    if (p) {
        const Cmlpb__Mil__Block *b = main_block(find_fn(p, "main"));
        size_t bad = 0;
        for (size_t i = 0; i < b->n_operations; i++)
            bad += miltext_pos(&c->pos, b->operations[i]).line != (uint32_t)(4 + i);
        CHECK_INT(bad, 0);
        CHECK_INT(c->pos.n_sorted, c->pos.n);
    }
    ctx_free(c);
    free(s);
}

/* ---- 4. compiled folders ------------------------------------------------ */

static void write_file(const char *dir, const char *name, const char *text) {
    char path[4096 + 256]; /* dir (a 4 KiB buffer at most) and a name */
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

static void make_dir(const char *dir, const char *name) {
    char path[4096 + 256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    CHECK(mkdir(path, 0700) == 0);
}

/* SOURCE: coremltools/modelrunner/ModelRunner/add_model.mlmodelc/metadata.json (shortened) */
static const char METADATA[] =
    "[\n  {\n    \"metadataOutputVersion\" : \"3.0\",\n"
    "    \"outputSchema\" : [ { \"hasShapeFlexibility\" : \"0\", \"isOptional\" : \"0\", \"dataType\" : \"Float16\",\n"
    "        \"formattedType\" : \"MultiArray (Float16 1 \xC3\x97 10)\", \"shortDescription\" : \"\", \"shape\" : \"[1, 10]\",\n"
    "        \"name\" : \"var_3\", \"type\" : \"MultiArray\" } ],\n"
    "    \"specificationVersion\" : 7,\n"
    "    \"isUpdatable\" : \"0\",\n"
    "    \"stateSchema\" : [ { \"dataType\" : \"Float16\", \"shape\" : \"[1, 64]\", \"name\" : \"acc\", \"type\" : \"State\", \"isOptional\" : \"0\" } ],\n"
    "    \"availability\" : { \"macOS\" : \"13.0\", \"tvOS\" : \"16.0\", \"visionOS\" : \"1.0\", \"watchOS\" : \"9.0\", \"iOS\" : \"16.0\" },\n"
    "    \"modelType\" : { \"name\" : \"MLModelType_mlProgram\" },\n"
    "    \"author\" : \"Ann\", \"license\" : \"MIT\", \"shortDescription\" : \"adds\", \"version\" : \"2.1\",\n"
    "    \"userDefinedMetadata\" : { \"com.github.apple.coremltools.source\" : \"torch==2.5.1\", \"k\" : \"v\" },\n"
    "    \"inputSchema\" : [\n"
    "      { \"hasShapeFlexibility\" : \"0\", \"isOptional\" : \"0\", \"dataType\" : \"Float16\", \"shape\" : \"[1, 10]\", \"name\" : \"x\", \"type\" : \"MultiArray\", \"shortDescription\" : \"first\" },\n"
    "      { \"isOptional\" : \"1\", \"dataType\" : \"Float32\", \"shape\" : \"[1, 10]\", \"name\" : \"y\", \"type\" : \"MultiArray\" },\n"
    "      { \"formattedType\" : \"Image (Color 224 \xC3\x97 112)\", \"name\" : \"img\", \"type\" : \"Image\" },\n"
    "      { \"name\" : \"n\", \"type\" : \"Int64\" }, { \"name\" : \"s\", \"type\" : \"String\" },\n"
    "      { \"name\" : \"dd\", \"type\" : \"Dictionary\", \"formattedType\" : \"Dictionary (String \xE2\x86\x92 Double)\" }\n"
    "    ],\n"
    "    \"functions\" : [ { \"name\" : \"main\", \"inputSchema\" : [ { \"name\" : \"x\", \"type\" : \"MultiArray\", \"dataType\" : \"Int32\", \"shape\" : \"[]\" } ] } ],\n"
    "    \"defaultFunctionName\" : \"main\",\n"
    "    \"generatedClassName\" : \"add_model\",\n    \"method\" : \"predict\"\n  }\n]\n";

static void test_mlmodelc_program(void) {
    char tmpl[64];
    char *root = tmp_make_dir(tmpl, sizeof tmpl, "cml_mlmodelc_");
    CHECK(root != NULL);
    if (!root) return;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/Add.mlmodelc", root);
    CHECK(mkdir(dir, 0700) == 0);
    write_file(dir, "metadata.json", METADATA);
    write_file(dir, "model.mil", APPLE_SAMPLE);
    write_file(dir, "coremldata.bin", "opaque");
    make_dir(dir, "weights");
    make_dir(dir, "analytics");
    make_dir(dir, "model0.mlmodelc");
    write_file(dir, "model0.mlmodelc/coremldata.bin", "x");

    ctx *c = ctx_new(0);
    Cmlpb__Model *m = NULL;
    mlmodelc_info info;
    CHECK_INT(mlmodelc_read(dir, c->a, &m, &c->pos, &info, &c->dl), 0);
    for (size_t i = 0; i < c->dl.n; i++) fprintf(stderr, "  diag: %s\n", c->dl.items[i]->message);
    CHECK_INT(c->dl.n, 0);
    CHECK(m != NULL);
    if (m) {
        CHECK_INT(m->specificationversion, 7);
        CHECK(m->type_case == CMLPB__MODEL__TYPE_ML_PROGRAM);
        CHECK_INT(m->isupdatable, 0);
        const Cmlpb__ModelDescription *d = m->description;
        CHECK_INT(d->n_input, 6);
        CHECK_INT(d->n_output, 1);
        CHECK_INT(d->n_state, 1);
        CHECK_STR(d->input[0]->name, "x");
        CHECK_STR(d->input[0]->shortdescription, "first");
        const Cmlpb__ArrayFeatureType *at = d->input[0]->type->multiarraytype;
        CHECK(at->datatype == CMLPB__ARRAY_FEATURE_TYPE__ARRAY_DATA_TYPE__FLOAT16);
        CHECK(at->n_shape == 2 && at->shape[1] == 10);
        CHECK_INT(d->input[1]->type->isoptional, 1);
        CHECK(d->input[1]->type->multiarraytype->datatype == CMLPB__ARRAY_FEATURE_TYPE__ARRAY_DATA_TYPE__FLOAT32);
        CHECK(d->input[2]->type->type_case == CMLPB__FEATURE_TYPE__TYPE_IMAGE_TYPE);
        CHECK(d->input[2]->type->imagetype->width == 224 && d->input[2]->type->imagetype->height == 112);
        CHECK(d->input[2]->type->imagetype->colorspace == CMLPB__IMAGE_FEATURE_TYPE__COLOR_SPACE__RGB);
        CHECK(d->input[3]->type->type_case == CMLPB__FEATURE_TYPE__TYPE_INT64_TYPE);
        CHECK(d->input[4]->type->type_case == CMLPB__FEATURE_TYPE__TYPE_STRING_TYPE);
        CHECK(d->input[5]->type->dictionarytype->key_type_case ==
              CMLPB__DICTIONARY_FEATURE_TYPE__KEY_TYPE_STRING_KEY_TYPE);
        CHECK(d->state[0]->type->type_case == CMLPB__FEATURE_TYPE__TYPE_STATE_TYPE);
        CHECK_INT(d->state[0]->type->statetype->arraytype->shape[1], 64);
        CHECK_STR(d->metadata->author, "Ann");
        CHECK_STR(d->metadata->versionstring, "2.1");
        CHECK_STR(d->metadata->shortdescription, "adds");
        CHECK_INT(d->metadata->n_userdefined, 2);
        CHECK_STR(d->metadata->userdefined[1]->value, "v");
        CHECK_INT(d->n_functions, 1);
        CHECK(d->n_functions == 1 && d->functions[0]->n_input == 1 && d->functions[0]->input[0]->type->multiarraytype->n_shape == 0);
        CHECK_STR(d->defaultfunctionname, "main");
        CHECK_STR(find_fn(m->mlprogram, "main")->opset, "CoreML6");
        CHECK_INT(miltext_pos(&c->pos, main_block(find_fn(m->mlprogram, "main"))->operations[0]).line, 5);
    }
    CHECK_INT(info.is_mlprogram, 1);
    CHECK_INT(info.is_espresso, 0);
    CHECK_STR(info.compiler_version, "3402.4.1");
    CHECK_STR(info.metadata_json, "metadata.json");
    CHECK_STR(info.avail_ios, "16.0");
    CHECK_STR(info.avail_visionos, "1.0");
    /* an ML Program has no stages: a nested folder is not a sub-model */
    CHECK_INT(info.n_sub_models, 0);
    ctx_free(c);

    /* no metadata.json: the interface is unknown (a note), the program still read */
    snprintf(dir, sizeof dir, "%s/NoMeta.mlmodelc", root);
    CHECK(mkdir(dir, 0700) == 0);
    write_file(dir, "model.mil", NEW_SAMPLE);
    c = ctx_new(0);
    CHECK_INT(mlmodelc_read(dir, c->a, &m, &c->pos, &info, &c->dl), 0);
    CHECK(m && m->type_case == CMLPB__MODEL__TYPE_ML_PROGRAM && m->specificationversion == 0);
    CHECK(has_diag(&c->dl, "load/compiled-limited", 1, "inputs, outputs, metadata and specification version are unknown"));
    CHECK(!has_diag(&c->dl, "load/interface-invalid", 2, NULL));
    CHECK(!has_diag(&c->dl, "load/spec-version", 2, NULL));
    CHECK(info.unknown & CML_UNKNOWN_INTERFACE);
    CHECK_STR(info.compiler_version, "3500.2.1");
    ctx_free(c);

    /* broken metadata.json: a diag naming the file and the position */
    snprintf(dir, sizeof dir, "%s/Broken.mlmodelc", root);
    CHECK(mkdir(dir, 0700) == 0);
    write_file(dir, "metadata.json", "[\n  {\n    \"specificationVersion\" : 7,\n    oops\n");
    write_file(dir, "model.mil", APPLE_SAMPLE);
    c = ctx_new(0);
    CHECK_INT(mlmodelc_read(dir, c->a, &m, &c->pos, &info, &c->dl), 0);
    CHECK(m && m->type_case == CMLPB__MODEL__TYPE_ML_PROGRAM);
    CHECK(has_diag(&c->dl, "load/interface-invalid", 2, "metadata.json is not valid JSON (parse error at line 4"));
    CHECK(has_diag(&c->dl, "load/compiled-limited", 1, "are unknown"));
    ctx_free(c);
    /* its column in code points: "ü" before the error is one column */
    write_file(dir, "metadata.json", "[\n  {\n    \"\xc3\xbc\" : 7 oops\n");
    c = ctx_new(0);
    CHECK_INT(mlmodelc_read(dir, c->a, &m, &c->pos, &info, &c->dl), 0);
    CHECK(has_diag(&c->dl, "load/interface-invalid", 2, "(parse error at line 3, column 13, byte 19)"));
    ctx_free(c);

    /* broken model.mil with good metadata: the description alone */
    snprintf(dir, sizeof dir, "%s/BadMil.mlmodelc", root);
    CHECK(mkdir(dir, 0700) == 0);
    write_file(dir, "metadata.json", METADATA);
    write_file(dir, "model.mil", "program(1.0)\n{\n    func main<ios16>(x) {\n");
    c = ctx_new(0);
    CHECK_INT(mlmodelc_read(dir, c->a, &m, &c->pos, &info, &c->dl), 0);
    CHECK(m && m->type_case == CMLPB__MODEL__TYPE__NOT_SET && m->description->n_input == 6);
    CHECK(has_diag(&c->dl, "load/mil-structure", 3, "expected a type, found 'x'"));
    ctx_free(c);

    tmp_remove_tree(root);
}

static void test_mlmodelc_espresso_and_errors(void) {
    char tmpl[64];
    char *root = tmp_make_dir(tmpl, sizeof tmpl, "cml_mlmodelc_");
    CHECK(root != NULL);
    if (!root) return;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/Net.mlmodelc", root);
    CHECK(mkdir(dir, 0700) == 0);
    write_file(dir, "coremldata.bin", "opaque");
    write_file(dir, "metadata.json", METADATA);
    write_file(dir, "model.espresso.net",
               "{\"format_version\": 200, \"storage\": \"model.espresso.weights\", \"layers\": ["
               "{\"type\": \"convolution\", \"name\": \"conv1\", \"top\": \"c1\", \"bottom\": \"data\"},"
               "{\"type\": \"activation\", \"name\": \"relu1\", \"top\": \"r1\", \"bottom\": \"c1\"},"
               "{\"type\": \"convolution\", \"name\": \"conv2\", \"top\": \"c2\", \"bottom\": \"r1\"}]}");
    write_file(dir, "model.espresso.shape", "{}");
    write_file(dir, "model.espresso.weights", "");
    ctx *c = ctx_new(0);
    Cmlpb__Model *m = NULL;
    mlmodelc_info info;
    CHECK_INT(mlmodelc_read(dir, c->a, &m, &c->pos, &info, &c->dl), 0);
    CHECK(m && m->type_case == CMLPB__MODEL__TYPE_NEURAL_NETWORK && m->neuralnetwork->n_layers == 0);
    CHECK_INT(info.is_espresso, 1);
    CHECK_INT(info.is_mlprogram, 0);
    CHECK_INT(info.n_espresso_layers, 3);
    if (info.n_espresso_layers == 3) {
        CHECK_STR(info.espresso_layer_types[1], "activation");
        CHECK_STR(info.espresso_layer_names[2], "conv2");
    }
    CHECK(has_diag(&c->dl, "load/compiled-limited", 1, "3 layers listed: convolution x2, activation x1"));
    CHECK(info.unknown & CML_UNKNOWN_GRAPH);
    CHECK(info.unknown & CML_UNKNOWN_PREPROCESSING);
    ctx_free(c);

    /* broken espresso JSON: a diag naming the file */
    write_file(dir, "model.espresso.net", "{\"layers\": [ {\"type\": ");
    c = ctx_new(0);
    CHECK_INT(mlmodelc_read(dir, c->a, &m, &c->pos, &info, &c->dl), 0);
    CHECK(has_diag(&c->dl, "load/compiled-limited", 2, "model.espresso.net is not valid JSON"));
    ctx_free(c);

    /* only coremldata.bin: not readable */
    snprintf(dir, sizeof dir, "%s/Opaque.mlmodelc", root);
    CHECK(mkdir(dir, 0700) == 0);
    write_file(dir, "coremldata.bin", "opaque");
    c = ctx_new(0);
    CHECK_INT(mlmodelc_read(dir, c->a, &m, &c->pos, &info, &c->dl), -1);
    CHECK(m == NULL);
    CHECK(has_diag(&c->dl, "load/compiled-limited", 3, "neither model.mil nor model.espresso.net"));
    ctx_free(c);

    /* an empty folder and a missing path */
    snprintf(dir, sizeof dir, "%s/Empty", root);
    CHECK(mkdir(dir, 0700) == 0);
    c = ctx_new(0);
    CHECK_INT(mlmodelc_read(dir, c->a, &m, &c->pos, &info, &c->dl), -1);
    CHECK(has_diag(&c->dl, "load/compiled-limited", 3, "not a compiled Core ML model"));
    snprintf(dir, sizeof dir, "%s/Missing.mlmodelc", root);
    CHECK_INT(mlmodelc_read(dir, c->a, &m, &c->pos, &info, &c->dl), -1);
    ctx_free(c);

    /* a pipeline: sub-models only */
    snprintf(dir, sizeof dir, "%s/Pipe.mlmodelc", root);
    CHECK(mkdir(dir, 0700) == 0);
    write_file(dir, "coremldata.bin", "opaque");
    write_file(dir, "metadata.json",
               "[{\"specificationVersion\": 4, \"modelType\": {\"name\": \"MLModelType_pipelineClassifier\"}}]");
    make_dir(dir, "model1");
    write_file(dir, "model1/model.mil", APPLE_SAMPLE);
    make_dir(dir, "model0.mlmodelc");
    c = ctx_new(0);
    CHECK_INT(mlmodelc_read(dir, c->a, &m, &c->pos, &info, &c->dl), 0);
    CHECK(m && m->type_case == CMLPB__MODEL__TYPE_PIPELINE_CLASSIFIER && m->specificationversion == 4);
    CHECK_INT(info.n_sub_models, 2);
    if (info.n_sub_models == 2) CHECK(strstr(info.sub_model_dirs[0], "model0.mlmodelc") != NULL);
    ctx_free(c);

    tmp_remove_tree(root);
}

/* A compiled net of many layers and many types: the summary lists the types
 * in the order of their first layer, with their counts, and how many more
 * there are. Counting them once compared every layer with every earlier
 * one (2M layers of 4,200 types: > 20 s). */
static void test_mlmodelc_many_layer_types(void) {
    char tmpl[64];
    char *root = tmp_make_dir(tmpl, sizeof tmpl, "cml_mlmodelc_");
    CHECK(root != NULL);
    if (!root) return;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/Many.mlmodelc", root);
    CHECK(mkdir(dir, 0700) == 0);
    write_file(dir, "coremldata.bin", "opaque");
    write_file(dir, "metadata.json", METADATA);
    enum { N = 200000, TYPES = 4000 };
    size_t cap = (size_t)N * 24 + 64, o = 0;
    char *net = malloc(cap);
    CHECK(net != NULL);
    if (!net) {
        tmp_remove_tree(root);
        return;
    }
    o += (size_t)snprintf(net + o, cap - o, "{\"layers\": [");
    for (int i = 0; i < N; i++)   /* t0, t1, ..., t3999, t0, ...: in sorted order t10 comes before t2 */
        o += (size_t)snprintf(net + o, cap - o, "%s{\"type\": \"t%d\"}", i ? "," : "", i % TYPES);
    o += (size_t)snprintf(net + o, cap - o, "]}");
    write_file(dir, "model.espresso.net", net);
    free(net);
    write_file(dir, "model.espresso.shape", "{}");
    write_file(dir, "model.espresso.weights", "");
    ctx *c = ctx_new(0);
    Cmlpb__Model *m = NULL;
    mlmodelc_info info;
    CHECK_INT(mlmodelc_read(dir, c->a, &m, &c->pos, &info, &c->dl), 0);
    CHECK_INT(info.n_espresso_layers, N);
    CHECK(has_diag(&c->dl, "load/compiled-limited", 1,
                   "200000 layers listed: t0 x50, t1 x50, t2 x50, t3 x50, t4 x50, t5 x50, t6 x50, "
                   "t7 x50, and 3992 more types."));
    ctx_free(c);
    tmp_remove_tree(root);
}

/* A pipeline's stages listed when the arena runs out part way through
 * (fuzzing: 64 links to the folder itself filled the arena, a stage kept a
 * NULL name and sorting the list crashed on it): at every cap the read
 * either lists every stage with its path or fails with the arena finding. */
static void test_mlmodelc_sub_models_arena_cap(void) {
    char tmpl[64];
    char *root = tmp_make_dir(tmpl, sizeof tmpl, "cml_mlmodelc_");
    CHECK(root != NULL);
    if (!root) return;
    char dir[4096], name[128];
    snprintf(dir, sizeof dir, "%s/Pipe.mlmodelc", root);
    CHECK(mkdir(dir, 0700) == 0);
    write_file(dir, "coremldata.bin", "x");
    enum { N = 24 };
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "stage%02d_with_a_name_long_enough_to_take_arena_room", i);
        make_dir(dir, name);
        snprintf(name, sizeof name, "stage%02d_with_a_name_long_enough_to_take_arena_room/coremldata.bin", i);
        write_file(dir, name, "x");
    }
    Cmlpb__Model *m = NULL;
    mlmodelc_info info;
    ctx *c = ctx_new(0);
    CHECK_INT(mlmodelc_read(dir, c->a, &m, &c->pos, &info, &c->dl), 0);
    CHECK_INT(info.n_sub_models, N);
    size_t full = arena_used(c->a);
    ctx_free(c);
    size_t fails = 0;
    for (size_t cap = 256; cap <= full; cap += 16) {
        c = ctx_new(cap);
        arena *da = arena_new(0);   /* the findings go where the cap does not reach */
        c->dl.a = da;
        int rc = mlmodelc_read(dir, c->a, &m, &c->pos, &info, &c->dl);
        if (rc == 0) {
            CHECK_INT(info.n_sub_models, N);
            for (size_t i = 0; i < info.n_sub_models; i++)
                CHECK(info.sub_model_dirs[i] && strstr(info.sub_model_dirs[i], "stage"));
        } else {
            CHECK(has_diag(&c->dl, "load/compiled-limited", 3, "arena cap reached"));
            fails++;
        }
        ctx_free(c);
        arena_free(da);
    }
    CHECK(fails > 0);
    tmp_remove_tree(root);
}

int main(void) {
    RUN(test_apple_sample);
    RUN(test_new_spelling);
    RUN(test_printer_build_info);
    RUN(test_corpus_roundtrip);
    RUN(test_truncation);
    RUN(test_byte_flips);
    RUN(test_deep_nesting);
    RUN(test_many_functions);
    RUN(test_bad_values);
    RUN(test_valid_edges);
    RUN(test_arena_cap);
    RUN(test_many_positions);
    RUN(test_mlmodelc_program);
    RUN(test_mlmodelc_espresso_and_errors);
    RUN(test_mlmodelc_many_layer_types);
    RUN(test_mlmodelc_sub_models_arena_cap);
    return CHECK_DONE();
}
