import { RedisFactory } from './redis.factory';

type Config = ConstructorParameters<typeof RedisFactory>[0];

describe('RedisFactory.bullClient', () => {
  // lazyConnect: nothing connects, no Redis needed
  const lazy = { lazyConnect: true };
  const factory = () =>
    new RedisFactory({
      url: 'redis://127.0.0.1:6379',
      clusterNodes: [],
      keyPrefix: 't:',
      commandTimeoutMs: 1000,
    } as Config);

  it('gives every queue the same command and subscriber connection, and each queue its own blocking one', () => {
    const f = factory();
    const clients = [f.bullClient('client', lazy), f.bullClient('client', lazy)];
    const subscribers = [f.bullClient('subscriber', lazy), f.bullClient('subscriber', lazy)];
    const blocking = [f.bullClient('bclient', lazy), f.bullClient('bclient', lazy)];
    expect(clients[0]).toBe(clients[1]);
    expect(subscribers[0]).toBe(subscribers[1]);
    expect(subscribers[0]).not.toBe(clients[0]);
    expect(blocking[0]).not.toBe(blocking[1]);
    expect(blocking).not.toContain(clients[0]);
    expect(blocking).not.toContain(subscribers[0]);
    // Bull refuses a subscriber or blocking client with a ready check or a retry limit
    for (const c of [subscribers[0], ...blocking]) {
      expect(c.options).toMatchObject({ enableReadyCheck: false, maxRetriesPerRequest: null });
    }
    for (const c of [clients[0], subscribers[0], ...blocking]) c.disconnect();
  });

  it('shares per app: another factory (another app in the same process) has its own connections', () => {
    const a = factory();
    const b = factory();
    const ca = a.bullClient('client', lazy);
    const cb = b.bullClient('client', lazy);
    expect(ca).not.toBe(cb);
    ca.disconnect();
    cb.disconnect();
  });
});
