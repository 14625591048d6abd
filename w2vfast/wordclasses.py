"""Word classes: k-means clustering of word vectors, and word2vec.c's classes file ("word class" per line).

Spherical k-means (cosine similarity to unit-length centroids), as word2vec.c's -classes option clusters.
Everything is whole-matrix NumPy: per iteration one matrix product in row blocks and one sort, no Python
loop over words.
"""
import numpy as np

from .io import _AtomicFile

_BLOCK = 1 << 14  # rows per matrix product: bounds the similarity block at _BLOCK x k floats


def _unit(rows):
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return rows / norms


def _assign(x, centroids):
    labels = np.empty(len(x), dtype=np.int64)
    for lo in range(0, len(x), _BLOCK):
        labels[lo:lo + _BLOCK] = np.argmax(x[lo:lo + _BLOCK] @ centroids.T, axis=1)
    return labels


def _centroids(x, labels, k, previous):
    """Unit-length mean direction of each cluster; an empty cluster keeps its previous centroid."""
    order = np.argsort(labels, kind="stable")
    sizes = np.bincount(labels, minlength=k)
    present = np.flatnonzero(sizes)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))[present]
    sums = previous.copy()
    sums[present] = np.add.reduceat(x[order], starts, axis=0)
    return _unit(sums)


def _seeds(x, k, rng):
    """k-means++ starting centroids (each next one drawn with probability growing with its cosine distance
    to the nearest one so far), picked from a sample of rows so that the cost stays k matrix-vector products
    over at most max(10,000, 10 k) rows."""
    pool = x[rng.choice(len(x), size=min(len(x), max(10_000, 10 * k)), replace=False)]
    chosen = [int(rng.integers(len(pool)))]
    distance = 1.0 - pool @ pool[chosen[0]]
    for _ in range(k - 1):
        weights = np.clip(distance, 0.0, None).astype(np.float64)
        total = weights.sum()
        pick = int(rng.choice(len(pool), p=weights / total)) if total > 0 else int(rng.integers(len(pool)))
        chosen.append(pick)
        np.minimum(distance, 1.0 - pool @ pool[pick], out=distance)
    return pool[chosen].copy()


def kmeans(vectors, k, iterations=10, seed=1):
    """Cluster the rows of `vectors` into k classes by cosine similarity; returns an int array of class ids.

    Starts from k-means++ seeds (seeded random) and stops after `iterations` rounds or when no
    row changes class.
    """
    x = _unit(np.asarray(vectors, dtype=np.float32))
    n = len(x)
    k = int(k)
    if not 1 <= k <= n:
        raise ValueError(f"the number of classes must be between 1 and the vocabulary size {n}, got {k}")
    if int(iterations) < 1:
        raise ValueError(f"iterations must be at least 1, got {iterations}")
    rng = np.random.default_rng(seed)
    centroids = _seeds(x, k, rng)
    labels = _assign(x, centroids)
    for _ in range(int(iterations) - 1):
        centroids = _centroids(x, labels, k, centroids)
        new = _assign(x, centroids)
        if np.array_equal(new, labels):
            break
        labels = new
    return labels


def write_classes(path, keys, labels):
    """word2vec.c's classes file: one "word class" line per word, in vocabulary order; atomic."""
    lines = "".join(f"{key} {label}\n" for key, label in zip(keys, np.asarray(labels).tolist()))
    with _AtomicFile(path) as f:
        f.write(lines.encode("utf-8", "surrogateescape"))


def read_classes(path):
    """{word: class} from a classes file (the inverse of write_classes)."""
    from .errors import FormatError

    out = {}
    with open(path, "rb") as f:
        for line_no, line in enumerate(f, 1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 2 or not parts[1].isdigit():
                raise FormatError(f"{path}: line {line_no} is not 'word class': {line[:80]!r}")
            out[parts[0].decode("utf-8", "surrogateescape")] = int(parts[1])
    return out
