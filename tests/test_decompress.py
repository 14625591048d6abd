"""Compressed input: w2vfast._decompress reads gzip/bz2/xz like Python's modules do, in bounded steps,
refuses xz dictionaries over its memory limit, and the text vector reader keeps tiny hostile files (a few
dozen bytes that decompress to megabytes of one line) from costing memory out of proportion."""
import bz2
import gzip
import io
import lzma
import struct
import tracemalloc
import zlib

import numpy as np
import pytest

from w2vfast import _fastio
from w2vfast._decompress import CHUNK, XZ_MEMLIMIT, open_decompressed
from w2vfast.errors import FormatError
from w2vfast.io import read_word2vec_format
from w2vfast.readers import LineSentence

COMPRESS = {"gzip": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress}
SUFFIX = {"gzip": ".gz", "bz2": ".bz2", "xz": ".xz"}
PYTHON = {"gzip": gzip.decompress, "bz2": bz2.decompress, "xz": lzma.decompress}
TEXT = b"".join(b"line %d of the test data\n" % i for i in range(6000))


def read_all(blob, kind, step=None):
    with open_decompressed(io.BytesIO(blob), kind, "blob") as f:
        if step is None:
            return f.read()
        parts = []
        while True:
            part = f.read(step)
            if not part:
                return b"".join(parts)
            parts.append(part)


@pytest.mark.parametrize("kind", sorted(COMPRESS))
def test_reads_what_pythons_module_reads(kind):
    comp = COMPRESS[kind]
    one = comp(TEXT)
    two = comp(TEXT[:1000]) + comp(TEXT[1000:])                    # concatenated streams
    for blob in (one, two, comp(b"")):
        assert read_all(blob, kind) == PYTHON[kind](blob)
        assert read_all(blob, kind, step=7) == PYTHON[kind](blob)
    # a head already taken from a stream that cannot seek back (LineSentence over a pipe does that)
    with open_decompressed(io.BytesIO(two[10:]), kind, "blob", head=two[:10]) as f:
        assert f.read() == TEXT


@pytest.mark.parametrize("kind", sorted(COMPRESS))
def test_damage_is_a_format_error_naming_the_file(kind):
    blob = COMPRESS[kind](TEXT)
    with pytest.raises(FormatError, match="blob: damaged compressed data"):
        read_all(blob[:-7], kind)
    with pytest.raises(FormatError, match="blob: damaged compressed data"):
        read_all(blob[:40] + bytes(200) + blob[240:], kind)


def test_trailing_bytes_as_in_pythons_modules():
    gz = gzip.compress(TEXT)
    assert read_all(gz + bytes(100), "gzip") == TEXT             # zero padding after a member
    with pytest.raises(FormatError):
        read_all(gz + b"garbage!", "gzip")
    with pytest.raises(gzip.BadGzipFile):
        gzip.decompress(gz + b"garbage!")
    for kind in ("bz2", "xz"):                                       # ignored, as bz2 and lzma do
        blob = COMPRESS[kind](TEXT) + b"not a stream, long enough to be refused as one"
        assert read_all(blob, kind) == TEXT == PYTHON[kind](blob)
    assert read_all(b"", "gzip") == b""                              # an empty .gz holds no data
    with pytest.raises(FormatError):
        read_all(b"", "bz2")


def test_a_read_allocates_what_it_returns_plus_small_buffers():
    # 16 MB of zeros: a 45-byte bz2 stream, a 16 KB gzip one; reading 1 MB at a time must not hold more
    # than that and a few chunks, whatever the stream expands to
    data = bytes(16 << 20)
    for kind in ("gzip", "bz2"):
        blob = COMPRESS[kind](data)
        with open_decompressed(io.BytesIO(blob), kind, "bomb") as f:
            tracemalloc.start()
            try:
                total = 0
                while True:
                    part = f.read(1 << 20)
                    if not part:
                        break
                    total += len(part)
                    del part
                peak = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
        assert total == len(data)
        assert peak < (1 << 20) + 8 * CHUNK, (kind, peak)


def _xz_with_dictionary(bits):
    """A valid .xz stream whose block header declares an LZMA2 dictionary of the given props byte (its
    CRC32 fixed up), holding the data b"x"."""
    blob = bytearray(lzma.compress(b"x", preset=0))
    p = 12                                           # the block header follows the 12-byte stream header
    size = (blob[p] + 1) * 4
    header = blob[p:p + size]
    assert header[2] == 0x21 and header[3] == 1      # one filter: LZMA2, one byte of properties
    header[4] = bits
    header[-4:] = struct.pack("<I", zlib.crc32(bytes(header[:-4])))
    blob[p:p + size] = header
    return bytes(blob)


def test_xz_dictionary_over_the_memory_limit_is_refused(tmp_path):
    # props byte b declares (2 | b & 1) << (b // 2 + 11) bytes: 28 -> 64 MiB (xz -9), 30 -> 128 MiB,
    # 40 -> 4 GiB
    assert read_all(_xz_with_dictionary(28), "xz") == b"x"
    assert XZ_MEMLIMIT < 128 << 20
    for bits in (30, 40):
        blob = _xz_with_dictionary(bits)
        with pytest.raises(lzma.LZMAError):
            lzma.LZMADecompressor(memlimit=XZ_MEMLIMIT).decompress(blob)
        with pytest.raises(FormatError, match=r"blob: the xz data declares a dictionary that needs more than"):
            read_all(blob, "xz")
        path = tmp_path / "v.txt.xz"
        path.write_bytes(blob)
        with pytest.raises(FormatError, match="v.txt.xz"):
            read_word2vec_format(path)
        with pytest.raises(FormatError, match="v.txt.xz"):
            list(LineSentence(str(path)))


# ------------------------------------------------------------------------------ the text vector reader

def traced_peak(fn):
    tracemalloc.start()
    try:
        try:
            result = fn()
        except FormatError as exc:
            result = exc
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


HUGE_LINES = {   # (data, options, part of the FormatError or None when it loads)
    "long value": (b"1 1\nw " + b"0" * 5_000_000 + b"\n", {}, "longer than 128 bytes"),
    "blank line": (b"2 1\nw 1\n" + b" " * 6_000_000 + b"\nv 2\n", {}, None),
    "blank line, no header": (b"\t" * 6_000_000 + b"w 1 2\n", {"no_header": True}, None),
    "blank lines, no header": (b"\n" * 6_000_000 + b"w 1 2\n", {"no_header": True}, None),
    "padded fields": (b"1 3\nw" + b" " * 3_000_000 + b"1" + b"\t" * 3_000_000 + b"2  3\n", {}, None),
    "blank lines, big rows": (b"1 1000000\n" + b"\n" * 6_000_000, {}, "holds only 0"),
    "short line, big rows": (b"1 1000000\n" + b"\n" * 6_000_000 + b"w 1\n", {}, "has 1 values"),
    "newlines, big binary rows": (b"1 1000000\n" + b"\n" * 6_000_000, {"binary": True}, "holds only 0"),
}


@pytest.mark.parametrize("kind", ["gzip", "bz2"])
@pytest.mark.parametrize("case", sorted(HUGE_LINES))
def test_tiny_compressed_file_with_a_huge_line(tmp_path, kind, case):
    # each file is a few dozen bytes (bz2) or a few KB (gzip) that decompress to 5-6 MB of one line or of
    # blank lines; the readers used to hold all of it (peaks of 12-131 MB), and big rows were allocated
    # before their data was there
    data, options, error = HUGE_LINES[case]
    path = tmp_path / ("v.txt" + SUFFIX[kind])
    path.write_bytes(COMPRESS[kind](data))
    result, peak = traced_peak(lambda: read_word2vec_format(path, **options))
    assert peak < 1 << 20, peak
    if error is not None:
        assert isinstance(result, FormatError) and error in str(result), result
    else:
        keys, vectors, _ = result
        plain = tmp_path / "plain.txt"
        plain.write_bytes(data)
        assert (keys, vectors.tolist()) == (lambda r: (r[0], r[1].tolist()))(
            read_word2vec_format(plain, **options))


def test_value_and_word_bounds_hold_however_the_file_is_read(tmp_path):
    # the same verdict for a line that fits the reader's window and one it packs on the way
    ok = b"3 2\na " + b"0" * 127 + b"1 2\nb 1 2\n" + b"c" * (1 << 20) + b" 1 2\n"
    bad_value = b"1 2\na 1 " + b"0" * 128 + b"1\n"
    bad_word = b"1 1\n" + b"w" * ((1 << 20) + 1) + b" 1\n"
    for name, data in (("ok", ok), ("value", bad_value), ("word", bad_word)):
        for suffix, blob in ((".txt", data), (".txt.bz2", bz2.compress(data))):
            path = tmp_path / (name + suffix)
            path.write_bytes(blob)
            if name == "ok":
                keys, vectors, _ = read_word2vec_format(path)
                assert keys[:2] == ["a", "b"] and vectors[0].tolist() == [1.0, 2.0]
            else:
                with pytest.raises(FormatError, match="longer than"):
                    read_word2vec_format(path)


def _reference_pack(line):
    fields = line.split()
    packed = b" ".join(fields) + (b" " if fields and line[-1:].isspace() else b"")
    return packed, (len(fields[0]) if fields else 0), max(map(len, fields[1:]), default=0), len(fields)


def test_pack_fields_matches_a_reference():
    rng = np.random.default_rng(5)
    alphabet = np.frombuffer(b"ab1.-e \t\r\x0b\x0c", dtype=np.uint8)
    for n in list(range(12)) * 20 + [200] * 100:
        line = rng.choice(alphabet, size=n).tobytes()
        buf = bytearray(b"\n\nprefix") + bytearray(line) + bytearray(b"\nsuffix")
        lo = 8
        end, first, longest, fields = _fastio.pack_fields(buf, lo, lo + n)
        packed, *stats = _reference_pack(line)
        assert (bytes(buf[lo:end]), first, longest, fields) == (packed, *stats), line
        assert buf[:lo] == b"\n\nprefix" and buf[lo + n:] == b"\nsuffix"


def test_format_of_reads_the_first_bytes_only():
    # one rule for files (detect_compression) and open streams (LineSentence of a file object)
    from w2vfast._decompress import format_of
    assert format_of(gzip.compress(b"a b\n")) == "gzip"
    assert format_of(bz2.compress(b"a b\n")) == "bz2"
    assert format_of(lzma.compress(b"a b\n")) == "xz"
    assert format_of(b"BZhx not bzip2") is None          # "BZh" must be followed by a block size
    assert format_of(b"\x28\xb5\x2f\xfd....") == "zstd"
    assert format_of(b"PK\x03\x04....") == "zip"
    assert format_of(b"plain text") is None and format_of(b"") is None
    assert format_of(bytearray(b"\x1f\x8b")) == "gzip"


def test_detect_compression_and_streams_agree(tmp_path):
    from w2vfast._corpus import detect_compression
    path = tmp_path / "c.txt.xz"
    path.write_bytes(lzma.compress(b"alpha beta\ngamma\n"))
    assert detect_compression(path) == "xz"
    with open(path, "rb") as f:
        assert list(LineSentence(f)) == [["alpha", "beta"], ["gamma"]]
