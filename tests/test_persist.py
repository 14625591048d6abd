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
