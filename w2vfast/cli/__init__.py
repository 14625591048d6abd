"""Command line: `w2vfast demo`, `w2vfast train`, `w2vfast similar`, `w2vfast evaluate`.

Errors in the input (missing files, bad settings, damaged vector files) print one line naming the problem
and exit with status 2.
"""
import argparse
import logging
import os
import sys
import time


def _demo(args):
    from .demo import planted_sentences
    from .model import Word2Vec

    sentences = planted_sentences(args.sentences, seed=args.seed)
    n_words = sum(len(s) for s in sentences)
    print(f"Training skip-gram (negative sampling) on a built-in synthetic corpus: {len(sentences):,} sentences, "
          f"{n_words:,} words, {args.epochs} epochs, {args.workers} threads")
    t0 = time.perf_counter()
    model = Word2Vec(sentences, vector_size=50, window=5, min_count=5, sg=1, negative=5, epochs=args.epochs,
                     workers=args.workers, seed=args.seed, progress=False)
    elapsed = time.perf_counter() - t0
    print(f"done in {elapsed:.2f}s ({n_words * args.epochs / elapsed / 1e6:.2f} M words/s), "
          f"{len(model.wv):,} words in the vocabulary\n")
    for word in ("paris", "king", "sushi"):
        neighbours = ", ".join(f"{w} ({s:.2f})" for w, s in model.wv.most_similar(word, topn=5))
        print(f"nearest to {word!r}: {neighbours}")
    answer, score = model.wv.most_similar(positive=["paris", "italy"], negative=["france"], topn=1)[0]
    print(f"\nanalogy  paris - france + italy = {answer} ({score:.2f})")
    answer, score = model.wv.most_similar(positive=["king", "woman"], negative=["man"], topn=1)[0]
    print(f"analogy  king - man + woman = {answer} ({score:.2f})")
    return 0


def _check_writable(path):
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"cannot write {path}: no directory {directory}")
    if not os.access(directory, os.W_OK):
        raise PermissionError(f"cannot write {path}: directory {directory} is not writable")


def _train(args):
    from .model import Word2Vec

    _check_writable(args.output)  # before hours of training, not after
    model = Word2Vec(corpus_file=args.corpus_file, vector_size=args.size, window=args.window,
                     min_count=args.min_count, sample=args.sample, sg=int(args.sg), hs=int(args.hs),
                     negative=args.negative, epochs=args.epochs, workers=args.workers, alpha=args.alpha,
                     seed=args.seed, shared_negatives=args.shared_negatives, alpha_schedule=args.alpha_schedule,
                     progress=False if args.quiet else None)  # None: a bar only when stderr is a terminal
    stats = model.last_train_stats
    print(f"trained {len(model.wv):,} words on {stats['raw_words']:,} raw words in {stats['seconds']:.1f}s "
          f"({stats['raw_words'] / stats['seconds'] / 1e6:.2f} M words/s)", file=sys.stderr)
    if args.output.endswith(".model"):
        model.save(args.output)
    else:
        model.wv.save_word2vec_format(args.output, binary=args.binary)
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


def _load_vectors(path, binary):
    from .keyedvectors import KeyedVectors
    from .model import Word2Vec

    if path.endswith(".model"):
        return Word2Vec.load(path).wv
    if binary is None:
        binary = path.endswith(".bin") or path.endswith(".bin.gz")
    # surrogateescape: files we write keep invalid UTF-8 bytes of the corpus as they were
    return KeyedVectors.load_word2vec_format(path, binary=binary, unicode_errors="surrogateescape")


def _similar(args):
    if args.topn < 1:
        raise ValueError(f"--topn must be at least 1, got {args.topn}")
    wv = _load_vectors(args.vectors, args.binary)
    for word, score in wv.most_similar(positive=args.positive, negative=args.negative or None, topn=args.topn):
        print(f"{score:.4f}\t{word}")
    return 0


def _evaluate(args):
    if not args.analogies and not args.pairs:
        raise ValueError("nothing to evaluate: give --analogies FILE and/or --pairs FILE...")
    wv = _load_vectors(args.vectors, args.binary)
    if args.analogies:
        score, _ = wv.evaluate_word_analogies(args.analogies, restrict_vocab=args.restrict_vocab)
        print(f"analogy accuracy\t{score:.4f}")
    for path in args.pairs or ():
        pearson, spearman, oov = wv.evaluate_word_pairs(path, restrict_vocab=args.restrict_vocab)
        print(f"{path}\tpearson {pearson[0]:.4f}\tspearman {spearman[0]:.4f}\toov {oov:.1f}%")
    return 0


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, like every other error of this command
        print(f"w2vfast: error: {message} (see {self.prog} --help)", file=sys.stderr)
        sys.exit(2)


def build_parser():
    parser = _Parser(prog="w2vfast", description="Fast word2vec training.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress at INFO level")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("demo", help="train on a built-in corpus and show neighbours and analogies")
    p.add_argument("--sentences", type=int, default=40000)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    p.set_defaults(func=_demo)

    p = sub.add_parser("train", help="train on a text file (one sentence per line, tokens split on whitespace)")
    p.add_argument("corpus_file")
    p.add_argument("-o", "--output", required=True,
                   help="word2vec vector file (.bin for binary with --binary) or NAME.model for a whole model")
    p.add_argument("--binary", action="store_true", help="write the binary word2vec format")
    p.add_argument("--sg", action="store_true", help="skip-gram (default: CBOW)")
    p.add_argument("--hs", action="store_true", help="hierarchical softmax")
    p.add_argument("--negative", type=int, default=5)
    p.add_argument("--size", type=int, default=100)
    p.add_argument("--window", type=int, default=5)
    p.add_argument("--min-count", type=int, default=5)
    p.add_argument("--sample", type=float, default=1e-3)
    p.add_argument("--alpha", type=float, default=0.025)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--workers", type=int, default=3)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--shared-negatives", action="store_true", help="skip-gram: share negatives across a window")
    p.add_argument("--alpha-schedule", choices=("global", "per-worker"), default="global",
                   help="per-worker: gensim's corpus_file learning-rate schedule")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_train)

    p = sub.add_parser("similar", help="nearest neighbours from a vector file")
    p.add_argument("vectors")
    p.add_argument("positive", nargs="+")
    p.add_argument("--negative", nargs="*")
    p.add_argument("--topn", type=int, default=10)
    p.add_argument("--binary", action="store_true", default=None)
    p.set_defaults(func=_similar)

    p = sub.add_parser("evaluate", help="analogy accuracy and word-pair correlations of a vector file")
    p.add_argument("vectors")
    p.add_argument("--analogies", help="questions-words.txt style file")
    p.add_argument("--pairs", nargs="*", help="word-pair similarity files (wordsim353.tsv, simlex999.txt)")
    p.add_argument("--restrict-vocab", type=int, default=300000)
    p.add_argument("--binary", action="store_true", default=None)
    p.set_defaults(func=_evaluate)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(message)s")
    try:
        return args.func(args)
    except MemoryError:
        print("w2vfast: error: out of memory (is vector_size or the vocabulary too large?)", file=sys.stderr)
        return 2
    except Exception as exc:  # any failure is one line; -v shows the traceback
        if args.verbose:
            logging.exception("failed")
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"w2vfast: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("w2vfast: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
