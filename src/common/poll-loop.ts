import { Logger } from '@nestjs/common';

/**
 * A coalescing background poll loop, for workers that drain a MySQL table (the outbox relay, the
 * buffered-callback worker). Runs `pass` every `intervalMs`, and as soon as possible when nudged; a
 * pass that reports more work (a full batch) runs again at once. Passes never overlap; a nudge during
 * a pass makes it go round once more. Errors are logged and the loop goes on.
 */
export class PollLoop {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = true;

  /** @param pass one pass; resolves true when there may be more to do right away */
  constructor(
    private readonly name: string,
    private readonly intervalMs: number,
    private readonly pass: () => Promise<boolean>,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops polling and waits for a running pass. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** A pass as soon as possible (coalesced with a running one). */
  nudge(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.tick();
    }, ms);
    this.timer.unref?.();
  }

  private async tick(): Promise<void> {
    if (this.running || this.stopped) return;
    this.running = (async () => {
      try {
        do {
          this.again = false;
          if (await this.pass()) this.again = true;
        } while (this.again && !this.stopped);
      } catch (err) {
        this.logger.warn(`${this.name} pass failed: ${(err as Error).message}`);
      }
    })();
    await this.running;
    this.running = null;
    this.schedule(this.intervalMs);
  }
}
