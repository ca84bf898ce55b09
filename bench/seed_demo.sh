#!/usr/bin/env bash
# Time seed_demo on a fresh database: migrate first (not timed), then seed_demo (timed), then
# seed_demo again (the upsert path, timed), then seed_calendar and seed_catalogue (timed).
#
#   bench/seed_demo.sh spatialite [/tmp/bench-seed.sqlite3]   fresh SpatiaLite file (deleted first)
#   bench/seed_demo.sh postgis [wangge_bench_seed]            fresh PostGIS database (dropped first)
#
# PostGIS: needs `psql -U postgres` on 127.0.0.1 and the template_postgis template (.ci/run makes
# it); the database is created owned by the role wangge. Never point this at a database you
# want to keep.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
backend=${1:-spatialite}
export SECRET_KEY=${SECRET_KEY:-bench-only} DEBUG=1

case "$backend" in
  spatialite)
    file=${2:-/tmp/bench-seed.sqlite3}
    rm -f "$file"
    export DATABASE_URL="spatialite:///$file"
    ;;
  postgis)
    db=${2:-wangge_bench_seed}
    case "$db" in wangge|test_wangge) echo "refusing to drop $db" >&2; exit 2 ;; esac
    psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db"
    psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $db OWNER wangge TEMPLATE template_postgis"
    export DATABASE_URL="postgis://wangge@127.0.0.1/$db"
    ;;
  *) echo "usage: $0 spatialite|postgis [file|database]" >&2; exit 2 ;;
esac

timed() {
  local label=$1; shift
  local start end out inner
  start=$(date +%s.%N)
  out=$("$@" 2>&1)
  end=$(date +%s.%N)
  # seed_demo reports its own time without Python start-up: "done in 3.0 s".
  inner=$(grep -o 'done in [0-9.]* s' <<<"$out" || true)
  printf '%-32s %7.2f s   %s\n' "$label" "$(echo "$end - $start" | bc)" "${inner:+(command: $inner)}"
}

echo "backend: $backend ($DATABASE_URL)"
timed "migrate (fresh)" $PY manage.py migrate --no-input -v0
timed "seed_demo (fresh database)" $PY manage.py seed_demo
timed "seed_demo (again, upsert)" $PY manage.py seed_demo
timed "seed_calendar" $PY manage.py seed_calendar
timed "seed_catalogue" $PY manage.py seed_catalogue
# Python start-up and django.setup() are part of each figure above; this is their share.
timed "manage.py check (start-up only)" $PY manage.py check
