/* SPDX-License-Identifier: Apache-2.0 */
/* nesting.c — the JSON nesting scan (see nesting.h). */
#include "format/nesting.h"

unsigned json_nesting(const char *text, size_t len, unsigned max, size_t *at) {
    unsigned depth = 0;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (c == '"') {
            for (i++; i < len && text[i] != '"'; i++)
                if (text[i] == '\\') i++;
        } else if (c == '[' || c == '{') {
            if (++depth > max) {
                if (at) *at = i;
                return max + 1;
            }
        } else if ((c == ']' || c == '}') && depth) {
            depth--;
        }
    }
    return 0;
}

size_t json_values(const char *text, size_t len) {
    size_t n = 1;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (c == '"') {
            for (i++; i < len && text[i] != '"'; i++)
                if (text[i] == '\\') i++;
        } else if (c == '[' || c == '{' || c == ',') {
            n++;
        }
    }
    return n;
}
