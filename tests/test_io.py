"""word2vec text/binary reading and writing: round trips, options, damaged files, gensim interop."""
import bz2
import gzip
import io as pyio
import logging
import lzma
import os
import struct

import numpy as np
import pytest

from w2vfast import _fastio
from w2vfast import io as wio
from w2vfast.errors import FormatError
from w2vfast.io import Word2VecFormatError, read_word2vec_format, write_word2vec_format
from w2vfast.keyedvectors import KeyedVectors


def make_kv(n=300, dim=16, seed=0):
    rng = np.random.default_rng(seed)
    keys = [f"w{i}" for i in range(n - 4)] + ["naïve", "日本語", "a\x00b", "caf\udce9"]  # NUL and a raw byte
    vectors = rng.standard_normal((n, dim)).astype(np.float32)
    vectors[3] = 0.0
    vectors[4] = np.resize([1e-30, -1e30, 0.1, 1 / 3], dim)
    counts = np.arange(n, 0, -1) * 10
    return KeyedVectors.from_arrays(keys, vectors, counts=counts)


def binary_bytes(words, vectors, newline=True, header=None):
    vectors = np.asarray(vectors, dtype="<f4")
    out = [header if header is not None else b"%d %d\n" % vectors.shape]
    for w, v in zip(words, vectors):
        out.append(w + b" " + v.tobytes() + (b"\n" if newline else b""))
    return b"".join(out)


# ------------------------------------------------------------------------------------------- round trips

@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize("suffix", ["", ".gz", ".bz2"])
def test_round_trip_exact(tmp_path, binary, suffix):
    kv = make_kv()
    path = tmp_path / f"vecs{suffix}"
    kv.save_word2vec_format(path, binary=binary)
    back = KeyedVectors.load_word2vec_format(path, binary=binary, unicode_errors="surrogateescape")
    assert back.index_to_key == kv.index_to_key
    assert back.vectors.dtype == np.float32
    np.testing.assert_array_equal(back.vectors, kv.vectors)
    raw = path.read_bytes()
    if suffix == ".gz":
        assert raw[:2] == b"\x1f\x8b"
    elif suffix == ".bz2":
        assert raw[:3] == b"BZh"
    else:
        assert raw.startswith(b"300 16\n")


def test_binary_layout_matches_word2vec_c(tmp_path):
    kv = KeyedVectors.from_arrays(["ab", "c"], np.array([[1.0, -2.0], [0.5, 3.0]], dtype=np.float32))
    path = tmp_path / "v.bin"
    kv.save_word2vec_format(path, binary=True)
    expected = b"2 2\nab " + struct.pack("<2f", 1.0, -2.0) + b"\nc " + struct.pack("<2f", 0.5, 3.0) + b"\n"
    assert path.read_bytes() == expected


def test_text_layout(tmp_path):
    kv = KeyedVectors.from_arrays(["ab", "c"], np.array([[1.0, -2.5], [0.1, 3e-7]], dtype=np.float32))
    path = tmp_path / "v.txt"
    kv.save_word2vec_format(path)
    assert path.read_bytes() == b"2 2\nab 1 -2.5\nc 0.1 3e-07\n"


@pytest.mark.parametrize("newline", [True, False])
def test_binary_with_and_without_newline(tmp_path, newline):
    rng = np.random.default_rng(1)
    vecs = rng.standard_normal((50, 8)).astype(np.float32)
    words = [b"word%d" % i for i in range(50)]
    path = tmp_path / "v.bin"
    path.write_bytes(binary_bytes(words, vecs, newline=newline))
    keys, out, n = read_word2vec_format(path, binary=True)
    assert keys == [w.decode() for w in words] and n == 50
    np.testing.assert_array_equal(out, vecs)


def test_small_chunks_cross_every_boundary(tmp_path, monkeypatch):
    kv = make_kv(n=60, dim=8)
    for binary in (False, True):
        path = tmp_path / f"v{binary}"
        kv.save_word2vec_format(path, binary=binary)
        monkeypatch.setattr(wio, "_CHUNK", 7)
        back = KeyedVectors.load_word2vec_format(path, binary=binary, unicode_errors="surrogateescape")
        monkeypatch.undo()
        assert back.index_to_key == kv.index_to_key
        np.testing.assert_array_equal(back.vectors, kv.vectors)


def test_text_whitespace_variants(tmp_path):
    path = tmp_path / "v.txt"
    path.write_bytes(b"3 2  \r\n\nalpha\t1.5 -2\r\n  beta  0.25   4e1 \n\n\ngamma 1 2")
    keys, vecs, _ = read_word2vec_format(path)
    assert keys == ["alpha", "beta", "gamma"]
    np.testing.assert_array_equal(vecs, np.array([[1.5, -2], [0.25, 40], [1, 2]], dtype=np.float32))


def test_limit(tmp_path):
    kv = make_kv(n=100)
    for binary in (False, True):
        path = tmp_path / f"v{binary}"
        kv.save_word2vec_format(path, binary=binary)
        back = KeyedVectors.load_word2vec_format(path, binary=binary, limit=10)
        assert back.index_to_key == kv.index_to_key[:10]
        np.testing.assert_array_equal(back.vectors, kv.vectors[:10])
        # limit=None and limit=0 mean "all" (as in gensim), a limit past V too
        for limit in (None, 0, 1000):
            assert len(read_word2vec_format(path, binary=binary, limit=limit,
                                            unicode_errors="surrogateescape")[0]) == 100


def test_limit_stops_before_damage(tmp_path):
    rng = np.random.default_rng(0)
    vecs = rng.standard_normal((5, 4)).astype(np.float32)
    data = binary_bytes([b"a", b"b", b"c", b"d", b"e"], vecs)
    path = tmp_path / "v.bin"
    path.write_bytes(data[:-10])  # last record truncated
    keys, out, _ = read_word2vec_format(path, binary=True, limit=3)
    assert keys == ["a", "b", "c"]
    np.testing.assert_array_equal(out, vecs[:3])


def test_file_object_and_datatype(tmp_path):
    kv = make_kv(n=20, dim=4)
    path = tmp_path / "v.bin"
    kv.save_word2vec_format(path, binary=True)
    keys, vecs, _ = read_word2vec_format(pyio.BytesIO(path.read_bytes()), binary=True,
                                         unicode_errors="surrogateescape", datatype=np.float64)
    assert keys == kv.index_to_key and vecs.dtype == np.float64
    np.testing.assert_array_equal(vecs, kv.vectors.astype(np.float64))


def test_no_header_and_write_header_false(tmp_path):
    kv = make_kv(n=30, dim=6)
    path = tmp_path / "glove.txt"
    kv.save_word2vec_format(path, write_header=False)
    assert not path.read_bytes().startswith(b"30 6")
    back = KeyedVectors.load_word2vec_format(path, no_header=True, unicode_errors="surrogateescape")
    assert back.index_to_key == kv.index_to_key
    np.testing.assert_array_equal(back.vectors, kv.vectors)
    assert len(read_word2vec_format(path, no_header=True, limit=7, unicode_errors="surrogateescape")[0]) == 7
    with pytest.raises(ValueError, match="binary"):
        read_word2vec_format(path, no_header=True, binary=True)


def test_prefix_and_total_vec(tmp_path):
    kv = KeyedVectors.from_arrays(["a", "b"], np.ones((2, 3), dtype=np.float32))
    path = tmp_path / "v.txt"
    kv.save_word2vec_format(path, prefix="en_")
    assert read_word2vec_format(path)[0] == ["en_a", "en_b"]
    kv.save_word2vec_format(path, total_vec=5)
    assert path.read_bytes().startswith(b"5 3\n")


def test_fvocab_round_trip_and_frequency_order(tmp_path):
    keys = ["rare", "common", "mid"]
    vecs = np.arange(6, dtype=np.float32).reshape(3, 2)
    kv = KeyedVectors.from_arrays(keys, vecs, counts=[1, 100, 10])
    path, vocab = tmp_path / "v.bin", tmp_path / "vocab.txt"
    kv.save_word2vec_format(path, fvocab=vocab, binary=True)
    assert vocab.read_text() == "common 100\nmid 10\nrare 1\n"
    back = KeyedVectors.load_word2vec_format(path, fvocab=vocab, binary=True)
    assert back.index_to_key == ["common", "mid", "rare"]
    assert [back.get_vecattr(k, "count") for k in back.index_to_key] == [100, 10, 1]
    np.testing.assert_array_equal(back["rare"], vecs[0])
    # without fvocab: made-up descending counts, so a re-save keeps the order
    plain = KeyedVectors.load_word2vec_format(path, binary=True)
    assert [plain.get_vecattr(k, "count") for k in plain.index_to_key] == [3, 2, 1]


def test_fvocab_needs_counts(tmp_path):
    kv = KeyedVectors.from_arrays(["a"], np.ones((1, 2), dtype=np.float32))
    with pytest.raises(ValueError, match="count"):
        kv.save_word2vec_format(tmp_path / "v", fvocab=tmp_path / "voc")


def test_duplicate_words_keep_first(tmp_path, caplog):
    path = tmp_path / "v.txt"
    path.write_bytes(b"3 1\na 1\nb 2\na 3\n")
    with caplog.at_level(logging.WARNING):
        keys, vecs, n = read_word2vec_format(path)
    assert keys == ["a", "b"] and vecs[:, 0].tolist() == [1, 2] and n == 3
    assert "duplicate" in caplog.text


def test_duplicates_far_into_the_file(tmp_path):
    rng = np.random.default_rng(3)
    words = [b"w%d" % i for i in range(600)]
    words[450] = b"w7"
    words[599] = b"w300"
    vecs = rng.standard_normal((600, 3)).astype(np.float32)
    path = tmp_path / "v.bin"
    path.write_bytes(binary_bytes(words, vecs))
    kv = KeyedVectors.load_word2vec_format(path, binary=True)
    assert len(kv) == 598
    assert kv.index_to_key == [w.decode() for i, w in enumerate(words) if i not in (450, 599)]
    assert kv.key_to_index["w451"] == 450 and kv.key_to_index["w7"] == 7
    np.testing.assert_array_equal(kv["w7"], vecs[7])
    np.testing.assert_array_equal(kv["w598"], vecs[598])


# --------------------------------------------------------------------------------------------- decoding

def test_unicode_errors_modes(tmp_path):
    vecs = np.ones((2, 2), dtype=np.float32)
    path = tmp_path / "v.bin"
    path.write_bytes(binary_bytes([b"ok", b"bad\xffword"], vecs))
    with pytest.raises(ValueError, match=r"record 2 .*not valid utf-8"):
        read_word2vec_format(path, binary=True)
    assert read_word2vec_format(path, binary=True, unicode_errors="replace")[0][1] == "bad\ufffdword"
    assert read_word2vec_format(path, binary=True, unicode_errors="ignore")[0][1] == "badword"
    word = read_word2vec_format(path, binary=True, unicode_errors="surrogateescape")[0][1]
    assert word.encode("utf-8", "surrogateescape") == b"bad\xffword"
    text = tmp_path / "v.txt"
    text.write_bytes(b"2 1\nok 1\nbad\xff 2\n")
    with pytest.raises(ValueError, match="line 3"):
        read_word2vec_format(text)
    with pytest.raises(ValueError, match="unicode_errors"):
        read_word2vec_format(text, unicode_errors="bogus")


def test_other_encoding(tmp_path):
    path = tmp_path / "v.txt"
    path.write_bytes(b"1 1\ncaf\xe9 1\n")
    assert read_word2vec_format(path, encoding="latin-1")[0] == ["café"]


def test_surrogateescape_key_written_as_raw_bytes(tmp_path):
    kv = KeyedVectors.from_arrays(["x\udcff"], np.ones((1, 1), dtype=np.float32))
    path = tmp_path / "v.bin"
    kv.save_word2vec_format(path, binary=True)
    assert b"x\xff " in path.read_bytes()


# ------------------------------------------------------------------------------------------ bad files

@pytest.mark.parametrize("binary", [False, True])
def test_header_declares_more_vectors_than_present(tmp_path, binary):
    kv = make_kv(n=10, dim=4)
    path = tmp_path / "v"
    kv.save_word2vec_format(path, binary=binary, total_vec=12)
    with pytest.raises(Word2VecFormatError, match="declares 12 vectors but the file holds only 10"):
        read_word2vec_format(path, binary=binary, unicode_errors="surrogateescape")
    # reading fewer than are present is fine
    assert len(read_word2vec_format(path, binary=binary, limit=10, unicode_errors="surrogateescape")[0]) == 10


@pytest.mark.parametrize("binary", [False, True])
def test_header_declares_fewer_vectors_than_present(tmp_path, binary):
    kv = make_kv(n=10, dim=4)
    path = tmp_path / "v"
    kv.save_word2vec_format(path, binary=binary, total_vec=8)
    with pytest.raises(Word2VecFormatError, match="more data follows the 8 vectors"):
        read_word2vec_format(path, binary=binary, unicode_errors="surrogateescape")
    assert len(read_word2vec_format(path, binary=binary, limit=8, unicode_errors="surrogateescape")[0]) == 8


def test_text_wrong_number_of_values(tmp_path):
    path = tmp_path / "v.txt"
    path.write_bytes(b"2 3\na 1 2 3\nb 1 2\n")
    with pytest.raises(ValueError, match=r"line 3 \(word 'b'\) has 2 values, expected 3"):
        read_word2vec_format(path)
    path.write_bytes(b"2 3\na 1 2 3 4\nb 1 2 3\n")
    with pytest.raises(ValueError, match=r"line 2 \(word 'a'\) has more than the 3 values"):
        read_word2vec_format(path)


def test_text_value_not_a_number(tmp_path):
    path = tmp_path / "v.txt"
    for bad in (b"1.2.3", b"abc", b"1e", b"0x", b"--1"):
        path.write_bytes(b"1 2\nword 1 " + bad + b"\n")
        with pytest.raises(ValueError, match="is not a number"):
            read_word2vec_format(path)


@pytest.mark.parametrize("dim_in_header", [3, 5])
def test_binary_wrong_vector_size(tmp_path, dim_in_header):
    rng = np.random.default_rng(0)
    vecs = rng.standard_normal((20, 4)).astype(np.float32)
    path = tmp_path / "v.bin"
    path.write_bytes(binary_bytes([b"w%d" % i for i in range(20)], vecs, header=b"20 %d\n" % dim_in_header))
    with pytest.raises(ValueError):
        read_word2vec_format(path, binary=True, unicode_errors="replace")


def test_binary_truncated_inside_vector(tmp_path):
    vecs = np.ones((3, 4), dtype=np.float32)
    path = tmp_path / "v.bin"
    path.write_bytes(binary_bytes([b"a", b"b", b"c"], vecs)[:-7])
    with pytest.raises(Word2VecFormatError, match="truncated.*record 3"):
        read_word2vec_format(path, binary=True)


def test_binary_truncated_inside_word(tmp_path):
    vecs = np.ones((2, 4), dtype=np.float32)
    data = binary_bytes([b"a", b"b"], vecs) + b"longwo"
    path = tmp_path / "v.bin"
    path.write_bytes(data.replace(b"2 4\n", b"3 4\n", 1))
    with pytest.raises(Word2VecFormatError, match="truncated.*record 3"):
        read_word2vec_format(path, binary=True)


def test_truncated_gzip_stream(tmp_path):
    kv = make_kv(n=50, dim=8)
    raw = tmp_path / "v.bin"
    kv.save_word2vec_format(raw, binary=True)
    path = tmp_path / "v.bin.gz"
    path.write_bytes(gzip.compress(raw.read_bytes()[:-100]))
    with pytest.raises(ValueError, match="truncated"):
        read_word2vec_format(path, binary=True, unicode_errors="surrogateescape")


@pytest.mark.parametrize("content,pattern", [
    (b"", "empty"),
    (b"abc def\n", "invalid header"),
    (b"10\n", "invalid header"),
    (b"1 2 3\n", "invalid header"),
    (b"-1 5\n", "invalid header"),
    (b"3 0\n", "vector size 0"),
    (b"1 4000000000\nword 1 2\n", "vector size 4000000000"),
    (b"\x00\x01\x02" * 2000, "invalid header"),
])
def test_bad_headers(tmp_path, content, pattern):
    path = tmp_path / "v"
    path.write_bytes(content)
    for binary in (False, True):
        with pytest.raises(ValueError, match=pattern):
            read_word2vec_format(path, binary=binary)


def test_huge_declared_count_fails_fast(tmp_path):
    path = tmp_path / "v.bin"
    path.write_bytes(b"4000000000000 300\nw " + b"\x00" * 1200)
    with pytest.raises(Word2VecFormatError, match="declares 4000000000000 vectors but the file holds only 1"):
        read_word2vec_format(path, binary=True)


def test_binary_without_spaces(tmp_path):
    path = tmp_path / "v.bin"
    path.write_bytes(b"5 4\n" + b"x" * 100)
    with pytest.raises(Word2VecFormatError, match="truncated"):
        read_word2vec_format(path, binary=True)


def test_zero_vectors_declared(tmp_path):
    path = tmp_path / "v.txt"
    path.write_bytes(b"0 7\n")
    keys, vecs, _ = read_word2vec_format(path)
    assert keys == [] and vecs.shape == (0, 7)


@pytest.mark.parametrize("binary", [False, True])
def test_nonfinite_values(tmp_path, binary):
    vecs = np.array([[1, 2], [np.nan, 1], [np.inf, -np.inf]], dtype=np.float32)
    kv = KeyedVectors.from_arrays(["fine", "hasnan", "hasinf"], vecs)
    path = tmp_path / "v"
    kv.save_word2vec_format(path, binary=binary)
    with pytest.raises(ValueError, match=r"'hasnan' \(vector 2\).*allow_nonfinite"):
        read_word2vec_format(path, binary=binary)
    _, back, _ = read_word2vec_format(path, binary=binary, allow_nonfinite=True)
    np.testing.assert_array_equal(back, vecs)


# ----------------------------------------------------------------------------------------------- saving

def test_keys_that_cannot_be_stored(tmp_path):
    for bad in ("two words", "tab\there", "new\nline", ""):
        kv = KeyedVectors.from_arrays(["ok", bad], np.ones((2, 2), dtype=np.float32))
        with pytest.raises(ValueError, match="whitespace"):
            kv.save_word2vec_format(tmp_path / "v")
    assert not os.listdir(tmp_path)


def test_failed_save_keeps_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "v.txt"
    path.write_bytes(b"old content")
    kv = make_kv(n=10, dim=4)

    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(_fastio, "format_text", boom)
    with pytest.raises(RuntimeError):
        kv.save_word2vec_format(path)
    assert path.read_bytes() == b"old content"
    assert os.listdir(tmp_path) == ["v.txt"]


def test_save_replaces_existing_file(tmp_path):
    path = tmp_path / "v.bin"
    path.write_bytes(b"junk")
    kv = make_kv(n=5, dim=4)
    kv.save_word2vec_format(path, binary=True)
    assert read_word2vec_format(path, binary=True, unicode_errors="surrogateescape")[0] == kv.index_to_key
    assert sorted(os.listdir(tmp_path)) == ["v.bin"]


def test_write_word2vec_format_shape_check(tmp_path):
    with pytest.raises(ValueError, match="one row per key"):
        write_word2vec_format(tmp_path / "v", ["a", "b"], np.ones((3, 2)))


# ------------------------------------------------------------------------------------- float parsing

def test_float_parser_matches_strtof():
    rng = np.random.default_rng(0)
    vals = np.concatenate([rng.standard_normal(3000), rng.standard_normal(1000) * 1e-20,
                           rng.standard_normal(1000) * 1e30]).astype(np.float32)
    tokens = []
    for v in vals:
        tokens += [b"%.9g" % v, b"%.6g" % v, b"%.17g" % float(v), b"%.8e" % v, repr(float(v)).encode()]
        a = np.float32(v)
        b = np.nextafter(a, np.float32(np.inf))
        tokens.append(b"%.25g" % ((float(a) + float(b)) / 2))   # exact midpoints between two floats
    tokens += [b"1e-45", b"1e-50", b"-0", b"+0.0", b"3.4028235e38", b"3.4028236e38", b"1e39", b".5", b"5.",
               b"1.17549435e-38", b"12345678901234567890123", b"0.000000000000000000000000001234", b"nan",
               b"-inf", b"Infinity", b"1E+2"]
    for t in tokens:
        got = np.float32(_fastio.parse_float_token(t))
        ref = np.float32(_fastio.strtof_token(t))
        assert got.tobytes() == ref.tobytes() or (np.isnan(got) and np.isnan(ref)), t


def test_text_writer_shortest_round_trip():
    rng = np.random.default_rng(2)
    vals = np.concatenate([rng.standard_normal((40, 25)).ravel(), [0.1, 0.3, 1.0, -0.0, 1e-40, 3.4e38]])
    vals = vals[: (len(vals) // 5) * 5].astype(np.float32).reshape(-1, 5)
    words = [b"w%d" % i for i in range(len(vals))]
    text = _fastio.format_text(words, np.ascontiguousarray(vals), 0, len(vals))
    fields = [line.split() for line in text.splitlines()]
    back = np.array([[np.float32(float(x)) for x in f[1:]] for f in fields], dtype=np.float32)
    assert back.tobytes() == vals.tobytes()
    tokens = {x for f in fields for x in f[1:]}
    assert {b"0.1", b"0.3", b"1", b"-0"} <= tokens


# ------------------------------------------------------------------------------------------------ gensim

@pytest.fixture
def gensim_kv():
    gensim = pytest.importorskip("gensim")
    return gensim.models.KeyedVectors


@pytest.mark.parametrize("binary", [False, True])
def test_gensim_reads_our_files(tmp_path, gensim_kv, binary):
    kv = make_kv()
    kv.index_to_key[-1] = "cafe"  # gensim decodes strictly
    kv.key_to_index = {k: i for i, k in enumerate(kv.index_to_key)}
    path = tmp_path / "ours"
    kv.save_word2vec_format(path, binary=binary)
    g = gensim_kv.load_word2vec_format(path, binary=binary)
    assert g.index_to_key == kv.index_to_key
    np.testing.assert_array_equal(g.vectors, kv.vectors)


@pytest.mark.parametrize("binary", [False, True])
def test_we_read_gensim_files(tmp_path, gensim_kv, binary):
    rng = np.random.default_rng(5)
    g = gensim_kv(12)
    keys = [f"k{i}" for i in range(200)] + ["größe"]
    g.add_vectors(keys, rng.standard_normal((len(keys), 12)).astype(np.float32))
    path = tmp_path / "theirs"
    g.save_word2vec_format(path, binary=binary)
    ours = KeyedVectors.load_word2vec_format(path, binary=binary)
    assert ours.index_to_key == g.index_to_key
    np.testing.assert_array_equal(ours.vectors, g.vectors)
    # and both readers agree on the same file
    g2 = gensim_kv.load_word2vec_format(path, binary=binary)
    np.testing.assert_array_equal(ours.vectors, g2.vectors)


def test_gensim_shipped_files(gensim_kv):
    from gensim.test.utils import datapath
    for name, binary in (("high_precision.kv.txt", False), ("high_precision.kv.bin", True),
                         ("euclidean_vectors.bin", True)):
        theirs = gensim_kv.load_word2vec_format(datapath(name), binary=binary)
        ours = KeyedVectors.load_word2vec_format(datapath(name), binary=binary)
        assert ours.index_to_key == theirs.index_to_key
        np.testing.assert_array_equal(ours.vectors, theirs.vectors)


def test_gensim_reads_our_gzip(tmp_path, gensim_kv):
    kv = make_kv(n=40, dim=4)
    kv.index_to_key[-1] = "cafe"
    kv.key_to_index = {k: i for i, k in enumerate(kv.index_to_key)}
    path = tmp_path / "v.txt.gz"
    kv.save_word2vec_format(path)
    g = gensim_kv.load_word2vec_format(str(path))
    np.testing.assert_array_equal(g.vectors, kv.vectors)
    assert bz2  # both compressions are covered by test_round_trip_exact


# ------------------------------------------------------------------------------- untrusted-file hardening

def test_header_longer_than_the_read_chunk_is_refused_not_reread(tmp_path, monkeypatch):
    # the window holds 8 KB and the header line is longer: the header must not be read again as a record
    monkeypatch.setattr(wio, "_CHUNK", 8192)
    path = tmp_path / "v.txt"
    path.write_bytes(b"1 1" + b" " * 10000 + b"\na 0.5\n")
    with pytest.raises(FormatError, match=r"invalid header line .*longer than 4096 bytes") as info:
        read_word2vec_format(path, limit=1)
    assert str(path) in str(info.value)


def test_small_read_chunk_still_reads_everything(tmp_path, monkeypatch):
    monkeypatch.setattr(wio, "_CHUNK", 16)
    kv = make_kv(n=40, dim=5)
    for binary in (False, True):
        path = tmp_path / f"v{int(binary)}"
        kv.save_word2vec_format(path, binary=binary)
        keys, vectors, _ = read_word2vec_format(path, binary=binary, unicode_errors="surrogateescape")
        assert keys == kv.index_to_key
        np.testing.assert_array_equal(vectors, kv.vectors)


def _damage(blob, cut=False):
    """A compressed stream with one byte in its middle inverted, or cut short."""
    if cut:
        return blob[: len(blob) * 2 // 3]
    mid = len(blob) // 2
    return blob[:mid] + bytes([blob[mid] ^ 0xFF]) + blob[mid + 1:]


_COMPRESSORS = {".gz": gzip.compress, ".bz2": bz2.compress, ".xz": lzma.compress}


@pytest.mark.parametrize("suffix", sorted(_COMPRESSORS))
@pytest.mark.parametrize("cut", [False, True])
@pytest.mark.parametrize("binary", [False, True])
def test_damaged_compressed_vectors_raise_format_error_naming_the_file(tmp_path, suffix, cut, binary):
    kv = make_kv(n=400, dim=16)
    plain = tmp_path / "v"
    kv.save_word2vec_format(plain, binary=binary)
    path = tmp_path / f"v{suffix}"
    path.write_bytes(_damage(_COMPRESSORS[suffix](plain.read_bytes()), cut))
    with pytest.raises(FormatError) as info:
        read_word2vec_format(path, binary=binary, unicode_errors="surrogateescape")
    assert str(path) in str(info.value)


@pytest.mark.parametrize("suffix", sorted(_COMPRESSORS))
def test_damaged_compressed_vocab_file_raises_format_error(tmp_path, suffix):
    path = tmp_path / f"vocab{suffix}"
    text = b"".join(b"w%d %d\n" % (i, 1000 - i) for i in range(1000))
    path.write_bytes(_damage(_COMPRESSORS[suffix](text), cut=True))
    with pytest.raises(FormatError, match="damaged compressed data") as info:
        wio.read_vocab_counts(path)
    assert str(path) in str(info.value)


def test_xz_round_trip(tmp_path):
    kv = make_kv(n=30, dim=4)
    path = tmp_path / "v.txt.xz"
    kv.save_word2vec_format(path)
    assert path.read_bytes().startswith(b"\xfd7zXZ\x00")
    keys, vectors, _ = read_word2vec_format(path, unicode_errors="surrogateescape")
    assert keys == kv.index_to_key
    np.testing.assert_array_equal(vectors, kv.vectors)


def test_failed_save_keeps_vocab_and_vectors_in_step(tmp_path, monkeypatch):
    kv = make_kv(n=30, dim=4)
    vec, voc = tmp_path / "v.txt", tmp_path / "v.vocab"
    kv.save_word2vec_format(vec, fvocab=voc)
    before = (vec.read_bytes(), voc.read_bytes())
    other = KeyedVectors.from_arrays(["x", "y"], np.ones((2, 4), np.float32), counts=[5, 3])

    def broken(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(wio._fastio, "format_text", broken)
    with pytest.raises(OSError, match="No space"):
        other.save_word2vec_format(vec, fvocab=voc)
    assert (vec.read_bytes(), voc.read_bytes()) == before
    assert sorted(os.listdir(tmp_path)) == ["v.txt", "v.vocab"]     # no temporary file left behind


@pytest.mark.parametrize("word", [b"a\tb", b"a\nb", b"ab\r", b"a\x0bb", b"\x0cab", b""])
def test_binary_words_holding_whitespace_or_empty_are_refused(tmp_path, word):
    path = tmp_path / "v.bin"
    path.write_bytes(binary_bytes([b"ok", word], [[1.0, 2.0], [3.0, 4.0]]))
    with pytest.raises(FormatError, match=r"record 2 \(byte offset \d+\): the word") as info:
        read_word2vec_format(path, binary=True)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("binary", [False, True])
def test_words_that_decode_to_nothing_are_refused(tmp_path, binary):
    path = tmp_path / "v"
    if binary:
        path.write_bytes(binary_bytes([b"ok", b"\xff\xfe"], [[1.0], [2.0]]))
        where = r"record 2 \(byte offset \d+\)"
    else:
        path.write_bytes(b"2 1\nok 1\n\xff\xfe 2\n")
        where = "line 3"
    with pytest.raises(FormatError, match=where + r": the word .* is empty once decoded"):
        read_word2vec_format(path, binary=binary, unicode_errors="ignore")
    # the same bytes kept another way load, and save again
    keys, _, _ = read_word2vec_format(path, binary=binary, unicode_errors="surrogateescape")
    assert keys == ["ok", "\udcff\udcfe"]


def test_words_decoding_to_whitespace_in_other_encodings_are_refused(tmp_path):
    # EBCDIC (cp037): 0x81 0x05 0x82 holds no ASCII whitespace byte but decodes to "a\tb"
    path = tmp_path / "v.bin"
    path.write_bytes(binary_bytes([b"\x81\x82", b"\x81\x05\x82"], [[1.0], [2.0]]))
    with pytest.raises(FormatError, match=r"record 2 .*holds whitespace \('\\t'\) once decoded from cp037"):
        read_word2vec_format(path, binary=True, encoding="cp037")


@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_short_file_declaring_huge_vectors_allocates_nothing_for_them(tmp_path, binary, suffix):
    import tracemalloc

    data = b"2 16000000\nab"          # each declared vector would take 64 MB; the file has 2 bytes of data
    path = tmp_path / f"v{suffix}"
    path.write_bytes(gzip.compress(data) if suffix else data)
    tracemalloc.start()
    try:
        with pytest.raises(FormatError, match="declares 2 vectors but the file holds only 0"):
            read_word2vec_format(path, binary=binary)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20, peak
