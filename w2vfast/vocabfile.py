"""word2vec.c's vocabulary files (-save-vocab / -read-vocab): one "word count" line per word.

word2vec.c lists its sentence-end token "</s>" first; w2vfast has no such token (line ends are not words),
so reading skips it and writing never produces it.
"""
from .io import _AtomicFile, read_vocab_counts

SENTENCE_END = "</s>"


def save_vocab(path, keys, counts):
    """Write "word count" lines in the given (vocabulary) order; atomic."""
    lines = "".join(f"{key} {int(count)}\n" for key, count in zip(keys, counts))
    with _AtomicFile(path) as f:
        f.write(lines.encode("utf-8", "surrogateescape"))


def read_vocab(path):
    """{word: count} from a vocabulary file, without word2vec.c's "</s>" entry."""
    counts = read_vocab_counts(path, unicode_errors="surrogateescape")
    counts.pop(SENTENCE_END, None)
    if not counts:
        raise ValueError(f"the vocabulary file {path!r} lists no words")
    return counts
