/* SPDX-License-Identifier: Apache-2.0 */
/* coreml_backend.m — Core ML itself, for the runtime probe (Apple platforms
 * only; built as runtime-probe-coreml.dylib next to the plugin and loaded by
 * the probe's child process with dlopen, so that Foundation and Core ML are
 * first initialised after the fork: CoreFoundation refuses to run in a
 * forked child of a process that had already initialised it).
 *
 * cml_coreml_probe_impl compiles the model (.mlmodel / .mlpackage) to an
 * .mlmodelc in a temporary folder, then for each compute-unit setting
 * (cpuOnly, cpuAndGPU, cpuAndNeuralEngine where the OS has it, all) loads it
 * twice (cold, then warm: Core ML caches the device-specific compilation),
 * predicts `runs` times on the probe's inputs (multi-arrays converted to the
 * declared data type and written through the array's strides, images as
 * pixel buffers of the format the model's image constraint names, scalars as
 * Double / Int64 feature values; a stateful model predicts with one MLState),
 * compares each output with the reference executor's fp32 output (L-inf,
 * RMSE; multi-arrays read through their strides, a classifier's probability
 * dictionary in the order of the model's class labels) and, where the OS has
 * MLComputePlan, counts the ML Program ops / NeuralNetwork layers (of every
 * function, nested block and pipeline sub-model) by the device Core ML
 * prefers for them. Every failure, an Objective-C exception included, is a
 * message in the result, never an invented figure.
 *
 * Built with ARC (-fobjc-arc, plugins/runtime-probe/CMakeLists.txt): no
 * retain/release here; the one Core Foundation object, the input pixel
 * buffer, is released by hand after MLFeatureValue has retained it.
 *
 * SOURCE (Apple developer documentation and the SDK headers of the Core ML
 * framework): MLModel +compileModelAtURL:error: (macOS 10.13, "compiled to a
 * temporary location"; marked API_TO_BE_DEPRECATED); MLModelConfiguration
 * computeUnits (macOS 10.14), MLComputeUnitsCPUAndNeuralEngine (macOS 13.0,
 * iOS 16.0); MLModel +modelWithContentsOfURL:configuration:error: (macOS
 * 10.14); MLModelDescription classLabels (macOS 11.0, iOS 14.0),
 * stateDescriptionsByName (macOS 15.0, iOS 18.0); MLModel -newState and
 * -predictionFromFeatures:usingState:error: (macOS 15.0, iOS 18.0);
 * MLMultiArray -initWithShape:dataType:error: ("first-major contiguous
 * layout"), strides, -getBytesWithHandler: and -getMutableBytesWithHandler:
 * (macOS 12.3, iOS 15.4; "use the strides parameter passed in the block"),
 * -setObject:atIndexedSubscript: (linear index, C order),
 * -objectForKeyedSubscript: (multi-dimensional index), data type values
 * Double 0x10040, Float32 0x10020, Float16 0x10010 (macOS 12.0, iOS 16.0),
 * Int32 0x20020; MLComputePlan +loadContentsOfURL:configuration:
 * completionHandler:, -computeDeviceUsageForMLProgramOperation:,
 * -computeDeviceUsageForNeuralNetworkLayer: (nullable results),
 * modelStructure; MLModelStructure program / neuralNetwork / pipeline
 * (subModels), MLModelStructureProgramOperation blocks (macOS 14.4, iOS
 * 17.4, SDK of Xcode 15.3); MLCPUComputeDevice / MLGPUComputeDevice /
 * MLNeuralEngineComputeDevice (macOS 14.0). MLImageConstraint
 * pixelFormatType; CoreVideo CVPixelBufferCreate with
 * kCVPixelFormatType_32BGRA / 32ARGB / OneComponent8 / OneComponent16Half. */
#import <CoreML/CoreML.h>
#import <CoreVideo/CoreVideo.h>
#import <Foundation/Foundation.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "coreml_backend.h"

/* What the SDK we are built with declares: MLComputePlan and MLModelStructure
 * came with the macOS 14.4 / iOS 17.4 SDK (Xcode 15.3), MLState with the
 * macOS 15 / iOS 18 SDK (Xcode 16). An older SDK leaves those parts out; the
 * @available checks decide at run time on the OS the probe runs on. */
#if __has_include(<CoreML/MLComputePlan.h>)
#define CB_HAVE_COMPUTE_PLAN 1
#else
#define CB_HAVE_COMPUTE_PLAN 0
#endif
#if __has_include(<CoreML/MLState.h>)
#define CB_HAVE_STATE 1
#else
#define CB_HAVE_STATE 0
#endif

/* MLMultiArrayDataType values (MLMultiArray.h), as plain integers so that
 * Float16 (macOS 12 / iOS 16) needs no availability check to be named */
#define CB_DT_DOUBLE (0x10000 | 64)
#define CB_DT_FLOAT32 (0x10000 | 32)
#define CB_DT_FLOAT16 (0x10000 | 16)
#define CB_DT_INT32 (0x20000 | 32)
#define CB_MAX_RANK 16

__attribute__((visibility("default"))) void cml_coreml_probe_impl(const char *model_path,
                                                                  const coreml_tensor *inputs, size_t n_inputs,
                                                                  const coreml_tensor *refs, size_t n_refs, int runs,
                                                                  coreml_result *out);

static double cb_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void cb_copy(char *dst, size_t cap, NSString *s) {
    const char *c = s ? s.UTF8String : NULL;
    snprintf(dst, cap, "%s", c ? c : "");
}

static int cb_dcmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static size_t cb_count(const coreml_tensor *t) {
    size_t n = 1;
    for (int i = 0; i < t->rank; i++) n *= (size_t)(t->shape[i] > 0 ? t->shape[i] : 0);
    return n;
}

/* ---- scalars ---------------------------------------------------------------------- */

static float cb_half_to_float(uint16_t h) {
    uint32_t e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
    float v;
    if (e == 0) v = ldexpf((float)m, -24);
    else if (e == 31) v = m ? NAN : INFINITY;
    else v = ldexpf((float)(m | 0x400u), (int)e - 25);
    return (h & 0x8000u) ? -v : v;
}

/* IEEE binary16, round to nearest even */
static uint16_t cb_float_to_half(float f) {
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    uint32_t sign = (x >> 16) & 0x8000u, ax = x & 0x7fffffffu;
    if (ax >= 0x7f800000u) return (uint16_t)(sign | 0x7c00u | (ax > 0x7f800000u ? 0x200u : 0u));
    if (ax >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u); /* >= 65520 rounds to infinity */
    if (ax < 0x38800000u) {                                     /* below 2^-14: subnormal */
        float a;
        memcpy(&a, &ax, sizeof a);
        return (uint16_t)(sign | (uint32_t)rintf(a * 16777216.0f));
    }
    uint32_t h = (((ax >> 23) - 112u) << 10) | ((ax & 0x7fffffu) >> 13), rest = ax & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) h++;
    return (uint16_t)(sign | h);
}

static size_t cb_esize(MLMultiArrayDataType dt) {
    switch ((NSInteger)dt) {
    case CB_DT_DOUBLE: return 8;
    case CB_DT_FLOAT32: return 4;
    case CB_DT_FLOAT16: return 2;
    case CB_DT_INT32: return 4;
    default: return 0; /* another type: the NSNumber accessors convert it */
    }
}

static double cb_load(const unsigned char *p, MLMultiArrayDataType dt) {
    switch ((NSInteger)dt) {
    case CB_DT_DOUBLE: {
        double v;
        memcpy(&v, p, sizeof v);
        return v;
    }
    case CB_DT_FLOAT32: {
        float v;
        memcpy(&v, p, sizeof v);
        return v;
    }
    case CB_DT_FLOAT16: {
        uint16_t v;
        memcpy(&v, p, sizeof v);
        return cb_half_to_float(v);
    }
    default: {
        int32_t v;
        memcpy(&v, p, sizeof v);
        return v;
    }
    }
}

static void cb_store(unsigned char *p, MLMultiArrayDataType dt, float f) {
    switch ((NSInteger)dt) {
    case CB_DT_DOUBLE: {
        double v = f;
        memcpy(p, &v, sizeof v);
        break;
    }
    case CB_DT_FLOAT32: memcpy(p, &f, sizeof f); break;
    case CB_DT_FLOAT16: {
        uint16_t v = cb_float_to_half(f);
        memcpy(p, &v, sizeof v);
        break;
    }
    default: {
        int32_t v = !(f == f) ? 0 : f >= 2147483647.0f ? INT32_MAX : f <= -2147483648.0f ? INT32_MIN : (int32_t)f;
        memcpy(p, &v, sizeof v);
        break;
    }
    }
}

/* offset, in elements, of the C-order element i of an array with these
 * shape and strides */
static int64_t cb_offset(size_t i, int rank, const int64_t *shape, const int64_t *strides) {
    int64_t off = 0;
    for (int k = rank - 1; k >= 0; k--) {
        size_t d = (size_t)(shape[k] > 0 ? shape[k] : 1);
        off += (int64_t)(i % d) * strides[k];
        i /= d;
    }
    return off;
}

/* ---- inputs ----------------------------------------------------------------------- */

/* A multi-array input of the declared data type, filled from t (C order). */
static MLMultiArray *cb_array(const coreml_tensor *t, MLMultiArrayDataType dt, NSString **err) {
    if (t->rank > 8) {
        *err = [NSString stringWithFormat:@"input '%s' has more than 8 dimensions", t->name];
        return nil;
    }
    int rank = t->rank > 0 ? t->rank : 1;
    int64_t shape[CB_MAX_RANK];
    NSMutableArray<NSNumber *> *dims = [NSMutableArray array];
    for (int i = 0; i < rank; i++) {
        shape[i] = t->rank > 0 ? t->shape[i] : 1;
        [dims addObject:@(shape[i])];
    }
    NSError *e = nil;
    MLMultiArray *a = [[MLMultiArray alloc] initWithShape:dims dataType:dt error:&e];
    size_t n = cb_count(t);
    if (!a || (size_t)a.count != n || !t->data) {
        *err = [NSString stringWithFormat:@"input '%s': %@", t->name,
                                          a ? @"element count differs from the probe's input"
                                            : (e.localizedDescription ?: @"the multi-array could not be made")];
        return nil;
    }
    bool done = false;
    size_t es = cb_esize(dt);
    if (es && rank <= CB_MAX_RANK) {
        if (@available(macOS 12.3, iOS 15.4, tvOS 15.4, watchOS 8.5, *)) {
            __block bool ok = true;
            const int64_t *shp = shape; /* a block cannot capture a C array */
            const float *src = t->data;
            [a getMutableBytesWithHandler:^(void *bytes, NSInteger size, NSArray<NSNumber *> *strides) {
              if ((int)strides.count != rank) {
                  ok = false;
                  return;
              }
              int64_t st[CB_MAX_RANK];
              for (int k = 0; k < rank; k++) st[k] = strides[(NSUInteger)k].longLongValue;
              unsigned char *b = bytes;
              for (size_t i = 0; i < n; i++) {
                  int64_t off = cb_offset(i, rank, shp, st);
                  if (off < 0 || (off + 1) * (int64_t)es > (int64_t)size) {
                      ok = false;
                      return;
                  }
                  cb_store(b + off * (int64_t)es, dt, src[i]);
              }
            }];
            done = ok;
        }
    }
    if (!done) /* the linear subscript is in C order whatever the strides */
        for (size_t i = 0; i < n; i++) a[(NSInteger)i] = @(t->data[i]);
    return a;
}

static unsigned char cb_u8(float v) {
    if (!(v > 0)) return 0;
    if (v >= 255) return 255;
    return (unsigned char)(v + 0.5f);
}

/* A pixel buffer from [1, C, H, W] values 0..255 (C = 3: RGB or BGR, 1:
 * gray) in the pixel format the model's image constraint asks for: 32BGRA
 * or 32ARGB for colour, OneComponent8 or OneComponent16Half for gray. */
static CVPixelBufferRef cb_pixels(const coreml_tensor *t, MLImageConstraint *ic, NSString **err) {
    if (t->rank != 4 || !t->data || t->shape[2] <= 0 || t->shape[3] <= 0 ||
        (t->shape[1] != 1 && t->shape[1] != 3)) {
        *err = [NSString stringWithFormat:@"image input '%s' is not [1, C, H, W] with C = 1 or 3", t->name];
        return NULL;
    }
    size_t C = (size_t)t->shape[1], H = (size_t)t->shape[2], W = (size_t)t->shape[3];
    OSType want = ic ? ic.pixelFormatType : 0, fmt;
    if (C == 1) fmt = want == kCVPixelFormatType_OneComponent16Half ? want : kCVPixelFormatType_OneComponent8;
    else fmt = want == kCVPixelFormatType_32ARGB ? want : kCVPixelFormatType_32BGRA;
    CVPixelBufferRef pb = NULL;
    if (CVPixelBufferCreate(kCFAllocatorDefault, W, H, fmt, NULL, &pb) != kCVReturnSuccess || !pb) {
        *err = [NSString stringWithFormat:@"image input '%s': CVPixelBufferCreate failed", t->name];
        return NULL;
    }
    if (CVPixelBufferLockBaseAddress(pb, 0) != kCVReturnSuccess) {
        CVPixelBufferRelease(pb);
        *err = [NSString stringWithFormat:@"image input '%s': the pixel buffer could not be locked", t->name];
        return NULL;
    }
    unsigned char *base = CVPixelBufferGetBaseAddress(pb);
    size_t row = CVPixelBufferGetBytesPerRow(pb);
    const float *d = t->data;
    for (size_t y = 0; base && y < H; y++)
        for (size_t x = 0; x < W; x++) {
            size_t at = y * W + x;
            if (fmt == kCVPixelFormatType_OneComponent8) {
                base[y * row + x] = cb_u8(d[at]);
            } else if (fmt == kCVPixelFormatType_OneComponent16Half) {
                uint16_t h = cb_float_to_half(d[at]);
                memcpy(base + y * row + x * 2, &h, sizeof h);
            } else {
                unsigned char r = cb_u8(d[(t->image_bgr ? 2 : 0) * H * W + at]);
                unsigned char g = cb_u8(d[1 * H * W + at]);
                unsigned char b = cb_u8(d[(t->image_bgr ? 0 : 2) * H * W + at]);
                unsigned char *px = base + y * row + x * 4;
                if (fmt == kCVPixelFormatType_32ARGB) {
                    px[0] = 255, px[1] = r, px[2] = g, px[3] = b;
                } else {
                    px[0] = b, px[1] = g, px[2] = r, px[3] = 255;
                }
            }
        }
    CVPixelBufferUnlockBaseAddress(pb, 0);
    if (!base) {
        CVPixelBufferRelease(pb);
        *err = [NSString stringWithFormat:@"image input '%s': the pixel buffer has no memory", t->name];
        return NULL;
    }
    return pb;
}

static id<MLFeatureProvider> cb_features(MLModel *model, const coreml_tensor *inputs, size_t n, NSString **err) {
    NSMutableDictionary<NSString *, MLFeatureValue *> *d = [NSMutableDictionary dictionary];
    NSDictionary<NSString *, MLFeatureDescription *> *descs = model.modelDescription.inputDescriptionsByName;
    for (size_t i = 0; i < n; i++) {
        const coreml_tensor *t = &inputs[i];
        NSString *name = t->name ? [NSString stringWithUTF8String:t->name] : nil;
        MLFeatureDescription *fd = name ? descs[name] : nil;
        if (!fd) continue;
        if (fd.type == MLFeatureTypeImage) {
            CVPixelBufferRef pb = cb_pixels(t, fd.imageConstraint, err);
            if (!pb) return nil;
            d[name] = [MLFeatureValue featureValueWithPixelBuffer:pb]; /* retains the buffer */
            CVPixelBufferRelease(pb);
        } else if (fd.type == MLFeatureTypeMultiArray) {
            MLMultiArrayDataType dt = fd.multiArrayConstraint.dataType;
            MLMultiArray *a = cb_array(t, dt ? dt : MLMultiArrayDataTypeFloat32, err);
            if (!a) return nil;
            d[name] = [MLFeatureValue featureValueWithMultiArray:a];
        } else if ((fd.type == MLFeatureTypeDouble || fd.type == MLFeatureTypeInt64) && t->data && cb_count(t) >= 1) {
            d[name] = fd.type == MLFeatureTypeDouble ? [MLFeatureValue featureValueWithDouble:t->data[0]]
                                                     : [MLFeatureValue featureValueWithInt64:(int64_t)llrint(t->data[0])];
        } else {
            *err = [NSString stringWithFormat:@"input '%@' is of a feature type the probe does not feed", name];
            return nil;
        }
    }
    NSError *e = nil;
    MLDictionaryFeatureProvider *p = [[MLDictionaryFeatureProvider alloc] initWithDictionary:d error:&e];
    if (!p) *err = e.localizedDescription ?: @"the input feature provider could not be made";
    return p;
}

/* ---- outputs ---------------------------------------------------------------------- */

/* The values of a multi-array output in C order (n of them), read through
 * the array's strides (an output may be strided or padded). */
static bool cb_read_array(MLMultiArray *a, double *vals, size_t n) {
    if (!a || (size_t)a.count != n) return false;
    NSArray<NSNumber *> *dims = a.shape;
    int rank = (int)dims.count;
    MLMultiArrayDataType dt = a.dataType;
    size_t es = cb_esize(dt);
    if (es && rank <= CB_MAX_RANK) {
        if (@available(macOS 12.3, iOS 15.4, tvOS 15.4, watchOS 8.5, *)) {
            NSArray<NSNumber *> *strides = a.strides;
            if ((int)strides.count == rank) {
                int64_t shape[CB_MAX_RANK], st[CB_MAX_RANK];
                for (int k = 0; k < rank; k++) {
                    shape[k] = dims[(NSUInteger)k].longLongValue;
                    st[k] = strides[(NSUInteger)k].longLongValue;
                }
                const int64_t *shp = shape, *stp = st; /* a block cannot capture a C array */
                __block bool ok = true;
                [a getBytesWithHandler:^(const void *bytes, NSInteger size) {
                  const unsigned char *b = bytes;
                  for (size_t i = 0; i < n; i++) {
                      int64_t off = cb_offset(i, rank, shp, stp);
                      if (off < 0 || (off + 1) * (int64_t)es > (int64_t)size) {
                          ok = false;
                          return;
                      }
                      vals[i] = cb_load(b + off * (int64_t)es, dt);
                  }
                }];
                if (ok) return true;
            }
        }
    }
    /* the multi-dimensional subscript honours the strides */
    NSMutableArray<NSNumber *> *key = [NSMutableArray arrayWithCapacity:(NSUInteger)rank];
    for (int k = 0; k < rank; k++) [key addObject:@0];
    for (size_t i = 0; i < n; i++) {
        size_t rem = i;
        for (int k = rank - 1; k >= 0; k--) {
            size_t dim = dims[(NSUInteger)k].unsignedLongValue;
            if (!dim) return false;
            key[(NSUInteger)k] = @(rem % dim);
            rem /= dim;
        }
        vals[i] = [a objectForKeyedSubscript:key].doubleValue;
    }
    return true;
}

/* A classifier's probabilities (a dictionary keyed by class label) in the
 * order of the model's class labels, the order of the reference's vector. */
static bool cb_read_dict(NSDictionary *dict, NSArray *labels, double *vals, size_t n) {
    if (!dict || !labels || labels.count != n) return false;
    for (size_t i = 0; i < n; i++) {
        id v = dict[labels[i]];
        if (![v isKindOfClass:[NSNumber class]]) return false;
        vals[i] = [(NSNumber *)v doubleValue];
    }
    return true;
}

/* L-inf and RMSE of values against the reference (C order); NaN stays NaN. */
static void cb_metrics(const double *v, const float *ref, size_t n, double *linf, double *rmse, double *maxref) {
    double se = 0;
    *linf = 0;
    *maxref = 0;
    for (size_t i = 0; i < n; i++) {
        double r = ref[i];
        if (fabs(r) > *maxref) *maxref = fabs(r);
        double e = fabs(v[i] - r);
        if (!(e <= *linf)) *linf = e;
        se += e * e;
    }
    *rmse = n ? sqrt(se / (double)n) : 0;
}

/* ---- compute plan (macOS 14.4+) --------------------------------------------------- */

#if CB_HAVE_COMPUTE_PLAN
typedef struct cb_plan_count {
    long cpu, gpu, ne, other;
} cb_plan_count;

API_AVAILABLE(macos(14.4), ios(17.4), tvos(17.4), watchos(10.4))
static void cb_plan_device(id<MLComputeDeviceProtocol> dev, cb_plan_count *c) {
    if (!dev) return; /* e.g. a const op: no device */
    if ([dev isKindOfClass:[MLCPUComputeDevice class]]) c->cpu++;
    else if ([dev isKindOfClass:[MLGPUComputeDevice class]]) c->gpu++;
    else if ([dev isKindOfClass:[MLNeuralEngineComputeDevice class]]) c->ne++;
    else c->other++;
}

API_AVAILABLE(macos(14.4), ios(17.4), tvos(17.4), watchos(10.4))
static void cb_plan_block(MLComputePlan *plan, MLModelStructureProgramBlock *blk, cb_plan_count *c, int depth) {
    if (!blk || depth > 64) return;
    for (MLModelStructureProgramOperation *op in blk.operations) {
        MLComputePlanDeviceUsage *use = [plan computeDeviceUsageForMLProgramOperation:op];
        if (use) cb_plan_device(use.preferredComputeDevice, c);
        for (MLModelStructureProgramBlock *inner in op.blocks) cb_plan_block(plan, inner, c, depth + 1);
    }
}

/* false when the structure is of no kind the plan describes */
API_AVAILABLE(macos(14.4), ios(17.4), tvos(17.4), watchos(10.4))
static bool cb_plan_structure(MLComputePlan *plan, MLModelStructure *st, cb_plan_count *c, int depth) {
    if (!st || depth > 16) return false;
    if (st.program) {
        NSDictionary<NSString *, MLModelStructureProgramFunction *> *fns = st.program.functions;
        for (NSString *fname in fns) cb_plan_block(plan, fns[fname].block, c, 0);
        return true;
    }
    if (st.neuralNetwork) {
        for (MLModelStructureNeuralNetworkLayer *layer in st.neuralNetwork.layers) {
            MLComputePlanDeviceUsage *use = [plan computeDeviceUsageForNeuralNetworkLayer:layer];
            if (use) cb_plan_device(use.preferredComputeDevice, c);
        }
        return true;
    }
    if (st.pipeline) {
        bool any = false;
        for (MLModelStructure *sub in st.pipeline.subModels)
            if (cb_plan_structure(plan, sub, c, depth + 1)) any = true;
        return any;
    }
    return false;
}
#endif

static void cb_plan(NSURL *compiled, MLModelConfiguration *cfg, coreml_unit_result *u) {
    u->plan_available = false;
#if CB_HAVE_COMPUTE_PLAN
    if (@available(macOS 14.4, iOS 17.4, tvOS 17.4, watchOS 10.4, *)) {
        /* The completion handler runs on a queue of Core ML's, not on the
         * main queue, so this thread can wait for it; a minute at most. */
        dispatch_semaphore_t done = dispatch_semaphore_create(0);
        __block MLComputePlan *plan = nil;
        [MLComputePlan loadContentsOfURL:compiled
                           configuration:cfg
                       completionHandler:^(MLComputePlan *p, NSError *e) {
                         (void)e;
                         plan = p;
                         dispatch_semaphore_signal(done);
                       }];
        if (dispatch_semaphore_wait(done, dispatch_time(DISPATCH_TIME_NOW, (int64_t)60 * (int64_t)NSEC_PER_SEC)) != 0)
            return;
        MLComputePlan *pl = plan;
        if (!pl) return;
        cb_plan_count c = {0, 0, 0, 0};
        if (!cb_plan_structure(pl, pl.modelStructure, &c, 0)) return;
        u->plan_available = true;
        u->plan_cpu = c.cpu;
        u->plan_gpu = c.gpu;
        u->plan_ne = c.ne;
        u->plan_other = c.other;
    }
#else
    (void)compiled;
    (void)cfg;
#endif
}

/* ---- one compute-unit setting ----------------------------------------------------- */

static id<MLFeatureProvider> cb_predict(MLModel *m, id<MLFeatureProvider> feats, id state, NSError **e) {
#if CB_HAVE_STATE
    if (state) {
        if (@available(macOS 15.0, iOS 18.0, tvOS 18.0, watchOS 11.0, *))
            return [m predictionFromFeatures:feats usingState:state error:e];
    }
#else
    (void)state;
#endif
    return [m predictionFromFeatures:feats error:e];
}

static void cb_unit(NSURL *compiled, MLComputeUnits units, const coreml_tensor *inputs, size_t n_inputs,
                    const coreml_tensor *refs, size_t n_refs, int runs, coreml_unit_result *u) {
    MLModelConfiguration *cfg = [[MLModelConfiguration alloc] init];
    cfg.computeUnits = units;
    NSError *e = nil;
    double t0 = cb_now_ms();
    MLModel *m = [MLModel modelWithContentsOfURL:compiled configuration:cfg error:&e];
    u->cold_load_ms = cb_now_ms() - t0;
    if (!m) {
        cb_copy(u->error, sizeof u->error, e.localizedDescription ?: @"the model could not be loaded");
        return;
    }
    t0 = cb_now_ms();
    MLModel *m2 = [MLModel modelWithContentsOfURL:compiled configuration:cfg error:&e];
    u->warm_load_ms = cb_now_ms() - t0;
    if (m2) m = m2;
    NSString *err = nil;
    id<MLFeatureProvider> feats = cb_features(m, inputs, n_inputs, &err);
    if (!feats) {
        cb_copy(u->error, sizeof u->error, err ?: @"inputs could not be built");
        return;
    }
    /* a stateful model (macOS 15) predicts with a state of its own: one for
     * all the runs, zeros before the first (as the reference's first run) */
    id state = nil;
#if CB_HAVE_STATE
    if (@available(macOS 15.0, iOS 18.0, tvOS 18.0, watchOS 11.0, *)) {
        if (m.modelDescription.stateDescriptionsByName.count > 0) state = [m newState];
    }
#endif
    if (runs < 1) runs = 1;
    double *lat = calloc((size_t)runs, sizeof(double));
    if (!lat) {
        snprintf(u->error, sizeof u->error, "out of memory");
        return;
    }
    id<MLFeatureProvider> res = nil;
    for (int k = 0; k < runs; k++) {
        @autoreleasepool {
            t0 = cb_now_ms();
            id<MLFeatureProvider> r = cb_predict(m, feats, state, &e);
            lat[k] = cb_now_ms() - t0;
            if (!r) {
                cb_copy(u->error, sizeof u->error, e.localizedDescription ?: @"prediction failed");
                free(lat);
                return;
            }
            if (!k) res = r;
        }
    }
    u->runs = runs;
    u->first_ms = lat[0];
    int from = runs > 1 ? 1 : 0, n = runs - from;
    qsort(lat + from, (size_t)n, sizeof(double), cb_dcmp);
    u->median_ms = n % 2 ? lat[from + n / 2] : 0.5 * (lat[from + n / 2 - 1] + lat[from + n / 2]);
    int p = (int)ceil(0.9 * n) - 1;
    u->p90_ms = lat[from + (p < 0 ? 0 : p >= n ? n - 1 : p)];
    free(lat);
    /* outputs vs the reference executor's fp32 outputs: the worst output */
    NSArray *labels = nil;
    if (@available(macOS 11.0, iOS 14.0, tvOS 14.0, watchOS 7.0, *)) labels = m.modelDescription.classLabels;
    for (size_t i = 0; i < n_refs; i++) {
        NSString *name = refs[i].name ? [NSString stringWithUTF8String:refs[i].name] : nil;
        MLFeatureValue *v = name ? [res featureValueForName:name] : nil;
        size_t cnt = cb_count(&refs[i]);
        if (!v || !cnt || !refs[i].data) continue;
        double *vals = malloc(cnt * sizeof(double));
        if (!vals) continue;
        bool got = v.type == MLFeatureTypeMultiArray  ? cb_read_array(v.multiArrayValue, vals, cnt)
                   : v.type == MLFeatureTypeDictionary ? cb_read_dict(v.dictionaryValue, labels, vals, cnt)
                                                       : false;
        double linf = 0, rmse = 0, mx = 0;
        if (got) cb_metrics(vals, refs[i].data, cnt, &linf, &rmse, &mx);
        free(vals);
        if (!got) continue;
        if (!u->compared || !(linf <= u->max_abs_err)) {
            u->max_abs_err = linf;
            u->rmse = rmse;
            u->max_ref = mx;
        }
        u->compared = true;
    }
    cb_plan(compiled, cfg, u);
    u->measured = true;
}

/* An Objective-C exception (Core ML raises some, e.g. NSInvalidArgumentException)
 * becomes this setting's error instead of ending the probe's process. */
static void cb_unit_guarded(NSURL *compiled, MLComputeUnits units, const char *name, const coreml_tensor *inputs,
                            size_t n_inputs, const coreml_tensor *refs, size_t n_refs, int runs,
                            coreml_unit_result *u) {
    snprintf(u->unit, sizeof u->unit, "%s", name);
    @try {
        @autoreleasepool {
            cb_unit(compiled, units, inputs, n_inputs, refs, n_refs, runs, u);
        }
    } @catch (NSException *x) {
        u->measured = false;
        snprintf(u->error, sizeof u->error, "Core ML raised %s: %s", x.name.UTF8String ?: "an exception",
                 x.reason.UTF8String ?: "no reason given");
    }
}

/* Remove the compiled model, and the folder Core ML made for it under the
 * temporary directory once it is empty (rmdir refuses one that is not). */
static void cb_remove_compiled(NSURL *compiled) {
    [[NSFileManager defaultManager] removeItemAtURL:compiled error:NULL];
    NSString *parent = compiled.URLByDeletingLastPathComponent.URLByResolvingSymlinksInPath.path;
    NSString *tmp = [NSURL fileURLWithPath:NSTemporaryDirectory() isDirectory:YES].URLByResolvingSymlinksInPath.path;
    if (parent && tmp && tmp.length > 1 && [parent hasPrefix:[tmp stringByAppendingString:@"/"]])
        rmdir(parent.fileSystemRepresentation);
}

void cml_coreml_probe_impl(const char *model_path, const coreml_tensor *inputs, size_t n_inputs,
                           const coreml_tensor *refs, size_t n_refs, int runs, coreml_result *out) {
    memset(out, 0, sizeof *out);
    @autoreleasepool {
        NSOperatingSystemVersion v = [NSProcessInfo processInfo].operatingSystemVersion;
        snprintf(out->os, sizeof out->os, "macOS %ld.%ld.%ld", (long)v.majorVersion, (long)v.minorVersion,
                 (long)v.patchVersion);
        NSString *path = model_path ? [NSString stringWithUTF8String:model_path] : nil;
        if (!path) {
            snprintf(out->reason, sizeof out->reason, "the model path is not valid UTF-8");
            return;
        }
        NSURL *url = [NSURL fileURLWithPath:path];
        NSError *e = nil;
        NSURL *compiled = nil;
        double t0 = cb_now_ms();
        @try {
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wdeprecated-declarations"
            compiled = [url.pathExtension isEqualToString:@"mlmodelc"] ? url : [MLModel compileModelAtURL:url error:&e];
#pragma clang diagnostic pop
        } @catch (NSException *x) {
            compiled = nil;
            e = nil;
            snprintf(out->reason, sizeof out->reason, "Core ML could not compile the model: it raised %s: %s",
                     x.name.UTF8String ?: "an exception", x.reason.UTF8String ?: "no reason given");
            return;
        }
        out->compile_ms = cb_now_ms() - t0;
        if (!compiled) {
            const char *why = e.localizedDescription.UTF8String;
            snprintf(out->reason, sizeof out->reason, "Core ML could not compile the model: %s",
                     why ? why : "unknown error");
            return;
        }
        out->available = true;
        cb_unit_guarded(compiled, MLComputeUnitsCPUOnly, "cpuOnly", inputs, n_inputs, refs, n_refs, runs,
                        &out->units[out->n_units++]);
        cb_unit_guarded(compiled, MLComputeUnitsCPUAndGPU, "cpuAndGPU", inputs, n_inputs, refs, n_refs, runs,
                        &out->units[out->n_units++]);
        if (@available(macOS 13.0, iOS 16.0, tvOS 16.0, watchOS 9.0, *)) {
            cb_unit_guarded(compiled, MLComputeUnitsCPUAndNeuralEngine, "cpuAndNeuralEngine", inputs, n_inputs, refs,
                            n_refs, runs, &out->units[out->n_units++]);
        } else {
            coreml_unit_result *u = &out->units[out->n_units++];
            snprintf(u->unit, sizeof u->unit, "cpuAndNeuralEngine");
            snprintf(u->error, sizeof u->error, "this OS has no cpuAndNeuralEngine setting (macOS 13 / iOS 16)");
        }
        cb_unit_guarded(compiled, MLComputeUnitsAll, "all", inputs, n_inputs, refs, n_refs, runs,
                        &out->units[out->n_units++]);
        if (compiled != url) cb_remove_compiled(compiled);
    }
}
