"""Shards: the corpus files as every worker sees them, and how rounds cut them into byte ranges.

The driver need not see the files itself: their sizes come from a task on a worker. Byte ranges follow
corpus_file's rule (a reader of [start, end) takes every token whose first byte lies inside), so ranges
that tile a file give every token to exactly one reader.
"""
import os
import socket

from .._corpus import check_corpus_file


def stat_files(paths, dask_worker=None):
    """Runs on a worker (client.run passes dask_worker): the size of each corpus file, or an OSError or
    ValueError naming the file and the worker (missing, a directory, unreadable, empty, compressed)."""
    where = f"worker {dask_worker.address} on {socket.gethostname()}" if dask_worker is not None \
        else f"host {socket.gethostname()}"
    sizes = []
    for path in paths:
        try:
            sizes.append(check_corpus_file(path))
        except OSError as exc:
            raise type(exc)(exc.errno, f"{exc.strerror} (seen from {where})", os.fspath(path)) from None
        except ValueError as exc:
            raise ValueError(f"{exc} (seen from {where})") from None
    return sizes


def split_ranges(sizes, n_per_file):
    """[(file_index, start, end)] tiling every file in n_per_file[i] ranges, in file order."""
    out = []
    for f, (size, n) in enumerate(zip(sizes, n_per_file)):
        n = max(1, int(n))
        out.extend((f, size * i // n, size * (i + 1) // n) for i in range(n))
    return out


class RoundPlan:
    """An epoch cut into chunks of about sync_words words each, handed out n_replicas at a time.

    The plan depends only on the file sizes, the word count and the settings, so a resumed run finds the
    same rounds again. Round k of an epoch trains chunks [k * n, (k + 1) * n).
    """

    def __init__(self, paths, sizes, total_words, sync_words, n_replicas):
        self.paths = list(paths)
        total_bytes = sum(sizes)
        words_per_byte = total_words / max(total_bytes, 1)
        chunk_bytes = max(1, int(sync_words / max(words_per_byte, 1e-12)))
        ranges = split_ranges(sizes, [-(-s // chunk_bytes) for s in sizes])
        self.chunks = [(self.paths[f], a, b) for f, a, b in ranges if b > a]
        # words per chunk, estimated from its bytes, for the learning-rate schedule of a round
        self.chunk_words = [max(1, round((b - a) * words_per_byte)) for _, a, b in self.chunks]
        self.n_replicas = max(1, min(int(n_replicas), len(self.chunks)))
        self.rounds_per_epoch = -(-len(self.chunks) // self.n_replicas)

    def round_chunks(self, k):
        """Chunk indices of round k (counted within an epoch)."""
        first = k * self.n_replicas
        return list(range(first, min(first + self.n_replicas, len(self.chunks))))
