"""`w2vfast train` driven as a user would: word2vec.c's flags, inputs, outputs, and every bad-input case."""
import bz2
import gzip
import io
import lzma
import os
import subprocess
import sys

import pytest

from conftest import subprocess_env, write_corpus
from w2vfast.cli import build_parser, main
from w2vfast.cli.paths import sniff_format
from w2vfast.model import Word2Vec
from w2vfast.wordclasses import read_classes

FAST = ["-size", "8", "-iter", "1", "-min-count", "1", "-threads", "1", "-debug", "0"]


@pytest.fixture
def corpus(tmp_path, planted):
    return write_corpus(tmp_path / "c.txt", planted[0][:400])


def _one_line_error(capsys, code):
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith("w2vfast: error:"), err
    return err[0]


def test_word2vec_c_flags_set_the_model(tmp_path, corpus):
    out = str(tmp_path / "m.model")
    assert main(["train", "-train", corpus, "-output", out, "-size", "12", "-window", "3", "-sample", "1e-4",
                 "-hs", "1", "-negative", "0", "-threads", "2", "-iter", "2", "-min-count", "2", "-alpha", "0.05",
                 "-cbow", "0", "-debug", "0"]) == 0
    m = Word2Vec.load(out)
    assert (m.vector_size, m.window, m.sample, m.hs, m.negative, m.workers, m.epochs, m.min_count, m.alpha,
            m.sg) == (12, 3, 1e-4, 1, 0, 2, 2, 2, 0.05, 1)


def test_long_options_and_defaults_match_gensim():
    args = build_parser().parse_args(["train", "c.txt", "-o", "v.bin"])
    assert (args.size, args.window, args.sample, args.negative, args.min_count, args.alpha, args.min_alpha,
            args.epochs, args.workers, args.ns_exponent, args.cbow_mean) == (
        100, 5, 1e-3, 5, 5, 0.025, 0.0001, 5, 3, 0.75, 1)
    args = build_parser().parse_args(["train", "c.txt", "--output", "v.bin", "--sg", "--hs", "--epochs", "7",
                                      "--workers", "4", "--min-alpha", "0.001", "--max-final-vocab", "9"])
    assert (args.cbow, args.hs, args.epochs, args.workers, args.min_alpha, args.max_final_vocab) == (
        0, 1, 7, 4, 0.001, 9)


@pytest.mark.parametrize("bad", ["-ouput", "-outputs", "-outpt", "-siz", "--out", "--outp", "-ov.bin"])
def test_misspelt_or_abbreviated_options_are_refused_before_anything_runs(tmp_path, corpus, bad, capsys):
    argv = ["train", "-train", corpus, bad, str(tmp_path / "v.bin")] + FAST
    with pytest.raises(SystemExit) as exc:
        main(argv)
    line = _one_line_error(capsys, exc.value.code)
    assert "unrecognized" in line or "required: -output" in line
    assert sorted(os.listdir(tmp_path)) == ["c.txt"]  # no "utput", "uput" or any other stray file


def test_single_dash_output_is_never_o_plus_value(tmp_path, corpus):
    args = build_parser().parse_args(["train", "-train", corpus, "-output", "v.bin"])
    assert args.output == "v.bin"


@pytest.mark.parametrize("name, fmt", [("v.bin", "binary"), ("v.txt", "text"), ("v.vec", "text"),
                                       ("vectors", "text")])
def test_output_format_follows_the_name(tmp_path, corpus, name, fmt):
    out = str(tmp_path / name)
    assert main(["train", corpus, "-output", out] + FAST) == 0
    assert sniff_format(out) == fmt


def test_explicit_binary_flag_overrides_the_name_and_readers_detect_it(tmp_path, corpus, capsys):
    out = str(tmp_path / "t.bin")
    assert main(["train", corpus, "-output", out, "-binary", "0"] + FAST) == 0
    assert sniff_format(out) == "text"
    capsys.readouterr()
    assert main(["similar", out, "f0m0", "--topn", "2"]) == 0
    captured = capsys.readouterr()
    assert len(captured.out.strip().splitlines()) == 2
    assert "holds text data" in captured.err


def test_classes_file_has_every_word_once_with_a_class_in_range(tmp_path, corpus):
    out = str(tmp_path / "classes.txt")
    assert main(["train", corpus, "-output", out, "-classes", "5"] + FAST) == 0
    classes = read_classes(out)
    vocab = set(" ".join(open(corpus).read().split("\n")).split())
    assert set(classes) == vocab
    assert set(classes.values()) <= set(range(5)) and len(set(classes.values())) > 1


def test_save_vocab_writes_word_count_lines_in_frequency_order(tmp_path, corpus):
    vocab_path = str(tmp_path / "vocab.txt")
    assert main(["train", corpus, "-output", str(tmp_path / "v.bin"), "-save-vocab", vocab_path] + FAST) == 0
    rows = [line.split() for line in open(vocab_path)]
    counts = [int(c) for _, c in rows]
    words = open(corpus).read().split()
    assert counts == sorted(counts, reverse=True)
    assert sum(counts) == len(words) and len(rows) == len(set(words))
    assert dict((w, int(c)) for w, c in rows)["f0m0"] == words.count("f0m0")


def test_read_vocab_fixes_the_vocabulary(tmp_path, corpus):
    vocab_path = tmp_path / "vocab.txt"
    vocab_path.write_text("</s> 400\nf0m0 30\nf0m1 20\nf1m0 10\nf1m1 1\n")  # word2vec.c's </s> line is skipped
    out = str(tmp_path / "v.txt")
    assert main(["train", corpus, "-output", out, "-read-vocab", str(vocab_path), "-min-count", "2",
                 "-size", "8", "-iter", "1", "-threads", "1", "-debug", "0"]) == 0
    keys = [line.split()[0] for line in open(out).readlines()[1:]]
    assert keys == ["f0m0", "f0m1", "f1m0"]  # min-count applies to the file's counts, as in word2vec.c


def _vocab(path):
    return sorted(line.split()[0] for line in open(path).readlines()[1:])


def test_corpus_from_stdin(tmp_path, corpus, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(open(corpus, "rb").read())))
    out = str(tmp_path / "stdin.txt")
    assert main(["train", "-train", "-", "-output", out] + FAST) == 0
    assert main(["train", corpus, "-output", str(tmp_path / "file.txt")] + FAST) == 0
    assert _vocab(out) == _vocab(str(tmp_path / "file.txt"))
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".")]  # no temporary files left behind


@pytest.mark.parametrize("opener, suffix", [(gzip.open, ".gz"), (bz2.open, ".bz2"), (lzma.open, ".xz")])
def test_compressed_corpora(tmp_path, corpus, opener, suffix):
    packed = str(tmp_path / ("c.txt" + suffix))
    with opener(packed, "wb") as f:
        f.write(open(corpus, "rb").read())
    assert main(["train", packed, "-output", str(tmp_path / "z.txt")] + FAST) == 0
    assert main(["train", corpus, "-output", str(tmp_path / "p.txt")] + FAST) == 0
    assert _vocab(str(tmp_path / "z.txt")) == _vocab(str(tmp_path / "p.txt"))


def test_loss_is_printed_per_epoch(tmp_path, corpus, capsys):
    assert main(["train", corpus, "-output", str(tmp_path / "v.bin"), "--loss", "-size", "8", "-iter", "2",
                 "-min-count", "1", "-debug", "1"]) == 0
    err = capsys.readouterr().err
    losses = [float(line.rsplit(" ", 1)[1]) for line in err.splitlines() if line.startswith("epoch ")]
    assert len(losses) == 2 and all(x > 0 for x in losses)


def _bad_outputs(tmp_path):
    (tmp_path / "adir").mkdir()
    cases = {
        "directory": str(tmp_path / "adir"),
        "trailing slash": str(tmp_path / "new") + "/",
        "missing folder": str(tmp_path / "no" / "dir" / "v.bin"),
        "special file": os.devnull,
    }
    if os.path.exists("/proc/self"):
        cases["special filesystem"] = "/proc/self/v.bin"
    return cases


def test_bad_output_paths_fail_at_once_in_one_line(tmp_path, corpus, capsys):
    for what, out in _bad_outputs(tmp_path).items():
        code = main(["train", corpus, "-output", out] + FAST[:-2])  # with -debug 2: nothing may have printed
        line = _one_line_error(capsys, code)
        assert ".tmp" not in line and "vocabulary" not in line, (what, line)
    code = main(["train", corpus, "-output", str(tmp_path / "v.bin"), "-save-vocab", str(tmp_path / "adir")] + FAST)
    _one_line_error(capsys, code)
    assert not (tmp_path / "v.bin").exists()


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root may write any folder")
def test_unwritable_folder_fails_at_once(tmp_path, corpus, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        _one_line_error(capsys, main(["train", corpus, "-output", str(locked / "v.bin")] + FAST))
    finally:
        locked.chmod(0o755)


@pytest.mark.parametrize("extra", [
    ["-hs", "2"],                        # 0 or 1 only
    ["-binary", "1", "--format", "text"],  # contradictory
    ["-classes", "100000"],              # more classes than words
    ["-read-vocab", "missing-vocab.txt"],
    ["-size", "0"],
])
def test_bad_settings_are_one_line_errors(tmp_path, corpus, capsys, extra):
    try:
        code = main(["train", corpus, "-output", str(tmp_path / "v.bin")] + FAST + extra)
    except SystemExit as exc:
        code = exc.code
    _one_line_error(capsys, code)
    assert not (tmp_path / "v.bin").exists()


def test_two_corpora_or_none_are_refused(tmp_path, corpus, capsys):
    _one_line_error(capsys, main(["train", corpus, "-train", corpus, "-output", str(tmp_path / "v.bin")] + FAST))
    _one_line_error(capsys, main(["train", "-output", str(tmp_path / "v.bin")] + FAST))


def test_help_shows_defaults_and_version(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = capsys.readouterr().out
    assert "vector size (default: 100)" in " ".join(out.split())
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.startswith("w2vfast ")


def test_progress_lines_when_stderr_is_not_a_terminal(tmp_path, corpus):
    # the real command in a child process, stderr a pipe: progress comes as plain lines, not a bar. (A gzip
    # corpus, read through Python, reports at every epoch's end however short the run.)
    with gzip.open(tmp_path / "c.txt.gz", "wb") as f:
        f.write(open(corpus, "rb").read())
    result = subprocess.run([sys.executable, "-m", "w2vfast.cli", "train", "c.txt.gz", "-output", "v.bin", "-size", "8",
                             "-iter", "1", "-min-count", "1"], capture_output=True, text=True, cwd=tmp_path,
                            env=subprocess_env())
    assert result.returncode == 0, result.stderr
    assert "\r" not in result.stderr and "wrote binary vectors" in result.stderr
    assert "epoch 1/1: 100.0% done" in result.stderr and "ETA" in result.stderr
    trained = [line for line in result.stderr.splitlines() if line.startswith("trained ")][0]
    assert float(trained.split("(")[1].split()[0]) > 0


def test_full_filesystem_fails_at_once(tmp_path, corpus, capsys, monkeypatch):
    import errno

    from w2vfast.cli import paths

    def no_space(fd, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(paths.os, "write", no_space)  # what a full disk answers to the probe
    line = _one_line_error(capsys, main(["train", corpus, "-output", str(tmp_path / "v.bin")] + FAST[:-2]))
    assert "No space left" in line and "v.bin" in line
    assert sorted(os.listdir(tmp_path)) == ["c.txt"]  # the probe file is gone too
