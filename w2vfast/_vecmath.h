/* The arithmetic hot spots of w2vfast's training kernels, in plain C.
 *
 * Everything here is called from _kernels.pyx with the GIL released. The routines that touch whole vectors
 * are compiled several times through GCC function multiversioning (target_clones): an AVX-512 clone, an
 * AVX2+FMA clone and a baseline clone, picked once at load time by glibc's ifunc resolver. Elsewhere (other
 * compilers, aarch64, macOS, Windows) they are ordinary C loops with `omp simd` hints that the compiler
 * vectorises for its target. No -ffast-math is needed: `omp simd reduction` lets the compiler reorder the sums.
 */
#ifndef W2VFAST_VECMATH_H
#define W2VFAST_VECMATH_H

#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include <math.h>

#if defined(_MSC_VER)
#include <intrin.h>
#include <xmmintrin.h>
#define W2V_RESTRICT __restrict
#define W2V_INLINE static __forceinline
#define W2V_PREFETCH(p) _mm_prefetch((const char *)(p), _MM_HINT_T0)
#define W2V_PREFETCHW(p) _mm_prefetch((const char *)(p), _MM_HINT_T0)
#else
#define W2V_RESTRICT __restrict__
#define W2V_INLINE static inline __attribute__((always_inline))
#define W2V_PREFETCH(p) __builtin_prefetch((const void *)(p), 0, 3)
#define W2V_PREFETCHW(p) __builtin_prefetch((const void *)(p), 1, 3)
#endif

/* Multiversioning needs GCC >= 11 (for the x86-64-v3/v4 level names) and glibc's ifunc. */
#if defined(__GNUC__) && !defined(__clang__) && (__GNUC__ >= 11) && defined(__x86_64__) && \
    defined(__linux__) && defined(__GLIBC__) && !defined(W2VFAST_NO_CLONES)
#define W2V_HAVE_CLONES 1
#define W2V_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define W2V_HAVE_CLONES 0
#define W2V_CLONES
#endif

/* ------------------------------------------------------------------------------------------------------ */
/* Sigmoid and log-sigmoid lookup tables (word2vec.c style).                                               */
/* ------------------------------------------------------------------------------------------------------ */

#define W2V_EXP_TABLE_SIZE 1000
#define W2V_MAX_EXP 6

/* Entry i holds the function at the midpoint of bucket i of [-MAX_EXP, MAX_EXP), so the floor-indexed
 * lookup is off by at most half a bucket (6/1000 in x, i.e. <= 0.0015 in sigmoid). One spare entry guards
 * against a float rounding up to index EXP_TABLE_SIZE. */
static float w2v_sig_table[W2V_EXP_TABLE_SIZE + 1];
static float w2v_logsig_table[W2V_EXP_TABLE_SIZE + 1];

static void w2v_init_tables(void) {
    int i;
    for (i = 0; i < W2V_EXP_TABLE_SIZE; i++) {
        double x = ((i + 0.5) / W2V_EXP_TABLE_SIZE * 2.0 - 1.0) * W2V_MAX_EXP;
        double e = exp(x);
        w2v_sig_table[i] = (float)(e / (e + 1.0));
        w2v_logsig_table[i] = (float)(-log1p(exp(-x)));
    }
    w2v_sig_table[W2V_EXP_TABLE_SIZE] = w2v_sig_table[W2V_EXP_TABLE_SIZE - 1];
    w2v_logsig_table[W2V_EXP_TABLE_SIZE] = w2v_logsig_table[W2V_EXP_TABLE_SIZE - 1];
}

#define W2V_TABLE_SCALE ((float)W2V_EXP_TABLE_SIZE / (2.0f * W2V_MAX_EXP))

/* sigma(f), saturated to exactly 1 above MAX_EXP and 0 below -MAX_EXP (NaN reads as 0, never as an index). */
W2V_INLINE float w2v_sigmoid(float f) {
    if (f > -W2V_MAX_EXP && f < W2V_MAX_EXP)
        return w2v_sig_table[(int)((f + W2V_MAX_EXP) * W2V_TABLE_SCALE)];
    return f >= W2V_MAX_EXP ? 1.0f : 0.0f;
}

/* log sigma(f): f itself below -MAX_EXP, 0 above MAX_EXP. */
W2V_INLINE float w2v_log_sigmoid(float f) {
    if (f > -W2V_MAX_EXP && f < W2V_MAX_EXP)
        return w2v_logsig_table[(int)((f + W2V_MAX_EXP) * W2V_TABLE_SCALE)];
    return f >= W2V_MAX_EXP ? 0.0f : f;
}

/* ------------------------------------------------------------------------------------------------------ */
/* Random numbers: xorshift64* (Vigna), seeded through splitmix64.                                         */
/* ------------------------------------------------------------------------------------------------------ */

W2V_INLINE uint64_t w2v_rng_next(uint64_t *state) {
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static uint64_t w2v_splitmix64(uint64_t x) {
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

/* Independent, never-zero states for (seed, stream) pairs: distinct streams of one seed start far apart. */
static uint64_t w2v_seed_rng(uint64_t seed, uint64_t stream) {
    uint64_t s = w2v_splitmix64(w2v_splitmix64(seed) ^ w2v_splitmix64(stream ^ 0xD1B54A32D192ED03ULL));
    return s ? s : 0x9E3779B97F4A7C15ULL;
}

/* ------------------------------------------------------------------------------------------------------ */
/* Atomics for the shared learning-rate schedule.                                                          */
/* ------------------------------------------------------------------------------------------------------ */

#if defined(_MSC_VER)
W2V_INLINE int64_t w2v_atomic_add_i64(int64_t *p, int64_t v) {
    return _InterlockedExchangeAdd64((volatile long long *)p, v);
}
W2V_INLINE int64_t w2v_atomic_load_i64(int64_t *p) {
    return _InterlockedCompareExchange64((volatile long long *)p, 0, 0);
}
W2V_INLINE void w2v_atomic_store_i64(int64_t *p, int64_t v) {
    _InterlockedExchange64((volatile long long *)p, v);
}
#else
W2V_INLINE int64_t w2v_atomic_add_i64(int64_t *p, int64_t v) {
    return __atomic_fetch_add(p, v, __ATOMIC_RELAXED);
}
W2V_INLINE int64_t w2v_atomic_load_i64(int64_t *p) {
    return __atomic_load_n(p, __ATOMIC_RELAXED);
}
W2V_INLINE void w2v_atomic_store_i64(int64_t *p, int64_t v) {
    __atomic_store_n(p, v, __ATOMIC_RELAXED);
}
#endif

/* ------------------------------------------------------------------------------------------------------ */
/* Private hot rows.                                                                                        */
/* ------------------------------------------------------------------------------------------------------ */

/* A worker's private copies of the rows first .. first + count - 1 of one shared matrix: the rows that almost
 * every update writes (the most frequent words' syn0 and syn1neg rows, the Huffman nodes nearest the root).
 * Threads that all wrote the shared rows would pass their cache lines back and forth between cores on every
 * update; with private copies each thread trains on its own and merges its change into the shared rows now
 * and then (w2v_hot_push), under the model's merge lock, then takes a fresh copy (w2v_hot_pull).
 * count = 0: no private rows, every row is the shared one. */
typedef struct {
    float *rows;        /* count x size: the private copies */
    float *base;        /* count x size: the rows as they were at the last pull */
    int32_t first;
    int32_t count;
    int64_t *lock;      /* the model's merge lock (one for all matrices) */
    float scale;        /* share of its change a worker adds to the shared rows (see w2v_hot_merge) */
} w2v_hot;

/* Row r of the matrix mat: the private copy when the worker holds one. */
W2V_INLINE float *w2v_row(float *mat, int32_t r, int size, const w2v_hot *h) {
    /* Branch-free: whether a row is private follows the word stream and cannot be predicted, and a
     * mispredicted branch here on every row access cost 10-15% of single-thread speed. */
    uint32_t k = (uint32_t)(r - h->first);
    uintptr_t shared = (uintptr_t)(mat + (int64_t)r * size);
    /* in integers: for a shared row this address is meaningless (and never used) */
    uintptr_t mine = (uintptr_t)h->rows + (uintptr_t)k * (uintptr_t)size * sizeof(float);
    uintptr_t take = (uintptr_t)0 - (uintptr_t)(k < (uint32_t)h->count);
    return (float *)((mine & take) | (shared & ~take));
}

/* The merge lock. Training threads only try it (w2v_trylock) when a merge falls due and carry on training
 * when another thread holds it, so a thread that the OS preempted inside a merge never holds the others up;
 * only a worker's last merge waits for it (w2v_lock), yielding the core while it waits. */
#if defined(_MSC_VER)
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>
W2V_INLINE int w2v_trylock(int64_t *l) { return _InterlockedExchange64((volatile long long *)l, 1) == 0; }
W2V_INLINE void w2v_unlock(int64_t *l) { _InterlockedExchange64((volatile long long *)l, 0); }
W2V_INLINE void w2v_yield(void) { SwitchToThread(); }
#else
#include <sched.h>
W2V_INLINE int w2v_trylock(int64_t *l) {
    return __atomic_load_n(l, __ATOMIC_RELAXED) == 0 && __atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE) == 0;
}
W2V_INLINE void w2v_unlock(int64_t *l) { __atomic_store_n(l, 0, __ATOMIC_RELEASE); }
W2V_INLINE void w2v_yield(void) { sched_yield(); }
#endif

W2V_INLINE void w2v_lock(int64_t *l) {
    int spins = 0;
    while (!w2v_trylock(l)) {
        if (++spins >= 64) {
            w2v_yield();
            spins = 0;
        }
    }
}

/* Take a fresh private copy of the shared rows (no lock: a merge in progress elsewhere is seen in part, as
 * any Hogwild read may be). The base is copied from the private copy, not read from the shared rows a second
 * time: a merge by another worker between two reads of the shared rows would leave base != rows, and this
 * worker's next merge would then add (rows - base), i.e. take the other worker's merged change back out. */
static void w2v_hot_pull(const float *mat, int size, w2v_hot *h) {
    size_t nbytes = (size_t)h->count * (size_t)size * sizeof(float);
    const float *shared = mat + (int64_t)h->first * size;
    memcpy(h->rows, shared, nbytes);
    memcpy(h->base, h->rows, nbytes);
}

/* Add `scale` times this worker's change since the last pull to the shared rows.
 *
 * Why not always the whole change: every worker updates its private rows thousands of times between merges,
 * enough for each to move them most of the way to where its own data would settle them. W workers that all
 * add their whole move overshoot W-fold: with W = 2 the rows swing about that point without growing, but
 * past two workers they oscillate with growing amplitude (seen: skip-gram HS with 3 threads diverged). A
 * worker that adds scale = 2/W of its move keeps the W moves together at the two-worker level; while the
 * rows are still far from settled (all workers moving them the same way) they then move as two workers'
 * updates would move them, not W workers'. These rows are, by choice, ones every worker updates all the time.
 *
 * With scale = 1, where no other worker changed an element meanwhile it takes the private value itself, so
 * that a lone worker's result does not depend on when it merges (shared + (mine - base) rounds otherwise). */
W2V_CLONES
static void w2v_hot_merge(float *W2V_RESTRICT shared, const float *W2V_RESTRICT rows,
                          const float *W2V_RESTRICT base, int64_t n, float scale) {
    int64_t q;
    if (scale == 1.0f) {
#pragma omp simd
        for (q = 0; q < n; q++) {
            float s = shared[q], b = base[q], r = rows[q];
            shared[q] = (s == b) ? r : s + (r - b);
        }
    } else {
#pragma omp simd
        for (q = 0; q < n; q++)
            shared[q] += scale * (rows[q] - base[q]);
    }
}

/* The caller holds the merge lock. */
static void w2v_hot_push(float *mat, int size, const w2v_hot *h) {
    w2v_hot_merge(mat + (int64_t)h->first * size, h->rows, h->base, (int64_t)h->count * size, h->scale);
}

/* w2v_hot_push then w2v_hot_pull in one pass over the three arrays (the caller holds the merge lock): the
 * merged value goes to the shared row, the private copy and the base at once, so the rows stream through
 * the cache once per merge instead of three times, which is what lets merges come often. */
W2V_CLONES
static void w2v_hot_sync_rows(float *W2V_RESTRICT shared, float *W2V_RESTRICT rows, float *W2V_RESTRICT base,
                              int64_t n, float scale) {
    int64_t q;
    if (scale == 1.0f) {
#pragma omp simd
        for (q = 0; q < n; q++) {
            float s = shared[q], b = base[q], r = rows[q];
            float v = (s == b) ? r : s + (r - b);
            shared[q] = v;
            rows[q] = v;
            base[q] = v;
        }
    } else {
#pragma omp simd
        for (q = 0; q < n; q++) {
            float v = shared[q] + scale * (rows[q] - base[q]);
            shared[q] = v;
            rows[q] = v;
            base[q] = v;
        }
    }
}

/* The same for the private rows lo .. hi - 1 of the block only. */
static void w2v_hot_sync_part(float *mat, int size, w2v_hot *h, int32_t lo, int32_t hi) {
    int64_t at = (int64_t)lo * size;
    w2v_hot_sync_rows(mat + (int64_t)h->first * size + at, h->rows + at, h->base + at, (int64_t)(hi - lo) * size,
                      h->scale);
}

static void w2v_hot_sync(float *mat, int size, w2v_hot *h) {
    w2v_hot_sync_part(mat, size, h, 0, h->count);
}

/* ------------------------------------------------------------------------------------------------------ */
/* Vector routines.                                                                                        */
/* ------------------------------------------------------------------------------------------------------ */

/* y += a * x */
W2V_CLONES
static void w2v_axpy(int n, float a, const float *W2V_RESTRICT x, float *W2V_RESTRICT y) {
    int d;
#pragma omp simd
    for (d = 0; d < n; d++)
        y[d] += a * x[d];
}

/* out = sum of the rows base[words[j]] for j in [lo, hi), j != skip; returns how many were added. */
W2V_CLONES
static int w2v_sum_rows(int n, float *base, const int32_t *words, int lo, int hi, int skip,
                        float *W2V_RESTRICT out, const w2v_hot *hot) {
    int j, d, count = 0;
    memset(out, 0, n * sizeof(float));
    for (j = lo; j < hi; j++) {
        const float *W2V_RESTRICT row;
        if (j == skip)
            continue;
        row = w2v_row(base, words[j], n, hot);
#pragma omp simd
        for (d = 0; d < n; d++)
            out[d] += row[d];
        count++;
    }
    return count;
}

/* base[words[j]] += x for j in [lo, hi), j != skip (a word listed twice gets x twice). */
W2V_CLONES
static void w2v_add_to_rows(int n, float *base, const int32_t *words, int lo, int hi, int skip,
                            const float *W2V_RESTRICT x, const w2v_hot *hot) {
    int j, d;
    for (j = lo; j < hi; j++) {
        float *W2V_RESTRICT row;
        if (j == skip)
            continue;
        row = w2v_row(base, words[j], n, hot);
#pragma omp simd
        for (d = 0; d < n; d++)
            row[d] += x[d];
    }
}

W2V_CLONES
static void w2v_scale(int n, float a, float *x) {
    int d;
#pragma omp simd
    for (d = 0; d < n; d++)
        x[d] *= a;
}

/* Touch every cache line of a row so that its later use does not wait on memory.
 * GCC treats prefetches as free of side effects: a non-inlined function that only prefetches counts as pure
 * and its calls are deleted. Call these (always inlined) directly from code that also does real work. */
W2V_INLINE void w2v_prefetch_row(const float *row, int n) {
    const char *p = (const char *)row;
    const char *end = (const char *)(row + n);
    for (; p < end; p += 64)
        W2V_PREFETCH(p);
    W2V_PREFETCH(end - 1);
}

/* The Huffman path entries (points and codes) of a word, so that reading them later does not stall. */
W2V_INLINE void w2v_prefetch_path(const int64_t *code_offset, const int32_t *points, const uint8_t *codes,
                                  int32_t word) {
    const char *p = (const char *)(points + code_offset[word]);
    const char *end = (const char *)(points + code_offset[word + 1]);
    for (; p < end; p += 64)
        W2V_PREFETCH(p);
    W2V_PREFETCH(end - 1);
    W2V_PREFETCH(codes + code_offset[word]);
}

/* The rows base[rows[t]] for t in [first, k) (the private copies where the worker holds them). */
W2V_INLINE void w2v_prefetch_rows(float *base, const int32_t *rows, int first, int k, int n, const w2v_hot *hot) {
    int t;
    for (t = first; t < k; t++)
        w2v_prefetch_row(w2v_row(base, rows[t], n, hot), n);
}

/* The core of every update: one input vector l1 trained against k output rows out[rows[t]].
 *
 * Row t has label 1 - codes[t] (hierarchical softmax) or, when codes is NULL, label 1 for t == 0 and 0 for the
 * rest (negative sampling: the positive target comes first). For each row, in order:
 *     f = l1 . row;  g = (label - sigma(f)) * alpha;  work += g * row;  row += g * l1
 * and, when loss is not NULL, loss += -log sigma(f) for label 1 and -log sigma(-f) for label 0.
 *
 * Rows are handled in blocks of distinct rows: l1 does not change inside the call, so the dot products of a
 * block do not depend on each other and are all computed before any row of the block is written, which
 * gives the processor independent work and the memory system several rows to fetch at once. The result is
 * the same as the row-by-row order. A row that repeats inside the call (a negative drawn twice) starts a
 * new block so that it sees its own earlier update, exactly as in the row-by-row order.
 *
 * There are three versions of the arithmetic (portable C, AVX2+FMA and AVX-512 with masked tails); one is
 * picked at load time by w2v_init() from what the CPU supports. */
#define W2V_BLOCK 8

typedef void (*w2v_train_rows_fn)(int size, const float *l1, float *work, float *out, const int32_t *rows,
                                  int k, const uint8_t *codes, float alpha, double *loss, const w2v_hot *hot);

/* The next block: distinct rows from rows[start:], at most W2V_BLOCK. Returns its length (>= 1). Rows the
 * worker holds privately (see w2v_hot) are read and written in its copies. */
W2V_INLINE int w2v_next_block(float *out, const int32_t *rows, int start, int k, int size, float **R,
                              const w2v_hot *hot) {
    int nb = 0, u;
    while (start + nb < k && nb < W2V_BLOCK) {
        int32_t r = rows[start + nb];
        int dup = 0;
        for (u = 0; u < nb; u++)
            dup |= (rows[start + u] == r);
        if (dup)
            break;
        R[nb] = w2v_row(out, r, size, hot);
        nb++;
    }
    return nb;
}

/* g[t] = (label - sigma(f[t])) * alpha for the block starting at row `start`, and the block's loss. */
W2V_INLINE void w2v_block_gradients(const float *f, float *g, int nb, int start, const uint8_t *codes,
                                    float alpha, double *loss) {
    int t;
    for (t = 0; t < nb; t++) {
        float label = codes ? (float)(1 - codes[start + t]) : (start + t == 0 ? 1.0f : 0.0f);
        g[t] = (label - w2v_sigmoid(f[t])) * alpha;
        if (loss)
            *loss -= w2v_log_sigmoid(label > 0.5f ? f[t] : -f[t]);
    }
}

static void w2v_train_rows_generic(int size, const float *W2V_RESTRICT l1, float *W2V_RESTRICT work, float *out,
                                   const int32_t *rows, int k, const uint8_t *codes, float alpha,
                                   double *loss, const w2v_hot *hot) {
    float *R[W2V_BLOCK];
    float f[W2V_BLOCK], g[W2V_BLOCK];
    int start = 0, nb, t, d;
    for (; start < k; start += nb) {
        nb = w2v_next_block(out, rows, start, k, size, R, hot);
        for (t = 0; t < nb; t++) {
            const float *row = R[t];
            float s = 0.0f;
#pragma omp simd reduction(+:s)
            for (d = 0; d < size; d++)
                s += l1[d] * row[d];
            f[t] = s;
        }
        w2v_block_gradients(f, g, nb, start, codes, alpha, loss);
        for (t = 0; t < nb; t++) {
            float *W2V_RESTRICT row = R[t];
            float gt = g[t];
#pragma omp simd
            for (d = 0; d < size; d++) {
                work[d] += gt * row[d];
                row[d] += gt * l1[d];
            }
        }
    }
}

#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__) && !defined(W2VFAST_NO_DISPATCH)
#define W2V_X86_DISPATCH 1
#include <immintrin.h>

/* Both x86 versions walk each row once for the dot products and once for the update; the update keeps the
 * work chunk in a register across all rows of the block. Tails (size not a multiple of the vector width) use
 * masked loads and stores, so nothing outside the row is read or written. */

__attribute__((target("avx2,fma")))
static void w2v_train_rows_avx2(int size, const float *W2V_RESTRICT l1, float *W2V_RESTRICT work, float *out,
                                const int32_t *rows, int k, const uint8_t *codes, float alpha, double *loss,
                                const w2v_hot *hot) {
    static const int32_t mask_src[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    float *R[W2V_BLOCK];
    float f[W2V_BLOCK], g[W2V_BLOCK];
    const int full = size & ~7, rem = size & 7;
    const __m256i tail = _mm256_loadu_si256((const __m256i *)(mask_src + 8 - rem));
    int start = 0, nb, t, d;
    for (; start < k; start += nb) {
        nb = w2v_next_block(out, rows, start, k, size, R, hot);
        for (t = 0; t < nb; t++) {
            const float *row = R[t];
            __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
            __m128 s;
            for (d = 0; d + 16 <= full; d += 16) {
                acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(l1 + d), _mm256_loadu_ps(row + d), acc0);
                acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(l1 + d + 8), _mm256_loadu_ps(row + d + 8), acc1);
            }
            if (d < full)
                acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(l1 + d), _mm256_loadu_ps(row + d), acc0);
            if (rem)
                acc1 = _mm256_fmadd_ps(_mm256_maskload_ps(l1 + full, tail), _mm256_maskload_ps(row + full, tail),
                                       acc1);
            acc0 = _mm256_add_ps(acc0, acc1);
            s = _mm_add_ps(_mm256_castps256_ps128(acc0), _mm256_extractf128_ps(acc0, 1));
            s = _mm_add_ps(s, _mm_movehl_ps(s, s));
            s = _mm_add_ss(s, _mm_movehdup_ps(s));
            f[t] = _mm_cvtss_f32(s);
        }
        w2v_block_gradients(f, g, nb, start, codes, alpha, loss);
        for (d = 0; d < full; d += 8) {
            __m256 w = _mm256_loadu_ps(work + d), l = _mm256_loadu_ps(l1 + d);
            for (t = 0; t < nb; t++) {
                __m256 gt = _mm256_set1_ps(g[t]), r = _mm256_loadu_ps(R[t] + d);
                w = _mm256_fmadd_ps(gt, r, w);
                _mm256_storeu_ps(R[t] + d, _mm256_fmadd_ps(gt, l, r));
            }
            _mm256_storeu_ps(work + d, w);
        }
        if (rem) {
            __m256 w = _mm256_maskload_ps(work + full, tail), l = _mm256_maskload_ps(l1 + full, tail);
            for (t = 0; t < nb; t++) {
                __m256 gt = _mm256_set1_ps(g[t]), r = _mm256_maskload_ps(R[t] + full, tail);
                w = _mm256_fmadd_ps(gt, r, w);
                _mm256_maskstore_ps(R[t] + full, tail, _mm256_fmadd_ps(gt, l, r));
            }
            _mm256_maskstore_ps(work + full, tail, w);
        }
    }
}

__attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")))
static void w2v_train_rows_avx512(int size, const float *W2V_RESTRICT l1, float *W2V_RESTRICT work, float *out,
                                  const int32_t *rows, int k, const uint8_t *codes, float alpha, double *loss,
                                const w2v_hot *hot) {
    float *R[W2V_BLOCK];
    float f[W2V_BLOCK], g[W2V_BLOCK];
    const int full = size & ~15, rem = size & 15;
    const __mmask16 tail = (__mmask16)((1u << rem) - 1u);
    int start = 0, nb, t, d;
    for (; start < k; start += nb) {
        nb = w2v_next_block(out, rows, start, k, size, R, hot);
        for (t = 0; t < nb; t++) {
            const float *row = R[t];
            __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
            for (d = 0; d + 32 <= full; d += 32) {
                acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(l1 + d), _mm512_loadu_ps(row + d), acc0);
                acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(l1 + d + 16), _mm512_loadu_ps(row + d + 16), acc1);
            }
            if (d < full)
                acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(l1 + d), _mm512_loadu_ps(row + d), acc0);
            if (rem)
                acc1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, l1 + full),
                                       _mm512_maskz_loadu_ps(tail, row + full), acc1);
            f[t] = _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
        }
        w2v_block_gradients(f, g, nb, start, codes, alpha, loss);
        for (d = 0; d < full; d += 16) {
            __m512 w = _mm512_loadu_ps(work + d), l = _mm512_loadu_ps(l1 + d);
            for (t = 0; t < nb; t++) {
                __m512 gt = _mm512_set1_ps(g[t]), r = _mm512_loadu_ps(R[t] + d);
                w = _mm512_fmadd_ps(gt, r, w);
                _mm512_storeu_ps(R[t] + d, _mm512_fmadd_ps(gt, l, r));
            }
            _mm512_storeu_ps(work + d, w);
        }
        if (rem) {
            __m512 w = _mm512_maskz_loadu_ps(tail, work + full), l = _mm512_maskz_loadu_ps(tail, l1 + full);
            for (t = 0; t < nb; t++) {
                __m512 gt = _mm512_set1_ps(g[t]), r = _mm512_maskz_loadu_ps(tail, R[t] + full);
                w = _mm512_fmadd_ps(gt, r, w);
                _mm512_mask_storeu_ps(R[t] + full, tail, _mm512_fmadd_ps(gt, l, r));
            }
            _mm512_mask_storeu_ps(work + full, tail, w);
        }
    }
}
#else
#define W2V_X86_DISPATCH 0
#endif

static w2v_train_rows_fn w2v_train_rows_impl = w2v_train_rows_generic;
static const char *w2v_simd_name = "baseline";

/* Pick the arithmetic for this CPU. Call once before training (module import does). */
static void w2v_init(void) {
    w2v_init_tables();
#if W2V_X86_DISPATCH
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("fma")) {
        w2v_train_rows_impl = w2v_train_rows_avx512;
        w2v_simd_name = "avx512";
    } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        w2v_train_rows_impl = w2v_train_rows_avx2;
        w2v_simd_name = "avx2";
    }
#endif
}

/* Force one version ("avx512", "avx2" or "baseline"); returns 0 when this CPU or build cannot run it. */
static int w2v_select(const char *name) {
    if (strcmp(name, "baseline") == 0) {
        w2v_train_rows_impl = w2v_train_rows_generic;
        w2v_simd_name = "baseline";
        return 1;
    }
#if W2V_X86_DISPATCH
    __builtin_cpu_init();
    if (strcmp(name, "avx2") == 0 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        w2v_train_rows_impl = w2v_train_rows_avx2;
        w2v_simd_name = "avx2";
        return 1;
    }
    if (strcmp(name, "avx512") == 0 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("fma")) {
        w2v_train_rows_impl = w2v_train_rows_avx512;
        w2v_simd_name = "avx512";
        return 1;
    }
#endif
    return 0;
}

W2V_INLINE void w2v_train_rows(int size, const float *l1, float *work, float *out, const int32_t *rows, int k,
                               const uint8_t *codes, float alpha, double *loss, const w2v_hot *hot) {
    w2v_train_rows_impl(size, l1, work, out, rows, k, codes, alpha, loss, hot);
}

#endif /* W2VFAST_VECMATH_H */
