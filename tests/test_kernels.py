"""The nogil kernels (w2vfast._kernels) against the NumPy reference and against their own contract."""
import threading

import numpy as np
import pytest

from w2vfast import _kernels as K
from w2vfast import reference as ref

# The table holds sigma at bucket midpoints, buckets 12/1000 wide: |table - sigma| <= 0.25 * 0.006.
SIGMOID_TABLE_ERROR = 0.25 * 6.0 / K.EXP_TABLE_SIZE
V, D = 13, 19          # 19 is not a multiple of any vector width: exercises the loops' tails


def table_sigmoid(x):
    """The kernels' own sigmoid, for reference runs that must agree to float rounding."""
    return np.float64(K.sigmoid_table(np.float32(x)))


def make_vocab(seed=0, V=V, D=D, scale=0.3):
    rng = np.random.default_rng(seed)
    counts = np.sort(rng.integers(1, 1000, size=V))[::-1].copy()
    codes, points, offsets = ref.huffman_tree(counts)
    thr, alias = ref.alias_table(counts ** 0.75)
    arrays = dict(
        syn0=rng.normal(scale=scale, size=(V, D)).astype(np.float32),
        syn1neg=rng.normal(scale=scale, size=(V, D)).astype(np.float32),
        syn1=rng.normal(scale=scale, size=(V, D)).astype(np.float32),
        codes=codes, points=points, code_offset=offsets,
        alias_threshold=thr, alias_index=alias,
        keep_threshold=np.full(V, 0xFFFFFFFF, dtype=np.uint32),
    )
    return counts, arrays


def kernel_model(a, *, sg=1, hs=0, negative=5, cbow_mean=1, window=3, **kw):
    return K.KernelModel(a["syn0"], a["syn1neg"] if negative else None, a["syn1"] if hs else None,
                         a["keep_threshold"], a["alias_threshold"] if negative else None,
                         a["alias_index"] if negative else None, a["codes"] if hs else None,
                         a["points"] if hs else None, a["code_offset"] if hs else None,
                         sg=sg, hs=hs, negative=negative, cbow_mean=cbow_mean, window=window, **kw)


def copies(a):
    return {k: v.copy() for k, v in a.items()}


def assert_update_matches(before, got, want, tol):
    """Rows the reference changed match within tol; rows it left alone are bit-for-bit untouched."""
    changed = np.any(want != before, axis=1)
    assert changed.any()
    np.testing.assert_array_equal(got[~changed], before[~changed])
    np.testing.assert_allclose(got[changed], want[changed], rtol=0, atol=tol)


def table_tolerance(alpha, a, n_targets):
    """Bound on the kernel/reference difference caused by the sigmoid table alone (plus float32 rounding)."""
    biggest = max(np.abs(a[k]).max() for k in ("syn0", "syn1neg", "syn1"))
    return alpha * SIGMOID_TABLE_ERROR * biggest * n_targets * 4 + 1e-5


CASES = [  # (name, hs, negatives)
    ("ns", False, [2, 9, 0, 4, 9]),       # 9 twice: its second visit must see the first update
    ("hs", True, None),
    ("hs+ns", True, [1, 5, 6, 11, 3]),
    ("ns-with-target", False, [7, 3, 12]),   # the draw equal to the centre (7) is dropped
]


def assert_matrices_match(before, got, want, hs, negatives, tol):
    """Matrices the example uses moved as the reference says; the others did not move at all."""
    for key in ("syn0", "syn1neg", "syn1"):
        if key == "syn1" and not hs or key == "syn1neg" and not negatives:
            np.testing.assert_array_equal(got[key], before[key])
        else:
            assert_update_matches(before[key], got[key], want[key], tol)


@pytest.mark.parametrize("name,hs,negatives", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("sigmoid", ["table", "exact"])
def test_sg_single_update_matches_reference(name, hs, negatives, sigmoid):
    _, a = make_vocab(1)
    context, centre, alpha = 4, 7, 0.5
    got, want = copies(a), {k: v.astype(np.float64) if v.dtype == np.float32 else v for k, v in a.items()}
    loss = K.sg_pair_update(got["syn0"], got["syn1neg"], got["syn1"], got["codes"], got["points"],
                            got["code_offset"], context, centre, negatives, alpha, hs)
    sig = table_sigmoid if sigmoid == "table" else ref.clamped_sigmoid
    want_loss = ref.sg_step(want["syn0"], want["syn1neg"], want["syn1"], a["codes"], a["points"],
                            a["code_offset"], context, centre, negatives, alpha, hs, sig=sig)
    n_targets = (len(negatives) + 1 if negatives else 0) + (8 if hs else 0)
    tol = 2e-6 if sigmoid == "table" else table_tolerance(alpha, a, n_targets)
    assert_matrices_match(a, got, want, hs, negatives, tol)
    # the log-sigmoid table is off by at most ~0.0015 per target as well
    assert loss == pytest.approx(want_loss, abs=0.002 * n_targets)


@pytest.mark.parametrize("name,hs,negatives", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("cbow_mean", [0, 1])
@pytest.mark.parametrize("sigmoid", ["table", "exact"])
def test_cbow_single_update_matches_reference(name, hs, negatives, cbow_mean, sigmoid):
    _, a = make_vocab(2)
    contexts, centre, alpha = [0, 4, 4, 10], 7, 0.5     # word 4 twice: it gets the update twice
    got, want = copies(a), {k: v.astype(np.float64) if v.dtype == np.float32 else v for k, v in a.items()}
    loss = K.cbow_update(got["syn0"], got["syn1neg"], got["syn1"], got["codes"], got["points"],
                         got["code_offset"], contexts, centre, negatives, alpha, cbow_mean, hs)
    sig = table_sigmoid if sigmoid == "table" else ref.clamped_sigmoid
    want_loss = ref.cbow_step(want["syn0"], want["syn1neg"], want["syn1"], a["codes"], a["points"],
                              a["code_offset"], contexts, centre, negatives, alpha, cbow_mean, hs, sig=sig)
    n_targets = (len(negatives) + 1 if negatives else 0) + (8 if hs else 0)
    tol = 5e-6 if sigmoid == "table" else table_tolerance(alpha, a, n_targets) * len(contexts)
    assert_matrices_match(a, got, want, hs, negatives, tol)
    assert loss == pytest.approx(want_loss, abs=0.002 * n_targets)


def test_saturated_sigmoid_still_updates():
    """Outside [-6, 6] the sigmoid is clamped to 0/1 and the update still happens."""
    _, a = make_vocab(3)
    a["syn0"][4] = 1.0
    a["syn1neg"][7] = 1.0       # f = 19 > 6 for the positive: sigma = 1, g = 0, no change
    a["syn1neg"][2] = 1.0       # f = 19 for a negative: sigma = 1, g = -alpha, a full-size update
    before = copies(a)
    K.sg_pair_update(a["syn0"], a["syn1neg"], None, None, None, None, 4, 7, [2], 0.1, False)
    np.testing.assert_array_equal(a["syn1neg"][7], before["syn1neg"][7])
    np.testing.assert_allclose(a["syn1neg"][2], 1.0 - 0.1, rtol=1e-6)
    np.testing.assert_allclose(a["syn0"][4], 1.0 - 0.1, rtol=1e-6)


@pytest.mark.parametrize("sg,cbow_mean", [(1, 1), (0, 1), (0, 0)])
def test_sentence_hs_matches_reference(sg, cbow_mean):
    _, a = make_vocab(4, scale=0.5)
    sentences = [[3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5], [8, 9, 7], [12], [0, 0, 11, 10]]
    ids = np.array([w for s in sentences for w in s], dtype=np.int32)
    ends = np.cumsum([len(s) for s in sentences]).astype(np.int32)
    model = kernel_model(a, sg=sg, hs=1, negative=0, cbow_mean=cbow_mean, window=2, shrink_windows=False,
                         compute_loss=True)
    worker = K.KernelWorker(model, seed=1, stream=0)
    want = {k: a[k].astype(np.float64) for k in ("syn0", "syn1")}
    before = copies(a)
    effective = worker.train_alpha(ids, ends, 0.3)
    assert effective == len(ids)
    loss = 0.0
    for s in sentences:
        loss += ref.train_sentence_hs(want["syn0"], want["syn1"], a["codes"], a["points"], a["code_offset"], s,
                                      window=2, alpha=0.3, sg=sg, cbow_mean=cbow_mean, sig=table_sigmoid)
    for key in ("syn0", "syn1"):
        assert_update_matches(before[key], a[key], want[key], 2e-5)
    np.testing.assert_array_equal(a["syn1neg"], before["syn1neg"])
    # the log-sigmoid table is off by at most ~0.0015 per target
    longest_path = np.diff(a["code_offset"]).max()
    assert worker.loss == pytest.approx(loss, abs=0.0016 * worker.examples * longest_path)
    assert worker.loss != pytest.approx(loss * 1.02, abs=0.0016 * worker.examples * longest_path)
    pairs = sum(min(len(s), i + 3) - max(0, i - 2) - 1 for s in sentences for i in range(len(s)))
    centres = sum(len(s) for s in sentences if len(s) > 1)
    assert worker.examples == (pairs if sg else centres)


def test_windows_do_not_cross_sentences():
    _, a = make_vocab(5)
    before = copies(a)
    model = kernel_model(a, sg=1, hs=1, negative=3, window=5)
    worker = K.KernelWorker(model, seed=1, stream=0)
    worker.train_alpha(np.array([1, 2, 3], dtype=np.int32), np.array([1, 2, 3], dtype=np.int32), 0.5)
    for key in ("syn0", "syn1neg", "syn1"):
        np.testing.assert_array_equal(a[key], before[key])
    assert worker.examples == 0


def test_subsampled_words_leave_the_window():
    """With window 1, [A, X, X, B] where X is always dropped trains A and B as neighbours."""
    _, a = make_vocab(6)
    a["keep_threshold"][5] = 0          # kept with probability 2**-32
    before = copies(a)
    model = kernel_model(a, sg=1, hs=1, negative=0, window=1, shrink_windows=False)
    worker = K.KernelWorker(model, seed=3, stream=0)
    n = worker.train_alpha(np.array([2, 5, 5, 8], dtype=np.int32), np.array([4], dtype=np.int32), 0.5)
    assert n == 2
    assert worker.examples == 2
    assert np.any(a["syn0"][2] != before["syn0"][2]) and np.any(a["syn0"][8] != before["syn0"][8])
    np.testing.assert_array_equal(a["syn0"][5], before["syn0"][5])


def test_subsampling_keeps_the_expected_fraction():
    counts, a = make_vocab(7)
    a["keep_threshold"][:] = ref.keep_thresholds([300, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], 0.05)
    p0 = ref.keep_probabilities([300] + [1] * 12, 0.05)[0]
    assert 0.2 < p0 < 0.6
    model = kernel_model(a, sg=1, hs=0, negative=1, window=1)
    worker = K.KernelWorker(model, seed=11, stream=0)
    n0, n1 = 60_000, 20_000
    ids = np.concatenate([np.zeros(n0, np.int32), np.full(n1, 3, np.int32)])
    np.random.default_rng(0).shuffle(ids)
    ends = np.arange(1000, len(ids) + 1, 1000, dtype=np.int32)
    kept = worker.train_alpha(ids, ends, 0.0)
    # word 3 is always kept; word 0 is a binomial(60000, p0): sd < 0.0025 of n0, allow ~5 sd
    assert abs((kept - n1) / n0 - p0) < 0.012


def test_alias_sampling_follows_unigram_to_the_power_075():
    counts, a = make_vocab(8)
    model = kernel_model(a, sg=1, hs=0, negative=5)
    n = 200_000
    draws = K.sample_negatives(model, seed=5, n=n)
    observed = np.bincount(draws, minlength=V)
    p = counts ** 0.75 / (counts ** 0.75).sum()
    chi2 = ((observed - n * p) ** 2 / (n * p)).sum()
    assert chi2 < 45, chi2      # 12 degrees of freedom: the 99.999th percentile is about 43
    assert not np.array_equal(draws, K.sample_negatives(model, seed=6, n=n))


@pytest.mark.parametrize("sg,hs,negative,shared", [(1, 0, 5, False), (0, 1, 3, False), (1, 1, 2, True)])
def test_same_seed_gives_bit_identical_results(sg, hs, negative, shared):
    runs = []
    rng = np.random.default_rng(9)
    ids = rng.integers(0, V, size=3000).astype(np.int32)
    ends = np.arange(100, 3001, 100, dtype=np.int32)
    for seed in (42, 42, 43):
        _, a = make_vocab(9)
        a["keep_threshold"][:6] = 2**31      # subsampling and window shrinking both draw random numbers
        model = kernel_model(a, sg=sg, hs=hs, negative=negative, window=4, shared_negatives=shared)
        worker = K.KernelWorker(model, seed=seed, stream=7)
        kept = worker.train_alpha(ids, ends, 0.05)
        runs.append((a, kept, worker.rng_state))
    for key in ("syn0", "syn1neg", "syn1"):
        np.testing.assert_array_equal(runs[0][0][key], runs[1][0][key])
    assert runs[0][1:] == runs[1][1:]
    assert not np.array_equal(runs[0][0]["syn0"], runs[2][0]["syn0"])


def test_rng_state_round_trips():
    _, a = make_vocab(10)
    ids = np.random.default_rng(1).integers(0, V, size=500).astype(np.int32)
    ends = np.array([250, 500], dtype=np.int32)
    model = kernel_model(a, sg=1, hs=0, negative=5, window=3)
    w1 = K.KernelWorker(model, seed=1, stream=0)
    w2 = K.KernelWorker(model, seed=2, stream=0)
    w1.train_alpha(ids, ends, 0.0)
    w2.rng_state = w1.rng_state
    assert w1.train_alpha(ids, ends, 0.0) == w2.train_alpha(ids, ends, 0.0)
    assert w1.rng_state == w2.rng_state
    assert K.KernelWorker(model, 1, 0).rng_state != K.KernelWorker(model, 1, 1).rng_state


def test_shrinking_windows_average_length():
    _, a = make_vocab(11)
    model = kernel_model(a, sg=1, hs=0, negative=1, window=5)
    worker = K.KernelWorker(model, seed=3, stream=0)
    n = 10_000
    worker.train_alpha(np.zeros(n, np.int32), np.array([n], np.int32), 0.0)
    # b uniform in 0..4, effective window 5 - b: on average 3 words on each side
    assert worker.examples / n == pytest.approx(2 * 3, rel=0.03)


def test_shared_negatives_equal_per_pair_draws_when_there_is_one_candidate():
    """With every negative forced to the same word, sharing the draws changes nothing but the rng use."""
    results = []
    for shared in (False, True):
        _, a = make_vocab(12)
        a["alias_threshold"][:] = 0
        a["alias_index"][:] = 6          # every draw is word 6
        model = kernel_model(a, sg=1, hs=0, negative=3, window=2, shrink_windows=False,
                             shared_negatives=shared)
        worker = K.KernelWorker(model, seed=1, stream=0)
        ids = np.random.default_rng(2).integers(0, V, size=200).astype(np.int32)
        worker.train_alpha(ids, np.array([100, 200], np.int32), 0.1)
        results.append(a)
    for key in ("syn0", "syn1neg"):
        np.testing.assert_allclose(results[0][key], results[1][key], atol=1e-6)


def xorshift_steps(start, end, limit=100_000):
    """How many xorshift64* steps lead from state start to state end."""
    mask = (1 << 64) - 1
    x = start
    for steps in range(limit):
        if x == end:
            return steps
        x ^= x >> 12
        x ^= (x << 25) & mask
        x ^= x >> 27
    raise AssertionError("end state not reached")


@pytest.mark.parametrize("sg", [1, 0])
@pytest.mark.parametrize("shared", [False, True])
def test_random_draws_per_example(sg, shared):
    """Without subsampling or window shrinking the only draws are negatives: one set per (context, centre)
    pair for skip-gram, one per centre word for CBOW and for skip-gram with shared negatives."""
    _, a = make_vocab(22)
    model = kernel_model(a, sg=sg, hs=0, negative=4, window=2, shrink_windows=False, shared_negatives=shared)
    worker = K.KernelWorker(model, seed=5, stream=0)
    before = worker.rng_state
    sentences = [7, 1, 30]
    ids = np.random.default_rng(0).integers(0, V, size=sum(sentences)).astype(np.int32)
    worker.train_alpha(ids, np.cumsum(sentences).astype(np.int32), 0.1)
    centres = sum(n for n in sentences if n > 1)
    pairs = sum(min(n, i + 3) - max(0, i - 2) - 1 for n in sentences for i in range(n))
    per_pair = sg and not shared
    assert xorshift_steps(before, worker.rng_state) == 4 * (pairs if per_pair else centres)
    assert worker.examples == (pairs if sg else centres)


@pytest.mark.parametrize("sg", [1, 0])
def test_many_negatives(sg):
    """More negatives than the look-ahead buffers hold: the loop falls back to drawing in place."""
    results = []
    for _ in range(2):
        _, a = make_vocab(23, V=300, scale=0.05)
        model = kernel_model(a, sg=sg, hs=1, negative=70, window=3, compute_loss=True)
        worker = K.KernelWorker(model, seed=2, stream=0)
        ids = np.random.default_rng(1).integers(0, 300, size=2000).astype(np.int32)
        losses = []
        for _ in range(3):
            worker.loss, worker.examples = 0.0, 0
            worker.train_alpha(ids, np.arange(100, 2001, 100, dtype=np.int32), 0.05)
            losses.append(worker.loss / worker.examples)
        assert losses[-1] < losses[0]
        results.append(a["syn0"])
    np.testing.assert_array_equal(results[0], results[1])


@pytest.mark.parametrize("sg,hs,negative,shared", [(1, 0, 5, False), (1, 0, 5, True), (0, 0, 5, False),
                                                   (1, 1, 0, False), (0, 1, 0, False), (1, 1, 3, False)])
def test_loss_is_positive_and_decreases(sg, hs, negative, shared):
    _, a = make_vocab(13, V=40, scale=0.05)
    a = {k: (v * 0 if k == "syn1neg" or k == "syn1" else v) for k, v in a.items()}
    rng = np.random.default_rng(3)
    # a small corpus with structure: words come in fixed pairs (2k, 2k+1)
    ids = np.stack([rng.integers(0, 20, 2000) * 2, rng.integers(0, 20, 2000) * 2 + 1], axis=1)
    ids = ids.reshape(-1).astype(np.int32)
    ends = np.arange(100, len(ids) + 1, 100, dtype=np.int32)
    model = kernel_model(a, sg=sg, hs=hs, negative=negative, window=1, shrink_windows=False, compute_loss=True,
                         shared_negatives=shared)
    worker = K.KernelWorker(model, seed=0, stream=0)
    losses = []
    for epoch in range(6):
        worker.loss, worker.examples = 0.0, 0
        worker.train_alpha(ids, ends, 0.05)
        losses.append(worker.loss / worker.examples)
    assert all(np.isfinite(losses)) and min(losses) > 0
    assert losses[-1] < 0.9 * losses[0], losses


def test_no_loss_without_compute_loss():
    _, a = make_vocab(14)
    model = kernel_model(a, sg=1, hs=1, negative=2)
    worker = K.KernelWorker(model, seed=0, stream=0)
    worker.train_alpha(np.arange(V, dtype=np.int32), np.array([V], np.int32), 0.05)
    assert worker.loss == 0.0 and worker.examples > 0


def test_learning_rate_schedule_and_train():
    lr = K.LearningRate(0.025, 0.0001, 1000)
    assert lr.alpha == pytest.approx(0.025)
    lr.done = 500
    assert lr.alpha == pytest.approx(0.025 - (0.025 - 0.0001) * 0.5)
    lr.done = 5000
    assert lr.alpha == pytest.approx(0.0001)
    _, a = make_vocab(15)
    model = kernel_model(a, sg=0, hs=0, negative=2)
    worker = K.KernelWorker(model, seed=0, stream=0)
    lr = K.LearningRate(0.025, 0.0001, 1000)
    ids = np.arange(V, dtype=np.int32)
    assert worker.train(ids, np.array([V], np.int32), lr, 400) == V
    assert lr.done == 400
    # a zero learning rate leaves everything untouched
    frozen = copies(a)
    done = K.LearningRate(0.0, 0.0, 10)
    worker.train(ids, np.array([V], np.int32), done, 10)
    for key in ("syn0", "syn1neg"):
        np.testing.assert_array_equal(a[key], frozen[key])


def test_threads_train_concurrently():
    _, a = make_vocab(16, V=200, D=32)
    model = kernel_model(a, sg=1, hs=1, negative=5, window=5)
    lr = K.LearningRate(0.025, 0.001, 2 * 20 * 5000)
    rng = np.random.default_rng(0)
    jobs = [rng.integers(0, 200, size=5000).astype(np.int32) for _ in range(40)]
    ends = np.arange(500, 5001, 500, dtype=np.int32)
    totals = [0, 0]

    def run(t):
        worker = K.KernelWorker(model, seed=0, stream=t)
        for ids in jobs[t::2]:
            totals[t] += worker.train(ids, ends, lr, len(ids))

    threads = [threading.Thread(target=run, args=(t,)) for t in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert lr.done == 40 * 5000 and sum(totals) == 40 * 5000
    assert np.all(np.isfinite(a["syn0"]))


def test_simd_level_is_reported():
    assert K.simd_level() in ("avx512", "avx2", "baseline")
    assert K.available_simd_levels()[0] == K.simd_level()
    with pytest.raises(ValueError):
        K.set_simd_level("sse9")


@pytest.mark.parametrize("level", ["avx512", "avx2", "baseline"])
@pytest.mark.parametrize("size", [1, 7, 8, 15, 16, 17, 31, 32, 33, 100])
def test_every_simd_level_matches_reference(level, size):
    """Each instruction-set version, across vector widths and tails, against the reference (table sigmoid)."""
    if level not in K.available_simd_levels():
        pytest.skip(f"{level} is not available on this machine")
    best = K.simd_level()
    try:
        K.set_simd_level(level)
        _, a = make_vocab(20, D=size)
        # guard cells after the last row would catch a tail written past the end
        negatives, context, centre, alpha = [0, 5, 5, 12, 3, 2, 8, 9, 10, 11], 12, 4, 0.5
        got = copies(a)
        want = {k: v.astype(np.float64) if v.dtype == np.float32 else v for k, v in a.items()}
        K.sg_pair_update(got["syn0"], got["syn1neg"], got["syn1"], got["codes"], got["points"],
                         got["code_offset"], context, centre, negatives, alpha, True)
        ref.sg_step(want["syn0"], want["syn1neg"], want["syn1"], a["codes"], a["points"], a["code_offset"],
                    context, centre, negatives, alpha, True, sig=table_sigmoid)
        for key in ("syn0", "syn1neg", "syn1"):
            assert_update_matches(a[key], got[key], want[key], 5e-6)
    finally:
        K.set_simd_level(best)


def test_tails_never_touch_memory_past_a_row():
    """Rows live back to back: updating the last column of one row must not spill into the next."""
    for level in K.available_simd_levels():
        K.set_simd_level(level)
        try:
            for size in (3, 9, 17):
                _, a = make_vocab(21, D=size)
                before = copies(a)
                K.sg_pair_update(a["syn0"], a["syn1neg"], None, None, None, None, 3, 4, [5], 0.5, False)
                changed = np.any(a["syn1neg"] != before["syn1neg"], axis=1)
                assert set(np.flatnonzero(changed)) == {4, 5}
                assert set(np.flatnonzero(np.any(a["syn0"] != before["syn0"], axis=1))) == {3}
        finally:
            K.set_simd_level(K.available_simd_levels()[0])


# ------------------------------------------------------------------------------------------------------------
# Bad input
# ------------------------------------------------------------------------------------------------------------

def test_model_validation():
    _, a = make_vocab(17)
    with pytest.raises(TypeError, match="syn0"):
        kernel_model({**a, "syn0": a["syn0"].astype(np.float64)})
    with pytest.raises(ValueError, match="syn0"):
        kernel_model({**a, "syn0": np.asfortranarray(a["syn0"])})
    with pytest.raises(ValueError, match="syn1neg"):
        kernel_model({**a, "syn1neg": a["syn1neg"][:-1]})
    with pytest.raises(TypeError, match="alias_index"):
        kernel_model({**a, "alias_index": a["alias_index"].astype(np.int64)})
    with pytest.raises(ValueError, match="alias_index"):
        kernel_model({**a, "alias_index": a["alias_index"] + V})
    with pytest.raises(ValueError, match="code_offset"):
        kernel_model({**a, "code_offset": a["code_offset"][:-1]}, hs=1)
    with pytest.raises(ValueError, match="points"):
        kernel_model({**a, "points": a["points"] + V}, hs=1)
    with pytest.raises(ValueError, match="keep_threshold"):
        kernel_model({**a, "keep_threshold": a["keep_threshold"][:3]})
    with pytest.raises(ValueError, match="hs"):
        kernel_model(a, hs=0, negative=0)
    with pytest.raises(ValueError, match="window"):
        kernel_model(a, window=0)
    readonly = a["syn0"].copy()
    readonly.flags.writeable = False
    with pytest.raises(ValueError, match="writable"):
        kernel_model({**a, "syn0": readonly})
    with pytest.raises(TypeError, match="syn1neg"):
        kernel_model({**a, "syn1neg": None})


def test_train_validation():
    _, a = make_vocab(18)
    model = kernel_model(a)
    worker = K.KernelWorker(model, seed=0, stream=0, max_sentence=10)
    good = np.arange(5, dtype=np.int32)
    with pytest.raises(TypeError, match="ids"):
        worker.train_alpha(good.astype(np.int64), np.array([5], np.int32), 0.1)
    with pytest.raises(TypeError, match="sentence_ends"):
        worker.train_alpha(good, np.array([5], np.int64), 0.1)
    with pytest.raises(ValueError, match="ids"):
        worker.train_alpha(np.array([0, V], np.int32), np.array([2], np.int32), 0.1)
    with pytest.raises(ValueError, match="ids"):
        worker.train_alpha(np.array([0, -1], np.int32), np.array([2], np.int32), 0.1)
    with pytest.raises(ValueError, match="max_sentence"):
        worker.train_alpha(np.zeros(11, np.int32), np.array([11], np.int32), 0.1)
    with pytest.raises(ValueError, match="sentence_ends"):
        worker.train_alpha(good, np.array([3, 2], np.int32), 0.1)
    with pytest.raises(ValueError, match="sentence_ends"):
        worker.train_alpha(good, np.array([6], np.int32), 0.1)
    with pytest.raises(ValueError, match="rng_state"):
        worker.rng_state = 0
    with pytest.raises(TypeError):
        worker.train(good, np.array([5], np.int32), None, 5)
    with pytest.raises(ValueError, match="total_words"):
        K.LearningRate(0.025, 0.0001, -1)
    with pytest.raises(ValueError, match="negatives"):
        K.sg_pair_update(a["syn0"], a["syn1neg"], None, None, None, None, 0, 1, [V], 0.1, False)
    with pytest.raises(ValueError, match="contexts"):
        K.cbow_update(a["syn0"], a["syn1neg"], None, None, None, None, [], 1, [2], 0.1, 1, False)
    assert worker.train_alpha(np.zeros(0, np.int32), np.zeros(0, np.int32), 0.1) == 0


PRIVATE_MODES = [(1, 0, 5, False), (0, 0, 5, False), (1, 1, 0, False), (0, 1, 0, False), (1, 1, 3, True),
                 (0, 1, 3, False)]


def _train_with_private_rows(mode, private_rows, private_hs_rows, sync_words, n_workers=1):
    """Train a fresh copy of one small model (Zipf-like ids, so that low ids are the frequent ones) with
    n_workers workers used in turn, batch by batch, from one thread; returns the matrices."""
    sg, hs, negative, shared = mode
    _, a = make_vocab(21, V=60, D=19)
    a["keep_threshold"][:4] = 2**31
    model = kernel_model(a, sg=sg, hs=hs, negative=negative, window=4, shared_negatives=shared)
    workers = [K.KernelWorker(model, seed=3, stream=i, private_rows=private_rows, private_hs_rows=private_hs_rows,
                              sync_words=sync_words) for i in range(n_workers)]
    rng = np.random.default_rng(4)
    for batch in range(6):
        ids = np.minimum(rng.zipf(1.3, size=900) - 1, 59).astype(np.int32)
        ends = np.arange(30, 901, 30, dtype=np.int32)
        workers[batch % n_workers].train_alpha(ids, ends, 0.05)
    return {k: a[k] for k in ("syn0", "syn1neg", "syn1")}


@pytest.mark.parametrize("mode", PRIVATE_MODES)
@pytest.mark.parametrize("private,private_hs,sync", [(8, 0, 0), (60, 59, 0), (8, 5, 50), (3, 7, 1), (60, 59, 64),
                                                     (16, 24, 1000)])
def test_private_rows_do_not_change_a_lone_workers_result(mode, private, private_hs, sync):
    # Private copies are a matter of where rows live, not of the maths: one worker (or several used one after
    # the other) must give bit-identical matrices with and without them, however often they are merged.
    for n_workers in (1, 2):
        plain = _train_with_private_rows(mode, 0, 0, 0, n_workers)
        private_run = _train_with_private_rows(mode, private, private_hs, sync, n_workers)
        for key in ("syn0", "syn1neg", "syn1"):
            np.testing.assert_array_equal(private_run[key], plain[key], err_msg=f"{key}, {n_workers} workers")
    assert not np.array_equal(plain["syn0"], make_vocab(21, V=60, D=19)[1]["syn0"])   # it did train


def test_private_rows_are_merged_not_overwritten():
    # A worker's merge adds its change (rows - base) to the shared rows, so a change another worker merged
    # meanwhile stays; where nobody else changed an element it takes the worker's value exactly.
    rng = np.random.default_rng(6)
    base = rng.normal(size=37).astype(np.float32)
    mine = base + rng.normal(scale=0.1, size=37).astype(np.float32)
    theirs = base + rng.normal(scale=0.1, size=37).astype(np.float32)
    theirs[::3] = base[::3]            # elements the other worker left alone
    shared = theirs.copy()
    K.merge_private_rows(shared, mine, base)
    expect = theirs + (mine - base)
    expect[::3] = mine[::3]
    np.testing.assert_array_equal(shared, expect)
    untouched = base.copy()
    K.merge_private_rows(untouched, mine, base)
    np.testing.assert_array_equal(untouched, mine)
    halves = theirs.copy()
    K.merge_private_rows(halves, mine, base, 0.5)
    np.testing.assert_allclose(halves, theirs + 0.5 * (mine - base), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("sg,hs,negative", [(1, 1, 0), (1, 0, 5), (0, 0, 5)])
def test_four_workers_sharing_their_private_rows_stay_bounded(sg, hs, negative):
    # Four workers that each move their private copies thousands of times between merges: adding every move
    # in full overshoots four-fold and the rows blow up (tens, from a start near 0.01); with the share that
    # Word2Vec uses (merge_scale = 2/4) they stay as small as one worker's.
    W = 4
    _, a = make_vocab(30, V=80, D=16, scale=0.01)
    a["syn1"][:] = 0
    a["syn1neg"][:] = 0
    model = kernel_model(a, sg=sg, hs=hs, negative=negative, window=5)
    rng = np.random.default_rng(1)
    jobs = [np.minimum(rng.zipf(1.3, size=10000) - 1, 79).astype(np.int32) for _ in range(W * 10)]
    ends = np.arange(100, 10001, 100, dtype=np.int32)
    workers = [K.KernelWorker(model, 3, i, private_rows=80, private_hs_rows=79, sync_words=20000,
                              merge_scale=2 / W) for i in range(W)]
    barrier = threading.Barrier(W)

    def run(i):
        barrier.wait()
        for ids in jobs[i::W]:
            workers[i].train_alpha(ids, ends, 0.025)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(W)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out = a["syn1"] if hs else a["syn1neg"]
    assert np.abs(a["syn0"]).max() < 5 and np.abs(out).max() < 5


def test_threads_with_private_rows_train_together():
    _, a = make_vocab(16, V=200, D=32)
    start = a["syn0"].copy()
    model = kernel_model(a, sg=1, hs=1, negative=5, window=5)
    rng = np.random.default_rng(0)
    jobs = [np.minimum(rng.zipf(1.2, size=5000) - 1, 199).astype(np.int32) for _ in range(20)]
    ends = np.arange(500, 5001, 500, dtype=np.int32)
    workers = [K.KernelWorker(model, seed=0, stream=t, private_rows=50, private_hs_rows=20, sync_words=700)
               for t in range(2)]

    def run(t):
        for ids in jobs[t::2]:
            workers[t].train_alpha(ids, ends, 0.02)

    threads = [threading.Thread(target=run, args=(t,)) for t in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert np.all(np.isfinite(a["syn0"])) and np.all(np.isfinite(a["syn1neg"])) and np.all(np.isfinite(a["syn1"]))
    assert not np.array_equal(a["syn0"][:50], start[:50])     # the private rows' changes reached the model
    assert not np.array_equal(a["syn0"][50:], start[50:])


def test_private_row_counts_are_clipped_and_checked():
    _, a0 = make_vocab(23, V=30, D=8)
    with pytest.raises(ValueError, match="merge_scale"):
        K.KernelWorker(kernel_model(a0, sg=1, hs=0, negative=5), 0, 0, merge_scale=0)
    _, a = make_vocab(23, V=30, D=8)
    ns = kernel_model(a, sg=1, hs=0, negative=5)
    assert K.KernelWorker(ns, 0, 0, private_rows=1000).private_rows == (30, 30, 0)
    both = kernel_model(a, sg=0, hs=1, negative=2)
    assert K.KernelWorker(both, 0, 0, private_rows=4, private_hs_rows=1000).private_rows == (4, 4, 29)
    hs_only = kernel_model(a, sg=0, hs=1, negative=0)
    assert K.KernelWorker(hs_only, 0, 0, private_rows=4).private_rows == (4, 0, 0)
    with pytest.raises(ValueError, match="private_rows"):
        K.KernelWorker(ns, 0, 0, private_rows=-1)
    with pytest.raises(ValueError, match="sync_words"):
        K.KernelWorker(ns, 0, 0, sync_words=-1)
