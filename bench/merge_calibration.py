"""Fit merge="adaptive"'s constants: replicas' summed deltas against the same chunks trained one after another.

    nice -n 19 python bench/merge_calibration.py --corpus corpus.txt --mode sg-hs --pretrain 1

Trains a model (2 threads) for `pretrain` of 5 epochs' learning-rate schedule, then, from that model and at
its learning rate, trains c = 2 and c = 4 chunks of --sync-words words each, once all from the same start
(replicas, one thread each, as train_distributed's workers do) and once one after another. For a row every
replica changed, w* = <sum of the deltas, sequential change> / |sum of the deltas|^2 is the scale of the
summed deltas that comes nearest the sequential result. The script prints w* by bins of x (as the
rule computes it with the current constants, merge.ADAPTIVE_RATE) beside the rule's w, and the multiplier m
of the current constants whose rule fits w* best (least squares weighted by |sum of the deltas|^2, so the
rows that move most count most). Runs in one process, without Dask.
"""
import argparse
import os
import sys
import uuid

import numpy as np

from compare import COMMON, MODES  # noqa: E402  (the side-by-side benchmark's settings)

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]   # bench/distributed.py shadows dask's

from w2vfast import Word2Vec  # noqa: E402
from w2vfast.distributed.driver import _matrices, _spec  # noqa: E402
from w2vfast.distributed.merge import adaptive_rates, adaptive_weights  # noqa: E402
from w2vfast.distributed.replica import Weights, train_round  # noqa: E402
from w2vfast.distributed.shards import RoundPlan  # noqa: E402
from w2vfast.distributed.touches import model_update_rates  # noqa: E402

def dense(rows, like):
    out = np.zeros_like(like)
    rows.apply_to(out)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--mode", default="sg-hs", choices=sorted(MODES))
    ap.add_argument("--pretrain", type=int, default=1, help="epochs trained first (of a 5-epoch schedule)")
    ap.add_argument("--sync-words", type=int, default=250_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    model = Word2Vec(**COMMON, seed=args.seed, **MODES[args.mode], workers=2, epochs=5, progress=False)
    model.build_vocab(corpus_file=args.corpus)
    total = model.corpus_total_words
    alpha = model.alpha - (model.alpha - model.min_alpha) * args.pretrain / 5
    if args.pretrain:
        model.train(corpus_file=args.corpus, total_words=total, epochs=args.pretrain, end_alpha=alpha)
    model.workers = 1
    spec = _spec(model)
    start = {n: a.copy() for n, a in _matrices(model).items()}
    rates = adaptive_rates(model_update_rates(model))
    plan = RoundPlan([args.corpus], [os.path.getsize(args.corpus)], total, args.sync_words, 4)
    middle = len(plan.chunks) // 2
    chunks = plan.chunks[middle:middle + 4]
    schedule = (alpha, alpha, 10 ** 12, 0)     # the learning rate stays at alpha

    def train(weights, i):
        res = train_round(uuid.uuid4().hex, 0, spec, [], Weights(0, {n: a.copy() for n, a in weights.items()}),
                          [chunks[i]], schedule, args.seed * 1000 + i)
        return {n: dense(r, weights[n]) for n, r in res["rows"].items()}, res["raw"]

    replicas = [train(start, i) for i in range(4)]
    words = np.mean([raw for _, raw in replicas])
    print(f"{args.mode}, {args.pretrain} epochs trained, alpha {alpha:.4f}, {words:.0f} words per chunk")
    # the chunks one after another, once: the first two are the sequential run for c = 2, all four for c = 4
    current, after = {n: a.copy() for n, a in start.items()}, {}
    for i in range(4):
        delta, _ = train(current, i)
        for n in current:
            current[n] += delta[n]
        after[i + 1] = {n: a.copy() for n, a in current.items()}
    for c in (2, 4):
        for name in start:
            summed = sum(replicas[i][0][name] for i in range(c))
            sequential = after[c][name] - start[name]
            every = np.all([np.any(replicas[i][0][name] != 0, axis=1) for i in range(c)], axis=0)
            energy = np.sum(summed * summed, axis=1)
            ok = every & (energy > 0)
            w_star = np.sum(summed * sequential, axis=1)[ok] / energy[ok]
            x = alpha * words * rates[name][ok]
            print(f"c={c} {name}: {ok.sum()} rows changed by every replica")
            edges = np.logspace(-3, 3, 13)
            for lo, hi in zip(edges, edges[1:]):
                sel = (x >= lo) & (x < hi)
                if sel.sum() >= 5:
                    print(f"  x in [{lo:7.3g}, {hi:7.3g}): {sel.sum():6d} rows, "
                          f"median w* {np.median(w_star[sel]):.3f}, rule {adaptive_weights(np.sqrt(lo * hi), c):.3f}")
            fits = [(np.sum(energy[ok] * (adaptive_weights(m * x, c) - w_star) ** 2), m)
                    for m in np.logspace(-1.5, 1.5, 31)]
            err, best = min(fits)
            sum_err = np.sum(energy[ok] * (1 - w_star) ** 2)
            print(f"  best multiplier of the current constant: {best:.2f} (weighted error {err:.4g}; "
                  f"the sum's {sum_err:.4g})")


if __name__ == "__main__":
    main()
