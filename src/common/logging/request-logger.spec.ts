import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { Writable } from 'node:stream';
import pino, { Logger } from 'pino';
import { lazyRequestLogger, lazyRequestLogs, requestLogFields } from './request-logger';

function rootAt(level: string) {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _e, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { root: pino({ level }, stream) as unknown as Logger<string, boolean>, lines };
}

function request(): IncomingMessage {
  const req = new IncomingMessage(new Socket());
  req.method = 'GET';
  req.url = '/v1/x';
  req.headers = { 'x-request-id': 'rid-7', host: 'h' };
  return req;
}

describe('lazy request logger (issue 28)', () => {
  it('writes what root.child({req}).child(fields) writes, byte for byte', () => {
    const a = rootAt('info');
    const b = rootAt('info');
    const req = request();
    lazyRequestLogger(a.root, req, requestLogFields(req)).warn({ k: 1 }, 'm');
    b.root.child({ req }).child(requestLogFields(req)).warn({ k: 1 }, 'm');
    const strip = (l: string) => l.replace(/"time":\d+,/, '');
    expect(a.lines.map(strip)).toEqual(b.lines.map(strip));
    expect(JSON.parse(a.lines[0])).toMatchObject({
      requestId: 'rid-7',
      req: { method: 'GET', url: '/v1/x' },
    });
  });

  it('makes no child for a level that is off, nor for the level questions', () => {
    const { root, lines } = rootAt('warn');
    const child = jest.spyOn(root, 'child');
    const log = lazyRequestLogger(root, request(), { requestId: 'rid-7' });
    log.info('not written');
    log.debug('not written');
    expect(log.isLevelEnabled('info')).toBe(false);
    expect(log.level).toBe('warn');
    expect(child).not.toHaveBeenCalled();
    expect(lines).toHaveLength(0);
    log.error('written');
    // then the request's logger, made once: root.child({ req }), and its child with the fields
    expect(child).toHaveBeenCalledTimes(2);
    log.warn('again');
    expect(child).toHaveBeenCalledTimes(2);
    expect(lines).toHaveLength(2);
    // a child of the request logger (nestjs-pino's assign) keeps the request's bindings
    log.child({ extra: 2 }).warn('child');
    expect(JSON.parse(lines[2])).toMatchObject({ requestId: 'rid-7', extra: 2, msg: 'child' });
  });

  it('is used below debug; debug and trace keep pino-http (its per-request completion line)', () => {
    expect(['fatal', 'error', 'warn', 'info', 'silent'].map(lazyRequestLogs)).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(lazyRequestLogs('debug')).toBe(false);
    expect(lazyRequestLogs('trace')).toBe(false);
  });
});
