"""Progress reporting for long training runs: a tqdm bar on stderr when it is a terminal."""
import sys


class Progress:
    """A bar over raw words of the whole run. Silent unless enabled and stderr is a terminal."""

    def __init__(self, total_words, enabled=None):
        if enabled is None:
            enabled = sys.stderr.isatty()
        self._bar = None
        if enabled:
            try:
                from tqdm import tqdm
            except ImportError:  # tqdm is an optional extra: no bar without it
                return
            self._bar = tqdm(total=total_words, unit="w", unit_scale=True, dynamic_ncols=True, file=sys.stderr,
                             smoothing=0.1, leave=True)
        self._shown = 0

    def update(self, done, epoch, epochs, alpha):
        if self._bar is None:
            return
        self._bar.set_description(f"epoch {epoch + 1}/{epochs} alpha {alpha:.5f}", refresh=False)
        if done > self._shown:
            self._bar.update(done - self._shown)
            self._shown = done

    def close(self):
        if self._bar is not None:
            self._bar.close()
            self._bar = None
