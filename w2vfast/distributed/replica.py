"""The worker side: a process keeps the global model of the latest round it saw, and trains rounds on copies.

All replicas equal the global model right after a synchronisation, so a worker process keeps just that:
the weights at round `version` (untouched by training) plus the vocabulary tables. A round's task names
the version it starts from and carries the previous round's update (new values of the rows that changed);
a process one version behind applies it, one with the right version uses its weights as they are, and any
other (a worker restarted after a crash, or one that never saw this job) answers STALE, and the driver
sends it the whole model instead. So a task may run on any worker, and a rerun after a lost worker costs
that round's work on its chunk and, at worst, one full copy of the model.
"""
import threading
import time

import numpy as np

from .._corpus import TokenTable, train_file_range
from .._stopflag import StopFlag
from .._kernels import LearningRate
from ..threads import run_threads
from ..vocab import Vocabulary
from .merge import Rows, changed_rows

MATRICES = ("syn0", "syn1neg", "syn1")
STALE = "stale"
RANGES_PER_THREAD = 4     # sub-ranges per training thread, claimed as threads come free
_cache = {}               # job id -> _Replica, per worker process
_lock = threading.Lock()  # tasks of one process may run in several Dask threads
active = 0                # training tasks running in this process now (for monitoring and fault tests)


class Spec:
    """What every replica needs besides the weights: the settings and the vocabulary."""

    def __init__(self, settings, keys, counts, huffman, corpus_total_words):
        self.settings, self.keys, self.counts = settings, keys, counts
        self.huffman, self.corpus_total_words = huffman, corpus_total_words


class Weights:
    """Whole matrices at a version (the start, or a resend after a STALE answer)."""

    def __init__(self, version, arrays):
        self.version, self.arrays = version, arrays


class Update:
    """New values of the rows one round changed: takes version - 1 to version."""

    def __init__(self, version, rows):
        self.version, self.rows = version, rows

    @property
    def nbytes(self):
        return sum(r.nbytes for r in self.rows.values())


class _Replica:
    def __init__(self, spec, weights):
        from ..model import Word2Vec

        model = Word2Vec(**spec.settings)
        model.vocabulary = Vocabulary(spec.keys, spec.counts)
        if spec.huffman is not None:
            model.vocabulary.set_huffman(*spec.huffman)
        model.corpus_total_words = spec.corpus_total_words
        model._rebuild_tables()
        self.model = model
        self.table = TokenTable(spec.keys)
        self.base = {name: np.array(a, dtype=np.float32, order="C") for name, a in weights.arrays.items()}
        self.version = weights.version


def _claim(job, version, spec, updates, weights):
    """The replica at `version` for this job and a private copy of its weights, or None (STALE)."""
    with _lock:
        rep = _cache.get(job)
        if weights is not None and (rep is None or rep.version != weights.version):
            rep = _cache[job] = _Replica(spec, weights)
        if rep is None:
            return None, None
        for update in updates:                  # oldest first: catch up on the rounds this process missed
            if update.version == rep.version + 1 and update.version <= version:
                for name, rows in update.rows.items():
                    rows.apply_to(rep.base[name])
                rep.version = update.version
        if rep.version != version:
            return None, None
        return rep, {name: m.copy() for name, m in rep.base.items()}


def train_round(job, version, spec, updates, weights, pieces, schedule, seed):
    """Runs on a worker: train a copy of the round-`version` model on `pieces` [(path, start, end)].

    updates : the latest rounds' Update objects, oldest first; weights : a Weights or None.
    schedule = (start_alpha, end_alpha, total_words, done): the replica's LearningRate, already scaled so
    that its words advance alpha as the whole round's words advance the global schedule.
    Returns STALE, or a dict with raw and effective words, seconds, loss and the changed rows' deltas.
    """
    global active
    rep, work = _claim(job, version, spec, updates, weights)
    if rep is None:
        return STALE
    t0 = time.perf_counter()
    active += 1
    try:
        model = rep.model
        model._set_wv(work["syn0"])
        model.syn1neg, model.syn1 = work.get("syn1neg"), work.get("syn1")
        model.seed = seed % 2**64          # a stream of random numbers of its own per round and chunk
        model._rng_states = None
        kernel_model = model._kernel_model(model.compute_loss)
        n_threads = model.workers
        words = max(1, schedule[2])
        threads = model._workers(kernel_model, words)
        lr = LearningRate(schedule[0], schedule[1], schedule[2])
        lr.done = min(schedule[3], schedule[2])
        ranges = []
        for path, a, b in pieces:
            k = 1 if n_threads == 1 else RANGES_PER_THREAD * n_threads
            ranges.extend((path, a + (b - a) * i // k, a + (b - a) * (i + 1) // k) for i in range(k))
        source = iter(ranges)
        claim = threading.Lock()
        stop = StopFlag()
        totals = [[0, 0] for _ in threads]

        def work_on(i):
            while not stop.is_set:
                with claim:
                    r = next(source, None)
                if r is None:
                    return
                raw, eff = train_file_range(threads[i], rep.table, lr, r[0], r[1], r[2],
                                            model.max_sentence_length, model.batch_words, stop)
                totals[i][0] += raw
                totals[i][1] += eff

        run_threads(work_on, n_threads, stop.set)
        loss = sum(w.loss for w in threads)
        rows = {}
        for name, m in work.items():
            m -= rep.base[name]                 # now the round's delta
            rows[name] = Rows.of(m, changed_rows(m))
        return {"raw": sum(t[0] for t in totals), "effective": sum(t[1] for t in totals), "loss": loss,
                "seconds": time.perf_counter() - t0, "rows": rows}
    finally:
        active -= 1


def drop_job(job):
    """Runs on every worker at the end: free the job's replica."""
    with _lock:
        return _cache.pop(job, None) is not None
