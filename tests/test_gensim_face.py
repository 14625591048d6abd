"""w2vfast.gensim.Word2Vec: gensim's class trained by w2vfast's engine on gensim's own arrays."""
import copy
import logging
import pickle

import numpy as np
import pytest

from conftest import family_corpus, write_corpus

gensim = pytest.importorskip("gensim", reason="the gensim face needs gensim")

from w2vfast.gensim import Word2Vec  # noqa: E402

import w2vfast  # noqa: E402


@pytest.fixture(scope="module")
def sentences():
    return family_corpus(n_families=4, n_sentences=1500)[0]


@pytest.mark.parametrize("sg,hs,negative", [(1, 0, 5), (0, 1, 0), (1, 1, 3)])
def test_trains_in_place_on_gensims_arrays(sentences, sg, hs, negative):
    model = Word2Vec(vector_size=16, min_count=1, sg=sg, hs=hs, negative=negative, workers=2, seed=5)
    model.build_vocab(sentences)
    before = [a.copy() for a in (model.wv.vectors, getattr(model, "syn1neg", None), getattr(model, "syn1", None))
              if a is not None and len(a)]
    arrays = [model.wv.vectors] + [getattr(model, n) for n in ("syn1neg", "syn1") if hasattr(model, n)]
    model.train(sentences, total_examples=model.corpus_count, epochs=2)
    engine = model._engine
    assert engine.wv.vectors is model.wv.vectors  # zero copy: the engine trains the gensim arrays
    assert (engine.syn1neg is model.syn1neg) if negative else engine.syn1neg is None
    assert (engine.syn1 is model.syn1) if hs else engine.syn1 is None
    after = [a for a in arrays if len(a)]
    assert all(not np.array_equal(b, a) for b, a in zip(before, after))
    if hs:  # the engine walks gensim's own Huffman tree
        for i in (0, len(model.wv) - 1):
            code, point = engine.vocabulary.code_of(i)
            np.testing.assert_array_equal(code, model.wv.get_vecattr(i, "code"))
            np.testing.assert_array_equal(point, model.wv.get_vecattr(i, "point"))


def test_bookkeeping_matches_gensims_train(sentences):
    ours = Word2Vec(sentences, vector_size=16, min_count=1, workers=2, epochs=4, compute_loss=True)
    theirs = gensim.models.Word2Vec(sentences, vector_size=16, min_count=1, workers=2, epochs=4, compute_loss=True)
    for m in (ours, theirs):
        m.train(sentences, total_examples=m.corpus_count, epochs=2, start_alpha=0.02, end_alpha=0.001,
                compute_loss=True)
    for name in ("epochs", "train_count", "alpha", "min_alpha", "corpus_count", "corpus_total_words"):
        assert getattr(ours, name) == getattr(theirs, name), name
    for m in (ours, theirs):  # gensim's value is the alpha of its last progress report, near end_alpha
        assert 0.001 <= m.min_alpha_yet_reached < 0.004
    assert ours.total_train_time > 0 and ours.get_latest_training_loss() > 0
    assert ours.wv.norms is None  # gensim's _clear_post_train ran
    assert [e["event"] for e in ours.lifecycle_events].count("train") == 2


def test_corpus_file_is_counted_by_the_scanner_like_gensim(sentences, tmp_path):
    path = write_corpus(tmp_path / "c.txt", sentences)
    ours = Word2Vec(vector_size=16, min_count=2, workers=2)
    theirs = gensim.models.Word2Vec(vector_size=16, min_count=2, workers=2)
    ours.build_vocab(corpus_file=path)
    theirs.build_vocab(corpus_file=path)
    assert dict(ours.raw_vocab or {}) == dict(theirs.raw_vocab or {})
    assert (ours.corpus_count, ours.corpus_total_words) == (theirs.corpus_count, theirs.corpus_total_words)
    assert ours.wv.index_to_key == theirs.wv.index_to_key
    raw = ours.train(corpus_file=path, total_words=ours.corpus_total_words, epochs=2)[1]
    assert raw == 2 * ours.corpus_total_words


def test_callbacks_see_the_gensim_object_and_its_loss(sentences):
    seen = []

    class Spy(gensim.models.callbacks.CallbackAny2Vec):
        def on_epoch_end(self, model):
            seen.append((type(model).__name__, model.get_latest_training_loss(), model.wv.norms is None))

        def on_train_end(self, model):
            seen.append(("end", model.train_count))

    Word2Vec(sentences, vector_size=16, min_count=1, workers=2, epochs=3, compute_loss=True, callbacks=[Spy()])
    assert [s[0] for s in seen] == ["Word2Vec"] * 3 + ["end"]
    losses = [s[1] for s in seen[:3]]
    assert 0 < losses[0] < losses[1] < losses[2]  # summed over the call's epochs, as gensim does
    assert all(s[2] for s in seen[:3]) and seen[3] == ("end", 1)


def test_files_pickles_and_copies_are_gensims(sentences, tmp_path):
    model = Word2Vec(sentences, vector_size=16, min_count=1, workers=2, epochs=1)
    model.save(str(tmp_path / "face.model"))
    loaded = gensim.models.Word2Vec.load(str(tmp_path / "face.model"))
    assert isinstance(loaded, gensim.models.Word2Vec)
    np.testing.assert_array_equal(loaded.wv.vectors, model.wv.vectors)
    loaded.train(sentences, total_examples=len(sentences), epochs=1)  # the engine is rebuilt after loading
    assert loaded.train_count == 2
    for clone in (pickle.loads(pickle.dumps(model)), copy.deepcopy(model)):
        np.testing.assert_array_equal(clone.wv.vectors, model.wv.vectors)
        clone.train(sentences, total_examples=len(sentences), epochs=1)
    plain = model.as_plain_gensim()
    assert type(plain) is gensim.models.Word2Vec
    plain.save(str(tmp_path / "plain.model"))
    assert b"w2vfast.gensim" not in (tmp_path / "plain.model").read_bytes()  # no class of ours
    # the standalone classes read gensim's files when asked to (they are pickles, which can run code)
    with pytest.raises(w2vfast.FormatError, match="allow_pickle=True"):
        w2vfast.Word2Vec.load(str(tmp_path / "plain.model"))
    ours = w2vfast.Word2Vec.load(str(tmp_path / "plain.model"), allow_pickle=True)
    np.testing.assert_array_equal(ours.wv.vectors, model.wv.vectors)
    model.wv.save(str(tmp_path / "face.kv"))
    with pytest.raises(w2vfast.FormatError, match="allow_pickle=True"):
        w2vfast.KeyedVectors.load(str(tmp_path / "face.kv"))
    for name in ("face.kv", "plain.model"):  # a whole model's file gives its .wv
        kv = w2vfast.KeyedVectors.load(str(tmp_path / name), allow_pickle=True)
        np.testing.assert_array_equal(kv.vectors, model.wv.vectors)


def test_plain_gensim_files_load_as_the_face_and_train_on(sentences, tmp_path):
    old = gensim.models.Word2Vec(sentences[:300], vector_size=8, min_count=1, workers=1, epochs=1)
    old.save(str(tmp_path / "old.model"))
    model = Word2Vec.load(str(tmp_path / "old.model"))
    assert type(model) is Word2Vec
    np.testing.assert_array_equal(model.wv.vectors, old.wv.vectors)
    model.train(sentences, total_examples=len(sentences), epochs=1)
    assert model._engine is not None and model.train_count == 2


def test_gensim_files_without_gensim_explain_themselves(sentences, tmp_path, monkeypatch):
    import sys
    model = gensim.models.Word2Vec(sentences[:200], vector_size=8, min_count=1, workers=1, epochs=1)
    model.save(str(tmp_path / "g.model"))
    monkeypatch.setitem(sys.modules, "gensim.utils", None)
    with pytest.raises(ImportError, match="gensim file .*pip install gensim"):
        w2vfast.Word2Vec.load(str(tmp_path / "g.model"), allow_pickle=True)
    with pytest.raises(ImportError, match="(?i)only load pickles you trust"):
        w2vfast.KeyedVectors.load(str(tmp_path / "g.model"), allow_pickle=True)


def test_locked_vectors_fall_back_to_gensims_kernels(sentences, caplog):
    model = Word2Vec(sentences, vector_size=16, min_count=1, workers=1, epochs=1)
    model.wv.vectors_lockf = np.ones(len(model.wv), dtype=np.float32)
    model.wv.vectors_lockf[0] = 0.0
    frozen = model.wv.vectors[0].copy()
    with caplog.at_level(logging.WARNING):
        model.train(sentences, total_examples=len(sentences), epochs=1)
    assert "gensim's own kernels" in caplog.text
    np.testing.assert_array_equal(model.wv.vectors[0], frozen)


def test_quality_matches_gensim_on_planted_families():
    sentences, families = family_corpus(n_families=5, n_sentences=3000)

    def found(model):
        return sum(len({k for k, _ in model.wv.most_similar(w, topn=3)} & set(fam)) >= 2
                   for fam in families for w in fam)

    ours = Word2Vec(sentences, vector_size=24, min_count=1, sg=1, workers=2, epochs=10, seed=2)
    theirs = gensim.models.Word2Vec(sentences, vector_size=24, min_count=1, sg=1, workers=2, epochs=10, seed=2)
    assert found(ours) >= found(theirs) - 3 and found(ours) >= 15
