"""The fuzz targets: what each one does with an input, and how an outcome is classified.

A target takes the bytes of one file and runs the readers on it the way a user would. The contract under
test: every input either loads or raises w2vfast.errors.FormatError; anything else (another exception, a
crash, a hang, memory out of proportion to the input) is a finding. Inputs that load are also checked
against an oracle, so a reader that silently misreads is a finding too ("mismatch"):

- text, binary: word2vec vectors (in memory; from a .gz/.bz2/.xz file when the input starts with that
  format's magic bytes). What loads must save and read back unchanged.
- model: a whole saved model, loaded with mmap None, "r" and "c", then queried and trained on. Its input
  is a "container" (see pack_members) from which a valid ZIP archive is built, so mutations reach the
  members' contents instead of only breaking the archive's checksums; other bytes are used as the archive.
- corpus: a text corpus (plain, or gzip/bz2/xz by its first bytes). scan_file, LineSentence (path and
  stream) and Text8Corpus must agree on the tokens, and training on it (corpus_file when plain, the
  LineSentence iterable when compressed) must succeed.

Each target returns the bytes of the arrays it legitimately built, which the memory check allows for.
The vector targets also report the end of the read under test and of their round trip to `phase`, so
the check measures each read against its own file.
"""
import collections
import io
import os
import re
import tempfile
import warnings
import zipfile

import numpy as np

from w2vfast import Word2Vec
from w2vfast._corpus import detect_compression, scan_file
from w2vfast.errors import FormatError
from w2vfast.io import read_word2vec_format, write_word2vec_format
from w2vfast.readers import LineSentence, Text8Corpus

TARGETS = ("text", "binary", "model", "corpus")

CONTAINER_MAGIC = b"W2VFUZZ-ZIP\n"
_MEMBER_SEP = b"\n\x00\xff@member "


# Set by bench/fuzz.py: phase(what, bytes read, array bytes held, raw input or None) ends one part of a
# target for its allocation check.
phase = None


def _phase(what, size, arrays, raw=None):
    if phase is not None:
        phase(what, size, arrays, raw)


class Mismatch(AssertionError):
    """An oracle check failed: readers disagree, or data that loaded did not survive a round trip."""


def scratch_dir():
    """A private folder for the files the targets write, in memory where the system offers it."""
    base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    return tempfile.mkdtemp(prefix="w2vfast-fuzz-", dir=base)


# ---------------------------------------------------------------------------------------------- vectors

# Reader options, picked by input length so that one input always runs the same way (reproducible)
_TEXT_OPTIONS = (
    {},
    {"unicode_errors": "replace", "allow_nonfinite": True},
    {"unicode_errors": "ignore", "no_header": True},
    {"unicode_errors": "surrogateescape", "limit": 3},
)
_BINARY_OPTIONS = (
    {},
    {"unicode_errors": "replace", "allow_nonfinite": True},
    {"unicode_errors": "ignore"},
    {"unicode_errors": "surrogateescape", "limit": 3},
)


_SUFFIXES = ((b"\x1f\x8b", ".gz"), (b"BZh", ".bz2"), (b"\xfd7zXZ\x00", ".xz"))


def _vectors(data, scratch, binary):
    opts = (_BINARY_OPTIONS if binary else _TEXT_OPTIONS)[len(data) % 4]
    source = io.BytesIO(data)
    for magic, suffix in _SUFFIXES:
        if data.startswith(magic):
            # compressed files are only recognised by name: read it as a file with the matching suffix
            source = os.path.join(scratch, "input" + suffix)
            with open(source, "wb") as fh:
                fh.write(data)
    keys, vectors, _ = read_word2vec_format(source, binary=binary, **opts)
    _phase("read", len(data), vectors.nbytes, data)
    path = os.path.join(scratch, "roundtrip")
    try:
        write_word2vec_format(path, keys, vectors, binary=binary)
        keys2, vectors2, _ = read_word2vec_format(path, binary=binary, unicode_errors="surrogateescape",
                                                  allow_nonfinite=True)
    except Exception as exc:
        raise Mismatch(f"what loaded does not save and load again: {exc!r}") from exc
    if keys2 != keys or not np.array_equal(vectors, vectors2, equal_nan=True):
        raise Mismatch("what loaded changed in a save/load round trip")
    _phase("round trip", os.path.getsize(path), vectors.nbytes + vectors2.nbytes)
    return vectors.nbytes


def run_text(data, scratch):
    return _vectors(data, scratch, binary=False)


def run_binary(data, scratch):
    return _vectors(data, scratch, binary=True)


# ------------------------------------------------------------------------------------------------ model

def pack_members(members):
    """Container bytes for [(name, content bytes), ...] (the model target's input format)."""
    return CONTAINER_MAGIC + b"".join(_MEMBER_SEP + name.encode("latin-1") + b"\n" + content
                                      for name, content in members)


def unpack_members(data):
    """[(name, content)] from container bytes, or None when data is not a container."""
    if not data.startswith(CONTAINER_MAGIC):
        return None
    members = []
    for part in data[len(CONTAINER_MAGIC):].split(_MEMBER_SEP)[1:]:
        name, _, content = part.partition(b"\n")
        members.append((name.decode("latin-1"), content))
    return members


def archive_bytes(data):
    """The model file an input stands for: a stored ZIP built from a container, else the input itself."""
    members = unpack_members(data)
    if members is None:
        return data
    out = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")      # duplicate member names are part of what is fuzzed
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
            for name, content in members:
                zf.writestr(zipfile.ZipInfo(name or "_"), content)
    return out.getvalue()


def _array_bytes(model):
    mats = [model.wv.vectors, model.syn1neg, model.syn1]
    v = model.vocabulary
    mats += [v.counts, v.codes, v.points, v.code_offsets] if v is not None else []
    return sum(m.nbytes for m in mats if isinstance(m, np.ndarray) and not isinstance(m, np.memmap))


def run_model(data, scratch):
    path = os.path.join(scratch, "m.model")
    with open(path, "wb") as fh:
        fh.write(archive_bytes(data))
    used = 0
    for mmap in (None, "r", "c"):
        model = Word2Vec.load(path, mmap=mmap)
        keys = model.wv.index_to_key
        float(np.asarray(model.wv.vectors, dtype=np.float64).sum())
        if len(keys) > 1:
            model.wv.most_similar(keys[0], topn=2)
        if mmap != "r" and keys:
            model.workers = 1
            model.train([list(keys[:8]) * 2], total_examples=1, epochs=1)
        used = max(used, _array_bytes(model))
        del model
    return used


# ----------------------------------------------------------------------------------------------- corpus

def run_corpus(data, scratch):
    path = os.path.join(scratch, "corpus.txt")
    with open(path, "wb") as fh:
        fh.write(data)
    scan = scan_file(path)
    sentences = list(LineSentence(path))
    tokens = [t for s in sentences for t in s]
    if len(tokens) != scan.total_words or collections.Counter(tokens) != dict(zip(scan.keys, scan.counts.tolist())):
        raise Mismatch("scan_file and LineSentence disagree on the tokens")
    if list(LineSentence(io.BytesIO(data))) != sentences:
        raise Mismatch("LineSentence over a path and over a stream disagree")
    if [t for s in Text8Corpus(path) for t in s] != tokens:
        raise Mismatch("Text8Corpus and LineSentence disagree on the tokens")
    if not tokens:
        return 0
    # two workers split a plain file into byte ranges whose edges can fall inside tokens
    settings = dict(vector_size=4, window=2, min_count=1, epochs=1, workers=1 + len(data) % 2, hs=len(data) % 2,
                    negative=0 if len(data) % 3 == 0 and len(data) % 2 else 2, sg=len(data) % 5 == 0)
    if detect_compression(path) is None:
        model = Word2Vec(corpus_file=path, **settings)
    else:
        model = Word2Vec(sentences=LineSentence(path), **settings)
    return _array_bytes(model)


RUNNERS = {"text": run_text, "binary": run_binary, "model": run_model, "corpus": run_corpus}


# ------------------------------------------------------------------------------------------ classifying

def run_one(target, data, scratch):
    """(outcome, exception or None, array bytes built). Outcome: "ok", "format" (FormatError),
    "mismatch", or "other:<ExceptionType>"."""
    try:
        return "ok", None, RUNNERS[target](data, scratch)
    except FormatError as exc:
        return "format", exc, 0
    except Mismatch as exc:
        return "mismatch", exc, 0
    except Exception as exc:
        return f"other:{type(exc).__name__}", exc, 0


_VOLATILE = re.compile(r"(/[^\s:'\"]+)|(\b0x[0-9a-f]+\b)|(\d+)")
_QUOTED = re.compile(r"b?'(?:[^'\\]|\\.)*'" + r'|b?"(?:[^"\\]|\\.)*"')


def signature(outcome, exc):
    """A short key that groups findings with the same cause (quoted words and values, paths and numbers
    removed)."""
    if exc is None:
        return outcome
    text = _VOLATILE.sub("#", _QUOTED.sub("'…'", str(exc)))[:70]
    return f"{outcome}|{type(exc).__name__}|{text}"
