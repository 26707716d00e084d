import { ChildProcess, execSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from './factories/order.factory';
import { deleteRedisPrefix, dropDatabase } from './utils/services';
import { freeConsecutivePorts, freePort, randomSuffix } from './utils/test-app';

/**
 * `npm run start:cluster` (bench/cluster.ts, run from dist/): "up" only when every instance is
 * healthy; SIGTERM of the parent (as `npm run` does it: only its `sh -c` dies) stops every instance;
 * a crash loop backs off and gives up.
 */
const ROOT = join(__dirname, '..');
const CLUSTER_JS = join(ROOT, 'dist', 'bench', 'cluster.js');
const SRC = join(ROOT, 'bench', 'cluster.ts');

function ensureBuilt() {
  if (existsSync(CLUSTER_JS) && statSync(CLUSTER_JS).mtimeMs >= statSync(SRC).mtimeMs) return;
  spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
    cwd: ROOT,
  });
  if (!existsSync(CLUSTER_JS)) throw new Error('dist/bench/cluster.js was not built');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface Run {
  proc: ChildProcess;
  err: () => string;
  exited: Promise<number | null>;
}

/** Runs the script under `sh -c` (as npm does), with its own stderr captured. */
function run(env: Record<string, string>, size: number): Run {
  const proc = spawn(
    'sh',
    ['-c', `"${process.execPath}" "${CLUSTER_JS}" ${size}; echo "cluster-exit:$?" >&2`],
    {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let err = '';
  proc.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', resolve));
  return { proc, err: () => err, exited };
}

describe('npm run start:cluster', () => {
  beforeAll(() => ensureBuilt(), 120_000);

  it('a crash loop backs off and gives up: every instance stopped, exit 1', async () => {
    const port = await freePort();
    // an instance that dies at once, every time (a stand-in for main.js: the loop is the script's)
    const crash = join(tmpdir(), `oncepay-crash-${randomSuffix()}.js`);
    writeFileSync(crash, 'process.exit(3);\n');
    const r = run(
      {
        PORT: String(port),
        CLUSTER_MAIN_JS: crash,
        CLUSTER_RESTART_DELAY_MS: '50',
        CLUSTER_MAX_CRASHES: '3',
      },
      1,
    );
    await r.exited;
    rmSync(crash, { force: true });
    expect(r.err()).toMatch(/cluster-exit:1/);
    expect(r.err()).toMatch(/restart 1 in 50 ms/);
    expect(r.err()).toMatch(/restart 2 in 100 ms/);
    expect(r.err()).toMatch(/3 times in a row without a healthy minute: giving up/);
    expect(r.err()).not.toMatch(/\] up:/);
  }, 60_000);

  it('says "up" once both instances are healthy; SIGTERM to the parent shell stops them all', async () => {
    const port = await freeConsecutivePorts(2); // the script listens on PORT and PORT+1
    const dbName = `oncepay_t_${randomSuffix()}`;
    const prefix = `t${randomSuffix()}:`;
    const r = run(
      {
        PORT: String(port),
        HOST: '127.0.0.1',
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        DB_NAME: dbName,
        REDIS_KEY_PREFIX: prefix,
      },
      2,
    );
    try {
      await eventually(async () => /\] up: 2 instance\(s\) healthy/.test(r.err()), 180_000, 100).catch(
        (err: Error) => {
          throw new Error(`${err.message}; its stderr:\n${r.err()}`);
        },
      );
      for (const p of [port, port + 1]) {
        expect((await fetch(`http://127.0.0.1:${p}/health`)).status).toBe(200);
      }
      const children = (pid: number) =>
        execSync(`pgrep -P ${pid} || true`).toString().trim().split('\n').map(Number).filter(Boolean);
      const [cluster] = children(r.proc.pid!);
      expect(cluster).toBeGreaterThan(0);
      const instances = children(cluster);
      expect(instances).toHaveLength(2);

      r.proc.kill('SIGTERM'); // only the shell, as `npm run` does
      await eventually(async () => !alive(cluster) && instances.every((p) => !alive(p)), 30_000, 100);
      expect(r.err()).toMatch(/parent process gone: stopping 2 instance\(s\)/);
    } finally {
      r.proc.kill('SIGKILL');
      await dropDatabase(dbName);
      await deleteRedisPrefix(prefix);
    }
  }, 240_000);
});
