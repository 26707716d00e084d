import { fenToYuan, tryYuanToFen } from './sandbox-money';

describe('sandbox money (the simulators own formatting)', () => {
  it.each([
    [0, '0.00'],
    [5, '0.05'],
    [50, '0.50'],
    [1234, '12.34'],
    [100000, '1000.00'],
  ])('fenToYuan(%p) = %p', (fen, yuan) => {
    expect(fenToYuan(fen)).toBe(yuan);
    expect(tryYuanToFen(yuan)).toBe(fen);
  });

  it('refuses bad fen', () => {
    expect(() => fenToYuan(-1)).toThrow(RangeError);
    expect(() => fenToYuan(1.5)).toThrow(RangeError);
  });

  it.each([['12'], ['0.5']])('reads %p', (y) => expect(tryYuanToFen(y)).toBe(y === '12' ? 1200 : 50));

  it.each([[''], ['1.'], ['1.234'], ['-1'], ['1e3'], ['01'], [' 1'], ['1.2.3'], [12], [null]])(
    'refuses %p',
    (y) => expect(tryYuanToFen(y)).toBeNull(),
  );
});
