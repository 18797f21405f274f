#!/usr/bin/env bash
# FEBRL4 linkage benchmark: builds the link example in release and runs it on the three FEBRL4 files, printing
# precision, recall, F1 (threshold from docs/examples/febrl4.toml), wall time and peak memory.
# Usage: scripts/febrl4.sh [DATA_DIR]   (default: ../shared/data/febrl4 relative to the repository root)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
data="${1:-$root/../shared/data/febrl4}"
if [ ! -f "$data/a.csv" ] && [ -f /work/shared/data/febrl4/a.csv ]; then data=/work/shared/data/febrl4; fi
for f in a.csv b.csv truth.csv; do
  [ -f "$data/$f" ] || { echo "missing $data/$f" >&2; exit 1; }
done
target="${CARGO_TARGET_DIR:-$root/target}"
(cd "$root" && cargo build --release -q -p xunren-match --example link)
bin="$target/release/examples/link"
out="$(mktemp -t febrl4-pairs.XXXXXX.csv)"
trap 'rm -f "$out"' EXIT
echo "FEBRL4: $data"
if [ -x /usr/bin/time ]; then
  /usr/bin/time -f "wall %e s, peak memory %M KB" "$bin" --spec "$root/docs/examples/febrl4.toml" \
    "$data/a.csv" "$data/b.csv" --out "$out" --truth "$data/truth.csv"
else
  start=$(date +%s.%N)
  "$bin" --spec "$root/docs/examples/febrl4.toml" "$data/a.csv" "$data/b.csv" --out "$out" --truth "$data/truth.csv"
  echo "wall $(echo "$(date +%s.%N) - $start" | bc) s (peak memory: /usr/bin/time not available)"
fi
echo "pairs written: $(($(wc -l < "$out") - 1))"
