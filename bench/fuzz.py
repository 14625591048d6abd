"""Long fuzzing runs of w2vfast's file readers (the targets are described in fuzz/fuzz_targets.py).

    python bench/fuzz.py --target {text,binary,model,corpus,all} --runs N --timeout 10 [--engine E]
    python bench/fuzz.py --make-seeds          # (re)write fuzz/corpus/<target>/seed-*.bin
    python bench/fuzz.py --target all --runs 20000 --keep   # also add new small findings to fuzz/corpus
    python bench/fuzz.py --target text --replay FILE...     # one run of each input: outcome, time, memory

Engines: "atheris" (libFuzzer's coverage-guided mutations over the instrumented w2vfast Python code; the
default when atheris is installed) or "mutate" (fuzz/fuzz_mutator.py, guided only by which outcomes are
new). Inputs run in batches in a child process, so a crash only ends its batch: the parent records the
input that was running (fuzz/crashes/<target>-<kind>-<sha1>.bin) and starts the next batch.

Inside the child each input runs in-process with
- a watchdog (faulthandler): an input running longer than --timeout seconds ends the child with a
  traceback, and the parent records it as a hang;
- an allocation check, per file a target reads: while the reader under test reads the input, its peak
  traced allocation (tracemalloc, which sees Python objects, NumPy arrays and the zlib and xz decoders)
  must stay under 10x the input's size plus the bytes of the arrays it built plus a fixed 2 MiB for the
  interpreter's own noise, plus the state the input's compression format makes its decoder allocate
  whatever the data (decoder_state: for xz the dictionary the stream declares, 8 MiB at xz's default
  preset, which w2vfast caps at 80 MiB, plus 128 KiB; for bzip2 the block array of 3,600,000 bytes at
  block size 9 plus 64 KiB of tables, which Python 3.11's bz2 module allocates untraced, so only the RSS
  check sees it). The vector targets' round trip, which writes what loaded and reads it back, is checked
  the same way against the file it wrote. A rise of the process's peak RSS (which also sees C
  allocations) gets 16 MiB more, for allocator arenas. Inputs over it are counted as "memory" and kept.

The report gives per target: inputs, accepted, rejected with FormatError, crashes, hangs, memory, oracle
mismatches and every other exception type, with one sample message per distinct finding.
"""
import argparse
import collections
import faulthandler
import hashlib
import json
import logging
import mmap
import os
import random
import resource
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import tracemalloc

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FUZZ_DIR = os.path.join(ROOT, "fuzz")
CORPUS_DIR = os.path.join(FUZZ_DIR, "corpus")
CRASH_DIR = os.path.join(FUZZ_DIR, "crashes")
WORK_DIR = os.path.join(FUZZ_DIR, "work")          # findings of past runs (not committed)
sys.path.insert(0, FUZZ_DIR)

TARGETS = ("text", "binary", "model", "corpus")
SLACK = 2 << 20
RSS_SLACK = 16 << 20        # the peak RSS also moves with allocator arenas and pages first touched
XZ_OVERHEAD = 128 << 10      # liblzma's decoder beside its dictionary (64 KiB measured)
BZ2_BLOCK_UNIT = 400000     # bzip2's decoder: 4 bytes per byte of a block, in units of 100,000 bytes
BZ2_OVERHEAD = 64 << 10      # bzip2's decoder tables (DState)
STATE_IDLE, STATE_RUNNING = 0, 1
_HEAD = struct.Struct("<qq")                        # state, length of the current input
KEEP_MAX_BYTES = 4096
KEEP_PER_TARGET = 40        # found-* inputs kept per target


# ----------------------------------------------------------------------------------- decoders' own state

def _varint(data, p):
    """(value, next position) of the xz format's multibyte integer at data[p], or (None, p)."""
    value = 0
    for i in range(9):
        if p + i >= len(data):
            return None, p
        value |= (data[p + i] & 0x7F) << (7 * i)
        if not data[p + i] & 0x80:
            return value, p + i + 1
    return None, p


def _xz_dictionary(data, off):
    """The LZMA2 dictionary size declared by the first block header of the xz stream at data[off], or 0."""
    p = off + 12
    if p + 2 > len(data) or data[p] == 0:
        return 0
    end = p + (data[p] + 1) * 4
    flags = data[p + 1]
    p += 2
    for bit in (0x40, 0x80):                     # compressed and uncompressed size, when present
        if flags & bit:
            _, p = _varint(data, p)
    for _ in range((flags & 3) + 1):
        fid, p = _varint(data, p)
        psize, p = _varint(data, p) if fid is not None else (None, p)
        if psize is None or p + psize > min(end, len(data)):
            return 0
        if fid == 0x21 and psize == 1:
            bits = data[p] & 0x3F
            return 0xFFFFFFFF if bits >= 40 else (2 | (bits & 1)) << (bits // 2 + 11)
        p += psize
    return 0


def decoder_state(data):
    """Bytes the decoder of compressed `data` allocates whatever the data decodes to, as the format
    mandates: for xz, the largest dictionary a stream in it declares (w2vfast refuses more than
    XZ_MEMLIMIT) plus liblzma's own state; for bzip2, the block array its header's block size digit
    sets (3,600,000 bytes at BZh9) plus the decoder's tables. gzip's 32 KiB window fits the SLACK."""
    from w2vfast._decompress import MAGIC, XZ_MEMLIMIT, format_of

    kind = format_of(data)
    if kind == "xz":
        xz_magic = dict((name, magic) for magic, name in MAGIC)["xz"]
        dicts, off = [], 0
        while off >= 0:
            dicts.append(_xz_dictionary(data, off))
            off = data.find(xz_magic, off + 1)
        # liblzma checks the memory limit before it allocates: a refused dictionary costs nothing
        return max(d if d < XZ_MEMLIMIT else 0 for d in dicts) + XZ_OVERHEAD
    if kind == "bz2":
        return 9 * BZ2_BLOCK_UNIT + BZ2_OVERHEAD    # a later stream of the file may declare BZh9
    return 0


# ------------------------------------------------------------------------------------------------ child

class _Child:
    """Runs inputs one by one and keeps the counts; the current input sits in a shared file so the parent
    can name it if this process dies."""

    def __init__(self, target, stats_path, shared_path, timeout, max_len, targets_module):
        self.t = targets_module
        self.target = target
        self.stats_path = stats_path
        self.timeout = timeout
        self.counts = collections.Counter()
        self.samples = {}                           # signature -> (count, size, message)
        self.scratch = self.t.scratch_dir()
        self.find_dir = os.path.join(WORK_DIR, target)
        os.makedirs(self.find_dir, exist_ok=True)
        fd = os.open(shared_path, os.O_RDWR)
        self.shared = mmap.mmap(fd, _HEAD.size + max_len)
        os.close(fd)
        self.max_len = max_len
        self.seen = set()
        tracemalloc.start()
        self.before = 0
        self.over = None
        self.t.phase = self.phase

    def execute(self, data):
        data = bytes(data[: self.max_len])
        _HEAD.pack_into(self.shared, 0, STATE_RUNNING, len(data))
        self.shared[_HEAD.size:_HEAD.size + len(data)] = data
        faulthandler.dump_traceback_later(self.timeout, exit=True)
        self.before = tracemalloc.get_traced_memory()[0]
        self._start_phase()
        self.over = None
        outcome, exc, built = self.t.run_one(self.target, data, self.scratch)
        self.phase("end", len(data), built, data)
        faulthandler.cancel_dump_traceback_later()
        _HEAD.pack_into(self.shared, 0, STATE_IDLE, 0)
        self.counts["inputs"] += 1
        self.counts[outcome] += 1
        sig = self.t.signature(outcome, exc)
        self.last_sig, self.last_over = sig, self.over
        if self.over is not None:
            self.counts["memory"] += 1
            self._note(f"memory|{self.target}|{self.over} ({outcome})", data)
        new = sig not in self.seen
        if new:
            self.seen.add(sig)
        if outcome != "ok":
            self._note(sig, data)
        if self.counts["inputs"] % 500 == 0:
            self.write_stats()
        return new

    def _start_phase(self):
        tracemalloc.reset_peak()
        self.rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    def phase(self, what, size, arrays, raw=None):
        """The allocation check for one part of a target (fuzz_targets calls it after each file it reads,
        the harness once more at the end): the traced peak since the input started, less what was traced
        before it, must stay under 10x the bytes read plus the arrays held plus SLACK plus what the
        decoder of compressed `raw` bytes needs (decoder_state); the peak RSS rise of the part gets
        RSS_SLACK more."""
        peak = tracemalloc.get_traced_memory()[1] - self.before
        rss_rise = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - self.rss_before
        limit = 10 * size + arrays + SLACK + (decoder_state(raw) if raw is not None else 0)
        if (peak > limit or rss_rise > limit + RSS_SLACK) and self.over is None:
            self.over = f"{what}: peak {peak >> 10} KiB, rss rise {rss_rise >> 10} KiB, allowed {limit >> 10} KiB"
        self._start_phase()

    def _note(self, sig, data):
        count, size, _ = self.samples.get(sig, (0, None, None))
        if size is None or len(data) < size:
            name = hashlib.sha1(sig.encode("utf-8", "surrogateescape")).hexdigest()[:16]
            with open(os.path.join(self.find_dir, f"sig-{name}.bin"), "wb") as fh:
                fh.write(data)
            size = len(data)
        self.samples[sig] = (count + 1, size, sig)

    def write_stats(self):
        tmp = self.stats_path + ".part"
        with open(tmp, "w") as fh:
            json.dump({"counts": self.counts, "samples": list(self.samples.values())}, fh)
        os.replace(tmp, self.stats_path)

    def close(self):
        self.write_stats()
        shutil.rmtree(self.scratch, ignore_errors=True)


def _load_inputs(target):
    paths = []
    for folder in (os.path.join(CORPUS_DIR, target), os.path.join(WORK_DIR, target)):
        if os.path.isdir(folder):
            paths += sorted(os.path.join(folder, n) for n in os.listdir(folder) if n.endswith(".bin"))
    out = []
    for p in paths:
        with open(p, "rb") as fh:
            out.append(fh.read())
    return out


def replay(args):
    """Run the given input files once each through the target and its checks, printing for each its
    outcome, its time and any allocation finding (for looking at what a campaign found)."""
    logging.getLogger("w2vfast").setLevel(logging.ERROR)
    import fuzz_targets

    work = tempfile.mkdtemp(prefix="w2vfast-fuzz-replay-")
    shared = os.path.join(work, "current")
    with open(shared, "wb") as fh:
        fh.truncate(_HEAD.size + args.max_len)
    child = _Child(args.target, os.path.join(work, "stats.json"), shared, args.timeout, args.max_len,
                   fuzz_targets)
    child.find_dir = work                       # replays add nothing to fuzz/work
    failed = False
    try:
        for path in args.replay:
            with open(path, "rb") as fh:
                data = fh.read()
            start = time.perf_counter()
            child.execute(data)
            seconds = time.perf_counter() - start
            failed |= child.last_over is not None
            print(f"{path}: {len(data)} B, {seconds:.3f} s, {child.last_sig}"
                  + (f"; MEMORY {child.last_over}" if child.last_over else ""), flush=True)
    finally:
        child.close()
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


def child_main(args):
    faulthandler.enable()                       # a crash prints the Python stack into the batch's log
    logging.getLogger("w2vfast").setLevel(logging.ERROR)   # duplicate-word warnings would flood the log
    if args.engine == "atheris":
        import atheris

        with atheris.instrument_imports(include=["w2vfast", "fuzz_targets"]):
            import fuzz_targets
    else:
        import fuzz_targets
    child = _Child(args.target, args.stats, args.shared, args.timeout, args.max_len, fuzz_targets)
    inputs = _load_inputs(args.target)
    if args.engine == "atheris":
        import atheris

        def one(data):
            child.execute(data)
            if child.counts["inputs"] >= args.runs:
                child.close()
                os._exit(0)

        # libFuzzer adds inputs that reach new code to the first folder; it outlives the batch
        cov_dir = os.path.join(WORK_DIR, f"{args.target}-coverage")
        seed_dir = os.path.join(os.path.dirname(args.shared), f"{args.target}-seeds")
        shutil.rmtree(seed_dir, ignore_errors=True)
        os.makedirs(cov_dir, exist_ok=True)
        os.makedirs(seed_dir)
        for i, data in enumerate(inputs):
            with open(os.path.join(seed_dir, f"{i:05d}"), "wb") as fh:
                fh.write(data)
        # libFuzzer's own timeout only backs up the watchdog (its -timeout=0 still fires after 1 s); its
        # artifacts go to the run's scratch folder, since the parent records the input itself
        atheris.Setup([sys.argv[0], f"-max_len={args.max_len}", f"-seed={args.seed % (1 << 31) + 1}",
                       "-runs=-1", f"-timeout={int(args.timeout) + 10}", "-rss_limit_mb=4096",
                       f"-artifact_prefix={os.path.dirname(args.shared)}/", cov_dir, seed_dir], one)
        atheris.Fuzz()
        return 0
    from fuzz_mutator import Mutator

    rng = random.Random(args.seed)
    mutator = Mutator(seed=args.seed, max_len=args.max_len, seeds=inputs)
    pool = list(inputs)
    done = 0
    for data in inputs[: args.runs]:      # replay what is known first
        child.execute(data)
        done += 1
    while done < args.runs:
        data = mutator.mutate(rng.choice(pool))
        if child.execute(data) and len(pool) < 5000:
            pool.append(data)             # a new outcome: explore around it
        done += 1
    child.close()
    return 0


# ----------------------------------------------------------------------------------------------- parent

def _run_batch(target, runs, seed, args, work):
    stats = os.path.join(work, f"{target}-stats.json")
    shared = os.path.join(work, f"{target}-current")
    log = os.path.join(work, f"{target}-child.log")
    with open(shared, "wb") as fh:
        fh.truncate(_HEAD.size + args.max_len)
    if os.path.exists(stats):
        os.unlink(stats)
    cmd = [sys.executable, os.path.abspath(__file__), "--child", "--target", target, "--runs", str(runs),
           "--seed", str(seed), "--timeout", str(args.timeout), "--max-len", str(args.max_len),
           "--engine", args.engine, "--stats", stats, "--shared", shared]
    with open(log, "wb") as out:
        rc = subprocess.call(cmd, stdout=out, stderr=subprocess.STDOUT)
    result = {"counts": {}, "samples": []}
    if os.path.exists(stats):
        with open(stats) as fh:
            result = json.load(fh)
    with open(shared, "rb") as fh:
        state, length = _HEAD.unpack(fh.read(_HEAD.size))
        data = fh.read(length)
    death = None
    if rc != 0 or state == STATE_RUNNING:
        with open(log, "rb") as fh:
            tail = fh.read()[-4000:].decode("utf-8", "replace")
        if rc < 0:
            kind = "crash"
        elif "Timeout (" in tail:
            kind = "hang"
        else:
            kind = f"died-rc{rc}"
        death = (kind, data if state == STATE_RUNNING else None, tail)
    return result, death


def campaign(target, args, work):
    totals = collections.Counter()
    samples = {}
    deaths = []
    done, batch = 0, 0
    start = time.perf_counter()
    while done < args.runs:
        n = min(args.batch, args.runs - done)
        result, death = _run_batch(target, n, args.seed * 7919 + batch, args, work)
        batch += 1
        counts = collections.Counter(result["counts"])
        totals.update(counts)
        for count, size, sig in result["samples"]:
            c, s, _ = samples.get(sig, (0, size, sig))
            samples[sig] = (c + count, min(s, size), sig)
        ran = counts["inputs"]
        if death is not None:
            kind, data, tail = death
            totals["crashes" if kind == "crash" else "hangs" if kind == "hang" else "deaths"] += 1
            where = None
            if data is not None:
                os.makedirs(CRASH_DIR, exist_ok=True)
                where = os.path.join(CRASH_DIR, f"{target}-{kind}-{hashlib.sha1(data).hexdigest()[:12]}.bin")
                with open(where, "wb") as fh:
                    fh.write(data)
            deaths.append((kind, where, tail.strip().splitlines()[-3:]))
            ran += 1
            totals["inputs"] += 1
        if ran == 0:
            print(f"{target}: a batch ran no input; giving up (see {work})", file=sys.stderr)
            break
        done += ran
        rate = done / (time.perf_counter() - start)
        print(f"  {target}: {done}/{args.runs} inputs, {rate:.0f}/s", file=sys.stderr, flush=True)
    return totals, samples, deaths, time.perf_counter() - start


def report(target, totals, samples, deaths, seconds):
    others = {k: v for k, v in totals.items() if k.startswith("other:")}
    print(f"\n== {target}: {totals['inputs']} inputs in {seconds:.0f} s ({totals['inputs'] / max(seconds, 1e-9):.0f}/s)")
    print(f"   accepted {totals['ok']}, rejected with FormatError {totals['format']}, crashes {totals['crashes']}, "
          f"hangs {totals['hangs']}, other deaths {totals['deaths']}, memory {totals['memory']}, "
          f"mismatches {totals['mismatch']}")
    print("   other exception types: " + (", ".join(f"{k[6:]} {v}" for k, v in sorted(others.items())) or "none"))
    findings = sorted((s for s in samples.values() if not s[2].startswith("format|")), key=lambda s: -s[0])
    memory = [s for s in findings if s[2].startswith("memory|")]
    for count, size, sig in [s for s in findings if s not in memory][:25] + memory[:10]:
        print(f"   {count:7d} x (smallest {size} B) {sig}")
    for kind, where, tail in deaths:
        print(f"   {kind}: input {where}; last output: {' / '.join(tail)}")


def keep_findings(target):
    """Add to fuzz/corpus/<target>/ the smallest input (<= 4 KB) of each distinct outcome found in
    fuzz/work/<target>/ that the kept corpus does not show yet, findings before rejections, at most 40."""
    import fuzz_targets

    src = os.path.join(WORK_DIR, target)
    dst = os.path.join(CORPUS_DIR, target)
    if not os.path.isdir(src):
        return 0
    os.makedirs(dst, exist_ok=True)
    scratch = fuzz_targets.scratch_dir()
    try:
        def sig_of(data):
            outcome, exc, _ = fuzz_targets.run_one(target, data, scratch)
            return fuzz_targets.signature(outcome, exc)

        kept = [open(os.path.join(dst, n), "rb").read() for n in sorted(os.listdir(dst))]
        have = {sig_of(d) for d in kept}
        best = {}
        for name in os.listdir(src):
            with open(os.path.join(src, name), "rb") as fh:
                data = fh.read()
            if len(data) > KEEP_MAX_BYTES:
                continue
            sig = sig_of(data)
            if sig not in have and (sig not in best or len(data) < len(best[sig])):
                best[sig] = data
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    room = max(0, KEEP_PER_TARGET - sum(n.startswith("found-") for n in os.listdir(dst)))
    order = sorted(best, key=lambda sig: (sig.startswith("format|"), len(best[sig])))
    for sig in order[:room]:
        data = best[sig]
        with open(os.path.join(dst, f"found-{hashlib.sha1(data).hexdigest()[:12]}.bin"), "wb") as fh:
            fh.write(data)
    return min(room, len(order))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--target", choices=TARGETS + ("all",), default="all")
    p.add_argument("--runs", type=int, default=10000, help="inputs per target")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds one input may run")
    p.add_argument("--batch", type=int, default=20000, help="inputs per child process")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-len", type=int, default=1 << 16)
    p.add_argument("--engine", choices=("auto", "atheris", "mutate"), default="auto")
    p.add_argument("--keep", action="store_true", help="add new small findings to fuzz/corpus/<target>/")
    p.add_argument("--replay", nargs="+", metavar="FILE", help="run these inputs once each and report them")
    p.add_argument("--make-seeds", action="store_true", help="write the seed inputs to fuzz/corpus and exit")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--stats", help=argparse.SUPPRESS)
    p.add_argument("--shared", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.engine == "auto":
        try:
            import atheris  # noqa: F401
            args.engine = "atheris"
        except ImportError:
            args.engine = "mutate"
    if args.child:
        return child_main(args)
    if args.replay:
        if args.target == "all":
            p.error("--replay needs one --target")
        return replay(args)
    if args.make_seeds:
        import fuzz_seeds
        print(f"wrote {fuzz_seeds.write_seeds(CORPUS_DIR)} seed files to {CORPUS_DIR}")
        return 0
    targets = TARGETS if args.target == "all" else (args.target,)
    print(f"engine {args.engine}, {args.runs} inputs per target, timeout {args.timeout} s", flush=True)
    work = tempfile.mkdtemp(prefix="w2vfast-fuzz-run-")
    failed = False
    try:
        for target in targets:
            totals, samples, deaths, seconds = campaign(target, args, work)
            report(target, totals, samples, deaths, seconds)
            failed |= any(totals[k] for k in ("crashes", "hangs", "deaths", "memory", "mismatch")) or \
                any(k.startswith("other:") for k in totals)
            if args.keep:
                print(f"   kept {keep_findings(target)} new inputs in fuzz/corpus/{target}/")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
