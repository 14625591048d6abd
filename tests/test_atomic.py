"""Temporary files of atomic saves: recognisable names, and cleanup of those left by killed saves."""
import os
import re
import signal
import subprocess
import sys

import numpy as np
import pytest

from w2vfast import Word2Vec, _atomic
from w2vfast.keyedvectors import KeyedVectors

from conftest import subprocess_env

posix_only = pytest.mark.skipif(os.name != "posix", reason="stale-file cleanup needs POSIX process checks")

_KILLED_SAVE = """
import os, signal, sys
from w2vfast import _atomic
fd, tmp = _atomic.mkstemp(sys.argv[1])
os.write(fd, b"x" * 4096)
print(tmp, flush=True)
os.kill(os.getpid(), signal.SIGKILL)   # dies mid-save, as a killed process would, without cleaning up
"""


def killed_save(target):
    """Path of the temporary file a save of `target` left behind when its process was SIGKILLed."""
    # run beside the target, not in the source tree, whose w2vfast/ lacks the built extensions
    proc = subprocess.run([sys.executable, "-c", _KILLED_SAVE, str(target)], capture_output=True, text=True,
                          env=subprocess_env(), cwd=os.path.dirname(os.path.abspath(target)))
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    tmp = proc.stdout.strip()
    assert os.path.exists(tmp)
    return tmp


def test_temp_names_say_target_and_process(tmp_path):
    target = tmp_path / "vectors.bin"
    fd, tmp = _atomic.mkstemp(target)
    os.close(fd)
    name = os.path.basename(tmp)
    assert os.path.dirname(tmp) == str(tmp_path)
    assert re.fullmatch(rf"\.vectors\.bin\.w2vfast-{os.getpid()}-[0-9a-f]+\.tmp", name), name
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(tmp).st_mode & 0o777 == 0o666 & ~umask


@posix_only
def test_killed_save_leftovers_are_removed_by_the_next_save(tmp_path):
    kv = KeyedVectors.from_arrays(["a", "b"], np.ones((2, 3), np.float32), counts=[2, 1])
    target, vocab = tmp_path / "v.txt", tmp_path / "v.vocab"
    leftovers = [killed_save(target) for _ in range(3)] + [killed_save(vocab)]
    # a live process's save in progress, and another target's leftover, must be kept
    live = tmp_path / f".v.txt.w2vfast-{os.getppid()}-abcdef.tmp"
    live.write_bytes(b"in progress")
    other = killed_save(tmp_path / "other.txt")
    kv.save_word2vec_format(target, fvocab=vocab)
    assert not any(os.path.exists(p) for p in leftovers)
    assert live.exists() and os.path.exists(other)
    assert sorted(os.listdir(tmp_path)) == sorted([live.name, os.path.basename(other), "v.txt", "v.vocab"])


@posix_only
def test_killed_model_save_leftovers_are_removed_by_the_next_save(tmp_path):
    model = Word2Vec([["a", "b", "c"]] * 5, vector_size=4, min_count=1, epochs=1, workers=1)
    target = tmp_path / "m.model"
    leftover = killed_save(target)
    model.save(target)
    assert not os.path.exists(leftover)
    assert os.listdir(tmp_path) == ["m.model"]


def test_remove_stale_ignores_files_that_are_not_ours(tmp_path):
    target = tmp_path / "v.txt"
    names = [".v.txt.w2vfast-notapid-ab.tmp", ".v.txt.1234.tmp", "v.txt.w2vfast-1-ab.tmp", ".v.txt.w2vfast-1-ab.tmpx"]
    for n in names:
        (tmp_path / n).write_bytes(b"")
    assert _atomic.remove_stale(target) == []
    assert sorted(os.listdir(tmp_path)) == sorted(names)
