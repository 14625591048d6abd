"""The training-thread driver: start N threads, watch them, and stop and join them in one place.

Word2Vec's two training paths (corpus_file and iterable) run their threads through run_threads(), and any
other caller that trains in threads should too. The point is that no exception in the calling thread, a
KeyboardInterrupt above all, can leave a training thread running or blocked after the call has returned
or raised. Plain start/join in a try block does not give that, because Ctrl-C raises in the main thread
between any two bytecodes:

- inside Thread.start(), after the new thread began but before start() returned;
- inside the finally that was meant to stop and join the threads, before it did;
- inside Thread.join(), where CPython before 3.13 may then mark a still running thread as stopped, so a
  later join() or is_alive() no longer waits for it.

So, here:

- Each thread reports its own end: a flag it sets in a finally, then a lock it releases. The flags are the
  only thing trusted; Thread.join() is called only once every flag is up, to reap the exiting threads.
- While run_threads() is active in the main thread, SIGINT goes through a guard that raises
  KeyboardInterrupt (via the handler that was installed before) only while the threads are being watched.
  During the start (so every started thread is registered) and the shutdown (so the wait for the threads
  cannot be cut short) a SIGINT is held back: one from the start is raised as soon as every thread is
  registered, one from the shutdown is handed to the original handler once the threads are gone.
- Any exception in the calling thread calls stop(); the shutdown then waits for every thread, catching and
  holding back whatever else is raised meanwhile (another signal's handler, say).
- An interrupt the guard raised is also remembered, and the threads are stopped right away: Python may run
  the handler inside a weakref callback or __del__, which prints the KeyboardInterrupt and drops it; then
  run_threads raises it itself instead of training on as if Ctrl-C had never been pressed.

Errors: the exception that ended the calling thread's part (an interrupt, or an error in feed/report) wins;
then a held-back SIGINT; then the first exception a worker thread raised.
"""
import logging
import signal
import threading
import time

logger = logging.getLogger(__name__)

THREAD_NAME = "w2vfast-train"   # training threads are named THREAD_NAME-0, THREAD_NAME-1, ...
_POLL = 0.05          # seconds between looks at the flags: bounds how late a SIGINT caught by another thread
                      # is raised here, since the main thread's lock wait is not woken by it
_SLOW_STOP = 10.0     # seconds after which a shutdown that is still waiting says so in the log


class _SigintGuard:
    """Routes SIGINT through itself while installed: passed on to the previous handler while `armed`,
    held back otherwise. Installs only in the main thread (the only one Python runs signal handlers in)
    and only over a Python-level handler (SIG_IGN and SIG_DFL need no deferring)."""

    def __init__(self, on_raise):
        self.armed = False
        self.previous = None
        self.held = None          # (signum, frame) of the first SIGINT held back
        self.raised = None        # the exception the previous handler raised, while armed
        self.on_raise = on_raise

    def install(self):
        if threading.current_thread() is not threading.main_thread():
            return
        if callable(signal.getsignal(signal.SIGINT)):
            # signal.signal() runs pending handlers before it swaps: a SIGINT already on its way raises
            # here, before any thread exists. Once swapped, nothing this guard handles raises unarmed.
            try:
                self.previous = signal.signal(signal.SIGINT, self._handle)
            except ValueError:    # not the main interpreter: no signal reaches this thread anyway
                pass

    def _handle(self, signum, frame):
        if not self.armed:
            if self.held is None:
                self.held = (signum, frame)
            return
        self.armed = False        # at most one interrupt per run: later ones wait for the shutdown's end
        try:
            self.previous(signum, frame)
        except BaseException as exc:
            # Python runs handlers at any bytecode, also inside a weakref callback or __del__, where the
            # exception is printed and dropped. Stopping the threads here and remembering the exception
            # lets run_threads raise it itself if it never arrives (see reraise_lost).
            self.raised = exc
            self.on_raise()
            raise
        self.armed = True         # the previous handler did not raise: keep passing signals on

    def arm(self):
        """Pass SIGINT on from now; one held back meanwhile (during the start) is passed on at once."""
        self.armed = True
        if self.held is not None and self.previous is not None:
            held, self.held = self.held, None
            self._handle(*held)

    def reraise_lost(self):
        """Raise the interrupt the handler raised if it was dropped on its way (we are still running)."""
        if self.raised is not None:
            raise self.raised

    def uninstall(self):
        if self.previous is not None:
            if signal.getsignal(signal.SIGINT) == self._handle:   # unless someone replaced it meanwhile
                signal.signal(signal.SIGINT, self.previous)       # a pending SIGINT is held, not raised
            self.previous, previous = None, self.previous
            return previous
        return None


class _Crew:
    """The threads of one run_threads() call and what each reports as it ends."""

    def __init__(self, work, stop, name):
        self.work, self.stop, self.name = work, stop, name
        self.threads = []
        self.done = []            # done[i]: thread i has left work(); set by thread i, last thing it does
        self.ended = []           # ended[i]: a lock held until thread i has set done[i]
        self.errors = []

    def _body(self, i):
        try:
            self.work(i)
        except BaseException as exc:  # re-raised in the calling thread once every thread has ended
            self.errors.append(exc)
            try:
                self.stop()
            except BaseException as stop_exc:
                self.errors.append(stop_exc)
        finally:
            self.done[i] = True
            self.ended[i].release()

    def start(self, n):
        for i in range(n):
            lock = threading.Lock()
            lock.acquire()
            t = threading.Thread(target=self._body, args=(i,), name=f"{self.name}-{i}", daemon=True)
            self.ended.append(lock)
            self.done.append(False)
            self.threads.append(t)
            try:
                t.start()
            except (RuntimeError, MemoryError):
                # the OS refused the thread (start() raises these only before the thread exists); the
                # threads already started are stopped by the caller's shutdown
                self.done[i] = True
                raise

    def wait(self, poll, report=None, report_every=None, check=None):
        """Until every thread has set its flag; calls report() about every report_every seconds and
        check() after every look."""
        due = time.monotonic() + (report_every or 0.0)
        for i in range(len(self.done)):
            while not self.done[i]:
                self.ended[i].acquire(timeout=poll)   # returns early when thread i ends
                if check is not None:
                    check()
                if report is not None and time.monotonic() >= due:
                    due = time.monotonic() + report_every
                    report()

    def reap(self):
        for t in self.threads:
            t.join()              # every flag is up: each thread is at most a few bytecodes from its end
        # Let the Thread objects go now, while SIGINT is still held: freeing them runs weakref callbacks
        # (threading's bookkeeping), and an interrupt raised inside one would be dropped.
        self.threads.clear()

    def log_slow(self):
        left = sum(1 for d in self.done if not d)
        logger.warning("still waiting for %d training thread(s) to stop after %.0fs", left, _SLOW_STOP)


def run_threads(work, n_threads, stop, *, feed=None, close=None, report=None, report_every=0.5,
                name=THREAD_NAME):
    """Run work(i) for i in range(n_threads), each in a thread of its own, and return once all have ended.

    stop : callable asking the threads to end early (set a StopFlag, close a job queue). Called on any
        failure, from a failing worker thread or from the caller, maybe more than once: it must be quick,
        idempotent and thread-safe.
    feed : optional callable run in the calling thread once every thread has started (a producer).
    close : optional callable saying no more input is coming (closing a job queue): called after feed()
        returns and again during every shutdown, so it must be idempotent.
    report : optional callable, run in the calling thread about every report_every seconds while waiting.
    name : the threads are named name-0, name-1, ...

    Returns None. Raises, only after every thread has ended: the exception raised in the calling thread
    (a KeyboardInterrupt, an error in feed or report), else a SIGINT held back during the start or the
    shutdown (handed to the SIGINT handler, normally giving KeyboardInterrupt), else the first exception a
    worker raised.
    """
    n_threads = int(n_threads)
    if n_threads < 1:
        raise ValueError(f"n_threads must be at least 1, got {n_threads}")
    crew = _Crew(work, stop, name)
    guard = _SigintGuard(stop)
    ok = False
    try:
        guard.install()
        crew.start(n_threads)
        guard.arm()
        if feed is not None:
            feed()
            guard.reraise_lost()
        if close is not None:
            close()
        crew.wait(_POLL, report, report_every, guard.reraise_lost)
        guard.reraise_lost()
        ok = True
    finally:
        # From here a SIGINT is held by the guard. Each step below is safe to repeat, so another exception
        # (from a handler of some other signal) only sends the loop round again.
        guard.armed = False
        stop_tries = 0 if ok else 3          # stop() and close() again if something raised inside them,
        close_tries = 0 if close is None else 3   # but not forever if they raise by themselves
        late = None
        previous = None
        while True:
            try:
                if stop_tries:
                    stop_tries -= 1
                    stop()
                    stop_tries = 0
                if close_tries:
                    close_tries -= 1
                    close()
                    close_tries = 0
                crew.wait(_POLL, crew.log_slow, _SLOW_STOP)
                crew.reap()
                previous = guard.uninstall() or previous
                break
            except BaseException as exc:
                if late is None:
                    late = exc
        if ok:
            # nothing in flight: hand on what came during the start or the shutdown, then worker errors
            if guard.held is not None and previous is not None:
                previous(*guard.held)
            if late is not None:
                raise late
            if crew.errors:
                raise crew.errors[0]
