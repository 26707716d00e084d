import { cstDay, fromCst, toCst, toCstRfc3339 } from './sandbox-time';

/** The simulators' China-time formats, against values worked out by hand (UTC+8, no DST). */
describe('sandbox-time', () => {
  const at = new Date('2026-12-07T16:05:09.750Z'); // 00:05:09 on 12-08 in Beijing

  it('formats Beijing wall-clock time, across the UTC date line', () => {
    expect(toCst(at)).toBe('2026-12-08 00:05:09');
    expect(toCstRfc3339(at)).toBe('2026-12-08T00:05:09+08:00');
    expect(toCst(new Date('2026-02-28T16:00:00Z'))).toBe('2026-03-01 00:00:00');
  });

  it('reads it back to the second; refuses what is malformed or impossible', () => {
    expect(fromCst('2026-12-08 00:05:09')?.toISOString()).toBe('2026-12-07T16:05:09.000Z');
    for (const bad of [
      '2026-02-30 10:00:00',
      '2026-12-08T00:05:09',
      '2026-12-08 0:05:09',
      '',
      20261208,
      null,
    ]) {
      expect(fromCst(bad)).toBeNull();
    }
  });

  it('a China-time day is 24 h from its Beijing midnight', () => {
    const [from, to] = cstDay('2026-12-08')!;
    expect(from.toISOString()).toBe('2026-12-07T16:00:00.000Z');
    expect(to.toISOString()).toBe('2026-12-08T16:00:00.000Z');
    expect(cstDay('2026-13-01')).toBeNull();
  });
});
