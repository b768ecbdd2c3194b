/* SPDX-License-Identifier: Apache-2.0 */
/* test_coreml_facts.c — the public version-fact table
 * (include/coreml-lint/coreml_facts.h): deployment-target parsing and
 * cml_max_spec_for (iOS 17.3 -> 8, visionOS 2 -> 9, unknown platforms), the
 * spec -> OS table (monotonic, round trip through max_spec_for), opset <->
 * spec mapping, and the ML Program op table (sorted for binary search,
 * opsets in range, first/last/special entries, ops of later opsets). The
 * expected values restate shared/research/rules-knowledge.md §1.1-§1.4. */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "coreml-lint/coreml_facts.h"

static void test_targets(void) {
    static const struct { const char *t; int spec; } cases[] = {
        {"iOS16", 7},         {"iOS16.0", 7},      {"iOS17", 8},        {"iOS17.3", 8},
        {"iOS17.4", 8},       {"iOS18", 9},        {"iOS18.2", 9},      {"iOS26", 10},
        {"iOS27", 10},        {"iOS15", 6},        {"iOS14.5", 5},      {"iOS13", 4},
        {"iOS12", 3},         {"iOS11.2", 2},      {"iOS11.1", 1},      {"iOS11", 1},
        {"iOS10", 0},         {"ios16", 7},        {"IOS17", 8},        {"macOS10.13", 1},
        {"macOS10.13.2", 2},  {"macOS10.14", 3},   {"macOS10.15", 4},   {"macOS10_15", 4},
        {"macOS11", 5},       {"macOS12", 6},      {"macOS13", 7},      {"macOS14", 8},
        {"macOS15", 9},       {"macOS26", 10},     {"watchOS4", 1},     {"watchOS9", 7},
        {"watchOS10", 8},     {"watchOS11", 9},    {"watchOS26", 10},   {"tvOS16", 7},
        {"tvOS17.1", 8},      {"tvOS18", 9},       {"visionOS1", 8},    {"visionOS1.2", 8},
        {"visionOS2", 9},     {"visionOS2.4", 9},  {"visionOS26", 10},
        /* not targets */
        {"androidOS5", -1},   {"iOS", -1},         {"iOS16.", -1},      {"iOS.16", -1},
        {"iOS16.1.2.3", -1},  {"iOS1234", -1},     {"iOS16beta", -1},   {"", -1},
        {"macCatalyst16", -1}, {" iOS16", -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int got = cml_max_spec_for_target(cases[i].t);
        if (got != cases[i].spec)
            fprintf(stderr, "  target '%s': max spec %d, expected %d\n", cases[i].t, got, cases[i].spec);
        CHECK_INT(got, cases[i].spec);
    }
    CHECK_INT(cml_max_spec_for_target(NULL), -1);
    cml_platform p = CML_PLATFORM_UNKNOWN;
    uint32_t v = 0;
    CHECK(cml_target_parse("iOS17.4", &p, &v));
    CHECK_INT(p, CML_PLATFORM_IOS);
    CHECK_INT(v, CML_OSVER(17, 4, 0));
    CHECK(cml_target_parse("macOS10.13.2", &p, &v));
    CHECK_INT(p, CML_PLATFORM_MACOS);
    CHECK_INT(v, CML_OSVER(10, 13, 2));
    CHECK(cml_target_parse("visionOS2", &p, &v));
    CHECK_INT(p, CML_PLATFORM_VISIONOS);
    CHECK(!cml_target_parse("fooOS1", &p, &v));
    CHECK_INT(cml_max_spec_for(CML_PLATFORM_UNKNOWN, CML_OSVER(16, 0, 0)), -1);
    CHECK_INT(cml_max_spec_for((cml_platform)CML_PLATFORM_COUNT_, CML_OSVER(16, 0, 0)), -1);
    CHECK_STR(cml_platform_name(CML_PLATFORM_WATCHOS), "watchOS");
    CHECK_STR(cml_platform_name(CML_PLATFORM_UNKNOWN), "?");
    /* the lower-case key, which the target parser reads back to the same platform */
    for (int pl = 0; pl < CML_PLATFORM_COUNT_; pl++) {
        char t[32];
        cml_platform back = CML_PLATFORM_UNKNOWN;
        snprintf(t, sizeof t, "%s17", cml_platform_key((cml_platform)pl));
        CHECK(cml_target_parse(t, &back, NULL) && back == (cml_platform)pl);
    }
    CHECK_STR(cml_platform_key(CML_PLATFORM_VISIONOS), "visionos");
    CHECK(cml_platform_key(CML_PLATFORM_UNKNOWN) == NULL && cml_platform_key(CML_PLATFORM_COUNT_) == NULL);
    /* a model's min_os entry by platform */
    cml_os_versions mo = {.ios = "16.0", .macos = "13.0", .tvos = "16.0", .watchos = CML_OS_UNAVAILABLE};
    CHECK_STR(cml_min_os_on(&mo, CML_PLATFORM_IOS), "16.0");
    CHECK_STR(cml_min_os_on(&mo, CML_PLATFORM_MACOS), "13.0");
    CHECK_STR(cml_min_os_on(&mo, CML_PLATFORM_WATCHOS), CML_OS_UNAVAILABLE);
    CHECK(cml_min_os_on(&mo, CML_PLATFORM_VISIONOS) == NULL && cml_min_os_on(&mo, CML_PLATFORM_UNKNOWN) == NULL);
}

static void test_spec_os(void) {
    CHECK_INT(cml_spec_min_os(9, CML_PLATFORM_IOS), CML_OSVER(18, 0, 0));
    CHECK_INT(cml_spec_min_os(2, CML_PLATFORM_MACOS), CML_OSVER(10, 13, 2));
    CHECK_INT(cml_spec_min_os(7, CML_PLATFORM_WATCHOS), CML_OSVER(9, 0, 0));
    CHECK_INT(cml_spec_min_os(8, CML_PLATFORM_VISIONOS), CML_OSVER(1, 0, 0));
    CHECK_INT(cml_spec_min_os(10, CML_PLATFORM_TVOS), CML_OSVER(26, 0, 0));
    CHECK_INT(cml_spec_min_os(0, CML_PLATFORM_IOS), 0);
    CHECK_INT(cml_spec_min_os(11, CML_PLATFORM_IOS), 0);
    CHECK_INT(cml_spec_min_os(7, CML_PLATFORM_UNKNOWN), 0);
    for (int p = 0; p < CML_PLATFORM_COUNT_; p++) {
        for (int s = CML_SPEC_OLDEST; s <= CML_SPEC_NEWEST; s++) {
            uint32_t v = cml_spec_min_os(s, (cml_platform)p);
            CHECK(v != 0);
            if (s > CML_SPEC_OLDEST) CHECK(v >= cml_spec_min_os(s - 1, (cml_platform)p));
            /* the first release of spec s loads s (or a later spec first
             * shipped with the same release) */
            CHECK(cml_max_spec_for((cml_platform)p, v) >= s);
            if (v > CML_OSVER(1, 0, 0)) CHECK(cml_max_spec_for((cml_platform)p, v - 1) < s);
        }
    }
    char buf[32];
    cml_osver_format(CML_OSVER(10, 13, 2), buf, sizeof buf);
    CHECK_STR(buf, "10.13.2");
    cml_osver_format(CML_OSVER(16, 0, 0), buf, sizeof buf);
    CHECK_STR(buf, "16.0");
    cml_osver_format(CML_OSVER(17, 4, 0), buf, sizeof buf);
    CHECK_STR(buf, "17.4");
    uint32_t v = 0;
    CHECK(cml_osver_parse("17.0", &v));
    CHECK_INT(v, CML_OSVER(17, 0, 0));
    CHECK(cml_osver_parse("10.13.2", &v));
    CHECK_INT(v, CML_OSVER(10, 13, 2));
    CHECK(!cml_osver_parse("17.x", &v));
    CHECK(!cml_osver_parse("", &v));
    CHECK(!cml_osver_parse(NULL, &v));
}

static void test_opsets(void) {
    CHECK_INT(cml_opset_spec("CoreML5"), 6);
    CHECK_INT(cml_opset_spec("CoreML6"), 7);
    CHECK_INT(cml_opset_spec("CoreML7"), 8);
    CHECK_INT(cml_opset_spec("CoreML8"), 9);
    CHECK_INT(cml_opset_spec("CoreML9"), 10);
    CHECK_INT(cml_opset_spec("CoreML3"), 4);
    CHECK_INT(cml_opset_spec("CoreML10"), 11);
    CHECK_INT(cml_opset_spec("CoreML"), 0);
    CHECK_INT(cml_opset_spec("coreml6"), 0);
    CHECK_INT(cml_opset_spec("CoreML6x"), 0);
    CHECK_INT(cml_opset_spec("ios16"), 0);
    CHECK_INT(cml_opset_spec(NULL), 0);
    CHECK_INT(cml_opset_number("CoreML8"), 8);
    CHECK_STR(cml_spec_opset(7), "CoreML6");
    CHECK_STR(cml_spec_opset(10), "CoreML9");
    CHECK_STR(cml_spec_opset(4), "CoreML3");
    CHECK(cml_spec_opset(3) == NULL);
    CHECK(cml_spec_opset(11) == NULL);
    for (int s = 4; s <= CML_SPEC_NEWEST; s++) CHECK_INT(cml_opset_spec(cml_spec_opset(s)), s);
}

static void test_ops(void) {
    size_t n = 0;
    const cml_op_fact *t = cml_op_facts(&n);
    CHECK_INT(n, 169); /* 151 CoreML5 + 7 CoreML6 + 3 CoreML7 + 6 CoreML8 + custom_layer + write_state */
    size_t per[9] = {0};
    for (size_t i = 0; i < n; i++) {
        CHECK(t[i].name && *t[i].name);
        CHECK(t[i].since >= CML_OPSET_OLDEST && t[i].since <= 8);
        if (t[i].since <= 8) per[t[i].since]++;
        if (i) {
            if (strcmp(t[i - 1].name, t[i].name) >= 0)
                fprintf(stderr, "  op table not sorted at '%s' / '%s'\n", t[i - 1].name, t[i].name);
            CHECK(strcmp(t[i - 1].name, t[i].name) < 0);
        }
        /* every entry is found by the binary search */
        CHECK(cml_op_lookup(t[i].name) == &t[i]);
    }
    CHECK_INT(per[5], 152); /* + custom_layer */
    CHECK_INT(per[6], 7);
    CHECK_INT(per[7], 3);
    CHECK_INT(per[8], 7);   /* + write_state */

    CHECK_INT(cml_op_first_opset("abs"), 5);
    CHECK_INT(cml_op_first_opset("conv"), 5);
    CHECK_INT(cml_op_first_opset("const"), 5);
    CHECK_INT(cml_op_first_opset("classify"), 5);
    CHECK_INT(cml_op_first_opset("constexpr_affine_dequantize"), 6);
    CHECK_INT(cml_op_first_opset("pixel_unshuffle"), 6);
    CHECK_INT(cml_op_first_opset("quantize"), 7);
    CHECK_INT(cml_op_first_opset("resize"), 7);
    CHECK_INT(cml_op_first_opset("constexpr_blockwise_shift_scale"), 8);
    CHECK_INT(cml_op_first_opset("scaled_dot_product_attention"), 8);
    CHECK_INT(cml_op_first_opset("read_state"), 8);
    CHECK_INT(cml_op_first_opset("write_state"), 8);
    CHECK_INT(cml_op_first_opset("while_loop"), 5);
    CHECK_INT(cml_op_first_opset("frobnicate"), 0);
    CHECK_INT(cml_op_first_opset("coreml_update_state"), 0); /* serialized as write_state + read_state */
    CHECK_INT(cml_op_first_opset("_const_symbolic"), 0);
    CHECK_INT(cml_op_first_opset(""), 0);
    CHECK_INT(cml_op_first_opset(NULL), 0);
    CHECK_INT(cml_op_first_opset("Conv"), 0);
    const cml_op_fact *f = cml_op_lookup("custom_layer");
    CHECK(f && f->since == 5 && (f->flags & CML_OPF_SERIALIZED));
    f = cml_op_lookup("write_state");
    CHECK(f && (f->flags & CML_OPF_SERIALIZED));
    f = cml_op_lookup("constexpr_lut_to_dense");
    CHECK(f && f->since == 6 && (f->flags & CML_OPF_REV8) && !(f->flags & CML_OPF_SERIALIZED));
    f = cml_op_lookup("crop_resize");
    CHECK(f && (f->flags & CML_OPF_REV6) && (f->flags & CML_OPF_REV7));
    CHECK(cml_op_in_opset("read_state", 8));
    CHECK(cml_op_in_opset("read_state", 9));
    CHECK(!cml_op_in_opset("read_state", 7));
    CHECK(cml_op_in_opset("relu", 5));
    CHECK(!cml_op_in_opset("frobnicate", 9));
}

/* model types some platform lacks at every release */
static void test_unavailable(void) {
    CHECK(cml_model_type_unavailable("visionFeaturePrint", CML_PLATFORM_WATCHOS));
    CHECK(!cml_model_type_unavailable("visionFeaturePrint", CML_PLATFORM_IOS));
    CHECK(!cml_model_type_unavailable("visionFeaturePrint", CML_PLATFORM_VISIONOS));
    CHECK(!cml_model_type_unavailable("glmClassifier", CML_PLATFORM_WATCHOS));
    CHECK(!cml_model_type_unavailable(NULL, CML_PLATFORM_WATCHOS));
    CHECK_STR(CML_OS_UNAVAILABLE, "unavailable");
}

int main(void) {
    RUN(test_unavailable);
    RUN(test_targets);
    RUN(test_spec_os);
    RUN(test_opsets);
    RUN(test_ops);
    return CHECK_DONE();
}
