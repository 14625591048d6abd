"""gensim's own Word2Vec class, trained by w2vfast's scanner and kernels (needs gensim).

    from w2vfast.gensim import Word2Vec      # instead of: from gensim.models import Word2Vec

`Word2Vec` here subclasses `gensim.models.Word2Vec`, so isinstance checks, every gensim method, `save()` /
`load()` files and pickling are gensim's own. Only two steps are replaced:

- `build_vocab(corpus_file=...)` counts the file with w2vfast's C scanner (an iterable corpus is counted by
  gensim as before);
- `train()` runs w2vfast's threaded driver and nogil kernels directly on the gensim object's arrays
  (`wv.vectors`, `syn1neg`, `syn1`, the counts and the Huffman codes/points): nothing is copied, and gensim's
  bookkeeping (epochs, train_count, total_train_time, min_alpha_yet_reached, running_training_loss) is
  updated as gensim's own train() would.

What differs from gensim's training: the random streams (initial vectors are gensim's; negatives and
subsampling draws are w2vfast's), the learning-rate schedule of corpus_file mode (one global schedule, as in
iterable mode, unless alpha_schedule="per-worker"), and the loss, which is w2vfast's (see
`w2vfast.Word2Vec.get_latest_training_loss`). A model whose `wv.vectors_lockf` freezes some words (gensim's
`intersect_word2vec_format(lockf=0.0)`) is trained by gensim's own kernels, which support locks; a warning
says so.
"""
from collections import defaultdict
import logging
import time

import numpy as np

try:
    from gensim.models import word2vec as _gensim_word2vec
except ImportError:  # pragma: no cover - exercised only without gensim
    raise ImportError("w2vfast.gensim needs gensim: pip install 'w2vfast[gensim]' (or pip install gensim); "
                      "without gensim use w2vfast.Word2Vec") from None

from . import model as _engine_model
from ._corpus import scan_file
from .keyedvectors import KeyedVectors as _EngineVectors
from .vocab import Vocabulary

__all__ = ["Word2Vec"]

logger = logging.getLogger(__name__)

# Settings copied from the gensim object to the engine before every train() call.
_SETTINGS = ("sg", "hs", "negative", "window", "cbow_mean", "shrink_windows", "batch_words", "workers",
             "sample", "ns_exponent", "seed")
# Settings whose change invalidates the engine's sampling tables.
_TABLE_SETTINGS = ("sample", "ns_exponent", "hs", "negative")


class _Relay:
    """Forwards the engine's callback events to a user callback with the gensim object as the model, after
    mirroring the engine's running loss and alpha into it (callbacks often read get_latest_training_loss())."""

    def __init__(self, callbacks, face, engine):
        self.callbacks, self.face, self.engine = callbacks, face, engine

    def _sync(self):
        self.face.running_training_loss = self.engine.running_training_loss
        self.face.min_alpha_yet_reached = self.engine.min_alpha_yet_reached
        self.face.wv.norms = None  # the vectors moved: a callback's similarity query must see them as they are

    def on_epoch_begin(self, _engine):
        for cb in self.callbacks:
            cb.on_epoch_begin(self.face)

    def on_epoch_end(self, _engine):
        self._sync()
        for cb in self.callbacks:
            cb.on_epoch_end(self.face)


class Word2Vec(_gensim_word2vec.Word2Vec):
    """gensim.models.Word2Vec with w2vfast's corpus scanner and training kernels.

    Takes gensim's parameters (same names, order and defaults), plus w2vfast's keyword-only options
    max_sentence_length, shared_negatives, progress, alpha_schedule and private_rows (see w2vfast.Word2Vec).
    Saved files are gensim pickles of this class: gensim loads them where w2vfast is installed; for a machine
    without w2vfast save `model.as_plain_gensim()` instead.
    """

    def __init__(self, *args, max_sentence_length=10000, shared_negatives=False, progress=None,
                 alpha_schedule="global", private_rows=None, **kwargs):
        # Set before gensim's __init__, which may build the vocabulary and train right away.
        self.private_rows = private_rows
        self.max_sentence_length = int(max_sentence_length)
        self.shared_negatives = bool(shared_negatives)
        self.progress = progress
        self.alpha_schedule = alpha_schedule
        self._engine = None
        self._engine_key = None
        super().__init__(*args, **kwargs)

    # ------------------------------------------------------------------------------------ vocabulary
    def scan_vocab(self, corpus_iterable=None, corpus_file=None, progress_per=10000, workers=None, trim_rule=None):
        """Count the corpus into self.raw_vocab; a corpus_file is counted by w2vfast's C scanner."""
        if corpus_file is None:
            return super().scan_vocab(corpus_iterable=corpus_iterable, progress_per=progress_per,
                                      workers=workers, trim_rule=trim_rule)
        t0 = time.perf_counter()
        scan = scan_file(corpus_file, max_vocab_size=self.max_vocab_size, workers=workers or self.workers,
                         max_sentence_length=self.max_sentence_length)
        self.raw_vocab = defaultdict(int, zip(scan.keys, scan.counts.tolist()))
        logger.info("collected %d word types from a corpus of %d raw words and %d sentences in %.2fs",
                    len(self.raw_vocab), scan.total_words, scan.total_sentences, time.perf_counter() - t0)
        return scan.total_words, scan.total_sentences

    def prepare_weights(self, update=False):
        """gensim's prepare_weights(), then the engine's tables, so that (as with w2vfast.Word2Vec) the
        per-vocabulary setup is part of build_vocab() rather than of the first train()."""
        super().prepare_weights(update=update)
        if len(self.wv) and not self._locked():
            try:
                self._engine_for_training()
            except ValueError:  # settings gensim only rejects at train(): let train() report them
                self._engine = None

    # -------------------------------------------------------------------------------------- training
    def _engine_for_training(self):
        """A w2vfast Word2Vec whose vocabulary and matrices are views of this object's own arrays.

        Built once per vocabulary (and kept while the arrays and the table settings stay the same): the
        vocabulary object, the sampling tables, the flattened Huffman tree and the C token table.
        """
        wv = self.wv
        arrays = (wv.vectors, getattr(self, "syn1neg", None) if self.negative else None,
                  getattr(self, "syn1", None) if self.hs else None)
        key = tuple(id(a) for a in arrays) + (len(wv.index_to_key), id(wv.index_to_key)) + \
            tuple(getattr(self, s) for s in _TABLE_SETTINGS)
        if self._engine is not None and self._engine_key == key:
            engine = self._engine
        else:
            for name, mat in zip(("wv.vectors", "syn1neg", "syn1"), arrays):
                if mat is not None and not (mat.dtype == np.float32 and mat.flags.c_contiguous
                                            and mat.shape == (len(wv.index_to_key), self.vector_size)):
                    raise ValueError(f"{name} must be C-contiguous float32 of shape "
                                     f"({len(wv.index_to_key)}, {self.vector_size}) to be trained, got "
                                     f"{mat.dtype} {mat.shape}")
            engine = _engine_model.Word2Vec(
                vector_size=self.vector_size, alpha=self.alpha, min_alpha=self.min_alpha,
                **{s: getattr(self, s) for s in _SETTINGS}, max_sentence_length=self.max_sentence_length,
                shared_negatives=self.shared_negatives, progress=self.progress, alpha_schedule=self.alpha_schedule,
                private_rows=self.private_rows)
            engine._quiet_checks = True  # gensim's own checks warn; gensim's wv has its own Huffman attributes
            engine.vocabulary = _shared_vocabulary(wv)
            engine.wv = _EngineVectors.from_arrays(engine.vocabulary.index_to_key, arrays[0],
                                                   key_to_index=engine.vocabulary.key_to_index)
            engine.syn1neg, engine.syn1 = arrays[1], arrays[2]
            if self.hs:
                engine.vocabulary.set_huffman(*_flat_huffman(wv))
            engine._rebuild_tables()
            self._engine, self._engine_key = engine, key
        for s in _SETTINGS:
            setattr(engine, s, getattr(self, s))
        engine.max_sentence_length, engine.progress = self.max_sentence_length, self.progress
        engine.shared_negatives, engine.alpha_schedule = self.shared_negatives, self.alpha_schedule
        engine.private_rows = None if self.private_rows is None else int(self.private_rows)
        engine.corpus_count, engine.corpus_total_words = self.corpus_count, self.corpus_total_words
        engine.min_alpha_yet_reached = self.min_alpha_yet_reached
        engine._validate()
        return engine

    def _locked(self):
        lockf = getattr(self.wv, "vectors_lockf", None)
        return lockf is not None and np.size(lockf) > 0 and not np.all(np.asarray(lockf) == 1.0)

    def train(self, corpus_iterable=None, corpus_file=None, total_examples=None, total_words=None, epochs=None,
              start_alpha=None, end_alpha=None, word_count=0, queue_factor=2, report_delay=1.0,
              compute_loss=False, callbacks=(), **kwargs):
        """gensim's train(), run by w2vfast's driver and kernels on this model's arrays."""
        if self._locked():
            logger.warning("wv.vectors_lockf freezes some vectors, which w2vfast's kernels do not support: "
                           "training with gensim's own kernels")
            return super().train(corpus_iterable=corpus_iterable, corpus_file=corpus_file,
                                 total_examples=total_examples, total_words=total_words, epochs=epochs,
                                 start_alpha=start_alpha, end_alpha=end_alpha, word_count=word_count,
                                 queue_factor=queue_factor, report_delay=report_delay, compute_loss=compute_loss,
                                 callbacks=callbacks, **kwargs)
        # gensim's own order: the settings change first, then the checks (which warn on a rising alpha)
        self.alpha = start_alpha or self.alpha
        self.min_alpha = end_alpha or self.min_alpha
        self.epochs = epochs
        self._check_training_sanity(epochs=epochs, total_examples=total_examples, total_words=total_words)
        self._check_corpus_sanity(corpus_iterable=corpus_iterable, corpus_file=corpus_file, passes=epochs)
        self.add_lifecycle_event("train", msg=f"training with w2vfast on {len(self.wv)} words, "
                                              f"{self.workers} workers, sg={self.sg} hs={self.hs} "
                                              f"negative={self.negative} window={self.window}")
        self.compute_loss = compute_loss
        self.running_training_loss = 0.0
        engine = self._engine_for_training()
        callbacks = tuple(callbacks)
        for cb in callbacks:
            cb.on_train_begin(self)
        t0 = time.perf_counter()
        try:
            trained, raw = engine.train(
                corpus_iterable=corpus_iterable, corpus_file=corpus_file, total_examples=total_examples,
                total_words=total_words, epochs=epochs, start_alpha=self.alpha, end_alpha=self.min_alpha,
                queue_factor=queue_factor, report_delay=report_delay, compute_loss=compute_loss,
                callbacks=(_Relay(callbacks, self, engine),))
        finally:
            self.total_train_time += time.perf_counter() - t0
            self.running_training_loss = engine.running_training_loss
            self.min_alpha_yet_reached = engine.min_alpha_yet_reached
            self._clear_post_train()
        self.train_count += 1
        for cb in callbacks:
            cb.on_train_end(self)
        return trained, raw

    # ---------------------------------------------------------------------------------- persistence
    def __getstate__(self):
        # the engine holds a C token table and views of arrays pickled anyway: rebuilt on the next train()
        state = super().__getstate__() if hasattr(super(), "__getstate__") else self.__dict__.copy()
        state = dict(state)
        state["_engine"] = None
        state["_engine_key"] = None
        return state

    def _save_specials(self, fname, separately, sep_limit, ignore, pickle_protocol, compress, subname):
        # gensim's save() pickles everything but `ignore`; the engine is rebuilt after loading
        ignore = set(ignore) | {"_engine"}
        return super()._save_specials(fname, separately, sep_limit, ignore, pickle_protocol, compress, subname)

    @classmethod
    def load(cls, *args, **kwargs):
        """gensim's load(); a model saved by plain gensim comes back as this class, so that existing gensim
        model files train on with w2vfast after the one-import change."""
        model = _gensim_word2vec.Word2Vec.load(*args, **kwargs)
        if not isinstance(model, cls):
            model.__class__ = cls  # a subclass that only adds attributes: the object needs nothing else
        for name, default in (("max_sentence_length", 10000), ("shared_negatives", False), ("progress", None),
                              ("alpha_schedule", "global"), ("private_rows", None), ("_engine", None),
                              ("_engine_key", None)):
            model.__dict__.setdefault(name, default)
        return model

    def as_plain_gensim(self):
        """The same model as a plain gensim.models.Word2Vec (shared arrays), to save for machines without
        w2vfast: its save() file names gensim's class only."""
        plain = _gensim_word2vec.Word2Vec.__new__(_gensim_word2vec.Word2Vec)
        plain.__dict__.update({k: v for k, v in self.__dict__.items()
                               if k not in ("_engine", "_engine_key", "max_sentence_length", "shared_negatives",
                                            "progress", "alpha_schedule", "private_rows")})
        return plain

    def __str__(self):
        return super().__str__().replace("Word2Vec<", "Word2Vec<w2vfast, ", 1)


def _shared_vocabulary(wv):
    """A w2vfast Vocabulary over gensim's own key list and key->row dict (not copied)."""
    n = len(wv.index_to_key)
    if len(wv.key_to_index) != n:
        raise ValueError(f"wv has {n} keys in index_to_key but {len(wv.key_to_index)} in key_to_index")
    vocabulary = Vocabulary.__new__(Vocabulary)
    vocabulary.index_to_key = wv.index_to_key
    vocabulary.key_to_index = wv.key_to_index
    vocabulary.counts = np.asarray(wv.expandos["count"][:n], dtype=np.int64)
    vocabulary.codes = vocabulary.points = vocabulary.code_offsets = None
    return vocabulary


def _flat_huffman(wv):
    """gensim's per-word Huffman "code"/"point" arrays as w2vfast's flat codes, points and offsets."""
    n = len(wv.index_to_key)
    codes = wv.expandos["code"][:n]
    points = wv.expandos["point"][:n]
    lengths = np.fromiter((len(c) for c in codes), dtype=np.int64, count=n)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    flat_codes = np.concatenate(list(codes)).astype(np.uint8) if n else np.zeros(0, np.uint8)
    flat_points = np.concatenate(list(points)).astype(np.int32) if n else np.zeros(0, np.int32)
    if len(flat_points) and (flat_points.min() < 0 or flat_points.max() >= max(n - 1, 1)):
        raise ValueError("the model's Huffman points index rows outside syn1: rebuild the vocabulary")
    return flat_codes, flat_points, offsets
