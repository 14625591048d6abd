"""A gensim 4 user's script, run once per import: gensim's Word2Vec, w2vfast.Word2Vec and
w2vfast.gensim.Word2Vec. Each step records an observation that does not depend on the random streams
(types, shapes, counts, bookkeeping, errors, warnings, and quality on a corpus with planted structure), and
the observations must agree step by step with gensim's.
"""
import copy
import logging
import pickle

import numpy as np
import pytest

from conftest import family_corpus, write_corpus

gensim = pytest.importorskip("gensim", reason="the side-by-side script compares with gensim")
from gensim.models import KeyedVectors as GensimKeyedVectors  # noqa: E402
from gensim.models import Word2Vec as GensimWord2Vec  # noqa: E402
from gensim.models.callbacks import CallbackAny2Vec  # noqa: E402

import w2vfast  # noqa: E402
import w2vfast.gensim  # noqa: E402

# The standalone class is not gensim's, so gensim's isinstance checks fail for it (the gensim face passes).
STANDALONE_DIFFERENCES = {"isinstance model", "isinstance wv"}


class _Warnings(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage().lower())

    def take(self):
        out, self.messages = self.messages, []
        return out


class _EpochCounter(CallbackAny2Vec):
    def __init__(self):
        self.events = []

    def on_train_begin(self, model):
        self.events.append("begin")

    def on_epoch_end(self, model):
        self.events.append(("epoch", float(model.get_latest_training_loss()) > 0))

    def on_train_end(self, model):
        self.events.append(("end", model.train_count))


def _partners_on_top(wv, families, topn=3):
    """How many words have at least two family partners among their topn neighbours."""
    good = 0
    for fam in families:
        for w in fam:
            near = {k for k, _ in wv.most_similar(w, topn=topn)}
            good += len(near & set(fam)) >= 2
    return good


def user_script(Word2Vec, KeyedVectors, tmp_path):
    """A realistic gensim 4 script; only the import of Word2Vec/KeyedVectors changes between runs."""
    sentences, families = family_corpus(n_families=4, n_sentences=2000)
    n_words = sum(len(s) for s in sentences)
    obs = {}
    caught = _Warnings()
    logging.getLogger().addHandler(caught)
    try:
        model = Word2Vec(vector_size=24, window=4, min_count=2, workers=2, sg=1, seed=3, epochs=5)
        obs["constructor epochs"] = model.epochs
        model.build_vocab(sentences)
        wv = model.wv
        obs["vocab size"] = len(wv)
        obs["corpus_count, corpus_total_words"] = (model.corpus_count, model.corpus_total_words)
        obs["counts"] = {k: int(wv.get_vecattr(k, "count")) for k in wv.index_to_key}
        obs["frequency order"] = [int(wv.get_vecattr(k, "count")) for k in wv.index_to_key]
        result = model.train(sentences, total_examples=model.corpus_count, epochs=model.epochs,
                             compute_loss=True)
        obs["train returns (effective, raw)"] = (len(result), result[1] == 5 * n_words, 0 < result[0] <= result[1])
        obs["train_count"] = model.train_count
        obs["loss positive"] = model.get_latest_training_loss() > 0
        obs["total_train_time positive"] = model.total_train_time > 0
        caught.take()
        model.train(sentences, total_examples=model.corpus_count, epochs=3)
        obs["epochs after train(epochs=3)"] = model.epochs
        obs["warning: alpha rises again"] = any("alpha" in m and "higher" in m for m in caught.take())
        raw = model.train(sentences, total_examples=model.corpus_count, epochs=model.epochs)[1]
        obs["train(epochs=model.epochs) words"] = raw == 3 * n_words
        obs["isinstance model"] = isinstance(model, GensimWord2Vec)
        obs["isinstance wv"] = isinstance(wv, GensimKeyedVectors)
        a, b = families[0][0], families[0][1]
        vec = wv[a]
        obs["wv[key]"] = (vec.shape, str(vec.dtype))
        obs["wv[[keys]]"] = wv[[a, b]].shape
        obs["unit vector"] = bool(np.isclose(np.linalg.norm(wv.get_vector(a, norm=True)), 1.0, atol=1e-5))
        sim = wv.similarity(a, b)
        obs["similarity type"] = type(sim).__name__
        obs["similarity symmetric"] = sim == wv.similarity(b, a)
        obs["n_similarity([a], [b]) == similarity(a, b)"] = wv.n_similarity([a], [b]) == sim
        obs["n_similarity type"] = type(wv.n_similarity([a, b], [b])).__name__
        obs["distance"] = bool(np.isclose(wv.distance(a, b), 1 - sim, atol=1e-6))
        obs["planted partners found"] = _partners_on_top(wv, families) >= 14
        by_key = dict(wv.most_similar(a, topn=5))
        by_vec = dict(wv.most_similar(positive=[wv.get_vector(a, norm=True)], topn=6))
        obs["most_similar key == unit vector"] = all(by_vec[k] == s for k, s in by_key.items() if k in by_vec)
        res = wv.most_similar(positive=[a, b], negative=[families[1][0]], topn=4)
        obs["most_similar analogy"] = [(type(k).__name__, type(s).__name__) for k, s in res]
        obs["most_similar topn=None"] = wv.most_similar(a, topn=None).shape
        obs["most_similar_cosmul"] = len(wv.most_similar_cosmul(positive=[a, b], negative=[families[1][0]], topn=3))
        obs["similar_by_word / vector"] = (len(wv.similar_by_word(a, topn=2)), len(wv.similar_by_vector(vec, topn=2)))
        obs["doesnt_match"] = wv.doesnt_match(families[0][:3] + [families[2][0]]) == families[2][0]
        obs["distances"] = (wv.distances(a).shape, wv.distances(a, [b, a]).shape)
        obs["closer_than"] = type(wv.closer_than(a, b)).__name__
        obs["rank"] = 1 <= wv.rank(a, b) <= 3
        obs["most_similar_to_given"] = wv.most_similar_to_given(a, [families[2][0], b]) == b
        obs["get_mean_vector"] = wv.get_mean_vector([a, b]).shape
        obs["relative_cosine_similarity"] = type(wv.relative_cosine_similarity(a, b)).__name__
        obs["vectors_for_all"] = len(wv.vectors_for_all([a, b, "never-seen"]))
        try:
            obs["wmdistance"] = wv.wmdistance(families[0][:2], families[0][2:]) < wv.wmdistance(families[0][:2],
                                                                                                families[1][:2])
        except ImportError:  # both libraries need POT for it
            obs["wmdistance"] = "ImportError"
        obs["contains"] = (a in wv, "never-seen" in wv)
        for name, call in (("missing key", lambda: wv["never-seen"]), ("wv.vocab", lambda: wv.vocab),
                           ("wv.index2word", lambda: wv.index2word)):
            try:
                call()
                obs[name] = "no error"
            except (KeyError, AttributeError) as exc:
                obs[name] = type(exc).__name__
        obs["predict_output_word"] = [type(w).__name__ for w, _ in model.predict_output_word([a, b], topn=3)]
        obs["estimate_memory"] = sorted(model.estimate_memory())
        pairs = tmp_path / "pairs.tsv"
        pairs.write_text(f"{a}\t{b}\t9\n{a}\t{families[1][0]}\t1\n{b}\t{families[2][0]}\t2\n")
        obs["evaluate_word_pairs"] = len(wv.evaluate_word_pairs(str(pairs)))
        quads = tmp_path / "analogies.txt"
        quads.write_text(f": planted\n{a} {b} {families[1][0]} {families[1][1]}\n")
        score, sections = wv.evaluate_word_analogies(str(quads))
        obs["evaluate_word_analogies"] = (type(sections).__name__, sections[-1]["section"])

        # persistence and copies
        model.save(str(tmp_path / "w2v.model"))
        loaded = Word2Vec.load(str(tmp_path / "w2v.model"))
        obs["save/load model"] = bool(np.array_equal(loaded.wv.vectors, wv.vectors))
        wv.save(str(tmp_path / "vectors.kv"))
        kv = KeyedVectors.load(str(tmp_path / "vectors.kv"), mmap="r")
        obs["save/load kv mmap"] = (bool(np.array_equal(kv.vectors, wv.vectors)), kv.most_similar(a, topn=1)[0][0]
                                    == wv.most_similar(a, topn=1)[0][0])
        wv.save_word2vec_format(str(tmp_path / "vectors.bin"), binary=True)
        back = KeyedVectors.load_word2vec_format(str(tmp_path / "vectors.bin"), binary=True)
        obs["word2vec format"] = bool(np.array_equal(back.vectors, wv.vectors))
        clone = pickle.loads(pickle.dumps(model))
        obs["pickle"] = bool(np.array_equal(clone.wv.vectors, wv.vectors))
        clone.train(sentences[:100], total_examples=100, epochs=1)
        obs["pickled model trains"] = clone.train_count == model.train_count + 1
        twin = copy.deepcopy(model)
        obs["deepcopy"] = bool(np.array_equal(twin.wv.vectors, wv.vectors)) and twin.wv.vectors is not wv.vectors

        # growing the vocabulary, callbacks, a file corpus
        extra = [["novel", "tokens", "here"] * 3] * 10
        model.build_vocab(extra, update=True)
        obs["update vocab (seen through a held wv)"] = ("novel" in wv, len(wv) - obs["vocab size"])
        counter = _EpochCounter()
        model.train(extra, total_examples=len(extra), epochs=2, compute_loss=True, callbacks=[counter])
        obs["callbacks"] = counter.events
        path = write_corpus(tmp_path / "corpus.txt", sentences)
        filemodel = Word2Vec(corpus_file=path, vector_size=16, min_count=2, workers=2, epochs=2)
        obs["corpus_file"] = (filemodel.corpus_total_words, len(filemodel.wv), filemodel.train_count)

        # hierarchical softmax, and gensim's warning when both objectives are on
        caught.take()
        hs = Word2Vec(sentences, vector_size=16, min_count=2, hs=1, negative=5, sg=0, workers=1, epochs=1)
        obs["warning: hs and negative"] = any("hierarchical softmax" in m for m in caught.take())
        code = hs.wv.get_vecattr(a, "code")
        points = hs.wv.get_vecattr(a, "point")
        obs["huffman code/point"] = (len(code) == len(points), set(np.unique(code).tolist()) <= {0, 1},
                                     int(np.max(points)) < len(hs.wv))
        scores = hs.score(sentences[:5], total_sentences=5)
        obs["score"] = (len(scores), str(scores.dtype), bool(np.all(scores < 0)))
        obs["str"] = "Word2Vec" in str(model)
    finally:
        logging.getLogger().removeHandler(caught)
    return obs


@pytest.fixture(scope="module")
def gensim_run(tmp_path_factory):
    return user_script(GensimWord2Vec, GensimKeyedVectors, tmp_path_factory.mktemp("gensim"))


@pytest.mark.parametrize("face", ["standalone", "gensim face"])
def test_a_gensim_script_runs_unchanged(face, gensim_run, tmp_path):
    if face == "standalone":
        ours = user_script(w2vfast.Word2Vec, w2vfast.KeyedVectors, tmp_path)
        allowed = STANDALONE_DIFFERENCES
    else:
        ours = user_script(w2vfast.gensim.Word2Vec, GensimKeyedVectors, tmp_path)
        allowed = set()
    assert list(ours) == list(gensim_run)
    differing = {step for step in gensim_run if ours[step] != gensim_run[step]}
    assert differing == allowed, {s: (gensim_run[s], ours[s]) for s in differing}
    assert len(gensim_run) >= 50
