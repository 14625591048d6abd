import inspect

import pytest

from w2vfast import Word2Vec


def test_constructor_matches_gensim_names_order_and_defaults():
    gensim = pytest.importorskip("gensim")
    theirs = inspect.signature(gensim.models.Word2Vec.__init__).parameters
    ours = inspect.signature(Word2Vec.__init__).parameters
    positional = [n for n, p in ours.items() if p.kind is p.POSITIONAL_OR_KEYWORD]
    assert positional == list(theirs), "positional parameters must line up with gensim's"
    for name, param in theirs.items():
        if name == "self":
            continue
        assert ours[name].default == param.default, f"default of {name} differs from gensim's"


def test_train_and_build_vocab_accept_gensim_keywords():
    gensim = pytest.importorskip("gensim")
    for method in ("train", "build_vocab", "build_vocab_from_freq"):
        theirs = inspect.signature(getattr(gensim.models.Word2Vec, method)).parameters
        ours = inspect.signature(getattr(Word2Vec, method)).parameters
        for name, param in theirs.items():
            if param.kind in (param.VAR_KEYWORD, param.VAR_POSITIONAL):
                continue
            assert name in ours, f"{method}() lacks gensim's {name!r}"
