"""KeyedVectors: lookups, similarity queries on planted vectors, norm caching, gensim parity."""
import sys

import numpy as np
import pytest

from w2vfast.keyedvectors import KeyedVectors


def planted_geography():
    """Vectors where capital = country + (capital-of direction), so paris - france + italy = rome."""
    rng = np.random.default_rng(7)
    dim = 40
    capital_of = rng.standard_normal(dim)
    countries = ["france", "italy", "germany", "spain", "japan"]
    capitals = ["paris", "rome", "berlin", "madrid", "tokyo"]
    keys, vecs = [], []
    for country, capital in zip(countries, capitals):
        base = rng.standard_normal(dim)
        keys += [country, capital]
        vecs += [base, base + capital_of + 0.05 * rng.standard_normal(dim)]
    for i in range(200):
        keys.append(f"noise{i}")
        vecs.append(rng.standard_normal(dim))
    return KeyedVectors.from_arrays(keys, np.array(vecs, dtype=np.float32))


@pytest.fixture
def kv():
    return planted_geography()


def random_kv(n=500, dim=24, seed=3):
    rng = np.random.default_rng(seed)
    return KeyedVectors.from_arrays([f"k{i}" for i in range(n)], rng.standard_normal((n, dim)).astype(np.float32),
                                    counts=rng.integers(1, 1000, n))


# ------------------------------------------------------------------------------------------- lookups

def test_lookup_basics(kv):
    assert len(kv) == 210 and kv.vector_size == 40
    assert "paris" in kv and "atlantis" not in kv
    assert kv.get_index("rome") == 3
    assert kv["rome"].shape == (40,)
    np.testing.assert_array_equal(kv[["rome", "paris"]], kv.vectors[[3, 1]])
    np.testing.assert_allclose(np.linalg.norm(kv.get_vector("rome", norm=True)), 1.0, rtol=1e-6)
    with pytest.raises(ValueError):
        kv["rome"][0] = 1.0  # read-only view: in-place edits would bypass the norm cache
    assert kv.get_index("atlantis", default=-1) == -1
    assert kv.get_index(5) == 5  # an int that is no key is a row number, like gensim
    assert kv.has_index_for("paris") and not kv.has_index_for("atlantis")


def test_missing_keys_raise_keyerror_naming_the_key(kv):
    for call in (lambda: kv["atlantis"], lambda: kv.get_vector("atlantis"), lambda: kv.similarity("paris", "atlantis"),
                 lambda: kv.most_similar("atlantis"), lambda: kv[["paris", "atlantis"]],
                 lambda: kv.distances("paris", ["atlantis"]), lambda: kv.rank("paris", "atlantis")):
        with pytest.raises(KeyError, match="atlantis"):
            call()


def test_vecattrs(kv):
    kv.set_vecattr("paris", "count", 42)
    assert kv.get_vecattr("paris", "count") == 42
    assert kv.get_vecattr("rome", "count") == 0
    assert kv.expandos["count"].dtype == np.int64
    with pytest.raises(KeyError, match="nothing"):
        kv.get_vecattr("paris", "nothing")


# ----------------------------------------------------------------------------------------- similarity

def test_classic_analogy(kv):
    result = kv.most_similar(positive=["paris", "italy"], negative=["france"], topn=3)
    assert result[0][0] == "rome"
    assert not {"paris", "italy", "france"} & {w for w, _ in result}
    assert result[0][1] > result[1][1] >= result[2][1]
    assert kv.most_similar_cosmul(positive=["paris", "italy"], negative=["france"], topn=1)[0][0] == "rome"
    # the same with explicit weights and with a raw vector
    assert kv.most_similar(positive=[("paris", 1.0), ("italy", 1.0), ("france", -1.0)], topn=1)[0][0] == "rome"
    target = kv["paris"] - kv["france"] + kv["italy"]
    assert kv.similar_by_vector(target, topn=1)[0][0] == "rome"


def test_most_similar_excludes_inputs_and_topn_none(kv):
    words = [w for w, _ in kv.most_similar("paris", topn=209)]
    assert "paris" not in words and len(words) == 209
    sims = kv.most_similar("paris", topn=None)
    assert sims.shape == (210,)
    np.testing.assert_allclose(sims[kv.get_index("paris")], 1.0, rtol=1e-5)
    assert kv.most_similar("paris", topn=0) == []
    # restrict_vocab: only the first rows are candidates
    assert all(kv.get_index(w) < 4 for w, _ in kv.most_similar("paris", topn=10, restrict_vocab=4))
    assert kv.similar_by_word("paris", topn=2) == kv.most_similar("paris", topn=2)


def test_similarity_family(kv):
    a, b = kv["paris"].astype(np.float64), kv["rome"].astype(np.float64)
    cos = a @ b / np.linalg.norm(a) / np.linalg.norm(b)
    assert kv.similarity("paris", "rome") == pytest.approx(cos, rel=1e-5)
    assert kv.distance("paris", "rome") == pytest.approx(1 - cos, rel=1e-5)
    np.testing.assert_allclose(kv.distances("paris", ["rome", "paris"]), [1 - cos, 0], atol=1e-6)
    assert kv.distances("paris").shape == (210,)
    assert kv.n_similarity(["paris"], ["rome"]) == pytest.approx(cos, rel=1e-5)
    with pytest.raises(ZeroDivisionError):
        kv.n_similarity([], ["rome"])
    # rank: 1 for the nearest neighbour
    nearest = kv.most_similar("paris", topn=1)[0][0]
    assert kv.rank("paris", nearest) == 1
    second = kv.most_similar("paris", topn=2)[1][0]
    assert kv.rank("paris", second) == 2
    assert kv.closer_than("paris", second) == [nearest]
    assert kv.most_similar_to_given("paris", ["noise1", "rome", "noise2"]) == "rome"


def test_doesnt_match():
    vecs = np.array([[1, 0.1, 0], [1, 0, 0.1], [0.9, 0.1, 0.1], [0, 0, 1]], dtype=np.float32)
    kv = KeyedVectors.from_arrays(["cat", "dog", "cow", "car"], vecs)
    assert kv.doesnt_match(["cat", "dog", "cow", "car"]) == "car"
    assert kv.doesnt_match(["cat", "dog", "cow", "car", "unknown"]) == "car"
    with pytest.raises(ValueError):
        kv.doesnt_match(["unknown"])


def test_get_mean_vector():
    vecs = np.array([[3, 0], [0, 2]], dtype=np.float32)
    kv = KeyedVectors.from_arrays(["x", "y"], vecs)
    np.testing.assert_allclose(kv.get_mean_vector(["x", "y"]), [0.5, 0.5])
    np.testing.assert_allclose(kv.get_mean_vector(["x", "y"], pre_normalize=False), [1.5, 1.0])
    np.testing.assert_allclose(kv.get_mean_vector(["x", "y"], weights=[3, 1], pre_normalize=False), [2.25, 0.5])
    np.testing.assert_allclose(kv.get_mean_vector(["x", "y"], post_normalize=True), [2 ** -0.5, 2 ** -0.5], rtol=1e-6)
    np.testing.assert_allclose(kv.get_mean_vector(["x", "zzz"]), [1, 0])
    with pytest.raises(KeyError, match="zzz"):
        kv.get_mean_vector(["x", "zzz"], ignore_missing=False)
    with pytest.raises(ValueError):
        kv.get_mean_vector([])
    with pytest.raises(ValueError):
        kv.get_mean_vector(["x"], weights=[1, 2])


def test_zero_vectors_never_give_nan():
    vecs = np.array([[1, 0], [0, 0], [0, 1], [1, 1]], dtype=np.float32)
    kv = KeyedVectors.from_arrays(["a", "zero", "b", "c"], vecs)
    assert kv.similarity("a", "zero") == 0.0
    sims = kv.most_similar("a", topn=None)
    assert np.isfinite(sims).all() and sims[1] == 0
    assert all(np.isfinite(s) for _, s in kv.most_similar("zero", topn=3))
    assert np.isfinite(kv.distances("zero")).all()
    assert np.isfinite(kv.get_normed_vectors()).all()
    assert np.isfinite(kv.get_vector("zero", norm=True)).all()
    assert np.isfinite(kv.most_similar_cosmul("a", topn=None)).all()
    assert kv.norms[1] == 0


# --------------------------------------------------------------------------------------- norm cache

def test_norm_cache_invalidation():
    vecs = np.array([[1, 0], [0, 1], [1, 0.1]], dtype=np.float32)
    kv = KeyedVectors.from_arrays(["a", "b", "c"], vecs)
    assert kv.norms is None
    kv.fill_norms()
    np.testing.assert_allclose(kv.norms, np.linalg.norm(vecs, axis=1))
    assert kv.most_similar("a", topn=1)[0][0] == "c"

    # the trainer's path: in-place update of the shared array, then invalidate_norms()
    vecs[2] = [0, 5]
    kv.invalidate_norms()
    assert kv.norms is None
    assert kv.most_similar("a", topn=1)[0][0] in ("b", "c")
    assert kv.most_similar("b", topn=1) == [("c", pytest.approx(1.0))]
    np.testing.assert_allclose(kv.fill_norms()[2], 5.0)

    # assigning vectors drops the cache
    kv.vectors = np.array([[1, 0], [0, 3], [0, 0]], dtype=np.float32)
    assert kv.norms is None
    np.testing.assert_allclose(kv.fill_norms(), [1, 3, 0])

    # add_vectors drops the cache
    kv.add_vectors(["d"], np.array([[2, 0]], dtype=np.float32))
    assert kv.norms is None
    assert kv.most_similar("a", topn=1)[0][0] == "d"

    # fill_norms(force=True) recomputes even when cached
    kv.fill_norms()
    kv.vectors[0] = [0, 7]
    assert kv.fill_norms()[0] == pytest.approx(1.0)
    assert kv.fill_norms(force=True)[0] == pytest.approx(7.0)


def test_from_arrays_shares_memory_and_sets_counts():
    vecs = np.zeros((3, 4), dtype=np.float32)
    kv = KeyedVectors.from_arrays(["a", "b", "c"], vecs, counts=[5, 3, 1])
    assert kv.vectors is vecs
    vecs[1, 0] = 2.0
    assert kv["b"][0] == 2.0
    assert [kv.get_vecattr(k, "count") for k in "abc"] == [5, 3, 1]
    copied = KeyedVectors.from_arrays(["a", "b", "c"], vecs, copy=True)
    assert not np.shares_memory(copied.vectors, vecs)
    with pytest.raises(ValueError, match="duplicate"):
        KeyedVectors.from_arrays(["a", "a"], np.zeros((2, 2)))
    with pytest.raises(ValueError):
        KeyedVectors.from_arrays(["a"], np.zeros((2, 2)))
    with pytest.raises(ValueError):
        KeyedVectors.from_arrays(["a", "b"], np.zeros((2, 2)), counts=[1])


# ------------------------------------------------------------------------------------------ editing

def test_add_vectors_and_replace():
    kv = KeyedVectors(2)
    kv.add_vectors(["a", "b"], np.array([[1, 0], [0, 1]]), extras={"count": np.array([10, 20])})
    assert kv.index_to_key == ["a", "b"] and kv.get_vecattr("b", "count") == 20
    kv.add_vectors(["b", "c"], np.array([[9, 9], [1, 1]]), extras={"count": np.array([7, 30])})
    np.testing.assert_array_equal(kv["b"], [0, 1])   # kept without replace
    assert kv.get_vecattr("c", "count") == 30 and kv.get_vecattr("b", "count") == 20
    kv.add_vectors(["b"], np.array([[9, 9]]), replace=True)
    np.testing.assert_array_equal(kv["b"], [9, 9])
    kv["d"] = np.array([4, 4])
    assert kv.get_index("d") == 3 and kv.vectors.shape == (4, 2)
    with pytest.raises(ValueError):
        kv.add_vectors(["e"], np.zeros((1, 3)))


def test_add_vector_into_preallocated_slots():
    kv = KeyedVectors(3, count=2)
    assert len(kv) == 2
    assert kv.add_vector("a", [1, 2, 3]) == 0
    assert kv.add_vector("b", [4, 5, 6]) == 1
    assert kv.add_vector("c", [7, 8, 9]) == 2
    assert kv.index_to_key == ["a", "b", "c"]
    np.testing.assert_array_equal(kv.vectors, np.arange(1, 10).reshape(3, 3))


def test_sort_by_descending_frequency_and_resize():
    kv = KeyedVectors.from_arrays(["a", "b", "c"], np.eye(3, dtype=np.float32), counts=[1, 5, 3])
    kv.sort_by_descending_frequency()
    assert kv.index_to_key == ["b", "c", "a"]
    np.testing.assert_array_equal(kv["b"], [0, 1, 0])
    assert kv.key_to_index == {"b": 0, "c": 1, "a": 2}
    kv.index_to_key.append("d")
    kv.key_to_index["d"] = 3
    kv.resize_vectors()
    assert kv.vectors.shape == (4, 3) and len(kv.expandos["count"]) == 4
    np.testing.assert_array_equal(kv["b"], [0, 1, 0])
    assert np.abs(kv["d"]).max() <= 1 / 3


def test_pickle_round_trip_drops_norm_cache():
    import pickle
    kv = random_kv(30, 4)
    kv.fill_norms()
    back = pickle.loads(pickle.dumps(kv))
    assert back.norms is None and kv.norms is not None
    assert back.index_to_key == kv.index_to_key
    np.testing.assert_array_equal(back.vectors, kv.vectors)
    assert back.most_similar("k1", topn=3) == kv.most_similar("k1", topn=3)


def test_unit_normalize_all():
    kv = random_kv(20, 5)
    kv.unit_normalize_all()
    np.testing.assert_allclose(np.linalg.norm(kv.vectors, axis=1), 1.0, rtol=1e-6)


# ---------------------------------------------------------------------------------------- gensim parity

@pytest.fixture
def gensim():
    return pytest.importorskip("gensim")


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # gensim's most_similar_cosmul calls init_sims
def test_queries_match_gensim(gensim):
    ours = random_kv()
    theirs = ours.to_gensim()
    for pos, neg in ((["k1"], []), (["k1", "k2"], ["k3"]), (["k4", ("k5", 0.5)], [("k6", -2.0)])):
        a = ours.most_similar(positive=pos, negative=neg, topn=8)
        b = theirs.most_similar(positive=pos, negative=neg, topn=8)
        assert [w for w, _ in a] == [w for w, _ in b]
        np.testing.assert_allclose([s for _, s in a], [s for _, s in b], rtol=1e-5)
    a = ours.most_similar_cosmul(positive=["k1", "k2"], negative=["k3"], topn=8)
    b = theirs.most_similar_cosmul(positive=["k1", "k2"], negative=["k3"], topn=8)
    assert [w for w, _ in a] == [w for w, _ in b]
    np.testing.assert_allclose([s for _, s in a], [s for _, s in b], rtol=1e-5)
    np.testing.assert_allclose(ours.most_similar("k7", topn=None, restrict_vocab=100),
                               theirs.most_similar("k7", topn=None, restrict_vocab=100), rtol=1e-5, atol=1e-6)
    assert ours.similarity("k1", "k9") == pytest.approx(float(theirs.similarity("k1", "k9")), rel=1e-5)
    assert ours.n_similarity(["k1", "k2"], ["k9"]) == pytest.approx(float(theirs.n_similarity(["k1", "k2"], ["k9"])),
                                                                    rel=1e-5)
    assert ours.doesnt_match(["k1", "k2", "k3", "k4"]) == theirs.doesnt_match(["k1", "k2", "k3", "k4"])
    assert ours.rank("k1", "k50") == theirs.rank("k1", "k50")
    np.testing.assert_allclose(ours.distances("k1"), theirs.distances("k1"), atol=1e-6)
    np.testing.assert_allclose(ours.get_mean_vector(["k1", "k2"], weights=[1, -2]),
                               theirs.get_mean_vector(["k1", "k2"], weights=[1, -2]), rtol=1e-5)


def test_gensim_round_trip(gensim):
    ours = random_kv(50, 6)
    theirs = ours.to_gensim()
    assert isinstance(theirs, gensim.models.KeyedVectors)
    assert theirs.index_to_key == ours.index_to_key
    np.testing.assert_array_equal(theirs.vectors, ours.vectors)
    assert theirs.get_vecattr("k3", "count") == ours.get_vecattr("k3", "count")
    back = KeyedVectors.from_gensim(theirs)
    assert back.index_to_key == ours.index_to_key and back.key_to_index == ours.key_to_index
    np.testing.assert_array_equal(back.vectors, ours.vectors)
    np.testing.assert_array_equal(back.expandos["count"], ours.expandos["count"])
    assert not np.shares_memory(back.vectors, theirs.vectors)
    # a gensim model loaded from a file has no counts until set; from_gensim copes
    plain = gensim.models.KeyedVectors(3)
    plain.add_vectors(["x", "y"], np.ones((2, 3), dtype=np.float32))
    assert KeyedVectors.from_gensim(plain).index_to_key == ["x", "y"]


def test_to_gensim_without_gensim(monkeypatch):
    monkeypatch.setitem(sys.modules, "gensim", None)
    monkeypatch.setitem(sys.modules, "gensim.models", None)
    with pytest.raises(ImportError, match="needs gensim"):
        random_kv(5, 2).to_gensim()
