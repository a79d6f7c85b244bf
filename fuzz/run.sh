#!/usr/bin/env bash
# Runs every fuzz target: `fuzz/run.sh SECONDS` runs each for that long (CI: a few seconds),
# `fuzz/run.sh --runs N` for N executions each. The VM targets start from the language suite's
# programs (tests/lang) and a dictionary of Slight tokens. Leak detection is off: data that
# refers to itself (a map holding itself) is never freed, by design of reference counting.
# Needs nightly and cargo-fuzz (`cargo install cargo-fuzz --locked`). A crash leaves its input in fuzz/artifacts/TARGET/.
set -euo pipefail
cd "$(dirname "$0")/.."
export ASAN_OPTIONS=detect_leaks=0
case "${1:-20}" in
    --runs) budget=("-runs=${2:?}") ;;
    *) budget=("-max_total_time=${1:-20}") ;;
esac
seeds=fuzz/seeds
mkdir -p "$seeds"
find tests/lang -name '*.sl' -exec cp {} "$seeds/" \;
cargo +nightly fuzz build
for target in reader tokens json expander vm; do
    mkdir -p "fuzz/corpus/$target"
    extra=()
    case $target in
        reader|expander|vm) extra=("$seeds" "-dict=fuzz/slight.dict") ;;
    esac
    echo "+ fuzz $target ${budget[*]}"
    cargo +nightly fuzz run "$target" "fuzz/corpus/$target" "${extra[@]:0:1}" -- \
        "${extra[@]:1}" "${budget[@]}" -max_len=4096 -timeout=20 -rss_limit_mb=4096 -detect_leaks=0 -print_final_stats=1 2>&1 \
        | grep -E '^(Done|stat::number_of_executed_units|==[0-9]+== ERROR|SUMMARY)|panicked' || true
    if [ -n "$(ls -A "fuzz/artifacts/$target" 2>/dev/null)" ]; then
        echo "fuzz target $target found a failure: fuzz/artifacts/$target" >&2
        exit 1
    fi
done
