/**
 * npm run start:cluster [-- N]   (or CLUSTER_SIZE=N)
 *
 * Starts N oncepay instances from dist/ on consecutive ports (PORT, PORT+1, ...; PORT defaults to
 * 3000), all with the same environment, i.e. one database and one Redis prefix: the multi-instance
 * deployment of docs/scaling.md on one machine. Put any HTTP load balancer in front (or hit the ports
 * directly).
 *
 * - The first instance starts alone so it runs the migrations.
 * - "[cluster] up: N instance(s) healthy …" is printed only when every instance answers GET /health
 *   with 200 (MySQL and Redis reachable); until then, and after any instance stops being healthy at
 *   start, it says which are not.
 * - A crashed instance is restarted after a back-off (CLUSTER_RESTART_DELAY_MS, default 1000, doubled
 *   per crash up to 30 s; reset once it has been healthy for a minute). After CLUSTER_MAX_CRASHES
 *   (default 5) crashes in a row without a healthy minute, the script gives up: it stops every instance
 *   and exits 1 instead of restarting forever.
 * - SIGTERM, SIGINT and SIGHUP stop every instance gracefully (SIGKILL after 15 s). So does the death of
 *   the parent: `npm run` answers SIGTERM by killing only its `sh -c`, which would leave this script
 *   and its instances running as orphans.
 *
 * CLUSTER_MAIN_JS replaces dist/src/main.js (the tests use it for an instance that crashes at once).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { PRODUCT_NODE_FLAGS } from './lib/instances';

const MAIN_JS = process.env.CLUSTER_MAIN_JS ?? join(__dirname, '..', 'src', 'main.js');
const size = Number(process.argv[2] ?? process.env.CLUSTER_SIZE ?? 2);
const basePort = Number(process.env.PORT ?? 3000);
const baseDelayMs = Number(process.env.CLUSTER_RESTART_DELAY_MS ?? 1000);
const maxCrashes = Number(process.env.CLUSTER_MAX_CRASHES ?? 5);
const MAX_DELAY_MS = 30_000;
const HEALTHY_RESETS_AFTER_MS = 60_000;
const START_TIMEOUT_MS = 120_000;

if (!Number.isInteger(size) || size < 1 || size > 64) {
  process.stderr.write('usage: npm run start:cluster -- <N: 1..64>  (or CLUSTER_SIZE=N)\n');
  process.exit(2);
}

interface Instance {
  port: number;
  child?: ChildProcess;
  crashes: number;
  healthySince?: number;
  timer?: NodeJS.Timeout;
}

const instances: Instance[] = Array.from({ length: size }, (_, i) => ({ port: basePort + i, crashes: 0 }));
let stopping = false;

const log = (msg: string) => process.stderr.write(`[cluster] ${msg}\n`);

function spawnInstance(inst: Instance): ChildProcess {
  const child = spawn(process.execPath, [...PRODUCT_NODE_FLAGS, MAIN_JS], {
    env: { ...process.env, PORT: String(inst.port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  inst.child = child;
  inst.healthySince = undefined;
  const prefix = (b: Buffer) =>
    b
      .toString()
      .split('\n')
      .filter(Boolean)
      .map((l) => `[${inst.port}] ${l}\n`)
      .join('');
  child.stdout?.on('data', (b: Buffer) => process.stdout.write(prefix(b)));
  child.stderr?.on('data', (b: Buffer) => process.stderr.write(prefix(b)));
  child.on('exit', (code, signal) => onExit(inst, child, code, signal));
  return child;
}

function onExit(inst: Instance, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null) {
  if (inst.child === child) inst.child = undefined;
  if (stopping) return;
  const healthyFor = inst.healthySince ? Date.now() - inst.healthySince : 0;
  inst.crashes = healthyFor >= HEALTHY_RESETS_AFTER_MS ? 1 : inst.crashes + 1;
  if (inst.crashes >= maxCrashes) {
    log(
      `instance on ${inst.port} exited (${signal ?? code}) ${inst.crashes} times in a row without a healthy minute: giving up`,
    );
    stopAll('crash loop', 1);
    return;
  }
  const delay = Math.min(baseDelayMs * 2 ** (inst.crashes - 1), MAX_DELAY_MS);
  log(`instance on ${inst.port} exited (${signal ?? code}); restart ${inst.crashes} in ${delay} ms`);
  inst.timer = setTimeout(() => {
    if (stopping) return;
    spawnInstance(inst);
    void waitHealthy(inst).then((ok) => ok && log(`instance on ${inst.port} is healthy again`));
  }, delay);
}

/** Waits for GET /health = 200; false when the instance exited or did not get healthy in time. */
async function waitHealthy(inst: Instance): Promise<boolean> {
  const child = inst.child;
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline && !stopping) {
    if (!child || child.exitCode !== null || child.signalCode !== null || inst.child !== child) return false;
    try {
      const res = await fetch(`http://127.0.0.1:${inst.port}/health`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) {
        inst.healthySince = Date.now();
        return true;
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

async function startInstance(inst: Instance): Promise<boolean> {
  spawnInstance(inst);
  // a crash during the start is restarted by onExit; wait through those restarts
  while (!stopping) {
    if (await waitHealthy(inst)) return true;
    if (inst.child && inst.child.exitCode === null) return false; // running but not healthy in time
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

let exitCode = 0;
function stopAll(reason: string, code = 0) {
  if (stopping) return;
  stopping = true;
  exitCode = code;
  const running = instances.filter((i) => i.child);
  log(`${reason}: stopping ${running.length} instance(s)`);
  for (const inst of instances) clearTimeout(inst.timer);
  for (const inst of running) inst.child!.kill('SIGTERM');
  const force = setTimeout(() => {
    for (const inst of instances) inst.child?.kill('SIGKILL');
    process.exit(1);
  }, 15000);
  force.unref();
  const check = setInterval(() => {
    if (instances.every((i) => !i.child)) {
      clearInterval(check);
      process.exit(exitCode);
    }
  }, 100);
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => stopAll(sig));
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) stopAll('parent process gone');
}, 500).unref();

void (async () => {
  if (!(await startInstance(instances[0]))) {
    // migrations run once, in the first instance: without it the others would race them
    if (!stopping) log(`instance on ${basePort} is not healthy; not starting the others`);
    return;
  }
  const ok = await Promise.all(instances.slice(1).map((inst) => startInstance(inst)));
  if (stopping) return;
  const sick = instances.slice(1).filter((_, k) => !ok[k]);
  if (sick.length) {
    log(`not up: instance(s) on ${sick.map((i) => i.port).join(', ')} not healthy`);
    return;
  }
  log(`up: ${size} instance(s) healthy on ports ${basePort}..${basePort + size - 1}`);
})();
