import zipfile

import numpy as np
import pytest

from w2vfast import Word2Vec
from w2vfast import persist


@pytest.fixture(scope="module")
def trained(planted):
    sentences, _ = planted
    return Word2Vec(sentences, vector_size=16, min_count=1, sg=1, hs=1, negative=5, epochs=1, workers=2)


def assert_same_model(a, b):
    assert a.wv.index_to_key == b.wv.index_to_key
    np.testing.assert_array_equal(a.wv.vectors, b.wv.vectors)
    np.testing.assert_array_equal(a.syn1neg, b.syn1neg)
    np.testing.assert_array_equal(a.syn1, b.syn1)
    np.testing.assert_array_equal(a.vocabulary.counts, b.vocabulary.counts)
    np.testing.assert_array_equal(a.vocabulary.codes, b.vocabulary.codes)
    for name in persist.SETTINGS + persist.STATE:
        assert getattr(a, name) == getattr(b, name), name
    assert a._rng_states == b._rng_states


def test_save_load_round_trip_and_mmap(tmp_path, trained):
    path = tmp_path / "m.model"
    trained.save(path)
    assert_same_model(trained, Word2Vec.load(path))
    mapped = Word2Vec.load(path, mmap="r")
    assert not mapped.wv.vectors.flags.owndata and not mapped.wv.vectors.flags.writeable  # mapped, not read
    assert_same_model(trained, mapped)
    # The layout is open: plain .npy members plus JSON.
    with zipfile.ZipFile(path) as zf:
        assert {"model.json", "syn0.npy", "syn1neg.npy", "syn1.npy", "counts.npy"} <= set(zf.namelist())


def test_loaded_model_trains_on_identically(tmp_path, planted, trained):
    sentences, _ = planted
    kwargs = dict(vector_size=16, min_count=1, sg=1, epochs=1, workers=1, seed=4)
    a = Word2Vec(sentences, **kwargs)
    a.save(tmp_path / "a.model")
    b = Word2Vec.load(tmp_path / "a.model")
    for m in (a, b):
        m.train(sentences, total_examples=m.corpus_count, epochs=1)
    np.testing.assert_array_equal(a.wv.vectors, b.wv.vectors)
    mapped = Word2Vec.load(tmp_path / "a.model", mmap="r")
    with pytest.raises(ValueError, match="read-only"):
        mapped.train(sentences, total_examples=mapped.corpus_count, epochs=1)


def test_a_failed_save_leaves_the_old_file_intact(tmp_path, trained, monkeypatch):
    path = tmp_path / "m.model"
    trained.save(path)
    before = path.read_bytes()

    def explode(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np.lib.format, "write_array", explode)
    with pytest.raises(OSError, match="disk full"):
        trained.save(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.model"]  # no temporary left behind


def test_damaged_and_foreign_files_raise(tmp_path, trained):
    path = tmp_path / "m.model"
    trained.save(path)
    data = path.read_bytes()
    (tmp_path / "cut.model").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="cut.model"):
        Word2Vec.load(tmp_path / "cut.model")
    (tmp_path / "text.model").write_text("hello")
    with pytest.raises(ValueError, match="not a w2vfast model"):
        Word2Vec.load(tmp_path / "text.model")
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as zf:
        zf.writestr("model.json", '{"format": "something-else"}')
    with pytest.raises(ValueError, match="not a w2vfast model"):
        Word2Vec.load(tmp_path / "other.zip")
    with pytest.raises(FileNotFoundError):
        Word2Vec.load(tmp_path / "nope.model")


KINDS = {"sg-ns": dict(sg=1, hs=0, negative=3), "sg-hs": dict(sg=1, hs=1, negative=0),
         "cbow-ns": dict(sg=0, hs=0, negative=3), "cbow-hs-ns-null": dict(sg=0, hs=1, negative=2, null_word=1),
         "sg-both-shared": dict(sg=1, hs=1, negative=4, shared_negatives=True, comment="x", max_final_vocab=50)}


@pytest.mark.parametrize("mmap", [None, "r", "c"])
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_model_kind_round_trips(tmp_path, planted, kind, mmap):
    sentences, _ = planted
    model = Word2Vec(sentences[:300], vector_size=8, min_count=1, epochs=1, workers=1, seed=7, **KINDS[kind])
    model.save(tmp_path / "m.model")
    loaded = Word2Vec.load(tmp_path / "m.model", mmap=mmap)
    assert_same_model(model, loaded)
    assert (loaded.syn1neg is None) == (model.negative == 0) and (loaded.syn1 is None) == (model.hs == 0)
    if mmap != "r":  # the loaded model trains on exactly as the original does
        for m in (model, loaded):
            m.train(sentences[:100], total_examples=100, epochs=1)
        np.testing.assert_array_equal(model.wv.vectors, loaded.wv.vectors)


def test_float_vocabulary_limits_are_stored_as_integers(tmp_path, planted):
    # gensim users pass max_vocab_size=1e6; the file must hold an integer, which is all load() accepts
    sentences, _ = planted
    model = Word2Vec(sentences[:50], vector_size=4, min_count=1, epochs=1, max_vocab_size=1e6, max_final_vocab=1e3)
    model.save(tmp_path / "m.model")
    loaded = Word2Vec.load(tmp_path / "m.model")
    assert (loaded.max_vocab_size, loaded.max_final_vocab) == (1_000_000, 1000)
    assert type(loaded.max_vocab_size) is int
