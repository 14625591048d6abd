"""The rest of gensim 4's Word2Vec API for w2vfast.Word2Vec: the vocabulary steps build_vocab() is made of,
scoring and prediction, memory estimates, pickling, and gensim's training-time warnings.

A mixin of w2vfast.Word2Vec (model.py holds configuration, vocabulary building and the training driver).
"""
import logging
import warnings
import zlib

import numpy as np

from . import vocab as _vocab

logger = logging.getLogger(__name__)


class Word2VecCompat:
    """gensim 4 Word2Vec methods beyond building and training."""

    # ------------------------------------------------------------------------------ pickling, copying
    def __getstate__(self):
        # The C token table is a cache of the vocabulary that cannot be pickled: rebuilt on the next train().
        state = self.__dict__.copy()
        state["_token_table"] = None
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._token_table = None

    # ------------------------------------------------------------------------- gensim's train() rules
    def _gensim_train_settings(self, epochs, start_alpha, end_alpha):
        """What gensim's train() does before training: the call's epochs and alphas become the model's, and
        it warns about settings that are probably mistakes."""
        self.alpha = float(start_alpha or self.alpha)
        self.min_alpha = float(end_alpha or self.min_alpha)
        self.epochs = int(epochs)
        if getattr(self, "_quiet_checks", False):  # the gensim face has already warned
            return
        if self.hs and self.negative:
            logger.warning("both hierarchical softmax (hs=1) and negative sampling (negative>0) are on: this is "
                           "probably a mistake; set hs=0 or negative=0 to train with one of them")
        if self.alpha > self.min_alpha_yet_reached:
            logger.warning("effective alpha %g is higher than in previous training (it reached %g): the learning "
                           "rate rises again", self.alpha, self.min_alpha_yet_reached)
        lock = getattr(self.wv, "vectors_lockf", None)
        if lock is not None and np.size(lock) > 0 and not np.all(np.asarray(lock) == 1.0):
            raise NotImplementedError("wv.vectors_lockf freezes some vectors (intersect_word2vec_format), but "
                                      "w2vfast's kernels have no per-word locks: use w2vfast.gensim.Word2Vec, which "
                                      "trains such a model with gensim's kernels, or delete wv.vectors_lockf")

    # ---------------------------------------------------------------------------- vocabulary steps
    def scan_vocab(self, corpus_iterable=None, corpus_file=None, progress_per=10000, workers=None, trim_rule=None):
        """Count the corpus into self.raw_vocab ({word: count}); returns (total_words, corpus_count)."""
        from ._corpus import scan_file
        self._check_sources(corpus_iterable, corpus_file)
        if corpus_file is not None:
            scan = scan_file(corpus_file, max_vocab_size=self.max_vocab_size, workers=workers or self.workers,
                             max_sentence_length=self.max_sentence_length)
            self.raw_vocab = dict(zip(scan.keys, scan.counts.tolist()))
            return scan.total_words, scan.total_sentences
        counter, total_words, total_sentences = _vocab.count_words(
            corpus_iterable, max_vocab_size=self.max_vocab_size, progress_per=progress_per)
        self.raw_vocab = dict(counter)
        return total_words, total_sentences

    def prepare_vocab(self, update=False, keep_raw_vocab=False, trim_rule=None, min_count=None, sample=None,
                      dry_run=False):
        """Apply min_count (and max_final_vocab, trim_rule) to self.raw_vocab and build the vocabulary and its
        weights. Returns a report dict; dry_run=True only reports."""
        if self.raw_vocab is None:
            raise RuntimeError("prepare_vocab() needs self.raw_vocab: call scan_vocab() first")
        if min_count is not None:
            self.min_count = int(min_count)
        if sample is not None:
            self.sample = float(sample)
        keys_all = list(self.raw_vocab)
        counts_all = np.fromiter(self.raw_vocab.values(), dtype=np.int64, count=len(keys_all))
        keys, kept = _vocab.select_words(keys_all, counts_all, self.min_count, self.max_final_vocab, trim_rule,
                                         bool(self.sorted_vocab))
        report = {"drop_unique": len(keys_all) - len(keys), "retain_total": int(kept.sum()),
                  "drop_total": int(counts_all.sum() - kept.sum()), "num_retained_words": len(keys)}
        if not dry_run:
            self._prepare_vocab(keys_all, counts_all, update=update, trim_rule=trim_rule)
            if not keep_raw_vocab:
                self.raw_vocab = None
        return report

    def prepare_weights(self, update=False):
        """(Re)initialise the weights for the current vocabulary; update=True keeps the trained rows (done
        already by prepare_vocab(update=True))."""
        if self.vocabulary is None:
            raise RuntimeError("prepare_weights() needs a vocabulary: call build_vocab() first")
        if not update:
            self._init_weights()
            self._rebuild_tables()

    init_weights = prepare_weights

    def update_weights(self):
        """Grow the weights to a grown vocabulary (new rows random, trained rows kept)."""
        old = len(self.wv.vectors)
        if old != len(self.vocabulary):
            self._grow_weights(old)
            self._rebuild_tables()

    def reset_from(self, other_model):
        """Share another model's vocabulary and corpus statistics, with freshly initialised weights."""
        self.vocabulary = other_model.vocabulary
        self.corpus_count = other_model.corpus_count
        self.corpus_total_words = other_model.corpus_total_words
        self._init_weights()
        self._rebuild_tables()

    def create_binary_tree(self):
        """Rebuild the Huffman tree of hierarchical softmax from the current counts."""
        self.vocabulary.build_huffman()
        self._publish_huffman()

    def make_cum_table(self, domain=2**31 - 1):
        """gensim's cumulative noise table in self.cum_table (w2vfast's kernels sample from an alias table)."""
        self.cum_table = _vocab.cum_table(self.vocabulary.counts, self.ns_exponent, domain)

    def add_null_word(self):
        raise NotImplementedError("add_null_word(): pass null_word=1 to Word2Vec(...) before build_vocab(); "
                                  "adding a word afterwards would desynchronise the weights")

    def seeded_vector(self, seed_string, vector_size):
        """A deterministic small random vector for a string (deprecated in gensim)."""
        rng = np.random.default_rng([self.seed, zlib.crc32(str(seed_string).encode("utf-8"))])
        return ((rng.random(vector_size) * 2 - 1) / vector_size).astype(np.float32)

    def init_sims(self, replace=False):
        """Deprecated in gensim 4 (norms are computed on demand)."""
        self.wv.init_sims(replace=replace)

    def add_lifecycle_event(self, event_name, log_level=logging.INFO, **event):
        """Record an event in self.lifecycle_events (as gensim does) and log it."""
        event = dict(event, event=event_name)
        self.__dict__.setdefault("lifecycle_events", []).append(event)
        if log_level:
            logger.log(log_level, "Word2Vec lifecycle event %s", event)

    def estimate_memory(self, vocab_size=None, report=None):
        """Bytes needed by the model's arrays for vocab_size words (default: the current vocabulary)."""
        n = vocab_size or (len(self.vocabulary) if self.vocabulary is not None else 0)
        row = self.vector_size * 4
        report = dict(report or {})
        # keys, the key->row dict, the C token table and per-word tables: ~ 200 bytes a word, ~ 60 more for
        # the Huffman path (about log2(V) codes and points)
        report["vocab"] = n * (260 if self.hs else 200)
        report["vectors"] = n * row
        if self.hs:
            report["syn1"] = n * row
        if self.negative:
            report["syn1neg"] = n * row
        report["total"] = sum(v for k, v in report.items() if k != "total")
        return report

    def _publish_huffman(self):
        """Expose each word's Huffman path as wv's "code" and "point" attributes, as gensim does."""
        v = self.vocabulary
        if not self.hs or v.codes is None or self.wv is None or len(self.wv) != len(v) \
                or getattr(self, "_quiet_checks", False):  # the gensim face's engine: gensim has its own
            return
        bounds = list(zip(v.code_offsets[:-1].tolist(), v.code_offsets[1:].tolist()))
        for name, flat in (("code", v.codes), ("point", v.points)):
            values = np.empty(len(v), dtype=object)
            values[:] = [flat[a:b] for a, b in bounds]  # views into the flat arrays, no copies
            self.wv.expandos[name] = values

    # ------------------------------------------------------------------------ scoring and prediction
    def predict_output_word(self, context_words_list, topn=10):
        """The topn most probable centre words for a bag of context words, as [(word, probability)]: the
        softmax over the output vectors (syn1neg) of the context vectors' mean (sum when cbow_mean=0).
        Needs negative > 0; returns None when no context word is known."""
        if not self.negative or self.syn1neg is None:
            raise RuntimeError("predict_output_word() needs the output vectors of negative sampling: train with "
                               "negative > 0")
        rows = [self.wv.key_to_index[w] for w in context_words_list if w in self.wv.key_to_index]
        if not rows:
            logger.warning("all the input context words are out-of-vocabulary for the current model")
            return None
        l1 = self.wv.vectors[rows].sum(axis=0)
        if self.cbow_mean:
            l1 /= len(rows)
        logits = self.syn1neg @ l1
        prob = np.exp(logits - logits.max())  # shifted so a large logit cannot overflow
        prob /= prob.sum()
        top = np.argsort(-prob, kind="stable")[:topn]
        return [(self.wv.index_to_key[i], prob[i]) for i in top]

    def score(self, sentences, total_sentences=int(1e6), chunksize=100, queue_factor=2, report_delay=1):
        """Log-probability of each sentence under the model (Taddy, 2015), as gensim computes it: hierarchical
        softmax only (hs=1); skip-gram scores every word against each word of its full window, CBOW each
        word against its window's mean (sum when cbow_mean=0). Unknown words are skipped. Returns float32s."""
        if not self.hs or self.syn1 is None:
            raise RuntimeError("score() needs hierarchical softmax: train with hs=1 (gensim has the same rule)")
        v, syn0, syn1 = self.vocabulary, self.wv.vectors, self.syn1
        out = []
        for sentence in sentences:
            if len(out) >= total_sentences:
                break
            idx = [v.key_to_index[w] for w in sentence if w in v.key_to_index]
            total = 0.0
            for pos, word in enumerate(idx):
                a, b = v.code_offsets[word], v.code_offsets[word + 1]
                sign = 1.0 - 2.0 * v.codes[a:b]  # branch 0 -> +f, branch 1 -> -f
                nodes = syn1[v.points[a:b]]
                context = [c for j, c in enumerate(idx[max(0, pos - self.window):pos + self.window + 1],
                                                   start=max(0, pos - self.window)) if j != pos]
                if not context:
                    continue
                if self.sg:
                    f = (syn0[context] @ nodes.T) * sign
                else:
                    l1 = syn0[context].sum(axis=0)
                    if self.cbow_mean:
                        l1 /= len(context)
                    f = (nodes @ l1) * sign
                total += float(-np.logaddexp(0.0, -f.astype(np.float64)).sum())
            out.append(total)
        return np.array(out, dtype=np.float32)
