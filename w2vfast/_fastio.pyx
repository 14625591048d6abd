# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""C-speed scanning and formatting for the word2vec text and binary formats.

The readers here parse one in-memory chunk at a time and stop cleanly at a record that is not complete
yet, so the Python layer (w2vfast/io.py) can stream files of any size, compressed or not. They never read
outside [start, end) of the buffer they are given.
"""
from libc.stdint cimport uint64_t, int64_t
from libc.stdlib cimport strtof, malloc, realloc, free
from libc.string cimport memchr, memcpy
from libc.stdio cimport snprintf
from libc.math cimport isnan, isinf, floor, log10, fabs, pow
from cpython.bytes cimport PyBytes_FromStringAndSize, PyBytes_AS_STRING, PyBytes_GET_SIZE
from cpython.unicode cimport PyUnicode_DecodeUTF8, PyUnicode_Decode

# A word longer than this is taken as a sign of a damaged or foreign file rather than read on (word2vec.c
# itself truncates words at 50 bytes; this only bounds the memory a broken file can make us use).
MAX_WORD_BYTES = 1 << 20
cdef Py_ssize_t _MAX_WORD = MAX_WORD_BYTES
# A value in a text file longer than this is not a number either: the longest a float32 prints is 47 bytes
# ("%f" of -3.4e38). The bound lets the reader drop what it buffers of an overlong line (w2vfast/io.py).
cdef enum:
    _MAX_VALUE = 128
MAX_VALUE_BYTES = _MAX_VALUE

cdef double[23] _POW10 = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13,
                          1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22]


cdef inline bint _all_finite(const float *v, Py_ssize_t n) noexcept nogil:
    # an all-ones exponent marks Inf and NaN; the branch-free loop vectorises
    cdef const unsigned int *bits = <const unsigned int *>v
    cdef unsigned int bad = 0
    cdef Py_ssize_t i
    for i in range(n):
        bad |= <unsigned int>((bits[i] & 0x7f800000u) == 0x7f800000u)
    return bad == 0


cdef inline bint _is_space(unsigned char c) noexcept nogil:
    # ASCII whitespace as the project's token policy defines it: space, \t, \n, \v, \f, \r
    return c == 32 or (9 <= c <= 13)


cdef inline bint _fast_float(const unsigned char *s, Py_ssize_t n, float *out) noexcept nogil:
    """Parse a plain decimal like -0.0123 or 1.5e-3 exactly; return False to ask for the slow path.

    The decimal m * 10^e is computed in double with one correctly rounded operation (m < 2^53 and
    |e| <= 22 keep both operands exact). Rounding that double to float gives the correctly rounded float
    unless the double sits exactly on a midpoint between two floats (then the first rounding may have
    created the tie), so such values, and the subnormal/overflow ranges, go to strtof instead.
    """
    cdef Py_ssize_t i = 0
    cdef bint neg = False
    cdef uint64_t m = 0
    cdef int nsig = 0, ndigits = 0, frac = 0, exp = 0, e10
    cdef bint exp_neg = False
    cdef unsigned char c
    cdef double d
    cdef uint64_t bits
    if n <= 0:
        return False
    c = s[0]
    if c == 45:  # '-'
        neg = True
        i = 1
    elif c == 43:  # '+'
        i = 1
    while i < n and 48 <= s[i] <= 57:
        c = s[i] - 48
        ndigits += 1
        if m != 0 or c != 0:
            if nsig == 19:
                return False
            m = m * 10 + c
            nsig += 1
        i += 1
    if i < n and s[i] == 46:  # '.'
        i += 1
        while i < n and 48 <= s[i] <= 57:
            c = s[i] - 48
            ndigits += 1
            frac += 1
            if m != 0 or c != 0:
                if nsig == 19:
                    return False
                m = m * 10 + c
                nsig += 1
            i += 1
    if ndigits == 0:
        return False
    if i < n and (s[i] == 101 or s[i] == 69):  # 'e' / 'E'
        i += 1
        if i < n and (s[i] == 45 or s[i] == 43):
            exp_neg = s[i] == 45
            i += 1
        if i >= n:
            return False
        while i < n and 48 <= s[i] <= 57:
            if exp > 10000:
                return False
            exp = exp * 10 + (s[i] - 48)
            i += 1
        if exp_neg:
            exp = -exp
    if i != n:
        return False
    if m == 0:
        out[0] = -0.0 if neg else 0.0
        return True
    if m > (<uint64_t>1 << 53):
        return False
    e10 = exp - frac
    if e10 < -22 or e10 > 22:
        return False
    if e10 >= 0:
        d = <double>m * _POW10[e10]
    else:
        d = <double>m / _POW10[-e10]
    if d < 1.1754943508222875e-38 or d > 3.4e38:
        return False
    memcpy(&bits, &d, 8)
    if (bits & ((<uint64_t>1 << 29) - 1)) == (<uint64_t>1 << 28):
        return False
    out[0] = <float>(-d if neg else d)
    return True


cdef bint _parse_float(const unsigned char *s, Py_ssize_t n, float *out) noexcept nogil:
    """Parse exactly the n bytes at s as one float; False when they are not a number, and for anything longer
    than _MAX_VALUE bytes."""
    cdef char tmp[_MAX_VALUE + 1]
    cdef char *endp
    cdef float v
    if n <= 0 or n > _MAX_VALUE:
        return False
    if _fast_float(s, n, out):
        return True
    # strtof needs a NUL-terminated copy: the token may end at the edge of the valid buffer
    memcpy(tmp, s, n)
    tmp[n] = 0
    v = strtof(tmp, &endp)
    cdef bint ok = (endp == tmp + n) and not _is_space(<unsigned char>tmp[0])
    if ok:
        out[0] = v
    return ok


def parse_float_token(bytes token):
    """Parse one token the way the text reader does (for tests); ValueError when it is not a number."""
    cdef float v
    if not _parse_float(<const unsigned char *>PyBytes_AS_STRING(token), PyBytes_GET_SIZE(token), &v):
        raise ValueError(f"not a number: {token!r}")
    return v


def strtof_token(bytes token):
    """The C library's strtof on the whole token (reference for the fast path in tests)."""
    cdef char *endp
    cdef const char *s = PyBytes_AS_STRING(token)
    cdef float v = strtof(s, &endp)
    if endp != s + PyBytes_GET_SIZE(token):
        raise ValueError(f"not a number: {token!r}")
    return v


cdef str _WORD_SPACE = " \t\n\r\x0b\x0c"


cdef object _decode(const unsigned char *p, Py_ssize_t n, bint utf8, str encoding, bytes errors_b,
                    bint is_line, Py_ssize_t number, int64_t offset):
    """The word at p[:n] as str. Refuses what the writer cannot store: an empty word (unicode_errors=
    "ignore" can make one) and one holding ASCII whitespace (a binary record's word is only delimited by
    its space, so tabs and newlines can get in). The byte test covers UTF-8, where whitespace bytes only
    ever decode to whitespace; other encodings are tested after decoding."""
    # where the word is (line number, or record number and byte offset) is formatted only on error
    cdef Py_ssize_t i
    cdef str word
    for i in range(n):
        if _is_space(p[i]):
            raise ValueError(
                f"{_where(is_line, number, offset)}: the word {PyBytes_FromStringAndSize(<const char *>p, n)[:80]!r} "
                f"holds whitespace (byte 0x{p[i]:02x}), which a word2vec word cannot hold"
            )
    try:
        if utf8:
            word = PyUnicode_DecodeUTF8(<const char *>p, n, <const char *>errors_b)
        else:
            enc_b = encoding.encode("ascii")
            word = PyUnicode_Decode(<const char *>p, n, <const char *>enc_b, <const char *>errors_b)
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"{_where(is_line, number, offset)}: the word {PyBytes_FromStringAndSize(<const char *>p, n)!r} is "
            f"not valid {encoding} ({exc.reason} at byte {exc.start} of the word); pass unicode_errors='replace', "
            f"'ignore' or 'surrogateescape' to load it anyway"
        ) from None
    if not word:
        raise ValueError(
            f"{_where(is_line, number, offset)}: the word {PyBytes_FromStringAndSize(<const char *>p, n)[:80]!r} "
            f"is empty{'' if n == 0 else ' once decoded'}; a word2vec word cannot be empty"
        )
    if not utf8:
        for ch in _WORD_SPACE:
            if ch in word:
                raise ValueError(
                    f"{_where(is_line, number, offset)}: the word {word[:80]!r} holds whitespace ({ch!r}) once "
                    f"decoded from {encoding}, which a word2vec word cannot hold"
                )
    return word


cdef str _where(bint is_line, Py_ssize_t number, int64_t offset):
    return f"line {number}" if is_line else f"record {number} (byte offset {offset})"


def parse_binary(const unsigned char[::1] buf, Py_ssize_t start, Py_ssize_t end, float[:, ::1] out,
                 Py_ssize_t row, list words, dict index, list dups, list nonfinite, str encoding, str errors,
                 bint final, int64_t file_offset):
    """Parse binary records from buf[start:end] into out[row:], appending the decoded words.

    Each record is: optional newlines (word2vec.c ends every vector with one), the word's bytes, one
    space, then out.shape[1] little-endian float32. Stops at the first record that is not complete
    (unless `final`, when an incomplete record is an error) or when out is full.
    index maps each word to the row of its first occurrence; rows of later repeats go to `dups`, rows
    holding NaN or Inf to `nonfinite`.
    Returns (position after the last complete record, new row count).
    `file_offset` is the file position of buf[0], for error messages.
    """
    cdef Py_ssize_t nrows = out.shape[0]
    cdef Py_ssize_t nbytes = out.shape[1] * 4
    cdef Py_ssize_t pos = start, p, sp
    cdef const unsigned char *base
    cdef const unsigned char *hit
    cdef bint utf8 = encoding.lower().replace("-", "").replace("_", "") in ("utf8", "u8")
    cdef bytes errors_b = errors.encode("ascii")
    cdef object row_obj
    if end <= start or row >= nrows:
        return start, row
    base = &buf[0]
    while row < nrows:
        p = pos
        while p < end and (base[p] == 10 or base[p] == 13):
            p += 1
        if p >= end:
            pos = p
            break
        hit = <const unsigned char *>memchr(base + p, 32, end - p)
        if hit == NULL or hit - (base + p) > _MAX_WORD:
            if hit == NULL and end - p <= _MAX_WORD and not final:
                break
            if hit == NULL and final and end - p <= _MAX_WORD:
                raise ValueError(
                    f"truncated binary word2vec data: record {row + 1} (byte offset {file_offset + p}) "
                    f"ends before the space that follows its word"
                )
            raise ValueError(
                f"record {row + 1} (byte offset {file_offset + p}): no space within {_MAX_WORD} bytes; "
                f"this is not binary word2vec data or the header's vector size is wrong"
            )
        sp = hit - base
        if end - (sp + 1) < nbytes:
            if final:
                raise ValueError(
                    f"truncated binary word2vec data: record {row + 1} (byte offset {file_offset + p}) "
                    f"needs {nbytes} bytes of vector after its word but only {end - sp - 1} remain"
                )
            break
        word = _decode(base + p, sp - p, utf8, encoding, errors_b, False, row + 1, file_offset + p)
        memcpy(&out[row, 0], base + sp + 1, nbytes)
        if not _all_finite(&out[row, 0], out.shape[1]):
            nonfinite.append(row)
        words.append(word)
        row_obj = row
        if index.setdefault(word, row_obj) is not row_obj:
            dups.append(row)
        row += 1
        pos = sp + 1 + nbytes
    return pos, row


def parse_text(const unsigned char[::1] buf, Py_ssize_t start, Py_ssize_t end, float[:, ::1] out,
               Py_ssize_t row, list words, dict index, list dups, list nonfinite, str encoding, str errors,
               bint final, Py_ssize_t line_no):
    """Parse text lines `word v1 ... vD` from buf[start:end] into out[row:].

    Fields are separated by runs of ASCII whitespace other than newline; blank lines are skipped. A line
    is only parsed once its newline is in the buffer (or `final` says the buffer holds the rest of the
    file). Returns (position after the last parsed line, new row count, new line number).
    `line_no` is the number of lines before buf[start] (the header included). `index`, `dups` and
    `nonfinite` as in parse_binary.
    """
    cdef Py_ssize_t nrows = out.shape[0]
    cdef Py_ssize_t dim = out.shape[1]
    cdef Py_ssize_t pos = start, p, line_end, next_pos, wstart, tstart, k
    cdef const unsigned char *base
    cdef const unsigned char *nl
    cdef float *dst
    cdef bint utf8 = encoding.lower().replace("-", "").replace("_", "") in ("utf8", "u8")
    cdef bytes errors_b = errors.encode("ascii")
    cdef object row_obj
    if end <= start or row >= nrows:
        return start, row, line_no
    base = &buf[0]
    while row < nrows and pos < end:
        nl = <const unsigned char *>memchr(base + pos, 10, end - pos)
        if nl == NULL:
            if not final:
                break
            line_end = end
            next_pos = end
        else:
            line_end = nl - base
            next_pos = line_end + 1
        line_no += 1
        p = pos
        while p < line_end and _is_space(base[p]):
            p += 1
        if p == line_end:
            pos = next_pos
            continue
        wstart = p
        while p < line_end and not _is_space(base[p]):
            p += 1
        if p - wstart > _MAX_WORD:
            raise ValueError(f"line {line_no}: the word is longer than {_MAX_WORD} bytes")
        word = _decode(base + wstart, p - wstart, utf8, encoding, errors_b, True, line_no, 0)
        dst = &out[row, 0]
        k = 0
        while True:
            while p < line_end and _is_space(base[p]):
                p += 1
            if p >= line_end:
                break
            tstart = p
            while p < line_end and not _is_space(base[p]):
                p += 1
            if k == dim:
                raise ValueError(
                    f"line {line_no} (word {word!r}) has more than the {dim} values the header declares"
                )
            if not _parse_float(base + tstart, p - tstart, dst + k):
                raise ValueError(
                    f"line {line_no} (word {word!r}): value {k + 1} "
                    f"{PyBytes_FromStringAndSize(<const char *>base + tstart, min(p - tstart, 40))!r} "
                    + (f"is longer than {_MAX_VALUE} bytes, not a number" if p - tstart > _MAX_VALUE
                       else "is not a number")
                )
            k += 1
        if k != dim:
            raise ValueError(f"line {line_no} (word {word!r}) has {k} values, expected {dim}")
        if not _all_finite(dst, dim):
            nonfinite.append(row)
        words.append(word)
        row_obj = row
        if index.setdefault(word, row_obj) is not row_obj:
            dups.append(row)
        row += 1
        pos = next_pos
    return pos, row, line_no


def pack_fields(unsigned char[::1] buf, Py_ssize_t lo, Py_ssize_t end):
    """Rewrite buf[lo:end], the unfinished last line of the text reader's window, in place with its
    leading whitespace dropped and every other run of whitespace cut to one space, which leaves its fields
    as they were. Returns (new end, length of the first field, length of the longest other field, number
    of fields). No newline may be in the range."""
    cdef Py_ssize_t i = lo, o = lo, t, first = 0, longest = 0, fields = 0
    cdef bint gap = False
    if lo < 0 or end > buf.shape[0] or lo > end:
        raise ValueError("invalid range")
    while i < end:
        if _is_space(buf[i]):
            gap = fields > 0
            i += 1
            continue
        if gap:
            buf[o] = 32
            o += 1
            gap = False
        t = i
        while i < end and not _is_space(buf[i]):
            buf[o] = buf[i]
            o += 1
            i += 1
        if fields == 0:
            first = i - t
        elif i - t > longest:
            longest = i - t
        fields += 1
    if gap:
        buf[o] = 32     # the last field is complete: keep it apart from what the next read brings
        o += 1
    return o, first, longest, fields


def count_fields(const unsigned char[::1] line):
    """Number of whitespace-separated fields in one line (used to find the size of a headerless file)."""
    cdef Py_ssize_t i = 0, n = line.shape[0], k = 0
    while i < n:
        while i < n and _is_space(line[i]):
            i += 1
        if i < n:
            k += 1
        while i < n and not _is_space(line[i]):
            i += 1
    return k


cdef int _digits_g(double d, int p, bint neg, char *dst) noexcept nogil:
    """d > 0 rounded to p significant digits, trailing zeros dropped, in %g's layout (fixed notation
    for exponents -4 .. p-1, else d.ddde+XX). The rounding may be off by one unit in the last digit for
    extreme exponents; the caller checks that the text reads back to the same float."""
    cdef int e = <int>floor(log10(d))
    cdef int k, nd, i, n = 0, x
    cdef double scaled
    cdef uint64_t m, top
    cdef char digits[24]
    # exact integer power-of-ten comparisons would need big numbers; nudge e with the double powers
    if d < _pow10(e):
        e -= 1
    elif d >= _pow10(e + 1):
        e += 1
    k = p - 1 - e
    scaled = d * _pow10(k) if k <= 22 else (d * _pow10(22)) * _pow10(k - 22)
    m = <uint64_t>(scaled + 0.5)
    top = <uint64_t>_pow10(p)
    if m >= top:
        m //= 10
        e += 1
    nd = p
    while nd > 1 and m % 10 == 0:
        m //= 10
        nd -= 1
    for i in range(nd - 1, -1, -1):
        digits[i] = <char>(48 + m % 10)
        m //= 10
    if neg:
        dst[n] = 45
        n += 1
    if -4 <= e < p:
        if e >= 0:
            for i in range(e + 1):
                dst[n] = digits[i] if i < nd else 48
                n += 1
            if nd > e + 1:
                dst[n] = 46
                n += 1
                for i in range(e + 1, nd):
                    dst[n] = digits[i]
                    n += 1
        else:
            dst[n] = 48
            dst[n + 1] = 46
            n += 2
            for i in range(-e - 1):
                dst[n] = 48
                n += 1
            for i in range(nd):
                dst[n] = digits[i]
                n += 1
    else:
        dst[n] = digits[0]
        n += 1
        if nd > 1:
            dst[n] = 46
            n += 1
            for i in range(1, nd):
                dst[n] = digits[i]
                n += 1
        dst[n] = 101
        dst[n + 1] = 45 if e < 0 else 43
        n += 2
        x = -e if e < 0 else e
        if x >= 100:
            dst[n] = <char>(48 + x // 100)
            n += 1
        dst[n] = <char>(48 + (x // 10) % 10)
        dst[n + 1] = <char>(48 + x % 10)
        n += 2
    return n


cdef inline double _pow10(int k) noexcept nogil:
    if 0 <= k <= 22:
        return _POW10[k]
    if -22 <= k < 0:
        return 1.0 / _POW10[-k]
    return pow(10.0, k)


cdef int _format_float(float v, char *dst) noexcept nogil:
    """Write the shortest of v's 6- to 9-significant-digit %g forms that reads back as exactly v."""
    cdef int p, n = 0
    cdef float back
    cdef unsigned int a, b
    cdef bint neg
    if isnan(v):
        memcpy(dst, b"nan", 3)
        return 3
    if isinf(v):
        if v < 0:
            memcpy(dst, b"-inf", 4)
            return 4
        memcpy(dst, b"inf", 3)
        return 3
    memcpy(&b, &v, 4)
    neg = (b >> 31) != 0
    if v == 0:
        if neg:
            memcpy(dst, b"-0", 2)
            return 2
        dst[0] = 48
        return 1
    for p in range(6, 10):
        n = _digits_g(fabs(<double>v), p, neg, dst)
        if _parse_float(<const unsigned char *>dst, n, &back):
            memcpy(&a, &back, 4)
            if a == b:
                return n
    # 9 correctly rounded digits always identify a float
    return snprintf(dst, 32, "%.9g", <double>v)


def format_text(list words, const float[:, ::1] vecs, Py_ssize_t start, Py_ssize_t stop):
    """Lines `word v1 ... vD\\n` for rows start..stop of vecs; words[i] is the encoded word of row i."""
    cdef Py_ssize_t dim = vecs.shape[1], i, j, cap, used = 0, wlen
    cdef char *out
    cdef char *grown
    cdef bytes w
    cdef const char *wp
    cap = (stop - start) * (dim * 24 + 64) + 64
    out = <char *>malloc(cap)
    if out == NULL:
        raise MemoryError()
    try:
        for i in range(start, stop):
            w = words[i]
            wlen = PyBytes_GET_SIZE(w)
            wp = PyBytes_AS_STRING(w)
            if used + wlen + dim * 24 + 2 > cap:
                cap = 2 * cap + wlen + dim * 24 + 2
                grown = <char *>realloc(out, cap)
                if grown == NULL:
                    raise MemoryError()
                out = grown
            memcpy(out + used, wp, wlen)
            used += wlen
            with nogil:
                for j in range(dim):
                    out[used] = 32
                    used += 1
                    used += _format_float(vecs[i, j], out + used)
            out[used] = 10
            used += 1
        return PyBytes_FromStringAndSize(out, used)
    finally:
        free(out)


# ------------------------------------------------------------------------------------ analogy top-k scan

cdef void _insert(float s, Py_ssize_t g, Py_ssize_t k, float *bv, Py_ssize_t *bi) noexcept nogil:
    # keep bv[0..k) sorted high to low; an equal score goes after the ones already there
    cdef Py_ssize_t t = k - 1
    while t > 0 and bv[t - 1] < s:
        bv[t] = bv[t - 1]
        bi[t] = bi[t - 1]
        t -= 1
    bv[t] = s
    bi[t] = g


def analogy_scan(const float[:, ::1] cos, const Py_ssize_t[::1] ua, const Py_ssize_t[::1] ub,
                 const Py_ssize_t[::1] uc, const Py_ssize_t[::1] qa, const Py_ssize_t[::1] qb,
                 const Py_ssize_t[::1] qc, Py_ssize_t v0, bint multiplicative,
                 Py_ssize_t[:, ::1] best_idx, float[:, ::1] best_val):
    """Fold one block of the vocabulary into each analogy question's running top-k.

    cos[u, j] is the cosine of distinct question word u with vocabulary row v0 + j (shifted to [0, 1]
    for the multiplicative form). Question i scores row g as cos[ub]+cos[uc]-cos[ua] (3CosAdd) or
    cos[ub]*cos[uc]/(cos[ua]+1e-6) (3CosMul); rows qa[i], qb[i], qc[i] (the question words) are skipped.
    best_idx/best_val (questions x k, sorted high to low, -inf when empty) are updated in place.
    """
    cdef Py_ssize_t q = ua.shape[0], width = cos.shape[1], k = best_val.shape[1]
    cdef Py_ssize_t i, j, g
    cdef const float *ca
    cdef const float *cb
    cdef const float *cc
    cdef float *bv
    cdef Py_ssize_t *bi
    cdef float s, thr
    if k == 0 or width == 0:
        return
    with nogil:
        for i in range(q):
            ca = &cos[ua[i], 0]
            cb = &cos[ub[i], 0]
            cc = &cos[uc[i], 0]
            bv = &best_val[i, 0]
            bi = &best_idx[i, 0]
            thr = bv[k - 1]
            if multiplicative:
                for j in range(width):
                    s = cb[j] * cc[j] / (ca[j] + <float>0.000001)
                    if s > thr:
                        g = v0 + j
                        if g != qa[i] and g != qb[i] and g != qc[i]:
                            _insert(s, g, k, bv, bi)
                            thr = bv[k - 1]
            else:
                for j in range(width):
                    s = cb[j] + cc[j] - ca[j]
                    if s > thr:
                        g = v0 + j
                        if g != qa[i] and g != qb[i] and g != qc[i]:
                            _insert(s, g, k, bv, bi)
                            thr = bv[k - 1]
