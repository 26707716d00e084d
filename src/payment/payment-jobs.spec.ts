import { queryOffsetMs } from './payment-jobs';

describe('queryOffsetMs (active query schedule)', () => {
  const delays = [10_000, 20_000, 30_000];

  it('follows PAYMENT_QUERY_DELAYS_MS first, as offsets from the pre-pay', () => {
    expect([1, 2, 3].map((n) => queryOffsetMs(n, delays, 900_000))).toEqual([10_000, 20_000, 30_000]);
  });

  it('then doubles the last gap, capped at 5 minutes, until the payment timeout', () => {
    const offsets: number[] = [];
    for (let n = 1; ; n++) {
      const o = queryOffsetMs(n, delays, 900_000);
      if (o === null) break;
      offsets.push(o);
    }
    expect(offsets.slice(0, 7)).toEqual([10_000, 20_000, 30_000, 50_000, 90_000, 170_000, 330_000]);
    const gaps = offsets.slice(1).map((o, i) => o - offsets[i]);
    expect(Math.max(...gaps)).toBe(300_000);
    expect(offsets[offsets.length - 1]).toBeLessThan(900_000);
  });

  it('stops (null) once an offset reaches the timeout', () => {
    expect(queryOffsetMs(4, [300, 600, 900], 2000)).toBe(1500);
    expect(queryOffsetMs(5, [300, 600, 900], 2000)).toBeNull();
    expect(queryOffsetMs(1, [5000], 2000)).toBeNull();
  });

  it('handles a single delay', () => {
    expect([1, 2, 3].map((n) => queryOffsetMs(n, [1000], 60_000))).toEqual([1000, 3000, 7000]);
  });
});
