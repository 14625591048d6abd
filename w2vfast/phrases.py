"""Phrase detection ("new york" -> "new_york"), a drop-in for gensim 4's Phrases / FrozenPhrases.

Counting runs in C (_phrases.pyx): from a file (corpus_file=) in threads over line-aligned byte ranges
without the GIL, or from an iterable of token lists through a C token table. The counts and the scores are
gensim's: one table of unigrams and "a_b" bigrams, the "default" score
(count(a_b) - min_count) / (count(a) * count(b)) * len(vocab) or "npmi", connector words inside phrases, and
pruning by gensim's rule when max_vocab_size is passed (see Phrases).

Saved files are uncompressed ZIP archives holding ``phrases.json`` (settings and statistics), ``keys.bin``
(every key's UTF-8 bytes back to back) and ``offsets.npy`` plus ``counts.npy`` (Phrases) or ``scores.npy``
(FrozenPhrases): no pickle, so loading runs no code from the file.
"""
import io
import json
import logging
import os
import tempfile
import zipfile
from itertools import chain

import numpy as np

from . import _phrases
from ._phrases import KeySet, PhraseCounts, PhraseTable, line_ranges
from ._stopflag import StopFlag
from .errors import FormatError

logger = logging.getLogger(__name__)

NEGATIVE_INFINITY = float("-inf")
FORMAT = "w2vfast-phrases"
VERSION = 1
# Common English function words, for connector_words: "bank_of_america" rather than no phrase at all.
ENGLISH_CONNECTOR_WORDS = frozenset("a an the for of with without at from to in on by and or".split())
_MIN_BYTES_PER_WORKER = 1 << 20   # a thread per range only pays off from about this much text up


def _check_settings(min_count, threshold, scoring, delimiter, max_vocab_size):
    if callable(scoring):
        raise ValueError("custom scoring functions are not supported (scores are computed in C): use "
                         "scoring='default' or 'npmi'")
    if scoring not in _phrases.SCORINGS:
        raise ValueError(f"unknown scoring {scoring!r}: use 'default' or 'npmi'")
    if int(min_count) < 1:
        raise ValueError(f"min_count must be at least 1, got {min_count}")
    threshold = float(threshold)
    if threshold != threshold:
        raise ValueError("threshold must be a number, got NaN")
    if scoring == "default" and threshold <= 0:
        raise ValueError(f"threshold must be positive for scoring='default', got {threshold}")
    if scoring == "npmi" and not -1 <= threshold <= 1:
        raise ValueError(f"threshold must lie in [-1, 1] for scoring='npmi', got {threshold}")
    if not isinstance(delimiter, str) or not delimiter:
        raise ValueError(f"delimiter must be a non-empty str, got {delimiter!r}")
    if max_vocab_size is not None and int(max_vocab_size) < 1:
        raise ValueError(f"max_vocab_size must be None or >= 1, got {max_vocab_size}")


def _is_sentence(obj):
    """One sentence (a list/tuple of str, possibly empty) rather than a corpus of them."""
    return isinstance(obj, (list, tuple)) and (not obj or isinstance(obj[0], str))


class _PhrasedCorpus:
    """corpus with phrases joined, sentence by sentence, each time it is iterated."""

    def __init__(self, model, corpus):
        self.model = model
        self.corpus = corpus

    def __iter__(self):
        for sentence in self.corpus:
            yield self.model[sentence]

    def __len__(self):
        return len(self.corpus)


class _Transformation:
    """What Phrases and FrozenPhrases share: gensim's analyze_sentence and the [] and find_phrases API."""

    def score_candidate(self, word_a, word_b, in_between):  # pragma: no cover - overridden
        raise NotImplementedError

    def analyze_sentence(self, sentence):
        """Yields (token, score) for a sentence: joined phrases with their score, other tokens with None."""
        connectors = self.connector_words
        start, between = None, []
        for word in sentence:
            if word in connectors:
                if start:
                    between.append(word)   # connector words only live inside a candidate phrase
                else:
                    yield word, None
                continue
            if start:
                phrase, score = self.score_candidate(start, word, between)
                if score is not None:
                    yield phrase, score
                    start, between = None, []
                    continue
                yield start, None
                for w in between:
                    yield w, None
            start, between = word, []
        if start:
            yield start, None
            for w in between:
                yield w, None

    def __getitem__(self, sentence):
        """One sentence (list of str) -> its tokens with phrases joined; a corpus -> a lazy corpus of them."""
        if _is_sentence(sentence):
            return [token for token, _ in self.analyze_sentence(sentence)]
        if isinstance(sentence, (str, bytes)):
            raise TypeError("pass a sentence as a list of str tokens (e.g. text.split()), not a string")
        return _PhrasedCorpus(self, sentence)

    def find_phrases(self, sentences):
        """{phrase: score} of every phrase joined somewhere in sentences."""
        found = {}
        for sentence in sentences:
            for token, score in self.analyze_sentence(sentence):
                if score is not None:
                    found[token] = score
        return found


def _expected_keys_of(sentences, max_keys):
    """A size for the counting table of an iterable read from a file of known size (LineSentence and
    PathLineSentences, ours or gensim's), so that it is not rehashed as it grows (each doubling revisits every
    key at random); 0 for other iterables. A compressed file holds more keys than its size says: its table
    still grows from there."""
    paths = getattr(sentences, "input_files", None)
    if not isinstance(paths, (list, tuple)):
        source = getattr(sentences, "source", None)
        paths = [source] if isinstance(source, (str, bytes, os.PathLike)) else []
    try:
        size = sum(os.path.getsize(p) for p in paths)
    except (OSError, TypeError, ValueError):
        return 0
    return _phrases._expected_keys(size, max_keys) if size else 0


def _workers_for(path, workers):
    size = os.path.getsize(path)
    workers = int(workers)
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    return max(1, min(workers, size // _MIN_BYTES_PER_WORKER))


def _check_file(path):
    from ._corpus import check_corpus_file  # empty, missing, compressed: one clear error naming the file
    try:
        check_corpus_file(path)
    except ValueError as exc:
        raise ValueError(str(exc).replace("corpus_file", "phrases corpus_file", 1)) from None
    return os.fspath(path)


class Phrases(_Transformation):
    """Learn phrases from a corpus; gensim 4's parameters, defaults and scores.

    sentences : iterable of lists of str tokens, counted through a C token table.
    corpus_file : a plain text file (tokens split at whitespace, a sentence per line), counted in C by
        `workers` threads (default 1, which gives gensim's result even when pruning) over line-aligned byte
        ranges; a thread's range is at least 1 MB. More threads pay where cores are free: each thread's table
        is merged into the first at the end.
    phrases : a FrozenPhrases (or Phrases) whose phrases are joined before counting: the second pass that
        finds trigrams ("new_york city" -> "new_york_city") in a corpus_file without writing a joined copy.
        (For iterables, pass bigram[sentences] as gensim does.)

    Pruning: when the table holds more than max_vocab_size keys after a sentence, every key counted fewer
    than min_reduce times is dropped and min_reduce grows by one (from 1), as gensim does. With several
    workers each thread prunes its own range's table and the merged table is pruned once more if still too
    large, so up to workers * max_vocab_size keys may be held at once and, once pruning happens, counts can
    differ from a one-thread run (as gensim's own add_vocab merges differ from one pass).
    """

    def __init__(self, sentences=None, min_count=5, threshold=10.0, max_vocab_size=40000000, delimiter="_",
                 progress_per=10000, scoring="default", connector_words=frozenset(), *, corpus_file=None,
                 workers=1, phrases=None):
        _check_settings(min_count, threshold, scoring, delimiter, max_vocab_size)
        self.min_count = int(min_count)
        self.threshold = float(threshold)
        self.max_vocab_size = None if max_vocab_size is None else int(max_vocab_size)
        self.delimiter = delimiter
        self.progress_per = int(progress_per)
        self.scoring = scoring
        self.connector_words = frozenset(connector_words)
        self.workers = workers
        self._connectors = KeySet(self.connector_words)
        self.counts = PhraseCounts()
        if sentences is not None or corpus_file is not None:
            self.add_vocab(sentences, corpus_file=corpus_file, phrases=phrases)

    # ---------------------------------------------------------------------------------- statistics
    @property
    def corpus_word_count(self):
        """Tokens counted, connector words included."""
        return self.counts.words

    @property
    def min_reduce(self):
        return self.counts.min_reduce

    @property
    def vocab(self):
        """The counts as a dict {unigram or "a_b" bigram: count} (built on each access: large)."""
        return dict(zip(self.counts.keys(), self.counts.counts().tolist()))

    def __len__(self):
        return len(self.counts)

    def __str__(self):
        return (f"Phrases<{len(self.counts)} vocab, min_count={self.min_count}, threshold={self.threshold}, "
                f"max_vocab_size={self.max_vocab_size}>")

    # ------------------------------------------------------------------------------------ learning
    def add_vocab(self, sentences=None, *, corpus_file=None, phrases=None):
        """Count more text (exactly one of sentences or corpus_file) and merge it into the counts."""
        if (sentences is None) == (corpus_file is None):
            raise TypeError("pass exactly one of sentences or corpus_file")
        max_keys = self.max_vocab_size or 0
        if corpus_file is not None:
            path = _check_file(corpus_file)
            base = None if phrases is None else as_frozen(phrases)._table()
            ranges = line_ranges(path, _workers_for(path, self.workers))
            new = _phrases.learn_file(path, ranges, self._connectors, self.delimiter, max_keys, base)
            where = f" {path!r}"
        else:
            if phrases is not None:
                sentences = as_frozen(phrases)[sentences]
            if isinstance(sentences, (str, bytes, os.PathLike)):
                raise TypeError("sentences is a single string or path: pass corpus_file=PATH for a file, or an "
                                "iterable of token lists such as w2vfast.LineSentence(path)")
            every = max(1, self.progress_per)

            def progress(n, words, keys):
                if n % every == 0:
                    logger.info("PROGRESS: at sentence #%d, %d words, %d word types", n, words, keys)

            new = _phrases.learn_sentences(sentences, self._connectors, self.delimiter, max_keys, progress,
                                           _expected_keys_of(sentences, max_keys))
            where = ""
        if new.words == 0:
            raise ValueError(f"the corpus{where} has no tokens: nothing to learn phrases from")
        logger.info("collected %d token types (unigrams + bigrams) from %d words and %d sentences",
                    len(new), new.words, new.sentences)
        if len(self.counts) == 0 and self.counts.words == 0:
            self.counts = new
        else:
            # gensim's add_vocab: merge, then prune once if the merged table is too large
            self.counts.merge(new)
            if max_keys and len(self.counts) > max_keys:
                self.counts.prune(self.counts.min_reduce)
                self.counts.min_reduce += 1
        return self

    # ------------------------------------------------------------------------------------- scoring
    def score_candidate(self, word_a, word_b, in_between):
        """(phrase, score) when word_a [in_between...] word_b is a phrase above the threshold, else (None, None)."""
        a = self.counts.get(word_a)
        if a <= 0:
            return None, None
        b = self.counts.get(word_b)
        if b <= 0:
            return None, None
        phrase = self.delimiter.join(chain([word_a], in_between, [word_b]))
        ab = self.counts.get(phrase)
        if ab <= 0:
            return None, None
        score = self.counts.score(self.scoring, a, b, ab, self.min_count)
        if score <= self.threshold:
            return None, None
        return phrase, score

    def export_phrases(self):
        """{phrase: score} of every counted bigram (with its connector words) that beats the threshold."""
        phrases, scores = self.counts.export(self.delimiter, self.scoring, self.threshold, self.min_count)
        return dict(zip(phrases, scores.tolist()))

    def freeze(self):
        """The phrases alone (FrozenPhrases): smaller and faster, no further learning."""
        return FrozenPhrases(self)

    # ------------------------------------------------------------------------------------- persist
    def _settings(self):
        return {"min_count": self.min_count, "threshold": self.threshold, "max_vocab_size": self.max_vocab_size,
                "delimiter": self.delimiter, "progress_per": self.progress_per, "scoring": self.scoring,
                "connector_words": sorted(self.connector_words)}

    def save(self, path):
        """Write the counts and settings to path (see the module docstring for the layout); atomic."""
        keys, offsets, counts = self.counts.to_arrays()
        stats = {"corpus_word_count": self.counts.words, "sentences": self.counts.sentences,
                 "min_reduce": self.counts.min_reduce}
        _save(path, "phrases", self._settings(), stats, keys, offsets, {"counts.npy": counts})

    @classmethod
    def load(cls, path):
        meta, keys, offsets, arrays = _load(path, "phrases", "counts.npy")
        model = cls.__new__(cls)
        _restore_settings(model, meta, path)
        try:
            model.counts = PhraseCounts.from_arrays(keys, offsets, arrays["counts.npy"])
        except ValueError as exc:
            raise FormatError(f"{os.fspath(path)!r}: damaged phrases file: {exc}") from None
        stats = meta.get("stats", {})
        model.counts.words = int(stats.get("corpus_word_count", 0))
        model.counts.sentences = int(stats.get("sentences", 0))
        model.counts.min_reduce = int(stats.get("min_reduce", 1))
        model.workers = 1
        return model


class FrozenPhrases(_Transformation):
    """The phrases a Phrases model found (phrase -> score) and nothing else: for applying them.

    phrases[sentence] and phrases[corpus] join them in Python; for files, join_file() writes a joined copy
    in C, and Word2Vec(corpus_file=..., phrases=frozen) joins them while training, with no copy at all.
    """

    def __init__(self, phrases_model):
        self.threshold = phrases_model.threshold
        self.min_count = phrases_model.min_count
        self.delimiter = phrases_model.delimiter
        self.scoring = phrases_model.scoring
        self.connector_words = phrases_model.connector_words
        self.max_vocab_size = getattr(phrases_model, "max_vocab_size", None)
        self.progress_per = getattr(phrases_model, "progress_per", 10000)
        self.phrasegrams = phrases_model.export_phrases()
        self._c_table = None

    def __str__(self):
        return (f"FrozenPhrases<{len(self.phrasegrams)} phrases, min_count={self.min_count}, "
                f"threshold={self.threshold}>")

    def __len__(self):
        return len(self.phrasegrams)

    def score_candidate(self, word_a, word_b, in_between):
        phrase = self.delimiter.join(chain([word_a], in_between, [word_b]))
        score = self.phrasegrams.get(phrase, NEGATIVE_INFINITY)
        if score > self.threshold:
            return phrase, score
        return None, None

    def export_phrases(self):
        return dict(self.phrasegrams)

    def _table(self):
        """The phrases as a C table (built once; rebuilt if phrasegrams or the threshold changed)."""
        key = (id(self.phrasegrams), len(self.phrasegrams), self.threshold)
        if self._c_table is None or self._c_table[0] != key:
            table = PhraseTable(self.phrasegrams, KeySet(self.connector_words), self.delimiter, self.threshold)
            self._c_table = (key, table)
        return self._c_table[1]

    def join_file(self, source, target):
        """Write target: the text file source with its phrases joined (tokens separated by single spaces,
        one line per input line), in C. Atomic: target appears complete or not at all. Returns the number of
        phrases joined."""
        source = _check_file(source)
        target = os.fspath(target)
        table = self._table()
        folder = os.path.dirname(os.path.abspath(target))
        fd, tmp = tempfile.mkstemp(prefix=".phrases-", dir=folder)
        try:
            with os.fdopen(fd, "wb") as out:
                joined = table.join_file(source, out.write)
            os.replace(tmp, target)
        except BaseException:
            os.unlink(tmp)
            raise
        return joined

    def scan_file(self, path, max_vocab_size=None, workers=1, max_sentence_length=10000):
        """w2vfast._corpus.scan_file of the file with these phrases joined (Word2Vec's vocabulary scan)."""
        from ._corpus import ScanResult, _join_sentences
        path = _check_file(path)
        max_keys = 0 if max_vocab_size is None else int(max_vocab_size)
        ranges = [r for r in line_ranges(path, _workers_for(path, workers)) if r[1] > r[0]]
        table = self._table()
        results = [None] * len(ranges)
        stop = StopFlag()

        def work(i):
            results[i] = table.scan_joined(path, ranges[i][0], ranges[i][1], max_keys, max_sentence_length, stop)

        _phrases.run_counting(work, len(ranges), stop)
        total = results[0][0]
        for counts, _ in results[1:]:
            total.merge(counts)
        summaries = [lines for _, lines in results]
        words = sum(s[0] for s in summaries)
        return ScanResult(total.keys(), total.counts(), words, _join_sentences(summaries, max_sentence_length))

    def _settings(self):
        return {"min_count": self.min_count, "threshold": self.threshold, "max_vocab_size": self.max_vocab_size,
                "delimiter": self.delimiter, "progress_per": self.progress_per, "scoring": self.scoring,
                "connector_words": sorted(self.connector_words)}

    def save(self, path):
        """Write the phrases and settings to path (see the module docstring for the layout); atomic."""
        names = list(self.phrasegrams)
        encoded = [k.encode("utf-8", "surrogateescape") for k in names]
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        offsets[1:] = np.cumsum([len(b) for b in encoded], dtype=np.int64)
        scores = np.array([self.phrasegrams[k] for k in names], dtype=np.float64)
        _save(path, "frozen", self._settings(), {}, b"".join(encoded), offsets, {"scores.npy": scores})

    @classmethod
    def load(cls, path):
        meta, keys, offsets, arrays = _load(path, "frozen", "scores.npy")
        model = cls.__new__(cls)
        _restore_settings(model, meta, path)
        scores = arrays["scores.npy"]
        if scores.dtype != np.float64 or len(offsets) != len(scores) + 1:
            raise FormatError(f"{os.fspath(path)!r}: damaged phrases file: scores do not match the phrases")
        names = [keys[offsets[i]:offsets[i + 1]].decode("utf-8", "surrogateescape") for i in range(len(scores))]
        model.phrasegrams = dict(zip(names, scores.tolist()))
        model._c_table = None
        return model


Phraser = FrozenPhrases  # gensim 3's name


def as_frozen(phrases):
    """A FrozenPhrases from a FrozenPhrases or a Phrases model (frozen on the fly); TypeError otherwise."""
    if isinstance(phrases, FrozenPhrases):
        return phrases
    if isinstance(phrases, Phrases):
        return phrases.freeze()
    raise TypeError(f"phrases must be a w2vfast Phrases or FrozenPhrases, got {type(phrases).__name__}")


# --------------------------------------------------------------------------------------------- files
def _save(path, kind, settings, stats, keys, offsets, arrays):
    path = os.fspath(path)
    meta = {"format": FORMAT, "version": VERSION, "kind": kind, "settings": settings, "stats": stats}
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".phrases-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh, zipfile.ZipFile(fh, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
            zf.writestr("phrases.json", json.dumps(meta, indent=1))
            zf.writestr("keys.bin", keys)
            for name, arr in [("offsets.npy", offsets), *arrays.items()]:
                buf = io.BytesIO()
                np.save(buf, arr, allow_pickle=False)
                zf.writestr(name, buf.getvalue())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _load(path, kind, array_name):
    path = os.fspath(path)
    with open(path, "rb"):   # FileNotFoundError / PermissionError naming the path
        pass
    try:
        with zipfile.ZipFile(path) as zf:
            meta = json.loads(zf.read("phrases.json"))
            if not isinstance(meta, dict) or meta.get("format") != FORMAT:
                raise FormatError(f"{path!r} is not a w2vfast phrases file")
            if meta.get("version") != VERSION:
                raise FormatError(f"{path!r}: unsupported phrases file version {meta.get('version')!r}")
            if meta.get("kind") != kind:
                other = "FrozenPhrases" if meta.get("kind") == "frozen" else "Phrases"
                raise FormatError(f"{path!r} holds {other}: load it with {other}.load")
            keys = zf.read("keys.bin")
            offsets = np.load(io.BytesIO(zf.read("offsets.npy")), allow_pickle=False)
            arrays = {array_name: np.load(io.BytesIO(zf.read(array_name)), allow_pickle=False)}
    except FormatError:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError) as exc:
        raise FormatError(f"{path!r} is not a readable w2vfast phrases file ({exc})") from None
    if offsets.dtype != np.int64 or offsets.ndim != 1 or len(offsets) == 0 or offsets[0] != 0 or \
            offsets[-1] != len(keys) or np.any(np.diff(offsets) < 0):
        raise FormatError(f"{path!r}: damaged phrases file: key offsets do not match the keys")
    return meta, keys, offsets, arrays


def _restore_settings(model, meta, path):
    s = meta.get("settings", {})
    try:
        _check_settings(s["min_count"], s["threshold"], s["scoring"], s["delimiter"], s["max_vocab_size"])
        model.min_count = int(s["min_count"])
        model.threshold = float(s["threshold"])
        model.max_vocab_size = s["max_vocab_size"]
        model.delimiter = s["delimiter"]
        model.progress_per = int(s.get("progress_per", 10000))
        model.scoring = s["scoring"]
        model.connector_words = frozenset(s["connector_words"])
    except (KeyError, TypeError, ValueError) as exc:
        raise FormatError(f"{os.fspath(path)!r}: damaged phrases settings ({exc})") from None
    if isinstance(model, Phrases):
        model._connectors = KeySet(model.connector_words)
