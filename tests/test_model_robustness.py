"""Failure paths of the training driver: interrupts, errors mid-epoch, divergence, misuse."""
import logging
import os
import signal
import threading
import time
import _thread

import numpy as np
import pytest

from conftest import write_corpus
from w2vfast import Word2Vec


class Untouchable:
    """A corpus that must not be read: settings errors have to come first."""

    def __iter__(self):
        raise AssertionError("the corpus was read before the settings were checked")


@pytest.mark.parametrize("kwargs", [dict(window=0), dict(hs=0, negative=0), dict(alpha=float("inf")),
                                    dict(negative=10**9), dict(window=2**40), dict(seed=-1),
                                    dict(ns_exponent=1e6), dict(batch_words=10**12)])
def test_settings_are_checked_before_the_corpus_is_read(kwargs):
    with pytest.raises(ValueError):
        Word2Vec(Untouchable(), min_count=1, **kwargs)


def test_non_finite_or_huge_learning_rates_never_leave_silent_nans(planted):
    sentences, _ = planted
    model = Word2Vec(vector_size=8, min_count=1, workers=1)
    model.build_vocab(sentences)
    for bad in (dict(start_alpha=float("inf")), dict(end_alpha=float("inf")), dict(start_alpha=float("nan"))):
        with pytest.raises(ValueError, match="alpha"):
            model.train(sentences, total_examples=model.corpus_count, epochs=1, **bad)
    with pytest.raises(FloatingPointError, match="diverged"):
        Word2Vec(sentences, vector_size=8, min_count=1, workers=1, epochs=1, alpha=1e30)


def test_bad_tokens_are_rejected_while_counting():
    with pytest.raises(TypeError, match="tokens must be str"):
        Word2Vec([["a", "b"], ["c", 3]], min_count=1)
    with pytest.raises(TypeError, match="not a list of tokens"):
        Word2Vec([(w for w in ["a", "b"])], min_count=1)
    with pytest.raises(ValueError, match="negative count"):
        Word2Vec(min_count=1).build_vocab_from_freq({"a": 5, "b": -3})


def test_a_failing_corpus_mid_epoch_propagates_and_stops_the_threads(planted):
    sentences, _ = planted

    class Flaky:
        def __init__(self):
            self.calls = 0

        def __iter__(self):
            self.calls += 1
            for i, s in enumerate(sentences):
                if self.calls > 1 and i == 1500:
                    raise OSError("disk went away")
                yield s

    corpus = Flaky()
    model = Word2Vec(vector_size=8, min_count=1, workers=2)
    model.build_vocab(corpus)
    before = threading.active_count()
    with pytest.raises(OSError, match="disk went away"):
        model.train(corpus, total_examples=model.corpus_count, epochs=2)
    assert threading.active_count() == before


def test_a_raising_callback_propagates(planted):
    sentences, _ = planted

    class Bad:
        def on_epoch_end(self, model):
            raise RuntimeError("callback failed")

    with pytest.raises(RuntimeError, match="callback failed"):
        Word2Vec(sentences, vector_size=8, min_count=1, epochs=2, callbacks=[Bad()])


@pytest.fixture
def sigint_raises():
    # A process started in the background may inherit SIGINT as ignored, and then interrupt_main() does
    # nothing: install Python's usual handler for the test.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.mark.parametrize("source", ["file", "iterable"])
def test_ctrl_c_stops_every_training_thread(tmp_path, source, sigint_raises):
    rng = np.random.default_rng(0)
    words = np.array([f"w{i}" for i in range(500)])
    sentences = [list(words[rng.integers(0, 500, 1000)]) for _ in range(300)]
    path = write_corpus(tmp_path / "big.txt", sentences)
    model = Word2Vec(vector_size=50, min_count=1, sg=1, workers=2, batch_words=1000)
    model.build_vocab(corpus_file=path)
    before_threads = threading.active_count()
    timer = threading.Timer(0.3, _thread.interrupt_main)
    timer.start()
    t0 = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        if source == "file":
            model.train(corpus_file=path, total_words=model.corpus_total_words, epochs=200)
        else:
            model.train(sentences, total_examples=len(sentences), epochs=200)
    assert time.perf_counter() - t0 < 10
    timer.join()  # the timer thread itself may not have exited yet
    assert threading.active_count() == before_threads
    snapshot = model.wv.vectors.copy()
    time.sleep(0.3)
    np.testing.assert_array_equal(snapshot, model.wv.vectors)  # nothing trains on in the background


def test_reordered_or_grown_wv_is_refused_for_training_and_saving(tmp_path, planted):
    sentences, _ = planted
    model = Word2Vec(sentences[:500], vector_size=8, min_count=1, sorted_vocab=0, epochs=1)
    model.wv.sort_by_descending_frequency()
    with pytest.raises(ValueError, match="no longer matches"):
        model.train(sentences[:500], total_examples=500, epochs=1)
    with pytest.raises(ValueError, match="no longer matches"):
        model.save(tmp_path / "m.model")
    model = Word2Vec(sentences[:500], vector_size=8, min_count=1, epochs=1)
    model.wv.add_vectors(["extra"], np.ones((1, 8), np.float32))
    with pytest.raises(ValueError, match="no longer matches"):
        model.train(sentences[:500], total_examples=500, epochs=1)


def test_vocabulary_update_without_new_words_keeps_hs_weights(planted):
    sentences, _ = planted
    model = Word2Vec(sentences, vector_size=8, min_count=1, hs=1, negative=0, epochs=1)
    syn1 = model.syn1.copy()
    model.build_vocab(sentences[:10], update=True)
    np.testing.assert_array_equal(model.syn1, syn1)


def test_vocabulary_limits_at_model_level(planted):
    sentences, _ = planted
    full = Word2Vec(vector_size=8, min_count=1)
    full.build_vocab(sentences)
    capped = Word2Vec(vector_size=8, min_count=1, max_final_vocab=20)
    capped.build_vocab(sentences)
    assert 0 < len(capped.wv) <= 20
    assert capped.wv.index_to_key == full.wv.index_to_key[:len(capped.wv)]
    pruned = Word2Vec(vector_size=8, min_count=1, max_vocab_size=30)
    pruned.build_vocab(sentences)
    assert len(pruned.wv) <= 30
    only_members = Word2Vec(vector_size=8, min_count=1,
                            trim_rule=lambda w, c, m: 2 if "m" in w[1:] else 1)
    only_members.build_vocab(sentences, trim_rule=lambda w, c, m: 2 if "m" in w[2:] else 1)
    assert only_members.wv.index_to_key and all("m" in w[2:] for w in only_members.wv.index_to_key)
    with pytest.raises(ValueError, match="max_final_vocab"):
        Word2Vec([["a", "b"]] * 3, min_count=1, max_final_vocab=1)  # a tie at the cut removes both
    nul = Word2Vec(sentences[:100], vector_size=8, min_count=1, null_word=1, epochs=1)
    assert "\0" in nul.wv


def test_tiny_corpora_and_more_workers_than_lines(tmp_path):
    one = Word2Vec([["solo"]] * 5, vector_size=4, min_count=1, epochs=2)
    assert one.wv.index_to_key == ["solo"] and np.isfinite(one.wv.vectors).all()
    for hs, negative in ((1, 0), (0, 5)):
        two = Word2Vec([["a", "b"]] * 3, vector_size=4, min_count=1, hs=hs, negative=negative, epochs=2)
        assert np.isfinite(two.wv.vectors).all()
    path = write_corpus(tmp_path / "short.txt", [["a", "b", "c"], ["c", "a"]])
    many = Word2Vec(corpus_file=path, vector_size=4, min_count=1, workers=16, epochs=3)
    assert many.last_train_stats["raw_words"] == 3 * 5


def test_loss_per_epoch_on_the_corpus_file_path(tmp_path, planted):
    sentences, _ = planted
    path = write_corpus(tmp_path / "c.txt", sentences)
    model = Word2Vec(corpus_file=path, vector_size=16, min_count=1, sg=1, epochs=3, workers=2, compute_loss=True)
    assert len(model.epoch_losses) == 3 and model.epoch_losses[-1] < model.epoch_losses[0]
    model.train(corpus_file=path, total_words=model.corpus_total_words, epochs=1)  # compute_loss now False
    assert model.epoch_losses == [0.0]


def test_epoch_log_lines_and_progress_bar(planted, caplog, capsys):
    pytest.importorskip("tqdm")
    sentences, _ = planted
    with caplog.at_level(logging.INFO, logger="w2vfast.model"):
        Word2Vec(sentences, vector_size=8, min_count=1, epochs=2, progress=True)
    epoch_lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("EPOCH")]
    assert len(epoch_lines) == 2 and "effective words/s" in epoch_lines[0]
    assert "epoch 2/2" in capsys.readouterr().err
    Word2Vec(sentences, vector_size=8, min_count=1, epochs=1)  # default: a bar only on a terminal
    assert capsys.readouterr().err == ""


def test_mmap_modes(tmp_path, planted):
    sentences, _ = planted
    model = Word2Vec(sentences, vector_size=8, min_count=1, epochs=1)
    path = tmp_path / "m.model"
    model.save(path)
    assert oct(os.stat(path).st_mode & 0o777) != oct(0o600)
    with pytest.raises(ValueError, match="copy-on-write"):
        Word2Vec.load(path, mmap="r+")
    cow = Word2Vec.load(path, mmap="c")
    cow.train(sentences, total_examples=cow.corpus_count, epochs=1)
    np.testing.assert_array_equal(Word2Vec.load(path).wv.vectors, model.wv.vectors)  # file untouched
