import { Logger } from '@nestjs/common';
import { settleOverdue } from './sim-refunds';

/** The overdue-refund rule both refund faces (WeChat, UnionPay) apply on a query. */
describe('settleOverdue', () => {
  const ago = (ms: number) => new Date(Date.now() - ms);
  let settled: number;
  const settle = async () => {
    settled++;
  };
  beforeEach(() => (settled = 0));

  it('settles a PROCESSING refund accepted the delay ago or more, and says so', async () => {
    expect(await settleOverdue({ status: 'PROCESSING', created_at: ago(5_000) }, 5_000, settle)).toBe(true);
    expect(settled).toBe(1);
  });

  it('leaves a refund inside the delay to its settle job', async () => {
    expect(await settleOverdue({ status: 'PROCESSING', created_at: ago(1_000) }, 5_000, settle)).toBe(false);
    expect(settled).toBe(0);
  });

  it('leaves a settled refund alone, however old', async () => {
    for (const status of ['SUCCESS', 'ABNORMAL', 'FAIL'])
      expect(await settleOverdue({ status, created_at: ago(60_000) }, 5_000, settle)).toBe(false);
    expect(settled).toBe(0);
  });

  it('answers (logs, does not raise) when the settle moved the refund but its notify could not be queued', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const failing = () => Promise.reject(new Error('redis down'));
    expect(await settleOverdue({ status: 'PROCESSING', created_at: ago(9_000) }, 5_000, failing)).toBe(true);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('redis down'));
    warn.mockRestore();
  });
});
