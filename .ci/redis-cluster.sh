#!/usr/bin/env bash
# A six-node Redis Cluster on loopback (3 masters, 3 replicas) for the e2e suite: ports
# ${REDIS_CLUSTER_BASE_PORT:-7101}..+5, data under /tmp/oncepay-redis-cluster-<base>/<port>. Idempotent: a
# cluster that answers cluster_state:ok is reused; a node that is down is started again (it rejoins
# from its nodes.conf); a half-made cluster is wiped and created anew (always, with REDIS_CLUSTER_FRESH=1).
set -euo pipefail
BASE=${REDIS_CLUSTER_BASE_PORT:-7101}
DIR=${REDIS_CLUSTER_DIR:-/tmp/oncepay-redis-cluster-$BASE}
PORTS=$(seq "$BASE" $((BASE + 5)))
mkdir -p "$DIR"
exec 9>"$DIR.lock"
flock 9 # two test runs starting at once make one cluster

ping() { redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null | grep -q PONG; }
state_ok() { redis-cli -h 127.0.0.1 -p "$BASE" cluster info 2>/dev/null | grep -q 'cluster_state:ok'; }
known() { redis-cli -h 127.0.0.1 -p "$BASE" cluster info 2>/dev/null | sed -n 's/^cluster_known_nodes:\([0-9]*\).*/\1/p'; }

start_node() {
  local p=$1
  mkdir -p "$DIR/$p"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$p" --dir "$DIR/$p" \
    --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 2000 \
    --save "" --appendonly no --logfile "$DIR/$p/redis.log" --pidfile "$DIR/$p/redis.pid" 9>&- # not the lock
}

for p in $PORTS; do ping "$p" || start_node "$p"; done
for p in $PORTS; do
  for _ in $(seq 1 50); do ping "$p" && break; sleep 0.1; done
  ping "$p" || { echo "redis cluster node $p did not start (see $DIR/$p/redis.log)" >&2; exit 1; }
done

# REDIS_CLUSTER_FRESH=1 (the failover suite): always wipe and create anew, never reuse a topology that an
# earlier failover left behind (a restarted ex-master rejoining as a replica)
if [ "${REDIS_CLUSTER_FRESH:-0}" != 1 ]; then
  for _ in $(seq 1 50); do state_ok && [ "$(known)" = 6 ] && break; sleep 0.1; done
fi
if [ "${REDIS_CLUSTER_FRESH:-0}" != 1 ] && state_ok && [ "$(known)" = 6 ]; then
  echo "redis cluster on 127.0.0.1:$BASE..$((BASE + 5)) is up"
  exit 0
fi

# not a (whole) cluster: wipe the nodes and create one
for p in $PORTS; do
  redis-cli -h 127.0.0.1 -p "$p" flushall >/dev/null 2>&1 || true
  redis-cli -h 127.0.0.1 -p "$p" cluster reset hard >/dev/null
done
# shellcheck disable=SC2046
redis-cli --cluster create $(for p in $PORTS; do printf '127.0.0.1:%s ' "$p"; done) \
  --cluster-replicas 1 --cluster-yes >/dev/null
for _ in $(seq 1 100); do
  if state_ok && [ "$(known)" = 6 ]; then
    echo "redis cluster on 127.0.0.1:$BASE..$((BASE + 5)) created"
    exit 0
  fi
  sleep 0.2
done
echo "redis cluster did not reach cluster_state:ok" >&2
redis-cli -h 127.0.0.1 -p "$BASE" cluster info >&2 || true
exit 1
