# cython: language_level=3
"""The readers' tokenizer: byte chunks in, sentences of str tokens out (LineSentence, PathLineSentences and
Text8Corpus feed it), and the token bytes -> str rule that every reader and the vocabulary scan share.

Tokens are split as _tokens.h says; a token becomes a str by decoding UTF-8 with errors="surrogateescape"
(see _corpus.pyx for the whole token policy).
"""
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from cpython.object cimport PyObject
from libc.string cimport memcpy

from w2vfast._tokens cimport tok_is_ws, tok_token_end, tok_token_end_ascii


cdef extern from "Python.h":
    object PyUnicode_DecodeUTF8(const char *s, Py_ssize_t size, const char *errors)
    void *PyUnicode_DATA(PyObject *o)
    object PyUnicode_New(Py_ssize_t size, unsigned int maxchar)



cdef object _decode_bytes(const unsigned char *p, Py_ssize_t n):
    """_decode_token for bytes not yet known to be ASCII."""
    cdef Py_ssize_t i
    cdef unsigned char high = 0
    for i in range(n):
        high |= p[i]
    return _decode_token(p, n, high < 128)


cdef inline object _decode_token(const unsigned char *p, Py_ssize_t n, bint ascii):
    """The str of token bytes: ASCII tokens (most) are copied straight into a new string, skipping the
    UTF-8 decoder's setup; anything else is decoded with surrogateescape. (One-byte tokens go through the
    decoder, which hands out Python's shared one-character strings.)"""
    if ascii and n > 1:
        s = PyUnicode_New(n, 127)
        memcpy(PyUnicode_DATA(<PyObject *>s), p, n)
        return s
    return PyUnicode_DecodeUTF8(<const char *>p, n, "surrogateescape")


cdef class SentenceSplitter:
    """Incremental tokenizer for the readers: feed it byte chunks, get back complete sentences.

    by_lines=True: a sentence is a line (ending at b"\\n"), cut every max_sentence_length tokens, and
    empty lines give nothing; after max_lines lines (None: no limit) it is done. by_lines=False: newlines
    are ordinary whitespace and sentences are consecutive runs of max_sentence_length tokens. Only the
    current sentence and a token cut by a chunk end are held between chunks.
    """
    cdef list current
    cdef bytearray pending
    cdef Py_ssize_t max_len
    cdef Py_ssize_t lines_left
    cdef bint by_lines
    cdef readonly bint done
    def __init__(self, int max_sentence_length=10000, max_lines=None, bint by_lines=True):
        if max_sentence_length < 1:
            raise ValueError(f"max_sentence_length must be >= 1, got {max_sentence_length}")
        self.max_len = max_sentence_length
        self.lines_left = -1 if max_lines is None else max_lines
        if max_lines is not None and max_lines < 0:
            raise ValueError(f"max_lines must be None or >= 0, got {max_lines}")
        self.by_lines = by_lines
        self.current = []
        self.pending = bytearray()
        self.done = self.lines_left == 0

    cdef inline int _token(self, list out, const unsigned char *p, Py_ssize_t n, bint ascii) except -1:
        self.current.append(_decode_token(p, n, ascii))
        if len(self.current) >= self.max_len:
            out.append(self.current)
            self.current = []
        return 0

    def feed(self, data):
        """Tokenize a chunk of bytes; returns the sentences it completed."""
        cdef list out = []
        if self.done:
            return out
        cdef bytes b = bytes(data) if not isinstance(data, bytes) else data
        cdef const unsigned char *p = <const unsigned char *>PyBytes_AS_STRING(b)
        cdef Py_ssize_t n = PyBytes_GET_SIZE(b), i = 0, s
        cdef unsigned char c
        cdef int ascii = 0
        if len(self.pending):
            i = <Py_ssize_t>tok_token_end(p, 0, n)
            self.pending += b[:i]
            if i == n:
                return out
            tok = bytes(self.pending)
            self.pending = bytearray()
            self._token(out, <const unsigned char *>PyBytes_AS_STRING(tok), len(tok), False)
        while i < n:
            c = p[i]
            if tok_is_ws(c):
                i += 1
                if c == 10 and self.by_lines:
                    if self.current:
                        out.append(self.current)
                        self.current = []
                    if self.lines_left > 0:
                        self.lines_left -= 1
                        if self.lines_left == 0:
                            self.done = True
                            return out
                continue
            s = i
            i = <Py_ssize_t>tok_token_end_ascii(p, i, n, &ascii)
            if i == n:
                # may continue in the next chunk
                self.pending = bytearray(b[s:])
                break
            self._token(out, p + s, i - s, ascii)
        return out

    def finish(self):
        """End of input: returns the last sentences (a final line without a newline included)."""
        cdef list out = []
        if self.done:
            return out
        if len(self.pending):
            tok = bytes(self.pending)
            self.pending = bytearray()
            self._token(out, <const unsigned char *>PyBytes_AS_STRING(tok), len(tok), False)
        if self.current:
            out.append(self.current)
            self.current = []
        self.done = True
        return out


def split_tokens(data):
    """The tokens of one bytes object, by the project's token policy (a convenience for tests and tools)."""
    splitter = SentenceSplitter(max_sentence_length=0x7FFFFFFF, by_lines=False)
    out = splitter.feed(data) + splitter.finish()
    return [tok for sent in out for tok in sent]
