#!/usr/bin/env bash
# Fuzzing (cargo-fuzz, libFuzzer): builds every target of fuzz/ once, then
# runs each for a bounded time from its committed seed corpus.
#
#   bash scripts/fuzz.sh [TARGET...]      (default: every target)
#
# Each target asserts no panic, round trips where they apply, and a bound on
# the live heap (a counting global allocator in fuzz/src/lib.rs aborts past
# the bound the target states). Here libFuzzer also bounds the process:
# -rss_limit_mb=2048, and -malloc_limit_mb (one malloc, C code included) per
# target below. Inputs are at most FUZZ_MAX_LEN bytes.
#
# The corpus is copied to target/fuzz/corpus/<target> (new inputs found
# during the run stay there, so the repository is not dirtied); crashes
# go to target/fuzz/artifacts/<target>. On a crash the script fails and
# prints the reproducer, with the command that replays it.
#
# Environment:
#   FUZZ_SECONDS   seconds per target (default 30)
#   FUZZ_MAX_LEN   largest input in bytes (default 65536)
#   FUZZ_JOBS      CARGO_BUILD_JOBS for the build (default: unset, cargo's default)
#   FUZZ_TOOLCHAIN rustup toolchain (default: nightly when installed, else stable)
#   FUZZ_SANITIZER cargo-fuzz sanitizer (default: address on nightly, none on
#                  stable: AddressSanitizer needs nightly; without it the
#                  targets still run with coverage guidance, debug assertions,
#                  overflow checks and the heap bound)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

CARGO_FUZZ_VERSION=0.13.2
SECONDS_PER_TARGET="${FUZZ_SECONDS:-30}"
MAX_LEN="${FUZZ_MAX_LEN:-65536}"
if [ -n "${FUZZ_TOOLCHAIN:-}" ]; then
    TOOLCHAIN="$FUZZ_TOOLCHAIN"
elif rustup run nightly rustc --version >/dev/null 2>&1; then
    TOOLCHAIN=nightly
else
    TOOLCHAIN=stable
fi
if [ -n "${FUZZ_SANITIZER:-}" ]; then
    SANITIZER="$FUZZ_SANITIZER"
elif [ "$TOOLCHAIN" = nightly ]; then
    SANITIZER=address
else
    SANITIZER=none
fi
if [ -n "${FUZZ_JOBS:-}" ]; then
    export CARGO_BUILD_JOBS="$FUZZ_JOBS"
fi

# Per target: -malloc_limit_mb (the largest single malloc allowed). The
# targets' own live-heap bounds (fuzz/src/lib.rs) are 64 MiB, 256 MiB for zip.
declare -A MALLOC_MB=(
    [metadata_v3]=128
    [metadata_v2]=128
    [json]=128
    [shard]=128
    [codec]=128
    [npy]=512
    [zip]=512
    [selection]=128
    [query]=128
)

START=$SECONDS
echo "=== [0s] cargo-fuzz $CARGO_FUZZ_VERSION ==="
if ! cargo fuzz --version 2>/dev/null | grep -qF "$CARGO_FUZZ_VERSION"; then
    cargo install cargo-fuzz --locked --version "$CARGO_FUZZ_VERSION"
fi
cargo fuzz --version
rustup run "$TOOLCHAIN" rustc --version
echo "sanitizer: $SANITIZER"

cd "$ROOT/fuzz"
if [ "$#" -gt 0 ]; then
    TARGETS=("$@")
else
    mapfile -t TARGETS < <(cargo "+$TOOLCHAIN" fuzz list)
fi

echo "=== [$((SECONDS - START))s] build (release, debug assertions, sanitizer $SANITIZER) ==="
# cargo-fuzz's default: optimized, with debug assertions and overflow checks.
cargo "+$TOOLCHAIN" fuzz build -s "$SANITIZER"

WORK="$ROOT/target/fuzz"
FAILED=()
for t in "${TARGETS[@]}"; do
    echo "=== [$((SECONDS - START))s] run $t for ${SECONDS_PER_TARGET}s ==="
    corpus="$WORK/corpus/$t"
    artifacts="$WORK/artifacts/$t"
    rm -rf "$corpus" "$artifacts"
    mkdir -p "$corpus" "$artifacts"
    if [ -d "$ROOT/fuzz/corpus/$t" ]; then
        cp -R "$ROOT/fuzz/corpus/$t/." "$corpus/"
    fi
    malloc="${MALLOC_MB[$t]:-128}"
    if cargo "+$TOOLCHAIN" fuzz run -s "$SANITIZER" "$t" "$corpus" -- \
        -max_total_time="$SECONDS_PER_TARGET" \
        -max_len="$MAX_LEN" \
        -rss_limit_mb=2048 \
        -malloc_limit_mb="$malloc" \
        -timeout=10 \
        -print_final_stats=1 \
        -artifact_prefix="$artifacts/" \
        >"$WORK/$t.log" 2>&1; then
        grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|Done )' "$WORK/$t.log" || true
    else
        tail -n 60 "$WORK/$t.log"
        for a in "$artifacts"/*; do
            [ -e "$a" ] || continue
            echo "REPRODUCER ($t): $a"
            echo "  replay: (cd fuzz && cargo +$TOOLCHAIN fuzz run -s $SANITIZER $t $a)"
        done
        FAILED+=("$t")
    fi
done

echo "=== [$((SECONDS - START))s] done ==="
if [ "${#FAILED[@]}" -gt 0 ]; then
    echo "fuzz targets that crashed: ${FAILED[*]} (logs in $WORK)"
    echo "$((${#TARGETS[@]} - ${#FAILED[@]})) passed, ${#FAILED[@]} failed"
    exit 1
fi
echo "${#TARGETS[@]} passed, 0 failed"
