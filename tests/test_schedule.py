"""Learning-rate schedules: the global one (word2vec.c, gensim's iterable mode) and gensim 4's corpus_file
per-worker one, checked against their formulas written out here."""
import pytest

from conftest import family_corpus, write_corpus
from w2vfast import Word2Vec
from w2vfast.schedule import GlobalSchedule, PerWorkerSchedule, make_schedule

START, END = 0.025, 0.0001


def gensim_corpus_file_alpha(epoch, worker_words, epoch_words, epochs):
    """gensim 4's corpus_file alpha: a worker's own words in this epoch over the epoch's words."""
    return START - (START - END) * (epoch + worker_words / epoch_words) / epochs


def test_global_schedule_is_one_rate_over_all_epochs():
    s = GlobalSchedule(START, END, 1000, 4, 3)
    rates = s.rates_for_epoch(0)
    assert len(rates) == 3 and rates[0] is rates[1] is rates[2]
    rates[0].done = 1500                                        # 1.5 epochs of words, any threads
    assert s.alpha == pytest.approx(START - (START - END) * 1500 / 4000)
    assert s.rates_for_epoch(1) == rates and s.done == 1500


@pytest.mark.parametrize("epoch", [0, 2, 4])
def test_per_worker_schedule_follows_gensims_formula(epoch):
    s = PerWorkerSchedule(START, END, 1000, 5, 2)
    for e in range(epoch + 1):
        rates = s.rates_for_epoch(e)
    assert len(rates) == 2 and rates[0] is not rates[1]
    assert rates[0].alpha == pytest.approx(gensim_corpus_file_alpha(epoch, 0, 1000, 5))
    rates[0].done, rates[1].done = 430, 570                     # the two threads split the epoch
    assert rates[0].alpha == pytest.approx(gensim_corpus_file_alpha(epoch, 430, 1000, 5))
    assert rates[1].alpha == pytest.approx(gensim_corpus_file_alpha(epoch, 570, 1000, 5))
    assert s.alpha == pytest.approx((rates[0].alpha + rates[1].alpha) / 2)
    assert s.done == 1000


def test_per_worker_schedule_counts_words_across_epochs():
    s = PerWorkerSchedule(START, END, 100, 3, 2)
    for e in range(3):
        for r in s.rates_for_epoch(e):
            r.done = 50
    assert s.done == 300
    # with 2 threads the run ends half an epoch's decay above the last epoch's start, not at END
    assert s.alpha == pytest.approx(gensim_corpus_file_alpha(2, 50, 100, 3))
    assert s.alpha > 10 * END


def test_unknown_schedule_is_refused():
    with pytest.raises(ValueError, match="alpha_schedule"):
        make_schedule("cosine", START, END, 10, 1, 1)
    with pytest.raises(ValueError, match="alpha_schedule must be one of global, per-worker"):
        Word2Vec(alpha_schedule="cosine")


@pytest.mark.parametrize("source", ["file", "iterable"])
def test_per_worker_schedule_ends_where_gensims_corpus_file_does(tmp_path, source):
    sentences, _ = family_corpus(n_sentences=4000)
    path = write_corpus(tmp_path / "c.txt", sentences)
    corpus = dict(corpus_file=path) if source == "file" else dict(sentences=sentences)
    ends = {}
    for name in ("global", "per-worker"):
        model = Word2Vec(**corpus, vector_size=16, min_count=1, workers=2, epochs=3, alpha_schedule=name,
                         batch_words=500, progress=False)
        ends[name] = model.min_alpha_yet_reached
        assert model.last_train_stats["raw_words"] == 3 * model.corpus_total_words
    assert ends["global"] == pytest.approx(END, abs=1e-6)
    # each thread read about half of the last epoch: its alpha fell about half of that epoch's step
    half = gensim_corpus_file_alpha(2, 0.5, 1, 3)
    assert ends["per-worker"] == pytest.approx(half, rel=0.25)


def test_one_worker_per_worker_schedule_is_the_global_one(tmp_path):
    sentences, _ = family_corpus(n_sentences=2000)
    path = write_corpus(tmp_path / "c.txt", sentences)
    vectors = {}
    for name in ("global", "per-worker"):
        model = Word2Vec(corpus_file=path, vector_size=16, min_count=1, workers=1, epochs=2, alpha_schedule=name,
                         progress=False)
        assert model.min_alpha_yet_reached == pytest.approx(END, abs=1e-6)
        vectors[name] = model.wv.vectors
    # the same alphas up to rounding: the vectors agree closely (not bit for bit)
    assert abs(vectors["global"] - vectors["per-worker"]).max() < 1e-3


def test_the_schedule_is_saved_with_the_model(tmp_path):
    sentences, _ = family_corpus(n_sentences=300)
    model = Word2Vec(sentences, vector_size=8, min_count=1, workers=1, epochs=1, alpha_schedule="per-worker",
                     progress=False)
    model.save(tmp_path / "m.w2v")
    assert Word2Vec.load(tmp_path / "m.w2v").alpha_schedule == "per-worker"


def test_per_worker_threads_own_contiguous_shares_of_the_file(tmp_path, monkeypatch):
    """As in gensim's corpus_file mode, thread i reads exactly the i-th of n contiguous byte ranges."""
    import w2vfast.model as model_module

    sentences, _ = family_corpus(n_sentences=2000)
    path = write_corpus(tmp_path / "c.txt", sentences)
    calls = []
    real = model_module.train_file_range

    def spy(worker, table, lr, p, start, end, *args):
        calls.append((id(worker), start, end))
        return real(worker, table, lr, p, start, end, *args)

    monkeypatch.setattr(model_module, "train_file_range", spy)
    size = (tmp_path / "c.txt").stat().st_size
    for name, n_ranges in (("per-worker", 3), ("global", 3 * model_module.RANGES_PER_WORKER)):
        calls.clear()
        Word2Vec(corpus_file=path, vector_size=8, min_count=1, workers=3, epochs=1, alpha_schedule=name,
                 progress=False)
        assert sorted((s, e) for _, s, e in calls) == [(size * i // n_ranges, size * (i + 1) // n_ranges)
                                                      for i in range(n_ranges)]
        if name == "per-worker":
            assert len({w for w, _, _ in calls}) == 3      # one share per thread
