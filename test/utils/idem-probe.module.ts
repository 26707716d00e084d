import { Body, Controller, Injectable, Module, OnModuleInit, Post } from '@nestjs/common';
import { IsIn, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { DataSource } from 'typeorm';
import { AuthUser, CurrentUser } from '../../src/common/auth/auth.decorators';
import { isDuplicateKey } from '../../src/common/database/db-errors';
import { DomainError, ErrorCode } from '../../src/common/errors';
import {
  IdemContext,
  IdempotencyContext,
  IdempotencyModule,
  IdempotentReplay,
  IdempotentSubmit,
} from '../../src/idempotency';

class CreateWidgetDto {
  @IsString()
  name: string;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(10000)
  delayMs?: number;

  /** Wait in the handler until the test opens this gate (probeGate(name).open()). */
  @IsOptional()
  @IsString()
  gate?: string;

  @IsOptional()
  @IsIn(['ok', 'conflict', 'crash'])
  outcome?: 'ok' | 'conflict' | 'crash';

  @IsOptional()
  tags?: unknown;
}

const gates = new Map<string, { promise: Promise<void>; open: () => void }>();

/**
 * A gate a request can wait at inside the handler (body `gate: name`), opened by the test: "while the
 * first still runs" without guessing how long the others take to arrive. Both instances of a test run in
 * one process, so they share the gates.
 */
export function probeGate(name: string): { promise: Promise<void>; open: () => void } {
  let g = gates.get(name);
  if (!g) {
    let open!: () => void;
    const promise = new Promise<void>((r) => (open = r));
    g = { promise, open };
    gates.set(name, g);
  }
  return g;
}

/** Test-only resource guarded by @IdempotentSubmit, with its own row backstop table. */
@Injectable()
class WidgetService implements OnModuleInit {
  constructor(private readonly ds: DataSource) {}

  async onModuleInit() {
    await this.ds.query(`CREATE TABLE IF NOT EXISTS probe_widget (
      id BIGINT AUTO_INCREMENT PRIMARY KEY, user_id VARCHAR(64) NOT NULL, name VARCHAR(64) NOT NULL,
      idempotency_key VARCHAR(255) NULL, request_fingerprint CHAR(64) NOT NULL,
      UNIQUE KEY uq_widget_key (user_id, idempotency_key))`);
  }

  async create(userId: string, dto: CreateWidgetDto, ctx: IdempotencyContext) {
    if (dto.delayMs) await new Promise((r) => setTimeout(r, dto.delayMs));
    if (dto.gate) await probeGate(dto.gate).promise;
    if (dto.outcome === 'conflict') throw new DomainError(ErrorCode.OUT_OF_STOCK, 'no widgets left');
    if (dto.outcome === 'crash') throw new Error('boom');
    try {
      const res = await this.ds.query(
        'INSERT INTO probe_widget (user_id, name, idempotency_key, request_fingerprint) VALUES (?, ?, ?, ?)',
        [userId, dto.name, ctx.key, ctx.fingerprint],
      );
      return { widgetId: String(res.insertId), name: dto.name };
    } catch (err) {
      if (!isDuplicateKey(err) || !ctx.key) throw err;
      const [row] = await this.ds.query(
        'SELECT id, name, request_fingerprint FROM probe_widget WHERE user_id = ? AND idempotency_key = ?',
        [userId, ctx.key],
      );
      if (row.request_fingerprint !== ctx.fingerprint) {
        throw new DomainError(ErrorCode.IDEMPOTENCY_KEY_REUSED, 'key reused with another body');
      }
      throw new IdempotentReplay(201, { widgetId: String(row.id), name: row.name });
    }
  }
}

@Controller('probe/widgets')
class WidgetController {
  constructor(private readonly widgets: WidgetService) {}

  @Post()
  @IdempotentSubmit({ scope: 'probe.widgets', resultIdField: 'widgetId' })
  create(
    @CurrentUser() user: AuthUser,
    @Body() dto: CreateWidgetDto,
    @IdemContext() ctx: IdempotencyContext,
  ) {
    return this.widgets.create(user.userId, dto, ctx);
  }
}

@Module({ imports: [IdempotencyModule], controllers: [WidgetController], providers: [WidgetService] })
export class IdemProbeModule {}
