"""w2vfast: fast word2vec training with nogil Cython kernels, a drop-in for gensim's Word2Vec."""

__version__ = "0.1.0"
