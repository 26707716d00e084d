import { Inject, Injectable, Logger } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import Redis, { Cluster } from 'ioredis';
import { REDIS, RedisClient } from '../redis/redis.factory';
import { HealthProblem, healthReasonOf } from './health-reason';

const TIMEOUT_MS = 1000;
const SLOTS = 16384;

/** One CLUSTER SLOTS entry: first slot, last slot, the master [host, port, id], then its replicas. */
type SlotRange = [number, number, ...Array<[string, number, ...unknown[]]>];

/**
 * Redis as this instance needs it. A single node: PING. A Redis Cluster: every slot is served, and
 * every master that serves slots answers PING and reports `cluster_state:ok` itself. The app's keys
 * carry per-user and per-order hash tags (any slot) and each Bull queue has its own tag, so the
 * instance uses every master: one that cannot serve makes it unhealthy until the cluster has failed
 * over and the client has found the new master.
 *
 * A cluster's details also name the masters without an online replica (`mastersWithoutReplica`): such
 * a master still serves, so the instance stays healthy, but if it fails nothing takes its slots over
 * (a replica that has not finished its first sync is never promoted) until it comes back.
 *
 * Down answers carry a stable `reason` (health-reason.ts); ioredis's message goes to the log only.
 */
@Injectable()
export class RedisHealthIndicator {
  private readonly logger = new Logger('Health');

  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly health: HealthIndicatorService,
  ) {}

  async isHealthy(key = 'redis') {
    const indicator = this.health.check(key);
    try {
      if (this.redis instanceof Cluster) {
        const { masters, mastersWithoutReplica } = await this.checkCluster(this.redis);
        return indicator.up({ mode: 'cluster', masters, mastersWithoutReplica });
      }
      const pong = await timed(this.redis.ping(), 'PING');
      if (pong !== 'PONG') throw new HealthProblem('UNEXPECTED_REPLY', `PING answered ${String(pong)}`);
      return indicator.up();
    } catch (err) {
      const reason = healthReasonOf(err);
      this.logger.warn(`health: Redis down (${reason}): ${(err as Error)?.message ?? err}`);
      return indicator.down({ reason });
    }
  }

  /** @returns the number of masters (all answering) and those without an online replica; throws what is wrong. */
  private async checkCluster(
    cluster: Cluster,
  ): Promise<{ masters: number; mastersWithoutReplica: string[] }> {
    const slots = await this.clusterSlots(cluster);
    const covered = slots.reduce((n, [from, to]) => n + (to - from + 1), 0);
    if (covered !== SLOTS) {
      throw new HealthProblem('CLUSTER_SLOTS_UNCOVERED', `only ${covered} of ${SLOTS} slots are served`);
    }
    const masters = [...new Set(slots.map((r) => `${r[2][0]}:${r[2][1]}`))];
    const pool = new Map(cluster.nodes('all').map((n) => [`${n.options.host}:${n.options.port}`, n]));
    const withoutReplica: string[] = [];
    await Promise.all(
      masters.map(async (addr) => {
        const node = pool.get(addr);
        if (!node)
          throw new HealthProblem('CLUSTER_NODE_NOT_CONNECTED', `master ${addr} is not connected yet`);
        const [info, replication] = await Promise.all([
          timed(node.cluster('INFO') as Promise<string>, `CLUSTER INFO on ${addr}`),
          timed(node.info('replication'), `INFO replication on ${addr}`),
        ]);
        const state = /cluster_state:(\w+)/.exec(info)?.[1];
        if (state !== 'ok') {
          throw new HealthProblem('CLUSTER_STATE_NOT_OK', `master ${addr}: cluster_state:${state ?? '?'}`);
        }
        if (!/^slave\d+:.*state=online/m.test(replication)) withoutReplica.push(addr);
      }),
    );
    return { masters: masters.length, mastersWithoutReplica: withoutReplica.sort() };
  }

  /** CLUSTER SLOTS from the first master (as this client knows them) that answers. */
  private async clusterSlots(cluster: Cluster): Promise<SlotRange[]> {
    const nodes: Redis[] = cluster.nodes('master');
    let last: Error = new Error('no Redis Cluster node is connected');
    for (const node of nodes) {
      try {
        return ((await timed(node.cluster('SLOTS'), 'CLUSTER SLOTS')) as SlotRange[]) ?? [];
      } catch (err) {
        last = err as Error;
      }
    }
    throw last;
  }
}

function timed<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
    }),
  ]);
}
