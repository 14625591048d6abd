"""w2vfast: fast word2vec training with nogil Cython kernels, a drop-in for gensim's Word2Vec.

    from w2vfast import Word2Vec
    model = Word2Vec(sentences, vector_size=100, window=5, min_count=5, sg=1, workers=4)
    model.wv.most_similar("paris")
"""

__version__ = "0.1.0"

from .callbacks import CallbackAny2Vec  # noqa: E402
from .errors import FormatError  # noqa: E402
from .keyedvectors import KeyedVectors  # noqa: E402
from .model import Word2Vec  # noqa: E402
from .readers import LineSentence, PathLineSentences, Text8Corpus  # noqa: E402

__all__ = ["Word2Vec", "KeyedVectors", "LineSentence", "Text8Corpus", "PathLineSentences", "CallbackAny2Vec",
           "FormatError", "__version__"]
