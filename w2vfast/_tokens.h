/* Token bytes -> id hash table and a buffered reader of one byte range of a text file.
 *
 * Plain C with no Python calls so that _corpus.pyx can use everything here without the GIL.
 *
 * Token policy: a token is a maximal run of bytes that are not ASCII whitespace (space, \t, \n, \v, \f, \r).
 * Every other byte, NUL included, is an ordinary token byte.
 *
 * Range rule: the reader of [start, end) yields every token whose FIRST byte lies in [start, end) (a token
 * starts at p when p == 0 or byte p - 1 is whitespace), reading past end to finish its last token, and every
 * '\n' whose offset lies in [start, end). Ranges that tile a file therefore see each token and each newline
 * exactly once, wherever the boundaries fall (inside a token or a multi-byte character included).
 */
#ifndef W2VFAST_TOKENS_H
#define W2VFAST_TOKENS_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#if defined(_WIN32)
#define tok_fseek _fseeki64
#else
#define tok_fseek fseeko
#endif

#if defined(__SSE2__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 2)
#include <emmintrin.h>
#define TOK_SSE2 1
#endif

#if defined(__GNUC__) || defined(__clang__)
#define TOK_PREFETCH(p) __builtin_prefetch(p)
#elif defined(TOK_SSE2)
#define TOK_PREFETCH(p) _mm_prefetch((const char *)(p), _MM_HINT_T0)
#else
#define TOK_PREFETCH(p) ((void)0)
#endif

/* Masked 8-byte loads past a token's end need little-endian order; SSE2 machines are all little-endian. */
#if defined(TOK_SSE2) && (defined(__x86_64__) || defined(__i386__) || defined(_M_X64) || defined(_M_IX86))
#define TOK_BLOCKS 1
#endif

static inline unsigned tok_ctz64(uint64_t x)
{
#if defined(__GNUC__) || defined(__clang__)
    return (unsigned)__builtin_ctzll(x);
#else
    unsigned n = 0;
    while (!(x & 1)) {
        x >>= 1;
        n++;
    }
    return n;
#endif
}

static inline unsigned tok_popcount64(uint64_t x)
{
#if defined(__GNUC__) || defined(__clang__)
    return (unsigned)__builtin_popcountll(x);
#else
    x = x - ((x >> 1) & 0x5555555555555555ULL);
    x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
    x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
    return (unsigned)((x * 0x0101010101010101ULL) >> 56);
#endif
}

/* space, or \t \n \v \f \r (9..13) */
static inline int tok_is_ws(unsigned char c)
{
    return (c == 32) | ((unsigned)(c - 9) < 5u);
}

#ifdef TOK_SSE2
/* Bit j set when byte j of v is ASCII whitespace (tok_is_ws for sixteen bytes at once). */
static inline unsigned tok_ws_mask16(__m128i v)
{
    /* b in 9..13  <=>  (b - 9) < 5 unsigned  <=>  ((b - 9) ^ 0x80) < (5 ^ 0x80) signed */
    __m128i ctl = _mm_cmplt_epi8(_mm_xor_si128(_mm_sub_epi8(v, _mm_set1_epi8(9)), _mm_set1_epi8((char)0x80)),
                                 _mm_set1_epi8((char)(0x80 + 5)));
    return (unsigned)_mm_movemask_epi8(_mm_or_si128(ctl, _mm_cmpeq_epi8(v, _mm_set1_epi8(32))));
}
#endif

/* Index of the first whitespace byte in p[i .. n), or n. Sixteen bytes at a time where SSE2 exists: a
 * byte-by-byte loop mispredicts once per token end, which dominates counting. */
static inline size_t tok_token_end(const unsigned char *p, size_t i, size_t n)
{
#ifdef TOK_SSE2
    while (i + 16 <= n) {
        unsigned m = tok_ws_mask16(_mm_loadu_si128((const __m128i *)(p + i)));
        if (m) {
            return i + tok_ctz64(m);
        }
        i += 16;
    }
#endif
    while (i < n && !tok_is_ws(p[i]))
        i++;
    return i;
}

/* tok_token_end that also tells whether p[i .. end) is all ASCII (*ascii = 1), for the str builders */
static inline size_t tok_token_end_ascii(const unsigned char *p, size_t i, size_t n, int *ascii)
{
    unsigned high = 0;
#ifdef TOK_SSE2
    while (i + 16 <= n) {
        __m128i v = _mm_loadu_si128((const __m128i *)(p + i));
        unsigned m = tok_ws_mask16(v);
        unsigned h = (unsigned)_mm_movemask_epi8(v);
        if (m) {
            unsigned k = tok_ctz64(m);
            *ascii = !(high | (h & ((1u << k) - 1)));
            return i + k;
        }
        high |= h;
        i += 16;
    }
#endif
    while (i < n && !tok_is_ws(p[i]))
        high |= p[i++] & 0x80;
    *ascii = !high;
    return i;
}

/* ------------------------------------------------------------------------------------------------------
 * Hashing. A token of up to 16 bytes (nearly all of them) is two zero-padded words v0, v1; both its hash
 * and its comparison with a stored key work on those words. Longer tokens go 8 bytes at a time. The length
 * is mixed in so that keys differing only by trailing NUL bytes hash apart.
 */
#define TOK_INLINE 16

/* v0, v1 = p[0 .. n) zero padded to 16 bytes (n <= 16), reading only those n bytes */
static inline void tok_load_short(const unsigned char *p, size_t n, uint64_t *v0, uint64_t *v1)
{
    uint64_t a = 0, b = 0;
    if (n > 8) {
        memcpy(&a, p, 8);
        memcpy(&b, p + 8, n - 8);
    } else if (n) {
        memcpy(&a, p, n);
    }
    *v0 = a;
    *v1 = b;
}

static inline uint64_t tok_mix(uint64_t h)
{
    h ^= h >> 29;
    h *= 0x94D049BB133111EBULL;
    h ^= h >> 32;
    return h;
}

static inline uint64_t tok_hash_words(uint64_t v0, uint64_t v1, uint64_t n)
{
    uint64_t h = (v0 ^ 0x243F6A8885A308D3ULL) * 0x9E3779B97F4A7C15ULL;
    h ^= (v1 ^ (n * 0xD6E8FEB86659FD93ULL)) * 0xBF58476D1CE4E5B9ULL;
    return tok_mix(h);
}

static inline uint64_t tok_hash_long(const unsigned char *p, size_t n)
{
    uint64_t h = 0x243F6A8885A308D3ULL ^ ((uint64_t)n * 0x9E3779B97F4A7C15ULL);
    const unsigned char *last = p + n - 8;
    uint64_t v;
    /* whole words, then the last 8 bytes (overlapping the previous word when n is not a multiple of 8) */
    while (p < last) {
        memcpy(&v, p, 8);
        h = (h ^ v) * 0xBF58476D1CE4E5B9ULL;
        h ^= h >> 31;
        p += 8;
    }
    memcpy(&v, last, 8);
    return tok_mix((h ^ v) * 0x9E3779B97F4A7C15ULL);
}

static inline uint64_t tok_hash(const unsigned char *p, size_t n)
{
    uint64_t v0, v1;
    if (n > TOK_INLINE)
        return tok_hash_long(p, n);
    tok_load_short(p, n, &v0, &v1);
    return tok_hash_words(v0, v1, n);
}

/* ------------------------------------------------------------------------------------------------------
 * Open-addressing table (linear probing, power-of-two capacity, at most half full). A slot holds id + 1, or
 * 0 when empty. Ids are dense and in insertion order, which also packs the entries of frequent words (seen
 * early) together. An entry is everything a lookup needs in 32 bytes: keys of up to 16 bytes sit inside it
 * (zero padded), longer ones back to back in one arena.
 */
typedef struct {
    int64_t val;            /* the count, or the value a lookup table returns */
    uint32_t len;
    uint32_t hash;          /* low 32 bits of the hash: all a slot index ever uses (at most 2**32 slots) */
    union {
        unsigned char bytes[TOK_INLINE];
        uint64_t w[2];
        int64_t off;        /* arena offset of a longer key */
    } key;
} tok_entry;

typedef struct {
    uint32_t *slots;
    uint64_t mask;          /* slot capacity - 1 */
    int64_t n;              /* number of keys */
    int64_t cap;            /* capacity of entries */
    tok_entry *entries;
    unsigned char *arena;
    int64_t arena_len;
    int64_t arena_cap;
} tok_table;

#define TOK_MAX_KEYS 0x7FFFFFFFLL

static inline const unsigned char *tok_key(const tok_table *t, const tok_entry *e)
{
    return e->len <= TOK_INLINE ? e->key.bytes : t->arena + e->key.off;
}

/* A fresh array's pages are faulted in one trap at a time as they are first touched, and the traps of
 * threads of one process queue on the kernel's locks for its address space: two threads counting phrases
 * spent a fifth of their time there (Phrases(corpus_file=..., workers=2) on the shared corpus: 0.32 s, 0.24 s
 * with this). So the big arrays are populated in one call each instead (Linux 5.14+; elsewhere, or on
 * failure, pages fault in as before): the slot array, touched all over, when it is made; the entries,
 * appended in order, a step at a time just ahead of use. Arrays under 1 MB are left alone. */
#define TOK_POPULATE_STEP ((size_t)2 << 20)

static void tok_populate(void *p, size_t bytes)
{
#if defined(__linux__) && defined(MADV_POPULATE_WRITE)
    uintptr_t page = 4096, lo = ((uintptr_t)p + page - 1) & ~(page - 1);
    uintptr_t hi = ((uintptr_t)p + bytes) & ~(page - 1);
    if (p != NULL && bytes >= ((size_t)1 << 20) && hi > lo)
        madvise((void *)lo, hi - lo, MADV_POPULATE_WRITE);
#else
    (void)p;
    (void)bytes;
#endif
}

static void tok_table_free(tok_table *t)
{
    free(t->slots);
    free(t->entries);
    free(t->arena);
    memset(t, 0, sizeof(*t));
}

/* Returns 0, or -1 when out of memory. */
static int tok_table_init(tok_table *t, int64_t expected_keys)
{
    uint64_t slots = 16;
    memset(t, 0, sizeof(*t));
    if (expected_keys < 8)
        expected_keys = 8;
    while (slots < (uint64_t)expected_keys * 2)
        slots <<= 1;
    t->slots = (uint32_t *)calloc(slots, sizeof(uint32_t));
    tok_populate(t->slots, slots * sizeof(uint32_t));
    t->mask = slots - 1;
    t->cap = expected_keys;
    t->entries = (tok_entry *)malloc(t->cap * sizeof(tok_entry));
    t->arena_cap = 1024;
    t->arena = (unsigned char *)malloc(t->arena_cap);
    if (!t->slots || !t->entries || !t->arena) {
        tok_table_free(t);
        return -1;
    }
    return 0;
}

/* Id of the key of n <= 16 bytes held in v0, v1 (zero padded), with hash h; or -1. */
static inline int64_t tok_table_find_short(const tok_table *t, uint64_t v0, uint64_t v1, size_t n, uint64_t h)
{
    uint64_t i = h & t->mask;
    for (;;) {
        uint32_t s = t->slots[i];
        const tok_entry *e;
        if (!s)
            return -1;
        e = t->entries + (s - 1);
        if (e->key.w[0] == v0 && e->key.w[1] == v1 && e->len == n)
            return (int64_t)s - 1;
        i = (i + 1) & t->mask;
    }
}

/* Id of the key p[0 .. n) of more than 16 bytes with hash h; or -1. Only the low 32 bits of h matter. */
static inline int64_t tok_table_find_long(const tok_table *t, const unsigned char *p, size_t n, uint64_t h)
{
    uint64_t i = h & t->mask;
    for (;;) {
        uint32_t s = t->slots[i];
        const tok_entry *e;
        if (!s)
            return -1;
        e = t->entries + (s - 1);
        if (e->hash == (uint32_t)h && e->len == n && memcmp(t->arena + e->key.off, p, n) == 0)
            return (int64_t)s - 1;
        i = (i + 1) & t->mask;
    }
}

/* Id of the key p[0 .. n) with hash h (from tok_hash), or -1. */
static inline int64_t tok_table_find(const tok_table *t, const unsigned char *p, size_t n, uint64_t h)
{
    uint64_t v0, v1;
    if (n > TOK_INLINE)
        return tok_table_find_long(t, p, n, h);
    tok_load_short(p, n, &v0, &v1);
    return tok_table_find_short(t, v0, v1, n, h);
}

static void tok_table_place(tok_table *t, int64_t id)
{
    uint64_t i = t->entries[id].hash & t->mask;
    while (t->slots[i])
        i = (i + 1) & t->mask;
    t->slots[i] = (uint32_t)(id + 1);
}

static int tok_table_rehash(tok_table *t, uint64_t nslots)
{
    uint32_t *slots = (uint32_t *)calloc(nslots, sizeof(uint32_t));
    int64_t id;
    if (!slots)
        return -1;
    tok_populate(slots, nslots * sizeof(uint32_t));
    free(t->slots);
    t->slots = slots;
    t->mask = nslots - 1;
    for (id = 0; id < t->n; id++)
        tok_table_place(t, id);
    return 0;
}

/* Appends a key known to be absent, with value 0. Returns its id, -1 when out of memory, -2 past
 * TOK_MAX_KEYS keys. */
static int64_t tok_table_insert(tok_table *t, const unsigned char *p, size_t n, uint64_t h)
{
    int64_t id = t->n;
    tok_entry *e;
    if (id >= TOK_MAX_KEYS)
        return -2;
    if (n > 0xFFFFFFFFu)
        return -1;
    if ((uint64_t)(id + 1) * 2 > t->mask + 1) {
        if (tok_table_rehash(t, (t->mask + 1) * 2) < 0)
            return -1;
    }
    if (id == t->cap) {
        tok_entry *q = (tok_entry *)realloc(t->entries, (size_t)t->cap * 2 * sizeof(tok_entry));
        if (!q)
            return -1;
        t->entries = q;
        t->cap *= 2;
    }
    if (((size_t)id * sizeof(tok_entry)) % TOK_POPULATE_STEP == 0) {
        size_t at = (size_t)id * sizeof(tok_entry), end = (size_t)t->cap * sizeof(tok_entry);
        tok_populate((unsigned char *)t->entries + at, end - at < TOK_POPULATE_STEP ? end - at : TOK_POPULATE_STEP);
    }
    e = t->entries + id;
    memset(e, 0, sizeof(*e));
    e->hash = (uint32_t)h;
    e->len = (uint32_t)n;
    if (n <= TOK_INLINE) {
        if (n)
            memcpy(e->key.bytes, p, n);   /* the rest stays zero: the padding tok_load_short gives */
    } else {
        if (t->arena_len + (int64_t)n > t->arena_cap) {
            int64_t cap = t->arena_cap * 2;
            unsigned char *a;
            while (cap < t->arena_len + (int64_t)n)
                cap *= 2;
            a = (unsigned char *)realloc(t->arena, (size_t)cap);
            if (!a)
                return -1;
            t->arena = a;
            t->arena_cap = cap;
        }
        memcpy(t->arena + t->arena_len, p, n);
        e->key.off = t->arena_len;
        t->arena_len += (int64_t)n;
    }
    t->n = id + 1;
    tok_table_place(t, id);
    return id;
}

/* Keeps the keys with val > min_reduce, in their order; ids are renumbered densely. */
static int tok_table_prune(tok_table *t, int64_t min_reduce)
{
    int64_t id, kept = 0, at = 0;
    for (id = 0; id < t->n; id++) {
        tok_entry e = t->entries[id];
        if (e.val <= min_reduce)
            continue;
        if (e.len > TOK_INLINE) {
            memmove(t->arena + at, t->arena + e.key.off, (size_t)e.len);
            e.key.off = at;
            at += e.len;
        }
        t->entries[kept++] = e;
    }
    t->n = kept;
    t->arena_len = at;
    memset(t->slots, 0, (t->mask + 1) * sizeof(uint32_t));
    for (id = 0; id < t->n; id++)
        tok_table_place(t, id);
    return 0;
}

/* Adds every key and count of src to dst (keys new to dst are appended in src's order).
 *
 * Merging the tables of threads that counted parts of one text looks up a million keys or more at random in
 * dst: one at a time that is a cache miss each for the slot and the entry, and it took as long as the
 * counting itself (two threads on the shared corpus's phrases: 0.12 s against 0.15-0.25 s). So the lookups
 * run as a pipeline: dst's slot is prefetched TOK_MERGE_D1 keys ahead, its entry TOK_MERGE_D2 ahead. (Growing
 * dst up front for every key of both cost more in page faults than it saved: keys overlap.) */
#define TOK_MERGE_D1 16
#define TOK_MERGE_D2 8

static int tok_table_merge(tok_table *dst, const tok_table *src)
{
    int64_t id;
    for (id = 0; id < src->n; id++) {
        const tok_entry *e = src->entries + id;
        const unsigned char *p;
        int64_t at;
        if (id + TOK_MERGE_D1 < src->n)
            TOK_PREFETCH(dst->slots + (src->entries[id + TOK_MERGE_D1].hash & dst->mask));
        if (id + TOK_MERGE_D2 < src->n) {
            uint32_t sl = dst->slots[src->entries[id + TOK_MERGE_D2].hash & dst->mask];
            if (sl)
                TOK_PREFETCH(dst->entries + (sl - 1));
        }
        p = tok_key(src, e);
        at = tok_table_find(dst, p, (size_t)e->len, e->hash);
        if (at < 0) {
            at = tok_table_insert(dst, p, (size_t)e->len, e->hash);
            if (at < 0)
                return (int)at;
        }
        dst->entries[at].val += e->val;
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------------------
 * Counting with word2vec-style pruning: whenever the table holds more than max_keys keys, every key with
 * count <= min_reduce is dropped and min_reduce grows by one (it starts at 1).
 */
typedef struct {
    int64_t words;          /* every token seen */
    int64_t line;           /* tokens on the current (open) line */
    int64_t head;           /* tokens before the first newline */
    int64_t full;           /* sentences of the lines that both start and end after the first newline */
    int seen_newline;
} tok_lines;

typedef struct {
    tok_table table;
    tok_lines lines;
    int64_t max_keys;       /* 0: no pruning */
    int64_t min_reduce;
    int64_t max_sentence;
} tok_counter;

static inline int64_t tok_ceil_div(int64_t a, int64_t b)
{
    return (a + b - 1) / b;
}

/* Lookups run as a software pipeline so that the cache misses of rare words overlap instead of queueing:
 * a token's slot is prefetched when it is hashed, its entry TOK_D1 tokens later, and it is added to the
 * table TOK_D2 tokens later, still strictly in input order (pruning sees the token-by-token sequence). */
#define TOK_RING 32
#define TOK_D1 12
#define TOK_D2 24

typedef struct {
    const unsigned char *p;
    size_t n;
    uint64_t v0, v1;        /* the key when n <= 16 */
    uint64_t h;
} tok_pending;

typedef struct {
    tok_pending ring[TOK_RING];
    uint64_t k;             /* tokens pushed so far */
} tok_pipe;

/* Returns 0, -1 when out of memory, -2 past TOK_MAX_KEYS keys. */
static inline int tok_counter_add(tok_counter *c, const tok_pending *t)
{
    int64_t id = t->n <= TOK_INLINE ? tok_table_find_short(&c->table, t->v0, t->v1, t->n, t->h)
                                    : tok_table_find_long(&c->table, t->p, t->n, t->h);
    if (id >= 0) {
        c->table.entries[id].val++;
        return 0;
    }
    id = tok_table_insert(&c->table, t->p, t->n, t->h);
    if (id < 0)
        return (int)id;
    c->table.entries[id].val = 1;
    if (c->max_keys > 0 && c->table.n > c->max_keys) {
        tok_table_prune(&c->table, c->min_reduce);
        c->min_reduce++;
    }
    return 0;
}

#ifdef TOK_BLOCKS
static const uint64_t tok_lo_mask[TOK_INLINE + 1] = {
    0, 0xFFULL, 0xFFFFULL, 0xFFFFFFULL, 0xFFFFFFFFULL, 0xFFFFFFFFFFULL, 0xFFFFFFFFFFFFULL, 0xFFFFFFFFFFFFFFULL,
    ~0ULL, ~0ULL, ~0ULL, ~0ULL, ~0ULL, ~0ULL, ~0ULL, ~0ULL, ~0ULL};
static const uint64_t tok_hi_mask[TOK_INLINE + 1] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFFULL, 0xFFFFULL, 0xFFFFFFULL, 0xFFFFFFFFULL, 0xFFFFFFFFFFULL,
    0xFFFFFFFFFFFFULL, 0xFFFFFFFFFFFFFFULL, ~0ULL};
#endif

/* Queues the token buf[s .. e) (buf[0 .. readable) may be read) and adds the one TOK_D2 tokens back. */
static inline int tok_pipe_push(tok_counter *c, tok_pipe *q, const unsigned char *buf, size_t s, size_t e,
                                size_t readable)
{
    tok_pending *t = q->ring + (q->k & (TOK_RING - 1));
    size_t n = e - s;
    t->p = buf + s;
    t->n = n;
    if (n <= TOK_INLINE) {
#ifdef TOK_BLOCKS
        if (s + 16 <= readable) {
            /* two loads and masks instead of a copy of n bytes */
            memcpy(&t->v0, t->p, 8);
            memcpy(&t->v1, t->p + 8, 8);
            t->v0 &= tok_lo_mask[n];
            t->v1 &= tok_hi_mask[n];
        } else
#endif
            tok_load_short(t->p, n, &t->v0, &t->v1);
        t->h = tok_hash_words(t->v0, t->v1, n);
    } else {
        t->v0 = t->v1 = 0;
        t->h = tok_hash_long(t->p, n);
    }
    TOK_PREFETCH(c->table.slots + (t->h & c->table.mask));
    if (q->k >= TOK_D1) {
        uint32_t sl = c->table.slots[q->ring[(q->k - TOK_D1) & (TOK_RING - 1)].h & c->table.mask];
        if (sl)
            TOK_PREFETCH(c->table.entries + (sl - 1));
    }
    if (q->k >= TOK_D2) {
        int rc = tok_counter_add(c, q->ring + ((q->k - TOK_D2) & (TOK_RING - 1)));
        if (rc)
            return rc;
    }
    q->k++;
    return 0;
}

static int tok_pipe_drain(tok_counter *c, tok_pipe *q)
{
    uint64_t j;
    for (j = q->k >= TOK_D2 ? q->k - TOK_D2 : 0; j < q->k; j++) {
        int rc = tok_counter_add(c, q->ring + (j & (TOK_RING - 1)));
        if (rc)
            return rc;
    }
    q->k = 0;
    return 0;
}

static inline void tok_counter_newline(tok_counter *c)
{
    tok_lines *l = &c->lines;
    if (!l->seen_newline) {
        l->head = l->line;
        l->seen_newline = 1;
    } else {
        l->full += tok_ceil_div(l->line, c->max_sentence);
    }
    l->line = 0;
}

#ifdef TOK_BLOCKS
/* bit i of *ws: byte i of p[0 .. 64) is whitespace; of *nl: it is '\n' */
static inline void tok_masks64(const unsigned char *p, uint64_t *ws, uint64_t *nl)
{
    const __m128i space = _mm_set1_epi8(32), nine = _mm_set1_epi8(9), flip = _mm_set1_epi8((char)0x80);
    const __m128i limit = _mm_set1_epi8((char)(0x80 + 5)), newline = _mm_set1_epi8(10);
    uint64_t w = 0, l = 0;
    int k;
    for (k = 0; k < 4; k++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(p + 16 * k));
        __m128i ctl = _mm_cmplt_epi8(_mm_xor_si128(_mm_sub_epi8(v, nine), flip), limit);
        w |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_or_si128(ctl, _mm_cmpeq_epi8(v, space))) << (16 * k);
        l |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, newline)) << (16 * k);
    }
    *ws = w;
    *nl = l;
}
#endif

/* Counts the tokens of buf[0 .. n) and the newlines among them; buf[0 .. readable) may be read
 * (readable >= n). The caller makes sure no token continues past n (the buffer ends at whitespace or at
 * the end of the input). Returns 0, -1 when out of memory, -2 past TOK_MAX_KEYS keys. */
static int tok_counter_buffer(tok_counter *c, const unsigned char *buf, size_t n, size_t readable)
{
    tok_pipe q;
    int rc;
#ifdef TOK_BLOCKS
    /* 64 bytes at a time: whitespace bit masks give every token start and end without a branch per byte */
    unsigned char tail[64];
    uint64_t prev_tok = 0;          /* 1 when the byte before the block belongs to a token */
    size_t b, open_start = 0;
    int open = 0;
    q.k = 0;
    for (b = 0; b < n; b += 64) {
        uint64_t ws, nl, tok, starts, ends, st;
        if (b + 64 <= n) {
            tok_masks64(buf + b, &ws, &nl);
        } else {
            /* the end of the buffer acts as whitespace */
            memset(tail, ' ', sizeof(tail));
            memcpy(tail, buf + b, n - b);
            tok_masks64(tail, &ws, &nl);
        }
        tok = ~ws;
        starts = tok & ~((tok << 1) | prev_tok);
        ends = ws & ((tok << 1) | prev_tok);
        prev_tok = tok >> 63;
        /* a token belongs to the line of its first byte */
        c->lines.words += tok_popcount64(starts);
        st = starts;
        while (nl) {
            uint64_t below = ((uint64_t)1 << tok_ctz64(nl)) - 1;
            nl &= nl - 1;
            c->lines.line += tok_popcount64(st & below);
            st &= ~below;
            tok_counter_newline(c);
        }
        c->lines.line += tok_popcount64(st);
        if (open) {
            if (!ends)
                continue;       /* the whole block is inside the open token */
            rc = tok_pipe_push(c, &q, buf, open_start, b + tok_ctz64(ends), readable);
            if (rc)
                return rc;
            ends &= ends - 1;
            open = 0;
        }
        while (starts) {
            size_t s = b + tok_ctz64(starts);
            starts &= starts - 1;
            if (!ends) {
                open = 1;
                open_start = s;
                break;
            }
            rc = tok_pipe_push(c, &q, buf, s, b + tok_ctz64(ends), readable);
            if (rc)
                return rc;
            ends &= ends - 1;
        }
    }
    if (open) {
        rc = tok_pipe_push(c, &q, buf, open_start, n, readable);
        if (rc)
            return rc;
    }
#else
    size_t i = 0;
    q.k = 0;
    while (i < n) {
        unsigned char ch = buf[i];
        if (tok_is_ws(ch)) {
            if (ch == '\n')
                tok_counter_newline(c);
            i++;
            continue;
        }
        {
            size_t s = i;
            i = tok_token_end(buf, i + 1, n);
            c->lines.words++;
            c->lines.line++;
            rc = tok_pipe_push(c, &q, buf, s, i, readable);
            if (rc)
                return rc;
        }
    }
#endif
    return tok_pipe_drain(c, &q);
}

/* ------------------------------------------------------------------------------------------------------
 * Buffered reader of one byte range. Memory is one buffer (grown only when a single token is longer than
 * it) whatever the size of the file. TOK_PAD bytes after the buffer may be read, never used.
 */
#define TOK_PAD 16
typedef struct {
    FILE *f;
    unsigned char *buf;
    size_t cap;
    size_t len;             /* valid bytes in buf */
    size_t pos;             /* next byte to look at */
    int64_t base;           /* file offset of buf[0] */
    int64_t end;            /* the range's end offset */
    int eof;
    int err;                /* errno of a failed call, 0 when fine */
} tok_reader;

static void tok_reader_close(tok_reader *r)
{
    if (r->f)
        fclose(r->f);
    free(r->buf);
    r->f = NULL;
    r->buf = NULL;
}

/* Moves buf[keep .. len) to the front and reads more after it; grows the buffer when it is full. */
static int tok_reader_fill(tok_reader *r, size_t keep)
{
    size_t got;
    if (keep) {
        memmove(r->buf, r->buf + keep, r->len - keep);
        r->base += (int64_t)keep;
        r->len -= keep;
        r->pos -= keep;
    }
    if (r->len == r->cap) {
        unsigned char *b = (unsigned char *)realloc(r->buf, r->cap * 2 + TOK_PAD);
        if (!b) {
            r->err = ENOMEM;
            return -1;
        }
        r->buf = b;
        r->cap *= 2;
    }
    got = fread(r->buf + r->len, 1, r->cap - r->len, r->f);
    if (got == 0) {
        if (ferror(r->f)) {
            r->err = errno ? errno : EIO;
            return -1;
        }
        r->eof = 1;
    }
    r->len += got;
    return 0;
}

/* Opens path and positions the reader on the first token (or newline) the range owns. Returns 0, or -1 with
 * r->err set. */
static int tok_reader_open(tok_reader *r, const char *path, int64_t start, int64_t end, size_t bufsize)
{
    memset(r, 0, sizeof(*r));
    if (start < 0)
        start = 0;
    r->end = end;
    if (bufsize < 64)
        bufsize = 64;
    r->buf = (unsigned char *)calloc(bufsize + TOK_PAD, 1);
    if (!r->buf) {
        r->err = ENOMEM;
        return -1;
    }
    r->cap = bufsize;
    errno = 0;
    r->f = fopen(path, "rb");
    if (!r->f) {
        r->err = errno ? errno : EIO;
        return -1;
    }
    /* the buffer is already large: stdio's own buffer would only add a copy */
    setvbuf(r->f, NULL, _IONBF, 0);
    if (start >= end) {
        r->eof = 1;
        return 0;
    }
    /* read from start - 1 so the previous byte tells whether start falls inside a token */
    r->base = start > 0 ? start - 1 : 0;
    if (tok_fseek(r->f, r->base, SEEK_SET) != 0) {
        r->err = errno ? errno : EIO;
        return -1;
    }
    if (tok_reader_fill(r, 0) < 0)
        return -1;
    if (start > 0) {
        if (r->len == 0)
            return 0;
        r->pos = 1;
        if (!tok_is_ws(r->buf[0])) {
            /* skip the rest of a token that began before start: the previous range owns it */
            for (;;) {
                r->pos = tok_token_end(r->buf, r->pos, r->len);
                if (r->pos < r->len || r->eof)
                    break;
                if (tok_reader_fill(r, r->pos) < 0)
                    return -1;
            }
        }
    }
    return 0;
}

/* How many bytes from p (inside the buffer) may be read. */
static inline size_t tok_reader_readable(const tok_reader *r, const unsigned char *p)
{
    return (size_t)(r->buf + r->cap + TOK_PAD - p);
}

/* The next piece of the range: (*p)[0 .. *n) holds whole tokens only (it starts at a token boundary and ends
 * at whitespace, at the end of the file, or right after the token that straddles the range end) and only
 * newlines the range owns. The piece stays valid until the next call. Returns 1, 0 at the end of the range,
 * -1 on error (r->err set). */
static int tok_reader_chunk(tok_reader *r, const unsigned char **p, size_t *n)
{
    for (;;) {
        size_t stop;
        if (r->pos >= r->len) {
            if (r->eof || r->base + (int64_t)r->pos >= r->end)
                return 0;
            if (tok_reader_fill(r, r->len) < 0)
                return -1;
            continue;
        }
        if (r->base + (int64_t)r->pos >= r->end)
            return 0;
        if (r->end - r->base <= (int64_t)r->len) {
            /* the range ends inside the buffer: stop there, or after the token that straddles the end */
            stop = (size_t)(r->end - r->base);
            if (!tok_is_ws(r->buf[stop - 1])) {
                stop = tok_token_end(r->buf, stop, r->len);
                if (stop == r->len && !r->eof) {
                    if (tok_reader_fill(r, r->pos) < 0)
                        return -1;
                    continue;
                }
            }
        } else {
            /* stop after the last whitespace byte so that no token is cut */
            stop = r->len;
            if (!r->eof) {
                while (stop > r->pos && !tok_is_ws(r->buf[stop - 1]))
                    stop--;
                if (stop == r->pos) {
                    /* one token fills the rest of the buffer: read on (the buffer grows if it must) */
                    if (tok_reader_fill(r, r->pos) < 0)
                        return -1;
                    continue;
                }
            }
        }
        *p = r->buf + r->pos;
        *n = stop - r->pos;
        r->pos = stop;
        return 1;
    }
}

#endif
