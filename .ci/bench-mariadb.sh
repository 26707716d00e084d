#!/usr/bin/env bash
# The bench's own MariaDB for `npm run bench -- --explain`: performance_schema on (per-statement server
# times, lock times), on ${BENCH_DB_PORT:-3321}, data under /tmp/oncepay-mariadb-bench-<port>, root without
# a password over TCP (like the machine's MariaDB on 3306, whose performance_schema is off and can only be
# turned on by restarting it, which would cut every other test run on the machine). Same InnoDB settings
# as that server's defaults (128 MB buffer pool, a log flush per commit), so its times are comparable.
# Idempotent: a running server is reused, a stopped one started again.
set -euo pipefail
PORT=${BENCH_DB_PORT:-3321}
DIR=/tmp/oncepay-mariadb-bench-$PORT

up() { mariadb-admin -h 127.0.0.1 -P "$PORT" -u root ping >/dev/null 2>&1; }

exec 9>"$DIR.lock"
flock 9 # two bench runs starting at once make one server

if ! up; then
  if [ ! -d "$DIR/installed" ]; then
    rm -rf "$DIR" && mkdir -p "$DIR"
    chown mysql:mysql "$DIR"
    mariadb-install-db --user=mysql --datadir="$DIR/data" --auth-root-authentication-method=normal \
      --skip-test-db >"$DIR.install.log" 2>&1 || { cat "$DIR.install.log" >&2; exit 1; }
    mkdir -p "$DIR/installed"
  fi
  chown -R mysql:mysql "$DIR"
  setsid /usr/sbin/mariadbd --no-defaults --user=mysql --datadir="$DIR/data" --port="$PORT" \
    --bind-address=127.0.0.1 --socket="$DIR/mysqld.sock" --pid-file="$DIR/mysqld.pid" \
    --log-error="$DIR/error.log" --skip-log-bin --innodb-buffer-pool-size=128M --max-connections=1000 \
    --skip-name-resolve --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
    --performance-schema=ON --performance-schema-instrument='statement/%=ON' \
    --performance-schema-consumer-events-statements-current=ON \
    --performance-schema-consumer-events-statements-history=ON \
    --performance-schema-digests-size=2000 </dev/null >/dev/null 2>&1 9>&- &
  for _ in $(seq 1 150); do up && break; sleep 0.2; done
  up || { echo "bench MariaDB on $PORT did not start:" >&2; tail -20 "$DIR/error.log" >&2; exit 1; }
fi
mariadb -h 127.0.0.1 -P "$PORT" -u root -N -B -e \
  "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY ''; GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION" \
  2>/dev/null || true
echo "bench MariaDB (performance_schema on) on $PORT: up"
