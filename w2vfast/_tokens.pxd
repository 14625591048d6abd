# The C declarations of _tokens.h (tokenizer, byte-key table, counters, range reader) for every module that
# uses them: _corpus.pyx, _phrases.pyx and _phrases.pxd cimport from here.
from libc.stdint cimport int64_t, uint32_t, uint64_t

cdef extern from "_tokens.h" nogil:
    ctypedef struct tok_entry:
        int64_t val
        uint32_t len
    ctypedef struct tok_table:
        int64_t n
        tok_entry *entries
        uint32_t *slots
    ctypedef struct tok_lines:
        int64_t words
        int64_t line
        int64_t head
        int64_t full
        int seen_newline
    ctypedef struct tok_counter:
        tok_table table
        tok_lines lines
        int64_t max_keys
        int64_t min_reduce
        int64_t max_sentence
    ctypedef struct tok_reader:
        int err
    int tok_is_ws(unsigned char c)
    void tok_prefetch "TOK_PREFETCH"(const void *p)
    size_t tok_token_end(const unsigned char *p, size_t i, size_t n)
    size_t tok_token_end_ascii(const unsigned char *p, size_t i, size_t n, int *ascii)
    uint64_t tok_hash(const unsigned char *p, size_t n)
    void tok_table_free(tok_table *t)
    int tok_table_init(tok_table *t, int64_t expected_keys)
    const unsigned char *tok_key(const tok_table *t, const tok_entry *e)
    int64_t tok_table_find(const tok_table *t, const unsigned char *p, size_t n, uint64_t h)
    int64_t tok_table_insert(tok_table *t, const unsigned char *p, size_t n, uint64_t h)
    int tok_table_merge(tok_table *dst, const tok_table *src)
    int tok_counter_buffer(tok_counter *c, const unsigned char *buf, size_t n, size_t readable)
    void tok_reader_close(tok_reader *r)
    int tok_reader_open(tok_reader *r, const char *path, int64_t start, int64_t end, size_t bufsize)
    int tok_reader_chunk(tok_reader *r, const unsigned char **p, size_t *n)
    size_t tok_reader_readable(const tok_reader *r, const unsigned char *p)
