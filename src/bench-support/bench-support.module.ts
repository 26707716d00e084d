import { DynamicModule, Inject, Logger, Module, OnModuleInit, Provider, Type } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { APP_INTERCEPTOR } from '@nestjs/core';
import Redis from 'ioredis';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { appConfig, benchConfig, benchExplainEnabled, benchPeerDir } from '../config/configuration';
import { REDIS } from '../common/redis/redis.factory';
import { IdempotencyModule } from '../idempotency/idempotency.module';
import { BenchCeilingService } from './bench-ceiling.service';
import { BenchAuthController, BenchController } from './bench.controller';
import { ExplainController, ExplainInterceptor } from './explain.controller';
import { IoredisIdempotencyStorage } from './node-idempotency.storage';
import { NodeIdempotencyLib, nodeIdempotencyBenchController } from './node-idempotency-bench.controller';

/**
 * Bench-only routes (`/bench/*`) for `npm run bench`. feature-modules.ts imports this module only when
 * BENCH_ROUTES=true; the module checks again at start and refuses to run in production.
 */
@Module({})
export class BenchSupportModule implements OnModuleInit {
  constructor(
    @Inject(benchConfig.KEY) private readonly bench: ConfigType<typeof benchConfig>,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
  ) {}

  onModuleInit(): void {
    if (!this.bench.routes || this.app.nodeEnv === 'production') {
      throw new Error(
        'BenchSupportModule loaded without BENCH_ROUTES=true or in production: refusing to start',
      );
    }
  }

  static register(): DynamicModule {
    const controllers: Type[] = [BenchController, BenchAuthController];
    const providers: Provider[] = [BenchCeilingService];
    // BENCH_EXPLAIN=true: the per-request waterfall (npm run bench -- --explain), never otherwise
    if (benchExplainEnabled()) {
      controllers.push(ExplainController);
      providers.push({ provide: APP_INTERCEPTOR, useClass: ExplainInterceptor });
    }
    // The comparison library lives in bench/peer (its own install, outside the product's dependency
    // tree, because it declares NestJS <= 10 as a peer); npm run bench passes its folder in
    // BENCH_PEER_DIR. Without it the comparison route is off and the bench prints "n/a".
    const peerDir = benchPeerDir();
    if (!peerDir) {
      new Logger(BenchSupportModule.name).log('BENCH_PEER_DIR not set: the comparison route is off');
    } else {
      try {
        const lib = createRequire(join(peerDir, 'package.json'))(
          '@node-idempotency/nestjs',
        ) as NodeIdempotencyLib;
        controllers.push(nodeIdempotencyBenchController(lib));
        providers.push(
          lib.NodeIdempotencyInterceptor,
          // the library's injection tokens (node-idempotency/nestjs constants.ts, not exported)
          {
            provide: 'node_idempotency:IDEMPOTENCY_STORAGE',
            inject: [REDIS],
            useFactory: (redis: Redis) => new IoredisIdempotencyStorage(redis),
          },
          { provide: 'node_idempotency:IDEMPOTENCY_OPTIONS', useValue: {} },
        );
      } catch (err) {
        new Logger(BenchSupportModule.name).warn(
          `@node-idempotency/nestjs not loaded from ${peerDir}, its comparison route is off: ${(err as Error).message}`,
        );
      }
    }
    return { module: BenchSupportModule, imports: [IdempotencyModule], controllers, providers };
  }
}
