import { HealthIndicatorService } from '@nestjs/terminus';
import { DataSource } from 'typeorm';
import { TransactionService } from '../database/transaction.service';
import { GaleraHealthIndicator } from './galera.health';

function indicator(galera: boolean | Error, status: Record<string, string> | Error) {
  const tx = { isGalera: async () => (galera instanceof Error ? Promise.reject(galera) : galera) };
  const ds = {
    query: jest.fn(async () => {
      if (status instanceof Error) throw status;
      return Object.entries(status).map(([k, v]) => ({ Variable_name: k, Value: v }));
    }),
  };
  const g = new GaleraHealthIndicator(
    ds as unknown as DataSource,
    tx as unknown as TransactionService,
    new HealthIndicatorService(),
  );
  return { g, ds };
}

const SYNCED = { wsrep_cluster_status: 'Primary', wsrep_local_state_comment: 'Synced', wsrep_ready: 'ON' };

describe('GaleraHealthIndicator', () => {
  it('adds nothing on a server that is not a Galera node (wsrep_on OFF, MySQL) or cannot be asked', async () => {
    for (const w of [false, new Error('ECONNREFUSED')]) {
      const { g, ds } = indicator(w, SYNCED);
      expect(await g.isHealthy()).toEqual({});
      expect(ds.query).not.toHaveBeenCalled();
    }
  });

  it('up only when Primary, Synced and ready', async () => {
    expect(await indicator(true, SYNCED).g.isHealthy()).toEqual({ galera: { status: 'up', ...SYNCED } });
  });

  it('down when any of the three is off: a joiner, a donor, a node cut off from the quorum', async () => {
    for (const s of [
      { ...SYNCED, wsrep_local_state_comment: 'Joining: receiving State Transfer' },
      { ...SYNCED, wsrep_local_state_comment: 'Donor/Desynced' },
      { ...SYNCED, wsrep_cluster_status: 'non-Primary', wsrep_ready: 'OFF' },
      { ...SYNCED, wsrep_ready: 'OFF' },
    ]) {
      expect(await indicator(true, s).g.isHealthy()).toEqual({ galera: { status: 'down', ...s } });
    }
    expect(await indicator(true, new Error('WSREP has not yet prepared node')).g.isHealthy()).toEqual({
      galera: { status: 'down', reason: 'GALERA_NOT_READY' }, // the driver's words are logged, not answered
    });
  });
});
