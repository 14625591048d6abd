"""The `w2vfast` command: demo, train, phrases, similar, nn, analogy, accuracy, evaluate, convert, plot.

Each subcommand lives in its own module here and adds its parser to the one built below. Errors in the
input (missing files, bad settings, damaged vector files, unwritable outputs) print one line naming the
problem and exit with status 2; -v shows the traceback.
"""
import logging
import sys

from . import accuracy, convert, demo, phrases, plot, query, train
from .options import Parser


def build_parser():
    from .. import __version__

    parser = Parser(prog="w2vfast", description="Fast word2vec training and the tools around it.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at INFO level; tracebacks on errors")
    parser.add_argument("--version", action="version", version=f"w2vfast {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser, metavar="COMMAND")
    demo.add_parser(sub)
    train.add_parser(sub)
    phrases.add_parser(sub)
    query.add_parsers(sub)
    accuracy.add_parsers(sub)
    convert.add_parser(sub)
    plot.add_parser(sub)
    return parser


def _log_level(args):
    if args.verbose or getattr(args, "debug", 0) >= 3:
        return logging.INFO
    return logging.WARNING


def _one_line(exc):
    if isinstance(exc, OSError) and exc.strerror and exc.filename:
        message = f"{exc.filename}: {exc.strerror}"
    elif isinstance(exc, KeyError) and exc.args:
        message = exc.args[0]
    else:
        message = exc
    return " ".join(str(message).split())


def main(argv=None):
    args = build_parser().parse_args(sys.argv[1:] if argv is None else list(argv))
    logging.basicConfig(level=_log_level(args), format="%(asctime)s %(levelname)s %(message)s")
    try:
        return args.func(args)
    except MemoryError:
        print("w2vfast: error: out of memory (is vector_size or the vocabulary too large?)", file=sys.stderr)
        return 2
    except Exception as exc:  # any failure is one line; -v shows the traceback
        if args.verbose:
            logging.exception("failed")
        print(f"w2vfast: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("w2vfast: interrupted", file=sys.stderr)
        return 130
