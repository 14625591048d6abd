"""Analogy and word-pair evaluation: known answers on planted vectors, and parity with gensim."""
import numpy as np
import pytest

from w2vfast import evaluate
from w2vfast.evaluate import evaluate_word_analogies, evaluate_word_pairs
from w2vfast.keyedvectors import KeyedVectors

ANALOGIES = """\
: capital-common
france paris italy rome
france paris germany berlin
paris france rome italy
france paris italy berlin
france paris italy atlantis
this line is invalid and skipped
: mixed-case
Italy Rome France Paris
"""


def geography(extra=()):
    rng = np.random.default_rng(11)
    dim = 30
    capital_of = 3 * rng.standard_normal(dim)
    keys, vecs = [], []
    for country, capital in (("france", "paris"), ("italy", "rome"), ("germany", "berlin")):
        base = 3 * rng.standard_normal(dim)
        keys += [country, capital]
        vecs += [base, base + capital_of + 0.1 * rng.standard_normal(dim)]
    for i in range(100):
        keys.append(f"filler{i}")
        vecs.append(rng.standard_normal(dim))
    for key, vec in extra:
        keys.append(key)
        vecs.append(vec)
    return KeyedVectors.from_arrays(keys, np.array(vecs, dtype=np.float32))


@pytest.fixture
def analogy_file(tmp_path):
    path = tmp_path / "analogies.txt"
    path.write_text(ANALOGIES)
    return path


@pytest.mark.parametrize("func", ["3CosAdd", "3CosMul"])
def test_analogies_on_planted_vectors(analogy_file, func):
    kv = geography()
    score, sections = evaluate_word_analogies(kv, analogy_file, similarity_function=func)
    assert [s["section"] for s in sections] == ["capital-common", "mixed-case", "Total accuracy"]
    assert sections[0]["correct"] == [("FRANCE", "PARIS", "ITALY", "ROME"), ("FRANCE", "PARIS", "GERMANY", "BERLIN"),
                                      ("PARIS", "FRANCE", "ROME", "ITALY")]
    assert sections[0]["incorrect"] == [("FRANCE", "PARIS", "ITALY", "BERLIN")]
    assert sections[1]["correct"] == [("ITALY", "ROME", "FRANCE", "PARIS")]
    assert len(sections[2]["correct"]) == 4 and len(sections[2]["incorrect"]) == 1
    assert score == pytest.approx(4 / 5)


def test_analogy_options(analogy_file):
    kv = geography()
    # unknown words count as wrong with dummy4unknown, in file order
    score, sections = evaluate_word_analogies(kv, analogy_file, dummy4unknown=True)
    assert sections[0]["incorrect"] == [("FRANCE", "PARIS", "ITALY", "BERLIN"), ("FRANCE", "PARIS", "ITALY", "ATLANTIS")]
    assert score == pytest.approx(4 / 6)
    # case-sensitive: the mixed-case question has unknown words
    score, sections = evaluate_word_analogies(kv, analogy_file, case_insensitive=False)
    assert sections[0]["correct"][0] == ("france", "paris", "italy", "rome")
    assert sections[1]["correct"] == sections[1]["incorrect"] == []
    assert score == pytest.approx(3 / 4)
    # restrict_vocab: berlin (row 5) and germany (row 4) fall outside the first 4 keys
    score, sections = evaluate_word_analogies(kv, analogy_file, restrict_vocab=4)
    assert ("FRANCE", "PARIS", "GERMANY", "BERLIN") not in sections[-1]["correct"] + sections[-1]["incorrect"]
    assert len(sections[-1]["incorrect"]) == 0 and len(sections[-1]["correct"]) == 3
    with pytest.raises(ValueError, match="similarity_function"):
        evaluate_word_analogies(kv, analogy_file, similarity_function="cosine")
    # the KeyedVectors method delegates here
    assert kv.evaluate_word_analogies(analogy_file)[0] == pytest.approx(4 / 5)


def test_case_variants_of_question_words_are_not_answers(tmp_path):
    kv = geography()
    # "Italy" (a later key) sits exactly where the answer to france:paris::italy:? points; it folds to ITALY,
    # a question word, so it must be passed over in favour of rome
    target = kv.get_vector("paris", norm=True) - kv.get_vector("france", norm=True) + kv.get_vector("italy", norm=True)
    kv = geography(extra=[("Italy", target), ("Rome", -target)])
    path = tmp_path / "q.txt"
    path.write_text(": s\nfrance paris italy rome\n")
    assert kv.most_similar(positive=["paris", "italy"], negative=["france"], topn=1)[0][0] == "Italy"
    assert evaluate_word_analogies(kv, path)[0] == 1.0
    # "Rome" later in the vocabulary does not replace rome's vector: the first case variant wins
    assert evaluate_word_analogies(kv, path)[1][0]["correct"] == [("FRANCE", "PARIS", "ITALY", "ROME")]
    # case-sensitive, "Italy" is a different word and wins
    assert evaluate_word_analogies(kv, path, case_insensitive=False)[0] == 0.0


def test_analogy_file_errors(tmp_path):
    kv = geography()
    path = tmp_path / "q.txt"
    path.write_text("france paris italy rome\n")
    with pytest.raises(ValueError, match="Missing section header"):
        evaluate_word_analogies(kv, path)
    path.write_text(": only\nxx yy zz ww\n")
    score, sections = evaluate_word_analogies(kv, path)
    assert score == 0.0 and sections[-1]["correct"] == sections[-1]["incorrect"] == []


def test_tiny_vocabulary(tmp_path):
    vecs = np.array([[1, 0], [0, 1], [1, 1], [1, -1]], dtype=np.float32)
    kv = KeyedVectors.from_arrays(["a", "b", "c", "d"], vecs)
    path = tmp_path / "q.txt"
    path.write_text(": s\na b c d\na b a b\n")
    score, sections = evaluate_word_analogies(kv, path)
    assert len(sections[0]["correct"]) + len(sections[0]["incorrect"]) == 2


@pytest.mark.parametrize("multiplicative", [False, True])
def test_analogy_scan_matches_brute_force(multiplicative):
    from w2vfast import _fastio
    rng = np.random.default_rng(0)
    n_terms, n, q, k = 12, 700, 40, 5
    cos = rng.uniform(-1, 1, (n_terms, n)).astype(np.float32)
    if multiplicative:
        cos = (cos + 1) / 2
    ua, ub, uc = (rng.integers(0, n_terms, q).astype(np.intp) for _ in range(3))
    qa, qb, qc = (rng.integers(0, n, q).astype(np.intp) for _ in range(3))
    best_idx = np.full((q, k), -1, dtype=np.intp)
    best_val = np.full((q, k), -np.inf, dtype=np.float32)
    for v0 in range(0, n, 256):   # in blocks, as evaluate does
        _fastio.analogy_scan(np.ascontiguousarray(cos[:, v0:v0 + 256]), ua, ub, uc, qa, qb, qc, v0,
                             multiplicative, best_idx, best_val)
    if multiplicative:
        scores = cos[ub] * cos[uc] / (cos[ua] + np.float32(1e-6))
    else:
        scores = cos[ub] + cos[uc] - cos[ua]
    rows = np.arange(q)
    for idx in (qa, qb, qc):
        scores[rows, idx] = -np.inf
    ref = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    np.testing.assert_array_equal(best_idx, ref)
    np.testing.assert_array_equal(best_val, np.take_along_axis(scores, ref, axis=1))


# --------------------------------------------------------------------------------------------- pairs

def pair_vectors():
    angles = np.linspace(0, np.pi, 8)
    keys = ["anchor"] + [f"w{i}" for i in range(8)]
    vecs = [[1.0, 0.0]] + [[np.cos(a), np.sin(a)] for a in angles]
    return KeyedVectors.from_arrays(keys, np.array(vecs, dtype=np.float32) * 3)


def test_word_pairs_known_correlation(tmp_path):
    kv = pair_vectors()
    lines = ["# comment line"] + [f"anchor\tw{i}\t{10 - i * 0.5}" for i in range(8)] + ["anchor\tunknown\t5", "bad line"]
    path = tmp_path / "pairs.tsv"
    path.write_text("\n".join(lines) + "\n")
    pearson, spearman, oov = evaluate_word_pairs(kv, path)
    assert spearman[0] == pytest.approx(1.0)
    if not np.isnan(spearman[1]):   # p-values need scipy
        assert spearman[1] == 0.0 and 0 < pearson[1] < 1e-4
    cos = np.cos(np.linspace(0, np.pi, 8))
    gold = 10 - np.arange(8) * 0.5
    assert pearson.statistic == pytest.approx(np.corrcoef(cos, gold)[0, 1], rel=1e-6)
    assert oov == pytest.approx(100 / 9)
    # dummy4unknown: the unknown pair gets similarity 0 and stays in
    pearson2, spearman2, oov2 = evaluate_word_pairs(kv, path, dummy4unknown=True)
    assert spearman2[0] < 1.0 and oov2 == pytest.approx(100 / 9)
    assert kv.evaluate_word_pairs(path)[1][0] == pytest.approx(1.0)
    path.write_text("unknown\tzzz\t3\n")
    with pytest.raises(ValueError, match="No valid similarity judgements"):
        evaluate_word_pairs(kv, path)


def test_correlations_match_scipy():
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(4)
    x = rng.standard_normal(60)
    y = x + rng.standard_normal(60)
    y[:10] = y[10]  # ties
    np.testing.assert_allclose(evaluate._rankdata(y), stats.rankdata(y))
    r = evaluate._pearson(x, y)
    rs = evaluate._pearson(evaluate._rankdata(x), evaluate._rankdata(y))
    p_p, p_s = evaluate._pvalues(r, rs, 60)
    ref_p = stats.pearsonr(x, y)
    ref_s = stats.spearmanr(x, y)
    assert r == pytest.approx(ref_p[0], rel=1e-10) and p_p == pytest.approx(ref_p[1], rel=1e-8)
    assert rs == pytest.approx(ref_s[0], rel=1e-10) and p_s == pytest.approx(ref_s[1], rel=1e-8)


# ---------------------------------------------------------------------------------------- gensim parity

@pytest.fixture
def datapath():
    pytest.importorskip("gensim")
    from gensim.test.utils import datapath
    return datapath


def planted_questions_words(datapath, dim=32, filler=500, noise=0.6, seed=0):
    """Vectors over the words of questions-words.txt where each pair (x, y) of a section is roughly
    x + the section's offset, so a good share (not all) of the analogies come out right."""
    rng = np.random.default_rng(seed)
    vec, relation = {}, None
    with open(datapath("questions-words.txt")) as f:
        for line in f:
            if line.startswith(":"):
                relation = rng.standard_normal(dim)
                continue
            w = line.lower().split()
            for x, y in ((w[0], w[1]), (w[2], w[3])):
                if x not in vec:
                    vec[x] = rng.standard_normal(dim)
                if y not in vec:
                    vec[y] = vec[x] + relation + noise * rng.standard_normal(dim)
    keys = list(vec)
    rng.shuffle(keys)
    keys += [f"filler{i}" for i in range(filler)]
    keys += [k.capitalize() for k in keys[:40]]   # case variants later in the vocabulary
    vecs = np.stack([vec[k] if k in vec else rng.standard_normal(dim) for k in keys]).astype(np.float32)
    return KeyedVectors.from_arrays(keys, vecs)


def assert_same_sections(ours, theirs, gensim_kv, func="most_similar"):
    """Equal section lists; a question may only differ where the two best candidates are a near tie."""
    ours = [s for s in ours if s["section"] != "Total accuracy"]
    theirs = [s for s in theirs if s["section"] != "Total accuracy"]
    assert [s["section"] for s in ours] == [s["section"] for s in theirs]
    differing = 0
    for a, b in zip(ours, theirs):
        assert len(a["correct"]) + len(a["incorrect"]) == len(b["correct"]) + len(b["incorrect"])
        diff = set(a["correct"]) ^ set(b["correct"])
        for q in diff:
            sims = getattr(gensim_kv, func)(positive=[q[1].lower(), q[2].lower()], negative=[q[0].lower()], topn=2)
            assert abs(sims[0][1] - sims[1][1]) < 1e-5, q
        differing += len(diff)
    assert differing <= 2


@pytest.mark.parametrize("restrict_vocab,case_insensitive,dummy4unknown", [
    (300000, True, False), (300000, False, True), (700, True, True),
])
def test_analogies_equal_gensim(datapath, restrict_vocab, case_insensitive, dummy4unknown):
    kv = planted_questions_words(datapath)
    g = kv.to_gensim()
    path = datapath("questions-words.txt")
    kwargs = dict(restrict_vocab=restrict_vocab, case_insensitive=case_insensitive, dummy4unknown=dummy4unknown)
    score, sections = evaluate_word_analogies(kv, path, **kwargs)
    g_score, g_sections = g.evaluate_word_analogies(path, **kwargs)
    assert 0.2 < score < 0.99      # the planted structure makes the test discriminating
    assert_same_sections(sections, g_sections, g)
    assert score == pytest.approx(g_score, abs=2 / len(sections[-1]["correct"] + sections[-1]["incorrect"]))


def gensim_cosmul_reference(g, path, restrict_vocab):
    """gensim's evaluate_word_analogies loop with most_similar_cosmul in place of most_similar."""
    ok_keys = g.index_to_key[:restrict_vocab]
    ok_vocab = {k.upper(): g.get_index(k) for k in reversed(ok_keys)}
    sections, section = [], None
    for line in open(path):
        if line.startswith(": "):
            if section:
                sections.append(section)
            section = {"section": line.lstrip(": ").strip(), "correct": [], "incorrect": []}
            continue
        a, b, c, expected = [w.upper() for w in line.split()]
        if not all(w in ok_vocab for w in (a, b, c, expected)):
            continue
        original, g.key_to_index = g.key_to_index, ok_vocab
        try:
            sims = g.most_similar_cosmul(positive=[b, c], negative=[a], topn=5)
        finally:
            g.key_to_index = original
        predicted = None
        for word, _ in sims:
            predicted = word.upper()
            if predicted in ok_vocab and predicted not in {a, b, c}:
                break
        (section["correct"] if predicted == expected else section["incorrect"]).append((a, b, c, expected))
    sections.append(section)
    return sections


def test_cosmul_equals_gensim_cosmul_logic(datapath):
    import warnings
    kv = planted_questions_words(datapath, filler=100)
    g = kv.to_gensim()
    path = datapath("questions-words.txt")
    # gensim's most_similar_cosmul ignores restrict_vocab: evaluate over the whole vocabulary
    score, sections = evaluate_word_analogies(kv, path, similarity_function="3CosMul", restrict_vocab=len(kv))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        g.fill_norms()
        reference = gensim_cosmul_reference(g, path, len(kv))
        assert_same_sections(sections, reference, g, func="most_similar_cosmul")
    n_ref = sum(len(s["correct"]) for s in reference)
    assert abs(len(sections[-1]["correct"]) - n_ref) <= 2
    assert 0.2 < score < 0.99


@pytest.mark.parametrize("name", ["wordsim353.tsv", "simlex999.txt"])
@pytest.mark.parametrize("dummy4unknown", [False, True])
def test_word_pairs_equal_gensim(datapath, name, dummy4unknown):
    words = set()
    with open(datapath(name)) as f:
        for line in f:
            if not line.startswith("#"):
                words.update(line.lower().split("\t")[:2])
    words = sorted(words)
    rng = np.random.default_rng(1)
    rng.shuffle(words)
    keys = words[: int(len(words) * 0.9)] + [f"filler{i}" for i in range(50)]   # some pairs are unknown
    kv = KeyedVectors.from_arrays(keys, rng.standard_normal((len(keys), 20)).astype(np.float32))
    ours = evaluate_word_pairs(kv, datapath(name), dummy4unknown=dummy4unknown)
    theirs = kv.to_gensim().evaluate_word_pairs(datapath(name), dummy4unknown=dummy4unknown)
    for o, t in zip(ours[:2], theirs[:2]):
        assert o[0] == pytest.approx(t[0], rel=1e-4, abs=1e-6)
        assert o[1] == pytest.approx(t[1], rel=1e-3, abs=1e-9)
    assert ours[2] == pytest.approx(theirs[2])
    assert ours[2] > 0
