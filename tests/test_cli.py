import subprocess
import sys

from conftest import subprocess_env, write_corpus
from w2vfast.cli import main


def test_demo_prints_neighbours_and_analogies(capsys):
    assert main(["demo", "--sentences", "8000", "--epochs", "3"]) == 0
    out = capsys.readouterr().out
    assert "nearest to 'paris'" in out
    assert "paris - france + italy = " in out


def test_train_then_query(tmp_path, planted, capsys):
    sentences, _ = planted
    corpus = write_corpus(tmp_path / "c.txt", sentences)
    vectors = str(tmp_path / "v.bin")
    assert main(["train", corpus, "-o", vectors, "--binary", "--sg", "--min-count", "1", "--size", "16",
                 "--epochs", "2", "-q"]) == 0
    assert main(["similar", vectors, "f0m0", "--topn", "3"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3 and all("\t" in line for line in lines)


def test_bad_input_gives_one_line_error(tmp_path):
    result = subprocess.run([sys.executable, "-m", "w2vfast.cli", "train", str(tmp_path / "missing.txt"),
                             "-o", str(tmp_path / "v.txt")], capture_output=True, text=True,
                            cwd=tmp_path, env=subprocess_env())  # not the source tree, whose w2vfast/ lacks the built extensions
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("w2vfast: error:") and "missing.txt" in lines[0]
