"""Ctrl-C at random moments of training: does every training thread stop, and is the model still usable?

    python bench/sigint_stress.py --n 1000            # 1,000 SIGINTs, summary on stdout
    python bench/sigint_stress.py --n 60 --json       # what tests/test_interrupts.py runs

One child process trains again and again on a small corpus (corpus_file and iterable, 2-4 threads, skip-gram
and CBOW, many short epochs, so threads start and stop every few milliseconds). Before each train() call it
prints "go"; this parent then waits a random 0..--max-delay seconds and sends SIGINT, which lands in the
start, the middle or the shutdown of some epoch's threads. After each KeyboardInterrupt the child checks:

- leftover: a thread other than the main one still exists right after train() raised;
- blocked: one still exists --grace seconds later (the child then stops: its threads cannot be trusted);
- writing: the vectors change while nothing should be training (2 ms apart);
- usable: vectors finite, a one-epoch train() works, most_similar answers.

and reports where the interrupt was raised (the innermost Python function), to show which phases were hit.
"""
import argparse
import json
import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter

CONFIGS = [(source, workers, sg) for source in ("file", "iterable") for workers in (2, 3, 4) for sg in (0, 1)]


# ------------------------------------------------------------------------------------------------ child
def _corpus(seed):
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(300)]
    weights = [1.0 / (i + 1) for i in range(300)]
    return [rng.choices(words, weights, k=rng.randint(5, 25)) for _ in range(400)]


def _write(path, sentences):
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(" ".join(s) for s in sentences) + "\n")


def _train_args(source, sentences, path, epochs):
    words = sum(len(s) for s in sentences)
    if source == "file":
        return dict(corpus_file=path, total_words=words, epochs=epochs)
    return dict(corpus_iterable=sentences, total_words=words, epochs=epochs)


def _check(model, source, short, short_path, grace):
    """The child's checks after an interrupt: a dict of booleans, worst case first."""
    import numpy as np

    result = {"leftover": False, "blocked": False, "writing": False, "usable": False}
    others = [t for t in threading.enumerate() if t is not threading.main_thread()]
    if others:
        result["leftover"] = True
        deadline = time.monotonic() + grace
        while any(t.is_alive() for t in others) and time.monotonic() < deadline:
            time.sleep(0.01)
        result["blocked"] = any(t.is_alive() for t in others)
        if result["blocked"]:
            return result
    snapshot = model.wv.vectors.copy()
    time.sleep(0.002)
    result["writing"] = not np.array_equal(snapshot, model.wv.vectors)
    try:
        finite = all(np.isfinite(m).all() for m in (model.wv.vectors, model.syn1neg) if m is not None)
        model.train(**_train_args(source, short, short_path, 1))
        similar = model.wv.most_similar("w1", topn=5)
        result["usable"] = bool(finite and len(similar) == 5 and all(np.isfinite(s) for _, s in similar)
                                and np.isfinite(model.wv.vectors).all())
    except Exception as exc:  # reported, not raised: the parent counts unusable models
        result["error"] = f"{type(exc).__name__}: {exc}"
    return result


def _where(exc):
    """file:function the interrupt was raised in: the innermost frame, not counting the SIGINT guard's own
    handler. threads.py:arm means a SIGINT held while the threads started, raised once all were registered;
    threads.py:run_threads one held during the shutdown, raised once all had ended."""
    frames = []
    tb = exc.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame.f_code)
        tb = tb.tb_next
    while len(frames) > 1 and frames[-1].co_name == "_handle":
        frames.pop()
    return f"{os.path.basename(frames[-1].co_filename)}:{frames[-1].co_name}"


def child(n, seed, workdir, grace):
    from w2vfast import Word2Vec

    # A child started from a background job may inherit SIGINT as ignored: make it raise KeyboardInterrupt.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    sentences = _corpus(seed)
    short = sentences[:40]
    path, short_path = os.path.join(workdir, "corpus.txt"), os.path.join(workdir, "short.txt")
    _write(path, sentences)
    _write(short_path, short)
    models = {}
    for source, workers, sg in CONFIGS:
        model = Word2Vec(vector_size=16, min_count=1, workers=workers, sg=sg, batch_words=300, seed=seed)
        if source == "file":
            model.build_vocab(corpus_file=path)
        else:
            model.build_vocab(sentences)
        models[source, workers, sg] = model
    rng = random.Random(seed)
    for i in range(n):
        config = rng.choice(CONFIGS)
        model = models[config]
        source = config[0]
        where = None
        try:
            print(f"go {i}", flush=True)
            model.train(**_train_args(source, sentences, path, 10**6))   # never ends on its own
            outcome = "finished"
        except KeyboardInterrupt as exc:
            outcome = "interrupted"
            where = _where(exc)
        result = {"i": i, "config": list(config), "outcome": outcome, "where": where}
        result.update(_check(model, source, short, short_path, grace))
        print("result " + json.dumps(result), flush=True)
        if result["blocked"]:
            return


# ----------------------------------------------------------------------------------------------- parent
def _reader(stream, lines):
    for line in stream:
        lines.put(line.rstrip("\n"))
    lines.put(None)


def _expect(lines, prefix, timeout):
    try:
        line = lines.get(timeout=timeout)
    except queue.Empty:
        return None
    if line is None:
        raise RuntimeError("the child process exited early (see its stderr above)")
    if not line.startswith(prefix):
        raise RuntimeError(f"child said {line!r}, expected {prefix!r}")
    return line[len(prefix):]


def run(n, seed=0, max_delay=0.03, grace=5.0, env=None):
    """Send n SIGINTs to one training child; returns the summary dict."""
    import tempfile

    import w2vfast

    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(w2vfast.__file__)))
    env = dict(os.environ if env is None else env)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_parent, env.get("PYTHONPATH")) if p)
    rng = random.Random(seed + 1)
    results, timeouts = [], 0
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as workdir:
        proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--child", "--n", str(n),
                                 "--seed", str(seed), "--workdir", workdir, "--grace", str(grace)],
                                stdout=subprocess.PIPE, text=True, env=env)
        lines = queue.Queue()
        threading.Thread(target=_reader, args=(proc.stdout, lines), daemon=True).start()
        try:
            for i in range(n):
                if _expect(lines, "go ", 120) is None:      # model building and the previous checks
                    timeouts += 1
                    break
                time.sleep(rng.uniform(0, max_delay))
                os.kill(proc.pid, signal.SIGINT)
                reply = _expect(lines, "result ", 10 + grace)
                if reply is None:                             # train() never returned: blocked for good
                    timeouts += 1
                    break
                results.append(json.loads(reply))
                if results[-1]["blocked"]:
                    break
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
    elapsed = time.perf_counter() - t0
    return {
        "interrupts_sent": len(results) + timeouts,
        "interrupted": sum(r["outcome"] == "interrupted" for r in results),
        "leftover": sum(r["leftover"] for r in results),
        "blocked": sum(r["blocked"] for r in results) + timeouts,
        "writing": sum(r["writing"] for r in results),
        "usable": sum(r["usable"] for r in results),
        "errors": sorted({r["error"] for r in results if "error" in r}),
        "where": dict(Counter(r["where"] for r in results).most_common()),
        "configs": len({tuple(r["config"]) for r in results}),
        "seconds": round(elapsed, 2),
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1000, help="SIGINTs to send")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-delay", type=float, default=0.03, help="seconds: SIGINT comes 0..this after 'go'")
    ap.add_argument("--grace", type=float, default=5.0,
                    help="seconds a thread left after train() raised gets before it counts as blocked")
    ap.add_argument("--json", action="store_true", help="print the summary as one JSON line")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--workdir", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(args.n, args.seed, args.workdir, args.grace)
        return 0
    summary = run(args.n, args.seed, args.max_delay, args.grace)
    if args.json:
        print(json.dumps(summary))
    else:
        for key, value in summary.items():
            print(f"{key:>16}: {value}")
    ok = (summary["interrupted"] == summary["interrupts_sent"] == summary["usable"] == args.n
          and summary["leftover"] == summary["blocked"] == summary["writing"] == 0)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
