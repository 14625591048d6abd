"""`w2vfast demo`: train on a built-in synthetic corpus and show neighbours and analogies."""
import time


def add_parser(sub):
    p = sub.add_parser("demo", help="train on a built-in corpus and show neighbours and analogies")
    p.add_argument("--sentences", type=int, default=40000, help="sentences to generate")
    p.add_argument("--epochs", type=int, default=5, help="passes over the corpus")
    p.add_argument("--workers", type=int, default=2, help="training threads")
    p.add_argument("--seed", type=int, default=1, help="random seed")
    p.set_defaults(func=run)


def run(args):
    from ..demo import planted_sentences
    from ..model import Word2Vec

    sentences = planted_sentences(args.sentences, seed=args.seed)
    n_words = sum(len(s) for s in sentences)
    print(f"Training skip-gram (negative sampling) on a built-in synthetic corpus: {len(sentences):,} sentences, "
          f"{n_words:,} words, {args.epochs} epochs, {args.workers} threads")
    t0 = time.perf_counter()
    model = Word2Vec(sentences, vector_size=50, window=5, min_count=5, sg=1, negative=5, epochs=args.epochs,
                     workers=args.workers, seed=args.seed, progress=False)
    elapsed = time.perf_counter() - t0
    print(f"done in {elapsed:.2f}s ({n_words * args.epochs / elapsed / 1e6:.2f} M words/s), "
          f"{len(model.wv):,} words in the vocabulary\n")
    for word in ("paris", "king", "sushi"):
        neighbours = ", ".join(f"{w} ({s:.2f})" for w, s in model.wv.most_similar(word, topn=5))
        print(f"nearest to {word!r}: {neighbours}")
    answer, score = model.wv.most_similar(positive=["paris", "italy"], negative=["france"], topn=1)[0]
    print(f"\nanalogy  paris - france + italy = {answer} ({score:.2f})")
    answer, score = model.wv.most_similar(positive=["king", "woman"], negative=["man"], topn=1)[0]
    print(f"analogy  king - man + woman = {answer} ({score:.2f})")
    return 0
