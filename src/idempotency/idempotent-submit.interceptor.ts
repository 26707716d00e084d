import { CallHandler, ExecutionContext, Injectable, Logger, NestInterceptor } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { from, lastValueFrom, Observable } from 'rxjs';
import { AuthUser } from '../common/auth/auth.decorators';
import { DomainError, ErrorCode, toErrorResponse } from '../common/errors';
import { requestFingerprint } from './fingerprint';
import { IdempotencyMetrics } from './idempotency.metrics';
import { IdempotencyKeyStore, StoredResponse } from './idempotency-key.store';
import {
  IDEMPOTENT_SUBMIT,
  IdempotencyContext,
  IdempotentSubmitOptions,
} from './idempotent-submit.decorator';
import { IdempotentReplay } from './idempotent-replay';
import { OneTimeTokenService } from './one-time-token.service';
import { SubmitGuardService } from './submit-guard.service';
import { storeUnavailable, undoLostWrite } from './redis-guard';

const KEY_FORMAT = /^[\x21-\x7e]{1,255}$/;

type Req = FastifyRequest & { user: AuthUser; idempotency?: IdempotencyContext };

/**
 * The engine behind @IdempotentSubmit. A request with an Idempotency-Key or Idempotency-Token is
 * governed by it alone (a keyed retry must replay, never bounce off the content guard).
 */
@Injectable()
export class IdempotentSubmitInterceptor implements NestInterceptor {
  private readonly logger = new Logger('Idempotency');

  constructor(
    private readonly reflector: Reflector,
    private readonly keys: IdempotencyKeyStore,
    private readonly guard: SubmitGuardService,
    private readonly tokens: OneTimeTokenService,
    private readonly metrics: IdempotencyMetrics,
  ) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const opts = this.reflector.get<IdempotentSubmitOptions>(IDEMPOTENT_SUBMIT, ctx.getHandler());
    const req = ctx.switchToHttp().getRequest<Req>();
    const reply = ctx.switchToHttp().getResponse<FastifyReply>();
    const successStatus =
      this.reflector.get<number | undefined>(HTTP_CODE_METADATA, ctx.getHandler()) ??
      (req.method === 'POST' ? 201 : 200);
    const params = req.params as Record<string, string> | undefined;
    const fingerprint = requestFingerprint(
      req.user.userId,
      opts.scope,
      opts.params
        ? { params: Object.fromEntries(opts.params.map((p) => [p, params?.[p] ?? null])), body: req.body }
        : req.body,
      opts.setPaths?.length ? new Set(opts.setPaths.map((p) => (opts.params ? `body.${p}` : p))) : undefined,
    );
    const key = header(req, 'idempotency-key');
    const token = header(req, 'idempotency-token');
    req.idempotency = { key: key ?? null, fingerprint };

    if (key !== undefined) return from(this.keyed(req, reply, opts, key, fingerprint, successStatus, next));
    if (token !== undefined) return from(this.withToken(req, opts, token, next));
    return from(this.guarded(req, opts, fingerprint, next));
  }

  private get failOpen(): boolean {
    return this.keys.cfg.failMode === 'open';
  }

  // ---- Idempotency-Key -------------------------------------------------------------------------
  private async keyed(
    req: Req,
    reply: FastifyReply,
    opts: IdempotentSubmitOptions,
    key: string,
    fingerprint: string,
    successStatus: number,
    next: CallHandler,
  ): Promise<unknown> {
    if (!KEY_FORMAT.test(key)) {
      throw new DomainError(
        ErrorCode.VALIDATION_FAILED,
        'Idempotency-Key must be 1-255 printable ASCII characters',
      );
    }
    const recordKey = this.keys.recordKey(req.user.userId, opts.scope, key);
    const owner = randomUUID();
    let begin;
    try {
      begin = await this.keys.begin(recordKey, fingerprint, owner);
    } catch (err) {
      // the begin may still land: never leave an in-flight record that answers 409 for a whole lease
      undoLostWrite(
        'Idempotency-Key store',
        () => this.keys.abandon(recordKey, owner),
        this.keys.cfg.leaseMs,
      );
      if (!this.failOpen) throw unavailable(err);
      this.logger.warn(`Idempotency-Key store down, failing open (the row's unique key still holds)`);
      return lastValueFrom(next.handle());
    }
    reply.header('Idempotency-Key-Expires', new Date(begin.createdAt + this.keys.cfg.keyTtlMs).toUTCString());
    if (begin.state === 'mismatch') {
      this.metrics.event('idempotency_key', 'mismatch');
      throw new DomainError(
        ErrorCode.IDEMPOTENCY_KEY_REUSED,
        'This Idempotency-Key was used with a different request; use a new key for a new operation',
      );
    }
    if (begin.state === 'running') {
      this.metrics.event('idempotency_key', 'in_progress');
      const secs = Math.max(1, Math.ceil(begin.retryAfterMs / 1000));
      throw new DomainError(
        ErrorCode.REQUEST_IN_PROGRESS,
        'A request with this Idempotency-Key is still running',
        undefined,
        {
          'Retry-After': String(secs),
        },
      );
    }
    if (begin.state === 'done') {
      this.metrics.event('idempotency_key', 'replay');
      throw new IdempotentReplay(begin.response.status, begin.response.body, begin.response.headers);
    }

    this.metrics.event('idempotency_key', 'first');
    const renew = setInterval(
      () => void this.keys.renew(recordKey, owner).catch(() => undefined),
      Math.max(50, Math.floor(this.keys.cfg.leaseMs / 3)),
    );
    const store = (res: StoredResponse) =>
      this.keys.complete(recordKey, owner, res).then(
        (ok) => ok || this.logger.warn(`stale owner of an Idempotency-Key: result not stored`),
        (err) => this.logger.warn(`could not store an Idempotency-Key result: ${(err as Error).message}`),
      );
    try {
      const body = await lastValueFrom(next.handle());
      await store({ status: successStatus, body, headers: {} });
      return body;
    } catch (err) {
      if (err instanceof IdempotentReplay) {
        // the row backstop found the first result: store it, then answer it as a replay
        await store({ status: err.status, body: err.body, headers: err.headers });
        throw err;
      }
      const res = toErrorResponse(err, req.id);
      if (res.body.code === ErrorCode.OUTCOME_UNKNOWN) {
        // the work may have committed: keep the in-flight record (a retry is 409 REQUEST_IN_PROGRESS
        // until the lease ends, then runs into the row's unique key and replays what was made)
        this.metrics.event('idempotency_key', 'outcome_unknown');
      } else if (isStorable(res.status, res.body.code)) {
        await store({
          status: res.status,
          body: { ...res.body, requestId: undefined },
          headers: res.headers,
        });
      } else {
        await this.keys.abandon(recordKey, owner).catch(() => undefined);
      }
      throw err;
    } finally {
      clearInterval(renew);
    }
  }

  // ---- Idempotency-Token -----------------------------------------------------------------------
  private async withToken(
    req: Req,
    opts: IdempotentSubmitOptions,
    token: string,
    next: CallHandler,
  ): Promise<unknown> {
    let mark: string;
    const userId = req.user.userId;
    try {
      mark = await this.tokens.consume(userId, token, opts.resultIdField);
      this.metrics.event('one_time_token', 'consumed');
    } catch (err) {
      if (err instanceof DomainError && err.code === ErrorCode.SERVICE_UNAVAILABLE && this.failOpen) {
        return lastValueFrom(next.handle());
      }
      if (err instanceof DomainError) this.metrics.event('one_time_token', err.code.toLowerCase());
      throw err;
    }
    try {
      const body = await lastValueFrom(next.handle());
      const id = resultId(body, opts.resultIdField);
      // a later use of the token is told what this one made (409 TOKEN_USED naming it)
      if (id) await this.tokens.recordResult(userId, token, mark, id).catch(() => undefined);
      return body;
    } catch (err) {
      const res = toErrorResponse(err, req.id);
      if (res.body.code === ErrorCode.OUTCOME_UNKNOWN) {
        // it may have made something: the token stays used, and names what it may have made
        const id = resultId(res.body.details, opts.resultIdField);
        if (id) await this.tokens.recordResult(userId, token, mark, id).catch(() => undefined);
      } else if (wroteNothing(res.status)) {
        // a refusal that wrote nothing (validation, unknown product, a cap, out of stock, 503 before
        // commit) does not use the token up: the client may correct or repeat the request with it
        await this.tokens.release(userId, token, mark).catch(() => undefined);
        this.metrics.event('one_time_token', 'released');
      }
      throw err;
    }
  }

  // ---- content guard ---------------------------------------------------------------------------
  private async guarded(
    req: Req,
    opts: IdempotentSubmitOptions,
    fp: string,
    next: CallHandler,
  ): Promise<unknown> {
    let held;
    try {
      held = await this.guard.acquire(req.user.userId, fp);
    } catch (err) {
      if (!this.failOpen) throw unavailable(err);
      this.logger.warn('submit guard store down, failing open');
      return lastValueFrom(next.handle());
    }
    if (!held.acquired) {
      const details =
        held.holder.state === 'done' ? { [opts.resultIdField]: held.holder.resultId } : { state: 'running' };
      throw DomainError.expected(ErrorCode.DUPLICATE_SUBMIT, 'The same request was just submitted', details);
    }
    const { key, token } = held;
    try {
      const body = await lastValueFrom(next.handle());
      const id = resultId(body, opts.resultIdField);
      if (id !== undefined) await this.guard.attachResult(key, token, id).catch(() => undefined);
      return body;
    } catch (err) {
      const res = toErrorResponse(err, req.id);
      if (res.body.code === ErrorCode.OUTCOME_UNKNOWN) {
        // it may have committed: hold the body's guard (naming what it may have made) for as long as a
        // key's record lives, so a retry is refused, never run twice
        const id = resultId(res.body.details, opts.resultIdField);
        await this.guard.hold(key, token, id, this.keys.cfg.keyTtlMs).catch(() => undefined);
      } else {
        await this.guard.release(key, token).catch(() => undefined);
      }
      throw err;
    }
  }
}

function resultId(body: unknown, field: string): string | undefined {
  const id = (body as Record<string, unknown> | undefined | null)?.[field];
  return id === undefined || id === null ? undefined : String(id);
}

/**
 * Errors after which nothing was written: 4xx refusals, and 503s that were not an unknown outcome (a
 * database or store unavailable before commit). A 500 or 502 may come after a commit (a gateway call
 * that failed after the payment row was stored): the token stays used.
 */
function wroteNothing(status: number): boolean {
  return (status >= 400 && status < 500) || status === 503;
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function unavailable(err: unknown): DomainError {
  return storeUnavailable('Duplicate-submit protection', err);
}

/**
 * Storage policy per status class: 2xx and business 4xx are final and replayed; 5xx, 429, auth
 * failures and request-validation failures are not stored (the client may fix the request or retry),
 * nor is IDEMPOTENCY_KEY_REUSED (it answers a body the key does not belong to).
 */
export function isStorable(status: number, code: string): boolean {
  if (status < 400) return true;
  if (status >= 500 || status === 429 || status === 401 || status === 403 || status === 413) return false;
  // transient refusals: the same request may succeed later (an unpaid order paid or cancelled)
  if (code === ErrorCode.VALIDATION_FAILED || code === ErrorCode.TOO_MANY_UNPAID_ORDERS) return false;
  // the row backstop's "this key belongs to another body" (Redis had lost the key's record): storing it
  // would give the key to this body for 24 h and answer the genuine retry 422 instead of its replay. A
  // refusal never overwrites a key's record; the row keeps refusing this body on every try.
  return code !== ErrorCode.IDEMPOTENCY_KEY_REUSED;
}
