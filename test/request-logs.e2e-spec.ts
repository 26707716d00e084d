import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { deleteRedisPrefix, dropDatabase } from './utils/services';
import { randomSuffix } from './utils/test-app';

/**
 * A record written during a request carries the request (`req`, Authorization and Cookie redacted) and its
 * `requestId`, the same bytes whether the request's logger is made lazily (every level but debug and trace,
 * issue 28) or by pino-http's middleware (debug and trace, which also log each request's completion).
 * The built app (`dist`, as logs.e2e-spec runs it) in a child process, whose stdout is the log.
 */
const ROOT = join(__dirname, '..');
const DIST = join(ROOT, 'dist', 'src');

/** The child: the app with a probe route that logs once inside the request, asked twice through inject. */
const CHILD = `
const { Controller, Get, Logger, Module } = require('@nestjs/common');
const { createApp } = require(${JSON.stringify(join(DIST, 'bootstrap.js'))});
const { Public } = require(${JSON.stringify(join(DIST, 'common', 'auth', 'auth.decorators.js'))});
class ProbeController {
  get() { new Logger('Probe').warn({ probe: 1 }, 'inside the request'); return { ok: true }; }
  quiet() { return { ok: true }; }
}
Reflect.decorate([Get('log')], ProbeController.prototype, 'get', Object.getOwnPropertyDescriptor(ProbeController.prototype, 'get'));
Reflect.decorate([Get('quiet')], ProbeController.prototype, 'quiet', Object.getOwnPropertyDescriptor(ProbeController.prototype, 'quiet'));
Reflect.decorate([Public(), Controller({ path: 'probe', version: '1' })], ProbeController);
class ProbeModule {}
Reflect.decorate([Module({ controllers: [ProbeController] })], ProbeModule);
(async () => {
  const app = await createApp([ProbeModule]);
  await app.init();
  const f = app.getHttpAdapter().getInstance();
  await f.ready();
  const q = await app.inject({ method: 'GET', url: '/v1/probe/quiet?x=0', headers: { 'x-request-id': 'rid-quiet' } });
  const r = await app.inject({ method: 'GET', url: '/v1/probe/log?x=1', headers: {
    authorization: 'Bearer secret-token', cookie: 'session=secret', 'x-request-id': 'rid-probe-1', accept: '*/*' } });
  if (q.statusCode !== 200 || r.statusCode !== 200) throw new Error('probe answered ' + q.statusCode + ' ' + r.statusCode);
  await app.close();
  process.exit(0);
})().catch((e) => { console.error(e); process.exit(1); });
`;

async function probe(level: string): Promise<string[]> {
  const dbName = `oncepay_t_${randomSuffix()}`;
  const redisPrefix = `t${randomSuffix()}:`;
  const { NODE_OPTIONS: _omit, ...env } = process.env;
  try {
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', CHILD], {
      cwd: ROOT,
      env: {
        ...env,
        NODE_ENV: 'development',
        LOG_LEVEL: level,
        DB_NAME: dbName,
        DB_CREATE_DATABASE: 'true',
        REDIS_KEY_PREFIX: redisPrefix,
      },
      maxBuffer: 64 * 1024 * 1024,
    });
    // pino may write after the child's own markers: the probe's records are found by their request ids
    return stdout.split('\n').filter((l) => l.startsWith('{') && l.includes('"rid-'));
  } finally {
    await dropDatabase(dbName);
    await deleteRedisPrefix(redisPrefix);
  }
}

/** A record as compared across the two modes: without the time and the process it came from. */
const comparable = (line: string) => {
  const { time: _t, pid: _p, ...rest } = JSON.parse(line) as Record<string, unknown>;
  return rest;
};

describe('request logs (issue 28)', () => {
  beforeAll(() => {
    if (!existsSync(join(DIST, 'main.js'))) throw new Error(`run \`npm run build\` before \`npm test\``);
  });

  it('a record inside a request: req (redacted) and requestId, the same lazily as through pino-http', async () => {
    const [lazy, eager] = [await probe('warn'), await probe('debug')];
    const inLazy = lazy.filter((l) => l.includes('inside the request'));
    const inEager = eager.filter((l) => l.includes('inside the request'));
    expect(inLazy).toHaveLength(1);
    expect(inEager).toHaveLength(1);
    const rec = comparable(inLazy[0]);
    expect(rec).toMatchObject({
      level: 40,
      context: 'Probe',
      probe: 1,
      msg: 'inside the request',
      requestId: 'rid-probe-1',
      req: {
        id: 'rid-probe-1',
        method: 'GET',
        url: '/v1/probe/log?x=1',
        query: { x: '1' },
        headers: { authorization: '[Redacted]', cookie: '[Redacted]', 'x-request-id': 'rid-probe-1' },
      },
    });
    expect(inLazy[0]).not.toContain('secret');
    expect(rec).toEqual(comparable(inEager[0])); // the same fields and values as pino-http's logger wrote
    expect(Object.keys(rec)).toEqual(Object.keys(comparable(inEager[0]))); // in the same order
    // the quiet request wrote nothing at warn; at debug pino-http logged both requests' completion
    expect(lazy.filter((l) => l.includes('rid-quiet'))).toHaveLength(0);
    expect(eager.filter((l) => l.includes('request completed'))).toHaveLength(2);
  }, 120_000);
});
