# The token bytes -> str rule, shared with the vocabulary scan in _corpus.pyx.

cdef object _decode_bytes(const unsigned char *p, Py_ssize_t n)
