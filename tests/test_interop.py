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
