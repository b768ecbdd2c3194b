/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_config.c — libFuzzer target for .coreml-lint.json parsing: any
 * bytes give a config or a "FILE:LINE: ..." error, never a crash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "host/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    config c;
    memset(&c, 0, sizeof c);
    char err[512];
    if (config_parse(&c, (const char *)data, size, "fuzz.json", "/tmp", err, sizeof err) != 0 && !err[0]) abort();
    config_free(&c);
    return 0;
}
