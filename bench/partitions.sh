#!/usr/bin/env bash
# Plain against partitioned event tables, side by side (issue 17 §4; docs/performance.md §14).
#
#   bench/partitions.sh PLAIN_DB PARTITIONED_DB [rounds] [n]
#
# Both databases hold the same generated history (createdb -T PLAIN_DB PARTITIONED_DB, then
# `manage.py migrate` on the copy). Each round runs bench/command_centre.py (overview, map box,
# idle sweep; --due 2000) and bench/partitions.py (the event reads and writes) on one, then on
# the other, after a fresh VACUUM (ANALYZE) of the event table. Needs PERSONAL_DATA_KEYS and
# PERSONAL_DATA_HASH_KEY in the environment (any values: DEBUG=0).
set -euo pipefail
cd "$(dirname "$0")/.."
plain=$1 parted=$2 rounds=${3:-2} n=${4:-200}
# Plain HTTP through the test client: no redirect to https.
export DEBUG=0 SECRET_KEY=${SECRET_KEY:-bench-only} SECURE_SSL_REDIRECT=false
for round in $(seq "$rounds"); do
  for db in "$plain" "$parted"; do
    echo "=== round $round: $db ($(date -u +%H:%M:%S), load $(cut -d' ' -f1-3 /proc/loadavg))"
    psql -h 127.0.0.1 -U wangge -d "$db" -qc "VACUUM (ANALYZE) cases_caseevent"
    export DATABASE_URL="postgis://wangge@127.0.0.1:5432/$db"
    nice .venv/bin/python -u bench/command_centre.py -n "$n" --due 2000
    nice .venv/bin/python -u bench/partitions.py -n "$n"
  done
done
