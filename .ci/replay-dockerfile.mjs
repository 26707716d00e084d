#!/usr/bin/env node
// Replays the Dockerfile without a container engine, so the image can never depend on a file it does
// not get (issue 14: its `npm ci` once needed an .npmrc it did not COPY).
//
// Build stage: exactly the files its COPY lines name (minus .dockerignore) into an empty folder, then
// its RUN lines there, in order. Runtime stage: exactly what it copies from the build stage and the
// context into a second empty folder, then its CMD against this machine's MariaDB and Redis (a fresh
// database) until GET /health answers 200 — so a runtime dependency pruned by `npm prune --omit=dev`
// fails here too. Uses the Node on PATH (.ci/run puts Node 24 first, the image's major).
//
// Usage: node .ci/replay-dockerfile.mjs   (from the repository root; exits non-zero on any failure)
import { execSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';

const root = process.cwd();
const lines = readFileSync(join(root, 'Dockerfile'), 'utf8')
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));

// stages in order: { name, instructions: [[op, rest]] }
const stages = [];
for (const line of lines) {
  const [op, ...rest] = line.split(/\s+/);
  const args = rest.join(' ');
  if (op.toUpperCase() === 'FROM') {
    const m = args.match(/\bAS\s+(\S+)/i);
    stages.push({ name: m ? m[1] : String(stages.length), image: rest[0], instructions: [] });
  } else if (stages.length) {
    stages.at(-1).instructions.push([op.toUpperCase(), args]);
  }
}
if (stages.length !== 2) throw new Error(`expected a build and a runtime stage, found ${stages.length}`);

// .dockerignore, matched as Docker does: each pattern against the path from the context root ("*"
// within one segment, "**/" any number of leading segments); an excluded folder excludes its contents
const patterns = existsSync(join(root, '.dockerignore'))
  ? readFileSync(join(root, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'))
      .map((p) => {
        const body = p
          .replace(/^\/+/, '')
          .split('**/')
          .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*'))
          .join('(?:.*/)?');
        return new RegExp(`^${body}(?:/.*)?$`);
      })
  : [];
const ignored = (rel) => rel !== '' && patterns.some((re) => re.test(rel));

// COPY semantics used here: a destination ending in "/" (or ".") receives each source by its name;
// otherwise the one source becomes the destination.
function copy(fromDir, srcs, dest, dir, { context }) {
  const intoFolder = dest.endsWith('/') || dest === '.';
  if (!intoFolder && srcs.length > 1) throw new Error(`COPY of ${srcs.length} sources needs a folder: ${dest}`);
  for (const src of srcs) {
    const from = join(fromDir, src);
    if (!existsSync(from)) throw new Error(`COPY ${src}: not in ${context ? 'the build context' : 'the stage'}`);
    cpSync(from, intoFolder ? join(dir, dest, basename(src)) : join(dir, dest), {
      recursive: true,
      filter: (p) => !context || !ignored(relative(root, p)),
    });
  }
}

function run(stage, dir, env) {
  for (const [op, args] of stage.instructions) {
    if (op === 'COPY') {
      const parts = args.split(/\s+/);
      const flags = parts.filter((p) => p.startsWith('--'));
      const paths = parts.filter((p) => !p.startsWith('--'));
      const fromFlag = flags.find((f) => f.startsWith('--from='));
      const fromDir = fromFlag ? env.stageDirs[fromFlag.slice(7)] : root;
      if (!fromDir) throw new Error(`COPY ${fromFlag}: unknown stage`);
      const dest = paths.pop();
      const srcs = paths.map((p) => (fromFlag ? p.replace(/^\/app\/?/, '') : p));
      copy(fromDir, srcs, dest, dir, { context: !fromFlag });
      console.log(`[${stage.name}] COPY ${args}`);
    } else if (op === 'RUN') {
      console.log(`[${stage.name}] RUN ${args}`);
      execSync(args, { cwd: dir, stdio: 'inherit', env: { ...process.env, ...env.vars } });
    } else if (op === 'ENV') {
      const [k, ...v] = args.split('=');
      env.vars[k.trim()] = v.join('=');
    } else if (op === 'CMD') {
      env.cmd = JSON.parse(args);
    }
    // WORKDIR /app is the folder itself; USER, EXPOSE, HEALTHCHECK have nothing to replay here
  }
}

const freePort = () =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

async function main() {
  const [build, runtime] = stages.map((s) => ({ ...s, dir: mkdtempSync(join(tmpdir(), `oncepay-docker-${s.name}-`)) }));
  const env = { vars: {}, stageDirs: { [build.name]: build.dir }, cmd: undefined };
  const db = `oncepay_docker_${process.pid}`;
  let app;
  try {
    run(build, build.dir, env);
    env.vars = {};
    run(runtime, runtime.dir, env);
    if (!env.cmd) throw new Error('runtime stage has no CMD');
    const port = await freePort();
    console.log(`[${runtime.name}] CMD ${env.cmd.join(' ')} on port ${port}, database ${db}`);
    const [cmd, ...args] = env.cmd;
    app = spawn(cmd === 'node' ? process.execPath : cmd, args, {
      cwd: runtime.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH,
        ...env.vars,
        PORT: String(port),
        HOST: '127.0.0.1',
        DB_HOST: '127.0.0.1',
        DB_NAME: db,
        REDIS_KEY_PREFIX: `${db}:`,
        LOG_LEVEL: 'warn',
      },
    });
    let out = '';
    app.stdout.on('data', (b) => (out += b));
    app.stderr.on('data', (b) => (out += b));
    const deadline = Date.now() + 60000;
    for (;;) {
      if (app.exitCode !== null) throw new Error(`the app exited with ${app.exitCode}:\n${out.slice(-4000)}`);
      const res = await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined);
      if (res?.status === 200) break;
      if (Date.now() > deadline) throw new Error(`no 200 from /health in 60 s:\n${out.slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    console.log('Dockerfile replay: the build stage built and the runtime stage answers GET /health 200');
  } finally {
    app?.kill('SIGTERM');
    try {
      execSync(`mariadb -e "DROP DATABASE IF EXISTS ${db}"`, { stdio: 'ignore' });
    } catch {
      // the database may never have been created
    }
    for (const s of [build, runtime]) rmSync(s.dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`Dockerfile replay failed: ${err.message}`);
  process.exit(1);
});
