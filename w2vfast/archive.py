"""Reading members of an uncompressed ZIP archive that may be hostile.

A saved model is a stored (uncompressed) ZIP of a JSON member and NumPy ``.npy`` members. This module
opens such an archive without trusting it: every member's name, storage method and position are checked
against the file's real size before anything is read, every size is checked before memory is allocated or
mapped, ``.npy`` headers are parsed under a size limit and their dtype, layout and shape compared with what
the caller expects, and each member's ZIP CRC-32 is verified (also for mapped members, unless the caller
opts out). Anything wrong raises FormatError naming the file and the problem; the only other exceptions are
OSError from opening the path (e.g. FileNotFoundError) and MemoryError when the file really holds more data
than fits.
"""
import io
import json
import os
import stat
import struct
import zipfile
import zlib

import numpy as np

from . import _atomic
from .errors import FormatError

NPY_HEADER_LIMIT = 4096  # numpy writes ~128 bytes for the arrays we save
_CHUNK = 1 << 24  # bytes per read (and per CRC / finiteness pass over a mapped matrix)
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")  # the 30-byte local file header
_NPY_MAGIC = b"\x93NUMPY"


class Archive:
    """An open stored ZIP whose member names must all be in `allowed` (each at most once)."""

    def __init__(self, path, allowed, max_members=None):
        self.path = path
        # O_NONBLOCK: opening a FIFO someone put at the path must not hang; it is refused just below.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise self.error("not a regular file")
        except BaseException:
            os.close(fd)
            raise
        self._fh = os.fdopen(fd, "rb")
        self.size = st.st_size
        try:
            self.members = self._index(allowed)
        except BaseException:
            self._fh.close()
            raise

    def error(self, problem):
        return FormatError(f"{self.path}: {problem}")

    def close(self):
        self._fh.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ------------------------------------------------------------------------------------ directory
    def _index(self, allowed):
        try:
            # zipfile only reads the central directory here, at most the file's size; whatever a damaged
            # directory makes it raise (BadZipFile, struct.error, ValueError, EOFError, ...) means "not a zip"
            with zipfile.ZipFile(self._fh) as zf:
                infos = zf.infolist()
        except Exception as exc:
            raise self.error(f"not a w2vfast model file (expected a zip archive with model.json): "
                             f"{type(exc).__name__}: {exc}") from None
        members = {}
        for info in infos:
            name = info.filename
            if name not in allowed:
                raise self.error(f"unexpected member {name!r} (a model holds only {', '.join(sorted(allowed))})")
            if name in members:
                raise self.error(f"member {name!r} appears twice")
            if info.flag_bits & 0x1:
                raise self.error(f"member {name!r} is encrypted")
            if info.compress_type != zipfile.ZIP_STORED or info.compress_size != info.file_size:
                # Refused rather than inflated under a cap: w2vfast never compresses, and stored members are
                # what lets mmap work and every size be checked against the file before reading.
                raise self.error(f"member {name!r} is compressed (method {info.compress_type}); w2vfast models "
                                 "are stored uncompressed")
            start = self._data_offset(info)
            if start + info.file_size > self.size:
                raise self.error(f"member {name!r} claims {info.file_size} bytes at offset {start}, beyond the end "
                                 f"of the {self.size}-byte file (truncated?)")
            members[name] = (start, info.file_size, info.CRC)
        return members

    def _data_offset(self, info):
        if not 0 <= info.header_offset <= self.size - _LOCAL_HEADER.size:
            raise self.error(f"member {info.filename!r}: local header offset {info.header_offset} is outside the file")
        head = self._read_at(info.header_offset, _LOCAL_HEADER.size)
        fields = _LOCAL_HEADER.unpack(head)
        name_len, extra_len = fields[-2], fields[-1]
        if fields[0] != b"PK\x03\x04":
            raise self.error(f"member {info.filename!r}: bad local header")
        name = self._read_at(info.header_offset + _LOCAL_HEADER.size, name_len)
        if name != info.orig_filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437", "replace"):
            raise self.error(f"member {info.filename!r}: local header names {name!r}")
        return info.header_offset + _LOCAL_HEADER.size + name_len + extra_len

    def _read_at(self, offset, n):
        try:
            self._fh.seek(offset)
            data = self._fh.read(n)
        except OSError as exc:
            raise self.error(f"cannot read: {exc}") from None
        if len(data) != n:
            raise self.error(f"unexpected end of file at offset {offset + len(data)} (truncated?)")
        return data

    # --------------------------------------------------------------------------------------- members
    def read_bytes(self, name, limit):
        """A whole member as bytes, refused unread when larger than `limit`, CRC-checked."""
        start, size, crc = self.members[name]
        if size > limit:
            raise self.error(f"member {name!r} is {size:,} bytes; the limit is {limit:,}")
        data = self._read_at(start, size)
        if zlib.crc32(data) != crc:
            raise self.error(f"member {name!r} fails its CRC check (the file is damaged)")
        return data

    def npy_header(self, name, dtype):
        """(shape, header length) of a .npy member whose dtype must be exactly `dtype`, little-endian, C order.

        The declared array must fill the member exactly, so a header can never make a reader allocate or map
        more than the file holds.
        """
        start, size, _ = self.members[name]
        prefix = self._read_at(start, min(size, 12))
        if len(prefix) < 10 or prefix[:6] != _NPY_MAGIC or prefix[6:8] not in (b"\x01\x00", b"\x02\x00"):
            raise self.error(f"member {name!r} is not a version 1 or 2 .npy array")
        if prefix[6] == 1:
            fixed, header_len = 10, int.from_bytes(prefix[8:10], "little")
        else:
            if len(prefix) < 12:
                raise self.error(f"member {name!r}: truncated .npy header")
            fixed, header_len = 12, int.from_bytes(prefix[8:12], "little")
        if header_len > NPY_HEADER_LIMIT or fixed + header_len > size:
            raise self.error(f"member {name!r}: .npy header of {header_len} bytes is too long for the member")
        raw = self._read_at(start, fixed + header_len)
        reader = (np.lib.format.read_array_header_1_0 if fixed == 10 else np.lib.format.read_array_header_2_0)
        try:
            # numpy's own parser (literal_eval of at most NPY_HEADER_LIMIT bytes); a malformed header makes it
            # raise one of several types
            shape, fortran, found = reader(io.BytesIO(raw[8:]))
        except Exception as exc:
            raise self.error(f"member {name!r}: bad .npy header: {type(exc).__name__}: {exc}") from None
        want = np.dtype(dtype).newbyteorder("<")
        if not (isinstance(found, np.dtype) and found == want and found.str == want.str and found.names is None
                and found.shape == ()):
            raise self.error(f"member {name!r} has dtype {found}, expected {want.str} ({want.name})")
        if fortran is not False:
            raise self.error(f"member {name!r} is stored in Fortran order; expected C order")
        if not (isinstance(shape, tuple) and all(type(n) is int and n >= 0 for n in shape)):
            raise self.error(f"member {name!r}: bad shape {shape!r}")
        declared = want.itemsize
        for n in shape:
            declared *= n  # Python ints: no overflow, however large the claim
        if declared != size - fixed - header_len:
            raise self.error(f"member {name!r}: header declares shape {shape} ({declared:,} bytes) but the member "
                             f"holds {size - fixed - header_len:,} bytes of data")
        return shape, fixed + header_len

    def read_array(self, name, dtype, shape, header_len, mmap=None, verify=True, finite=False):
        """The array of a .npy member whose header npy_header() has checked.

        mmap=None reads it into memory (always CRC-checked); "r" or "c" maps it from the archive, and then
        verify=True still reads every page once to check the CRC (verify=False skips that, and `finite`).
        finite=True refuses NaN or infinite values wherever the data is read.
        """
        start, size, crc = self.members[name]
        dtype = np.dtype(dtype).newbyteorder("<")
        offset = start + header_len
        running = zlib.crc32(self._read_at(start, header_len))
        nbytes = size - header_len
        if nbytes == 0:
            arr = np.zeros(shape, dtype)
            arr.flags.writeable = mmap != "r"
        elif mmap is None:
            arr = np.empty(shape, dtype)
            view = memoryview(arr.reshape(-1).view(np.uint8))
            try:
                self._fh.seek(offset)
                for pos in range(0, nbytes, _CHUNK):
                    part = view[pos:pos + _CHUNK]
                    got = self._fh.readinto(part)
                    if got != len(part):
                        raise self.error(f"member {name!r}: unexpected end of file (truncated?)")
                    running = zlib.crc32(part, running)
            except OSError as exc:
                raise self.error(f"cannot read member {name!r}: {exc}") from None
        else:
            try:
                # Mapped through our open file, so it is the file checked above even if the path was replaced.
                arr = np.memmap(self._fh, dtype=dtype, mode=mmap, offset=offset, shape=shape, order="C")
            except (OSError, ValueError) as exc:
                raise self.error(f"cannot map member {name!r}: {exc}") from None
            if verify:
                flat = arr.reshape(-1).view(np.uint8)
                for pos in range(0, nbytes, _CHUNK):
                    running = zlib.crc32(flat[pos:pos + _CHUNK], running)
        if (mmap is None or verify) and running != crc:
            raise self.error(f"member {name!r} fails its CRC check (the file is damaged)")
        if finite and (mmap is None or verify) and not _all_finite(arr):
            raise self.error(f"member {name!r} holds NaN or infinite values")
        return arr


def _all_finite(arr):
    flat = arr.reshape(-1)
    step = max(1, _CHUNK // max(arr.itemsize, 1))
    # in slices, so a mapped matrix of many GB needs no temporary of its size
    return all(np.isfinite(flat[i:i + step]).all() for i in range(0, flat.size, step))


def write_archive(path, json_name, meta, arrays):
    """Write meta (as JSON member json_name) and the arrays (name -> array, None skipped; each stored as
    little-endian `name.npy`) into one uncompressed ZIP at path, atomically: the archive goes to a temporary
    file beside the target (named for it and this process; dead saves' leftovers are removed) that replaces
    the target only once it is complete and on disk."""
    path = os.fspath(path)
    fd, tmp = _atomic.mkstemp(path)
    try:
        with os.fdopen(fd, "wb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
            zf.writestr(json_name, json.dumps(meta, ensure_ascii=True, allow_nan=False))
            for name, arr in arrays.items():
                if arr is not None:
                    with zf.open(f"{name}.npy", "w", force_zip64=True) as member:
                        out = np.ascontiguousarray(arr, dtype=np.dtype(arr.dtype).newbyteorder("<"))
                        np.lib.format.write_array(member, out, allow_pickle=False)
            zf.close()  # writes the central directory before the data is flushed to disk
            raw.flush()
            os.fsync(raw.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes the file private; give it a normal file's mode
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
