import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toErrorResponse } from './error-response';
import { ReplayResponse } from './replay-response';

/** The one place where an error becomes an HTTP answer: `{statusCode, code, message, details?, requestId}`. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const request = ctx.getRequest<FastifyRequest>();
    const reply = ctx.getResponse<FastifyReply>();
    sendError(reply, exception, request?.id, this.logger);
  }
}

export function sendError(
  reply: FastifyReply,
  exception: unknown,
  requestId: string | undefined,
  logger: Logger,
) {
  if (exception instanceof ReplayResponse) {
    // an Idempotency-Key replay: the first response again, status and body as they were
    if (reply.sent) return;
    for (const [k, v] of Object.entries(exception.headers)) reply.header(k, v);
    void reply.header('Idempotent-Replayed', 'true').status(exception.status).send(exception.body);
    return;
  }
  const res = toErrorResponse(exception, requestId);
  if (res.unexpected) {
    logger.error({ err: exception, requestId }, (exception as Error)?.message ?? 'unexpected error');
  }
  if (reply.sent) return;
  for (const [k, v] of Object.entries(res.headers)) reply.header(k, v);
  void reply.status(res.status).type('application/json; charset=utf-8').send(res.body);
}
