"""KeyedVectors.save / load: the open layout, mmap, and refusals (no gensim needed)."""
import pickle
import zipfile

import numpy as np
import pytest

from w2vfast import FormatError, KeyedVectors


def _kv(dtype=np.float32, keys=("a", "b", "c")):
    rng = np.random.default_rng(0)
    kv = KeyedVectors.from_arrays(list(keys), rng.standard_normal((len(keys), 4)).astype(dtype),
                                  counts=np.arange(len(keys)) + 5)
    return kv


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_round_trip_keeps_keys_vectors_attributes_and_dtype(tmp_path, dtype):
    kv = _kv(dtype, keys=("a", 7, "ünï"))
    ragged = np.empty(3, dtype=object)
    ragged[:] = [np.array([1, 0], np.uint8), np.array([], np.uint8), np.array([1], np.uint8)]
    kv.expandos["code"] = ragged
    kv.save(tmp_path / "v.kv")
    back = KeyedVectors.load(tmp_path / "v.kv")
    assert back.index_to_key == ["a", 7, "ünï"] and back.vectors.dtype == dtype
    np.testing.assert_array_equal(back.vectors, kv.vectors)
    np.testing.assert_array_equal(back.expandos["count"], kv.expandos["count"])
    assert [list(c) for c in back.expandos["code"]] == [[1, 0], [], [1]]
    mapped = KeyedVectors.load(tmp_path / "v.kv", mmap="r")
    assert not mapped.vectors.flags.writeable
    assert mapped.most_similar("a", topn=1) == kv.most_similar("a", topn=1)
    with zipfile.ZipFile(tmp_path / "v.kv") as zf:  # open layout: JSON and .npy members, nothing pickled
        assert all(n == "keyedvectors.json" or n.endswith(".npy") for n in zf.namelist())


def test_damaged_and_foreign_files_are_format_errors(tmp_path):
    _kv().save(tmp_path / "v.kv")
    data = (tmp_path / "v.kv").read_bytes()
    (tmp_path / "cut.kv").write_bytes(data[: len(data) // 2])
    with pytest.raises(FormatError, match="cut.kv"):
        KeyedVectors.load(tmp_path / "cut.kv")
    flipped = bytearray(data)
    flipped[data.index(b"vectors.npy") + 200] ^= 0xFF  # inside the vectors' data: the CRC catches it
    (tmp_path / "flip.kv").write_bytes(bytes(flipped))
    with pytest.raises(FormatError, match="CRC|NaN|flip.kv"):
        KeyedVectors.load(tmp_path / "flip.kv")
    with zipfile.ZipFile(tmp_path / "extra.kv", "w") as zf:
        zf.writestr("keyedvectors.json", "{}")
        zf.writestr("evil.pkl", b"\x80\x04.")
    with pytest.raises(FormatError, match="unexpected member"):
        KeyedVectors.load(tmp_path / "extra.kv")
    (tmp_path / "pickled.kv").write_bytes(pickle.dumps({"not": "vectors"}))
    with pytest.raises(FormatError, match="allow_pickle=True"):
        KeyedVectors.load(tmp_path / "pickled.kv")
    with pytest.raises(FileNotFoundError):
        KeyedVectors.load(tmp_path / "missing.kv")


def test_unsavable_keys_and_a_failed_save_leave_the_old_file(tmp_path):
    kv = _kv()
    kv.save(tmp_path / "v.kv")
    before = (tmp_path / "v.kv").read_bytes()
    bad = KeyedVectors.from_arrays([("tuple", "key")], np.zeros((1, 4), np.float32))
    with pytest.raises(TypeError, match="str and int keys"):
        bad.save(tmp_path / "v.kv")
    assert (tmp_path / "v.kv").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.kv"]  # no temporary file left behind
