"""Side-by-side benchmark: w2vfast against gensim on the same corpus and settings, runs alternating.

    python bench/compare.py --corpus text.txt --modes sg-ns,cbow-ns,sg-hs,cbow-hs --threads 1,2 \
        --epochs 1 --seeds 1 --out bench/out

Each training run is its own subprocess (so peak RSS is that run's alone); the runs of one configuration
alternate between the libraries. Throughput is raw corpus words per second over the training call
(vocabulary building excluded and timed separately). With --eval, vectors are scored with gensim's own
evaluators (questions-words.txt analogies with restrict_vocab=30000, WordSim353 and SimLex-999 Spearman),
identically for both libraries. Both run with OPENBLAS_NUM_THREADS=1 (see run_child). Without --corpus a deterministic Zipf-distributed corpus is generated.
Writes results.md (markdown table), results.json and throughput PNG charts into --out.
"""
import argparse
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

MODES = {
    "sg-ns": dict(sg=1, hs=0, negative=5),
    "cbow-ns": dict(sg=0, hs=0, negative=5),
    "sg-hs": dict(sg=1, hs=1, negative=0),
    "cbow-hs": dict(sg=0, hs=1, negative=0),
}
COMMON = dict(vector_size=100, window=5, min_count=5, sample=1e-3)
RUNNERS = ["gensim-file", "w2vfast-file", "gensim-iter", "w2vfast-iter"]
# also available: w2vfast-gen, a plain Python generator (open + line.split()) instead of LineSentence;
# w2vfast-file-pw, corpus_file with alpha_schedule="per-worker" (gensim's corpus_file learning-rate schedule);
# w2vfast-file-np, corpus_file with private_rows=0 (every thread writes the shared rows, as before private rows),
# and w2vfast-file-pN with private_rows=N;
# gensim-file-1w, gensim corpus_file with one worker whatever --threads says (its schedule is then the global one);
# w2vfast-file-gensim / w2vfast-iter-gensim: w2vfast.gensim.Word2Vec, gensim's class trained by w2vfast
EXTRA_RUNNERS = ["w2vfast-gen", "w2vfast-file-pw", "w2vfast-file-np", "gensim-file-1w", "w2vfast-file-gensim",
                 "w2vfast-iter-gensim"]


def generate_zipf_corpus(path, n_tokens=2_000_000, vocab=50_000, seed=0):
    import numpy as np

    rng = np.random.default_rng(seed)
    ranks = np.arange(1, vocab + 1)
    p = 1.0 / ranks
    p /= p.sum()
    with open(path, "w") as fh:
        for start in range(0, n_tokens, 1_000_000):
            ids = rng.choice(vocab, size=min(1_000_000, n_tokens - start), p=p)
            words = np.char.add("w", ids.astype(str))
            for line in range(0, len(words), 1000):
                fh.write(" ".join(words[line:line + 1000]) + "\n")
    return path


def evaluate(keys, vectors):
    from gensim.models import KeyedVectors
    from gensim.test.utils import datapath

    kv = KeyedVectors(vectors.shape[1])
    kv.add_vectors(keys, vectors)
    analogy = kv.evaluate_word_analogies(datapath("questions-words.txt"), restrict_vocab=30000)[0]
    ws = kv.evaluate_word_pairs(datapath("wordsim353.tsv"))[1][0]
    simlex = kv.evaluate_word_pairs(datapath("simlex999.txt"))[1][0]
    return {"analogy": analogy, "ws353": ws, "simlex": simlex}


class _SplitLines:
    """The simplest restartable corpus a user writes: a generator of line.split() over the file."""

    def __init__(self, path):
        self.path = path

    def __iter__(self):
        with open(self.path, encoding="utf-8", errors="surrogateescape") as f:
            for line in f:
                yield line.split()


def child(spec):
    """One training run; prints a JSON line with its measurements."""
    impl, source, *variant = spec["runner"].split("-")
    params = dict(COMMON, **MODES[spec["mode"]], workers=1 if variant == ["1w"] else spec["threads"],
                  seed=spec["seed"])
    epochs = spec["epochs"]
    path = spec["corpus"]
    if impl == "gensim":
        from gensim.models import Word2Vec
        from gensim.models.word2vec import LineSentence
        model = Word2Vec(**params)
    else:
        from w2vfast import LineSentence, Word2Vec
        if variant == ["gensim"]:
            from w2vfast.gensim import Word2Vec
        model = Word2Vec(**params, shared_negatives=spec.get("shared_negatives", False), progress=False,
                         alpha_schedule="per-worker" if variant == ["pw"] else "global",
                         private_rows=0 if variant == ["np"] else
                         int(variant[0][1:]) if variant and variant[0][:1] == "p" and variant[0][1:].isdigit() else None)
    t0 = time.perf_counter()
    if source == "file":
        model.build_vocab(corpus_file=path)
    else:
        corpus = LineSentence(path) if source == "iter" else _SplitLines(path)
        model.build_vocab(corpus)
    vocab_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    if source == "file":
        model.train(corpus_file=path, total_words=model.corpus_total_words, epochs=epochs)
    else:
        model.train(corpus, total_examples=model.corpus_count, epochs=epochs)
    train_s = time.perf_counter() - t0
    out = {**spec, "vocab_s": vocab_s, "train_s": train_s, "words": model.corpus_total_words * epochs,
           "words_per_s": model.corpus_total_words * epochs / train_s,
           "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    if spec.get("eval"):
        out.update(evaluate(list(model.wv.index_to_key), model.wv.vectors))
    print(json.dumps(out))


def run_child(spec):
    # Both libraries run with single-threaded BLAS: gensim calls only level-1 BLAS from its own threads, and
    # idle OpenBLAS worker threads would otherwise spin on the cores being measured.
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, __file__, "--child", json.dumps(spec)], capture_output=True, text=True,
                          env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"run {spec} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    from w2vfast._kernels import simd_level
    return f"{cpu}, {os.cpu_count()} cores, w2vfast SIMD: {simd_level()}, Python {platform.python_version()}"


def quality_table(results, runners):
    """Mean scores over the seeds, one column per runner, and each w2vfast runner's difference from
    gensim-file in points (hundredths)."""
    scored = [n for n in runners if any(r["runner"] == n and "analogy" in r for r in results)]
    metrics = [("analogy", "analogy"), ("ws353", "WS353"), ("simlex", "SimLex")]
    head = ["mode"] + [f"{label} {n}" for _, label in metrics for n in scored]
    ours = [n for n in scored if n.startswith("w2vfast")]
    if "gensim-file" in scored:
        head += [f"{n} - gensim-file (points)" for n in ours]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for mode in sorted({r["mode"] for r in results}):
        def mean(name, key):
            vals = [r[key] for r in results if r["mode"] == mode and r["runner"] == name and key in r]
            return statistics.mean(vals) if vals else float("nan")
        cells = [f"{mean(n, key):.3f}" for key, _ in metrics for n in scored]
        if "gensim-file" in scored:
            cells += [" / ".join(_points(mean(n, key) - mean("gensim-file", key)) for key, _ in metrics)
                      for n in ours]
        lines.append(f"| {mode} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _points(diff):
    points = round(100 * diff, 1)
    return f"{points + 0.0:+.1f}" if points else "0.0"   # no "-0.0"


def _bold_ratio(ratio):
    return "-" if math.isnan(ratio) else f"**{ratio:.2f}x**"


def summarise(results, runners):
    rows = {}
    for r in results:
        rows.setdefault((r["mode"], r["threads"]), {}).setdefault(r["runner"], []).append(r)
    lines = ["| mode | threads | " + " | ".join(f"{n} words/s" for n in runners)
             + " | ratio (w2vfast-file / gensim-file) | w2vfast iterable / file "
             + "| peak RSS MB (gensim / w2vfast, file) "
             + "| vocab scan s (gensim / w2vfast, file) | analogy (g / w) | WS353 (g / w) | SimLex (g / w) |",
             "|" + "---|" * (len(runners) + 9)]
    summary = []
    for (mode, threads), by in sorted(rows.items()):
        med = {n: statistics.median(x["words_per_s"] for x in by[n]) for n in by}
        ratio = med.get("w2vfast-file", 0) / med["gensim-file"] if "gensim-file" in med else float("nan")
        # how close the iterable paths come to corpus_file: LineSentence (iter), a plain generator (gen)
        shares = [f"{name.split('-')[1]} {med[name] / med['w2vfast-file']:.0%}"
                  for name in ("w2vfast-iter", "w2vfast-gen") if name in med and "w2vfast-file" in med]

        def mean_of(name, key):
            vals = [x[key] for x in by.get(name, []) if key in x]
            return statistics.mean(vals) if vals else None

        def pair(key):
            g, w = mean_of("gensim-file", key), mean_of("w2vfast-file", key)
            return "-" if g is None or w is None else f"{g:.3f} / {w:.3f}"

        rss = f"{mean_of('gensim-file', 'peak_rss_mb') or 0:.0f} / {mean_of('w2vfast-file', 'peak_rss_mb') or 0:.0f}"
        scan = f"{mean_of('gensim-file', 'vocab_s') or 0:.2f} / {mean_of('w2vfast-file', 'vocab_s') or 0:.2f}"
        cells = [f"{med[n] / 1e6:.2f} M" if n in med else "-" for n in runners]
        lines.append(f"| {mode} | {threads} | " + " | ".join(cells) + f" | {_bold_ratio(ratio)} | {', '.join(shares) or '-'} | "
                     f"{rss} | {scan} | "
                     f"{pair('analogy')} | {pair('ws353')} | {pair('simlex')} |")
        summary.append({"mode": mode, "threads": threads, "median_words_per_s": med, "ratio": ratio,
                        **{k: (mean_of("gensim-file", k), mean_of("w2vfast-file", k))
                           for k in ("analogy", "ws353", "simlex")}})
    return "\n".join(lines), summary


def charts(summary, out_dir, runners):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no charts", file=sys.stderr)
        return []
    paths = []
    threads = sorted({s["threads"] for s in summary})
    modes = sorted({s["mode"] for s in summary}, key=list(MODES).index)
    for t in threads:
        fig, ax = plt.subplots(figsize=(7, 3.6))
        width = 0.8 / len(runners)
        for k, name in enumerate(runners):
            vals = [next((s["median_words_per_s"].get(name, 0) for s in summary
                          if s["mode"] == m and s["threads"] == t), 0) / 1e6 for m in modes]
            ax.bar([i + k * width for i in range(len(modes))], vals, width, label=name)
        ax.set_xticks([i + width * (len(runners) - 1) / 2 for i in range(len(modes))], modes)
        ax.set_ylabel("M raw words / s")
        ax.set_title(f"Training throughput, {t} thread{'s' if t > 1 else ''}")
        ax.legend(fontsize=8)
        fig.tight_layout()
        path = os.path.join(out_dir, f"throughput_{t}threads.png")
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths.append(path)
    if len(threads) > 1:
        fig, ax = plt.subplots(figsize=(6, 3.6))
        for m in modes:
            for name, style in (("w2vfast-file", "-o"), ("gensim-file", "--s")):
                ys = [next((s["median_words_per_s"].get(name, 0) for s in summary
                            if s["mode"] == m and s["threads"] == t), 0) / 1e6 for t in threads]
                ax.plot(threads, ys, style, label=f"{name.split('-')[0]} {m}")
        ax.set_xlabel("threads")
        ax.set_ylabel("M raw words / s")
        ax.set_title("Thread scaling (corpus_file)")
        ax.legend(fontsize=7)
        fig.tight_layout()
        path = os.path.join(out_dir, "thread_scaling.png")
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths.append(path)
    return paths


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--corpus", help="plain text corpus (default: generate a Zipf corpus)")
    p.add_argument("--modes", default="sg-ns,cbow-ns,sg-hs,cbow-hs")
    p.add_argument("--threads", default="2")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--seeds", default="1")
    p.add_argument("--runners", default=",".join(RUNNERS),
                   help="which of " + ",".join(RUNNERS + EXTRA_RUNNERS) + " to run")
    p.add_argument("--eval", action="store_true", help="score vectors (analogies, WS353, SimLex)")
    p.add_argument("--shared-negatives", action="store_true", help="w2vfast runs use shared_negatives=True")
    p.add_argument("--out", default="bench/out")
    p.add_argument("--child", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        child(json.loads(args.child))
        return 0
    os.makedirs(args.out, exist_ok=True)
    corpus = args.corpus or generate_zipf_corpus(os.path.join(args.out, "zipf_corpus.txt"))
    runners = [r for r in args.runners.split(",") if r]
    unknown = sorted(r for r in set(runners) - set(RUNNERS + EXTRA_RUNNERS)
                     if not (r.startswith("w2vfast-file-p") and r[len("w2vfast-file-p"):].isdigit()))
    if unknown:
        p.error(f"unknown runner(s): {', '.join(unknown)}")
    results = []
    for mode in args.modes.split(","):
        for threads in map(int, args.threads.split(",")):
            for seed in map(int, args.seeds.split(",")):
                order = runners if seed % 2 else runners[::-1]  # alternate which library goes first
                for runner in order:
                    spec = dict(runner=runner, mode=mode, threads=threads, seed=seed, epochs=args.epochs,
                                corpus=os.path.abspath(corpus), eval=args.eval and args.corpus is not None,
                                shared_negatives=args.shared_negatives)
                    r = run_child(spec)
                    results.append(r)
                    print(f"{mode:8s} threads={threads} seed={seed} {runner:13s} "
                          f"{r['words_per_s'] / 1e6:6.2f} M words/s  train {r['train_s']:6.1f}s  "
                          f"vocab {r['vocab_s']:5.2f}s  rss {r['peak_rss_mb']:6.0f} MB"
                          + (f"  analogy {r['analogy']:.3f} ws353 {r['ws353']:.3f} simlex {r['simlex']:.3f}"
                             if "analogy" in r else ""), flush=True)
    table, summary = summarise(results, runners)
    if any("analogy" in r for r in results):
        table += "\n\n" + quality_table(results, runners)
    command = "python bench/compare.py " + " ".join(a for a in (argv if argv is not None else sys.argv[1:]))
    header = (f"Settings: vector_size=100, window=5, negative=5 (NS modes), sample=1e-3, min_count=5, "
              f"epochs={args.epochs}, seeds={args.seeds}{', shared_negatives' if args.shared_negatives else ''}."
              f"\nMachine: {machine()}. Date: {time.strftime('%Y-%m-%d')}.\nCommand: `{command}`\n")
    with open(os.path.join(args.out, "results.md"), "w") as fh:
        fh.write(header + "\n" + table + "\n")
    with open(os.path.join(args.out, "results.json"), "w") as fh:
        json.dump({"runs": results, "summary": summary}, fh, indent=1)
    pngs = charts(summary, args.out, runners)
    print("\n" + header + "\n" + table)
    print("wrote", ", ".join([os.path.join(args.out, "results.md")] + pngs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
