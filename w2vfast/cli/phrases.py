"""`w2vfast phrases`: word2phrase's job (learn bigram phrases, write the corpus with them joined) in C.

word2phrase's flags work (-train -output -min-count -threshold -debug); the scores are gensim's: the
"default" score multiplies by the number of counted unigrams and bigrams where word2phrase multiplies by the
corpus word count, so the same -threshold keeps a different set of phrases. --passes 2 joins trigrams
(phrases of phrases): each pass learns from the previous pass's output, kept in a temporary file beside
the output.
"""
import os
import sys
import tempfile

from .paths import check_output


def add_parser(sub):
    p = sub.add_parser(
        "phrases", help="learn phrases (new york -> new_york) and write the corpus with them joined",
        description="Learn phrases from a text file and write it with the phrases joined: "
                    "w2vfast phrases -train in.txt -output out.txt -min-count 5 -threshold 100",
        epilog="The corpus is one sentence per line, tokens split on whitespace; the output has tokens "
               "separated by single spaces, one line per input line.")
    p.add_argument("corpus", nargs="?", help="corpus file (or give it with -train)")
    p.add_argument("-train", dest="train", metavar="FILE", help="corpus file, as word2phrase's -train")
    p.add_argument("-output", "-o", "--output", dest="output", metavar="FILE", required=True,
                   help="where to write the corpus with phrases joined")
    p.add_argument("-min-count", "--min-count", dest="min_count", type=int, default=5, metavar="N",
                   help="ignore words and bigrams seen fewer times")
    p.add_argument("-threshold", "--threshold", dest="threshold", type=float, default=100.0, metavar="X",
                   help="keep bigrams scoring above this (higher: fewer phrases)")
    p.add_argument("--scoring", choices=("default", "npmi"), default="default", help="score formula")
    p.add_argument("--delimiter", default="_", help="joins the words of a phrase")
    p.add_argument("--connector-words", dest="connectors", default="",
                   help="comma-separated words allowed inside phrases (e.g. of,the)")
    p.add_argument("--max-vocab-size", dest="max_vocab_size", type=int, default=40000000, metavar="N",
                   help="prune rare unigrams and bigrams beyond this many")
    p.add_argument("--passes", type=int, default=1, metavar="N", help="2 or more: phrases of phrases (trigrams...)")
    p.add_argument("--save", metavar="FILE", help="also save the (last pass's) frozen phrases here")
    p.add_argument("-threads", "--workers", dest="workers", type=int, default=1, metavar="N",
                   help="counting threads")
    p.add_argument("-debug", dest="debug", type=int, default=2, metavar="N", help="0: quiet, 2: a summary")
    p.set_defaults(func=run)


def run(args):
    from ..phrases import Phrases

    corpus = args.train or args.corpus
    if not corpus:
        raise ValueError("no corpus: give it with -train FILE")
    if args.train and args.corpus:
        raise ValueError("give the corpus once: as an argument or with -train, not both")
    if args.passes < 1:
        raise ValueError(f"--passes must be at least 1, got {args.passes}")
    check_output(args.output)
    if args.save:
        check_output(args.save, "phrases file")
    connectors = frozenset(w for w in args.connectors.split(",") if w)
    folder = os.path.dirname(os.path.abspath(args.output))
    current, temps = corpus, []
    try:
        for n in range(args.passes):
            model = Phrases(corpus_file=current, min_count=args.min_count, threshold=args.threshold,
                            max_vocab_size=args.max_vocab_size, delimiter=args.delimiter, scoring=args.scoring,
                            connector_words=connectors, workers=args.workers)
            frozen = model.freeze()
            if n + 1 < args.passes:
                # the next pass learns from this pass's output (a_b c -> a_b_c needs a_b joined first)
                fd, target = tempfile.mkstemp(prefix=".w2vfast-phrases-", suffix=".txt", dir=folder)
                os.close(fd)
                temps.append(target)
            else:
                target = args.output
            joined = frozen.join_file(current, target)
            if args.debug > 0:
                print(f"pass {n + 1}: {model.corpus_word_count} words, {len(model)} unigrams and bigrams, "
                      f"{len(frozen)} phrases, {joined} joined", file=sys.stderr)
            current = target
    finally:
        for t in temps:
            os.unlink(t)
    if args.save:
        frozen.save(args.save)
    if args.debug > 0:
        print(f"wrote {args.output}", file=sys.stderr)
    return 0
