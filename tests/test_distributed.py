"""w2vfast.distributed on a two-process LocalCluster started and closed here: vocabulary identical to a
single-node build_vocab, planted-family quality, a worker killed mid-round, checkpoint and resume, and
bad input reported on the driver."""
import os
import random
import threading
import time

import numpy as np
import pytest

distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed "
                                                        "(pip install 'w2vfast[dask]')")

from conftest import family_corpus, write_corpus  # noqa: E402
from test_model import family_recall  # noqa: E402
from w2vfast import Word2Vec  # noqa: E402
from w2vfast.distributed import train_distributed  # noqa: E402
from w2vfast.distributed.checkpoint import progress_path  # noqa: E402

SMALL = dict(vector_size=20, window=3, min_count=1, sample=0, epochs=5, workers=1, seed=3)


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
    c = distributed.Client(cluster)
    try:
        yield c
    finally:
        c.close()
        cluster.close()


@pytest.fixture(scope="module")
def family_file(tmp_path_factory):
    sentences, families = family_corpus()
    return write_corpus(tmp_path_factory.mktemp("dist") / "families.txt", sentences), families


def _mixed_text(path, seed):
    """Long and short lines, blank lines, non-ASCII tokens and a last line without newline."""
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(300)] + ["café", "naïve", "日本", "x"]
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(2500):
            n = rng.choice([0, 1, 3, 7, 25, 120])
            fh.write(" ".join(rng.choice(words) for _ in range(n)) + ("\n" if i < 2499 else ""))
    return str(path)


@pytest.mark.parametrize("sorted_vocab", [1, 0])
def test_vocabulary_is_the_single_node_one(client, tmp_path, sorted_vocab):
    path = _mixed_text(tmp_path / "mixed.txt", 1)
    settings = dict(min_count=3, max_sentence_length=10, sorted_vocab=sorted_vocab, epochs=1, vector_size=8,
                    workers=1)
    single = Word2Vec(**settings)
    single.build_vocab(corpus_file=path)
    model = train_distributed(client, corpus_file=path, sync_words=20_000, **settings)
    assert model.vocabulary.index_to_key == single.vocabulary.index_to_key
    assert model.vocabulary.counts.tolist() == single.vocabulary.counts.tolist()
    assert (model.corpus_count, model.corpus_total_words) == (single.corpus_count, single.corpus_total_words)
    assert model.wv.index_to_key == single.wv.index_to_key
    assert model.distributed_stats["raw_words"] == single.corpus_total_words


def test_several_files_count_as_their_concatenation(client, tmp_path):
    a = _mixed_text(tmp_path / "a.txt", 2)
    b = _mixed_text(tmp_path / "b.txt", 3)
    with open(tmp_path / "ab.txt", "w", encoding="utf-8") as fh:   # a ends without a newline: add one
        fh.write(open(a, encoding="utf-8").read() + "\n" + open(b, encoding="utf-8").read())
    single = Word2Vec(min_count=2)
    single.build_vocab(corpus_file=str(tmp_path / "ab.txt"))
    model = train_distributed(client, corpus_files=[a, b], min_count=2, epochs=1, vector_size=8, workers=1)
    assert model.vocabulary.index_to_key == single.vocabulary.index_to_key
    assert model.vocabulary.counts.tolist() == single.vocabulary.counts.tolist()
    assert (model.corpus_count, model.corpus_total_words) == (single.corpus_count, single.corpus_total_words)


@pytest.mark.parametrize("mode", [dict(sg=1, negative=5), dict(sg=0, hs=1, negative=0)])
def test_planted_families_are_recovered(client, family_file, mode):
    path, families = family_file
    model = train_distributed(client, corpus_file=path, sync_words=3000, **SMALL, **mode)
    assert model.distributed_stats["rounds"] >= 10       # several synchronisations per epoch happened
    assert np.isfinite(model.wv.vectors).all()
    assert family_recall(model, families) >= 0.9


def test_result_is_an_ordinary_model(client, family_file, tmp_path):
    path, families = family_file
    model = train_distributed(client, corpus_file=path, sync_words=5000, **SMALL, sg=1)
    assert model.min_alpha_yet_reached == pytest.approx(model.min_alpha)
    model.save(tmp_path / "m.w2v")
    again = Word2Vec.load(tmp_path / "m.w2v")
    np.testing.assert_array_equal(again.wv.vectors, model.wv.vectors)
    assert again.corpus_count == 3000 and again.corpus_total_words == 24000
    before = again.wv.vectors.copy()
    again.train(corpus_file=path, total_words=again.corpus_total_words, epochs=1)
    assert not np.array_equal(before, again.wv.vectors)
    assert family_recall(again, families) >= 0.9


def _kill_when_training():
    """Runs in a worker process (client.run): exit the process hard as soon as a training task runs in it."""
    from w2vfast.distributed import replica

    def watch():
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if replica.active:
                os._exit(1)
            time.sleep(0.0005)

    threading.Thread(target=watch, daemon=True).start()
    return os.getpid()


def test_worker_killed_mid_round(client, tmp_path):
    sentences, families = family_corpus(n_sentences=30000, seed=5)
    path = write_corpus(tmp_path / "big.txt", sentences)
    victim = sorted(client.nthreads())[0]
    killed = {}

    def on_round(info):
        if info["round"] == 2:
            killed["pid"] = client.run(_kill_when_training, workers=[victim])[victim]

    model = train_distributed(client, corpus_file=path, sync_words=30000, on_round=on_round, **SMALL, sg=1,
                              negative=5)
    assert killed, "the kill was never armed"
    pids = client.run(os.getpid)
    assert killed["pid"] not in pids.values()            # that process is gone
    stats = model.distributed_stats
    # every word trained once: the lost chunk was trained again elsewhere, nothing else was lost
    assert stats["raw_words"] == model.epochs * model.corpus_total_words
    assert family_recall(model, families) >= 0.9
    client.wait_for_workers(2, timeout=30)


def test_checkpoint_and_resume(client, family_file, tmp_path):
    path, families = family_file
    ckpt = tmp_path / "ckpt.w2v"

    class Crash(Exception):
        pass

    def crash(info):
        if info["round"] == 3:
            raise Crash()

    with pytest.raises(Crash):
        train_distributed(client, corpus_file=path, sync_words=3000, checkpoint=ckpt, on_round=crash, **SMALL, sg=1)
    assert os.path.exists(ckpt) and os.path.exists(progress_path(ckpt))
    model = train_distributed(client, corpus_file=path, checkpoint=ckpt, resume=True, **SMALL, sg=1)
    stats = model.distributed_stats
    assert stats["rounds"] == 20 - 3                      # 4 rounds an epoch, 5 epochs, 3 already done
    assert stats["raw_words"] == 5 * 24000 - 3 * 6000
    assert family_recall(model, families) >= 0.9
    assert Word2Vec.load(ckpt).vocabulary.index_to_key == model.vocabulary.index_to_key


def test_bad_input_is_reported_on_the_driver(client, tmp_path):
    missing = str(tmp_path / "nope.txt")
    with pytest.raises(FileNotFoundError, match="worker") as info:
        train_distributed(client, corpus_file=missing)
    assert info.value.filename == missing
    with pytest.raises(IsADirectoryError):
        train_distributed(client, corpus_file=str(tmp_path))
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    with pytest.raises(ValueError, match="empty"):
        train_distributed(client, corpus_files=[str(empty)])
    blank = tmp_path / "blank.txt"
    blank.write_text("\n  \n\t\n")
    with pytest.raises(ValueError, match="no tokens"):
        train_distributed(client, corpus_file=str(blank))
    with pytest.raises(ValueError, match="corpus_files is empty"):
        train_distributed(client, corpus_files=[])
    with pytest.raises(TypeError, match="exactly one"):
        train_distributed(client)
    with pytest.raises(ValueError, match="merge"):
        train_distributed(client, corpus_file=str(blank), merge="median")
    for bad in (0, -1.0, float("nan"), "2", True):
        with pytest.raises(ValueError, match="alpha_scale"):
            train_distributed(client, corpus_file=str(blank), alpha_scale=bad)
