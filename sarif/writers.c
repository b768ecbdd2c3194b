/* SPDX-License-Identifier: Apache-2.0 */
/* writers.c — the table of report formats (writers.h), made from
 * formats.def. */
#include <string.h>

#include "sarif/writers.h"

#define CML_FORMAT(name) extern const report_writer cml_format_##name;
#include "sarif/formats.def"
#undef CML_FORMAT

static const report_writer *const WRITERS[] = {
#define CML_FORMAT(name) &cml_format_##name,
#include "sarif/formats.def"
#undef CML_FORMAT
};

const report_writer *const *report_writers(size_t *n) {
    if (n) *n = sizeof WRITERS / sizeof WRITERS[0];
    return WRITERS;
}

const report_writer *report_writer_find(const char *name) {
    for (size_t i = 0; name && i < sizeof WRITERS / sizeof WRITERS[0]; i++)
        if (!strcmp(WRITERS[i]->name, name)) return WRITERS[i];
    return NULL;
}
