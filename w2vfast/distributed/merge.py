"""Row deltas and the rules that combine several replicas' deltas into the global model.

A replica reports, per matrix, what it changed in a round: the indices of the changed rows and their
deltas (sparse), or the whole delta matrix when that is smaller (most rows changed). The driver sends back
the new values of every row some replica changed, the same way.

Merge rules for one row changed by c of the n replicas of a round (deltas d_1..d_c):

- "adaptive" (default): add w * (d_1 + ... + d_c), with w between 1 (the sum) and 1/c (the mean) chosen per
  row from how often each replica updated that row in the round. Model the row as moving a fraction
  s = 1 - exp(-x) of the way to its optimum per round, x = k * alpha * (update terms of the row per replica),
  k from ADAPTIVE_RATE: each replica's delta is then s * (optimum - start), while one process doing the c
  replicas' updates one after another would have moved 1 - (1 - s)^c of the way. So
  w = (1 - exp(-c x)) / (c (1 - exp(-x))): rarely updated rows (x near 0) add their deltas like "sum", rows
  every replica settled (x large) take their mean. Updates per row come from the vocabulary (touches.py),
  so replicas send nothing extra.
- "sqrt": add (d_1 + ... + d_c) / sqrt(c), between "sum" and "touched".
- "touched": add the mean of d_1..d_c. A row only one replica saw gets that replica's whole step;
  a row all replicas moved gets their average, as in model averaging.
- "sum": add d_1 + ... + d_c, as if the replicas' steps had been applied one after the other (what threads
  sharing one model do); overshoots on rows that every replica moves to their optimum (diverged with 4).
- "average": add (d_1 + ... + d_c) / n, plain model averaging (what averaging whole models once per
  iteration amounts to): a row one replica touched moves by 1/n of its step.
"""
import numpy as np

MERGE_RULES = ("adaptive", "touched", "sum", "average", "sqrt")
# "adaptive": how far one update term (touches.py) moves a row towards its optimum, per unit of learning
# rate, by kind of term (an input row's terms with syn1 nodes and with syn1neg rows count apart). Starting
# points: least-squares fits of the rule to the deltas of replicas that trained 2 and 4 chunks from one
# model, against training the same chunks one after another (GCIDE, skip-gram, two learning rates: 0.015
# for syn0/syn1 and syn0/syn1neg, 0.03 for syn1, 0.13 for syn1neg). The benchmark's quality with 4 replicas
# then moved the output matrices towards the sum (syn1 x 0.3, syn1neg x 0.1) and, with negative sampling,
# the input rows towards the mean (x 3). See the README's "Scale out" section.
ADAPTIVE_RATE = {"syn0/syn1": 0.015, "syn0/syn1neg": 0.045, "syn1": 0.009, "syn1neg": 0.013}
INDEX_BYTES = 4


class Rows:
    """Rows of one matrix: `index` (int32) and `values` (float32, len(index) x dim), or the whole matrix
    (index None). Used both for a replica's deltas and for the driver's new values."""

    __slots__ = ("index", "values")

    def __init__(self, index, values):
        self.index, self.values = index, values

    @classmethod
    def of(cls, matrix, changed):
        """The rows `changed` of matrix, sparse unless sending the whole matrix takes fewer bytes."""
        n, dim = matrix.shape
        if len(changed) * (dim * 4 + INDEX_BYTES) >= n * dim * 4:
            return cls(None, matrix)
        return cls(changed.astype(np.int32), matrix[changed])

    @property
    def nbytes(self):
        return self.values.nbytes + (0 if self.index is None else self.index.nbytes)

    def __len__(self):
        return len(self.values)

    def changed(self):
        """Indices of the rows this holds (for a whole matrix: its nonzero rows, as a delta)."""
        if self.index is not None:
            return self.index
        return np.flatnonzero(np.any(self.values != 0, axis=1)).astype(np.int32)

    def apply_to(self, matrix):
        """Set the rows this holds in matrix to its values (new values, not deltas)."""
        if self.index is None:
            matrix[...] = self.values
        else:
            matrix[self.index] = self.values


def changed_rows(delta):
    """Indices of the nonzero rows of a delta matrix."""
    return np.flatnonzero(np.any(delta != 0, axis=1))


class Merger:
    """Accumulates the deltas of one round for one matrix and applies them to the global matrix."""

    def __init__(self, matrix, rule, rates=None):
        """rates ("adaptive" only): per row, x per unit of exposure (adaptive_rates())."""
        if rule not in MERGE_RULES:
            raise ValueError(f"merge must be one of {', '.join(MERGE_RULES)}, got {rule!r}")
        if rule == "adaptive" and (rates is None or len(rates) != len(matrix)):
            raise ValueError("merge='adaptive' needs the update rate of every row")
        self.matrix, self.rule, self.rates = matrix, rule, rates
        self.acc = np.zeros_like(matrix)                       # kept between rounds: zeroed where used
        self.count = np.zeros(len(matrix), dtype=np.int32)
        self.replicas = 0

    def add(self, rows):
        self.replicas += 1
        if rows.index is None:
            self.acc += rows.values
            self.count[rows.changed()] += 1
        else:                                                   # indices are unique within one replica
            self.acc[rows.index] += rows.values
            self.count[rows.index] += 1

    def apply(self, exposure=0.0):
        """Add the merged deltas to the matrix; returns the changed row indices and resets for a new round.

        exposure ("adaptive" only): learning rate * corpus words per replica this round, so that
        x = exposure * rates[row]."""
        changed = np.flatnonzero(self.count)
        if self.rule == "adaptive":
            scale = adaptive_weights(exposure * self.rates[changed], self.count[changed])[:, None]
        elif self.rule == "touched":
            scale = (1.0 / self.count[changed]).astype(np.float32)[:, None]
        elif self.rule == "sqrt":
            scale = (1.0 / np.sqrt(self.count[changed])).astype(np.float32)[:, None]
        elif self.rule == "average":
            scale = np.float32(1.0 / max(self.replicas, 1))
        else:
            scale = np.float32(1.0)
        self.matrix[changed] += self.acc[changed] * scale
        self.acc[changed] = 0
        self.count[changed] = 0
        self.replicas = 0
        return changed


def adaptive_rates(term_rates):
    """{matrix: rates} for Merger: the sum over a matrix's kinds of terms of ADAPTIVE_RATE * rate."""
    out = {}
    for kind, r in term_rates.items():
        name = kind.split("/")[0]
        out[name] = out.get(name, 0.0) + ADAPTIVE_RATE[kind] * r
    return out


def adaptive_weights(x, c):
    """(1 - exp(-c x)) / (c (1 - exp(-x))) as float32: 1 at x = 0 (sum), towards 1/c as x grows (mean)."""
    x = np.asarray(x, dtype=np.float64)
    c = np.asarray(c, dtype=np.float64)
    num = -np.expm1(-c * x)
    den = -c * np.expm1(-x)
    return np.divide(num, den, out=np.ones_like(x), where=den > 0).astype(np.float32)
