"""Expected update terms per corpus word for every row of the trained matrices (for merge="adaptive").

How often a replica updates a row in a round follows from the vocabulary alone: the word counts, the
subsampling probabilities, the window, the Huffman paths and the noise distribution. So the driver computes
it once and no replica has to count or send anything. Counted are (centre, context) updates, and in them
the terms of the rows' gradients:

- a kept word is the centre of `pairs` = window + 1 (context words on both sides, window shrunk uniformly
  at random) or 2 * window (no shrinking) pairs, and the context of as many;
- skip-gram updates the context word's syn0 row and the centre word's output rows once per pair;
  CBOW updates every context word's syn0 row once per centre and the centre's output rows once;
- hierarchical softmax updates every inner node on the output word's Huffman path; negative sampling
  updates the output word's syn1neg row and `negative` rows drawn from the noise distribution.

Sentence ends, which shorten some windows, are ignored: the rates are estimates.
"""
import numpy as np

from ..vocab import keep_probabilities, keep_thresholds, noise_weights


def update_rates(counts, *, sg, hs, negative, window, sample, shrink_windows=True, ns_exponent=0.75,
                 code_offsets=None, points=None):
    """Expected update terms of each row per raw corpus word (float64 arrays, one entry per row), by kind:
    "syn1" (hs) and "syn1neg" (negative) for the output rows, "syn0/syn1" and "syn0/syn1neg" for the input
    rows' terms with each output matrix. A term is one (input row, output row) product: an output row gets
    one per update, an input row one per output row of the update (the Huffman path's nodes, or the
    1 + negative syn1neg rows)."""
    counts = np.asarray(counts, dtype=np.float64)
    total = counts.sum()
    if total <= 0:
        return {}
    kept = counts / total * keep_probabilities(keep_thresholds(counts, sample))   # kept occurrences per word
    pairs = (window + 1) if shrink_windows else 2 * window
    per_centre = pairs if sg else 1            # output-row updates per kept occurrence of the centre word
    rates = {}
    if hs:
        lengths = np.diff(np.asarray(code_offsets, dtype=np.int64))
        node_rates = np.zeros(len(counts), dtype=np.float64)      # syn1 has a row per word; V - 1 are used
        np.add.at(node_rates, np.asarray(points, dtype=np.int64), np.repeat(kept * per_centre, lengths))
        rates["syn1"] = node_rates
        # an input row meets the path of whichever centre word it is updated for: their mean length
        rates["syn0/syn1"] = kept * pairs * (np.dot(kept, lengths) / max(kept.sum(), 1e-300))
    if negative:
        centres = kept.sum() * per_centre      # output updates per corpus word, each with `negative` draws
        rates["syn1neg"] = kept * per_centre + centres * negative * noise_weights(counts, ns_exponent)
        rates["syn0/syn1neg"] = kept * pairs * (1 + negative)
    return rates


def model_update_rates(model):
    """update_rates() for a Word2Vec with its vocabulary (and Huffman tree, with hs) built."""
    v = model.vocabulary
    return update_rates(v.counts, sg=model.sg, hs=model.hs, negative=model.negative, window=model.window,
                        sample=model.sample, shrink_windows=model.shrink_windows, ns_exponent=model.ns_exponent,
                        code_offsets=v.code_offsets if model.hs else None, points=v.points if model.hs else None)
