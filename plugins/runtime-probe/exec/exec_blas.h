/* SPDX-License-Identifier: Apache-2.0 */
/* exec_blas.h — the one place the executor names its BLAS: OpenBLAS's cblas
 * on Linux and other non-Apple hosts, Accelerate's on Apple platforms (the
 * issue's "Matrix work through cblas"). Only cblas_sgemm/cblas_sgemv-style
 * calls are used, which both provide with the same signatures. Thread
 * control differs: OpenBLAS has openblas_set_num_threads; Accelerate sizes
 * its own pool (VECLIB_MAXIMUM_THREADS is read at process start), so there
 * the request is a no-op and the probe reports the thread count as
 * "library default". */
#ifndef CML_EXEC_BLAS_H
#define CML_EXEC_BLAS_H

#ifdef __APPLE__
#ifndef ACCELERATE_NEW_LAPACK
#define ACCELERATE_NEW_LAPACK 1
#endif
#include <Accelerate/Accelerate.h>
static inline void exec_blas_set_threads(int n) { (void)n; }
#define EXEC_BLAS_NAME "Accelerate"
#else
#include <cblas.h>
static inline void exec_blas_set_threads(int n) { openblas_set_num_threads(n); }
#define EXEC_BLAS_NAME "OpenBLAS"
#endif

#endif
