"""Whole-model save and load in an open layout.

A saved model is one uncompressed ZIP archive (readable with any zip tool and numpy):

- ``model.json``: format name and version, every constructor setting, corpus statistics, the per-thread
  random states, and the vocabulary keys in index order;
- ``syn0.npy`` (input vectors), ``counts.npy``, and when present ``syn1neg.npy``, ``syn1.npy`` and the Huffman
  tree as ``codes.npy`` / ``points.npy`` / ``code_offsets.npy``: plain NumPy ``.npy`` files.

No pickle is involved, so loading a file runs no code from it. Members are stored uncompressed, which lets
``mmap="r"`` map the matrices straight from the archive. Saving writes a temporary file beside the target and
renames it over the target, so a crash mid-save leaves any earlier file intact.
"""
import json
import os
import zipfile

import numpy as np

from . import _atomic

FORMAT = "w2vfast-model"
VERSION = 1

SETTINGS = ("vector_size", "alpha", "window", "min_count", "max_vocab_size", "sample", "seed", "workers",
            "min_alpha", "sg", "hs", "negative", "ns_exponent", "cbow_mean", "epochs", "null_word",
            "sorted_vocab", "batch_words", "compute_loss", "comment", "max_final_vocab", "shrink_windows",
            "max_sentence_length", "shared_negatives", "alpha_schedule")
STATE = ("corpus_count", "corpus_total_words", "train_count", "total_train_time", "running_training_loss",
         "min_alpha_yet_reached")


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
    v = model.vocabulary
    arrays = {"syn0": model.wv.vectors, "counts": v.counts, "syn1neg": model.syn1neg, "syn1": model.syn1,
              "codes": v.codes, "points": v.points, "code_offsets": v.code_offsets}
    fd, tmp = _atomic.mkstemp(path)  # named for the target and this process; removes dead saves' leftovers
    try:
        with os.fdopen(fd, "wb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
            zf.writestr("model.json", json.dumps(meta, ensure_ascii=True))
            for name, arr in arrays.items():
                if arr is not None:
                    with zf.open(f"{name}.npy", "w", force_zip64=True) as member:
                        np.lib.format.write_array(member, np.ascontiguousarray(arr), allow_pickle=False)
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


def _member_data_offset(fh, info):
    """Byte offset of a stored member's data (after its local header) within the archive."""
    fh.seek(info.header_offset)
    local = fh.read(30)
    if local[:4] != b"PK\x03\x04":
        raise ValueError(f"damaged archive: bad local header for {info.filename}")
    name_len = int.from_bytes(local[26:28], "little")
    extra_len = int.from_bytes(local[28:30], "little")
    return info.header_offset + 30 + name_len + extra_len


def _read_arrays(path, names, mmap):
    arrays = {}
    with zipfile.ZipFile(path) as zf:
        present = set(zf.namelist())
        for name in names:
            member = f"{name}.npy"
            if member not in present:
                continue
            info = zf.getinfo(member)
            if mmap and info.compress_type == zipfile.ZIP_STORED:
                with open(path, "rb") as fh:
                    start = _member_data_offset(fh, info)
                    fh.seek(start)
                    version = np.lib.format.read_magic(fh)
                    read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                                   else np.lib.format.read_array_header_2_0)
                    shape, fortran, dtype = read_header(fh)
                    offset = fh.tell()
                arrays[name] = np.memmap(path, dtype=dtype, mode=mmap, offset=offset, shape=shape,
                                         order="F" if fortran else "C")
            else:
                with zf.open(member) as fh:
                    arrays[name] = np.lib.format.read_array(fh, allow_pickle=False)
    return arrays


def load_model(cls, path, mmap=None):
    from .vocab import Vocabulary

    path = os.fspath(path)
    # "r+" is refused: writes through the map would change the archive behind its checksums.
    if mmap not in (None, "r", "c"):
        raise ValueError(f"mmap must be None, 'r' (read-only) or 'c' (copy-on-write), got {mmap!r}")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no model file at {path}")
    try:
        with zipfile.ZipFile(path) as zf:
            meta = json.loads(zf.read("model.json").decode("ascii"))
    except (zipfile.BadZipFile, KeyError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path} is not a w2vfast model file (expected a zip archive with model.json): {exc}") \
            from None
    if meta.get("format") != FORMAT:
        raise ValueError(f"{path} is not a w2vfast model file (format {meta.get('format')!r})")
    if meta.get("version", 0) > VERSION:
        raise ValueError(f"{path} was written by a newer w2vfast (format version {meta['version']}); upgrade")
    try:
        arrays = _read_arrays(path, ("syn0", "counts", "syn1neg", "syn1", "codes", "points", "code_offsets"),
                              mmap)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise ValueError(f"{path}: damaged model file: {exc}") from None
    if not all(k in meta for k in ("keys", "settings", "state")):
        raise ValueError(f"{path}: damaged model file: model.json lacks keys, settings or state")
    keys = meta["keys"]
    settings = meta["settings"]
    syn0 = arrays.get("syn0")
    counts = arrays.get("counts")
    if syn0 is None or counts is None or syn0.shape != (len(keys), settings["vector_size"]) \
            or counts.shape != (len(keys),):
        raise ValueError(f"{path}: damaged model file: matrix shapes disagree with the vocabulary")

    model = cls(**{k: v for k, v in settings.items() if k != "workers"}, workers=settings["workers"])
    for name, value in meta["state"].items():
        setattr(model, name, value)
    model.vocabulary = Vocabulary(keys, np.asarray(counts))
    if "codes" in arrays:
        model.vocabulary.set_huffman(arrays["codes"], arrays["points"], arrays["code_offsets"])
    model.syn1neg = arrays.get("syn1neg")
    model.syn1 = arrays.get("syn1")
    for name, mat in (("syn1neg", model.syn1neg), ("syn1", model.syn1)):
        if mat is not None and mat.shape != syn0.shape:
            raise ValueError(f"{path}: damaged model file: {name} has shape {mat.shape}, expected {syn0.shape}")
    model._set_wv(syn0)
    model._rng_states = [int(s) for s in meta.get("rng_states", [])] or None
    model._rebuild_tables()
    return model
