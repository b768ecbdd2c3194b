/* SPDX-License-Identifier: Apache-2.0 */
/* nesting.c — the JSON nesting and value scan (see nesting.h). */
#include "format/nesting.h"

unsigned json_scan(const char *text, size_t len, unsigned max, size_t *at, size_t *values) {
    unsigned depth = 0;
    size_t n = 1;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (c == '"') {
            for (i++; i < len && text[i] != '"'; i++)
                if (text[i] == '\\') i++;
        } else if (c == '[' || c == '{') {
            n++;
            if (++depth > max) {
                if (at) *at = i;
                if (values) *values = n;
                return max + 1;
            }
        } else if (c == ']' || c == '}') {
            if (depth) depth--;
        } else if (c == ',' || c == ':') {
            n++;
        }
    }
    if (values) *values = n;
    return 0;
}
