import numpy as np
import pytest

from w2vfast import Word2Vec

gensim = pytest.importorskip("gensim")


@pytest.mark.parametrize("hs, negative", [(0, 5), (1, 0), (1, 3)])
def test_to_gensim_keeps_everything_and_gensim_trains_on(planted, hs, negative):
    sentences, _ = planted
    ours = Word2Vec(sentences, vector_size=16, min_count=1, sg=1, hs=hs, negative=negative, epochs=1, workers=2)
    g = ours.to_gensim()
    assert isinstance(g, gensim.models.Word2Vec)
    assert set(g.wv.index_to_key) == set(ours.wv.index_to_key)
    for key in ("f0m0", "f3c2", ours.wv.index_to_key[-1]):
        np.testing.assert_array_equal(g.wv[key], ours.wv[key])
        assert g.wv.get_vecattr(key, "count") == ours.wv.get_vecattr(key, "count")
        if negative:
            np.testing.assert_array_equal(g.syn1neg[g.wv.key_to_index[key]],
                                          ours.syn1neg[ours.wv.key_to_index[key]])
    assert (g.sg, g.hs, g.negative, g.window, g.vector_size) == (1, hs, negative, ours.window, 16)
    before = g.wv["f0m0"].copy()
    g.train(sentences, total_examples=g.corpus_count, epochs=1)
    assert not np.array_equal(before, g.wv["f0m0"])
    assert np.isfinite(g.wv.vectors).all()


@pytest.mark.parametrize("hs, negative", [(0, 5), (1, 0)])
def test_from_gensim_round_trip_and_training(planted, hs, negative):
    sentences, _ = planted
    g = gensim.models.Word2Vec(sentences, vector_size=16, min_count=1, sg=0, hs=hs, negative=negative,
                               epochs=1, workers=1)
    ours = Word2Vec.from_gensim(g)
    assert ours.wv.index_to_key == list(g.wv.index_to_key)
    np.testing.assert_array_equal(ours.wv.vectors, g.wv.vectors)
    if negative:
        np.testing.assert_array_equal(ours.syn1neg, g.syn1neg)
    else:
        np.testing.assert_array_equal(ours.syn1, g.syn1)
    ours.train(sentences, total_examples=ours.corpus_count, epochs=1)
    assert np.isfinite(ours.wv.vectors).all()
    assert not np.array_equal(ours.wv.vectors, g.wv.vectors)


def test_to_gensim_with_null_word_and_a_capped_vocabulary(planted):
    sentences, _ = planted
    ours = Word2Vec(sentences, vector_size=8, min_count=1, null_word=1, epochs=1)
    g = ours.to_gensim()
    assert sorted(g.wv.index_to_key) == sorted(ours.wv.index_to_key)
    back = Word2Vec.from_gensim(g)
    assert sorted(back.wv.index_to_key) == sorted(ours.wv.index_to_key)
    np.testing.assert_array_equal(back.wv["\0"], ours.wv["\0"])
    capped = Word2Vec(sentences, vector_size=8, min_count=1, max_final_vocab=10, epochs=1)
    capped.build_vocab([["new0", "new1", "new2"]] * 5, update=True)
    assert len(capped.to_gensim().wv) == len(capped.wv)
    with pytest.raises(TypeError, match="KeyedVectors.from_gensim"):
        Word2Vec.from_gensim(g.wv)
