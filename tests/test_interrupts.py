"""Training threads always stop: w2vfast.threads.run_threads under interrupts and errors, and Ctrl-C at
random moments of real training (bench/sigint_stress.py in a child process)."""
import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import subprocess_env
from w2vfast.threads import THREAD_NAME, run_threads


@pytest.fixture
def sigint_raises():
    # A process started in the background may inherit SIGINT as ignored: install Python's usual handler.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def _training_threads():
    return [t for t in threading.enumerate() if t.name.startswith(THREAD_NAME)]


class Crew:
    """work() for run_threads: each thread spins until stop() or release(), recording that it ran and ended."""

    def __init__(self, n):
        self.started = [False] * n
        self.ended = [False] * n
        self.go = threading.Event()
        self.stop_calls = 0

    def work(self, i):
        self.started[i] = True
        try:
            self.go.wait(10)
            time.sleep(0.05 * i)          # threads end at different times, well after go
        finally:
            self.ended[i] = True

    def stop(self):
        self.stop_calls += 1
        self.go.set()


def test_threads_run_named_and_all_end(sigint_raises):
    crew = Crew(3)
    names = []

    def work(i):
        names.append(threading.current_thread().name)
        crew.work(i)

    run_threads(work, 3, crew.stop, feed=crew.go.set)
    assert all(crew.ended) and crew.stop_calls == 0
    assert sorted(names) == [f"{THREAD_NAME}-{i}" for i in range(3)]
    assert not _training_threads()


def test_a_worker_error_stops_the_others_and_is_raised_after_they_end(sigint_raises):
    crew = Crew(4)

    def work(i):
        if i == 2:
            raise OSError("disk went away")
        crew.work(i)

    with pytest.raises(OSError, match="disk went away"):
        run_threads(work, 4, crew.stop)
    assert crew.stop_calls >= 1
    assert all(crew.ended[i] for i in (0, 1, 3))
    assert not _training_threads()


def test_an_interrupt_while_watching_stops_and_waits_for_every_thread(sigint_raises):
    crew = Crew(3)
    with pytest.raises(KeyboardInterrupt):
        run_threads(crew.work, 3, crew.stop, report=lambda: signal.raise_signal(signal.SIGINT), report_every=0)
    assert crew.stop_calls >= 1
    assert all(crew.ended)
    assert not _training_threads()


def test_an_interrupt_during_the_start_is_raised_once_every_thread_is_registered(monkeypatch, sigint_raises):
    crew = Crew(4)
    original_start = threading.Thread.start
    starts = []

    def start_then_ctrl_c(self):
        original_start(self)
        starts.append(self.name)
        if len(starts) == 2:
            signal.raise_signal(signal.SIGINT)   # its handler runs right here, between two thread starts

    monkeypatch.setattr(threading.Thread, "start", start_then_ctrl_c)
    ended_when_raised = []
    t0 = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        try:
            run_threads(crew.work, 4, crew.stop)   # the threads would wait 10 s for a stop()
        finally:
            ended_when_raised = list(crew.ended)
    assert len(starts) == 4                    # the start was not cut short...
    assert all(crew.started)
    assert crew.stop_calls >= 1 and time.perf_counter() - t0 < 5   # ...the interrupt then stopped them...
    assert ended_when_raised == [True] * 4     # ...and surfaced only once all had ended
    assert not _training_threads()


def test_an_interrupt_during_the_shutdown_cannot_cut_the_wait_short(sigint_raises):
    crew = Crew(3)

    def stop_and_ctrl_c():
        crew.stop()
        signal.raise_signal(signal.SIGINT)     # arrives while the shutdown waits for the threads

    def feed():
        raise ValueError("bad sentence")

    with pytest.raises(ValueError, match="bad sentence"):   # the first exception wins; threads all ended
        run_threads(crew.work, 3, stop_and_ctrl_c, feed=feed)
    assert all(crew.ended)
    assert not _training_threads()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")   # the dropped one
def test_an_interrupt_dropped_by_a_finalizer_still_stops_the_run(sigint_raises):
    # Python runs signal handlers at any bytecode, also inside __del__ or a weakref callback, where the
    # KeyboardInterrupt is printed as "Exception ignored" and lost.
    class CtrlCInFinalizer:
        def __del__(self):
            signal.raise_signal(signal.SIGINT)

    crew = Crew(3)
    t0 = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        run_threads(crew.work, 3, crew.stop, report=lambda: CtrlCInFinalizer(), report_every=0)
    assert time.perf_counter() - t0 < 5          # stopped at once, not when the threads ran out of work
    assert crew.stop_calls >= 1 and all(crew.ended)
    assert not _training_threads()


def test_a_thread_that_join_calls_stopped_is_still_waited_for(monkeypatch, sigint_raises):
    # CPython before 3.13 can mark a live thread as stopped when Ctrl-C interrupts join(); then join() and
    # is_alive() stop waiting for it. run_threads must not depend on them to know a thread has ended.
    monkeypatch.setattr(threading.Thread, "join", lambda self, timeout=None: None)
    monkeypatch.setattr(threading.Thread, "is_alive", lambda self: False)
    crew = Crew(3)
    run_threads(crew.work, 3, crew.stop, feed=crew.go.set)
    assert all(crew.ended)


def test_run_threads_from_another_thread_leaves_sigint_alone(sigint_raises):
    crew = Crew(2)
    box = []
    t = threading.Thread(target=lambda: box.append(run_threads(crew.work, 2, crew.stop, feed=crew.go.set)))
    t.start()
    t.join(10)
    assert box == [None] and all(crew.ended)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_the_sigint_handler_is_put_back(sigint_raises):
    crew = Crew(2)
    run_threads(crew.work, 2, crew.stop, feed=crew.go.set)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    with pytest.raises(ValueError, match="n_threads"):
        run_threads(crew.work, 0, crew.stop)


def test_ctrl_c_at_random_moments_of_training_leaves_no_thread_and_a_usable_model():
    """80 SIGINTs from a parent process at random moments of corpus_file and iterable training (2-4
    threads, sg and CBOW, epochs of a few ms so the start and the shutdown of threads are hit too)."""
    script = Path(__file__).resolve().parents[1] / "bench" / "sigint_stress.py"
    if not script.exists():
        pytest.skip("bench/sigint_stress.py is not part of this checkout")
    n = 80
    proc = subprocess.run([sys.executable, str(script), "--n", str(n), "--json", "--grace", "1"],
                          env=subprocess_env(), capture_output=True, text=True, timeout=300)
    assert proc.stdout.strip(), proc.stderr[-3000:]
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["interrupts_sent"] == n, summary
    assert summary["interrupted"] == n, summary
    assert summary["leftover"] == 0, summary
    assert summary["blocked"] == 0, summary
    assert summary["writing"] == 0, summary
    assert summary["usable"] == n, summary
    assert summary["errors"] == [], summary
    assert summary["configs"] >= 8, summary      # most of the 12 source x threads x sg settings came up
    assert proc.returncode == 0, proc.stderr[-3000:]
