"""The dual embedding space model (Mitra, Nalisnick, Craswell and Caruana, 2016).

word2vec learns two vectors per word: the input (IN) vector of the projection layer (syn0, `model.wv`)
and the output (OUT) vector of the output layer (syn1neg). IN-IN cosine similarity groups words of the same
type (yale ~ harvard); IN-OUT similarity groups words that occur together (yale ~ faculty). The DESM scores
a document for a query by comparing each query word's IN vector with the centroid of the document words'
unit-normalised OUT vectors.

Every function takes the two spaces as two KeyedVectors, `wv_in` and `wv_out`; each word is looked up in
the space it is used from, so the two only need the same vector size.
"""
import numpy as np

__all__ = ["in_out_similarity", "dual_embedding_score", "dual_embedding_scores", "dual_most_similar", "MODES"]

# mode -> (space of the query words, space of the document words)
MODES = {"in-out": ("in", "out"), "in-in": ("in", "in"), "out-out": ("out", "out"), "out-in": ("out", "in")}


def _spaces(wv_in, wv_out, mode):
    if mode not in MODES:
        raise ValueError(f"mode must be one of {sorted(MODES)}, got {mode!r}")
    if wv_in.vector_size != wv_out.vector_size:
        raise ValueError(f"IN and OUT vectors differ in size: {wv_in.vector_size} vs {wv_out.vector_size}")
    pick = {"in": wv_in, "out": wv_out}
    q, d = MODES[mode]
    return pick[q], pick[d]


def _unit_rows(m):
    m = np.asarray(m, dtype=np.float64)
    norms = np.linalg.norm(m, axis=-1, keepdims=True)
    out = np.zeros_like(m)
    np.divide(m, norms, out=out, where=norms > 0)
    return out


def _known_rows(kv, words, what):
    rows = [kv.get_index(w, -1) for w in words]
    rows = np.asarray([r for r in rows if r >= 0], dtype=np.intp)
    if len(rows) == 0:
        shown = list(words)[:10]
        raise ValueError(f"none of the {what} words is in the vocabulary: {shown}")
    return rows


def in_out_similarity(wv_in, wv_out, w1, w2):
    """cosine(IN(w1), OUT(w2)); KeyError names a missing word."""
    _spaces(wv_in, wv_out, "in-out")
    a = _unit_rows(wv_in.vectors[wv_in.get_index(w1)])
    b = _unit_rows(wv_out.vectors[wv_out.get_index(w2)])
    return float(a @ b)


def _centroid(kv, document_words):
    """Mean of the unit-normalised vectors of the known document words (repeats count), unit length."""
    rows = _known_rows(kv, document_words, "document")
    return _unit_rows(_unit_rows(kv.vectors[rows]).mean(axis=0))


def dual_embedding_score(wv_in, wv_out, query_words, document_words, mode="in-out"):
    """DESM score of a document for a query.

    The mean, over the query words found in the vocabulary, of cosine(query vector, centroid of the
    unit-normalised vectors of the document words found in the vocabulary). mode "in-out" (the paper's
    DESM_IN-OUT) takes query words from wv_in and document words from wv_out; "in-in" uses wv_in for both
    ("out-out" and "out-in" complete the set). Unknown words are skipped; a ValueError is raised when no
    query word or no document word is known.
    """
    q_kv, d_kv = _spaces(wv_in, wv_out, mode)
    q_rows = _known_rows(q_kv, query_words, "query")
    centroid = _centroid(d_kv, document_words)
    q = _unit_rows(q_kv.vectors[q_rows])
    return float((q @ centroid).mean())


def dual_embedding_scores(wv_in, wv_out, query_words, documents, mode="in-out"):
    """dual_embedding_score for each document of `documents` (a list of word lists), as an array.

    A document without any known word scores NaN (instead of raising) so that one empty document does
    not stop the ranking of the others.
    """
    q_kv, d_kv = _spaces(wv_in, wv_out, mode)
    q = _unit_rows(q_kv.vectors[_known_rows(q_kv, query_words, "query")])
    out = np.full(len(documents), np.nan)
    for i, doc in enumerate(documents):
        try:
            centroid = _centroid(d_kv, doc)
        except ValueError:
            continue
        out[i] = (q @ centroid).mean()
    return out


def dual_most_similar(wv_in, wv_out, word, topn=10, mode="in-out"):
    """Words whose vectors in the second space of `mode` are most similar to the word's vector in the
    first space (for "in-out": the words that tend to occur around `word`). The word itself is left out."""
    q_kv, d_kv = _spaces(wv_in, wv_out, mode)
    q = _unit_rows(q_kv.vectors[q_kv.get_index(word)])
    vecs = np.asarray(d_kv.vectors)
    norms = np.linalg.norm(vecs, axis=1)
    inv = np.zeros_like(norms, dtype=np.float64)
    np.divide(1.0, norms, out=inv, where=norms > 0)
    scores = (vecs @ q) * inv
    own = d_kv.get_index(word, -1)
    if own >= 0:
        scores[own] = -np.inf
    k = min(topn, len(scores) - (1 if own >= 0 else 0))
    if k <= 0:
        return []
    top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    top = top[np.argsort(-scores[top], kind="stable")][:k]
    return [(d_kv.index_to_key[i], float(scores[i])) for i in top]
