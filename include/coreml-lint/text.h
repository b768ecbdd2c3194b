/* SPDX-License-Identifier: Apache-2.0 */
/* coreml-lint/text.h — how the host and the bundled plugins write numbers
 * in messages, so that a size reads the same in every rule and writer.
 * Header-only: nothing here is part of the plugin ABI. */
#ifndef COREML_LINT_TEXT_H
#define COREML_LINT_TEXT_H

#include <stddef.h>
#include <stdio.h>

/* A byte count in decimal units: "999 B", "65.5 kB", "104.9 MB",
 * "2.15 GB". The unit is chosen after rounding, so 999,950 bytes read
 * "1.0 MB", never "1000.0 kB". NaN and negatives read "?". */
static inline void cml_format_bytes(char *buf, size_t cap, double b) {
    if (!(b >= 0)) snprintf(buf, cap, "?");
    else if (b < 999.5) snprintf(buf, cap, "%.0f B", b);
    else if (b < 999950.0) snprintf(buf, cap, "%.1f kB", b / 1e3);
    else if (b < 999950000.0) snprintf(buf, cap, "%.1f MB", b / 1e6);
    else snprintf(buf, cap, "%.2f GB", b / 1e9);
}

#endif
