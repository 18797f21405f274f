#!/usr/bin/env bash
# Benchmark of `xunren match` (issue 3) at scale: the lost persons (失联) of a 2,002-certificate
# base against RECORDS reference records, on the embedded SQLite default.
#
#   ./scripts/bench-match.sh [RECORDS] [WORKDIR]
#
# Reuses WORKDIR from scripts/bench-import.sh when it is there (its generated data and database);
# otherwise generates and imports first. Prints, for a cold run (index built from the database
# and saved), a warm run (saved index loaded) and the first run after an import that added
# records (saved index extended), wall time and peak memory, then the quality of the candidates
# against the generator's truth (scripts/evaluate-candidates.py).
set -euo pipefail
cd "$(dirname "$0")/.."
records=${1:-1000000}
work=${2:-$(mktemp -d)}

if [ ! -f "$work/bench.db" ] || [ ! -d "$work/gen" ]; then
    ./scripts/bench-import.sh "$records" "$work" >/dev/null
fi
xunren=${CARGO_TARGET_DIR:-$PWD/target}/release/xunren
cargo build --quiet --release -p xunren
export XUNREN_DATABASE_URL="sqlite://$work/bench.db?mode=rwc"

"$xunren" import roster "$work/gen/roster.csv" --base 乔家路北块 | tail -n 1

run() {
    local label=$1
    shift
    local log
    log=$(mktemp)
    /usr/bin/time -f "%e %M" -o "$log" "$@"
    read -r wall rss <"$log"
    echo "$label: wall ${wall} s, peak RSS $((rss / 1024)) MiB"
    rm -f "$log"
}

# Cold: drop the saved index so that this run builds it from the database.
run "cold (build + save index, match all)" "$xunren" match --full --rebuild-index --out "$work/candidates.csv"
run "warm (load index, match all)" "$xunren" match --full --out "$work/candidates.csv"
run "incremental (nothing changed)" "$xunren" match --out "$work/candidates.csv"

# The first run after an import that added records (ADDED, default 10,000): the last ADDED
# records are taken out, the index is saved without them, then the file is imported again (the
# records come back with new ids) and `xunren match` extends the saved index instead of
# rebuilding it. Done twice: with `import reference --no-index` (match extends) and with the
# default import (the import extends, match loads).
added=${ADDED:-10000}
hold_back() {
    python3 - "$work/bench.db" "$added" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
(top,) = db.execute("SELECT MAX(id) FROM reference_records").fetchone()
cut = top - int(sys.argv[2])
db.execute("DELETE FROM match_candidates WHERE reference_record_id > ?", (cut,))
db.execute("DELETE FROM reference_records WHERE id > ?", (cut,))
db.commit()
PY
    "$xunren" match --out /dev/null 2>&1 | tail -n 1
}
hold_back
run "import of $added added records (--no-index)" "$xunren" import reference --no-index "$work/reference_all.csv"
run "first match after it (extends the saved index)" "$xunren" match --full --out "$work/candidates.csv"
hold_back
run "import of $added added records (extends the index)" "$xunren" import reference "$work/reference_all.csv"
run "first match after it (loads the index)" "$xunren" match --full --out "$work/candidates.csv"
python3 scripts/evaluate-candidates.py "$work/candidates.csv" "$work/gen/truth.csv" "$work/gen/roster.csv"
