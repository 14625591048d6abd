"""gensim 4's public Word2Vec and KeyedVectors API as a checklist: every public method exists in w2vfast's
standalone classes, and the few that are refused raise NotImplementedError saying why."""
import sys

import numpy as np
import pytest

from conftest import family_corpus

gensim = pytest.importorskip("gensim", reason="the checklist is read from gensim's classes")

import w2vfast  # noqa: E402
from w2vfast.errors import MissingDependency  # noqa: E402

REFUSED = {  # method: words its NotImplementedError must contain
    ("Word2Vec", "add_null_word"): "null_word=1",
    ("KeyedVectors", "similarity_unseen_docs"): "Doc2Vec",
}


def _public(cls):
    return {n for n in dir(cls) if not n.startswith("_") and callable(getattr(cls, n))}


@pytest.mark.parametrize("name", ["Word2Vec", "KeyedVectors"])
def test_every_public_gensim_method_exists(name):
    theirs = _public(getattr(gensim.models, name))
    ours = set(dir(getattr(w2vfast, name)))
    assert sorted(theirs - ours) == []


@pytest.fixture(scope="module")
def small():
    sentences, _ = family_corpus(n_families=3, n_sentences=400)
    return w2vfast.Word2Vec(sentences, vector_size=12, min_count=1, hs=1, negative=5, workers=1, epochs=5), sentences


def test_refused_methods_say_why(small):
    model, _ = small
    for (owner, method), words in REFUSED.items():
        target = model if owner == "Word2Vec" else model.wv
        with pytest.raises(NotImplementedError, match=words):
            getattr(target, method)()


def test_wmdistance_without_pot_says_to_install_it(small, monkeypatch):
    model, _ = small
    monkeypatch.setitem(sys.modules, "ot", None)
    with pytest.raises(MissingDependency, match="pip install POT") as info:
        model.wv.wmdistance(["f0m0"], ["f1m0"])
    assert isinstance(info.value, ImportError) and isinstance(info.value, NotImplementedError)


def test_wmdistance_matches_gensim_on_the_same_vectors(small):
    pytest.importorskip("ot", reason="wmdistance needs POT")
    model, _ = small
    g = model.wv.to_gensim()
    for d1, d2 in ((["f0m0", "f0c1"], ["f1m0", "f1c2", "f1c2"]), (["f0m0"], ["f0m0"]), (["f0m0"], ["nope"])):
        assert model.wv.wmdistance(d1, d2) == pytest.approx(g.wmdistance(d1, d2), rel=1e-6)


def test_vocabulary_steps_match_build_vocab(small):
    model, sentences = small
    stepwise = w2vfast.Word2Vec(vector_size=12, min_count=3, hs=1, negative=5, workers=1)
    total_words, corpus_count = stepwise.scan_vocab(sentences)
    assert (total_words, corpus_count) == (sum(map(len, sentences)), len(sentences))
    report = stepwise.prepare_vocab(min_count=1, dry_run=True)
    assert stepwise.vocabulary is None and report["num_retained_words"] == len(model.wv)
    stepwise.prepare_vocab(min_count=1)
    stepwise.prepare_weights()
    assert stepwise.wv.index_to_key == model.wv.index_to_key
    fresh = w2vfast.Word2Vec(vector_size=12, min_count=1, hs=1, negative=5, workers=1)
    fresh.build_vocab(sentences)
    np.testing.assert_array_equal(stepwise.wv.vectors, fresh.wv.vectors)
    assert stepwise.estimate_memory()["vectors"] == len(model.wv) * 12 * 4


def test_hs_paths_are_visible_and_score_prefers_real_sentences(small):
    model, sentences = small
    for i, key in enumerate(model.wv.index_to_key[:20]):
        code, point = model.vocabulary.code_of(i)
        np.testing.assert_array_equal(model.wv.get_vecattr(key, "code"), code)
        np.testing.assert_array_equal(model.wv.get_vecattr(key, "point"), point)
    # the same sentences with every family member swapped for another family's: less likely under the model
    swapped = [[w.replace("f0m", "f1m") if w.startswith("f0m") else w.replace("f1m", "f2m") if w.startswith("f1m")
                else w.replace("f2m", "f0m") for w in s] for s in sentences[:50]]
    real = model.score(sentences[:50])
    assert real.dtype == np.float32 and len(real) == 50 and np.all(real < 0)
    assert np.mean(model.score(swapped) < real) >= 0.8


def test_keyedvectors_files_keep_huffman_paths_and_refuse_foreign_files(small, tmp_path):
    model, _ = small
    model.wv.save(tmp_path / "hs.kv")
    kv = w2vfast.KeyedVectors.load(tmp_path / "hs.kv")
    for key in model.wv.index_to_key:
        np.testing.assert_array_equal(kv.get_vecattr(key, "point"), model.wv.get_vecattr(key, "point"))
        np.testing.assert_array_equal(kv.get_vecattr(key, "code"), model.wv.get_vecattr(key, "code"))
    np.testing.assert_array_equal(kv.expandos["count"], model.wv.expandos["count"])
    model.save(tmp_path / "whole.model")
    with pytest.raises(w2vfast.FormatError, match="Word2Vec.load"):
        w2vfast.KeyedVectors.load(tmp_path / "whole.model")
    (tmp_path / "text.kv").write_text("3 2\na 1 2\n")
    with pytest.raises(w2vfast.FormatError, match="load_word2vec_format"):
        w2vfast.KeyedVectors.load(tmp_path / "text.kv")


def test_predict_output_word_is_a_distribution(small):
    model, _ = small
    top = model.predict_output_word(["f0c0", "f0c1"], topn=len(model.wv))
    assert len(top) == len(model.wv)
    assert sum(p for _, p in top) == pytest.approx(1.0, abs=1e-4)
    assert [p for _, p in top] == sorted((p for _, p in top), reverse=True)
    assert model.predict_output_word(["never", "seen"]) is None


def test_reset_from_shares_the_vocabulary(small):
    model, _ = small
    other = w2vfast.Word2Vec(vector_size=12, min_count=1, hs=1, negative=5, workers=1)
    other.reset_from(model)
    assert other.wv.index_to_key == model.wv.index_to_key
    assert not np.array_equal(other.wv.vectors, model.wv.vectors)  # fresh, untrained weights


def test_intersect_word2vec_format_copies_and_refuses_locked_training(small, tmp_path):
    model, sentences = small
    donor = w2vfast.KeyedVectors.from_arrays(["f0m0", "unknown"], np.full((2, 12), 0.5, np.float32))
    donor.save_word2vec_format(str(tmp_path / "donor.txt"))
    m = w2vfast.Word2Vec(sentences, vector_size=12, min_count=1, workers=1, epochs=1)
    assert m.wv.intersect_word2vec_format(str(tmp_path / "donor.txt"), lockf=1.0) == 1
    np.testing.assert_array_equal(m.wv["f0m0"], np.full(12, 0.5, np.float32))
    m.train(sentences, total_examples=len(sentences), epochs=1)  # lockf=1.0: trainable as usual
    m.wv.intersect_word2vec_format(str(tmp_path / "donor.txt"))  # gensim's default lockf=0.0 freezes
    with pytest.raises(NotImplementedError, match="w2vfast.gensim.Word2Vec"):
        m.train(sentences, total_examples=len(sentences), epochs=1)


def test_removed_gensim3_names_explain_themselves(small):
    model, _ = small
    for name, hint in (("vocab", "key_to_index"), ("index2word", "index_to_key"), ("index2entity", "index_to_key"),
                       ("vectors_norm", "get_normed_vectors"), ("syn0", "vectors")):
        with pytest.raises(AttributeError, match=hint):
            getattr(model.wv, name)
