#!/usr/bin/env bash
# A six-node Redis Cluster on loopback (3 masters, 3 replicas) for the e2e suite: ports
# ${REDIS_CLUSTER_BASE_PORT:-7101}..+5, data under /tmp/oncepay-redis-cluster-<base>/<port>. Idempotent: a
# cluster that answers cluster_state:ok is reused; a node that is down is started again (it rejoins
# from its nodes.conf); a half-made cluster is wiped and created anew (always, with REDIS_CLUSTER_FRESH=1).
# "Up" means more than cluster_state:ok: every master has a replica whose link to it is up (the first
# full sync done), because a replica that never synced is never promoted (see below).
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
    --repl-diskless-sync-delay 0 \
    --save "" --appendonly no --logfile "$DIR/$p/redis.log" --pidfile "$DIR/$p/redis.pid" 9>&- # not the lock
}

for p in $PORTS; do ping "$p" || start_node "$p"; done
for p in $PORTS; do
  for _ in $(seq 1 50); do ping "$p" && break; sleep 0.1; done
  ping "$p" || { echo "redis cluster node $p did not start (see $DIR/$p/redis.log)" >&2; exit 1; }
  # Redis 7 waits repl-diskless-sync-delay (5 s) before a replica's first full sync, for more replicas to
  # join; a replica with no sync yet counts as "disconnected for longer than allowed" and is never
  # promoted (cluster-replica-validity-factor). Nodes started by an older script get it at runtime too.
  redis-cli -h 127.0.0.1 -p "$p" config set repl-diskless-sync-delay 0 >/dev/null
done

# every replica's link to its master is up and every master has a replica: a master that fails now has a
# replica that can take over. Prints what is missing; returns 1 while something is.
replicas_in_sync() {
  local p info masters=0 covered=0 missing=""
  for p in $PORTS; do
    info=$(redis-cli -h 127.0.0.1 -p "$p" info replication 2>/dev/null | tr -d '\r')
    case "$info" in
      *role:master*)
        # a master that serves slots (its own CLUSTER NODES line ends with a slot range)
        redis-cli -h 127.0.0.1 -p "$p" cluster nodes 2>/dev/null | grep myself | grep -Eq ' [0-9]+(-[0-9]+)?$' || continue
        masters=$((masters + 1))
        if echo "$info" | grep -q 'state=online'; then
          covered=$((covered + 1))
        else
          missing="$missing master $p has no online replica;"
        fi
        ;;
      *master_link_status:up*) ;;
      *) missing="$missing node $p: replica whose link to its master is down;" ;;
    esac
  done
  [ "$masters" -gt 0 ] && [ "$covered" = "$masters" ] && [ -z "$missing" ] && return 0
  echo "${missing:- no master serves slots}"
  return 1
}
wait_replicas() {
  local why=""
  for _ in $(seq 1 150); do
    why=$(replicas_in_sync) && return 0
    sleep 0.2
  done
  echo "redis cluster: replicas not in sync after 30 s:$why" >&2
  return 1
}

# REDIS_CLUSTER_FRESH=1 (the failover suite): always wipe and create anew, never reuse a topology that an
# earlier failover left behind (a restarted ex-master rejoining as a replica)
if [ "${REDIS_CLUSTER_FRESH:-0}" != 1 ]; then
  for _ in $(seq 1 50); do state_ok && [ "$(known)" = 6 ] && break; sleep 0.1; done
fi
if [ "${REDIS_CLUSTER_FRESH:-0}" != 1 ] && state_ok && [ "$(known)" = 6 ]; then
  if wait_replicas; then
    echo "redis cluster on 127.0.0.1:$BASE..$((BASE + 5)) is up"
    exit 0
  fi
  echo "redis cluster on 127.0.0.1:$BASE..$((BASE + 5)): a master without a replica, making it anew" >&2
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
    wait_replicas
    echo "redis cluster on 127.0.0.1:$BASE..$((BASE + 5)) created"
    exit 0
  fi
  sleep 0.2
done
echo "redis cluster did not reach cluster_state:ok" >&2
redis-cli -h 127.0.0.1 -p "$BASE" cluster info >&2 || true
exit 1
