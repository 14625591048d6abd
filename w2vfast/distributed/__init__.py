"""Data-parallel training on a Dask cluster (optional: ``pip install "w2vfast[dask]"``).

    from dask.distributed import Client
    from w2vfast.distributed import train_distributed

    model = train_distributed(Client("tcp://scheduler:8786"), corpus_file="/shared/corpus.txt",
                              vector_size=300, sg=1, epochs=5, sync_words=1_000_000)

Each Dask worker counts and trains byte ranges of files that every worker can read by the same path; only
counts and changed rows travel. The result is an ordinary w2vfast.Word2Vec. Files of this package:

- shards.py: which files and byte ranges exist, and the per-round plan over them;
- vocab.py: counting on the workers and merging into the single-node vocabulary;
- replica.py: what a worker keeps between rounds and how it trains one round;
- merge.py: sparse row deltas and the rules that combine the replicas' deltas;
- touches.py: how often a replica updates each row per corpus word (for the "adaptive" rule);
- checkpoint.py: save and resume between rounds;
- driver.py: train_distributed(), the loop over rounds.
"""
from .driver import train_distributed
from .merge import MERGE_RULES

__all__ = ["train_distributed", "MERGE_RULES"]
