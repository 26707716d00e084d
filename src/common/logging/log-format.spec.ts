import pino from 'pino';
import pretty from 'pino-pretty';
import { Writable } from 'node:stream';
import { currentLogFormatInput, logFormat, logTransport, PRETTY_OPTIONS } from './log-format';

describe('log format', () => {
  it('pretty only for a person: a terminal, outside production, with pino-pretty installed', () => {
    const base = { nodeEnv: 'development', stdoutIsTTY: true, prettyInstalled: true };
    expect(logFormat(base)).toBe('pretty');
    expect(logFormat({ ...base, nodeEnv: 'test' })).toBe('pretty');
    expect(logFormat({ ...base, stdoutIsTTY: false })).toBe('json'); // piped, docker, a log shipper
    expect(logFormat({ ...base, nodeEnv: 'production' })).toBe('json');
    expect(logFormat({ ...base, prettyInstalled: false })).toBe('json'); // a pruned install never crashes
    expect(logTransport(base)).toEqual({ target: 'pino-pretty', options: PRETTY_OPTIONS });
    expect(logTransport({ ...base, stdoutIsTTY: false })).toBeUndefined();
  });

  it('reads this process: pino-pretty is installed here (a devDependency), Jest has no terminal', () => {
    expect(currentLogFormatInput('development')).toEqual({
      nodeEnv: 'development',
      stdoutIsTTY: !!process.stdout.isTTY,
      prettyInstalled: true,
    });
  });

  it('prints one readable line per record with the context, message and fields', () => {
    let out = '';
    const destination = new Writable({
      write(chunk, _enc, cb) {
        out += String(chunk);
        cb();
      },
    });
    const log = pino({}, pretty({ ...PRETTY_OPTIONS, colorize: false, sync: true, destination }));
    log.info({ context: 'OrderSubmitService', orderNo: '20261123120000123456789012345' }, 'order created');
    expect(out.trim().split('\n')).toHaveLength(1);
    expect(out).toMatch(
      /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: \(OrderSubmitService\) order created .*"orderNo":"20261123120000123456789012345"/,
    );
    expect(out).not.toContain('"level"');
  });
});
