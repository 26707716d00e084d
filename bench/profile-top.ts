/**
 * node dist/bench/profile-top.js <file.cpuprofile> [N]
 *
 * Prints the N (default 25) functions with the most self time in a V8 CPU profile (from `--cpu-prof`, e.g.
 * BENCH_CPU_PROFILE=/tmp/prof npm run bench -- --quick --only callbacks), grouped by function and file, with
 * the share of all sampled time, and the idle / GC / program shares.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function main(): void {
  const [file, nArg] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: node dist/bench/profile-top.js <file.cpuprofile> [N]\n');
    process.exit(2);
  }
  const n = Number(nArg ?? 25);
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((x) => [x.id, x]));
  const self = new Map<string, number>();
  let total = 0;
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i] ?? 0;
    total += dt;
    const f = byId.get(id)!.callFrame;
    const where = f.url ? f.url.replace(/^file:\/\//, '').replace(/^.*node_modules\//, '~/') : '(native)';
    const key = `${f.functionName || '(anonymous)'}  ${where}${f.url ? `:${f.lineNumber + 1}` : ''}`;
    self.set(key, (self.get(key) ?? 0) + dt);
  });
  const rows = [...self.entries()].sort((a, b) => b[1] - a[1]);
  const share = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)} %`;
  process.stdout.write(`${file}: ${(total / 1e6).toFixed(1)} s sampled\n`);
  for (const [k, us] of rows.slice(0, n))
    process.stdout.write(`${share(us)}  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}\n`);
}

main();
