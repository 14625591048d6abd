"""Time w2vfast's word2vec-format loaders and analogy evaluation against gensim's, side by side.

    python bench/load_speed.py --workdir /some/scratch/dir [--vocab 1000000] [--dim 300]
                               [--text-vocab 1000000] [--eval-vocab 30000] [--repeat 3]

Writes a random V x D binary file (1M x 300 is 1.2 GB) and a text file under --workdir (reused on later
runs), reads each once to warm the page cache, then reports the best of --repeat timed loads for each
library and the ratio. The analogy benchmark evaluates questions-words.txt (from gensim's test data, or --analogies) on
planted random vectors over a vocabulary of --eval-vocab words that includes the file's words.
"""
import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from w2vfast.evaluate import evaluate_word_analogies  # noqa: E402
from w2vfast.io import write_word2vec_format  # noqa: E402
from w2vfast.keyedvectors import KeyedVectors  # noqa: E402


def make_file(path, vocab, dim, binary, seed=0):
    if os.path.exists(path):
        return False
    rng = np.random.default_rng(seed)
    # word lengths vary like a real vocabulary's; a few non-ASCII words
    keys = [f"w{i}" + "x" * (i % 11) for i in range(vocab)]
    for i in range(0, vocab, 997):
        keys[i] = f"ünï{i}"
    vectors = rng.standard_normal((vocab, dim), dtype=np.float32)
    write_word2vec_format(path, keys, vectors, binary=binary)
    return True


def warm(path):
    with open(path, "rb") as f:
        while f.read(64 << 20):
            pass


def best_time(fn, repeat):
    best, result = float("inf"), None
    for _ in range(repeat):
        result = None
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def bench_load(path, binary, repeat, with_gensim):
    warm(path)
    ours_t, ours = best_time(lambda: KeyedVectors.load_word2vec_format(path, binary=binary), repeat)
    row = {"file": os.path.basename(path), "bytes": os.path.getsize(path), "vectors": len(ours),
           "w2vfast_s": round(ours_t, 3)}
    if with_gensim:
        from gensim.models import KeyedVectors as GensimKV
        del ours
        gensim_t, theirs = best_time(lambda: GensimKV.load_word2vec_format(path, binary=binary), repeat)
        ours = KeyedVectors.load_word2vec_format(path, binary=binary)
        assert ours.index_to_key == theirs.index_to_key, "keys differ"
        assert np.array_equal(ours.vectors, theirs.vectors), "vectors differ"
        row.update(gensim_s=round(gensim_t, 3), speedup=round(gensim_t / ours_t, 2))
    return row


def eval_vectors(vocab, dim, analogies, seed=0, noise=1.0):
    """Vectors over the analogy file's words plus filler words, up to `vocab` keys. Each word pair of a
    section is planted as x and x + the section's offset + noise, so that a fair share of the questions
    has the right answer (and the two libraries' accuracies are worth comparing)."""
    rng = np.random.default_rng(seed)
    vec, offset = {}, None
    with open(analogies) as f:
        for line in f:
            if line.startswith(":"):
                offset = rng.standard_normal(dim)
                continue
            w = line.lower().split()
            if len(w) != 4:
                continue
            for x, y in ((w[0], w[1]), (w[2], w[3])):
                if x not in vec:
                    vec[x] = rng.standard_normal(dim)
                if y not in vec:
                    vec[y] = vec[x] + offset + noise * rng.standard_normal(dim)
    keys = list(vec) + [f"filler{i}" for i in range(max(0, vocab - len(vec)))]
    rng.shuffle(keys)
    vectors = np.stack([vec[k] if k in vec else rng.standard_normal(dim) for k in keys]).astype(np.float32)
    return KeyedVectors.from_arrays(keys, vectors)


def bench_eval(vocab, dim, repeat, with_gensim, path):
    kv = eval_vectors(vocab, dim, path)
    row = {"vocab": len(kv), "dim": dim}
    for func in ("3CosAdd", "3CosMul"):
        t, (score, _) = best_time(lambda: evaluate_word_analogies(kv, path, similarity_function=func), repeat)
        row[f"w2vfast_{func}_s"] = round(t, 3)
        row[f"w2vfast_{func}_accuracy"] = score
    if with_gensim:
        g = kv.to_gensim()
        t, (score, _) = best_time(lambda: g.evaluate_word_analogies(path), 1)
        row.update(gensim_s=round(t, 3), gensim_accuracy=score, speedup=round(t / row["w2vfast_3CosAdd_s"], 1))
    return row


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workdir", required=True, help="where the generated vector files go")
    p.add_argument("--vocab", type=int, default=1_000_000, help="vectors in the binary file")
    p.add_argument("--text-vocab", type=int, default=None, help="vectors in the text file (default: --vocab)")
    p.add_argument("--dim", type=int, default=300)
    p.add_argument("--eval-vocab", type=int, default=30_000)
    p.add_argument("--eval-dim", type=int, default=300)
    p.add_argument("--analogies", help="analogy file (default: questions-words.txt from gensim's test data)")
    p.add_argument("--repeat", type=int, default=3, help="timed runs per measurement (best is kept)")
    p.add_argument("--only", choices=["binary", "text", "eval"], action="append",
                   help="run only these parts (repeatable)")
    p.add_argument("--no-gensim", action="store_true", help="time w2vfast alone")
    p.add_argument("--json", help="also write the results here")
    args = p.parse_args(argv)

    with_gensim = not args.no_gensim
    if with_gensim:
        try:
            import gensim
            print(f"gensim {gensim.__version__}, numpy {np.__version__}")
        except ImportError:
            print("gensim is not installed: timing w2vfast alone")
            with_gensim = False
    parts = args.only or ["binary", "text", "eval"]
    os.makedirs(args.workdir, exist_ok=True)
    results = {}
    for fmt in ("binary", "text"):
        if fmt not in parts:
            continue
        binary = fmt == "binary"
        vocab = args.vocab if binary else (args.text_vocab or args.vocab)
        path = os.path.join(args.workdir, f"vectors_{vocab}x{args.dim}.{'bin' if binary else 'txt'}")
        t0 = time.perf_counter()
        if make_file(path, vocab, args.dim, binary):
            print(f"wrote {path} in {time.perf_counter() - t0:.1f}s")
        row = bench_load(path, binary, args.repeat, with_gensim)
        results[fmt] = row
        print(f"{fmt:6s} load {row['vectors']} x {args.dim} ({row['bytes'] / 1e6:.0f} MB): "
              f"w2vfast {row['w2vfast_s']:.3f}s"
              + (f", gensim {row['gensim_s']:.3f}s, speedup x{row['speedup']}" if with_gensim else ""), flush=True)
    analogies = args.analogies
    if "eval" in parts and analogies is None:
        try:
            from gensim.test.utils import datapath
            analogies = datapath("questions-words.txt")
        except ImportError:
            print("no --analogies file and no gensim to take questions-words.txt from: analogy benchmark skipped")
    if "eval" in parts and analogies is not None:
        row = bench_eval(args.eval_vocab, args.eval_dim, args.repeat, with_gensim, analogies)
        results["analogies"] = row
        line = (f"analogies on {row['vocab']} x {row['dim']}: w2vfast 3CosAdd {row['w2vfast_3CosAdd_s']:.3f}s "
                f"(3CosMul {row['w2vfast_3CosMul_s']:.3f}s), accuracy {row['w2vfast_3CosAdd_accuracy']:.4f}")
        if with_gensim:
            line += (f"; gensim {row['gensim_s']:.3f}s, accuracy {row['gensim_accuracy']:.4f}, "
                     f"speedup x{row['speedup']}")
        print(line)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
