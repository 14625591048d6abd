"""Files on the command line: output paths checked before any work, and one rule for vector file formats.

Formats, the same in every subcommand: a name ending in .bin (or .bin.gz / .bin.bz2) is word2vec binary,
.txt or .vec (optionally compressed) is word2vec text, .model is a whole saved model; an explicit --format
(or train's -binary) overrides the name. When reading, the content decides in the end: a text file named
.bin is read as text, with a note saying so, instead of failing as damaged binary data.
"""
import errno
import gzip
import bz2
import os
import sys
import tempfile

FORMATS = ("text", "binary", "model")
_ZIP_MAGIC = b"PK\x03\x04"


def check_output(path, what="output"):
    """Fail now, in one line, if `path` cannot be written: it names a directory, its folder is missing or
    read-only, it is a device or other special file, or its filesystem refuses a small probe file."""
    if not path:
        raise ValueError(f"the {what} path is empty")
    if path.endswith(("/", os.sep)) or os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, f"the {what} path is a directory; give a file name", path)
    if os.path.exists(path) and not os.path.isfile(path):
        raise ValueError(f"the {what} path {path!r} exists and is not a regular file")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(errno.ENOENT, f"cannot write the {what}: no directory {folder}", path)
    # Creating, writing and syncing a real file catches what os.access cannot: read-only mounts, full disks,
    # filesystems without regular files, permissions that only root bypasses.
    try:
        fd, probe = tempfile.mkstemp(prefix=".w2vfast-probe-", dir=folder)
    except OSError as exc:
        raise OSError(exc.errno, f"cannot write the {what} in {folder}: {exc.strerror}", path) from None
    try:
        try:
            os.write(fd, b"\0" * 4096)
            os.fsync(fd)
        except OSError as exc:
            raise OSError(exc.errno, f"cannot write the {what} in {folder}: {exc.strerror}", path) from None
        finally:
            os.close(fd)
    finally:
        os.unlink(probe)


def _stem(path):
    name = os.path.basename(path).lower()
    for suffix in (".gz", ".bz2"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def format_from_name(path):
    """'binary', 'text' or 'model' from the file name, or None when the name does not say."""
    stem = _stem(path)
    if stem.endswith(".model"):
        return "model"
    if stem.endswith(".bin"):
        return "binary"
    if stem.endswith((".txt", ".vec")):
        return "text"
    return None


def _head(path, n=1 << 16):
    name = path.lower()
    opener = gzip.open if name.endswith(".gz") else bz2.open if name.endswith(".bz2") else open
    try:
        with opener(path, "rb") as f:
            return f.read(n)
    except (OSError, EOFError):
        return b""  # unreadable or damaged: the loader gives the precise error


def sniff_format(path):
    """'model', 'text' or 'binary' from the first bytes of a file, or None when they do not tell."""
    head = _head(path)
    if head.startswith(_ZIP_MAGIC):
        return "model"
    end = head.find(b"\n")
    parts = head[:end].split() if end > 0 else []
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        return None
    dim = int(parts[1])
    record = head[end + 1:]
    space = record.find(b" ")
    if space <= 0 or dim < 1:
        return None
    body = record[space + 1:]
    line_end = body.find(b"\n")
    if line_end < 0 and len(body) < 4 * dim:
        return None  # the first record does not fit in the head: let the name decide
    fields = (body[:line_end] if line_end >= 0 else body).split()
    if len(fields) == dim:
        try:
            [float(x) for x in fields]
            return "text"
        except ValueError:
            pass
    return "binary"


def input_format(path, explicit=None):
    """The format to read `path` in: explicit, else what the content shows, else the name, else text."""
    if explicit:
        return explicit
    if not os.path.exists(path):
        raise FileNotFoundError(errno.ENOENT, "vector file not found", path)
    if os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, "expected a vector file, got a directory", path)
    named = format_from_name(path)
    found = sniff_format(path)
    if found and named and found != named:
        print(f"w2vfast: note: {path} holds {found} data despite its name; reading it as {found}", file=sys.stderr)
    return found or named or "text"


def output_format(path, explicit=None):
    """The format to write `path` in: explicit, else the name, else text (word2vec.c's default)."""
    return explicit or format_from_name(path) or "text"


def load_vectors(path, fmt=None):
    """KeyedVectors from a word2vec text/binary file or the vectors of a saved model."""
    from ..keyedvectors import KeyedVectors
    from ..model import Word2Vec

    fmt = input_format(path, fmt)
    if fmt == "model":
        return Word2Vec.load(path).wv
    # surrogateescape: files we write keep invalid UTF-8 bytes of the corpus as they were
    return KeyedVectors.load_word2vec_format(path, binary=fmt == "binary", unicode_errors="surrogateescape")


def save_vectors(wv, path, fmt):
    if fmt == "model":
        raise ValueError(f"{path}: a .model file holds a whole trained model, which word vectors alone cannot "
                         "make; write .bin (binary) or .txt/.vec (text) instead")
    wv.save_word2vec_format(path, binary=fmt == "binary")
