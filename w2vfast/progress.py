"""Progress reporting for long training runs.

On a terminal: a tqdm bar on stderr. While it is shown, log records of the root logger's console handlers
go through tqdm.write, so they land above the bar instead of across it. Elsewhere (a log file, a pipe, a
batch job): one line every few seconds with the share done, words per second, the learning rate and the
time left, so a run that writes to a file still shows that it moves.

`enabled` (the model's `progress` option):
    None  - a bar on a terminal; otherwise the lines go to the `w2vfast.progress` logger at INFO level, and
            show where logging is set up to show INFO (as gensim's progress lines do);
    True  - a bar on a terminal; otherwise the lines are written to stderr whatever the logging setup;
    False - nothing.
"""
import logging
import sys
import time

logger = logging.getLogger(__name__)

LOG_INTERVAL = 5.0  # seconds between progress lines when stderr is not a terminal


def write(message, file=None):
    """Print a line to stderr without breaking a progress bar that may be on screen."""
    try:
        from tqdm import tqdm
    except ImportError:  # tqdm is a dependency; this only guards a broken installation
        print(message, file=file or sys.stderr, flush=True)
        return
    tqdm.write(message, file=file or sys.stderr)


def _clock(seconds):
    seconds = int(max(seconds, 0))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class Progress:
    """Progress over the raw words of a whole run (all epochs)."""

    def __init__(self, total_words, enabled=None, interval=LOG_INTERVAL):
        self.total = max(int(total_words), 1)
        self.interval = float(interval)
        self._bar = None
        self._redirect = None
        self._lines = None          # None: no lines; "log": INFO records; "stderr": plain lines on stderr
        self._shown = 0
        self._state = self._state_shown = None   # the latest (done, epoch, epochs, alpha), and the one printed
        self._start = self._last_line = time.monotonic()
        if enabled is False:
            return
        if sys.stderr.isatty() and self._open_bar():
            return
        self._lines = "stderr" if enabled else "log"

    def _open_bar(self):
        try:
            from tqdm import tqdm
            from tqdm.contrib.logging import logging_redirect_tqdm
        except ImportError:
            logger.warning("tqdm is not importable: progress is shown as log lines instead of a bar")
            return False
        self._bar = tqdm(total=self.total, unit="w", unit_scale=True, dynamic_ncols=True, file=sys.stderr,
                         smoothing=0.1, leave=True)
        self._redirect = logging_redirect_tqdm()
        self._redirect.__enter__()
        return True

    def update(self, done, epoch, epochs, alpha):
        """Called by the training driver every fraction of a second with the words done so far."""
        if self._bar is not None:
            self._bar.set_description(f"epoch {epoch + 1}/{epochs} alpha {alpha:.5f}", refresh=False)
            if done > self._shown:
                self._bar.update(done - self._shown)
                self._shown = done
            return
        if self._lines is None:
            return
        self._state = (done, epoch, epochs, alpha)
        now = time.monotonic()
        if now - self._last_line < self.interval:
            return
        self._last_line = now
        self._emit(self.line(done, epoch, epochs, alpha, now - self._start))
        self._state_shown = self._state

    def line(self, done, epoch, epochs, alpha, elapsed):
        """One progress line: epoch, % done, words/s, alpha and the time left at the rate so far."""
        done = min(max(int(done), 0), self.total)
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = _clock((self.total - done) / rate) if rate > 0 else "?"
        return (f"epoch {epoch + 1}/{epochs}: {100.0 * done / self.total:5.1f}% done, "
                f"{rate / 1e6:.2f} M words/s, alpha {alpha:.5f}, ETA {eta}")

    def _emit(self, text):
        if self._lines == "log":
            logger.info("PROGRESS %s", text)
        else:
            print(text, file=sys.stderr, flush=True)

    def close(self):
        if self._lines is not None and self._state is not None and self._state != self._state_shown:
            # the run's last state, so that even a run shorter than the interval reports where it ended
            self._emit(self.line(*self._state, time.monotonic() - self._start))
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        if self._redirect is not None:
            self._redirect.__exit__(None, None, None)
            self._redirect = None
        self._lines = None
