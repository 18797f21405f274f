#!/usr/bin/env bash
# The benchmarks' reference records: `xunren gen` (deterministic: seed 20200816) with RECORDS
# reference records, its three reference sources concatenated into WORKDIR/reference_all.csv with
# a 来源 column (the roster and truth stay in WORKDIR/gen). Does nothing when the file is there.
#
#   ./scripts/gen-reference.sh RECORDS WORKDIR
set -euo pipefail
cd "$(dirname "$0")/.."
records=$1
work=$2
mkdir -p "$work"
cargo build --quiet --release -p xunren
xunren=${CARGO_TARGET_DIR:-$PWD/target}/release/xunren
if [ ! -f "$work/reference_all.csv" ]; then
    "$xunren" gen --out "$work/gen" --reference "$records" >/dev/null
    {
        head -n 1 "$work/gen/reference_旧改档案.csv"
        for f in "$work"/gen/reference_*.csv; do tail -n +2 "$f"; done
    } >"$work/reference_all.csv"
fi
