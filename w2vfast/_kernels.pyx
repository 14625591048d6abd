# cython: language_level=3
"""Training kernels: skip-gram and CBOW with negative sampling and/or hierarchical softmax.

The per-word loops run without the GIL on raw pointers into numpy arrays (see _kernels.pxd for the contract);
the vector arithmetic lives in _vecmath.h. The update rules are word2vec.c's; w2vfast/reference.py spells
out the same rules in plain NumPy, and tests/test_kernels.py checks the two against each other.
"""

import numpy as np
cimport numpy as cnp
from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.string cimport memcpy, memset

cnp.import_array()


cdef extern from "_vecmath.h" nogil:
    int W2V_EXP_TABLE_SIZE
    int W2V_MAX_EXP
    void w2v_init()
    int w2v_select(const char *name)
    const char *w2v_simd_name
    float w2v_sigmoid(float f)
    float w2v_log_sigmoid(float f)
    uint64_t w2v_rng_next(uint64_t *state)
    uint64_t w2v_seed_rng(uint64_t seed, uint64_t stream)
    int64_t w2v_atomic_add_i64(int64_t *p, int64_t v)
    int64_t w2v_atomic_load_i64(int64_t *p)
    void w2v_atomic_store_i64(int64_t *p, int64_t v)
    void w2v_axpy(int n, float a, const float *x, float *y)
    void w2v_scale(int n, float a, float *x)
    void w2v_prefetch_row(const float *row, int n)
    void w2v_prefetch_rows(float *base, const int32_t *rows, int first, int k, int n, const w2v_hot *hot)
    void w2v_prefetch_path(const int64_t *code_offset, const int32_t *points, const uint8_t *codes, int32_t word)
    int w2v_sum_rows(int n, float *base, const int32_t *words, int lo, int hi, int skip, float *out,
                     const w2v_hot *hot)
    void w2v_add_to_rows(int n, float *base, const int32_t *words, int lo, int hi, int skip, const float *x,
                         const w2v_hot *hot)
    void w2v_train_rows(int size, const float *l1, float *work, float *out, const int32_t *rows, int k,
                        const uint8_t *codes, float alpha, double *loss, const w2v_hot *hot)
    float *w2v_row(float *mat, int32_t r, int size, const w2v_hot *h)
    void w2v_hot_merge(float *shared, const float *rows, const float *base, int64_t n, float scale)
    void w2v_hot_pull(const float *mat, int size, w2v_hot *h)
    void w2v_hot_push(float *mat, int size, const w2v_hot *h)
    void w2v_hot_sync(float *mat, int size, w2v_hot *h)
    void w2v_hot_sync_part(float *mat, int size, w2v_hot *h, int32_t lo, int32_t hi)
    bint w2v_trylock(int64_t *l)
    void w2v_lock(int64_t *l)
    void w2v_unlock(int64_t *l)


w2v_init()

EXP_TABLE_SIZE = W2V_EXP_TABLE_SIZE
MAX_EXP = W2V_MAX_EXP


def simd_level():
    """Which vector instruction set the kernels run with on this CPU: "avx512", "avx2" or "baseline".

    The fused update routine is picked at import from what the CPU supports; the smaller vector helpers are
    multiversioned by the compiler (GCC target_clones on x86-64 Linux) and normally land on the same level.
    """
    return w2v_simd_name.decode("ascii")


def set_simd_level(str name):
    """Run the fused update with another instruction set ("avx512", "avx2" or "baseline"), for tests and
    benchmarks. Raises ValueError when this CPU or build cannot run it. Not thread-safe: call it while no
    thread is training."""
    if w2v_select(name.encode("ascii")) == 0:
        raise ValueError(f"SIMD level {name!r} is not available here (this CPU/build offers {simd_level()!r})")


def available_simd_levels():
    """The levels set_simd_level accepts on this machine, best first."""
    current = simd_level()
    levels = [name for name in ("avx512", "avx2", "baseline") if w2v_select(name.encode("ascii"))]
    w2v_select(current.encode("ascii"))
    return levels


# ----------------------------------------------------------------------------------------------------------
# Random numbers and negative draws
# ----------------------------------------------------------------------------------------------------------

cdef uint64_t seed_rng(uint64_t seed, uint64_t stream) noexcept nogil:
    return w2v_seed_rng(seed, stream)


cdef inline int32_t _draw_negative(const Model *m, uint64_t *rng) noexcept nogil:
    # Walker's alias method, as documented in _kernels.pxd
    cdef uint64_t r = w2v_rng_next(rng)
    cdef uint32_t i = <uint32_t>(((r >> 32) * <uint64_t>m.vocab_size) >> 32)
    cdef uint64_t e
    cdef int32_t alias
    if m.alias_packed != NULL:
        # one load, and a select instead of an unpredictable branch
        e = m.alias_packed[i]
        alias = <int32_t>(e >> 32)
        return <int32_t>i if <uint32_t>r < <uint32_t>e else alias
    if <uint32_t>r < m.alias_threshold[i]:
        return <int32_t>i
    return m.alias_index[i]


cdef inline int _draw_negatives(const Model *m, uint64_t *rng, int32_t target, int32_t *negs) noexcept nogil:
    """negs[0] = target, then up to m.negative draws; a draw equal to the target is dropped (not redrawn)."""
    cdef int c = 1, d
    cdef int32_t t
    negs[0] = target
    for d in range(m.negative):
        t = _draw_negative(m, rng)
        if t != target:
            negs[c] = t
            c += 1
    return c


# ----------------------------------------------------------------------------------------------------------
# One example: an input vector l1 against the targets of one centre word
# ----------------------------------------------------------------------------------------------------------

cdef inline void _train_targets(const Model *m, const Worker *w, const real *l1, int32_t target,
                                const int32_t *negs, int n_negs, real alpha, double *loss) noexcept nogil:
    """w.work = 0; HS along target's path, then NS over negs[:n_negs] (negs[0] == target); all into w.work.
    Rows the worker holds privately are read and written in its copies."""
    cdef int64_t off
    memset(w.work, 0, m.size * sizeof(real))
    if m.hs:
        off = m.code_offset[target]
        w2v_train_rows(m.size, l1, w.work, m.syn1, m.points + off, <int>(m.code_offset[target + 1] - off),
                       m.codes + off, alpha, loss, &w.hot_hs)
    if m.negative:
        w2v_train_rows(m.size, l1, w.work, m.syn1neg, negs, n_negs, NULL, alpha, loss, &w.hot_out)


cdef inline void _sg_pair(const Model *m, const Worker *w, int32_t context, int32_t centre, const int32_t *negs,
                          int n_negs, real alpha, double *loss) noexcept nogil:
    cdef real *l1 = w2v_row(m.syn0, context, m.size, &w.hot_in)
    _train_targets(m, w, l1, centre, negs, n_negs, alpha, loss)
    w2v_axpy(m.size, 1.0, w.work, l1)


cdef inline void _cbow_example(const Model *m, const Worker *w, const int32_t *words, int lo, int hi,
                               int centre_pos, const int32_t *negs, int n_negs, real alpha,
                               double *loss) noexcept nogil:
    """CBOW for words[centre_pos] with context words[lo:hi] minus the centre; the context is not empty."""
    cdef int count
    cdef real inv_count
    count = w2v_sum_rows(m.size, m.syn0, words, lo, hi, centre_pos, w.neu1, &w.hot_in)
    inv_count = 1.0 / count
    if m.cbow_mean:
        w2v_scale(m.size, inv_count, w.neu1)
    _train_targets(m, w, w.neu1, words[centre_pos], negs, n_negs, alpha, loss)
    if not m.cbow_mean:
        # the error of a sum is spread over its terms (gensim's convention for the sum variant)
        w2v_scale(m.size, inv_count, w.work)
    w2v_add_to_rows(m.size, m.syn0, words, lo, hi, centre_pos, w.work, &w.hot_in)


# ----------------------------------------------------------------------------------------------------------
# Sentences
# ----------------------------------------------------------------------------------------------------------

cdef inline void _window(const Model *m, uint64_t *rng, int i, int n, int *lo, int *hi) noexcept nogil:
    cdef int b = 0
    if m.shrink_windows:
        b = <int>(w2v_rng_next(rng) % <uint64_t>m.window)
    lo[0] = i - m.window + b
    if lo[0] < 0:
        lo[0] = 0
    hi[0] = i + m.window + 1 - b
    if hi[0] > n:
        hi[0] = n


cdef enum:
    NEG_STACK = 64     # negatives + 1 that fit the look-ahead buffers (more: a plain loop without look-ahead)
    AHEAD = 2          # skip-gram pairs drawn and prefetched ahead of the one training
    RING = 4           # ring slots (a power of two >= AHEAD + 2)


cdef inline int _reduction(const Model *m, uint64_t *rng) noexcept nogil:
    """How much the window of the next centre word shrinks."""
    if m.shrink_windows:
        return <int>(w2v_rng_next(rng) % <uint64_t>m.window)
    return 0


cdef struct Cursor:
    # one (context j, centre i) pair of a sentence, with the centre's window [lo, hi)
    int i
    int j
    int lo
    int hi
    bint fresh          # the cursor just entered centre i


cdef inline void _enter_centre(const Model *m, Cursor *c, int i, int b, int n) noexcept nogil:
    c.i = i
    c.lo = i - m.window + b
    if c.lo < 0:
        c.lo = 0
    c.hi = i + m.window + 1 - b
    if c.hi > n:
        c.hi = n
    c.j = c.lo + 1 if c.lo == i else c.lo
    c.fresh = True


cdef inline bint _next_context(Cursor *c) noexcept nogil:
    """Move to the next context word of the same centre; False when the window is exhausted."""
    c.j += 1
    if c.j == c.i:
        c.j += 1
    return c.j < c.hi


cdef void _sg_sentence_plain(const Model *m, Worker *w, int n, real alpha, uint64_t *rng, double *loss,
                             int64_t *examples) noexcept nogil:
    """Skip-gram without look-ahead (used when the negatives do not fit the look-ahead buffers)."""
    cdef int i, j, lo, hi, n_negs = 0
    cdef const int32_t *kept = w.kept
    cdef bint shared = m.shared_negatives and m.negative > 0
    for i in range(n):
        _window(m, rng, i, n, &lo, &hi)
        if shared:
            n_negs = _draw_negatives(m, rng, kept[i], w.negs)
        for j in range(lo, hi):
            if j == i:
                continue
            if m.negative and not shared:
                n_negs = _draw_negatives(m, rng, kept[i], w.negs)
            _sg_pair(m, w, kept[j], kept[i], w.negs, n_negs, alpha, loss)
            examples[0] += 1


cdef void _sg_sentence(const Model *m, Worker *w, int n, real alpha, uint64_t *rng, double *loss,
                       int64_t *examples) noexcept nogil:
    """Skip-gram over kept[:n] (n >= 2), one (context, centre) pair at a time, in order.

    A second cursor runs AHEAD pairs in front of the training one: it draws each pair's window and negatives
    and starts fetching the rows the pair will touch, so that they are in cache when the pair trains. The
    random draws happen in the ahead cursor's order; the updates happen in the plain order."""
    cdef int32_t negbuf[RING][NEG_STACK]
    cdef int n_negs[RING]
    cdef int shrink[RING]
    cdef Cursor c, a
    cdef int64_t p = 0, pa = 0, off
    cdef int slot, b, centre
    cdef bint ahead_live = True
    cdef const int32_t *kept = w.kept
    cdef bint shared = m.shared_negatives and m.negative > 0
    if m.negative + 1 > NEG_STACK:
        _sg_sentence_plain(m, w, n, alpha, rng, loss, examples)
        return
    b = _reduction(m, rng)
    shrink[0] = b
    _enter_centre(m, &a, 0, b, n)
    c = a
    for slot in range(RING):
        n_negs[slot] = 0
    while True:
        # the ahead cursor: pair pa (prefetches must sit right here, see w2v_prefetch_row)
        while ahead_live and pa <= p + AHEAD:
            centre = kept[a.i]
            if a.fresh:
                a.fresh = False
                if m.hs:
                    off = m.code_offset[centre]
                    w2v_prefetch_rows(m.syn1, m.points + off, 0, <int>(m.code_offset[centre + 1] - off), m.size,
                                      &w.hot_hs)
                    if a.i + 1 < n:
                        w2v_prefetch_path(m.code_offset, m.points, m.codes, kept[a.i + 1])
                if shared:
                    slot = a.i & (RING - 1)
                    n_negs[slot] = _draw_negatives(m, rng, centre, negbuf[slot])
                    w2v_prefetch_rows(m.syn1neg, negbuf[slot], 0, n_negs[slot], m.size, &w.hot_out)
                elif m.negative:
                    w2v_prefetch_row(w2v_row(m.syn1neg, centre, m.size, &w.hot_out), m.size)
            if m.negative and not shared:
                slot = pa & (RING - 1)
                n_negs[slot] = _draw_negatives(m, rng, centre, negbuf[slot])
                w2v_prefetch_rows(m.syn1neg, negbuf[slot], 1, n_negs[slot], m.size, &w.hot_out)
            w2v_prefetch_row(w2v_row(m.syn0, kept[a.j], m.size, &w.hot_in), m.size)
            pa += 1
            if not _next_context(&a):
                if a.i + 1 >= n:
                    ahead_live = False
                else:
                    b = _reduction(m, rng)
                    shrink[(a.i + 1) & (RING - 1)] = b
                    _enter_centre(m, &a, a.i + 1, b, n)
        # the training cursor: pair p
        slot = (c.i if shared else p) & (RING - 1)
        _sg_pair(m, w, kept[c.j], kept[c.i], negbuf[slot], n_negs[slot], alpha, loss)
        examples[0] += 1
        p += 1
        if not _next_context(&c):
            if c.i + 1 >= n:
                break
            _enter_centre(m, &c, c.i + 1, shrink[(c.i + 1) & (RING - 1)], n)


cdef void _cbow_sentence(const Model *m, Worker *w, int n, real alpha, uint64_t *rng, double *loss,
                         int64_t *examples) noexcept nogil:
    """CBOW over kept[:n], one centre word at a time, running one centre ahead like _sg_sentence: the next
    centre's window and negatives are drawn, and its rows prefetched, before the current one trains."""
    cdef int32_t bufs[2][NEG_STACK]
    cdef int32_t *cur
    cdef int32_t *nxt
    cdef int32_t *tmp
    cdef int i, lo, hi, nlo = 0, nhi = 0, n_cur = 0, n_nxt = 0
    cdef int64_t off
    cdef const int32_t *kept = w.kept
    cdef bint ahead = m.negative + 1 <= NEG_STACK
    if ahead:
        cur = bufs[0]
        nxt = bufs[1]
    else:
        cur = w.negs
        nxt = w.negs
    _window(m, rng, 0, n, &lo, &hi)
    if m.negative:
        n_cur = _draw_negatives(m, rng, kept[0], cur)
    for i in range(n):
        if i + 1 < n and ahead:
            # (prefetches must sit right here, see w2v_prefetch_row)
            _window(m, rng, i + 1, n, &nlo, &nhi)
            if m.negative:
                n_nxt = _draw_negatives(m, rng, kept[i + 1], nxt)
                w2v_prefetch_rows(m.syn1neg, nxt, 0, n_nxt, m.size, &w.hot_out)
            if m.hs:
                off = m.code_offset[kept[i + 1]]
                w2v_prefetch_rows(m.syn1, m.points + off, 0, <int>(m.code_offset[kept[i + 1] + 1] - off),
                                  m.size, &w.hot_hs)
                if i + 2 < n:
                    w2v_prefetch_path(m.code_offset, m.points, m.codes, kept[i + 2])
            w2v_prefetch_row(w2v_row(m.syn0, kept[nhi - 1], m.size, &w.hot_in), m.size)
        if hi - lo > 1:     # else no context: nothing to predict from
            _cbow_example(m, w, kept, lo, hi, i, cur, n_cur, alpha, loss)
            examples[0] += 1
        if i + 1 < n:
            if ahead:
                tmp = cur
                cur = nxt
                nxt = tmp
                n_cur = n_nxt
                lo = nlo
                hi = nhi
            else:
                _window(m, rng, i + 1, n, &lo, &hi)
                if m.negative:
                    n_cur = _draw_negatives(m, rng, kept[i + 1], cur)


cdef inline void _pull_private(const Model *m, Worker *w) noexcept nogil:
    """Fresh private copies of the worker's hot rows (nothing to do for a worker that holds none)."""
    if w.hot_in.count:
        w2v_hot_pull(m.syn0, m.size, &w.hot_in)
    if w.hot_out.count and m.negative:
        w2v_hot_pull(m.syn1neg, m.size, &w.hot_out)
    if w.hot_hs.count and m.hs:
        w2v_hot_pull(m.syn1, m.size, &w.hot_hs)


cdef inline int64_t *_merge_lock(const Worker *w) noexcept nogil:
    if w.hot_in.count:
        return w.hot_in.lock
    return w.hot_out.lock if w.hot_out.count else w.hot_hs.lock


cdef inline void _push_private(const Model *m, Worker *w) noexcept nogil:
    """Merge the worker's change to its hot rows into the shared matrices; the caller holds the merge lock."""
    if w.hot_in.count:
        w2v_hot_push(m.syn0, m.size, &w.hot_in)
    if w.hot_out.count and m.negative:
        w2v_hot_push(m.syn1neg, m.size, &w.hot_out)
    if w.hot_hs.count and m.hs:
        w2v_hot_push(m.syn1, m.size, &w.hot_hs)


# The busiest rows go stale fastest: a worker updates the row of "the" thousands of times between two merges,
# a row of rank 4000 a few times. So merges come in tiers: every sync_words / HOT_TIERS**2 kept words the
# busiest 1/HOT_TIERS**2 of the private rows (the most frequent words' rows, the Huffman nodes nearest the
# root), every HOT_TIERS of those the busiest 1/HOT_TIERS, and every HOT_TIERS**2 all of them; each tier
# costs about one merge of all rows per sync_words kept words. (CBOW-NS, 2 threads, 6 seeds: merging all 4096
# rows every ~35k words lost 0.6 analogy and 1.4 WS353 points against shared rows; merging them every ~9k
# words, or 512 rows every 8k, about 0.3 and 0.5, but at 4-6% of the speed. The third tier is for the root
# row, which takes one update per pair; skip-gram HS lost about a point of analogy with two tiers and with
# three, until its word rows went back to being shared: see Word2Vec._private_rows.)
DEF HOT_TIERS = 8


cdef inline void _sync_private(const Model *m, Worker *w) noexcept nogil:
    """_push_private then _pull_private, fused (the caller holds the merge lock)."""
    if w.hot_in.count:
        w2v_hot_sync(m.syn0, m.size, &w.hot_in)
    if w.hot_out.count and m.negative:
        w2v_hot_sync(m.syn1neg, m.size, &w.hot_out)
    if w.hot_hs.count and m.hs:
        w2v_hot_sync(m.syn1, m.size, &w.hot_hs)


cdef inline void _sync_private_top(const Model *m, Worker *w, int32_t share) noexcept nogil:
    """The same for the busiest 1/share of each block: its first rows (word rows: the most frequent words), or
    its last ones (Huffman nodes: the root is the last row)."""
    if w.hot_in.count:
        w2v_hot_sync_part(m.syn0, m.size, &w.hot_in, 0, w.hot_in.count // share)
    if w.hot_out.count and m.negative:
        w2v_hot_sync_part(m.syn1neg, m.size, &w.hot_out, 0, w.hot_out.count // share)
    if w.hot_hs.count and m.hs:
        w2v_hot_sync_part(m.syn1, m.size, &w.hot_hs, w.hot_hs.count - w.hot_hs.count // share, w.hot_hs.count)


cdef inline void _sync_due(const Model *m, Worker *w) noexcept nogil:
    """One tiered merge step (see HOT_TIERS); the caller holds the merge lock."""
    w.top_merges += 1
    if w.top_merges >= HOT_TIERS * HOT_TIERS:
        _sync_private(m, w)
        w.top_merges = 0
    elif w.top_merges % HOT_TIERS == 0:
        _sync_private_top(m, w, HOT_TIERS)
    else:
        _sync_private_top(m, w, HOT_TIERS * HOT_TIERS)


cdef int64_t train_batch(const Model *m, Worker *w, const int32_t *ids, const int32_t *sentence_ends,
                         int n_sentences, real alpha) noexcept nogil:
    cdef int64_t effective = train_batch_held(m, w, ids, sentence_ends, n_sentences, alpha)
    release_private(m, w)
    return effective


cdef void release_private(const Model *m, Worker *w) noexcept nogil:
    cdef int64_t *lock
    if w.holding:
        lock = _merge_lock(w)
        w2v_lock(lock)
        _push_private(m, w)
        w2v_unlock(lock)
        w.holding = 0


cdef int64_t train_batch_held(const Model *m, Worker *w, const int32_t *ids, const int32_t *sentence_ends,
                              int n_sentences, real alpha) noexcept nogil:
    # The hot state lives in locals for the whole batch: Worker structs of different threads may share a
    # cache line, and the rng changes on every draw.
    cdef uint64_t rng = w.rng
    cdef double loss = 0.0
    cdef double *loss_ptr = &loss if m.compute_loss else NULL
    cdef int64_t examples = 0, effective = 0
    cdef int64_t start = 0, end, p
    cdef int s, n
    cdef int32_t word
    cdef uint32_t thr
    cdef const uint32_t *keep = m.keep_threshold
    cdef bint private = w.hot_in.count or w.hot_out.count or w.hot_hs.count
    cdef int64_t since_sync = w.since_sync
    cdef bint tiered = w.sync_words >= HOT_TIERS * HOT_TIERS
    cdef int64_t step = w.sync_words // (HOT_TIERS * HOT_TIERS) if tiered else w.sync_words
    if private and not w.holding:
        _pull_private(m, w)
        w.holding = 1
        since_sync = 0
        w.top_merges = 0
    for s in range(n_sentences):
        end = sentence_ends[s]
        if end - start > w.max_sentence:
            end = start + w.max_sentence    # callers promise this never happens; never overrun kept
        n = 0
        for p in range(start, end):
            word = ids[p]
            if keep != NULL:
                thr = keep[word]
                if thr != <uint32_t>0xFFFFFFFF and <uint32_t>(w2v_rng_next(&rng) >> 32) > thr:
                    continue
            w.kept[n] = word
            n += 1
        effective += n
        if n > 1:
            if m.sg:
                _sg_sentence(m, w, n, alpha, &rng, loss_ptr, &examples)
            else:
                _cbow_sentence(m, w, n, alpha, &rng, loss_ptr, &examples)
        start = sentence_ends[s]
        if private:
            since_sync += n
            # merge when due, unless another worker is merging right now: then try again after the next
            # sentence rather than wait (a preempted merger would stall this thread for a whole time slice)
            if step > 0 and since_sync >= step and w2v_trylock(_merge_lock(w)):
                if tiered:
                    _sync_due(m, w)
                else:
                    _sync_private(m, w)
                w2v_unlock(_merge_lock(w))
                since_sync = 0
    w.since_sync = since_sync
    w.rng = rng
    w.loss += loss
    w.examples += examples
    return effective


# ----------------------------------------------------------------------------------------------------------
# Learning-rate schedule
# ----------------------------------------------------------------------------------------------------------

cdef real schedule_alpha(Schedule *s) noexcept nogil:
    cdef double frac = 1.0
    cdef int64_t done = w2v_atomic_load_i64(&s.done)
    if s.total_words > 0:
        frac = <double>done / <double>s.total_words
        if frac > 1.0:
            frac = 1.0
        if frac < 0.0:
            frac = 0.0
    return <real>(s.start_alpha - (s.start_alpha - s.end_alpha) * frac)


cdef void schedule_advance(Schedule *s, int64_t raw_words) noexcept nogil:
    w2v_atomic_add_i64(&s.done, raw_words)


cdef class LearningRate:
    """Linear decay from start_alpha to end_alpha over total_words raw words, shared by all threads."""

    def __init__(self, double start_alpha, double end_alpha, long long total_words):
        if not (start_alpha >= 0.0) or not (end_alpha >= 0.0):
            raise ValueError(f"start_alpha and end_alpha must be >= 0, got {start_alpha!r} and {end_alpha!r}")
        if total_words < 0:
            raise ValueError(f"total_words must be >= 0, got {total_words}")
        self.s.start_alpha = start_alpha
        self.s.end_alpha = end_alpha
        self.s.total_words = total_words
        self.s.done = 0

    @property
    def alpha(self):
        """The current learning rate (end_alpha once done >= total_words; end_alpha when total_words is 0)."""
        return schedule_alpha(&self.s)

    @property
    def done(self):
        """Raw words consumed so far by every thread together."""
        return w2v_atomic_load_i64(&self.s.done)

    @done.setter
    def done(self, long long value):
        if value < 0:
            raise ValueError(f"done must be >= 0, got {value}")
        w2v_atomic_store_i64(&self.s.done, value)

    @property
    def start_alpha(self):
        return self.s.start_alpha

    @property
    def end_alpha(self):
        return self.s.end_alpha

    @property
    def total_words(self):
        return self.s.total_words

    def __repr__(self):
        return (f"LearningRate(start_alpha={self.s.start_alpha!r}, end_alpha={self.s.end_alpha!r}, "
                f"total_words={self.s.total_words}, done={self.done})")


# ----------------------------------------------------------------------------------------------------------
# Argument checking
# ----------------------------------------------------------------------------------------------------------

cdef object _check_array(str name, object arr, object dtype, int ndim, bint writable=False):
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(arr).__name__}")
    if arr.dtype != dtype:
        raise TypeError(f"{name} must have dtype {np.dtype(dtype).name}, got {arr.dtype}")
    if arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {arr.shape}")
    if not arr.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous")
    if writable and not arr.flags.writeable:
        raise ValueError(f"{name} must be writable")
    return arr


cdef object _check_hs_arrays(object syn0, object syn1, object codes, object points, object code_offset):
    cdef Py_ssize_t V = syn0.shape[0]
    _check_array("syn1", syn1, np.float32, 2, True)
    if syn1.shape != syn0.shape:
        raise ValueError(f"syn1 must have the shape of syn0 {syn0.shape}, got {syn1.shape}")
    _check_array("codes", codes, np.uint8, 1)
    _check_array("points", points, np.int32, 1)
    _check_array("code_offset", code_offset, np.int64, 1)
    if code_offset.shape[0] != V + 1:
        raise ValueError(f"code_offset must have vocab_size + 1 = {V + 1} entries, got {code_offset.shape[0]}")
    if codes.shape[0] != points.shape[0]:
        raise ValueError(f"codes and points must have the same length, got {codes.shape[0]} and {points.shape[0]}")
    if code_offset[0] != 0 or np.any(np.diff(code_offset) < 0) or code_offset[V] > codes.shape[0]:
        raise ValueError("code_offset must start at 0, never decrease and end within codes")
    if points.shape[0] and (points.min() < 0 or points.max() >= syn1.shape[0]):
        raise ValueError(f"points must be rows of syn1, in [0, {syn1.shape[0]})")
    if codes.shape[0] and codes.max() > 1:
        raise ValueError("codes must be 0 or 1")


cdef object _check_ids(str name, object arr, Py_ssize_t V):
    _check_array(name, arr, np.int32, 1)
    if arr.shape[0] and (arr.min() < 0 or arr.max() >= V):
        raise ValueError(f"{name} must be word ids in [0, {V})")
    return arr


cdef class KernelModel:
    """The numpy arrays of one model and its training settings, bundled for the kernels.

    The arrays are used in place (training writes syn0, syn1neg and syn1) and stay referenced for the lifetime
    of this object. keep_threshold may be None to disable subsampling. The alias table is also copied into an
    interleaved form at construction: build a new KernelModel after changing it.
    """

    def __init__(self, syn0, syn1neg, syn1, keep_threshold, alias_threshold, alias_index, codes, points,
                 code_offset, *, int sg, int hs, int negative, int cbow_mean, int window,
                 bint shrink_windows=True, bint compute_loss=False, bint shared_negatives=False):
        cdef Py_ssize_t V
        if sg not in (0, 1):
            raise ValueError(f"sg must be 0 or 1, got {sg}")
        if hs not in (0, 1):
            raise ValueError(f"hs must be 0 or 1, got {hs}")
        if negative < 0:
            raise ValueError(f"negative must be >= 0, got {negative}")
        if not hs and negative == 0:
            raise ValueError("at least one of hs and negative must be on (hs=1 or negative > 0)")
        if window < 1 or window > 0x3FFFFFFF:
            raise ValueError(f"window must be >= 1 (and below 2**30), got {window}")
        if cbow_mean not in (0, 1):
            raise ValueError(f"cbow_mean must be 0 or 1, got {cbow_mean}")
        _check_array("syn0", syn0, np.float32, 2, True)
        V = syn0.shape[0]
        if V < 1 or syn0.shape[1] < 1:
            raise ValueError(f"syn0 must have at least one row and one column, got shape {syn0.shape}")
        if V > 0x7FFFFFFF or syn0.shape[1] > 0x7FFFFFFF:
            raise ValueError(f"syn0 is too large for 32-bit ids, got shape {syn0.shape}")
        if negative:
            _check_array("syn1neg", syn1neg, np.float32, 2, True)
            if syn1neg.shape != syn0.shape:
                raise ValueError(f"syn1neg must have the shape of syn0 {syn0.shape}, got {syn1neg.shape}")
            _check_array("alias_threshold", alias_threshold, np.uint32, 1)
            _check_array("alias_index", alias_index, np.int32, 1)
            if alias_threshold.shape[0] != V or alias_index.shape[0] != V:
                raise ValueError(f"alias_threshold and alias_index must have vocab_size = {V} entries")
            _check_ids("alias_index", alias_index, V)
        if hs:
            _check_hs_arrays(syn0, syn1, codes, points, code_offset)
        if keep_threshold is not None:
            _check_array("keep_threshold", keep_threshold, np.uint32, 1)
            if keep_threshold.shape[0] != V:
                raise ValueError(f"keep_threshold must have vocab_size = {V} entries, got {keep_threshold.shape[0]}")

        self._arrays = (syn0, syn1neg, syn1, keep_threshold, alias_threshold, alias_index, codes, points,
                        code_offset)
        # the merge lock for private rows, on a cache line of its own
        self._lock_buf = _aligned_buffer(64)
        self.locks = <int64_t *>cnp.PyArray_DATA(self._lock_buf)
        memset(&self.m, 0, sizeof(Model))
        self.m.syn0 = <real *>cnp.PyArray_DATA(syn0)
        self.m.size = <int>syn0.shape[1]
        self.m.vocab_size = <int>V
        self.m.sg = sg
        self.m.hs = hs
        self.m.negative = negative
        self.m.cbow_mean = cbow_mean
        self.m.window = window
        self.m.shrink_windows = shrink_windows
        self.m.compute_loss = compute_loss
        self.m.shared_negatives = shared_negatives
        if keep_threshold is not None:
            self.m.keep_threshold = <const uint32_t *>cnp.PyArray_DATA(keep_threshold)
        if negative:
            self.m.syn1neg = <real *>cnp.PyArray_DATA(syn1neg)
            self.m.alias_threshold = <const uint32_t *>cnp.PyArray_DATA(alias_threshold)
            self.m.alias_index = <const int32_t *>cnp.PyArray_DATA(alias_index)
            packed = (alias_index.astype(np.uint64) << np.uint64(32)) | alias_threshold.astype(np.uint64)
            self._arrays = self._arrays + (packed,)
            self.m.alias_packed = <const uint64_t *>cnp.PyArray_DATA(packed)
        if hs:
            self.m.syn1 = <real *>cnp.PyArray_DATA(syn1)
            self.m.codes = <const uint8_t *>cnp.PyArray_DATA(codes)
            self.m.points = <const int32_t *>cnp.PyArray_DATA(points)
            self.m.code_offset = <const int64_t *>cnp.PyArray_DATA(code_offset)

    @property
    def vocab_size(self):
        return self.m.vocab_size

    @property
    def vector_size(self):
        return self.m.size

    @property
    def compute_loss(self):
        return bool(self.m.compute_loss)

    @compute_loss.setter
    def compute_loss(self, bint value):
        self.m.compute_loss = value


cdef object _aligned_buffer(Py_ssize_t nbytes):
    """A numpy byte buffer starting on a 64-byte boundary whose cache lines belong to it alone."""
    cdef Py_ssize_t padded = (nbytes + 63) // 64 * 64
    raw = np.zeros(padded + 128, dtype=np.uint8)
    cdef Py_ssize_t shift = (-(<Py_ssize_t>cnp.PyArray_DATA(raw))) % 64
    return raw[shift + 64: shift + 64 + padded]


cdef int _worker_validate(KernelWorker self, ids, sentence_ends) except -1:
    cdef const int32_t[::1] ends
    cdef Py_ssize_t s, n_ids
    cdef int64_t prev = 0, e
    _check_array("ids", ids, np.int32, 1)
    _check_array("sentence_ends", sentence_ends, np.int32, 1)
    n_ids = ids.shape[0]
    if sentence_ends.shape[0] > 0x7FFFFFFF:
        raise ValueError("too many sentences in one call")
    ends = sentence_ends
    for s in range(ends.shape[0]):
        e = ends[s]
        if e < prev or e > n_ids:
            raise ValueError(f"sentence_ends must be non-decreasing and within len(ids) = {n_ids}; "
                             f"entry {s} is {e}")
        if e - prev > self.w.max_sentence:
            raise ValueError(f"sentence {s} has {e - prev} words, more than max_sentence = "
                             f"{self.w.max_sentence}")
        prev = e
    if prev and (ids[:prev].min() < 0 or ids[:prev].max() >= self.model.m.vocab_size):
        raise ValueError(f"ids must be word ids in [0, {self.model.m.vocab_size})")
    return 0


cdef int64_t _worker_run(KernelWorker self, ids, sentence_ends, real alpha, Schedule *sched,
                         int64_t raw_words) except -1:
    cdef int64_t effective
    cdef const int32_t *ip
    cdef const int32_t *ep
    cdef int n_sentences
    _worker_validate(self, ids, sentence_ends)
    if self._busy:
        raise RuntimeError("this KernelWorker is already training in another thread; use one per thread")
    ip = <const int32_t *>cnp.PyArray_DATA(ids)
    ep = <const int32_t *>cnp.PyArray_DATA(sentence_ends)
    n_sentences = <int>sentence_ends.shape[0]
    self._busy = True
    try:
        with nogil:
            if sched != NULL:
                alpha = schedule_alpha(sched)
            effective = train_batch(&self.model.m, &self.w, ip, ep, n_sentences, alpha)
            if sched != NULL:
                schedule_advance(sched, raw_words)
    finally:
        self._busy = False
    return effective


cdef void _set_private(w2v_hot *h, object buffers, KernelModel model, int32_t first, int count, real scale):
    """Point h at fresh private buffers for `count` rows from `first` (count 0: none)."""
    cdef Py_ssize_t nbytes = <Py_ssize_t>max(count, 1) * model.m.size * sizeof(real)
    rows = _aligned_buffer(nbytes)
    base = _aligned_buffer(nbytes)
    buffers.extend((rows, base))
    h.rows = <real *>cnp.PyArray_DATA(rows)
    h.base = <real *>cnp.PyArray_DATA(base)
    h.first = first if count > 0 else 0
    h.count = count
    h.lock = model.locks
    h.scale = scale


cdef class KernelWorker:
    """Per-thread scratch and random state. Use one per thread; a worker refuses concurrent use.

    seed and stream may be any Python ints (taken modulo 2**64); workers of one seed with different streams
    draw independent random numbers.

    Private hot rows (for several threads on one model; 0 everywhere, the default, shares every row):

    private_rows: keep private copies of the input (syn0) and output (syn1neg) rows of words 0 .. n - 1, the
        most frequent words when the vocabulary is sorted by frequency: nearly every update writes some of
        them, and threads that all wrote the shared rows would pass those cache lines between cores all the
        time.
    private_hs_rows: with hierarchical softmax, the same for this many syn1 rows nearest the Huffman root
        (the highest-numbered inner nodes, which every update walks through).
    sync_words: merge this worker's change to its private rows into the shared rows (and take a fresh copy)
        every sync_words kept words, at a sentence boundary. train() and train_alpha() also merge at the end
        of each call; the corpus readers' loops (train_file_range, train_queue) merge only every sync_words
        words and when they finish, so there it must be > 0. Other threads see a worker's changes to those rows
        at its next merge.
    merge_scale: the share of its change to the private rows a worker adds to the shared rows at a merge.
        Word2Vec uses min(1, 2 / workers): adding every move in full diverges with three or more workers
        (see w2v_hot_merge in _vecmath.h).

    With one worker (merge_scale 1), private rows give exactly the result of shared rows (the merge takes the
    private value where no other worker changed the shared one)."""

    def __init__(self, KernelModel model not None, seed, stream, int max_sentence=10000, int private_rows=0,
                 int private_hs_rows=0, long long sync_words=0, double merge_scale=1.0):
        if max_sentence < 1:
            raise ValueError(f"max_sentence must be >= 1, got {max_sentence}")
        if private_rows < 0 or private_hs_rows < 0:
            raise ValueError(f"private_rows and private_hs_rows must be >= 0, got {private_rows} and "
                             f"{private_hs_rows}")
        if sync_words < 0:
            raise ValueError(f"sync_words must be >= 0, got {sync_words}")
        if not (0.0 < merge_scale <= 1.0):
            raise ValueError(f"merge_scale must be in (0, 1], got {merge_scale}")
        cdef int size = model.m.size
        cdef int V = model.m.vocab_size
        cdef int n_rows = min(private_rows, V)
        cdef int n_hs = min(private_hs_rows, V - 1) if model.m.hs else 0
        self.model = model
        neu1 = _aligned_buffer(size * sizeof(real))
        work = _aligned_buffer(size * sizeof(real))
        kept = _aligned_buffer(max_sentence * sizeof(int32_t))
        negs = _aligned_buffer((model.m.negative + 1) * sizeof(int32_t))
        buffers = [neu1, work, kept, negs]
        memset(&self.w, 0, sizeof(Worker))
        _set_private(&self.w.hot_in, buffers, model, 0, n_rows, merge_scale)
        _set_private(&self.w.hot_out, buffers, model, 0, n_rows if model.m.negative else 0, merge_scale)
        _set_private(&self.w.hot_hs, buffers, model, V - 1 - n_hs, n_hs, merge_scale)
        self.w.sync_words = sync_words
        self._scratch = tuple(buffers)
        self.w.rng = seed_rng(<uint64_t>(int(seed) & 0xFFFFFFFFFFFFFFFF),
                              <uint64_t>(int(stream) & 0xFFFFFFFFFFFFFFFF))
        self.w.neu1 = <real *>cnp.PyArray_DATA(neu1)
        self.w.work = <real *>cnp.PyArray_DATA(work)
        self.w.kept = <int32_t *>cnp.PyArray_DATA(kept)
        self.w.negs = <int32_t *>cnp.PyArray_DATA(negs)
        self.w.max_sentence = max_sentence
        self._busy = False

    @property
    def private_rows(self):
        """(syn0 rows, syn1neg rows, syn1 rows) this worker holds privately."""
        return (self.w.hot_in.count, self.w.hot_out.count, self.w.hot_hs.count)

    @property
    def merge_scale(self):
        """The share of its change to the private rows this worker adds to the shared rows at a merge."""
        return self.w.hot_in.scale

    def train(self, ids, sentence_ends, LearningRate lr not None, long long raw_words):
        """Train on the sentences packed in ids with the schedule's current alpha, then advance the schedule
        by raw_words. Returns the number of words kept after subsampling."""
        if raw_words < 0:
            raise ValueError(f"raw_words must be >= 0, got {raw_words}")
        return _worker_run(self, ids, sentence_ends, 0.0, &lr.s, raw_words)

    def train_alpha(self, ids, sentence_ends, double alpha):
        """Like train() with a fixed learning rate and no schedule."""
        return _worker_run(self, ids, sentence_ends, <real>alpha, NULL, 0)

    @property
    def loss(self):
        """Sum of the training loss since the last reset (only grows when the model has compute_loss)."""
        return self.w.loss

    @loss.setter
    def loss(self, double value):
        self.w.loss = value

    @property
    def examples(self):
        """Number of (input, centre word) predictions made since the last reset."""
        return self.w.examples

    @examples.setter
    def examples(self, long long value):
        self.w.examples = value

    @property
    def rng_state(self):
        return self.w.rng

    @rng_state.setter
    def rng_state(self, unsigned long long value):
        if value == 0:
            raise ValueError("rng_state must be nonzero (xorshift64* never leaves zero)")
        self.w.rng = value

    @property
    def max_sentence(self):
        return self.w.max_sentence


# ----------------------------------------------------------------------------------------------------------
# Single-example entry points for tests: the same inner routines as train_batch, with given negatives
# ----------------------------------------------------------------------------------------------------------

cdef object _example_model(Model *m, syn0, syn1neg, syn1, codes, points, code_offset, negatives, int hs):
    """Fill m for one example; returns (arrays to keep alive, negatives as int32 or None)."""
    memset(m, 0, sizeof(Model))
    _check_array("syn0", syn0, np.float32, 2, True)
    cdef Py_ssize_t V = syn0.shape[0]
    m.syn0 = <real *>cnp.PyArray_DATA(syn0)
    m.size = <int>syn0.shape[1]
    m.vocab_size = <int>V
    m.hs = 1 if hs else 0
    negs = None
    if negatives is not None:
        negs = _check_ids("negatives", np.ascontiguousarray(negatives, dtype=np.int32).reshape(-1), V)
        if negs.shape[0]:
            _check_array("syn1neg", syn1neg, np.float32, 2, True)
            if syn1neg.shape != syn0.shape:
                raise ValueError(f"syn1neg must have the shape of syn0 {syn0.shape}, got {syn1neg.shape}")
            m.syn1neg = <real *>cnp.PyArray_DATA(syn1neg)
            m.negative = <int>negs.shape[0]
    if hs:
        _check_hs_arrays(syn0, syn1, codes, points, code_offset)
        m.syn1 = <real *>cnp.PyArray_DATA(syn1)
        m.codes = <const uint8_t *>cnp.PyArray_DATA(codes)
        m.points = <const int32_t *>cnp.PyArray_DATA(points)
        m.code_offset = <const int64_t *>cnp.PyArray_DATA(code_offset)
    if not m.hs and not m.negative:
        raise ValueError("give negatives, hs=True or both")
    return negs


cdef object _example_worker(Worker *w, int size):
    """A worker with scratch for one example and no private rows; returns the buffers to keep alive."""
    memset(w, 0, sizeof(Worker))
    work = _aligned_buffer(size * sizeof(real))
    neu1 = _aligned_buffer(size * sizeof(real))
    w.work = <real *>cnp.PyArray_DATA(work)
    w.neu1 = <real *>cnp.PyArray_DATA(neu1)
    return work, neu1


cdef int _example_targets(const Model *m, object negs, int32_t centre, int32_t[::1] buf):
    """buf = [centre] + negatives other than the centre (dropped, as train_batch drops such draws)."""
    cdef int c = 1, d
    buf[0] = centre
    if m.negative:
        for d in range(m.negative):
            if negs[d] != centre:
                buf[c] = negs[d]
                c += 1
    return c


def sg_pair_update(syn0, syn1neg, syn1, codes, points, code_offset, int context, int centre, negatives,
                   double alpha, hs, compute_loss=True):
    """One skip-gram example: input syn0[context], target centre, the given negatives (None for HS only).

    Negatives equal to the centre are skipped. Updates the arrays in place and returns the example's loss
    (0.0 when compute_loss is false)."""
    cdef Model m
    cdef double loss = 0.0
    negs = _example_model(&m, syn0, syn1neg, syn1, codes, points, code_offset, negatives, hs)
    _check_ids("context", np.array([context, centre], dtype=np.int32), m.vocab_size)
    buf = np.empty(m.negative + 1, dtype=np.int32)
    cdef int n = _example_targets(&m, negs, centre, buf)
    cdef Worker w
    scratch = _example_worker(&w, m.size)
    _sg_pair(&m, &w, context, centre, <const int32_t *>cnp.PyArray_DATA(buf), n, <real>alpha,
             &loss if compute_loss else NULL)
    return loss


def cbow_update(syn0, syn1neg, syn1, codes, points, code_offset, contexts, int centre, negatives,
                double alpha, int cbow_mean, hs):
    """One CBOW example: the context words (any non-empty list of ids) predict centre. Returns the loss."""
    cdef Model m
    cdef double loss = 0.0
    negs = _example_model(&m, syn0, syn1neg, syn1, codes, points, code_offset, negatives, hs)
    m.cbow_mean = 1 if cbow_mean else 0
    ctx = _check_ids("contexts", np.ascontiguousarray(contexts, dtype=np.int32).reshape(-1), m.vocab_size)
    _check_ids("centre", np.array([centre], dtype=np.int32), m.vocab_size)
    if ctx.shape[0] == 0:
        raise ValueError("contexts must not be empty")
    # the window layout train_batch sees: the context words with the centre at the end
    words = np.append(ctx, np.int32(centre)).astype(np.int32)
    buf = np.empty(m.negative + 1, dtype=np.int32)
    cdef int n = _example_targets(&m, negs, centre, buf)
    cdef Worker w
    scratch = _example_worker(&w, m.size)
    _cbow_example(&m, &w, <const int32_t *>cnp.PyArray_DATA(words), 0, <int>words.shape[0], <int>ctx.shape[0],
                  <const int32_t *>cnp.PyArray_DATA(buf), n, <real>alpha, &loss)
    return loss


def merge_private_rows(shared, rows, base, double scale=1.0):
    """The merge of a worker's private rows, on three float32 arrays of one size (for tests): shared gains
    scale * (rows - base); with scale 1, where shared still equals base it becomes rows exactly."""
    for name, arr in (("shared", shared), ("rows", rows), ("base", base)):
        _check_array(name, arr, np.float32, 1, name == "shared")
    if not (shared.shape == rows.shape == base.shape):
        raise ValueError("shared, rows and base must have one shape")
    w2v_hot_merge(<real *>cnp.PyArray_DATA(shared), <const real *>cnp.PyArray_DATA(rows),
                  <const real *>cnp.PyArray_DATA(base), shared.shape[0], <real>scale)


def sample_negatives(KernelModel model not None, seed, Py_ssize_t n):
    """n draws from model's alias table with the kernels' sampler (for checking the table and the draw)."""
    if model.m.negative == 0:
        raise ValueError("the model has no negative-sampling table (negative == 0)")
    cdef uint64_t rng = seed_rng(<uint64_t>(int(seed) & 0xFFFFFFFFFFFFFFFF), 0)
    out = np.empty(n, dtype=np.int32)
    cdef int32_t[::1] o = out
    cdef Py_ssize_t i
    with nogil:
        for i in range(n):
            o[i] = _draw_negative(&model.m, &rng)
    return out


ctypedef float (*_table_fn)(float) noexcept nogil


cdef object _apply_table(x, _table_fn f):
    xs = np.asarray(x, dtype=np.float32)
    out = np.empty(xs.shape, dtype=np.float32)
    flat_in = xs.reshape(-1)
    flat_out = out.reshape(-1)
    cdef Py_ssize_t i
    for i in range(flat_in.shape[0]):
        flat_out[i] = f(flat_in[i])
    return out


def sigmoid_table(x):
    """The kernels' sigmoid (lookup table, saturated outside [-MAX_EXP, MAX_EXP]) at each point of x."""
    return _apply_table(x, w2v_sigmoid)


def log_sigmoid_table(x):
    """The kernels' log-sigmoid (lookup table; f below -MAX_EXP, 0 above MAX_EXP) at each point of x."""
    return _apply_table(x, w2v_log_sigmoid)
