import { ChildProcess, spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { sleep } from './infra';

/** True when something accepts TCP connections on 127.0.0.1:port. */
export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * A private, throwaway redis-server for the chaos run (no persistence), so that stopping Redis or
 * losing its keys is something chaos may do without touching the shared server on 6379.
 */
export class PrivateRedis {
  private proc?: ChildProcess;

  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Picks the first free port from `from` (6391 by default). */
  static async create(from = 6391): Promise<PrivateRedis> {
    for (let port = from; port < from + 50; port++) {
      if (!(await portOpen(port))) {
        const r = new PrivateRedis(port);
        await r.start();
        return r;
      }
    }
    throw new Error('no free port for a private redis-server');
  }

  async start(): Promise<void> {
    this.proc = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--protected-mode',
        'yes',
      ],
      { stdio: 'ignore' },
    );
    for (let i = 0; i < 50; i++) {
      if (await portOpen(this.port)) return;
      await sleep(100);
    }
    throw new Error(`redis-server on ${this.port} did not start`);
  }

  /** Stops this server only (SIGKILL: an abrupt loss, as a crash would be). */
  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const gone = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill('SIGKILL');
    await gone;
  }
}
