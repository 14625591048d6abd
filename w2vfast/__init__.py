"""w2vfast: fast word2vec training with nogil Cython kernels, a drop-in for gensim's Word2Vec.

    from w2vfast import Word2Vec
    model = Word2Vec(sentences, vector_size=100, window=5, min_count=5, sg=1, workers=4)
    model.wv.most_similar("paris")
"""

from ._version import __version__  # noqa: E402

try:  # the compiled kernels: missing when Python imports this source folder instead of an installed build
    from . import _corpus, _fastio, _kernels  # noqa: E402,F401
except ImportError as _exc:  # pragma: no cover - depends on how the package was installed
    raise ImportError(
        f"w2vfast's compiled extensions are not built in {__path__[0]}: this folder hides any installed "
        "w2vfast. Build them in place with `pip install -e .` (or run Python from another folder)") from _exc

from .callbacks import CallbackAny2Vec  # noqa: E402
from .errors import FormatError  # noqa: E402
from .keyedvectors import KeyedVectors  # noqa: E402
from .model import Word2Vec  # noqa: E402
from .readers import LineSentence, PathLineSentences, Text8Corpus  # noqa: E402

__all__ = ["Word2Vec", "KeyedVectors", "LineSentence", "Text8Corpus", "PathLineSentences", "CallbackAny2Vec",
           "FormatError", "__version__"]
