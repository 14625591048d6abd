"""Word2Vec: configuration, vocabulary building, and what each training epoch runs in its threads.

The heavy lifting happens in the nogil kernels (_kernels.pyx) and the C corpus readers (_corpus.pyx); this
module decides what to train on and at which learning rate, and threads.run_threads starts and stops the
threads.
"""
import logging
import os
import threading
import time

import numpy as np

from . import vocab as _vocab
from ._corpus import (SentenceQueue, TokenTable, check_corpus_file, file_ranges, scan_file,
                      train_file_range, train_queue)
from ._kernels import KernelModel, KernelWorker
from ._stopflag import StopFlag
from .callbacks import call_hook
from .errors import FormatError
from .keyedvectors import KeyedVectors
from .phrases import as_frozen, line_ranges
from .modelcompat import Word2VecCompat
from .progress import Progress
from .schedule import SCHEDULES, make_schedule
from .threads import run_threads

logger = logging.getLogger(__name__)

MAX_WORDS_IN_BATCH = 10000
RANGES_PER_WORKER = 4  # corpus_file: byte ranges handed out per thread and epoch
# Several threads on one model: each keeps private copies of the rows that nearly every update writes and
# merges its changes into the shared matrices now and then (see KernelWorker and _sync_words).
# By default only two workers keep private rows. Past two, W workers that each add their whole move of these
# rows overshoot (skip-gram HS diverged with 3 and 4 threads), and adding 2/W of it loses learning on the
# busiest rows that are still far from settled (4 workers, 3 epochs, seed 1: analogy 0.102 against 0.136 with
# shared rows for skip-gram NS, 0.028 against 0.066 for CBOW NS); a rule that keeps both is not measured yet.
# private_rows=N still turns them on for any number of workers.
DEFAULT_PRIVATE_MAX_WORKERS = 2
PRIVATE_ROWS = 4096       # per matrix: the syn0 and syn1neg rows of the most frequent words, and the syn1 rows
                          # of the Huffman nodes nearest the root (the top ~10 levels, which most updates pass)
SYNC_WORDS_PER_ROW = 16   # kept words between merges per private row: merging costs about 1/16 of a word's work
SYNC_SHARE_OF_EPOCH = 50  # ... but each thread merges at least this many times per epoch
# Upper bounds that keep settings from overflowing the kernels' int32 arithmetic or allocating absurd scratch.
_LIMITS = {"vector_size": 100_000, "window": 100_000, "negative": 10_000, "batch_words": 100_000_000,
           "max_sentence_length": 100_000_000, "workers": 4096, "epochs": 1_000_000}


def _require(condition, message):
    if not condition:
        raise ValueError(message)


class Word2Vec(Word2VecCompat):
    """Train word2vec embeddings: skip-gram or CBOW, with negative sampling and/or hierarchical softmax.

    Parameters have gensim 4.x's names, order and defaults, so `from w2vfast import Word2Vec` can replace
    `from gensim.models import Word2Vec`. Extra keyword-only options:

    max_sentence_length : sentences (and corpus_file lines) longer than this are cut into pieces.
    shared_negatives : skip-gram only; draw one set of negatives per centre word and share it across the
        window (faster, slightly different algorithm: see the README's benchmark table).
    progress : show a progress bar on stderr (default: when stderr is a terminal).
    private_rows : with several workers, each thread keeps private copies of the input and output rows of this
        many most frequent words and of this many Huffman nodes nearest the root and merges its changes into
        the shared matrices every few thousand words, so that threads do not fight over the rows nearly every
        update writes (see the README's "Threads" section). Default None: 4096 with two workers, none with
        more (their merge rule past two threads costs quality); 0 turns private rows off.
    alpha_schedule : "global" (default: alpha falls with the words all threads have read together, as in
        word2vec.c and gensim's iterable mode) or "per-worker" (gensim 4's corpus_file schedule, where each
        thread's own words move alpha within an epoch, so it ends higher; see w2vfast.schedule).
    phrases : a w2vfast FrozenPhrases (or Phrases) whose phrases are joined as the corpus is read: in the C
        reader for corpus_file (no joined copy of the file needed), through phrases[...] for iterables.
    """

    def __init__(self, sentences=None, corpus_file=None, vector_size=100, alpha=0.025, window=5, min_count=5,
                 max_vocab_size=None, sample=1e-3, seed=1, workers=3, min_alpha=0.0001, sg=0, hs=0, negative=5,
                 ns_exponent=0.75, cbow_mean=1, hashfxn=hash, epochs=5, null_word=0, trim_rule=None,
                 sorted_vocab=1, batch_words=MAX_WORDS_IN_BATCH, compute_loss=False, callbacks=(), comment=None,
                 max_final_vocab=None, shrink_windows=True, *, max_sentence_length=10000, shared_negatives=False,
                 progress=None, alpha_schedule="global", private_rows=None, phrases=None):
        self.vector_size = int(vector_size)
        self.alpha = float(alpha)
        self.window = int(window)
        self.min_count = int(min_count)
        self.max_vocab_size = None if max_vocab_size is None else int(max_vocab_size)
        self.sample = float(sample)
        self.seed = int(seed)
        self.workers = int(workers)
        self.min_alpha = float(min_alpha)
        self.sg = int(sg)
        self.hs = int(hs)
        self.negative = int(negative)
        self.ns_exponent = float(ns_exponent)
        self.cbow_mean = int(cbow_mean)
        self.hashfxn = hashfxn  # accepted for compatibility: initial vectors come from a seeded numpy generator
        self.epochs = int(epochs)
        self.null_word = int(null_word)
        self.sorted_vocab = int(sorted_vocab)
        self.batch_words = int(batch_words)
        self.compute_loss = bool(compute_loss)
        self.callbacks = tuple(callbacks)
        self.comment = comment
        self.max_final_vocab = None if max_final_vocab is None else int(max_final_vocab)
        self.shrink_windows = bool(shrink_windows)
        self.max_sentence_length = int(max_sentence_length)
        self.shared_negatives = bool(shared_negatives)
        self.progress = progress
        self.alpha_schedule = alpha_schedule
        self.private_rows = None if private_rows is None else int(private_rows)
        self.phrases = None if phrases is None else as_frozen(phrases)
        self._validate()

        self.wv = KeyedVectors(self.vector_size)
        self.vocabulary = None
        self.syn1neg = None
        self.syn1 = None
        self.corpus_count = 0
        self.corpus_total_words = 0
        self.raw_vocab = None
        self.train_count = 0
        self.total_train_time = 0.0
        self.running_training_loss = 0.0
        self.epoch_losses = []
        self.min_alpha_yet_reached = self.alpha
        self._rng_states = None
        self._token_table = None

        if sentences is not None or corpus_file is not None:
            self.build_vocab(corpus_iterable=sentences, corpus_file=corpus_file, trim_rule=trim_rule)
            self.train(corpus_iterable=sentences, corpus_file=corpus_file, total_examples=self.corpus_count,
                       total_words=self.corpus_total_words, epochs=self.epochs, start_alpha=self.alpha,
                       end_alpha=self.min_alpha, compute_loss=self.compute_loss, callbacks=self.callbacks)
        elif trim_rule is not None:
            logger.warning("trim_rule is only used when a corpus is given; pass it to build_vocab() instead")

    # ----------------------------------------------------------------------------------------- checks
    def _validate(self):
        _require(self.alpha_schedule in SCHEDULES,
                 f"alpha_schedule must be one of {', '.join(SCHEDULES)}, got {self.alpha_schedule!r}")
        _require(self.hs or self.negative > 0, "hs=0 and negative=0 leave nothing to train: set hs=1 or negative>0")
        _require(self.hs in (0, 1), f"hs must be 0 or 1, got {self.hs}")
        _require(self.sg in (0, 1), f"sg must be 0 (CBOW) or 1 (skip-gram), got {self.sg}")
        _require(self.cbow_mean in (0, 1), f"cbow_mean must be 0 or 1, got {self.cbow_mean}")
        for name in ("vector_size", "window", "epochs", "workers", "batch_words", "max_sentence_length"):
            _require(getattr(self, name) >= 1, f"{name} must be at least 1, got {getattr(self, name)}")
        _require(self.negative >= 0, f"negative must be >= 0, got {self.negative}")
        for name, limit in _LIMITS.items():
            _require(getattr(self, name) <= limit, f"{name}={getattr(self, name)} is beyond the supported {limit:,}")
        _require(0 <= self.seed < 2**64, f"seed must be an integer in [0, 2**64), got {self.seed}")
        _require(self.alpha > 0 and np.isfinite(self.alpha), f"alpha must be a positive number, got {self.alpha}")
        _require(self.min_alpha >= 0 and np.isfinite(self.min_alpha), f"min_alpha must be >= 0, got {self.min_alpha}")
        _require(self.sample >= 0 and np.isfinite(self.sample), f"sample must be >= 0, got {self.sample}")
        _require(self.min_count >= 0, f"min_count must be >= 0, got {self.min_count}")
        _require(np.isfinite(self.ns_exponent) and abs(self.ns_exponent) <= 10,
                 f"ns_exponent must be a number in [-10, 10], got {self.ns_exponent}")
        if self.max_vocab_size is not None:
            _require(int(self.max_vocab_size) >= 1, f"max_vocab_size must be >= 1, got {self.max_vocab_size}")
        if self.private_rows is not None:
            _require(0 <= self.private_rows <= 10_000_000,
                     f"private_rows must be None or an integer in [0, 10,000,000], got {self.private_rows}")
        if self.max_final_vocab is not None:
            _require(int(self.max_final_vocab) >= 1, f"max_final_vocab must be >= 1, got {self.max_final_vocab}")

    @staticmethod
    def _check_sources(corpus_iterable, corpus_file):
        if (corpus_iterable is None) == (corpus_file is None):
            raise TypeError("pass exactly one of corpus_iterable (sentences) or corpus_file")
        if corpus_file is not None:
            check_corpus_file(corpus_file)
            return
        if isinstance(corpus_iterable, (str, bytes, os.PathLike)):
            raise TypeError("the corpus is a single string or path: pass corpus_file=PATH for a file, or an "
                            "iterable of token lists such as w2vfast.LineSentence(path)")
        if iter(corpus_iterable) is corpus_iterable:
            raise TypeError("the corpus is a one-shot iterator (e.g. a generator), but training reads it once per "
                            "epoch: pass a list or a restartable iterable such as w2vfast.LineSentence(path)")

    # ------------------------------------------------------------------------------------- vocabulary
    def build_vocab(self, corpus_iterable=None, corpus_file=None, update=False, progress_per=10000,
                    keep_raw_vocab=False, trim_rule=None, **kwargs):
        """Count the corpus, choose the vocabulary, and initialise the weights (or grow them, update=True)."""
        self._check_sources(corpus_iterable, corpus_file)
        t0 = time.perf_counter()
        if corpus_file is not None:
            # with phrases, the scan counts the joined tokens the training reader will see
            scanner = scan_file if self.phrases is None else self.phrases.scan_file
            scan = scanner(corpus_file, max_vocab_size=self.max_vocab_size, workers=self.workers,
                           max_sentence_length=self.max_sentence_length)
            keys, counts = scan.keys, scan.counts
            total_words, total_sentences = scan.total_words, scan.total_sentences
        else:
            counter, total_words, total_sentences = _vocab.count_words(
                self._phrased(corpus_iterable), max_vocab_size=self.max_vocab_size, progress_per=progress_per)
            keys, counts = list(counter), np.fromiter(counter.values(), dtype=np.int64, count=len(counter))
        logger.info("collected %d word types from %d words and %d sentences in %.2fs",
                    len(keys), total_words, total_sentences, time.perf_counter() - t0)
        if total_words == 0:
            where = f" {os.fspath(corpus_file)!r}" if corpus_file is not None else ""
            # a file of nothing but whitespace is a file we refuse; an empty iterable is the caller's value
            error = FormatError if corpus_file is not None else ValueError
            raise error(f"the corpus{where} is empty: it has no tokens")
        self.corpus_count = total_sentences
        self.corpus_total_words = total_words
        self.raw_vocab = dict(zip(keys, counts.tolist())) if keep_raw_vocab else None
        self._prepare_vocab(keys, counts, update=update, trim_rule=trim_rule)

    def build_vocab_from_freq(self, word_freq, keep_raw_vocab=False, corpus_count=None, trim_rule=None,
                              update=False):
        """Build the vocabulary from a {word: count} mapping instead of a corpus."""
        keys = list(word_freq)
        counts = np.array([word_freq[k] for k in keys], dtype=np.int64)
        if len(counts) and counts.min() < 0:
            raise ValueError(f"word_freq has a negative count for {keys[int(counts.argmin())]!r}")
        self.corpus_count = int(corpus_count) if corpus_count else 0
        self.corpus_total_words = int(counts.sum())
        if self.corpus_total_words == 0:
            raise ValueError("word_freq is empty: no word has a positive count")
        self._prepare_vocab(keys, counts, update=update, trim_rule=trim_rule)

    def _prepare_vocab(self, raw_keys, raw_counts, update, trim_rule):
        keys, kept = _vocab.select_words(raw_keys, raw_counts, self.min_count, self.max_final_vocab, trim_rule,
                                         bool(self.sorted_vocab))
        if update:
            if self.vocabulary is None:
                raise RuntimeError("build_vocab(update=True) needs an existing vocabulary: call build_vocab() first")
            old_size = len(self.vocabulary)
            added = self.vocabulary.extend(dict(zip(keys, kept.tolist())))
            logger.info("vocabulary update: %d new words, %d in total", added, len(self.vocabulary))
            self._grow_weights(old_size)
        else:
            if not keys:
                limits = f"min_count={self.min_count}"
                if self.max_final_vocab is not None:
                    limits += f", max_final_vocab={self.max_final_vocab}"
                if self.max_vocab_size is not None:
                    limits += f", max_vocab_size={self.max_vocab_size}"
                if trim_rule is not None:
                    limits += " and trim_rule"
                raise ValueError(
                    f"no word is left after applying {limits} to a corpus of {self.corpus_total_words} words "
                    f"({len(raw_keys)} distinct): relax those settings or give more text")
            if self.null_word and "\0" not in keys:
                keys.append("\0")
                kept = np.append(kept, 1)
            self.vocabulary = _vocab.Vocabulary(keys, kept)
            logger.info("kept %d unique words (min_count=%d)", len(keys), self.min_count)
            self._init_weights()
        self._rebuild_tables()

    def _new_rows(self, n, first_row):
        # Uniform in [-1/d, 1/d), the range gensim 4 uses (word2vec.c uses half of it; the wider start learns a
        # little more in few epochs). Rows depend on (seed, first_row) only, never on PYTHONHASHSEED.
        rng = np.random.default_rng([self.seed, first_row])
        rows = rng.random((n, self.vector_size), dtype=np.float32)
        rows *= 2.0
        rows -= 1.0
        rows /= self.vector_size
        return rows

    def _init_weights(self):
        n = len(self.vocabulary)
        syn0 = self._new_rows(n, 0)
        self.syn1neg = np.zeros((n, self.vector_size), dtype=np.float32) if self.negative else None
        self.syn1 = np.zeros((n, self.vector_size), dtype=np.float32) if self.hs else None
        self._set_wv(syn0)
        self._rng_states = None

    def _grow_weights(self, old_size):
        n = len(self.vocabulary)
        syn0 = np.empty((n, self.vector_size), dtype=np.float32)
        syn0[:old_size] = self.wv.vectors[:old_size]
        syn0[old_size:] = self._new_rows(n - old_size, old_size)
        if self.syn1neg is not None:
            self.syn1neg = np.concatenate([self.syn1neg, np.zeros((n - old_size, self.vector_size), np.float32)])
        if self.syn1 is not None and n != old_size:
            # New words mean a new Huffman tree: its inner-node rows start afresh.
            self.syn1 = np.zeros((n, self.vector_size), dtype=np.float32)
            self.vocabulary.codes = None
        self._set_wv(syn0)

    def _set_wv(self, syn0):
        v = self.vocabulary
        fresh = KeyedVectors.from_arrays(v.index_to_key, syn0, counts=v.counts, key_to_index=v.key_to_index)
        if isinstance(self.wv, KeyedVectors) and self.wv.vector_size == fresh.vector_size:
            # gensim keeps model.wv the same object through build_vocab(update=True): a `wv = model.wv`
            # held by the caller must see the new words
            self.wv.__dict__.update(fresh.__dict__)
        else:
            self.wv = fresh

    def _check_consistent(self):
        """model.wv must still describe model.vocabulary row for row (a user may have reordered or grown it)."""
        v, wv = self.vocabulary, self.wv
        if wv.index_to_key is not v.index_to_key or len(v.index_to_key) != len(v.counts) \
                or len(wv.vectors) != len(v.counts):
            raise ValueError("model.wv no longer matches the model's vocabulary (it was reordered, grown or "
                             "replaced, e.g. by sort_by_descending_frequency() or add_vectors()); copy the vectors "
                             "out with model.wv.save_word2vec_format(...) instead of training or saving this model")

    def _rebuild_tables(self):
        v = self.vocabulary
        self._keep_threshold = _vocab.keep_thresholds(v.counts, self.sample)
        if self.negative:
            self._alias_threshold, self._alias_index = _vocab.alias_table(v.counts, self.ns_exponent)
        if self.hs and (v.codes is None or len(v.code_offsets) != len(v) + 1):
            v.build_huffman()
        self._publish_huffman()
        self._token_table = None

    # --------------------------------------------------------------------------------------- training
    def _kernel_model(self, compute_loss):
        self._check_consistent()
        syn0 = self.wv.vectors
        if not (isinstance(syn0, np.ndarray) and syn0.dtype == np.float32 and syn0.flags.c_contiguous
                and syn0.shape == (len(self.vocabulary), self.vector_size)):
            raise ValueError("model.wv.vectors was replaced by an array of another shape, dtype or layout; "
                             f"training needs C-contiguous float32 of shape ({len(self.vocabulary)}, {self.vector_size})")
        for name, mat in (("wv.vectors", syn0), ("syn1neg", self.syn1neg), ("syn1", self.syn1)):
            if mat is not None and not mat.flags.writeable:
                raise ValueError(f"{name} is read-only (a model loaded with mmap='r'?): load it with mmap=None "
                                 "to train it further")
        v = self.vocabulary
        return KernelModel(
            syn0, self.syn1neg, self.syn1, self._keep_threshold,
            self._alias_threshold if self.negative else None, self._alias_index if self.negative else None,
            v.codes if self.hs else None, v.points if self.hs else None, v.code_offsets if self.hs else None,
            sg=self.sg, hs=self.hs, negative=self.negative, cbow_mean=self.cbow_mean, window=self.window,
            shrink_windows=self.shrink_windows, compute_loss=compute_loss,
            shared_negatives=self.shared_negatives and self.sg == 1)

    def _private_rows(self):
        """(syn0/syn1neg rows, syn1 rows) each worker keeps privately: none for a single worker, whose rows no
        other thread writes, and no word rows when the vocabulary is not sorted by frequency (the first rows
        are then not the busiest)."""
        if self.workers < 2 or self.private_rows == 0:
            return 0, 0
        if self.private_rows is None and self.workers > DEFAULT_PRIVATE_MAX_WORKERS:
            return 0, 0
        rows = PRIVATE_ROWS if self.private_rows is None else self.private_rows
        # Skip-gram with hierarchical softmax alone keeps its word rows shared: there the Huffman nodes take
        # nearly all the contended writes (two threads: 2.00 M words/s with private nodes only, 2.03 with
        # private word rows too, 0.38 with neither), and private copies of both sides of the hottest
        # products, the frequent words' rows and the nodes nearest the root, cost about a point of analogy
        # (2 threads, 5 epochs, seeds 1-4: 0.218 against 0.226 with private nodes only, 0.228 with shared
        # rows). CBOW-HS keeps both: its word rows are worth 5-10% of its two-thread speed.
        words = rows if self.sorted_vocab and not (self.sg and self.hs and not self.negative) else 0
        return words, rows

    def _sync_words(self, rows, words_per_epoch):
        """Kept words between two merges of a worker's private rows. A merge reads and writes every private row
        a few times, so it waits for enough words to pay for that; but the other threads see a worker's
        changes to those rows only at its merges, and on a small corpus many updates between merges would
        add up to steps no single thread took, so it also comes at least SYNC_SHARE_OF_EPOCH times an epoch."""
        rows = min(rows, len(self.vocabulary))
        cost_bound = max(1024, SYNC_WORDS_PER_ROW * rows)
        staleness_bound = max(100, words_per_epoch // (SYNC_SHARE_OF_EPOCH * self.workers))
        return min(cost_bound, staleness_bound)

    def _workers(self, kernel_model, words_per_epoch):
        workers = []
        rows, hs_rows = self._private_rows()
        sync = self._sync_words(max(rows, hs_rows), words_per_epoch)
        for i in range(self.workers):
            # past two workers, each adds 2/workers of its move of the private rows at a merge: adding them in
            # full overshoots and diverges (see w2v_hot_merge in _vecmath.h)
            w = KernelWorker(kernel_model, self.seed, i, self.max_sentence_length, private_rows=rows,
                             private_hs_rows=hs_rows, sync_words=sync, merge_scale=min(1.0, 2.0 / self.workers))
            if self._rng_states is not None and i < len(self._rng_states):
                w.rng_state = self._rng_states[i]
            workers.append(w)
        return workers

    def train(self, corpus_iterable=None, corpus_file=None, total_examples=None, total_words=None, epochs=None,
              start_alpha=None, end_alpha=None, word_count=0, queue_factor=2, report_delay=1.0,
              compute_loss=False, callbacks=(), **kwargs):
        """Train for `epochs` passes; the learning rate falls linearly from start_alpha to end_alpha."""
        if self.vocabulary is None or len(self.vocabulary) == 0:
            raise RuntimeError("train() needs a vocabulary: call build_vocab() first (or pass the corpus to "
                               "Word2Vec(...))")
        self._check_sources(corpus_iterable, corpus_file)
        if epochs is None:
            raise ValueError("train() needs an explicit epochs count (usually model.epochs)")
        epochs = int(epochs)
        _require(epochs >= 1, f"epochs must be at least 1, got {epochs}")
        self._gensim_train_settings(epochs, start_alpha, end_alpha)
        total_words = int(total_words) if total_words else None
        total_examples = int(total_examples) if total_examples else None
        if corpus_file is not None:
            if not total_words:
                raise ValueError("train(corpus_file=...) needs total_words (usually model.corpus_total_words) "
                                 "to schedule the learning rate")
        elif total_examples is None and total_words is None:
            raise ValueError("train() needs total_examples (model.corpus_count) or total_words "
                             "(model.corpus_total_words) to schedule the learning rate")
        start_alpha = self.alpha if start_alpha is None else float(start_alpha)
        end_alpha = self.min_alpha if end_alpha is None else float(end_alpha)
        _require(0 < start_alpha < np.inf, f"start_alpha must be a positive finite number, got {start_alpha}")
        _require(0 <= end_alpha < np.inf, f"end_alpha must be a finite number >= 0, got {end_alpha}")
        self.compute_loss = bool(compute_loss)  # as in gensim: each train() call says whether to track loss
        callbacks = tuple(callbacks)

        if self.corpus_count and total_examples == self.corpus_count and corpus_file is None:
            words_per_epoch = self.corpus_total_words
        elif total_words:
            words_per_epoch = total_words
        else:  # only a sentence count: estimate words from the average sentence length seen by build_vocab
            avg = self.corpus_total_words / max(self.corpus_count, 1)
            words_per_epoch = max(1, int(round(int(total_examples) * avg)))
        stop = StopFlag()

        kernel_model = self._kernel_model(self.compute_loss)
        workers = self._workers(kernel_model, words_per_epoch)
        schedule = make_schedule(self.alpha_schedule, start_alpha, end_alpha, words_per_epoch, epochs, len(workers))
        self.running_training_loss = 0.0
        self.epoch_losses = []
        progress = Progress(words_per_epoch * epochs, self.progress)
        call_hook(callbacks, "on_train_begin", self)
        t_start = time.perf_counter()
        raw_total = eff_total = 0
        try:
            for epoch in range(epochs):
                call_hook(callbacks, "on_epoch_begin", self)
                for w in workers:
                    w.loss = 0.0
                    w.examples = 0
                t0 = time.perf_counter()
                rates = schedule.rates_for_epoch(epoch)
                if corpus_file is not None:
                    raw, eff = self._train_epoch_file(corpus_file, workers, rates, schedule, stop, progress, epoch,
                                                      epochs, report_delay)
                else:
                    raw, eff = self._train_epoch_iterable(self._phrased(corpus_iterable), workers, rates, schedule,
                                                          stop, progress, epoch, epochs, queue_factor)
                elapsed = time.perf_counter() - t0
                raw_total += raw
                eff_total += eff
                epoch_loss = sum(w.loss for w in workers)
                self.running_training_loss += epoch_loss
                self.epoch_losses.append(epoch_loss)
                self.min_alpha_yet_reached = schedule.alpha
                self.wv.invalidate_norms()
                self._check_finite(epoch, start_alpha)
                if raw != words_per_epoch and epoch == 0:
                    logger.warning("epoch 0 read %d raw words but the learning-rate schedule expected %d per epoch "
                                   "(from total_examples/total_words): alpha will %s", raw, words_per_epoch,
                                   "reach min_alpha early" if raw > words_per_epoch else "end above min_alpha")
                logger.info("EPOCH %d: training on %d raw words (%d effective words) took %.1fs, %.0f effective "
                            "words/s%s", epoch, raw, eff, elapsed, eff / max(elapsed, 1e-9),
                            f", loss {epoch_loss:.1f}" if self.compute_loss else "")
                call_hook(callbacks, "on_epoch_end", self)
        finally:
            progress.close()
            self._rng_states = [w.rng_state for w in workers]
            self.wv.invalidate_norms()
        elapsed = time.perf_counter() - t_start
        self.total_train_time += elapsed
        self.train_count += 1
        self.last_train_stats = {"raw_words": raw_total, "effective_words": eff_total, "seconds": elapsed}
        logger.info("training on %d raw words (%d effective words) took %.1fs, %.0f effective words/s",
                    raw_total, eff_total, elapsed, eff_total / max(elapsed, 1e-9))
        call_hook(callbacks, "on_train_end", self)
        return eff_total, raw_total

    def _check_finite(self, epoch, start_alpha):
        for name, mat in (("input vectors", self.wv.vectors), ("syn1neg", self.syn1neg), ("syn1", self.syn1)):
            if mat is not None and not np.isfinite(mat).all():
                raise FloatingPointError(f"training diverged in epoch {epoch}: {name} hold NaN or infinite values "
                                         f"(alpha={start_alpha} too large, or non-finite vectors to begin with)")

    def _token_table_for_training(self):
        if self._token_table is None:
            self._token_table = TokenTable(self.vocabulary.index_to_key)
        return self._token_table

    def _phrased(self, corpus_iterable):
        return corpus_iterable if self.phrases is None else self.phrases[corpus_iterable]

    def _train_epoch_file(self, path, workers, rates, schedule, stop, progress, epoch, epochs, report_delay):
        table = self._token_table_for_training()
        # Several byte ranges per thread, claimed as threads come free, so no thread idles at the end of an
        # epoch while another finishes a long range. One worker reads the file as one range, in order.
        # The per-worker schedule is gensim's corpus_file design: thread i owns the i-th contiguous share of
        # the file, and its alpha follows its progress through that share.
        n = len(workers)
        # with phrases, no phrase may straddle two ranges: the file is cut at line starts
        ranges = file_ranges if self.phrases is None else line_ranges
        if self.alpha_schedule == "per-worker":
            sources = [iter([r]) for r in ranges(path, n)]   # thread i: range i, nothing else
        else:
            sources = [iter(ranges(path, 1 if n == 1 else RANGES_PER_WORKER * n))] * n
        claim = threading.Lock()
        results = [[0, 0] for _ in workers]

        phrase_table = None if self.phrases is None else self.phrases._table()

        def work(i):
            while not stop.is_set:
                with claim:
                    r = next(sources[i], None)
                if r is None:
                    return
                raw, eff = train_file_range(workers[i], table, rates[i], path, r[0], r[1],
                                            self.max_sentence_length, self.batch_words, stop, phrase_table)
                results[i][0] += raw
                results[i][1] += eff

        # run_threads: Ctrl-C or an error anywhere sets `stop` (the C loops end after their current batch)
        # and returns only once every thread has ended
        run_threads(work, n, stop.set, report_every=min(report_delay, 0.5),
                    report=lambda: progress.update(schedule.done, epoch, epochs, schedule.alpha))
        return sum(r[0] for r in results), sum(r[1] for r in results)

    def _train_epoch_iterable(self, sentences, workers, rates, schedule, stop, progress, epoch, epochs,
                              queue_factor):
        # C lookups (twice as fast as the key_to_index dict) into batches the training threads take from a C
        # queue: they never return to Python, so they never wait for the GIL this thread holds while reading
        jobs = SentenceQueue(max(2, queue_factor * len(workers)) + len(workers), self._token_table_for_training(),
                             self.max_sentence_length)
        effective = [0] * len(workers)
        raw_words = 0

        def work(i):
            effective[i] = train_queue(workers[i], jobs, rates[i], stop)

        def cancel():  # the threads drop what is queued and return; the reader stops waiting for a batch
            stop.set()
            jobs.close()

        def feed():
            nonlocal raw_words
            it = iter(sentences)
            exhausted = False
            while not exhausted and not stop.is_set:
                raw, exhausted = jobs.put_from(it, self.batch_words)
                raw_words += raw
                progress.update(schedule.done, epoch, epochs, schedule.alpha)

        run_threads(work, len(workers), cancel, feed=feed, close=jobs.close)
        progress.update(schedule.done, epoch, epochs, schedule.alpha)
        return raw_words, sum(effective)

    def get_latest_training_loss(self):
        """Summed training loss of the latest train() call (needs compute_loss=True).

        The sum of -log sigma(+-dot) over every prediction the kernels made (each positive, negative and
        Huffman-node term), all epochs of the call: gensim's per-term definition. gensim reports less on the
        same run (1.2-10x in the README's measurements): it adds each term in float32 to a copy of the running
        total, so large totals swallow small terms; with workers > 1 its jobs overwrite each other's totals;
        and it leaves out terms with |dot| >= 6 (see the README's "Training loss"). This sum is in float64 and
        does not depend on the number of threads.
        """
        return self.running_training_loss

    # ------------------------------------------------------------------------------- output vectors
    @property
    def wv_out(self):
        """The output vectors (syn1neg rows) as KeyedVectors with the same keys as `wv`."""
        if self.syn1neg is None:
            raise ValueError("this model has no per-word output vectors: it was trained with hierarchical softmax "
                             "only (negative=0), whose output rows (syn1) belong to Huffman-tree nodes, not words. "
                             "Train with negative > 0 to get them")
        return KeyedVectors.from_arrays(self.vocabulary.index_to_key, self.syn1neg, counts=self.vocabulary.counts)

    def in_out_similarity(self, w1, w2):
        """Cosine between w1's input vector and w2's output vector (dual embedding space relatedness)."""
        from .dual import in_out_similarity
        return in_out_similarity(self.wv, self.wv_out, w1, w2)

    def dual_embedding_score(self, query_words, document_words, mode="in-out"):
        """Relatedness of a document to a query in the dual embedding space (Mitra et al., 2016)."""
        from .dual import dual_embedding_score
        return dual_embedding_score(self.wv, self.wv_out, query_words, document_words, mode=mode)

    # --------------------------------------------------------------------------------- persistence
    def save(self, path):
        """Save the whole model (vocabulary, counts, both matrices, settings, RNG state) atomically."""
        from .persist import save_model
        save_model(self, path)

    @classmethod
    def load(cls, path, mmap=None, verify=True, allow_pickle=False):
        """Load a model written by save(), checking the file as if it were hostile (FormatError if refused).

        mmap="r" maps the matrices read-only instead of reading them, mmap="c" copy-on-write. With a map,
        verify=True still reads each matrix once to check its CRC and that it is finite; verify=False skips
        that pass (for huge files whose integrity you trust; shapes, dtypes and sizes are still checked).

        allow_pickle=True also reads a model file gensim saved, through gensim (which must be installed), and
        converts it with from_gensim(). gensim's files are Python pickles, which can run arbitrary code while
        loading, so they are refused unless you ask: only pass allow_pickle=True for files you trust.
        """
        import zipfile
        from .persist import load_model
        if allow_pickle and os.path.isfile(path) and not zipfile.is_zipfile(path):
            from .kvpersist import load_gensim_file
            return cls.from_gensim(load_gensim_file(os.fspath(path), "Word2Vec", mmap))
        try:
            return load_model(cls, path, mmap=mmap, verify=verify)
        except FormatError:
            from .kvpersist import refuse_pickle
            refuse_pickle(path, "Word2Vec")  # a clearer message for a gensim file
            raise

    def to_gensim(self):
        """A gensim Word2Vec with the same vocabulary, counts, weights and settings (needs gensim)."""
        from .interop import model_to_gensim
        return model_to_gensim(self)

    @classmethod
    def from_gensim(cls, gensim_model):
        """A w2vfast Word2Vec from a trained gensim Word2Vec."""
        from .interop import model_from_gensim
        return model_from_gensim(cls, gensim_model)

    def __str__(self):
        n = len(self.vocabulary) if self.vocabulary is not None else 0
        return f"Word2Vec<vocab={n}, vector_size={self.vector_size}, alpha={self.alpha}>"

    __repr__ = __str__
