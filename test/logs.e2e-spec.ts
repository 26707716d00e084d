import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { deleteRedisPrefix, dropDatabase } from './utils/services';
import { freePort, randomSuffix } from './utils/test-app';

/**
 * Logs of the built app (`node dist/src/main.js`, as dist-smoke runs it): pretty lines when a person
 * watches a terminal (a pseudo-terminal from util-linux `script`), JSON lines when stdout is a pipe.
 * Issue 14.
 */
const ROOT = join(__dirname, '..');
const MAIN_JS = join(ROOT, 'dist', 'src', 'main.js');
const STARTED = 'Nest application successfully started';
// eslint-disable-next-line no-control-regex
const stripAnsi = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '');

/** Starts the app, waits for the "started" log line, stops it; returns everything it printed. */
async function startedOutput(tty: boolean): Promise<string> {
  const port = await freePort();
  const dbName = `oncepay_t_${randomSuffix()}`;
  const redisPrefix = `t${randomSuffix()}:`;
  const { NODE_OPTIONS: _omit, ...env } = process.env;
  const command = `echo "PID=$$"; exec ${JSON.stringify(process.execPath)} ${JSON.stringify(MAIN_JS)}`;
  const proc = tty
    ? spawn('script', ['-qfec', command, '/dev/null'], {
        cwd: ROOT,
        env: childEnv(),
        stdio: ['pipe', 'pipe', 'pipe'],
      })
    : spawn('sh', ['-c', command], { cwd: ROOT, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  proc.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise((r) => proc.once('exit', r));
  try {
    const deadline = Date.now() + 60_000;
    while (!out.includes(STARTED)) {
      if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`the app did not start:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return stripAnsi(out).replace(/\r/g, '');
  } finally {
    const pid = Number(/PID=(\d+)/.exec(out)?.[1]);
    if (pid) process.kill(pid, 'SIGTERM'); // the node process (the shell exec'd into it)
    await exited;
    await dropDatabase(dbName);
    await deleteRedisPrefix(redisPrefix);
  }

  function childEnv() {
    return {
      ...env,
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      HOST: '127.0.0.1',
      PORT: String(port),
      DB_NAME: dbName,
      DB_CREATE_DATABASE: 'true',
      REDIS_KEY_PREFIX: redisPrefix,
    };
  }
}

describe('logs', () => {
  beforeAll(() => {
    if (!existsSync(MAIN_JS))
      throw new Error(`${MAIN_JS} is missing: run \`npm run build\` before \`npm test\``);
  });

  it('on a terminal, outside production: one readable line per record', async () => {
    const out = await startedOutput(true);
    const line = out.split('\n').find((l) => l.includes(STARTED))!;
    expect(line).toMatch(
      /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: \(NestApplication\) Nest application successfully started/,
    );
    expect(out).not.toMatch(/^\{"level"/m);
  }, 90_000);

  it('piped (docker, a log shipper): JSON lines', async () => {
    const out = await startedOutput(false);
    const line = out.split('\n').find((l) => l.includes(STARTED))!;
    expect(JSON.parse(line)).toMatchObject({ level: 30, context: 'NestApplication', msg: STARTED });
  }, 90_000);
});
