#!/usr/bin/env bash
# A MariaDB primary (binlog on) and a real replica of it on loopback, for the read-replica suite:
# primary on ${DB_REPL_PRIMARY_PORT:-3307}, replica on ${DB_REPL_REPLICA_PORT:-3308}, data under
# /tmp/oncepay-mariadb-<port>, root without a password over TCP (like the machine's MariaDB on 3306).
# The machine's own MariaDB runs without a binlog and turning one on needs its restart, which would cut
# every other test run on the machine: so the pair is its own. Idempotent: a running pair whose replica
# replicates is reused; a stopped server is started again; a replica that does not replicate is
# (re)pointed at the primary with GTID.
set -euo pipefail
PRIMARY=${DB_REPL_PRIMARY_PORT:-3307}
REPLICA=${DB_REPL_REPLICA_PORT:-3308}
ROOT=/tmp/oncepay-mariadb

sql() { mariadb -h 127.0.0.1 -P "$1" -u root -N -B -e "$2"; }
up() { mariadb-admin -h 127.0.0.1 -P "$1" -u root ping >/dev/null 2>&1; }

mkdir -p "$ROOT"
exec 9>"$ROOT.lock"
flock 9 # two test runs starting at once make one pair

start_server() { # port server-id extra-args...
  local port=$1 id=$2
  shift 2
  local dir="$ROOT-$port"
  if [ ! -d "$dir/mysql" ]; then
    rm -rf "$dir" && mkdir -p "$dir"
    chown mysql:mysql "$dir"
    mariadb-install-db --user=mysql --datadir="$dir/data" --auth-root-authentication-method=normal \
      --skip-test-db >"$dir.install.log" 2>&1 || { cat "$dir.install.log" >&2; exit 1; }
    mkdir -p "$dir/mysql" # marks a finished install
  fi
  chown -R mysql:mysql "$dir"
  setsid /usr/sbin/mariadbd --no-defaults --user=mysql --datadir="$dir/data" --port="$port" --bind-address=127.0.0.1 \
    --socket="$dir/mysqld.sock" --pid-file="$dir/mysqld.pid" --log-error="$dir/error.log" \
    --server-id="$id" --log-bin="$dir/data/binlog" --binlog-format=ROW \
    --innodb-buffer-pool-size=64M --max-connections=300 --skip-name-resolve \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci "$@" </dev/null >/dev/null 2>&1 9>&- &
  for _ in $(seq 1 100); do up "$port" && return 0; sleep 0.2; done
  echo "MariaDB on $port did not start:" >&2
  tail -20 "$dir/error.log" >&2
  exit 1
}

up "$PRIMARY" || start_server "$PRIMARY" 11
up "$REPLICA" || start_server "$REPLICA" 12 --read-only=1 --log-slave-updates=1

# root over TCP from 127.0.0.1 without a password (as on the machine's MariaDB)
for port in "$PRIMARY" "$REPLICA"; do
  sql "$port" "SET sql_log_bin = 0; CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY ''; GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION" 2>/dev/null || true
done

status() { mariadb -h 127.0.0.1 -P "$REPLICA" -u root -e 'SHOW SLAVE STATUS\G' 2>/dev/null; }
if status | grep -q 'Slave_IO_Running: Yes' && status | grep -q 'Slave_SQL_Running: Yes'; then
  echo "MariaDB primary on $PRIMARY, replica on $REPLICA: up and replicating"
  exit 0
fi
if status | grep -q 'Master_Port: '"$PRIMARY"; then
  sql "$REPLICA" "START SLAVE" # paused by a test that did not get to resume it
else
  sql "$REPLICA" "STOP SLAVE; RESET SLAVE ALL; RESET MASTER; SET GLOBAL gtid_slave_pos = '';
    CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$PRIMARY, MASTER_USER='root', MASTER_PASSWORD='',
      MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1; START SLAVE"
fi
for _ in $(seq 1 50); do
  if status | grep -q 'Slave_IO_Running: Yes' && status | grep -q 'Slave_SQL_Running: Yes'; then
    echo "MariaDB primary on $PRIMARY, replica on $REPLICA: replicating"
    exit 0
  fi
  sleep 0.2
done
echo "the replica on $REPLICA does not replicate:" >&2
status >&2
exit 1
