import { Logger } from '@nestjs/common';
import { PollLoop } from './poll-loop';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Waits for exactly what is asserted next (fixed sleeps fail on a loaded machine). */
async function until(cond: () => boolean, timeoutMs = 10000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await sleep(2);
  }
}

describe('PollLoop', () => {
  const logger = { warn: jest.fn() } as unknown as Logger;

  it('runs at start, never overlaps, coalesces nudges into one more pass, and keeps going after an error', async () => {
    let active = 0;
    let maxActive = 0;
    let passes = 0;
    const loop = new PollLoop(
      'test',
      60000,
      async () => {
        passes++;
        active++;
        maxActive = Math.max(maxActive, active);
        await sleep(20);
        active--;
        if (passes === 2) throw new Error('transient');
        return false;
      },
      logger,
    );
    loop.start();
    await until(() => active === 1);
    loop.nudge();
    loop.nudge();
    loop.nudge();
    await until(() => (logger.warn as jest.Mock).mock.calls.length > 0 && active === 0);
    await sleep(40); // room for a wrong extra pass to show
    expect(passes).toBe(2); // the first pass plus one coalesced re-run
    expect(maxActive).toBe(1);
    expect(logger.warn).toHaveBeenCalledWith(expect.stringContaining('transient'));
    loop.nudge(); // still alive after the error
    await until(() => passes === 3 && active === 0);
    await loop.stop();
    loop.nudge();
    await sleep(30);
    expect(passes).toBe(3);
  });

  it('goes round again at once while a pass reports more work', async () => {
    let left = 3;
    const loop = new PollLoop('test', 60000, async () => --left > 0, logger);
    loop.start();
    await until(() => left === 0);
    expect(left).toBe(0);
    await loop.stop();
  });
});
