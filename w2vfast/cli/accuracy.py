"""`w2vfast accuracy` (word2vec.c compute-accuracy style report) and `w2vfast evaluate` (summary scores).

accuracy prints, per section of a questions-words style file, that section's accuracy and the running
totals, with word2vec.c's split of sections into syntactic (names starting with "gram") and semantic (the
rest), then how many questions could be asked at all (the others have a word outside the vocabulary).
"""
import bz2
import gzip

from .paths import FORMATS, load_vectors


def add_parsers(sub):
    p = sub.add_parser("accuracy", help="analogy accuracy per section, as word2vec.c's compute-accuracy prints it")
    p.add_argument("vectors", help="vector file (.bin, .txt/.vec) or a .model")
    p.add_argument("questions", help="questions-words.txt style file (': section' lines, then 'a b c d')")
    p.add_argument("--restrict-vocab", type=int, default=30000,
                   help="only the most frequent words are known and candidates (word2vec.c's threshold)")
    p.add_argument("--case-sensitive", action="store_true", help="compare words as written (default: ignore case)")
    p.add_argument("--format", choices=FORMATS, help="input format (default: from the content and name)")
    p.set_defaults(func=run_accuracy)

    p = sub.add_parser("evaluate", help="analogy accuracy and word-pair correlations of a vector file")
    p.add_argument("vectors", help="vector file (.bin, .txt/.vec) or a .model")
    p.add_argument("--analogies", help="questions-words.txt style file")
    p.add_argument("--pairs", nargs="*", help="word-pair similarity files (wordsim353.tsv, simlex999.txt)")
    p.add_argument("--restrict-vocab", type=int, default=300000, help="only the most frequent words count")
    p.add_argument("--format", choices=FORMATS, help="input format (default: from the content and name)")
    p.add_argument("--binary", dest="format", action="store_const", const="binary",
                   help="read binary vectors (same as --format binary)")
    p.set_defaults(func=run_evaluate)


def _open(path):
    name = path.lower()
    if name.endswith(".gz"):
        return gzip.open(path, "rb")
    if name.endswith(".bz2"):
        return bz2.open(path, "rb")
    return open(path, "rb")


def question_counts(path):
    """{section: number of 4-word questions} in file order, unknown words or not."""
    counts, section = {}, None
    with _open(path) as f:
        for raw in f:
            if raw.startswith(b": "):
                section = raw[2:].decode("utf-8", "replace").strip()
                counts.setdefault(section, 0)
            elif section is not None and len(raw.split()) == 4:
                counts[section] += 1
    return counts


def _pct(correct, asked):
    return f"{100.0 * correct / asked:6.2f} %" if asked else "   n/a  "


def run_accuracy(args):
    if args.restrict_vocab < 1:
        raise ValueError(f"--restrict-vocab must be at least 1, got {args.restrict_vocab}")
    wv = load_vectors(args.vectors, args.format)
    _, sections = wv.evaluate_word_analogies(args.questions, restrict_vocab=args.restrict_vocab,
                                             case_insensitive=not args.case_sensitive)
    in_file = question_counts(args.questions)
    sums = {"semantic": [0, 0], "syntactic": [0, 0], "total": [0, 0]}
    for sec in sections[:-1]:  # the last entry is the evaluator's own total
        right, asked = len(sec["correct"]), len(sec["correct"]) + len(sec["incorrect"])
        kind = "syntactic" if sec["section"].startswith("gram") else "semantic"
        for key in (kind, "total"):
            sums[key][0] += right
            sums[key][1] += asked
        print(f"{sec['section']}:")
        print(f"  accuracy {_pct(right, asked)}  ({right} / {asked})")
        print("  so far: total {}  semantic {}  syntactic {}".format(
            *(_pct(*sums[k]) for k in ("total", "semantic", "syntactic"))))
    asked, total = sums["total"][1], sum(in_file.values())
    print(f"questions asked / in the file: {asked} / {total}  ({_pct(asked, total).strip()}; "
          "the rest have a word outside the vocabulary)")
    print("total accuracy {}  ({} / {}); semantic {} ({} / {}); syntactic {} ({} / {})".format(
        _pct(*sums["total"]).strip(), *sums["total"], _pct(*sums["semantic"]).strip(), *sums["semantic"],
        _pct(*sums["syntactic"]).strip(), *sums["syntactic"]))
    return 0


def run_evaluate(args):
    if not args.analogies and not args.pairs:
        raise ValueError("nothing to evaluate: give --analogies FILE and/or --pairs FILE...")
    wv = load_vectors(args.vectors, args.format)
    if args.analogies:
        score, _ = wv.evaluate_word_analogies(args.analogies, restrict_vocab=args.restrict_vocab)
        print(f"analogy accuracy\t{score:.4f}")
    for path in args.pairs or ():
        pearson, spearman, oov = wv.evaluate_word_pairs(path, restrict_vocab=args.restrict_vocab)
        print(f"{path}\tpearson {pearson[0]:.4f}\tspearman {spearman[0]:.4f}\toov {oov:.1f}%")
    return 0
