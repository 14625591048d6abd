"""Read and write word vectors in the original word2vec text and binary formats.

Text:   a header line "V D", then one line per word: the word and D decimal numbers, separated by spaces.
Binary: the same header line, then per word: the word's bytes, one space, D little-endian float32, and a
        newline (word2vec.c writes it; readers accept files with or without it).

Files are streamed in large chunks and parsed by the C routines in w2vfast._fastio, so reading costs about
what the disk costs. Names ending in .gz, .bz2 or .xz are (de)compressed on the fly; damaged compressed
data raises FormatError naming the file. Saves are atomic: the data goes to a temporary file beside the
target (w2vfast._atomic), which replaces the target only once it is complete.
"""
import bz2
import contextlib
import gzip
import io
import logging
import lzma
import os
import re
import stat
import sys

import numpy as np

from . import _fastio
from ._atomic import AtomicFile
from ._decompress import compressed_errors, open_decompressed
from .errors import FormatError

logger = logging.getLogger(__name__)

__all__ = [
    "Word2VecFormatError",
    "read_word2vec_format",
    "load_word2vec_format",
    "write_word2vec_format",
    "save_word2vec_format",
    "read_vocab_counts",
]

_CHUNK = 16 << 20           # bytes read per call
_MAX_LINE = 256 << 20       # a text line or binary record longer than this means a damaged file
_MAX_HEADER = 4096
_MAX_DIM = 1 << 24          # a bigger vector size is taken as a damaged header, not allocated
_SMALL_ROW = 1 << 16        # bytes of one row that may be allocated before its data is known to exist
_MIN_WINDOW = 64 << 10      # the smallest read window for compressed data
_UNICODE_ERRORS = ("strict", "replace", "ignore", "surrogateescape", "backslashreplace")
_WHITESPACE = re.compile(rb"[ \t\n\r\x0b\x0c]")
_NOT_NEWLINE = re.compile(rb"[^\r\n]")
_NOT_SPACE = re.compile(rb"[^ \t\n\r\x0b\x0c]")


class Word2VecFormatError(FormatError):
    """A file that is not valid word2vec text/binary data (or does not match its header)."""


# ----------------------------------------------------------------------------------------------- opening

_COMPRESSED = {".gz": "gzip", ".bz2": "bz2", ".xz": "xz"}


def _stream_size(f):
    """Bytes left in an in-memory or plain-file stream, else None (seeking to the end of a decompressing
    stream would decompress all of it)."""
    try:
        if isinstance(f, io.BytesIO):
            return max(0, f.getbuffer().nbytes - f.tell())
        st = os.fstat(f.fileno())
        if stat.S_ISREG(st.st_mode) and type(f) in (io.BufferedReader, io.FileIO):
            return max(0, st.st_size - f.tell())
    except (AttributeError, OSError, ValueError):
        pass
    return None


def _open_read(source):
    """(binary file object, close_it, name, size or None) for a path or an open binary file."""
    if hasattr(source, "read"):
        return source, False, getattr(source, "name", "<stream>"), _stream_size(source)
    path = os.fspath(source)
    name = str(path)
    kind = _COMPRESSED.get(os.path.splitext(name)[1])
    if kind is not None:
        return open_decompressed(path, kind, name), True, name, None
    f = open(path, "rb")
    try:
        size = os.fstat(f.fileno()).st_size
    except OSError:
        size = None
    return f, True, name, size


class _Reader:
    """A growable byte window over a stream: data[start:end] is read but not yet consumed.

    Decompression failures while reading are raised as FormatError naming the file."""

    def __init__(self, f, name, chunk=None, size=None):
        self.f = f
        self.name = name
        if chunk is None:
            # a small file needs no 16 MB window (the window still grows for a longer record)
            chunk = _CHUNK if size is None else min(_CHUNK, max(4096, size + 1))
        self.buf = bytearray(chunk)
        self.start = 0
        self.end = 0
        self.offset = 0          # file position of buf[0]
        self.eof = False
        self._readinto = getattr(f, "readinto", None)
        # for text records: a function that shrinks an unfinished line (see _pack_text_line) before the
        # window grows for it, so a line padded with whitespace or holding an overlong token costs no more
        # memory than the fields it holds
        self.pack_line = None

    def _read_into(self, lo, hi):
        # the views are released before returning, so the bytearray can still be resized later
        with memoryview(self.buf) as mv, mv[lo:hi] as target, compressed_errors(self.name):
            if self._readinto is not None:
                n = self._readinto(target)
            else:
                data = self.f.read(hi - lo)
                n = len(data)
                target[:n] = data
        return n or 0

    def fill(self):
        """Read more data: keep the unconsumed bytes, then fill the window (growing it if it was full)."""
        if self.eof:
            return False
        if self.start:
            keep = self.end - self.start
            self.buf[:keep] = self.buf[self.start:self.end]
            self.offset += self.start
            self.start, self.end = 0, keep
        if self.end == len(self.buf):
            if len(self.buf) >= max(_MAX_LINE, _CHUNK):
                raise Word2VecFormatError(
                    f"{self.name}: a record longer than {_MAX_LINE} bytes at byte offset {self.offset}; the file "
                    "is damaged or not in word2vec format"
                )
            if self.pack_line is None or not self._pack_tail():
                grown = bytearray(2 * len(self.buf))
                grown[:self.end] = memoryview(self.buf)[:self.end]
                self.buf = grown
        got = 0
        while self.end < len(self.buf):
            n = self._read_into(self.end, len(self.buf))
            if n == 0:
                self.eof = True
                break
            self.end += n
            got += n
        return got > 0 or self.eof

    def _pack_tail(self):
        """Shrink the unfinished last line of a full window with pack_line; True when that freed a quarter
        of the window (then it need not grow)."""
        nl = self.buf.rfind(b"\n", self.start, self.end)
        lo = self.start if nl < 0 else nl + 1
        if self.end - lo < len(self.buf) // 2:
            return False
        new_end = self.pack_line(self.buf, lo, self.end, self.offset + lo)
        removed = self.end - new_end
        self.end = new_end
        self.offset += removed   # positions after the line stay exact; those inside it are approximate
        return removed >= len(self.buf) // 4

    def readline(self, max_len, what="line"):
        """The next line (without its newline), or None at the end of the stream. A line longer than
        max_len bytes raises Word2VecFormatError: returning part of it would leave the rest to be read
        as data."""
        while True:
            i = self.buf.find(b"\n", self.start, min(self.end, self.start + max_len + 1))
            if i >= 0:
                line = bytes(self.buf[self.start:i])
                self.start = i + 1
                return line
            if self.end - self.start > max_len:
                raise Word2VecFormatError(
                    f"{self.name}: invalid {what} at byte offset {self.offset + self.start}: longer than {max_len} "
                    f"bytes; the file is damaged or not in word2vec format"
                )
            if self.eof:
                if self.start == self.end:
                    return None
                line = bytes(self.buf[self.start:self.end])
                self.start = self.end
                return line
            self.fill()

    def ensure(self, n):
        """Read until n unconsumed bytes are in the window or the stream ends; returns how many are."""
        while self.end - self.start < n and not self.eof:
            self.fill()
        return self.end - self.start

    def rest_is_blank(self):
        """True when nothing but whitespace remains in the stream."""
        while True:
            if self.buf[self.start:self.end].strip():
                return False
            self.start = self.end
            if self.eof:
                return True
            self.fill()


# ------------------------------------------------------------------------------------------------ reading

def _pack_text_line(name, max_fields):
    """pack_line for text records: packs the unfinished line in place (_fastio.pack_fields), then raises
    FormatError once it holds a word or a value longer than a valid one, or more than max_fields fields
    (None: no bound)."""
    def pack(buf, lo, end, offset):
        new_end, word, longest, fields = _fastio.pack_fields(buf, lo, end)
        if word > _fastio.MAX_WORD_BYTES:
            raise Word2VecFormatError(
                f"{name}: a word longer than {_fastio.MAX_WORD_BYTES} bytes near byte offset {offset}; the file is "
                "damaged or not in word2vec format")
        if longest > _fastio.MAX_VALUE_BYTES:
            raise Word2VecFormatError(
                f"{name}: a value longer than {_fastio.MAX_VALUE_BYTES} bytes near byte offset {offset}, not a "
                "number; the file is damaged or not in word2vec format")
        if max_fields is not None and fields > max_fields:
            raise Word2VecFormatError(
                f"{name}: a line near byte offset {offset} has more than {max_fields - 1} values, the vector size "
                "of the file")
        return new_end
    return pack


def _check_unicode_errors(unicode_errors):
    if unicode_errors not in _UNICODE_ERRORS:
        raise ValueError(f"unicode_errors must be one of {_UNICODE_ERRORS}, got {unicode_errors!r}")


def _parse_header(line, name):
    if line is None:
        raise Word2VecFormatError(f"{name}: the file is empty; expected a header line 'V D'")
    parts = line.split()
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        shown = line[:80]
        raise Word2VecFormatError(
            f"{name}: invalid header {shown!r}; expected two non-negative integers 'V D' (the number of vectors "
            "and their size). Use no_header=True for text files without one"
        )
    vocab_size, vector_size = int(parts[0]), int(parts[1])
    if not 1 <= vector_size <= _MAX_DIM:
        raise Word2VecFormatError(
            f"{name}: the header declares vector size {vector_size}; expected 1 to {_MAX_DIM}"
        )
    return vocab_size, vector_size


def read_vocab_counts(fvocab, unicode_errors="strict", encoding="utf-8"):
    """Read a vocabulary side file, one 'word count' per line, into a dict {word: count}."""
    _check_unicode_errors(unicode_errors)
    counts = {}
    f, close, name, _ = _open_read(fvocab)
    try:
        with compressed_errors(name):
            for line_no, line in enumerate(f, 1):
                parts = line.split()
                if not parts:
                    continue
                if len(parts) != 2:
                    raise Word2VecFormatError(f"{name}: line {line_no} is not 'word count': {line[:80]!r}")
                try:
                    word = parts[0].decode(encoding, unicode_errors)
                except UnicodeDecodeError as exc:
                    raise Word2VecFormatError(f"{name}: line {line_no}: the word is not valid {encoding} ({exc.reason})") from None
                try:
                    counts[word] = int(parts[1])
                except ValueError:
                    raise Word2VecFormatError(f"{name}: line {line_no}: count {parts[1][:40]!r} is not an integer") from None
    finally:
        if close:
            f.close()
    return counts


def _min_record(vector_size, binary):
    """Bytes of the smallest possible record: a 1-byte word, its separator and the values (in text, one
    digit each and the spaces between them)."""
    return (2 + 4 * vector_size) if binary else (1 + 2 * vector_size)


def _initial_capacity(target, vector_size, size, binary):
    """Rows to allocate up front: the target, bounded by what `size` bytes (the file's size; None for
    compressed or streamed data) can hold. Zero when not one record fits: rows are then allocated as data
    arrives."""
    if size is None:
        # data of unknown size: start small and let _grow double as rows arrive (a 16 MB guess let a
        # 70-byte .bz2 file that declares many vectors allocate 16 MB)
        size = 64 << 10
    return int(min(target, size // _min_record(vector_size, binary)))


def _grow(out, target, available):
    """`out` with room for more rows: twice as many, but while there are few, no more than the `available`
    rows that the unparsed data can hold (and at least one), so a short file that declares huge vectors
    does not get rows for data it does not have."""
    rows = out.shape[0]
    rows = min(target, max(2 * rows, 16), rows + max(available, rows, 1))
    grown = np.empty((rows, out.shape[1]), dtype=np.float32)
    grown[: out.shape[0]] = out
    return grown


def read_word2vec_format(
    fname, binary=False, limit=None, unicode_errors="strict", encoding="utf-8", no_header=False,
    datatype=np.float32, allow_nonfinite=False,
):
    """Read a word2vec text or binary file.

    Returns (keys, vectors, vocab_size) where keys is a list of str in file order (later duplicates of a
    word are dropped, with a warning), vectors is a C-contiguous (len(keys), D) array of `datatype`, and
    vocab_size is the number of records read (duplicates included), which the fake counts of
    load_word2vec_format are based on.

    limit: read at most this many vectors (None or 0: all, like gensim). unicode_errors: how to decode words
    that are not valid `encoding` ("strict" raises a ValueError naming the record). allow_nonfinite: accept
    NaN/Inf values (rejected by default with a ValueError naming the word). no_header: a text file without
    the "V D" line (GloVe style); the sizes are taken from the data.
    Any damage (truncation, a header that disagrees with the data, a value that is not a number) raises
    Word2VecFormatError, a ValueError.
    """
    keys, vectors, records, _ = _read_word2vec(
        fname, binary, limit, unicode_errors, encoding, no_header, datatype, allow_nonfinite)
    return keys, vectors, records


def _read_word2vec(fname, binary, limit, unicode_errors, encoding, no_header, datatype, allow_nonfinite):
    """read_word2vec_format, plus the {key: row} dict built while parsing."""
    _check_unicode_errors(unicode_errors)
    if limit is not None and limit < 0:
        raise ValueError(f"limit must be non-negative, got {limit}")
    if no_header and binary:
        raise ValueError("no_header=True needs binary=False: binary files always start with a 'V D' header")
    f, close, name, size = _open_read(fname)
    try:
        if size is None and close:
            # compressed: the data size is unknown. The window starts at 4x the file (64 KB at least) and
            # grows only for a longer record; rows start at 64 KB worth and double as rows arrive. So a tiny
            # hostile file cannot claim memory that its data does not fill.
            reader = _Reader(f, name, chunk=min(_CHUNK, max(_MIN_WINDOW, 4 * os.path.getsize(name))))
        else:
            reader = _Reader(f, name, size=size)
        if no_header:
            reader.pack_line = _pack_text_line(name, None)
            fields, line_no = _peek_first_line(reader, name)
            vector_size = fields - 1
            if not 1 <= vector_size <= _MAX_DIM:
                raise Word2VecFormatError(f"{name}: the first line has {vector_size} values after its word")
            declared = None
            target = limit if limit else sys.maxsize
        else:
            declared, vector_size = _parse_header(reader.readline(_MAX_HEADER, "header line"), name)
            target = min(declared, limit) if limit else declared
            line_no = 1
        if not binary:
            reader.pack_line = _pack_text_line(name, vector_size + 1)

        out = np.empty((_initial_capacity(target, vector_size, size, binary) if target else 0, vector_size),
                       dtype=np.float32)
        words, index, dups, nonfinite = [], {}, [], []
        row = 0
        min_record = _min_record(vector_size, binary)
        while row < target:
            if row == out.shape[0]:
                if binary or 4 * vector_size <= _SMALL_ROW:
                    if binary:
                        _skip_newlines(reader)
                    available = reader.ensure(min_record) // min_record
                else:
                    # a big text row is allocated only once its whole line is in the window with the right
                    # number of fields: blank lines or a short line cost no 4*D-byte row
                    available, skipped = _text_record_ready(reader, vector_size, name, line_no)
                    line_no += skipped
                if available == 0 and 4 * vector_size > _SMALL_ROW:
                    break       # not one more record can follow: the count check below reports it
                out = _grow(out, target, available)
            try:
                if binary:
                    pos, row = _fastio.parse_binary(
                        reader.buf, reader.start, reader.end, out, row, words, index, dups, nonfinite,
                        encoding, unicode_errors, reader.eof, reader.offset,
                    )
                else:
                    pos, row, line_no = _fastio.parse_text(
                        reader.buf, reader.start, reader.end, out, row, words, index, dups, nonfinite,
                        encoding, unicode_errors, reader.eof, line_no,
                    )
            except ValueError as exc:
                raise Word2VecFormatError(f"{name}: {exc}") from None
            reader.start = pos
            if row < out.shape[0]:
                # the parser stopped for want of data
                if reader.eof:
                    break
                reader.fill()
        if declared is not None and row < target:
            raise Word2VecFormatError(
                f"{name}: the header declares {declared} vectors but the file holds only {row}; "
                "the file is truncated or its header is wrong"
            )
        if declared is not None and not (limit and limit <= declared) and not reader.rest_is_blank():
            what = "records" if binary else "lines"
            raise Word2VecFormatError(
                f"{name}: more data follows the {declared} vectors the header declares (at byte offset "
                f"{reader.offset + reader.start}); the header's vector count or vector size is wrong, or extra "
                f"{what} were appended"
            )
    finally:
        if close:
            f.close()

    if out.shape[0] != row:
        out = out[:row].copy()
    if binary and sys.byteorder == "big":
        out.byteswap(inplace=True)
        nonfinite = np.nonzero(~np.isfinite(out).all(axis=1))[0].tolist()
    if nonfinite and not allow_nonfinite:
        i = nonfinite[0]
        j = int(np.nonzero(~np.isfinite(out[i]))[0][0])
        raise Word2VecFormatError(
            f"{name}: the vector of {words[i]!r} (vector {i + 1}) holds a non-finite value "
            f"({out[i, j]} at dimension {j}); pass allow_nonfinite=True to load it anyway"
        )

    if dups:
        for i in dups[:20]:
            logger.warning("duplicate word %r in %s at vector %d; keeping only its first vector", words[i], name, i + 1)
        keep = np.ones(row, dtype=bool)
        keep[dups] = False
        words = [w for w, k in zip(words, keep.tolist()) if k]
        out = out[keep]
        index = dict(zip(words, range(len(words))))
    if np.dtype(datatype) != out.dtype:
        out = out.astype(datatype)
    return words, out, row, index


def _skip_newlines(reader):
    """Consume the newlines before the next binary record (parse_binary skips them too), so that any
    number of them costs no memory when ensure() waits for a whole record after them."""
    while True:
        m = _NOT_NEWLINE.search(reader.buf, reader.start, reader.end)
        if m is not None:
            reader.start = m.start()
            return
        reader.start = reader.end
        if reader.eof:
            return
        reader.fill()


def _skip_blank_lines(reader):
    """Consume text lines holding only whitespace, many at a time. Returns (the number consumed, the
    window position of the next line's first non-blank byte, or None at the end of the data)."""
    skipped = 0
    while True:
        m = _NOT_SPACE.search(reader.buf, reader.start, reader.end)
        stop = reader.end if m is None else m.start()
        line_start = reader.buf.rfind(b"\n", reader.start, stop) + 1
        if line_start > reader.start:
            skipped += reader.buf.count(b"\n", reader.start, line_start)
            reader.start = line_start
        if m is not None:
            return skipped, m.start()
        if reader.eof:
            return skipped, None
        reader.fill()


def _next_line_end(reader, pos):
    """The end of the line holding window position `pos` (its newline, or the end of the data), read
    into the window first; the unfinished line is packed if it outgrows the window."""
    while True:
        i = reader.buf.find(b"\n", pos, reader.end)
        if i >= 0:
            return i
        if reader.eof:
            return reader.end
        keep = pos - reader.start
        reader.fill()
        pos = reader.start + min(keep, reader.end - reader.start)


def _text_record_ready(reader, vector_size, name, line_no):
    """(1 when the window holds the next text record's whole line with its word and vector_size values,
    else 0 at the end of the data; the number of blank lines consumed before it). A line with another
    number of fields raises Word2VecFormatError. `line_no`: lines before the window's start."""
    skipped, first = _skip_blank_lines(reader)
    if first is None:
        return 0, skipped
    end = _next_line_end(reader, reader.start)
    with memoryview(reader.buf) as mv, mv[reader.start:end] as line:
        fields = _fastio.count_fields(line)
    if fields == vector_size + 1:
        return 1, skipped
    if end == reader.end and reader.eof:
        return 0, skipped           # a cut-off last line: the count check reports the truncation
    raise Word2VecFormatError(f"{name}: line {line_no + skipped + 1} has {fields - 1} values, expected {vector_size}")


def _peek_first_line(reader, name):
    """(The number of fields of the first non-blank line of a headerless text file, the number of blank lines
    before it.) The blank lines are consumed, so any number of them costs no memory; the line stays in the
    window and is counted there, not copied."""
    skipped, first = _skip_blank_lines(reader)
    if first is None:
        raise Word2VecFormatError(f"{name}: the file is empty")
    with memoryview(reader.buf) as mv, mv[reader.start:_next_line_end(reader, reader.start)] as line:
        return _fastio.count_fields(line), skipped


def read_word2vec_file(
    fname, fvocab=None, binary=False, encoding="utf-8", unicode_errors="strict", limit=None,
    datatype=np.float32, no_header=False, allow_nonfinite=False,
):
    """Read a word2vec text/binary file as arrays: (keys, vectors, counts, key_to_index), for
    KeyedVectors.load_word2vec_format to build on (this module returns arrays and knows no vector classes).

    counts come from `fvocab` (a 'word count' per line file) when given, otherwise they are made-up descending
    counts (V - index) so that saving again keeps the file's order.
    """
    counts = read_vocab_counts(fvocab, unicode_errors, encoding) if fvocab is not None else None
    keys, vectors, vocab_size, key_to_index = _read_word2vec(
        fname, binary, limit, unicode_errors, encoding, no_header, datatype, allow_nonfinite)
    if counts is None:
        count_arr = vocab_size - np.arange(len(keys), dtype=np.int64)
    else:
        count_arr = np.zeros(len(keys), dtype=np.int64)
        missing = 0
        for i, k in enumerate(keys):
            c = counts.get(k)
            if c is None:
                missing += 1
            else:
                count_arr[i] = c
        if missing:
            logger.warning("vocabulary file %s lacks %d of the %d words; their count is 0", fvocab, missing, len(keys))
    return keys, vectors, count_arr, key_to_index


# ------------------------------------------------------------------------------------------------ writing

class _Aside:
    """One file of a save, written aside its target (compressed when its name ends in .gz, .bz2 or .xz)."""

    def __init__(self, path):
        self.atomic = AtomicFile(path)
        raw = self.atomic.file
        name = self.atomic.target
        if name.endswith(".gz"):
            self.f = gzip.GzipFile(filename=os.path.basename(name[:-3]), mode="wb", fileobj=raw, mtime=0)
        elif name.endswith(".bz2"):
            self.f = bz2.BZ2File(raw, "wb")
        elif name.endswith(".xz"):
            self.f = lzma.LZMAFile(raw, "wb")
        else:
            self.f = raw

    def finish(self):
        if self.f is not self.atomic.file:
            self.f.close()
        self.atomic.finish()


@contextlib.contextmanager
def _write_aside(*paths):
    """Yield one writable binary file per path; once the block completes, every file is made durable and
    only then renamed over its target, so a failure anywhere leaves all the targets as they were (a
    vocabulary file never gets ahead of its vectors file)."""
    files = []
    try:
        for p in paths:
            files.append(_Aside(p))
        yield [a.f for a in files]
        for a in files:
            a.finish()
        for a in files:
            a.atomic.commit()
    finally:
        for a in files:
            a.atomic.discard()


@contextlib.contextmanager
def _AtomicFile(path):
    """One writable binary file for `path`, written aside and renamed over it once the block completes
    (compressed when the name ends in .gz, .bz2 or .xz); for any module that saves a single file."""
    with _write_aside(path) as files:
        yield files[0]


def _encode_keys(keys, prefix):
    enc = []
    for k in keys:
        s = k if isinstance(k, str) else str(k)
        enc.append((prefix + s).encode("utf-8", "surrogateescape"))
    joined = b"\x00".join(enc)
    if _WHITESPACE.search(joined) or any(not e for e in enc):
        for k, e in zip(keys, enc):
            if not e or _WHITESPACE.search(e):
                raise ValueError(
                    f"key {k!r} is empty or holds whitespace, which the word2vec format cannot store"
                )
    return enc


def write_word2vec_format(
    fname, keys, vectors, binary=False, fvocab=None, counts=None, total_vec=None, write_header=True, prefix="",
):
    """Write `keys` and the rows of `vectors` (in that order) as a word2vec text or binary file.

    fvocab: also write 'word count' lines (from `counts`) to that file. total_vec: the vector count to put
    in the header (default len(keys)). Both files are written aside and renamed over their targets only
    once both are complete; a name ending in .gz, .bz2 or .xz is compressed.
    """
    vectors = np.asarray(vectors)
    if vectors.ndim != 2 or vectors.shape[0] != len(keys):
        raise ValueError(f"vectors must be a 2-D array with one row per key; got shape {vectors.shape} for {len(keys)} keys")
    if fvocab is not None and counts is None:
        raise ValueError("fvocab needs counts")
    enc = _encode_keys(keys, prefix)
    n, dim = vectors.shape
    total_vec = n if total_vec is None else int(total_vec)
    step = max(1, (8 << 20) // max(1, dim * 4))
    paths = (fname,) if fvocab is None else (fname, fvocab)
    with _write_aside(*paths) as files:
        fout = files[0]
        if fvocab is not None:
            files[1].write(b"".join(b"%s %d\n" % (e, int(c)) for e, c in zip(enc, counts)))
        if write_header:
            fout.write(b"%d %d\n" % (total_vec, dim))
        for lo in range(0, n, step):
            hi = min(n, lo + step)
            if binary:
                raw = np.ascontiguousarray(vectors[lo:hi], dtype="<f4").tobytes()
                width = 4 * dim
                fout.write(b"".join(
                    b"%s %s\n" % (enc[lo + i], raw[i * width:(i + 1) * width]) for i in range(hi - lo)
                ))
            else:
                block = np.ascontiguousarray(vectors[lo:hi], dtype=np.float32)
                fout.write(_fastio.format_text(enc[lo:hi], block, 0, hi - lo))


def save_word2vec_format(
    kv, fname, fvocab=None, binary=False, total_vec=None, write_header=True, prefix="", sort_attr="count",
):
    """Save a KeyedVectors in word2vec format, most frequent first when it has `sort_attr` counts (like gensim)."""
    attrs = getattr(kv, "expandos", {})
    if sort_attr in attrs and len(attrs[sort_attr]) == len(kv.index_to_key):
        order = np.argsort(-np.asarray(attrs[sort_attr]), kind="stable")
        counts_sorted = np.asarray(attrs[sort_attr])[order]
    else:
        if fvocab is not None:
            raise ValueError(f"cannot write a vocabulary file: the vectors have no {sort_attr!r} attribute")
        order = None
        counts_sorted = None
    keys = kv.index_to_key
    vectors = kv.vectors
    if order is not None and not np.array_equal(order, np.arange(len(order))):
        keys = [keys[i] for i in order]
        vectors = vectors[order]
    write_word2vec_format(
        fname, keys, vectors, binary=binary, fvocab=fvocab, counts=counts_sorted, total_vec=total_vec,
        write_header=write_header, prefix=prefix,
    )
