import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, randomSuffix } from './utils/test-app';
import { deleteRedisPrefix, dropDatabase } from './utils/services';

/**
 * The BUILT app (`node dist/src/main.js`) as a child process, on plain Node: Jest's module interop
 * (and its --experimental-vm-modules) is looser than Node's own loader, so an import that only
 * breaks the real start (an ESM-only package required the wrong way, a default-import mismatch)
 * passes every other suite. Needs `npm run build` first, as `.ci/run` does.
 */
const ROOT = join(__dirname, '..');
const MAIN_JS = join(ROOT, 'dist', 'src', 'main.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts'))
      newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

describe('built app (dist) starts on plain Node', () => {
  const dbName = `oncepay_t_${randomSuffix()}`;
  const redisPrefix = `t${randomSuffix()}:`;
  let proc: ChildProcess | undefined;
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const output: string[] = [];
  let baseUrl = '';

  beforeAll(async () => {
    if (!existsSync(MAIN_JS))
      throw new Error(`${MAIN_JS} is missing: run \`npm run build\` before \`npm test\``);
    if (statSync(MAIN_JS).mtimeMs < newestMtime(join(ROOT, 'src')))
      throw new Error('dist/ is older than src/: run `npm run build` before `npm test`');
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    // no NODE_OPTIONS: Jest's --experimental-vm-modules must not be what makes the app start
    const { NODE_OPTIONS: _omit, ...env } = process.env;
    proc = spawn(process.execPath, [MAIN_JS], {
      cwd: ROOT,
      env: {
        ...env,
        NODE_ENV: 'test',
        LOG_LEVEL: 'warn',
        HOST: '127.0.0.1',
        PORT: String(port),
        DB_NAME: dbName,
        DB_CREATE_DATABASE: 'true',
        REDIS_KEY_PREFIX: redisPrefix,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (b: Buffer) => output.push(b.toString());
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    proc.on('exit', (code, signal) => (exited = { code, signal }));
    // wait for the listening socket (or the process to die), not for a fixed time
    for (;;) {
      if (exited) throw new Error(`dist/src/main.js exited (${JSON.stringify(exited)}):\n${output.join('')}`);
      try {
        await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(2000) });
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }, 120000);

  afterAll(async () => {
    if (proc && !exited) {
      const gone = new Promise((r) => proc!.once('exit', r));
      proc.kill('SIGTERM');
      await gone;
    }
    await dropDatabase(dbName);
    await deleteRedisPrefix(redisPrefix);
  });

  it('GET /health is 200 with mysql and redis up', async () => {
    const res = await fetch(`${baseUrl}/health`);
    const body = (await res.json()) as { status: string; info: Record<string, { status: string }> };
    expect(res.status).toBe(200);
    expect(body.status).toBe('ok');
    expect(body.info.mysql.status).toBe('up');
    expect(body.info.redis.status).toBe('up');
  });

  it('GET /docs-json is the OpenAPI document with the order routes', async () => {
    const res = await fetch(`${baseUrl}/docs-json`);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(res.status).toBe(200);
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/orders', '/health']));
  });
});
