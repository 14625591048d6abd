"""Vocabulary scans, token tables, sentence encoding and the byte-range reader of w2vfast._corpus.

Every expectation is computed here by a small pure-Python version of the token policy: tokens are
bytes.split() (ASCII whitespace), decoded with surrogateescape; lines end at b"\\n".
"""
import bz2
import gzip
import itertools
import lzma
import os
import random
import time

import numpy as np
import pytest

from w2vfast import _corpus as C
from w2vfast._stopflag import StopFlag
from w2vfast.readers import LineSentence


# ----------------------------------------------------------------------------------------------------------
# reference implementations

def ref_tokens(data):
    return [t.decode("utf-8", "surrogateescape") for t in data.split()]


def ref_scan(data, max_sentence_length=10000, max_vocab_size=None):
    """Counts in first-appearance order, pruning after each new key as scan_file documents."""
    counts = {}
    min_reduce = 1
    for tok in ref_tokens(data):
        if tok in counts:
            counts[tok] += 1
            continue
        counts[tok] = 1
        if max_vocab_size is not None and len(counts) > max_vocab_size:
            counts = {k: v for k, v in counts.items() if v > min_reduce}
            min_reduce += 1
    sentences = sum(-(-len(line.split()) // max_sentence_length) for line in data.split(b"\n"))
    return list(counts), list(counts.values()), len(data.split()), sentences


def ref_encode(sentences, key_to_index, max_len):
    ids, ends, raw = [], [], 0
    for sent in sentences:
        for i in range(0, len(sent), max_len):
            piece = [key_to_index[t] for t in sent[i:i + max_len] if t in key_to_index]
            raw += len(sent[i:i + max_len])
            if piece:
                ids.extend(piece)
                ends.append(len(ids))
    return ids, ends, raw


def assert_scan_equals_ref(result, data, **kw):
    keys, counts, words, sentences = ref_scan(data, **kw)
    assert result.keys == keys
    assert result.counts.dtype == np.int64
    assert result.counts.tolist() == counts
    assert result.total_words == words
    assert result.total_sentences == sentences


MIXED = (
    "xin chào thế giới Việt Nam\r\n"                        # Vietnamese, CRLF
    "привет мир мир\tпривет\n"                              # Cyrillic, tab
    "\n\n"                                                  # empty lines
    "世界 你好 世界 😀 😀👍🏽 emoji\x0bvt\x0cff\n"            # CJK, emoji, \v, \f
    "   leading and trailing spaces   \n"
    "nul\x00inside \x00 a\x00\x00 a\n"                         # NUL bytes are token bytes
).encode("utf-8") + b"bad\xff\xfeutf8 \xc3 \xe4\xb8 \xed\xa0\x80 lone \x80\x80 end"   # invalid UTF-8, no final \n


@pytest.fixture
def mixed_file(tmp_path):
    path = tmp_path / "mixed.txt"
    path.write_bytes(MIXED)
    return path


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def zipf_text(n_tokens, n_lines, vocab, seed=0):
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(vocab)]
    weights = [1.0 / (i + 1) for i in range(vocab)]
    toks = rng.choices(words, weights, k=n_tokens)
    cuts = sorted(rng.sample(range(1, n_tokens), n_lines - 1))
    lines = [" ".join(toks[a:b]) for a, b in zip([0] + cuts, cuts + [n_tokens])]
    return ("\n".join(lines) + "\n").encode()


# ----------------------------------------------------------------------------------------------------------
# scan_file

def test_scan_mixed_file_matches_reference(mixed_file):
    result = C.scan_file(mixed_file)
    assert_scan_equals_ref(result, MIXED)
    # the tricky tokens come back as the exact Python strings, and round-trip to the file's bytes
    for tok in ["chào", "thế", "giới", "привет", "世界", "😀", "😀👍🏽", "nul\x00inside", "\x00", "a\x00\x00"]:
        assert tok in result.keys
    for raw in [b"bad\xff\xfeutf8", b"\xc3", b"\xe4\xb8", b"\xed\xa0\x80", b"\x80\x80"]:
        key = raw.decode("utf-8", "surrogateescape")
        assert key in result.keys
        assert key.encode("utf-8", "surrogateescape") == raw
    assert "end" in result.keys and "\r" not in "".join(result.keys)


def test_scan_text8_single_long_line(tmp_path):
    data = zipf_text(25_000, 1, 300).replace(b"\n", b"")   # one line, no newline at all
    path = write(tmp_path, "text8", data)
    result = C.scan_file(path)
    assert_scan_equals_ref(result, data)
    assert result.total_sentences == 3
    assert C.scan_file(path, max_sentence_length=7).total_sentences == -(-25_000 // 7)


@pytest.mark.parametrize("max_len", [1, 2, 3, 10000])
def test_scan_sentence_counting(tmp_path, max_len):
    data = b"a b c d e\n\n\nf\r\ng h i j k l m\n  \n n o p"
    result = C.scan_file(write(tmp_path, "s.txt", data), max_sentence_length=max_len)
    assert_scan_equals_ref(result, data, max_sentence_length=max_len)


def test_scan_empty_and_whitespace_only(tmp_path):
    for data in [b"", b"\n\n\n", b"  \t \r\n "]:
        result = C.scan_file(write(tmp_path, "e.txt", data))
        assert result.keys == [] and result.counts.tolist() == []
        assert result.total_words == 0 and result.total_sentences == 0


def random_bytes_text(rng, n_tokens):
    """Tokens of 1..80 bytes (crossing 16-byte key and 64-byte block sizes) from a small alphabet with
    multi-byte and invalid UTF-8, separated by runs of every kind of whitespace."""
    alphabet = [b"a", b"b", b"\x00", b"\xc3\xa9", b"\xe4\xb8\x96", b"\xf0\x9f\x98\x80", b"\xff"]
    seps = [b" ", b"\n", b"\t", b"\r\n", b"  ", b"\x0b", b"\x0c", b"\n\n", b" " * 70]
    out = [rng.choice([b"", b"\n", b"  "])]
    for _ in range(n_tokens):
        size = rng.choice([1, 2, 3, 7, 8, 9, 15, 16, 17, 30, 63, 64, 65, 80])
        tok = b"".join(rng.choice(alphabet[:2]) if rng.random() < 0.7 else rng.choice(alphabet)
                       for _ in range(size))[:size]
        out.append(tok)
        out.append(rng.choice(seps))
    if rng.random() < 0.5:
        out.pop()   # no trailing whitespace
    return b"".join(out)


@pytest.mark.parametrize("seed", range(12))
def test_scan_random_layouts(tmp_path, monkeypatch, seed):
    rng = random.Random(seed)
    data = random_bytes_text(rng, rng.choice([1, 5, 50, 400]))
    path = write(tmp_path, "r.txt", data)
    for max_len in (2, 10000):
        assert_scan_equals_ref(C.scan_file(path, max_sentence_length=max_len), data, max_sentence_length=max_len)
    # the same bytes compressed, fed to the counter in chunks of odd sizes
    packed = tmp_path / "r.gz"
    packed.write_bytes(gzip.compress(data))
    for chunk in (1, 5, 63, 64, 65):
        monkeypatch.setattr(C, "_STREAM_CHUNK", chunk)
        assert_scan_equals_ref(C.scan_file(packed, max_sentence_length=3), data, max_sentence_length=3)
    table = C.TokenTable(C.scan_file(path).keys)
    assert [table.lookup(t) for t in ref_tokens(data)] == [C.scan_file(path).keys.index(t)
                                                            for t in ref_tokens(data)]


@pytest.mark.parametrize("workers", [2, 3, 5])
def test_scan_workers_equal_one_worker(tmp_path, monkeypatch, workers):
    monkeypatch.setattr(C, "_MIN_BYTES_PER_WORKER", 1)   # let tiny files use every thread
    for name, data in [("mixed", MIXED), ("zipf", zipf_text(5000, 40, 500)),
                       ("oneline", zipf_text(3000, 1, 100).rstrip(b"\n")), ("crlf", b"ab cd\r\n" * 300)]:
        path = write(tmp_path, name, data)
        one = C.scan_file(path, workers=1)
        many = C.scan_file(path, workers=workers, max_sentence_length=10000)
        assert many.keys == one.keys          # first-appearance order survives the merge
        assert many.counts.tolist() == one.counts.tolist()
        assert many.total_words == one.total_words
        assert many.total_sentences == one.total_sentences
        # lines cut by range boundaries are still counted once, also with short sentences
        short = C.scan_file(path, workers=workers, max_sentence_length=3)
        assert short.total_sentences == C.scan_file(path, max_sentence_length=3).total_sentences


def test_a_stopped_counter_returns_after_its_current_buffer(tmp_path):
    path = write(tmp_path, "z.txt", zipf_text(20000, 50, 500))
    counter = C._Counter(0, 10000)
    stop = StopFlag()
    stop.set()
    assert counter.count_range(path, 0, os.path.getsize(path), stop) is True
    assert counter.lines()[0] == 0                              # stopped before the first buffer
    stop.clear()
    assert counter.count_range(path, 0, os.path.getsize(path), stop) is False
    assert counter.lines()[0] == 20000


def test_ctrl_c_during_a_threaded_scan_stops_every_counting_thread(tmp_path, monkeypatch):
    import signal
    import threading

    monkeypatch.setattr(C, "_MIN_BYTES_PER_WORKER", 1)
    path = write(tmp_path, "z.txt", zipf_text(20000, 50, 500))
    original_start = threading.Thread.start

    def start_then_ctrl_c(self):
        original_start(self)
        signal.raise_signal(signal.SIGINT)

    before = set(threading.enumerate())
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        monkeypatch.setattr(threading.Thread, "start", start_then_ctrl_c)
        with pytest.raises(KeyboardInterrupt):
            C.scan_file(path, workers=3)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert set(threading.enumerate()) == before                 # every counting thread has ended


@pytest.mark.parametrize("max_vocab_size", [1, 3, 30, 150, 220])
def test_scan_max_vocab_size_prunes_like_reference(tmp_path, max_vocab_size):
    # sizes chosen so that the few-prunes cases tell "count <= min_reduce" from "count < min_reduce"
    data = zipf_text(6000, 30, 300, seed=max_vocab_size)
    result = C.scan_file(write(tmp_path, "z.txt", data), max_vocab_size=max_vocab_size)
    assert_scan_equals_ref(result, data, max_vocab_size=max_vocab_size)
    assert len(result.keys) <= max_vocab_size


def test_scan_max_vocab_size_with_workers(tmp_path, monkeypatch):
    monkeypatch.setattr(C, "_MIN_BYTES_PER_WORKER", 1)
    data = zipf_text(20000, 50, 2000)
    path = write(tmp_path, "z.txt", data)
    result = C.scan_file(path, max_vocab_size=50, workers=2)
    full = dict(zip(*C.scan_file(path)[:2]))
    assert result.total_words == 20000
    assert 0 < len(result.keys) <= 2 * 50 + 1
    # pruning only ever lowers a count
    assert all(c <= full[k] for k, c in zip(result.keys, result.counts))
    assert "w0" in result.keys   # the most frequent word survives


@pytest.mark.parametrize("kind,opener", [("gz", gzip.open), ("bz2", bz2.open), ("xz", lzma.open)])
def test_scan_compressed_equals_plain(tmp_path, kind, opener, monkeypatch):
    monkeypatch.setattr(C, "_STREAM_CHUNK", 7)   # tokens cut by every chunk end
    data = MIXED + b"\n" + zipf_text(3000, 20, 300)
    plain = C.scan_file(write(tmp_path, "p.txt", data), max_sentence_length=50)
    path = tmp_path / f"c.{kind}"
    with opener(path, "wb") as f:
        f.write(data)
    packed = C.scan_file(path, max_sentence_length=50, workers=2)
    assert packed.keys == plain.keys
    assert packed.counts.tolist() == plain.counts.tolist()
    assert packed.total_sentences == plain.total_sentences
    # content decides, not the name
    renamed = tmp_path / "no_suffix"
    os.replace(path, renamed)
    assert C.scan_file(renamed, max_sentence_length=50).counts.tolist() == plain.counts.tolist()


def test_scan_errors_name_the_path(tmp_path):
    missing = tmp_path / "nope.txt"
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        C.scan_file(missing)
    with pytest.raises(IsADirectoryError, match=str(tmp_path.name)):
        C.scan_file(tmp_path)
    zst = write(tmp_path, "x.zst", b"\x28\xb5\x2f\xfd" + b"\x00" * 20)
    with pytest.raises(ValueError, match="zstd"):
        C.scan_file(zst)
    ok = write(tmp_path, "ok.txt", b"a b")
    for bad in [dict(workers=0), dict(max_sentence_length=0), dict(max_vocab_size=0)]:
        with pytest.raises(ValueError):
            C.scan_file(ok, **bad)


def test_scan_unreadable_file(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_bytes(b"a b c")
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running with privileges that ignore file permissions")
        with pytest.raises(PermissionError, match="secret.txt"):
            C.scan_file(path)
        with pytest.raises(PermissionError, match="secret.txt"):
            C.check_corpus_file(path)
    finally:
        path.chmod(0o600)


# ----------------------------------------------------------------------------------------------------------
# TokenTable

def test_token_table_lookup(mixed_file):
    keys = C.scan_file(mixed_file).keys
    table = C.TokenTable(keys)
    assert len(table) == len(keys)
    assert [table.lookup(k) for k in keys] == list(range(len(keys)))
    assert table.lookup("not-there") == -1
    assert table.lookup("") == -1
    assert "世界" in table and "世" not in table
    # a NUL byte is part of the key: prefixes and extensions are different keys
    assert table.lookup("a\x00\x00") >= 0 and table.lookup("a") >= 0
    assert table.lookup("a\x00") == -1 and table.lookup("a\x00\x00\x00") == -1


def test_token_table_many_keys_and_lengths():
    rng = random.Random(1)
    keys = list({"".join(rng.choice("ab\x00é世") for _ in range(rng.randint(1, 40))) for _ in range(5000)})
    table = C.TokenTable(keys)
    assert all(table.lookup(k) == i for i, k in enumerate(keys))
    present = set(keys)
    for _ in range(2000):
        probe = "".join(rng.choice("ab\x00é世") for _ in range(rng.randint(1, 40)))
        assert (table.lookup(probe) >= 0) == (probe in present)


def test_token_table_errors():
    with pytest.raises(ValueError, match="duplicate key 'b'"):
        C.TokenTable(["a", "b", "c", "b"])
    with pytest.raises(TypeError):
        C.TokenTable(["a", b"b"])
    with pytest.raises(TypeError):
        C.TokenTable(["a"]).lookup(3)
    assert len(C.TokenTable([])) == 0 and C.TokenTable([]).lookup("a") == -1
    table = C.TokenTable(["a"])
    with pytest.raises(RuntimeError, match="rebuilt"):
        table.__init__(["b"])
    assert table.lookup("a") == 0


def test_token_table_lone_surrogate_key(tmp_path):
    # "\ud800" cannot come from a file: the bytes ED A0 80 decode to three escaped bytes instead
    table = C.TokenTable(["x", "\ud800", "\udced\udca0\udc80"])
    assert table.lookup("\ud800") == 1
    assert table.lookup("\udced\udca0\udc80") == 2
    path = write(tmp_path, "s.txt", b"\xed\xa0\x80 x")
    counts, raw, _ = C.count_file_range(table, path, 0, 100)
    assert counts.tolist() == [1, 0, 1] and raw == 2
    with pytest.raises(ValueError, match="duplicate"):
        C.TokenTable(["\ud800", "\ud800"])


# ----------------------------------------------------------------------------------------------------------
# byte ranges

def test_file_ranges_tile_the_file(tmp_path):
    path = write(tmp_path, "f.txt", b"x" * 103)
    for n in range(1, 8):
        ranges = C.file_ranges(path, n)
        assert len(ranges) == n
        assert ranges[0][0] == 0 and ranges[-1][1] == 103
        assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))
    assert C.file_ranges(write(tmp_path, "tiny", b"ab"), 4)[-1] == (1, 2)
    with pytest.raises(ValueError):
        C.file_ranges(path, 0)
    with pytest.raises(FileNotFoundError):
        C.file_ranges(tmp_path / "missing", 2)


def _check_ranges(path, table, expected_counts, total, bounds, max_len=10000):
    counts = np.zeros(len(table), dtype=np.int64)
    raw = 0
    for start, end in zip(bounds, bounds[1:]):
        c, r, _ = C.count_file_range(table, path, start, end, max_len)
        counts += c
        raw += r
    assert raw == total, bounds
    assert counts.tolist() == expected_counts, bounds


def test_ranges_see_every_token_once_at_every_split(tmp_path):
    # small file with multi-byte characters, NUL, CR, tabs and long runs of whitespace
    data = "ab 世界 😀x\r\n\tcé  a\x00b\n\nlast".encode("utf-8") + b" \xff\xfe q"
    path = write(tmp_path, "r.txt", data)
    scan = C.scan_file(path)
    table = C.TokenTable(scan.keys)
    size = len(data)
    expected = scan.counts.tolist()
    # n = 2 at every offset (inside tokens and inside multi-byte characters included)
    for cut in range(size + 1):
        _check_ranges(path, table, expected, scan.total_words, [0, cut, size])
    # n = 3 at every pair of offsets, n = 4 and 5 at many random ones
    for a, b in itertools.combinations(range(size + 1), 2):
        _check_ranges(path, table, expected, scan.total_words, [0, a, b, size])
    rng = random.Random(0)
    for n in (4, 5):
        for _ in range(300):
            cuts = sorted(rng.choices(range(size + 1), k=n - 1))
            _check_ranges(path, table, expected, scan.total_words, [0] + cuts + [size])
    # ranges past the end of the file and empty ranges see nothing
    c, r, s = C.count_file_range(table, path, size, size + 50)
    assert r == 0 and s == 0 and c.sum() == 0


def test_ranges_on_a_larger_file_with_file_ranges(tmp_path):
    data = MIXED + b"\n" + zipf_text(30000, 100, 3000)
    path = write(tmp_path, "big.txt", data)
    scan = C.scan_file(path)
    table = C.TokenTable(scan.keys)
    for n in (1, 2, 3, 7):
        ranges = C.file_ranges(path, n)
        _check_ranges(path, table, scan.counts.tolist(), scan.total_words,
                      [r[0] for r in ranges] + [ranges[-1][1]])
    counts, raw, sentences = C.count_file_range(table, path, 0, len(data), 50)
    assert sentences == C.scan_file(path, max_sentence_length=50).total_sentences


def test_count_file_range_drops_unknown_tokens(tmp_path):
    path = write(tmp_path, "o.txt", b"a b zz a\nq b\n")
    counts, raw, sentences = C.count_file_range(C.TokenTable(["b", "a"]), path, 0, 100)
    assert counts.tolist() == [2, 2] and raw == 6 and sentences == 2


def test_range_reader_matches_iterable_path(tmp_path, monkeypatch):
    """corpus_file and LineSentence + encode_sentences give the same sentences of ids."""
    data = MIXED + b"\n" + zipf_text(5000, 30, 400) + b"long " * 23 + b"\n"
    path = write(tmp_path, "m.txt", data)
    keys = [k for k, c in zip(*C.scan_file(path)[:2]) if c > 1]   # leave some words out of the vocabulary
    key_to_index = {k: i for i, k in enumerate(keys)}
    table = C.TokenTable(keys)
    for max_len in (1, 4, 10000):
        ids, ends, raw = C.encode_file_range(table, path, max_sentence_length=max_len)
        want = C.encode_sentences(list(LineSentence(path, max_sentence_length=max_len)), key_to_index, max_len)
        assert ids.tolist() == want[0].tolist()
        assert ends.tolist() == want[1].tolist()
        assert raw == want[2] == len(data.split())


def test_range_arguments_are_checked(tmp_path):
    path = write(tmp_path, "a.txt", b"a b")
    table = C.TokenTable(["a"])
    with pytest.raises(ValueError):
        C.count_file_range(table, path, 5, 2)
    with pytest.raises(ValueError):
        C.count_file_range(table, path, 0, 2, 0)
    with pytest.raises(FileNotFoundError):
        C.count_file_range(table, tmp_path / "missing", 0, 2)
    with pytest.raises(IsADirectoryError):
        C.count_file_range(table, tmp_path, 0, 2)


# ----------------------------------------------------------------------------------------------------------
# encode_sentences

def test_encode_sentences_drops_oov_and_counts_raw_words():
    vocab = {"a": 0, "b": 1, "c": 2}
    sentences = [["a", "x", "b"], [], ["y", "z"], ["c"], ("b", "a")]
    ids, ends, raw = C.encode_sentences(sentences, vocab)
    assert ids.dtype == np.int32 and ends.dtype == np.int32
    assert ids.tolist() == [0, 1, 2, 1, 0]
    assert ends.tolist() == [2, 3, 5]         # the all-unknown and empty sentences are skipped
    assert raw == 8


@pytest.mark.parametrize("max_len", [1, 2, 3, 5, 100])
def test_encode_sentences_cuts_long_sentences(max_len):
    rng = random.Random(max_len)
    vocab = {f"w{i}": i for i in range(20)}
    sentences = [[f"w{rng.randrange(30)}" for _ in range(rng.randrange(12))] for _ in range(200)]
    ids, ends, raw = C.encode_sentences(sentences, vocab, max_len)
    want = ref_encode(sentences, vocab, max_len)
    assert ids.tolist() == want[0] and ends.tolist() == want[1] and raw == want[2]
    assert np.all(np.diff(np.concatenate([[0], ends])) <= max_len)


def test_encode_sentences_accepts_iterables():
    vocab = {"a": 0, "b": 1}
    ids, ends, raw = C.encode_sentences((iter(s) for s in [["a", "b"], ["b"]]), vocab)
    assert ids.tolist() == [0, 1, 1] and ends.tolist() == [2, 3] and raw == 3
    ids, ends, raw = C.encode_sentences([], vocab)
    assert ids.tolist() == [] and ends.tolist() == [] and raw == 0


def test_encode_sentences_with_a_token_table(mixed_file):
    """A TokenTable gives the same ids as the dict, for ASCII, non-ASCII, escaped and unencodable tokens."""
    scanned = C.scan_file(mixed_file).keys
    unencodable = ["\ud800", "x\udcff\ud801"]      # lone surrogates that no file token decodes to
    vocab = scanned[::2] + unencodable
    keys = scanned + unencodable + ["\ud802"]
    rng = random.Random(5)
    key_to_index = {k: i for i, k in enumerate(vocab)}
    table = C.TokenTable(vocab)
    sentences = [[rng.choice(keys) for _ in range(rng.randrange(0, 9))] for _ in range(300)]
    # fresh str objects, as a generator that splits lines would make
    sentences = [[t.encode("utf-8", "surrogatepass").decode("utf-8", "surrogatepass") for t in s]
                 for s in sentences]
    for max_len in (1, 3, 10000):
        want = C.encode_sentences(sentences, key_to_index, max_len)
        got = C.encode_sentences(sentences, table, max_len)
        assert got[0].tolist() == want[0].tolist() and got[1].tolist() == want[1].tolist()
        assert got[2] == want[2]
    assert C.encode_sentences([["\ud800", "nope"]], table)[0].tolist() == [vocab.index("\ud800")]
    with pytest.raises(TypeError, match="TokenTable"):
        C.encode_sentences([["a"]], [("a", 0)])


def test_encode_sentences_type_errors():
    vocab = {"a": 0}
    with pytest.raises(TypeError, match=r"split\(\)"):
        C.encode_sentences(["a b c"], vocab)
    with pytest.raises(TypeError, match="list of"):
        C.encode_sentences([b"a b"], vocab)
    with pytest.raises(TypeError, match="token 1 of sentence 0"):
        C.encode_sentences([["a", 3]], vocab)
    with pytest.raises(TypeError, match="sentence 1"):
        C.encode_sentences([["a"], None], vocab)
    with pytest.raises(ValueError):
        C.encode_sentences([["a"]], {"a": -1})
    with pytest.raises(ValueError):
        C.encode_sentences([["a"]], vocab, 0)


# ----------------------------------------------------------------------------------------------------------
# check_corpus_file

def test_check_corpus_file(tmp_path):
    path = write(tmp_path, "ok.txt", b"a b c\n")
    assert C.check_corpus_file(path) == 6
    with pytest.raises(FileNotFoundError, match="missing.txt"):
        C.check_corpus_file(tmp_path / "missing.txt")
    with pytest.raises(IsADirectoryError, match=tmp_path.name):
        C.check_corpus_file(tmp_path)
    with pytest.raises(ValueError, match="empty.*empty.txt"):
        C.check_corpus_file(write(tmp_path, "empty.txt", b""))
    for opener, kind in [(gzip.open, "gzip"), (bz2.open, "bz2"), (lzma.open, "xz")]:
        packed = tmp_path / f"c_{kind}"
        with opener(packed, "wb") as f:
            f.write(b"a b c\n")
        with pytest.raises(ValueError, match=f"uncompressed.*c_{kind}.*{kind}.*LineSentence"):
            C.check_corpus_file(packed)
    with pytest.raises(TypeError):
        C.check_corpus_file(3.5)


# ----------------------------------------------------------------------------------------------------------
# train_file_range with the real kernels

def _kernel_setup(keys, counts, seed=0, dim=16):
    from w2vfast import _kernels as K
    from w2vfast import reference as ref

    rng = np.random.default_rng(seed)
    V = len(keys)
    syn0 = ((rng.random((V, dim)) - 0.5) / dim).astype(np.float32)
    syn1neg = ((rng.random((V, dim)) - 0.5) / dim).astype(np.float32)
    thr, alias = ref.alias_table(np.asarray(counts, dtype=np.float64) ** 0.75)
    keep = np.full(V, 0xFFFFFFFF, dtype=np.uint32)
    model = K.KernelModel(syn0, syn1neg, None, keep, thr, alias, None, None, None,
                          sg=1, hs=0, negative=3, cbow_mean=1, window=3)
    return K, model, syn0, syn1neg


def test_train_file_range_two_ranges_in_threads(tmp_path):
    import threading

    data = zipf_text(40000, 200, 1500, seed=4)
    path = write(tmp_path, "train.txt", data)
    scan = C.scan_file(path)
    keep = scan.counts >= 3                       # the rarer words stay out of the vocabulary
    keys = [k for k, m in zip(scan.keys, keep) if m]
    K, model, syn0, syn1neg = _kernel_setup(keys, scan.counts[keep])
    before = syn0.copy()
    table = C.TokenTable(keys)
    lr = K.LearningRate(0.025, 0.0001, scan.total_words)
    workers = [K.KernelWorker(model, seed=1, stream=i, max_sentence=10000) for i in range(2)]
    ranges = C.file_ranges(path, 2)
    results = [None, None]

    def run(i):
        results[i] = C.train_file_range(workers[i], table, lr, path, ranges[i][0], ranges[i][1], 10000, 1000)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    raw = sum(r[0] for r in results)
    effective = sum(r[1] for r in results)
    assert raw == scan.total_words == 40000
    in_vocab = int(scan.counts[keep].sum())
    assert effective == in_vocab                  # no subsampling: every in-vocabulary word is trained on
    assert lr.done == raw                         # the schedule advanced by every raw word
    assert np.isfinite(syn0).all() and np.isfinite(syn1neg).all()
    changed = np.any(syn0 != before, axis=1)
    assert changed.mean() > 0.9


def test_train_file_range_checks_its_arguments(tmp_path):
    path = write(tmp_path, "t.txt", b"a b c a b\n")
    K, model, _, _ = _kernel_setup(["a", "b"], [2, 2])
    lr = K.LearningRate(0.025, 0.0001, 5)
    worker = K.KernelWorker(model, seed=1, stream=0, max_sentence=100)
    with pytest.raises(ValueError, match="capacity"):
        C.train_file_range(worker, C.TokenTable(["a", "b"]), lr, path, 0, 10, max_sentence_length=1000)
    with pytest.raises(ValueError, match="rows"):
        C.train_file_range(worker, C.TokenTable(["a", "b", "c"]), lr, path, 0, 10, 100)
    with pytest.raises(FileNotFoundError):
        C.train_file_range(worker, C.TokenTable(["a"]), lr, tmp_path / "missing", 0, 10, 100)
    assert C.train_file_range(worker, C.TokenTable(["a", "b"]), lr, path, 0, 10, 100) == (5, 4)


# ----------------------------------------------------------------------------------------------------------
# SentenceQueue + train_queue: the iterable path's hand-over to training threads

def _queue_corpus(seed=5):
    data = zipf_text(6000, 60, 300, seed=seed)
    sentences = [line.split() for line in data.decode().split("\n")]
    counts = {}
    for s in sentences:
        for t in s:
            counts[t] = counts.get(t, 0) + 1
    keys = sorted((k for k, c in counts.items() if c >= 2), key=lambda k: (-counts[k], k))
    return sentences, keys, [counts[k] for k in keys]


def _join(thread):
    thread.join(timeout=10)
    assert not thread.is_alive(), "a queue call did not return"


def test_put_from_takes_sentences_until_batch_words():
    sentences, keys, _ = _queue_corpus()
    q = C.SentenceQueue(64, C.TokenTable(keys), 10000)       # room for every batch: nothing trains here
    it = iter(sentences)
    raws = []
    while True:
        raw, exhausted = q.put_from(it, 500)
        raws.append(raw)
        if exhausted:
            break
    assert sum(raws) == sum(len(s) for s in sentences)
    assert all(r >= 500 for r in raws[:-1])                     # every full batch reached batch_words...
    assert all(r - max(len(s) for s in sentences) < 500 for r in raws)   # ...by less than one sentence
    q.close()
    assert q.put_from(iter(sentences), 500) == (0, True)       # a closed queue reads nothing


def test_train_queue_equals_training_the_same_batches_in_order():
    """One worker through the queue = KernelWorker.train on the same batches in the same order, bit for bit
    (same sentences, same schedule steps, batches in submission order)."""
    sentences, keys, counts = _queue_corpus()
    batches = [sentences[i:i + 7] for i in range(0, len(sentences), 7)]
    total = sum(len(s) for s in sentences)
    table = C.TokenTable(keys)

    K, model_a, syn0_a, syn1_a = _kernel_setup(keys, counts, seed=3)
    lr_a = K.LearningRate(0.025, 0.0001, total)
    worker_a = K.KernelWorker(model_a, seed=9, stream=0, max_sentence=50)
    for batch in batches:
        ids, ends, raw = C.encode_sentences(batch, table, 50)
        worker_a.train(ids, ends, lr_a, raw)

    K, model_b, syn0_b, syn1_b = _kernel_setup(keys, counts, seed=3)
    lr_b = K.LearningRate(0.025, 0.0001, total)
    worker_b = K.KernelWorker(model_b, seed=9, stream=0, max_sentence=50)
    q = C.SentenceQueue(len(batches), table, 50)
    for batch in batches:                  # every batch queued before training starts: order must hold
        assert q.put_from(iter(batch), 10 ** 9)[0] == sum(len(s) for s in batch)
    q.close()
    effective = C.train_queue(worker_b, q, lr_b)
    assert effective == sum(len(C.encode_sentences(b, table, 50)[0]) for b in batches)
    assert lr_b.done == lr_a.done == total
    np.testing.assert_array_equal(syn0_a, syn0_b)
    np.testing.assert_array_equal(syn1_a, syn1_b)


def test_two_training_threads_consume_every_batch(tmp_path):
    import threading

    sentences, keys, counts = _queue_corpus(seed=6)
    K, model, syn0, _ = _kernel_setup(keys, counts)
    before = syn0.copy()
    total = sum(len(s) for s in sentences)
    table = C.TokenTable(keys)
    lr = K.LearningRate(0.025, 0.0001, total)
    q = C.SentenceQueue(3, table, 10000)          # fewer slots than batches: the producer must wait
    workers = [K.KernelWorker(model, seed=1, stream=i) for i in range(2)]
    effective = [0, 0]

    def run(i):
        effective[i] = C.train_queue(workers[i], q, lr)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    it, raw, exhausted = iter(sentences), 0, False
    while not exhausted:
        r, exhausted = q.put_from(it, 300)
        raw += r
    q.close()
    for t in threads:
        _join(t)
    assert raw == total == lr.done
    assert sum(effective) == sum(1 for s in sentences for t in s if t in set(keys))
    assert np.any(syn0 != before, axis=1).mean() > 0.9


def test_train_queue_after_stop_drops_batches_untrained():
    sentences, keys, counts = _queue_corpus()
    K, model, syn0, syn1neg = _kernel_setup(keys, counts)
    before = syn0.copy(), syn1neg.copy()
    lr = K.LearningRate(0.025, 0.0001, 10 ** 6)
    q = C.SentenceQueue(4, C.TokenTable(keys), 10000)
    for _ in range(3):
        q.put_from(iter(sentences), 100)
    q.close()
    stop = StopFlag()
    stop.set()
    assert C.train_queue(K.KernelWorker(model, seed=1, stream=0), q, lr, stop) == 0
    assert lr.done == 0
    np.testing.assert_array_equal(syn0, before[0])
    np.testing.assert_array_equal(syn1neg, before[1])


def test_close_wakes_a_producer_waiting_for_a_free_batch():
    import threading

    sentences, keys, _ = _queue_corpus()
    q = C.SentenceQueue(1, C.TokenTable(keys), 10000)
    assert q.put_from(iter(sentences), 10)[0] > 0                # the only slot is now queued, untrained
    got = []
    t = threading.Thread(target=lambda: got.append(q.put_from(iter(sentences), 10)))
    t.start()
    t.join(timeout=0.2)
    assert t.is_alive()                                          # waiting, without the GIL
    q.close()
    _join(t)
    assert got == [(0, True)]


def test_a_bad_sentence_gives_its_batch_back():
    import threading

    _, keys, counts = _queue_corpus()
    K, model, _, _ = _kernel_setup(keys, counts)
    q = C.SentenceQueue(1, C.TokenTable(keys), 10000)
    with pytest.raises(TypeError, match="sentence 1 is a str"):
        q.put_from(iter([[keys[0]], "not tokens"]), 100)
    with pytest.raises(TypeError, match="token 1 of sentence 2 is a int"):
        q.put_from(iter([[keys[0], 7]]), 100)                   # sentences are numbered across calls
    result = []
    t = threading.Thread(target=lambda: result.append(q.put_from(iter([[keys[0], keys[1]]]), 100)))
    t.start()
    _join(t)                                                     # the single slot came back both times
    assert result == [(2, True)]
    q.close()
    lr = K.LearningRate(0.025, 0.0001, 2)
    assert C.train_queue(K.KernelWorker(model, seed=1, stream=0), q, lr) == 2
    assert lr.done == 2


def test_close_wakes_every_waiting_trainer():
    import threading

    _, keys, counts = _queue_corpus()
    K, model, _, _ = _kernel_setup(keys, counts)
    q = C.SentenceQueue(4, C.TokenTable(keys), 10000)
    lr = K.LearningRate(0.025, 0.0001, 100)
    got = []
    threads = [threading.Thread(target=lambda i=i: got.append(C.train_queue(K.KernelWorker(model, seed=1, stream=i),
                                                                              q, lr)))
               for i in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.1)
    assert all(t.is_alive() for t in threads)                    # all four wait on the empty queue
    q.close()
    for t in threads:
        _join(t)
    assert got == [0, 0, 0, 0]


def test_a_batch_that_close_overtakes_is_dropped_not_stranded():
    # close() from another thread while put_from fills a batch: queuing it anyway would leave it for trainers
    # that may already have returned, and break close()'s "nothing more is queued"
    sentences, keys, counts = _queue_corpus()
    K, model, syn0, _ = _kernel_setup(keys, counts)
    before = syn0.copy()
    q = C.SentenceQueue(2, C.TokenTable(keys), 10000)

    def closing_midway():
        yield sentences[0]
        q.close()
        yield sentences[1]

    assert q.put_from(closing_midway(), 10 ** 6) == (0, True)
    lr = K.LearningRate(0.025, 0.0001, 100)
    assert C.train_queue(K.KernelWorker(model, seed=1, stream=0), q, lr) == 0   # returns: nothing queued
    assert lr.done == 0
    np.testing.assert_array_equal(syn0, before)


def test_queue_arguments_are_checked():
    K, model, _, _ = _kernel_setup(["a", "b"], [2, 2])
    lr = K.LearningRate(0.025, 0.0001, 5)
    with pytest.raises(ValueError, match="n_slots"):
        C.SentenceQueue(0, C.TokenTable(["a"]))
    with pytest.raises(ValueError, match="max_sentence_length"):
        C.SentenceQueue(2, C.TokenTable(["a"]), 0)
    with pytest.raises(TypeError, match="dict or a TokenTable"):
        C.SentenceQueue(2, [("a", 0)])
    with pytest.raises(ValueError, match="batch_words"):
        C.SentenceQueue(2, C.TokenTable(["a"])).put_from(iter([["a"]]), 0)
    worker = K.KernelWorker(model, seed=1, stream=0, max_sentence=100)
    with pytest.raises(ValueError, match="capacity"):
        C.train_queue(worker, C.SentenceQueue(2, C.TokenTable(["a"]), 1000), lr)
    with pytest.raises(ValueError, match="rows"):
        C.train_queue(worker, C.SentenceQueue(2, C.TokenTable(["a", "b", "c"]), 100), lr)
    q = C.SentenceQueue(2, {"a": 0, "b": 1}, 100)                 # a dict works as well as a TokenTable
    q.put_from(iter([["a", "x", "b"]]), 10)
    q.close()
    assert C.train_queue(worker, q, lr) == 2 and lr.done == 3
