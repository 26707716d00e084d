import { AllExceptionsFilter } from './all-exceptions.filter';
import { DomainError } from './domain.error';
import { ErrorCode } from './error-code.enum';

function host(reply: any) {
  return {
    switchToHttp: () => ({ getRequest: () => ({ id: 'rid-1' }), getResponse: () => reply }),
  } as any;
}

function fakeReply() {
  const r: any = { sent: false, headers: {} as Record<string, string> };
  r.header = (k: string, v: string) => ((r.headers[k] = v), r);
  r.status = (s: number) => ((r.statusCode = s), r);
  r.type = () => r;
  r.send = (b: unknown) => ((r.body = b), r);
  return r;
}

describe('AllExceptionsFilter', () => {
  const filter = new AllExceptionsFilter();
  (filter as any).logger = { error: jest.fn() };

  it('maps an unknown error to 500 INTERNAL without leaking its message or stack', () => {
    const reply = fakeReply();
    filter.catch(new Error('secret connection string at db.internal:3306'), host(reply));
    expect(reply.statusCode).toBe(500);
    expect(reply.body).toEqual({
      statusCode: 500,
      code: 'INTERNAL',
      message: 'Internal server error',
      requestId: 'rid-1',
    });
    expect(JSON.stringify(reply.body)).not.toMatch(/secret|stack/);
  });

  it('maps a domain error to its status, details and headers', () => {
    const reply = fakeReply();
    filter.catch(
      new DomainError(ErrorCode.REQUEST_IN_PROGRESS, 'still running', { key: 'k' }, { 'Retry-After': '1' }),
      host(reply),
    );
    expect(reply.statusCode).toBe(409);
    expect(reply.headers['Retry-After']).toBe('1');
    expect(reply.body).toMatchObject({
      code: 'REQUEST_IN_PROGRESS',
      details: { key: 'k' },
      requestId: 'rid-1',
    });
  });

  it('an unknown outcome (a COMMIT without an answer) is 503 OUTCOME_UNKNOWN without Retry-After, naming what may exist', () => {
    const reply = fakeReply();
    filter.catch(
      new DomainError(ErrorCode.OUTCOME_UNKNOWN, 'unknown', { reason: 'OUTCOME_UNKNOWN', orderNo: 'O1' }),
      host(reply),
    );
    expect(reply.statusCode).toBe(503);
    expect(reply.headers['Retry-After']).toBeUndefined();
    expect(reply.body).toMatchObject({ code: 'OUTCOME_UNKNOWN', details: { orderNo: 'O1' } });
  });

  it('a database that is unreachable or gave up is 503 SERVICE_UNAVAILABLE with Retry-After, its message not leaked', () => {
    const lost = Object.assign(
      new Error('Connection lost: The server closed the connection. db.internal:3306'),
      {
        code: 'PROTOCOL_CONNECTION_LOST',
        fatal: true,
      },
    );
    // as TypeORM wraps a driver error (QueryFailedError.driverError)
    const wrapped = Object.assign(new Error('Connection was killed'), {
      driverError: { code: 'ER_CONNECTION_KILLED', errno: 1927 },
    });
    const fatalOnly = Object.assign(new Error('read ECONNRESET'), { driverError: { fatal: true } });
    for (const err of [lost, wrapped, fatalOnly]) {
      const reply = fakeReply();
      filter.catch(err, host(reply));
      expect(reply.statusCode).toBe(503);
      expect(reply.headers['Retry-After']).toBe('1');
      expect(reply.body).toEqual({
        statusCode: 503,
        code: 'SERVICE_UNAVAILABLE',
        message: 'Database unavailable, retry later',
        details: { reason: 'DATABASE_UNAVAILABLE' },
        requestId: 'rid-1',
      });
    }
  });

  it("Galera's transient errors (a node not ready, a node leaving, a conflict that outlived the retries) are 503 DATABASE_UNAVAILABLE, never 500", () => {
    const galera = [
      {
        code: 'ER_UNKNOWN_COM_ERROR',
        errno: 1047,
        msg: 'WSREP has not yet prepared node for application use',
      },
      {
        code: 'ER_LOCK_DEADLOCK',
        errno: 1213,
        msg: 'Deadlock found when trying to get lock; try restarting transaction',
      },
      {
        code: 'ER_ERROR_DURING_COMMIT',
        errno: 1180,
        msg: 'Got error 6 "No such device or address" during COMMIT',
      },
      { code: undefined, errno: 1047, msg: 'WSREP has not yet prepared node for application use' },
    ];
    for (const g of galera) {
      const reply = fakeReply();
      filter.catch(
        Object.assign(new Error(g.msg), { driverError: { code: g.code, errno: g.errno, sqlMessage: g.msg } }),
        host(reply),
      );
      expect(reply.statusCode).toBe(503);
      expect(reply.headers['Retry-After']).toBe('1');
      expect(reply.body).toMatchObject({
        code: 'SERVICE_UNAVAILABLE',
        details: { reason: 'DATABASE_UNAVAILABLE' },
      });
    }
  });

  it('a database error that is about the statement (e.g. a duplicate key nobody handled) stays 500', () => {
    const reply = fakeReply();
    filter.catch(
      Object.assign(new Error("Duplicate entry 'x' for key 'uq'"), { driverError: { code: 'ER_DUP_ENTRY' } }),
      host(reply),
    );
    expect(reply.statusCode).toBe(500);
  });
});
