"""Word2Vec.load on files built to attack it: each must be refused with FormatError, never crash or obey."""
import json
import os
import zipfile

import numpy as np
import pytest

from model_files import SENTENCES, members_of, npy, npy_raw, small_model, with_json, write_members
from w2vfast import FormatError, Word2Vec
from w2vfast import persist

MMAP_MODES = [None, "r", "c"]


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """The members of a valid saved model with every member present (hs and negative sampling)."""
    path = tmp_path_factory.mktemp("saved") / "m.model"
    model = small_model()
    model.save(path)
    return members_of(path), model


def refused(tmp_path, members, match, mmap=None, name="bad.model", **kwargs):
    path = write_members(tmp_path / name, members, **kwargs)
    with pytest.raises(FormatError, match=match) as info:
        Word2Vec.load(path, mmap=mmap)
    assert name in str(info.value)  # the message names the file
    return info.value


def test_the_unmodified_members_load(tmp_path, saved):
    members, model = saved
    loaded = Word2Vec.load(write_members(tmp_path / "ok.model", members))
    np.testing.assert_array_equal(loaded.wv.vectors, model.wv.vectors)


# ------------------------------------------------------------------------------------------ .npy members
@pytest.mark.parametrize("mmap", MMAP_MODES)
def test_object_dtype_is_refused_on_every_path(tmp_path, saved, mmap):
    members, model = saved
    shape = model.wv.vectors.shape
    hostile = npy_raw("|O", shape, b"\x41" * (8 * shape[0] * shape[1]))  # bytes that would become pointers
    refused(tmp_path, {**members, "syn0.npy": hostile}, "dtype", mmap=mmap)


@pytest.mark.parametrize("dtype", [np.complex64, np.bool_, np.float16, np.float64, "<U1", ">f4", np.int32])
@pytest.mark.parametrize("mmap", [None, "r"])
def test_wrong_matrix_dtypes_are_refused(tmp_path, saved, dtype, mmap):
    members, model = saved
    refused(tmp_path, {**members, "syn1neg.npy": npy(model.syn1neg.astype(dtype))}, "dtype", mmap=mmap)


@pytest.mark.parametrize("member,dtype", [("counts", np.int32), ("counts", np.float64), ("codes", np.int8),
                                          ("points", np.int64), ("code_offsets", np.int32)])
def test_wrong_table_dtypes_are_refused(tmp_path, saved, member, dtype):
    members, model = saved
    v = model.vocabulary
    original = {"counts": v.counts, "codes": v.codes, "points": v.points, "code_offsets": v.code_offsets}
    refused(tmp_path, {**members, f"{member}.npy": npy(original[member].astype(dtype))}, "dtype")


@pytest.mark.parametrize("mmap", MMAP_MODES)
def test_a_header_declaring_a_huge_array_is_refused_before_allocating(tmp_path, saved, mmap):
    members, model = saved
    # 1e10 x 4 float32 = 160 GB declared by a member of a few hundred bytes
    bomb = npy_raw("<f4", (10**10, model.vector_size), b"\0" * 64)
    refused(tmp_path, {**members, "syn0.npy": bomb}, "shape|declares", mmap=mmap)
    # ... also when model.json agrees with the huge shape
    keys = [f"w{i}" for i in range(10**5)]
    refused(tmp_path, with_json({**members, "syn0.npy": npy_raw("<f4", (len(keys), 4), b"\0" * 64)},
                                lambda m: m.update(keys=keys)), "shape|declares", mmap=mmap)


def test_compressed_members_are_refused(tmp_path, saved):
    members, _ = saved
    refused(tmp_path, members, "compressed", compression=zipfile.ZIP_DEFLATED)


def test_model_json_over_the_size_limit_is_refused_unread(tmp_path, saved, monkeypatch):
    members, _ = saved
    monkeypatch.setattr(persist, "JSON_LIMIT", len(members["model.json"]) - 1)
    refused(tmp_path, members, "limit")


@pytest.mark.parametrize("mmap", MMAP_MODES)
def test_a_flipped_byte_fails_the_crc_check(tmp_path, saved, mmap):
    members, model = saved
    data = bytearray(members["syn0.npy"])
    data[-3] ^= 0x7F  # in the last float's exponent: a huge but finite value
    path = write_members(tmp_path / "flip.model", {**members, "syn0.npy": bytes(data)})
    # zipfile computes the CRC of what it is given: put back the CRC of the original bytes
    raw = bytearray(path.read_bytes())
    good_crc, bad_crc = (zipfile.crc32(members["syn0.npy"]).to_bytes(4, "little"),
                         zipfile.crc32(bytes(data)).to_bytes(4, "little"))
    assert raw.count(bad_crc) == 2  # local header and central directory
    path.write_bytes(bytes(raw).replace(bad_crc, good_crc))
    with pytest.raises(FormatError, match="CRC"):
        Word2Vec.load(path, mmap=mmap)
    if mmap:  # verify=False is the documented way to skip that pass: the damage then shows in the values
        unchecked = Word2Vec.load(path, mmap=mmap, verify=False)
        assert not np.array_equal(unchecked.wv.vectors, model.wv.vectors)


@pytest.mark.parametrize("mmap", MMAP_MODES)
def test_non_finite_vectors_are_refused(tmp_path, saved, mmap):
    members, model = saved
    for bad in (np.nan, np.inf):
        syn1 = model.syn1.copy()
        syn1[1, 2] = bad
        refused(tmp_path, {**members, "syn1.npy": npy(syn1)}, "NaN or infinite", mmap=mmap)


def test_fortran_order_and_wrong_shapes_are_refused(tmp_path, saved):
    members, model = saved
    syn0 = model.wv.vectors
    refused(tmp_path, {**members, "syn0.npy": npy_raw("<f4", syn0.shape, syn0.T.tobytes(), fortran=True)},
            "Fortran")
    refused(tmp_path, {**members, "syn0.npy": npy(syn0[:-1])}, "shape")
    refused(tmp_path, {**members, "syn1.npy": npy(syn0[:, :-1])}, "shape")
    refused(tmp_path, {**members, "counts.npy": npy(model.vocabulary.counts[:, None])}, "shape")
    refused(tmp_path, {**members, "syn0.npy": members["syn0.npy"][:-4]}, "declares")  # cut short
    refused(tmp_path, {**members, "syn0.npy": members["syn0.npy"] + b"\0" * 4}, "declares")  # trailing bytes
    refused(tmp_path, {**members, "syn0.npy": b"\x93NUMPY\x03\x00" + members["syn0.npy"][8:]}, "version")
    refused(tmp_path, {**members, "syn0.npy": b"not numpy"}, "npy")


@pytest.mark.filterwarnings("ignore:Duplicate name")  # zipfile warns while the test writes the repeat
def test_unknown_and_repeated_members_are_refused(tmp_path, saved):
    members, _ = saved
    refused(tmp_path, {**members, "extra.pkl": b"x"}, "unexpected member")
    refused(tmp_path, list(members.items()) + [("syn0.npy", members["syn0.npy"])], "twice")
    refused(tmp_path, {k: v for k, v in members.items() if k != "model.json"}, "no model.json")


def test_matrices_the_settings_need_must_be_present(tmp_path, saved):
    members, _ = saved
    without = lambda name: {k: v for k, v in members.items() if k != name}  # noqa: E731
    refused(tmp_path, without("syn1neg.npy"), "missing syn1neg.npy")  # negative=2
    refused(tmp_path, without("syn1.npy"), "missing syn1.npy")  # hs=1
    refused(tmp_path, without("syn0.npy"), "missing syn0.npy")
    refused(tmp_path, without("counts.npy"), "missing counts.npy")
    refused(tmp_path, without("points.npy"), "Huffman tree")
    # Without any Huffman member the tree is rebuilt from the counts: the same tree save wrote.
    rebuilt = Word2Vec.load(write_members(tmp_path / "nohuff.model", {k: v for k, v in members.items()
                                          if k not in ("codes.npy", "points.npy", "code_offsets.npy")}))
    np.testing.assert_array_equal(rebuilt.vocabulary.points, saved[1].vocabulary.points)


def test_inconsistent_huffman_trees_and_counts_are_refused(tmp_path, saved):
    members, model = saved
    v = model.vocabulary
    offsets = v.code_offsets.copy()
    offsets[2], offsets[3] = offsets[3], offsets[2]
    refused(tmp_path, {**members, "code_offsets.npy": npy(offsets)}, "never decrease")
    refused(tmp_path, {**members, "code_offsets.npy": npy(v.code_offsets + 1)}, "start at 0")
    points = v.points.copy()
    points[0] = len(v)
    refused(tmp_path, {**members, "points.npy": npy(points)}, "rows of syn1")
    points[0] = -1
    refused(tmp_path, {**members, "points.npy": npy(points)}, "rows of syn1")
    codes = v.codes.copy()
    codes[0] = 2
    refused(tmp_path, {**members, "codes.npy": npy(codes)}, "only 0 and 1")
    refused(tmp_path, {**members, "codes.npy": npy(v.codes[:-1])}, "differ in length")
    long_path = np.zeros(len(v) + 1, np.int64)
    long_path[1:] = len(v.codes)  # the first word's code takes every decision
    refused(tmp_path, {**members, "code_offsets.npy": npy(long_path)}, "longer")
    counts = v.counts.copy()
    counts[0] = -1
    refused(tmp_path, {**members, "counts.npy": npy(counts)}, "negative count")
    refused(tmp_path, {**members, "counts.npy": npy(np.zeros_like(counts))}, "cannot be trained")


# ---------------------------------------------------------------------------------------------- model.json
def test_settings_never_make_load_read_or_train_on_a_corpus(tmp_path, saved):
    members, _ = saved
    secret = tmp_path / "secret.txt"
    secret.write_text("a b c d\n" * 100)
    for extra in ({"corpus_file": str(secret)}, {"sentences": [["a", "b"]]}, {"corpus_iterable": [["a"]]},
                  {"callbacks": []}, {"trim_rule": None}, {"hashfxn": "os.system"}, {"progress": True}):
        error = refused(tmp_path, with_json(members, lambda m: m["settings"].update(extra)), "unknown setting")
        assert str(secret) not in str(error)
    # the error is the same whether or not the named path exists: it never gets looked at
    gone = str(tmp_path / "nope.txt")
    error = refused(tmp_path, with_json(members, lambda m: m["settings"].update(corpus_file=gone)),
                    "unknown setting")
    assert type(error) is FormatError


def test_settings_are_validated_like_the_constructor(tmp_path, saved):
    members, model = saved
    # a huge epochs count used to keep load() busy training; now it is only a setting, checked like any other
    refused(tmp_path, with_json(members, lambda m: m["settings"].update(epochs=10**7)), "epochs")
    loaded = Word2Vec.load(write_members(tmp_path / "e.model", with_json(
        members, lambda m: m["settings"].update(epochs=1_000_000))))
    assert loaded.epochs == 1_000_000 and loaded.train_count == model.train_count  # loaded, not trained
    np.testing.assert_array_equal(loaded.wv.vectors, model.wv.vectors)
    for name, value, match in [("vector_size", "4", "vector_size"), ("hs", True, "hs"), ("alpha", None, "alpha"),
                               ("alpha", -1.0, "alpha"), ("window", 0, "window"), ("workers", 10**6, "workers"),
                               ("seed", -1, "seed"), ("seed", 2**64, "seed"), ("negative", 1.5, "negative"),
                               ("alpha_schedule", "fast", "alpha_schedule"), ("sg", 2, "sg"),
                               ("compute_loss", 1, "compute_loss"), ("comment", ["x"], "comment"),
                               ("min_count", 2**80, "min_count"), ("ns_exponent", 1e300, "ns_exponent")]:
        refused(tmp_path, with_json(members, lambda m: m["settings"].update({name: value})), match)


def test_state_is_a_whitelist_with_types(tmp_path, saved):
    members, _ = saved
    for extra in ({"train": "x"}, {"wv": None}, {"__class__": "x"}, {"_rng_states": [1]}, {"vocabulary": {}}):
        refused(tmp_path, with_json(members, lambda m: m["state"].update(extra)), "unknown state attribute")
    for extra in ({"corpus_count": -1}, {"corpus_total_words": "7"}, {"total_train_time": -1.0},
                  {"train_count": 2**63}, {"running_training_loss": None}):
        refused(tmp_path, with_json(members, lambda m: m["state"].update(extra)), "state attribute")


@pytest.mark.parametrize("states", [["0"], ["-1"], [str(2**64)], ["abc"], [5], ["01"], [" 5"], ["1_0"], "5",
                                    ["1"] * 5000])
def test_bad_rng_states_are_refused(tmp_path, saved, states):
    members, _ = saved
    refused(tmp_path, with_json(members, lambda m: m.update(rng_states=states)), "rng_states")


def test_good_rng_states_reach_the_model(tmp_path, saved):
    members, _ = saved
    states = [str(2**64 - 1), "1"]
    path = write_members(tmp_path / "r.model", with_json(members, lambda m: m.update(rng_states=states)))
    loaded = Word2Vec.load(path)
    assert loaded._rng_states == [2**64 - 1, 1]


@pytest.mark.parametrize("keys,match", [
    (None, "keys must be"), ("abcdef", "keys must be"), ([], "keys must be"),
    (["a", "b", "a", "c", "d", "e"], "duplicate key"), (["a", 1, "c", "d", "e", "f"], "keys must be strings"),
    (["a", None, "c", "d", "e", "f"], "keys must be strings"), (["a", ["b"], "c", "d", "e", "f"], "keys must be"),
    (["a", "\ud800", "c", "d", "e", "f"], "not valid text"), (["a", "b", "c"], "shape"),
])
def test_bad_keys_are_refused(tmp_path, saved, keys, match):
    members, _ = saved
    refused(tmp_path, with_json(members, lambda m: m.update(keys=keys)), match)


def test_json_nesting_number_syntax_and_fields(tmp_path, saved):
    members, _ = saved
    meta = json.loads(members["model.json"])
    deep = "[" * 100_000 + "]" * 100_000
    raw = json.dumps(meta).replace('"keys": [', f'"keys": [{deep}, ', 1)
    refused(tmp_path, {**members, "model.json": raw.encode()}, "nests deeper")
    raw = json.dumps(meta).replace('"comment": null', '"comment": NaN', 1)
    refused(tmp_path, {**members, "model.json": raw.encode()}, "NaN")
    raw = json.dumps(meta).replace('"window": 5', '"window": ' + "9" * 5000, 1)
    refused(tmp_path, {**members, "model.json": raw.encode()}, "not valid JSON")
    for text in (b"\xff\xfe", b"[]", b"null", b'"w2vfast-model"', b"{"):
        refused(tmp_path, {**members, "model.json": text}, "JSON|not a w2vfast model")
    refused(tmp_path, with_json(members, lambda m: m.update(format="other")), "not a w2vfast model")
    refused(tmp_path, with_json(members, lambda m: m.update(version=2)), "newer w2vfast")
    refused(tmp_path, with_json(members, lambda m: m.update(version="1")), "version")
    refused(tmp_path, with_json(members, lambda m: m.update(pickle="...")), "unknown field")
    refused(tmp_path, with_json(members, lambda m: m.pop("state")), "lacks state")
    refused(tmp_path, with_json(members, lambda m: m.update(settings=[1])), "must be an object")


def test_an_unterminated_string_of_escaped_quotes_is_refused(tmp_path, saved):
    # (a regular expression for JSON strings would backtrack quadratically here: minutes, not milliseconds)
    members, _ = saved
    raw = members["model.json"][:-1] + b', "x": [[[["' + b'a\\"' * 200_000
    refused(tmp_path, {**members, "model.json": raw}, "not valid JSON")


def test_brackets_inside_keys_are_not_nesting(tmp_path):
    # Real corpora have tokens such as "[[" (wiki markup): many of them must not look like deep JSON.
    sentences = [["[" * 20, "{" * 30, "a", "b"], ["a", "[" * 20, "b"], ['\\"[[[[[[[[[', "\\", '"', "b"]] * 3
    model = Word2Vec(sentences, vector_size=4, min_count=1, epochs=1, workers=1)
    model.save(tmp_path / "brackets.model")
    assert Word2Vec.load(tmp_path / "brackets.model").wv.index_to_key == model.wv.index_to_key


# ---------------------------------------------------------------------------------------- archive level
def test_not_a_zip_truncations_and_odd_paths(tmp_path, saved):
    members, _ = saved
    good = write_members(tmp_path / "good.model", members).read_bytes()
    for cut in (0, 1, 22, len(good) // 3, len(good) // 2, len(good) - 23, len(good) - 1):
        (tmp_path / "cut.model").write_bytes(good[:cut])
        with pytest.raises(FormatError, match="cut.model"):
            Word2Vec.load(tmp_path / "cut.model")
    (tmp_path / "dir.model").mkdir()
    with pytest.raises(FormatError, match="not a regular file"):
        Word2Vec.load(tmp_path / "dir.model")
    if hasattr(os, "mkfifo"):  # opening a FIFO for reading would wait for a writer: refused without opening
        os.mkfifo(tmp_path / "fifo.model")
        with pytest.raises(FormatError, match="not a regular file"):
            Word2Vec.load(tmp_path / "fifo.model")
    with pytest.raises(FileNotFoundError):  # documented: an absent path is an OSError, not a FormatError
        Word2Vec.load(tmp_path / "absent.model")


def test_a_member_pointing_past_the_end_is_refused(tmp_path, saved):
    members, _ = saved
    path = write_members(tmp_path / "m.model", members)
    raw = bytearray(path.read_bytes())
    # Point the last central-directory entry's local header offset past the end of the file.
    entry = raw.rfind(b"PK\x01\x02")
    raw[entry + 42:entry + 46] = (len(raw) + 1000).to_bytes(4, "little")
    path.write_bytes(bytes(raw))
    with pytest.raises(FormatError, match="m.model"):
        Word2Vec.load(path)


def test_save_refuses_settings_that_would_not_load_back(tmp_path):
    model = small_model()
    model.comment = object()
    with pytest.raises(ValueError, match="comment"):
        model.save(tmp_path / "m.model")
    assert list(tmp_path.iterdir()) == []


def test_loading_never_trains(tmp_path, saved):
    members, model = saved
    loaded = Word2Vec.load(write_members(tmp_path / "m.model", members))
    assert loaded.train_count == model.train_count and loaded.corpus_count == model.corpus_count
    assert loaded.wv.index_to_key == model.wv.index_to_key and sorted(loaded.wv.index_to_key) == sorted(
        set(w for s in SENTENCES for w in s))
