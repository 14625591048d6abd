"""Corpus reading speed: w2vfast's vocabulary scan against gensim's, and the iterable path's throughput.

    python bench/corpus_speed.py --corpus PATH [--repeat 5] [--workers 1 2]

Reports
  * scan_file(PATH, workers=w) against gensim 4.4 Word2Vec().build_vocab(corpus_file=PATH) (best of
    --repeat runs each; gensim's time includes its vocabulary preparation, which is small next to its
    scan), with a check that both find the same words and counts;
  * the corpus_file reader without training (count_file_range: read, tokenize, look up);
  * the iterable path: LineSentence reading, encode_sentences on batches of ~10,000 words, and both.
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))

from w2vfast import _corpus as C  # noqa: E402
from w2vfast.readers import LineSentence  # noqa: E402

def best_of(repeat, fn):
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out

def gensim_build_vocab(path, min_count):
    from gensim.models import Word2Vec

    model = Word2Vec(vector_size=8, min_count=min_count, workers=1)
    model.build_vocab(corpus_file=path)
    return model

def batches(sentences, batch_words=10000):
    batch, n = [], 0
    for s in sentences:
        batch.append(s)
        n += len(s)
        if n >= batch_words:
            yield batch
            batch, n = [], 0
    if batch:
        yield batch

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", required=True, help="an uncompressed text file")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--min-count", type=int, default=5)
    ap.add_argument("--no-gensim", action="store_true")
    args = ap.parse_args()
    path = args.corpus
    size = os.path.getsize(path)
    print(f"corpus: {path} ({size / 1e6:.1f} MB), best of {args.repeat}")

    scans = {}
    for w in args.workers:
        t, res = best_of(args.repeat, lambda: C.scan_file(path, workers=w))
        scans[w] = t
        print(f"w2vfast scan_file workers={w}: {t:.3f} s  ({res.total_words / t / 1e6:.1f} M words/s, "
              f"{len(res.keys)} distinct tokens, {res.total_words} words, {res.total_sentences} sentences)")

    if not args.no_gensim:
        try:
            import gensim
        except ImportError:
            print("gensim not installed: no comparison")
        else:
            t, model = best_of(max(1, min(args.repeat, 3)), lambda: gensim_build_vocab(path, args.min_count))
            print(f"gensim {gensim.__version__} build_vocab(corpus_file=...): {t:.3f} s")
            for w, ts in scans.items():
                print(f"  ratio gensim / w2vfast (workers={w}): {t / ts:.1f}x")
            keep = res.counts >= args.min_count
            ours = dict(zip((k for k, m in zip(res.keys, keep) if m), res.counts[keep].tolist()))
            theirs = {k: model.wv.get_vecattr(k, "count") for k in model.wv.index_to_key}
            same = ours == theirs and model.corpus_total_words == res.total_words
            print(f"  same words and counts as gensim (min_count={args.min_count}): {same}")

    keys = [k for k, c in zip(res.keys, res.counts.tolist()) if c >= args.min_count]
    key_to_index = {k: i for i, k in enumerate(keys)}
    table = C.TokenTable(keys)
    t, (_, raw, _) = best_of(args.repeat, lambda: C.count_file_range(table, path, 0, size))
    print(f"corpus_file reader (count_file_range, 1 thread): {t:.3f} s  ({raw / t / 1e6:.1f} M words/s)")

    corpus = LineSentence(path)
    t_read, n = best_of(args.repeat, lambda: sum(len(s) for s in corpus))
    print(f"LineSentence: {t_read:.3f} s  ({n / t_read / 1e6:.1f} M words/s)")
    held = list(batches(corpus))

    for label, mapping in (("dict", key_to_index), ("TokenTable", table)):
        def encode_all():
            total = 0
            for b in held:
                total += C.encode_sentences(b, mapping)[2]
            return total

        t_enc, n = best_of(args.repeat, encode_all)
        print(f"encode_sentences with a {label} (batches of ~10k words): {t_enc:.3f} s  "
              f"({n / t_enc / 1e6:.1f} M words/s)")

        def read_and_encode():
            total = 0
            for b in batches(corpus):
                total += C.encode_sentences(b, mapping)[2]
            return total

        t_both, n = best_of(args.repeat, read_and_encode)
        print(f"  LineSentence + encode_sentences: {t_both:.3f} s  ({n / t_both / 1e6:.1f} M words/s)")

        def split_and_encode():
            total = 0
            with open(path, "rb") as f:
                gen = (line.decode("utf-8", "surrogateescape").split() for line in f)
                for b in batches(gen):
                    total += C.encode_sentences(b, mapping)[2]
            return total

        t_gen, n = best_of(args.repeat, split_and_encode)
        print(f"  plain generator (line.split()) + encode_sentences: {t_gen:.3f} s  "
              f"({n / t_gen / 1e6:.1f} M words/s)")

if __name__ == "__main__":
    main()
