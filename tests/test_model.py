import hashlib
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import subprocess_env, write_corpus
from w2vfast import CallbackAny2Vec, Word2Vec

MODES = {
    "sg-ns": dict(sg=1, hs=0, negative=5),
    "sg-hs": dict(sg=1, hs=1, negative=0),
    "cbow-ns": dict(sg=0, hs=0, negative=5),
    "cbow-hs": dict(sg=0, hs=1, negative=0),
    "cbow-sum-ns": dict(sg=0, hs=0, negative=5, cbow_mean=0),
    "sg-hs+ns": dict(sg=1, hs=1, negative=5),
}


def family_recall(model, families):
    """Fraction of (word, partner) pairs where the partner is among the word's top neighbours."""
    hits = total = 0
    for family in families:
        k = len(family) - 1
        for word in family:
            top = {w for w, _ in model.wv.most_similar(word, topn=k)}
            hits += len(top & (set(family) - {word}))
            total += k
    return hits / total


@pytest.mark.parametrize("mode", sorted(MODES))
def test_planted_families_are_recovered(planted, mode):
    sentences, families = planted
    model = Word2Vec(sentences, vector_size=20, window=3, min_count=1, sample=0, epochs=5, workers=2, seed=3,
                     **MODES[mode])
    assert np.isfinite(model.wv.vectors).all()
    assert family_recall(model, families) >= 0.9


def test_random_vectors_do_not_recover_families(planted):
    # The recall measure above must be able to fail: untrained vectors score near chance.
    sentences, families = planted
    model = Word2Vec(vector_size=20, min_count=1)
    model.build_vocab(sentences)
    assert family_recall(model, families) < 0.5


def test_corpus_file_and_iterable_agree_on_vocabulary_and_both_learn(tmp_path, planted):
    sentences, families = planted
    path = write_corpus(tmp_path / "corpus.txt", sentences)
    from_file = Word2Vec(corpus_file=path, vector_size=20, window=3, min_count=1, sample=0, sg=1, epochs=5,
                         workers=2)
    from_list = Word2Vec(sentences, vector_size=20, window=3, min_count=1, sample=0, sg=1, epochs=5, workers=2)
    assert from_file.wv.index_to_key == from_list.wv.index_to_key
    assert from_file.corpus_total_words == from_list.corpus_total_words == sum(map(len, sentences))
    assert from_file.corpus_count == from_list.corpus_count == len(sentences)
    assert from_file.last_train_stats["raw_words"] == 5 * from_file.corpus_total_words
    assert family_recall(from_file, families) >= 0.9


def _digest(model):
    h = hashlib.sha256(model.wv.vectors.tobytes())
    if model.syn1neg is not None:
        h.update(model.syn1neg.tobytes())
    return h.hexdigest()


@pytest.mark.parametrize("source", ["iterable", "file"])
def test_one_worker_runs_are_bit_identical(tmp_path, planted, source):
    sentences, _ = planted
    kwargs = dict(vector_size=16, min_count=1, sg=1, epochs=2, workers=1, seed=7)
    if source == "file":
        path = write_corpus(tmp_path / "c.txt", sentences)
        a, b = Word2Vec(corpus_file=path, **kwargs), Word2Vec(corpus_file=path, **kwargs)
    else:
        a, b = Word2Vec(sentences, **kwargs), Word2Vec(sentences, **kwargs)
    assert _digest(a) == _digest(b)
    c = Word2Vec(sentences, **{**kwargs, "seed": 8})
    assert _digest(c) != _digest(a)


def test_results_do_not_depend_on_pythonhashseed(tmp_path):
    script = (
        "import hashlib, sys; sys.path.insert(0, sys.argv[1]); from conftest import family_corpus;"
        "from w2vfast import Word2Vec; s, _ = family_corpus(n_sentences=500);"
        "m = Word2Vec(s, vector_size=8, min_count=1, workers=1, epochs=1, seed=5);"
        "print(hashlib.sha256(m.wv.vectors.tobytes()).hexdigest(), m.wv.index_to_key[:5])"
    )
    here = os.path.dirname(__file__)
    outs = []
    for hashseed in ("1", "2"):
        env = subprocess_env(PYTHONHASHSEED=hashseed)
        outs.append(subprocess.run([sys.executable, "-c", script, here], env=env, capture_output=True, text=True,
                                   check=True, cwd=tmp_path).stdout)
    assert outs[0] == outs[1]


def test_learning_rate_decays_linearly_over_all_epochs(planted):
    sentences, _ = planted
    seen = []

    class Watch(CallbackAny2Vec):
        def on_epoch_end(self, model):
            seen.append(model.min_alpha_yet_reached)

    Word2Vec(sentences, vector_size=8, min_count=1, epochs=4, workers=2, alpha=0.04, min_alpha=0.0,
             callbacks=[Watch()])
    expected = [0.04 * (1 - (e + 1) / 4) for e in range(4)]
    np.testing.assert_allclose(seen, expected, atol=2e-3)


def test_unknown_words_still_advance_the_schedule(planted):
    sentences, _ = planted
    model = Word2Vec(vector_size=8, min_count=1, workers=2, alpha=0.04, min_alpha=0.0)
    model.build_vocab(sentences)
    unknown = [["never", "seen", "before"] * 10] * 2000  # many jobs of out-of-vocabulary words only
    model.train(sentences + unknown, total_words=model.corpus_total_words + 60000, epochs=1)
    assert model.min_alpha_yet_reached == pytest.approx(0.0, abs=1e-3)


def test_callbacks_fire_in_order_and_loss_falls(planted):
    sentences, _ = planted
    events = []

    class Record:  # gensim-style callbacks need not subclass ours
        def on_train_begin(self, model):
            events.append("train_begin")

        def on_epoch_begin(self, model):
            events.append("epoch_begin")

        def on_epoch_end(self, model):
            events.append("epoch_end")

        def on_train_end(self, model):
            events.append("train_end")

    model = Word2Vec(sentences, vector_size=16, min_count=1, sg=1, epochs=3, workers=2, compute_loss=True,
                     callbacks=[Record()])
    assert events == ["train_begin"] + ["epoch_begin", "epoch_end"] * 3 + ["train_end"]
    losses = model.epoch_losses
    assert len(losses) == 3 and all(np.isfinite(losses)) and losses[0] > 0
    assert losses[-1] < losses[0]
    assert model.get_latest_training_loss() == pytest.approx(sum(losses))


def test_train_with_explicit_settings_and_continued_vocabulary(planted):
    sentences, families = planted
    model = Word2Vec(vector_size=16, min_count=1, sg=1, workers=2)
    model.build_vocab(sentences)
    model.train(sentences, total_examples=model.corpus_count, epochs=3)
    before = model.wv["f0m0"].copy()
    extra = [["brandnew", "f0c0", "f0c1", "brandnew"]] * 20
    model.build_vocab(extra, update=True)
    assert "brandnew" in model.wv and len(model.wv) == model.syn1neg.shape[0]
    np.testing.assert_array_equal(model.wv["f0m0"], before)
    fresh = model.wv["brandnew"].copy()
    assert 0 < np.abs(fresh).max() <= 1 / 16  # initialised like any new row, not zero
    model.train(extra, total_examples=len(extra), epochs=2)
    assert not np.array_equal(model.wv["brandnew"], fresh)
    assert np.isfinite(model.wv.vectors).all()


@pytest.mark.parametrize("kwargs, message", [
    (dict(hs=0, negative=0), "nothing to train"),
    (dict(window=0), "window"),
    (dict(vector_size=0), "vector_size"),
    (dict(epochs=0), "epochs"),
    (dict(workers=0), "workers"),
    (dict(alpha=0), "alpha"),
    (dict(alpha=-0.1), "alpha"),
    (dict(sample=-1e-3), "sample"),
    (dict(negative=-1), "negative"),
])
def test_bad_settings_raise_before_any_work(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Word2Vec(**kwargs)


def test_bad_corpora_raise_clearly(tmp_path):
    with pytest.raises(RuntimeError, match="build_vocab"):
        Word2Vec().train([["a", "b"]], total_examples=1, epochs=1)
    with pytest.raises(ValueError, match="empty"):
        Word2Vec([[], []])
    with pytest.raises(ValueError, match="min_count"):
        Word2Vec([["a", "b", "c"]], min_count=5)
    with pytest.raises(TypeError, match="list of tokens"):
        Word2Vec(["a plain string sentence", "another one"], min_count=1)
    with pytest.raises(TypeError, match="one-shot"):
        Word2Vec((s for s in [["a", "b"]]), min_count=1)
    model = Word2Vec(min_count=1)
    model.build_vocab([["a", "b", "a"]])
    with pytest.raises(ValueError, match="epochs"):
        model.train([["a", "b"]], total_examples=1)
    with pytest.raises(ValueError, match="total_examples"):
        model.train([["a", "b"]], epochs=1)
    path = write_corpus(tmp_path / "c.txt", [["a", "b", "a"]])
    with pytest.raises(ValueError, match="total_words"):
        model.train(corpus_file=path, epochs=1)
    with pytest.raises(FileNotFoundError, match="missing.txt"):
        Word2Vec(corpus_file=str(tmp_path / "missing.txt"))
    with pytest.raises(IsADirectoryError):
        Word2Vec(corpus_file=str(tmp_path))
    with pytest.raises(TypeError, match="exactly one"):
        Word2Vec(min_count=1).build_vocab()


def test_output_vectors_and_in_out_similarity(planted):
    sentences, families = planted
    model = Word2Vec(sentences, vector_size=20, window=3, min_count=1, sg=1, epochs=5, workers=2)
    out = model.wv_out
    assert out.index_to_key == model.wv.index_to_key
    np.testing.assert_array_equal(out["f1m0"], model.syn1neg[model.wv.key_to_index["f1m0"]])
    # Words of one family co-occur with their family's context words: IN-OUT relatedness is high there.
    same = model.in_out_similarity("f1m0", "f1c0")
    other = model.in_out_similarity("f1m0", "f2c0")
    assert same > other
    assert model.dual_embedding_score(["f1m0"], ["f1c0", "f1c1"]) > \
        model.dual_embedding_score(["f1m0"], ["f2c0", "f2c1"])
    hs_only = Word2Vec(sentences[:200], vector_size=8, min_count=1, hs=1, negative=0, epochs=1)
    with pytest.raises(ValueError, match="hierarchical softmax"):
        hs_only.wv_out


@pytest.mark.parametrize("sg,hs,negative,words_private", [(1, 1, 0, False), (0, 1, 0, True), (1, 0, 5, True),
                                                           (1, 1, 5, True)])
def test_skip_gram_hs_keeps_its_word_rows_shared(planted, sg, hs, negative, words_private):
    # Skip-gram with hierarchical softmax alone keeps only Huffman nodes private (private word rows there cost
    # analogy points and bought no speed); every other mode keeps both.
    sentences, _ = planted
    model = Word2Vec(vector_size=10, min_count=1, workers=2, sg=sg, hs=hs, negative=negative)
    model.build_vocab(sentences)
    V = len(model.wv)
    for w in model._workers(model._kernel_model(False), model.corpus_total_words):
        in_rows, out_rows, hs_rows = w.private_rows
        assert in_rows == (V if words_private else 0)
        assert out_rows == (V if words_private and negative else 0)
        assert hs_rows == (V - 1 if hs else 0)


@pytest.mark.parametrize("workers", [1, 2, 4])
def test_workers_scale_their_private_rows_merges(planted, workers):
    # Two workers keep private copies of the busiest rows by default; one worker shares every row, and so do
    # more than two unless private_rows asks for them (then each adds 2/workers of its move at a merge: adding
    # them in full overshoots and diverges).
    sentences, _ = planted
    model = Word2Vec(vector_size=10, min_count=1, workers=workers, sg=1, hs=1, negative=5)
    model.build_vocab(sentences)
    kernel_workers = model._workers(model._kernel_model(False), model.corpus_total_words)
    V = len(model.wv)
    for w in kernel_workers:
        assert w.private_rows == ((V, V, V - 1) if workers == 2 else (0, 0, 0))
    asked = Word2Vec(vector_size=10, min_count=1, workers=workers, sg=1, hs=1, negative=5, private_rows=64)
    asked.build_vocab(sentences)
    for w in asked._workers(asked._kernel_model(False), asked.corpus_total_words):
        assert w.merge_scale == pytest.approx(min(1, 2 / workers))
        assert w.private_rows == ((0, 0, 0) if workers == 1 else (min(64, V), min(64, V), min(64, V - 1)))
    off = Word2Vec(vector_size=10, min_count=1, workers=workers, private_rows=0)
    off.build_vocab(sentences)
    assert all(w.private_rows == (0, 0, 0) for w in off._workers(off._kernel_model(False), 1000))
