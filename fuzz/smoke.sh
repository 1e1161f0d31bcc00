#!/usr/bin/env bash
# Short fuzz smoke run for CI: builds every recal-feed fuzz target and runs each for
# FUZZ_SECONDS (default 10) seconds on the seed corpus (seed.sh). Works from any directory.
#
# cargo-fuzz needs nightly compiler flags (-Zsanitizer); on a stable toolchain they are
# unlocked with RUSTC_BOOTSTRAP=1. The build goes to CARGO_TARGET_DIR if set, else
# fuzz/target. A finding fails the script (libFuzzer exits non-zero and leaves the input in
# fuzz/artifacts/<target>/).
set -euo pipefail

fuzz_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
seconds="${FUZZ_SECONDS:-10}"
targets=(deribit binance pyth recal_schema)
export RUSTC_BOOTSTRAP=1
export PATH="$HOME/.cargo/bin:$PATH"

if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

"$fuzz_dir/seed.sh"
cd "$fuzz_dir/.."
# `-a`: debug assertions and overflow checks, so arithmetic overflow is a finding too.
cargo fuzz build --fuzz-dir "$fuzz_dir" -a
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
for target in "${targets[@]}"; do
    echo "fuzz smoke: $target for ${seconds}s"
    if ! cargo fuzz run --fuzz-dir "$fuzz_dir" -a "$target" "$fuzz_dir/corpus/$target" -- \
        -max_total_time="$seconds" -print_final_stats=1 >"$log" 2>&1; then
        tail -n 60 "$log" >&2
        echo "fuzz smoke: $target found a failure; the input is in $fuzz_dir/artifacts/$target/" >&2
        exit 1
    fi
    grep -E '^(Done|stat::number_of_executed_units)' "$log" || true
done
echo "fuzz smoke: all ${#targets[@]} targets ran ${seconds}s each without a finding"
