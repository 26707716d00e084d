import { Body, Controller, HttpCode, Post, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Idempotent } from '@node-idempotency/nestjs';
import { BenchCeilingService } from './bench-ceiling.service';
import { BenchRefDto } from './bench.dto';

/**
 * The SET NX + 1 transaction ceiling route wrapped in @node-idempotency/nestjs's interceptor, for a
 * like-for-like comparison with oncepay's own Idempotency-Key handling (authenticated, as
 * /bench/auth/idem-tx). Loaded (required) only when
 * bench routes are on and the devDependency is installed.
 */
@ApiExcludeController()
@Controller({ path: 'bench/auth', version: VERSION_NEUTRAL })
export class NodeIdempotencyBenchController {
  constructor(private readonly ceiling: BenchCeilingService) {}

  @Post('lib-tx')
  @HttpCode(201)
  @Idempotent({ cacheTTLMS: 86400000 })
  async tx(@Body() dto: BenchRefDto): Promise<{ ref: string; outcome: string }> {
    return { ref: dto.ref, outcome: await this.ceiling.setNxOneTx(dto.ref) };
  }
}
