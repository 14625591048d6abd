import heapq
from collections import Counter

import numpy as np
import pytest

from w2vfast import vocab


def optimal_huffman_cost(counts):
    heap = list(map(int, counts))
    heapq.heapify(heap)
    cost = 0
    while len(heap) > 1:
        a, b = heapq.heappop(heap), heapq.heappop(heap)
        cost += a + b
        heapq.heappush(heap, a + b)
    return cost


@pytest.mark.parametrize("n", [2, 3, 7, 50, 1000])
def test_huffman_is_optimal_prefix_free_and_well_formed(n):
    rng = np.random.default_rng(n)
    counts = np.sort(rng.zipf(1.5, n))[::-1]
    codes, points, offsets = vocab.huffman_codes(counts)
    lengths = np.diff(offsets)
    assert (lengths >= 1).all()
    assert int((lengths * counts).sum()) == optimal_huffman_cost(counts)
    paths = {tuple(codes[offsets[w]:offsets[w + 1]]) for w in range(n)}
    assert len(paths) == n  # distinct codes
    for w in range(n):
        path = tuple(codes[offsets[w]:offsets[w + 1]])
        for other in paths:
            assert other == path or other[:len(path)] != path  # prefix-free
        pts = points[offsets[w]:offsets[w + 1]]
        assert pts[0] == n - 2  # every path starts at the root
        assert ((pts >= 0) & (pts <= n - 2)).all()
    # Equal prefixes of codes must go through the same inner nodes.
    node_of = {}
    for w in range(n):
        c, p = codes[offsets[w]:offsets[w + 1]], points[offsets[w]:offsets[w + 1]]
        for depth in range(len(c)):
            key = tuple(c[:depth])
            assert node_of.setdefault(key, p[depth]) == p[depth]


def test_alias_table_reproduces_the_noise_distribution():
    counts = np.array([500, 200, 200, 90, 5, 5, 1, 1000])
    threshold, alias = vocab.alias_table(counts, 0.75)
    p = vocab.noise_weights(counts, 0.75)
    # Exact probability of each outcome under the documented draw rule.
    n = len(counts)
    prob = np.zeros(n)
    for i in range(n):
        keep = float(threshold[i]) / 2**32  # P(low 32 random bits < threshold)
        prob[i] += keep / n
        prob[alias[i]] += (1 - keep) / n
    np.testing.assert_allclose(prob, p, atol=1e-8)


def test_cum_table_matches_weights():
    counts = np.array([10, 5, 1])
    table = vocab.cum_table(counts, 0.75)
    assert table[-1] == 2**31 - 1
    np.testing.assert_allclose(np.diff(np.r_[0, table]) / table[-1], vocab.noise_weights(counts), atol=1e-8)


def test_keep_thresholds_follow_the_word2vec_formula():
    counts = np.array([1000, 100, 10, 1])
    sample = 1e-2
    t = sample * counts.sum()
    expected = np.minimum((np.sqrt(counts / t) + 1) * t / counts, 1.0)
    np.testing.assert_allclose(vocab.keep_probabilities(vocab.keep_thresholds(counts, sample)), expected,
                               atol=1e-9)
    assert (vocab.keep_thresholds(counts, 0) == 0xFFFFFFFF).all()


def test_select_words_orders_by_count_then_key_and_applies_limits():
    counts = {"b": 3, "a": 3, "c": 10, "d": 1, "e": 2, "f": 3}
    words, values = list(counts), list(counts.values())
    keys, kept = vocab.select_words(words, values, min_count=2)
    assert keys == ["c", "a", "b", "f", "e"]
    assert kept.tolist() == [10, 3, 3, 3, 2]
    keys, _ = vocab.select_words(words, values, min_count=1, max_final_vocab=4)
    assert keys == ["c", "a", "b", "f"]
    keys, _ = vocab.select_words(words, values, min_count=1, max_final_vocab=2)
    assert keys == ["c"]  # ties at the cut are all dropped, as gensim does
    keys, _ = vocab.select_words(words, values, min_count=1, sorted_vocab=False)
    assert keys == words
    rng = np.random.default_rng(1)
    many = [f"w{i}" for i in rng.permutation(3000)]
    freq = rng.integers(1, 20, 3000)
    keys, kept = vocab.select_words(many, freq, min_count=3)
    by_count = dict(zip(many, freq.tolist()))
    assert keys == sorted((w for w in many if by_count[w] >= 3), key=lambda w: (-by_count[w], w))


def test_trim_rule_can_keep_and_discard():
    counts = {"rare": 1, "common": 50, "stop": 100}

    def rule(word, count, min_count):
        return {"rare": vocab.RULE_KEEP, "stop": vocab.RULE_DISCARD}.get(word, vocab.RULE_DEFAULT)

    keys, _ = vocab.select_words(list(counts), list(counts.values()), min_count=5, trim_rule=rule)
    assert sorted(keys) == ["common", "rare"]


def test_count_words_prunes_while_counting_like_word2vec():
    rng = np.random.default_rng(0)
    sentences = [[f"w{int(x)}" for x in rng.zipf(1.3, 20)] for _ in range(300)]
    exact, total, n = vocab.count_words(sentences)
    assert total == 6000 and n == 300
    assert exact == Counter(w for s in sentences for w in s)
    pruned, total2, _ = vocab.count_words(sentences, max_vocab_size=50)
    assert total2 == total
    assert len(pruned) <= 50 + 20  # at most one sentence's worth of new words over the limit
    # Pruning only ever loses counts, and the most frequent words survive.
    assert all(pruned[w] <= exact[w] for w in pruned)
    for word, _ in exact.most_common(5):
        assert word in pruned


def test_count_words_rejects_plain_strings():
    with pytest.raises(TypeError, match="list of tokens"):
        vocab.count_words(["this is a sentence", "and another"])


def test_vocabulary_extend_adds_new_words_at_the_end():
    v = vocab.Vocabulary(["a", "b"], [5, 3])
    assert v.extend({"b": 2, "c": 7}) == 1
    assert v.index_to_key == ["a", "b", "c"]
    assert v.counts.tolist() == [5, 5, 7]
    assert v.key_to_index["c"] == 2
    with pytest.raises(ValueError, match="duplicate"):
        vocab.Vocabulary(["a", "a"], [1, 1])
