"""Vocabulary on a cluster: each worker counts byte ranges with the C scanner, the driver merges.

The merge gives exactly what single-node build_vocab(corpus_file=...) gives on the same text: token counts
are exact whichever range a token falls in, keys are merged in file order (so first-appearance order, which
matters only with sorted_vocab=0, is the one-reader order), and sentence counts join lines cut by range
boundaries the way scan_file does. Only with max_vocab_size (pruning while counting) does each range prune
on its own, as scan_file's threads already do.
"""
from .._corpus import _Counter, _join_sentences


def count_range(path, start, end, max_keys, max_sentence_length):
    """Runs on a worker: (keys, counts, line summary) of bytes [start, end) of path."""
    counter = _Counter(max_keys, max_sentence_length)
    counter.count_range(path, start, end)
    keys, counts = counter.result()
    return keys, counts, counter.lines()


def merge_counts(results, file_of_range, max_sentence_length):
    """Driver: merge count_range results given in file order; returns (keys, counts list, words, sentences).

    file_of_range[i] names the file of results[i]: lines never continue from one file into the next.
    """
    merged = {}
    for keys, counts, _ in results:
        get = merged.get
        for k, c in zip(keys, counts.tolist()):
            merged[k] = get(k, 0) + c
    words = sum(r[2][0] for r in results)
    sentences = 0
    start = 0
    for i in range(1, len(results) + 1):
        if i == len(results) or file_of_range[i] != file_of_range[start]:
            sentences += _join_sentences([r[2] for r in results[start:i]], max_sentence_length)
            start = i
    return list(merged), list(merged.values()), words, sentences
