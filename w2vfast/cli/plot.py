"""`w2vfast plot`: a PNG of some words (and optionally their neighbours) laid out in two dimensions.

PCA is plain NumPy; t-SNE needs scikit-learn. matplotlib draws the picture and is optional: without it the
command stops with one line saying what to install.
"""
import io

import numpy as np

from ..io import _AtomicFile

from .paths import FORMATS, check_output, load_vectors


def add_parser(sub):
    p = sub.add_parser("plot", help="draw words and their neighbourhood in 2-D (PNG)")
    p.add_argument("vectors", help="vector file (.bin, .txt/.vec) or a .model")
    p.add_argument("words", nargs="*", help="words to draw")
    p.add_argument("-o", "--output", required=True, help="PNG file to write")
    p.add_argument("--words-file", help="more words, whitespace separated")
    p.add_argument("--neighbours", type=int, default=0, help="also draw this many nearest neighbours of each word")
    p.add_argument("--method", choices=("pca", "tsne"), default="pca", help="projection (tsne needs scikit-learn)")
    p.add_argument("--format", choices=FORMATS, help="input format (default: from the content and name)")
    p.set_defaults(func=run)


def pca_2d(x):
    """The rows of x projected on their two main directions of variance."""
    x = np.asarray(x, dtype=np.float64)
    centred = x - x.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    out = centred @ vt[:2].T
    if out.shape[1] < 2:  # a single direction (e.g. two points): lay them on a line
        out = np.hstack([out, np.zeros((len(out), 2 - out.shape[1]))])
    return out


def _tsne_2d(x, seed=1):
    try:
        from sklearn.manifold import TSNE
    except ImportError:
        raise RuntimeError("--method tsne needs scikit-learn: pip install scikit-learn (or use --method pca)") from None
    return TSNE(n_components=2, perplexity=min(30.0, len(x) - 1.0), init="pca", random_state=seed).fit_transform(x)


def _words(args, wv):
    words = list(args.words)
    if args.words_file:
        with open(args.words_file, encoding="utf-8", errors="surrogateescape") as f:
            words += f.read().split()
    if not words:
        raise ValueError("no words to plot: give words as arguments or --words-file FILE")
    missing = [w for w in words if w not in wv]
    if missing:
        raise KeyError(f"not in the vocabulary: {' '.join(missing[:10])}")
    if args.neighbours < 0:
        raise ValueError(f"--neighbours must be >= 0, got {args.neighbours}")
    chosen = dict.fromkeys(words)
    if args.neighbours:
        for w in words:
            chosen.update(dict.fromkeys(n for n, _ in wv.most_similar(w, topn=args.neighbours)))
    if len(chosen) < 2:
        raise ValueError("a plot needs at least two distinct words")
    return words, list(chosen)


def run(args):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise RuntimeError("plot needs matplotlib: pip install matplotlib") from None
    check_output(args.output)
    wv = load_vectors(args.vectors, args.format)
    queries, words = _words(args, wv)
    x = np.stack([wv[w] for w in words])
    xy = _tsne_2d(x) if args.method == "tsne" else pca_2d(x)
    fig, ax = plt.subplots(figsize=(8, 8))
    is_query = np.array([w in set(queries) for w in words])
    ax.scatter(xy[~is_query, 0], xy[~is_query, 1], s=12, c="tab:blue")
    ax.scatter(xy[is_query, 0], xy[is_query, 1], s=30, c="tab:red")
    for (px, py), w, q in zip(xy, words, is_query):
        ax.annotate(w, (px, py), fontsize=10 if q else 8, xytext=(3, 3), textcoords="offset points")
    ax.set_title(f"{len(words)} words, {args.method.upper()}")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    with _AtomicFile(args.output) as f:  # never a half-written picture in place of an old one
        f.write(buf.getvalue())
    print(f"wrote {args.output} ({len(words)} words)")
    return 0
