import { DEFAULT_TX_RETRY, mayRetry, txRetryDelayMs, TxRetryPolicy } from './tx-retry';

describe('transaction retry policy', () => {
  const p: TxRetryPolicy = { attempts: 6, baseMs: 10, capMs: 100, budgetMs: 1000 };

  it('the ceiling doubles per attempt up to the cap; the wait is drawn below it (full jitter), never 0', () => {
    expect([1, 2, 3, 4, 5, 6].map((a) => txRetryDelayMs(p, a, 0.999999))).toEqual([10, 20, 40, 80, 100, 100]);
    expect([1, 2, 3, 4, 5].map((a) => txRetryDelayMs(p, a, 0))).toEqual([1, 1, 1, 1, 1]);
    expect(txRetryDelayMs(p, 3, 0.5)).toBe(21);
  });

  it('two losers of one round draw different waits (not all at once)', () => {
    const waits = new Set(Array.from({ length: 50 }, () => txRetryDelayMs(DEFAULT_TX_RETRY, 4)));
    expect(waits.size).toBeGreaterThan(10);
  });

  it('stops at the attempt bound or when the next wait would pass the time budget', () => {
    expect(mayRetry(p, 1, 0, 10)).toBe(true);
    expect(mayRetry(p, 5, 0, 10)).toBe(true);
    expect(mayRetry(p, 6, 0, 10)).toBe(false);
    expect(mayRetry(p, 2, 950, 49)).toBe(true);
    expect(mayRetry(p, 2, 950, 50)).toBe(false);
  });

  it('the default fits a storm: 10 attempts within 3 s, waits up to 250 ms', () => {
    expect(DEFAULT_TX_RETRY).toEqual({ attempts: 10, baseMs: 10, capMs: 250, budgetMs: 3000 });
    // the worst case of all waits stays under the budget, so the count is the bound, not the clock
    const worst = [1, 2, 3, 4, 5, 6, 7, 8, 9].reduce(
      (s, a) => s + txRetryDelayMs(DEFAULT_TX_RETRY, a, 0.999999),
      0,
    );
    expect(worst).toBeLessThan(DEFAULT_TX_RETRY.budgetMs);
  });
});
