import { newOrderNo, ORDER_NO_PATTERN } from './order-no';
import { ORDER_MACHINE, ORDER_STATUSES, OrderStatus } from './order-state';

describe('ORDER_MACHINE', () => {
  const allowed: Array<[OrderStatus, OrderStatus]> = [
    ['CREATED', 'PAYING'],
    ['CREATED', 'PAID'],
    ['CREATED', 'CANCELLED'],
    ['PAYING', 'PAID'],
    ['PAYING', 'CREATED'],
    ['PAYING', 'CANCELLED'],
    ['PAID', 'PARTIALLY_REFUNDED'],
    ['PAID', 'REFUNDED'],
    ['PARTIALLY_REFUNDED', 'REFUNDED'],
  ];

  it('allows exactly the transitions of DESIGN.md §4', () => {
    for (const from of ORDER_STATUSES) {
      for (const to of ORDER_STATUSES) {
        const expected = allowed.some(([f, t]) => f === from && t === to);
        expect([from, to, ORDER_MACHINE.canTransition(from, to)]).toEqual([from, to, expected]);
      }
    }
  });

  it('REFUNDED and CANCELLED are terminal; a forbidden move throws ILLEGAL_TRANSITION', () => {
    expect(ORDER_MACHINE.isTerminal('REFUNDED')).toBe(true);
    expect(ORDER_MACHINE.isTerminal('CANCELLED')).toBe(true);
    expect(ORDER_MACHINE.isTerminal('PAID')).toBe(false);
    expect(() => ORDER_MACHINE.assertTransition('PAID', 'CANCELLED')).toThrow(
      expect.objectContaining({ code: 'ILLEGAL_TRANSITION' }),
    );
  });
});

describe('newOrderNo', () => {
  it('is 29 digits: UTC yyyyMMddHHmmssSSS then 12 random digits', () => {
    const no = newOrderNo(new Date(Date.UTC(2026, 10, 23, 9, 5, 7, 42)));
    expect(no).toMatch(/^20261123090507042[0-9]{12}$/);
    expect(no).toMatch(ORDER_NO_PATTERN);
    expect(no.length).toBeLessThanOrEqual(32);
  });

  it('does not repeat within one millisecond over 100,000 draws', () => {
    const at = new Date();
    const seen = new Set(Array.from({ length: 100_000 }, () => newOrderNo(at)));
    expect(seen.size).toBe(100_000);
  });
});
