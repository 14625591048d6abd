"""Streaming corpus readers: restartable iterables of sentences (lists of str tokens).

Tokens follow the project's policy, the same one the corpus_file path applies in C: a token is a run of
bytes that are not ASCII whitespace (space, \\t, \\n, \\v, \\f, \\r), decoded as UTF-8 with
errors="surrogateescape" so that any bytes round-trip. Lines end at b"\\n" only. Files compressed with gzip,
bz2 or xz are decompressed on the fly (recognised by their first bytes, whatever their name); damaged
compressed data raises w2vfast.errors.FormatError naming the file. Memory stays bounded by one chunk plus
one sentence, however long the lines are.
"""
import errno
import io
import os

from w2vfast._corpus import detect_compression
from w2vfast._decompress import KINDS as _DECOMPRESSED, format_of, open_decompressed
from w2vfast._splitter import SentenceSplitter
from w2vfast.errors import FormatError

__all__ = ["LineSentence", "Text8Corpus", "PathLineSentences"]

_CHUNK = 1 << 13   # bytes per read: few enough tokens that their str objects are still in cache when encoded


def _check_path(path, what="corpus file"):
    try:
        path = os.fspath(path)
    except TypeError:
        raise TypeError(f"expected a path or a file object, got {type(path).__name__}") from None
    if not os.path.exists(path):
        raise FileNotFoundError(errno.ENOENT, f"{what} not found", path)
    return path


def _open_path(path):
    """A binary file object over the decompressed bytes of path."""
    path = _check_path(path)
    if os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, "expected a corpus file, got a directory", path)
    kind = detect_compression(path)
    if kind is None:
        return open(path, "rb")
    if kind not in _DECOMPRESSED:
        raise FormatError(f"{kind}-compressed files are not supported: {path!r}; decompress it first")
    return open_decompressed(path, kind)


def _file_chunks(fileobj):
    """Byte chunks of an open file object: rewound first when it can be, decompressed when its first bytes
    say so, encoded to UTF-8 (surrogateescape) when it is a text file. The file object is left open."""
    if hasattr(fileobj, "seek"):
        try:
            fileobj.seek(0)
        except (OSError, io.UnsupportedOperation, ValueError):
            pass
    first = fileobj.read(_CHUNK)
    if isinstance(first, str):
        while first:
            yield first.encode("utf-8", "surrogateescape")
            first = fileobj.read(_CHUNK)
        return
    kind = format_of(first)
    if kind in _DECOMPRESSED:           # (zstd and zip streams pass as text, as they always have)
        with open_decompressed(fileobj, kind, head=bytes(first)) as f:
            yield from _binary_chunks(f)
        return
    while first:
        yield bytes(first)
        first = fileobj.read(_CHUNK)


def _binary_chunks(f):
    """Chunks of a binary file until its end (open_decompressed already names the file in FormatError)."""
    return iter(lambda: f.read(_CHUNK), b"")


def _sentences(chunks, splitter):
    for chunk in chunks:
        out = splitter.feed(chunk)
        if out:
            yield from out
        if splitter.done:
            return
    yield from splitter.finish()


def _check_args(max_sentence_length, limit):
    max_sentence_length = int(max_sentence_length)
    if max_sentence_length < 1:
        raise ValueError(f"max_sentence_length must be >= 1, got {max_sentence_length}")
    if limit is not None:
        limit = int(limit)
        if limit < 0:
            raise ValueError(f"limit must be None or >= 0, got {limit}")
    return max_sentence_length, limit


class LineSentence:
    """One sentence per line of a text file.

    source: a path (str or os.PathLike) or an open file object (binary or text; rewound at each pass when
    it is seekable). Lines longer than max_sentence_length tokens are cut into several sentences; empty
    lines give none. limit: read only the first `limit` lines. Iterate as many times as you like.
    """

    def __init__(self, source, max_sentence_length=10000, limit=None):
        self.max_sentence_length, self.limit = _check_args(max_sentence_length, limit)
        if not hasattr(source, "read"):
            source = _check_path(source)
            if os.path.isdir(source):
                raise IsADirectoryError(errno.EISDIR, "LineSentence needs a file (use PathLineSentences "
                                                      "for a directory)", source)
        self.source = source

    def __iter__(self):
        splitter = SentenceSplitter(self.max_sentence_length, self.limit, True)
        if hasattr(self.source, "read"):
            yield from _sentences(_file_chunks(self.source), splitter)
        else:
            with _open_path(self.source) as f:
                yield from _sentences(_binary_chunks(f), splitter)

    def __repr__(self):
        return f"LineSentence({self.source!r}, max_sentence_length={self.max_sentence_length}, limit={self.limit})"


class Text8Corpus:
    """A file read as one stream of tokens (line ends are ordinary whitespace), cut into sentences of
    max_sentence_length tokens: the layout of the text8 and text9 corpora, which are a single line."""

    def __init__(self, fname, max_sentence_length=10000):
        self.max_sentence_length, _ = _check_args(max_sentence_length, None)
        self.fname = _check_path(fname)
        if os.path.isdir(self.fname):
            raise IsADirectoryError(errno.EISDIR, "expected a corpus file, got a directory", self.fname)

    def __iter__(self):
        splitter = SentenceSplitter(self.max_sentence_length, None, False)
        with _open_path(self.fname) as f:
            yield from _sentences(_binary_chunks(f), splitter)

    def __repr__(self):
        return f"Text8Corpus({self.fname!r}, max_sentence_length={self.max_sentence_length})"


class PathLineSentences:
    """Like LineSentence over every file of a directory, in sorted name order (regular files only;
    subdirectories are not entered), or over a single file. limit applies to each file."""

    def __init__(self, source, max_sentence_length=10000, limit=None):
        self.max_sentence_length, self.limit = _check_args(max_sentence_length, limit)
        self.source = _check_path(source, "corpus path")
        if os.path.isdir(self.source):
            self.input_files = sorted(
                os.path.join(self.source, name) for name in os.listdir(self.source)
                if os.path.isfile(os.path.join(self.source, name)))
            if not self.input_files:
                raise ValueError(f"no files in the corpus directory {self.source!r}")
        else:
            self.input_files = [self.source]

    def __iter__(self):
        for path in self.input_files:
            splitter = SentenceSplitter(self.max_sentence_length, self.limit, True)
            with _open_path(path) as f:
                yield from _sentences(_binary_chunks(f), splitter)

    def __repr__(self):
        return (f"PathLineSentences({self.source!r}, max_sentence_length={self.max_sentence_length}, "
                f"limit={self.limit})")
