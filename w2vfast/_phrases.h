/* Phrase detection in C: counting unigrams and joined bigrams (learning), and joining a text stream's
 * bigrams from a table of known phrases (applying).
 *
 * Plain C with no Python calls, so both can run without the GIL. Tokens and lines follow _tokens.h: a token
 * is a run of non-whitespace bytes, a line ends at '\n'.
 *
 * Learning keeps ONE table of byte keys, as gensim 4's Phrases keeps one dict: a unigram is its own bytes, a
 * bigram is "a<delim>b" (with the connector words between them: "a<delim>of<delim>b"). Keeping gensim's
 * layout keeps its semantics too: the same number of keys (which the default score multiplies by), the same
 * pruning, and export_phrases finding candidates by splitting keys at the delimiter.
 */
#ifndef W2VFAST_PHRASES_H
#define W2VFAST_PHRASES_H

#include <math.h>

#include "_tokens.h"

/* A growable byte buffer (the candidate phrase, the joined output). */
typedef struct {
    unsigned char *p;
    size_t len;
    size_t cap;
} phr_buf;

static void phr_buf_free(phr_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof(*b));
}

/* Room for `more` bytes after len, plus TOK_PAD readable bytes (the SSE loads of _tokens.h). 0 or -1. */
static int phr_buf_reserve(phr_buf *b, size_t more)
{
    size_t need = b->len + more + TOK_PAD, cap = b->cap ? b->cap : 256;
    unsigned char *q;
    if (need <= b->cap)
        return 0;
    while (cap < need)
        cap *= 2;
    q = (unsigned char *)realloc(b->p, cap);
    if (!q)
        return -1;
    memset(q + b->len, 0, cap - b->len);
    b->p = q;
    b->cap = cap;
    return 0;
}

static inline int phr_buf_add(phr_buf *b, const unsigned char *p, size_t n)
{
    if (b->len + n + TOK_PAD > b->cap && phr_buf_reserve(b, n) < 0)
        return -1;
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
    return 0;
}

static inline int phr_is_connector(const tok_table *conn, const unsigned char *p, size_t n)
{
    return conn != NULL && conn->n > 0 && tok_table_find(conn, p, n, tok_hash(p, n)) >= 0;
}

/* Drops every key with a count below min_reduce (gensim's prune rule: `count < min_reduce`, where
 * word2vec.c and scan_file drop `count <= min_reduce`). */
static void phr_prune(tok_table *t, int64_t min_reduce)
{
    tok_table_prune(t, min_reduce - 1);
}

/* ------------------------------------------------------------------------------------------------------
 * Learning. Lookups run as a software pipeline (as tok_counter's do) so that the cache misses of rare keys
 * overlap: a key's slot is prefetched when it is queued, its entry PHR_D1 keys later, a long key's bytes
 * PHR_D3 keys later, and it is added PHR_D2 keys later, in input order. The queue is drained before pruning
 * and before the text it points into goes away.
 *
 * A key of up to 16 bytes (most unigrams and bigrams) travels as its two zero-padded words v[0], v[1], the
 * form the table compares: a bigram "a_b" that short is assembled from a's and b's words by shifts, without
 * copying bytes. Longer keys travel by pointer (unigrams) or as a copy in the ring (bigrams).
 */
#define PHR_RING 64
#define PHR_D1 16
#define PHR_D3 32
#define PHR_D2 48
#define PHR_KEY 48        /* long bigram keys up to this long are copied into the ring; longer ones go at once */

typedef struct {
    uint64_t v[2];                 /* the key when n <= 16 (zero padded) */
    const unsigned char *p;        /* the key when n > 16 */
    size_t n;
    uint64_t h;
    unsigned char key[PHR_KEY];
} phr_pending;

typedef struct {
    tok_table table;
    const tok_table *connectors;   /* may be NULL */
    const unsigned char *delim;
    size_t delim_len;
    uint64_t dv[2];                /* the delimiter's words (when it is at most 16 bytes) */
    int64_t max_keys;              /* 0: no pruning */
    int64_t min_reduce;            /* starts at 1, as gensim's */
    int64_t words;                 /* every token, connector words included */
    int64_t sentences;             /* lines (iterables: sentences) seen */
    phr_buf cand;                  /* the start token (+ delim + connector words) as bytes */
    int have_start;
    int cand_owned;                /* cand holds the start token; else it is start_p (still in the input) */
    const unsigned char *start_p;
    size_t start_n;
    uint64_t start_v[2];
    int in_line;                   /* a line has started and not ended */
    phr_pending ring[PHR_RING];
    uint64_t k, done;              /* keys queued, keys added */
} phr_counter;

static void phr_counter_free(phr_counter *c)
{
    tok_table_free(&c->table);
    phr_buf_free(&c->cand);
}

static int phr_counter_init(phr_counter *c, const tok_table *connectors, const unsigned char *delim,
                            size_t delim_len, int64_t max_keys, int64_t expected_keys)
{
    memset(c, 0, sizeof(*c));
    c->connectors = connectors && connectors->n > 0 ? connectors : NULL;
    c->delim = delim;
    c->delim_len = delim_len;
    if (delim_len <= TOK_INLINE)
        tok_load_short(delim, delim_len, &c->dv[0], &c->dv[1]);
    c->max_keys = max_keys;
    c->min_reduce = 1;
    /* a table sized for the keys to come is never rehashed: each doubling of a table of millions of keys
     * revisits all of them at random (about a sixth of the counting time on the shared corpus) */
    if (tok_table_init(&c->table, expected_keys > (1 << 16) ? expected_keys : (1 << 16)) < 0)
        return -1;
    return phr_buf_reserve(&c->cand, 256);
}

/* Adds one to the queued key. 0, -1 out of memory, -2 past TOK_MAX_KEYS keys. */
static inline int phr_add(tok_table *t, const phr_pending *q)
{
    const unsigned char *p = q->n <= TOK_INLINE ? (const unsigned char *)q->v : q->p;
    int64_t id = q->n <= TOK_INLINE ? tok_table_find_short(t, q->v[0], q->v[1], q->n, q->h)
                                    : tok_table_find_long(t, q->p, q->n, q->h);
    if (id < 0) {
        id = tok_table_insert(t, p, q->n, q->h);
        if (id < 0)
            return (int)id;
    }
    t->entries[id].val++;
    return 0;
}

static int phr_drain(phr_counter *c)
{
    for (; c->done < c->k; c->done++) {
        int rc = phr_add(&c->table, c->ring + (c->done & (PHR_RING - 1)));
        if (rc)
            return rc;
    }
    return 0;
}

/* The next free ring entry. */
static inline phr_pending *phr_slot(phr_counter *c)
{
    return c->ring + (c->k & (PHR_RING - 1));
}

/* Queues the key just written into phr_slot(c) (v or p, n and h set). */
static inline int phr_commit(phr_counter *c)
{
    TOK_PREFETCH(c->table.slots + (phr_slot(c)->h & c->table.mask));
    c->k++;
    if (c->k - c->done > PHR_D1) {
        /* the slot of the key queued PHR_D1 ago is in cache by now: fetch its entry */
        uint32_t sl = c->table.slots[c->ring[(c->k - 1 - PHR_D1) & (PHR_RING - 1)].h & c->table.mask];
        if (sl)
            TOK_PREFETCH(c->table.entries + (sl - 1));
    }
    if (c->k - c->done > PHR_D3) {
        /* and its entry by now: a key longer than 16 bytes is compared with its copy in the arena */
        const phr_pending *m = c->ring + ((c->k - 1 - PHR_D3) & (PHR_RING - 1));
        if (m->n > TOK_INLINE) {
            uint32_t sl = c->table.slots[m->h & c->table.mask];
            if (sl) {
                const tok_entry *e = c->table.entries + (sl - 1);
                if (e->len == m->n)
                    TOK_PREFETCH(c->table.arena + e->key.off);
            }
        }
    }
    if (c->k - c->done > PHR_D2) {
        int rc = phr_add(&c->table, c->ring + (c->done & (PHR_RING - 1)));
        if (rc)
            return rc;
        c->done++;
    }
    return 0;
}

static inline uint64_t phr_load64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline uint64_t phr_load32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* tok_load_short without reading past p[n - 1] and without a variable-length copy: overlapping fixed-size
 * loads (little-endian). For tokens at the very end of a buffer and for str data from Python. */
static inline void phr_load_exact(const unsigned char *p, size_t n, uint64_t *v0, uint64_t *v1)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (n >= 8) {
        *v0 = phr_load64(p);
        *v1 = n > 8 ? phr_load64(p + n - 8) >> (8 * (16 - n)) : 0;
    } else if (n >= 4) {
        *v0 = phr_load32(p) | (phr_load32(p + n - 4) << (8 * (n - 4)));
        *v1 = 0;
    } else {
        *v0 = n ? (uint64_t)p[0] | ((uint64_t)p[n / 2] << (8 * (n / 2))) | ((uint64_t)p[n - 1] << (8 * (n - 1))) : 0;
        *v1 = 0;
    }
#else
    tok_load_short(p, n, v0, v1);
#endif
}

/* Queues key p[0 .. n); p[0 .. readable) may be read. A long key is copied into the ring when copy is set
 * (its bytes are about to change), else queued by pointer. */
static inline int phr_push(phr_counter *c, const unsigned char *p, size_t n, size_t readable, int copy)
{
    phr_pending *q = phr_slot(c);
    q->n = n;
    if (n <= TOK_INLINE) {
#ifdef TOK_BLOCKS
        if (readable >= 16) {
            memcpy(&q->v[0], p, 8);
            memcpy(&q->v[1], p + 8, 8);
            q->v[0] &= tok_lo_mask[n];
            q->v[1] &= tok_hi_mask[n];
        } else
#endif
            phr_load_exact(p, n, &q->v[0], &q->v[1]);
        q->h = tok_hash_words(q->v[0], q->v[1], n);
    } else {
        q->h = tok_hash_long(p, n);
        if (copy) {
            if (n > PHR_KEY) {
                int rc = phr_drain(c);
                if (rc)
                    return rc;
                q->p = p;
                rc = phr_add(&c->table, q);
                return rc;
            }
            memcpy(q->key, p, n);
            p = q->key;
        }
        q->p = p;
    }
    (void)readable;
    return phr_commit(c);
}

/* (a, b) <<= 8 * k bytes as one little-endian 128-bit value, for k < 16 */
static inline void phr_shift(uint64_t *lo, uint64_t *hi, unsigned k)
{
    unsigned bits = 8 * k;
    if (bits == 0)
        return;
    if (bits >= 64) {
        *hi = *lo << (bits - 64);
        *lo = 0;
    } else {
        *hi = (*hi << bits) | (*lo >> (64 - bits));
        *lo <<= bits;
    }
}

/* Puts the start token's bytes at the front of cand (they may already be there, copied by a flush). */
static inline int phr_start_to_cand(phr_counter *c)
{
    if (c->start_p == c->cand.p) {
        c->cand.len = c->start_n;
        return 0;
    }
    c->cand.len = 0;
    return phr_buf_add(&c->cand, c->start_p, c->start_n);
}

/* Queues the bigram start + delim + w (w = p[0 .. n), its words in wv when n <= 16), the start being the
 * counter's start token with no connector words after it. */
static inline int phr_push_pair(phr_counter *c, const unsigned char *p, size_t n, const uint64_t *wv)
{
    size_t total = c->start_n + c->delim_len + n;
    if (total <= TOK_INLINE && !c->cand_owned) {
        /* key words = start | delim << 8 * len(start) | w << 8 * (len(start) + len(delim)) */
        phr_pending *q = phr_slot(c);
        uint64_t dlo = c->dv[0], dhi = c->dv[1], wlo = wv[0], whi = wv[1];
        phr_shift(&dlo, &dhi, (unsigned)c->start_n);
        phr_shift(&wlo, &whi, (unsigned)(c->start_n + c->delim_len));
        q->v[0] = c->start_v[0] | dlo | wlo;
        q->v[1] = c->start_v[1] | dhi | whi;
        q->n = total;
        q->h = tok_hash_words(q->v[0], q->v[1], total);
        return phr_commit(c);
    }
    /* the bytes, in cand (start, delim, w) */
    if (!c->cand_owned && phr_start_to_cand(c) < 0)
        return -1;
    {
        size_t keep = c->cand.len;
        int rc;
        if (phr_buf_add(&c->cand, c->delim, c->delim_len) < 0 || phr_buf_add(&c->cand, p, n) < 0)
            return -1;
        rc = phr_push(c, c->cand.p, c->cand.len, c->cand.cap, 1);
        c->cand.len = keep;
        return rc;
    }
}

/* One token p[0 .. n) of the current line; p[0 .. readable) may be read. The token's bytes must stay valid
 * until phr_counter_flush (keys are queued by pointer). 0, -1 out of memory, -2 too many keys. */
static inline int phr_counter_token(phr_counter *c, const unsigned char *p, size_t n, size_t readable)
{
    int rc;
    c->words++;
    c->in_line = 1;
    if (c->connectors && phr_is_connector(c->connectors, p, n)) {
        if (c->have_start) {
            /* the candidate grows: from now on it lives in cand as bytes */
            if (!c->cand_owned) {
                if (phr_start_to_cand(c) < 0)
                    return -1;
                c->cand_owned = 1;
            }
            if (phr_buf_add(&c->cand, c->delim, c->delim_len) < 0 || phr_buf_add(&c->cand, p, n) < 0)
                return -1;
        }
        return 0;
    }
    rc = phr_push(c, p, n, readable, 0);
    if (rc)
        return rc;
    {
        const phr_pending *u = c->ring + ((c->k - 1) & (PHR_RING - 1));   /* w's own words */
        if (c->have_start) {
            rc = phr_push_pair(c, p, n, u->v);
            if (rc)
                return rc;
        }
        c->have_start = 1;
        c->cand_owned = 0;
        c->start_p = p;
        c->start_n = n;
        c->start_v[0] = u->v[0];
        c->start_v[1] = u->v[1];
    }
    return 0;
}

/* Adds every queued key, and copies a start token still pointing into the input (its bytes go away). */
static int phr_counter_flush(phr_counter *c)
{
    int rc = phr_drain(c);
    if (rc)
        return rc;
    if (c->have_start && !c->cand_owned) {
        if (phr_start_to_cand(c) < 0)
            return -1;
        c->start_p = c->cand.p;
    }
    return 0;
}

/* End of a sentence: the next token starts a new candidate; prune as gensim does after each sentence. */
static int phr_counter_end_sentence(phr_counter *c, int empty_counts)
{
    /* Pruning needs the exact count of keys after this sentence; when even every queued key being new
     * would not pass max_keys, the queue keeps flowing across the line end (short lines would otherwise
     * empty it every few tokens and leave the prefetches no time). */
    if (c->max_keys > 0 && c->table.n + (int64_t)(c->k - c->done) > c->max_keys) {
        int rc = phr_drain(c);
        if (rc)
            return rc;
    }
    c->have_start = 0;
    c->cand_owned = 0;
    c->cand.len = 0;
    /* an empty line of a file is no sentence (LineSentence yields none); an empty sentence of an iterable
     * is one, and gensim checks for pruning after it */
    if (!c->in_line && !empty_counts)
        return 0;
    c->sentences++;
    c->in_line = 0;
    if (c->max_keys > 0 && c->table.n > c->max_keys) {
        phr_prune(&c->table, c->min_reduce);
        c->min_reduce++;
    }
    return 0;
}

/* Counts buf[0 .. n): whole tokens and newlines (a piece from tok_reader_chunk or a phr_joiner);
 * buf[0 .. readable) may be read. */
static int phr_counter_buffer(phr_counter *c, const unsigned char *buf, size_t n, size_t readable)
{
    size_t i = 0;
    int rc;
    while (i < n) {
        unsigned char ch = buf[i];
        if (tok_is_ws(ch)) {
            i++;
            if (ch == '\n') {
                rc = phr_counter_end_sentence(c, 0);
                if (rc)
                    return rc;
            }
            continue;
        }
        {
            size_t s = i;
            i = tok_token_end(buf, i + 1, n);
            rc = phr_counter_token(c, buf + s, i - s, readable - s);
            if (rc)
                return rc;
        }
    }
    return phr_counter_flush(c);
}

/* ------------------------------------------------------------------------------------------------------
 * Scoring, with the operations and their order of gensim's scorers so that the doubles agree bit for bit.
 */
#define PHR_SCORE_DEFAULT 0
#define PHR_SCORE_NPMI 1

/* (double)(a * b) as Python's float(a * b) rounds it: exactly while the product fits 63 bits. */
static inline double phr_product(int64_t a, int64_t b)
{
    if (a < ((int64_t)1 << 31) && b < ((int64_t)1 << 31))
        return (double)(a * b);
#ifdef __SIZEOF_INT128__
    return (double)((unsigned __int128)a * (unsigned __int128)b);
#else
    return (double)((long double)a * (long double)b);
#endif
}

static inline double phr_score(int scoring, int64_t a, int64_t b, int64_t ab, int64_t n_keys, int64_t min_count,
                               int64_t words)
{
    if (scoring == PHR_SCORE_DEFAULT) {
        double denom = phr_product(a, b);
        if (denom == 0.0)
            return -INFINITY;
        return (double)(ab - min_count) / denom * (double)n_keys;
    } else {
        double total = (double)words, pa, pb, pab, den;
        if (ab < min_count)
            return -INFINITY;
        pa = (double)a / total;
        pb = (double)b / total;
        pab = (double)ab / total;
        den = -log(pab);
        if (pa * pb == 0.0 || den == 0.0)
            return -INFINITY;
        return log(pab / (pa * pb)) / den;
    }
}

/* Starts of the non-overlapping occurrences of d[0 .. dn) in p[0 .. n), scanning from the left as
 * str.split cuts; at most max of them. Returns how many. */
static int phr_split_points(const unsigned char *p, size_t n, const unsigned char *d, size_t dn, size_t *at,
                            int max)
{
    size_t i = 0;
    int m = 0;
    if (dn == 0)
        return 0;
    while (i + dn <= n && m < max) {
        if (p[i] == d[0] && memcmp(p + i, d, dn) == 0) {
            at[m++] = i;
            i += dn;
        } else {
            i++;
        }
    }
    return m;
}

static inline int64_t phr_count_of(const tok_table *t, const unsigned char *p, size_t n)
{
    int64_t id = tok_table_find(t, p, n, tok_hash(p, n));
    return id < 0 ? 0 : t->entries[id].val;
}

#define PHR_MAX_SPLITS 32

/* gensim's score_candidate for the key at id, split as gensim's export_phrases splits it (first word up to
 * the first delimiter, last word after the last one). Where that first or last word was never counted, the
 * key cannot be a phrase of those words, and the other splits are tried, longest first word first: a phrase
 * of phrases ("new_york_city" counted from "new_york" and "city" in a second pass, where "new" alone may
 * never occur) is found where gensim's export skips it. Returns the score and sets *ok when the key is a
 * phrase above the threshold. */
static double phr_export_one(const tok_table *t, int64_t id, const unsigned char *d, size_t dn, int scoring,
                             double threshold, int64_t min_count, int64_t words, int *ok)
{
    const tok_entry *e = t->entries + id;
    const unsigned char *p = tok_key(t, e);
    size_t at[PHR_MAX_SPLITS];
    int m, x, y, found = 0;
    int64_t a = 0, b = 0;
    double s;
    *ok = 0;
    if (e->val <= 0)
        return -INFINITY;
    m = phr_split_points(p, e->len, d, dn, at, PHR_MAX_SPLITS);
    if (m == 0)
        return -INFINITY;
    a = phr_count_of(t, p, at[0]);
    b = phr_count_of(t, p + at[m - 1] + dn, e->len - at[m - 1] - dn);
    found = a > 0 && b > 0;
    for (x = m - 1; x >= 0 && !found; x--) {
        a = phr_count_of(t, p, at[x]);
        if (a <= 0)
            continue;
        for (y = x; y < m && !found; y++) {
            b = phr_count_of(t, p + at[y] + dn, e->len - at[y] - dn);
            found = b > 0;
        }
    }
    if (!found)
        return -INFINITY;
    s = phr_score(scoring, a, b, e->val, t->n, min_count, words);
    if (!(s > threshold))
        return -INFINITY;
    *ok = 1;
    return s;
}

/* ------------------------------------------------------------------------------------------------------
 * Applying: a joiner turns pieces of text (whole tokens and newlines) into the same text with the known
 * phrases joined, tokens separated by one space and lines by '\n'. It follows gensim's analyze_sentence:
 * a candidate starts at a non-connector word, collects connector words, and when the next non-connector
 * word makes a known phrase (score above the threshold) the whole run is emitted as one token; otherwise
 * the candidate's words go out one by one and the new word starts the next candidate.
 *
 * The phrase table maps each phrase's bytes to its score (the double's bits in the entry's value).
 */
/* A Bloom filter of a phrase table's keys, two bits per key and about eight bits of filter per key (some 5%
 * false positives), that the joiner asks before the table. Nearly no pair of adjacent words is a phrase, and
 * the filter, small enough to stay in the first-level cache, says so without the table's two cache misses
 * (slot, then entry), which made the table lookup most of the joiner's time. Built from the 32 hash bits
 * that the table keeps per key; no false negatives. */
typedef struct {
    uint64_t *bits;
    uint64_t mask;                 /* filter bits - 1; at most 2**24 - 1 */
} phr_filter;

static inline void phr_filter_index(const phr_filter *f, uint32_t h32, uint64_t *a, uint64_t *b)
{
    uint64_t g = (uint64_t)h32 * 0x9E3779B97F4A7C15ULL;
    *a = (g >> 40) & f->mask;
    *b = (g >> 16) & f->mask;
}

static inline int phr_filter_maybe(const phr_filter *f, uint64_t h)
{
    uint64_t a, b;
    phr_filter_index(f, (uint32_t)h, &a, &b);
    return (int)((f->bits[a >> 6] >> (a & 63)) & (f->bits[b >> 6] >> (b & 63)) & 1);
}

static void phr_filter_free(phr_filter *f)
{
    free(f->bits);
    memset(f, 0, sizeof(*f));
}

/* Builds the filter of every key of t. 0, or -1 when out of memory. */
static int phr_filter_build(phr_filter *f, const tok_table *t)
{
    uint64_t nbits = 512, a, b;
    int64_t id;
    while (nbits < (uint64_t)t->n * 8 && nbits < ((uint64_t)1 << 24))
        nbits <<= 1;
    phr_filter_free(f);
    f->bits = (uint64_t *)calloc(nbits / 64, sizeof(uint64_t));
    if (!f->bits)
        return -1;
    f->mask = nbits - 1;
    for (id = 0; id < t->n; id++) {
        phr_filter_index(f, t->entries[id].hash, &a, &b);
        f->bits[a >> 6] |= (uint64_t)1 << (a & 63);
        f->bits[b >> 6] |= (uint64_t)1 << (b & 63);
    }
    return 0;
}

typedef struct {
    const tok_table *phrases;
    const phr_filter *filter;      /* of phrases' keys; may be NULL */
    const tok_table *connectors;   /* may be NULL */
    const unsigned char *delim;
    size_t delim_len;
    double threshold;
    phr_buf cand;                  /* the candidate: start + delim + connector + ... */
    size_t *parts;                 /* where each word of cand ends (delimiters follow all but the last) */
    size_t n_parts, cap_parts;
    phr_buf out;
    int64_t joined;                /* phrases emitted */
    int pending_space;             /* a token was emitted on this line: the next needs a separator */
    int finished;                  /* the final flush has been handed out */
} phr_joiner;

static void phr_joiner_free(phr_joiner *j)
{
    phr_buf_free(&j->cand);
    phr_buf_free(&j->out);
    free(j->parts);
    j->parts = NULL;
}

static int phr_joiner_init(phr_joiner *j, const tok_table *phrases, const phr_filter *filter,
                           const tok_table *connectors, const unsigned char *delim, size_t delim_len,
                           double threshold)
{
    memset(j, 0, sizeof(*j));
    j->phrases = phrases;
    j->filter = filter;
    j->connectors = connectors;
    j->delim = delim;
    j->delim_len = delim_len;
    j->threshold = threshold;
    j->cap_parts = 16;
    j->parts = (size_t *)malloc(j->cap_parts * sizeof(size_t));
    if (!j->parts || phr_buf_reserve(&j->cand, 256) < 0 || phr_buf_reserve(&j->out, 1 << 16) < 0)
        return -1;
    return 0;
}

static inline int phr_emit(phr_joiner *j, const unsigned char *p, size_t n)
{
    if (j->pending_space && phr_buf_add(&j->out, (const unsigned char *)" ", 1) < 0)
        return -1;
    j->pending_space = 1;
    return phr_buf_add(&j->out, p, n);
}

/* The candidate's words, one token each. */
static int phr_emit_parts(phr_joiner *j)
{
    size_t k, at = 0;
    for (k = 0; k < j->n_parts; k++) {
        if (phr_emit(j, j->cand.p + at, j->parts[k] - at) < 0)
            return -1;
        at = j->parts[k] + j->delim_len;
    }
    j->n_parts = 0;
    j->cand.len = 0;
    return 0;
}

static inline int phr_cand_push(phr_joiner *j, const unsigned char *p, size_t n)
{
    if (j->n_parts) {
        if (phr_buf_add(&j->cand, j->delim, j->delim_len) < 0)
            return -1;
    }
    if (phr_buf_add(&j->cand, p, n) < 0)
        return -1;
    if (j->n_parts == j->cap_parts) {
        size_t *q = (size_t *)realloc(j->parts, j->cap_parts * 2 * sizeof(size_t));
        if (!q)
            return -1;
        j->parts = q;
        j->cap_parts *= 2;
    }
    j->parts[j->n_parts++] = j->cand.len;
    return 0;
}

static inline int phr_joiner_token(phr_joiner *j, const unsigned char *p, size_t n)
{
    if (phr_is_connector(j->connectors, p, n)) {
        if (j->n_parts)
            return phr_cand_push(j, p, n);
        return phr_emit(j, p, n);
    }
    if (j->n_parts) {
        size_t keep = j->cand.len;
        uint64_t h;
        int64_t at;
        if (phr_buf_add(&j->cand, j->delim, j->delim_len) < 0 || phr_buf_add(&j->cand, p, n) < 0)
            return -1;
        h = tok_hash(j->cand.p, j->cand.len);
        at = (j->filter == NULL || phr_filter_maybe(j->filter, h)) ? tok_table_find(j->phrases, j->cand.p,
                                                                                    j->cand.len, h) : -1;
        if (at >= 0) {
            double score;
            memcpy(&score, &j->phrases->entries[at].val, sizeof(score));
            if (score > j->threshold) {
                j->joined++;
                if (phr_emit(j, j->cand.p, j->cand.len) < 0)
                    return -1;
                j->n_parts = 0;
                j->cand.len = 0;
                return 0;
            }
        }
        j->cand.len = keep;
        if (phr_emit_parts(j) < 0)
            return -1;
    }
    return phr_cand_push(j, p, n);
}

static int phr_joiner_end_line(phr_joiner *j)
{
    if (phr_emit_parts(j) < 0)
        return -1;
    j->pending_space = 0;
    return phr_buf_add(&j->out, (const unsigned char *)"\n", 1);
}

/* Joins buf[0 .. n) into j->out (cleared first). A line still open at the end stays pending. 0 or -1. */
static int phr_joiner_buffer(phr_joiner *j, const unsigned char *buf, size_t n)
{
    size_t i = 0;
    j->out.len = 0;
    while (i < n) {
        unsigned char ch = buf[i];
        if (tok_is_ws(ch)) {
            i++;
            if (ch == '\n' && phr_joiner_end_line(j) < 0)
                return -1;
            continue;
        }
        {
            size_t s = i;
            i = tok_token_end(buf, i + 1, n);
            if (phr_joiner_token(j, buf + s, i - s) < 0)
                return -1;
        }
    }
    /* a line left open continues in the next piece, which then starts with a separator (pending_space) */
    return 0;
}

/* The end of the input: j->out gets the words of a pending candidate (cleared first). 0 or -1. */
static int phr_joiner_finish(phr_joiner *j)
{
    j->out.len = 0;
    return phr_emit_parts(j);
}

/* Frees a joiner made with malloc (the opaque handle _corpus.pyx holds). */
static void phr_joiner_destroy(void *j)
{
    if (j) {
        phr_joiner_free((phr_joiner *)j);
        free(j);
    }
}

/* How many bytes from the start of the joiner's output may be read (for tok_counter_buffer). */
static inline size_t phr_joiner_readable(const phr_joiner *j)
{
    return j->out.cap;
}

/* A drop-in for tok_reader_chunk that joins phrases when j is not NULL: the same pieces (whole tokens and
 * newlines), rewritten; at the end of the range, one last piece with the words still pending. */
static int phr_reader_chunk(tok_reader *r, void *joiner, const unsigned char **p, size_t *n)
{
    phr_joiner *j = (phr_joiner *)joiner;
    int ev;
    if (j == NULL)
        return tok_reader_chunk(r, p, n);
    for (;;) {
        if (j->finished)
            return 0;
        ev = tok_reader_chunk(r, p, n);
        if (ev < 0)
            return ev;
        if (ev == 0) {
            j->finished = 1;
            if (phr_joiner_finish(j) < 0) {
                r->err = ENOMEM;
                return -1;
            }
        } else if (phr_joiner_buffer(j, *p, *n) < 0) {
            r->err = ENOMEM;
            return -1;
        }
        if (j->out.len) {
            *p = j->out.p;
            *n = j->out.len;
            return 1;
        }
    }
}

#endif
