/* SPDX-License-Identifier: Apache-2.0 */
/* check.h — the tiny assertion kit every C test uses.
 *
 * A test file defines test functions and lists them in main() with RUN();
 * CHECK* failures print file:line and the values, mark the test failed and
 * continue; the process exits 1 if anything failed. ctest runs each file as
 * one test. SKIP() ends a test with a message and exit code 77 semantics
 * handled by the caller (ctest SKIP_RETURN_CODE 77). */
#ifndef CML_CHECK_H
#define CML_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failures_ = 0;
static int check_tests_ = 0;

#define CHECK(cond)                                                                      \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);     \
            check_failures_++;                                                           \
        }                                                                                \
    } while (0)

#define CHECK_INT(a, b)                                                                  \
    do {                                                                                 \
        long long a_ = (long long)(a), b_ = (long long)(b);                              \
        if (a_ != b_) {                                                                  \
            fprintf(stderr, "%s:%d: CHECK_INT failed: %s == %s (%lld != %lld)\n",        \
                    __FILE__, __LINE__, #a, #b, a_, b_);                                 \
            check_failures_++;                                                           \
        }                                                                                \
    } while (0)

#define CHECK_STR(a, b)                                                                  \
    do {                                                                                 \
        const char *a_ = (a), *b_ = (b);                                                 \
        if (!a_ || !b_ || strcmp(a_, b_) != 0) {                                         \
            fprintf(stderr, "%s:%d: CHECK_STR failed: %s == %s (\"%s\" != \"%s\")\n",    \
                    __FILE__, __LINE__, #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
            check_failures_++;                                                           \
        }                                                                                \
    } while (0)

#define RUN(fn)                                                                          \
    do {                                                                                 \
        int before_ = check_failures_;                                                   \
        check_tests_++;                                                                  \
        fn();                                                                            \
        fprintf(stderr, "%s %s\n", check_failures_ == before_ ? "ok  " : "FAIL", #fn);   \
    } while (0)

#define SKIP_ALL(msg)                                                                    \
    do {                                                                                 \
        fprintf(stderr, "SKIP: %s\n", msg);                                              \
        return 77;                                                                       \
    } while (0)

/* The whole main() of an executor test in a build without the executor
 * (CML_NO_EXEC: no OpenBLAS or Accelerate): every case skipped. */
#define CHECK_MAIN_NO_EXEC()                                                             \
    int main(void) {                                                                     \
        (void)check_tests_;                                                              \
        (void)check_failures_;                                                           \
        SKIP_ALL("the executor (cmlexec) was not built: OpenBLAS not found");            \
    }

#define CHECK_DONE()                                                                     \
    (fprintf(stderr, "%d tests, %d failed checks\n", check_tests_, check_failures_),     \
     check_failures_ ? 1 : 0)

#endif
