# cython: language_level=3
"""Corpus reading in C: vocabulary scans, token -> id tables, sentence encoding and the GIL-free
corpus_file training loop (the readers' tokenizer is _splitter.pyx).

Token policy (the same everywhere in w2vfast): a token is a run of bytes that are not ASCII whitespace
(space, \\t, \\n, \\v, \\f, \\r); it becomes a Python str by decoding UTF-8 with errors="surrogateescape",
so any byte sequence round-trips exactly. NUL bytes are ordinary token bytes. Lines end at b"\\n" only.
"""
import errno
import os
from collections import namedtuple

import numpy as np

from w2vfast._decompress import HEAD_BYTES, KINDS as _DECOMPRESSED, format_of, open_decompressed
from w2vfast.errors import FormatError

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from cpython.object cimport PyObject
from libc.stdint cimport int32_t, int64_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memcpy, memset

from w2vfast._kernels cimport (KernelWorker, LearningRate, Model, Schedule, Worker, real, schedule_advance,
                               schedule_alpha, train_batch, train_batch_held, release_private)
from w2vfast._phrases cimport PhraseTable
from w2vfast._splitter cimport _decode_bytes
from w2vfast._stopflag cimport StopFlag, w2v_flag_is_set


from w2vfast._tokens cimport (tok_table, tok_lines, tok_counter, tok_reader, tok_is_ws,
                               tok_prefetch, tok_token_end, tok_hash, tok_table_free,
                               tok_table_init, tok_key, tok_table_find, tok_table_insert, tok_table_merge,
                               tok_counter_buffer, tok_reader_close, tok_reader_open, tok_reader_chunk,
                               tok_reader_readable)


cdef extern from "_phrases.h" nogil:
    # phrase joining inside the range reader: j is an opaque joiner from PhraseTable.new_joiner(), or NULL
    int phr_reader_chunk(tok_reader *r, void *j, const unsigned char **p, size_t *n)
    void phr_joiner_destroy(void *j)


cdef extern from "_jobqueue.h" nogil:
    ctypedef struct jq_job:
        int32_t *ids
        int32_t *ends
        int64_t n_ids
        int64_t n_sentences
        int64_t raw_words
    ctypedef struct jq_queue:
        jq_job *jobs
        int initialised
    int jq_init(jq_queue *q, int n_slots)
    void jq_free(jq_queue *q)
    int jq_job_reserve(jq_job *job, int64_t n_ids, int64_t n_ends)
    int jq_acquire(jq_queue *q)
    void jq_release(jq_queue *q, int slot)
    int jq_submit(jq_queue *q, int slot)
    int jq_take(jq_queue *q)
    void jq_close(jq_queue *q)


cdef extern from "Python.h":
    # borrowed-reference API without Cython's refcounting, for the per-token loop of encode_sentences
    PyObject *PyDict_GetItemWithError(object d, PyObject *key) except? NULL
    bint PyUnicode_Check(PyObject *o)
    long PyLong_AsLong(PyObject *o) except? -1
    object PySequence_Fast(object o, const char *m)
    Py_ssize_t PySequence_Fast_GET_SIZE(object o)
    PyObject **PySequence_Fast_ITEMS(object o)
    bint PyUnicode_IS_COMPACT_ASCII(PyObject *o)
    void *PyUnicode_DATA(PyObject *o)
    Py_ssize_t PyUnicode_GET_LENGTH(PyObject *o)
    const char *PyUnicode_AsUTF8AndSize(PyObject *o, Py_ssize_t *size)
    void PyErr_Clear()


cdef enum:
    READ_BUFFER = 1 << 20      # bytes per fread of the range reader
    # error codes of the C helpers
    ERR_NOMEM = -1
    ERR_TOO_MANY = -2
    ERR_IO = -3
    STOPPED = 1
    # what _run_range does with its batches
    RUN_TRAIN = 0
    RUN_COUNT = 1
    RUN_COLLECT = 2
    PREFETCH_AHEAD = 8         # tokens between prefetching a str object and looking it up


_MIN_BYTES_PER_WORKER = 1 << 20   # scan_file gives each thread at least this much of the file
_STREAM_CHUNK = 1 << 20           # decompressed bytes fed to the counter at a time

ScanResult = namedtuple("ScanResult", ["keys", "counts", "total_words", "total_sentences"])
ScanResult.__doc__ = """Result of scan_file: every distinct token (keys, in order of first appearance), its
count (int64 array aligned with keys), the number of tokens and the number of sentences in the file."""


# ----------------------------------------------------------------------------------------------------------
# files

def _fspath(path):
    try:
        return os.fspath(path)
    except TypeError:
        raise TypeError(f"expected a file path (str, bytes or os.PathLike), got {type(path).__name__}") from None


def _check_regular_file(path):
    """Raises FileNotFoundError / IsADirectoryError / PermissionError naming path; returns its size."""
    path = _fspath(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise FileNotFoundError(errno.ENOENT, "corpus file not found", path) from None
    if os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, "expected a corpus file, got a directory", path)
    # open() raises PermissionError with the path when the file cannot be read
    with open(path, "rb"):
        pass
    return st.st_size


def detect_compression(path):
    """The compression format of path from its first bytes: "gzip", "bz2", "xz", "zstd", "zip", or None for
    anything else (plain text). Content decides, not the file name."""
    with open(_fspath(path), "rb") as f:
        return format_of(f.read(HEAD_BYTES))


def check_corpus_file(path):
    """Check that path can be trained on directly (corpus_file) and return its size in bytes.

    Raises FileNotFoundError, IsADirectoryError or PermissionError for a missing, directory or unreadable
    path, FormatError (a ValueError) for an empty file and for a compressed file (byte ranges of compressed data cannot be
    read independently). Every message names the path.
    """
    size = _check_regular_file(path)
    path = _fspath(path)
    if size == 0:
        raise FormatError(f"corpus_file is empty: {path!r}")
    kind = detect_compression(path)
    if kind is not None:
        raise FormatError(
            f"corpus_file needs an uncompressed text file: {path!r} is {kind}-compressed; "
            f"decompress it or pass LineSentence(path) as sentences")
    return size


def file_ranges(path, n):
    """Split the file into n byte ranges [(start, end), ...] that tile it, for n parallel readers.

    The boundaries need no care: a reader of [start, end) takes every token whose first byte lies in
    [start, end) and reads past end to finish its last token, so a boundary inside a token or inside a
    multi-byte character still gives every token to exactly one range. Ranges may be empty when n exceeds
    the file size.
    """
    n = int(n)
    if n < 1:
        raise ValueError(f"file_ranges needs n >= 1, got {n}")
    size = _check_regular_file(path)
    return [(size * i // n, size * (i + 1) // n) for i in range(n)]


cdef object _io_error(int err, path):
    if err == 0:
        err = errno.EIO
    return OSError(err, os.strerror(err), _fspath(path))


cdef object _table_error(int rc, path):
    if rc == ERR_NOMEM:
        return MemoryError(f"out of memory while reading {_fspath(path)!r}")
    return ValueError(f"more than 2**31 - 1 distinct tokens in {_fspath(path)!r}")



# ----------------------------------------------------------------------------------------------------------
# vocabulary scan

cdef class _Counter:
    """One thread's token counter: a counting table plus line bookkeeping."""
    cdef tok_counter c

    def __cinit__(self, int64_t max_keys, int64_t max_sentence):
        if tok_table_init(&self.c.table, 4096) < 0:
            raise MemoryError()
        self.c.max_keys = max_keys
        self.c.min_reduce = 1
        self.c.max_sentence = max_sentence

    def __dealloc__(self):
        tok_table_free(&self.c.table)

    def count_range(self, path, int64_t start, int64_t end, StopFlag stop=None):
        """Count bytes [start, end) of path. Once `stop` is set (from another thread) it returns after the
        read buffer in progress, its count incomplete; returns whether it was stopped."""
        cdef bytes bpath = os.fsencode(path)
        cdef const char *cpath = bpath
        cdef const int64_t *flag = &stop.flag if stop is not None else NULL
        cdef int rc, err = 0
        with nogil:
            rc = _count_range(&self.c, cpath, start, end, &err, flag)
        if rc == ERR_IO:
            raise _io_error(err, path)
        if rc == STOPPED:
            return True
        if rc:
            raise _table_error(rc, path)
        return False

    def feed(self, bytes data, bint final, path):
        """Count the complete tokens of data; returns how many leading bytes were used (all of them when
        final, else up to the last whitespace byte, so a token cut by the chunk end waits for the next)."""
        cdef const unsigned char *p = <const unsigned char *>PyBytes_AS_STRING(data)
        cdef Py_ssize_t n = PyBytes_GET_SIZE(data)
        cdef Py_ssize_t used = n
        cdef int rc
        if not final:
            while used > 0 and not tok_is_ws(p[used - 1]):
                used -= 1
        with nogil:
            rc = tok_counter_buffer(&self.c, p, used, n)
        if rc:
            raise _table_error(rc, path)
        return used

    def merge_from(self, _Counter other, path):
        cdef int rc
        with nogil:
            rc = tok_table_merge(&self.c.table, &other.c.table)
        if rc:
            raise _table_error(rc, path)

    def lines(self):
        cdef tok_lines l = self.c.lines
        return l.words, l.seen_newline, l.head, l.full, l.line

    def result(self):
        cdef tok_table *t = &self.c.table
        cdef int64_t i
        keys = [None] * t.n
        for i in range(t.n):
            keys[i] = _decode_bytes(tok_key(t, &t.entries[i]), t.entries[i].len)
        counts = np.empty(t.n, dtype=np.int64)
        cdef int64_t[::1] cv = counts
        for i in range(t.n):
            cv[i] = t.entries[i].val
        return keys, counts


cdef int _count_range(tok_counter *c, const char *path, int64_t start, int64_t end, int *err,
                      const int64_t *stop) noexcept nogil:
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
        ev = tok_reader_chunk(&r, &p, &n)
        if ev == 1:
            rc = tok_counter_buffer(c, p, n, tok_reader_readable(&r, p))
            if rc:
                break
        elif ev == 0:
            break
        else:
            err[0] = r.err
            rc = ERR_IO
            break
    tok_reader_close(&r)
    return rc


def _ceil_div(a, b):
    return -(-a // b)


def _join_sentences(line_summaries, max_sentence):
    """Total sentences of consecutive pieces of one stream: a line cut by a piece boundary is counted once."""
    total = 0
    carry = 0
    for words, seen_newline, head, full, tail in line_summaries:
        if not seen_newline:
            carry += tail
            continue
        total += _ceil_div(carry + head, max_sentence) + full
        carry = tail
    return total + _ceil_div(carry, max_sentence)


def scan_file(path, max_vocab_size=None, workers=1, max_sentence_length=10000):
    """Count every token of a text file in C, without the GIL.

    Parameters
    ----------
    path : str or os.PathLike
        A text file. Compressed files (gzip, bz2 or xz, recognised by their first bytes) are decompressed
        as a stream in Python chunks and counted in one thread; zstd and zip raise ValueError.
    max_vocab_size : int or None
        Bound on the distinct tokens held while counting: whenever the table holds more than this many
        keys, every key with count <= min_reduce is dropped and min_reduce grows by one (it starts at 1).
        With workers > 1 each thread prunes its own table with its own min_reduce, so the merged result
        can hold up to workers * max_vocab_size keys and can differ from a one-thread scan.
    workers : int
        Threads counting separate byte ranges of an uncompressed file; their tables are merged at the end.
    max_sentence_length : int
        A line of n tokens counts as ceil(n / max_sentence_length) sentences (empty lines count as none).

    Returns
    -------
    ScanResult(keys, counts, total_words, total_sentences); keys in order of first appearance (with
    workers > 1 and no pruning, the same order as one thread). An empty file gives zero words.

    Raises FileNotFoundError, IsADirectoryError or PermissionError naming the path.
    """
    path = _fspath(path)
    size = _check_regular_file(path)
    workers = int(workers)
    max_sentence_length = int(max_sentence_length)
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    if max_sentence_length < 1:
        raise ValueError(f"max_sentence_length must be >= 1, got {max_sentence_length}")
    if max_vocab_size is None:
        max_keys = 0
    else:
        max_keys = int(max_vocab_size)
        if max_keys < 1:
            raise ValueError(f"max_vocab_size must be None or >= 1, got {max_vocab_size}")
    kind = detect_compression(path) if size else None
    if kind is not None:
        counters = [_scan_stream(path, kind, max_keys, max_sentence_length)]
    else:
        # a thread per range only pays off for files of a few MB and up
        workers = max(1, min(workers, size // _MIN_BYTES_PER_WORKER))
        ranges = [(size * i // workers, size * (i + 1) // workers) for i in range(workers)]
        counters = [_Counter(max_keys, max_sentence_length) for _ in ranges]
        # Threads even for one range, so that the calling thread stays free to take a Ctrl-C: it, or an
        # error in one thread, stops the others after their current read buffer (1 MB), and raises only
        # once all have ended.
        from .threads import run_threads

        stop = StopFlag()
        run_threads(lambda i: counters[i].count_range(path, ranges[i][0], ranges[i][1], stop), workers,
                    stop.set, name="w2vfast-scan")
    summaries = [c.lines() for c in counters]
    first = counters[0]
    for other in counters[1:]:
        first.merge_from(other, path)
    keys, counts = first.result()
    return ScanResult(keys, counts, sum(s[0] for s in summaries), _join_sentences(summaries, max_sentence_length))


def _scan_stream(path, kind, max_keys, max_sentence_length):
    if kind not in _DECOMPRESSED:
        raise FormatError(f"{kind}-compressed files are not supported: {path!r}; decompress it first")
    counter = _Counter(max_keys, max_sentence_length)
    rest = b""
    with open_decompressed(path, kind) as f:
        while True:
            chunk = f.read(_STREAM_CHUNK)       # (open_decompressed names the file in FormatError)
            final = not chunk
            data = rest + chunk if rest else chunk
            used = counter.feed(data, final, path)
            rest = data[used:]
            if final:
                break
    return counter


# ----------------------------------------------------------------------------------------------------------
# token -> id

cdef class TokenTable:
    """A read-only hash table from tokens to their positions in keys, usable from C without the GIL.

    Keys are stored as their UTF-8/surrogateescape bytes, the form tokens have in a file, so a token read
    from a file finds the key it decodes to. lookup(key) gives the position or -1.
    """
    cdef tok_table t
    cdef dict _unencodable   # keys with lone surrogates that no file token can decode to
    cdef Py_ssize_t _size

    def __cinit__(self):
        self._unencodable = {}

    def __init__(self, keys):
        cdef bytes b
        cdef int64_t at, pos
        cdef uint64_t h
        if self.t.slots != NULL:
            # other threads may be reading the table without the GIL: it never changes once built
            raise RuntimeError("a TokenTable cannot be rebuilt; make a new one")
        keys = list(keys)
        if tok_table_init(&self.t, len(keys)) < 0:
            raise MemoryError()
        for pos, key in enumerate(keys):
            if not isinstance(key, str):
                raise TypeError(f"TokenTable keys must be str, got {type(key).__name__} at position {pos}")
            try:
                b = (<str>key).encode("utf-8", "surrogateescape")
            except UnicodeEncodeError:
                if key in self._unencodable:
                    raise ValueError(f"duplicate key {key!r} at positions {self._unencodable[key]} and {pos}")
                self._unencodable[key] = pos
                continue
            h = tok_hash(<const unsigned char *>PyBytes_AS_STRING(b), PyBytes_GET_SIZE(b))
            at = tok_table_find(&self.t, <const unsigned char *>PyBytes_AS_STRING(b), PyBytes_GET_SIZE(b), h)
            if at >= 0:
                raise ValueError(f"duplicate key {key!r} at positions {self.t.entries[at].val} and {pos}")
            at = tok_table_insert(&self.t, <const unsigned char *>PyBytes_AS_STRING(b), PyBytes_GET_SIZE(b), h)
            if at < 0:
                raise MemoryError() if at == ERR_NOMEM else ValueError("more than 2**31 - 1 keys")
            self.t.entries[at].val = pos   # the value stored per key: its position in keys
        self._size = len(keys)

    def __dealloc__(self):
        tok_table_free(&self.t)

    def __len__(self):
        return self._size

    def __contains__(self, key):
        return self.lookup(key) >= 0

    def lookup(self, key):
        """Position of key in the keys the table was built from, or -1 when absent."""
        if not isinstance(key, str):
            raise TypeError(f"TokenTable.lookup expects a str, got {type(key).__name__}")
        try:
            b = (<str>key).encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            return self._unencodable.get(key, -1)
        return _table_value(&self.t, <const unsigned char *>PyBytes_AS_STRING(b), PyBytes_GET_SIZE(b))


cdef inline int64_t _table_value(const tok_table *t, const unsigned char *p, size_t n) noexcept nogil:
    cdef int64_t at = tok_table_find(t, p, n, tok_hash(p, n))
    return t.entries[at].val if at >= 0 else -1


# ----------------------------------------------------------------------------------------------------------
# the corpus_file reader: a byte range -> batches of sentences of ids

cdef struct RangeRun:
    const tok_table *table
    int64_t max_sentence
    int64_t batch_words
    int mode                 # RUN_TRAIN, RUN_COUNT or RUN_COLLECT
    int64_t *counts          # RUN_COUNT: per-id counts
    int32_t *out_ids         # RUN_COLLECT: every batch appended (grown with realloc)
    int32_t *out_ends
    int64_t out_n_ids
    int64_t out_n_ends
    int64_t out_cap_ids
    int64_t out_cap_ends
    int failed               # RUN_COLLECT ran out of memory
    void *join               # a phrase joiner applied while reading, or NULL
    const Model *model       # training mode
    Worker *worker
    Schedule *schedule
    const int64_t *stop      # training mode: stop between batches once this is set (may be NULL)
    int64_t raw              # outputs
    int64_t effective
    int64_t sentences
    int err


cdef bint _reserve(int32_t **buf, int64_t *cap, int64_t need) noexcept nogil:
    cdef int64_t c = cap[0] if cap[0] > 0 else 1024
    cdef int32_t *q
    if need <= cap[0]:
        return True
    while c < need:
        c *= 2
    q = <int32_t *>realloc(buf[0], c * sizeof(int32_t))
    if q == NULL:
        return False
    buf[0] = q
    cap[0] = c
    return True


cdef void _flush(RangeRun *run, int32_t *ids, int32_t *ends, int64_t n_ids, int64_t n_sent,
                 int64_t batch_raw) noexcept nogil:
    cdef int64_t i
    cdef real alpha
    if run.mode == RUN_COUNT:
        for i in range(n_ids):
            run.counts[ids[i]] += 1
        return
    if run.mode == RUN_COLLECT:
        if run.failed or not _reserve(&run.out_ids, &run.out_cap_ids, run.out_n_ids + n_ids) or \
                not _reserve(&run.out_ends, &run.out_cap_ends, run.out_n_ends + n_sent):
            run.failed = 1
            return
        for i in range(n_sent):
            run.out_ends[run.out_n_ends + i] = <int32_t>(ends[i] + run.out_n_ids)
        for i in range(n_ids):
            run.out_ids[run.out_n_ids + i] = ids[i]
        run.out_n_ids += n_ids
        run.out_n_ends += n_sent
        return
    if n_sent > 0:
        alpha = schedule_alpha(run.schedule)
        run.effective += train_batch_held(run.model, run.worker, ids, ends, <int>n_sent, alpha)
    if batch_raw > 0:
        schedule_advance(run.schedule, batch_raw)


cdef int _run_range(RangeRun *run, const char *path, int64_t start, int64_t end) noexcept nogil:
    """Reads [start, end), ends a sentence at each newline and every max_sentence tokens (out-of-vocabulary
    ones included, as a LineSentence would cut the line), drops out-of-vocabulary tokens and skips sentences
    left empty, and hands batches of about batch_words ids to _flush."""
    cdef tok_reader r
    cdef const unsigned char *p = NULL
    cdef size_t n = 0, i, s
    cdef unsigned char c
    cdef int ev, rc = 0
    cdef int64_t cap = run.batch_words + run.max_sentence
    cdef int64_t n_ids = 0, n_sent = 0, sent_start = 0, sent_raw = 0, batch_raw = 0, id_
    cdef int64_t raw_limit = run.batch_words * 8
    cdef int32_t *ids = <int32_t *>malloc(cap * sizeof(int32_t))
    cdef int32_t *ends = <int32_t *>malloc(cap * sizeof(int32_t))
    cdef bint end_sentence
    if ids == NULL or ends == NULL:
        free(ids)
        free(ends)
        return ERR_NOMEM
    if tok_reader_open(&r, path, start, end, READ_BUFFER) < 0:
        run.err = r.err
        tok_reader_close(&r)
        free(ids)
        free(ends)
        return ERR_IO
    while True:
        ev = phr_reader_chunk(&r, run.join, &p, &n)
        if ev != 1:
            if ev < 0:
                run.err = r.err
                rc = ERR_IO
            break
        i = 0
        while i < n:
            c = p[i]
            if tok_is_ws(c):
                i += 1
                if c != 10:
                    continue
                end_sentence = True
            else:
                s = i
                i = tok_token_end(p, i + 1, n)
                run.raw += 1
                batch_raw += 1
                sent_raw += 1
                id_ = _table_value(run.table, p + s, i - s)
                if id_ >= 0:
                    ids[n_ids] = <int32_t>id_
                    n_ids += 1
                end_sentence = sent_raw == run.max_sentence
            if end_sentence:
                if sent_raw > 0:
                    run.sentences += 1
                if n_ids > sent_start:
                    ends[n_sent] = <int32_t>n_ids
                    n_sent += 1
                    sent_start = n_ids
                sent_raw = 0
                if n_ids >= run.batch_words or batch_raw >= raw_limit:
                    _flush(run, ids, ends, n_ids, n_sent, batch_raw)
                    n_ids = n_sent = sent_start = batch_raw = 0
                    if w2v_flag_is_set(run.stop):
                        rc = STOPPED
                        break
        if rc == STOPPED:
            break
    if rc == 0:
        # the range's last sentence, then the last batch
        if sent_raw > 0:
            run.sentences += 1
        if n_ids > sent_start:
            ends[n_sent] = <int32_t>n_ids
            n_sent += 1
        _flush(run, ids, ends, n_ids, n_sent, batch_raw)
    tok_reader_close(&r)
    free(ids)
    free(ends)
    return rc


cdef void _init_run(RangeRun *run, TokenTable table, int max_sentence_length, int batch_words, int mode) noexcept:
    memset(run, 0, sizeof(RangeRun))
    run.table = &table.t
    run.max_sentence = max_sentence_length
    run.batch_words = batch_words
    run.mode = mode


def _check_worker(KernelWorker worker, int max_sentence_length, Py_ssize_t n_keys):
    """Refuse sentences longer than the worker's scratch, ids beyond the model's rows, and a worker that is
    already training in another thread."""
    if max_sentence_length > worker.w.max_sentence:
        raise ValueError(f"max_sentence_length={max_sentence_length} exceeds the worker's capacity "
                         f"({worker.w.max_sentence})")
    if n_keys > worker.model.m.vocab_size:
        raise ValueError(f"the token table has {n_keys} keys but the model only {worker.model.m.vocab_size} rows")
    if worker._busy:
        raise RuntimeError("this KernelWorker is already training in another thread; use one per thread")


cdef int _run_path(RangeRun *run, path, int64_t start, int64_t end) except -100:
    """_run_range on a Python path without the GIL; raises for I/O errors, returns the other codes."""
    cdef bytes bpath = os.fsencode(path)
    cdef const char *cpath = bpath
    cdef int rc
    with nogil:
        rc = _run_range(run, cpath, start, end)
    if rc == ERR_IO:
        raise _io_error(run.err, path)
    return rc


def _check_range_args(path, long long start, long long end, int max_sentence_length, int batch_words):
    if max_sentence_length < 1:
        raise ValueError(f"max_sentence_length must be >= 1, got {max_sentence_length}")
    if batch_words < 1:
        raise ValueError(f"batch_words must be >= 1, got {batch_words}")
    if start < 0 or end < start:
        raise ValueError(f"invalid byte range [{start}, {end})")
    _check_regular_file(path)


def count_file_range(TokenTable table not None, path, long long start, long long end,
                     int max_sentence_length=10000):
    """Read [start, end) of path exactly as train_file_range does and count instead of training.

    Returns (counts, raw_words, sentences): int64 counts per table position, every token of the range
    (out-of-vocabulary ones included), and the sentences cut from it (a line of n tokens gives
    ceil(n / max_sentence_length); empty lines give none).
    """
    _check_range_args(path, start, end, max_sentence_length, 10000)
    counts = np.zeros(max(len(table), 1), dtype=np.int64)
    cdef int64_t[::1] cv = counts
    cdef RangeRun run
    _init_run(&run, table, max_sentence_length, 10000, RUN_COUNT)
    run.counts = &cv[0]
    if _run_path(&run, path, start, end):
        raise MemoryError()
    return counts[:len(table)], run.raw, run.sentences


def encode_file_range(TokenTable table not None, path, long long start=0, long long end=-1,
                      int max_sentence_length=10000, PhraseTable phrases=None):
    """Read [start, end) of path (end=-1: to the end of the file) exactly as train_file_range does and
    return what it would train on: (ids, sentence_ends, raw_words) in the layout of encode_sentences.
    Holds the whole range in memory: meant for tests and small files. phrases: as in train_file_range."""
    size = _check_regular_file(path)
    if end < 0:
        end = size
    _check_range_args(path, start, end, max_sentence_length, 10000)
    cdef RangeRun run
    _init_run(&run, table, max_sentence_length, 10000, RUN_COLLECT)
    cdef int32_t[::1] iv
    if phrases is not None:
        run.join = phrases.new_joiner()
    try:
        if _run_path(&run, path, start, end) or run.failed:
            raise MemoryError()
        ids = np.empty(run.out_n_ids, dtype=np.int32)
        ends = np.empty(run.out_n_ends, dtype=np.int32)
        if run.out_n_ids:
            iv = ids
            memcpy(&iv[0], run.out_ids, run.out_n_ids * sizeof(int32_t))
        if run.out_n_ends:
            iv = ends
            memcpy(&iv[0], run.out_ends, run.out_n_ends * sizeof(int32_t))
    finally:
        free(run.out_ids)
        free(run.out_ends)
        phr_joiner_destroy(run.join)
    return ids, ends, run.raw


def train_file_range(KernelWorker worker not None, TokenTable table not None, LearningRate lr not None, path,
                     long long start, long long end, int max_sentence_length=10000, int batch_words=10000,
                     StopFlag stop=None, PhraseTable phrases=None):
    """Train on the tokens of bytes [start, end) of an uncompressed text file, entirely without the GIL.

    table maps tokens to rows of the model behind worker (its keys in row order). Sentences end at each
    newline and every max_sentence_length tokens; out-of-vocabulary tokens are dropped after the cut.
    Batches of about batch_words in-vocabulary tokens go to train_batch at the learning rate lr gives, and
    lr advances by each batch's raw words. Memory stays one read buffer and one batch, whatever the file
    size. Several threads may train their own ranges at once with their own workers and a shared lr.

    Once `stop` is set (from another thread), the range ends after the batch in progress.

    phrases (a w2vfast._phrases.PhraseTable) joins known phrases as the range is read, so the model trains
    on "new_york" where the file says "new york"; sentences are then cut from the joined tokens.

    Returns (raw_words, effective_words): tokens read (out-of-vocabulary ones included) and words kept by
    the kernel after subsampling.
    """
    _check_range_args(path, start, end, max_sentence_length, batch_words)
    _check_worker(worker, max_sentence_length, len(table))
    cdef RangeRun run
    _init_run(&run, table, max_sentence_length, batch_words, RUN_TRAIN)
    run.model = &worker.model.m
    run.worker = &worker.w
    run.schedule = &lr.s
    run.stop = &stop.flag if stop is not None else NULL
    cdef int rc
    if phrases is not None:
        run.join = phrases.new_joiner()
    worker._busy = True
    try:
        rc = _run_path(&run, path, start, end)
    finally:
        with nogil:
            release_private(&worker.model.m, &worker.w)    # merge what the worker's private rows still hold
        worker._busy = False
        phr_joiner_destroy(run.join)
    if rc < 0:
        raise MemoryError()
    return run.raw, run.effective


# ----------------------------------------------------------------------------------------------------------
# the iterable path: lists of tokens -> packed ids

cdef int64_t _str_value(TokenTable table, PyObject *tok) except -2:
    """table's value for a str token, by the token's UTF-8/surrogateescape bytes, or -1."""
    cdef const char *p
    cdef Py_ssize_t n
    if PyUnicode_IS_COMPACT_ASCII(tok):
        # ASCII strings hold their bytes inline: no conversion, no allocation
        return _table_value(&table.t, <const unsigned char *>PyUnicode_DATA(tok), PyUnicode_GET_LENGTH(tok))
    p = PyUnicode_AsUTF8AndSize(tok, &n)   # cached inside the str object after the first call
    if p != NULL:
        return _table_value(&table.t, <const unsigned char *>p, n)
    PyErr_Clear()                           # surrogates: escaped bytes, or a key no file can hold
    return table.lookup(<object>tok)


cdef class _Lookup:
    """A token -> id mapping for the encoders: a TokenTable (C lookups) or a dict."""
    cdef TokenTable table
    cdef dict mapping

    def __init__(self, key_to_index):
        if isinstance(key_to_index, TokenTable):
            self.table = key_to_index
        elif isinstance(key_to_index, dict):
            self.mapping = key_to_index
        else:
            raise TypeError(f"key_to_index must be a dict or a TokenTable, got {type(key_to_index).__name__}")


cdef object _token_sequence(sent, Py_ssize_t s):
    """sentence s as a list or tuple of its tokens (PySequence_Fast), with a clear error for a bare string."""
    if isinstance(sent, (str, bytes)):
        raise TypeError(
            f"sentence {s} is a {type(sent).__name__}, not a list of tokens: pass each sentence as a "
            f"list of str tokens (e.g. line.split()), otherwise words would be split into characters")
    try:
        return PySequence_Fast(sent, b"")
    except TypeError:
        raise TypeError(f"sentence {s} is a {type(sent).__name__}, not a list of str tokens") from None


cdef inline Py_ssize_t _pieces(Py_ssize_t size, int max_sentence_length) noexcept:
    return (size + max_sentence_length - 1) // max_sentence_length


cdef int _encode_sentence(_Lookup lookup, seq, Py_ssize_t s, int max_sentence_length, int32_t *ids,
                          int64_t *n_ids, int32_t *ends, int64_t *n_ends) except -1:
    """Append sentence s (a PySequence_Fast of str) to ids/ends, cut every max_sentence_length tokens
    (counted before dropping out-of-vocabulary ones, as the corpus_file reader does). Pieces left empty are
    skipped. ids needs room for len(seq) more ids, ends for _pieces(len(seq)) more sentences."""
    cdef Py_ssize_t size = PySequence_Fast_GET_SIZE(seq), i, in_piece = 0
    cdef PyObject **items = PySequence_Fast_ITEMS(seq)
    cdef PyObject *tok
    cdef PyObject *val
    cdef long idx
    cdef int64_t k = n_ids[0], e = n_ends[0], piece_start = n_ids[0]
    for i in range(size):
        tok = items[i]
        # token objects can lie anywhere in memory (a corpus held in a list, repeated words sharing one
        # str): fetch a few ahead so that their cache misses overlap
        if i + PREFETCH_AHEAD < size:
            tok_prefetch(items[i + PREFETCH_AHEAD])
        if not PyUnicode_Check(tok):
            raise TypeError(f"token {i} of sentence {s} is a {type(<object>tok).__name__}, not a str")
        if lookup.table is not None:
            idx = _str_value(lookup.table, tok)
            if idx >= 0:
                ids[k] = <int32_t>idx
                k += 1
        else:
            val = PyDict_GetItemWithError(lookup.mapping, tok)
            if val != NULL:
                idx = PyLong_AsLong(val)
                if idx < 0 or idx > 0x7FFFFFFF:
                    raise ValueError(f"key_to_index maps {<object>tok!r} to {idx}, not a valid row")
                ids[k] = <int32_t>idx
                k += 1
        in_piece += 1
        if in_piece == max_sentence_length:
            if k > piece_start:
                ends[e] = <int32_t>k
                e += 1
                piece_start = k
            in_piece = 0
    if k > piece_start:
        ends[e] = <int32_t>k
        e += 1
    n_ids[0] = k
    n_ends[0] = e
    return 0


def encode_sentences(sentences, key_to_index, int max_sentence_length=10000):
    """Pack sentences (lists of str tokens) into ids for train_batch.

    key_to_index: a dict from tokens to ids, or a TokenTable (faster: its C lookup skips Python's string
    hashing and int objects). Out-of-vocabulary tokens are dropped; a sentence is cut every
    max_sentence_length tokens (counted before dropping, as the corpus_file reader does); sentences left
    empty are skipped.

    Returns (ids, sentence_ends, raw_words): int32 ids, int32 end offsets of each sentence in ids, and the
    number of tokens seen, out-of-vocabulary ones included.
    """
    if max_sentence_length < 1:
        raise ValueError(f"max_sentence_length must be >= 1, got {max_sentence_length}")
    cdef _Lookup lookup = _Lookup(key_to_index)
    if not isinstance(sentences, (list, tuple)):
        sentences = list(sentences)
    cdef Py_ssize_t n_sentences = len(sentences), s, size, total = 0, pieces = 0
    cdef list fast = [None] * n_sentences
    for s in range(n_sentences):
        seq = _token_sequence(sentences[s], s)
        fast[s] = seq
        size = PySequence_Fast_GET_SIZE(seq)
        total += size
        pieces += _pieces(size, max_sentence_length)
    ids = np.empty(total, dtype=np.int32)
    ends = np.empty(pieces, dtype=np.int32)
    cdef int32_t[::1] idv = ids
    cdef int32_t[::1] endv = ends
    cdef int64_t n_ids = 0, n_ends = 0
    for s in range(n_sentences):
        _encode_sentence(lookup, fast[s], s, max_sentence_length, &idv[0] if total else NULL, &n_ids,
                         &endv[0] if pieces else NULL, &n_ends)
    return ids[:n_ids], ends[:n_ends], total


# ----------------------------------------------------------------------------------------------------------
# the iterable path with several training threads: a C job queue between the encoding thread and them

cdef class SentenceQueue:
    """Batches of encoded sentences on their way from the thread that reads an iterable corpus to the
    training threads (train_queue), which wait for them without the GIL.

    n_slots batches exist at once (being filled, waiting, or being trained); the reader blocks while all are
    taken. Batches are trained in the order they were put.
    """
    cdef jq_queue q
    cdef _Lookup lookup
    cdef readonly int max_sentence_length
    cdef readonly Py_ssize_t n_keys
    cdef Py_ssize_t sentences_read

    def __cinit__(self):
        self.q.jobs = NULL
        self.q.initialised = 0

    def __init__(self, int n_slots, key_to_index, int max_sentence_length=10000):
        if n_slots < 1:
            raise ValueError(f"n_slots must be >= 1, got {n_slots}")
        if max_sentence_length < 1:
            raise ValueError(f"max_sentence_length must be >= 1, got {max_sentence_length}")
        self.lookup = _Lookup(key_to_index)
        self.n_keys = len(key_to_index)
        self.max_sentence_length = max_sentence_length
        if self.q.jobs != NULL:
            raise RuntimeError("SentenceQueue is already initialised")
        if jq_init(&self.q, n_slots) != 0:
            raise MemoryError()

    def __dealloc__(self):
        jq_free(&self.q)   # no thread can be waiting: train_queue holds a reference while it runs

    def put_from(self, iterator, long long batch_words):
        """Take sentences from iterator until they hold at least batch_words tokens (or it ends), encode them
        into a free batch and queue it for training. Waits, without the GIL, while every batch is taken.

        Returns (raw_words, exhausted): the tokens read, out-of-vocabulary ones included, and whether the
        iterator ran out. After close() nothing is read and (0, True) comes back; a batch that close()
        overtakes while it is being filled (close() from another thread) is dropped, also giving (0, True).
        """
        if batch_words < 1:
            raise ValueError(f"batch_words must be >= 1, got {batch_words}")
        if self.q.jobs == NULL:
            raise RuntimeError("SentenceQueue was not initialised")
        cdef int slot
        with nogil:
            slot = jq_acquire(&self.q)
        if slot < 0:
            return 0, True
        cdef jq_job *job = &self.q.jobs[slot]
        cdef int64_t raw = 0
        cdef Py_ssize_t size
        cdef bint exhausted = False
        job.n_ids = job.n_sentences = job.raw_words = 0
        try:
            while raw < batch_words:
                sent = next(iterator, _END)
                if sent is _END:
                    exhausted = True
                    break
                self.sentences_read += 1     # error messages number sentences from the first one read
                seq = _token_sequence(sent, self.sentences_read - 1)
                size = PySequence_Fast_GET_SIZE(seq)
                if jq_job_reserve(job, job.n_ids + size,
                                  job.n_sentences + _pieces(size, self.max_sentence_length)) != 0:
                    raise MemoryError()
                _encode_sentence(self.lookup, seq, self.sentences_read - 1, self.max_sentence_length, job.ids,
                                 &job.n_ids, job.ends, &job.n_sentences)
                raw += size
        except BaseException:
            jq_release(&self.q, slot)
            raise
        if raw == 0:
            jq_release(&self.q, slot)
        else:
            job.raw_words = raw
            # even with no known word: its raw words still advance the schedule
            if jq_submit(&self.q, slot) != 0:
                return 0, True         # close() came while the batch was filled: it is dropped
        return raw, exhausted

    def close(self):
        """No more batches: train_queue returns once the queued ones are trained (or skipped after a stop),
        and put_from stops waiting."""
        if self.q.jobs != NULL:
            with nogil:
                jq_close(&self.q)


_END = object()


def train_queue(KernelWorker worker not None, SentenceQueue jobs not None, LearningRate lr not None,
                StopFlag stop=None):
    """Train on batches from jobs until it is closed and empty, entirely without the GIL. Each batch trains
    at the learning rate lr gives when it starts and then advances lr by its raw words. Once `stop` is set,
    the remaining batches are taken and dropped untrained.

    Returns the number of words kept after subsampling (the effective words).
    """
    _check_worker(worker, jobs.max_sentence_length, jobs.n_keys)
    cdef const int64_t *flag = &stop.flag if stop is not None else NULL
    cdef int64_t effective = 0
    cdef int slot
    cdef jq_job *job
    worker._busy = True
    try:
        with nogil:
            while True:
                slot = jq_take(&jobs.q)
                if slot < 0:
                    break
                job = &jobs.q.jobs[slot]
                if not w2v_flag_is_set(flag):
                    effective += train_batch_held(&worker.model.m, &worker.w, job.ids, job.ends,
                                                  <int>job.n_sentences, schedule_alpha(&lr.s))
                    schedule_advance(&lr.s, job.raw_words)
                jq_release(&jobs.q, slot)
            release_private(&worker.model.m, &worker.w)
    finally:
        worker._busy = False
    return effective
