/* SPDX-License-Identifier: Apache-2.0 */
/* miltext.c — recursive-descent parser for model.mil, the ML Program text
 * that coremlc writes into a compiled .mlmodelc folder. It turns the text into
 * the same protobuf-c structures (Cmlpb__Mil__Program and below) that an
 * .mlpackage's model.mlmodel decodes to, so one IR builder serves both. Both
 * spellings coremlc has used are accepted: the older `tensor<string, []>("x")`
 * scalars and the newer `string("x")`, `uint64(64)`, `fp16(0x1p-1)` ones.
 * Immediate values are stored the way coremltools serializes them (fp16 and
 * the 8-bit and sub-byte integer types as packed little-endian bytes, fp32 as
 * floats, ...), weights as BLOBFILE references. Every op, function and
 * function input is recorded with its line and column. The input is hostile:
 * the lexer never reads past len, nesting is capped at MIL_MAX_DEPTH, token
 * lengths are capped, list sizes grow only with the input consumed, and every
 * allocation comes from the bounded arena. The first syntax error becomes one
 * load/mil-structure diag ("model.mil:L:C: expected X, found Y") and parsing
 * stops: miltext_parse then returns NULL (never a partial program) and the
 * positions recorded during the failed parse are dropped again. */
#include "coreml-lint/coreml_facts.h"
#include "format/sanitize.h"
#include "format/mlmodelc.h"
#include "format/nesting.h"

#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIL_MAX_DEPTH CML_MAX_NESTING  /* block + type + value nesting (format/nesting.h) */
#define MIL_MAX_IDENT 4096             /* bytes in one identifier */
#define MIL_MAX_STRING (16u << 20)     /* bytes in one string literal */
#define MIL_MAX_NUMBER 512             /* bytes in one number literal */
/* functions in one program, and opsets one function is specialized for:
 * a multifunction model has a handful (one per adapter), each for one
 * opset; the bound keeps the by-name lookup below cheap (80,000 functions
 * in 2.5 MB took 13 s) */
#define MIL_MAX_FUNCTIONS 4096
#define MIL_MAX_SPECIALIZATIONS 64

#define RULE_STRUCTURE "load/mil-structure"

/* ---- tokens ------------------------------------------------------------- */

typedef enum tkind {
    T_EOF, T_IDENT, T_NUM, T_STR,
    T_LP, T_RP, T_LB, T_RB, T_LC, T_RC, T_LT, T_GT,
    T_COMMA, T_EQ, T_SEMI, T_ARROW, T_MINUS, T_PLUS, T_STAR, T_QMARK
} tkind;

static const char *const TK_NAME[] = {
    "end of input", "an identifier", "a number", "a string",
    "'('", "')'", "'['", "']'", "'{'", "'}'", "'<'", "'>'",
    "','", "'='", "';'", "'->'", "'-'", "'+'", "'*'", "'?'",
};

typedef struct tok {
    tkind k;
    size_t off, len;        /* bytes of the token in the text */
    uint32_t line, col;     /* 1-based */
} tok;

typedef struct parser {
    const char *s;
    size_t len, i;          /* text and lexer cursor */
    uint32_t line, col;     /* of the cursor */
    tok t;                  /* lookahead: the next unconsumed token */
    int depth;
    arena *a;
    diag_list *dl;
    mil_postab *pos;
    const char *artifact;
    jmp_buf jb;
} parser;

/* ---- errors ------------------------------------------------------------- */

static _Noreturn void fail_at(parser *p, const tok *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static _Noreturn void fail_at(parser *p, const tok *at, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    diag_add(p->dl, RULE_STRUCTURE, DIAG_ERROR, p->artifact, (int64_t)at->off, at->line,
             at->col, NULL, "%s", msg);
    longjmp(p->jb, 1);
}

static _Noreturn void oom(parser *p) {
    diag_add(p->dl, RULE_STRUCTURE, DIAG_ERROR, p->artifact, -1, p->t.line, p->t.col, NULL,
             "%s: out of memory while parsing (arena cap reached near line %u)", p->artifact,
             (unsigned)p->t.line);
    longjmp(p->jb, 1);
}

/* A short, printable description of a token for "found ..." messages. */
static void describe(const parser *p, const tok *t, char *buf, size_t n) {
    if (t->k == T_EOF) { snprintf(buf, n, "end of input"); return; }
    if (t->k == T_STR) { snprintf(buf, n, "a string"); return; }
    char txt[48];
    size_t m = t->len < sizeof txt - 4 ? t->len : sizeof txt - 4, j;
    for (j = 0; j < m; j++) {
        unsigned char c = (unsigned char)p->s[t->off + j];
        txt[j] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    if (m < t->len) { memcpy(txt + j, "...", 3); j += 3; }
    txt[j] = 0;
    snprintf(buf, n, t->k == T_NUM ? "number '%s'" : "'%s'", txt);
}

static _Noreturn void fail_expected(parser *p, const char *what, const char *context) {
    char found[80];
    describe(p, &p->t, found, sizeof found);
    fail_at(p, &p->t, "expected %s%s%s, found %s", what, context ? " " : "", context ? context : "",
            found);
}

static void *palloc(parser *p, size_t n) {
    void *m = arena_alloc(p->a, n);
    if (!m) oom(p);
    return m;
}

static void *grow(parser *p, void *arr, size_t *cap, size_t elsz) {
    size_t nc = *cap ? *cap * 2 : 4;
    if (nc > SIZE_MAX / elsz) oom(p);
    void *q = arena_realloc(p->a, arr, *cap * elsz, nc * elsz);
    if (!q) oom(p);
    *cap = nc;
    return q;
}

/* Append item to a protobuf-c repeated field (arr, n) whose capacity is cap. */
#define PUSH(p, arr, n, cap, item)                                              \
    do {                                                                        \
        if ((n) == (cap)) (arr) = grow((p), (arr), &(cap), sizeof *(arr));      \
        (arr)[(n)++] = (item);                                                  \
    } while (0)

/* Allocate a protobuf-c message from the arena and run its __init. */
#define NEWMSG(p, var, initfn)                                                  \
    do {                                                                        \
        (var) = palloc((p), sizeof *(var));                                     \
        initfn(var);                                                            \
    } while (0)

static void enter(parser *p) {
    if (++p->depth > MIL_MAX_DEPTH)
        fail_at(p, &p->t, "nesting deeper than %d levels", MIL_MAX_DEPTH);
}
static void leave(parser *p) { p->depth--; }

/* ---- lexer -------------------------------------------------------------- */

static int is_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_hex(int c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
static int hexval(int c) { return is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10; }
/* SOURCE: mlmodel/format/MIL.proto — identifiers match [A-Za-z\_][A-Za-z0-9\_@]* */
static int is_ident_char(int c) { return is_alpha(c) || is_digit(c) || c == '@'; }

static void skip_space(parser *p) {
    while (p->i < p->len) {
        char c = p->s[p->i];
        if (c == '\n') {
            p->i++, p->line++, p->col = 1;
        } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
            p->i++, p->col++;
        } else if (c == '/' && p->i + 1 < p->len && p->s[p->i + 1] == '/') {
            while (p->i < p->len && p->s[p->i] != '\n') {
                if (san_cp_start((unsigned char)p->s[p->i])) p->col++;
                p->i++;
            }
        } else {
            break;
        }
    }
}

/* Scan a string literal starting at the opening quote; returns its length
 * including both quotes. Escapes are validated here so that decoding later
 * cannot fail. */
static size_t scan_string(parser *p, const tok *t) {
    size_t j = p->i + 1;
    for (;;) {
        if (j >= p->len || p->s[j] == '\n') fail_at(p, t, "unterminated string");
        unsigned char c = (unsigned char)p->s[j];
        if (c == '"') break;
        if (c == 0) fail_at(p, t, "NUL byte inside a string");
        if (c != '\\') { j++; continue; }
        if (j + 1 >= p->len) fail_at(p, t, "unterminated string");
        char e = p->s[j + 1];
        if (strchr("nrt\\\"'", e) && e) {
            j += 2;
        } else if (e == 'x' || e == 'u') {
            size_t nd = e == 'x' ? 2 : 4, k;
            unsigned v = 0;
            for (k = 0; k < nd; k++) {
                if (j + 2 + k >= p->len || !is_hex((unsigned char)p->s[j + 2 + k]))
                    fail_at(p, t, "malformed \\%c escape in string", e);
                v = v * 16 + (unsigned)hexval((unsigned char)p->s[j + 2 + k]);
            }
            if (v == 0) fail_at(p, t, "NUL escape inside a string");
            if (v >= 0xD800 && v <= 0xDFFF) fail_at(p, t, "surrogate \\u escape in string");
            j += 2 + nd;
        } else {
            fail_at(p, t, "invalid escape sequence in string");
        }
        if (j - p->i > MIL_MAX_STRING) fail_at(p, t, "string longer than %u bytes", MIL_MAX_STRING);
    }
    if (j - p->i > MIL_MAX_STRING) fail_at(p, t, "string longer than %u bytes", MIL_MAX_STRING);
    return j + 1 - p->i;
}

static size_t scan_number(parser *p, const tok *t) {
    size_t j = p->i;
    int hex = p->s[j] == '0' && j + 1 < p->len && (p->s[j + 1] == 'x' || p->s[j + 1] == 'X');
    while (j < p->len) {
        int c = (unsigned char)p->s[j];
        if (is_alpha(c) || is_digit(c) || c == '.') {
            j++;
        } else if ((c == '+' || c == '-') && j > p->i &&
                   (hex ? (p->s[j - 1] | 0x20) == 'p' : (p->s[j - 1] | 0x20) == 'e')) {
            j++;
        } else {
            break;
        }
        if (j - p->i > MIL_MAX_NUMBER) fail_at(p, t, "number longer than %d bytes", MIL_MAX_NUMBER);
    }
    return j - p->i;
}

static void lex(parser *p, tok *t) {
    skip_space(p);
    t->off = p->i, t->line = p->line, t->col = p->col, t->len = 1;
    if (p->i >= p->len) { t->k = T_EOF, t->len = 0; return; }
    int c = (unsigned char)p->s[p->i];
    int c1 = p->i + 1 < p->len ? (unsigned char)p->s[p->i + 1] : -1;
    if (is_alpha(c)) {
        size_t j = p->i;
        while (j < p->len && is_ident_char((unsigned char)p->s[j])) j++;
        t->k = T_IDENT, t->len = j - p->i;
        if (t->len > MIL_MAX_IDENT) fail_at(p, t, "identifier longer than %d bytes", MIL_MAX_IDENT);
    } else if (is_digit(c) || (c == '.' && is_digit(c1))) {
        t->k = T_NUM, t->len = scan_number(p, t);
    } else if (c == '"') {
        t->k = T_STR, t->len = scan_string(p, t);
    } else {
        switch (c) {
        case '(': t->k = T_LP; break;
        case ')': t->k = T_RP; break;
        case '[': t->k = T_LB; break;
        case ']': t->k = T_RB; break;
        case '{': t->k = T_LC; break;
        case '}': t->k = T_RC; break;
        case '<': t->k = T_LT; break;
        case '>': t->k = T_GT; break;
        case ',': t->k = T_COMMA; break;
        case '=': t->k = T_EQ; break;
        case ';': t->k = T_SEMI; break;
        case '+': t->k = T_PLUS; break;
        case '*': t->k = T_STAR; break;
        case '?': t->k = T_QMARK; break;
        case '-':
            if (c1 == '>') t->k = T_ARROW, t->len = 2;
            else t->k = T_MINUS;
            break;
        default:
            if (c == 0) fail_at(p, t, "unexpected NUL byte");
            if (c < 0x20 || c >= 0x7f) fail_at(p, t, "unexpected byte 0x%02x", (unsigned)c);
            fail_at(p, t, "unexpected character '%c'", c);
        }
    }
    /* no token spans a newline; columns count code points (SARIF's
     * columnKind unicodeCodePoints, editors' characters), and only a
     * string holds bytes past ASCII */
    for (size_t k = 0; k < t->len; k++)
        if (san_cp_start((unsigned char)p->s[p->i + k])) p->col++;
    p->i += t->len;
}

static void adv(parser *p) { lex(p, &p->t); }

/* The token after the lookahead, without consuming anything. */
static tkind peek2(parser *p) {
    size_t i = p->i;
    uint32_t line = p->line, col = p->col;
    tok t;
    lex(p, &t);
    p->i = i, p->line = line, p->col = col;
    return t.k;
}

static int accept(parser *p, tkind k) {
    if (p->t.k != k) return 0;
    adv(p);
    return 1;
}

static tok expect(parser *p, tkind k, const char *context) {
    tok t = p->t;
    if (t.k != k) fail_expected(p, TK_NAME[k], context);
    adv(p);
    return t;
}

static int is_word(const parser *p, const char *w) {
    size_t n = strlen(w);
    return p->t.k == T_IDENT && p->t.len == n && memcmp(p->s + p->t.off, w, n) == 0;
}

static char *ident(parser *p, const char *what) {
    if (p->t.k != T_IDENT) fail_expected(p, what, NULL);
    char *s = arena_strndup(p->a, p->s + p->t.off, p->t.len);
    if (!s) oom(p);
    adv(p);
    return s;
}

static void put_utf8(char **o, unsigned v) {
    unsigned char *u = (unsigned char *)*o;
    if (v < 0x80) {
        *u++ = (unsigned char)v;
    } else if (v < 0x800) {
        *u++ = (unsigned char)(0xC0 | (v >> 6));
        *u++ = (unsigned char)(0x80 | (v & 0x3F));
    } else {
        *u++ = (unsigned char)(0xE0 | (v >> 12));
        *u++ = (unsigned char)(0x80 | ((v >> 6) & 0x3F));
        *u++ = (unsigned char)(0x80 | (v & 0x3F));
    }
    *o = (char *)u;
}

/* Decode the (already validated) string token at the lookahead. */
static char *string_lit(parser *p) {
    if (p->t.k != T_STR) fail_expected(p, "a string", NULL);
    const char *s = p->s + p->t.off + 1;
    size_t n = p->t.len - 2, j = 0;
    char *out = palloc(p, n + 1), *o = out;   /* decoding never grows the text */
    while (j < n) {
        if (s[j] != '\\') { *o++ = s[j++]; continue; }
        char e = s[j + 1];
        if (e == 'x' || e == 'u') {
            size_t nd = e == 'x' ? 2 : 4, k;
            unsigned v = 0;
            for (k = 0; k < nd; k++) v = v * 16 + (unsigned)hexval((unsigned char)s[j + 2 + k]);
            if (e == 'x') *o++ = (char)v;
            else put_utf8(&o, v);
            j += 2 + nd;
            continue;
        }
        *o++ = e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
        j += 2;
    }
    *o = 0;
    adv(p);
    return out;
}

/* ---- data types --------------------------------------------------------- */

typedef enum store { ST_BOOLS, ST_STRINGS, ST_FLOATS, ST_DOUBLES, ST_INTS, ST_LONGS, ST_BYTES } store;
typedef enum dkind { K_BOOL, K_STR, K_FLOAT, K_INT } dkind;

typedef struct dtinfo {
    const char *name;
    Cmlpb__Mil__DataType dt;
    dkind kind;
    store st;
    unsigned bits;          /* element width in bits */
    int is_signed;
    int ebits, mbits;       /* small floats stored in bytes: exponent / mantissa bits */
} dtinfo;

/* Spellings: SOURCE: coremltools/converters/mil/mil/types/type_mapping.py
 * (_TYPES_TO_STRINGS: bool, int4..int64, uint1..uint64, fp16/fp32/fp64,
 * string); bf16 / fp8e4m3fn / fp8e5m2 follow include/coreml-lint/ir.h.
 * Enum values: SOURCE: mlmodel/format/MIL.proto (DataType). Storage: SOURCE:
 * coremltools/converters/mil/backend/mil/helper.py (_tensor_field_by_type)
 * and coremltools/converters/mil/mil/types/__init__.py
 * (IMMEDIATE_VALUE_TYPES_IN_BYTES: fp16, int4, int8, uint1-uint6, uint8,
 * uint32 go to `bytes`, sub-byte types packed LSB first per
 * coremltools/optimize/_utils.py pack_elements_into_bits). bf16 and the fp8
 * types, which coremltools cannot write inline, are stored as bytes too. */
static const dtinfo DTYPES[] = {
    {"bool", CMLPB__MIL__DATA_TYPE__BOOL, K_BOOL, ST_BOOLS, 8, 0, 0, 0},
    {"string", CMLPB__MIL__DATA_TYPE__STRING, K_STR, ST_STRINGS, 0, 0, 0, 0},
    {"fp16", CMLPB__MIL__DATA_TYPE__FLOAT16, K_FLOAT, ST_BYTES, 16, 1, 5, 10},
    {"fp32", CMLPB__MIL__DATA_TYPE__FLOAT32, K_FLOAT, ST_FLOATS, 32, 1, 0, 0},
    {"fp64", CMLPB__MIL__DATA_TYPE__FLOAT64, K_FLOAT, ST_DOUBLES, 64, 1, 0, 0},
    {"bf16", CMLPB__MIL__DATA_TYPE__BFLOAT16, K_FLOAT, ST_BYTES, 16, 1, 8, 7},
    {"fp8e4m3fn", CMLPB__MIL__DATA_TYPE__FLOAT8E4M3FN, K_FLOAT, ST_BYTES, 8, 1, 4, 3},
    {"fp8e5m2", CMLPB__MIL__DATA_TYPE__FLOAT8E5M2, K_FLOAT, ST_BYTES, 8, 1, 5, 2},
    {"int4", CMLPB__MIL__DATA_TYPE__INT4, K_INT, ST_BYTES, 4, 1, 0, 0},
    {"int8", CMLPB__MIL__DATA_TYPE__INT8, K_INT, ST_BYTES, 8, 1, 0, 0},
    {"int16", CMLPB__MIL__DATA_TYPE__INT16, K_INT, ST_INTS, 16, 1, 0, 0},
    {"int32", CMLPB__MIL__DATA_TYPE__INT32, K_INT, ST_INTS, 32, 1, 0, 0},
    {"int64", CMLPB__MIL__DATA_TYPE__INT64, K_INT, ST_LONGS, 64, 1, 0, 0},
    {"uint1", CMLPB__MIL__DATA_TYPE__UINT1, K_INT, ST_BYTES, 1, 0, 0, 0},
    {"uint2", CMLPB__MIL__DATA_TYPE__UINT2, K_INT, ST_BYTES, 2, 0, 0, 0},
    {"uint3", CMLPB__MIL__DATA_TYPE__UINT3, K_INT, ST_BYTES, 3, 0, 0, 0},
    {"uint4", CMLPB__MIL__DATA_TYPE__UINT4, K_INT, ST_BYTES, 4, 0, 0, 0},
    {"uint6", CMLPB__MIL__DATA_TYPE__UINT6, K_INT, ST_BYTES, 6, 0, 0, 0},
    {"uint8", CMLPB__MIL__DATA_TYPE__UINT8, K_INT, ST_BYTES, 8, 0, 0, 0},
    {"uint16", CMLPB__MIL__DATA_TYPE__UINT16, K_INT, ST_INTS, 16, 0, 0, 0},
    {"uint32", CMLPB__MIL__DATA_TYPE__UINT32, K_INT, ST_BYTES, 32, 0, 0, 0},
    {"uint64", CMLPB__MIL__DATA_TYPE__UINT64, K_INT, ST_LONGS, 64, 0, 0, 0},
};
#define N_DTYPES (sizeof DTYPES / sizeof DTYPES[0])

static const dtinfo *dtype_by_word(const parser *p) {
    for (size_t i = 0; i < N_DTYPES; i++)
        if (is_word(p, DTYPES[i].name)) return &DTYPES[i];
    return NULL;
}

static const dtinfo *dtype_by_enum(int dt) {
    for (size_t i = 0; i < N_DTYPES; i++)
        if ((int)DTYPES[i].dt == dt) return &DTYPES[i];
    return NULL;
}

/* Round a double to the nearest small float (E exponent, M mantissa bits,
 * ties to even). fn: the e4m3fn layout (no infinities, S.1111.111 is NaN).
 * Sets *overflow when a finite x does not fit. */
static uint32_t encode_small_float(double x, int E, int M, int fn, int *overflow) {
    uint32_t sign = signbit(x) ? 1u << (E + M) : 0;
    int bias = (1 << (E - 1)) - 1;
    uint32_t expmask = (1u << E) - 1;
    *overflow = 0;
    if (isnan(x)) return fn ? sign | (expmask << M) | ((1u << M) - 1) : (expmask << M) | (1u << (M - 1));
    if (isinf(x)) return fn ? sign | (expmask << M) | ((1u << M) - 1) : sign | (expmask << M);
    double ax = fabs(x);
    if (ax == 0) return sign;
    int e;
    (void)frexp(ax, &e);
    int ue = e - 1, min_e = 1 - bias;
    double q = ue < min_e ? ldexp(ax, M - min_e) : ldexp(ax, M - ue);
    double fl = floor(q), diff = q - fl;
    uint64_t m = (uint64_t)fl;
    if (diff > 0.5 || (diff == 0.5 && (m & 1))) m++;
    uint32_t bits;
    if (ue < min_e) {
        bits = (uint32_t)m;   /* subnormal; m == 2^M carries into the exponent */
    } else {
        if (m == (2ull << M)) m >>= 1, ue++;
        int64_t ef = ue + bias;
        uint32_t mf = (uint32_t)(m - (1ull << M));
        uint32_t max_ef = fn ? expmask : expmask - 1;
        if (ef > (int64_t)max_ef || (fn && ef == (int64_t)expmask && mf == (1u << M) - 1)) {
            *overflow = 1;
            return fn ? sign | (expmask << M) | ((1u << M) - 1) : sign | (expmask << M);
        }
        bits = ((uint32_t)ef << M) | mf;
    }
    return sign | bits;
}

/* ---- numbers ------------------------------------------------------------ */

static int tok_is_integer(const parser *p, const tok *t) {
    const char *s = p->s + t->off;
    size_t n = t->len, j = 0;
    if (n > 2 && s[0] == '0' && (s[1] | 0x20) == 'x') {
        for (j = 2; j < n; j++)
            if (!is_hex((unsigned char)s[j])) return 0;
        return 1;
    }
    for (j = 0; j < n; j++)
        if (!is_digit((unsigned char)s[j])) return 0;
    return 1;
}

static uint64_t tok_u64(parser *p, const tok *t) {
    const char *s = p->s + t->off;
    size_t n = t->len, j = 0;
    unsigned base = 10;
    uint64_t v = 0;
    if (n > 2 && s[0] == '0' && (s[1] | 0x20) == 'x') base = 16, j = 2;
    for (; j < n; j++) {
        unsigned d = (unsigned)hexval((unsigned char)s[j]);
        if (v > (UINT64_MAX - d) / base) fail_at(p, t, "integer literal out of range");
        v = v * base + d;
    }
    return v;
}

/* Parse a float token with strtod/strtof; the token is copied so the text
 * need not be NUL-terminated. *range is set when the value overflowed. */
static double tok_f64(parser *p, const tok *t, int single, int *range) {
    char buf[MIL_MAX_NUMBER + 1];
    memcpy(buf, p->s + t->off, t->len);
    buf[t->len] = 0;
    char *end;
    errno = 0;
    double v = single ? (double)strtof(buf, &end) : strtod(buf, &end);
    if (end != buf + t->len) fail_at(p, t, "malformed number '%s'", buf);
    *range = errno == ERANGE && isinf(v);
    return v;
}

/* ---- immediate tensor values ------------------------------------------- */

static const size_t STORE_SIZE[] = {
    sizeof(protobuf_c_boolean), sizeof(char *), sizeof(float), sizeof(double),
    sizeof(int32_t), sizeof(int64_t), 1,
};

/* Elements being parsed for one tensor, already in their storage form. */
typedef struct sink {
    const dtinfo *dt;
    size_t count;               /* elements */
    size_t n, cap;              /* store units used / allocated (bytes for ST_BYTES) */
    unsigned char *buf;
} sink;

static void *sink_room(parser *p, sink *k, size_t units) {
    size_t es = STORE_SIZE[k->dt->st];
    if (k->n + units > k->cap) {
        size_t nc = k->cap ? k->cap : 16;
        while (nc < k->n + units) {
            if (nc > SIZE_MAX / 2 / es) oom(p);
            nc *= 2;
        }
        k->buf = arena_realloc(p->a, k->buf, k->n * es, nc * es);
        if (!k->buf) oom(p);
        k->cap = nc;
    }
    void *at = k->buf + k->n * es;
    k->n += units;
    return at;
}

static void put_le(unsigned char *b, uint64_t v, unsigned nbytes) {
    for (unsigned i = 0; i < nbytes; i++) b[i] = (unsigned char)(v >> (8 * i));
}

static void sink_int(parser *p, sink *k, uint64_t raw) {
    const dtinfo *d = k->dt;
    if (d->st == ST_INTS) {
        int32_t v = (int32_t)(uint32_t)raw;
        memcpy(sink_room(p, k, 1), &v, sizeof v);
    } else if (d->st == ST_LONGS) {
        int64_t v = (int64_t)raw;
        memcpy(sink_room(p, k, 1), &v, sizeof v);
    } else if (d->bits >= 8) {
        put_le(sink_room(p, k, d->bits / 8), raw, d->bits / 8);
    } else {
        /* sub-byte: LSB-first bit packing */
        uint64_t bit = (uint64_t)k->count * d->bits;
        size_t need = (size_t)((bit + d->bits + 7) / 8);
        if (need > k->n) sink_room(p, k, need - k->n);
        for (unsigned b = 0; b < d->bits; b++)
            if ((raw >> b) & 1) k->buf[(bit + b) / 8] |= (unsigned char)(1u << ((bit + b) % 8));
    }
    k->count++;
}

/* One scalar literal, converted to the sink's data type. */
static void scalar(parser *p, sink *k) {
    const dtinfo *d = k->dt;
    tok st = p->t;
    int neg = 0, sign = 0;
    if (p->t.k == T_MINUS || p->t.k == T_PLUS) {
        neg = p->t.k == T_MINUS, sign = 1;
        adv(p);
    }
    tok t = p->t;
    if (d->kind == K_BOOL) {
        int v;
        if (sign || t.k != T_IDENT) fail_expected(p, "true or false", "for a bool value");
        if (is_word(p, "true")) v = 1;
        else if (is_word(p, "false")) v = 0;
        else fail_expected(p, "true or false", "for a bool value");
        adv(p);
        protobuf_c_boolean b = v;
        memcpy(sink_room(p, k, 1), &b, sizeof b);
        k->count++;
    } else if (d->kind == K_STR) {
        if (sign) fail_at(p, &st, "a sign before a string value");
        char *s = string_lit(p);
        memcpy(sink_room(p, k, 1), &s, sizeof s);
        k->count++;
    } else if (d->kind == K_FLOAT) {
        double v;
        int range = 0;
        if (t.k == T_NUM) v = tok_f64(p, &t, d->dt == CMLPB__MIL__DATA_TYPE__FLOAT32, &range);
        else if (is_word(p, "inf")) v = INFINITY;
        else if (is_word(p, "nan")) v = NAN;
        else fail_expected(p, "a number", "for a float value");
        adv(p);
        if (range) fail_at(p, &t, "number out of range for %s", d->name);
        if (neg) v = -v;
        if (d->st == ST_FLOATS) {
            float f = (float)v;   /* exact: v came from strtof */
            memcpy(sink_room(p, k, 1), &f, sizeof f);
        } else if (d->st == ST_DOUBLES) {
            memcpy(sink_room(p, k, 1), &v, sizeof v);
        } else {
            int ovf;
            uint32_t bits = encode_small_float(v, d->ebits, d->mbits,
                                               d->dt == CMLPB__MIL__DATA_TYPE__FLOAT8E4M3FN, &ovf);
            if (ovf) fail_at(p, &t, "number out of range for %s", d->name);
            put_le(sink_room(p, k, d->bits / 8), bits, d->bits / 8);
        }
        k->count++;
    } else {
        if (t.k != T_NUM) fail_expected(p, "an integer", NULL);
        if (!tok_is_integer(p, &t)) fail_at(p, &t, "expected an integer for %s", d->name);
        uint64_t m = tok_u64(p, &t);
        adv(p);
        uint64_t raw;
        if (d->is_signed) {
            uint64_t lim = 1ull << (d->bits - 1);    /* |min| */
            if (neg ? m > lim : m >= lim) fail_at(p, &t, "integer out of range for %s", d->name);
            raw = neg ? (uint64_t)0 - m : m;
        } else {
            uint64_t max = d->bits == 64 ? UINT64_MAX : (1ull << d->bits) - 1;
            if ((neg && m) || m > max) fail_at(p, &t, "integer out of range for %s", d->name);
            raw = m;
        }
        if (d->bits < 64) raw &= (1ull << d->bits) - 1;
        if (d->st == ST_INTS && d->is_signed && ((raw >> (d->bits - 1)) & 1))
            raw |= ~((1ull << d->bits) - 1);     /* int16/int32: sign-extend */
        sink_int(p, k, raw);
    }
}

/* A scalar or a (possibly nested) bracketed list of scalars, flattened. */
static void tensor_elems(parser *p, sink *k) {
    if (p->t.k != T_LB) { scalar(p, k); return; }
    enter(p);
    adv(p);
    if (p->t.k != T_RB) {
        do tensor_elems(p, k);
        while (accept(p, T_COMMA));
    }
    expect(p, T_RB, "to close the list of elements");
    leave(p);
}

static Cmlpb__Mil__TensorValue *tensor_value(parser *p, const dtinfo *d) {
    sink k = {d, 0, 0, 0, NULL};
    tensor_elems(p, &k);
    Cmlpb__Mil__TensorValue *tv;
    NEWMSG(p, tv, cmlpb__mil__tensor_value__init);
    switch (d->st) {
    case ST_BOOLS: {
        Cmlpb__Mil__TensorValue__RepeatedBools *r;
        NEWMSG(p, r, cmlpb__mil__tensor_value__repeated_bools__init);
        r->n_values = k.n, r->values = (protobuf_c_boolean *)(void *)k.buf;
        tv->value_case = CMLPB__MIL__TENSOR_VALUE__VALUE_BOOLS, tv->bools = r;
        break;
    }
    case ST_STRINGS: {
        Cmlpb__Mil__TensorValue__RepeatedStrings *r;
        NEWMSG(p, r, cmlpb__mil__tensor_value__repeated_strings__init);
        r->n_values = k.n, r->values = (char **)(void *)k.buf;
        tv->value_case = CMLPB__MIL__TENSOR_VALUE__VALUE_STRINGS, tv->strings = r;
        break;
    }
    case ST_FLOATS: {
        Cmlpb__Mil__TensorValue__RepeatedFloats *r;
        NEWMSG(p, r, cmlpb__mil__tensor_value__repeated_floats__init);
        r->n_values = k.n, r->values = (float *)(void *)k.buf;
        tv->value_case = CMLPB__MIL__TENSOR_VALUE__VALUE_FLOATS, tv->floats = r;
        break;
    }
    case ST_DOUBLES: {
        Cmlpb__Mil__TensorValue__RepeatedDoubles *r;
        NEWMSG(p, r, cmlpb__mil__tensor_value__repeated_doubles__init);
        r->n_values = k.n, r->values = (double *)(void *)k.buf;
        tv->value_case = CMLPB__MIL__TENSOR_VALUE__VALUE_DOUBLES, tv->doubles = r;
        break;
    }
    case ST_INTS: {
        Cmlpb__Mil__TensorValue__RepeatedInts *r;
        NEWMSG(p, r, cmlpb__mil__tensor_value__repeated_ints__init);
        r->n_values = k.n, r->values = (int32_t *)(void *)k.buf;
        tv->value_case = CMLPB__MIL__TENSOR_VALUE__VALUE_INTS, tv->ints = r;
        break;
    }
    case ST_LONGS: {
        Cmlpb__Mil__TensorValue__RepeatedLongInts *r;
        NEWMSG(p, r, cmlpb__mil__tensor_value__repeated_long_ints__init);
        r->n_values = k.n, r->values = (int64_t *)(void *)k.buf;
        tv->value_case = CMLPB__MIL__TENSOR_VALUE__VALUE_LONG_INTS, tv->longints = r;
        break;
    }
    case ST_BYTES: {
        Cmlpb__Mil__TensorValue__RepeatedBytes *r;
        NEWMSG(p, r, cmlpb__mil__tensor_value__repeated_bytes__init);
        r->values.len = k.n, r->values.data = k.buf;
        tv->value_case = CMLPB__MIL__TENSOR_VALUE__VALUE_BYTES, tv->bytes = r;
        break;
    }
    }
    return tv;
}

/* ---- types -------------------------------------------------------------- */

static Cmlpb__Mil__ValueType *value_type(parser *p);

static Cmlpb__Mil__Dimension *dimension(parser *p) {
    Cmlpb__Mil__Dimension *d;
    NEWMSG(p, d, cmlpb__mil__dimension__init);
    if (p->t.k == T_NUM) {
        if (!tok_is_integer(p, &p->t)) fail_expected(p, "a dimension", NULL);
        Cmlpb__Mil__Dimension__ConstantDimension *c;
        NEWMSG(p, c, cmlpb__mil__dimension__constant_dimension__init);
        c->size = tok_u64(p, &p->t);
        adv(p);
        d->dimension_case = CMLPB__MIL__DIMENSION__DIMENSION_CONSTANT, d->constant = c;
    } else if (p->t.k == T_QMARK || p->t.k == T_IDENT || p->t.k == T_STAR) {
        /* `?` and symbols (`is0`) are unknown sizes; `*` a variadic rest */
        Cmlpb__Mil__Dimension__UnknownDimension *u;
        NEWMSG(p, u, cmlpb__mil__dimension__unknown_dimension__init);
        u->variadic = p->t.k == T_STAR;
        adv(p);
        d->dimension_case = CMLPB__MIL__DIMENSION__DIMENSION_UNKNOWN, d->unknown = u;
    } else {
        fail_expected(p, "a dimension", NULL);
    }
    return d;
}

static Cmlpb__Mil__ValueType *tensor_vt(parser *p, Cmlpb__Mil__TensorType **out) {
    Cmlpb__Mil__ValueType *vt;
    Cmlpb__Mil__TensorType *tt;
    NEWMSG(p, vt, cmlpb__mil__value_type__init);
    NEWMSG(p, tt, cmlpb__mil__tensor_type__init);
    vt->type_case = CMLPB__MIL__VALUE_TYPE__TYPE_TENSOR_TYPE, vt->tensortype = tt;
    *out = tt;
    return vt;
}

/* tensor<dtype, [d0, d1, ...]> | tensor<dtype, *> (rank unknown). */
static Cmlpb__Mil__ValueType *tensor_type(parser *p) {
    Cmlpb__Mil__TensorType *tt;
    Cmlpb__Mil__ValueType *vt = tensor_vt(p, &tt);
    expect(p, T_LT, "after 'tensor'");
    const dtinfo *d = dtype_by_word(p);
    if (!d) fail_expected(p, "a data type", "in tensor<...>");
    tt->datatype = d->dt;
    adv(p);
    expect(p, T_COMMA, "after the tensor's data type");
    if (accept(p, T_STAR) || accept(p, T_QMARK)) {
        tt->rank = -1;
    } else {
        size_t cap = 0;
        expect(p, T_LB, "to start the tensor's shape");
        if (p->t.k != T_RB) {
            do PUSH(p, tt->dimensions, tt->n_dimensions, cap, dimension(p));
            while (accept(p, T_COMMA));
        }
        expect(p, T_RB, "after the tensor's shape");
        tt->rank = (int64_t)tt->n_dimensions;
    }
    expect(p, T_GT, "to close tensor<...>");
    return vt;
}

/* A type. SOURCE: coremltools/test/blob/test_weights.py shows the same const
 * line in both spellings (`tensor<string, []>("x")` from older coremlc,
 * `string("x")` from newer), so a bare dtype is a rank-0 tensor; dict<K, V>
 * is in add_model.mlmodelc/model.mil; list/tuple/state follow MIL.proto's
 * ListType (type, length), TupleType and StateType (wrappedType). */
static Cmlpb__Mil__ValueType *value_type(parser *p) {
    tok at = p->t;
    Cmlpb__Mil__ValueType *vt;
    enter(p);
    if (p->t.k != T_IDENT) fail_expected(p, "a type", NULL);
    const dtinfo *d = dtype_by_word(p);
    if (d) {                                         /* scalar: `fp16` = tensor<fp16, []> */
        Cmlpb__Mil__TensorType *tt;
        vt = tensor_vt(p, &tt);
        tt->datatype = d->dt;
        adv(p);
    } else if (is_word(p, "tensor")) {
        adv(p);
        vt = tensor_type(p);
    } else if (is_word(p, "state")) {
        Cmlpb__Mil__StateType *st;
        adv(p);
        NEWMSG(p, vt, cmlpb__mil__value_type__init);
        NEWMSG(p, st, cmlpb__mil__state_type__init);
        expect(p, T_LT, "after 'state'");
        st->wrappedtype = value_type(p);
        expect(p, T_GT, "to close state<...>");
        vt->type_case = CMLPB__MIL__VALUE_TYPE__TYPE_STATE_TYPE, vt->statetype = st;
    } else if (is_word(p, "list")) {
        Cmlpb__Mil__ListType *lt;
        adv(p);
        NEWMSG(p, vt, cmlpb__mil__value_type__init);
        NEWMSG(p, lt, cmlpb__mil__list_type__init);
        expect(p, T_LT, "after 'list'");
        lt->type = value_type(p);
        if (accept(p, T_COMMA)) lt->length = dimension(p);
        expect(p, T_GT, "to close list<...>");
        vt->type_case = CMLPB__MIL__VALUE_TYPE__TYPE_LIST_TYPE, vt->listtype = lt;
    } else if (is_word(p, "tuple")) {
        Cmlpb__Mil__TupleType *tu;
        size_t cap = 0;
        adv(p);
        NEWMSG(p, vt, cmlpb__mil__value_type__init);
        NEWMSG(p, tu, cmlpb__mil__tuple_type__init);
        expect(p, T_LT, "after 'tuple'");
        if (p->t.k != T_GT) {
            do PUSH(p, tu->types, tu->n_types, cap, value_type(p));
            while (accept(p, T_COMMA));
        }
        expect(p, T_GT, "to close tuple<...>");
        vt->type_case = CMLPB__MIL__VALUE_TYPE__TYPE_TUPLE_TYPE, vt->tupletype = tu;
    } else if (is_word(p, "dict")) {
        Cmlpb__Mil__DictionaryType *dt;
        adv(p);
        NEWMSG(p, vt, cmlpb__mil__value_type__init);
        NEWMSG(p, dt, cmlpb__mil__dictionary_type__init);
        expect(p, T_LT, "after 'dict'");
        dt->keytype = value_type(p);
        expect(p, T_COMMA, "between the dict's key and value types");
        dt->valuetype = value_type(p);
        expect(p, T_GT, "to close dict<...>");
        vt->type_case = CMLPB__MIL__VALUE_TYPE__TYPE_DICTIONARY_TYPE, vt->dictionarytype = dt;
    } else {
        char found[80];
        describe(p, &at, found, sizeof found);
        fail_at(p, &at, "expected a type, found %s", found);
    }
    leave(p);
    return vt;
}

static int starts_type(const parser *p) {
    return p->t.k == T_IDENT && (dtype_by_word(p) || is_word(p, "tensor") || is_word(p, "state") ||
                                 is_word(p, "list") || is_word(p, "tuple") || is_word(p, "dict"));
}

/* ---- values ------------------------------------------------------------- */

static Cmlpb__Mil__Value *typed_value(parser *p);

static Cmlpb__Mil__Value__ImmediateValue *immediate(parser *p, Cmlpb__Mil__Value *v) {
    Cmlpb__Mil__Value__ImmediateValue *iv;
    NEWMSG(p, iv, cmlpb__mil__value__immediate_value__init);
    v->value_case = CMLPB__MIL__VALUE__VALUE_IMMEDIATE_VALUE, v->immediatevalue = iv;
    return iv;
}

/* A scalar integer from a parsed value (BLOBFILE offset). */
static int value_u64(const Cmlpb__Mil__Value *v, uint64_t *out) {
    if (v->value_case != CMLPB__MIL__VALUE__VALUE_IMMEDIATE_VALUE ||
        v->immediatevalue->value_case != CMLPB__MIL__VALUE__IMMEDIATE_VALUE__VALUE_TENSOR)
        return -1;
    const Cmlpb__Mil__TensorValue *t = v->immediatevalue->tensor;
    const dtinfo *d = v->type && v->type->type_case == CMLPB__MIL__VALUE_TYPE__TYPE_TENSOR_TYPE
                          ? dtype_by_enum(v->type->tensortype->datatype) : NULL;
    if (!d || d->kind != K_INT) return -1;
    if (t->value_case == CMLPB__MIL__TENSOR_VALUE__VALUE_LONG_INTS && t->longints->n_values == 1) {
        *out = (uint64_t)t->longints->values[0];
        return d->is_signed && t->longints->values[0] < 0 ? -1 : 0;
    }
    if (t->value_case == CMLPB__MIL__TENSOR_VALUE__VALUE_INTS && t->ints->n_values == 1) {
        *out = (uint64_t)(int64_t)t->ints->values[0];
        return t->ints->values[0] < 0 ? -1 : 0;
    }
    if (t->value_case == CMLPB__MIL__TENSOR_VALUE__VALUE_BYTES && d->bits >= 8 &&
        t->bytes->values.len == d->bits / 8) {
        uint64_t x = 0;
        for (size_t i = 0; i < d->bits / 8; i++) x |= (uint64_t)t->bytes->values.data[i] << (8 * i);
        if (d->is_signed && (x >> (d->bits - 1))) return -1;
        *out = x;
        return 0;
    }
    return -1;
}

/* BLOBFILE(path = string("@model_path/weights/weight.bin"), offset = uint64(64))
 * SOURCE: coremltools/test/blob/test_weights.py and
 * coremltools/converters/mil/backend/mil/test_load.py (both spellings). */
static void blobfile(parser *p, Cmlpb__Mil__Value *v) {
    Cmlpb__Mil__Value__BlobFileValue *bf;
    int have_path = 0, have_off = 0;
    NEWMSG(p, bf, cmlpb__mil__value__blob_file_value__init);
    adv(p);   /* BLOBFILE */
    expect(p, T_LP, "after BLOBFILE");
    do {
        tok kt = p->t;
        int is_path = is_word(p, "path"), is_off = is_word(p, "offset");
        if (!is_path && !is_off) fail_expected(p, "'path' or 'offset'", "in BLOBFILE(...)");
        adv(p);
        expect(p, T_EQ, "after the BLOBFILE key");
        tok vtok = p->t;
        Cmlpb__Mil__Value *kv = typed_value(p);
        if (is_path) {
            const Cmlpb__Mil__TensorValue *t =
                kv->value_case == CMLPB__MIL__VALUE__VALUE_IMMEDIATE_VALUE &&
                        kv->immediatevalue->value_case == CMLPB__MIL__VALUE__IMMEDIATE_VALUE__VALUE_TENSOR
                    ? kv->immediatevalue->tensor : NULL;
            if (!t || t->value_case != CMLPB__MIL__TENSOR_VALUE__VALUE_STRINGS || t->strings->n_values != 1)
                fail_at(p, &vtok, "BLOBFILE path must be one string");
            bf->filename = t->strings->values[0];
            if (have_path) fail_at(p, &kt, "BLOBFILE path given twice");
            have_path = 1;
        } else {
            if (value_u64(kv, &bf->offset) != 0)
                fail_at(p, &vtok, "BLOBFILE offset must be one non-negative integer");
            if (have_off) fail_at(p, &kt, "BLOBFILE offset given twice");
            have_off = 1;
        }
    } while (accept(p, T_COMMA));
    expect(p, T_RP, "to close BLOBFILE(...)");
    if (!have_path || !have_off) fail_at(p, &p->t, "BLOBFILE needs both path and offset");
    v->value_case = CMLPB__MIL__VALUE__VALUE_BLOB_FILE_VALUE, v->blobfilevalue = bf;
}

/* The literal for a value of type vt (what sits inside `type( ... )`, and the
 * bare elements of dict/list/tuple literals). */
static Cmlpb__Mil__Value *literal(parser *p, Cmlpb__Mil__ValueType *vt) {
    Cmlpb__Mil__Value *v;
    NEWMSG(p, v, cmlpb__mil__value__init);
    v->type = vt;
    enter(p);
    switch (vt->type_case) {
    case CMLPB__MIL__VALUE_TYPE__TYPE_TENSOR_TYPE: {
        if (is_word(p, "BLOBFILE")) {
            blobfile(p, v);
            break;
        }
        const dtinfo *d = dtype_by_enum(vt->tensortype->datatype);
        Cmlpb__Mil__Value__ImmediateValue *iv = immediate(p, v);
        iv->value_case = CMLPB__MIL__VALUE__IMMEDIATE_VALUE__VALUE_TENSOR;
        iv->tensor = tensor_value(p, d);
        break;
    }
    case CMLPB__MIL__VALUE_TYPE__TYPE_DICTIONARY_TYPE: {
        /* {{k, v}, {k, v}} — SOURCE: buildInfo line of
         * coremltools/modelrunner/ModelRunner/add_model.mlmodelc/model.mil */
        Cmlpb__Mil__DictionaryValue *dv;
        size_t cap = 0;
        NEWMSG(p, dv, cmlpb__mil__dictionary_value__init);
        Cmlpb__Mil__Value__ImmediateValue *iv = immediate(p, v);
        iv->value_case = CMLPB__MIL__VALUE__IMMEDIATE_VALUE__VALUE_DICTIONARY, iv->dictionary = dv;
        expect(p, T_LC, "to start a dict value");
        if (p->t.k != T_RC) {
            do {
                Cmlpb__Mil__DictionaryValue__KeyValuePair *kv;
                NEWMSG(p, kv, cmlpb__mil__dictionary_value__key_value_pair__init);
                expect(p, T_LC, "to start a dict entry");
                kv->key = literal(p, vt->dictionarytype->keytype);
                expect(p, T_COMMA, "between a dict entry's key and value");
                kv->value = literal(p, vt->dictionarytype->valuetype);
                expect(p, T_RC, "to close a dict entry");
                PUSH(p, dv->values, dv->n_values, cap, kv);
            } while (accept(p, T_COMMA));
        }
        expect(p, T_RC, "to close the dict value");
        break;
    }
    case CMLPB__MIL__VALUE_TYPE__TYPE_LIST_TYPE: {
        Cmlpb__Mil__ListValue *lv;
        size_t cap = 0;
        NEWMSG(p, lv, cmlpb__mil__list_value__init);
        Cmlpb__Mil__Value__ImmediateValue *iv = immediate(p, v);
        iv->value_case = CMLPB__MIL__VALUE__IMMEDIATE_VALUE__VALUE_LIST, iv->list = lv;
        expect(p, T_LB, "to start a list value");
        if (p->t.k != T_RB) {
            do PUSH(p, lv->values, lv->n_values, cap, literal(p, vt->listtype->type));
            while (accept(p, T_COMMA));
        }
        expect(p, T_RB, "to close the list value");
        break;
    }
    case CMLPB__MIL__VALUE_TYPE__TYPE_TUPLE_TYPE: {
        Cmlpb__Mil__TupleValue *tv;
        const Cmlpb__Mil__TupleType *tt = vt->tupletype;
        size_t cap = 0;
        NEWMSG(p, tv, cmlpb__mil__tuple_value__init);
        Cmlpb__Mil__Value__ImmediateValue *iv = immediate(p, v);
        iv->value_case = CMLPB__MIL__VALUE__IMMEDIATE_VALUE__VALUE_TUPLE, iv->tuple = tv;
        expect(p, T_LP, "to start a tuple value");
        for (size_t i = 0; i < tt->n_types; i++) {
            if (i) expect(p, T_COMMA, "between tuple elements");
            PUSH(p, tv->values, tv->n_values, cap, literal(p, tt->types[i]));
        }
        expect(p, T_RP, "to close the tuple value");
        break;
    }
    default:
        fail_at(p, &p->t, "a value of this type cannot be written inline");
    }
    leave(p);
    return v;
}

/* type(literal): `int32(1)`, `tensor<fp16, [2]>([0x1p0, 0x1p1])`, ... */
static Cmlpb__Mil__Value *typed_value(parser *p) {
    enter(p);
    Cmlpb__Mil__ValueType *vt = value_type(p);
    expect(p, T_LP, "after the value's type");
    Cmlpb__Mil__Value *v = literal(p, vt);
    expect(p, T_RP, "to close the value");
    leave(p);
    return v;
}

/* ---- attributes, arguments, names --------------------------------------- */

typedef struct attrvec {
    size_t n, cap;
    char **keys;
    Cmlpb__Mil__Value **vals;
} attrvec;

/* [key = value, ...] — the lookahead is '['. */
static void attributes(parser *p, attrvec *av) {
    size_t kcap = 0, vcap = 0, nk = 0;
    expect(p, T_LB, NULL);
    if (p->t.k != T_RB) {
        do {
            PUSH(p, av->keys, nk, kcap, ident(p, "an attribute name"));
            expect(p, T_EQ, "after the attribute name");
            PUSH(p, av->vals, av->n, vcap, typed_value(p));
        } while (accept(p, T_COMMA));
    }
    expect(p, T_RB, "after the attributes");
}

/* Build a protobuf-c map (array of entries with key/value) from an attrvec. */
#define ATTR_MAP(p, av, EntryT, initfn, arr, cnt)                               \
    do {                                                                        \
        (cnt) = (av).n;                                                         \
        (arr) = (av).n ? palloc((p), (av).n * sizeof *(arr)) : NULL;            \
        for (size_t i_ = 0; i_ < (av).n; i_++) {                                \
            EntryT *e_;                                                         \
            NEWMSG((p), e_, initfn);                                            \
            e_->key = (av).keys[i_], e_->value = (av).vals[i_];                 \
            (arr)[i_] = e_;                                                     \
        }                                                                       \
    } while (0)

static Cmlpb__Mil__Argument__Binding *binding(parser *p) {
    Cmlpb__Mil__Argument__Binding *b;
    NEWMSG(p, b, cmlpb__mil__argument__binding__init);
    tkind k2 = p->t.k == T_IDENT ? peek2(p) : T_EOF;
    if (starts_type(p) && (k2 == T_LP || k2 == T_LT)) {
        b->binding_case = CMLPB__MIL__ARGUMENT__BINDING__BINDING_VALUE;
        b->value = typed_value(p);
    } else if (p->t.k == T_IDENT) {
        b->binding_case = CMLPB__MIL__ARGUMENT__BINDING__BINDING_NAME;
        b->name = ident(p, "a name");
    } else {
        fail_expected(p, "a name or a value", "as an argument");
    }
    return b;
}

/* name = binding | name = (binding, binding, ...) */
static Cmlpb__Mil__Operation__InputsEntry *argument(parser *p) {
    Cmlpb__Mil__Operation__InputsEntry *e;
    Cmlpb__Mil__Argument *arg;
    size_t cap = 0;
    NEWMSG(p, e, cmlpb__mil__operation__inputs_entry__init);
    NEWMSG(p, arg, cmlpb__mil__argument__init);
    e->key = ident(p, "an argument name");
    e->value = arg;
    expect(p, T_EQ, "after the argument name");
    if (accept(p, T_LP)) {
        enter(p);
        if (p->t.k != T_RP) {
            do PUSH(p, arg->arguments, arg->n_arguments, cap, binding(p));
            while (accept(p, T_COMMA));
        }
        expect(p, T_RP, "to close the argument list");
        leave(p);
    } else {
        PUSH(p, arg->arguments, arg->n_arguments, cap, binding(p));
    }
    return e;
}

static void record_pos(parser *p, const void *key, const tok *t) {
    if (!p->pos) return;
    mil_pos mp = {key, t->line, t->col};
    PUSH(p, p->pos->items, p->pos->n, p->pos->cap, mp);
}

/* type name */
static Cmlpb__Mil__NamedValueType *typed_name(parser *p, int record) {
    tok at = p->t;
    Cmlpb__Mil__NamedValueType *nv;
    NEWMSG(p, nv, cmlpb__mil__named_value_type__init);
    nv->type = value_type(p);
    nv->name = ident(p, "a name after the type");
    if (record) record_pos(p, nv, &at);
    return nv;
}

/* (type name, type name, ...) — the lookahead is '('. */
static void typed_names(parser *p, Cmlpb__Mil__NamedValueType ***arr, size_t *n, int record,
                        const char *context) {
    size_t cap = 0;
    expect(p, T_LP, NULL);
    if (p->t.k != T_RP) {
        do PUSH(p, *arr, *n, cap, typed_name(p, record));
        while (accept(p, T_COMMA));
    }
    expect(p, T_RP, context);
}

/* -> (name, name, ...) */
static void block_outputs(parser *p, Cmlpb__Mil__Block *b) {
    size_t cap = 0;
    expect(p, T_ARROW, "after the block");
    expect(p, T_LP, "after '->'");
    if (p->t.k != T_RP) {
        do PUSH(p, b->outputs, b->n_outputs, cap, ident(p, "an output name"));
        while (accept(p, T_COMMA));
    }
    expect(p, T_RP, "after the block outputs");
}

/* ---- operations and blocks ---------------------------------------------- */

static void block_body(parser *p, Cmlpb__Mil__Block *b);

/* outputs = type(args)[attrs] blocks ;
 * outputs: `T a` | `T a, T b` | `(T a, T b)` | nothing (an op without
 * results, e.g. write_state). SOURCE: `T a = op(x = x)[name = ...]` from
 * add_model.mlmodelc/model.mil; the comma list for multi-output ops (split)
 * is how coremlc-written model.mil files seen in public repositories spell
 * it; the parenthesized tuple is accepted as an alternative. No Apple sample
 * shows nested blocks, so their spelling here — `(T i, ...) { ops } -> (outs)`
 * groups after the attributes, one per block — is this parser's own, shared
 * with tests/fixtures/milprint.c. */
static Cmlpb__Mil__Operation *operation(parser *p) {
    tok at = p->t;
    Cmlpb__Mil__Operation *op;
    size_t ocap = 0, icap = 0, bcap = 0;
    NEWMSG(p, op, cmlpb__mil__operation__init);
    if (p->t.k == T_LP) {
        typed_names(p, &op->outputs, &op->n_outputs, 0, "after the operation's outputs");
        expect(p, T_EQ, "after the operation's outputs");
    } else if (!(p->t.k == T_IDENT && peek2(p) == T_LP)) {
        do PUSH(p, op->outputs, op->n_outputs, ocap, typed_name(p, 0));
        while (accept(p, T_COMMA));
        expect(p, T_EQ, "after the operation's outputs");
    }
    op->type = ident(p, "an operation type");
    expect(p, T_LP, "after the operation type");
    if (p->t.k != T_RP) {
        do PUSH(p, op->inputs, op->n_inputs, icap, argument(p));
        while (accept(p, T_COMMA));
    }
    expect(p, T_RP, "after argument list");
    if (p->t.k == T_LB) {
        attrvec av = {0, 0, NULL, NULL};
        attributes(p, &av);
        ATTR_MAP(p, av, Cmlpb__Mil__Operation__AttributesEntry,
                 cmlpb__mil__operation__attributes_entry__init, op->attributes, op->n_attributes);
    }
    /* nested blocks (cond, while_loop): [(T a, ...)] { ops } -> (outs) */
    while (p->t.k == T_LP || p->t.k == T_LC) {
        Cmlpb__Mil__Block *b;
        NEWMSG(p, b, cmlpb__mil__block__init);
        if (p->t.k == T_LP) typed_names(p, &b->inputs, &b->n_inputs, 0, "after the block inputs");
        block_body(p, b);
        PUSH(p, op->blocks, op->n_blocks, bcap, b);
    }
    expect(p, T_SEMI, "after the operation");
    record_pos(p, op, &at);
    return op;
}

/* { ops } -> (outs) */
static void block_body(parser *p, Cmlpb__Mil__Block *b) {
    size_t cap = 0;
    enter(p);
    expect(p, T_LC, "to start a block");
    while (p->t.k != T_RC) {
        if (p->t.k == T_EOF) fail_expected(p, "'}'", "to close the block");
        PUSH(p, b->operations, b->n_operations, cap, operation(p));
    }
    adv(p);
    block_outputs(p, b);
    leave(p);
}

/* ---- functions and program ---------------------------------------------- */

/* `func main<ios16>` names opsets by the iOS release that introduced them;
 * the protobuf uses CoreMLn (coreml_facts.h: iOS 16 is the first release of
 * specification 7, whose opset is CoreML6). SOURCE: the `main<ios16>` line
 * of coremltools/modelrunner/ModelRunner/add_model.mlmodelc/model.mil.
 * Other spellings (CoreML8, ios19, ...) are kept as written. */
static char *opset_name(parser *p, char *text) {
    cml_platform plat;
    uint32_t ver;
    if (strncmp(text, "ios", 3) != 0 || !cml_target_parse(text, &plat, &ver) || plat != CML_PLATFORM_IOS)
        return text;
    int spec = cml_max_spec_for(plat, ver);
    const char *opset = spec >= 6 && cml_spec_min_os(spec, plat) == ver ? cml_spec_opset(spec) : NULL;
    if (!opset) return text;
    char *s = arena_strdup(p->a, opset);
    if (!s) oom(p);
    return s;
}

typedef struct progbuild {
    Cmlpb__Mil__Program *prog;
    size_t fcap;
} progbuild;

/* func name<opset>(inputs) [attrs] { ops } -> (outs);
 * A second `func` with the same name and another opset adds a block
 * specialization to the first. */
static void function(parser *p, progbuild *pb) {
    tok at = p->t;
    Cmlpb__Mil__Function *fn;
    Cmlpb__Mil__Block *b;
    adv(p);   /* func */
    tok name_tok = p->t;
    char *name = ident(p, "a function name");
    char *opset = (char *)protobuf_c_empty_string;
    if (accept(p, T_LT)) {
        opset = opset_name(p, ident(p, "an opset name"));
        expect(p, T_GT, "after the opset name");
    }
    NEWMSG(p, fn, cmlpb__mil__function__init);
    NEWMSG(p, b, cmlpb__mil__block__init);
    fn->opset = opset;
    if (p->t.k != T_LP) fail_expected(p, "'('", "to start the function inputs");
    typed_names(p, &fn->inputs, &fn->n_inputs, 1, "after the function inputs");
    if (p->t.k == T_LB) {
        attrvec av = {0, 0, NULL, NULL};
        attributes(p, &av);
        ATTR_MAP(p, av, Cmlpb__Mil__Function__AttributesEntry,
                 cmlpb__mil__function__attributes_entry__init, fn->attributes, fn->n_attributes);
    }
    block_body(p, b);
    expect(p, T_SEMI, "after the function");

    Cmlpb__Mil__Program *prog = pb->prog;
    Cmlpb__Mil__Function *target = fn;
    for (size_t i = 0; i < prog->n_functions; i++) {
        if (strcmp(prog->functions[i]->key, name) != 0) continue;
        target = prog->functions[i]->value;
        if (target->n_block_specializations >= MIL_MAX_SPECIALIZATIONS)
            fail_at(p, &name_tok, "function '%s' is specialized for more than %d opsets", name,
                    MIL_MAX_SPECIALIZATIONS);
        for (size_t j = 0; j < target->n_block_specializations; j++)
            if (strcmp(target->block_specializations[j]->key, opset) == 0)
                fail_at(p, &name_tok, "function '%s' defined twice for opset '%s'", name, opset);
        break;
    }
    if (target == fn && prog->n_functions >= MIL_MAX_FUNCTIONS)
        fail_at(p, &name_tok, "the program defines more than %d functions", MIL_MAX_FUNCTIONS);
    Cmlpb__Mil__Function__BlockSpecializationsEntry *bs;
    NEWMSG(p, bs, cmlpb__mil__function__block_specializations_entry__init);
    bs->key = opset, bs->value = b;
    size_t bcap = target->n_block_specializations;   /* exact-size arrays: grow() copies */
    PUSH(p, target->block_specializations, target->n_block_specializations, bcap, bs);
    if (target == fn) {
        Cmlpb__Mil__Program__FunctionsEntry *fe;
        NEWMSG(p, fe, cmlpb__mil__program__functions_entry__init);
        fe->key = name, fe->value = fn;
        PUSH(p, prog->functions, prog->n_functions, pb->fcap, fe);
        record_pos(p, fn, &at);
    }
}

/* program(1.0) [attrs] { funcs } */
static void program(parser *p, progbuild *pb) {
    if (!is_word(p, "program")) fail_expected(p, "'program'", "at the start of model.mil");
    adv(p);
    expect(p, T_LP, "after 'program'");
    tok vt = p->t;
    if (vt.k != T_NUM) fail_expected(p, "a version number", "in program(...)");
    {
        /* SOURCE: the `program(1.0)` line of add_model.mlmodelc/model.mil;
         * Program.version holds the major number (1). */
        size_t j = 0;
        uint64_t v = 0;
        while (j < vt.len && is_digit((unsigned char)p->s[vt.off + j])) {
            if (v > 1000000) fail_at(p, &vt, "program version out of range");
            v = v * 10 + (uint64_t)(p->s[vt.off + j++] - '0');
        }
        for (size_t k = j; k < vt.len; k++)
            if (!(k == j && p->s[vt.off + k] == '.') && !is_digit((unsigned char)p->s[vt.off + k]))
                fail_at(p, &vt, "malformed program version");
        if (j == 0) fail_at(p, &vt, "malformed program version");
        pb->prog->version = (int64_t)v;
    }
    adv(p);
    expect(p, T_RP, "after the program version");
    if (p->t.k == T_LB) {
        attrvec av = {0, 0, NULL, NULL};
        attributes(p, &av);
        ATTR_MAP(p, av, Cmlpb__Mil__Program__AttributesEntry,
                 cmlpb__mil__program__attributes_entry__init, pb->prog->attributes,
                 pb->prog->n_attributes);
    }
    expect(p, T_LC, "to start the program body");
    while (!accept(p, T_RC)) {
        if (!is_word(p, "func")) fail_expected(p, "'func' or '}'", "in the program body");
        function(p, pb);
    }
    if (p->t.k != T_EOF) fail_expected(p, "end of input", "after the program");
}

/* setjmp lives here, so nothing it could clobber is local to this frame. */
static Cmlpb__Mil__Program *run(parser *p, progbuild *pb) {
    if (setjmp(p->jb)) return NULL;
    pb->prog = arena_alloc(p->a, sizeof *pb->prog);
    if (!pb->prog) oom(p);
    cmlpb__mil__program__init(pb->prog);
    adv(p);
    program(p, pb);
    return pb->prog;
}

static int cmp_pos(const void *x, const void *y) {
    uintptr_t a = (uintptr_t)((const mil_pos *)x)->key, b = (uintptr_t)((const mil_pos *)y)->key;
    return a < b ? -1 : a > b;
}

Cmlpb__Mil__Program *miltext_parse(const char *text, size_t len, const char *artifact, arena *a,
                                   mil_postab *pos, diag_list *dl) {
    parser P;
    progbuild pb = {NULL, 0};
    memset(&P, 0, sizeof P);
    P.s = text ? text : "";
    P.len = text ? len : 0;
    P.line = P.col = 1;
    P.a = a, P.dl = dl, P.pos = pos;
    P.artifact = artifact ? artifact : "model.mil";
    size_t pos_n0 = pos ? pos->n : 0;
    Cmlpb__Mil__Program *prog = run(&P, &pb);
    if (!pos) return prog;
    if (!prog) {
        pos->n = pos_n0;
        return NULL;
    }
    /* lookup index for miltext_pos */
    mil_pos *sorted = pos->n ? arena_calloc(a, pos->n, sizeof *sorted) : NULL;
    if (sorted) {
        memcpy(sorted, pos->items, pos->n * sizeof *sorted);
        qsort(sorted, pos->n, sizeof *sorted, cmp_pos);
    }
    pos->sorted = sorted;
    pos->n_sorted = sorted ? pos->n : 0;
    return prog;
}

mil_pos miltext_pos(const mil_postab *pos, const void *key) {
    mil_pos none = {key, 0, 0};
    if (!pos || !key) return none;
    if (pos->sorted && pos->n_sorted == pos->n) {
        size_t lo = 0, hi = pos->n_sorted;
        uintptr_t k = (uintptr_t)key;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            uintptr_t m = (uintptr_t)pos->sorted[mid].key;
            if (m == k) return pos->sorted[mid];
            if (m < k) lo = mid + 1;
            else hi = mid;
        }
        return none;
    }
    for (size_t i = 0; i < pos->n; i++)
        if (pos->items[i].key == key) return pos->items[i];
    return none;
}
