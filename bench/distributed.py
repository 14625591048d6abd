"""Single process against w2vfast.distributed on a local Dask cluster: throughput and quality.

    nice -n 19 python bench/distributed.py --corpus corpus.txt --epochs 5 --seeds 1,2,3 \
        --configs single:2,dask:2x1,dask:4x1 --merges adaptive --out bench/results

single:T trains one Word2Vec with T threads (corpus_file); dask:NxT starts a LocalCluster of N worker
processes with one Dask thread each and trains with train_distributed(workers=T), one replica per worker.
Throughput is raw corpus words per second of the training loop (vocabulary and cluster start excluded;
for Dask it includes every round's merge and broadcast). Vectors are scored with bench/compare.py's
evaluate() (analogies restricted to 30000 words, WS353 and SimLex-999 Spearman). Each dask config runs
once per merge rule given in --merges. Writes distributed.md and distributed.json into --out.

spark:N (optional; needs `pip install pyspark` and a Java runtime) trains Spark MLlib's Word2Vec in local
mode with N partitions on N cores: skip-gram with hierarchical softmax (the only model it has), the same
vector_size, window, min_count, epochs (maxIter) and seed, the lines of the file as sentences, and no
subsampling (it has none). Its vectors are ordered by corpus frequency before the same evaluation.
"""
import argparse
import json
import logging
import os
import statistics
import sys
import time

import numpy as np

for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = "1"   # idle BLAS threads must not spin on the cores being measured

# This file's name would shadow the `distributed` package that dask.distributed imports: drop its folder
# from the path and load compare.py (its neighbour) by file name instead.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]


def _load_compare():
    import importlib.util

    spec = importlib.util.spec_from_file_location("w2vfast_bench_compare", os.path.join(_HERE, "compare.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_compare = _load_compare()
COMMON, MODES, evaluate, machine = _compare.COMMON, _compare.MODES, _compare.evaluate, _compare.machine


def run_single(path, params, epochs, threads):
    from w2vfast import Word2Vec

    model = Word2Vec(**params, workers=threads, epochs=epochs, progress=False)
    t0 = time.perf_counter()
    model.build_vocab(corpus_file=path)
    vocab_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    model.train(corpus_file=path, total_words=model.corpus_total_words, epochs=epochs)
    train_s = time.perf_counter() - t0
    return model, {"vocab_s": vocab_s, "train_s": train_s, "words": model.corpus_total_words * epochs}


def run_dask(client, path, params, epochs, threads, merge, sync_words, alpha_scale=None):
    from w2vfast.distributed import train_distributed

    t0 = time.perf_counter()
    model = train_distributed(client, corpus_file=path, sync_words=sync_words, merge=merge, workers=threads,
                              alpha_scale=alpha_scale,
                              epochs=epochs, progress=False, **params)
    total_s = time.perf_counter() - t0
    st = model.distributed_stats
    return model, {"vocab_s": total_s - st["seconds"], "train_s": st["seconds"], "words": st["raw_words"],
                   "rounds": st["rounds"], "mb_up": st["bytes_up"] / 1e6, "mb_down": st["bytes_down"] / 1e6,
                   "resends": st["resends"]}


def run_spark(path, params, epochs, partitions):
    from collections import Counter

    try:
        from pyspark.ml.feature import Word2Vec as SparkWord2Vec
        from pyspark.sql import SparkSession
    except ImportError:
        sys.exit("bench/distributed.py: spark:N needs pyspark (pip install pyspark) and a Java runtime")

    spark = (SparkSession.builder.master(f"local[{partitions}]").appName("w2vfast-bench")
             .config("spark.driver.memory", "6g").config("spark.ui.enabled", "false").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    try:
        lines = spark.sparkContext.textFile(path, partitions).map(lambda line: (line.split(),))
        df = spark.createDataFrame(lines, ["tokens"]).filter("size(tokens) > 0").cache()
        words = df.rdd.map(lambda r: len(r[0])).sum()
        w2v = SparkWord2Vec(vectorSize=params["vector_size"], windowSize=params["window"],
                            minCount=params["min_count"], numPartitions=partitions, maxIter=epochs,
                            seed=params["seed"], stepSize=0.025, inputCol="tokens", outputCol="vec")
        t0 = time.perf_counter()
        fitted = w2v.fit(df)
        train_s = time.perf_counter() - t0
        found = {r["word"]: r["vector"].toArray() for r in fitted.getVectors().collect()}
    finally:
        spark.stop()
    counts = Counter()
    with open(path, encoding="utf-8", errors="surrogateescape") as fh:
        for line in fh:
            counts.update(line.split())
    keys = sorted(found, key=lambda w: (-counts[w], w))
    vectors = np.array([found[w] for w in keys], dtype=np.float32)
    return keys, vectors, {"vocab_s": 0.0, "train_s": train_s, "words": words * epochs}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--mode", default="sg-hs", choices=sorted(MODES))
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--configs", default="single:2,dask:2x1,dask:4x1")
    ap.add_argument("--merges", default="adaptive")
    ap.add_argument("--sync-words", type=int, default=250_000)
    ap.add_argument("--alpha-scale", default="default",
                    help="train_distributed's alpha_scale: default (its own choice), sqrt (sqrt of the workers) "
                         "or a number")
    ap.add_argument("--out", default="bench/out")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    params = dict(COMMON, **MODES[args.mode])
    seeds = [int(s) for s in args.seeds.split(",")]
    rows = []
    for config in args.configs.split(","):
        kind, shape = config.split(":")
        if kind == "single":
            for seed in seeds:
                model, out = run_single(args.corpus, dict(params, seed=seed), args.epochs, int(shape))
                rows.append(dict(config=config, merge="-", seed=seed, **out, **evaluate(model.wv.index_to_key,
                                                                                         model.wv.vectors)))
                print(json.dumps(rows[-1]), flush=True)
            continue
        if kind == "spark":
            for seed in seeds:
                keys, vectors, out = run_spark(args.corpus, dict(params, seed=seed), args.epochs, int(shape))
                rows.append(dict(config=config, merge="-", seed=seed, **out, **evaluate(keys, vectors)))
                print(json.dumps(rows[-1]), flush=True)
            continue
        from dask.distributed import Client, LocalCluster

        n, threads = (int(x) for x in shape.split("x"))
        with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
                Client(cluster) as client:
            for merge in args.merges.split(","):
                for seed in seeds:
                    scale = None if args.alpha_scale == "default" else \
                        n ** 0.5 if args.alpha_scale == "sqrt" else float(args.alpha_scale)
                    model, out = run_dask(client, args.corpus, dict(params, seed=seed), args.epochs, threads,
                                          merge, args.sync_words, scale)
                    rows.append(dict(config=config, merge=merge, seed=seed, **out,
                                     **evaluate(model.wv.index_to_key, model.wv.vectors)))
                    print(json.dumps(rows[-1]), flush=True)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "distributed.json"), "w") as fh:
        json.dump({"args": vars(args), "machine": machine(), "runs": rows}, fh, indent=1)
    lines = [f"Mode {args.mode}, {', '.join(f'{k}={v}' for k, v in COMMON.items())}, epochs={args.epochs}, "
             f"seeds={args.seeds}, sync_words={args.sync_words}, alpha_scale={args.alpha_scale}. "
             f"Machine: {machine()}.",
             "", "| config | merge | words/s (mean) | rounds | MB up / down per run | analogy | WS353 | SimLex |",
             "|---|---|---|---|---|---|---|---|"]
    groups = {}
    for r in rows:
        groups.setdefault((r["config"], r["merge"]), []).append(r)
    for (config, merge), rs in groups.items():
        def m(key):
            return statistics.mean(r[key] for r in rs)

        def score(key):       # mean, and the range over the seeds
            lo, hi = min(r[key] for r in rs), max(r[key] for r in rs)
            return f"{m(key):.3f}" + (f" ({lo:.3f}-{hi:.3f})" if len(rs) > 1 else "")
        traffic = f"{m('mb_up'):.0f} / {m('mb_down'):.0f}" if "mb_up" in rs[0] else "-"
        lines.append(f"| {config} | {merge} | {m('words') / m('train_s') / 1e6:.2f} M | "
                     f"{rs[0].get('rounds', '-')} | {traffic} | {score('analogy')} | {score('ws353')} | "
                     f"{score('simlex')} |")
    with open(os.path.join(args.out, "distributed.md"), "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
