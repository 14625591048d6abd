# cython: language_level=3
"""Phrase counting and joining in C (see _phrases.h): the tables behind w2vfast.phrases.

- KeySet: connector words as a C set.
- PhraseCounts: the learned unigram + bigram counts (one C table, gensim's key layout), scoring/export.
- learn_file / learn_sentences: counting, from byte ranges of a file without the GIL (one thread per
  range) or from an iterable of token lists.
- PhraseTable: a frozen phrase set for the C joiner: join_file (a joined copy of a file) and scan_joined
  (the vocabulary scan of Word2Vec(corpus_file=..., phrases=...)).

Token policy as in _corpus.pyx: str tokens are their UTF-8/surrogateescape bytes.
"""
import os

import numpy as np

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from cpython.object cimport PyObject
from libc.stdint cimport int64_t, uint64_t
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy, memset

from w2vfast._stopflag cimport StopFlag, w2v_flag_is_set


from w2vfast._tokens cimport (tok_reader, tok_counter, tok_hash, tok_table_free, tok_table_init, tok_key,
                               tok_table_find, tok_table_insert, tok_table_merge, tok_counter_buffer,
                               tok_reader_close, tok_reader_open, tok_reader_readable)


cdef extern from "_phrases.h" nogil:
    ctypedef struct phr_counter:
        tok_table table
        int64_t max_keys
        int64_t min_reduce
        int64_t words
        int64_t sentences
        int in_line
    int phr_counter_init(phr_counter *c, const tok_table *connectors, const unsigned char *delim,
                         size_t delim_len, int64_t max_keys, int64_t expected_keys)
    void phr_counter_free(phr_counter *c)
    int phr_counter_token(phr_counter *c, const unsigned char *p, size_t n, size_t readable)
    int phr_counter_end_sentence(phr_counter *c, int empty_counts)
    int phr_counter_buffer(phr_counter *c, const unsigned char *buf, size_t n, size_t readable)
    int phr_counter_flush(phr_counter *c)
    void phr_prune(tok_table *t, int64_t min_reduce)
    double phr_export_one(const tok_table *t, int64_t id, const unsigned char *d, size_t dn, int scoring,
                          double threshold, int64_t min_count, int64_t words, int *ok)
    double phr_score(int scoring, int64_t a, int64_t b, int64_t ab, int64_t n_keys, int64_t min_count,
                     int64_t words)
    ctypedef struct phr_joiner:
        int64_t joined
    int phr_filter_build(phr_filter *f, const tok_table *t)
    void phr_filter_free(phr_filter *f)
    int phr_joiner_init(phr_joiner *j, const tok_table *phrases, const phr_filter *filter,
                        const tok_table *connectors, const unsigned char *delim, size_t delim_len,
                        double threshold)
    void phr_joiner_free(phr_joiner *j)
    int phr_reader_chunk(tok_reader *r, phr_joiner *j, const unsigned char **p, size_t *n)
    size_t phr_joiner_readable(const phr_joiner *j)
    int PHR_SCORE_DEFAULT
    int PHR_SCORE_NPMI


cdef extern from "Python.h":
    bint PyUnicode_Check(PyObject *o)
    bint PyUnicode_IS_COMPACT_ASCII(PyObject *o)
    void *PyUnicode_DATA(PyObject *o)
    Py_ssize_t PyUnicode_GET_LENGTH(PyObject *o)
    const char *PyUnicode_AsUTF8AndSize(PyObject *o, Py_ssize_t *size)
    void PyErr_Clear()
    object PySequence_Fast(object o, const char *m)
    Py_ssize_t PySequence_Fast_GET_SIZE(object o)
    PyObject **PySequence_Fast_ITEMS(object o)


cdef enum:
    READ_BUFFER = 1 << 20
    ERR_NOMEM = -1
    ERR_TOO_MANY = -2
    ERR_IO = -3
    STOPPED = 1
    KEEP_SENTENCES = 64        # learn_sentences: sentences kept alive for the counter's queue

SCORINGS = {"default": PHR_SCORE_DEFAULT, "npmi": PHR_SCORE_NPMI}


cdef bytes _encode(key):
    return (<str>key).encode("utf-8", "surrogateescape")


cdef str _decode(const unsigned char *p, Py_ssize_t n):
    return (<const char *>p)[:n].decode("utf-8", "surrogateescape")


cdef object _table_error(int rc, what):
    if rc == ERR_NOMEM:
        return MemoryError(f"out of memory while counting phrases of {what}")
    return ValueError(f"more than 2**31 - 1 distinct unigrams and bigrams in {what}: set max_vocab_size")


cdef object _io_error(int err, path):
    import errno
    if err == 0:
        err = errno.EIO
    return OSError(err, os.strerror(err), os.fsdecode(path))


cdef int _add_key(tok_table *t, bytes b, int64_t val) except -1:
    """Sets the value of key b (inserting it); returns 1 when it was new."""
    cdef const unsigned char *p = <const unsigned char *>PyBytes_AS_STRING(b)
    cdef size_t n = PyBytes_GET_SIZE(b)
    cdef uint64_t h = tok_hash(p, n)
    cdef int64_t at = tok_table_find(t, p, n, h)
    cdef int new = at < 0
    if new:
        at = tok_table_insert(t, p, n, h)
        if at < 0:
            raise MemoryError() if at == ERR_NOMEM else ValueError("more than 2**31 - 1 keys")
    t.entries[at].val = val
    return new


cdef class KeySet:
    def __cinit__(self):
        if tok_table_init(&self.t, 16) < 0:
            raise MemoryError()

    def __init__(self, keys=()):
        for key in keys:
            if not isinstance(key, str):
                raise TypeError(f"connector words must be str, got {type(key).__name__}")
            self.size += _add_key(&self.t, _encode(key), 1)

    def __dealloc__(self):
        tok_table_free(&self.t)

    def __len__(self):
        return self.size

    def __contains__(self, key):
        cdef bytes b = _encode(key)
        return tok_table_find(&self.t, <const unsigned char *>PyBytes_AS_STRING(b), PyBytes_GET_SIZE(b),
                              tok_hash(<const unsigned char *>PyBytes_AS_STRING(b), PyBytes_GET_SIZE(b))) >= 0


cdef class PhraseCounts:
    """Learned counts: unigrams under their own bytes and bigrams as "a<delim>b" (connector words between),
    in one C table in order of first appearance, with the corpus statistics scoring needs."""
    cdef tok_table t
    cdef public int64_t words        # every token seen, connector words included
    cdef public int64_t sentences
    cdef public int64_t min_reduce   # gensim's pruning level reached so far

    def __cinit__(self):
        if tok_table_init(&self.t, 16) < 0:
            raise MemoryError()
        self.min_reduce = 1

    def __dealloc__(self):
        tok_table_free(&self.t)

    cdef void _take(self, phr_counter *c):
        """Moves the counter's table in (the counter keeps an empty one)."""
        tok_table_free(&self.t)
        self.t = c.table
        memset(&c.table, 0, sizeof(tok_table))
        self.words += c.words
        self.sentences += c.sentences
        self.min_reduce = max(self.min_reduce, c.min_reduce)

    def __len__(self):
        return self.t.n

    def get(self, key, default=0):
        cdef bytes b = _encode(key)
        cdef const unsigned char *p = <const unsigned char *>PyBytes_AS_STRING(b)
        cdef int64_t at = tok_table_find(&self.t, p, PyBytes_GET_SIZE(b), tok_hash(p, PyBytes_GET_SIZE(b)))
        return self.t.entries[at].val if at >= 0 else default

    def keys(self):
        cdef int64_t i
        return [_decode(tok_key(&self.t, &self.t.entries[i]), self.t.entries[i].len) for i in range(self.t.n)]

    def counts(self):
        out = np.empty(self.t.n, dtype=np.int64)
        cdef int64_t[::1] v = out
        cdef int64_t i
        for i in range(self.t.n):
            v[i] = self.t.entries[i].val
        return out

    def to_arrays(self):
        """(keys, offsets, counts): every key's bytes back to back, n + 1 offsets into them, n counts."""
        cdef int64_t i, at = 0
        offsets = np.empty(self.t.n + 1, dtype=np.int64)
        cdef int64_t[::1] ov = offsets
        ov[0] = 0
        for i in range(self.t.n):
            at += self.t.entries[i].len
            ov[i + 1] = at
        blob = bytearray(at)
        cdef unsigned char[::1] bv = blob if at else bytearray(1)
        for i in range(self.t.n):
            if self.t.entries[i].len:
                memcpy(&bv[ov[i]], tok_key(&self.t, &self.t.entries[i]), self.t.entries[i].len)
        return bytes(blob), offsets, self.counts()

    @staticmethod
    def from_arrays(bytes blob, offsets, counts):
        """The inverse of to_arrays. Raises ValueError for offsets that do not fit the keys or repeat a key."""
        cdef PhraseCounts pc = PhraseCounts()
        cdef const int64_t[::1] ov = np.ascontiguousarray(offsets, dtype=np.int64)
        cdef const int64_t[::1] cv = np.ascontiguousarray(counts, dtype=np.int64)
        cdef const unsigned char *p = <const unsigned char *>PyBytes_AS_STRING(blob)
        cdef int64_t i, n = cv.shape[0], at
        cdef uint64_t h
        if ov.shape[0] != n + 1 or ov[0] != 0 or ov[n] != len(blob):
            raise ValueError("key offsets do not match the keys and counts")
        for i in range(n):
            if ov[i + 1] < ov[i]:
                raise ValueError("key offsets are not increasing")
            h = tok_hash(p + ov[i], ov[i + 1] - ov[i])
            if tok_table_find(&pc.t, p + ov[i], ov[i + 1] - ov[i], h) >= 0:
                raise ValueError(f"key {i} repeats an earlier key")
            at = tok_table_insert(&pc.t, p + ov[i], ov[i + 1] - ov[i], h)
            if at < 0:
                raise MemoryError()
            pc.t.entries[at].val = cv[i]
        return pc

    def merge(self, PhraseCounts other not None):
        """Adds other's counts and corpus statistics to these (new keys appended in other's order)."""
        cdef int rc
        with nogil:
            rc = tok_table_merge(&self.t, &other.t)
        if rc:
            raise _table_error(rc, "the merged counts")
        self.words += other.words
        self.sentences += other.sentences
        self.min_reduce = max(self.min_reduce, other.min_reduce)

    def prune(self, int64_t min_reduce):
        """Drops the keys counted fewer than min_reduce times (gensim's prune_vocab rule)."""
        with nogil:
            phr_prune(&self.t, min_reduce)

    def score(self, str scoring, int64_t a, int64_t b, int64_t ab, int64_t min_count):
        """The score of a bigram with these counts, by the C formula export() uses."""
        return phr_score(SCORINGS[scoring], a, b, ab, self.t.n, min_count, self.words)

    def export(self, str delimiter, str scoring, double threshold, int64_t min_count):
        """Every key holding the delimiter whose end words are known and whose score beats threshold:
        (phrases, scores), in key order (gensim's export_phrases)."""
        cdef bytes d = _encode(delimiter)
        cdef const unsigned char *dp = <const unsigned char *>PyBytes_AS_STRING(d)
        cdef size_t dn = PyBytes_GET_SIZE(d)
        cdef int sc = SCORINGS[scoring], ok
        cdef int64_t i, k = 0
        ids = np.empty(self.t.n, dtype=np.int64)
        scores = np.empty(self.t.n, dtype=np.float64)
        cdef int64_t[::1] iv = ids
        cdef double[::1] sv = scores
        cdef double s
        with nogil:
            for i in range(self.t.n):
                s = phr_export_one(&self.t, i, dp, dn, sc, threshold, min_count, self.words, &ok)
                if ok:
                    iv[k] = i
                    sv[k] = s
                    k += 1
        phrases = [_decode(tok_key(&self.t, &self.t.entries[iv[i]]), self.t.entries[iv[i]].len) for i in range(k)]
        return phrases, scores[:k].copy()


# ----------------------------------------------------------------------------------------------------------
# learning

cdef int _learn_range(phr_counter *c, phr_joiner *j, const char *path, int64_t start, int64_t end,
                      int *err, const int64_t *stop) noexcept nogil:
    cdef tok_reader r
    cdef const unsigned char *p = NULL
    cdef size_t n = 0
    cdef int ev, rc = 0
    if tok_reader_open(&r, path, start, end, READ_BUFFER) < 0:
        err[0] = r.err
        tok_reader_close(&r)
        return ERR_IO
    while True:
        if w2v_flag_is_set(stop):
            rc = STOPPED
            break
        ev = phr_reader_chunk(&r, j, &p, &n)
        if ev == 1:
            rc = phr_counter_buffer(c, p, n, phr_joiner_readable(j) if j != NULL else tok_reader_readable(&r, p))
            if rc:
                break
        elif ev == 0:
            rc = phr_counter_end_sentence(c, 0)   # a last line without a newline
            break
        else:
            err[0] = r.err
            rc = ERR_IO
            break
    tok_reader_close(&r)
    return rc


cdef class _RangeLearner:
    """One thread's counter over one byte range (a joiner applies earlier phrases first when given)."""
    cdef phr_counter c
    cdef phr_joiner j
    cdef bint has_joiner
    cdef KeySet connectors
    cdef bytes delim
    cdef PhraseTable base

    def __cinit__(self, KeySet connectors not None, bytes delim, int64_t max_keys, PhraseTable base=None,
                  int64_t expected_keys=0):
        self.connectors = connectors
        self.delim = delim
        self.base = base
        if phr_counter_init(&self.c, &connectors.t, <const unsigned char *>PyBytes_AS_STRING(delim),
                            PyBytes_GET_SIZE(delim), max_keys, expected_keys) < 0:
            phr_counter_free(&self.c)
            raise MemoryError()
        if base is not None:
            base._init_joiner(&self.j)
            self.has_joiner = True

    def __dealloc__(self):
        phr_counter_free(&self.c)
        if self.has_joiner:
            phr_joiner_free(&self.j)

    def run(self, path, int64_t start, int64_t end, StopFlag stop=None):
        """Counts the range; returns early (its count incomplete) once stop is set."""
        cdef bytes bpath = os.fsencode(path)
        cdef const char *cpath = bpath
        cdef int rc, err = 0
        cdef phr_joiner *jp = &self.j if self.has_joiner else NULL
        cdef const int64_t *flag = &stop.flag if stop is not None else NULL
        with nogil:
            rc = _learn_range(&self.c, jp, cpath, start, end, &err, flag)
        if rc == STOPPED:
            return
        if rc == ERR_IO:
            raise _io_error(err, bpath)
        if rc:
            raise _table_error(rc, repr(os.fsdecode(path)))

    def result(self):
        cdef PhraseCounts pc = PhraseCounts()
        pc._take(&self.c)
        return pc


def run_counting(work, n, StopFlag stop not None):
    """work(i) for i in range(n) in threads through w2vfast.threads.run_threads, so that Ctrl-C or an error
    in one thread stops the others (after their current read buffer) and nothing is left running."""
    from .threads import run_threads
    run_threads(work, n, stop.set, name="w2vfast-phrases")


# Keys (unigrams + bigrams) a byte range may hold, to size its table once: the shared English corpus holds
# one per 14 bytes, larger corpora fewer per byte (new words and pairs come ever more rarely). The estimate
# errs high (one per 8 bytes), because the last doubling of a table too small is the costliest (it revisits
# every key) while entries sized for keys that never come are pages never touched. Capped: beyond the cap
# the table grows as it fills.
KEY_BYTES = 8
MAX_EXPECTED_KEYS = 1 << 23


def _expected_keys(long long nbytes, long long max_keys):
    cdef long long n = min(nbytes // KEY_BYTES, MAX_EXPECTED_KEYS)
    if max_keys > 0:
        n = min(n, max_keys + max_keys // 4)
    return n


def learn_file(path, ranges, KeySet connectors not None, str delimiter, int64_t max_keys, PhraseTable base=None):
    """Counts of the line-aligned byte ranges of path, one thread per range, merged in file order.

    Each thread prunes its own table (gensim's rule, after each line) when it holds more than max_keys keys
    (0: never); the merged table is pruned once more if it still holds more (as gensim's add_vocab does).
    base: a PhraseTable whose phrases are joined before counting (the second pass of trigrams)."""
    cdef bytes delim = _encode(delimiter)
    ranges = [r for r in ranges if r[1] > r[0]] or [(0, 0)]
    learners = [_RangeLearner(connectors, delim, max_keys, base, _expected_keys(r[1] - r[0], max_keys))
                for r in ranges]
    stop = StopFlag()
    run_counting(lambda i: learners[i].run(path, ranges[i][0], ranges[i][1], stop), len(ranges), stop)
    cdef PhraseCounts total = learners[0].result()
    for lr in learners[1:]:
        total.merge(lr.result())
    if max_keys > 0 and len(total) > max_keys:
        total.prune(total.min_reduce)
        total.min_reduce += 1
    return total


cdef int _sentence_tokens(phr_counter *c, seq, Py_ssize_t s, list keep) except -1:
    cdef Py_ssize_t size = PySequence_Fast_GET_SIZE(seq), i, n
    cdef PyObject **items = PySequence_Fast_ITEMS(seq)
    cdef PyObject *tok
    cdef const char *p
    cdef bytes b
    cdef int rc
    for i in range(size):
        tok = items[i]
        if not PyUnicode_Check(tok):
            raise TypeError(f"token {i} of sentence {s} is a {type(<object>tok).__name__}, not a str")
        if PyUnicode_IS_COMPACT_ASCII(tok):
            # ASCII strings hold their bytes inline: no conversion (the sentence keeps them alive)
            p = <const char *>PyUnicode_DATA(tok)
            n = PyUnicode_GET_LENGTH(tok)
        else:
            p = PyUnicode_AsUTF8AndSize(tok, &n)
            if p == NULL:
                PyErr_Clear()   # lone surrogates: their surrogateescape bytes
                b = _encode(<object>tok)
                keep.append(b)
                p = PyBytes_AS_STRING(b)
                n = PyBytes_GET_SIZE(b)
        rc = phr_counter_token(c, <const unsigned char *>p, n, 0)
        if rc:
            raise _table_error(rc, "the sentences")
    return 0


def learn_sentences(sentences, KeySet connectors not None, str delimiter, int64_t max_keys, progress=None,
                    int64_t expected_keys=0):
    """Counts of an iterable of token lists (gensim's _learn_vocab, pruning after each sentence).
    progress(sentence_no, words, keys) is called every 10000 sentences when given. expected_keys sizes the
    table up front (see _expected_keys); 0: it starts small and grows."""
    cdef bytes delim = _encode(delimiter)
    cdef phr_counter c
    cdef Py_ssize_t s = 0
    cdef int rc
    cdef list keep = []
    if phr_counter_init(&c, &connectors.t, <const unsigned char *>PyBytes_AS_STRING(delim),
                        PyBytes_GET_SIZE(delim), max_keys, expected_keys) < 0:
        phr_counter_free(&c)
        raise MemoryError()
    cdef PhraseCounts pc = PhraseCounts()
    try:
        for sent in sentences:
            if isinstance(sent, (str, bytes)):
                raise TypeError(
                    f"sentence {s} is a {type(sent).__name__}, not a list of tokens: pass each sentence as a "
                    f"list of str tokens (e.g. line.split())")
            try:
                seq = PySequence_Fast(sent, b"")
            except TypeError:
                raise TypeError(f"sentence {s} is a {type(sent).__name__}, not a list of str tokens") from None
            _sentence_tokens(&c, seq, s, keep)
            c.in_line = 1
            rc = phr_counter_end_sentence(&c, 1)
            if rc:
                raise _table_error(rc, "the sentences")
            # the counter's queue points into the tokens of recent sentences: keep them alive until it is
            # flushed (every KEEP_SENTENCES sentences)
            keep.append(seq)
            if len(keep) >= KEEP_SENTENCES:
                rc = phr_counter_flush(&c)
                if rc:
                    raise _table_error(rc, "the sentences")
                keep.clear()
            s += 1
            if progress is not None and s % 10000 == 0:
                progress(s, c.words, c.table.n)
        rc = phr_counter_flush(&c)
        if rc:
            raise _table_error(rc, "the sentences")
        pc._take(&c)
    finally:
        phr_counter_free(&c)
    return pc


# ----------------------------------------------------------------------------------------------------------
# applying

cdef class PhraseTable:
    def __cinit__(self):
        if tok_table_init(&self.t, 16) < 0:
            raise MemoryError()

    def __init__(self, phrasegrams, KeySet connectors not None, str delimiter, double threshold):
        cdef double score
        cdef int64_t bits
        self.connectors = connectors
        self.delim = _encode(delimiter)
        self.threshold = threshold
        for phrase, s in phrasegrams.items():
            score = s
            memcpy(&bits, &score, sizeof(double))   # the joiner reads the score back from the value's bits
            _add_key(&self.t, _encode(phrase), bits)
        if phr_filter_build(&self.filter, &self.t) < 0:
            raise MemoryError()

    def __dealloc__(self):
        tok_table_free(&self.t)
        phr_filter_free(&self.filter)

    def __len__(self):
        return self.t.n

    cdef void *new_joiner(self) except NULL:
        cdef phr_joiner *j = <phr_joiner *>malloc(sizeof(phr_joiner))
        if j == NULL:
            raise MemoryError()
        try:
            self._init_joiner(j)
        except MemoryError:
            free(j)
            raise
        return j

    cdef int _init_joiner(self, void *joiner) except -1:
        cdef phr_joiner *j = <phr_joiner *>joiner
        if phr_joiner_init(j, &self.t, &self.filter, &self.connectors.t,
                           <const unsigned char *>PyBytes_AS_STRING(self.delim), PyBytes_GET_SIZE(self.delim),
                           self.threshold) < 0:
            phr_joiner_free(j)
            raise MemoryError()
        return 0

    def join_file(self, path, write):
        """Reads the text file at path and calls write(bytes) with its text, phrases joined (tokens
        separated by one space, lines kept). Returns (tokens read, phrases joined)."""
        cdef bytes bpath = os.fsencode(path)
        cdef const char *cpath = bpath
        cdef tok_reader r
        cdef phr_joiner j
        cdef const unsigned char *p = NULL
        cdef size_t n = 0
        cdef int ev
        self._init_joiner(&j)
        try:
            with nogil:
                ev = tok_reader_open(&r, cpath, 0, 1 << 62, READ_BUFFER)
            if ev < 0:
                raise _io_error(r.err, bpath)
            while True:
                with nogil:
                    ev = phr_reader_chunk(&r, &j, &p, &n)
                if ev < 0:
                    raise _io_error(r.err, bpath)
                if ev == 0:
                    break
                write((<const char *>p)[:n])
            return j.joined
        finally:
            tok_reader_close(&r)
            phr_joiner_free(&j)

    def scan_joined(self, path, int64_t start, int64_t end, int64_t max_keys, int64_t max_sentence,
                    StopFlag stop=None):
        """scan_file's count of one range, phrases joined: (counts, line summary as _Counter.lines); None
        when stop was set before the range was done."""
        cdef bytes bpath = os.fsencode(path)
        cdef const char *cpath = bpath
        cdef tok_counter c
        cdef phr_joiner j
        cdef tok_reader r
        cdef const unsigned char *p = NULL
        cdef size_t n = 0
        cdef int ev, rc = 0, err = 0
        cdef const int64_t *flag = &stop.flag if stop is not None else NULL
        memset(&c, 0, sizeof(c))
        if tok_table_init(&c.table, 4096) < 0:
            raise MemoryError()
        c.max_keys = max_keys
        c.min_reduce = 1
        c.max_sentence = max_sentence
        self._init_joiner(&j)
        try:
            with nogil:
                if tok_reader_open(&r, cpath, start, end, READ_BUFFER) < 0:
                    err = r.err
                    rc = ERR_IO
                while rc == 0:
                    if w2v_flag_is_set(flag):
                        rc = STOPPED
                        break
                    ev = phr_reader_chunk(&r, &j, &p, &n)
                    if ev == 1:
                        rc = tok_counter_buffer(&c, p, n, phr_joiner_readable(&j))
                    elif ev == 0:
                        break
                    else:
                        err = r.err
                        rc = ERR_IO
                tok_reader_close(&r)
            if rc == ERR_IO:
                raise _io_error(err, bpath)
            if rc == STOPPED:
                return None
            if rc:
                raise _table_error(rc, repr(os.fsdecode(path)))
            result = PhraseCounts()
            tok_table_free(&(<PhraseCounts>result).t)
            (<PhraseCounts>result).t = c.table
            memset(&c.table, 0, sizeof(tok_table))
            l = c.lines
            return result, (l.words, l.seen_newline, l.head, l.full, l.line)
        finally:
            tok_table_free(&c.table)
            phr_joiner_free(&j)


def line_ranges(path, n, int64_t max_shift=1 << 20):
    """Split the file into n byte ranges [(start, end), ...] that tile it and start at line starts, for
    readers that must see whole lines (no phrase then spans two ranges). A boundary moves forward to just
    after the next newline; when none lies within max_shift bytes (a file of very long lines) it stays
    where it is, and at most one bigram is cut there. Ranges may be empty (as file_ranges' may)."""
    n = int(n)
    if n < 1:
        raise ValueError(f"line_ranges needs n >= 1, got {n}")
    cdef int64_t size = os.path.getsize(path)
    cuts = [0]
    with open(path, "rb") as f:
        for i in range(1, n):
            b = max(size * i // n, cuts[len(cuts) - 1])   # (no negative indexing: wraparound is off)
            if 0 < b < size:
                f.seek(b - 1)
                k = f.read(max_shift + 1).find(b"\n")
                if k >= 0:
                    b = min(b + k, size)
            cuts.append(b)
    cuts.append(size)
    return [(cuts[i], cuts[i + 1]) for i in range(n)]
