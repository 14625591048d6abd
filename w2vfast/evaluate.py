"""Intrinsic evaluation of word vectors: analogies (questions-words.txt) and similarity judgements
(WordSim-353, SimLex-999), with the same rules as gensim's KeyedVectors methods of the same names, so the
numbers are comparable.

Analogy questions are answered all at once from one matrix product, the cosines between the (few hundred)
distinct question words and the vocabulary, instead of one most_similar call (a pass over the whole
vocabulary) per question.
"""
import itertools
import logging
from collections import namedtuple

import numpy as np

from . import _fastio

logger = logging.getLogger(__name__)

__all__ = ["evaluate_word_analogies", "evaluate_word_pairs", "CorrelationResult"]

_BLOCK_BYTES = 4 << 20      # cosines of the question words with one block of the vocabulary (kept in cache)
_TOPN = 5                   # gensim looks at the 5 best answers (after removing the question words)


class CorrelationResult(namedtuple("CorrelationResult", ["statistic", "pvalue"])):
    """(statistic, pvalue), indexable like the scipy results gensim returns."""

    __slots__ = ()

    @property
    def correlation(self):
        return self.statistic


def _open_text(path):
    from .io import _open_read
    f, close, _, _ = _open_read(path)
    return f, close


def _ok_vocab(kv, restrict_vocab, case_insensitive):
    """{key (upper-cased when case_insensitive): row} over the first restrict_vocab keys; on a case clash
    the first row wins. Also canon[i]: the row that key i's (folded) form maps to."""
    keys = kv.index_to_key[:restrict_vocab]
    folded = [k.upper() if isinstance(k, str) else k for k in keys] if case_insensitive else list(keys)
    ok = {}
    for i in range(len(folded) - 1, -1, -1):
        ok[folded[i]] = i
    canon = np.fromiter((ok[f] for f in folded), dtype=np.intp, count=len(folded))
    return ok, canon


def _normed(kv, n):
    vecs = np.asarray(kv.vectors[:n], dtype=np.float32)
    norms = np.linalg.norm(vecs, axis=1)
    inv = np.zeros_like(norms)
    np.divide(1.0, norms, out=inv, where=norms > 0)
    return vecs * inv[:, None]


def _unit_rows(m):
    norms = np.linalg.norm(m, axis=1)
    inv = np.zeros_like(norms)
    np.divide(1.0, norms, out=inv, where=norms > 0)
    return m * inv[:, None]


def _answer(normed, canon, qa, qb, qc, similarity_function):
    """Row predicted for each question (a : b :: c : ?), or -1 when there is no candidate at all.

    Rules as in gensim: the three question rows are never candidates; of the 5 best remaining rows the
    first whose folded form differs from the three question words wins, else the 5th.

    The questions use few distinct words (about 900 in questions-words.txt), so the cosines of those
    words with the vocabulary are one matrix product, U @ N.T, and each question's score for a word is
    a sum (3CosAdd: cos(b) + cos(c) - cos(a), which ranks like the cosine with the normalised offset
    vector) or product (3CosMul) of three entries of it. The vocabulary is walked in blocks small
    enough for that product to stay in cache, and a C loop keeps each question's running top 5.
    """
    n = normed.shape[0]
    q = len(qa)
    predicted = np.full(q, -1, dtype=np.intp)
    if n == 0 or q == 0:
        return predicted
    qa, qb, qc = (np.ascontiguousarray(x, dtype=np.intp) for x in (qa, qb, qc))
    uniq, inverse = np.unique(np.concatenate((qa, qb, qc)), return_inverse=True)
    inverse = inverse.astype(np.intp)
    ua, ub, uc = (np.ascontiguousarray(inverse[i * q:(i + 1) * q]) for i in range(3))
    terms = normed[uniq]
    k = min(_TOPN, n)
    width = int(min(n, max(256, _BLOCK_BYTES // (4 * len(uniq)))))
    best_idx = np.full((q, k), -1, dtype=np.intp)
    best_val = np.full((q, k), -np.inf, dtype=np.float32)
    multiplicative = similarity_function == "3CosMul"
    for v0 in range(0, n, width):
        cos = terms @ normed[v0:v0 + width].T             # (distinct question words) x (block)
        if multiplicative:
            cos += 1.0
            cos *= 0.5                                     # cosines shifted to [0, 1], as gensim does
        _fastio.analogy_scan(np.ascontiguousarray(cos, dtype=np.float32), ua, ub, uc, qa, qb, qc, v0,
                             multiplicative, best_idx, best_val)

    valid = best_idx >= 0
    fold = canon[np.maximum(best_idx, 0)]
    acceptable = valid & (fold != canon[qa][:, None]) & (fold != canon[qb][:, None]) & (fold != canon[qc][:, None])
    first_ok = np.argmax(acceptable, axis=1)
    any_ok = acceptable.any(axis=1)
    n_valid = valid.sum(axis=1)
    pick = np.where(any_ok, first_ok, np.maximum(n_valid - 1, 0))
    chosen = best_idx[np.arange(q), pick]
    predicted[:] = np.where(n_valid > 0, chosen, -1)
    return predicted


def _score(section):
    correct, incorrect = len(section["correct"]), len(section["incorrect"])
    if correct + incorrect == 0:
        return 0.0
    score = correct / (correct + incorrect)
    logger.info("%s: %.1f%% (%i/%i)", section["section"], 100.0 * score, correct, correct + incorrect)
    return score


def evaluate_word_analogies(kv, analogies, restrict_vocab=300000, case_insensitive=True, dummy4unknown=False,
                            similarity_function="3CosAdd"):
    """Accuracy on an analogy file: lines "a b c d" (a is to b as c is to d) in sections ": name".

    Parameters
    ----------
    kv : KeyedVectors (ours or gensim's: only index_to_key and vectors are used)
    analogies : path (plain, .gz or .bz2)
    restrict_vocab : only the first restrict_vocab keys count as known, and only they are candidates.
    case_insensitive : compare upper-cased words (the first of several case variants wins).
    dummy4unknown : count questions with unknown words as wrong instead of skipping them.
    similarity_function : "3CosAdd" (vector offset, gensim's most_similar) or "3CosMul" (Levy and
        Goldberg's multiplicative objective, gensim's most_similar_cosmul).

    Returns
    -------
    (accuracy, sections): sections is a list of {"section", "correct", "incorrect"} with (a, b, c, d)
    tuples (upper-cased when case_insensitive), ending with a "Total accuracy" section; accuracy is that
    section's score.
    """
    aliases = {"3cosadd": "3CosAdd", "most_similar": "3CosAdd", "3cosmul": "3CosMul",
               "most_similar_cosmul": "3CosMul"}
    func = aliases.get(str(similarity_function).lower())
    if func is None:
        raise ValueError(f"similarity_function must be '3CosAdd' or '3CosMul', got {similarity_function!r}")
    ok, canon = _ok_vocab(kv, restrict_vocab, case_insensitive)
    n = len(canon)

    sections, section = [], None
    slots = []                  # [question words, result] for each question to answer, in file order
    qs = []
    oov = quadruplets = 0
    f, close = _open_text(analogies)
    try:
        for line_no, raw in enumerate(f):
            line = raw.decode("utf-8")
            if line.startswith(": "):
                if section:
                    sections.append(section)
                section = {"section": line.lstrip(": ").strip(), "correct": [], "incorrect": [], "_order": []}
                continue
            if not section:
                raise ValueError(f"Missing section header before line #{line_no} in {analogies}")
            words = line.split()
            if len(words) != 4:
                logger.info("Skipping invalid line #%i in %s", line_no, analogies)
                continue
            if case_insensitive:
                words = [w.upper() for w in words]
            quadruplets += 1
            if not all(w in ok for w in words):
                oov += 1
                if dummy4unknown:
                    section["_order"].append([tuple(words), False])
                continue
            qs.append((ok[words[0]], ok[words[1]], ok[words[2]], ok[words[3]]))
            entry = [tuple(words), None]
            slots.append(entry)
            section["_order"].append(entry)
    finally:
        if close:
            f.close()
    if section:
        sections.append(section)

    if qs:
        q = np.asarray(qs, dtype=np.intp)
        normed = _normed(kv, n)
        predicted = _answer(normed, canon, q[:, 0], q[:, 1], q[:, 2], func)
        hit = (predicted >= 0) & (canon[np.maximum(predicted, 0)] == q[:, 3])
    else:
        hit = np.zeros(0, dtype=bool)
    for entry, h in zip(slots, hit.tolist()):
        entry[1] = h
    # each section's lists in file order (unknown-word dummies, counted wrong, where they occurred)
    for sec in sections:
        order = sec.pop("_order")
        sec["correct"] = [words for words, h in order if h]
        sec["incorrect"] = [words for words, h in order if not h]
        _score(sec)

    total = {
        "section": "Total accuracy",
        "correct": list(itertools.chain.from_iterable(s["correct"] for s in sections)),
        "incorrect": list(itertools.chain.from_iterable(s["incorrect"] for s in sections)),
    }
    if quadruplets:
        logger.info("Quadruplets with out-of-vocabulary words: %.1f%%", 100.0 * oov / quadruplets)
    score = _score(total)
    sections.append(total)
    return score, sections


def _rankdata(x):
    """Ranks 1..n with ties given their average rank (scipy's default)."""
    x = np.asarray(x, dtype=np.float64)
    order = np.argsort(x, kind="mergesort")
    xs = x[order]
    boundaries = np.concatenate(([True], xs[1:] != xs[:-1], [True]))
    starts = np.nonzero(boundaries)[0]
    # average of ranks start+1 .. end for each tie group
    avg = (starts[:-1] + starts[1:] + 1) / 2.0
    group = np.cumsum(boundaries[:-1]) - 1
    ranks = np.empty(len(x))
    ranks[order] = avg[group]
    return ranks


def _pearson(x, y):
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    xm = x - x.mean()
    ym = y - y.mean()
    denom = np.sqrt((xm @ xm) * (ym @ ym))
    if denom == 0:
        return float("nan")
    return float(np.clip((xm @ ym) / denom, -1.0, 1.0))


def _pvalues(r_pearson, r_spearman, n):
    try:
        from scipy import special
    except ImportError:
        return float("nan"), float("nan")
    if n < 3:
        return float("nan"), float("nan")
    p_pearson = float("nan")
    if np.isfinite(r_pearson):
        ab = n / 2.0 - 1.0
        p_pearson = float(2.0 * special.betainc(ab, ab, 0.5 * (1.0 - abs(r_pearson))))
    p_spearman = float("nan")
    if np.isfinite(r_spearman):
        dof = n - 2
        if abs(r_spearman) >= 1.0:
            p_spearman = 0.0
        else:
            t = r_spearman * np.sqrt(dof / ((r_spearman + 1.0) * (1.0 - r_spearman)))
            p_spearman = float(2.0 * special.stdtr(dof, -abs(t)))
    return p_pearson, p_spearman


def evaluate_word_pairs(kv, pairs, delimiter="\t", encoding="utf8", restrict_vocab=300000, case_insensitive=True,
                        dummy4unknown=False):
    """Correlation between the vectors' cosine similarities and human judgements.

    pairs: a file of "word1<delimiter>word2<delimiter>score" lines ('#' lines are comments).
    Returns (pearson, spearman, oov_ratio): pearson and spearman are (statistic, pvalue) results (the
    p-values need scipy, else NaN); oov_ratio is the percentage of pairs with an unknown word.
    With dummy4unknown pairs with unknown words get similarity 0 instead of being skipped.
    """
    ok, _ = _ok_vocab(kv, restrict_vocab, case_insensitive)
    gold, ia, ib = [], [], []
    oov = 0
    f, close = _open_text(pairs)
    try:
        for line_no, raw in enumerate(f):
            line = raw.decode(encoding)
            if not line or line.startswith("#"):
                continue
            parts = line.split(delimiter)
            if case_insensitive:
                parts = [p.upper() for p in parts]
            try:
                a, b, sim = parts
                sim = float(sim)
            except (ValueError, TypeError):
                logger.info("Skipping invalid line #%d in %s", line_no, pairs)
                continue
            if a not in ok or b not in ok:
                oov += 1
                if dummy4unknown:
                    gold.append(sim)
                    ia.append(-1)
                    ib.append(-1)
                continue
            gold.append(sim)
            ia.append(ok[a])
            ib.append(ok[b])
    finally:
        if close:
            f.close()
    if not gold:
        raise ValueError(f"No valid similarity judgements found in {pairs}: either invalid format or all are "
                         f"out-of-vocabulary in {kv}")
    ia = np.asarray(ia, dtype=np.intp)
    ib = np.asarray(ib, dtype=np.intp)
    known = ia >= 0
    model = np.zeros(len(gold), dtype=np.float64)
    if known.any():
        vecs = np.asarray(kv.vectors, dtype=np.float32)
        va = _unit_rows(vecs[ia[known]])
        vb = _unit_rows(vecs[ib[known]])
        model[known] = np.einsum("ij,ij->i", va, vb)
    gold = np.asarray(gold, dtype=np.float64)
    r_p = _pearson(gold, model)
    r_s = _pearson(_rankdata(gold), _rankdata(model))
    p_p, p_s = _pvalues(r_p, r_s, len(gold))
    if dummy4unknown:
        oov_ratio = float(oov) / len(gold) * 100
    else:
        oov_ratio = float(oov) / (len(gold) + oov) * 100
    logger.info("Pearson correlation coefficient against %s: %.4f", pairs, r_p)
    logger.info("Spearman rank-order correlation coefficient against %s: %.4f", pairs, r_s)
    logger.info("Pairs with unknown words ratio: %.1f%%", oov_ratio)
    return CorrelationResult(r_p, p_p), CorrelationResult(r_s, p_s), oov_ratio
