import {
  CallHandler,
  Controller,
  ExecutionContext,
  Get,
  HttpCode,
  Injectable,
  NestInterceptor,
  OnModuleInit,
  Post,
  VERSION_NEUTRAL,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import Redis from 'ioredis';
import { Observable } from 'rxjs';
import { DataSource } from 'typeorm';
import { Public } from '../common/auth/auth.decorators';
import { ExplainSummary, RequestTracer } from './request-trace';

/** The one tracer of the process (BENCH_EXPLAIN=true only). */
export const TRACER = new RequestTracer();

/**
 * Global interceptor (BENCH_EXPLAIN only): every request's handling runs inside its trace, which is
 * closed when the handler's answer (or error) is decided — before serialisation and the socket write,
 * which the bench's client-side latency includes and this does not. Guards run before interceptors, so
 * JWT verification is outside the trace too (CPU only, no I/O).
 */
@Injectable()
export class ExplainInterceptor implements NestInterceptor, OnModuleInit {
  constructor(private readonly dataSource: DataSource) {}

  onModuleInit(): void {
    const driver = this.dataSource.driver as unknown as {
      pool?: Parameters<RequestTracer['patchMysqlPool']>[0];
    };
    if (driver.pool) TRACER.patchMysqlPool(driver.pool);
    TRACER.patchRedis(Redis.prototype as unknown as Parameters<RequestTracer['patchRedis']>[0]);
  }

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = ctx
      .switchToHttp()
      .getRequest<{ method: string; url: string; routeOptions?: { url?: string } }>();
    const route = `${req.method} ${req.routeOptions?.url ?? req.url.split('?')[0]}`;
    if (route.includes('/bench/explain')) return next.handle();
    return new Observable((sub) =>
      TRACER.run(route, () =>
        next.handle().subscribe({
          next: (v) => {
            TRACER.finish();
            sub.next(v);
          },
          error: (e) => {
            TRACER.finish();
            sub.error(e);
          },
          complete: () => {
            TRACER.finish();
            sub.complete();
          },
        }),
      ),
    );
  }
}

/** GET /bench/explain: the waterfall since the last POST /bench/explain/reset. */
@ApiExcludeController()
@Public()
@Controller({ path: 'bench/explain', version: VERSION_NEUTRAL })
export class ExplainController {
  @Get()
  summary(): ExplainSummary {
    return TRACER.summary();
  }

  @Post('reset')
  @HttpCode(204)
  reset(): void {
    TRACER.reset();
  }
}
