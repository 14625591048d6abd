"""Phrases: planted bigrams found (and nothing else), gensim's counts and scores, the corpus_file and
iterable paths agreeing, save/load, bad input, and Word2Vec's on-the-fly joining."""
import math
import random

import numpy as np
import pytest

import w2vfast.phrases as phrases_module
from w2vfast import FormatError, Word2Vec
from w2vfast._corpus import TokenTable, encode_file_range
from w2vfast.cli import main
from w2vfast.phrases import ENGLISH_CONNECTOR_WORDS, FrozenPhrases, Phrases, line_ranges

PLANTED = [("new", "york"), ("machine", "learning"), ("hot", "dog")]


def planted_corpus(n=3000, seed=0, connectors=False):
    """Random words w0..w199 with the PLANTED pairs (and "bank of america") inserted as units."""
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(200)] + ["of", "the"]
    sentences = []
    for _ in range(n):
        s = [rng.choice(words) for _ in range(rng.randint(0, 12))]
        for a, b in PLANTED:
            if rng.random() < 0.15:
                at = rng.randint(0, len(s))
                s[at:at] = [a, b]
        if connectors and rng.random() < 0.15:
            at = rng.randint(0, len(s))
            s[at:at] = ["bank", "of", "america"]
        sentences.append(s)
    return sentences


def write(path, sentences):
    path.write_text("".join(" ".join(s) + "\n" for s in sentences))
    return str(path)


@pytest.fixture(scope="module")
def corpus():
    return planted_corpus()


@pytest.fixture
def corpus_file(tmp_path, corpus):
    return write(tmp_path / "corpus.txt", corpus)


def test_planted_bigrams_found_and_nothing_else(corpus):
    model = Phrases(corpus, min_count=5, threshold=10.0)
    found = model.export_phrases()
    assert set(found) == {f"{a}_{b}" for a, b in PLANTED}
    assert all(score > 10.0 for score in found.values())
    frozen = model.freeze()
    assert frozen[["i", "love", "new", "york", "and", "hot", "dog"]] == ["i", "love", "new_york", "and", "hot_dog"]
    assert frozen[["york", "new"]] == ["york", "new"]
    assert frozen.find_phrases(corpus[:200]).keys() <= set(found)


def test_counts_follow_the_definition(corpus):
    model = Phrases(corpus, min_count=1, threshold=1.0)
    unigrams, bigrams = {}, {}
    for s in corpus:
        for w in s:
            unigrams[w] = unigrams.get(w, 0) + 1
        for a, b in zip(s, s[1:]):
            bigrams[f"{a}_{b}"] = bigrams.get(f"{a}_{b}", 0) + 1
    expected = dict(unigrams)
    for k, v in bigrams.items():
        expected[k] = expected.get(k, 0) + v
    assert model.vocab == expected
    assert model.corpus_word_count == sum(len(s) for s in corpus)
    a, b, ab = unigrams["new"], unigrams["york"], bigrams["new_york"]
    expected_score = (ab - 1) / (a * b) * len(expected)
    assert model.export_phrases()["new_york"] == pytest.approx(expected_score, rel=1e-12)


def test_file_and_iterable_agree_with_any_thread_count(corpus, corpus_file, monkeypatch):
    monkeypatch.setattr(phrases_module, "_MIN_BYTES_PER_WORKER", 1)
    from_list = Phrases(corpus, min_count=3, threshold=5.0, connector_words=ENGLISH_CONNECTOR_WORDS)
    for workers in (1, 3, 8):
        from_file = Phrases(corpus_file=corpus_file, min_count=3, threshold=5.0, workers=workers,
                            connector_words=ENGLISH_CONNECTOR_WORDS)
        assert from_file.vocab == from_list.vocab
        assert from_file.corpus_word_count == from_list.corpus_word_count
        assert from_file.export_phrases() == from_list.export_phrases()


def test_line_ranges_start_at_lines(corpus_file):
    data = open(corpus_file, "rb").read()
    ranges = line_ranges(corpus_file, 7)
    assert len(ranges) == 7 and ranges[0][0] == 0 and ranges[-1][1] == len(data)
    for (s0, e0), (s1, e1) in zip(ranges, ranges[1:]):
        assert e0 == s1 and (s1 == 0 or data[s1 - 1:s1] == b"\n")


@pytest.mark.parametrize("scoring,threshold", [("default", 2.0), ("npmi", 0.2)])
@pytest.mark.parametrize("connectors", [frozenset(), ENGLISH_CONNECTOR_WORDS])
@pytest.mark.parametrize("max_vocab_size", [40000000, 1500])
def test_same_counts_and_scores_as_gensim(scoring, threshold, connectors, max_vocab_size):
    gensim_phrases = pytest.importorskip("gensim.models.phrases", reason="gensim is not installed")
    sentences = planted_corpus(1500, seed=1, connectors=True)
    kwargs = dict(min_count=3, threshold=threshold, scoring=scoring, connector_words=connectors,
                  max_vocab_size=max_vocab_size)
    ours = Phrases(sentences, **kwargs)
    theirs = gensim_phrases.Phrases(sentences, **kwargs)
    assert ours.vocab == theirs.vocab   # pruning included
    assert ours.corpus_word_count == theirs.corpus_word_count
    assert ours.export_phrases() == theirs.export_phrases()   # exact float equality
    ours_frozen, theirs_frozen = ours.freeze(), theirs.freeze()
    for s in sentences[:300]:
        assert ours_frozen[s] == theirs_frozen[s]
        assert ours[s] == theirs[s]


def test_trigrams_from_a_second_pass(tmp_path):
    rng = random.Random(3)
    sentences = []
    for _ in range(2000):
        s = [f"w{rng.randrange(100)}" for _ in range(8)]
        s[3:3] = ["new", "york", "city"] if rng.random() < 0.3 else []
        sentences.append(s)
    path = write(tmp_path / "c.txt", sentences)
    bigram = Phrases(corpus_file=path, min_count=5, threshold=5.0).freeze()
    assert "new_york" in bigram.phrasegrams
    # corpus_file with phrases= joins the first pass while counting; the same as counting a joined copy
    trigram = Phrases(corpus_file=path, min_count=5, threshold=5.0, phrases=bigram)
    joined = write(tmp_path / "j.txt", [bigram[s] for s in sentences])
    assert trigram.vocab == Phrases(corpus_file=joined, min_count=5, threshold=5.0).vocab
    assert trigram.vocab == Phrases(bigram[sentences], min_count=5, threshold=5.0).vocab
    assert "new_york_city" in trigram.export_phrases()
    assert trigram.freeze()[bigram[["a", "new", "york", "city", "b"]]] == ["a", "new_york_city", "b"]


def test_join_file_matches_python_joining(tmp_path, corpus):
    sentences = [s for s in corpus] + [["bank", "of", "america", "x"], []]
    path = write(tmp_path / "c.txt", sentences)
    frozen = Phrases(sentences, min_count=3, threshold=5.0, connector_words={"of"}).freeze()
    out = tmp_path / "joined.txt"
    n = frozen.join_file(path, out)
    lines = out.read_text().split("\n")
    assert lines[:-1] == [" ".join(frozen[s]) for s in sentences]
    assert n == sum(t.count("_") > 0 for s in sentences for t in frozen[s])


def test_save_load_round_trip(tmp_path, corpus):
    model = Phrases(corpus, min_count=3, threshold=5.0, connector_words={"of", "the"}, delimiter="+")
    model.save(tmp_path / "p.phr")
    back = Phrases.load(tmp_path / "p.phr")
    assert back.vocab == model.vocab and back.corpus_word_count == model.corpus_word_count
    assert back.connector_words == {"of", "the"} and back.delimiter == "+"
    assert back.export_phrases() == model.export_phrases()
    frozen = model.freeze()
    frozen.save(tmp_path / "f.phr")
    fback = FrozenPhrases.load(tmp_path / "f.phr")
    assert fback.phrasegrams == frozen.phrasegrams and fback.threshold == frozen.threshold
    assert fback[["new", "york"]] == ["new+york"]
    with pytest.raises(FormatError, match="FrozenPhrases.load"):
        Phrases.load(tmp_path / "f.phr")


def test_damaged_files_raise_format_error(tmp_path, corpus):
    (tmp_path / "junk").write_bytes(b"not a zip at all")
    with pytest.raises(FormatError, match="junk"):
        Phrases.load(tmp_path / "junk")
    model = Phrases(corpus[:50], min_count=1, threshold=1.0)
    model.save(tmp_path / "p.phr")
    data = (tmp_path / "p.phr").read_bytes()
    (tmp_path / "cut.phr").write_bytes(data[: len(data) // 2])
    with pytest.raises(FormatError, match="cut.phr"):
        Phrases.load(tmp_path / "cut.phr")


@pytest.mark.parametrize("kwargs,message", [
    (dict(scoring="npmi", threshold=1.5), r"\[-1, 1\]"),
    (dict(scoring="npmi", threshold=-2), r"\[-1, 1\]"),
    (dict(threshold=0), "positive"),
    (dict(min_count=0), "min_count"),
    (dict(scoring="pmi"), "unknown scoring"),
    (dict(scoring=lambda *a: 0), "custom scoring"),
    (dict(delimiter=""), "delimiter"),
    (dict(threshold=float("nan")), "NaN"),
])
def test_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Phrases(**kwargs)


def test_empty_corpus_is_a_clear_error(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    with pytest.raises(ValueError, match="empty.txt"):
        Phrases(corpus_file=empty)
    blank = tmp_path / "blank.txt"
    blank.write_text("\n  \n\n")
    with pytest.raises(ValueError, match="blank.txt.*no tokens"):
        Phrases(corpus_file=blank)
    with pytest.raises(ValueError, match="no tokens"):
        Phrases([[], []])
    with pytest.raises(TypeError, match="not a list of tokens"):
        Phrases(["new york"])
    with pytest.raises(TypeError, match="not a str"):
        Phrases([["new", 3]])
    with pytest.raises(FileNotFoundError):
        Phrases(corpus_file=tmp_path / "missing.txt")


def test_pruning_bounds_the_table(corpus):
    model = Phrases(corpus, min_count=1, threshold=1.0, max_vocab_size=1000)
    unpruned = Phrases(corpus, min_count=1, threshold=1.0)
    assert model.min_reduce > 1 and len(model) < len(unpruned)
    # frequent pairs survive pruning, with counts never above the true ones
    assert model.vocab["new_york"] <= unpruned.vocab["new_york"]
    assert "new_york" in model.export_phrases()


def test_non_ascii_and_undecodable_tokens(tmp_path):
    sentences = [["são", "paulo", "x"], ["são", "paulo", "y"]] * 10 + [["a\udcff", "b"]] * 10
    model = Phrases(sentences, min_count=1, threshold=0.1)
    path = tmp_path / "u.txt"
    path.write_bytes(b"".join(" ".join(s).encode("utf-8", "surrogateescape") + b"\n" for s in sentences))
    from_file = Phrases(corpus_file=path, min_count=1, threshold=0.1)
    assert from_file.vocab == model.vocab
    assert "são_paulo" in model.export_phrases() and "a\udcff_b" in model.export_phrases()


def _vocab(model):
    return {k: model.wv.get_vecattr(k, "count") for k in model.wv.index_to_key}


@pytest.mark.parametrize("workers", [1, 3])
def test_training_with_phrases_equals_training_on_a_joined_copy(tmp_path, corpus, workers):
    path = write(tmp_path / "c.txt", corpus)
    frozen = Phrases(corpus, min_count=5, threshold=10.0).freeze()
    joined = tmp_path / "joined.txt"
    frozen.join_file(path, joined)
    kw = dict(vector_size=8, min_count=1, epochs=1, workers=workers, seed=3)
    on_the_fly = Word2Vec(corpus_file=path, phrases=frozen, **kw)
    copy = Word2Vec(corpus_file=str(joined), **kw)
    assert on_the_fly.wv.index_to_key == copy.wv.index_to_key
    assert _vocab(on_the_fly) == _vocab(copy)
    assert "new_york" in on_the_fly.wv.key_to_index and "new" in on_the_fly.wv.key_to_index
    assert (on_the_fly.corpus_total_words, on_the_fly.corpus_count) == (copy.corpus_total_words, copy.corpus_count)
    assert on_the_fly.last_train_stats["raw_words"] == copy.last_train_stats["raw_words"]
    # the reader hands the kernels exactly the ids of the joined copy
    table = TokenTable(copy.wv.index_to_key)
    ids_fly, ends_fly, raw_fly = encode_file_range(table, path, phrases=frozen._table())
    ids_copy, ends_copy, raw_copy = encode_file_range(table, str(joined))
    assert np.array_equal(ids_fly, ids_copy) and np.array_equal(ends_fly, ends_copy) and raw_fly == raw_copy
    # iterables take the same phrases through phrases[...]
    from_list = Word2Vec(corpus, phrases=frozen, **kw)
    assert _vocab(from_list) == _vocab(copy)


def test_cli_phrases(tmp_path, corpus, capsys):
    path = write(tmp_path / "c.txt", corpus)
    out, saved = tmp_path / "out.txt", tmp_path / "p.phr"
    assert main(["phrases", "-train", path, "-output", str(out), "-min-count", "5", "-threshold", "10",
                 "--save", str(saved)]) == 0
    text = out.read_text()
    assert "new_york" in text and "machine_learning" in text and "w1_w2" not in text
    assert len(text.split("\n")) == len(corpus) + 1
    assert set(FrozenPhrases.load(saved).phrasegrams) == {f"{a}_{b}" for a, b in PLANTED}
    assert main(["phrases", "-train", path, "-output", str(out), "--scoring", "npmi", "-threshold", "5"]) == 2
    assert "[-1, 1]" in capsys.readouterr().err
    assert main(["phrases", "-train", str(tmp_path / "nope.txt"), "-output", str(out)]) == 2
    assert "nope.txt" in capsys.readouterr().err


def test_npmi_scores_lie_in_range(corpus):
    model = Phrases(corpus, min_count=5, threshold=0.5, scoring="npmi")
    scores = model.export_phrases()
    assert set(scores) == {f"{a}_{b}" for a, b in PLANTED}
    assert all(0.5 < s <= 1.0 and math.isfinite(s) for s in scores.values())


def test_counts_across_read_buffer_boundaries(tmp_path):
    # over 1 MB: the C reader hands the counter several pieces, and a start token left at the end of one
    # piece must still pair with the first token of the next
    rng = random.Random(5)
    long_words = [f"{'x' * rng.randrange(1, 14)}{i}" for i in range(300)]
    sentences = [[rng.choice(long_words) for _ in range(rng.randint(1, 400))] for _ in range(1500)]
    path = write(tmp_path / "big.txt", sentences)
    assert (tmp_path / "big.txt").stat().st_size > 2 << 20
    from_file = Phrases(corpus_file=path, min_count=1, threshold=1.0, workers=1)
    from_list = Phrases(sentences, min_count=1, threshold=1.0)
    assert from_file.vocab == from_list.vocab
    # a LineSentence of the file: its table is sized from the file's size up front, with the same counts
    from w2vfast import LineSentence, PathLineSentences
    from w2vfast.phrases import _expected_keys_of
    assert _expected_keys_of(LineSentence(path), 0) > 100_000
    assert _expected_keys_of(PathLineSentences(str(tmp_path)), 0) >= _expected_keys_of(LineSentence(path), 0)
    assert _expected_keys_of(sentences, 0) == 0 and _expected_keys_of(iter(sentences), 0) == 0
    assert Phrases(LineSentence(path), min_count=1, threshold=1.0).vocab == from_list.vocab


def test_file_pruning_is_gensims_on_line_sentences(corpus_file):
    from w2vfast import LineSentence
    from_file = Phrases(corpus_file=corpus_file, min_count=3, threshold=2.0, max_vocab_size=1500)
    from_lines = Phrases(LineSentence(corpus_file), min_count=3, threshold=2.0, max_vocab_size=1500)
    assert from_file.min_reduce > 2
    assert from_file.vocab == from_lines.vocab
    gensim_phrases = pytest.importorskip("gensim.models.phrases", reason="gensim is not installed")
    gensim_word2vec = pytest.importorskip("gensim.models.word2vec", reason="gensim is not installed")
    theirs = gensim_phrases.Phrases(gensim_word2vec.LineSentence(corpus_file), min_count=3, threshold=2.0,
                                    max_vocab_size=1500)
    assert from_file.vocab == theirs.vocab
    assert from_file.export_phrases() == theirs.export_phrases()
