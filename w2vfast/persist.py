"""Whole-model save and load in an open layout.

A saved model is one uncompressed ZIP archive (readable with any zip tool and numpy):

- ``model.json``: format name and version, every constructor setting, corpus statistics, the per-thread
  random states, and the vocabulary keys in index order;
- ``syn0.npy`` (input vectors), ``counts.npy``, and when present ``syn1neg.npy``, ``syn1.npy`` and the Huffman
  tree as ``codes.npy`` / ``points.npy`` / ``code_offsets.npy``: plain NumPy ``.npy`` files.

No pickle is involved, so loading a file runs no code from it. Members are stored uncompressed, which lets
``mmap="r"`` map the matrices straight from the archive. Saving writes a temporary file beside the target and
renames it over the target, so a crash mid-save leaves any earlier file intact.

Loading treats the file as hostile: model.json is checked against a fixed schema (metadata.py), the settings
go through the constructor's own validation and never name a corpus, and each array is checked for dtype,
layout, shape, size, CRC and (where it is read anyway) finite values before the model is assembled
(archive.py). Any refusal is a FormatError naming the file.
"""
import os

import numpy as np

from .archive import Archive, write_archive
from .metadata import FORMAT, JSON_LIMIT, SETTINGS, STATE, VERSION, MetadataError, check_meta, parse_json

__all__ = ["save_model", "load_model", "SETTINGS", "STATE", "FORMAT", "VERSION"]

# name -> dtype of every .npy member; nothing else may be in the archive.
DTYPES = {"syn0": np.float32, "counts": np.int64, "syn1neg": np.float32, "syn1": np.float32,
          "codes": np.uint8, "points": np.int32, "code_offsets": np.int64}
MATRICES = ("syn0", "syn1neg", "syn1")
HUFFMAN = ("codes", "points", "code_offsets")
MEMBERS = frozenset(["model.json"] + [f"{name}.npy" for name in DTYPES])


def save_model(model, path):
    path = os.fspath(path)
    if model.vocabulary is None:
        raise ValueError("nothing to save: the model has no vocabulary yet (call build_vocab() first)")
    model._check_consistent()
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "settings": {name: getattr(model, name) for name in SETTINGS},
        "state": {name: getattr(model, name) for name in STATE},
        "rng_states": [str(s) for s in (model._rng_states or [])],  # uint64 exceeds JSON's safe integers
        "keys": model.vocabulary.index_to_key,
    }
    try:  # never write a file load() would refuse
        check_meta(meta)
    except MetadataError as exc:
        raise ValueError(f"cannot save this model: {exc}") from None
    v = model.vocabulary
    arrays = {"syn0": model.wv.vectors, "counts": v.counts, "syn1neg": model.syn1neg, "syn1": model.syn1,
              "codes": v.codes, "points": v.points, "code_offsets": v.code_offsets}
    arrays = {name: None if arr is None else np.asarray(arr, dtype=DTYPES[name]) for name, arr in arrays.items()}
    write_archive(path, "model.json", meta, arrays)


def load_model(cls, path, mmap=None, verify=True):
    path = os.fspath(path)
    # "r+" is refused: writes through the map would change the archive behind its checksums.
    if mmap not in (None, "r", "c"):
        raise ValueError(f"mmap must be None, 'r' (read-only) or 'c' (copy-on-write), got {mmap!r}")
    if not os.path.lexists(path):
        raise FileNotFoundError(f"no model file at {path}")
    with Archive(path, MEMBERS) as ar:
        if "model.json" not in ar.members:
            raise ar.error("not a w2vfast model file (no model.json member)")
        try:
            settings, state, rng_states, keys = check_meta(parse_json(ar.read_bytes("model.json", JSON_LIMIT)))
        except MetadataError as exc:
            raise ar.error(str(exc)) from None
        try:
            # No corpus: building a model from a file never reads or trains on anything else.
            model = cls(**settings)
        except (ValueError, TypeError, OverflowError) as exc:
            raise ar.error(f"model.json: bad settings: {exc}") from None
        arrays = _read_arrays(ar, model, len(keys), mmap, verify)
        return _assemble(ar, model, state, rng_states, keys, arrays)


def _read_arrays(ar, model, n_words, mmap, verify):
    present = {name for name in DTYPES if f"{name}.npy" in ar.members}
    needed = {"syn0", "counts"} | ({"syn1neg"} if model.negative else set()) | ({"syn1"} if model.hs else set())
    missing = needed - present
    if missing:
        raise ar.error(f"missing {', '.join(sorted(missing))}.npy, which the settings "
                       f"(hs={model.hs}, negative={model.negative}) need")
    huffman = present & set(HUFFMAN)
    if huffman and huffman != set(HUFFMAN):
        raise ar.error(f"the Huffman tree needs all of codes, points and code_offsets; found only "
                       f"{', '.join(sorted(huffman))}")
    expected = {"syn0": (n_words, model.vector_size), "syn1neg": (n_words, model.vector_size),
                "syn1": (n_words, model.vector_size), "counts": (n_words,), "code_offsets": (n_words + 1,)}
    headers = {}
    for name in sorted(present):  # every header before any data, so a bad file fails before a large read
        shape, header_len = ar.npy_header(f"{name}.npy", DTYPES[name])
        want = expected.get(name)
        if want is not None and shape != want:
            raise ar.error(f"{name}.npy has shape {shape}, expected {want} (the vocabulary has {n_words} words "
                           f"and vector_size is {model.vector_size})")
        if want is None and len(shape) != 1:
            raise ar.error(f"{name}.npy has shape {shape}, expected a 1-D array")
        headers[name] = (shape, header_len)
    if huffman and headers["codes"][0] != headers["points"][0]:
        raise ar.error(f"codes.npy and points.npy differ in length: {headers['codes'][0]} and {headers['points'][0]}")
    arrays = {}
    for name in sorted(present):
        shape, header_len = headers[name]
        is_matrix = name in MATRICES
        arrays[name] = ar.read_array(f"{name}.npy", DTYPES[name], shape, header_len,
                                     mmap=mmap if is_matrix else None, verify=verify, finite=is_matrix)
    _check_counts_and_tree(ar, arrays, n_words)
    return arrays


def _check_counts_and_tree(ar, arrays, n_words):
    counts = arrays["counts"]
    if n_words and counts.min() < 0:
        raise ar.error("counts.npy holds a negative count")
    if "codes" not in arrays:
        return
    codes, points, offsets = arrays["codes"], arrays["points"], arrays["code_offsets"]
    lengths = np.diff(offsets)
    if offsets[0] != 0 or offsets[-1] != len(codes) or (lengths < 0).any():
        raise ar.error("code_offsets.npy must start at 0, never decrease and end at the length of codes.npy")
    # A Huffman path is at most V-1 decisions long (a single word gets one dummy decision).
    if n_words and lengths.max() > max(1, n_words - 1):
        raise ar.error(f"code_offsets.npy gives a code longer than a {n_words}-word Huffman tree allows")
    if len(points) and (points.min() < 0 or points.max() >= n_words):
        raise ar.error(f"points.npy must hold rows of syn1, in [0, {n_words})")
    if len(codes) and codes.max() > 1:
        raise ar.error("codes.npy must hold only 0 and 1")


def _assemble(ar, model, state, rng_states, keys, arrays):
    from .vocab import Vocabulary

    for name, value in state.items():
        setattr(model, name, value)
    model.vocabulary = Vocabulary(keys, arrays["counts"])
    if "codes" in arrays:
        model.vocabulary.set_huffman(arrays["codes"], arrays["points"], arrays["code_offsets"])
    model.syn1neg = arrays.get("syn1neg")
    model.syn1 = arrays.get("syn1")
    model._set_wv(arrays["syn0"])
    model._rng_states = rng_states or None
    try:
        model._rebuild_tables()
    except ValueError as exc:  # e.g. negative sampling over counts that are all zero
        raise ar.error(f"the vocabulary cannot be trained on: {exc}") from None
    return model
