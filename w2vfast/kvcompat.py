"""The rest of gensim 4's KeyedVectors API: persistence, Word Mover's Distance, vocabulary intersection,
relative cosine similarity, deprecated aliases, and gensim's explanatory errors for 3.x attribute names.

A mixin of w2vfast.KeyedVectors (which holds the core: keys, vectors, norms and similarity queries).
"""
import logging
import warnings

import numpy as np

from .errors import MissingDependency

logger = logging.getLogger(__name__)

_MIGRATION = " (see gensim's 'Migrating from Gensim 3.x to 4' notes)"


def _removed(name, advice):
    def getter(self):
        raise AttributeError(f"The {name} attribute was removed in gensim 4.0.0 and is not in w2vfast: "
                             f"{advice}{_MIGRATION}")
    return property(getter)


class KeyedVectorsCompat:
    """gensim 4 KeyedVectors methods beyond the core."""

    # gensim 3.x names: the same explanations gensim 4 gives, instead of a bare AttributeError
    vocab = _removed("vocab", "use .key_to_index (dict), .index_to_key (list) and .get_vecattr(key, attr) / "
                              ".set_vecattr(key, attr, value)")
    index2word = _removed("index2word", "use .index_to_key")
    index2entity = _removed("index2entity", "use .index_to_key")
    vectors_norm = _removed("vectors_norm", "norms are computed on demand: use .get_normed_vectors()")
    syn0 = _removed("syn0", "use .vectors")
    syn0norm = _removed("syn0norm", "use .get_normed_vectors()")

    # ------------------------------------------------------------------------------------ persistence
    def save(self, fname):
        """Save keys, vectors and per-key attributes in w2vfast's open layout (a ZIP of JSON and .npy files,
        no pickle), atomically. Read it back with KeyedVectors.load(fname), optionally with mmap="r"."""
        from .kvpersist import save_keyedvectors
        save_keyedvectors(self, fname)

    @classmethod
    def load(cls, fname, mmap=None, verify=True, allow_pickle=False):
        """Load a file written by save(), checking it as a hostile file (FormatError for anything refused).

        mmap="r" maps the vectors read-only instead of reading them ("c": copy-on-write); verify=False skips
        the CRC pass over a mapped matrix. allow_pickle=True also reads a file gensim saved (KeyedVectors, or a
        whole Word2Vec model, whose .wv is taken) through gensim, which must be installed. gensim's files are
        Python pickles, which can run arbitrary code while loading: they are refused unless you ask, and you
        should only ask for files you trust.
        """
        from .kvpersist import load_keyedvectors
        return load_keyedvectors(cls, fname, mmap=mmap, verify=verify, allow_pickle=allow_pickle)

    def add_lifecycle_event(self, event_name, log_level=logging.INFO, **event):
        """Record an event in self.lifecycle_events (as gensim does) and log it."""
        event = dict(event, event=event_name)
        self.__dict__.setdefault("lifecycle_events", []).append(event)
        if log_level:
            logger.log(log_level, "%s lifecycle event %s", type(self).__name__, event)

    # -------------------------------------------------------------------------------- deprecated aliases
    def word_vec(self, *args, **kwargs):
        """Deprecated gensim alias of get_vector()."""
        warnings.warn("word_vec() is deprecated: use get_vector()", DeprecationWarning, stacklevel=2)
        return self.get_vector(*args, **kwargs)

    def words_closer_than(self, word1, word2):
        """Deprecated gensim alias of closer_than()."""
        return self.closer_than(word1, word2)

    def init_sims(self, replace=False):
        """Deprecated in gensim 4: norms are computed on demand. replace=True unit-normalises in place."""
        warnings.warn("init_sims() is obsolete: norms are computed on demand (use get_vector(key, norm=True) "
                      "or get_normed_vectors())", DeprecationWarning, stacklevel=2)
        if replace:
            self.unit_normalize_all()
        else:
            self.fill_norms()

    def similarity_unseen_docs(self, *args, **kwargs):
        raise NotImplementedError("similarity_unseen_docs() is for Doc2Vec models (gensim raises this too)")

    def log_accuracy(self, section):
        """Log one section's accuracy from evaluate_word_analogies() output (as gensim's does)."""
        correct, incorrect = len(section["correct"]), len(section["incorrect"])
        if correct + incorrect > 0:
            score = correct / (correct + incorrect)
            logger.info("%s: %.1f%% (%i/%i)", section["section"], 100.0 * score, correct, correct + incorrect)
            return score

    @staticmethod
    def log_evaluate_word_pairs(pearson, spearman, oov, pairs):
        """Log the result of evaluate_word_pairs() (as gensim's does)."""
        logger.info("Pearson correlation coefficient against %s: %.4f", pairs, pearson[0])
        logger.info("Spearman rank-order correlation coefficient against %s: %.4f", pairs, spearman[0])
        logger.info("Pairs with unknown words ratio: %.1f%%", oov)

    # -------------------------------------------------------------------------------------- queries
    def relative_cosine_similarity(self, wa, wb, topn=10):
        """Relative cosine similarity (Leeuwenberg et al. 2016): similarity(wa, wb) over the sum of wa's
        topn nearest neighbours' similarities."""
        sims = self.similar_by_word(wa, topn=topn)
        if not sims:
            raise ValueError(f"{wa!r} has no neighbours to compare with")
        return float(self.similarity(wa, wb)) / sum(score for _, score in sims)

    def wmdistance(self, document1, document2, norm=True):
        """Word Mover's Distance between two token lists (needs POT: pip install POT).

        Unknown tokens are dropped (with a log line); an empty document gives inf, two identical ones 0.
        norm=True measures Euclidean distances between unit-normalised vectors.
        """
        try:
            import ot
        except ImportError:
            raise MissingDependency("wmdistance() needs the POT optimal-transport library: pip install POT") \
                from None
        len1, len2 = len(document1), len(document2)
        document1 = [t for t in document1 if t in self]
        document2 = [t for t in document2 if t in self]
        if len(document1) != len1 or len(document2) != len2:
            logger.info("removed %d and %d out-of-vocabulary words", len1 - len(document1), len2 - len(document2))
        if not document1 or not document2:
            logger.warning("at least one of the documents has no known word: WMD is infinite")
            return float("inf")
        vocab = sorted(set(document1) | set(document2), key=str)
        if len(vocab) == 1:
            return 0.0
        where = {k: i for i, k in enumerate(vocab)}
        vecs = np.stack([self.get_vector(k, norm=norm) for k in vocab]).astype(np.float64)
        dist = np.sqrt(np.maximum(((vecs[:, None, :] - vecs[None, :, :]) ** 2).sum(-1), 0.0))

        def nbow(doc):
            d = np.zeros(len(vocab))
            for t in doc:
                d[where[t]] += 1
            return d / d.sum()

        return float(ot.emd2(nbow(document1), nbow(document2), dist))

    def vectors_for_all(self, keys, allow_inference=True, copy_vecattrs=False):
        """A new KeyedVectors for those of `keys` that are known (word2vec cannot infer unknown keys), in the
        order given, duplicates dropped; copy_vecattrs also copies the per-key attributes."""
        seen, known = set(), []
        for k in keys:
            if k not in seen and k in self:
                seen.add(k)
                known.append(k)
        rows = self.indices(known)
        out = type(self).from_arrays(known, self.vectors[rows], copy=True)
        if copy_vecattrs:
            for attr, values in self.expandos.items():
                out.expandos[attr] = np.asarray(values)[rows].copy()
        return out

    def intersect_word2vec_format(self, fname, lockf=0.0, binary=False, encoding="utf8", unicode_errors="strict"):
        """Overwrite the vectors of keys that also appear in a word2vec-format file; other keys are kept.

        gensim also records `lockf` per imported word so that later training leaves those words alone
        (lockf=0.0, its default, freezes them). w2vfast's kernels have no per-word locks, so the values are
        kept in `vectors_lockf` and w2vfast.Word2Vec.train() refuses a model whose locks are not all 1.0
        (w2vfast.gensim.Word2Vec trains such a model with gensim's kernels).
        """
        other = type(self).load_word2vec_format(fname, binary=binary, encoding=encoding,
                                                unicode_errors=unicode_errors)
        if other.vector_size != self.vector_size:
            raise ValueError(f"{fname} has vectors of size {other.vector_size}, this model {self.vector_size}")
        common = [k for k in other.index_to_key if k in self.key_to_index]
        if common:
            mine = self.indices(common)
            self.vectors[mine] = other.vectors[other.indices(common)]
            lock = getattr(self, "vectors_lockf", None)
            if lock is None or np.size(lock) != len(self):
                lock = np.ones(len(self), dtype=np.float32)
            lock[mine] = lockf
            self.vectors_lockf = lock
            self.invalidate_norms()
        logger.info("merged %d vectors into %s matrix from %s", len(common), self.vectors.shape, fname)
        return len(common)
