import { Body, Controller, Get, HttpCode, Post, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '../common/auth/auth.decorators';
import { IdempotentSubmit } from '../idempotency/idempotent-submit.decorator';
import { BenchCeilingService } from './bench-ceiling.service';
import { BenchPaymentDto, BenchRefDto } from './bench.dto';

/**
 * Ceiling routes for `npm run bench`: the same Nest pipeline (global guard, validation pipe, filter,
 * metrics hook) as the business routes, with only the named work behind it. Registered only when
 * BENCH_ROUTES=true, which validation refuses in production. Public, so auth is no part of a ceiling
 * (the business rows pay for JWT verification; the bench reports that honestly as part of the gap).
 */
@ApiExcludeController()
@Public()
@Controller({ path: 'bench', version: VERSION_NEUTRAL })
export class BenchController {
  constructor(private readonly ceiling: BenchCeilingService) {}

  /** Ceiling: Nest alone. */
  @Get('noop')
  noop(): { ok: true } {
    return { ok: true };
  }

  /** Ceiling: Redis SET NX + one MySQL transaction with one INSERT. */
  @Post('tx')
  @HttpCode(201)
  async tx(@Body() dto: BenchRefDto): Promise<{ ref: string; outcome: string }> {
    return { ref: dto.ref, outcome: await this.ceiling.setNxOneTx(dto.ref) };
  }

  /** Ceiling: Redis SET NX + dedup insert, payment CAS, outbox insert in one transaction. */
  @Post('payment-tx')
  @HttpCode(201)
  async paymentTx(@Body() dto: BenchPaymentDto): Promise<{ ref: string; outcome: string }> {
    return { ref: dto.ref, outcome: await this.ceiling.setNxPaymentTx(dto.ref, dto.paymentId) };
  }
}

/**
 * The SET NX + 1 transaction ceiling behind authentication, bare and under oncepay's own
 * @IdempotentSubmit, so the bench can price an Idempotency-Key (and the content guard) on an
 * otherwise identical route.
 */
@ApiExcludeController()
@Controller({ path: 'bench/auth', version: VERSION_NEUTRAL })
export class BenchAuthController {
  constructor(private readonly ceiling: BenchCeilingService) {}

  /** Ceiling: Nest + JWT verification (what every business route pays before its own work). */
  @Get('noop')
  noop(): { ok: true } {
    return { ok: true };
  }

  /** Unguarded: auth + validation + SET NX + 1 tx. */
  @Post('tx')
  @HttpCode(201)
  async tx(@Body() dto: BenchRefDto): Promise<{ ref: string; outcome: string }> {
    return { ref: dto.ref, outcome: await this.ceiling.setNxOneTx(dto.ref) };
  }

  /** Same work under @IdempotentSubmit (key, token or content guard, as POST /v1/orders). */
  @Post('idem-tx')
  @HttpCode(201)
  @IdempotentSubmit({ scope: 'bench.tx', resultIdField: 'ref' })
  async idemTx(@Body() dto: BenchRefDto): Promise<{ ref: string; outcome: string }> {
    return { ref: dto.ref, outcome: await this.ceiling.setNxOneTx(dto.ref) };
  }
}
