"""Micro-benchmarks of the training kernels on a synthetic Zipf corpus (one thread).

    pytest bench/ --benchmark-only

Not part of the default test run (pytest looks in tests/ only). For words per second against gensim on a real
corpus, use bench/kernel_speed.py.
"""
import numpy as np
import pytest

from w2vfast import _kernels as K
from w2vfast import reference as ref

pytest.importorskip("pytest_benchmark")

V, DIM, WORDS, SENTENCE = 20_000, 100, 200_000, 1000


@pytest.fixture(scope="module")
def corpus():
    rng = np.random.default_rng(0)
    p = 1.0 / np.arange(1, V + 1)
    p /= p.sum()
    ids = rng.choice(V, size=WORDS, p=p).astype(np.int32)
    counts = np.maximum(np.bincount(ids, minlength=V), 1)
    order = np.argsort(-counts, kind="stable")     # ids by descending count, as a vocabulary would be
    remap = np.empty(V, dtype=np.int32)
    remap[order] = np.arange(V, dtype=np.int32)
    ids = remap[ids]
    counts = counts[order]
    ends = np.arange(SENTENCE, WORDS + 1, SENTENCE, dtype=np.int32)
    tables = dict(keep=ref.keep_thresholds(counts, 1e-3), alias=ref.alias_table(counts ** 0.75),
                  huffman=ref.huffman_tree(counts))
    return ids, ends, tables


def make_worker(tables, sg, hs, negative, shared=False):
    rng = np.random.default_rng(1)
    syn0 = ((rng.random((V, DIM), dtype=np.float32) - 0.5) / DIM).astype(np.float32)
    syn1neg = np.zeros((V, DIM), np.float32)
    syn1 = np.zeros((V, DIM), np.float32)
    thr, alias = tables["alias"]
    codes, points, offsets = tables["huffman"]
    model = K.KernelModel(syn0, syn1neg if negative else None, syn1 if hs else None, tables["keep"],
                          thr if negative else None, alias if negative else None, codes if hs else None,
                          points if hs else None, offsets if hs else None, sg=sg, hs=hs, negative=negative,
                          cbow_mean=1, window=5, shared_negatives=shared)
    return K.KernelWorker(model, seed=1, stream=0)


@pytest.mark.parametrize("mode,sg,hs,negative,shared", [
    ("sg-ns", 1, 0, 5, False),
    ("sg-ns-shared", 1, 0, 5, True),
    ("cbow-ns", 0, 0, 5, False),
    ("sg-hs", 1, 1, 0, False),
    ("cbow-hs", 0, 1, 0, False),
])
def test_train_batch(benchmark, corpus, mode, sg, hs, negative, shared):
    ids, ends, tables = corpus
    worker = make_worker(tables, sg, hs, negative, shared)
    benchmark.extra_info["simd"] = K.simd_level()
    benchmark.extra_info["words"] = WORDS
    kept = benchmark.pedantic(worker.train_alpha, args=(ids, ends, 0.025), rounds=5, warmup_rounds=1)
    assert 0 < kept <= WORDS


@pytest.mark.parametrize("level", ["avx512", "avx2", "baseline"])
def test_sg_ns_by_simd_level(benchmark, corpus, level):
    if level not in K.available_simd_levels():
        pytest.skip(f"{level} is not available here")
    ids, ends, tables = corpus
    worker = make_worker(tables, 1, 0, 5)
    best = K.simd_level()
    K.set_simd_level(level)
    try:
        benchmark.pedantic(worker.train_alpha, args=(ids, ends, 0.025), rounds=3, warmup_rounds=1)
    finally:
        K.set_simd_level(best)
