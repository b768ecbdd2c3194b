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
 * declared data type, images as BGRA / one-component 8-bit pixel buffers),
 * compares each output with the reference executor's fp32 output (L-inf,
 * RMSE) and, where the OS has MLComputePlan, counts the ML Program ops /
 * NeuralNetwork layers by the device Core ML prefers for them. Every failure
 * is a message in the result, never an invented figure.
 *
 * SOURCE (Apple developer documentation, Core ML framework):
 * MLModel +compileModelAtURL:error: (macOS 10.13); MLModelConfiguration
 * computeUnits (macOS 10.14), MLComputeUnitsCPUAndNeuralEngine (macOS 13.0,
 * iOS 16.0); MLModel +modelWithContentsOfURL:configuration:error: (macOS
 * 10.14); MLMultiArray -initWithShape:dataType:error:, strides,
 * -getMutableBytesWithHandler: (macOS 12.3), MLMultiArrayDataTypeFloat16
 * (macOS 12.0); MLComputePlan +loadContentsOfURL:configuration:
 * completionHandler:, -computeDeviceUsageForMLProgramOperation:,
 * -computeDeviceUsageForNeuralNetworkLayer:, MLModelStructure,
 * MLCPUComputeDevice / MLGPUComputeDevice / MLNeuralEngineComputeDevice
 * (macOS 14.4, iOS 17.4). CoreVideo CVPixelBufferCreate with
 * kCVPixelFormatType_32BGRA / kCVPixelFormatType_OneComponent8. */
#import <CoreML/CoreML.h>
#import <CoreVideo/CoreVideo.h>
#import <Foundation/Foundation.h>

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "coreml_backend.h"

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
    snprintf(dst, cap, "%s", s ? s.UTF8String : "");
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

/* A multi-array input of the declared data type, filled from t (C order). */
static MLMultiArray *cb_array(const coreml_tensor *t, MLMultiArrayDataType dt, NSString **err) {
    NSMutableArray<NSNumber *> *shape = [NSMutableArray array];
    for (int i = 0; i < t->rank; i++) [shape addObject:@(t->shape[i])];
    NSError *e = nil;
    MLMultiArray *a = [[MLMultiArray alloc] initWithShape:shape dataType:dt error:&e];
    if (!a) {
        *err = [NSString stringWithFormat:@"input '%s': %@", t->name, e.localizedDescription];
        return nil;
    }
    size_t n = cb_count(t);
    /* a freshly made array is contiguous in C order */
    for (size_t i = 0; i < n; i++) a[(NSInteger)i] = @(t->data[i]);
    return a;
}

/* A pixel buffer from [1, C, H, W] values 0..255 (C = 3: RGB or BGR, 1: gray). */
static CVPixelBufferRef cb_pixels(const coreml_tensor *t, NSString **err) {
    if (t->rank != 4) {
        *err = [NSString stringWithFormat:@"image input '%s' is not [1, C, H, W]", t->name];
        return NULL;
    }
    size_t C = (size_t)t->shape[1], H = (size_t)t->shape[2], W = (size_t)t->shape[3];
    OSType fmt = C == 1 ? kCVPixelFormatType_OneComponent8 : kCVPixelFormatType_32BGRA;
    CVPixelBufferRef pb = NULL;
    if (CVPixelBufferCreate(kCFAllocatorDefault, W, H, fmt, NULL, &pb) != kCVReturnSuccess || !pb) {
        *err = [NSString stringWithFormat:@"image input '%s': CVPixelBufferCreate failed", t->name];
        return NULL;
    }
    CVPixelBufferLockBaseAddress(pb, 0);
    unsigned char *base = CVPixelBufferGetBaseAddress(pb);
    size_t row = CVPixelBufferGetBytesPerRow(pb);
    for (size_t y = 0; y < H; y++)
        for (size_t x = 0; x < W; x++) {
            unsigned char *px = base + y * row + x * (C == 1 ? 1 : 4);
            if (C == 1) {
                px[0] = (unsigned char)fmax(0, fmin(255, t->data[y * W + x]));
            } else {
                float r = t->data[(t->image_bgr ? 2 : 0) * H * W + y * W + x];
                float g = t->data[1 * H * W + y * W + x];
                float b = t->data[(t->image_bgr ? 0 : 2) * H * W + y * W + x];
                px[0] = (unsigned char)fmax(0, fmin(255, b)); /* BGRA */
                px[1] = (unsigned char)fmax(0, fmin(255, g));
                px[2] = (unsigned char)fmax(0, fmin(255, r));
                px[3] = 255;
            }
        }
    CVPixelBufferUnlockBaseAddress(pb, 0);
    return pb;
}

static id<MLFeatureProvider> cb_features(MLModel *model, const coreml_tensor *inputs, size_t n, NSString **err) {
    NSMutableDictionary<NSString *, MLFeatureValue *> *d = [NSMutableDictionary dictionary];
    NSDictionary<NSString *, MLFeatureDescription *> *descs = model.modelDescription.inputDescriptionsByName;
    for (size_t i = 0; i < n; i++) {
        NSString *name = [NSString stringWithUTF8String:inputs[i].name];
        MLFeatureDescription *fd = descs[name];
        if (!fd) continue;
        if (fd.type == MLFeatureTypeImage) {
            CVPixelBufferRef pb = cb_pixels(&inputs[i], err);
            if (!pb) return nil;
            d[name] = [MLFeatureValue featureValueWithPixelBuffer:pb];
            CVPixelBufferRelease(pb);
        } else if (fd.type == MLFeatureTypeMultiArray) {
            MLMultiArrayDataType dt = fd.multiArrayConstraint.dataType;
            MLMultiArray *a = cb_array(&inputs[i], dt, err);
            if (!a) return nil;
            d[name] = [MLFeatureValue featureValueWithMultiArray:a];
        } else {
            *err = [NSString stringWithFormat:@"input '%@' is of a feature type the probe does not feed", name];
            return nil;
        }
    }
    NSError *e = nil;
    MLDictionaryFeatureProvider *p = [[MLDictionaryFeatureProvider alloc] initWithDictionary:d error:&e];
    if (!p) *err = e.localizedDescription;
    return p;
}

/* L-inf and RMSE of an output against the reference (C order values). */
static bool cb_compare(MLMultiArray *a, const coreml_tensor *ref, double *linf, double *rmse, double *maxref) {
    size_t n = cb_count(ref);
    if ((size_t)a.count != n) return false;
    NSArray<NSNumber *> *shape = a.shape;
    size_t rank = shape.count;
    double se = 0;
    *linf = 0;
    *maxref = 0;
    NSMutableArray<NSNumber *> *key = [NSMutableArray arrayWithCapacity:rank];
    for (size_t k = 0; k < rank; k++) [key addObject:@0];
    for (size_t i = 0; i < n; i++) {
        /* the C-order element i by its multi-dimensional index (the array
         * may be strided or padded) */
        size_t rem = i;
        for (size_t k = rank; k-- > 0;) {
            size_t dim = shape[k].unsignedLongValue;
            key[k] = @(rem % dim);
            rem /= dim;
        }
        double v = [a objectForKeyedSubscript:key].doubleValue;
        double r = ref->data[i];
        if (fabs(r) > *maxref) *maxref = fabs(r);
        double e = fabs(v - r);
        if (!(e <= *linf)) *linf = e;
        se += e * e;
    }
    *rmse = n ? sqrt(se / (double)n) : 0;
    return true;
}

/* ops by preferred device through MLComputePlan (macOS 14.4+) */
static void cb_plan(NSURL *compiled, MLModelConfiguration *cfg, coreml_unit_result *u) {
    u->plan_available = false;
    if (@available(macOS 14.4, iOS 17.4, *)) {
        dispatch_semaphore_t done = dispatch_semaphore_create(0);
        __block MLComputePlan *plan = nil;
        [MLComputePlan loadContentsOfURL:compiled
                           configuration:cfg
                       completionHandler:^(MLComputePlan *p, NSError *e) {
                         (void)e;
                         plan = p;
                         dispatch_semaphore_signal(done);
                       }];
        if (dispatch_semaphore_wait(done, dispatch_time(DISPATCH_TIME_NOW, 60 * NSEC_PER_SEC)) != 0 || !plan) return;
        __block long cpu = 0, gpu = 0, ne = 0, other = 0;
        void (^count)(id<MLComputeDeviceProtocol>) = ^(id<MLComputeDeviceProtocol> dev) {
          if (!dev) return;
          if ([(id)dev isKindOfClass:[MLCPUComputeDevice class]]) cpu++;
          else if ([(id)dev isKindOfClass:[MLGPUComputeDevice class]]) gpu++;
          else if ([(id)dev isKindOfClass:[MLNeuralEngineComputeDevice class]]) ne++;
          else other++;
        };
        MLModelStructure *st = plan.modelStructure;
        if (st.program) {
            for (NSString *fname in st.program.functions) {
                MLModelStructureProgramFunction *fn = st.program.functions[fname];
                for (MLModelStructureProgramOperation *op in fn.block.operations) {
                    MLComputePlanDeviceUsage *use = [plan computeDeviceUsageForMLProgramOperation:op];
                    if (use) count(use.preferredComputeDevice);
                }
            }
        } else if (st.neuralNetwork) {
            for (MLModelStructureNeuralNetworkLayer *layer in st.neuralNetwork.layers) {
                MLComputePlanDeviceUsage *use = [plan computeDeviceUsageForNeuralNetworkLayer:layer];
                if (use) count(use.preferredComputeDevice);
            }
        }
        u->plan_available = true;
        u->plan_cpu = cpu;
        u->plan_gpu = gpu;
        u->plan_ne = ne;
        u->plan_other = other;
    }
}

static void cb_unit(NSURL *compiled, MLComputeUnits units, const char *name, const coreml_tensor *inputs,
                    size_t n_inputs, const coreml_tensor *refs, size_t n_refs, int runs, coreml_unit_result *u) {
    snprintf(u->unit, sizeof u->unit, "%s", name);
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
    id<MLFeatureProvider> in = cb_features(m, inputs, n_inputs, &err);
    if (!in) {
        cb_copy(u->error, sizeof u->error, err ?: @"inputs could not be built");
        return;
    }
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
            id<MLFeatureProvider> r = [m predictionFromFeatures:in error:&e];
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
    for (size_t i = 0; i < n_refs; i++) {
        MLFeatureValue *v = [res featureValueForName:[NSString stringWithUTF8String:refs[i].name]];
        if (!v || v.type != MLFeatureTypeMultiArray) continue;
        double linf, rmse, mx;
        if (!cb_compare(v.multiArrayValue, &refs[i], &linf, &rmse, &mx)) continue;
        if (!u->compared || linf > u->max_abs_err) {
            u->max_abs_err = linf;
            u->rmse = rmse;
            u->max_ref = mx;
        }
        u->compared = true;
    }
    cb_plan(compiled, cfg, u);
    u->measured = true;
}

void cml_coreml_probe_impl(const char *model_path, const coreml_tensor *inputs, size_t n_inputs,
                           const coreml_tensor *refs, size_t n_refs, int runs, coreml_result *out) {
    memset(out, 0, sizeof *out);
    @autoreleasepool {
        NSOperatingSystemVersion v = [NSProcessInfo processInfo].operatingSystemVersion;
        snprintf(out->os, sizeof out->os, "macOS %ld.%ld.%ld", (long)v.majorVersion, (long)v.minorVersion,
                 (long)v.patchVersion);
        NSURL *url = [NSURL fileURLWithPath:[NSString stringWithUTF8String:model_path]];
        NSError *e = nil;
        double t0 = cb_now_ms();
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wdeprecated-declarations"
        NSURL *compiled = [url.pathExtension isEqualToString:@"mlmodelc"] ? url : [MLModel compileModelAtURL:url
                                                                                                        error:&e];
#pragma clang diagnostic pop
        out->compile_ms = cb_now_ms() - t0;
        if (!compiled) {
            snprintf(out->reason, sizeof out->reason, "Core ML could not compile the model: %s",
                     e.localizedDescription.UTF8String ?: "unknown error");
            return;
        }
        out->available = true;
        cb_unit(compiled, MLComputeUnitsCPUOnly, "cpuOnly", inputs, n_inputs, refs, n_refs, runs,
                &out->units[out->n_units++]);
        cb_unit(compiled, MLComputeUnitsCPUAndGPU, "cpuAndGPU", inputs, n_inputs, refs, n_refs, runs,
                &out->units[out->n_units++]);
        if (@available(macOS 13.0, iOS 16.0, *)) {
            cb_unit(compiled, MLComputeUnitsCPUAndNeuralEngine, "cpuAndNeuralEngine", inputs, n_inputs, refs, n_refs,
                    runs, &out->units[out->n_units++]);
        } else {
            coreml_unit_result *u = &out->units[out->n_units++];
            snprintf(u->unit, sizeof u->unit, "cpuAndNeuralEngine");
            snprintf(u->error, sizeof u->error, "this OS has no cpuAndNeuralEngine setting (macOS 13 / iOS 16)");
        }
        cb_unit(compiled, MLComputeUnitsAll, "all", inputs, n_inputs, refs, n_refs, runs, &out->units[out->n_units++]);
        if (compiled != url) [[NSFileManager defaultManager] removeItemAtURL:compiled error:nil];
    }
}
