"""Bounded fuzzing: replay the kept fuzz corpus and a few hundred fresh mutations per target.

Every input must load or raise FormatError, and what loads must pass the targets' oracles (see
fuzz/fuzz_targets.py). Long runs are bench/fuzz.py's job; this keeps what they found fixed.
"""
import os
import shutil
import sys

import pytest

FUZZ_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fuzz")
CORPUS_DIR = os.path.join(FUZZ_DIR, "corpus")
if not os.path.isdir(CORPUS_DIR):
    pytest.skip("the fuzz corpus (fuzz/corpus) is not in this checkout", allow_module_level=True)
sys.path.insert(0, FUZZ_DIR)

import fuzz_targets  # noqa: E402
from fuzz_mutator import Mutator  # noqa: E402

# fresh mutations per target: sized so the whole module takes a few seconds on a CI machine
MUTATIONS = {"text": 1000, "binary": 1000, "corpus": 300, "model": 300}


def corpus(target):
    folder = os.path.join(CORPUS_DIR, target)
    names = sorted(n for n in os.listdir(folder) if n.endswith(".bin"))
    out = []
    for n in names:
        with open(os.path.join(folder, n), "rb") as fh:
            out.append((n, fh.read()))
    return out


@pytest.fixture
def scratch():
    path = fuzz_targets.scratch_dir()
    yield path
    shutil.rmtree(path, ignore_errors=True)


def failures(target, inputs, scratch):
    bad = []
    for name, data in inputs:
        outcome, exc, _ = fuzz_targets.run_one(target, data, scratch)
        if outcome not in ("ok", "format"):
            bad.append(f"{name}: {outcome}: {exc!r}"[:300])
    return bad


def mutations(target, n, seed):
    kept = [data for _, data in corpus(target)]
    mutator = Mutator(seed=seed, seeds=kept)
    rng = mutator.rng
    return [(f"mutation {i} (seed {seed})", mutator.mutate(rng.choice(kept))) for i in range(n)]


def check(target, scratch):
    kept = corpus(target)
    assert kept, f"no kept inputs for {target}"
    bad = failures(target, kept, scratch) + failures(target, mutations(target, MUTATIONS[target], 12345), scratch)
    assert not bad, f"{len(bad)} inputs neither loaded nor raised FormatError:\n" + "\n".join(bad[:10])


@pytest.mark.parametrize("target", ["text", "binary", "corpus"])
def test_readers_load_or_raise_format_error(target, scratch):
    check(target, scratch)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")   # overflow in norms of hostile matrices
def test_model_loader_loads_or_raises_format_error(scratch):
    check("model", scratch)


def test_the_oracles_can_fail(scratch, monkeypatch):
    # a reader that drops a vector must be caught by the round-trip check, and one that raises a plain
    # ValueError must be reported: the bounded run above could otherwise pass by checking nothing
    import w2vfast.io as wio

    data = dict(corpus("text"))["seed-plain.bin"]
    assert fuzz_targets.run_one("text", data, scratch)[0] in ("ok", "format")
    monkeypatch.setattr(fuzz_targets, "write_word2vec_format",
                        lambda path, keys, vectors, binary: wio.write_word2vec_format(path, keys[1:], vectors[1:],
                                                                                      binary=binary))
    assert fuzz_targets.run_one("binary", dict(corpus("binary"))["seed-plain.bin"], scratch)[0] == "mismatch"

    def broken(*args, **kwargs):
        raise ValueError("not a FormatError")

    monkeypatch.setattr(fuzz_targets, "read_word2vec_format", broken)
    assert fuzz_targets.run_one("text", data, scratch)[0] == "other:ValueError"
