import { fenToYuan, tryYuanToFen, yuanToFen } from './money';

describe('money (fen ↔ yuan, string maths)', () => {
  it.each([
    [12345, '123.45'],
    [0, '0.00'],
    [5, '0.05'],
    [50, '0.50'],
    [100, '1.00'],
    [600000, '6000.00'],
    [Number.MAX_SAFE_INTEGER, '90071992547409.91'],
  ])('fenToYuan(%p) === %p', (fen, yuan) => {
    expect(fenToYuan(fen)).toBe(yuan);
  });

  it.each([-1, 1.5, NaN, Infinity, 2 ** 53])('fenToYuan rejects %p', (fen) => {
    expect(() => fenToYuan(fen)).toThrow(RangeError);
  });

  it.each([
    ['123.45', 12345],
    ['1', 100],
    ['0.5', 50],
    ['0.05', 5],
    ['0', 0],
    ['0.00', 0],
    ['6000.00', 600000],
    ['0.1', 10],
    ['0.29', 29], // 0.29 * 100 is 28.999999999999996 in floats
  ])('yuanToFen(%p) === %p', (yuan, fen) => {
    expect(yuanToFen(yuan)).toBe(fen);
  });

  it.each(['1.234', '1e3', '-1', '', ' 1', '1 ', '01', '1.', '.5', '1,00', 'abc', '0x10', '+1', '١'])(
    'yuanToFen rejects %p',
    (yuan) => {
      expect(() => yuanToFen(yuan)).toThrow(RangeError);
      expect(tryYuanToFen(yuan)).toBeNull();
    },
  );

  it('round-trips every amount in a range', () => {
    for (let fen = 0; fen < 5000; fen += 7) expect(yuanToFen(fenToYuan(fen))).toBe(fen);
  });

  it('tryYuanToFen rejects non-strings', () => {
    expect(tryYuanToFen(1)).toBeNull();
    expect(tryYuanToFen(undefined)).toBeNull();
  });
});
