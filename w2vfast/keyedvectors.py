"""KeyedVectors: a mapping from keys (words) to vectors with similarity queries, gensim 4.x compatible.

All queries are numpy matrix/vector products over the whole vocabulary; nothing loops over the vocabulary
in Python. Vector norms are cached and the cache is dropped whenever the vectors change through this class
(assignment, add_vectors, ...). Code that updates `vectors` in place (the trainer) calls invalidate_norms().
A zero vector has similarity 0 with everything (never NaN).
"""
import logging
from numbers import Integral

import numpy as np

from .kvcompat import KeyedVectorsCompat

logger = logging.getLogger(__name__)

__all__ = ["KeyedVectors"]

_KEY_TYPES = (str, int, np.integer)
_EXTENDED_KEY_TYPES = (str, int, np.integer, np.ndarray)


def _ensure_list(value):
    """Accept a single key or vector (or a 2-D array of vectors) wherever a list of them is expected."""
    if value is None:
        return []
    if isinstance(value, _KEY_TYPES):
        return [value]
    if isinstance(value, np.ndarray):
        if value.ndim == 1:
            return [value]
        if value.ndim == 2:
            return list(value)
    return list(value)


def _unitvec(vec):
    """vec scaled to unit length; a zero (or non-finite-norm) vector comes back unchanged."""
    vec = np.asarray(vec)
    norm = np.linalg.norm(vec)
    if norm > 0 and np.isfinite(norm):
        return vec / norm
    return vec


def _unit32(vec):
    """vec (float32) scaled to unit length in float32; the one normalisation behind similarity() and
    n_similarity(), so that n_similarity([a], [b]) == similarity(a, b) exactly. Zero vectors stay zero."""
    vec = np.asarray(vec, dtype=np.float32)
    norm = np.sqrt(np.dot(vec.astype(np.float64), vec.astype(np.float64)))
    if norm > 0 and np.isfinite(norm):
        return vec * np.float32(1.0 / norm)
    return vec


def _top_indices(scores, topn):
    """Indices of the topn largest scores, largest first."""
    n = scores.shape[0]
    if topn >= n:
        return np.argsort(-scores, kind="stable")
    part = np.argpartition(-scores, topn)[:topn]
    return part[np.argsort(-scores[part], kind="stable")]


class KeyedVectors(KeyedVectorsCompat):
    """Keys (`index_to_key`, `key_to_index`) and their vectors (`vectors`, one row per key).

    Parameters
    ----------
    vector_size : int
        Dimensionality of the vectors.
    count : int
        Rows to preallocate (filled later by add_vector), like gensim.
    dtype : numpy dtype
        Element type of the vectors.
    """

    def __init__(self, vector_size, count=0, dtype=np.float32):
        self.vector_size = int(vector_size)
        self.index_to_key = [None] * count
        self.next_index = 0
        self.key_to_index = {}
        self._vectors = np.zeros((count, self.vector_size), dtype=dtype)
        self._norms = None
        self._inv_norms = None
        self.expandos = {}

    # ---------------------------------------------------------------------------------------- construction

    @classmethod
    def from_arrays(cls, keys, vectors, counts=None, copy=False, key_to_index=None):
        """Build from a list of keys and a (len(keys), D) array.

        With copy=False the array is kept by reference, so in-place updates to it (by the trainer) show
        through; call invalidate_norms() after such updates. `counts` fills the "count" attribute.
        key_to_index: the {key: row} dict when the caller already has it (taken as is, saving a pass over
        the keys); it must map keys[i] to i.
        """
        vectors = np.array(vectors, copy=True) if copy else np.asarray(vectors)
        if vectors.ndim != 2:
            raise ValueError(f"vectors must be 2-D, got shape {vectors.shape}")
        if not isinstance(keys, list) or copy:
            keys = list(keys)
        if len(keys) != vectors.shape[0]:
            raise ValueError(f"{len(keys)} keys but {vectors.shape[0]} vectors")
        kv = cls(vectors.shape[1], 0, dtype=vectors.dtype)
        kv.index_to_key = keys
        if key_to_index is None or len(key_to_index) != len(keys):
            key_to_index = dict(zip(keys, range(len(keys))))
        kv.key_to_index = key_to_index
        if len(kv.key_to_index) != len(keys):
            seen = set()
            dup = next(k for k in keys if k in seen or seen.add(k))
            raise ValueError(f"duplicate key {dup!r}")
        kv.next_index = len(keys)
        kv._vectors = vectors
        if counts is not None:
            counts = np.asarray(counts)
            if counts.shape != (len(keys),):
                raise ValueError(f"counts must have one entry per key: shape {counts.shape} for {len(keys)} keys")
            kv.expandos["count"] = counts.astype(np.int64, copy=copy)
        return kv

    # --------------------------------------------------------------------------------- vectors and norms

    @property
    def vectors(self):
        return self._vectors

    @vectors.setter
    def vectors(self, value):
        self._vectors = value
        self.invalidate_norms()

    @property
    def norms(self):
        """L2 norm of every vector once fill_norms() ran (None before, like gensim)."""
        return self._norms

    @norms.setter
    def norms(self, value):
        self._norms = None if value is None else np.asarray(value)
        self._inv_norms = None

    def invalidate_norms(self):
        """Drop the cached norms; call after changing `vectors` in place."""
        self._norms = None
        self._inv_norms = None

    def fill_norms(self, force=False):
        """Compute (and cache) the norm of every vector."""
        if self._norms is None or force:
            self._norms = np.linalg.norm(self._vectors, axis=1)
            self._inv_norms = None
        return self._norms

    def _inverse_norms(self):
        """1/norm per vector, 0 for zero vectors (so normalising a zero vector gives zeros, never NaN)."""
        if self._inv_norms is None or self._norms is None:
            norms = self.fill_norms()
            inv = np.zeros_like(norms)
            np.divide(1.0, norms, out=inv, where=norms > 0)
            self._inv_norms = inv.astype(self._vectors.dtype, copy=False)
        return self._inv_norms

    def get_normed_vectors(self):
        """All vectors scaled to unit length (zero vectors stay zero), as a new array."""
        return self._vectors * self._inverse_norms()[:, None]

    def unit_normalize_all(self):
        """Scale every vector to unit length in place (destroys the original lengths)."""
        self._vectors *= self._inverse_norms()[:, None]
        self.fill_norms(force=True)

    # -------------------------------------------------------------------------------------- key access

    def __len__(self):
        return len(self.index_to_key)

    def __str__(self):
        return f"{self.__class__.__name__}<vector_size={self.vector_size}, {len(self)} keys>"

    __repr__ = __str__

    def __getstate__(self):
        # the norm caches are cheap to rebuild and as large as a column of the vectors: not pickled
        state = self.__dict__.copy()
        state["_norms"] = None
        state["_inv_norms"] = None
        return state

    def get_index(self, key, default=None):
        """Row of `key`; an int that is no key is taken as a row number; else `default` or KeyError."""
        val = self.key_to_index.get(key, -1)
        if val >= 0:
            return val
        if isinstance(key, (int, np.integer)) and not isinstance(key, bool) and 0 <= key < len(self.index_to_key):
            return int(key)
        if default is not None:
            return default
        raise KeyError(f"Key {key!r} not present")

    def has_index_for(self, key):
        return self.get_index(key, -1) >= 0

    def __contains__(self, key):
        return self.has_index_for(key)

    def get_vector(self, key, norm=False):
        """The key's vector (read-only view), unit-normalised when norm=True."""
        index = self.get_index(key)
        if norm:
            result = self._vectors[index] * self._inverse_norms()[index]
        else:
            result = self._vectors[index]
        result.setflags(write=False)
        return result

    def __getitem__(self, key_or_keys):
        if isinstance(key_or_keys, _KEY_TYPES):
            return self.get_vector(key_or_keys)
        indices = [self.get_index(k) for k in key_or_keys]
        return self._vectors[np.asarray(indices, dtype=np.intp)]

    def __setitem__(self, keys, weights):
        if not isinstance(keys, list):
            keys = [keys]
            weights = np.asarray(weights).reshape(1, -1)
        self.add_vectors(keys, weights, replace=True)

    def indices(self, keys):
        """Rows of many keys at once (KeyError names the first missing one)."""
        return np.fromiter((self.get_index(k) for k in keys), dtype=np.intp)

    # --------------------------------------------------------------------------------- per-key attributes

    def allocate_vecattrs(self, attrs=None, types=None):
        """Make sure attribute arrays exist for `attrs` and have one entry per key."""
        if attrs is None:
            attrs = list(self.expandos)
            types = [self.expandos[a].dtype for a in attrs]
        target = len(self.index_to_key)
        for attr, t in zip(attrs, types):
            if t is int or t is bool:
                t = np.int64
            elif t is float:
                t = np.float64
            elif t is str:
                t = object
            if attr not in self.expandos:
                self.expandos[attr] = np.zeros(target, dtype=t)
                continue
            prev = self.expandos[attr]
            if not np.can_cast(np.dtype(t), prev.dtype, casting="same_kind"):
                raise TypeError(f"can't store {t} values in attribute {attr!r} of type {prev.dtype}")
            if len(prev) != target:
                grown = np.zeros(target, dtype=prev.dtype)
                n = min(len(prev), target)
                grown[:n] = prev[:n]
                self.expandos[attr] = grown

    def set_vecattr(self, key, attr, val):
        self.allocate_vecattrs([attr], [type(val)])
        self.expandos[attr][self.get_index(key)] = val

    def get_vecattr(self, key, attr):
        index = self.get_index(key)
        if attr not in self.expandos:
            raise KeyError(f"no attribute {attr!r} is stored")
        return self.expandos[attr][index]

    # ----------------------------------------------------------------------------------- adding vectors

    def add_vector(self, key, vector):
        """Add one key; fills a preallocated slot when there is one. Returns its row."""
        target = self.next_index
        if target >= len(self) or self.index_to_key[target] is not None:
            target = len(self)
            self.add_vectors([key], np.asarray(vector).reshape(1, -1))
            self.next_index = target + 1
            return target
        self.index_to_key[target] = key
        self.key_to_index[key] = target
        self._vectors[target] = vector
        self.next_index += 1
        self.invalidate_norms()
        return target

    def add_vectors(self, keys, weights, extras=None, replace=False):
        """Append keys and their vectors; existing keys keep their vector unless replace=True.

        extras: {attribute: array with one value per key}.
        """
        if isinstance(keys, _KEY_TYPES):
            keys = [keys]
            weights = np.asarray(weights).reshape(1, -1)
        keys = list(keys)
        weights = np.asarray(weights)
        if weights.ndim != 2 or weights.shape != (len(keys), self.vector_size):
            raise ValueError(f"expected weights of shape ({len(keys)}, {self.vector_size}), got {weights.shape}")
        extras = {} if extras is None else {a: np.asarray(v) for a, v in extras.items()}
        for attr, values in extras.items():
            if len(values) != len(keys):
                raise ValueError(f"extras[{attr!r}] has {len(values)} values for {len(keys)} keys")

        in_vocab = np.fromiter((k in self.key_to_index for k in keys), dtype=bool, count=len(keys))
        new_pos = np.nonzero(~in_vocab)[0]
        # a key repeated among the new ones is added once (its first vector)
        first_new, seen = [], set()
        for i in new_pos:
            k = keys[i]
            if k not in seen:
                seen.add(k)
                first_new.append(i)
        first_new = np.asarray(first_new, dtype=np.intp)
        start = len(self.index_to_key)
        for j, i in enumerate(first_new):
            self.key_to_index[keys[i]] = start + j
            self.index_to_key.append(keys[i])
        old_rows = self._vectors.shape[0]
        if old_rows < start:  # preallocated-but-unused rows are kept in place, like gensim
            pad = np.zeros((start - old_rows, self.vector_size), dtype=self._vectors.dtype)
            self._vectors = np.vstack((self._vectors, pad))
        self._vectors = np.vstack((self._vectors[:start], weights[first_new].astype(self._vectors.dtype)))
        self.allocate_vecattrs(list(extras), [v.dtype for v in extras.values()])
        self.allocate_vecattrs()
        for attr, values in extras.items():
            self.expandos[attr][start:] = values[first_new]
        if replace and in_vocab.any():
            pos = np.nonzero(in_vocab)[0]
            rows = np.fromiter((self.key_to_index[keys[i]] for i in pos), dtype=np.intp, count=len(pos))
            self._vectors[rows] = weights[pos]
            for attr, values in extras.items():
                self.expandos[attr][rows] = values[pos]
        self.next_index = len(self.index_to_key)
        self.invalidate_norms()

    def resize_vectors(self, seed=0):
        """Make `vectors` match len(index_to_key); new rows get small random values."""
        target = (len(self.index_to_key), self.vector_size)
        if self._vectors.shape != target:
            rng = np.random.default_rng(seed)
            new = ((rng.random(target, dtype=np.float64) * 2.0 - 1.0) / self.vector_size).astype(self._vectors.dtype)
            n = min(target[0], self._vectors.shape[0])
            new[:n] = self._vectors[:n]
            self._vectors = new
        self.allocate_vecattrs()
        self.invalidate_norms()

    def sort_by_descending_frequency(self):
        """Reorder keys (and vectors, attributes) by descending "count", as gensim does."""
        if not len(self):
            return
        counts = np.asarray(self.expandos["count"], dtype=np.int64)
        idx = np.arange(len(counts))
        order = np.lexsort((-idx, -counts))
        self.index_to_key = [self.index_to_key[i] for i in order]
        for attr in self.expandos:
            self.expandos[attr] = self.expandos[attr][order]
        if len(self._vectors):
            self._vectors = self._vectors[order]
        self.key_to_index = {k: i for i, k in enumerate(self.index_to_key)}
        self.invalidate_norms()

    # ------------------------------------------------------------------------------------ similarities

    def get_mean_vector(self, keys, weights=None, pre_normalize=True, post_normalize=False, ignore_missing=True):
        """Weighted mean of the keys' (or given arrays') vectors, divided by the sum of |weights| used."""
        keys = list(keys) if not isinstance(keys, np.ndarray) else list(keys) if keys.ndim == 2 else [keys]
        if len(keys) == 0:
            raise ValueError("cannot compute mean with no input")
        weights = np.ones(len(keys)) if weights is None else np.asarray(weights, dtype=np.float64)
        if weights.shape[0] != len(keys):
            raise ValueError("keys and weights array must have same number of elements")
        rows, row_w, arrays, array_w = [], [], [], []
        for key, w in zip(keys, weights):
            if isinstance(key, np.ndarray):
                arrays.append(key)
                array_w.append(w)
            else:
                i = self.get_index(key, -1) if isinstance(key, _KEY_TYPES) else -1
                if i >= 0:
                    rows.append(i)
                    row_w.append(w)
                elif not ignore_missing:
                    raise KeyError(f"Key {key!r} not present in vocabulary")
        mean = np.zeros(self.vector_size, dtype=np.float64)
        total = 0.0
        if rows:
            rows = np.asarray(rows, dtype=np.intp)
            vecs = self._vectors[rows]
            if pre_normalize:
                # normalised in float32 exactly as get_vector(key, norm=True) does, so a key and its unit
                # vector given as an array lead to the same mean (and the same cosines)
                vecs = vecs * self._inverse_norms()[rows][:, None]
            vecs = vecs.astype(np.float64)
            row_w = np.asarray(row_w)
            mean += row_w @ vecs
            total += np.abs(row_w).sum()
        if arrays:
            array_w = np.asarray(array_w)
            mean += array_w @ np.asarray(arrays, dtype=np.float64).reshape(len(arrays), self.vector_size)
            total += np.abs(array_w).sum()
        if total > 0:
            mean /= total
        if post_normalize:
            mean = _unitvec(mean)
        return mean.astype(self._vectors.dtype)

    def _parse_terms(self, positive, negative):
        """(keys, weights) from gensim-style positive/negative lists of keys, vectors or (key, weight)."""
        positive = _ensure_list(positive)
        negative = _ensure_list(negative)
        keys = []
        weights = np.concatenate((np.ones(len(positive)), -np.ones(len(negative))))
        for i, item in enumerate(positive + negative):
            if isinstance(item, _EXTENDED_KEY_TYPES):
                keys.append(item)
            else:
                keys.append(item[0])
                weights[i] = item[1]
        return keys, weights

    def _scores(self, mean, lo, hi):
        """Cosine of the unit vector `mean` with rows lo..hi."""
        return (self._vectors[lo:hi] @ mean) * self._inverse_norms()[lo:hi]

    def _ranked(self, scores, topn, exclude, offset=0):
        exclude = set(exclude)
        best = _top_indices(scores, min(topn + len(exclude), scores.shape[0]))
        result = []
        for i in best:
            i = int(i) + offset
            if i in exclude:
                continue
            result.append((self.index_to_key[i], float(scores[i - offset])))
            if len(result) == topn:
                break
        return result

    def most_similar(self, positive=None, negative=None, topn=10, clip_start=0, clip_end=None,
                     restrict_vocab=None, indexer=None):
        """Keys most similar (cosine) to the weighted mean of the unit-normalised positive minus negative
        vectors (3CosAdd for analogies). Input keys are left out of the result.

        Items may be keys, vectors, or (key_or_vector, weight) tuples. topn=None returns the similarity to
        every key (rows clip_start..clip_end, or the first restrict_vocab) as an array.
        """
        if isinstance(topn, Integral) and topn < 1:
            return []
        keys, weights = self._parse_terms(positive, negative)
        mean = self.get_mean_vector(keys, weights, pre_normalize=True, post_normalize=True, ignore_missing=False)
        exclude = [self.get_index(k) for k in keys if isinstance(k, _KEY_TYPES) and self.has_index_for(k)]
        if indexer is not None and isinstance(topn, int):
            return indexer.most_similar(mean, topn)
        clip_end = clip_end or len(self._vectors)
        if restrict_vocab:
            clip_start, clip_end = 0, restrict_vocab
        scores = self._scores(mean, clip_start, clip_end)
        if not topn:
            return scores
        return self._ranked(scores, topn, exclude, offset=clip_start)

    def similar_by_key(self, key, topn=10, restrict_vocab=None):
        return self.most_similar(positive=[key], topn=topn, restrict_vocab=restrict_vocab)

    def similar_by_word(self, word, topn=10, restrict_vocab=None):
        return self.similar_by_key(word, topn, restrict_vocab)

    def similar_by_vector(self, vector, topn=10, restrict_vocab=None):
        return self.most_similar(positive=[vector], topn=topn, restrict_vocab=restrict_vocab)

    def most_similar_cosmul(self, positive=None, negative=None, topn=10, restrict_vocab=None):
        """3CosMul (Levy and Goldberg 2014): rank by prod((1+cos(p))/2) / (prod((1+cos(n))/2) + 1e-6).

        Vectors given instead of keys are unit-normalised first.
        """
        if isinstance(topn, Integral) and topn < 1:
            return []
        positive = _ensure_list(positive)
        negative = _ensure_list(negative)
        if not positive:
            raise ValueError("cannot compute similarity with no input")
        exclude = {self.get_index(w) for w in positive + negative
                   if isinstance(w, _KEY_TYPES) and self.has_index_for(w)}

        def unit(term):
            if isinstance(term, np.ndarray):
                return _unitvec(term.astype(np.float64)).astype(self._vectors.dtype)
            return self.get_vector(term, norm=True)

        terms = np.stack([unit(t) for t in positive + negative])
        hi = restrict_vocab or len(self._vectors)
        cos = (self._vectors[:hi] @ terms.T) * self._inverse_norms()[:hi, None]
        shifted = (1.0 + cos) / 2.0
        scores = np.prod(shifted[:, :len(positive)], axis=1) / (np.prod(shifted[:, len(positive):], axis=1) + 0.000001)
        if not topn:
            return scores
        return self._ranked(scores, topn, exclude)

    @staticmethod
    def cosine_similarities(vector_1, vectors_all):
        """Cosine of vector_1 with every row of vectors_all (0 where a norm is 0)."""
        vectors_all = np.asarray(vectors_all)
        norm = np.linalg.norm(vector_1)
        all_norms = np.linalg.norm(vectors_all, axis=1)
        denom = norm * all_norms
        dots = vectors_all @ np.asarray(vector_1)
        out = np.zeros_like(dots)
        np.divide(dots, denom, out=out, where=denom > 0)
        return out

    def distances(self, word_or_vector, other_words=()):
        """Cosine distance (1 - cosine) from a key or vector to `other_words`, or to every key."""
        if isinstance(word_or_vector, _KEY_TYPES):
            vec = self.get_vector(word_or_vector)
        else:
            vec = np.asarray(word_or_vector)
        if not len(other_words):
            return 1 - self._scores(_unitvec(vec.astype(np.float64)).astype(self._vectors.dtype), 0, None)
        rows = self.indices(other_words)
        return 1 - self.cosine_similarities(vec, self._vectors[rows])

    def distance(self, w1, w2):
        return 1 - self.similarity(w1, w2)

    def similarity(self, w1, w2):
        """Cosine similarity of two keys, as float32 (like gensim)."""
        return np.float32(np.dot(_unit32(self.get_vector(w1)), _unit32(self.get_vector(w2))))

    def n_similarity(self, ws1, ws2):
        """Cosine similarity (float32) of the mean vectors of two key lists (unknown keys ignored, like
        gensim); a one-key list gives exactly similarity()'s value."""
        if not (len(ws1) and len(ws2)):
            raise ZeroDivisionError("At least one of the passed list is empty.")
        m1 = self.get_mean_vector(ws1, pre_normalize=False)
        m2 = self.get_mean_vector(ws2, pre_normalize=False)
        return np.float32(np.dot(_unit32(m1), _unit32(m2)))

    def closer_than(self, key1, key2):
        """Keys closer to key1 than key2 is."""
        d = self.distances(key1)
        i1, i2 = self.get_index(key1), self.get_index(key2)
        idx = np.nonzero(d < d[i2])[0]
        return [self.index_to_key[i] for i in idx if i != i1]

    def rank(self, key1, key2):
        """Rank of key2 among all keys by distance from key1 (1 = closest)."""
        d = self.distances(key1)
        i1, i2 = self.get_index(key1), self.get_index(key2)
        closer = int(np.count_nonzero(d < d[i2]))
        if i1 != i2 and d[i1] < d[i2]:
            closer -= 1
        return closer + 1

    def most_similar_to_given(self, key1, keys_list):
        """The key of keys_list most similar to key1."""
        sims = self._vectors[self.indices(keys_list)] @ self.get_vector(key1, norm=True)
        sims = sims * self._inverse_norms()[self.indices(keys_list)]
        return keys_list[int(np.argmax(sims))]

    def rank_by_centrality(self, words, use_norm=True):
        """(similarity to the centroid, key) for the known words, most central first."""
        used = [w for w in words if w in self]
        if len(used) != len(words):
            logger.warning("vectors for words %s are not present in the model, ignoring these words",
                           set(words) - set(used))
        if not used:
            raise ValueError("cannot select a word from an empty list")
        rows = self.indices(used)
        vecs = self._vectors[rows].astype(np.float64)
        if use_norm:
            vecs *= self._inverse_norms()[rows][:, None]
        mean = _unitvec(vecs.mean(axis=0))
        dists = vecs @ mean
        return sorted(zip(dists.tolist(), used), reverse=True)

    def doesnt_match(self, words):
        """The key farthest from the mean of the (unit-normalised) keys' vectors."""
        return self.rank_by_centrality(words)[-1][1]

    # ------------------------------------------------------------------------------ files and evaluation

    def save_word2vec_format(self, fname, fvocab=None, binary=False, total_vec=None, write_header=True,
                             prefix="", sort_attr="count"):
        """Write in the original word2vec text/binary format (see w2vfast.io)."""
        from . import io as _io
        _io.save_word2vec_format(self, fname, fvocab=fvocab, binary=binary, total_vec=total_vec,
                                 write_header=write_header, prefix=prefix, sort_attr=sort_attr)

    @classmethod
    def load_word2vec_format(cls, fname, fvocab=None, binary=False, encoding="utf8", unicode_errors="strict",
                             limit=None, datatype=np.float32, no_header=False, allow_nonfinite=False):
        """Read a file in the original word2vec text/binary format (see w2vfast.io)."""
        from . import io as _io
        keys, vectors, counts, key_to_index = _io.read_word2vec_file(
            fname, fvocab=fvocab, binary=binary, encoding=encoding, unicode_errors=unicode_errors, limit=limit,
            datatype=datatype, no_header=no_header, allow_nonfinite=allow_nonfinite)
        return cls.from_arrays(keys, vectors, counts=counts, copy=False, key_to_index=key_to_index)

    def evaluate_word_analogies(self, analogies, restrict_vocab=300000, case_insensitive=True,
                                dummy4unknown=False, similarity_function="3CosAdd"):
        """Accuracy on an analogy file such as questions-words.txt (see w2vfast.evaluate)."""
        from .evaluate import evaluate_word_analogies
        return evaluate_word_analogies(self, analogies, restrict_vocab=restrict_vocab,
                                       case_insensitive=case_insensitive, dummy4unknown=dummy4unknown,
                                       similarity_function=similarity_function)

    def evaluate_word_pairs(self, pairs, delimiter="\t", encoding="utf8", restrict_vocab=300000,
                            case_insensitive=True, dummy4unknown=False):
        """Correlation with human similarity judgements such as wordsim353.tsv (see w2vfast.evaluate)."""
        from .evaluate import evaluate_word_pairs
        return evaluate_word_pairs(self, pairs, delimiter=delimiter, encoding=encoding,
                                   restrict_vocab=restrict_vocab, case_insensitive=case_insensitive,
                                   dummy4unknown=dummy4unknown)

    # --------------------------------------------------------------------------------------- gensim

    def to_gensim(self, copy=True):
        """A gensim.models.KeyedVectors with the same keys, vectors and attributes."""
        try:
            from gensim.models import KeyedVectors as GensimKeyedVectors
        except ImportError as exc:
            raise ImportError("to_gensim() needs gensim: pip install gensim") from exc
        out = GensimKeyedVectors(self.vector_size, count=0, dtype=self._vectors.dtype)
        out.index_to_key = list(self.index_to_key)
        out.key_to_index = dict(self.key_to_index)
        out.vectors = self._vectors.copy() if copy else self._vectors
        out.next_index = len(self.index_to_key)
        out.expandos = {a: (v.copy() if copy else v) for a, v in self.expandos.items()}
        out.norms = None
        return out

    @classmethod
    def from_gensim(cls, kv, copy=True):
        """Build from a gensim KeyedVectors (keys, vectors and per-key attributes such as "count")."""
        vectors = np.asarray(kv.vectors)
        n = len(kv.index_to_key)
        out = cls.from_arrays(list(kv.index_to_key), vectors[:n], copy=copy)
        for attr, values in getattr(kv, "expandos", {}).items():
            values = np.asarray(values)[:n]
            out.expandos[attr] = values.copy() if copy else values
        return out
