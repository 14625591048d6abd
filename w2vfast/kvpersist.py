"""KeyedVectors save and load in the open layout, and loading gensim's own (pickled) files.

A saved KeyedVectors is one uncompressed ZIP archive, like a saved model (see w2vfast.persist):

- ``keyedvectors.json``: format name and version, vector_size, the keys in row order, and for the vectors
  and each per-key attribute the dtype of its member;
- ``vectors.npy`` and one ``attr.NAME.npy`` per numeric attribute (such as ``count``). An attribute holding
  one small array per key (the Huffman ``code`` and ``point`` of a hierarchical-softmax model) is stored
  flattened as ``attr.NAME.flat.npy`` plus ``attr.NAME.offsets.npy``.

No pickle: loading runs no code from the file. The archive is read as the model loader reads one
(w2vfast.archive: member names, sizes, .npy headers and CRCs checked before use, FormatError for anything
refused), and ``mmap="r"`` maps ``vectors`` straight from it. gensim's ``.kv`` / ``.model`` files are Python
pickles, which can run arbitrary code when loaded: they are read, through gensim (which must be installed),
only when the caller passes allow_pickle=True.
"""
import os
import re
import zipfile

import numpy as np

from .archive import Archive, write_archive
from .errors import FormatError
from .metadata import JSON_LIMIT, MetadataError, parse_json

FORMAT = "w2vfast-keyedvectors"
VERSION = 1
META = "keyedvectors.json"
# dtypes a member may have (never object: no pickle)
_DTYPES = {np.dtype(t).str.lstrip("<|"): np.dtype(t) for t in
           (np.float16, np.float32, np.float64, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16,
            np.uint32, np.uint64, np.bool_)}
_ATTR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}\Z")


class _Members(frozenset):
    """The member names a KeyedVectors archive may hold: its JSON, vectors.npy and attr.NAME[.flat|.offsets].npy."""

    def __contains__(self, name):
        if name in (META, "vectors.npy"):
            return True
        m = re.fullmatch(r"attr\.([A-Za-z0-9_]+)(\.flat|\.offsets)?\.npy", name)
        return bool(m and _ATTR_NAME.match(m.group(1)))


_ALLOWED = _Members([META, "vectors.npy", "attr.NAME.npy", "attr.NAME.flat.npy", "attr.NAME.offsets.npy"])


def _dtype_name(arr):
    name = np.dtype(arr.dtype).str.lstrip("<|>=")
    if name not in _DTYPES:
        raise TypeError(f"cannot save an array of dtype {arr.dtype} (supported: {', '.join(sorted(_DTYPES))})")
    return name


def save_keyedvectors(kv, path):
    path = os.fspath(path)
    n = len(kv.index_to_key)
    keys = list(kv.index_to_key)
    bad = next((k for k in keys if type(k) not in (str, int)), None)
    if bad is not None:
        raise TypeError(f"only str and int keys can be saved, found {type(bad).__name__} {bad!r}")
    arrays = {"vectors": np.asarray(kv.vectors)[:n]}
    attrs = {}
    for name, values in kv.expandos.items():
        if not _ATTR_NAME.match(name):
            raise ValueError(f"per-key attribute name {name!r} cannot be saved (letters, digits and _ only)")
        values = np.asarray(values)[:n]
        if values.dtype == object:
            parts = [np.asarray(v) for v in values]
            if any(p.ndim != 1 for p in parts) or len({p.dtype for p in parts}) > 1:
                raise TypeError(f"per-key attribute {name!r} holds values that are not flat arrays of one dtype")
            offsets = np.zeros(n + 1, dtype=np.int64)
            np.cumsum([len(p) for p in parts], out=offsets[1:])
            arrays[f"attr.{name}.flat"] = np.concatenate(parts) if parts else np.zeros(0, np.int64)
            arrays[f"attr.{name}.offsets"] = offsets
            attrs[name] = {"kind": "ragged", "dtype": _dtype_name(arrays[f"attr.{name}.flat"])}
        else:
            arrays[f"attr.{name}"] = values
            attrs[name] = {"kind": "array", "dtype": _dtype_name(values)}
    meta = {"format": FORMAT, "version": VERSION, "vector_size": int(kv.vector_size), "keys": keys,
            "dtype": _dtype_name(arrays["vectors"]), "attrs": attrs}
    write_archive(path, META, meta, arrays)


def _check_meta(ar, meta):
    if type(meta) is not dict or meta.get("format") != FORMAT:
        raise ar.error(f"not a w2vfast KeyedVectors file (format {meta.get('format') if type(meta) is dict else None!r})")
    if type(meta.get("version")) is not int or meta["version"] > VERSION:
        raise ar.error(f"written by a newer w2vfast (format version {meta.get('version')!r}); upgrade")
    keys, size, attrs = meta.get("keys"), meta.get("vector_size"), meta.get("attrs")
    if type(keys) is not list or any(type(k) not in (str, int) for k in keys):
        raise ar.error(f"{META}: keys must be a list of strings and integers")
    if len(set(keys)) != len(keys):
        raise ar.error(f"{META}: duplicate keys")
    if type(size) is not int or size < 1:
        raise ar.error(f"{META}: vector_size must be a positive integer, got {size!r}")
    if type(attrs) is not dict:
        raise ar.error(f"{META}: attrs must be an object")
    for name, spec in attrs.items():
        if not (_ATTR_NAME.match(name) and type(spec) is dict and spec.get("kind") in ("array", "ragged")
                and spec.get("dtype") in _DTYPES):
            raise ar.error(f"{META}: bad attribute entry {name!r}")
    if meta.get("dtype") not in _DTYPES:
        raise ar.error(f"{META}: bad vectors dtype {meta.get('dtype')!r}")
    return keys, size, attrs


def load_keyedvectors(cls, path, mmap=None, verify=True, allow_pickle=False):
    """A KeyedVectors from our archive, or (allow_pickle=True) from a gensim file through gensim."""
    path = os.fspath(path)
    if mmap not in (None, "r", "c"):
        raise ValueError(f"mmap must be None, 'r' (read-only) or 'c' (copy-on-write), got {mmap!r}")
    if not os.path.lexists(path):
        raise FileNotFoundError(f"no file at {path}")
    if os.path.isfile(path) and not zipfile.is_zipfile(path):
        if allow_pickle:
            return cls.from_gensim(load_gensim_file(path, "KeyedVectors", mmap), copy=mmap is None)
        refuse_pickle(path, "KeyedVectors")
        raise FormatError(f"{path} is not a w2vfast KeyedVectors file (not a zip archive); for word2vec text or "
                          "binary files use load_word2vec_format()")
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
    except Exception:  # damaged: Archive below says how
        names = set()
    if META not in names and "model.json" in names:
        raise FormatError(f"{path} is a whole w2vfast model: load it with w2vfast.Word2Vec.load() and use its .wv")
    with Archive(path, _ALLOWED) as ar:
        if META not in ar.members or "vectors.npy" not in ar.members:
            raise ar.error(f"not a w2vfast KeyedVectors file (no {META} or vectors.npy member)")
        try:
            meta = parse_json(ar.read_bytes(META, JSON_LIMIT))
        except MetadataError as exc:
            raise ar.error(str(exc).replace("model.json", META)) from None
        keys, size, attrs = _check_meta(ar, meta)
        shape, header = ar.npy_header("vectors.npy", _DTYPES[meta["dtype"]])
        if shape != (len(keys), size):
            raise ar.error(f"vectors.npy has shape {shape}, expected {(len(keys), size)}")
        vectors = ar.read_array("vectors.npy", _DTYPES[meta["dtype"]], shape, header, mmap=mmap, verify=verify,
                                finite=meta["dtype"].startswith("f"))
        kv = cls.from_arrays(keys, vectors)
        for name, spec in attrs.items():
            kv.expandos[name] = _read_attr(ar, name, spec, len(keys))
    return kv


def _read_attr(ar, name, spec, n):
    dtype = _DTYPES[spec["dtype"]]
    if spec["kind"] == "array":
        member = f"attr.{name}.npy"
        if member not in ar.members:
            raise ar.error(f"attribute {name!r} has no member {member}")
        shape, header = ar.npy_header(member, dtype)
        if shape != (n,):
            raise ar.error(f"{member} has shape {shape}, expected ({n},)")
        return ar.read_array(member, dtype, shape, header)
    flat_m, off_m = f"attr.{name}.flat.npy", f"attr.{name}.offsets.npy"
    if flat_m not in ar.members or off_m not in ar.members:
        raise ar.error(f"attribute {name!r} needs members {flat_m} and {off_m}")
    shape, header = ar.npy_header(flat_m, dtype)
    if len(shape) != 1:
        raise ar.error(f"{flat_m} has shape {shape}, expected a 1-D array")
    flat = ar.read_array(flat_m, dtype, shape, header)
    shape, header = ar.npy_header(off_m, np.int64)
    if shape != (n + 1,):
        raise ar.error(f"{off_m} has shape {shape}, expected ({n + 1},)")
    offsets = ar.read_array(off_m, np.int64, shape, header)
    if n and (offsets[0] != 0 or offsets[-1] != len(flat) or np.any(np.diff(offsets) < 0)):
        raise ar.error(f"{off_m} does not cut {flat_m} into pieces")
    values = np.empty(n, dtype=object)
    values[:] = [flat[a:b] for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist())]
    return values


def _is_pickle(path):
    try:
        with open(path, "rb") as fh:
            return fh.read(1) == b"\x80"  # the PROTO opcode every pickle of protocol 2 or later starts with
    except OSError:
        return False


def refuse_pickle(path, kind):
    """Raise a FormatError that explains what to do when `path` is a pickle (a gensim file)."""
    if os.path.isfile(path) and _is_pickle(path):
        raise FormatError(f"{path} looks like a gensim file: a Python pickle, which can run arbitrary code when "
                          f"loaded. If you trust it, load it with {kind}.load(path, allow_pickle=True) (needs "
                          f"gensim)")


def load_gensim_file(path, kind, mmap=None):
    """Load a file gensim saved (a pickle) with gensim itself; kind is "KeyedVectors" or "Word2Vec".

    A gensim Word2Vec file asked for as KeyedVectors gives its .wv.
    """
    if not _is_pickle(path):
        what = "model" if kind == "Word2Vec" else "KeyedVectors"
        raise FormatError(f"{path} is not a w2vfast {what} file, nor a gensim (pickle) file; for word2vec "
                          "text or binary files use load_word2vec_format()")
    try:
        from gensim.utils import SaveLoad
    except ImportError:
        raise ImportError(f"{path} is a gensim file (a Python pickle); loading it needs gensim: pip install "
                          "gensim. Only load pickles you trust: they can run code") from None
    obj = SaveLoad.load(path, mmap=mmap)
    if kind == "KeyedVectors" and not hasattr(obj, "index_to_key") and hasattr(obj, "wv"):
        obj = obj.wv
    if kind == "KeyedVectors" and not hasattr(obj, "index_to_key"):
        raise FormatError(f"{path} holds a gensim {type(obj).__name__}, not KeyedVectors")
    if kind == "Word2Vec" and not (hasattr(obj, "wv") and hasattr(obj, "sg")):
        raise FormatError(f"{path} holds a gensim {type(obj).__name__}, not a Word2Vec model; for vectors "
                          "use w2vfast.KeyedVectors.load()")
    return obj
