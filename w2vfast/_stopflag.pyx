"""StopFlag: asks threads running C loops (training over file ranges, phrase counting) to stop early.

Set from any thread (a Ctrl-C handler, a thread that failed); the loops check it between batches or read
buffers, without the GIL, through w2v_flag_is_set(&flag.flag)."""


cdef class StopFlag:
    """Asks the threads that watch it to stop after their current batch or read buffer."""

    def set(self):
        w2v_flag_store(&self.flag, 1)

    def clear(self):
        w2v_flag_store(&self.flag, 0)

    @property
    def is_set(self):
        return w2v_flag_is_set(&self.flag)
