"""Temporary files for atomic saves: write aside, then rename over the target.

Every save (whole models, word2vec vectors, vocabulary files) writes to a temporary file in the target's
folder named ``.<target name>.w2vfast-<pid>-<random>.tmp``, so a leftover is recognisably ours, tied to the
target it was for and to the process that wrote it. A save that is killed (SIGKILL, power loss) cannot
remove its own temporary file; instead each later save of the same target removes the leftovers whose
process no longer exists, so repeated killed saves do not fill the disk.
"""
import os
import re
import secrets

__all__ = ["mkstemp", "remove_stale", "AtomicFile"]

_TAG = ".w2vfast-"


def _pattern(base):
    return re.compile(re.escape(f".{base}{_TAG}") + r"(\d+)-[0-9a-f]+\.tmp\Z")


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:    # exists, owned by someone else
        return True
    except OSError:
        return True            # unknown: keep the file rather than risk removing a live save's data
    return True


def remove_stale(target):
    """Remove temporary files of earlier saves of `target` whose writing process has died.

    Returns the paths removed. Only POSIX can tell whether a process lives without touching it (on
    Windows os.kill terminates), so elsewhere nothing is removed.
    """
    if os.name != "posix":
        return []
    folder, base = os.path.split(os.path.abspath(os.fspath(target)))
    pattern = _pattern(base)
    removed = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    me = os.getpid()
    for name in names:
        m = pattern.match(name)
        if m is None:
            continue
        pid = int(m.group(1))
        if pid == me or _alive(pid):
            continue
        path = os.path.join(folder, name)
        try:
            os.unlink(path)
            removed.append(path)
        except OSError:
            pass          # another save removed it first, or the folder is read-only
    return removed


def mkstemp(target):
    """(fd, path) of a new temporary file beside `target`, opened for writing, after removing stale ones.

    Unlike tempfile.mkstemp the file gets the mode a plain open() would give (0o666 less the umask), since
    it becomes the saved file.
    """
    remove_stale(target)
    folder, base = os.path.split(os.path.abspath(os.fspath(target)))
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = os.path.join(folder, f".{base}{_TAG}{os.getpid()}-{secrets.token_hex(6)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue


class AtomicFile:
    """A binary file written aside `target`: finish() makes its data durable, commit() renames it over the
    target, discard() removes it if it was not committed (safe to call at any point, and twice)."""

    def __init__(self, target, buffering=1 << 20):
        self.target = os.fspath(target)
        fd, self.tmp = mkstemp(self.target)
        self.file = os.fdopen(fd, "wb", buffering=buffering)

    def finish(self):
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()

    def commit(self):
        os.replace(self.tmp, self.target)
        self.tmp = None

    def discard(self):
        if not self.file.closed:
            self.file.close()
        if self.tmp is not None:
            try:
                os.unlink(self.tmp)
            except FileNotFoundError:
                pass
            self.tmp = None
