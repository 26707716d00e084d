import { HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { healthReasonOf, HealthProblem } from './health-reason';
import { MysqlHealthIndicator } from './mysql.health';

describe('MysqlHealthIndicator', () => {
  const health = new HealthIndicatorService();
  const withPing = (result: Record<string, unknown>) =>
    new MysqlHealthIndicator({ pingCheck: async () => result } as unknown as TypeOrmHealthIndicator, health);

  it('up stays as terminus reports it', async () => {
    const up = { mysql: { status: 'up', responseTime: 2 } };
    expect(await withPing(up).isHealthy()).toEqual(up);
  });

  it.each([
    ['connect ECONNREFUSED 10.1.2.3:3306', 'UNREACHABLE'],
    ["Access denied for user 'oncepay'@'10.1.2.4' (using password: YES)", 'UNREACHABLE'],
    ['timeout of 1500ms exceeded', 'TIMEOUT'],
  ])('down (%s) says only the reason %s', async (message, reason) => {
    const res = await withPing({ mysql: { status: 'down', message, responseTime: 1500 } }).isHealthy();
    expect(res).toEqual({ mysql: { status: 'down', reason, responseTime: 1500 } });
    expect(JSON.stringify(res)).not.toContain(message);
  });
});

describe('healthReasonOf', () => {
  it('a HealthProblem keeps its reason; timeouts and the rest are classified', () => {
    expect(healthReasonOf(new HealthProblem('CLUSTER_STATE_NOT_OK', 'master x: cluster_state:fail'))).toBe(
      'CLUSTER_STATE_NOT_OK',
    );
    expect(healthReasonOf(new Error('PING: no answer within 1000 ms'))).toBe('TIMEOUT');
    expect(healthReasonOf(new Error('Command timed out'))).toBe('TIMEOUT');
    expect(healthReasonOf(new Error("Stream isn't writeable and enableOfflineQueue options is false"))).toBe(
      'UNREACHABLE',
    );
  });
});
