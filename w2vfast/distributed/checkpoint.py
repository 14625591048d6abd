"""Checkpoints between rounds: the model (model.save, atomic) and a small progress file beside it.

The progress file (PATH + ".progress.json", also written aside and renamed) says how many rounds the saved
model holds and the schedule position; it carries the model's total_train_time as a token, and resume
refuses a pair whose tokens differ (a crash between the two renames), rather than redoing or skipping a
round silently.
"""
import json
import os
import tempfile

from ..errors import FormatError

FORMAT = "w2vfast-distributed-progress"


def progress_path(path):
    return os.fspath(path) + ".progress.json"


def save_checkpoint(model, path, progress):
    model.save(path)
    data = dict(progress, format=FORMAT, token=repr(model.total_train_time))
    target = progress_path(path)
    fd, tmp = tempfile.mkstemp(prefix=".w2vfast-", suffix=".tmp", dir=os.path.dirname(os.path.abspath(target)))
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load_checkpoint(path):
    """(model, progress dict) from a checkpoint written by save_checkpoint."""
    from ..model import Word2Vec

    target = progress_path(path)
    try:
        with open(target) as fh:
            data = json.load(fh)
    except FileNotFoundError:
        raise FileNotFoundError(f"no progress file {target!r} beside checkpoint {os.fspath(path)!r}") from None
    except ValueError as exc:
        raise FormatError(f"{target!r}: not a progress file ({exc})") from None
    needed = {"round", "done", "epochs", "sync_words", "merge", "n_replicas"}
    if not isinstance(data, dict) or data.get("format") != FORMAT or not needed <= set(data):
        raise FormatError(f"{target!r}: not a w2vfast distributed progress file")
    model = Word2Vec.load(path)
    if data.get("token") != repr(model.total_train_time):
        raise FormatError(f"{target!r} does not belong to the model in {os.fspath(path)!r} (saved by different "
                          "rounds: the run stopped between the two writes); resume from an earlier copy")
    return model, data
