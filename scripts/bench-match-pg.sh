#!/usr/bin/env bash
# Benchmark of `xunren match` (issue 3) on PostgreSQL, the scale-out engine: the lost persons of a
# 2,002-certificate base against RECORDS reference records, with the index saved in rows of
# `match_index_chunks` (as several app instances share it) instead of the SQLite default's file.
#
#   ./scripts/bench-match-pg.sh [RECORDS] [WORKDIR]
#
# Reuses the generated data of scripts/bench-import.sh in WORKDIR (generates it otherwise). Makes
# a fresh database `xunren_bench` on the local server (PGHOST/PGUSER as psql reads them; default
# 127.0.0.1 and postgres), imports the reference records and the roster, then runs `xunren match`
# cold (index built from the database and saved), warm (saved index loaded) and incremental,
# printing wall time and peak memory, then the quality of the candidates.
set -euo pipefail
cd "$(dirname "$0")/.."
records=${1:-1000000}
work=${2:-$(mktemp -d)}
mkdir -p "$work"
export PGHOST=${PGHOST:-127.0.0.1} PGUSER=${PGUSER:-postgres}

./scripts/gen-reference.sh "$records" "$work"
xunren=${CARGO_TARGET_DIR:-$PWD/target}/release/xunren

dropdb --if-exists xunren_bench
createdb xunren_bench
export XUNREN_DATABASE_URL="postgres://$PGUSER@$PGHOST/xunren_bench"
"$xunren" migrate up >/dev/null

run() {
    local label=$1
    shift
    local log
    log=$(mktemp)
    /usr/bin/time -f "%e %M" -o "$log" "$@" | tail -n 1
    read -r wall rss <"$log"
    echo "$label: wall ${wall} s, peak RSS $((rss / 1024)) MiB"
    rm -f "$log"
}

run "import of the reference records (--no-index)" "$xunren" import reference --no-index "$work/reference_all.csv"
"$xunren" import roster "$work/gen/roster.csv" --base 乔家路北块 | tail -n 1
run "cold (build + save index, match all)" "$xunren" match --full --rebuild-index --out "$work/candidates-pg.csv"
run "warm (load index, match all)" "$xunren" match --full --out "$work/candidates-pg.csv"
run "incremental (nothing changed)" "$xunren" match --out /dev/null
python3 scripts/evaluate-candidates.py "$work/candidates-pg.csv" "$work/gen/truth.csv" "$work/gen/roster.csv"
