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


def run_cli(tmp_path, *args):
    return subprocess.run([sys.executable, "-m", "w2vfast.cli", *map(str, args)], capture_output=True, text=True,
                          errors="surrogateescape",
                          cwd=tmp_path, env=subprocess_env())


def test_every_error_is_one_line_and_nothing_trains_first(tmp_path, planted):
    corpus = write_corpus(tmp_path / "c.txt", planted[0][:50])
    cases = [
        ("train", corpus, "-o", tmp_path / "no" / "dir" / "v.bin"),   # checked before training
        ("train", corpus, "-o", tmp_path / "v.bin", "--window", "9999999999"),
        ("train", corpus),                                                # argparse: missing -o
        ("train", corpus, "-o", tmp_path / "v.bin", "--size", "x"),
        ("similar", tmp_path / "missing.bin", "word"),
        ("similar", corpus, "word", "--topn", "0"),
        ("evaluate", corpus),
        ("bogus",),
    ]
    for args in cases:
        result = run_cli(tmp_path, *args)
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 2, (args, result.stderr)
        assert len(lines) == 1 and lines[0].startswith("w2vfast: error:"), (args, result.stderr)


def test_vectors_of_a_non_utf8_corpus_round_trip_through_the_cli(tmp_path):
    (tmp_path / "u.txt").write_bytes(b"caf\xe9 bar baz caf\xe9 bar\n" * 50)
    assert run_cli(tmp_path, "train", "u.txt", "-o", "u.bin", "--binary", "--min-count", "1", "--size", "8",
                   "-q").returncode == 0
    result = run_cli(tmp_path, "similar", "u.bin", "bar", "--topn", "2")
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.strip().splitlines()) == 2
