"""The schema of a saved model's model.json, checked as if the file were hostile.

parse_json() turns the member's bytes into Python objects with the size, nesting and number syntax
bounded; check_meta() accepts only the known top-level fields, settings and state attributes, each of its
own type, and returns them normalised. Settings are only type-checked here: their values are validated by
the Word2Vec constructor itself, which the loader calls without a corpus. Both raise MetadataError, which
the loader reports as a FormatError naming the file.
"""
import json
import math

import numpy as np

FORMAT = "w2vfast-model"
VERSION = 1
JSON_LIMIT = 256 << 20  # model.json bytes: ~15 M keys of typical length; the rest of it is a few KB
JSON_DEPTH_LIMIT = 8  # the schema itself needs 2
MAX_RNG_STATES = 4096  # one per worker thread, and workers is capped at 4096
_I64 = 1 << 63


class MetadataError(ValueError):
    """model.json breaks the schema (the message says where)."""


def _int(v):
    return type(v) is int and -_I64 <= v < _I64


def _count(v):
    return type(v) is int and 0 <= v < _I64


def _number(v):  # JSON may write a whole-number float as an int
    return (type(v) is float and math.isfinite(v)) or (type(v) is int and -_I64 <= v < _I64)


def _nonnegative(v):
    return _number(v) and v >= 0


def _bool(v):
    return type(v) is bool


def _str(v):
    return type(v) is str


def _optional(check):
    return lambda v: v is None or check(v)


# name -> (check, what the check wants); the constructor then validates the values.
SETTING_TYPES = {
    "vector_size": (_int, "an integer"), "alpha": (_number, "a number"), "window": (_int, "an integer"),
    "min_count": (_int, "an integer"), "max_vocab_size": (_optional(_int), "an integer or null"),
    "sample": (_number, "a number"), "seed": (lambda v: type(v) is int and 0 <= v < 2 * _I64, "a uint64"),
    "workers": (_int, "an integer"), "min_alpha": (_number, "a number"), "sg": (_int, "an integer"),
    "hs": (_int, "an integer"), "negative": (_int, "an integer"), "ns_exponent": (_number, "a number"),
    "cbow_mean": (_int, "an integer"), "epochs": (_int, "an integer"), "null_word": (_int, "an integer"),
    "sorted_vocab": (_int, "an integer"), "batch_words": (_int, "an integer"),
    "compute_loss": (_bool, "true or false"), "comment": (_optional(_str), "a string or null"),
    "max_final_vocab": (_optional(_int), "an integer or null"), "shrink_windows": (_bool, "true or false"),
    "max_sentence_length": (_int, "an integer"), "shared_negatives": (_bool, "true or false"),
    "alpha_schedule": (_str, "a string"), "private_rows": (_optional(_int), "an integer or null"),
}
STATE_TYPES = {
    "corpus_count": (_count, "an integer >= 0"), "corpus_total_words": (_count, "an integer >= 0"),
    "train_count": (_count, "an integer >= 0"), "total_train_time": (_nonnegative, "a number >= 0"),
    "running_training_loss": (_number, "a finite number"), "min_alpha_yet_reached": (_nonnegative, "a number >= 0"),
}
SETTINGS = tuple(SETTING_TYPES)
STATE = tuple(STATE_TYPES)
TOP_LEVEL = {"format", "version", "settings", "state", "rng_states", "keys"}

_STEP = np.zeros(256, np.int64)
_STEP[list(b"[{")] = 1
_STEP[list(b"]}")] = -1
_QUOTE = ord('"')
_SLICE = 1 << 20


def _nesting(raw):
    """Deepest bracket nesting of a JSON text, outside strings (an upper bound for malformed text).

    Linear time and bounded memory whatever the text: no regular expression (an unterminated string of
    escaped quotes would make one backtrack quadratically) and no array the size of the text.
    """
    if raw.count(b"[") + raw.count(b"{") <= JSON_DEPTH_LIMIT:  # every real model.json: no scan needed
        return 0
    # Backslashes appear only inside strings: drop escaped backslashes, then escaped quotes, and every
    # quote left delimits a string, so the parity of the quotes before a byte says whether it is inside one.
    text = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    inside = depth = deepest = 0
    for i in range(0, len(text), _SLICE):
        chunk = np.frombuffer(text, np.uint8, count=min(_SLICE, len(text) - i), offset=i)
        quotes = np.cumsum(chunk == _QUOTE) + inside
        steps = np.where(quotes & 1, 0, _STEP[chunk])
        run = depth + np.cumsum(steps)
        deepest = max(deepest, int(run.max()))
        depth, inside = int(run[-1]), int(quotes[-1]) & 1
    return deepest


def _refuse_constant(name):
    raise MetadataError(f"model.json: {name} is not a number w2vfast writes")


def parse_json(raw):
    if _nesting(raw) > JSON_DEPTH_LIMIT:
        raise MetadataError(f"model.json nests deeper than {JSON_DEPTH_LIMIT} levels")
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except MetadataError:
        raise
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError, too many int digits
        raise MetadataError(f"model.json is not valid JSON: {exc}") from None


def _check_fields(block, types, what):
    if type(block) is not dict:
        raise MetadataError(f"model.json: {what} must be an object")
    unknown = set(block) - set(types)
    if unknown:
        raise MetadataError(f"model.json: unknown {what} {', '.join(sorted(map(repr, unknown)))}")
    for name, value in block.items():
        check, wanted = types[name]
        if not check(value):
            raise MetadataError(f"model.json: {what} {name} must be {wanted}, got {_short(value)}")
    return dict(block)


def _short(value):
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_meta(meta):
    """(settings, state, rng_states as ints, keys) from a parsed model.json, or MetadataError.

    Settings or state attributes the file leaves out keep the constructor's defaults.
    """
    if type(meta) is not dict or meta.get("format") != FORMAT:
        found = meta.get("format") if type(meta) is dict else type(meta).__name__
        raise MetadataError(f"not a w2vfast model file (format {_short(found)})")
    version = meta.get("version")
    if type(version) is not int or version < 1:
        raise MetadataError(f"model.json: bad format version {_short(version)}")
    if version > VERSION:
        raise MetadataError(f"written by a newer w2vfast (format version {version}); upgrade")
    unknown = set(meta) - TOP_LEVEL
    if unknown:
        raise MetadataError(f"model.json: unknown field(s) {', '.join(sorted(map(repr, unknown)))}")
    missing = {"settings", "state", "keys"} - set(meta)
    if missing:
        raise MetadataError(f"model.json lacks {', '.join(sorted(missing))}")
    settings = _check_fields(meta["settings"], SETTING_TYPES, "setting")
    state = _check_fields(meta["state"], STATE_TYPES, "state attribute")
    return settings, state, _rng_states(meta.get("rng_states", [])), _keys(meta["keys"])


def _rng_states(states):
    if type(states) is not list or len(states) > MAX_RNG_STATES:
        raise MetadataError(f"model.json: rng_states must be a list of at most {MAX_RNG_STATES} strings")
    out = []
    for s in states:
        # decimal only (no sign, spaces, underscores or leading zeros), nonzero, < 2**64
        if not (type(s) is str and 1 <= len(s) <= 20 and s.isascii() and s.isdigit() and s[0] != "0"
                and int(s) < 2 * _I64):
            raise MetadataError(f"model.json: rng_states must be decimal strings of nonzero 64-bit integers, "
                                f"got {_short(s)}")
        out.append(int(s))
    return out


def _keys(keys):
    if type(keys) is not list or not keys:
        raise MetadataError("model.json: keys must be a non-empty list of strings")
    for k in keys:
        if type(k) is not str:
            raise MetadataError(f"model.json: keys must be strings, found {_short(k)}")
    try:
        # keys become UTF-8 for the token table (undecodable corpus bytes travel as lone low surrogates)
        "".join(keys).encode("utf-8", "surrogateescape")
    except UnicodeEncodeError as exc:
        raise MetadataError(f"model.json: a key is not valid text: {exc}") from None
    if len(set(keys)) != len(keys):
        seen = set()
        dup = next(k for k in keys if k in seen or seen.add(k))
        raise MetadataError(f"model.json: duplicate key {_short(dup)}")
    return keys
