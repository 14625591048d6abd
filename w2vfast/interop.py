"""Moving whole models between w2vfast and gensim (an optional dependency, imported only here)."""
import numpy as np

from .persist import SETTINGS

# Settings both libraries share under the same name.
_SHARED = tuple(s for s in SETTINGS
                if s not in ("max_sentence_length", "shared_negatives", "alpha_schedule", "private_rows", "workers"))


def _gensim_word2vec():
    try:
        from gensim.models import Word2Vec
    except ImportError:
        raise ImportError("this needs gensim: pip install gensim") from None
    return Word2Vec


def model_to_gensim(model):
    GensimWord2Vec = _gensim_word2vec()
    if model.vocabulary is None:
        raise ValueError("the model has no vocabulary yet: nothing to convert")
    settings = {name: getattr(model, name) for name in _SHARED}
    # Our vocabulary is already chosen: gensim must keep every word of it and add none (null_word is ours).
    settings.update(min_count=1, max_final_vocab=None, null_word=0)
    g = GensimWord2Vec(workers=model.workers, **settings)
    keys = model.vocabulary.index_to_key
    counts = model.vocabulary.counts
    g.build_vocab_from_freq(dict(zip(keys, counts.tolist())), corpus_count=model.corpus_count)
    g.min_count, g.max_final_vocab, g.null_word = model.min_count, model.max_final_vocab, model.null_word
    g.corpus_total_words = model.corpus_total_words
    order = np.fromiter((g.wv.key_to_index[k] for k in keys), dtype=np.int64, count=len(keys))
    g.wv.vectors[order] = model.wv.vectors
    if model.syn1neg is not None:
        g.syn1neg[order] = model.syn1neg
    if model.syn1 is not None:
        # Keep our Huffman tree, so syn1's rows still mean the same inner nodes.
        for i, key in enumerate(keys):
            code, point = model.vocabulary.code_of(i)
            g.wv.set_vecattr(key, "code", code.astype(np.uint8))
            g.wv.set_vecattr(key, "point", point.astype(np.uint32))
        g.syn1[:] = model.syn1
    g.wv.fill_norms(force=True)
    return g


def model_from_gensim(cls, g):
    from .vocab import Vocabulary

    if not hasattr(g, "wv") or not hasattr(g, "sg"):
        raise TypeError(f"from_gensim() takes a gensim Word2Vec model, got {type(g).__name__}; for vectors alone "
                        "use w2vfast.KeyedVectors.from_gensim()")
    settings = {name: getattr(g, name) for name in _SHARED if hasattr(g, name)}
    model = cls(workers=getattr(g, "workers", 3), **settings)
    keys = list(g.wv.index_to_key)
    if not keys:
        raise ValueError("the gensim model has no vocabulary")
    counts = np.array([g.wv.get_vecattr(k, "count") for k in keys], dtype=np.int64)
    model.vocabulary = Vocabulary(keys, counts)
    model.corpus_count = int(getattr(g, "corpus_count", 0) or 0)
    model.corpus_total_words = int(getattr(g, "corpus_total_words", 0) or counts.sum())
    syn0 = np.ascontiguousarray(g.wv.vectors, dtype=np.float32).copy()
    model._set_wv(syn0)
    model.syn1neg = np.array(g.syn1neg, dtype=np.float32) if model.negative and hasattr(g, "syn1neg") else None
    if model.hs and hasattr(g, "syn1"):
        codes = [np.asarray(g.wv.get_vecattr(k, "code"), dtype=np.uint8) for k in keys]
        points = [np.asarray(g.wv.get_vecattr(k, "point"), dtype=np.int32) for k in keys]
        offsets = np.zeros(len(keys) + 1, dtype=np.int64)
        np.cumsum([len(c) for c in codes], out=offsets[1:])
        model.vocabulary.set_huffman(np.concatenate(codes), np.concatenate(points), offsets)
        model.syn1 = np.array(g.syn1, dtype=np.float32)
    model._rebuild_tables()
    return model
