"""The argument parser every subcommand uses: one-line errors, defaults in --help, no guessed options.

word2vec.c's flags are single-dash words (-output, -size, -min-count). argparse would read an unknown
"-ouput" as the short option "-o" with the value "uput" and go on to train; this parser refuses any
single-dash word that is not one of its options instead, and never expands abbreviations.
"""
import argparse
import sys


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Shows "(default: X)" after every option that has a meaningful default."""

    def _get_help_string(self, action):
        text = action.help or ""
        if "%(default)" in text or action.default in (None, False, argparse.SUPPRESS) or not action.option_strings:
            return text
        return f"{text} (default: %(default)s)"


def _looks_negative_number(arg):
    try:
        float(arg)
    except ValueError:
        return False
    return True


class Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message):  # one line, like every other error of this command
        print(f"w2vfast: error: {message} (see {self.prog} --help)", file=sys.stderr)
        sys.exit(2)

    def parse_known_args(self, args=None, namespace=None):
        if args is not None and not self._subparsers_action():
            self._refuse_glued(args)
        return super().parse_known_args(args, namespace)

    def _subparsers_action(self):
        return any(isinstance(a, argparse._SubParsersAction) for a in self._actions)

    def _refuse_glued(self, args):
        """Refuse "-word" unless it is exactly one of this parser's options (or a negative number)."""
        for arg in args:
            if arg == "--":
                return
            if not arg.startswith("-") or arg.startswith("--") or len(arg) <= 2:
                continue
            name = arg.split("=", 1)[0]
            if name in self._option_string_actions or _looks_negative_number(arg):
                continue
            self.error(f"unrecognized option {arg!r}" + self._suggestion(name))

    def _suggestion(self, name):
        import difflib
        close = difflib.get_close_matches(name, list(self._option_string_actions), n=1)
        return f"; did you mean {close[0]!r}?" if close else ""
