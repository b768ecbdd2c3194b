/* SPDX-License-Identifier: Apache-2.0 */
/* test_sanitize.c — the one sanitizer (core/format/sanitize.c): UTF-8
 * repair, the one-line form for terminals and CI logs (controls, escapes,
 * invisible characters, "##[" anywhere, "::" at a line start), the github
 * form that keeps CR/LF for its own escaping, the per-line document form,
 * and the post-filter over printed JSON. */
#include <cjson/cJSON.h>

#include "check.h"
#include "format/sanitize.h"

static void check_san(const char *in, san_mode m, const char *want) {
    char *got = san_str(in, m);
    CHECK_STR(got, want);
    free(got);
}

static void test_utf8(void) {
    uint32_t cp = 0;
    CHECK_INT(san_utf8_seq((const unsigned char *)"\xc3\xa9", 2, &cp), 2);
    CHECK_INT(cp, 0xE9);
    CHECK_INT(san_utf8_seq((const unsigned char *)"\xf0\x9f\x98\x80", 4, &cp), 4);
    CHECK_INT(cp, 0x1F600);
    CHECK_INT(san_utf8_seq((const unsigned char *)"\xc0\x80", 2, &cp), 0);          /* overlong NUL */
    CHECK_INT(san_utf8_seq((const unsigned char *)"\xed\xa0\x80", 3, &cp), 0);      /* surrogate */
    CHECK_INT(san_utf8_seq((const unsigned char *)"\xf4\x90\x80\x80", 4, &cp), 0);  /* > U+10FFFF */
    CHECK_INT(san_utf8_seq((const unsigned char *)"\xe2\x82", 2, &cp), 0);          /* truncated */
    CHECK(san_utf8_valid("plain \xc3\xa9", 8));
    CHECK(!san_utf8_valid("\xff", 1));
    check_san("a\xff" "b\xc0\x80", SAN_UTF8, "a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd");
    /* SAN_UTF8 leaves controls to the serializer */
    check_san("a\nb\x1b", SAN_UTF8, "a\nb\x1b");
}

static void test_line(void) {
    check_san("plain text", SAN_LINE, "plain text");
    check_san("", SAN_LINE, "");
    check_san(NULL, SAN_LINE, "");
    /* controls, DEL and C1 become spaces: nothing a terminal acts on */
    check_san("a\x1b[31mb\x07" "c\rd\ne\tf\x7fg\xc2\x9bh", SAN_LINE, "a [31mb c d e f g h");
    /* invisible and bidi characters too (they hide or reorder text) */
    check_san("x\xe2\x80\xaey\xe2\x80\x8bz\xc2\xad!", SAN_LINE, "x y z !");
    /* a workflow command at the start of a line, however it hides */
    check_san("::error::x", SAN_LINE, ": :error::x");
    check_san("  ::warning::x", SAN_LINE, "  : :warning::x");
    check_san("\xc2\xa0\xe2\x80\x8b::notice::x", SAN_LINE, "  : :notice::x");
    check_san("\n::add-mask::s", SAN_LINE, " : :add-mask::s");
    /* format characters that are not default-ignorable: U+0890 (a
     * prepended concatenation mark) and U+13430 (an Egyptian format control) */
    check_san("\xe0\xa2\x90::error::x", SAN_LINE, " : :error::x");
    check_san("\xf0\x93\x90\xb0::error::x y\xf0\x93\x90\xbfz", SAN_LINE, " : :error::x y z");
    /* inside a line "::" is harmless and kept */
    check_san("a::b", SAN_LINE, "a::b");
    /* the legacy form is recognised anywhere: always broken */
    check_san("x ##[error]y ##[set-output name=a]b", SAN_LINE, "x ## [error]y ## [set-output name=a]b");
    check_san("#\xc2\xad#[error]", SAN_LINE, "# #[error]");
    /* invalid UTF-8 */
    check_san("\xff::x", SAN_LINE, "\xef\xbf\xbd::x");
}

static void test_lines_and_text(void) {
    /* github: CR, LF and TAB stay for the writer's %0D/%0A escaping */
    check_san("a\r\nb\tc\x1b" "d##[x]", SAN_LINES, "a\r\nb\tc d## [x]");
    /* documents: each line is a line */
    check_san("one\n::error::two\n  ::x\nfour\r", SAN_TEXT, "one\n: :error::two\n  : :x\nfour ");
    check_san("::a\n::b\n::c", SAN_TEXT, ": :a\n: :b\n: :c");
}

static void test_buf(void) {
    char b[8];
    CHECK_STR(san_buf(b, sizeof b, "abc\x1b", SAN_LINE), "abc ");
    /* cut at a character boundary: 3 x 3-byte replacement characters */
    CHECK_STR(san_buf(b, sizeof b, "\xff\xff\xff", SAN_LINE), "\xef\xbf\xbd\xef\xbf\xbd");
}

static void test_json(void) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "k", "bad \xff utf8, ##[error]x, \xc2\x9b" "31m \xe2\x80\xae \x1b and \xf3\xa0\x80\x81");
    char *txt = cJSON_Print(o);
    char *safe = san_json(txt);
    CHECK(safe != NULL);
    CHECK(safe && !strstr(safe, "##["));
    CHECK(safe && san_utf8_valid(safe, strlen(safe)));
    for (const char *p = safe; p && *p; p++) CHECK((unsigned char)*p < 0x80);   /* all escaped to ASCII */
    cJSON *back = safe ? cJSON_Parse(safe) : NULL;
    CHECK(back != NULL);
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(back, "k");
    CHECK(cJSON_IsString(k));
    /* the same text, with U+FFFD for the bad byte */
    if (cJSON_IsString(k))
        CHECK_STR(k->valuestring,
                  "bad \xef\xbf\xbd utf8, ##[error]x, \xc2\x9b" "31m \xe2\x80\xae \x1b and \xf3\xa0\x80\x81");
    cJSON_Delete(back);
    cJSON_Delete(o);
    free(txt);
    free(safe);
}

int main(void) {
    RUN(test_utf8);
    RUN(test_line);
    RUN(test_lines_and_text);
    RUN(test_buf);
    RUN(test_json);
    return CHECK_DONE();
}
