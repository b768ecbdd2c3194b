/* SPDX-License-Identifier: Apache-2.0 */
/* probe_io.c — the runtime probe's files: input arrays given with
 * `--input name=file` (raw little-endian float32 `.f32`, or NumPy `.npy`)
 * and outputs saved with `--save-outputs DIR` (`.npy`, float32). Input
 * files come from users and may be anything: every size, count and header
 * field is checked before use (magic, version, header length within the
 * file, a Python-literal header with 'descr', 'fortran_order' and 'shape'
 * only, a known dtype, C order, dims that multiply without overflow to
 * exactly the data that follows), and each refusal names the file and what
 * is wrong. SOURCE: the .npy format is NumPy's NEP 1 ("A Simple File Format
 * for NumPy Arrays"; numpy/lib/format.py): magic "\x93NUMPY", major/minor
 * version bytes, header length u16 LE (v1) or u32 LE (v2, v3), an ASCII
 * (v3: UTF-8) dict literal padded with spaces and ended by '\n' so that the
 * data starts on a 64-byte boundary. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "probe.h"

#define PRB_MAX_FILE ((uint64_t)4 << 30)   /* 4 GiB: more is not an input */
#define PRB_MAX_HEADER 65536u

static void prb_err(char *err, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void prb_err(char *err, size_t n, const char *fmt, ...) {
    if (!err || !n) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, n, fmt, ap);
    va_end(ap);
}

static bool prb_suffix(const char *s, const char *suf) {
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

/* An input file opened for reading, a regular file only: a FIFO or a
 * device is refused by its type before it is opened (an open for reading
 * of a FIFO blocks until a writer comes), and again on the descriptor. Its
 * stat in *st; NULL with err. */
static FILE *prb_open_input(const char *path, struct stat *st, char *err, size_t errlen) {
    if (stat(path, st) == 0 && !S_ISREG(st->st_mode)) {
        prb_err(err, errlen, "%s: not a regular file", path);
        return NULL;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    FILE *f = fd >= 0 ? fdopen(fd, "rb") : NULL;
    if (!f) {
        prb_err(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        if (fd >= 0) close(fd);
        return NULL;
    }
    if (fstat(fileno(f), st) != 0 || !S_ISREG(st->st_mode)) {
        prb_err(err, errlen, "%s: not a regular file", path);
        fclose(f);
        return NULL;
    }
    return f;
}

/* The whole file, up to PRB_MAX_FILE bytes. */
static unsigned char *prb_slurp(const char *path, size_t *len, char *err, size_t errlen) {
    struct stat st;
    FILE *f = prb_open_input(path, &st, err, errlen);
    if (!f) return NULL;
    if ((uint64_t)st.st_size > PRB_MAX_FILE) {
        prb_err(err, errlen, "%s: %lld bytes, more than the 4 GiB an input may have", path, (long long)st.st_size);
        fclose(f);
        return NULL;
    }
    size_t n = (size_t)st.st_size;
    unsigned char *b = malloc(n ? n : 1);
    if (!b) {
        prb_err(err, errlen, "%s: out of memory reading %zu bytes", path, n);
        fclose(f);
        return NULL;
    }
    size_t got = n ? fread(b, 1, n, f) : 0;
    fclose(f);
    if (got != n) {
        prb_err(err, errlen, "%s: short read (%zu of %zu bytes)", path, got, n);
        free(b);
        return NULL;
    }
    *len = n;
    return b;
}

/* ---- .npy header ------------------------------------------------------------ */

typedef struct prb_hdr {
    char descr[16];
    bool fortran, have_descr, have_fortran, have_shape;
    int rank;
    int64_t dims[EXEC_MAX_RANK];
} prb_hdr;

typedef struct prb_lex {
    const char *p, *end;
} prb_lex;

static void prb_ws(prb_lex *l) {
    while (l->p < l->end && (*l->p == ' ' || *l->p == '\t' || *l->p == '\n' || *l->p == '\r')) l->p++;
}

static bool prb_eat(prb_lex *l, char c) {
    prb_ws(l);
    if (l->p < l->end && *l->p == c) {
        l->p++;
        return true;
    }
    return false;
}

/* a quoted Python string ('...' or "...") without escapes */
static bool prb_str(prb_lex *l, char *out, size_t cap) {
    prb_ws(l);
    if (l->p >= l->end || (*l->p != '\'' && *l->p != '"')) return false;
    char q = *l->p++;
    size_t n = 0;
    while (l->p < l->end && *l->p != q) {
        if (*l->p == '\\' || n + 1 >= cap) return false;
        out[n++] = *l->p++;
    }
    if (l->p >= l->end) return false;
    l->p++;
    out[n] = 0;
    return true;
}

static bool prb_word(prb_lex *l, const char *w) {
    prb_ws(l);
    size_t n = strlen(w);
    if ((size_t)(l->end - l->p) >= n && !strncmp(l->p, w, n)) {
        l->p += n;
        return true;
    }
    return false;
}

static bool prb_int(prb_lex *l, int64_t *v) {
    prb_ws(l);
    int64_t x = 0;
    int digits = 0;
    while (l->p < l->end && *l->p >= '0' && *l->p <= '9') {
        if (x > (INT64_MAX - 9) / 10) return false;
        x = x * 10 + (*l->p++ - '0');
        digits++;
    }
    if (l->p < l->end && (*l->p == 'L' || *l->p == 'l')) l->p++; /* Python 2 longs */
    *v = x;
    return digits > 0;
}

static const char *prb_parse_header(const char *h, size_t n, prb_hdr *o) {
    prb_lex l = {h, h + n};
    memset(o, 0, sizeof *o);
    if (!prb_eat(&l, '{')) return "the header is not a dict literal";
    for (;;) {
        if (prb_eat(&l, '}')) break;
        char key[32];
        if (!prb_str(&l, key, sizeof key)) return "a header key is not a quoted string";
        if (!prb_eat(&l, ':')) return "a header key is not followed by ':'";
        if (!strcmp(key, "descr")) {
            if (!prb_str(&l, o->descr, sizeof o->descr)) return "'descr' is not a simple type string";
            o->have_descr = true;
        } else if (!strcmp(key, "fortran_order")) {
            if (prb_word(&l, "False")) o->fortran = false;
            else if (prb_word(&l, "True")) o->fortran = true;
            else return "'fortran_order' is not True or False";
            o->have_fortran = true;
        } else if (!strcmp(key, "shape")) {
            if (!prb_eat(&l, '(')) return "'shape' is not a tuple";
            o->rank = 0;
            while (!prb_eat(&l, ')')) {
                if (o->rank >= EXEC_MAX_RANK) return "'shape' has more than 8 dimensions";
                if (!prb_int(&l, &o->dims[o->rank])) return "'shape' holds something other than non-negative integers";
                o->rank++;
                if (!prb_eat(&l, ',')) {
                    if (!prb_eat(&l, ')')) return "'shape' is not a tuple of integers";
                    break;
                }
            }
            o->have_shape = true;
        } else {
            return "the header has a key other than 'descr', 'fortran_order' and 'shape'";
        }
        if (!prb_eat(&l, ',')) {
            if (!prb_eat(&l, '}')) return "the header dict is not closed";
            break;
        }
    }
    prb_ws(&l);
    if (l.p != l.end) return "text follows the header dict";
    if (!o->have_descr || !o->have_fortran || !o->have_shape)
        return "the header lacks 'descr', 'fortran_order' or 'shape'";
    return NULL;
}

typedef enum { T_F2, T_F4, T_F8, T_I1, T_I2, T_I4, T_I8, T_U1, T_U2, T_U4, T_U8, T_B1 } prb_type;

static int prb_type_of(const char *descr, prb_type *t, size_t *size, bool *swap) {
    char order = descr[0];
    const char *k = descr + 1;
    if (order != '<' && order != '>' && order != '|' && order != '=') return -1;
    static const struct { const char *s; prb_type t; size_t n; } map[] = {
        {"f2", T_F2, 2}, {"f4", T_F4, 4}, {"f8", T_F8, 8}, {"i1", T_I1, 1}, {"i2", T_I2, 2}, {"i4", T_I4, 4},
        {"i8", T_I8, 8}, {"u1", T_U1, 1}, {"u2", T_U2, 2}, {"u4", T_U4, 4}, {"u8", T_U8, 8}, {"b1", T_B1, 1}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (!strcmp(k, map[i].s)) {
            *t = map[i].t;
            *size = map[i].n;
            *swap = order == '>' && map[i].n > 1;
            return 0;
        }
    return -1;
}

/* one element of size bytes (at most 8) into b, in this machine's byte order */
static void prb_elem(unsigned char *b, const unsigned char *src, size_t size, bool swap) {
    memcpy(b, src, size);
    if (swap)
        for (size_t k = 0; k < size / 2; k++) {
            unsigned char x = b[k];
            b[k] = b[size - 1 - k];
            b[size - 1 - k] = x;
        }
}

static void prb_convert(const unsigned char *src, prb_type t, size_t size, bool swap, float *dst, size_t n) {
    for (size_t i = 0; i < n; i++) {
        unsigned char b[8];
        prb_elem(b, src + i * size, size, swap);
        switch (t) {
        case T_F2: { uint16_t h; memcpy(&h, b, 2); dst[i] = cml_half_to_float(h); break; }
        case T_F4: memcpy(&dst[i], b, 4); break;
        case T_F8: { double d; memcpy(&d, b, 8); dst[i] = (float)d; break; }
        case T_I1: dst[i] = (float)(int8_t)b[0]; break;
        case T_I2: { int16_t x; memcpy(&x, b, 2); dst[i] = x; break; }
        case T_I4: { int32_t x; memcpy(&x, b, 4); dst[i] = (float)x; break; }
        case T_I8: { int64_t x; memcpy(&x, b, 8); dst[i] = (float)x; break; }
        case T_U1: dst[i] = b[0]; break;
        case T_U2: { uint16_t x; memcpy(&x, b, 2); dst[i] = x; break; }
        case T_U4: { uint32_t x; memcpy(&x, b, 4); dst[i] = (float)x; break; }
        case T_U8: { uint64_t x; memcpy(&x, b, 8); dst[i] = (float)x; break; }
        case T_B1: dst[i] = b[0] != 0; break;
        }
    }
}

/* The values as doubles, for a caller that keeps them exact (a classic
 * model's Double input, an integer input): every dtype converts exactly,
 * except an int64 / uint64 past 2^53, which a double cannot hold and is
 * refused (with its index) rather than rounded. 0, or -1 with err. */
static int prb_convert64(const char *path, const unsigned char *src, prb_type t, size_t size, bool swap, double *dst,
                         size_t n, char *err, size_t errlen) {
    for (size_t i = 0; i < n; i++) {
        unsigned char b[8];
        prb_elem(b, src + i * size, size, swap);
        const int64_t lim = (int64_t)1 << 53;
        switch (t) {
        case T_F8: memcpy(&dst[i], b, 8); break;
        case T_I8: {
            int64_t x;
            memcpy(&x, b, 8);
            if (x > lim || x < -lim) {
                prb_err(err, errlen, "%s: value %lld at index %zu is past 2^53, which the probe cannot hold exactly "
                        "(give an int64 sequence as .txt, one integer per line)", path, (long long)x, i);
                return -1;
            }
            dst[i] = (double)x;
            break;
        }
        case T_U8: {
            uint64_t x;
            memcpy(&x, b, 8);
            if (x > (uint64_t)lim) {
                prb_err(err, errlen, "%s: value %llu at index %zu is past 2^53, which the probe cannot hold exactly "
                        "(give an int64 sequence as .txt, one integer per line)", path, (unsigned long long)x, i);
                return -1;
            }
            dst[i] = (double)x;
            break;
        }
        default: { /* the others are exact in float32, so in double */
            float f;
            prb_convert(b, t, size, false, &f, 1);
            dst[i] = f;
            break;
        }
        }
    }
    return 0;
}

static float *prb_read_npy(const char *path, const unsigned char *b, size_t len, size_t *n, int *rank,
                           int64_t *dims, double **wide, char *err, size_t errlen) {
    if (len < 10 || memcmp(b, "\x93NUMPY", 6) != 0) {
        prb_err(err, errlen, "%s: not a .npy file (no \\x93NUMPY magic)", path);
        return NULL;
    }
    unsigned major = b[6];
    size_t hlen, hoff;
    if (major == 1) {
        hlen = (size_t)b[8] | (size_t)b[9] << 8;
        hoff = 10;
    } else if (major == 2 || major == 3) {
        if (len < 12) {
            prb_err(err, errlen, "%s: truncated .npy header", path);
            return NULL;
        }
        hlen = (size_t)b[8] | (size_t)b[9] << 8 | (size_t)b[10] << 16 | (size_t)b[11] << 24;
        hoff = 12;
    } else {
        prb_err(err, errlen, "%s: .npy format version %u.%u is not one this reads (1.0, 2.0, 3.0)", path, major, b[7]);
        return NULL;
    }
    if (hlen > PRB_MAX_HEADER || hlen > len - hoff) {
        prb_err(err, errlen, "%s: the .npy header length %zu runs past the file (%zu bytes)", path, hlen, len);
        return NULL;
    }
    prb_hdr h;
    const char *why = prb_parse_header((const char *)b + hoff, hlen, &h);
    if (why) {
        prb_err(err, errlen, "%s: bad .npy header: %s", path, why);
        return NULL;
    }
    if (h.fortran) {
        prb_err(err, errlen, "%s: fortran_order True is not supported (save the array in C order)", path);
        return NULL;
    }
    prb_type t;
    size_t size;
    bool swap;
    if (prb_type_of(h.descr, &t, &size, &swap) != 0) {
        prb_err(err, errlen, "%s: dtype '%s' is not supported (float16/32/64, int8..64, uint8..64, bool)", path,
                h.descr);
        return NULL;
    }
    uint64_t count = 1;
    for (int i = 0; i < h.rank; i++) {
        if (h.dims[i] < 0 || (h.dims[i] && count > UINT64_MAX / (uint64_t)h.dims[i])) {
            prb_err(err, errlen, "%s: the shape overflows", path);
            return NULL;
        }
        count *= (uint64_t)h.dims[i];
    }
    size_t data = len - hoff - hlen;
    if (count > data / size || count * size != data) {
        prb_err(err, errlen, "%s: the shape needs %llu bytes of %s data, the file holds %zu", path,
                (unsigned long long)(count * size), h.descr, data);
        return NULL;
    }
    float *out = malloc(count ? (size_t)count * sizeof(float) : sizeof(float));
    double *w = wide ? malloc(count ? (size_t)count * sizeof(double) : sizeof(double)) : NULL;
    if (!out || (wide && !w)) {
        free(out);
        free(w);
        prb_err(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    prb_convert(b + hoff + hlen, t, size, swap, out, (size_t)count);
    if (w && prb_convert64(path, b + hoff + hlen, t, size, swap, w, (size_t)count, err, errlen) != 0) {
        free(out);
        free(w);
        return NULL;
    }
    if (wide) *wide = w;
    *n = (size_t)count;
    *rank = h.rank;
    for (int i = 0; i < h.rank; i++) dims[i] = h.dims[i];
    return out;
}

float *probe_read_array(const char *path, size_t *n, int *rank, int64_t *dims, double **wide, char *err,
                        size_t errlen) {
    *n = 0;
    *rank = -1;
    if (wide) *wide = NULL;
    bool npy = prb_suffix(path, ".npy"), f32 = prb_suffix(path, ".f32");
    if (!npy && !f32) {
        prb_err(err, errlen, "%s: an input file must end in .f32 (raw little-endian float32) or .npy", path);
        return NULL;
    }
    size_t len = 0;
    unsigned char *b = prb_slurp(path, &len, err, errlen);
    if (!b) return NULL;
    float *out = NULL;
    if (npy) {
        out = prb_read_npy(path, b, len, n, rank, dims, wide, err, errlen);
    } else if (len % 4) {
        prb_err(err, errlen, "%s: %zu bytes is not a whole number of float32 values", path, len);
    } else {
        out = malloc(len ? len : 4);
        double *w = wide ? malloc(len ? len / 4 * sizeof(double) : sizeof(double)) : NULL;
        if (!out || (wide && !w)) {
            prb_err(err, errlen, "%s: out of memory", path);
            free(out);
            free(w);
            out = NULL;
        } else {
            prb_convert(b, T_F4, 4, false, out, len / 4); /* little-endian hosts only (x86-64, arm64) */
            for (size_t i = 0; w && i < len / 4; i++) w[i] = out[i];
            if (wide) *wide = w;
            *n = len / 4;
        }
    }
    free(b);
    return out;
}

/* A new file `name` in the folder dirfd (AT_FDCWD: the working folder),
 * never through a symbolic link planted where the file goes. */
static FILE *prb_create_at(int dirfd, const char *name) {
    int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0666);
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (!f && fd >= 0) close(fd);
    return f;
}

int probe_save_dir_open(const char *dir, char *err, size_t errlen) {
    /* the folder's own name, without trailing slashes (with one, lstat and
     * O_NOFOLLOW follow a link: "out/" wrote through the link "out") */
    size_t n = strlen(dir);
    char path[4096];
    if (!n || n >= sizeof path) {
        prb_err(err, errlen, "%s: not a usable folder name", dir);
        return -1;
    }
    memcpy(path, dir, n + 1);
    while (n > 1 && path[n - 1] == '/') path[--n] = 0;
    char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    if (!strcmp(base, ".") || !strcmp(base, "..") || (slash == path && !*base)) {
        prb_err(err, errlen, "%s: name the folder itself (not '.', '..' or '/')", dir);
        return -1;
    }
    /* the folders above it: for a relative path (inside the checkout,
     * where a pull request can plant links) each is opened without
     * following a link; an absolute path's are the user's own (/tmp is a
     * link on macOS) */
    int parent = AT_FDCWD;
    if (slash && path[0] != '/') {
        *slash = 0;
        for (char *part = path, *end; part; part = end) {
            end = strchr(part, '/');
            if (end) *end++ = 0;
            if (!*part || !strcmp(part, ".")) continue;
            int fd = openat(parent, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (parent != AT_FDCWD) close(parent);
            if (fd < 0) {
                prb_err(err, errlen, "%s: '%s' above it is %s", dir, part,
                        errno == ELOOP || errno == ENOTDIR ? "a symbolic link or not a folder" : strerror(errno));
                return -1;
            }
            parent = fd;
        }
    } else if (slash) {
        *slash = 0;
        parent = open(slash == path ? "/" : path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (parent < 0) {
            prb_err(err, errlen, "%s: cannot open the folder above it: %s", dir, strerror(errno));
            return -1;
        }
    }
    if (mkdirat(parent, base, 0777) != 0 && errno != EEXIST) {
        prb_err(err, errlen, "%s: cannot create the folder: %s", dir, strerror(errno));
        if (parent != AT_FDCWD) close(parent);
        return -1;
    }
    /* a checkout can commit the folder as a link to anywhere the runner
     * may write: the probe writes into a real folder only */
    int fd = openat(parent, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        /* O_NOFOLLOW on a link: ELOOP, or ENOTDIR with O_DIRECTORY */
        int e = errno;
        struct stat st;
        bool link = e == ELOOP || (fstatat(parent, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode));
        prb_err(err, errlen, "%s: %s", dir,
                link ? "a symbolic link, not a folder (name a folder outside the checkout)"
                     : e == ENOTDIR ? "not a folder" : strerror(e));
    }
    if (parent != AT_FDCWD) close(parent);
    return fd;
}

int probe_write_npy(int dirfd, const char *path, const float *data, const double *data64, int rank,
                    const int64_t *dims, char *err, size_t errlen) {
    char shape[256] = "";
    size_t k = 0;
    uint64_t count = 1;
    for (int i = 0; i < rank; i++) {
        k += (size_t)snprintf(shape + k, sizeof shape - k, "%s%lld", i ? ", " : "", (long long)dims[i]);
        if (k >= sizeof shape) k = sizeof shape - 1;
        count *= (uint64_t)(dims[i] > 0 ? dims[i] : 0);
    }
    char dict[400];
    /* '<f8' when the run computed the values as doubles (a classic model's
     * Double output), '<f4' otherwise; little-endian hosts only */
    int dl = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (%s%s), }",
                      data64 ? "<f8" : "<f4", shape, rank == 1 ? "," : "");
    if (dl < 0 || (size_t)dl >= sizeof dict - 80) {
        prb_err(err, errlen, "%s: shape too long for a header", path);
        return -1;
    }
    /* pad with spaces so that magic + version + length + header is a
     * multiple of 64, the header ending in '\n' (NEP 1) */
    size_t total = 10 + (size_t)dl + 1;
    size_t pad = (64 - total % 64) % 64;
    char header[512];
    memcpy(header, dict, (size_t)dl);
    memset(header + dl, ' ', pad);
    header[(size_t)dl + pad] = '\n';
    size_t hlen = (size_t)dl + pad + 1;
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(hlen & 0xff),
                             (unsigned char)(hlen >> 8)};
    FILE *f = prb_create_at(dirfd, path);
    if (!f) {
        prb_err(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        return -1;
    }
    bool ok = fwrite(pre, 1, 10, f) == 10 && fwrite(header, 1, hlen, f) == hlen &&
              (count == 0 || (data64 ? fwrite(data64, sizeof(double), (size_t)count, f)
                                     : fwrite(data, sizeof(float), (size_t)count, f)) == (size_t)count);
    if (fclose(f) != 0) ok = false;
    if (!ok) {
        prb_err(err, errlen, "%s: write failed", path);
        return -1;
    }
    return 0;
}

void probe_safe_name(const char *name, char *out, size_t cap) {
    size_t k = 0;
    for (const char *s = name ? name : ""; *s && k + 1 < cap; s++) {
        char c = *s;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
                  (c == '.' && k > 0);
        out[k++] = ok ? c : '_';
    }
    if (!k && cap > 1) out[k++] = '_';
    out[k] = 0;
}

/* ---- strings and dictionaries -------------------------------------------------------------- */

static bool prb_unescape(char *s);

char **probe_read_lines(const char *path, size_t *n, double **values, char *err, size_t errlen) {
    *n = 0;
    if (values) *values = NULL;
    struct stat st;
    FILE *f = prb_open_input(path, &st, err, errlen);
    if (!f) return NULL;
    if ((uint64_t)st.st_size > PRB_MAX_FILE) {
        prb_err(err, errlen, "%s: not a readable file of at most 4 GiB", path);
        fclose(f);
        return NULL;
    }
    size_t len = (size_t)st.st_size;
    char *text = malloc(len + 1);
    if (!text || fread(text, 1, len, f) != len) {
        prb_err(err, errlen, text ? "%s: cannot read" : "%s: out of memory", path);
        free(text);
        fclose(f);
        return NULL;
    }
    fclose(f);
    text[len] = 0;
    if (memchr(text, 0, len)) {
        prb_err(err, errlen, "%s: a text file of one value per line must not hold NUL bytes", path);
        free(text);
        return NULL;
    }
    size_t lines = 0;
    for (size_t i = 0; i < len; i++) lines += text[i] == '\n';
    if (len && text[len - 1] != '\n') lines++;
    /* one block: the pointers, then the text (lines cut at '\n', a '\r' before it dropped) */
    char **v = malloc((lines ? lines : 1) * sizeof *v + len + 1);
    double *vals = values ? malloc((lines ? lines : 1) * sizeof *vals) : NULL;
    if (!v || (values && !vals)) {
        free(v);
        free(vals);
        free(text);
        prb_err(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    char *body = (char *)(v + (lines ? lines : 1));
    memcpy(body, text, len + 1);
    free(text);
    /* every line is a value, an empty one too (the empty string; a reader
     * of numbers refuses it with its line number): `lines` counts them,
     * a last line without '\n' included */
    size_t k = 0;
    for (char *line = body; k < lines;) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = 0;
        size_t l = strlen(line);
        if (l && line[l - 1] == '\r') line[l - 1] = 0;
        if (values) {
            char *tab = strrchr(line, '\t'), *end = NULL;
            if (!tab) {
                prb_err(err, errlen, "%s: line %zu: expected KEY<TAB>VALUE", path, k + 1);
                free(v);
                free(vals);
                return NULL;
            }
            *tab = 0;
            double d = strtod(tab + 1, &end);
            if (end == tab + 1 || *end) {
                prb_err(err, errlen, "%s: line %zu: '%.60s' is not a number", path, k + 1, tab + 1);
                free(v);
                free(vals);
                return NULL;
            }
            vals[k] = d;
        }
        if (!prb_unescape(line)) {
            prb_err(err, errlen, "%s: line %zu: \\x00 (a NUL byte) cannot be in a string", path, k + 1);
            free(v);
            free(vals);
            return NULL;
        }
        v[k++] = line;
        if (!nl) break;
        line = nl + 1;
    }
    *n = k;
    if (values) *values = vals;
    return v;
}

/* A value on one line: a backslash, newline, tab, carriage return and the
 * other control bytes escaped (\\ \n \t \r \xNN), which
 * probe_read_lines reads back, so that a model's label cannot add lines or
 * columns to the file. */
static void prb_put_escaped(FILE *f, const char *s) {
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '\\') fputs("\\\\", f);
        else if (*p == '\n') fputs("\\n", f);
        else if (*p == '\t') fputs("\\t", f);
        else if (*p == '\r') fputs("\\r", f);
        else if (*p < 0x20 || *p == 0x7f) fprintf(f, "\\x%02x", *p);
        else fputc(*p, f);
    }
}

static int prb_hex(int c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* prb_put_escaped's escapes, undone in place; any other backslash stays.
 * false for \x00: a NUL cannot be in a string (C strings end there, and
 * keeping the four characters would read the line as something else) */
static bool prb_unescape(char *s) {
    char *o = s;
    for (const char *p = s; *p; p++) {
        if (*p == '\\' && p[1]) {
            char c = p[1];
            int h1 = c == 'x' && p[2] ? prb_hex((unsigned char)p[2]) : -1;
            int h2 = h1 >= 0 && p[3] ? prb_hex((unsigned char)p[3]) : -1;
            if (c == '\\' || c == 'n' || c == 't' || c == 'r') {
                *o++ = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : '\\';
                p++;
                continue;
            }
            if (h2 >= 0) {
                if (!h1 && !h2) return false;
                *o++ = (char)(h1 * 16 + h2);
                p += 3;
                continue;
            }
        }
        *o++ = *p;
    }
    *o = 0;
    return true;
}

int probe_write_lines(int dirfd, const char *path, const char *const *keys, const float *values,
                      const double *values64, size_t n, char *err, size_t errlen) {
    FILE *f = prb_create_at(dirfd, path);
    if (!f) {
        prb_err(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        prb_put_escaped(f, keys[i]);
        if (values64) {
            /* the shortest form that reads back as the same double */
            char num[40];
            for (int prec = 15; prec <= 17; prec++) {
                snprintf(num, sizeof num, "%.*g", prec, values64[i]);
                if (strtod(num, NULL) == values64[i]) break;
            }
            fprintf(f, "\t%s", num);
        } else if (values) {
            fprintf(f, "\t%.9g", (double)values[i]);
        }
        fputc('\n', f);
    }
    if (fclose(f) != 0) {
        prb_err(err, errlen, "%s: cannot write", path);
        return -1;
    }
    return 0;
}
