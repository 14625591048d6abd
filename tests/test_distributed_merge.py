"""Merge rules and sparse rows of w2vfast.distributed (plain NumPy: runs without dask)."""
import numpy as np
import pytest

from w2vfast import Word2Vec
from w2vfast.distributed.driver import replica_alpha_scale
from w2vfast.distributed.merge import ADAPTIVE_RATE, Merger, Rows, adaptive_rates, adaptive_weights, changed_rows
from w2vfast.distributed.shards import RoundPlan, split_ranges
from w2vfast.distributed.touches import update_rates
from w2vfast.vocab import huffman_codes


def _deltas():
    # row 0: both replicas moved it; row 1: only replica A; row 2: nobody; row 3: only B
    a = np.zeros((4, 3), np.float32)
    b = np.zeros((4, 3), np.float32)
    a[0], b[0] = 1.0, 3.0
    a[1] = 2.0
    b[3] = -4.0
    return a, b


@pytest.mark.parametrize("rule, expected", [
    ("touched", [2.0, 2.0, 0.0, -4.0]),     # mean over the replicas that changed the row
    ("sum", [4.0, 2.0, 0.0, -4.0]),
    ("average", [2.0, 1.0, 0.0, -2.0]),     # plain averaging halves the rows one replica saw
    ("sqrt", [4.0 / np.sqrt(2.0), 2.0, 0.0, -4.0]),
])
def test_merge_rules(rule, expected):
    matrix = np.zeros((4, 3), np.float32)
    merger = Merger(matrix, rule)
    for d in _deltas():
        merger.add(Rows.of(d, changed_rows(d)))
    changed = merger.apply()
    assert changed.tolist() == [0, 1, 3]
    np.testing.assert_allclose(matrix[:, 0], expected, rtol=1e-6)
    # the accumulators are clean for the next round
    assert not merger.acc.any() and not merger.count.any() and merger.replicas == 0


def test_adaptive_rule_goes_from_sum_to_mean_with_the_updates_per_row():
    a, b = _deltas()
    matrix = np.zeros((4, 3), np.float32)
    # x = exposure * rate: row 0 (both replicas) at x = ln 2, i.e. each replica went half way (s = 1/2) and
    # the two in a row would have gone 3/4 of the way: w = 0.75 / (2 * 0.5); rows 1 and 3 (one replica
    # each) keep their whole delta whatever x is; row 2 (nobody) stays
    rates = np.array([np.log(2.0), 5.0, 7.0, 50.0])
    merger = Merger(matrix, "adaptive", rates)
    for d in (a, b):
        merger.add(Rows.of(d, changed_rows(d)))
    assert merger.apply(exposure=1.0).tolist() == [0, 1, 3]
    np.testing.assert_allclose(matrix[:, 0], [0.75 * 4.0, 2.0, 0.0, -4.0], rtol=1e-6)
    assert not merger.acc.any() and not merger.count.any()
    # no updates (x = 0) is "sum", a settled row (large x) the mean of the c replicas that moved it
    np.testing.assert_allclose(adaptive_weights([0.0, 1e-12, 40.0, 40.0, 1.0], [2, 3, 2, 4, 1]),
                               [1.0, 1.0, 0.5, 0.25, 1.0], rtol=1e-6)
    # in between it falls monotonically with x
    w = adaptive_weights(np.linspace(0.01, 10, 50), np.full(50, 4))
    assert np.all(np.diff(w) < 0) and 0.25 < w.min() and w.max() < 1.0
    with pytest.raises(ValueError, match="update rate"):
        Merger(matrix, "adaptive")


def test_update_rates_add_up_to_the_updates_of_the_corpus():
    counts = np.array([400, 300, 200, 50, 30, 20])
    codes, points, offsets = huffman_codes(counts)
    sg = update_rates(counts, sg=1, hs=1, negative=3, window=4, sample=0, code_offsets=offsets, points=points)
    # without subsampling every word is kept: window + 1 pairs per word, each updates one syn0 row with a
    # term per node of the centre's path and per syn1neg row (the centre's and 3 noise rows), and each of
    # those output rows with one term
    lengths = np.diff(offsets)
    mean_path = np.dot(counts / 1000, lengths)
    np.testing.assert_allclose(sg["syn0/syn1"], counts / 1000 * 5 * mean_path)
    np.testing.assert_allclose(sg["syn0/syn1neg"], counts / 1000 * 5 * (1 + 3))
    root = points[offsets[0]]                                     # every path starts at the root
    assert sg["syn1"][root] == pytest.approx(5.0) and sg["syn1"].max() == pytest.approx(5.0)
    assert sg["syn1"].sum() == pytest.approx(5.0 * mean_path)
    assert sg["syn1neg"].sum() == pytest.approx(5.0 * (1 + 3))
    assert sg["syn1neg"][0] > counts[0] / 1000 * 5                 # noise draws come on top
    cbow = update_rates(counts, sg=0, hs=1, negative=0, window=4, sample=0, shrink_windows=False,
                        code_offsets=offsets, points=points)
    np.testing.assert_allclose(cbow["syn0/syn1"], counts / 1000 * 8 * mean_path)   # 2 * window contexts
    assert cbow["syn1"][root] == pytest.approx(1.0) and "syn1neg" not in cbow and "syn0/syn1neg" not in cbow
    # subsampling thins the frequent words only
    sub, full = (update_rates(counts, sg=1, hs=0, negative=1, window=4, sample=s) for s in (0.01, 0))
    assert sub["syn0/syn1neg"][0] < full["syn0/syn1neg"][0]
    assert sub["syn0/syn1neg"][-1] == pytest.approx(full["syn0/syn1neg"][-1])
    # the merge's rates: a matrix's kinds of terms, each times its constant
    merged = adaptive_rates(sg)
    assert sorted(merged) == ["syn0", "syn1", "syn1neg"]
    np.testing.assert_allclose(merged["syn0"], ADAPTIVE_RATE["syn0/syn1"] * sg["syn0/syn1"]
                               + ADAPTIVE_RATE["syn0/syn1neg"] * sg["syn0/syn1neg"])
    np.testing.assert_allclose(merged["syn1neg"], ADAPTIVE_RATE["syn1neg"] * sg["syn1neg"])


def test_rows_are_sparse_only_when_smaller():
    m = np.arange(40, dtype=np.float32).reshape(10, 4)
    few = Rows.of(m, np.array([2, 7]))
    assert few.index.tolist() == [2, 7] and few.nbytes == 2 * 4 * 4 + 2 * 4
    many = Rows.of(m, np.arange(10))
    assert many.index is None and many.nbytes == m.nbytes
    target = np.zeros_like(m)
    few.apply_to(target)
    np.testing.assert_array_equal(target[[2, 7]], m[[2, 7]])
    assert not target[[0, 1, 3, 4, 5, 6, 8, 9]].any()


def test_round_plan_tiles_every_file_once():
    sizes = [1000, 10, 333]
    plan = RoundPlan(["a", "b", "c"], sizes, total_words=200, sync_words=30, n_replicas=3)
    for i, path in enumerate("abc"):
        spans = sorted((s, e) for p, s, e in plan.chunks if p == path)
        assert spans[0][0] == 0 and spans[-1][1] == sizes[i]
        assert all(x[1] == y[0] for x, y in zip(spans, spans[1:]))
    rounds = [plan.round_chunks(k) for k in range(plan.rounds_per_epoch)]
    assert sorted(c for r in rounds for c in r) == list(range(len(plan.chunks)))
    assert all(len(r) <= 3 for r in rounds)
    assert [r[1:] for r in split_ranges([5], [10])][-3:] == [(3, 4), (4, 4), (4, 5)]   # empty ones too


def test_replicas_train_at_a_larger_learning_rate_except_skip_gram_hs():
    ns = Word2Vec(sg=1, negative=5, hs=0)
    sg_hs = Word2Vec(sg=1, negative=0, hs=1)
    cbow_hs = Word2Vec(sg=0, negative=0, hs=1)
    sg_both = Word2Vec(sg=1, negative=5, hs=1)
    assert replica_alpha_scale(ns, 4) == pytest.approx(2.0)
    assert replica_alpha_scale(ns, 2) == pytest.approx(np.sqrt(2.0))
    assert replica_alpha_scale(ns, 1) == 1.0            # a lone replica is one process: no change
    assert replica_alpha_scale(cbow_hs, 9) == pytest.approx(3.0)
    assert replica_alpha_scale(sg_both, 4) == pytest.approx(2.0)
    assert replica_alpha_scale(sg_hs, 4) == 1.0
    assert replica_alpha_scale(ns, 4, alpha_scale=1.5) == 1.5
    assert replica_alpha_scale(sg_hs, 4, alpha_scale=2) == 2.0
    assert replica_alpha_scale(ns, 4, merge="sum") == 1.0   # the sum damps nothing to make up for
    assert replica_alpha_scale(ns, 4, merge="touched") == pytest.approx(2.0)
