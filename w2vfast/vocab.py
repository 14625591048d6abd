"""The vocabulary: counting, pruning, ordering, and the tables the kernels sample from.

Everything here runs once per build_vocab(), not per word of training, so it is plain Python and NumPy.
"""
from collections import Counter
import logging

import numpy as np

logger = logging.getLogger(__name__)

# trim_rule return values, with gensim's numbers so existing rules keep working.
RULE_DEFAULT = 0
RULE_DISCARD = 1
RULE_KEEP = 2


def _check_sentence(sentence, position):
    if isinstance(sentence, (str, bytes)):
        raise TypeError(
            f"sentence #{position} is a plain {type(sentence).__name__}, not a list of tokens: word2vec would "
            f"train on single characters. Pass lists of tokens, e.g. [line.split() for line in lines], "
            f"or w2vfast.LineSentence(path)."
        )


def prune_counts(counts, min_reduce):
    """Drop every word seen min_reduce times or fewer (word2vec.c's ReduceVocab)."""
    doomed = [word for word, count in counts.items() if count <= min_reduce]
    for word in doomed:
        del counts[word]
    return len(doomed)


def count_words(sentences, max_vocab_size=None, progress_per=10000):
    """Count tokens of an iterable of token lists.

    Returns (counts, total_words, total_sentences). With max_vocab_size, the table is pruned while counting
    whenever it grows past the limit (words at or below a rising threshold are dropped), so memory stays
    bounded on corpora with huge vocabularies at the price of exact counts for rare words.
    """
    counts = Counter()
    total_words = 0
    n_sentences = 0
    min_reduce = 1
    for n_sentences, sentence in enumerate(sentences, start=1):
        _check_sentence(sentence, n_sentences - 1)
        counts.update(sentence)
        total_words += len(sentence)
        if max_vocab_size and len(counts) > max_vocab_size:
            prune_counts(counts, min_reduce)
            min_reduce += 1
        if progress_per and n_sentences % (progress_per * 100) == 0:
            logger.info("PROGRESS: at sentence #%d, %d words, %d word types", n_sentences, total_words, len(counts))
    return counts, total_words, n_sentences


def _apply_trim_rule(rule, word, count, min_count):
    verdict = rule(word, count, min_count) if rule is not None else RULE_DEFAULT
    if verdict == RULE_KEEP:
        return True
    if verdict == RULE_DISCARD:
        return False
    return count >= min_count


def select_words(keys, counts, min_count=5, max_final_vocab=None, trim_rule=None, sorted_vocab=True):
    """Choose and order the final vocabulary from raw counts (keys: list of str, counts: matching ints).

    Returns (keys, counts array). Order: descending count, ties broken by the key itself, so the result is
    the same whichever reader (or how many threads) counted the corpus.
    """
    counts = np.asarray(counts, dtype=np.int64)
    if max_final_vocab is not None and len(counts) > max_final_vocab:
        # Raise min_count just enough that at most max_final_vocab words survive, as gensim does.
        kth_largest = np.partition(counts, len(counts) - 1 - max_final_vocab)[len(counts) - 1 - max_final_vocab]
        min_count = max(min_count, int(kth_largest) + 1)
    if trim_rule is None:
        chosen = np.flatnonzero(counts >= min_count)
    else:
        chosen = np.array([i for i, (w, c) in enumerate(zip(keys, counts.tolist()))
                           if _apply_trim_rule(trim_rule, w, c, min_count)], dtype=np.int64)
    kept = counts[chosen]
    if sorted_vocab:
        order = np.argsort(-kept, kind="stable")
        chosen, kept = chosen[order], kept[order]
    out = [keys[i] for i in chosen.tolist()]
    if sorted_vocab and len(kept) > 1:
        # Within each run of equal counts, order by key (runs are few: one per distinct count).
        starts = np.flatnonzero(np.diff(kept)) + 1
        for a, b in zip([0, *starts.tolist()], [*starts.tolist(), len(out)]):
            if b - a > 1:
                out[a:b] = sorted(out[a:b])
    return out, kept


def keep_thresholds(counts, sample):
    """Per-word subsampling thresholds for the kernels (word2vec.c's formula).

    A word with count c is kept with probability (sqrt(c / t) + 1) * t / c, where t = sample * total words
    (or, for sample >= 1, the count above which words are down-sampled at all). The probability becomes a
    uint32 compared with 32 random bits; 0xFFFFFFFF means always kept.
    """
    counts = np.asarray(counts, dtype=np.float64)
    total = counts.sum()
    if not sample or total == 0:
        return np.full(len(counts), 0xFFFFFFFF, dtype=np.uint32)
    threshold = sample * total if sample < 1.0 else sample * (3 + np.sqrt(5)) / 2
    with np.errstate(divide="ignore"):
        prob = (np.sqrt(counts / threshold) + 1) * threshold / counts
    prob = np.minimum(np.nan_to_num(prob, nan=1.0, posinf=1.0), 1.0)
    return np.minimum(np.floor(prob * 4294967296.0), 4294967295.0).astype(np.uint32)


def keep_probabilities(thresholds):
    """Inverse of keep_thresholds, for reports (gensim's sample_int / 2**32)."""
    return (np.asarray(thresholds, dtype=np.float64) + 1.0) / 4294967296.0


def noise_weights(counts, ns_exponent=0.75):
    w = np.asarray(counts, dtype=np.float64) ** ns_exponent
    if len(w) == 0 or w.sum() <= 0:
        raise ValueError("cannot build a negative-sampling table: every word count is zero")
    return w / w.sum()


def alias_table(counts, ns_exponent=0.75):
    """Walker's alias table for drawing negatives from counts**ns_exponent in O(1).

    Slot i (drawn uniformly) answers i itself when the low 32 random bits fall below threshold[i], else
    alias[i]. Built with Vose's method; see the contract in _kernels.pxd.
    """
    p = noise_weights(counts, ns_exponent) * len(counts)
    n = len(p)
    threshold = np.ones(n, dtype=np.float64)
    alias = np.arange(n, dtype=np.int32)
    small = [i for i in range(n) if p[i] < 1.0]
    large = [i for i in range(n) if p[i] >= 1.0]
    while small and large:
        s = small.pop()
        g = large[-1]
        threshold[s] = p[s]
        alias[s] = g
        p[g] -= 1.0 - p[s]
        if p[g] < 1.0:
            large.pop()
            small.append(g)
    # Whatever is left is 1 up to rounding: always answer the slot itself.
    scaled = np.minimum(np.floor(threshold * 4294967296.0), 4294967295.0).astype(np.uint32)
    scaled[threshold >= 1.0] = 0xFFFFFFFF
    return scaled, alias


def cum_table(counts, ns_exponent=0.75, domain=2**31 - 1):
    """gensim's cumulative noise table (for handing a model to gensim; the kernels use alias_table)."""
    w = np.cumsum(noise_weights(counts, ns_exponent))
    return np.round(w / w[-1] * domain).astype(np.uint32)


def huffman_codes(counts):
    """Huffman tree over the words for hierarchical softmax.

    Returns (codes uint8, points int32, offsets int64): word w's path from the root is
    codes[offsets[w]:offsets[w+1]] (the branch taken at each inner node) and points[...] (the inner nodes,
    numbered 0..V-2 with the root last, which index rows of syn1). Built like word2vec.c: repeatedly merge the
    two lightest nodes, the lighter becoming branch 0.
    """
    counts = np.asarray(counts, dtype=np.int64)
    n = len(counts)
    if n < 2:
        # A single word needs no decision: give it one dummy node so the tables are never empty.
        return np.zeros(n, np.uint8), np.zeros(n, np.int32), np.arange(n + 1, dtype=np.int64)
    order = np.argsort(counts, kind="stable")  # leaves, lightest first
    # Two queues: sorted leaves, and inner nodes, which are created in non-decreasing weight order.
    leaf_pos, inner_pos, new = 0, n, n
    w = counts.tolist() + [0] * (n - 1)
    leaves = order.tolist()

    def pop_lightest():
        nonlocal leaf_pos, inner_pos
        if leaf_pos < n and (inner_pos >= new or w[leaves[leaf_pos]] <= w[inner_pos]):
            leaf_pos += 1
            return leaves[leaf_pos - 1]
        inner_pos += 1
        return inner_pos - 1

    par = [0] * (2 * n - 1)
    br = [0] * (2 * n - 1)
    for new in range(n, 2 * n - 1):
        a = pop_lightest()
        b = pop_lightest()
        w[new] = w[a] + w[b]
        par[a] = par[b] = new
        br[b] = 1
    parent = np.array(par, dtype=np.int64)
    branch = np.array(br, dtype=np.uint8)
    root = 2 * n - 2
    # Depth of every node, top down (parents always have larger numbers than their children).
    dl = [0] * (2 * n - 1)
    for node in range(root - 1, -1, -1):
        dl[node] = dl[par[node]] + 1
    depth = np.array(dl, dtype=np.int64)
    lengths = depth[:n]
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    codes = np.empty(offsets[-1], dtype=np.uint8)
    points = np.empty(offsets[-1], dtype=np.int32)
    # Walk every leaf up to the root at once, filling its path from the end.
    node = np.arange(n, dtype=np.int64)
    pos = offsets[1:] - 1
    active = np.ones(n, dtype=bool)
    while active.any():
        idx = np.nonzero(active)[0]
        nd = node[idx]
        codes[pos[idx]] = branch[nd]
        points[pos[idx]] = parent[nd] - n
        node[idx] = parent[nd]
        pos[idx] -= 1
        active[idx] = node[idx] != root
    return codes, points, offsets


class Vocabulary:
    """The final word list with counts, and the sampling tables derived from it."""

    def __init__(self, keys, counts):
        self.index_to_key = list(keys)
        self.counts = np.asarray(counts, dtype=np.int64)
        if len(self.counts) != len(self.index_to_key):
            raise ValueError("keys and counts differ in length")
        self.key_to_index = {k: i for i, k in enumerate(self.index_to_key)}
        if len(self.key_to_index) != len(self.index_to_key):
            raise ValueError("duplicate keys in the vocabulary")
        self.codes = self.points = self.code_offsets = None

    def __len__(self):
        return len(self.index_to_key)

    def build_huffman(self):
        self.codes, self.points, self.code_offsets = huffman_codes(self.counts)

    def set_huffman(self, codes, points, offsets):
        self.codes = np.ascontiguousarray(codes, dtype=np.uint8)
        self.points = np.ascontiguousarray(points, dtype=np.int32)
        self.code_offsets = np.ascontiguousarray(offsets, dtype=np.int64)

    def code_of(self, index):
        a, b = self.code_offsets[index], self.code_offsets[index + 1]
        return self.codes[a:b], self.points[a:b]

    def extend(self, counts_by_key):
        """Add new words (update=True) at the end; existing words add to their counts."""
        new_keys, new_counts = [], []
        for key, count in counts_by_key.items():
            i = self.key_to_index.get(key)
            if i is None:
                self.key_to_index[key] = len(self.index_to_key) + len(new_keys)
                new_keys.append(key)
                new_counts.append(count)
            else:
                self.counts[i] += count
        self.index_to_key.extend(new_keys)
        self.counts = np.concatenate([self.counts, np.asarray(new_counts, dtype=np.int64)])
        return len(new_keys)
