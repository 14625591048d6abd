# The stop flag shared by the training loops (_corpus) and the phrase counters (_phrases).
from libc.stdint cimport int64_t

cdef extern from "_stopflag.h":
    bint w2v_flag_is_set(const int64_t *flag) nogil
    void w2v_flag_store(int64_t *flag, int64_t value) nogil


cdef class StopFlag:
    cdef int64_t flag
