"""Streaming readers: LineSentence, Text8Corpus, PathLineSentences and the tokenizer behind them."""
import bz2
import gzip
import io
import lzma
import random

import pytest

from w2vfast import _corpus as C
from w2vfast import _splitter as S
from w2vfast import readers
from w2vfast.errors import FormatError
from w2vfast.readers import LineSentence, PathLineSentences, Text8Corpus

DATA = (
    "xin chào thế giới Việt Nam\r\n"
    "привет мир\tмир\n"
    "\n"
    "世界 你好 😀 😀👍🏽\x0bvt\x0cff\n"
    "  spaced   out  \n"
    "nul\x00inside \x00\n"
).encode("utf-8") + b"bad\xff\xfe \xc3 \xe4\xb8 \xed\xa0\x80 end"   # invalid UTF-8, no final newline


def ref_lines(data, max_len=10000, limit=None):
    """Reference: lines split at b"\\n", tokens by bytes.split(), cut every max_len tokens."""
    lines = data.split(b"\n")
    if data.endswith(b"\n"):
        lines = lines[:-1]
    if limit is not None:
        lines = lines[:limit]
    out = []
    for line in lines:
        toks = [t.decode("utf-8", "surrogateescape") for t in line.split()]
        out.extend(toks[i:i + max_len] for i in range(0, len(toks), max_len))
    return out


def ref_text8(data, max_len):
    toks = [t.decode("utf-8", "surrogateescape") for t in data.split()]
    return [toks[i:i + max_len] for i in range(0, len(toks), max_len)]


@pytest.fixture
def data_file(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_bytes(DATA)
    return path


COMPRESSORS = [("gz", gzip.compress), ("bz2", bz2.compress), ("xz", lzma.compress)]


# ----------------------------------------------------------------------------------------------------------
# LineSentence

def test_line_sentence_tokens(data_file):
    got = list(LineSentence(data_file))
    assert got == ref_lines(DATA)
    assert got[0] == ["xin", "chào", "thế", "giới", "Việt", "Nam"]        # \r is whitespace
    assert got[1] == ["привет", "мир", "мир"]
    assert got[2] == ["世界", "你好", "😀", "😀👍🏽", "vt", "ff"]
    assert got[4] == ["nul\x00inside", "\x00"]
    assert [t.encode("utf-8", "surrogateescape") for t in got[5]] == [b"bad\xff\xfe", b"\xc3", b"\xe4\xb8",
                                                                      b"\xed\xa0\x80", b"end"]


def test_line_sentence_is_restartable_and_takes_str_paths(data_file):
    corpus = LineSentence(str(data_file))
    assert list(corpus) == list(corpus) == ref_lines(DATA)


@pytest.mark.parametrize("max_len", [1, 2, 3, 10000])
def test_line_sentence_cuts_long_lines(data_file, max_len):
    got = list(LineSentence(data_file, max_sentence_length=max_len))
    assert got == ref_lines(DATA, max_len)
    assert all(0 < len(s) <= max_len for s in got)


@pytest.mark.parametrize("limit", [0, 1, 2, 3, 4, 6, 100])
def test_line_sentence_limit_counts_lines(data_file, limit):
    assert list(LineSentence(data_file, limit=limit)) == ref_lines(DATA, limit=limit)


def test_line_sentence_file_objects(data_file):
    with open(data_file, "rb") as f:
        corpus = LineSentence(f)
        assert list(corpus) == list(corpus) == ref_lines(DATA)     # rewound for each pass
        assert not f.closed
    # a text file object: the same tokens (newline="" keeps \r\n as it is)
    with open(data_file, "r", encoding="utf-8", errors="surrogateescape", newline="") as f:
        assert list(LineSentence(f)) == ref_lines(DATA)
    assert list(LineSentence(io.BytesIO(DATA), limit=2)) == ref_lines(DATA, limit=2)
    # text that merely starts like a bz2 header is text
    assert list(LineSentence(io.BytesIO(b"BZh is not bz2\n"))) == [["BZh", "is", "not", "bz2"]]


@pytest.mark.parametrize("suffix,compress", COMPRESSORS)
def test_line_sentence_compressed(tmp_path, suffix, compress):
    packed = compress(DATA)
    for name in (f"c.txt.{suffix}", "no_suffix"):      # the content decides, not the name
        path = tmp_path / name
        path.write_bytes(packed)
        assert list(LineSentence(path)) == ref_lines(DATA)
        assert list(LineSentence(path, max_sentence_length=2, limit=3)) == ref_lines(DATA, 2, 3)
    # compressed data behind a file object, seekable or not
    assert list(LineSentence(io.BytesIO(packed))) == ref_lines(DATA)

    class Stream(io.RawIOBase):
        def __init__(self, data):
            self.data = data

        def readable(self):
            return True

        def readinto(self, b):
            n = min(len(b), len(self.data), 5)
            b[:n] = self.data[:n]
            self.data = self.data[n:]
            return n

    assert list(LineSentence(io.BufferedReader(Stream(packed)))) == ref_lines(DATA)


def test_line_sentence_matches_scan_file(tmp_path):
    rng = random.Random(0)
    words = ["a", "bb", "ccc", "đ", "щ", "字", "🙂", "x\x00y"]
    lines = [" ".join(rng.choice(words) for _ in range(rng.randrange(0, 30))) for _ in range(300)]
    data = "\n".join(lines).encode()
    path = tmp_path / "r.txt"
    path.write_bytes(data)
    sentences = list(LineSentence(path, max_sentence_length=7))
    scan = C.scan_file(path, max_sentence_length=7)
    counts = {}
    for s in sentences:
        for t in s:
            counts[t] = counts.get(t, 0) + 1
    assert counts == dict(zip(scan.keys, scan.counts.tolist()))
    assert len(sentences) == scan.total_sentences


def test_line_sentence_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.txt"):
        LineSentence(tmp_path / "missing.txt")
    with pytest.raises(IsADirectoryError, match="PathLineSentences"):
        LineSentence(tmp_path)
    with pytest.raises(ValueError):
        LineSentence(io.BytesIO(b""), max_sentence_length=0)
    with pytest.raises(ValueError):
        LineSentence(io.BytesIO(b""), limit=-1)
    with pytest.raises(TypeError):
        LineSentence(12.5)
    (tmp_path / "x.zst").write_bytes(b"\x28\xb5\x2f\xfd" + b"\x00" * 10)
    with pytest.raises(ValueError, match="zstd"):
        list(LineSentence(tmp_path / "x.zst"))


def test_line_sentence_empty_inputs(tmp_path):
    for data in [b"", b"\n\n", b" \t\r\n  "]:
        path = tmp_path / "e.txt"
        path.write_bytes(data)
        assert list(LineSentence(path)) == []


def test_line_sentence_gensim_agrees_on_plain_text(tmp_path):
    gensim_word2vec = pytest.importorskip("gensim.models.word2vec")
    rng = random.Random(3)
    lines = [" ".join(rng.choice(["the", "cat", "sat", "on", "mat"]) for _ in range(rng.randrange(0, 40)))
             for _ in range(200)]
    path = tmp_path / "plain.txt"
    path.write_text("\n".join(lines) + "\n")
    ours = list(LineSentence(path, max_sentence_length=9, limit=150))
    theirs = list(gensim_word2vec.LineSentence(str(path), max_sentence_length=9, limit=150))
    assert ours == theirs


# ----------------------------------------------------------------------------------------------------------
# the tokenizer: chunk boundaries anywhere

@pytest.mark.parametrize("by_lines", [True, False])
def test_splitter_chunk_boundaries_do_not_matter(by_lines):
    data = DATA + b"\n" + b"tail"
    whole = S.SentenceSplitter(3, None, by_lines)
    want = whole.feed(data) + whole.finish()
    assert want == (ref_lines(data, 3) if by_lines else ref_text8(data, 3))
    for size in range(1, 12):
        s = S.SentenceSplitter(3, None, by_lines)
        got = []
        for i in range(0, len(data), size):
            got += s.feed(data[i:i + size])
        got += s.finish()
        assert got == want, size
    # every single split point, including inside multi-byte characters
    for cut in range(len(data) + 1):
        s = S.SentenceSplitter(3, None, by_lines)
        assert s.feed(data[:cut]) + s.feed(data[cut:]) + s.finish() == want, cut


@pytest.mark.parametrize("seed", range(6))
def test_splitter_random_tokens(seed):
    """ASCII and non-ASCII bytes at every position of tokens 1..40 bytes long (the fast ASCII path checks
    16 bytes at a time)."""
    rng = random.Random(seed)
    parts = []
    for _ in range(400):
        tok = bytearray(rng.choice(b"abcxyz") for _ in range(rng.randint(1, 40)))
        if rng.random() < 0.4:
            tok[rng.randrange(len(tok))] = rng.choice([0x80, 0xC3, 0xFF, 0xE4])
        parts.append(bytes(tok))
        parts.append(rng.choice([b" ", b"\n", b"\t", b"\r\n", b"   "]))
    data = b"".join(parts)
    s = S.SentenceSplitter(7, None, True)
    got = []
    for i in range(0, len(data), 1000):
        got += s.feed(data[i:i + 1000])
    assert got + s.finish() == ref_lines(data, 7)


def test_splitter_long_token_across_many_chunks():
    s = S.SentenceSplitter(10, None, True)
    out = []
    for _ in range(100):
        out += s.feed(b"x" * 7)
    out += s.feed(b" y\n") + s.finish()
    assert out == [["x" * 700, "y"]]


def test_split_tokens():
    assert S.split_tokens(b" a\tb\x00c\r\nd\x0b\x0ce ") == ["a", "b\x00c", "d", "e"]
    assert S.split_tokens(b"") == []


# ----------------------------------------------------------------------------------------------------------
# Text8Corpus

@pytest.mark.parametrize("max_len", [1, 4, 10000])
def test_text8_corpus(tmp_path, max_len):
    rng = random.Random(max_len)
    data = " ".join(rng.choice(["anarchism", "originated", "as", "a", "term", "é"]) for _ in range(2500)).encode()
    path = tmp_path / "text8"
    path.write_bytes(data)
    got = list(Text8Corpus(path, max_sentence_length=max_len))
    assert got == ref_text8(data, max_len)
    assert list(Text8Corpus(path, max_sentence_length=max_len)) == got


def test_text8_corpus_ignores_newlines_and_reads_compressed(tmp_path):
    data = DATA + b"\nmore words\n"
    for suffix, compress in COMPRESSORS + [("txt", lambda d: d)]:
        path = tmp_path / f"t.{suffix}"
        path.write_bytes(compress(data))
        assert list(Text8Corpus(path, max_sentence_length=5)) == ref_text8(data, 5)


def test_text8_corpus_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing"):
        Text8Corpus(tmp_path / "nothing")
    with pytest.raises(IsADirectoryError):
        Text8Corpus(tmp_path)
    (tmp_path / "f").write_bytes(b"a")
    with pytest.raises(ValueError):
        Text8Corpus(tmp_path / "f", max_sentence_length=0)


# ----------------------------------------------------------------------------------------------------------
# PathLineSentences

def test_path_line_sentences_directory(tmp_path):
    parts = {"b.txt": b"two words\nline\n", "a.txt": b"first file", "c.gz": gzip.compress(b"zipped line\n"),
             "d.txt": b"\n\n"}
    for name, content in parts.items():
        (tmp_path / name).write_bytes(content)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "ignored.txt").write_bytes(b"nested")
    corpus = PathLineSentences(tmp_path)
    want = [["first", "file"], ["two", "words"], ["line"], ["zipped", "line"]]
    assert list(corpus) == list(corpus) == want
    assert [p.rsplit("/", 1)[-1] for p in corpus.input_files] == ["a.txt", "b.txt", "c.gz", "d.txt"]
    # limit and max_sentence_length apply to each file
    assert list(PathLineSentences(tmp_path, limit=1, max_sentence_length=1)) == [
        ["first"], ["file"], ["two"], ["words"], ["zipped"], ["line"]]


def test_path_line_sentences_single_file_and_errors(tmp_path, data_file):
    assert list(PathLineSentences(data_file)) == ref_lines(DATA)
    with pytest.raises(FileNotFoundError, match="missing_dir"):
        PathLineSentences(tmp_path / "missing_dir")
    empty = tmp_path / "empty_dir"
    empty.mkdir()
    with pytest.raises(ValueError, match="no files"):
        PathLineSentences(empty)


def test_readers_export():
    assert set(readers.__all__) == {"LineSentence", "Text8Corpus", "PathLineSentences"}


# --------------------------------------------------------------------------------- damaged compressed input

def _damaged(compress, data, cut):
    blob = compress(data)
    if cut:
        return blob[: len(blob) * 2 // 3]
    mid = len(blob) // 2
    return blob[:mid] + bytes([blob[mid] ^ 0xFF]) + blob[mid + 1:]


@pytest.mark.parametrize("compress", [gzip.compress, bz2.compress, lzma.compress], ids=["gz", "bz2", "xz"])
@pytest.mark.parametrize("cut", [False, True], ids=["flipped", "cut"])
def test_damaged_compressed_corpus_raises_format_error_naming_the_file(tmp_path, compress, cut):
    data = b"".join(b"w%d x%d y%d\n" % (i, i % 7, i % 13) for i in range(3000))
    path = tmp_path / "corpus.txt"
    path.write_bytes(_damaged(compress, data, cut))
    for read in (lambda: list(LineSentence(path)), lambda: list(LineSentence(str(path))),
                 lambda: list(Text8Corpus(path)), lambda: list(PathLineSentences(tmp_path)),
                 lambda: C.scan_file(path)):
        with pytest.raises(FormatError) as info:
            read()
        assert str(path) in str(info.value)
    with open(path, "rb") as fh, pytest.raises(FormatError, match="damaged compressed data"):
        list(LineSentence(fh))


def test_unsupported_compression_and_corpus_file_refusals_are_format_errors(tmp_path):
    zst = tmp_path / "c.zst"
    zst.write_bytes(b"\x28\xb5\x2f\xfd" + b"\x00" * 20)
    with pytest.raises(FormatError, match="zstd-compressed"):
        list(LineSentence(zst))
    with pytest.raises(FormatError, match="zstd-compressed"):
        C.scan_file(zst)
    with pytest.raises(FormatError, match="uncompressed text file"):
        C.check_corpus_file(zst)
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(FormatError, match="empty"):
        C.check_corpus_file(empty)
