"""word2vec in plain NumPy: the maths behind w2vfast's kernels, written to be read.

This module is slow on purpose. Each function does one step of word2vec training the obvious way, so that it
can be read next to the equations and used as the yardstick the fast kernels (``w2vfast._kernels``) are
tested against.

Notation
--------
V is the vocabulary size and d the vector dimension. Every word w has an input vector ``syn0[w]`` (the word
vectors you keep after training) and an output representation: a row ``syn1neg[w]`` for negative sampling, or,
for hierarchical softmax, the rows ``syn1[p]`` of the inner nodes p on the path from the root of a Huffman tree
to w's leaf.

The model
---------
word2vec predicts a word from a context. The input side turns the context into a hidden vector ``h``; the output
side scores every word v with the dot product ``u_v = h . out_v`` and turns the scores into probabilities.

* Skip-gram (sg=1): one context word c predicts the centre word w of its window. ``h = syn0[c]``.
  (This is word2vec.c's and gensim's arrangement: the *context* word's input vector is trained to predict the
  *centre* word. Over a whole sentence every pair inside a window is visited either way round.)
* CBOW (sg=0): all context words c_1..c_n of the window together predict the centre word.
  ``h = sum_i syn0[c_i]`` (``cbow_mean=0``) or the mean ``h = (1/n) sum_i syn0[c_i]`` (``cbow_mean=1``).

The full softmax ``p(w | h) = exp(u_w) / sum_v exp(u_v)`` costs O(V) per prediction, so word2vec replaces it
with one of two cheap stand-ins, both built from the logistic sigmoid ``sigma(x) = 1 / (1 + exp(-x))``:

* Negative sampling: make the true pair (h, w) look real and k random "negative" words look fake:
  ``loss = -log sigma(h . out_w) - sum_j log sigma(-h . out_{n_j})``.
  Negatives are drawn from the unigram distribution raised to the power 0.75.
* Hierarchical softmax: walk from the root of a Huffman tree over the vocabulary to w's leaf. At inner node p
  the branch taken is code bit c (0 or 1) and the model predicts it with a logistic regression on
  ``f = h . syn1[p]``, with label ``1 - c``:  ``loss = sum_p -log sigma((1 - 2 c_p) * f_p)``.

Both losses are sums of terms ``-log sigma(f)`` for "label 1" targets and ``-log sigma(-f)`` for "label 0"
targets. Their derivative is what the update uses: ``d/df [-log sigma(+/-f)] = -(label - sigma(f))``.

The update (word2vec.c's, which the kernels follow exactly)
-----------------------------------------------------------
For each target row ``out_t`` with label ``y_t``, in order::

    f    = h . out_t
    g    = (y_t - sigma(f)) * alpha          # alpha: the learning rate; g is minus the step along the gradient
    work = work + g * out_t                  # the gradient for h, collected before out_t changes
    out_t = out_t + g * h

and after all targets the input side moves by ``work``: ``syn0[c] += work`` for skip-gram; for CBOW every
context word's input row gets ``work`` (cbow_mean=1), or ``work / n`` (cbow_mean=0, gensim's convention for the
sum: the error of a sum is spread over its n terms; word2vec.c itself adds ``work`` unscaled in both cases).
Because h stays fixed during the loop and the rows are distinct, this is one step of plain gradient descent
on the example's loss. (If a negative is drawn twice, its second visit sees the first visit's update.)

With hierarchical softmax and negative sampling both on, the HS targets come first, then the NS targets, all
accumulating into the same ``work``.

Conventions shared with the kernels
-----------------------------------
* Sigmoid: the kernels read sigma from a table of EXP_TABLE_SIZE = 1000 entries over [-MAX_EXP, MAX_EXP) with
  MAX_EXP = 6, entry i holding sigma at the midpoint of bucket i (so the table is off by at most ~0.0015).
  Outside the range the sigmoid is saturated: sigma(f) = 1 for f >= 6 and 0 for f <= -6, and the update still
  happens with the saturated value (for both negative sampling and hierarchical softmax). This module uses
  the exact sigmoid with the same saturation (:func:`clamped_sigmoid`); the difference from the kernels is the
  table's error only.
* Loss: ``log sigma(f)`` is read from a second table, with ``log sigma(f) = f`` for f <= -6 and 0 for f >= 6
  (:func:`clamped_log_sigmoid`).
* A negative draw equal to the positive target is dropped (not redrawn), as in word2vec.c. Skip-gram draws a
  fresh set of negatives for every (context, centre) pair; with the opt-in ``shared_negatives`` one set is
  drawn per centre word and reused for every context word of its window (the updates still happen pair by
  pair, in the usual order).
* Windows: for the centre word at position i with window size W, the context is positions i-b' .. i+b'
  (b' = W - b, b drawn uniformly from 0..W-1 per centre word when windows shrink), clipped to the sentence,
  without i itself. CBOW skips a centre word whose context is empty.
* Subsampling (before windowing): word w with corpus frequency f(w) = count / total is kept with probability
  ``(sqrt(f / t) + 1) * t / f`` where t is the ``sample`` parameter (word2vec.c's formula); see
  :func:`keep_thresholds`.
"""

import heapq

import numpy as np

MAX_EXP = 6
EXP_TABLE_SIZE = 1000


# ------------------------------------------------------------------------------------------------------------
# Activation functions
# ------------------------------------------------------------------------------------------------------------

def sigmoid(x):
    """The logistic function sigma(x) = 1 / (1 + exp(-x)), computed without overflow."""
    x = np.asarray(x, dtype=np.float64)
    return np.exp(-np.logaddexp(0.0, -x))


def log_sigmoid(x):
    """log sigma(x) = -log(1 + exp(-x)), computed without overflow."""
    return -np.logaddexp(0.0, -np.asarray(x, dtype=np.float64))


def clamped_sigmoid(x):
    """The kernels' sigmoid, exactly: 1 for x >= MAX_EXP, 0 for x <= -MAX_EXP, sigma(x) in between."""
    x = np.asarray(x, dtype=np.float64)
    return np.where(x >= MAX_EXP, 1.0, np.where(x <= -MAX_EXP, 0.0, sigmoid(x)))


def clamped_log_sigmoid(x):
    """The kernels' log-sigmoid, exactly: x for x <= -MAX_EXP, 0 for x >= MAX_EXP, log sigma(x) in between."""
    x = np.asarray(x, dtype=np.float64)
    return np.where(x >= MAX_EXP, 0.0, np.where(x <= -MAX_EXP, x, log_sigmoid(x)))


def softmax(u):
    """Turn scores u_1..u_V into probabilities y_j = exp(u_j) / sum_k exp(u_k).

    Subtracting max(u) first changes nothing mathematically (it cancels between numerator and denominator)
    but keeps exp() from overflowing.
    """
    u = np.asarray(u, dtype=np.float64)
    e = np.exp(u - u.max())
    return e / e.sum()


# ------------------------------------------------------------------------------------------------------------
# The full softmax, for understanding (the kernels never compute it)
# ------------------------------------------------------------------------------------------------------------

def softmax_forward(W_in, W_out, context):
    """Forward pass of skip-gram with a full softmax output layer.

    W_in is V x d (row c is word c's input vector) and W_out is d x V (column j is word j's output vector).

        h = W_in[context]            the hidden layer: just the context word's input vector
        u = W_out^T h                one score per vocabulary word, u_j = h . W_out[:, j]
        y = softmax(u)               the predicted distribution over the centre word

    Returns (h, u, y).
    """
    h = np.asarray(W_in[context], dtype=np.float64)
    u = np.asarray(W_out, dtype=np.float64).T @ h
    return h, u, softmax(u)


def softmax_loss(W_in, W_out, context, target):
    """Cross-entropy of the prediction: E = -log y_target."""
    _, _, y = softmax_forward(W_in, W_out, context)
    return -np.log(y[target])


def softmax_gradients(W_in, W_out, context, target):
    """Gradients of E = -log y_target for one (context, target) pair.

    The error vector used here is *target minus prediction*: e = t - y, where t is the one-hot vector of the
    target word (so e is positive at the target and negative elsewhere). Then

        dE/du      = y - t = -e
        dE/dW_out  = h (dE/du)^T        = -outer(h, e)            (d x V; every column gets a share)
        dE/dh      = W_out (dE/du)      = -W_out e
        dE/dW_in   = dE/dh in row `context`, zero elsewhere

    Returns (e, grad_W_in, grad_W_out), the gradients as full arrays of W_in's and W_out's shapes.
    """
    h, u, y = softmax_forward(W_in, W_out, context)
    t = np.zeros_like(y)
    t[target] = 1.0
    e = t - y
    grad_W_out = -np.outer(h, e)
    grad_W_in = np.zeros(np.shape(W_in), dtype=np.float64)
    grad_W_in[context] = -np.asarray(W_out, dtype=np.float64) @ e
    return e, grad_W_in, grad_W_out


def softmax_step(W_in, W_out, context, target, alpha):
    """One gradient-descent step on E, in place: W <- W - alpha * dE/dW. Returns E before the step."""
    loss = softmax_loss(W_in, W_out, context, target)
    _, grad_W_in, grad_W_out = softmax_gradients(W_in, W_out, context, target)
    W_in -= alpha * grad_W_in
    W_out -= alpha * grad_W_out
    return loss


# ------------------------------------------------------------------------------------------------------------
# Losses and gradients of the two approximations (for checking the updates against finite differences)
# ------------------------------------------------------------------------------------------------------------

def hs_path(codes, points, code_offset, word):
    """Word's Huffman path as (codes, points): the branch bits and the inner-node rows, root first."""
    a, b = int(code_offset[word]), int(code_offset[word + 1])
    return np.asarray(codes[a:b]), np.asarray(points[a:b])


def ns_targets(target, negatives):
    """Rows and labels of a negative-sampling example: the target with label 1, then each negative with
    label 0 (negatives equal to the target are dropped)."""
    negatives = [] if negatives is None else [int(n) for n in negatives if int(n) != int(target)]
    rows = [int(target)] + negatives
    labels = [1] + [0] * len(negatives)
    return rows, labels


def hs_targets(codes, points, code_offset, target):
    """Rows and labels of a hierarchical-softmax example: the path's inner nodes with labels 1 - code."""
    c, p = hs_path(codes, points, code_offset, target)
    return [int(x) for x in p], [1 - int(x) for x in c]


def output_loss(h, out, rows, labels):
    """sum over targets of -log sigma(f) (label 1) or -log sigma(-f) (label 0), f = h . out[row]."""
    h = np.asarray(h, dtype=np.float64)
    loss = 0.0
    for row, label in zip(rows, labels):
        f = h @ np.asarray(out[row], dtype=np.float64)
        loss -= log_sigmoid(f if label else -f)
    return float(loss)


def output_gradients(h, out, rows, labels, sig=sigmoid):
    """Gradients of :func:`output_loss` with respect to h and to out.

    For one target, d/df [-log sigma(+/-f)] = -(label - sigma(f)), so
        dL/dh       = -sum_t (label_t - sigma(f_t)) out[row_t]
        dL/dout[r]  = -(label_t - sigma(f_t)) h     for each target t with row_t = r (summed over repeats)
    Returns (grad_h, grad_out) with grad_out of out's shape.
    """
    h = np.asarray(h, dtype=np.float64)
    grad_h = np.zeros_like(h)
    grad_out = np.zeros(np.shape(out), dtype=np.float64)
    for row, label in zip(rows, labels):
        o = np.asarray(out[row], dtype=np.float64)
        err = label - sig(h @ o)
        grad_h -= err * o
        grad_out[row] -= err * h
    return grad_h, grad_out


# ------------------------------------------------------------------------------------------------------------
# One training example, exactly as the kernels do it
# ------------------------------------------------------------------------------------------------------------

def train_targets(h, out, rows, labels, alpha, work, sig=clamped_sigmoid, log_sig=clamped_log_sigmoid):
    """The shared inner loop: train input vector h against the target rows of out, in order.

    For each target:  f = h . out[row];  g = (label - sigma(f)) * alpha;  work += g * out[row];
    out[row] += g * h.  out is updated in place, work (float64, length d) accumulates the gradient step for h.
    Returns the loss of the example (computed before each row is updated).
    """
    h = np.asarray(h, dtype=np.float64)
    loss = 0.0
    for row, label in zip(rows, labels):
        o = np.asarray(out[row], dtype=np.float64)
        f = h @ o
        g = (label - sig(f)) * alpha
        loss -= log_sig(f if label else -f)
        work += g * o
        out[row] = o + g * h
    return float(loss)


def output_layer(h, work, syn1neg, syn1, codes, points, code_offset, centre, negatives, alpha, hs, sig):
    """Both models' output side for one example with hidden layer h: HS along centre's path if hs, then NS
    against centre and the negatives if any. Updates the output rows in place, adds the input-side gradient
    to work, returns the loss."""
    loss = 0.0
    if hs:
        rows, labels = hs_targets(codes, points, code_offset, centre)
        loss += train_targets(h, syn1, rows, labels, alpha, work, sig)
    if negatives is not None and len(negatives):
        rows, labels = ns_targets(centre, negatives)
        loss += train_targets(h, syn1neg, rows, labels, alpha, work, sig)
    return loss


def sg_step(syn0, syn1neg, syn1, codes, points, code_offset, context, centre, negatives, alpha, hs,
            sig=clamped_sigmoid):
    """One skip-gram example in place: syn0[context] predicts centre (HS along centre's path if hs, then NS
    against centre and the negatives if any). Returns the loss. sig: the sigmoid to use."""
    h = np.asarray(syn0[context], dtype=np.float64)
    work = np.zeros_like(h)
    loss = output_layer(h, work, syn1neg, syn1, codes, points, code_offset, centre, negatives, alpha, hs, sig)
    syn0[context] = h + work
    return loss


def sg_ns_step(syn0, syn1neg, context, centre, negatives, alpha):
    """Skip-gram with negative sampling, one (context, centre) pair. Returns the loss."""
    return sg_step(syn0, syn1neg, None, None, None, None, context, centre, negatives, alpha, hs=False)


def sg_hs_step(syn0, syn1, codes, points, code_offset, context, centre, alpha):
    """Skip-gram with hierarchical softmax, one (context, centre) pair. Returns the loss."""
    return sg_step(syn0, None, syn1, codes, points, code_offset, context, centre, None, alpha, hs=True)


def cbow_hidden(syn0, contexts, cbow_mean):
    """CBOW's hidden layer: the sum (cbow_mean=0) or mean (cbow_mean=1) of the context words' input rows."""
    h = np.sum([np.asarray(syn0[c], dtype=np.float64) for c in contexts], axis=0)
    return h / len(contexts) if cbow_mean else h


def cbow_step(syn0, syn1neg, syn1, codes, points, code_offset, contexts, centre, negatives, alpha,
              cbow_mean, hs, sig=clamped_sigmoid):
    """One CBOW example in place: the context words (non-empty) predict centre. Returns the loss.

    After the targets, every context word's input row moves by work (cbow_mean=1) or work / n (cbow_mean=0);
    a word appearing twice in the context moves twice.
    """
    if len(contexts) == 0:
        raise ValueError("CBOW needs at least one context word")
    h = cbow_hidden(syn0, contexts, cbow_mean)
    work = np.zeros_like(h)
    loss = output_layer(h, work, syn1neg, syn1, codes, points, code_offset, centre, negatives, alpha, hs, sig)
    if not cbow_mean:
        work = work / len(contexts)
    for c in contexts:
        syn0[c] = np.asarray(syn0[c], dtype=np.float64) + work
    return loss


def cbow_ns_step(syn0, syn1neg, contexts, centre, negatives, alpha, cbow_mean):
    """CBOW with negative sampling, one window. Returns the loss."""
    return cbow_step(syn0, syn1neg, None, None, None, None, contexts, centre, negatives, alpha, cbow_mean,
                     hs=False)


def cbow_hs_step(syn0, syn1, codes, points, code_offset, contexts, centre, alpha, cbow_mean):
    """CBOW with hierarchical softmax, one window. Returns the loss."""
    return cbow_step(syn0, None, syn1, codes, points, code_offset, contexts, centre, None, alpha, cbow_mean,
                     hs=True)


def train_sentence_hs(syn0, syn1, codes, points, code_offset, sentence, window, alpha, sg, cbow_mean=1,
                      sig=clamped_sigmoid):
    """A whole sentence with hierarchical softmax and no randomness (no subsampling, full windows).

    Visits centre positions i = 0, 1, ... in order; skip-gram then takes the context positions j from left to
    right (j != i, |i - j| <= window) and trains syn0[sentence[j]] to predict sentence[i]; CBOW trains one
    example per centre word. Updates in place and returns the summed loss. sig: the sigmoid to use.
    """
    n = len(sentence)
    loss = 0.0
    for i in range(n):
        lo, hi = max(0, i - window), min(n, i + window + 1)
        context_positions = [j for j in range(lo, hi) if j != i]
        if sg:
            for j in context_positions:
                loss += sg_step(syn0, None, syn1, codes, points, code_offset, sentence[j], sentence[i], None,
                                alpha, hs=True, sig=sig)
        elif context_positions:
            contexts = [sentence[j] for j in context_positions]
            loss += cbow_step(syn0, None, syn1, codes, points, code_offset, contexts, sentence[i], None,
                              alpha, cbow_mean, hs=True, sig=sig)
    return loss


# ------------------------------------------------------------------------------------------------------------
# Vocabulary tables the kernels consume
# ------------------------------------------------------------------------------------------------------------

def keep_probabilities(counts, sample):
    """word2vec.c's subsampling: keep word w with probability min(1, (sqrt(f / t) + 1) * t / f), where
    f = count_w / total and t = sample. Frequent words (f >> t) are kept with probability about sqrt(t / f);
    sample = 0 keeps everything."""
    counts = np.asarray(counts, dtype=np.float64)
    if sample <= 0:
        return np.ones_like(counts)
    threshold = sample * counts.sum()
    with np.errstate(divide="ignore"):
        p = (np.sqrt(counts / threshold) + 1.0) * threshold / counts
    return np.minimum(p, 1.0)


def keep_thresholds(counts, sample):
    """The kernels' form of keep_probabilities: keep when a uniform 32-bit random r <= threshold, so
    P(keep) = (threshold + 1) / 2**32; 0xFFFFFFFF means always."""
    p = keep_probabilities(counts, sample)
    thr = np.round(p * 2.0**32) - 1.0
    return np.clip(thr, 0, 2**32 - 1).astype(np.uint32)


def alias_table(weights):
    """Walker's alias method for drawing index i with probability weights[i] / sum(weights).

    The V outcomes are spread over V equally likely columns. Column i keeps outcome i with probability
    q_i = threshold_i / 2**32 and otherwise gives alias_i. Built with Vose's method: columns whose scaled
    weight V p_i is below 1 are topped up by a column above 1, which then carries the remainder.

    Returns (threshold uint32, alias int32) in the layout _kernels.pxd documents.
    """
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 1 or len(w) == 0 or np.any(w < 0) or not w.sum() > 0:
        raise ValueError("weights must be a non-empty 1-D array of non-negative numbers with a positive sum")
    n = len(w)
    scaled = w / w.sum() * n
    keep = np.ones(n, dtype=np.float64)
    alias = np.arange(n, dtype=np.int32)
    small = [i for i in range(n) if scaled[i] < 1.0]
    large = [i for i in range(n) if scaled[i] >= 1.0]
    while small and large:
        s, l = small.pop(), large.pop()
        keep[s] = scaled[s]
        alias[s] = l
        scaled[l] = scaled[l] + scaled[s] - 1.0
        (small if scaled[l] < 1.0 else large).append(l)
    # what is left is (up to rounding) exactly full: it keeps itself
    threshold = np.minimum(np.floor(keep * 2.0**32), 2**32 - 1).astype(np.uint32)
    return threshold, alias


def huffman_tree(counts):
    """Huffman coding of the vocabulary for hierarchical softmax.

    Repeatedly merge the two least frequent nodes into a new inner node (the first gets branch bit 0, the
    second bit 1); inner nodes are numbered 0 .. V-2 in order of creation, so the root is V-2. A word's path
    runs from the root down to its leaf: points are the inner nodes passed, codes the branch bits taken.
    Frequent words get short paths. Returns (codes uint8, points int32, code_offset int64) flattened as
    _kernels.pxd documents.
    """
    counts = np.asarray(counts)
    V = len(counts)
    parent = np.zeros(2 * V, dtype=np.int64)
    bit = np.zeros(2 * V, dtype=np.uint8)
    heap = [(int(c), i) for i, c in enumerate(counts)]
    heapq.heapify(heap)
    next_node = V
    while len(heap) > 1:
        c1, a = heapq.heappop(heap)
        c2, b = heapq.heappop(heap)
        parent[a], bit[a] = next_node, 0
        parent[b], bit[b] = next_node, 1
        heapq.heappush(heap, (c1 + c2, next_node))
        next_node += 1
    root = next_node - 1
    codes, points, offsets = [], [], [0]
    for w in range(V):
        path_codes, path_points = [], []
        node = w
        while V > 1 and node != root:
            path_codes.append(bit[node])
            path_points.append(parent[node] - V)
            node = parent[node]
        codes.extend(reversed(path_codes))
        points.extend(reversed(path_points))
        offsets.append(len(codes))
    return (np.array(codes, dtype=np.uint8), np.array(points, dtype=np.int32),
            np.array(offsets, dtype=np.int64))
