"""Words per second of w2vfast's kernels against gensim's Word2Vec, side by side in one run.

    python bench/kernel_speed.py --corpus PATH [--threads 2] [--modes sg-ns,cbow-ns,sg-hs,cbow-hs]
                                 [--repeat 3] [--analogies] [--no-gensim]

The corpus is plain text, whitespace-separated tokens, one sentence per line. The vocabulary arrays are built
here with NumPy (min_count, descending counts, word2vec.c subsampling thresholds, an alias table over
counts**0.75, Huffman codes) and the corpus is encoded to int32 ids once; the timed part is one epoch of
KernelWorker.train over --threads Python threads pulling ~10,000-word jobs. gensim's
Word2Vec(corpus_file=...) is timed on the same settings in the same run (its time includes reading the file,
ours does not: the encoding is done up front). Both rates are raw corpus words (out-of-vocabulary tokens
included) per second of training wall time; the medians over --repeat runs are printed. On a machine shared
with other work the wall-clock rates swing with the load, so the rates per CPU second (the process's CPU time
over the training, all threads together) are printed as well: they are steadier.

--analogies also scores every SG-NS model of each side on questions-words.txt (restrict_vocab=30000)
through gensim's KeyedVectors, to check that speed did not cost quality. gensim's corpus_file mode differs
from the timed w2vfast runs in two ways that matter for a one-epoch score: each of its N workers reads its own
contiguous 1/N of the file (the timed runs hand out jobs in file order), and each decays the learning rate
by its own progress, so alpha only falls to alpha - (alpha - min_alpha) / N. For a like-for-like score an
extra untimed w2vfast SG-NS model is trained the same way (contiguous parts, same alpha end point).
"""
import argparse
import collections
import os
import statistics
import sys
import threading
import time

# Level-1 BLAS (gensim's) never needs threads, and idle OpenBLAS threads spin on the two cores we time.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from w2vfast import _kernels as K  # noqa: E402
from w2vfast import reference as ref  # noqa: E402

MODES = {  # name: (sg, hs, negative)
    "sg-ns": (1, 0, 5),
    "cbow-ns": (0, 0, 5),
    "sg-hs": (1, 1, 0),
    "cbow-hs": (0, 1, 0),
}


class Corpus:
    """The corpus encoded once: vocabulary tables and ~job_words-word jobs of int32 ids."""

    def __init__(self, path, min_count, sample, job_words, negative_exponent=0.75):
        t0 = time.perf_counter()
        with open(path, "rb") as f:
            lines = [line.split() for line in f]
        counts = collections.Counter()
        for toks in lines:
            counts.update(toks)
        self.total_words = sum(counts.values())
        vocab = [(w, c) for w, c in counts.items() if c >= min_count]
        vocab.sort(key=lambda wc: -wc[1])          # stable: ties keep first-seen order
        self.words = [w.decode("utf-8", "surrogateescape") for w, _ in vocab]
        self.counts = np.array([c for _, c in vocab], dtype=np.int64)
        index = {w: i for i, (w, _) in enumerate(vocab)}
        self.keep_threshold = ref.keep_thresholds(self.counts, sample)
        self.alias_threshold, self.alias_index = ref.alias_table(self.counts.astype(np.float64) ** negative_exponent)
        self.codes, self.points, self.code_offset = ref.huffman_tree(self.counts)
        self.jobs = []          # (ids, sentence_ends, raw_words)
        ids, ends, raw = [], [], 0
        for toks in lines:
            enc = [index[t] for t in toks if t in index]
            raw += len(toks)
            for start in range(0, len(enc), 10000):      # no sentence longer than max_sentence
                ids.extend(enc[start:start + 10000])
                ends.append(len(ids))
            if raw >= job_words:
                self.jobs.append((np.array(ids, dtype=np.int32), np.array(ends, dtype=np.int32), raw))
                ids, ends, raw = [], [], 0
        if raw:
            self.jobs.append((np.array(ids, dtype=np.int32), np.array(ends, dtype=np.int32), raw))
        self.seconds = time.perf_counter() - t0

    @property
    def vocab_size(self):
        return len(self.words)


def train_w2vfast(corpus, mode, threads, size, window, alpha=0.025, min_alpha=0.0001, seed=1,
                  shared_negatives=False, contiguous=False):
    """One epoch over --threads threads. Jobs are handed out in file order, or (contiguous) thread t trains
    on the t-th contiguous part of the corpus, as gensim's corpus_file workers do."""
    sg, hs, negative = MODES[mode]
    V = corpus.vocab_size
    rng = np.random.default_rng(seed)
    syn0 = ((rng.random((V, size), dtype=np.float32) - 0.5) / size).astype(np.float32)
    syn1neg = np.zeros((V, size), dtype=np.float32) if negative else None
    syn1 = np.zeros((V, size), dtype=np.float32) if hs else None
    model = K.KernelModel(
        syn0, syn1neg, syn1, corpus.keep_threshold,
        corpus.alias_threshold if negative else None, corpus.alias_index if negative else None,
        corpus.codes if hs else None, corpus.points if hs else None, corpus.code_offset if hs else None,
        sg=sg, hs=hs, negative=negative, cbow_mean=1, window=window, shared_negatives=shared_negatives)
    lr = K.LearningRate(alpha, min_alpha, corpus.total_words)
    if contiguous:
        bounds = np.linspace(0, len(corpus.jobs), threads + 1).astype(int)
        queues = [iter(corpus.jobs[bounds[t]:bounds[t + 1]]) for t in range(threads)]
    else:
        queues = [iter(corpus.jobs)] * threads
    lock = threading.Lock()
    effective = [0] * threads

    def worker_loop(t):
        worker = K.KernelWorker(model, seed, t)
        while True:
            with lock:
                job = next(queues[t], None)
            if job is None:
                return
            ids, ends, raw = job
            effective[t] += worker.train(ids, ends, lr, raw)

    pool = [threading.Thread(target=worker_loop, args=(t,)) for t in range(threads)]
    t0, c0 = time.perf_counter(), time.process_time()
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    return corpus.total_words / seconds, corpus.total_words / cpu, sum(effective), syn0


def train_gensim(path, mode, threads, size, window, sample, min_count, seed=1):
    from gensim.models import Word2Vec

    sg, hs, negative = MODES[mode]
    model = Word2Vec(vector_size=size, window=window, min_count=min_count, sample=sample, sg=sg, hs=hs,
                     negative=negative, workers=threads, epochs=1, seed=seed)
    model.build_vocab(corpus_file=path)
    t0, c0 = time.perf_counter(), time.process_time()
    model.train(corpus_file=path, total_examples=model.corpus_count, total_words=model.corpus_total_words,
                epochs=1)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    return model.corpus_total_words / seconds, model.corpus_total_words / cpu, model


def analogy_score(words, vectors):
    from gensim.models import KeyedVectors
    from gensim.test.utils import datapath

    kv = KeyedVectors(vectors.shape[1])
    kv.add_vectors(words, vectors)
    score, _ = kv.evaluate_word_analogies(datapath("questions-words.txt"), restrict_vocab=30000)
    return score


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--corpus", required=True)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--modes", default="sg-ns,cbow-ns,sg-hs,cbow-hs")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--size", type=int, default=100)
    p.add_argument("--window", type=int, default=5)
    p.add_argument("--sample", type=float, default=1e-3)
    p.add_argument("--min-count", type=int, default=5)
    p.add_argument("--job-words", type=int, default=10000)
    p.add_argument("--shared-negatives", action="store_true", help="w2vfast SG with shared negatives")
    p.add_argument("--no-gensim", action="store_true", help="time w2vfast only")
    p.add_argument("--analogies", action="store_true", help="score the SG-NS models on questions-words.txt")
    args = p.parse_args(argv)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    for m in modes:
        if m not in MODES:
            p.error(f"unknown mode {m!r}; choose from {', '.join(MODES)}")
    use_gensim = not args.no_gensim
    if use_gensim:
        try:
            import gensim  # noqa: F401
        except ImportError:
            print("gensim is not installed: timing w2vfast only")
            use_gensim = False

    corpus = Corpus(args.corpus, args.min_count, args.sample, args.job_words)
    print(f"corpus: {corpus.total_words:,} words, vocabulary {corpus.vocab_size:,}, {len(corpus.jobs)} jobs "
          f"(encoded in {corpus.seconds:.1f} s); simd: {K.simd_level()}; threads: {args.threads}")
    ours, ours_cpu = collections.defaultdict(list), collections.defaultdict(list)
    theirs, theirs_cpu = collections.defaultdict(list), collections.defaultdict(list)
    scores = collections.defaultdict(list)
    alpha, min_alpha = 0.025, 0.0001
    for rep in range(args.repeat):
        for mode in modes:
            rate, cpu_rate, effective, syn0 = train_w2vfast(corpus, mode, args.threads, args.size, args.window,
                                                            alpha=alpha, min_alpha=min_alpha, seed=rep + 1,
                                                            shared_negatives=args.shared_negatives)
            ours[mode].append(rate)
            ours_cpu[mode].append(cpu_rate)
            line = (f"[{rep + 1}/{args.repeat}] {mode:8s} w2vfast {rate / 1e6:6.3f} M words/s "
                    f"({cpu_rate / 1e6:6.3f} per CPU s)")
            if args.analogies and mode == "sg-ns":
                scores["w2vfast"].append(analogy_score(corpus.words, syn0))
                if use_gensim:
                    gensim_end = alpha - (alpha - min_alpha) / args.threads
                    _, _, _, syn0 = train_w2vfast(corpus, mode, args.threads, args.size, args.window, alpha=alpha,
                                                  min_alpha=gensim_end, seed=rep + 1,
                                                  shared_negatives=args.shared_negatives, contiguous=True)
                    scores[f"w2vfast like gensim's corpus_file (contiguous parts, alpha ends at "
                           f"{gensim_end:.4g})"].append(
                        analogy_score(corpus.words, syn0))
            if use_gensim:
                grate, gcpu_rate, gmodel = train_gensim(args.corpus, mode, args.threads, args.size, args.window,
                                                        args.sample, args.min_count, seed=rep + 1)
                theirs[mode].append(grate)
                theirs_cpu[mode].append(gcpu_rate)
                line += (f"   gensim {grate / 1e6:6.3f} M words/s ({gcpu_rate / 1e6:6.3f} per CPU s)   "
                         f"ratio {rate / grate:5.2f} ({cpu_rate / gcpu_rate:5.2f} per CPU s)")
                if args.analogies and mode == "sg-ns":
                    scores["gensim corpus_file"].append(
                        analogy_score(list(gmodel.wv.index_to_key), gmodel.wv.vectors))
            print(line, flush=True)

    print()
    print(f"medians over {args.repeat} runs, {args.threads} threads, dim {args.size}, window {args.window}, "
          f"sample {args.sample}, min_count {args.min_count}" + (", shared negatives" if args.shared_negatives
                                                                 else ""))
    print("| mode | w2vfast M words/s | gensim M words/s | ratio | w2vfast M words/CPU s | gensim M words/CPU s "
          "| ratio per CPU s |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for mode in modes:
        ow, oc = statistics.median(ours[mode]), statistics.median(ours_cpu[mode])
        if use_gensim:
            gw, gc = statistics.median(theirs[mode]), statistics.median(theirs_cpu[mode])
            print(f"| {mode} | {ow / 1e6:.3f} | {gw / 1e6:.3f} | {ow / gw:.2f} | {oc / 1e6:.3f} | {gc / 1e6:.3f} "
                  f"| {oc / gc:.2f} |")
        else:
            print(f"| {mode} | {ow / 1e6:.3f} | - | - | {oc / 1e6:.3f} | - | - |")
    if scores:
        print("analogy accuracy (questions-words, restrict_vocab=30000) after 1 epoch SG-NS:")
    for name, values in scores.items():
        print(f"  {name}: median {statistics.median(values):.4f} of {', '.join(f'{v:.4f}' for v in values)}")


if __name__ == "__main__":
    main()
