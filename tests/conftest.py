import os
import random

import pytest

import w2vfast


def subprocess_env(**extra):
    """Environment for child Pythons: they import the same w2vfast as this test run (installed or built in place)."""
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(w2vfast.__file__)))
    path = os.pathsep.join(p for p in (package_parent, os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PYTHONPATH": path, **extra}


def family_corpus(n_families=6, family_size=4, contexts_per_family=6, n_sentences=3000, seed=0):
    """Planted word families: members of a family appear only among that family's context words.

    Returns (sentences, families). A good embedding puts each word's family partners at the top of its
    neighbour list, since they share every context and nothing else does.
    """
    rng = random.Random(seed)
    families = [[f"f{f}m{m}" for m in range(family_size)] for f in range(n_families)]
    contexts = [[f"f{f}c{c}" for c in range(contexts_per_family)] for f in range(n_families)]
    sentences = []
    for _ in range(n_sentences):
        f = rng.randrange(n_families)
        words = [rng.choice(contexts[f]) for _ in range(6)]
        for _ in range(2):
            words.insert(rng.randrange(len(words) + 1), rng.choice(families[f]))
        sentences.append(words)
    return sentences, families


@pytest.fixture(scope="session")
def planted():
    return family_corpus()


def write_corpus(path, sentences):
    with open(path, "w", encoding="utf-8") as fh:
        for s in sentences:
            fh.write(" ".join(s) + "\n")
    return str(path)
