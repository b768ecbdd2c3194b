/* SPDX-License-Identifier: Apache-2.0 */
/* sanitize.h — the one sanitizer for text that comes from a model, a
 * configuration file, a rule or a plugin (all of them written by whoever
 * opened the pull request) on its way to stdout, stderr, a report or a log.
 *
 * What it defends against, on a CI runner that reads the tool's output:
 *  - GitHub workflow commands. The runner reads every line of stdout and
 *    stderr; a line whose text, after leading whitespace, starts with "::"
 *    is a command (::error, ::add-mask::, ::stop-commands::), and "##[" is
 *    the legacy form, recognised ANYWHERE in a line.
 *    SOURCE: actions/runner src/Runner.Common/ActionCommand.cs (TryParseV2:
 *    TrimStart then StartsWith("::"); TryParse: IndexOf("##[")) and
 *    src/Runner.Worker/ActionCommandManager.cs (V2, then V1). Both compare
 *    culture-sensitively, where invisible "ignorable" characters (soft
 *    hyphen, zero-width space, ...) do not count; so those are folded too.
 *  - Terminal escapes: ESC (CSI, OSC 8 links, OSC 52 clipboard), BEL, C1
 *    controls, CR (overwriting a line), bidi overrides ("Trojan Source").
 *  - Invalid UTF-8, which JSON and SARIF consumers reject.
 *
 * Each output format uses one of the modes below; the writers of sarif/,
 * inspect, the notifications on stderr and the plugin log all go through
 * here. Text the tool wrote itself (its own "::error" annotations) does not.
 * Internal to core/. */
#ifndef CML_SANITIZE_H
#define CML_SANITIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum san_mode {
    /* For a serializer that escapes control characters itself (cJSON):
     * only invalid UTF-8 is repaired (each bad byte becomes U+FFFD). */
    SAN_UTF8,
    /* One line of text for a terminal or a CI log: valid UTF-8; every
     * control (C0 with CR, LF and TAB, DEL, C1), invisible format character
     * and non-ASCII space becomes a plain space; "##[" becomes "## [", and
     * a leading "::" (after spaces) becomes ": :". */
    SAN_LINE,
    /* As SAN_LINE but CR, LF and TAB are kept, for a format that escapes
     * the line breaks itself (the github writer's %0D / %0A). */
    SAN_LINES,
    /* A multi-line document (a rule's help): as SAN_LINE for each line, LF
     * kept (CR folded). */
    SAN_TEXT,
} san_mode;

/* Length (1..4) of the well-formed UTF-8 sequence at p, of at most left
 * bytes, with its code point in *cp; 0 when the bytes are not UTF-8
 * (overlong, surrogate, above U+10FFFF, truncated). */
size_t san_utf8_seq(const unsigned char *p, size_t left, uint32_t *cp);
/* Columns count code points (SARIF's columnKind unicodeCodePoints,
 * editors' characters): a byte starts one unless it is a UTF-8
 * continuation byte. */
static inline bool san_cp_start(unsigned char b) { return (b & 0xC0) != 0x80; }
/* 1-based line and column (in code points) of byte off of text. */
void san_line_col(const char *text, size_t off, uint32_t *line, uint32_t *col);
/* True when the n bytes at s are well-formed UTF-8. */
bool san_utf8_valid(const char *s, size_t n);
/* Characters a line-oriented output must not carry as they are: C0 and C1
 * controls, DEL, Unicode spaces other than U+0020, line and paragraph
 * separators, and invisible format characters (bidi controls, zero-width
 * characters, soft hyphen, BOM, variation selectors, tags). */
bool san_is_hidden(uint32_t cp);

/* A malloc'd sanitized copy of s (NULL is read as ""); NULL only when out
 * of memory. */
char *san_str(const char *s, san_mode mode);
/* The same into buf (cap > 0), cut at a character boundary when it does not
 * fit. Returns buf. */
char *san_buf(char *buf, size_t cap, const char *s, san_mode mode);
/* fputs of the SAN_LINE form of s. Returns what fputs returns. */
int san_fputs(const char *s, FILE *out);

/* Printed JSON text, made safe for a log and for any JSON parser: invalid
 * UTF-8 becomes \ufffd, every san_is_hidden character a \uXXXX escape,
 * and "##[" becomes "##\u005b". JSON text keeps its meaning: all of these
 * can only occur inside strings, where the escapes decode to the same (or
 * the replacement) characters. Returns a malloc'd copy, or NULL when out
 * of memory. */
char *san_json(const char *json);

#endif
