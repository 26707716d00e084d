import { benchRoutesEnabled } from '../config/configuration';
import { validateEnv } from '../config/env.validation';

describe('BENCH_ROUTES', () => {
  it('is off by default and on when asked outside production', () => {
    expect(validateEnv({}).BENCH_ROUTES).toBe(false);
    expect(benchRoutesEnabled({})).toBe(false);
    expect(benchRoutesEnabled({ BENCH_ROUTES: 'true' })).toBe(true);
    expect(benchRoutesEnabled({ BENCH_ROUTES: 'true', NODE_ENV: 'test' })).toBe(true);
  });

  it('is refused in production with one line naming it', () => {
    expect(() =>
      validateEnv({
        NODE_ENV: 'production',
        BENCH_ROUTES: 'true',
        JWT_SECRET: 'x'.repeat(20),
        PAYMENT_GATEWAY: 'alipay',
      }),
    ).toThrow(/^Invalid configuration: "BENCH_ROUTES" must not be true when NODE_ENV=production$/);
    expect(
      benchRoutesEnabled({
        NODE_ENV: 'production',
        BENCH_ROUTES: 'true',
        JWT_SECRET: 'x'.repeat(20),
        PAYMENT_GATEWAY: 'alipay',
      }),
    ).toBe(false);
  });

  it('rejects a value that is not a boolean', () => {
    expect(() => validateEnv({ BENCH_ROUTES: 'sometimes' })).toThrow(/"BENCH_ROUTES" must be a boolean/);
  });
});
