"""Helpers for tests that take a saved model apart and put hostile variants of it back together."""
import io
import json
import zipfile

import numpy as np

from w2vfast import Word2Vec

SENTENCES = [["a", "b", "c", "d"], ["b", "c", "e"], ["a", "e", "f", "b"], ["c", "d", "f"]] * 5


def small_model(**kwargs):
    settings = dict(vector_size=4, min_count=1, sg=1, hs=1, negative=2, epochs=1, workers=1, seed=3)
    settings.update(kwargs)
    return Word2Vec(SENTENCES, **settings)


def members_of(path):
    with zipfile.ZipFile(path) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def write_members(path, members, compression=zipfile.ZIP_STORED):
    """Write (name, bytes) pairs (a dict or a list, which may repeat a name) as a fresh zip."""
    items = members.items() if isinstance(members, dict) else members
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in items:
            zf.writestr(name, data)
    return path


def npy(arr):
    out = io.BytesIO()
    np.lib.format.write_array(out, np.asarray(arr), allow_pickle=False)
    return out.getvalue()


def npy_raw(descr, shape, data=b"", fortran=False):
    """A version 1.0 .npy with any header at all, followed by `data` (which need not match it)."""
    header = repr({"descr": descr, "fortran_order": fortran, "shape": tuple(shape)}).encode("latin1")
    header += b" " * (63 - (10 + len(header)) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + data


def with_json(members, edit):
    """A copy of `members` whose model.json has been passed through edit(meta) (which changes it in place)."""
    meta = json.loads(members["model.json"])
    edit(meta)
    return {**members, "model.json": json.dumps(meta).encode()}
