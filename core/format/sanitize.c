/* SPDX-License-Identifier: Apache-2.0 */
/* sanitize.c — the one sanitizer for untrusted text on its way out (see
 * sanitize.h). */
#include "format/sanitize.h"

#include <stdlib.h>
#include <string.h>

size_t san_utf8_seq(const unsigned char *p, size_t left, uint32_t *cp) {
    /* SOURCE: RFC 3629 section 4 (the UTF8-octets grammar): no overlong
     * forms, no surrogates, nothing above U+10FFFF. */
    if (!left) return 0;
    unsigned char c = p[0];
    uint32_t v;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        if (left < 2 || (p[1] & 0xC0) != 0x80) return 0;
        *cp = ((uint32_t)(c & 0x1F) << 6) | (p[1] & 0x3F);
        return 2;
    }
    if (c >= 0xE0 && c <= 0xEF) {
        unsigned char lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        if (left < 3 || p[1] < lo || p[1] > hi || (p[2] & 0xC0) != 0x80) return 0;
        v = ((uint32_t)(c & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
        *cp = v;
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        unsigned char lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        if (left < 4 || p[1] < lo || p[1] > hi || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80) return 0;
        v = ((uint32_t)(c & 0x07) << 18) | ((uint32_t)(p[1] & 0x3F) << 12) | ((uint32_t)(p[2] & 0x3F) << 6) |
            (p[3] & 0x3F);
        *cp = v;
        return 4;
    }
    return 0;
}

void san_line_col(const char *text, size_t off, uint32_t *line, uint32_t *col) {
    uint32_t l = 1, c = 1;
    for (size_t i = 0; i < off; i++) {
        if (text[i] == '\n') l++, c = 1;
        else if (san_cp_start((unsigned char)text[i])) c++;
    }
    *line = l, *col = c;
}

bool san_utf8_valid(const char *s, size_t n) {
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    uint32_t cp;
    while (i < n) {
        size_t k = san_utf8_seq(p + i, n - i, &cp);
        if (!k) return false;
        i += k;
    }
    return true;
}

bool san_is_hidden(uint32_t cp) {
    /* SOURCE: Unicode 15 PropList.txt (White_Space, and
     * Prepended_Concatenation_Mark: 0600..0605, 06DD, 070F, 0890..0891, 08E2,
     * 110BD, 110CD) and DerivedCoreProperties.txt
     * (Default_Ignorable_Code_Point), plus the controls (general category
     * Cc) and the other format characters (Cf: the Egyptian hieroglyph
     * format controls 13430..1343F). */
    if (cp < 0x20 || (cp >= 0x7F && cp <= 0xA0)) return true;   /* C0, DEL, C1, NBSP */
    if (cp < 0xAD) return false;
    switch (cp) {
    case 0x00AD: case 0x034F: case 0x061C: case 0x06DD: case 0x070F: case 0x08E2: case 0x115F: case 0x1160:
    case 0x1680: case 0x17B4: case 0x17B5: case 0x3000: case 0x3164: case 0xFEFF: case 0xFFA0: case 0x110BD:
    case 0x110CD:
        return true;
    default: break;
    }
    return (cp >= 0x0600 && cp <= 0x0605) || (cp >= 0x180B && cp <= 0x180F) || (cp >= 0x2000 && cp <= 0x200F) ||
           (cp >= 0x2028 && cp <= 0x202F) || (cp >= 0x205F && cp <= 0x206F) || (cp >= 0xFE00 && cp <= 0xFE0F) ||
           (cp >= 0xFFF0 && cp <= 0xFFFB) || (cp >= 0x1BCA0 && cp <= 0x1BCA3) ||
           (cp >= 0x1D173 && cp <= 0x1D17A) || (cp >= 0xE0000 && cp <= 0xE0FFF) || (cp >= 0x0890 && cp <= 0x0891) ||
           (cp >= 0x13430 && cp <= 0x1343F);
}

/* Sanitize n bytes of s into out (room for 4 * n + 2 bytes and the NUL);
 * returns the length written. */
static size_t san_into(char *out, const char *s, size_t n, san_mode mode) {
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0, i = 0;
    while (i < n) {
        uint32_t cp;
        size_t k = san_utf8_seq(p + i, n - i, &cp);
        if (!k) {
            memcpy(out + o, "\xEF\xBF\xBD", 3);   /* U+FFFD for each bad byte */
            o += 3;
            i++;
            continue;
        }
        bool keep = (mode == SAN_LINES && (cp == '\r' || cp == '\n' || cp == '\t')) || (mode == SAN_TEXT && cp == '\n');
        if (mode != SAN_UTF8 && san_is_hidden(cp) && !keep) {
            out[o++] = ' ';
        } else if (mode != SAN_UTF8 && cp == '[' && o >= 2 && out[o - 1] == '#' && out[o - 2] == '#') {
            out[o++] = ' ';                      /* "##[": the runner's legacy command prefix */
            out[o++] = '[';
        } else {
            memcpy(out + o, p + i, k);
            o += k;
        }
        i += k;
    }
    out[o] = 0;
    if (mode == SAN_LINE || mode == SAN_TEXT) {
        /* a workflow command's "::" at the start of a line (after spaces,
         * which the runner trims) becomes ": :"; lines only start after LF
         * in SAN_TEXT, and there are at most o / 2 such pairs, so shifting
         * from the end keeps this linear */
        size_t extra = 0;
        for (size_t ls = 0; ls < o;) {
            size_t j = ls;
            while (j < o && out[j] == ' ') j++;
            if (j + 1 < o && out[j] == ':' && out[j + 1] == ':') extra++;
            const char *nl = mode == SAN_TEXT ? memchr(out + ls, '\n', o - ls) : NULL;
            ls = nl ? (size_t)(nl - out) + 1 : o;
        }
        if (extra) {
            size_t r = o, w = o + extra;   /* copy backwards, NUL included */
            out[w] = 0;
            /* find the breaks again from the end: mark line starts first */
            size_t *starts = malloc((extra + 1) * sizeof *starts), k = 0;
            if (!starts) return o;
            for (size_t ls = 0; ls < o;) {
                size_t j = ls;
                while (j < o && out[j] == ' ') j++;
                if (j + 1 < o && out[j] == ':' && out[j + 1] == ':') starts[k++] = j + 1;
                const char *nl = mode == SAN_TEXT ? memchr(out + ls, '\n', o - ls) : NULL;
                ls = nl ? (size_t)(nl - out) + 1 : o;
            }
            while (k > 0) {
                size_t at = starts[--k];   /* a space goes before out[at] */
                size_t len = r - at;
                w -= len;
                memmove(out + w, out + at, len);
                out[--w] = ' ';
                r = at;
            }
            free(starts);
            o += extra;
        }
    }
    return o;
}

char *san_str(const char *s, san_mode mode) {
    if (!s) s = "";
    size_t n = strlen(s);
    char *out = malloc(4 * n + 3);
    if (out) san_into(out, s, n, mode);
    return out;
}

char *san_buf(char *buf, size_t cap, const char *s, san_mode mode) {
    if (!cap) return buf;
    buf[0] = 0;
    char *t = san_str(s, mode);
    if (!t) return buf;
    size_t n = strlen(t);
    if (n >= cap) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)t[n] & 0xC0) == 0x80) n--;   /* not inside a character */
    }
    memcpy(buf, t, n);
    buf[n] = 0;
    free(t);
    return buf;
}

int san_fputs(const char *s, FILE *out) {
    char *t = san_str(s, SAN_LINE);
    if (!t) return EOF;
    int rc = fputs(t, out);
    free(t);
    return rc;
}

static size_t put_u(char *o, uint32_t u) {
    static const char hex[] = "0123456789abcdef";
    o[0] = '\\';
    o[1] = 'u';
    o[2] = hex[(u >> 12) & 15];
    o[3] = hex[(u >> 8) & 15];
    o[4] = hex[(u >> 4) & 15];
    o[5] = hex[u & 15];
    return 6;
}

char *san_json(const char *json) {
    if (!json) json = "";
    size_t n = strlen(json);
    char *out = malloc(6 * n + 1);
    if (!out) return NULL;
    const unsigned char *p = (const unsigned char *)json;
    size_t o = 0, i = 0;
    while (i < n) {
        uint32_t cp;
        size_t k = san_utf8_seq(p + i, n - i, &cp);
        if (!k) {
            o += put_u(out + o, 0xFFFD);
            i++;
            continue;
        }
        if (cp >= 0x7F && san_is_hidden(cp)) {
            /* C0 characters are the printer's own whitespace (it escapes
             * them inside strings) and stay */
            if (cp >= 0x10000) {
                uint32_t v = cp - 0x10000;
                o += put_u(out + o, 0xD800 + (v >> 10));
                o += put_u(out + o, 0xDC00 + (v & 0x3FF));
            } else {
                o += put_u(out + o, cp);
            }
        } else if (cp == '[' && o >= 2 && out[o - 1] == '#' && out[o - 2] == '#') {
            o += put_u(out + o, '[');
        } else {
            memcpy(out + o, p + i, k);
            o += k;
        }
        i += k;
    }
    out[o] = 0;
    return out;
}
