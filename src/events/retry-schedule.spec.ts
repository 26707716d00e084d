import { nextRetryDelay } from './retry-schedule';

describe('webhook retry schedule', () => {
  const delays = [60000, 300000, 1800000, 7200000, 21600000, 43200000, 86400000];

  it('after attempt n fails, the next waits the n-th delay', () => {
    expect(nextRetryDelay(delays, 1)).toBe(60000);
    expect(nextRetryDelay(delays, 2)).toBe(300000);
    expect(nextRetryDelay(delays, 7)).toBe(86400000);
  });

  it('gives up after 1 + delays.length attempts', () => {
    expect(nextRetryDelay(delays, 8)).toBeNull();
    expect(nextRetryDelay([10], 2)).toBeNull();
    expect(nextRetryDelay([], 1)).toBeNull();
  });

  it('attempt numbers start at 1', () => {
    expect(() => nextRetryDelay(delays, 0)).toThrow(/start at 1/);
  });
});
