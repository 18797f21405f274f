#!/usr/bin/env bash
# Benchmark of issue 2: import 1,000,000 reference records (a ~135 MB CSV) into a fresh embedded
# SQLite database, then the same file again (nothing changes), and print time and peak memory.
#
#   ./scripts/bench-import.sh [RECORDS] [WORKDIR]
#
# The data comes from `xunren gen` (deterministic: seed 20200816), its three reference sources
# concatenated into one file with a 来源 column.
set -euo pipefail
cd "$(dirname "$0")/.."
records=${1:-1000000}
work=${2:-$(mktemp -d)}
mkdir -p "$work"

./scripts/gen-reference.sh "$records" "$work"
xunren=${CARGO_TARGET_DIR:-$PWD/target}/release/xunren
echo "file: $work/reference_all.csv, $(($(wc -l <"$work/reference_all.csv") - 1)) rows, $(du -m "$work/reference_all.csv" | cut -f1) MB"

db="$work/bench.db"
rm -f "$db" "$db-wal" "$db-shm"
export XUNREN_DATABASE_URL="sqlite://$db?mode=rwc"
"$xunren" migrate up

measure() {
    local label=$1
    shift
    local log
    log=$(mktemp)
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -f "%e %M" -o "$log" "$@" | grep -v '^  第' | tail -n 3
        read -r wall rss <"$log"
        echo "$label: wall ${wall} s, peak RSS $((rss / 1024)) MiB"
    else
        local start=$SECONDS
        "$@" | tail -n 3
        echo "$label: wall $((SECONDS - start)) s (install GNU time for peak memory)"
    fi
    rm -f "$log"
}

# --no-index: the import alone (by default an import also brings the matching index up to date;
# scripts/bench-match.sh measures that).
measure "first import" "$xunren" import reference --no-index "$work/reference_all.csv"
measure "same file again" "$xunren" import reference --no-index "$work/reference_all.csv"
echo "database: $(du -m "$db" | cut -f1) MB"
