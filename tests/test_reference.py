"""The plain-NumPy reference (w2vfast.reference) against worked numbers and finite differences."""
import numpy as np
import pytest

from w2vfast import reference as ref


def numeric_gradient(loss, arr, eps=1e-6):
    """Central finite differences of loss() with respect to every entry of arr (float64, modified and restored)."""
    grad = np.zeros_like(arr)
    it = np.nditer(arr, flags=["multi_index"])
    for _ in it:
        idx = it.multi_index
        old = arr[idx]
        arr[idx] = old + eps
        up = loss()
        arr[idx] = old - eps
        down = loss()
        arr[idx] = old
        grad[idx] = (up - down) / (2 * eps)
    return grad


def test_softmax_worked_example():
    u = [0.100934, -0.309331, -0.122361, -0.151399, 0.143463, -0.051262, -0.079686, 0.112928]
    y = ref.softmax(u)
    expected = [0.143073, 0.094925, 0.114441, 0.111166, 0.149289, 0.122874, 0.119431, 0.144800]
    np.testing.assert_allclose(y, expected, atol=5e-7)
    assert y.sum() == pytest.approx(1.0)


def test_softmax_error_vector_worked_example():
    """With W_out = I the scores are the hidden vector itself, so the worked example's scores can be fed in."""
    u = np.array([0.100934, -0.309331, -0.122361, -0.151399, 0.143463, -0.051262, -0.079686, 0.112928])
    W_in = u[None, :].copy()          # one input word whose vector is u
    W_out = np.eye(8)
    e, _, _ = ref.softmax_gradients(W_in, W_out, context=0, target=3)
    expected = [-0.143073, -0.094925, -0.114441, 0.888834, -0.149289, -0.122874, -0.119431, -0.144800]
    np.testing.assert_allclose(e, expected, atol=5e-7)
    assert e.sum() == pytest.approx(0.0, abs=1e-12)


def test_softmax_is_shift_invariant_and_overflow_free():
    u = np.array([1000.0, 1001.0, 999.0])
    np.testing.assert_allclose(ref.softmax(u), ref.softmax(u - 1000.0))
    assert np.all(np.isfinite(ref.softmax(u)))


def test_full_softmax_gradients_match_finite_differences():
    rng = np.random.default_rng(0)
    V, d = 7, 4
    W_in = rng.normal(size=(V, d))
    W_out = rng.normal(size=(d, V))
    context, target = 2, 5
    _, g_in, g_out = ref.softmax_gradients(W_in, W_out, context, target)
    loss = lambda: ref.softmax_loss(W_in, W_out, context, target)
    np.testing.assert_allclose(g_in, numeric_gradient(loss, W_in), atol=1e-7)
    np.testing.assert_allclose(g_out, numeric_gradient(loss, W_out), atol=1e-7)
    assert np.all(g_in[np.arange(V) != context] == 0)


def test_full_softmax_step_lowers_the_loss():
    rng = np.random.default_rng(1)
    W_in, W_out = rng.normal(size=(6, 3)), rng.normal(size=(3, 6))
    before = ref.softmax_step(W_in, W_out, 1, 4, alpha=0.1)
    assert ref.softmax_loss(W_in, W_out, 1, 4) < before


@pytest.mark.parametrize("kind", ["ns", "hs"])
def test_output_gradients_match_finite_differences(kind):
    rng = np.random.default_rng(2)
    V, d = 9, 5
    h = rng.normal(size=d)
    out = rng.normal(size=(V, d))
    if kind == "ns":
        rows, labels = ref.ns_targets(3, [0, 7, 3, 7])     # the negative equal to the target is dropped
        assert rows == [3, 0, 7, 7] and labels == [1, 0, 0, 0]
    else:
        codes, points, offsets = ref.huffman_tree(rng.integers(1, 100, size=V + 1))
        rows, labels = ref.hs_targets(codes, points, offsets, 4)
        assert len(rows) >= 2
    g_h, g_out = ref.output_gradients(h, out, rows, labels)
    loss = lambda: ref.output_loss(h, out, rows, labels)
    np.testing.assert_allclose(g_h, numeric_gradient(loss, h), atol=1e-7)
    np.testing.assert_allclose(g_out, numeric_gradient(loss, out), atol=1e-7)


def test_update_step_is_a_gradient_step():
    """With distinct rows and the exact sigmoid, train_targets moves out by -alpha * dL/dout and returns
    -alpha * dL/dh as work."""
    rng = np.random.default_rng(3)
    h, out = rng.normal(size=4), rng.normal(size=(6, 4))
    rows, labels = ref.ns_targets(1, [0, 4, 5])
    g_h, g_out = ref.output_gradients(h, out, rows, labels)
    expected_out = out - 0.05 * g_out
    loss_before = ref.output_loss(h, out, rows, labels)
    work = np.zeros(4)
    loss = ref.train_targets(h, out, rows, labels, 0.05, work, sig=ref.sigmoid, log_sig=ref.log_sigmoid)
    np.testing.assert_allclose(out, expected_out, atol=1e-12)
    np.testing.assert_allclose(work, -0.05 * g_h, atol=1e-12)
    assert loss == pytest.approx(loss_before)


def test_clamped_sigmoid_convention():
    x = np.array([-7.0, -6.0, -5.0, 0.0, 5.0, 6.0, 7.0])
    np.testing.assert_array_equal(ref.clamped_sigmoid(x)[[0, 1, 5, 6]], [0, 0, 1, 1])
    assert ref.clamped_sigmoid(0.0) == 0.5
    np.testing.assert_allclose(ref.clamped_log_sigmoid(x)[[0, 1, 5, 6]], [-7, -6, 0, 0])
    np.testing.assert_allclose(ref.clamped_log_sigmoid(-5.0), np.log(ref.sigmoid(-5.0)))


def test_sg_step_both_heads_is_hs_then_ns():
    rng = np.random.default_rng(4)
    V, d = 8, 3
    codes, points, offsets = ref.huffman_tree(rng.integers(1, 50, size=V))
    arrays = [rng.normal(scale=0.5, size=(V, d)) for _ in range(3)]
    both = [a.copy() for a in arrays]
    ref.sg_step(both[0], both[1], both[2], codes, points, offsets, 2, 6, [1, 3], 0.1, hs=True)
    # by hand: work from HS then NS, both against the original input vector
    syn0, syn1neg, syn1 = [a.copy() for a in arrays]
    h = syn0[2].copy()
    work = np.zeros(d)
    rows, labels = ref.hs_targets(codes, points, offsets, 6)
    ref.train_targets(h, syn1, rows, labels, 0.1, work)
    rows, labels = ref.ns_targets(6, [1, 3])
    ref.train_targets(h, syn1neg, rows, labels, 0.1, work)
    syn0[2] = h + work
    for got, want in zip(both, (syn0, syn1neg, syn1)):
        np.testing.assert_allclose(got, want)


@pytest.mark.parametrize("cbow_mean", [0, 1])
def test_cbow_step_scaling_convention(cbow_mean):
    rng = np.random.default_rng(5)
    V, d = 6, 4
    syn0, syn1neg = rng.normal(size=(V, d)), rng.normal(size=(V, d))
    contexts, centre, negs = [0, 2, 2, 5], 3, [1, 4]
    h = syn0[contexts].sum(axis=0) / (len(contexts) if cbow_mean else 1)
    out = syn1neg.copy()
    work = np.zeros(d)
    ref.train_targets(h, out, *ref.ns_targets(centre, negs), 0.2, work)
    step = work if cbow_mean else work / len(contexts)
    expected = syn0.copy()
    for c in contexts:
        expected[c] += step
    ref.cbow_ns_step(syn0, syn1neg, contexts, centre, negs, 0.2, cbow_mean)
    np.testing.assert_allclose(syn0, expected)
    np.testing.assert_allclose(syn1neg, out)


def test_huffman_tree_is_a_prefix_code_with_short_paths_for_frequent_words():
    counts = np.array([50, 30, 10, 5, 3, 1, 1])
    codes, points, offsets = ref.huffman_tree(counts)
    V = len(counts)
    paths = [tuple(codes[offsets[w]:offsets[w + 1]]) for w in range(V)]
    for a in range(V):
        for b in range(V):
            if a != b:
                assert paths[b][:len(paths[a])] != paths[a], "a code is a prefix of another"
    assert len(paths[0]) <= len(paths[-1])
    assert all(points[offsets[w]] == V - 2 for w in range(V))     # every path starts at the root
    assert points.min() >= 0 and points.max() <= V - 2
    # Kraft equality of a full binary tree
    assert sum(2.0 ** -len(p) for p in paths) == pytest.approx(1.0)


def test_alias_table_reproduces_the_distribution_exactly():
    w = np.array([5.0, 1.0, 0.5, 3.0, 0.0, 2.5])
    thr, alias = ref.alias_table(w)
    n = len(w)
    prob = np.zeros(n)
    for i in range(n):
        keep = thr[i] / 2.0**32
        prob[i] += keep / n
        prob[alias[i]] += (1 - keep) / n
    np.testing.assert_allclose(prob, w / w.sum(), atol=1e-9)


def test_keep_thresholds():
    counts = np.array([1_000_000, 1000, 1])
    p = ref.keep_probabilities(counts, 1e-3)
    f = counts[0] / counts.sum()
    t = 1e-3
    assert p[0] == pytest.approx((np.sqrt(f / t) + 1) * t / f)
    assert p[2] == 1.0
    thr = ref.keep_thresholds(counts, 1e-3)
    assert thr[2] == 0xFFFFFFFF
    assert (int(thr[0]) + 1) / 2**32 == pytest.approx(p[0], rel=1e-8)
    assert np.all(ref.keep_thresholds(counts, 0) == 0xFFFFFFFF)
