#!/usr/bin/env bash
# A 3-node MariaDB Galera cluster on loopback, for the Galera suites (test/galera*.e2e-spec.ts):
# client ports ${GALERA_PORTS:-3311 3312 3313}, group communication on 4571-4573, IST on 4581-4583,
# SST (rsync) on 4591-4593, data under /var/lib/oncepay-galera/nodeN, mariadbd as the mysql user,
# root without a password over TCP from 127.0.0.1 (like the machine's MariaDB on 3306).
#
# Idempotent: running nodes are reused; when no node is up, the one with the highest recovered
# seqno is bootstrapped (--wsrep-new-cluster) and the others join it; a node that is down (killed)
# is recovered first (mariadbd --wsrep-recover, its position passed as --wsrep-start-position) so
# it rejoins by IST from the gcache, not by a full SST. Exits once every node is Primary, Synced
# and ready. `galera.sh stop N` is what a test uses to kill node N (-9).
set -euo pipefail
ROOT=/var/lib/oncepay-galera
PROVIDER=$(ls /usr/lib/galera/libgalera_smm.so /usr/lib/libgalera_smm.so 2>/dev/null | head -1 || true)
NODES=(1 2 3)
port() { echo $((3310 + $1)); }
gport() { echo $((4570 + $1)); }
CLUSTER="gcomm://127.0.0.1:4571,127.0.0.1:4572,127.0.0.1:4573"

sql() { mariadb -h 127.0.0.1 -P "$(port "$1")" -u root -N -B -e "$2" 2>/dev/null; }
sock_sql() { mariadb -S "$ROOT/node$1/mysqld.sock" -u root -N -B -e "$2"; }
up() { mariadb-admin -h 127.0.0.1 -P "$(port "$1")" -u root ping >/dev/null 2>&1 ||
  mariadb-admin -S "$ROOT/node$1/mysqld.sock" -u root ping >/dev/null 2>&1; }
status() { sql "$1" "SELECT CONCAT_WS(' ',
  (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME='WSREP_CLUSTER_STATUS'),
  (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME='WSREP_LOCAL_STATE_COMMENT'),
  (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME='WSREP_READY'))" || true; }
synced() { [ "$(status "$1")" = "Primary Synced ON" ]; }
pid_of() { cat "$ROOT/node$1/mysqld.pid" 2>/dev/null || true; }

if [ "${1:-}" = stop ]; then # kill -9 node N (the Galera suites' node loss)
  pid=$(pid_of "$2")
  [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.1; done
  exit 0
fi

[ -n "$PROVIDER" ] || { echo "galera-4 is not installed (no libgalera_smm.so)" >&2; exit 1; }
mkdir -p "$ROOT"
exec 9>"$ROOT.lock"
flock 9 # two test runs starting at once make one cluster

install_node() {
  local dir="$ROOT/node$1"
  if [ ! -d "$dir/installed" ]; then
    rm -rf "$dir" && mkdir -p "$dir"
    chown mysql:mysql "$dir"
    mariadb-install-db --user=mysql --datadir="$dir/data" --auth-root-authentication-method=normal \
      --skip-test-db >"$dir.install.log" 2>&1 || { cat "$dir.install.log" >&2; exit 1; }
    mkdir -p "$dir/installed"
  fi
  chown -R mysql:mysql "$dir"
}

common_args() { # node
  local n=$1 dir="$ROOT/node$1"
  echo --no-defaults --user=mysql --datadir="$dir/data" --port="$(port "$n")" --bind-address=127.0.0.1 \
    --socket="$dir/mysqld.sock" --pid-file="$dir/mysqld.pid" --log-error="$dir/error.log" \
    --innodb-buffer-pool-size=64M --innodb-log-file-size=48M --innodb-flush-log-at-trx-commit=2 \
    --max-connections=300 --skip-name-resolve \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
    --binlog-format=ROW --innodb-autoinc-lock-mode=2 --default-storage-engine=InnoDB \
    --wsrep-on=ON --wsrep-provider="$PROVIDER" --wsrep-cluster-name=oncepay-galera \
    --wsrep-cluster-address="$CLUSTER" --wsrep-node-name="node$n" \
    --wsrep-node-address="127.0.0.1:$(gport "$n")" --wsrep-node-incoming-address="127.0.0.1:$(port "$n")" \
    --wsrep-sst-method=rsync --wsrep-sst-receive-address="127.0.0.1:$((4590 + n))" \
    --wsrep-slave-threads=4 --wsrep-retry-autocommit=4
}

# loopback, so failure detection is shortened (defaults: suspect 5 s, inactive 15 s): a killed node
# is evicted after ~2-3 s, not ~5-15 s
provider_options() {
  echo "gmcast.listen_addr=tcp://127.0.0.1:$(gport "$1");ist.recv_addr=127.0.0.1:$((4580 + $1));gcache.size=128M;evs.keepalive_period=PT0.5S;evs.inactive_check_period=PT0.5S;evs.suspect_timeout=PT2S;evs.inactive_timeout=PT4S;evs.install_timeout=PT4S;pc.wait_prim_timeout=PT10S"
}

# the position a stopped node's InnoDB holds (after a kill -9 grastate.dat says seqno -1)
recover() {
  local n=$1 dir="$ROOT/node$1" log
  log="$dir/recover.log"
  # shellcheck disable=SC2046
  /usr/sbin/mariadbd $(common_args "$n") --wsrep-provider-options="$(provider_options "$n")" \
    --log-error="$log" --wsrep-recover >/dev/null 2>&1 || true
  grep -o 'Recovered position: [0-9a-f-]*:-\?[0-9]*' "$log" 2>/dev/null | tail -1 | sed 's/Recovered position: //'
  rm -f "$log"
}

start_node() { # node [--wsrep-new-cluster]
  local n=$1 dir="$ROOT/node$1" pos
  shift
  pos=$(recover "$n")
  local extra=()
  [ -n "$pos" ] && extra+=("--wsrep-start-position=$pos")
  # shellcheck disable=SC2046
  setsid /usr/sbin/mariadbd $(common_args "$n") --wsrep-provider-options="$(provider_options "$n")" \
    "${extra[@]}" "$@" </dev/null >/dev/null 2>&1 9>&- &
}

wait_synced() { # node [tries of 0.2 s; default 300] -> 0 once Primary/Synced/ready, 1 if not in time
  local n=$1 tries=${2:-300}
  for _ in $(seq 1 "$tries"); do synced "$n" && return 0; sleep 0.2; done
  return 1
}
fail_node() {
  echo "Galera node $1 ($(port "$1")) did not reach Primary/Synced: $(status "$1")" >&2
  tail -30 "$ROOT/node$1/error.log" >&2
  exit 1
}
kill_node() {
  local pid
  pid=$(pid_of "$1")
  [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
}
# A node joins (SST or IST) and is waited for before the next one starts: two joiners at once
# compete for the one donor. A node that stays out of the primary component (a CI run once found
# node 3 up but alone in a non-primary view, left so by the session before: it never synced) is
# killed and started again, once, so it rejoins by IST like any killed node.
join_node() { # node running(0|1)
  local n=$1
  if [ "$2" = 1 ] && wait_synced "$n" 75; then return 0; fi
  if [ "$2" = 1 ]; then
    echo "Galera node $n is up but not Primary/Synced ($(status "$n")): restarting it" >&2
    kill_node "$n"
  fi
  start_node "$n"
  wait_synced "$n" && return 0
  echo "Galera node $n did not join ($(status "$n")): restarting it once" >&2
  kill_node "$n"
  start_node "$n"
  wait_synced "$n" || fail_node "$n"
}

for n in "${NODES[@]}"; do install_node "$n"; done

running=()
for n in "${NODES[@]}"; do up "$n" && running+=("$n"); done

primary=""
for n in "${running[@]}"; do synced "$n" && { primary=$n; break; }; done

if [ ${#running[@]} -eq 0 ]; then
  # a fresh or wholly stopped cluster: bootstrap the node with the most recent state
  best=1 bestseq=-2
  for n in "${NODES[@]}"; do
    pos=$(recover "$n")
    seq=${pos##*:}
    [ -n "$pos" ] && [ "$seq" -gt "$bestseq" ] && { best=$n; bestseq=$seq; }
  done
  sed -i 's/^safe_to_bootstrap: 0/safe_to_bootstrap: 1/' "$ROOT/node$best/data/grastate.dat" 2>/dev/null || true
  start_node "$best" --wsrep-new-cluster
  wait_synced "$best" || fail_node "$best"
  sock_sql "$best" "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '';
    GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION"
  primary=$best
elif [ -z "$primary" ]; then
  # nodes up but none in a primary component (the others were lost): make the first one primary
  sql "${running[0]}" "SET GLOBAL wsrep_provider_options='pc.bootstrap=YES'" || true
  wait_synced "${running[0]}" || fail_node "${running[0]}"
  primary=${running[0]}
fi

for n in "${NODES[@]}"; do
  [ "$n" = "$primary" ] && continue
  if [[ " ${running[*]} " == *" $n "* ]]; then join_node "$n" 1; else join_node "$n" 0; fi
done
echo "Galera cluster on $(port 1), $(port 2), $(port 3): Primary, Synced, ready"
