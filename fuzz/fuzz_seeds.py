"""The seed inputs of each fuzz target: small valid (and a few edge-case) files, as the writers make them.

`python bench/fuzz.py --make-seeds` writes them to fuzz/corpus/<target>/seed-*.bin; the long runs add what
they find next to them.
"""
import bz2
import gzip
import io
import lzma
import os
import struct
import tempfile
import zipfile

import numpy as np

from fuzz_targets import pack_members


def _binary(words, vectors, newline=True, header=None):
    vectors = np.asarray(vectors, dtype="<f4")
    out = [header if header is not None else b"%d %d\n" % vectors.shape]
    for w, v in zip(words, vectors):
        out.append(w + b" " + v.tobytes() + (b"\n" if newline else b""))
    return b"".join(out)


def text_seeds():
    plain = b"3 4\nthe 0.1 -0.2 0.3 0.4\nof 1 2 3 4\ncaf\xc3\xa9 1e-3 -1e+2 0 -0\n"
    return {
        "plain": plain,
        "no-header": b"a 1 2\nb 3 4\nc -5.5 6e7\n",
        "nonfinite": b"2 2\nx nan 1\ny inf -inf\n",
        "crlf-tabs-blank": b"2 3\r\n\r\nw1\t0.5 0.25\t-1\r\n\nw2 1 1 1\r\n",
        "raw-bytes": b"2 1\n\xff\xfe 1\nok 2\n",
        "duplicates": b"3 1\na 1\na 2\nb 3\n",
        "gzip": gzip.compress(plain, mtime=0),
        "bz2": bz2.compress(plain),
        "xz": lzma.compress(plain),
        # a few dozen bytes that decompress to megabytes of one line: padding, then a number too long to be one
        "bz2-long-line": bz2.compress(b"2 2\nw" + b" " * 3_000_000 + b"1\t2\nv 3 " + b"0" * 3_000_000 + b"\n"),
    }


def binary_seeds():
    vec = [[0.5, -1.0], [1e-30, 3.0], [0.0, -0.0]]
    plain = _binary([b"a", b"caf\xc3\xa9", b"z"], vec)
    nan = struct.pack("<I", 0x7FC00000)
    return {
        "plain": plain,
        "no-newline": _binary([b"a", b"b", b"c"], vec, newline=False),
        "crlf-header": _binary([b"x", b"y", b"w"], vec, header=b"3 2\r\n"),
        "nan-bits": b"1 2\nn " + nan + nan + b"\n",
        "raw-bytes": _binary([b"\xff", b"\x80ab", b"c\x00d"], vec),
        "gzip": gzip.compress(plain, mtime=0),
        "bz2": bz2.compress(plain),
        "xz": lzma.compress(plain),
    }


def model_seeds():
    from w2vfast import Word2Vec

    sentences = [["a", "b", "c", "a"], ["b", "c", "d", "e"], ["e", "a"]] * 3
    configs = {
        "ns-sg": dict(sg=1, hs=0, negative=2),
        "hs-cbow": dict(sg=0, hs=1, negative=0),
        "hs-ns": dict(sg=1, hs=1, negative=1),
    }
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, cfg in configs.items():
            model = Word2Vec(sentences, vector_size=3, min_count=1, epochs=1, workers=1, seed=1, **cfg)
            path = os.path.join(tmp, name)
            model.save(path)
            with open(path, "rb") as fh:
                raw = fh.read()
            with zipfile.ZipFile(io.BytesIO(raw)) as zf:
                out[name] = pack_members([(i.filename, zf.read(i)) for i in zf.infolist()])
            if name == "ns-sg":
                out["raw-archive"] = raw
    return out


def corpus_seeds():
    text = b"the cat sat on the mat\nthe dog\n\nate the cat\n"
    return {
        "plain": text,
        "no-final-newline": b"a b c\nd e",
        "whitespace-kinds": b"a\tb\x0bc\x0cd\re  f\r\n\n \n",
        "raw-bytes": b"caf\xc3\xa9 \xff\xfe \xed\xa0\x80 \x00x\x00 \xf0\x9f\x98\x80\n",
        "long-line": b"w " * 2000 + b"\n" + b"x" * 3000 + b"\n",
        "only-whitespace": b" \n\t\n",
        "gzip": gzip.compress(text, mtime=0),
        "bz2": bz2.compress(text),
        "xz": lzma.compress(text),
    }


SEEDS = {"text": text_seeds, "binary": binary_seeds, "model": model_seeds, "corpus": corpus_seeds}


def write_seeds(corpus_root):
    """Write every target's seeds to corpus_root/<target>/seed-<name>.bin; returns the number written."""
    n = 0
    for target, make in SEEDS.items():
        folder = os.path.join(corpus_root, target)
        os.makedirs(folder, exist_ok=True)
        for name, data in make().items():
            with open(os.path.join(folder, f"seed-{name}.bin"), "wb") as fh:
                fh.write(data)
            n += 1
    return n
