import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { Writable } from 'node:stream';
import { pinoHttp } from 'pino-http';
import { CENSOR, redactedRequest } from './request-serializer';

/** One request through pino-http configured `opts`; the line its request logger writes, `time` left out. */
function logLine(opts: Record<string, unknown>, headers: Record<string, string>, url = '/v1/orders?x=1') {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const mw = pinoHttp({
    level: 'info',
    autoLogging: false,
    genReqId: (req: IncomingMessage) => req.headers['x-request-id'] as string,
    customProps: (req: IncomingMessage) => ({ requestId: req.headers['x-request-id'] }),
    ...opts,
    stream,
  } as never);
  const req = new IncomingMessage(new Socket());
  req.method = 'POST';
  req.url = url;
  req.headers = { ...headers, 'x-request-id': 'rid-1' };
  const before = JSON.stringify(req.headers);
  const res = new ServerResponse(req);
  mw(req, res, () => undefined);
  (req as unknown as { log: { warn: (o: object, m: string) => void } }).log.warn({ a: 1 }, 'hello');
  expect(JSON.stringify(req.headers)).toBe(before); // the request's own headers are never changed
  const rec = JSON.parse(lines[0]) as Record<string, unknown>;
  delete rec.time;
  return { rec, raw: lines[0].replace(/"time":\d+,/, '') };
}

const OLD = { redact: ['req.headers.authorization', 'req.headers.cookie'] };
const NEW = { serializers: { req: redactedRequest } };

describe('request log serializer (issue 28: the redact option without its per-request clone)', () => {
  it.each([
    [
      'bearer and cookie',
      {
        authorization: 'Bearer abc.def.ghi',
        cookie: 'a=1; b=2',
        host: 'x',
        'content-type': 'application/json',
      },
    ],
    ['bearer only', { host: 'x', authorization: 'Bearer t' }],
    ['cookie only', { cookie: 's=1', host: 'x' }],
    ['neither', { host: 'x', accept: '*/*' }],
    ['no headers but the id', {}],
  ])('writes exactly what pino redact wrote: %s', (_name, headers) => {
    const old = logLine(OLD, headers);
    const now = logLine(NEW, headers);
    expect(now.raw).toBe(old.raw); // byte for byte, key order included
    const req = now.rec.req as { headers: Record<string, unknown> };
    if ('authorization' in headers) expect(req.headers.authorization).toBe(CENSOR);
    if ('cookie' in headers) expect(req.headers.cookie).toBe(CENSOR);
    expect(now.raw).not.toContain('Bearer');
    expect(now.rec.requestId).toBe('rid-1');
  });

  it('leaves anything that is not a request with headers alone', () => {
    expect(redactedRequest({} as { headers?: unknown })).toEqual({});
    const r = { headers: 'x' };
    expect(redactedRequest(r)).toBe(r);
  });
});
