# The contract between the training kernels and their callers (model.py through _corpus.pyx).
#
# A caller fills one Model struct per train() call (pointers into numpy arrays owned by Python, alive for
# the whole call) and one Worker struct per thread, then calls train_batch() with the GIL released.
# Threads share the matrices and update them without locks (Hogwild), as word2vec.c and gensim do.

from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t, uint64_t

ctypedef float real

cdef extern from "_vecmath.h" nogil:
    # A worker's private copies of rows first .. first + count - 1 of one shared matrix (see _vecmath.h)
    ctypedef struct w2v_hot:
        real *rows
        real *base
        int32_t first
        int32_t count       # 0: no private rows
        int64_t *lock
        real scale          # share of its change a worker adds to the shared rows at a merge

cdef struct Model:
    real *syn0              # V x size input vectors ("WI"); row w is word w's vector
    real *syn1neg           # V x size output vectors for negative sampling, or NULL when negative == 0
    real *syn1              # V x size output vectors of Huffman inner nodes (row p for point p), or NULL when hs == 0
    int size                # vector dimension
    int vocab_size
    int sg                  # 1: skip-gram, 0: CBOW
    int hs                  # 1: hierarchical softmax (may be combined with negative > 0)
    int negative            # negatives drawn per positive example
    int cbow_mean           # CBOW: 1 averages the context vectors, 0 sums them
    int window              # maximum distance between centre and context word
    int shrink_windows      # 1: per centre word, the window is reduced by (rng % window)
    int compute_loss        # 1: add each example's loss to Worker.loss
    int shared_negatives    # 1: SG draws one set of negatives per centre word, shared across its window (opt-in)
    # Subsampling: word w is kept when (uint32 random) <= keep_threshold[w]; 0xFFFFFFFF keeps it always.
    const uint32_t *keep_threshold
    # Negative sampling from unigram^ns_exponent with Walker's alias method (O(1) per draw):
    # r = 64 random bits; i = ((r >> 32) * vocab_size) >> 32; the draw is i when (uint32) r < alias_threshold[i],
    # else alias_index[i].
    const uint32_t *alias_threshold
    const int32_t *alias_index
    # Huffman codes for hierarchical softmax, flattened: word w's path is positions
    # code_offset[w] .. code_offset[w + 1] - 1 of codes (0/1 branch taken) and points (inner-node rows of syn1).
    const uint8_t *codes
    const int32_t *points
    const int64_t *code_offset
    # Optional (may be NULL): the alias table interleaved, entry i = (alias_index[i] << 32) | alias_threshold[i],
    # so that a draw reads one cache line. KernelModel builds it; train_batch uses it when present.
    const uint64_t *alias_packed

cdef struct Worker:
    uint64_t rng            # per-thread random state; never zero (xorshift64*)
    real *neu1              # size floats of scratch: the CBOW hidden layer
    real *work              # size floats of scratch: the accumulated input-side gradient
    int32_t *kept           # max_sentence scratch ints: a sentence after subsampling
    int32_t *negs           # negative + 1 ints of scratch
    int max_sentence        # capacity of kept; callers never pass longer sentences
    # Private copies of the rows every thread would otherwise write all the time (several threads only):
    # the most frequent words' input rows (syn0) and output rows (syn1neg), and the Huffman nodes nearest the
    # root (syn1). Copied when a batch starts with none held, merged back (and copied afresh) every sync_words
    # kept words, and merged when released (train_batch releases them at the end of each batch).
    w2v_hot hot_in          # syn0 rows 0 .. n - 1 (words are numbered by falling frequency)
    w2v_hot hot_out         # syn1neg rows 0 .. n - 1
    w2v_hot hot_hs          # syn1 rows V - 1 - n .. V - 2 (the root is row V - 2)
    int64_t sync_words      # merge all private rows after this many kept words (0: only when released); the
                            # busiest 1/HOT_TIERS of them HOT_TIERS times as often (see train_batch_held)
    int64_t since_sync      # kept words trained since the last merge
    int top_merges          # tiered merge steps since the last merge of all rows (see HOT_TIERS)
    int holding             # the private copies hold changes not yet merged (train_batch_held)
    double loss             # running sum of the training loss (when compute_loss)
    int64_t examples        # number of positive predictions made (denominator for a mean loss)

# Train on n_sentences sentences packed in ids: sentence s is ids[start_s : sentence_ends[s]] where
# start_0 = 0 and start_s = sentence_ends[s - 1]. Every id is a valid row (callers drop out-of-vocabulary
# tokens) and no sentence is longer than worker.max_sentence. Subsampling happens here. Windows never cross
# sentences. Returns the number of words kept after subsampling (the "effective words").
cdef int64_t train_batch(const Model *m, Worker *w, const int32_t *ids, const int32_t *sentence_ends,
                         int n_sentences, real alpha) noexcept nogil

# The same for callers that train many batches in a row (the corpus readers' loops): the worker's private
# rows are merged every w.sync_words kept words, across batches, and not at the end of each batch. Such a
# caller must call release_private() after its last batch, which merges what is left.
cdef int64_t train_batch_held(const Model *m, Worker *w, const int32_t *ids, const int32_t *sentence_ends,
                              int n_sentences, real alpha) noexcept nogil
cdef void release_private(const Model *m, Worker *w) noexcept nogil

cdef uint64_t seed_rng(uint64_t seed, uint64_t stream) noexcept nogil

# Linear learning-rate decay driven by global progress: every thread adds the raw words it has consumed to
# done (atomically) and reads alpha = start_alpha - (start_alpha - end_alpha) * min(1, done / total_words).
cdef struct Schedule:
    double start_alpha
    double end_alpha
    int64_t total_words     # raw words over the whole run (all epochs)
    int64_t done            # raw words consumed so far, updated with atomic adds

cdef real schedule_alpha(Schedule *s) noexcept nogil
cdef void schedule_advance(Schedule *s, int64_t raw_words) noexcept nogil

# Python-visible owners of the structs above. model.py builds them; _corpus.pyx reaches into .m / .w / .s
# to drive training from C without the GIL.
cdef class KernelModel:
    cdef Model m
    cdef object _arrays     # keeps every numpy array behind a pointer in m alive
    cdef object _lock_buf   # the merge lock for private rows, on a cache line of its own
    cdef int64_t *locks

cdef class KernelWorker:
    cdef Worker w
    cdef KernelModel model
    cdef object _scratch
    cdef bint _busy         # set while train_batch runs for this worker (refuses use from two threads)

cdef class LearningRate:
    cdef Schedule s
