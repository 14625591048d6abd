"""Merge rules and sparse rows of w2vfast.distributed (plain NumPy: runs without dask)."""
import numpy as np
import pytest

from w2vfast.distributed.merge import Merger, Rows, changed_rows
from w2vfast.distributed.shards import RoundPlan, split_ranges


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
