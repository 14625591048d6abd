"""Dual embedding space model on planted IN/OUT vectors whose answers are known by construction."""
import math

import numpy as np
import pytest

from w2vfast.dual import dual_embedding_score, dual_embedding_scores, dual_most_similar, in_out_similarity
from w2vfast.keyedvectors import KeyedVectors

# Basis directions: IN(cambridge) = e0. Words that occur *around* cambridge (university, students) have
# OUT vectors along e0; words of the same *type* (oxford, harvard) have IN vectors along e0.
E = np.eye(6)
WORDS = {             # word: (IN, OUT)
    "cambridge": (E[0], E[1]),
    "university": (E[3], 2 * E[0]),      # lengths differ: only directions may matter
    "students": (E[2], E[0]),
    "oxford": (5 * E[0], E[4]),
    "harvard": (E[0], E[4]),
    "giraffe": (E[5], E[5]),
    "nothing": (np.zeros(6), np.zeros(6)),
}


@pytest.fixture
def spaces():
    keys = list(WORDS)
    wv_in = KeyedVectors.from_arrays(keys, np.array([WORDS[k][0] for k in keys], dtype=np.float32))
    # the OUT space lists the same words in another order: lookups go by key, not by row
    out_keys = keys[::-1]
    wv_out = KeyedVectors.from_arrays(out_keys, np.array([WORDS[k][1] for k in out_keys], dtype=np.float32))
    return wv_in, wv_out


def test_in_out_similarity(spaces):
    wv_in, wv_out = spaces
    assert in_out_similarity(wv_in, wv_out, "cambridge", "university") == pytest.approx(1.0)
    assert in_out_similarity(wv_in, wv_out, "cambridge", "oxford") == pytest.approx(0.0)
    assert wv_in.similarity("cambridge", "oxford") == pytest.approx(1.0)   # IN-IN: same type
    assert in_out_similarity(wv_in, wv_out, "cambridge", "nothing") == 0.0
    with pytest.raises(KeyError, match="atlantis"):
        in_out_similarity(wv_in, wv_out, "atlantis", "university")


def test_scores_known_values(spaces):
    wv_in, wv_out = spaces
    topical = ["university", "students", "giraffe"]
    same_type = ["oxford", "harvard", "giraffe"]
    # in-out: centroid of unit OUT vectors (e0 + e0 + e5) / 3 -> cosine with e0 is 2/sqrt(5)
    assert dual_embedding_score(wv_in, wv_out, ["cambridge"], topical) == pytest.approx(2 / math.sqrt(5))
    assert dual_embedding_score(wv_in, wv_out, ["cambridge"], same_type) == pytest.approx(0.0)
    # in-in ranks the other way round
    assert dual_embedding_score(wv_in, wv_out, ["cambridge"], topical, mode="in-in") == pytest.approx(0.0)
    assert dual_embedding_score(wv_in, wv_out, ["cambridge"], same_type, mode="in-in") == pytest.approx(2 / math.sqrt(5))
    # repeated document words count each time: (e0 + 2 e5) / 3 -> 1/sqrt(5)
    assert dual_embedding_score(wv_in, wv_out, ["cambridge"], ["students", "giraffe", "giraffe"]) == pytest.approx(
        1 / math.sqrt(5))
    # the score is the mean over the known query words; unknown words are skipped
    two = dual_embedding_score(wv_in, wv_out, ["cambridge", "giraffe", "atlantis"], topical)
    assert two == pytest.approx((2 / math.sqrt(5) + 1 / math.sqrt(5)) / 2)
    # a zero vector adds nothing to the centroid's direction (and no NaN)
    assert dual_embedding_score(wv_in, wv_out, ["cambridge"], topical + ["atlantis", "nothing"]) == pytest.approx(
        2 / math.sqrt(5))


def test_batch_scores_and_ranking(spaces):
    wv_in, wv_out = spaces
    docs = [["oxford", "harvard"], ["university", "students"], ["atlantis"], ["giraffe"]]
    scores = dual_embedding_scores(wv_in, wv_out, ["cambridge"], docs)
    assert np.argmax(np.nan_to_num(scores, nan=-1)) == 1
    assert np.isnan(scores[2])
    assert scores[1] == pytest.approx(dual_embedding_score(wv_in, wv_out, ["cambridge"], docs[1]))
    in_in = dual_embedding_scores(wv_in, wv_out, ["cambridge"], docs, mode="in-in")
    assert np.argmax(np.nan_to_num(in_in, nan=-1)) == 0


def test_dual_most_similar(spaces):
    wv_in, wv_out = spaces
    top = dual_most_similar(wv_in, wv_out, "cambridge", topn=2)
    assert {w for w, _ in top} == {"university", "students"}
    assert all(s == pytest.approx(1.0) for _, s in top)
    top_in = dual_most_similar(wv_in, wv_out, "cambridge", topn=2, mode="in-in")
    assert {w for w, _ in top_in} == {"oxford", "harvard"}
    assert "cambridge" not in {w for w, _ in dual_most_similar(wv_in, wv_out, "cambridge", topn=10, mode="in-in")}


def test_errors(spaces):
    wv_in, wv_out = spaces
    with pytest.raises(ValueError, match="query"):
        dual_embedding_score(wv_in, wv_out, ["atlantis", "mu"], ["university"])
    with pytest.raises(ValueError, match="document"):
        dual_embedding_score(wv_in, wv_out, ["cambridge"], ["atlantis"])
    with pytest.raises(ValueError, match="document"):
        dual_embedding_score(wv_in, wv_out, ["cambridge"], [])
    with pytest.raises(ValueError, match="mode"):
        dual_embedding_score(wv_in, wv_out, ["cambridge"], ["university"], mode="out-sideways")
    other = KeyedVectors.from_arrays(["cambridge"], np.ones((1, 3), dtype=np.float32))
    with pytest.raises(ValueError, match="size"):
        dual_embedding_score(wv_in, other, ["cambridge"], ["cambridge"])
