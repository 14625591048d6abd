"""Learning-rate schedules: the alpha each training thread uses as a train() call goes on.

Both fall linearly from start_alpha to end_alpha; they differ in whose progress moves alpha.

- "global" (the default; word2vec.c and gensim's iterable mode): every thread adds the raw words it has
  read to one shared count, and alpha follows that count over all epochs, reaching end_alpha at the last
  word of the last epoch.
- "per-worker" (gensim 4's corpus_file mode): epoch e runs from the global schedule's value at its start,
  a_e, towards a_(e+1), but each thread moves alpha by its own words counted against the whole epoch's
  words. With corpus_file, thread i also reads only the i-th contiguous share of the file, as gensim's
  workers do (both halves of the change are needed to reproduce gensim's corpus_file scores). With n threads each reads about 1/n of an epoch, so alpha falls only about 1/n of the way within
  an epoch and jumps down at the next one; the run ends near a_(E-1) - (a_(E-1) - a_E) / n, well above
  end_alpha (0.0026 instead of 0.0001 with gensim's defaults, 5 epochs, 2 threads). The higher late
  learning rate helps on small corpora, which is why gensim's corpus_file vectors score a little higher
  there; this option reproduces it.
"""
from ._kernels import LearningRate

SCHEDULES = ("global", "per-worker")


class GlobalSchedule:
    """One LearningRate over every epoch's raw words, shared by all threads."""

    def __init__(self, start_alpha, end_alpha, words_per_epoch, epochs, n_workers):
        self._lr = LearningRate(start_alpha, end_alpha, words_per_epoch * epochs)
        self._rates = [self._lr] * n_workers

    def rates_for_epoch(self, epoch):
        """The LearningRate each worker uses in this epoch (all the same one)."""
        return self._rates

    @property
    def done(self):
        """Raw words read so far in this train() call, all threads together."""
        return self._lr.done

    @property
    def alpha(self):
        return self._lr.alpha


class PerWorkerSchedule:
    """A LearningRate per thread and epoch, each over the epoch's words (see the module's docstring)."""

    def __init__(self, start_alpha, end_alpha, words_per_epoch, epochs, n_workers):
        self._start, self._end = start_alpha, end_alpha
        self._words, self._epochs, self._n = words_per_epoch, epochs, n_workers
        self._done_before = 0
        self._rates = [LearningRate(start_alpha, start_alpha, 0)]

    def _at(self, epoch):
        return self._start - (self._start - self._end) * epoch / self._epochs

    def rates_for_epoch(self, epoch):
        self._done_before = self.done
        self._rates = [LearningRate(self._at(epoch), self._at(epoch + 1), self._words) for _ in range(self._n)]
        return self._rates

    @property
    def done(self):
        return self._done_before + sum(r.done for r in self._rates)

    @property
    def alpha(self):
        """The threads' mean alpha (they differ a little)."""
        return sum(r.alpha for r in self._rates) / len(self._rates)


def make_schedule(name, start_alpha, end_alpha, words_per_epoch, epochs, n_workers):
    if name == "global":
        return GlobalSchedule(start_alpha, end_alpha, words_per_epoch, epochs, n_workers)
    if name == "per-worker":
        return PerWorkerSchedule(start_alpha, end_alpha, words_per_epoch, epochs, n_workers)
    raise ValueError(f"alpha_schedule must be one of {', '.join(SCHEDULES)}; got {name!r}")
