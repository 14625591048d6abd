"""`w2vfast train`: word2vec.c's flags (-train -output -size ...) and the long options side by side.

Both spellings set the same setting. Where word2vec.c's default differs from gensim's, w2vfast keeps
gensim's (w2vfast is a drop-in for gensim's Word2Vec, and the same settings should train the same model
either way); the README's flag table lists those differences.
"""
import argparse
import contextlib
import os
import shutil
import sys
import tempfile

from .paths import FORMATS, check_output, output_format, save_vectors


def _zero_one(text):
    if text not in ("0", "1"):
        raise argparse.ArgumentTypeError(f"expected 0 or 1, got {text!r}")
    return int(text)


def _positive_int(text):
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}")
    return value


def add_parser(sub):
    p = sub.add_parser(
        "train", help="train vectors on a text file (word2vec.c flags or long options)",
        description="Train word2vec vectors. word2vec.c's flags work as in word2vec.c: "
                    "w2vfast train -train corpus.txt -output vectors.bin -size 100 -window 5 -cbow 0 -binary 1",
        epilog="The corpus is one sentence per line, tokens split on whitespace; '-' reads standard input, and "
               ".gz/.bz2/.xz files are decompressed on the fly. Output format: .bin binary, .txt/.vec text, "
               ".model the whole model, any other name text (as word2vec.c) unless -binary 1 / --format.")
    io = p.add_argument_group("input and output")
    io.add_argument("corpus", nargs="?", help="corpus file (or give it with -train)")
    io.add_argument("-train", dest="train", metavar="FILE", help="corpus file, as word2vec.c's -train")
    io.add_argument("-output", "-o", "--output", dest="output", metavar="FILE", required=True,
                    help="where to write the vectors (or the classes file with -classes)")
    io.add_argument("-binary", dest="binary", type=_zero_one, metavar="0|1",
                    help="1: binary vectors, 0: text (default: from the output name)")
    io.add_argument("--binary", dest="binary", action="store_const", const=1, help="write binary vectors")
    io.add_argument("--format", choices=FORMATS, help="output format (default: from the output name)")
    io.add_argument("-save-vocab", "--save-vocab", dest="save_vocab", metavar="FILE",
                    help="write the vocabulary, 'word count' per line")
    io.add_argument("-read-vocab", "--read-vocab", dest="read_vocab", metavar="FILE",
                    help="take the vocabulary and counts from this file instead of counting the corpus")
    io.add_argument("-classes", "--classes", dest="classes", type=_positive_int, default=0, metavar="N",
                    help="write N k-means word classes ('word class' per line) to the output instead of vectors")

    m = p.add_argument_group("model")
    m.add_argument("-cbow", dest="cbow", type=_zero_one, metavar="0|1", help="1: CBOW (default), 0: skip-gram")
    m.add_argument("--sg", dest="cbow", action="store_const", const=0, help="skip-gram (same as -cbow 0)")
    m.add_argument("--cbow", dest="cbow", action="store_const", const=1, help="CBOW (same as -cbow 1)")
    m.add_argument("-size", "--size", "--vector-size", dest="size", type=int, metavar="N", default=100, help="vector size")
    m.add_argument("-window", "--window", dest="window", type=int, metavar="N", default=5, help="maximum context window")
    m.add_argument("-hs", dest="hs", type=_zero_one, metavar="0|1", help="1: hierarchical softmax (default 0)")
    m.add_argument("--hs", dest="hs", action="store_const", const=1, help="hierarchical softmax (same as -hs 1)")
    m.add_argument("-negative", "--negative", dest="negative", type=int, metavar="N", default=5,
                   help="negative samples per word (0: none)")
    m.add_argument("--ns-exponent", type=float, default=0.75, help="exponent of the negative-sampling distribution")
    m.add_argument("--cbow-mean", type=_zero_one, default=1, metavar="0|1", help="CBOW: 1 mean, 0 sum of context")
    m.add_argument("--shared-negatives", action="store_true", help="skip-gram: share negatives across a window")

    v = p.add_argument_group("vocabulary")
    v.add_argument("-min-count", "--min-count", dest="min_count", type=int, metavar="N", default=5,
                   help="drop words seen fewer times")
    v.add_argument("-sample", "--sample", dest="sample", type=float, metavar="T", default=1e-3,
                   help="down-sampling threshold for frequent words (0: off)")
    v.add_argument("--max-vocab-size", type=int, help="prune the counts to this many words while counting")
    v.add_argument("--max-final-vocab", type=int, help="keep at most this many words")
    v.add_argument("--max-sentence-length", type=int, default=10000, help="cut longer lines into pieces")

    t = p.add_argument_group("training")
    t.add_argument("-alpha", "--alpha", dest="alpha", type=float, metavar="A", default=0.025, help="starting learning rate")
    t.add_argument("--min-alpha", type=float, default=0.0001, help="final learning rate")
    t.add_argument("-iter", "--iter", "--epochs", dest="epochs", type=int, metavar="N", default=5, help="passes over the corpus")
    t.add_argument("-threads", "--threads", "--workers", dest="workers", type=int, metavar="N", default=3,
                   help="training threads")
    t.add_argument("--seed", type=int, default=1, help="random seed")
    t.add_argument("--alpha-schedule", choices=("global", "per-worker"), default="global",
                   help="per-worker: gensim's corpus_file learning-rate schedule")
    t.add_argument("--loss", action="store_true", help="compute and print the training loss of every epoch")

    r = p.add_argument_group("reporting")
    r.add_argument("-debug", "--debug", dest="debug", type=int, default=2, metavar="N",
                   help="0 silent, 1 summary, 2 progress, 3 also log lines")
    r.add_argument("-q", "--quiet", action="store_true", help="no progress (same as -debug 1)")
    p.set_defaults(func=run)
    return p


def _corpus_path(args):
    if args.corpus and args.train:
        raise ValueError(f"two corpora given ({args.corpus!r} and -train {args.train!r}): give one")
    path = args.corpus or args.train
    if not path:
        raise ValueError("no corpus: give a file (or '-' for standard input) as an argument or with -train")
    return path


@contextlib.contextmanager
def open_corpus(path, max_sentence_length):
    """Yields {"corpus_file": path} for plain files (read by the C threads) or {"corpus_iterable": ...}
    for compressed ones; standard input ('-') is first copied to a temporary file, as training reads the
    corpus once per epoch."""
    from .._corpus import check_corpus_file, detect_compression
    from ..readers import LineSentence

    with contextlib.ExitStack() as stack:
        if path == "-":
            if sys.stdin.isatty():
                print("w2vfast: reading the corpus from standard input (end it with Ctrl-D)", file=sys.stderr)
            fd, spool = tempfile.mkstemp(prefix="w2vfast-stdin-", suffix=".txt")
            stack.callback(os.unlink, spool)
            with os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(sys.stdin.buffer, out, 1 << 20)
            path = spool
        if os.path.isfile(path) and detect_compression(path) in ("gzip", "bz2", "xz"):
            yield {"corpus_iterable": LineSentence(path, max_sentence_length=max_sentence_length)}
        else:
            check_corpus_file(path)  # one-line errors for a missing, empty, directory or unsupported corpus
            yield {"corpus_file": path}


def _settings(args):
    hs = args.hs or 0
    return dict(
        vector_size=args.size, window=args.window, min_count=args.min_count, sample=args.sample,
        sg=0 if args.cbow in (None, 1) else 1, hs=hs, negative=args.negative, ns_exponent=args.ns_exponent,
        cbow_mean=args.cbow_mean, alpha=args.alpha, min_alpha=args.min_alpha, epochs=args.epochs,
        workers=args.workers, seed=args.seed, max_vocab_size=args.max_vocab_size,
        max_final_vocab=args.max_final_vocab, max_sentence_length=args.max_sentence_length,
        shared_negatives=args.shared_negatives, alpha_schedule=args.alpha_schedule)


def _vector_format(args):
    if args.format and args.binary is not None:
        wanted = "binary" if args.binary else "text"
        if wanted != args.format:
            raise ValueError(f"-binary {args.binary} and --format {args.format} disagree: give one")
    if args.binary is not None:
        return "binary" if args.binary else "text"
    return output_format(args.output, args.format)


class _EpochLoss:
    """Prints each epoch's loss as it ends (through the progress bar, not across it)."""

    def on_epoch_end(self, model):
        from ..progress import write
        write(f"epoch {len(model.epoch_losses)}: loss {model.epoch_losses[-1]:.1f}")


def run(args):
    from ..model import Word2Vec
    from ..progress import write
    from ..vocabfile import read_vocab, save_vocab

    corpus = _corpus_path(args)
    fmt = _vector_format(args)
    settings = _settings(args)
    # every file this run will write is checked now, before hours of training, not after
    check_output(args.output, "output")
    if args.save_vocab:
        check_output(args.save_vocab, "vocabulary file")
    if args.read_vocab and not os.path.isfile(args.read_vocab):
        raise FileNotFoundError(f"vocabulary file not found: {args.read_vocab!r}")
    quiet = args.debug <= 1 or args.quiet
    model = Word2Vec(**settings, progress=False if quiet else True)
    with open_corpus(corpus, args.max_sentence_length) as source:
        if args.read_vocab:
            model.build_vocab_from_freq(read_vocab(args.read_vocab))
        else:
            model.build_vocab(**source)
        if args.classes > len(model.wv):
            raise ValueError(f"-classes {args.classes} is more than the {len(model.wv):,} words of the vocabulary")
        if args.save_vocab:
            save_vocab(args.save_vocab, model.vocabulary.index_to_key, model.vocabulary.counts)
        if args.debug >= 1:
            write(f"vocabulary: {len(model.wv):,} words; corpus: {model.corpus_total_words:,} words")
        model.train(**source, total_examples=model.corpus_count or None, total_words=model.corpus_total_words,
                    epochs=model.epochs, compute_loss=args.loss, callbacks=[_EpochLoss()] if args.loss else [])
    stats = model.last_train_stats
    if args.debug >= 1:
        write(f"trained {len(model.wv):,} words on {stats['raw_words']:,} raw words in {stats['seconds']:.1f}s "
              f"({stats['raw_words'] / max(stats['seconds'], 1e-9) / 1e6:.2f} M words/s)"
              + (f", loss {model.get_latest_training_loss():.1f}" if args.loss else ""))
    if args.classes:
        from ..wordclasses import kmeans, write_classes
        labels = kmeans(model.wv.vectors, args.classes, seed=args.seed)
        write_classes(args.output, model.wv.index_to_key, labels)
        what = f"{args.classes} word classes"
    elif fmt == "model":
        model.save(args.output)
        what = "the model"
    else:
        save_vectors(model.wv, args.output, fmt)
        what = f"{fmt} vectors"
    if args.debug >= 1:
        write(f"wrote {what} to {args.output}")
    return 0
