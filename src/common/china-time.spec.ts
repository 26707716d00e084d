import { cstDay, fromCst, previousCstDate, toCst, toCstRfc3339 } from './china-time';

describe('china-time (UTC+8, no DST)', () => {
  const at = new Date('2026-11-30T16:30:05.123Z'); // 00:30:05 on 1 December in China

  it('formats an instant as Alipay and WeChat Pay write it, on the China calendar day', () => {
    expect(toCst(at)).toBe('2026-12-01 00:30:05');
    expect(toCstRfc3339(at)).toBe('2026-12-01T00:30:05+08:00');
    expect(new Date(toCstRfc3339(at)).getTime()).toBe(at.getTime() - 123);
  });

  it('reads Alipay times (and WeChat bill lines) back, and refuses anything else', () => {
    expect(fromCst('2026-12-01 00:30:05')).toEqual(new Date('2026-11-30T16:30:05Z'));
    for (const bad of ['2026-12-01T00:30:05', '2026-12-01 00:30', '`2026-12-01 00:30:05', '', null, 5]) {
      expect(fromCst(bad)).toBeNull();
    }
  });

  it('a China day is [00:00, 24:00) at UTC+8; the day before a moment is on that calendar', () => {
    expect(cstDay('2026-12-01')).toEqual([
      new Date('2026-11-30T16:00:00Z'),
      new Date('2026-12-01T16:00:00Z'),
    ]);
    expect(cstDay('2026-13-01')).toBeNull();
    expect(previousCstDate(at)).toBe('2026-11-30');
    expect(previousCstDate(new Date('2026-11-30T15:59:59Z'))).toBe('2026-11-29');
  });
});
