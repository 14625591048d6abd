"""`w2vfast similar`, `nn` and `analogy`: nearest neighbours and analogies from a vector file.

nn and analogy answer the words given as arguments, or, without them, read one query per line from standard
input until its end (or a line EXIT), as word2vec.c's distance / word-analogy and fastText's nn / analogies
do. A prompt is shown only when standard input is a terminal, so piped output holds answers alone.
Interactive queries with unknown words get a message and the loop goes on; one-shot queries fail.
"""
import sys

from .paths import FORMATS, load_vectors


def _add_vectors_args(p):
    p.add_argument("vectors", help="vector file (.bin, .txt/.vec) or a .model")
    p.add_argument("--format", choices=FORMATS, help="input format (default: from the content and name)")


def add_parsers(sub):
    p = sub.add_parser("similar", help="nearest neighbours of a sum of words (minus others)")
    _add_vectors_args(p)
    p.add_argument("positive", nargs="+", help="words to add")
    p.add_argument("--negative", nargs="*", help="words to subtract")
    p.add_argument("--topn", type=int, default=10, help="neighbours to show")
    p.add_argument("--binary", dest="format", action="store_const", const="binary",
                   help="read binary vectors (same as --format binary)")
    p.set_defaults(func=run_similar)

    p = sub.add_parser("nn", help="nearest neighbours: of the given words, or of each line read from stdin",
                       description="Nearest neighbours by cosine similarity. Several words on one line are "
                                   "summed (as word2vec.c's distance does).")
    _add_vectors_args(p)
    p.add_argument("words", nargs="*", help="query words (none: read queries from standard input)")
    p.add_argument("-k", "--topn", dest="topn", type=int, default=10, help="neighbours to show")
    p.set_defaults(func=run_nn)

    p = sub.add_parser("analogy", help="a is to b as c is to ?: for the given words or each line of stdin",
                       description="Analogies by vector offset: 'a b c' answers b - a + c, word2vec.c's "
                                   "word-analogy order (man king woman -> queen).")
    _add_vectors_args(p)
    p.add_argument("words", nargs="*", metavar="a b c", help="one query (none: read 'a b c' lines from stdin)")
    p.add_argument("-k", "--topn", dest="topn", type=int, default=10, help="answers to show")
    p.set_defaults(func=run_analogy)


def _check_topn(topn):
    if topn < 1:
        raise ValueError(f"--topn must be at least 1, got {topn}")


def _print(results):
    for word, score in results:
        print(f"{score:.4f}\t{word}")


def run_similar(args):
    _check_topn(args.topn)
    wv = load_vectors(args.vectors, args.format)
    _print(wv.most_similar(positive=args.positive, negative=args.negative or None, topn=args.topn))
    return 0


def _missing(wv, words):
    return [w for w in words if w not in wv]


def _queries(prompt):
    interactive = sys.stdin.isatty()
    while True:
        if interactive:
            print(prompt, end="", file=sys.stderr, flush=True)
        line = sys.stdin.readline()
        if not line:
            return
        words = line.split()
        if words == ["EXIT"]:
            return
        if words:
            yield words


def _loop(wv, prompt, answer):
    """Answer each query line; unknown words or a wrong word count print a note and the loop goes on."""
    for words in _queries(prompt):
        try:
            _print(answer(words))
        except ValueError as exc:
            print(f"({exc})")
        print(flush=True)
    return 0


def _nn_answer(wv, topn):
    def answer(words):
        missing = _missing(wv, words)
        if missing:
            raise ValueError(f"not in the vocabulary: {' '.join(missing)}")
        return wv.most_similar(positive=words, topn=topn)
    return answer


def _analogy_answer(wv, topn):
    def answer(words):
        if len(words) != 3:
            raise ValueError(f"an analogy query is three words 'a b c' (a is to b as c is to ?), got {len(words)}")
        missing = _missing(wv, words)
        if missing:
            raise ValueError(f"not in the vocabulary: {' '.join(missing)}")
        a, b, c = words
        return wv.most_similar(positive=[b, c], negative=[a], topn=topn)
    return answer


def _run(args, make_answer, prompt):
    _check_topn(args.topn)
    wv = load_vectors(args.vectors, args.format)
    answer = make_answer(wv, args.topn)
    if args.words:
        _print(answer(args.words))  # a one-shot query: an unknown word is an error
        return 0
    return _loop(wv, prompt, answer)


def run_nn(args):
    return _run(args, _nn_answer, "Query word? ")


def run_analogy(args):
    return _run(args, _analogy_answer, "Query triplet (a b c)? ")
