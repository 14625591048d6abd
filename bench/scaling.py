"""How training time and peak memory grow with corpus size on the corpus_file path.

    python bench/scaling.py --sizes 10M,100M,1B --workdir /big/scratch --mode cbow-ns --threads 2

For each size, a Zipf-distributed corpus (200,000-word vocabulary, 1,000 tokens per line, fixed-width
tokens so it is written at disk speed) is generated in --workdir, then one epoch is trained in a fresh
subprocess that reports the vocabulary-scan time, the training time and its peak RSS. Expected: time grows
linearly with the corpus, and peak memory is the model (which grows only with the vocabulary) plus an
overhead that stays flat. Corpora are deleted
afterwards unless --keep.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time

MODES = {"sg-ns": dict(sg=1, hs=0, negative=5), "cbow-ns": dict(sg=0, hs=0, negative=5),
         "sg-hs": dict(sg=1, hs=1, negative=0), "cbow-hs": dict(sg=0, hs=1, negative=0)}


def parse_size(text):
    text = text.strip().upper()
    scale = {"K": 10**3, "M": 10**6, "B": 10**9, "G": 10**9}.get(text[-1])
    return int(float(text[:-1]) * scale) if scale else int(text)


def generate(path, n_tokens, vocab=200_000, seed=0, exponent=1.05):
    """Write n_tokens Zipf-distributed tokens 'w000123' (7 bytes + separator each)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, vocab + 1) ** exponent
    cdf = np.cumsum(p / p.sum())
    table = np.array([f"w{i:06d} ".encode() for i in range(vocab)], dtype="S8").view(np.uint8).reshape(vocab, 8)
    chunk = 10_000_000
    with open(path, "wb") as fh:
        for start in range(0, n_tokens, chunk):
            n = min(chunk, n_tokens - start)
            ids = np.minimum(np.searchsorted(cdf, rng.random(n)), vocab - 1)
            rows = table[ids]
            rows[999::1000, 7] = ord("\n")
            rows[-1, 7] = ord("\n")
            fh.write(rows.tobytes())
    return path


def child(path, mode, threads, dim):
    from w2vfast import Word2Vec

    model = Word2Vec(vector_size=dim, window=5, min_count=5, sample=1e-3, workers=threads, progress=False,
                     **MODES[mode])
    t0 = time.perf_counter()
    model.build_vocab(corpus_file=path)
    vocab_s = time.perf_counter() - t0
    rss_after_vocab = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    model.train(corpus_file=path, total_words=model.corpus_total_words, epochs=1)
    train_s = time.perf_counter() - t0
    v = len(model.wv)
    print(json.dumps({"tokens": model.corpus_total_words, "vocab": v, "vocab_s": vocab_s, "train_s": train_s,
                      "rss_after_vocab_mb": rss_after_vocab,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "model_mb": v * dim * 4 * (1 + (model.syn1neg is not None) + (model.syn1 is not None)) / 2**20}))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="10M,100M")
    p.add_argument("--workdir", default="bench/out")
    p.add_argument("--mode", default="cbow-ns", choices=sorted(MODES))
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--dim", type=int, default=100)
    p.add_argument("--keep", action="store_true")
    p.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        path, mode, threads, dim = args.child
        child(path, mode, int(threads), int(dim))
        return 0
    os.makedirs(args.workdir, exist_ok=True)
    rows = []
    for size in args.sizes.split(","):
        n = parse_size(size)
        path = os.path.join(args.workdir, f"zipf_{size}.txt")
        t0 = time.perf_counter()
        if not os.path.exists(path) or os.path.getsize(path) != 8 * n:
            generate(path, n)
        gen_s = time.perf_counter() - t0
        proc = subprocess.run([sys.executable, __file__, "--child", path, args.mode, str(args.threads),
                               str(args.dim)], capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"run on {size} failed:\n{proc.stderr[-3000:]}")
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        rows.append(r)
        print(f"{size}: generated in {gen_s:.0f}s; vocab {r['vocab']:,} words scanned in {r['vocab_s']:.1f}s; "
              f"trained in {r['train_s']:.1f}s ({r['tokens'] / r['train_s'] / 1e6:.2f} M words/s); "
              f"peak RSS {r['peak_rss_mb']:.0f} MB (model {r['model_mb']:.0f} MB)", flush=True)
        if not args.keep:
            os.unlink(path)
    print(f"\n{args.mode}, {args.threads} threads, vector_size {args.dim}, 1 epoch, corpus_file path\n")
    print("| tokens | vocabulary | vocab scan s | train s | M words/s | s per 10M tokens | peak RSS MB | model MB "
          "| RSS - model MB |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['tokens']:,} | {r['vocab']:,} | {r['vocab_s']:.1f} | {r['train_s']:.1f} | "
              f"{r['tokens'] / r['train_s'] / 1e6:.2f} | {r['train_s'] / r['tokens'] * 1e7:.2f} | "
              f"{r['peak_rss_mb']:.0f} | {r['model_mb']:.0f} | {r['peak_rss_mb'] - r['model_mb']:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
