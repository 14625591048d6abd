"""`w2vfast convert`: word2vec text <-> binary, and a saved .model to either.

Formats follow the file names (.bin, .txt/.vec, .model; .gz/.bz2 compress) unless --from / --to say
otherwise. A .model cannot be made from vectors alone (it also holds the output weights and vocabulary
counts training needs), so that direction is refused.
"""
from .paths import FORMATS, check_output, input_format, load_vectors, output_format, save_vectors


def add_parser(sub):
    p = sub.add_parser("convert", help="convert vectors between text, binary and a saved .model")
    p.add_argument("source", help="vector file or .model to read")
    p.add_argument("target", help="file to write (.bin binary, .txt/.vec text)")
    p.add_argument("--from", dest="source_format", choices=FORMATS, help="input format (default: detected)")
    p.add_argument("--to", dest="target_format", choices=FORMATS, help="output format (default: from the name)")
    p.set_defaults(func=run)


def run(args):
    source_format = input_format(args.source, args.source_format)
    target_format = output_format(args.target, args.target_format)
    check_output(args.target)
    if target_format == "model":
        if source_format != "model":
            save_vectors(None, args.target, "model")  # raises the explanation
        from ..model import Word2Vec
        Word2Vec.load(args.source).save(args.target)
    else:
        wv = load_vectors(args.source, source_format)
        save_vectors(wv, args.target, target_format)
    print(f"wrote {args.target} ({target_format})")
    return 0
