#!/usr/bin/env bash
# Seeds fuzz/corpus/<target>/ from the fixtures the feed's tests use
# (crates/feed/tests/common/mod.rs): one file per fixture, plus chains of book messages
# (snapshot, change, gap) as one input of `\n`-separated messages, which is how the targets
# read an input. Existing corpus files (what the fuzzer has grown) are kept.
set -euo pipefail

fuzz_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
fixtures="$fuzz_dir/../crates/feed/tests/common/mod.rs"

# Every `pub const NAME: &str = r#"…"#;` of the fixtures file, as NAME<TAB>message lines.
extract() {
    perl -0777 -ne 'while (/pub const (\w+): &str =\s*r#"(.*?)"#;/gs) { print "$1\t$2\n" }' "$fixtures"
}

target_of() {
    case "$1" in
        DERIBIT_*) echo deribit ;;
        BINANCE_*) echo binance ;;
        PYTH_*) echo pyth ;;
        RECAL_*) echo recal_schema ;;
        *) echo "" ;;
    esac
}

declare -A message
count=0
while IFS=$'\t' read -r name body; do
    target="$(target_of "$name")"
    [[ -n "$target" ]] || continue
    mkdir -p "$fuzz_dir/corpus/$target"
    printf '%s' "$body" >"$fuzz_dir/corpus/$target/seed-${name,,}"
    message[$name]="$body"
    count=$((count + 1))
done < <(extract)
if ((count < 20)); then
    echo "seed.sh: only $count fixtures found in $fixtures" >&2
    exit 1
fi

# Chains: one input, several messages, so book continuity and gaps are reachable.
chain() {
    local target="$1" file="$2"
    shift 2
    local first=1
    for name in "$@"; do
        ((first)) || printf '\n'
        printf '%s' "${message[$name]}"
        first=0
    done >"$fuzz_dir/corpus/$target/seed-$file"
}
chain deribit chain-book DERIBIT_BOOK_SNAPSHOT DERIBIT_BOOK_CHANGE DERIBIT_BOOK_GAPPED_CHANGE DERIBIT_BOOK_SNAPSHOT DERIBIT_BOOK_CHANGE
chain deribit chain-mixed DERIBIT_OPTION_TICKER DERIBIT_PERPETUAL_TICKER DERIBIT_BOOK_SNAPSHOT DERIBIT_BOOK_CHANGE DERIBIT_TRADES DERIBIT_INDEX DERIBIT_RESPONSE
chain binance chain-spot-depth BINANCE_SPOT_DEPTH BINANCE_SPOT_DEPTH_NEXT BINANCE_SPOT_DEPTH_GAPPED
chain binance chain-mixed BINANCE_SPOT_TRADE BINANCE_SPOT_BOOK_TICKER BINANCE_SPOT_DEPTH BINANCE_MARK_PRICE BINANCE_FUTURES_DEPTH BINANCE_AGG_TRADE BINANCE_RESPONSE
chain pyth chain PYTH_HERMES PYTH_PRICE_UPDATE
chain recal_schema chain RECAL_POSITION RECAL_COLLATERAL RECAL_INSURANCE_FUND RECAL_TOTAL_COLLATERAL RECAL_OPEN_INTEREST RECAL_MACRO
# recal/1 messages without a fixture in the feed's tests.
printf '%s' '{"schema":"recal/1","type":"book_snapshot","ts":1760054407000000000,"seq":3,"venue":"binance-usdm","instrument":"BTCUSDT","bids":[["121650.5","12.25"],[121600,0]],"asks":[["121700","3.5"]]}' \
    >"$fuzz_dir/corpus/recal_schema/seed-book_snapshot"
echo "seed.sh: $count fixtures seeded into $fuzz_dir/corpus/"
