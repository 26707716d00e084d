import { EntityManager } from 'typeorm';
import { TransactionService } from '../src/common/database/transaction.service';
import { DedupService } from '../src/idempotency';
import { createTestApp, randomSuffix, TestApp } from './utils/test-app';

/**
 * DedupService.markAll / unmark on real MySQL (issue 28: the success path inserts its PAYMENT_SUCCEEDED
 * and ORDER_PAID markers with one statement). What the success path rests on: a multi-row insert that
 * meets one existing marker writes none of them and leaves the transaction usable; two instances
 * marking the same pair at once get exactly one `true`; a taken-back marker is gone at commit.
 */
describe('DedupService.markAll (real MySQL)', () => {
  let t: TestApp;
  let t2: TestApp; // a second instance on the same database

  beforeAll(async () => {
    t = await createTestApp();
    t2 = await createTestApp({ dbName: t.dbName, redisPrefix: t.redisPrefix, keepDb: true });
  });
  afterAll(async () => {
    await t2.close();
    await t.close();
  });

  const rows = async (refType: string, refId: string) =>
    Number(
      (
        await t.dataSource.query('SELECT COUNT(*) AS n FROM t_uq_dipose WHERE ref_type = ? AND ref_id = ?', [
          refType,
          refId,
        ])
      )[0].n,
    );
  const run = <T>(app: TestApp, work: (m: EntityManager) => Promise<T>) =>
    app.app.get(TransactionService).run(work);

  it('two new markers: one statement writes both', async () => {
    const ref = randomSuffix();
    const dedup = t.app.get(DedupService);
    expect(
      await run(t, (m) =>
        dedup.markAll(m, [
          ['TEST_A', ref],
          ['TEST_B', ref],
        ]),
      ),
    ).toBe(true);
    expect([await rows('TEST_A', ref), await rows('TEST_B', ref)]).toEqual([1, 1]);
  });

  it('one of them there already: false, the new one not written, the transaction still usable', async () => {
    const ref = randomSuffix();
    const dedup = t.app.get(DedupService);
    await run(t, (m) => dedup.runOnce('TEST_B', ref, async () => 1, { manager: m }));
    const after = await run(t, async (m) => {
      const marked = await dedup.markAll(m, [
        ['TEST_A', ref],
        ['TEST_B', ref],
      ]);
      // MySQL rolled back the failed statement only: the first row of it is not there, even to us
      const seen = Number(
        (
          await m.query("SELECT COUNT(*) AS n FROM t_uq_dipose WHERE ref_type = 'TEST_A' AND ref_id = ?", [
            ref,
          ])
        )[0].n,
      );
      const alone = await dedup.runOnce('TEST_A', ref, async () => 'ran', { manager: m });
      return { marked, seen, alone };
    });
    expect(after).toEqual({ marked: false, seen: 0, alone: { status: 'done', result: 'ran' } });
    expect([await rows('TEST_A', ref), await rows('TEST_B', ref)]).toEqual([1, 1]);
  });

  it('40 transactions over two instances mark the same pair at once: exactly one true, one row each', async () => {
    const ref = randomSuffix();
    let works = 0;
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => {
        const app = i % 2 ? t : t2;
        return run(app, async (m) => {
          const marked = await app.app.get(DedupService).markAll(m, [
            ['TEST_A', ref],
            ['TEST_B', ref],
          ]);
          if (marked) {
            works++;
            await m.query('SELECT SLEEP(0.05)'); // hold the markers while the others wait on them
          }
          return marked;
        });
      }),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(works).toBe(1);
    expect([await rows('TEST_A', ref), await rows('TEST_B', ref)]).toEqual([1, 1]);
  });

  it('unmark takes back this transaction’s own marker; a marker that is not there throws', async () => {
    const ref = randomSuffix();
    const dedup = t.app.get(DedupService);
    await run(t, async (m) => {
      expect(
        await dedup.markAll(m, [
          ['TEST_A', ref],
          ['TEST_B', ref],
        ]),
      ).toBe(true);
      await dedup.unmark(m, 'TEST_B', ref);
    });
    expect([await rows('TEST_A', ref), await rows('TEST_B', ref)]).toEqual([1, 0]);
    await expect(run(t, (m) => dedup.unmark(m, 'TEST_B', ref))).rejects.toThrow(/no marker/);
  });

  it('outside a transaction it refuses (the markers must commit with their work)', async () => {
    await expect(
      t.app.get(DedupService).markAll(t.dataSource.manager, [['TEST_A', randomSuffix()]]),
    ).rejects.toThrow(/not inside a transaction/);
  });
});
