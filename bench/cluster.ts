/**
 * npm run start:cluster [-- N]   (or CLUSTER_SIZE=N)
 *
 * Starts N oncepay instances from dist/ on consecutive ports (PORT, PORT+1, ...; PORT defaults to
 * 3000), all with the same environment, i.e. one database and one Redis prefix: the multi-instance
 * deployment of docs/scaling.md on one machine. Put any HTTP load balancer in front (or hit the ports
 * directly). The first instance starts alone so it runs the migrations; a crashed instance is
 * restarted after a second; Ctrl-C stops them all gracefully.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

const MAIN_JS = join(__dirname, '..', 'src', 'main.js');
const size = Number(process.argv[2] ?? process.env.CLUSTER_SIZE ?? 2);
const basePort = Number(process.env.PORT ?? 3000);
if (!Number.isInteger(size) || size < 1 || size > 64) {
  process.stderr.write('usage: npm run start:cluster -- <N: 1..64>  (or CLUSTER_SIZE=N)\n');
  process.exit(2);
}

const children = new Map<number, ChildProcess>();
let stopping = false;

function start(i: number): Promise<void> {
  const port = basePort + i;
  const child = spawn(process.execPath, [MAIN_JS], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.set(i, child);
  const prefix = (b: Buffer) =>
    b
      .toString()
      .split('\n')
      .filter(Boolean)
      .map((l) => `[${port}] ${l}\n`)
      .join('');
  child.stdout?.on('data', (b: Buffer) => process.stdout.write(prefix(b)));
  child.stderr?.on('data', (b: Buffer) => process.stderr.write(prefix(b)));
  child.on('exit', (code, signal) => {
    children.delete(i);
    if (stopping) return;
    process.stderr.write(`[cluster] instance on ${port} exited (${signal ?? code}); restarting in 1 s\n`);
    setTimeout(() => void start(i), 1000);
  });
  return waitHealthy(port, child);
}

async function waitHealthy(port: number, child: ChildProcess): Promise<void> {
  for (let t = 0; t < 600; t++) {
    if (child.exitCode !== null) return;
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(1000) });
      if (res.status < 500) {
        process.stderr.write(`[cluster] instance on ${port} is up\n`);
        return;
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

function stopAll(signal: NodeJS.Signals) {
  if (stopping) return;
  stopping = true;
  process.stderr.write(`[cluster] ${signal}: stopping ${children.size} instance(s)\n`);
  for (const c of children.values()) c.kill('SIGTERM');
  const force = setTimeout(() => {
    for (const c of children.values()) c.kill('SIGKILL');
    process.exit(1);
  }, 15000);
  force.unref();
  const check = setInterval(() => {
    if (children.size === 0) {
      clearInterval(check);
      process.exit(0);
    }
  }, 100);
}

process.on('SIGINT', () => stopAll('SIGINT'));
process.on('SIGTERM', () => stopAll('SIGTERM'));

void (async () => {
  await start(0); // migrations run once, in the first instance
  await Promise.all(Array.from({ length: size - 1 }, (_, k) => start(k + 1)));
  process.stderr.write(`[cluster] ${size} instance(s) on ports ${basePort}..${basePort + size - 1}\n`);
})();
