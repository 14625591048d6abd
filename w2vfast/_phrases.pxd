# The C side of a frozen phrase set, shared with _corpus.pyx so that the corpus_file training reader can
# join phrases as it reads (phr_reader_chunk in _phrases.h). The joiner crosses the module boundary as an
# opaque pointer: new_joiner() makes one, phr_joiner_destroy() (from _phrases.h) frees it.

from libc.stdint cimport int64_t, uint32_t

from w2vfast._tokens cimport tok_entry, tok_table


cdef class KeySet:
    """A read-only set of str keys held as their UTF-8/surrogateescape bytes in a C table."""
    cdef tok_table t
    cdef int64_t size


cdef extern from "_phrases.h" nogil:
    ctypedef struct phr_filter:
        pass


cdef class PhraseTable:
    """A frozen phrase set for C: phrase bytes -> score, with the connector words and delimiter it needs."""
    cdef tok_table t
    cdef phr_filter filter       # Bloom filter of t's keys, asked first by the joiners
    cdef KeySet connectors
    cdef bytes delim
    cdef readonly double threshold

    cdef void *new_joiner(self) except NULL
    cdef int _init_joiner(self, void *joiner) except -1
