"""Phrase learning speed and agreement: w2vfast.Phrases against gensim 4's Phrases, and training with phrases
joined on the fly against plain corpus_file training.

    python bench/phrases.py --corpus PATH [--rounds 3] [--workers 2] [--min-count 5] [--threshold 10]

Every run is a separate child process (so its peak RSS is its own), and the runs alternate in a rotating
order round after round; the table gives the median and the worst wall time of each. Runs:
  w2vfast-file      Phrases(corpus_file=PATH, workers=--workers)
  w2vfast-file-1t   the same with one thread
  w2vfast-iter      Phrases(w2vfast.LineSentence(PATH))
  gensim            gensim.models.phrases.Phrases(gensim LineSentence(PATH)), the same settings
  train-plain       Word2Vec(corpus_file=PATH, epochs=1, workers=--workers): build_vocab + train
  train-phrases     the same with phrases=FrozenPhrases learned beforehand (not timed), joined in the reader
The exported phrase sets of the first w2vfast-file and gensim runs are compared key by key and score by score.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, os.pardir))


def child(spec):
    """Runs one measurement; prints a JSON line {seconds, rss_mb, ...}."""
    path, kind = spec["corpus"], spec["runner"]
    settings = dict(min_count=spec["min_count"], threshold=spec["threshold"])
    extra = {}
    if kind.startswith("w2vfast") or kind.startswith("train"):
        from w2vfast import LineSentence, Word2Vec
        from w2vfast.phrases import Phrases
    if kind.startswith("train"):
        frozen = Phrases(corpus_file=path, workers=spec["workers"], **settings).freeze() \
            if kind == "train-phrases" else None
        t = time.perf_counter()
        model = Word2Vec(corpus_file=path, phrases=frozen, epochs=1, workers=spec["workers"], vector_size=100)
        seconds = time.perf_counter() - t
        extra = {"train_seconds": model.last_train_stats["seconds"], "vocab": len(model.wv),
                 "raw_words": model.last_train_stats["raw_words"]}
    else:
        t = time.perf_counter()
        if kind == "w2vfast-file":
            model = Phrases(corpus_file=path, workers=spec["workers"], **settings)
        elif kind == "w2vfast-file-1t":
            model = Phrases(corpus_file=path, workers=1, **settings)
        elif kind == "w2vfast-iter":
            model = Phrases(LineSentence(path), **settings)
        else:
            from gensim.models.phrases import Phrases as GensimPhrases
            from gensim.models.word2vec import LineSentence as GensimLineSentence
            model = GensimPhrases(GensimLineSentence(path), **settings)
        seconds = time.perf_counter() - t
        t = time.perf_counter()
        exported = model.export_phrases()
        extra = {"export_seconds": time.perf_counter() - t, "keys": len(model.vocab)
                 if kind == "gensim" else len(model), "words": model.corpus_word_count}
        if spec.get("dump"):
            counts = {k: model.vocab.get(k, 0) for k in exported} if kind == "gensim" else \
                {k: model.counts.get(k) for k in exported}
            with open(spec["dump"], "w") as f:
                json.dump({"scores": exported, "counts": counts}, f)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "rss_mb": rss_mb, **extra}))


def run_child(spec):
    # single-threaded BLAS for every run (as the other benchmarks): OpenBLAS's threads spin for a while after
    # numpy is imported, on the cores the counting threads need
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", json.dumps(spec)],
                         capture_output=True, text=True, check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def compare(ours, theirs):
    a, b = ours["scores"], theirs["scores"]
    only_ours, only_theirs = sorted(set(a) - set(b)), sorted(set(b) - set(a))
    differing = [k for k in set(a) & set(b) if a[k] != b[k]]
    print(f"\nexported phrases: w2vfast {len(a)}, gensim {len(b)}; only w2vfast {len(only_ours)}, only gensim "
          f"{len(only_theirs)}; common with different scores {len(differing)}")
    for k in only_ours[:10]:
        print(f"  only w2vfast: {k} score {a[k]:.6g} count {ours['counts'][k]}")
    for k in only_theirs[:10]:
        print(f"  only gensim:  {k} score {b[k]:.6g} count {theirs['counts'][k]}")
    top_score = sorted(a.items(), key=lambda kv: (-kv[1], kv[0]))[:12]
    top_count = sorted(a, key=lambda k: (-ours["counts"][k], k))[:12]
    print("\ntop phrases by score:", ", ".join(f"{k} ({s:.0f}, n={ours['counts'][k]})" for k, s in top_score))
    print("top phrases by count:", ", ".join(f"{k} (n={ours['counts'][k]}, {a[k]:.1f})" for k in top_count))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--child")
    ap.add_argument("--corpus")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--min-count", type=int, default=5)
    ap.add_argument("--threshold", type=float, default=10.0)
    ap.add_argument("--runners", nargs="*", default=["w2vfast-file", "w2vfast-file-1t", "w2vfast-iter", "gensim",
                                                     "train-plain", "train-phrases"])
    args = ap.parse_args()
    if args.child:
        return child(json.loads(args.child))
    if not args.corpus:
        ap.error("--corpus is required")
    base = {"corpus": args.corpus, "workers": args.workers, "min_count": args.min_count, "threshold": args.threshold}
    results = {r: [] for r in args.runners}
    dumps = {}
    with tempfile.TemporaryDirectory() as tmp:
        for rnd in range(args.rounds):
            order = args.runners[rnd % len(args.runners):] + args.runners[:rnd % len(args.runners)]
            for r in order:
                spec = dict(base, runner=r)
                if rnd == 0 and r in ("w2vfast-file", "gensim"):
                    spec["dump"] = dumps[r] = os.path.join(tmp, f"{r}.json")
                res = run_child(spec)
                results[r].append(res)
                print(f"round {rnd + 1} {r:16s} {res['seconds']:7.2f} s  rss {res['rss_mb']:7.0f} MB", flush=True)
        loaded = {r: json.load(open(p)) for r, p in dumps.items()}

    def med(r):
        return statistics.median(x["seconds"] for x in results[r])

    def worst(r):
        return max(x["seconds"] for x in results[r])

    print("\n| run | median s | worst s | peak RSS MB | vs gensim (median) |")
    print("|---|---|---|---|---|")
    for r in args.runners:
        ratio = f"{med('gensim') / med(r):.1f}x" if "gensim" in results and not r.startswith("train") else ""
        print(f"| {r} | {med(r):.2f} | {worst(r):.2f} | {max(x['rss_mb'] for x in results[r]):.0f} | {ratio} |")
    if "train-plain" in results and "train-phrases" in results:
        tp = statistics.median(x["train_seconds"] for x in results["train-plain"])
        tf = statistics.median(x["train_seconds"] for x in results["train-phrases"])
        print(f"\ntraining (train() alone, median): plain {tp:.2f} s, phrases joined on the fly {tf:.2f} s "
              f"({(tf / tp - 1) * 100:+.1f}%); vocab {results['train-plain'][0]['vocab']} vs "
              f"{results['train-phrases'][0]['vocab']}, raw words {results['train-plain'][0]['raw_words']} vs "
              f"{results['train-phrases'][0]['raw_words']}")
    first = results[args.runners[0]][0]
    print(f"corpus: {first.get('words', '?')} words; table keys (unigrams + bigrams): "
          + ", ".join(f"{r} {results[r][0]['keys']}" for r in results if "keys" in results[r][0]))
    if len(loaded) == 2:
        compare(loaded["w2vfast-file"], loaded["gensim"])


if __name__ == "__main__":
    main()
