"""train_distributed(): vocabulary on the workers, then rounds of replica training and merging.

A round: every replica (one per Dask worker) trains its chunk of about sync_words words from the global
model of the previous round, with the multi-threaded C kernels of a single-node run; the driver merges the
replicas' row deltas (merge.py) and broadcasts the new values of the changed rows. The learning rate
follows the global word count across rounds and epochs, so it falls as in one long single-node run (times
a constant factor: replica_alpha_scale()).
"""
import logging
import math
import numbers
import os
import sys
import time
import uuid

import numpy as np

from ..model import Word2Vec
from .checkpoint import load_checkpoint, save_checkpoint
from .merge import MERGE_RULES, Merger, Rows, adaptive_rates
from .replica import STALE, Spec, Update, Weights, drop_job, train_round
from .shards import RoundPlan, split_ranges, stat_files
from .touches import model_update_rates
from .vocab import count_range, merge_counts

logger = logging.getLogger(__name__)

# Replicas train at alpha * replicas ** this (see replica_alpha_scale)
REPLICA_ALPHA_EXPONENT = 0.5
COUNT_BYTES = 32 << 20     # vocabulary: a counting task per this many bytes (at least two per worker)
UPDATES_KEPT = 4           # a task carries the last few updates, so a worker idle for a round catches up


def _need_dask():
    try:
        import distributed
    except ImportError:
        raise ImportError("w2vfast.distributed needs dask.distributed: pip install 'w2vfast[dask]'") from None
    return distributed


def _worker_addresses(client):
    # client.nthreads() asks the scheduler; scheduler_info()["workers"] can be momentarily empty while the
    # client's periodic refresh (which fetches no per-worker entries) overwrites its cache
    workers = sorted(client.nthreads())
    if not workers:
        raise RuntimeError("the Dask cluster has no workers: start some (dask worker SCHEDULER_ADDRESS) first")
    return workers


def _check_files(client, paths):
    """Sizes of the files, checked on every worker: all must see the same files."""
    seen = client.run(stat_files, paths)      # raises the first worker's error (it names file and worker)
    sizes = next(iter(seen.values()))
    for addr, s in seen.items():
        if s != sizes:
            raise ValueError(f"the workers see different corpus files: sizes {sizes} on one, {s} on {addr}; "
                             "the corpus must be on a path every worker reads the same")
    return sizes


def _build_vocab(client, model, paths, sizes, n_workers, trim_rule):
    total = sum(sizes)
    target = max(2 * n_workers, -(-total // COUNT_BYTES))
    ranges = split_ranges(sizes, [max(1, round(target * s / total)) for s in sizes])
    max_keys = 0 if model.max_vocab_size is None else model.max_vocab_size
    t0 = time.perf_counter()
    futures = [client.submit(count_range, paths[f], a, b, max_keys, model.max_sentence_length, pure=False)
               for f, a, b in ranges]
    results = client.gather(futures)
    keys, counts, words, sentences = merge_counts(results, [f for f, _, _ in ranges], model.max_sentence_length)
    logger.info("collected %d word types from %d words and %d sentences in %d ranges on %d workers in %.2fs",
                len(keys), words, sentences, len(ranges), n_workers, time.perf_counter() - t0)
    if words == 0:
        raise ValueError(f"the corpus {', '.join(map(repr, paths))} is empty: it has no tokens")
    model.corpus_count = sentences
    model.corpus_total_words = words
    model._prepare_vocab(keys, np.asarray(counts, dtype=np.int64), update=False, trim_rule=trim_rule)


def _matrices(model):
    return {name: m for name, m in (("syn0", model.wv.vectors), ("syn1neg", model.syn1neg),
                                    ("syn1", model.syn1)) if m is not None}


def _spec(model):
    from ..persist import SETTINGS

    v = model.vocabulary
    huffman = (v.codes, v.points, v.code_offsets) if model.hs else None
    return Spec({name: getattr(model, name) for name in SETTINGS}, v.index_to_key, v.counts, huffman,
                model.corpus_total_words)


def replica_alpha_scale(model, n_replicas, alpha_scale=None, merge="adaptive"):
    """The factor on the learning rate (alpha and min_alpha) that the n replicas of a round train with.

    The merge takes about the mean of the replicas' deltas for the rows every replica moves a long way in a
    round. That is right for the part of a row's move that settles on an optimum within the round, but the
    slow part (what the row's optimum does as the rest of the model learns) then advances 1/n as fast as in
    one process that trains the same words. With negative sampling, whose noise words put most output rows
    in every replica's round, the models came out undertrained (skip-gram, 4 workers: analogy 3.5 points
    below one process, with the word vectors' norms lower and the output rows' higher); CBOW with
    hierarchical softmax lost 1-2 points. So replicas train at alpha * sqrt(n) by default, except for
    skip-gram with hierarchical softmax alone: the "adaptive" constants of its rows were tuned on it with 4
    workers, so they already damp less, and the factor gained nothing there. merge="sum" damps nothing and
    keeps alpha too. `alpha_scale` (a number) overrides it. Measured in the README's "Scale out" section and
    bench/results/distributed.md.
    """
    if alpha_scale is not None:
        return float(alpha_scale)
    if merge == "sum" or (model.sg and model.hs and not model.negative):
        return 1.0
    return float(n_replicas) ** REPLICA_ALPHA_EXPONENT


def _alpha_at(model, frac):
    """The global schedule's learning rate once a share frac of all training words is done (linear, from
    alpha to min_alpha, as in one process)."""
    return model.alpha - (model.alpha - model.min_alpha) * min(frac, 1.0)


def _seed(seed, round_index, chunk):
    return (seed * 0x9E3779B97F4A7C15 + round_index * 1_000_003 + chunk + 1) % 2**64


def train_distributed(client, corpus_file=None, *, corpus_files=None, sync_words=1_000_000, merge="adaptive",
                      checkpoint=None, resume=False, on_round=None, trim_rule=None, alpha_scale=None,
                      **settings):
    """Train a Word2Vec on a Dask cluster; returns an ordinary w2vfast.Word2Vec.

    client : a dask.distributed.Client. Each of its workers holds one replica and trains it with
        `workers` threads (the Word2Vec setting; 1 for one Dask thread per worker).
    corpus_file / corpus_files : one uncompressed text file, or several (trained as if concatenated, each
        ending its last line), at paths every worker can read; the driver need not see them. Files are
        read by the workers in byte ranges; no text passes through the scheduler or the driver.
    sync_words : words each replica trains between two synchronisations (a round).
    merge : how replicas' deltas to one row combine: "adaptive" (default: between their sum for rows each
        replica updated a few times and their mean for rows each one updated often), "sqrt", "touched",
        "sum" or "average" (merge.py; measured in the README's "Scale out" section).
    alpha_scale : the factor on the replicas' learning rate; None (default): sqrt(replicas in the round),
        or 1 for skip-gram with hierarchical softmax alone and for merge="sum" (replica_alpha_scale()).
        The model's alpha and min_alpha stay the settings given.
    checkpoint : a path; the model is saved there (atomically) after every round, with PATH.progress.json.
    resume : continue from `checkpoint` if it exists (same corpus; settings come from the checkpoint).
    on_round : optional callable(info dict) run on the driver after every round.
    **settings : Word2Vec settings (vector_size, sg, hs, negative, window, epochs, alpha, seed, progress ...).

    Vocabulary and corpus_count / corpus_total_words are exactly those of single-node build_vocab on the
    same text (one file; several files give the sum of their own). Errors (missing, unreadable, empty or
    compressed files, on any worker) are raised here with the file and the worker named.
    """
    _need_dask()
    if (corpus_file is None) == (corpus_files is None):
        raise TypeError("pass exactly one of corpus_file=PATH or corpus_files=[PATH, ...]")
    paths = [os.fspath(corpus_file)] if corpus_file is not None else [os.fspath(p) for p in corpus_files]
    if not paths:
        raise ValueError("corpus_files is empty: give at least one file")
    if merge not in MERGE_RULES:
        raise ValueError(f"merge must be one of {', '.join(MERGE_RULES)}, got {merge!r}")
    if alpha_scale is not None and (isinstance(alpha_scale, bool) or not isinstance(alpha_scale, numbers.Real)
                                    or not math.isfinite(alpha_scale) or alpha_scale <= 0):
        raise ValueError(f"alpha_scale must be a positive number or None, got {alpha_scale!r}")
    sync_words = int(sync_words)
    if sync_words < 1:
        raise ValueError(f"sync_words must be at least 1, got {sync_words}")
    for name in ("sentences", "corpus_iterable", "callbacks"):
        if name in settings:
            raise TypeError(f"train_distributed does not take {name}: the corpus is read from files by the "
                            "workers (use on_round for a per-round hook)")
    addrs = _worker_addresses(client)
    sizes = _check_files(client, paths)

    progress_state = None
    if resume and checkpoint is not None and os.path.exists(checkpoint):
        model, progress_state = load_checkpoint(checkpoint)
        if progress_state.get("paths") != paths or progress_state.get("sizes") != sizes:
            raise ValueError(f"checkpoint {os.fspath(checkpoint)!r} was trained on other files "
                             f"({progress_state.get('paths')}, sizes {progress_state.get('sizes')})")
        sync_words, merge = progress_state["sync_words"], progress_state["merge"]
        alpha_scale = progress_state.get("alpha_scale")
        n_replicas = progress_state["n_replicas"]
        logger.info("resuming from %s after round %d", checkpoint, progress_state["round"])
    else:
        model = Word2Vec(**settings)
        _build_vocab(client, model, paths, sizes, len(addrs), trim_rule)
        n_replicas = len(addrs)
    _train(client, model, paths, sizes, sync_words, merge, n_replicas, checkpoint, progress_state, on_round,
           alpha_scale)
    return model


def _train(client, model, paths, sizes, sync_words, merge, n_replicas, checkpoint, state, on_round,
           alpha_scale):
    from concurrent.futures import CancelledError

    from distributed import wait
    from tqdm.auto import tqdm

    plan = RoundPlan(paths, sizes, model.corpus_total_words, sync_words, n_replicas)
    epochs = model.epochs
    total_rounds = plan.rounds_per_epoch * epochs
    total_words = model.corpus_total_words * epochs
    first_round = state["round"] if state else 0
    done = state["done"] if state else 0
    if state and state["epochs"] != epochs:
        raise ValueError(f"checkpoint has epochs={state['epochs']} in its progress but {epochs} in its model")
    matrices = _matrices(model)
    rates = adaptive_rates(model_update_rates(model)) if merge == "adaptive" else {}
    mergers = {name: Merger(m, merge, rates.get(name)) for name, m in matrices.items()}
    job = uuid.uuid4().hex
    spec_f = client.scatter(_spec(model), broadcast=True, hash=False)
    weights_f = client.scatter(Weights(first_round, {n: m.copy() for n, m in matrices.items()}),
                               broadcast=True, hash=False)
    updates = []                                  # (version, future) of the latest rounds
    show = model.progress if model.progress is not None else sys.stderr.isatty()
    bar = tqdm(total=total_words, initial=done, unit="word", unit_scale=True, disable=not show,
               desc="rounds")
    stats = {"rounds": 0, "bytes_up": 0, "bytes_down": 0, "resends": 0, "raw_words": 0, "effective_words": 0}
    stats["bytes_down"] += sum(m.nbytes for m in matrices.values()) * len(_worker_addresses(client))
    t_start = time.perf_counter()
    loss_total = 0.0
    try:
        for g in range(first_round, total_rounds):
            t0 = time.perf_counter()
            chunks = plan.round_chunks(g % plan.rounds_per_epoch)
            n = len(chunks)
            scale = replica_alpha_scale(model, n, alpha_scale, merge)
            schedule = (model.alpha * scale, model.min_alpha * scale, math.ceil(total_words / n), done // n)
            addrs = _worker_addresses(client)
            upd = [f for v, f in updates]

            def submit(i, c, weights):
                return client.submit(train_round, job, g, spec_f, upd, weights, [plan.chunks[c]], schedule,
                                     _seed(model.seed, g, c), workers=[addrs[i % len(addrs)]],
                                     allow_other_workers=True, pure=False, key=f"w2v-train-{job}-{g}-{c}")

            futures = {submit(i, c, weights_f if g == first_round else None): (i, c) for i, c in enumerate(chunks)}
            results = []
            full_f = None

            def resend(i, c, why):
                # the chunk again, with the whole round-g model: for a worker that lacks it, or after the
                # task's inputs died with a worker
                nonlocal full_f
                if full_f is None:
                    full_f = client.scatter(Weights(g, {n_: m.copy() for n_, m in matrices.items()}), hash=False)
                    stats["bytes_down"] += sum(m.nbytes for m in matrices.values())
                stats["resends"] += 1
                logger.info("round %d: chunk %d %s; resending it", g, c, why)
                futures[client.submit(train_round, job, g, spec_f, upd, full_f, [plan.chunks[c]], schedule,
                                       _seed(model.seed, g, c), pure=False,
                                       key=f"w2v-train-{job}-{g}-{c}-full{stats['resends']}")] = (i, c)

            while futures:
                batch = list(futures)
                try:
                    wait(batch)
                except CancelledError:                # (recent versions raise here when some were cancelled)
                    pass
                # Scattered inputs (settings, weights, earlier rounds' updates) are copied to every worker,
                # but Dask may drop the extra copies (its memory manager keeps one), and a worker that dies
                # with the last copy takes them along: the tasks that needed them come back cancelled. They
                # are sent again with fresh inputs that need nothing from earlier rounds.
                lost = [f for f in batch if f.status in ("cancelled", "lost")]
                if lost:
                    spec_f = client.scatter(_spec(model), broadcast=True, hash=False)
                    upd, full_f = [], None
                    del updates[:]
                    for f in lost:
                        resend(*futures.pop(f), "lost its inputs with a worker")
                kept = [f for f in batch if f not in lost]
                # all at once, so the replicas' deltas travel in parallel; re-raises a task's error here
                try:
                    values = client.gather(kept)
                except CancelledError:
                    continue                      # a result died with its worker after all: the next pass
                for f, res in zip(kept, values):
                    i, c = futures.pop(f)
                    if isinstance(res, str) and res == STALE:   # a restarted or new worker: send it the model
                        resend(i, c, "went to a worker without the model")
                    else:
                        results.append(res)
            up = 0
            for res in results:
                for name, rows in res["rows"].items():
                    mergers[name].add(rows)
                    up += rows.nbytes
            raw = sum(r["raw"] for r in results)
            # "adaptive": the replicas' learning rate in the middle of the round times the words of one replica
            exposure = scale * _alpha_at(model, (done + raw / 2) / total_words) * raw / max(len(results), 1)
            new_rows = {name: Rows.of(matrices[name], mg.apply(exposure)) for name, mg in mergers.items()}
            model._check_finite(g // plan.rounds_per_epoch, model.alpha)
            update = Update(g + 1, new_rows)
            n_workers = len(_worker_addresses(client))
            updates.append((g + 1, client.scatter(update, broadcast=True, hash=False)))
            del updates[:-UPDATES_KEPT]
            done += raw
            loss_total += sum(r["loss"] for r in results)
            elapsed = time.perf_counter() - t0
            down = update.nbytes * n_workers
            stats["rounds"] += 1
            stats["bytes_up"] += up
            stats["bytes_down"] += down
            stats["raw_words"] += raw
            stats["effective_words"] += sum(r["effective"] for r in results)
            model.total_train_time += elapsed
            model.min_alpha_yet_reached = max(model.min_alpha, _alpha_at(model, done / total_words))
            bar.update(raw)
            bar.set_postfix_str(f"round {g + 1}/{total_rounds}")
            logger.info("round %d/%d (epoch %d): %d words on %d replicas in %.2fs (slowest replica %.2fs), "
                        "%.0f words/s, %.1f MB up, %.1f MB down, %d rows changed", g + 1, total_rounds,
                        g // plan.rounds_per_epoch, raw, n, elapsed, max(r["seconds"] for r in results),
                        raw / max(elapsed, 1e-9), up / 1e6, down / 1e6, sum(len(r) for r in new_rows.values()))
            if checkpoint is not None:
                model.wv.invalidate_norms()
                save_checkpoint(model, checkpoint, {
                    "round": g + 1, "done": done, "epochs": epochs, "sync_words": sync_words, "merge": merge,
                    "alpha_scale": alpha_scale,
                    "n_replicas": n_replicas, "paths": paths, "sizes": sizes})
            if on_round is not None:
                on_round({"round": g + 1, "rounds": total_rounds, "words": raw, "seconds": elapsed,
                          "bytes_up": up, "bytes_down": down, "model": model})
    finally:
        bar.close()
        model.wv.invalidate_norms()
        try:
            client.run(drop_job, job)
        except Exception:                       # a worker gone for good must not hide the real error
            logger.warning("could not free the replicas of job %s on every worker", job)
    elapsed = time.perf_counter() - t_start
    model.train_count += 1
    model.running_training_loss = loss_total
    stats["seconds"] = elapsed
    model.last_train_stats = {"raw_words": stats["raw_words"], "effective_words": stats["effective_words"],
                              "seconds": elapsed}
    model.distributed_stats = stats
    logger.info("distributed training: %d rounds, %d raw words in %.1fs, %.0f words/s, %.1f MB up, %.1f MB "
                "down, %d resends", stats["rounds"], stats["raw_words"], elapsed,
                stats["raw_words"] / max(elapsed, 1e-9), stats["bytes_up"] / 1e6, stats["bytes_down"] / 1e6,
                stats["resends"])
