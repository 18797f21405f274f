#!/usr/bin/env bash
# The README's main command: build xunren, import the example files into a fresh embedded SQLite
# database (quickstart.db in the repository root), and print the registry's figures.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --quiet -p xunren
xunren=target/debug/xunren
export XUNREN_DATABASE_URL="sqlite://quickstart.db?mode=rwc"
rm -f quickstart.db quickstart.db-wal quickstart.db-shm

"$xunren" import roster examples/roster.csv --base 乔家路北块
for source in examples/reference_*.csv; do
    "$xunren" import reference "$source" | grep -v '^  第'
done
"$xunren" stats
