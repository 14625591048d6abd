"""nn, analogy, accuracy, convert and plot, driven as a user would."""
import io
import sys

import numpy as np
import pytest

from conftest import write_corpus
from w2vfast.cli import main
from w2vfast.cli.paths import sniff_format
from w2vfast.keyedvectors import KeyedVectors
from w2vfast.wordclasses import kmeans


@pytest.fixture(scope="module")
def trained(tmp_path_factory, planted):
    folder = tmp_path_factory.mktemp("tools")
    corpus = write_corpus(folder / "c.txt", planted[0])
    vectors = str(folder / "v.bin")
    model = str(folder / "m.model")
    for out in (vectors, model):
        assert main(["train", corpus, "-output", out, "-size", "16", "-iter", "2", "-min-count", "1",
                     "-threads", "1", "-cbow", "0", "-debug", "0"]) == 0
    return folder, vectors, model


def _stdin(monkeypatch, text):
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))


def _answers(out):
    """Blocks of 'score<TAB>word' lines separated by blank lines."""
    return [block.splitlines() for block in out.strip("\n").split("\n\n")]


def test_nn_one_shot(trained, capsys):
    _, vectors, _ = trained
    assert main(["nn", vectors, "f0m0", "-k", "3"]) == 0
    rows = capsys.readouterr().out.strip().splitlines()
    assert len(rows) == 3 and all(len(r.split("\t")) == 2 for r in rows)


def test_nn_loop_reads_queries_until_exit_and_survives_unknown_words(trained, capsys, monkeypatch):
    _, vectors, _ = trained
    _stdin(monkeypatch, "f0m0\nnosuchword\nf1m0 f1m1\nEXIT\nf2m0\n")
    assert main(["nn", vectors, "-k", "2"]) == 0
    blocks = _answers(capsys.readouterr().out)
    assert len(blocks) == 3  # f2m0 comes after EXIT
    assert len(blocks[0]) == 2 and "not in the vocabulary: nosuchword" in blocks[1][0] and len(blocks[2]) == 2


def test_analogy_one_shot_and_loop(trained, capsys, monkeypatch):
    _, vectors, _ = trained
    assert main(["analogy", vectors, "f0m0", "f0m1", "f1m0", "-k", "4"]) == 0
    rows = capsys.readouterr().out.strip().splitlines()
    assert len(rows) == 4 and not {"f0m0", "f0m1", "f1m0"} & {r.split("\t")[1] for r in rows}
    _stdin(monkeypatch, "f0m0 f0m1 f1m0\nf0m0 f0m1\n")
    assert main(["analogy", vectors, "-k", "1"]) == 0
    blocks = _answers(capsys.readouterr().out)
    assert len(blocks[0]) == 1 and "three words" in blocks[1][0]


def test_one_shot_unknown_word_is_an_error(trained, capsys):
    _, vectors, _ = trained
    assert main(["nn", vectors, "nosuchword"]) == 2
    assert capsys.readouterr().err.strip() == "w2vfast: error: not in the vocabulary: nosuchword"


def test_accuracy_reports_sections_and_totals(trained, tmp_path, capsys):
    _, vectors, _ = trained
    questions = tmp_path / "q.txt"
    questions.write_text(": family-a\nf0m0 f0m1 f1m0 f1m1\nf2m0 f2m1 f3m0 f3m1\nf0m0 f0m1 nosuch f1m1\n"
                         ": gram-b\nf4m0 f4m1 f5m0 f5m1\n")
    assert main(["accuracy", vectors, str(questions)]) == 0
    out = capsys.readouterr().out
    assert "family-a:" in out and "gram-b:" in out
    counts = [line.split("(")[1].split(")")[0] for line in out.splitlines() if line.strip().startswith("accuracy")]
    assert [c.split(" / ")[1] for c in counts] == ["2", "1"]  # the unknown word's question is not asked
    assert "questions asked / in the file: 3 / 4" in out
    total = out.splitlines()[-1]
    assert total.startswith("total accuracy") and "/ 3)" in total and "/ 2);" in total and "/ 1)" in total


def test_convert_round_trips_and_refuses_vectors_to_model(trained, tmp_path, capsys):
    _, vectors, model = trained
    txt, back, from_model = (str(tmp_path / n) for n in ("v.txt", "back.bin", "fm.vec"))
    assert main(["convert", vectors, txt]) == 0 and sniff_format(txt) == "text"
    assert main(["convert", txt, back]) == 0 and sniff_format(back) == "binary"
    a = KeyedVectors.load_word2vec_format(vectors, binary=True)
    b = KeyedVectors.load_word2vec_format(back, binary=True)
    assert a.index_to_key == b.index_to_key and np.allclose(a.vectors, b.vectors, atol=1e-5)
    assert main(["convert", model, from_model]) == 0 and sniff_format(from_model) == "text"
    capsys.readouterr()
    assert main(["convert", vectors, str(tmp_path / "x.model")]) == 2
    assert "whole trained model" in capsys.readouterr().err
    assert not (tmp_path / "x.model").exists()


def test_plot_writes_a_png(trained, tmp_path):
    pytest.importorskip("matplotlib")
    _, vectors, _ = trained
    png = tmp_path / "p.png"
    assert main(["plot", vectors, "f0m0", "f1m0", "--neighbours", "3", "-o", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_without_matplotlib_is_one_line(trained, tmp_path, capsys, monkeypatch):
    _, vectors, _ = trained
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now raises ImportError
    assert main(["plot", vectors, "f0m0", "f1m0", "-o", str(tmp_path / "p.png")]) == 2
    assert capsys.readouterr().err.strip() == "w2vfast: error: plot needs matplotlib: pip install matplotlib"


def test_kmeans_finds_separated_groups():
    rng = np.random.default_rng(0)
    centres = np.eye(8, dtype=np.float32)[:4] * 10
    truth = np.repeat(np.arange(4), 50)
    x = centres[truth] + rng.normal(0, 0.5, (200, 8)).astype(np.float32)
    labels = kmeans(x, 4, seed=3)
    # the same partition up to renaming: each true group maps to exactly one class and vice versa
    pairs = set(zip(truth.tolist(), labels.tolist()))
    assert len(pairs) == 4 and len({t for t, _ in pairs}) == 4 and len({c for _, c in pairs}) == 4


def test_kmeans_refuses_more_classes_than_rows():
    with pytest.raises(ValueError, match="between 1 and"):
        kmeans(np.ones((3, 2)), 4)


def test_tsne_without_scikit_learn_is_one_line(trained, tmp_path, capsys, monkeypatch):
    pytest.importorskip("matplotlib")
    _, vectors, _ = trained
    monkeypatch.setitem(sys.modules, "sklearn", None)
    assert main(["plot", vectors, "f0m0", "f1m0", "--method", "tsne", "-o", str(tmp_path / "p.png")]) == 2
    assert "needs scikit-learn" in capsys.readouterr().err
    assert not (tmp_path / "p.png").exists()
