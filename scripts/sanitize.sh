#!/usr/bin/env bash
# Build the C/Cython extensions with AddressSanitizer and UndefinedBehaviorSanitizer in a separate build
# folder and run the test suite (fuzz replay included) against that build.
#
#   scripts/sanitize.sh [pytest arguments...]      e.g. scripts/sanitize.sh -x tests/test_io.py
#   W2VFAST_SANITIZE_FUZZ=2000 scripts/sanitize.sh  also runs bench/fuzz.py (mutation engine) for that
#                                                   many inputs per target on the sanitized build
#
# Needs gcc (or clang) with its sanitizer runtimes, Cython, and the test dependencies in the current
# Python (pip install cython -e ".[test]"). The build goes to $W2VFAST_SANITIZE_DIR (default: a fresh temporary folder)
# and leaves the normal in-place build alone. Exits non-zero when a test fails or a sanitizer reports
# anything. Leak detection is off: CPython keeps objects alive until exit by design.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
CC="${CC:-gcc}"
BUILD="${W2VFAST_SANITIZE_DIR:-$(mktemp -d -t w2vfast-sanitize-XXXXXX)}"
LOGS="$BUILD/sanitizer-logs"
start=$(date +%s)

# the sources as they are in the work tree (committed or not), without build outputs
mkdir -p "$BUILD/src"
( cd "$ROOT" && git ls-files -co --exclude-standard -z ) | ( cd "$ROOT" && xargs -0 cp --parents -t "$BUILD/src" )
cd "$BUILD/src"
rm -f w2vfast/*.so w2vfast/_*.c

"$PYTHON" -c "import Cython, numpy, pytest" 2>/dev/null || {
    echo "needs Cython, numpy and pytest in $PYTHON (pip install cython -e '.[test]')"; exit 2; }
echo "building sanitized extensions in $BUILD/src"
SAN="-fsanitize=address,undefined -fno-omit-frame-pointer"
CC="$CC" CFLAGS="$SAN -g" LDFLAGS="$SAN" "$PYTHON" setup.py -q build_ext --inplace >"$BUILD/build.log" 2>&1 || {
    tail -40 "$BUILD/build.log"; echo "sanitized build failed (log: $BUILD/build.log)"; exit 2; }
for so in w2vfast/*.so; do
    # (not `ldd | grep -q`: grep quitting early can kill ldd with SIGPIPE, which pipefail reports as a miss)
    case "$(ldd "$so")" in *libasan*) ;; *) echo "$so is not linked with libasan"; exit 2 ;; esac
done

ASAN_LIB="$("$CC" -print-file-name=libasan.so)"
[ -e "$ASAN_LIB" ] || { echo "no libasan.so for $CC"; exit 2; }
mkdir -p "$LOGS"
rm -f "$LOGS"/*

# PYTHONMALLOC=malloc: pymalloc's arena checks read memory ASan does not own and would report falsely.
# allocator_may_return_null: tests ask for impossible sizes on purpose and expect a MemoryError.
export PYTHONPATH="$BUILD/src${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONMALLOC=malloc
export ASAN_OPTIONS="detect_leaks=0:allocator_may_return_null=1:abort_on_error=1:log_path=$LOGS/asan"
# UBSan goes on after a report, so one run lists them all; ASan errors end the process (abort_on_error)
export UBSAN_OPTIONS="print_stacktrace=1:log_path=$LOGS/ubsan"

where="$(LD_PRELOAD="$ASAN_LIB" "$PYTHON" -c 'import w2vfast._fastio as m; print(m.__file__)')"
case "$where" in
    "$BUILD/src/"*) ;;
    *) echo "the tests would import $where, not the sanitized build"; exit 2 ;;
esac

set +e
LD_PRELOAD="$ASAN_LIB" "$PYTHON" -m pytest -q -p no:cacheprovider "${@:-tests}"
status=$?
if [ -n "${W2VFAST_SANITIZE_FUZZ:-}" ]; then
    # raw exceptions from the model loader are reported by fuzz.py but only sanitizer reports fail here
    LD_PRELOAD="$ASAN_LIB" "$PYTHON" bench/fuzz.py --engine mutate --target all --runs "$W2VFAST_SANITIZE_FUZZ" \
        --batch "$W2VFAST_SANITIZE_FUZZ" --seed "$(date +%s)"
    fuzz_status=$?
    if ls fuzz/crashes/*-crash-* >/dev/null 2>&1; then
        echo "fuzzing crashed on the sanitized build: see $BUILD/src/fuzz/crashes"; status=1
    fi
    echo "fuzz.py exit $fuzz_status"
fi
set -e

reports=$(find "$LOGS" -type f | wc -l)
if [ "$reports" -gt 0 ]; then
    echo "== $reports sanitizer report(s):"
    for f in "$LOGS"/*; do echo "--- $f"; head -60 "$f"; done
fi
echo "sanitize.sh: pytest exit $status, $reports sanitizer report(s), $(( $(date +%s) - start )) s"
if [ "$reports" -gt 0 ]; then exit 1; fi
exit "$status"
