"""A small structure-aware byte mutator for the fuzz targets (no coverage feedback of its own).

It drives the bounded fuzz run in the test suite, and the long runs of bench/fuzz.py when atheris is not
installed. Besides the usual byte edits it knows the few structures the targets read:

- numbers in ASCII (vector values, header counts and sizes, .npy shapes, JSON settings) are replaced by
  edge values (0, -1, huge, NaN, Inf, 2**31, 2**63, ...);
- compressed inputs (gzip, bz2, xz) are usually decompressed, mutated and compressed again, so the
  mutation reaches the content rather than only tripping the checksum;
- model containers (fuzz_targets.pack_members) are mutated member by member, and members can be dropped
  or duplicated.
"""
import bz2
import gzip
import lzma
import random
import re

from fuzz_targets import pack_members, unpack_members

_INTERESTING_BYTES = b"\x00\x01\x7f\x80\xff \t\n\r\x0b\x0c-+.e9"
_INTERESTING_NUMBERS = [b"0", b"-0", b"1", b"-1", b"2", b"3", b"255", b"65535", b"2147483647", b"2147483648",
                        b"4294967296", b"9223372036854775807", b"18446744073709551616", b"99999999999999999999",
                        b"1e39", b"-1e39", b"1e-46", b"nan", b"-nan", b"inf", b"-inf", b"0x10", b"1.5", b"1e308",
                        b"16777217", b"-2147483649"]
_TOKENS = [b" ", b"\n", b"\t", b"\r\n", b"\x00", b"\xff", b"\xc3\xa9", b"\xed\xa0\x80", b"\xf0\x9f\x98\x80",
           b"\x80", b"nan", b"inf", b"e", b"\"", b"'", b"{", b"}", b"[", b"]", b",", b":", b"null", b"true",
           b"(", b")", b"<f4", b">f8", b"|u1", b"<i4", b"O", b"False", b"True"]
_NUMBER = re.compile(rb"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
_COMPRESSORS = {b"\x1f\x8b": (gzip.decompress, gzip.compress), b"BZh": (bz2.decompress, bz2.compress),
                b"\xfd7zXZ\x00": (lzma.decompress, lzma.compress)}


class Mutator:
    """mutate(data) -> new bytes; deterministic for a given seed."""

    def __init__(self, seed=0, max_len=1 << 16, seeds=()):
        self.rng = random.Random(seed)
        self.max_len = max_len
        self.seeds = list(seeds)     # other inputs to splice with

    def mutate(self, data):
        rng = self.rng
        members = unpack_members(data)
        if members is not None and rng.random() < 0.85:
            return pack_members(self._mutate_members(members))
        for magic, (decompress, compress) in _COMPRESSORS.items():
            if data.startswith(magic) and rng.random() < 0.8:
                try:
                    inner = decompress(data)
                except Exception:
                    break                       # already damaged: mutate the raw bytes
                out = compress(self._mutate_bytes(inner))
                return self._cut_or_flip(out) if rng.random() < 0.1 else out
        return self._mutate_bytes(data)

    def _mutate_members(self, members):
        rng = self.rng
        members = list(members)
        op = rng.random()
        if op < 0.08 and members:
            del members[rng.randrange(len(members))]
        elif op < 0.14 and members:
            members.insert(rng.randrange(len(members) + 1), rng.choice(members))
        elif op < 0.18 and members:
            i = rng.randrange(len(members))
            members[i] = (rng.choice(["model.json", "syn0.npy", "syn1.npy", "syn1neg.npy", "counts.npy",
                                      "codes.npy", "points.npy", "code_offsets.npy", "x"]), members[i][1])
        else:
            for _ in range(1 + (rng.random() < 0.3)):
                if members:
                    i = rng.randrange(len(members))
                    name, content = members[i]
                    members[i] = (name, self._mutate_bytes(content))
        return members

    def _cut_or_flip(self, data):
        rng = self.rng
        if not data:
            return data
        if rng.random() < 0.5:
            return data[: rng.randrange(len(data))]
        i = rng.randrange(len(data))
        return data[:i] + bytes([data[i] ^ (1 << rng.randrange(8))]) + data[i + 1:]

    def _mutate_bytes(self, data):
        rng = self.rng
        out = bytearray(data)
        for _ in range(1 + int(rng.expovariate(0.7))):
            self._one_edit(out)
        return bytes(out[: self.max_len])

    def _one_edit(self, out):
        rng = self.rng
        n = len(out)
        op = rng.randrange(11)
        if op == 0 and n:                                   # flip a bit
            i = rng.randrange(n)
            out[i] ^= 1 << rng.randrange(8)
        elif op == 1 and n:                                 # set an interesting byte
            out[rng.randrange(n)] = rng.choice(_INTERESTING_BYTES)
        elif op == 2:                                       # insert a token
            i = rng.randrange(n + 1)
            out[i:i] = rng.choice(_TOKENS) * (1 if rng.random() < 0.9 else rng.randrange(2, 300))
        elif op == 3 and n:                                 # delete a range
            i = rng.randrange(n)
            del out[i:i + 1 + int(rng.expovariate(0.1))]
        elif op == 4 and n:                                 # duplicate a range
            i = rng.randrange(n)
            j = min(n, i + 1 + int(rng.expovariate(0.05)))
            k = rng.randrange(n + 1)
            out[k:k] = out[i:j] * rng.choice((1, 1, 2, 8))
        elif op in (5, 6, 7):                               # replace a number with an edge value
            spans = [m.span() for m in _NUMBER.finditer(out)]
            if spans:
                i, j = rng.choice(spans)
                out[i:j] = rng.choice(_INTERESTING_NUMBERS)
        elif op == 8 and n:                                 # truncate
            del out[rng.randrange(n):]
        elif op == 9 and self.seeds:                        # splice with another input
            other = rng.choice(self.seeds)
            if other:
                i = rng.randrange(n + 1)
                a = rng.randrange(len(other))
                out[i:] = other[a:a + rng.randrange(1, 256)] + out[i:]
        elif op == 10 and n >= 4:                           # overwrite 4 bytes with a little-endian edge int
            i = rng.randrange(n - 3)
            out[i:i + 4] = rng.choice((0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x7F800000, 0x7FC00000)) \
                .to_bytes(4, "little")
