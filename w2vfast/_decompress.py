"""Reading gzip, bz2 and xz data in bounded steps, with damage reported as FormatError naming the file.

`open_decompressed` gives a buffered binary reader over the decompressed bytes of a file. It reads the
compressed file 64 KB at a time and asks the decoder for at most 64 KB of output per step, so what a read
allocates is bounded by what the caller asked for plus these small buffers, not by what a tiny hostile
file claims to expand to. What the formats themselves need stays: zlib's 32 KB window, bzip2's block
array (400,000 bytes per unit of the block size in the stream header: 3.6 MB for "BZh9", whatever the data)
and the dictionary an xz stream declares, which is capped at XZ_MEMLIMIT: a stream that would need more is
refused with FormatError instead of allocated.

Concatenated streams are read one after another, like gzip(1), bzip2(1) and xz(1) do. As in Python's gzip,
bz2 and lzma modules, zero bytes after a gzip member are padding and other bytes that do not start a valid
gzip member are an error, while bytes after a bz2 or xz stream that do not start a valid stream are ignored.

Python's decoders report damage with several unrelated exceptions (zlib.error, EOFError for a cut-off
stream, lzma.LZMAError, OSError("Invalid data stream") from bz2), none of which names the file; this module
raises one FormatError instead. `compressed_errors(name)` does the same for other code that decompresses.
Real I/O failures (an OSError with an errno) pass through unchanged.
"""
import bz2
import contextlib
import io
import lzma
import os
import zlib

from .errors import FormatError

__all__ = ["open_decompressed", "compressed_errors", "as_format_error", "format_of", "XZ_MEMLIMIT", "CHUNK"]

CHUNK = 64 << 10            # compressed bytes read, and decompressed bytes produced, per step
# xz's decoder allocates the whole dictionary a stream declares before decoding anything (up to 4 GiB).
# 80 MiB admits dictionaries up to 64 MiB, the largest of xz's presets (-9 and -9e need 64.06 MiB), so
# every file made with xz's presets or Python's lzma module decodes.
XZ_MEMLIMIT = 80 << 20

KINDS = ("gzip", "bz2", "xz")       # the formats open_decompressed reads
# First bytes of the compressed formats we recognise; zstd and zip are recognised to be refused clearly.
MAGIC = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bz2"),                # followed by the block size, "1" to "9"
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"PK\x03\x04", "zip"),
)
HEAD_BYTES = 6                      # enough of the start of the data for format_of


def format_of(head):
    """The compression format that data starting with the bytes `head` (HEAD_BYTES of them suffice) is in:
    one of MAGIC's names, or None (plain text). Content decides, never a file name."""
    head = bytes(head[:HEAD_BYTES])
    for magic, name in MAGIC:
        if head.startswith(magic):
            if name == "bz2" and not (len(head) > 3 and 0x31 <= head[3] <= 0x39):
                continue
            return name
    return None


def as_format_error(exc, name):
    """The FormatError to raise for `exc` met while decompressing `name`, or None when exc is not a
    sign of damaged data."""
    if isinstance(exc, (zlib.error, lzma.LZMAError)) or type(exc) is EOFError:
        pass
    elif isinstance(exc, OSError) and exc.errno is None:
        pass
    else:
        return None
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, lzma.LZMAError) and detail == "Memory usage limit exceeded":
        return FormatError(
            f"{name}: the xz data declares a dictionary that needs more than {XZ_MEMLIMIT >> 20} MiB to decode "
            "(xz's largest preset, -9, needs 65 MiB); the file is damaged or made with a custom dictionary "
            "size: decompress it with xz first")
    return FormatError(f"{name}: damaged compressed data: {detail}")


@contextlib.contextmanager
def compressed_errors(name):
    """Re-raise decompression failures inside the block as FormatError naming `name`."""
    try:
        yield
    except (zlib.error, lzma.LZMAError, EOFError, OSError) as exc:
        err = as_format_error(exc, name)
        if err is None:
            raise
        raise err from exc


def _new_decoder(kind):
    if kind == "gzip":
        return zlib.decompressobj(16 + zlib.MAX_WBITS)     # a gzip member: header, deflate data, CRC and size
    if kind == "bz2":
        return bz2.BZ2Decompressor()
    return lzma.LZMADecompressor(format=lzma.FORMAT_XZ, memlimit=XZ_MEMLIMIT)


class _DecompressedRaw(io.RawIOBase):
    """The decompressed bytes of a compressed binary stream, produced at most CHUNK bytes per readinto."""

    def __init__(self, raw, kind, name, close_raw, head=b""):
        if kind not in KINDS:
            raise ValueError(f"unknown compression {kind!r}")
        self._raw = raw
        self._kind = kind
        self.name = name
        self._close_raw = close_raw
        self._decoder = _new_decoder(kind)
        self._input = bytes(head)   # compressed bytes not yet given to the decoder
        self._later_stream = False  # the decoder is on a stream after the first one...
        self._started = False       # ...and has already decoded part of it
        self._empty = not head      # no compressed byte seen yet
        self._done = False

    def readable(self):
        return True

    def close(self):
        if not self.closed and self._close_raw:
            self._raw.close()
        super().close()

    def _read_raw(self):
        data = self._raw.read(CHUNK)
        if data:
            self._empty = False
            return bytes(data)
        return b""

    def _next_stream(self):
        """Start the stream after the one that just ended; False when none follows."""
        rest = self._input or self._read_raw()
        if self._kind == "gzip":
            # zero bytes after a member are padding (tape blocks), as Python's gzip module allows
            rest = rest.lstrip(b"\0")
            while not rest:
                rest = self._read_raw()
                if not rest:
                    return False
                rest = rest.lstrip(b"\0")
        if not rest:
            return False
        self._decoder = _new_decoder(self._kind)
        self._input = rest
        self._later_stream, self._started = True, False
        return True

    def _decode(self, want):
        """Up to `want` decompressed bytes; b"" at the end of the data."""
        while True:
            d = self._decoder
            if d.eof:
                if not self._next_stream():
                    return b""
                d = self._decoder
            if not self._input and (self._kind == "gzip" or d.needs_input):
                self._input = self._read_raw()
                if not self._input:
                    if self._empty and self._kind == "gzip":
                        return b""          # an empty .gz file holds no data (as in Python's gzip)
                    raise EOFError("the compressed data ends before its end-of-stream marker")
            data = self._input
            try:
                out = d.decompress(data, want)
            except (OSError, EOFError, lzma.LZMAError, zlib.error):
                if self._later_stream and not self._started and self._kind != "gzip":
                    return b""              # bytes after a bz2/xz stream that start no valid stream: ignored
                raise
            self._started = True
            if self._kind == "gzip":
                # zlib hands back what it did not use; bz2 and lzma keep unused input themselves
                self._input = d.unused_data if d.eof else d.unconsumed_tail
            else:
                self._input = d.unused_data if d.eof else b""
            if out:
                return out

    def readinto(self, b):
        if self._done:
            return 0
        with memoryview(b) as view, view.cast("B") as out:
            if len(out) == 0:
                return 0
            with compressed_errors(self.name):
                data = self._decode(min(len(out), CHUNK))
            if not data:
                self._done = True
            out[:len(data)] = data
            return len(data)


def open_decompressed(source, kind, name=None, head=b""):
    """A buffered binary reader over the decompressed bytes of `source` (a path, or a binary file object
    positioned after the `head` bytes already read from it), compressed as `kind` ("gzip", "bz2" or "xz").
    Damaged data raises FormatError naming `name` (default: the path or the file object's name). Closing
    the reader closes the file it opened itself, never a file object passed in."""
    if hasattr(source, "read"):
        raw, close_raw = source, False
        name = name or getattr(source, "name", "<stream>")
    else:
        raw, close_raw = open(source, "rb"), True
        name = name or os.fsdecode(source)
    try:
        return io.BufferedReader(_DecompressedRaw(raw, kind, name, close_raw, head), CHUNK)
    except BaseException:
        if close_raw:
            raw.close()
        raise
