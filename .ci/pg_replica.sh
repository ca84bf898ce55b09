#!/usr/bin/env bash
# A real streaming replica of the local PostgreSQL, for `make test-replica` (issue 17 §4).
#
#   .ci/pg_replica.sh start        make it (pg_basebackup) and start it on $REPLICA_PORT
#   .ci/pg_replica.sh stop         stop it and remove its data directory
#   .ci/pg_replica.sh status       is it up, and is it a standby
#   .ci/pg_replica.sh run CMD…     start, run CMD with DATABASE_REPLICA_URL set, stop (always)
#
# The primary is PRIMARY_HOST:PRIMARY_PORT (127.0.0.1:5432), reached as PRIMARY_SUPERUSER
# (postgres, trusted on localhost as .ci/run sets up). The replica is a second cluster of the
# same PostgreSQL version under $REPLICA_DIR (/tmp/wangge-replica-$REPLICA_PORT), run by the
# current user, or by `postgres` when run as root (PostgreSQL refuses to run as root).
#
# What it may change on the primary, idempotently, and only if needed: one pg_hba.conf line
# `host replication all 127.0.0.1/32 trust` (the `all` of the other lines does not cover
# replication connections), then a reload. It does not restart the primary: if wal_level is
# `minimal` or max_wal_senders is 0 it stops and says what to set. No replication slot is
# made, so nothing is left on the primary after `stop`.
set -euo pipefail

PRIMARY_HOST=${PRIMARY_HOST:-127.0.0.1}
PRIMARY_PORT=${PRIMARY_PORT:-5432}
PRIMARY_SUPERUSER=${PRIMARY_SUPERUSER:-postgres}
REPLICA_PORT=${REPLICA_PORT:-5433}
REPLICA_DIR=${REPLICA_DIR:-/tmp/wangge-replica-$REPLICA_PORT}

log() { printf 'pg_replica: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

psql_primary() {
  psql -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U "$PRIMARY_SUPERUSER" -d postgres \
    -v ON_ERROR_STOP=1 -qtA "$@"
}

server_version() { psql_primary -c "SHOW server_version_num" | cut -c1-2; }

pg_bin() {
  local dir
  dir="/usr/lib/postgresql/$(server_version)/bin"
  [ -x "$dir/pg_ctl" ] || dir="$(pg_config --bindir 2>/dev/null || true)"
  [ -x "$dir/pg_ctl" ] || die "pg_ctl of PostgreSQL $(server_version) not found"
  echo "$dir"
}

# Run as the replica's owner: ourselves, or postgres when we are root.
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

ensure_primary_allows_replication() {
  local wal_level senders hba line="host replication all 127.0.0.1/32 trust"
  wal_level=$(psql_primary -c "SHOW wal_level")
  senders=$(psql_primary -c "SHOW max_wal_senders")
  if [ "$wal_level" = minimal ] || [ "$senders" = 0 ]; then
    die "the primary has wal_level=$wal_level, max_wal_senders=$senders: set wal_level=replica \
and max_wal_senders>=2 (ALTER SYSTEM …) and restart it; this script does not restart servers"
  fi
  if psql "host=$PRIMARY_HOST port=$PRIMARY_PORT user=$PRIMARY_SUPERUSER replication=true" \
      -qtAc "IDENTIFY_SYSTEM" >/dev/null 2>&1; then
    return
  fi
  hba=$(psql_primary -c "SHOW hba_file")
  log "the primary refuses replication connections: adding '$line' to $hba and reloading"
  if ! grep -qxF "$line" "$hba"; then
    if [ -w "$hba" ]; then
      printf '# wangge .ci/pg_replica.sh: streaming replica for make test-replica\n%s\n' "$line" >>"$hba"
    else
      printf '# wangge .ci/pg_replica.sh: streaming replica for make test-replica\n%s\n' "$line" \
        | sudo tee -a "$hba" >/dev/null
    fi
  fi
  psql_primary -c "SELECT pg_reload_conf()" >/dev/null
  sleep 1
  psql "host=$PRIMARY_HOST port=$PRIMARY_PORT user=$PRIMARY_SUPERUSER replication=true" \
    -qtAc "IDENTIFY_SYSTEM" >/dev/null || die "the primary still refuses replication connections"
}

is_up() { pg_isready -h 127.0.0.1 -p "$REPLICA_PORT" -q; }

start() {
  local bin
  bin=$(pg_bin)
  if is_up; then
    [ "$(psql -h 127.0.0.1 -p "$REPLICA_PORT" -U "$PRIMARY_SUPERUSER" -d postgres -qtAc \
      'SELECT pg_is_in_recovery()')" = t ] || die "port $REPLICA_PORT is taken by a server that is no standby"
    log "already running on port $REPLICA_PORT"
    return
  fi
  ensure_primary_allows_replication
  rm -rf "$REPLICA_DIR"
  mkdir -p "$REPLICA_DIR"
  chmod 700 "$REPLICA_DIR"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$REPLICA_DIR"
  log "pg_basebackup of $PRIMARY_HOST:$PRIMARY_PORT into $REPLICA_DIR"
  # -R: standby.signal and primary_conninfo; -X stream: the WAL written during the copy.
  as_owner "$bin/pg_basebackup" -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U "$PRIMARY_SUPERUSER" \
    -D "$REPLICA_DIR" -X stream -R -c fast
  # Debian keeps postgresql.conf and pg_hba.conf in /etc: the copy has none of its own.
  as_owner sh -c "cat >'$REPLICA_DIR/pg_hba.conf'" <<'EOF'
local all all trust
host all all 127.0.0.1/32 trust
EOF
  as_owner touch "$REPLICA_DIR/pg_ident.conf"
  # A standby needs at least the primary's values of these (it refuses to replay otherwise).
  local same=""
  for setting in max_connections max_worker_processes max_wal_senders max_prepared_transactions \
      max_locks_per_transaction; do
    same="$same$setting = $(psql_primary -c "SHOW $setting")"$'\n'
  done
  as_owner sh -c "cat >'$REPLICA_DIR/postgresql.conf'" <<EOF
$same
port = $REPLICA_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$REPLICA_DIR'
hot_standby = on
hot_standby_feedback = on
shared_buffers = 64MB
# A test database dropped on the primary ends the sessions on it here at once.
max_standby_streaming_delay = 5s
EOF
  as_owner "$bin/pg_ctl" -D "$REPLICA_DIR" -l "$REPLICA_DIR/server.log" -w -t 60 start >/dev/null \
    || { tail -20 "$REPLICA_DIR/server.log" >&2; die "the replica did not start"; }
  for _ in $(seq 1 30); do
    [ "$(psql -h 127.0.0.1 -p "$REPLICA_PORT" -U "$PRIMARY_SUPERUSER" -d postgres -qtAc \
      'SELECT pg_is_in_recovery()' 2>/dev/null)" = t ] && break
    sleep 1
  done
  status
}

stop() {
  if [ -f "$REPLICA_DIR/postmaster.pid" ]; then
    as_owner "$(pg_bin)/pg_ctl" -D "$REPLICA_DIR" -m fast -w stop >/dev/null || true
  fi
  rm -rf "$REPLICA_DIR"
  log "stopped; $REPLICA_DIR removed"
}

status() {
  if ! is_up; then
    log "not running on port $REPLICA_PORT"
    return 1
  fi
  log "port $REPLICA_PORT: in recovery=$(psql -h 127.0.0.1 -p "$REPLICA_PORT" \
    -U "$PRIMARY_SUPERUSER" -d postgres -qtAc 'SELECT pg_is_in_recovery()'), primary's \
senders: $(psql_primary -c "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")"
}

# The replica's URL: DATABASE_URL with the replica's host and port.
replica_url() {
  python3 - "$DATABASE_URL" "$REPLICA_PORT" <<'EOF'
import sys
from urllib.parse import urlsplit, urlunsplit
url, port = sys.argv[1], sys.argv[2]
parts = urlsplit(url)
auth = parts.netloc.rpartition("@")[0]
print(urlunsplit(parts._replace(netloc=(auth + "@" if auth else "") + "127.0.0.1:" + port)))
EOF
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  url) replica_url ;;
  run)
    shift
    [ -n "${DATABASE_URL:-}" ] || die "run needs DATABASE_URL (the primary, PostgreSQL)"
    start
    trap stop EXIT
    DATABASE_REPLICA_URL=${DATABASE_REPLICA_URL:-$(replica_url)} "$@"
    ;;
  *) die "usage: $0 start|stop|status|url|run CMD…" ;;
esac
