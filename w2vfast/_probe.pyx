# cython: language_level=3
"""A cache-line ping-pong probe: how long two threads take to pass one cache line back and forth.

Benchmarks of several training threads print it beside their timings. On a virtual machine or a server with
several core complexes or sockets, the cores a process gets can be near each other (a shared cache: tens of
nanoseconds per round trip) or far apart (hundreds): a number that explains why the same run is fast at one
time and slow at another. Two Python threads call PingPong.play() with sides 0 and 1; each spins, without the
GIL, until the shared counter says it is its turn and then passes the turn on.
"""
from libc.stdint cimport int64_t

cdef extern from *:
    """
    static inline int64_t w2v_probe_load(const int64_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
    static inline void w2v_probe_store(int64_t *p, int64_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
    static inline void w2v_probe_pause(void) {
    #if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
    #endif
    }
    """
    int64_t w2v_probe_load(const int64_t *p) nogil
    void w2v_probe_store(int64_t *p, int64_t v) nogil
    void w2v_probe_pause() nogil

import numpy as np
cimport numpy as cnp

cnp.import_array()


cdef class PingPong:
    """One shared counter on a cache line of its own. play(side, rounds) returns how many rounds it finished:
    fewer than asked when the other side did not answer within `patience` spins (it was not scheduled)."""
    cdef object _buf
    cdef int64_t *turn

    def __init__(self):
        cdef cnp.ndarray raw = np.zeros(64 * 3, dtype=np.uint8)
        cdef char *base = <char *>cnp.PyArray_DATA(raw)
        cdef Py_ssize_t shift = (-(<Py_ssize_t>base)) % 64
        self._buf = raw
        self.turn = <int64_t *>(base + shift + 64)
        self.turn[0] = 0

    def play(self, int side, long long rounds, long long patience=200_000_000):
        """Side 0 moves the counter from even to odd, side 1 from odd to even, `rounds` times each."""
        if side not in (0, 1):
            raise ValueError(f"side must be 0 or 1, got {side}")
        cdef long long done = 0, spins
        cdef int64_t v
        with nogil:
            while done < rounds:
                spins = 0
                v = w2v_probe_load(self.turn)
                while (v & 1) != side:
                    spins += 1
                    if spins > patience:
                        break
                    w2v_probe_pause()
                    v = w2v_probe_load(self.turn)
                if (v & 1) != side:
                    break
                w2v_probe_store(self.turn, v + 1)
                done += 1
        return done


def pingpong_ns(rounds=200_000, repeats=3):
    """Median nanoseconds for one round trip of a cache line between two threads (over `repeats` tries).

    Returns None when the two threads never ran at the same time (one core, or a busy machine)."""
    import statistics
    import threading
    import time

    results = []
    for _ in range(repeats):
        probe = PingPong()
        done = [0, 0]

        def run(side):
            done[side] = probe.play(side, rounds)

        other = threading.Thread(target=run, args=(1,))
        t0 = time.perf_counter()
        other.start()
        run(0)
        other.join()
        elapsed = time.perf_counter() - t0
        if min(done) == rounds:
            results.append(elapsed / rounds * 1e9)
    return statistics.median(results) if results else None
