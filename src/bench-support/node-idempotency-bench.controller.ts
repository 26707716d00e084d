import { Body, Controller, HttpCode, Post, Type, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { BenchCeilingService } from './bench-ceiling.service';
import { BenchRefDto } from './bench.dto';

/** The part of @node-idempotency/nestjs this comparison uses (it lives in bench/peer, not in the product). */
export interface NodeIdempotencyLib {
  Idempotent: (options: { cacheTTLMS: number }) => MethodDecorator;
  NodeIdempotencyInterceptor: Type;
}

/**
 * The SET NX + 1 transaction ceiling route wrapped in @node-idempotency/nestjs's interceptor, for a
 * like-for-like comparison with oncepay's own Idempotency-Key handling (authenticated, as
 * /bench/auth/idem-tx). Built only when bench routes are on and bench/peer is installed, with the
 * library's decorator passed in, so the product never imports the library.
 */
export function nodeIdempotencyBenchController(lib: NodeIdempotencyLib): Type {
  @ApiExcludeController()
  @Controller({ path: 'bench/auth', version: VERSION_NEUTRAL })
  class NodeIdempotencyBenchController {
    constructor(private readonly ceiling: BenchCeilingService) {}

    @Post('lib-tx')
    @HttpCode(201)
    @lib.Idempotent({ cacheTTLMS: 86400000 })
    async tx(@Body() dto: BenchRefDto): Promise<{ ref: string; outcome: string }> {
      return { ref: dto.ref, outcome: await this.ceiling.setNxOneTx(dto.ref) };
    }
  }
  return NodeIdempotencyBenchController;
}
